// snow/scoped_actor.hpp: a host thread's own mailbox.
//
// A ScopedActor gives a thread that is not a process (main, a test, a callback from
// another library) a Pid, a mailbox and a blocking receive, so it can talk to processes
// with the same vocabulary they use:
//
//     snow::ScopedActor me(rt);
//     me.send(server, Get{me.pid()});
//     int64_t n = me.receive(snow::on<Value>([](Value v) { return v.n; }),
//                            snow::after(absl::Seconds(1), [] { return int64_t{-1}; }));
//
// It always traps exits: an exit signal arrives as an `Exit` message and never ends the
// host thread. Use it from one thread at a time; destroy it before its Runtime. When it
// is destroyed it ends like a process with reason normal (links and monitors fire).
// It is for threads that are not processes: creating one, or blocking in its receive,
// from code running inside a process throws std::logic_error (a process that blocks its
// worker this way could wait for itself; it has its Self and co_await instead).
// In a deterministic runtime, receive runs the runtime (and advances the virtual clock)
// until a clause matches or the timeout passes.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "snow/actor.hpp"
#include "snow/receive.hpp"
#include "snow/runtime.hpp"

namespace snow {

namespace detail {
Process* make_host_process(RuntimeCore& core);
void end_host_process(Process* p) noexcept;
/// Blocks the calling thread until `state` completes (match or timeout).
void host_receive(Process* p, ReceiveState& state);
/// Drops the message (queued now or arriving later) for which `matches(node, ref)` holds.
using ReplyMatcher = bool (*)(MessageNode* node, std::uint64_t ref);
void abandon_matching(Process* p, Ref ref, ReplyMatcher matches) noexcept;

template <class M>
struct ref_member;
template <class T>
struct ref_member<Ref T::*> {
  using message_type = T;
};
/// True for a message of the type `Field` belongs to whose `Field` is `ref`.
template <auto Field>
bool field_is_ref(MessageNode* node, std::uint64_t ref) {
  using T = typename ref_member<decltype(Field)>::message_type;
  return node->type == type_of<T>() && (unbox<T>(node).*Field).raw() == ref;
}
}  // namespace detail

class ScopedActor {
 public:
  explicit ScopedActor(Runtime& rt) : self_(detail::make_host_process(rt.core())) {}
  ScopedActor(const ScopedActor&) = delete;
  ScopedActor& operator=(const ScopedActor&) = delete;
  ~ScopedActor() { detail::end_host_process(self_.process()); }

  Pid pid() const { return self_.pid(); }
  detail::Process* process() const { return self_.process(); }
  Runtime& runtime() const { return self_.runtime(); }

  template <MessageType T>
  void send(Pid to, T&& msg) const { self_.send(to, std::forward<T>(msg)); }
  template <class Msg, MessageType T>
  void send(TypedPid<Msg> to, T&& msg) const { self_.send(to, std::forward<T>(msg)); }
  template <MessageType T>
  void send(std::string_view name, T&& msg) const { self_.send(name, std::forward<T>(msg)); }
  /// Sends to the process registered as `name` on another node (see Self::send).
  template <MessageType T>
  void send(std::string_view name, std::string_view node, T&& msg) const {
    self_.send(name, node, std::forward<T>(msg));
  }

  void link(Pid other) const { self_.link(other); }
  void unlink(Pid other) const { self_.unlink(other); }
  [[nodiscard]] Ref monitor(Pid target) const { return self_.monitor(target); }
  void demonitor(Ref ref) const { self_.demonitor(ref); }
  void exit(Pid target, ExitReason reason) const { self_.exit(target, std::move(reason)); }
  [[nodiscard]] Ref make_ref() const { return self_.make_ref(); }

  /// Blocks until a clause matches (see receive.hpp) and returns the handler's result.
  template <class... C>
  auto receive(C&&... clauses) const {
    auto awaiter = self_.receive(std::forward<C>(clauses)...);
    if (!awaiter.await_ready()) detail::host_receive(self_.process(), state_of(awaiter));
    return awaiter.await_resume();
  }
  /// Gives up on the reply that carries `ref` in its Ref member `Field`, after a receive
  /// for it timed out: `me.abandon<&Reply::tag>(tag)`. The reply is dropped, whether it
  /// is queued already or comes later, instead of staying in this mailbox for ever. (Calls
  /// made with snow::Service and the other call APIs do this by themselves.) A server that
  /// never replies leaves one small entry behind.
  template <auto Field>
  void abandon(Ref ref) const {
    detail::abandon_matching(self_.process(), ref, &detail::field_is_ref<Field>);
  }

  /// Kept for older code: receive(...) with `.since(ref)` (see receive.hpp).
  template <class... C>
  auto receive_since(Ref ref, C&&... clauses) const {
    auto awaiter = self_.receive(std::forward<C>(clauses)...).since(ref);
    if (!awaiter.await_ready()) detail::host_receive(self_.process(), state_of(awaiter));
    return awaiter.await_resume();
  }

 private:
  template <class A>
  static detail::ReceiveState& state_of(A& awaiter) { return awaiter.state(); }
  Self self_;
};

}  // namespace snow
