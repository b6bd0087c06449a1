// src/wire/type_registry.cpp: the wire types this program knows, for the fingerprint
// nodes exchange when they connect (node_info frames, src/dist/node_info.hpp).
#include <map>
#include <mutex>
#include <set>
#include <typeindex>

#include "snow/wire.hpp"

namespace snow::detail {

namespace {
struct Registry {
  std::mutex mu;
  std::map<std::string, std::string> layouts;          // name -> layout
  std::map<std::type_index, std::string> names;        // C++ type -> name
  std::map<std::string, std::string> cpp_names;        // demangled C++ name -> name
  // The fingerprint costs a search of every layout for every type's name, and a node
  // sends it on every connection (node_info): kept until the next registration.
  std::vector<std::pair<std::string, std::uint64_t>> fingerprint;
  bool fingerprint_current = false;
};
Registry& registry() {
  static Registry* r = new Registry;  // filled during static initialisation, never freed
  return *r;
}

/// FNV-1a: a digest that is the same in every build, unlike std::hash or absl::Hash.
std::uint64_t stable_digest(std::string_view s) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

bool is_identifier_char(char c) {
  return c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/// Whether `layout` mentions the C++ type `cpp_name` as a whole name (so "ns::Inner"
/// matches in "std::vector<ns::Inner>" but not in "ns::Inner2" or "x::ns::Inner").
bool mentions(std::string_view layout, std::string_view cpp_name) {
  for (std::size_t at = layout.find(cpp_name); at != std::string_view::npos; at = layout.find(cpp_name, at + 1)) {
    const std::size_t end = at + cpp_name.size();
    // Not part of a longer name: no identifier character or "::" on either side (a single
    // ':' before it is the layout's own field separator).
    const bool starts = at == 0 || (!is_identifier_char(layout[at - 1]) && !layout.substr(0, at).ends_with("::"));
    const bool ends = end == layout.size() || (!is_identifier_char(layout[end]) && layout[end] != ':');
    if (starts && ends) return true;
  }
  return false;
}

/// `name`'s layout followed by the layouts of every registered wire type it uses, directly
/// or through other wire types (each once, in name order), so that a nested type declared
/// differently on two nodes changes the digest of every type that contains it.
std::string closed_layout(const Registry& r, const std::string& name) {
  std::set<std::string> seen{name};
  std::vector<std::string> todo{name};
  while (!todo.empty()) {
    const std::string current = std::move(todo.back());
    todo.pop_back();
    const auto layout = r.layouts.find(current);
    if (layout == r.layouts.end()) continue;
    for (const auto& [cpp_name, used] : r.cpp_names) {
      if (!seen.contains(used) && mentions(layout->second, cpp_name)) {
        seen.insert(used);
        todo.push_back(used);
      }
    }
  }
  std::string out;
  out += r.layouts.at(name);
  for (const std::string& used : seen) {
    if (used != name && r.layouts.contains(used)) out += ";" + r.layouts.at(used);
  }
  return out;
}
}  // namespace

void register_wire_layout(std::string_view name, const std::type_info& type, std::string layout) {
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  r.layouts[std::string(name)] = std::move(layout);
  r.names[std::type_index(type)] = std::string(name);
  r.cpp_names[demangle(type)] = std::string(name);
  r.fingerprint_current = false;
}

void register_layout(std::string name, std::string layout) {
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  r.layouts[std::move(name)] = std::move(layout);
  r.fingerprint_current = false;
}

std::string wire_name_of(const std::type_info& type) {
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  auto it = r.names.find(std::type_index(type));
  return it == r.names.end() ? std::string() : it->second;
}

std::vector<std::pair<std::string, std::uint64_t>> wire_fingerprint() {
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  if (!r.fingerprint_current) {
    r.fingerprint.clear();
    for (auto& [name, layout] : r.layouts) r.fingerprint.emplace_back(name, stable_digest(closed_layout(r, name)));
    r.fingerprint_current = true;
  }
  return r.fingerprint;
}

}  // namespace snow::detail
