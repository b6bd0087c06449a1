// src/runtime/format.cpp: printing and small out-of-line helpers.
#include <cxxabi.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "snow/exit_reason.hpp"
#include "snow/log.hpp"
#include "snow/pid.hpp"
#include "snow/status.hpp"

namespace snow {

std::string Pid::to_string() const {
  if (is_local()) return absl::StrCat("<0.", serial(), ">");
  return absl::StrCat("<", node(), ".", serial(), ".", creation(), ">");
}

std::string Ref::to_string() const { return absl::StrCat("#Ref<", node(), ".", number(), ">"); }

std::string ExitReason::to_string() const {
  switch (kind_) {
    case Kind::normal: return "normal";
    case Kind::shutdown: return "shutdown";
    case Kind::kill: return "kill";
    case Kind::killed: return "killed";
    case Kind::noproc: return "noproc";
    case Kind::noconnection: return "noconnection";
    case Kind::error: return absl::StrCat("error(", text_, ")");
    case Kind::user: return value_->type->print(value_.get());
    case Kind::linked: return absl::StrCat("linked(", linked_->partner.to_string(), ", ", linked_->reason.to_string(), ")");
  }
  return "unknown";
}

ExitReason ExitReason::linked(Pid partner, ExitReason partner_reason) {
  auto wrap = [](Pid p, ExitReason inner) {
    ExitReason r(Kind::linked);
    r.linked_ = std::make_shared<const Linked>(Linked{p, std::move(inner)});
    return r;
  };
  int depth = 1;
  for (const ExitReason* r = &partner_reason; r->linked_; r = &r->linked_->reason) ++depth;
  if (depth <= kMaxLinkedDepth) return wrap(partner, std::move(partner_reason));
  // Too deep: keep the nearest hops and the process that failed first, drop the hops
  // just after it. Only a chain longer than the bound pays this (kMaxLinkedDepth wraps).
  std::vector<Pid> chain{partner};  // nearest first
  const ExitReason* origin = &partner_reason;
  while (origin->linked_) {
    chain.push_back(origin->linked_->partner);
    origin = &origin->linked_->reason;
  }
  chain.erase(chain.end() - static_cast<std::ptrdiff_t>(chain.size() - kMaxLinkedDepth) - 1, chain.end() - 1);
  ExitReason r = *origin;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) r = wrap(*it, std::move(r));
  return r;
}

std::string_view to_string(LogLevel level) {
  switch (level) {
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warning: return "warning";
    case LogLevel::error: return "error";
  }
  return "?";
}

namespace detail {

std::string demangle(const std::type_info& type) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> name(abi::__cxa_demangle(type.name(), nullptr, nullptr, &status), std::free);
  return status == 0 && name ? std::string(name.get()) : std::string(type.name());
}

void check_failed(const char* file, int line, const char* condition, const char* message) noexcept {
  std::fprintf(stderr, "snow: check failed at %s:%d: %s (%s)\n", file, line, message, condition);
  std::abort();
}

}  // namespace detail
}  // namespace snow
