// src/wire/type_registry.cpp: the wire types this program knows, for the fingerprint
// nodes compare when they connect (src/dist/cluster.cpp).
#include <map>
#include <mutex>
#include <typeindex>

#include "snow/wire.hpp"

namespace snow::detail {

namespace {
struct Registry {
  std::mutex mu;
  std::map<std::string, std::string> layouts;          // name -> layout
  std::map<std::type_index, std::string> names;        // C++ type -> name
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
}  // namespace

void register_wire_layout(std::string_view name, const std::type_info& type, std::string layout) {
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  r.layouts[std::string(name)] = std::move(layout);
  r.names[std::type_index(type)] = std::string(name);
}

void register_layout(std::string name, std::string layout) {
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  r.layouts[std::move(name)] = std::move(layout);
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
  std::vector<std::pair<std::string, std::uint64_t>> out;
  for (auto& [name, layout] : r.layouts) out.emplace_back(name, stable_digest(layout));
  return out;
}

}  // namespace snow::detail
