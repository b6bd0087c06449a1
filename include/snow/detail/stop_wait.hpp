// snow/detail/stop_wait.hpp: asking a server to stop, and waiting until it has ended.
//
// Service::stop and stop_supervisor send a stop request like a call (the caller's Pid,
// the monitor's Ref as the request's ref, a deadline), but the server sends no reply:
// it ends, and the caller's monitor brings the answer. So when stop returns OK the
// server has run its terminate (or stopped its children) and has ended, as with
// gen_server:stop in Erlang (is_alive is false; a join may still see it for the moment
// the runtime takes to count it out). Whoever started the server, a host thread
// included, can stop it this way.
#pragma once

#include <optional>
#include <tuple>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "snow/actor.hpp"
#include "snow/detail/call.hpp"
#include "snow/scoped_actor.hpp"

namespace snow::detail {

/// OK when the server ended normally; NotFound if it was gone already; Aborted with
/// another reason; DeadlineExceeded if it is still running after `timeout`.
inline auto stop_clauses(Pid server, Ref ref, absl::Duration timeout, std::optional<absl::Status>& out) {
  return std::make_tuple(
      on<Down>([ref](const Down& d) { return d.ref == ref; },
               [&out, server](Down d) {
                 out.emplace(d.reason.is_normal() ? absl::OkStatus() : server_gone(server, d.reason));
               }),
      after(timeout, [&out, server, timeout] {
        out.emplace(absl::DeadlineExceededError(
            absl::StrCat(server.to_string(), " had not stopped after ", absl::FormatDuration(timeout))));
      }));
}

template <class Req>
Task<absl::Status> stop_and_wait(Self self, Pid server, Req request, absl::Duration timeout) {
  const Ref ref = self.monitor(server);
  request.from = self.pid();
  request.ref = ref;
  request.deadline = self.now() + timeout;
  self.send(server, std::move(request));
  std::optional<absl::Status> out;
  co_await std::apply([&](auto&&... c) { return self.receive(std::move(c)...); }, stop_clauses(server, ref, timeout, out))
      .since(ref);
  self.demonitor(ref);
  co_return std::move(*out);
}

template <class Req>
absl::Status stop_and_wait(const ScopedActor& me, Pid server, Req request, absl::Duration timeout) {
  const Ref ref = me.monitor(server);
  request.from = me.pid();
  request.ref = ref;
  request.deadline = me.runtime().now() + timeout;
  me.send(server, std::move(request));
  std::optional<absl::Status> out;
  std::apply([&](auto&&... c) { me.receive_since(ref, std::move(c)...); }, stop_clauses(server, ref, timeout, out));
  me.demonitor(ref);
  return std::move(*out);
}

}  // namespace snow::detail
