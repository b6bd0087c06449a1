// snow/detail/api_checks.hpp: compile-time checks that say what to write instead.
//
// A template that merely fails to match leaves the user with a page of candidates and
// substitution notes (a ChildSpec whose start returns a Service: dozens of lines about
// std::function). Each check here stops the mistake where the public API is called and
// names the fix in one line. They are classes or defaulted template arguments so that
// they fire during overload resolution, before the compiler reports anything else.
#pragma once

#include <concepts>
#include <functional>
#include <type_traits>
#include <utility>

#include "snow/actor.hpp"
#include "snow/pid.hpp"

namespace snow::detail {

/// Checks a request passed to Service<Impl>::call; `type` is void when it is one.
template <class Impl, class Req, bool callable, bool castable>
struct CallRequestCheck {
  static_assert(callable || !castable,
                "snow: this service handles that request only as a cast (handle_cast): send it with "
                "svc.cast(req), or give the service a handle_call for it");
  static_assert(callable || castable,
                "snow: this service has no handle_call for that request type: add "
                "`Reply handle_call(const Req&)` to the service, or call it with a request it handles");
  using type = void;
};

/// A value that names a process through `.pid()` (a Service, say) but is not a Pid.
template <class R>
concept HasPidMember = !std::same_as<std::remove_cvref_t<R>, Pid> && requires(const R& r) {
  { r.pid() } -> std::convertible_to<Pid>;
};

/// A ChildSpec's start function: a std::function<Pid(Self)> that refuses, with the fix,
/// a callable of another shape instead of failing inside std::function.
class StartFunction : public std::function<Pid(Self)> {
 public:
  using Base = std::function<Pid(Self)>;
  StartFunction() = default;
  StartFunction(std::nullptr_t) {}  // NOLINT: `.start = nullptr`
  StartFunction(Base f) : Base(std::move(f)) {}  // NOLINT: implicit, as the std::function it was
  template <class F>
    requires(!std::is_same_v<std::remove_cvref_t<F>, StartFunction> && !std::is_same_v<std::remove_cvref_t<F>, Base>)
  StartFunction(F&& f) : Base(checked(std::forward<F>(f))) {}  // NOLINT: `.start = [](snow::Self self) {...}`

 private:
  template <class F>
  static auto checked(F&& f) {
    if constexpr (std::is_invocable_v<std::decay_t<F>&, Self>) {
      using R = std::invoke_result_t<std::decay_t<F>&, Self>;
      static_assert(!HasPidMember<R>,
                    "snow: a ChildSpec start function returns the child's Pid: for a service, "
                    "return snow::spawn_service(self, impl).pid()");
      static_assert(HasPidMember<R> || std::is_convertible_v<R, Pid>,
                    "snow: a ChildSpec start function returns the Pid of the child it spawned, "
                    "e.g. `return self.spawn(body);` (it cannot co_await)");
    } else {
      static_assert(std::is_invocable_v<std::decay_t<F>&, Self>,
                    "snow: a ChildSpec start function is callable as start(snow::Self) and returns the child's Pid");
    }
    if constexpr (std::is_invocable_r_v<Pid, std::decay_t<F>&, Self>) {
      return std::forward<F>(f);
    } else {
      return [](Self) { return Pid(); };  // never runs: a static_assert above failed
    }
  }
};

}  // namespace snow::detail
