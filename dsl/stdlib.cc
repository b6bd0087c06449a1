// dsl/stdlib.cc: the table of dsl/stdlib.hpp. It must agree with include/snow/lang/.
#include "stdlib.hpp"

#include <cstring>
#include <string>
#include <unordered_map>
#include <utility>

namespace snowc {

namespace {

constexpr unsigned S = kSelf, A = kAsync, E = kEffect;

const Builtin kBuiltins[] = {
    // prelude
    {"println", "sl::println", 1, S | E},
    {"print", "sl::print", 1, S | E},
    {"compare", "sl::compare", 2, 0},
    {"map", "sl::List_map", 2, S | A | E},
    {"filter", "sl::List_filter", 2, S | A | E},
    {"reduce", "sl::List_reduce", 3, S | A | E},
    {"head", "sl::List_head", 1, 0},
    {"tail", "sl::List_tail", 1, 0},
    // IO, Env, File
    {"IO.eprintln", "sl::IO_eprintln", 1, S | E},
    {"IO.read_line", "sl::IO_read_line", 0, S | E},
    {"Env.get", "sl::Env_get", 1, 0},
    {"File.read", "sl::File_read", 1, E},
    {"File.write", "sl::File_write", 2, E},
    {"File.append", "sl::File_append", 2, E},
    {"File.exists", "sl::File_exists", 1, E},
    {"File.delete", "sl::File_delete", 1, E},
    // String
    {"String.length", "sl::String_length", 1, 0},
    {"String.slice", "sl::String_slice", 3, 0},
    {"String.contains", "sl::String_contains", 2, 0},
    {"String.starts_with", "sl::String_starts_with", 2, 0},
    {"String.ends_with", "sl::String_ends_with", 2, 0},
    {"String.trim", "sl::String_trim", 1, 0},
    {"String.to_upper", "sl::String_to_upper", 1, 0},
    {"String.to_lower", "sl::String_to_lower", 1, 0},
    {"String.replace", "sl::String_replace", 3, 0},
    {"String.split", "sl::String_split", 2, 0},
    {"String.join", "sl::String_join", 2, 0},
    {"String.to_int", "sl::String_to_int", 1, 0},
    {"String.to_float", "sl::String_to_float", 1, 0},
    // List
    {"List.new", "sl::List_new", 0, 0},
    {"List.length", "sl::List_length", 1, 0},
    {"List.append", "sl::List_append", 2, 0},
    {"List.head", "sl::List_head", 1, 0},
    {"List.tail", "sl::List_tail", 1, 0},
    {"List.last", "sl::List_last", 1, 0},
    {"List.get", "sl::List_get", 2, 0},
    {"List.nth", "sl::List_get", 2, 0},
    {"List.concat", "sl::List_concat", 2, 0},
    {"List.reverse", "sl::List_reverse", 1, 0},
    {"List.contains", "sl::List_contains", 2, 0},
    {"List.zip", "sl::List_zip", 2, 0},
    {"List.flatten", "sl::List_flatten", 1, 0},
    {"List.enumerate", "sl::List_enumerate", 1, 0},
    {"List.take", "sl::List_take", 2, 0},
    {"List.drop", "sl::List_drop", 2, 0},
    {"List.map", "sl::List_map", 2, S | A | E},
    {"List.filter", "sl::List_filter", 2, S | A | E},
    {"List.reduce", "sl::List_reduce", 3, S | A | E},
    {"List.sort", "sl::List_sort", 2, S | A | E},
    {"List.find", "sl::List_find", 2, S | A | E},
    {"List.any", "sl::List_any", 2, S | A | E},
    {"List.all", "sl::List_all", 2, S | A | E},
    {"List.flat_map", "sl::List_flat_map", 2, S | A | E},
    // Map
    {"Map.new", "sl::Map_new", 0, 0},
    {"Map.put", "sl::Map_put", 3, 0},
    {"Map.get", "sl::Map_get", 2, 0},
    {"Map.has_key", "sl::Map_has_key", 2, 0},
    {"Map.delete", "sl::Map_delete", 2, 0},
    {"Map.size", "sl::Map_size", 1, 0},
    {"Map.keys", "sl::Map_keys", 1, 0},
    {"Map.values", "sl::Map_values", 1, 0},
    {"Map.merge", "sl::Map_merge", 2, 0},
    {"Map.to_list", "sl::Map_to_list", 1, 0},
    {"Map.from_list", "sl::Map_from_list", 1, 0},
    // Set, Queue, Range, Tuple
    {"Set.new", "sl::Set_new", 0, 0},
    {"Set.add", "sl::Set_add", 2, 0},
    {"Set.remove", "sl::Set_remove", 2, 0},
    {"Set.contains", "sl::Set_contains", 2, 0},
    {"Set.size", "sl::Set_size", 1, 0},
    {"Set.union", "sl::Set_union", 2, 0},
    {"Set.intersection", "sl::Set_intersection", 2, 0},
    {"Set.difference", "sl::Set_difference", 2, 0},
    {"Set.to_list", "sl::Set_to_list", 1, 0},
    {"Set.from_list", "sl::Set_from_list", 1, 0},
    {"Queue.new", "sl::Queue_new", 0, 0},
    {"Queue.push", "sl::Queue_push", 2, 0},
    {"Queue.pop", "sl::Queue_pop", 1, 0},
    {"Queue.peek", "sl::Queue_peek", 1, 0},
    {"Queue.size", "sl::Queue_size", 1, 0},
    {"Queue.is_empty", "sl::Queue_is_empty", 1, 0},
    {"Range.new", "sl::Range_new", 2, 0},
    {"Range.to_list", "sl::Range_to_list", 1, 0},
    {"Range.length", "sl::Range_length", 1, 0},
    {"Range.map", "sl::Range_map", 2, S | A | E},
    {"Range.filter", "sl::Range_filter", 2, S | A | E},
    {"Tuple.first", "sl::Tuple_first", 1, 0},
    {"Tuple.second", "sl::Tuple_second", 1, 0},
    {"Tuple.nth", "sl::Tuple_nth", 2, 0},
    {"Tuple.size", "sl::Tuple_size", 1, 0},
    // Math, Int, Float
    {"Math.abs", "sl::Math_abs", 1, 0},
    {"Math.min", "sl::Math_min", 2, 0},
    {"Math.max", "sl::Math_max", 2, 0},
    {"Math.pow", "sl::Math_pow", 2, 0},
    {"Math.sqrt", "sl::Math_sqrt", 1, 0},
    {"Math.floor", "sl::Math_floor", 1, 0},
    {"Math.ceil", "sl::Math_ceil", 1, 0},
    {"Math.round", "sl::Math_round", 1, 0},
    {"Int.to_float", "sl::Int_to_float", 1, 0},
    {"Float.to_int", "sl::Float_to_int", 1, 0},
    // processes (snow.md#concurrency)
    {"Timer.sleep", "sl::sleep", 1, S | A | E},
    {"Timer.send_after", "sl::send_after", 3, S | E},
    {"Process.monitor", "sl::monitor", 1, S | E},
    {"Process.demonitor", "sl::demonitor", 1, S | E},
    {"Process.trap_exit", "sl::trap_exit", 0, S | E},
    {"Process.exit", "sl::exit", 2, S | E},
    {"Process.register", "sl::register_name", 2, S | E},
    {"Process.whereis", "sl::whereis", 1, S | E},
    {"Process.unregister", "sl::unregister_name", 1, S | E},
    {"Process.unlink", "sl::unlink", 1, S | E},
    {"Process.link", "sl::link", 1, S | E},
    {"Process.self", "sl::self_pid", 0, S},
    {"Job.async", "sl::Job_async", 1, S | E},
    {"Job.await", "sl::Job_await", 1, S | A | E},
    {"Job.await_timeout", "sl::Job_await_timeout", 2, S | A | E},
    {"Job.map", "sl::Job_map", 2, S | A | E},
    // distribution (snow.md#distribution): snow/lang/dist.hpp
    {"Node.start", "sl::dist::Node_start", 2, S | E},
    {"Node.connect", "sl::dist::Node_connect", 1, S | A | E},
    {"Node.self", "sl::dist::Node_self", 0, S},
    {"Node.list", "sl::dist::Node_list", 0, S | E},
    {"Node.monitor", "sl::dist::Node_monitor", 1, S | E},
    {"Global.register", "sl::dist::Global_register", 2, S | E},
    {"Global.whereis", "sl::dist::Global_whereis", 1, S | E},
    {"Global.unregister", "sl::dist::Global_unregister", 1, S | E},
    // legacy unqualified aliases (snow.md#prelude)
    {"string_length", "sl::String_length", 1, 0},
    {"string_slice", "sl::String_slice", 3, 0},
    {"string_contains", "sl::String_contains", 2, 0},
    {"string_starts_with", "sl::String_starts_with", 2, 0},
    {"string_ends_with", "sl::String_ends_with", 2, 0},
    {"string_trim", "sl::String_trim", 1, 0},
    {"string_to_upper", "sl::String_to_upper", 1, 0},
    {"string_to_lower", "sl::String_to_lower", 1, 0},
    {"string_replace", "sl::String_replace", 3, 0},
    {"string_split", "sl::String_split", 2, 0},
    {"string_join", "sl::String_join", 2, 0},
    {"string_to_int", "sl::String_to_int", 1, 0},
    {"string_to_float", "sl::String_to_float", 1, 0},
    {"io_read_line", "sl::IO_read_line", 0, S | E},
    {"io_eprintln", "sl::IO_eprintln", 1, S | E},
    {"env_get", "sl::Env_get", 1, 0},
    {"file_read", "sl::File_read", 1, E},
    {"file_write", "sl::File_write", 2, E},
    {"file_append", "sl::File_append", 2, E},
    {"file_exists", "sl::File_exists", 1, E},
    {"file_delete", "sl::File_delete", 1, E},
};

/// Signatures by C++ function, so an alias (`string_length`, `List.nth`) shares its
/// original's. Where the runtime is laxer than snow.md#standard-library (Math.pow takes any number, Tuple.first
/// any tuple), the signature is laxer too: a checked call must never fail at run time
/// only because the checker was stricter than the runtime.
const std::pair<const char*, const char*> kSignatures[] = {
    {"sl::println", "Fun(String) -> ()"},
    {"sl::print", "Fun(String) -> ()"},
    {"sl::compare", "Fun(a, a) -> Ordering"},
    {"sl::IO_eprintln", "Fun(String) -> ()"},
    {"sl::IO_read_line", "Fun() -> Result<String, String>"},
    {"sl::Env_get", "Fun(String) -> Option<String>"},
    {"sl::File_read", "Fun(String) -> Result<String, String>"},
    {"sl::File_write", "Fun(String, String) -> Result<(), String>"},
    {"sl::File_append", "Fun(String, String) -> Result<(), String>"},
    {"sl::File_exists", "Fun(String) -> Bool"},
    {"sl::File_delete", "Fun(String) -> Result<(), String>"},
    {"sl::String_length", "Fun(String) -> Int"},
    {"sl::String_slice", "Fun(String, Int, Int) -> String"},
    {"sl::String_contains", "Fun(String, String) -> Bool"},
    {"sl::String_starts_with", "Fun(String, String) -> Bool"},
    {"sl::String_ends_with", "Fun(String, String) -> Bool"},
    {"sl::String_trim", "Fun(String) -> String"},
    {"sl::String_to_upper", "Fun(String) -> String"},
    {"sl::String_to_lower", "Fun(String) -> String"},
    {"sl::String_replace", "Fun(String, String, String) -> String"},
    {"sl::String_split", "Fun(String, String) -> List<String>"},
    {"sl::String_join", "Fun(List<String>, String) -> String"},
    {"sl::String_to_int", "Fun(String) -> Option<Int>"},
    {"sl::String_to_float", "Fun(String) -> Option<Float>"},
    {"sl::List_new", "Fun() -> List<a>"},
    {"sl::List_length", "Fun(List<a>) -> Int"},
    {"sl::List_append", "Fun(List<a>, a) -> List<a>"},
    {"sl::List_head", "Fun(List<a>) -> a"},
    {"sl::List_tail", "Fun(List<a>) -> List<a>"},
    {"sl::List_last", "Fun(List<a>) -> a"},
    {"sl::List_get", "Fun(List<a>, Int) -> a"},
    {"sl::List_concat", "Fun(List<a>, List<a>) -> List<a>"},
    {"sl::List_reverse", "Fun(List<a>) -> List<a>"},
    {"sl::List_contains", "Fun(List<a>, a) -> Bool"},
    {"sl::List_zip", "Fun(List<a>, List<b>) -> List<(a, b)>"},
    {"sl::List_flatten", "Fun(List<List<a>>) -> List<a>"},
    {"sl::List_enumerate", "Fun(List<a>) -> List<(Int, a)>"},
    {"sl::List_take", "Fun(List<a>, Int) -> List<a>"},
    {"sl::List_drop", "Fun(List<a>, Int) -> List<a>"},
    {"sl::List_map", "Fun(List<a>, Fun(a) -> b) -> List<b>"},
    {"sl::List_filter", "Fun(List<a>, Fun(a) -> Bool) -> List<a>"},
    {"sl::List_reduce", "Fun(List<a>, b, Fun(b, a) -> b) -> b"},
    {"sl::List_sort", "Fun(List<a>, Fun(a, a) -> Int) -> List<a>"},
    {"sl::List_find", "Fun(List<a>, Fun(a) -> Bool) -> Option<a>"},
    {"sl::List_any", "Fun(List<a>, Fun(a) -> Bool) -> Bool"},
    {"sl::List_all", "Fun(List<a>, Fun(a) -> Bool) -> Bool"},
    {"sl::List_flat_map", "Fun(List<a>, Fun(a) -> List<b>) -> List<b>"},
    {"sl::Map_new", "Fun() -> Map<k, v>"},
    {"sl::Map_put", "Fun(Map<k, v>, k, v) -> Map<k, v>"},
    {"sl::Map_get", "Fun(Map<k, v>, k) -> v"},
    {"sl::Map_has_key", "Fun(Map<k, v>, k) -> Bool"},
    {"sl::Map_delete", "Fun(Map<k, v>, k) -> Map<k, v>"},
    {"sl::Map_size", "Fun(Map<k, v>) -> Int"},
    {"sl::Map_keys", "Fun(Map<k, v>) -> List<k>"},
    {"sl::Map_values", "Fun(Map<k, v>) -> List<v>"},
    {"sl::Map_merge", "Fun(Map<k, v>, Map<k, v>) -> Map<k, v>"},
    {"sl::Map_to_list", "Fun(Map<k, v>) -> List<(k, v)>"},
    {"sl::Map_from_list", "Fun(List<(k, v)>) -> Map<k, v>"},
    {"sl::Set_new", "Fun() -> Set"},
    {"sl::Set_add", "Fun(Set, Int) -> Set"},
    {"sl::Set_remove", "Fun(Set, Int) -> Set"},
    {"sl::Set_contains", "Fun(Set, Int) -> Bool"},
    {"sl::Set_size", "Fun(Set) -> Int"},
    {"sl::Set_union", "Fun(Set, Set) -> Set"},
    {"sl::Set_intersection", "Fun(Set, Set) -> Set"},
    {"sl::Set_difference", "Fun(Set, Set) -> Set"},
    {"sl::Set_to_list", "Fun(Set) -> List<Int>"},
    {"sl::Set_from_list", "Fun(List<Int>) -> Set"},
    {"sl::Queue_new", "Fun() -> Queue"},
    {"sl::Queue_push", "Fun(Queue, Int) -> Queue"},
    {"sl::Queue_pop", "Fun(Queue) -> (Int, Queue)"},
    {"sl::Queue_peek", "Fun(Queue) -> Int"},
    {"sl::Queue_size", "Fun(Queue) -> Int"},
    {"sl::Queue_is_empty", "Fun(Queue) -> Bool"},
    {"sl::Range_new", "Fun(Int, Int) -> Range"},
    {"sl::Range_to_list", "Fun(Range) -> List<Int>"},
    {"sl::Range_length", "Fun(Range) -> Int"},
    {"sl::Range_map", "Fun(Range, Fun(Int) -> a) -> List<a>"},
    {"sl::Range_filter", "Fun(Range, Fun(Int) -> Bool) -> List<Int>"},
    {"sl::Tuple_size", "Fun(_) -> Int"},
    {"sl::Math_abs", "Fun(a) -> a"},
    {"sl::Math_min", "Fun(a, a) -> a"},
    {"sl::Math_max", "Fun(a, a) -> a"},
    {"sl::Math_pow", "Fun(_, _) -> Float"},
    {"sl::Math_sqrt", "Fun(_) -> Float"},
    {"sl::Math_floor", "Fun(_) -> Int"},
    {"sl::Math_ceil", "Fun(_) -> Int"},
    {"sl::Math_round", "Fun(_) -> Int"},
    {"sl::Int_to_float", "Fun(Int) -> Float"},
    {"sl::Float_to_int", "Fun(Float) -> Int"},
    {"sl::sleep", "Fun(Int) -> ()"},
    {"sl::monitor", "Fun(_) -> Int"},
    {"sl::demonitor", "Fun(Int) -> Int"},
    {"sl::trap_exit", "Fun() -> ()"},
    {"sl::register_name", "Fun(String, _) -> Int"},
    {"sl::whereis", "Fun(String) -> Pid"},
    {"sl::unregister_name", "Fun(String) -> Int"},
    {"sl::self_pid", "Fun() -> Pid"},
    {"sl::Job_async", "Fun(Fun() -> a) -> Pid<a>"},
    {"sl::Job_await", "Fun(Pid<a>) -> Result<a, String>"},
    {"sl::Job_await_timeout", "Fun(Pid<a>, Int) -> Result<a, String>"},
    {"sl::Job_map", "Fun(List<a>, Fun(a) -> b) -> List<Result<b, String>>"},
    {"sl::dist::Global_register", "Fun(String, _) -> Int"},
    {"sl::dist::Global_whereis", "Fun(String) -> Pid"},
    {"sl::dist::Global_unregister", "Fun(String) -> Int"},
};

}  // namespace

const char* builtin_signature(const Builtin& b) {
  static const auto* index = [] {
    auto* m = new std::unordered_map<std::string, const char*>;
    for (const auto& [cpp, sig] : kSignatures) m->emplace(cpp, sig);
    return m;
  }();
  auto it = index->find(b.cpp);
  return it == index->end() ? nullptr : it->second;
}

const Builtin* find_builtin(const std::string& name) {
  static const auto* index = [] {
    auto* m = new std::unordered_map<std::string, const Builtin*>;
    for (const Builtin& b : kBuiltins) m->emplace(b.name, &b);
    return m;
  }();
  auto it = index->find(name);
  return it == index->end() ? nullptr : it->second;
}

bool is_std_module(const std::string& name) {
  static const char* const mods[] = {"String", "List", "Map", "Set", "IO", "Env", "File", "Math", "Int",
                                     "Float", "Timer", "Job", "Process", "Node", "Global", "Range", "Queue", "Tuple"};
  for (const char* m : mods) {
    if (name == m) return true;
  }
  return false;
}

const std::vector<BuiltinVariant>& builtin_variants() {
  static const std::vector<BuiltinVariant> all = {
      {"Option", "Some", 1}, {"Option", "None", 0},
      {"Result", "Ok", 1}, {"Result", "Err", 1},
      {"Ordering", "Less", 0}, {"Ordering", "Equal", 0}, {"Ordering", "Greater", 0},
      {"ExitReason", "Normal", 0}, {"ExitReason", "Shutdown", 0}, {"ExitReason", "Killed", 0},
      {"ExitReason", "Noproc", 0}, {"ExitReason", "Noconnection", 0}, {"ExitReason", "Error", 1},
      {"ExitReason", "Custom", 1}, {"ExitReason", "Linked", 2},
      {"Notification", "Exit", 2}, {"Notification", "Down", 3}, {"Notification", "NodeUp", 1},
      {"Notification", "NodeDown", 1},
  };
  return all;
}

bool is_builtin_variant(const std::string& name) {
  for (const BuiltinVariant& v : builtin_variants()) {
    if (name == v.name) return true;
  }
  return false;
}

}  // namespace snowc
