// src/dist/send_outcomes.cpp: what became of a message sent to another node. The
// receiving side reports refusals back to the sender in send_result frames (paced for
// plain sends, summarized past a rate), and always answers an acknowledged send; the
// sending side counts the refusals and finishes the waiters of acknowledged sends (the
// frames themselves: src/dist/send_result.hpp).
//
// Separate because both ends of the exchange read best together, apart from the
// delivery they report on.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "src/dist/node_connection.hpp"
#include "src/dist/signal_frames.hpp"
#include "src/runtime/runtime_core.hpp"
#include "src/runtime/strings.hpp"

namespace snow::detail {

namespace {
// Each refusal a peer reports back, and the NodeStats counter that counts it (a
// delivery has none: count_remote_refusals leaves it out).
std::uint64_t NodeStats::RemoteRefusals::*remote_refusal_counter(dist::SendOutcome o) {
  using R = NodeStats::RemoteRefusals;
  switch (o) {
    case dist::SendOutcome::mailbox_full: return &R::mailbox_full;
    case dist::SendOutcome::no_process: return &R::no_process;
    case dist::SendOutcome::undecodable: return &R::undecodable;
    case dist::SendOutcome::delivered: break;
  }
  return nullptr;  // a delivery is not a refusal
}
}  // namespace

// -- what became of a peer's message --

void NodeCore::refuse_undecodable(Connection& c, std::uint64_t ticket, Pid to, const DecodeLimits& limits,
                                  const absl::Status& why) {
  counters_.add(&NodeStats::dropped_undecodable);
  core_.dead_letters.fetch_add(1, std::memory_order_relaxed);
  const auto [limit, value] = dist::classify_decode_failure(why, limits);
  answer_send(c, dist::SendResult{.ticket = ticket, .to = to.raw(), .outcome = dist::SendOutcome::undecodable,
                                  .limit = limit, .detail = value},
              internal::printable(internal::to_std(why.message())));
}

void NodeCore::answer_delivery(Connection& c, std::uint64_t ticket, Pid to, Delivery d) {
  dist::SendResult result{.ticket = ticket, .to = to.raw()};
  switch (d) {
    case Delivery::delivered: return answer_send(c, result, "");
    case Delivery::dead:
      result.outcome = dist::SendOutcome::no_process;
      return answer_send(c, result, absl::StrCat("no process ", to.to_string()));
    case Delivery::full: {
      ProcessRef p = core_.find(to);
      result.outcome = dist::SendOutcome::mailbox_full;
      result.detail = p ? p->capacity : 0;
      return answer_send(c, result, absl::StrCat("the mailbox of ", to.to_string(), " is full"));
    }
  }
}

void NodeCore::answer_send(Connection& c, dist::SendResult result, std::string_view refused_why) {
  if (result.outcome == dist::SendOutcome::undecodable) {
    log_connection("undecodable message", LogLevel::warning,
                   absl::StrCat("dropped a message from ", c.peer_name, " (the connection stays up): ", av(refused_why)));
  } else if (result.outcome != dist::SendOutcome::delivered) {
    log_connection("message refused", LogLevel::debug,
                   absl::StrCat("dropped a message from ", c.peer_name, ": ", av(refused_why)));
  }
  // Answers to acknowledged sends are one per request, each smaller than it; notices
  // about plain sends are paced, the rest reported in the next refusal_summary.
  if (result.ticket == 0 && !c.notices.take(result.outcome, transport_->now())) {
    counters_.add(&NodeStats::notices_summarized);
    return;
  }
  std::string frame = dist::write_send_result(result);
  // Bounded as data is: a peer that sends and never reads cannot park answers here.
  if (c.queued_bytes + frame.size() > options_.max_outbound_bytes) return;
  queue_control(c, std::move(frame));
  pump(c);
}

void NodeCore::count_remote_refusals(const Connection& c, dist::SendOutcome outcome, std::uint64_t n) {
  if (n == 0 || outcome == dist::SendOutcome::delivered) return;
  counters_.add(&NodeStats::remote_refused, remote_refusal_counter(outcome), n);
  std::lock_guard lock(table_mu_);
  nodes_[c.map.peer_index].stats.remote_refused += n;
}

void NodeCore::on_send_result(Connection& c, std::string_view body) {
  std::optional<dist::SendResult> r = dist::read_send_result(body);
  Pid to;
  if (!r || (r->to != 0 && !c.map.to_local_pid(Pid::from_raw(r->to), to))) {
    counters_.add(&NodeStats::protocol_errors);
    log_connection("bad frame", LogLevel::warning,
                   absl::StrCat("closing connection to ", c.peer_name, ": malformed send_result frame"));
    return close_conn(c, absl::InvalidArgumentError("malformed send_result frame"));
  }
  count_remote_refusals(c, r->outcome, 1);
  if (r->ticket != 0) {
    // An answer after the deadline, or for a ticket never given, finds nothing to finish.
    auto it = acked_sends_.find(r->ticket);
    if (it == acked_sends_.end() || it->second.conn != c.id) return;
    const Pid addressed = it->second.to;  // as the sender named it
    std::shared_ptr<AckWaiter> waiter = std::move(it->second.waiter);
    acked_sends_.erase(it);
    waiter->finish(dist::refusal_status(*r, c.peer_name, addressed));
    return;
  }
  log_connection("refused by peer", LogLevel::warning,
                 absl::StrCat("a message sent to ", c.peer_name, " was dropped there: ",
                              dist::refusal_status(*r, c.peer_name, to).message()));
}

void NodeCore::on_refusal_summary(Connection& c, std::string_view body) {
  std::optional<dist::RefusalCounts> counts = dist::read_refusal_summary(body);
  if (!counts) {
    counters_.add(&NodeStats::protocol_errors);
    log_connection("bad frame", LogLevel::warning,
                   absl::StrCat("closing connection to ", c.peer_name, ": malformed refusal_summary frame"));
    return close_conn(c, absl::InvalidArgumentError("malformed refusal_summary frame"));
  }
  std::uint64_t total = 0;
  for (int o = 0; o < dist::kSendOutcomes; ++o) {
    count_remote_refusals(c, static_cast<dist::SendOutcome>(o), (*counts)[o]);
    total += (*counts)[o];
  }
  log_connection("refused by peer", LogLevel::warning,
                 absl::StrCat(c.peer_name, " dropped ", total, " more messages from this node (",
                              (*counts)[static_cast<int>(dist::SendOutcome::mailbox_full)], " to full mailboxes, ",
                              (*counts)[static_cast<int>(dist::SendOutcome::no_process)], " to no process, ",
                              (*counts)[static_cast<int>(dist::SendOutcome::undecodable)], " undecodable)"));
}

// -- acknowledged sends: the sender's side --

absl::StatusOr<std::string> NodeCore::encode_acked(Pid from, Pid to, MessageNode* node) noexcept {
  const TypeInfo* type = node->type;
  if (type->is_signal || type->encode == nullptr) {
    const std::string what = demangle(*type->std_type);
    destroy(node);
    return absl::InvalidArgumentError(absl::StrCat("cannot send ", what, " to ", to.to_string(),
                                                   ": not a wire type (declare it with SNOW_WIRE)"));
  }
  FrameWriter w = dist::start_send_acked(from, to, 0);  // the ticket, set when the frame is queued
  const std::size_t header = w.buffer().size();
  absl::Status st = type->encode(node, w.buffer());
  destroy(node);
  // The same checks as a plain send's (route): the peer's fingerprint and limits.
  const std::string_view stf = std::string_view(w.buffer()).substr(header);
  const std::string_view type_name = dist::message_type_name(stf);
  if (st.ok()) st = check_send(to.node(), std::string(), type_name, stf);
  if (!st.ok()) {
    if (st.code() == absl::StatusCode::kResourceExhausted) {
      counters_.add(&NodeStats::refused_over_limits);
    }
    return absl::Status(st.code(), absl::StrCat("cannot send ", type_name.empty() ? "a message" : av(type_name), " to ",
                                                to.to_string(), " on ", node_of(to), ": ", st.message()));
  }
  return w.finish();
}

void NodeCore::send_acked(Pid from, Pid to, std::string frame, absl::Time deadline,
                          std::shared_ptr<AckWaiter> waiter) noexcept {
  post(SendAckedCommand{.from = from, .to = to, .frame = std::move(frame), .deadline = deadline, .waiter = std::move(waiter)});
}

void NodeCore::run(SendAckedCommand& c) {
  const Pid to = c.to;
  ConnId id = 0;
  bool dead_life = false;
  std::string node;
  {
    std::lock_guard lock(table_mu_);
    if (to.node() != 0 && to.node() < nodes_.size()) {
      const KnownNode& n = nodes_[to.node()];
      id = n.conn;
      node = n.name;
      dead_life = n.superseded || static_cast<std::uint8_t>(n.creation) != to.creation();
    }
  }
  Connection* conn = find_conn(id);
  if (dead_life) return c.waiter->finish(absl::NotFoundError(absl::StrCat("no process ", to.to_string(), " (", node, " has restarted since)")));
  if (conn == nullptr || conn->state != Connection::State::up) {
    return c.waiter->finish(absl::UnavailableError(absl::StrCat("not connected to ", node.empty() ? "its node" : node)));
  }
  if (conn->queued_bytes + c.frame.size() > options_.max_outbound_bytes) {
    return c.waiter->finish(absl::ResourceExhaustedError(
        absl::StrCat("the queue to ", node, " is over max_outbound_bytes (", options_.max_outbound_bytes, ")")));
  }
  const std::uint64_t ticket = next_ticket_++;
  dist::set_send_acked_ticket(c.frame, ticket);
  acked_sends_[ticket] = AckedSend{conn->id, to, c.deadline, std::move(c.waiter)};
  queue_stream(*conn, c.from, std::move(c.frame));
}

void NodeCore::finish_acked_sends(ConnId conn, absl::Time now) {
  std::vector<std::pair<std::shared_ptr<AckWaiter>, absl::Status>> done;
  for (auto it = acked_sends_.begin(); it != acked_sends_.end();) {
    AckedSend& a = it->second;
    if (conn != 0 && a.conn == conn) {
      done.emplace_back(std::move(a.waiter), absl::UnavailableError(absl::StrCat(
                                                 "the connection to ", node_of(a.to), " was lost before it answered")));
    } else if (conn == 0 && now >= a.deadline) {
      done.emplace_back(std::move(a.waiter), absl::DeadlineExceededError(absl::StrCat(
                                                 "no answer from ", node_of(a.to), " about the message to ", a.to.to_string())));
    } else {
      ++it;
      continue;
    }
    it = acked_sends_.erase(it);
  }
  for (auto& [waiter, status] : done) waiter->finish(status);
}

}  // namespace snow::detail
