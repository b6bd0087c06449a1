// snow/detail/call.hpp: the request/reply protocol under services, supervisors and jobs.
//
// A call is: monitor the server (which also places the receive marker), send a request
// carrying the caller's Pid, a fresh Ref and the caller's deadline, then wait selectively
// — from the marker on, so a long mailbox costs nothing (both clauses test the Ref with
// has_ref, see receive.hpp) — for the CallReply with that Ref or the Down of that
// monitor, then demonitor. The monitor turns a dead or dying server
// into an error with its exit reason instead of a hang. No step looks at the messages
// queued before the call: the receive starts at the marker, and demonitor withdraws a
// Down already queued through an index instead of a search (src/runtime/queued_downs.hpp),
// so a call costs the same with 10,000 messages queued as with none. A caller that gives
// up (timeout) marks the Ref abandoned, and a reply arriving later is dropped as the
// caller's intake is drained, so it never lands in the mailbox as garbage.
//
// Requests are type-erased: the client instantiates, at the call site, the thunk that
// runs the server's handler for that request type, so the server needs no list of the
// types it accepts and a wrong request is a compile error where the call is written.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "snow/actor.hpp"
#include "snow/message.hpp"
#include "snow/monitor.hpp"
#include "snow/scoped_actor.hpp"

namespace snow {

/// The default time a call waits for its reply.
inline constexpr absl::Duration kDefaultCallTimeout = absl::Seconds(5);

namespace detail {

/// The answer to a request, whatever its type. One message type for every reply, so the
/// runtime can drop replies to abandoned calls without knowing their payload.
struct CallReply {
  Ref ref;
  Message payload;           // the reply value
  absl::Status status;       // not OK: the server could not serve the request
};

/// What a call returns: absl::Status for a handler returning void, else StatusOr<R>.
template <class R>
using CallResult = std::conditional_t<std::is_void_v<R>, absl::Status, absl::StatusOr<R>>;

/// A request for a server whose state has type `State`. `run` executes the request on
/// the state and answers its caller (see snow/detail/service_handler.hpp); it returns
/// what the server must still do (empty: nothing).
template <class State>
struct Request {
  using Runner = Message (*)(State& state, Request& request, Self self);
  Pid from;           // null for a cast
  Ref ref;            // null for a cast
  absl::Time deadline;
  Message payload;
  Runner run;
};

/// Marks `ref` as given up: a CallReply for it is dropped when it arrives.
void abandon_reply(Process* p, Ref ref) noexcept;

/// Turns a Down received during a call into the caller's error.
inline absl::Status server_gone(Pid server, const ExitReason& reason) {
  if (reason.is(ExitReason::Kind::noproc)) {
    return absl::NotFoundError(absl::StrCat("no process ", server.to_string()));
  }
  return absl::AbortedError(absl::StrCat("server ", server.to_string(), " exited: ", reason.to_string()));
}

inline const absl::Status& status_of(const absl::Status& s) { return s; }
template <class T>
const absl::Status& status_of(const absl::StatusOr<T>& s) { return s.status(); }

template <class Reply>
CallResult<Reply> unpack_reply(CallReply& r) {
  if (!r.status.ok()) return r.status;
  if constexpr (std::is_void_v<Reply>) {
    return absl::OkStatus();
  } else {
    Reply* value = r.payload.get<Reply>();
    if constexpr (is_wire<Reply> && !std::is_same_v<Reply, Term>) {
      // From a service on another node the reply arrives as the Term it was decoded to.
      if (const Term* term = r.payload.get<Term>()) {
        absl::StatusOr<Reply> converted = from_term<Reply>(*term);
        if (!converted.ok()) return absl::InternalError(absl::StrCat("reply from another node: ", converted.status().message()));
        return std::move(*converted);
      }
    }
    if (!value) {
      return absl::InternalError(absl::StrCat("reply of type ", r.payload.type_name(), " where ",
                                              demangle(typeid(Reply)), " was expected"));
    }
    return std::move(*value);
  }
}

/// The receive clauses of a call that waits for reply `ref` from the monitored `server`.
template <class Reply>
auto call_clauses(Pid server, Ref ref, absl::Duration timeout, std::optional<CallResult<Reply>>& out) {
  return std::make_tuple(
      on<CallReply>(has_ref(&CallReply::ref, ref), [&out](CallReply r) { out.emplace(unpack_reply<Reply>(r)); }),
      on<Down>(has_ref(&Down::ref, ref), [&out, server](Down d) { out.emplace(server_gone(server, d.reason)); }),
      after(timeout, [&out, server, timeout] {
        out.emplace(absl::DeadlineExceededError(
            absl::StrCat("no reply from ", server.to_string(), " within ", absl::FormatDuration(timeout))));
      }));
}

/// Sends `request` (any message with `from`, `ref` and `deadline` members, filled in
/// here) and waits for its reply, from a process.
template <class Reply, class Req>
Task<CallResult<Reply>> call(Self self, Pid server, Req request, absl::Duration timeout) {
  const Ref ref = self.monitor(server);
  request.from = self.pid();
  request.ref = ref;
  request.deadline = self.now() + timeout;
  self.send(server, std::move(request));
  std::optional<CallResult<Reply>> out;
  co_await std::apply([&](auto&&... c) { return self.receive(std::move(c)...); },
                      call_clauses<Reply>(server, ref, timeout, out))
      .since(ref);
  self.demonitor(ref);
  if (absl::IsDeadlineExceeded(status_of(*out))) abandon_reply(self.process(), ref);
  co_return std::move(*out);
}

/// The same, blocking a host thread.
template <class Reply, class Req>
CallResult<Reply> call(const ScopedActor& me, Pid server, Req request, absl::Duration timeout) {
  const Ref ref = me.monitor(server);
  request.from = me.pid();
  request.ref = ref;
  request.deadline = me.runtime().now() + timeout;
  me.send(server, std::move(request));
  std::optional<CallResult<Reply>> out;
  std::apply([&](auto&&... c) { me.receive_since(ref, std::move(c)...); },
             call_clauses<Reply>(server, ref, timeout, out));
  me.demonitor(ref);
  if (absl::IsDeadlineExceeded(status_of(*out))) abandon_reply(me.process(), ref);
  return std::move(*out);
}

/// Waits for a process started with an acknowledgement (a CallReply with `ack` whose
/// status says whether its start-up worked) while `watch` monitors it, so a crash
/// before the ack is an error rather than a hang. Used by start_service and
/// start_supervisor.
inline auto started_clauses(Pid pid, Ref ack, Ref watch) {
  return std::make_tuple(
      on<CallReply>([ack](const CallReply& r) { return r.ref == ack; }, [](CallReply r) { return r.status; }),
      on<Down>([watch](const Down& d) { return d.ref == watch; },
               [pid](Down d) { return server_gone(pid, d.reason); }));
}
inline Task<absl::Status> await_started(Self self, Pid pid, Ref ack, Ref watch) {
  absl::Status status =
      co_await std::apply([&](auto&&... c) { return self.receive(std::move(c)...); }, started_clauses(pid, ack, watch));
  self.demonitor(watch);
  co_return status;
}
inline absl::Status await_started(const ScopedActor& me, Pid pid, Ref ack, Ref watch) {
  absl::Status status =
      std::apply([&](auto&&... c) { return me.receive(std::move(c)...); }, started_clauses(pid, ack, watch));
  me.demonitor(watch);
  return status;
}

}  // namespace detail
}  // namespace snow
