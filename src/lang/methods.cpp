// src/lang/methods.cpp: method syntax on values of standard types
// (include/snow/lang/methods.hpp), resolved by the value's kind at run time. Compiled
// once into libsnow_lang instead of into every generated program.
#include "snow/lang/methods.hpp"

#include <string>

namespace snow::lang {

Co<Value> method(Self self, std::string name, Value recv, Args args) {
  auto need = [&](std::size_t n) {
    if (args.size() != n) {
      fail("wrong number of arguments to method " + name + ": expected " + std::to_string(n) + ", found " +
           std::to_string(args.size()));
    }
  };
  auto a = [&](std::size_t i) -> const Value& { return args[i]; };
  if (name == "to_string") {
    need(0);
    co_return S(display(self, recv));
  }
  if (name == "inspect") {
    need(0);
    co_return S(debug(self, recv));
  }
  switch (recv.kind()) {
    case Kind::Str:
      if (name == "length") { need(0); co_return String_length(recv); }
      if (name == "slice") { need(2); co_return String_slice(recv, a(0), a(1)); }
      if (name == "contains") { need(1); co_return String_contains(recv, a(0)); }
      if (name == "starts_with") { need(1); co_return String_starts_with(recv, a(0)); }
      if (name == "ends_with") { need(1); co_return String_ends_with(recv, a(0)); }
      if (name == "trim") { need(0); co_return String_trim(recv); }
      if (name == "to_upper") { need(0); co_return String_to_upper(recv); }
      if (name == "to_lower") { need(0); co_return String_to_lower(recv); }
      if (name == "replace") { need(2); co_return String_replace(recv, a(0), a(1)); }
      if (name == "split") { need(1); co_return String_split(recv, a(0)); }
      if (name == "to_int") { need(0); co_return String_to_int(recv); }
      if (name == "to_float") { need(0); co_return String_to_float(recv); }
      break;
    case Kind::List:
      if (name == "length") { need(0); co_return List_length(recv); }
      if (name == "append") { need(1); co_return List_append(recv, a(0)); }
      if (name == "head") { need(0); co_return List_head(recv); }
      if (name == "tail") { need(0); co_return List_tail(recv); }
      if (name == "last") { need(0); co_return List_last(recv); }
      if (name == "get" || name == "nth") { need(1); co_return List_get(recv, a(0)); }
      if (name == "concat") { need(1); co_return List_concat(recv, a(0)); }
      if (name == "reverse") { need(0); co_return List_reverse(recv); }
      if (name == "contains") { need(1); co_return List_contains(recv, a(0)); }
      if (name == "zip") { need(1); co_return List_zip(recv, a(0)); }
      if (name == "flatten") { need(0); co_return List_flatten(recv); }
      if (name == "enumerate") { need(0); co_return List_enumerate(recv); }
      if (name == "take") { need(1); co_return List_take(recv, a(0)); }
      if (name == "drop") { need(1); co_return List_drop(recv, a(0)); }
      if (name == "join") { need(1); co_return String_join(recv, a(0)); }
      if (name == "map") { need(1); co_return co_await List_map(self, recv, a(0)); }
      if (name == "filter") { need(1); co_return co_await List_filter(self, recv, a(0)); }
      if (name == "reduce") { need(2); co_return co_await List_reduce(self, recv, a(0), a(1)); }
      if (name == "find") { need(1); co_return co_await List_find(self, recv, a(0)); }
      if (name == "any") { need(1); co_return co_await List_any(self, recv, a(0)); }
      if (name == "all") { need(1); co_return co_await List_all(self, recv, a(0)); }
      if (name == "flat_map") { need(1); co_return co_await List_flat_map(self, recv, a(0)); }
      if (name == "sort") { need(1); co_return co_await List_sort(self, recv, a(0)); }
      break;
    case Kind::Map:
      if (name == "put") { need(2); co_return Map_put(recv, a(0), a(1)); }
      if (name == "get") { need(1); co_return Map_get(recv, a(0)); }
      if (name == "has_key") { need(1); co_return Map_has_key(recv, a(0)); }
      if (name == "delete") { need(1); co_return Map_delete(recv, a(0)); }
      if (name == "size") { need(0); co_return Map_size(recv); }
      if (name == "keys") { need(0); co_return Map_keys(recv); }
      if (name == "values") { need(0); co_return Map_values(recv); }
      if (name == "merge") { need(1); co_return Map_merge(recv, a(0)); }
      if (name == "to_list") { need(0); co_return Map_to_list(recv); }
      break;
    case Kind::Set:
      if (name == "add") { need(1); co_return Set_add(recv, a(0)); }
      if (name == "remove") { need(1); co_return Set_remove(recv, a(0)); }
      if (name == "contains") { need(1); co_return Set_contains(recv, a(0)); }
      if (name == "size") { need(0); co_return Set_size(recv); }
      if (name == "union") { need(1); co_return Set_union(recv, a(0)); }
      if (name == "intersection") { need(1); co_return Set_intersection(recv, a(0)); }
      if (name == "difference") { need(1); co_return Set_difference(recv, a(0)); }
      if (name == "to_list") { need(0); co_return Set_to_list(recv); }
      break;
    case Kind::Range:
      if (name == "to_list") { need(0); co_return Range_to_list(recv); }
      if (name == "length") { need(0); co_return Range_length(recv); }
      if (name == "map") { need(1); co_return co_await Range_map(self, recv, a(0)); }
      if (name == "filter") { need(1); co_return co_await Range_filter(self, recv, a(0)); }
      break;
    default:
      break;
  }
  fail(std::string("no such method: ") + name + " on a " + kind_name(recv.kind()));
}
}  // namespace snow::lang
