// snow/detail/runtime_api.hpp: the non-template core that public templates call.
//
// Public templates (send, spawn, receive) do only what needs the static type (box the
// value, pick the matching clause) and hand everything else to these functions, which
// are compiled once in src/runtime/. That keeps instantiations small: a receive with 32
// clauses instantiates 32 tiny matchers, not 32 copies of the mailbox.
#pragma once

#include <coroutine>
#include <cstdint>
#include <memory>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "snow/detail/message_node.hpp"
#include "snow/mailbox.hpp"
#include "snow/pid.hpp"
#include "snow/proc.hpp"
#include "snow/wire.hpp"  // sending encodes (encode_for_send) and boxes wire types

namespace snow {
class Self;
class Runtime;
}  // namespace snow

namespace snow::detail {

class Process;      // src/runtime/process.hpp
class RuntimeCore;  // src/runtime/runtime_core.hpp

// -- identity --
Pid pid_of(const Process* p) noexcept;
/// The process whose turn this thread is running, or null (a host thread, a worker
/// between turns). For code that is handed no Self, such as a user's `impl Eq` called
/// from inside a builtin.
Process* running_process() noexcept;
RuntimeCore& core_of(const Process* p) noexcept;
Runtime& runtime_of(const RuntimeCore& core) noexcept;
absl::Time now(const RuntimeCore& core) noexcept;

// -- sending: each consumes `node`, never fails, never blocks --
[[noreturn]] void throw_encode_error(const absl::Status& status);
/// Throws std::invalid_argument: `type` is not a wire type and `to` is on another node.
[[noreturn]] void fail_not_wire(Pid to, const std::type_info& type);
/// The call-site check of every send: a value that cannot cross nodes sent to a remote
/// Pid is an error where it is written (an exception; in a process, its exit), never a
/// silent drop. Wire types cost nothing here.
template <class T>
void check_sendable(Pid to) {
  if constexpr (!is_wire<std::remove_cvref_t<T>>) {
    if (!to.is_local()) [[unlikely]]
      fail_not_wire(to, typeid(std::remove_cvref_t<T>));
  }
}

void send(RuntimeCore& core, Pid to, MessageNode* node) noexcept;
/// send() from a process: faster when it sends to the same process again.
void send_from(Process* from, Pid to, MessageNode* node) noexcept;
/// Like send, but says what happened: NotFound (no such live process) or
/// ResourceExhausted (its mailbox is full). `from` may be null (a host thread).
absl::Status try_send(RuntimeCore& core, Process* from, Pid to, MessageNode* node) noexcept;
/// From a host thread: waits (until `deadline`) for room in a full mailbox.
/// DeadlineExceeded if there was none in time, NotFound if the process is gone.
absl::Status send_until(RuntimeCore& core, Pid to, MessageNode* node, absl::Time deadline) noexcept;
/// An acknowledged send to a Pid on another node, blocking a host thread for the far
/// node's answer (src/runtime/acked_send.cpp); `wait_for_room`: retry while it is full.
absl::Status send_acked_blocking(RuntimeCore& core, Pid to, MessageNode* node, absl::Duration timeout,
                                 bool wait_for_room) noexcept;
/// The same from a process, which waits as in a receive. A local `to`: try_send, after
/// waiting for room when `wait_for_room`.
Task<absl::Status> send_acked(Self self, Pid to, MessageNode* node, absl::Duration timeout, bool wait_for_room);
/// How long try_send to a remote Pid from a host thread waits for the far node's answer.
inline constexpr absl::Duration kDefaultAckTimeout = absl::Seconds(5);
void send_named(RuntimeCore& core, std::string_view name, MessageNode* node) noexcept;
/// Sends `encoded` (STF) to the process registered as `name` on node `node_name`; a dead
/// letter if this runtime is not a node or the node is not connected.
void send_named_remote(RuntimeCore& core, Pid from, std::string_view name, std::string_view node_name,
                       std::string encoded) noexcept;
/// Encodes a message for another node; throws std::invalid_argument if it cannot be
/// (invalid UTF-8, nesting too deep).
template <class T>
std::string encode_for_send(const T& value) {
  detail::require_wire<T>();
  std::string out;
  if (absl::Status st = encode_append(out, value); !st.ok()) throw_encode_error(st);
  return out;
}
[[noreturn]] void throw_encode_error(const absl::Status& status);
std::uint64_t send_after(RuntimeCore& core, absl::Duration delay, Pid to, MessageNode* node);

// -- spawning --
/// A process body with its arguments, owned by the process until it ends, so a lambda's
/// captures and reference parameters stay valid for the coroutine's whole life.
struct Body {
  virtual ~Body() = default;
  virtual Proc start(Self self) = 0;
  /// The bytes of this object (callable and arguments), for the process's memory figure.
  virtual std::size_t footprint() const noexcept = 0;
};
enum class SpawnRelation : std::uint8_t { none, link, monitor };
struct Spawned {
  Pid pid;
  Ref monitor;  // set for SpawnRelation::monitor
};
/// `parent` may be null (a host thread spawning) only with SpawnRelation::none.
/// `system`: one of the runtime's own service processes, which rt.join() does not wait for.
Spawned spawn(RuntimeCore& core, Process* parent, SpawnRelation relation, std::unique_ptr<Body> body,
              const SpawnOptions& options = {}, bool system = false);

// -- receiving --
/// One receive in progress. It lives in the awaiting coroutine's frame, so the runtime
/// may keep a pointer to it while the process waits.
struct ReceiveState {
  using Matcher = int (*)(const void* clauses, MessageNode* node);  // clause index or -1
  Matcher match = nullptr;
  const void* clauses = nullptr;
  absl::Duration timeout = absl::InfiniteDuration();
  std::uint64_t since = 0;  // raw Ref: scan from the marker made with that ref

  MessageNode* matched = nullptr;
  int clause = -1;
  bool timed_out = false;
  bool started = false;  // the first scan has run (it starts from the beginning or marker)
  std::uint64_t timer = 0;  // the armed timeout, 0 if none
  MessageNode** cursor = nullptr;  // where the scan resumes: nothing before it matches
};
/// Scans the mailbox (only messages this receive has not seen yet). True when the receive
/// is complete: a clause matched, or a zero timeout found nothing.
bool receive_try(Process* p, ReceiveState& state) noexcept;
/// Parks the process until a message matches or the timeout fires.
void receive_wait(Process* p, ReceiveState& state, std::coroutine_handle<> h) noexcept;
/// Requeues the process behind the others.
void yield(Process* p, std::coroutine_handle<> h) noexcept;
/// Counts one reduction; false when the turn's budget is spent (the caller should yield).
bool spend_reduction(Process* p) noexcept;

}  // namespace snow::detail
