// snow/receive.hpp: selective receive.
//
// `co_await self.receive(clauses...)` takes the oldest message in the mailbox that some
// clause accepts (clauses are tried in order, each with an optional guard), runs that
// clause's handler and returns its result. Every other message stays in the mailbox, in
// arrival order, for a later receive.
//
//     co_await self.receive(
//         snow::on<Pong>([&](const Pong& p) { return p.tag == tag; },   // guard
//                        [&](Pong p) { total += p.n; }),                // handler
//         snow::on<snow::Down>([&](snow::Down d) { ... }),
//         snow::any([&](snow::Message m) { ... }),                      // catch-all
//         snow::after(absl::Milliseconds(200), [&] { ... }));          // timeout
//
// Costs: a receive never looks at a message twice (it remembers where its scan stopped
// while it waits). A receive whose every clause tests one fresh ref with `snow::has_ref`
// starts its scan where that ref was made by `self.make_ref()` or `self.monitor()`,
// skipping every older message: none of them can hold a ref made after it. That is
// Erlang's receive-marker optimisation, applied, as in Erlang, only where it cannot change
// which message matches: waiting for the reply to a fresh request costs O(1) however long
// the mailbox is.
//
//     const snow::Ref tag = self.make_ref();
//     self.send(server, Request{self.pid(), tag});
//     co_await self.receive(snow::on<Reply>(snow::has_ref(&Reply::tag, tag), [&](Reply r) { ... }));
//
// A clause with any other guard (a lambda comparing the ref included: the receive cannot
// see inside it) or none makes the receive scan from the oldest message, so a Down or an
// Exit queued before the request is still seen. `.since(ref)` is kept for older code: it
// never skips more than the clauses allow.
//
// `after(d, fn)` runs fn if nothing matched within d; `after(absl::ZeroDuration(), fn)`
// polls. Without after, the receive waits for ever (a waiting process uses no CPU).
// Handlers return void or values of one common type, which the co_await yields.
#pragma once

#include <concepts>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

#include "absl/time/time.h"
#include "snow/detail/encoded_message.hpp"
#include "snow/detail/runtime_api.hpp"
#include "snow/message.hpp"

namespace snow {

namespace detail {

struct NoGuard {
  template <class T>
  constexpr bool operator()(const T&) const noexcept { return true; }
};

/// The guard made by snow::has_ref: the message's `field` equals `ref`. The receive can
/// see the ref, so it knows the clause cannot match a message older than the ref's marker.
template <class T>
struct RefGuard {
  Ref T::*field;
  Ref ref;
  bool operator()(const T& message) const noexcept { return message.*field == ref; }
};

/// The ref a clause is bound to (its guard is a RefGuard), or 0: it may match anything.
template <class Guard>
std::uint64_t bound_ref(const Guard&) noexcept { return 0; }
template <class T>
std::uint64_t bound_ref(const RefGuard<T>& guard) noexcept { return guard.ref.raw(); }

/// True for a snow::Task (a handler returning one would never run; service handlers
/// that are coroutines are awaited, detail/service_handler.hpp).
template <class T>
inline constexpr bool is_task = false;
template <class T, class Frames>
inline constexpr bool is_task<Task<T, Frames>> = true;

template <class Fn, class T>
decltype(auto) invoke_handler(Fn& fn, T&& value) {
  if constexpr (std::invocable<Fn&, T&&>) {
    return fn(std::forward<T>(value));
  } else {
    static_assert(std::invocable<Fn&>, "a receive handler takes the message (by value or reference) or nothing");
    return fn();
  }
}

template <class T, class Guard, class Fn>
struct OnClause {
  using value_type = T;
  // A message from another node arrives as its encoding (detail/encoded_message.hpp), or
  // as the Term it was decoded to (a reply to a call, a type the peer declares
  // differently, a large message). A clause for a wire type T takes either when it holds
  // a T (a struct of the same name and fields, an integer in range, ...). The value made
  // while matching is kept for the handler: matching stops at the first message a clause
  // takes.
  static constexpr bool kTakesRemote = is_wire<T>;
  static constexpr bool kTakesTerms = kTakesRemote && !std::is_same_v<T, Term>;
  OnClause(Guard g, Fn f) : guard(std::move(g)), fn(std::move(f)) {}
  // A clause is made in the receive's argument list and moved into its awaiter at once.
  // `converted` is still empty then (matching fills it), so the move leaves it out:
  // copied whole, the clause was read back in 16-byte loads over bytes just stored in
  // 1- and 8-byte pieces, which the processor cannot forward from its store buffer, and
  // every receive waited for those stores to reach the cache (in bench/snow_bench
  // pingpong, a sixth of all CPU samples fell on that copy).
  OnClause(OnClause&& other) noexcept(std::is_nothrow_move_constructible_v<Guard> &&
                                      std::is_nothrow_move_constructible_v<Fn>)
      : guard(std::move(other.guard)), fn(std::move(other.fn)) {}
  Guard guard;
  Fn fn;
  mutable std::optional<T> converted{};
  bool matches(MessageNode* node) const {
    if (node->type == type_of<T>()) return guard(static_cast<const T&>(unbox<T>(node)));
    if constexpr (kTakesRemote) {
      if (is_encoded(node)) return keep_if_guarded(decode_encoded<T>(node));
    }
    if constexpr (kTakesTerms) {
      if (node->type == type_of<Term>()) return matches_term(unbox<Term>(node));
    }
    return false;
  }
  bool matches_term(const Term& term) const {
    absl::StatusOr<T> value = snow::from_term<T>(term);
    return value.ok() && keep_if_guarded(std::optional<T>(std::move(*value)));
  }
  bool keep_if_guarded(std::optional<T>&& value) const {
    if (!value || !guard(static_cast<const T&>(*value))) return false;
    converted = std::move(value);
    return true;
  }
  std::uint64_t ref_bound() const noexcept { return bound_ref(guard); }
  decltype(auto) handle(MessageNode* node) {
    Message owner(node);  // frees the node once the handler has returned
    if constexpr (kTakesRemote) {
      if (node->type != type_of<T>()) {
        T value = std::move(*converted);
        converted.reset();
        return invoke_handler(fn, std::move(value));
      }
    }
    return invoke_handler(fn, std::move(unbox<T>(node)));
  }
};

template <class Fn>
struct AnyClause {
  Fn fn;
  bool matches(MessageNode*) const { return true; }
  std::uint64_t ref_bound() const noexcept { return 0; }
  // A message kept as its encoding is handed over as the Term it holds.
  decltype(auto) handle(MessageNode* node) { return invoke_handler(fn, Message(as_term_node(node))); }
};

template <class Fn>
struct AfterClause {
  absl::Duration timeout;
  Fn fn;
  bool matches(MessageNode*) const { return false; }  // takes no message
};

template <class C>
struct is_after : std::false_type {};
template <class Fn>
struct is_after<AfterClause<Fn>> : std::true_type {};

template <class C>
struct handler_result {
  using type = decltype(std::declval<C&>().handle(nullptr));
};
template <class Fn>
struct handler_result<AfterClause<Fn>> {
  using type = std::invoke_result_t<Fn&>;
};

/// What a receive whose handlers have no common result type yields: check_handlers
/// stops it with the fix, and this type keeps `auto r = co_await ...` from adding errors.
struct HandlersReturnDifferentTypes {};

/// The handlers' common result type (see above when there is none).
template <class... C>
struct common_result {
  using type = HandlersReturnDifferentTypes;
};
template <class... C>
  requires requires { typename std::common_type_t<typename handler_result<C>::type...>; }
struct common_result<C...> {
  using type = std::common_type_t<typename handler_result<C>::type...>;
};
template <class... C>
using receive_result_t = typename common_result<C...>::type;

/// Mistakes in a receive's handlers, each stopped here with the fix in one line.
template <class... C>
constexpr void check_handlers() {
  static_assert((!is_task<std::remove_cvref_t<typename handler_result<C>::type>> && ...),
                "snow: a receive handler cannot co_await (its Task would never run): return what you need "
                "from the handler and co_await after the receive");
  static_assert(requires { typename std::common_type_t<typename handler_result<C>::type...>; },
                "snow: the handlers of one receive return different types: make them return one type "
                "(or void), e.g. std::optional<T> or a std::variant");
}

/// The ref that every non-after clause is bound to, or 0 if some clause is not bound to it.
template <class... C>
std::uint64_t common_bound_ref(const std::tuple<C...>& clauses) noexcept {
  std::uint64_t ref = 0;
  bool all = true;
  std::apply([&](const auto&... c) {
    auto visit = [&](const auto& clause) {
      if constexpr (!is_after<std::remove_cvref_t<decltype(clause)>>::value) {
        const std::uint64_t r = clause.ref_bound();
        if (r == 0 || (ref != 0 && r != ref)) all = false;
        ref = r;
      }
    };
    (visit(c), ...);
  }, clauses);
  return all ? ref : 0;
}

/// The clause index that takes `node`, or -1. Non-after clauses are tried in order.
template <class... C, std::size_t... I>
int match_clauses(const std::tuple<C...>& clauses, MessageNode* node, std::index_sequence<I...>) {
  int found = -1;
  (void)((std::get<I>(clauses).matches(node) ? (found = static_cast<int>(I), true) : false) || ...);
  return found;
}

template <class... C>
int match_erased(const void* clauses, MessageNode* node) {
  return match_clauses(*static_cast<const std::tuple<C...>*>(clauses), node, std::index_sequence_for<C...>{});
}

/// Runs the handler of clause `index` on `node` (or the after handler, with a null node).
template <class R, std::size_t I = 0, class... C>
R dispatch(std::tuple<C...>& clauses, int index, MessageNode* node) {
  if constexpr (I == sizeof...(C)) {
    __builtin_unreachable();
  } else {
    using Clause = std::tuple_element_t<I, std::tuple<C...>>;
    if constexpr (std::is_same_v<R, HandlersReturnDifferentTypes>) {
      return R{};  // does not compile anyway: check_handlers has said why
    } else if constexpr (is_after<Clause>::value) {
      if (node == nullptr) return static_cast<R>(std::get<I>(clauses).fn());
    } else {
      if (index == static_cast<int>(I)) return static_cast<R>(std::get<I>(clauses).handle(node));
    }
    return dispatch<R, I + 1>(clauses, index, node);
  }
}

template <class C>
absl::Duration after_timeout(const C& c) {
  if constexpr (is_after<C>::value) return c.timeout; else return absl::InfiniteDuration();
}

template <class... C>
absl::Duration timeout_of(const std::tuple<C...>& clauses) {
  absl::Duration t = absl::InfiniteDuration();
  std::apply([&](const auto&... c) {
    ((is_after<std::remove_cvref_t<decltype(c)>>::value ? (void)(t = after_timeout(c)) : (void)0), ...);
  }, clauses);
  return t;
}

}  // namespace detail

/// Accepts a message of type `T`.
template <class T, class Fn>
auto on(Fn&& fn) {
  return detail::OnClause<T, detail::NoGuard, std::decay_t<Fn>>(detail::NoGuard{}, std::forward<Fn>(fn));
}
/// Accepts a message of type `T` for which `guard(const T&)` is true.
template <class T, class Guard, class Fn>
auto on(Guard&& guard, Fn&& fn) {
  return detail::OnClause<T, std::decay_t<Guard>, std::decay_t<Fn>>(std::forward<Guard>(guard), std::forward<Fn>(fn));
}
/// A guard for on<T>: the message's Ref member `field` equals `ref`,
/// `on<Reply>(snow::has_ref(&Reply::tag, tag), handler)`. When every clause of a receive
/// tests the same fresh ref this way, the receive skips the messages older than the ref.
template <class T>
detail::RefGuard<T> has_ref(Ref T::*field, Ref ref) {
  return {field, ref};
}
/// Accepts any message; the handler gets it as a snow::Message.
template <class Fn>
auto any(Fn&& fn) {
  return detail::AnyClause<std::decay_t<Fn>>{std::forward<Fn>(fn)};
}
/// Runs `fn` when nothing matched within `timeout`. Zero polls; must be the last clause.
template <class Fn>
auto after(absl::Duration timeout, Fn&& fn) {
  return detail::AfterClause<std::decay_t<Fn>>{timeout, std::forward<Fn>(fn)};
}

namespace detail {

template <class... C>
class [[nodiscard("co_await the receive: `co_await self.receive(...)` (without co_await nothing is received)")]]
ReceiveAwaiter {
 public:
  using result_type = receive_result_t<C...>;

  ReceiveAwaiter(Process* process, C&&... clauses) : process_(process), clauses_(std::move(clauses)...) {
    static_assert((static_cast<int>(is_after<C>::value) + ... + 0) <= 1, "a receive takes at most one after clause");
    check_handlers<C...>();
    state_.match = &match_erased<C...>;
    state_.clauses = &clauses_;
    state_.timeout = timeout_of(clauses_);
    state_.since = common_bound_ref(clauses_);  // 0 (the oldest message) unless every clause tests one ref
  }
  ReceiveAwaiter(const ReceiveAwaiter&) = delete;
  // Moving is allowed only before the receive starts (ScopedActor moves it into a local);
  // the state must then point at the moved clauses.
  ReceiveAwaiter(ReceiveAwaiter&& other) noexcept
      : process_(other.process_), clauses_(std::move(other.clauses_)), state_(other.state_) {
    state_.clauses = &clauses_;
  }

  /// Kept for older code: the scan starts at `ref`'s marker only when every clause tests
  /// `ref` with has_ref (see above), which the receive does by itself. A clause that could
  /// match an older message (a Down, an Exit, a guard the receive cannot see into) still
  /// sees it: since() never changes which message matches.
  ReceiveAwaiter&& since(Ref ref) && {
    if (common_bound_ref(clauses_) != ref.raw()) state_.since = 0;
    return std::move(*this);
  }
  /// For the library's own waits only (a Job's await): starts at `ref`'s marker whatever
  /// the clauses, because the library knows every ref they test was made after it.
  ReceiveAwaiter&& from_marker_unchecked(Ref ref) && {
    state_.since = ref.raw();
    return std::move(*this);
  }

  bool await_ready() noexcept { return receive_try(process_, state_); }
  void await_suspend(std::coroutine_handle<> h) noexcept { receive_wait(process_, state_, h); }
  /// For ScopedActor, which drives the receive without a coroutine.
  ReceiveState& state() { return state_; }

  result_type await_resume() {
    if (state_.timed_out) return dispatch<result_type>(clauses_, -1, nullptr);
    return dispatch<result_type>(clauses_, state_.clause, state_.matched);
  }

 private:
  Process* process_;
  std::tuple<C...> clauses_;
  ReceiveState state_;
};

struct [[nodiscard("co_await the tick: `co_await self.tick()`")]] TickAwaiter {
  Process* process;
  bool await_ready() const noexcept { return spend_reduction(process); }
  void await_suspend(std::coroutine_handle<> h) const noexcept { yield(process, h); }
  void await_resume() const noexcept {}
};

struct [[nodiscard("co_await the yield: `co_await self.yield()`")]] YieldAwaiter {
  Process* process;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) const noexcept { yield(process, h); }
  void await_resume() const noexcept {}
};

}  // namespace detail
}  // namespace snow
