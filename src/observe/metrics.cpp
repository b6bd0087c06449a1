// src/observe/metrics.cpp: metrics(), and the two ways of showing them: the Prometheus
// text format and a top-like table.
#include <algorithm>
#include <cstdio>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "snow/node.hpp"
#include "snow/observe.hpp"
#include "snow/runtime.hpp"
#include "src/observe/process_info.hpp"
#include "src/runtime/runtime_core.hpp"
#include "src/runtime/strings.hpp"

namespace snow {

RuntimeMetrics metrics(Runtime& rt) {
  detail::RuntimeCore& core = rt.core();
  const internal::RuntimeObservations& obs = core.obs;
  RuntimeMetrics m;
  m.workers = rt.workers();
  m.spawned = core.spawned.load(std::memory_order_relaxed);
  detail::for_each_process(core, [&](detail::Process& p) {
    ++m.processes;
    if (p.is_host()) ++m.scoped_actors;
    ++m.by_status[static_cast<std::size_t>(detail::status_of(p.state.load(std::memory_order_relaxed)))];
    const std::uint64_t length = p.queue.size();
    m.mailbox_messages += length;
    m.mailbox_max = std::max(m.mailbox_max, length);
    m.messages_received_live += p.received.load(std::memory_order_relaxed);
  });
  m.run_queues = core.scheduler.run_queue_lengths();
  m.dead_letters.no_process = obs.dead_no_process.load(std::memory_order_relaxed);
  m.dead_letters.no_name = obs.dead_no_name.load(std::memory_order_relaxed);
  m.dead_letters.not_a_node = obs.dead_not_a_node.load(std::memory_order_relaxed);
  m.dead_letters.node = core.dead_letters.load(std::memory_order_relaxed);
  m.dropped_mailbox_full = core.dropped.load(std::memory_order_relaxed);
  m.unmatched_at_exit = obs.unmatched_at_exit.load(std::memory_order_relaxed);
  m.late_replies = obs.late_replies.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < m.log_messages.size(); ++i) {
    m.log_messages[i] = obs.log_messages[i].load(std::memory_order_relaxed);
  }
  m.histograms = core.options.histograms;
  if (m.histograms) {
    m.time_in_mailbox = obs.time_in_mailbox.snapshot();
    m.handling_time = obs.handling_time.snapshot();
  }
  if (absl::StatusOr<Node> node = Node::of(rt); node.ok()) {
    m.node = node->stats();
    m.peers = node->peers();
  }
  return m;
}

namespace {

using absl::string_view;  // Debian's Abseil has its own, distinct from std::string_view
using internal::to_absl;

// -- the Prometheus text format --

/// Label values may hold any UTF-8; the format escapes backslash, quote and newline.
std::string escape_label(string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  return out;
}

std::string format_double(double v) {
  if (v == std::numeric_limits<double>::infinity()) return "+Inf";
  return absl::StrFormat("%.9g", v);
}

class PrometheusWriter {
 public:
  using Labels = std::vector<std::pair<string_view, std::string>>;

  void family(string_view name, string_view type, string_view help) {
    absl::StrAppend(&out_, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
  }
  void sample(string_view name, const Labels& labels, string_view value) {
    out_.append(name.data(), name.size());
    if (!labels.empty()) {
      out_ += '{';
      for (std::size_t i = 0; i < labels.size(); ++i) {
        absl::StrAppend(&out_, i ? "," : "", labels[i].first, "=\"", escape_label(labels[i].second), "\"");
      }
      out_ += '}';
    }
    absl::StrAppend(&out_, " ", value, "\n");
  }
  void sample(string_view name, const Labels& labels, std::uint64_t value) {
    sample(name, labels, absl::StrCat(value));
  }
  void sample(string_view name, std::uint64_t value) { sample(name, {}, value); }
  /// One family with a single unlabelled sample.
  void single(string_view name, string_view type, string_view help, std::uint64_t value) {
    family(name, type, help);
    sample(name, value);
  }
  void histogram(string_view name, string_view help, const LatencyHistogram& h) {
    family(name, "histogram", help);
    const std::string bucket = absl::StrCat(name, "_bucket");
    std::uint64_t cumulative = 0;
    for (int i = 0; i < LatencyHistogram::kBuckets; ++i) {
      cumulative += h.counts[i];
      const absl::Duration bound = LatencyHistogram::upper_bound(i);
      const std::string le = bound == absl::InfiniteDuration() ? "+Inf" : format_double(absl::ToDoubleSeconds(bound));
      sample(bucket, {{"le", le}}, cumulative);
    }
    sample(absl::StrCat(name, "_sum"), {}, format_double(absl::ToDoubleSeconds(h.sum)));
    sample(absl::StrCat(name, "_count"), h.count);
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

}  // namespace

std::string prometheus_text(Runtime& rt) {
  const RuntimeMetrics m = metrics(rt);
  PrometheusWriter w;
  w.single("snow_workers", "gauge", "Worker threads of the runtime.", static_cast<std::uint64_t>(m.workers));
  w.single("snow_processes_spawned_total", "counter", "Processes spawned since the runtime started.", m.spawned);
  w.family("snow_processes", "gauge", "Live processes (ScopedActors included) by status.");
  for (ProcessStatus s : {ProcessStatus::waiting, ProcessStatus::runnable, ProcessStatus::running}) {
    w.sample("snow_processes", {{"status", std::string(to_absl(to_string(s)))}},
             m.by_status[static_cast<std::size_t>(s)]);
  }
  w.single("snow_scoped_actors", "gauge", "Live ScopedActors (host threads' mailboxes).", m.scoped_actors);
  w.single("snow_mailbox_messages", "gauge", "Messages waiting in all mailboxes.", m.mailbox_messages);
  w.single("snow_mailbox_messages_max", "gauge", "Messages waiting in the longest mailbox.", m.mailbox_max);
  w.family("snow_dead_letters_total", "counter", "Messages that reached no process, by reason.");
  w.sample("snow_dead_letters_total", {{"reason", "no_process"}}, m.dead_letters.no_process);
  w.sample("snow_dead_letters_total", {{"reason", "no_name"}}, m.dead_letters.no_name);
  w.sample("snow_dead_letters_total", {{"reason", "not_a_node"}}, m.dead_letters.not_a_node);
  w.sample("snow_dead_letters_total", {{"reason", "node"}}, m.dead_letters.node);
  w.family("snow_dropped_messages_total", "counter", "Messages refused by full bounded mailboxes.");
  w.sample("snow_dropped_messages_total", {{"reason", "mailbox_full"}}, m.dropped_mailbox_full);
  w.single("snow_unmatched_messages_total", "counter",
           "Messages left unmatched in the mailbox of a process that ended.", m.unmatched_at_exit);
  w.single("snow_late_replies_total", "counter", "Replies to calls that had timed out, discarded.", m.late_replies);
  w.family("snow_log_messages_total", "counter", "Lines given to the runtime's log sink, by level.");
  for (LogLevel level : {LogLevel::debug, LogLevel::info, LogLevel::warning, LogLevel::error}) {
    w.sample("snow_log_messages_total", {{"level", std::string(to_absl(to_string(level)))}},
             m.log_messages[static_cast<std::size_t>(level)]);
  }
  if (m.histograms) {
    w.histogram("snow_mailbox_time_seconds", "Time from a message's arrival in a mailbox to a receive taking it.",
                m.time_in_mailbox);
    w.histogram("snow_handling_time_seconds", "Time from a receive taking a message to the process's next receive.",
                m.handling_time);
  }
  if (m.node) {
    const NodeStats& n = *m.node;
    absl::StatusOr<Node> node = Node::of(rt);
    w.family("snow_node_info", "gauge", "This runtime's node name (value 1).");
    w.sample("snow_node_info", {{"node", node.ok() ? node->name() : std::string()}}, 1);
    w.single("snow_node_peers", "gauge", "Connected peer nodes.", m.peers.size());
    w.family("snow_node_frames_total", "counter", "Frames exchanged with other nodes.");
    w.sample("snow_node_frames_total", {{"direction", "in"}}, n.frames_in);
    w.sample("snow_node_frames_total", {{"direction", "out"}}, n.frames_out);
    w.family("snow_node_bytes_total", "counter", "Bytes exchanged with other nodes.");
    w.sample("snow_node_bytes_total", {{"direction", "in"}}, n.bytes_in);
    w.sample("snow_node_bytes_total", {{"direction", "out"}}, n.bytes_out);
    w.family("snow_node_messages_total", "counter", "Messages exchanged with other nodes.");
    w.sample("snow_node_messages_total", {{"direction", "in"}}, n.messages_in);
    w.sample("snow_node_messages_total", {{"direction", "out"}}, n.messages_out);
    w.family("snow_node_dropped_messages_total", "counter", "Messages for other nodes that were dropped, by reason.");
    w.sample("snow_node_dropped_messages_total", {{"reason", "unreachable"}}, n.dropped_unreachable);
    w.sample("snow_node_dropped_messages_total", {{"reason", "outbound_overflow"}}, n.dropped_overflow);
    w.sample("snow_node_dropped_messages_total", {{"reason", "connection_closed"}}, n.dropped_at_close);
    w.sample("snow_node_dropped_messages_total", {{"reason", "incomplete"}}, n.dropped_incomplete);
    w.sample("snow_node_dropped_messages_total", {{"reason", "type_mismatch"}}, n.dropped_mismatched);
    w.sample("snow_node_dropped_messages_total", {{"reason", "over_peer_limits"}}, n.refused_over_limits);
    w.sample("snow_node_dropped_messages_total", {{"reason", "undecodable"}}, n.dropped_undecodable);
    w.family("snow_node_remote_refused_total", "counter",
             "Messages this node sent that the receiving node dropped, as it reported back, by reason.");
    w.sample("snow_node_remote_refused_total", {{"reason", "mailbox_full"}}, n.remote_refused.mailbox_full);
    w.sample("snow_node_remote_refused_total", {{"reason", "no_process"}}, n.remote_refused.no_process);
    w.sample("snow_node_remote_refused_total", {{"reason", "undecodable"}}, n.remote_refused.undecodable);
    w.single("snow_node_refusal_notices_summarized_total", "counter",
             "Refusals of peers' plain sends reported in a per-second summary instead of one notice each.",
             n.notices_summarized);
    w.single("snow_node_refused_service_requests_total", "counter",
             "Service requests from other nodes refused here (not in remote_requests, or not converting).",
             n.refused_service_requests);
    w.sample("snow_node_dropped_messages_total", {{"reason", "inbound_at_close"}}, n.dropped_inbound_at_close);
    w.single("snow_node_handshakes_refused_total", "counter", "Connections refused during the handshake.",
             n.handshakes_refused);
    w.family("snow_node_handshake_refusals_total", "counter", "Connections refused during the handshake, by reason.");
    for (const auto& [reason, count] : {std::pair<const char*, std::uint64_t>{"malformed", n.refused.malformed},
                                        {"version", n.refused.version},
                                        {"name", n.refused.name},
                                        {"certificate", n.refused.certificate},
                                        {"proof", n.refused.proof},
                                        {"duplicate", n.refused.duplicate},
                                        {"timeout", n.refused.timeout},
                                        {"capacity", n.refused.capacity}}) {
      w.sample("snow_node_handshake_refusals_total", {{"reason", reason}}, count);
    }
    w.single("snow_node_handshakes_delayed_total", "counter",
             "Handshakes from addresses with recent failures, heard after a delay.", n.handshakes_delayed);
    w.family("snow_node_unauthenticated_closed_total", "counter",
             "Connections closed by admission control before they authenticated, by reason.");
    for (const auto& [reason, count] :
         {std::pair<const char*, std::uint64_t>{"evicted_total_cap", n.admission.evicted_total_cap},
          {"evicted_address_cap", n.admission.evicted_address_cap},
          {"silent", n.admission.closed_silent},
          {"tls_failed", n.admission.tls_failed},
          {"tls_timeout", n.admission.tls_timeout}}) {
      w.sample("snow_node_unauthenticated_closed_total", {{"reason", reason}}, count);
    }
    w.single("snow_node_protocol_errors_total", "counter", "Connections closed for a protocol error.",
             n.protocol_errors);
    w.single("snow_node_longest_tick_delay_microseconds", "gauge",
             "The longest the network thread was late for its periodic tick.", n.longest_tick_delay_us);
    w.single("snow_node_posts_taken_lingering_total", "counter",
             "Sends the network thread took while it lingered after a delivery, with no wake-up.",
             n.posts_taken_lingering);
    w.single("snow_node_node_names_refused_total", "counter",
             "Connections closed for naming more unconnected node lives than one peer may hold.",
             n.node_names_refused);
    w.single("snow_node_disconnected_slow_reader_total", "counter",
             "Connections closed because the peer did not read what this node sent.", n.disconnected_slow_reader);
    w.family("snow_node_discovery_total", "counter",
             "DNS discovery: lookups made, lookups failed, members dialled, records or polls ignored.");
    for (const auto& [event, count] : {std::pair<const char*, std::uint64_t>{"polls", n.discovery.polls},
                                       {"failures", n.discovery.failures},
                                       {"dialed", n.discovery.dialed},
                                       {"ignored", n.discovery.ignored}}) {
      w.sample("snow_node_discovery_total", {{"event", event}}, count);
    }
    if (!m.peers.empty()) {
      w.family("snow_peer_bytes_total", "counter", "Bytes exchanged with a peer over its current connection.");
      for (const PeerInfo& p : m.peers) {
        w.sample("snow_peer_bytes_total", {{"peer", p.name}, {"direction", "in"}}, p.bytes_in);
        w.sample("snow_peer_bytes_total", {{"peer", p.name}, {"direction", "out"}}, p.bytes_out);
      }
      w.family("snow_peer_queued_bytes", "gauge", "Bytes waiting in this node's outbound lanes for a peer.");
      for (const PeerInfo& p : m.peers) w.sample("snow_peer_queued_bytes", {{"peer", p.name}}, p.queued_bytes);
      w.family("snow_peer_remote_refused_total", "counter", "Messages to a peer that it dropped, as it reported back.");
      for (const PeerInfo& p : m.peers) w.sample("snow_peer_remote_refused_total", {{"peer", p.name}}, p.remote_refused);
      w.family("snow_peer_rtt_seconds", "gauge", "The last heartbeat round trip to a peer.");
      for (const PeerInfo& p : m.peers) {
        w.sample("snow_peer_rtt_seconds", {{"peer", p.name}}, format_double(absl::ToDoubleSeconds(p.rtt)));
      }
    }
  }
  return w.take();
}

// -- top --

namespace {

std::string human_bytes(std::uint64_t n) {
  if (n < 1024) return absl::StrCat(n, " B");
  if (n < (std::uint64_t{1} << 20)) return absl::StrFormat("%.1f KiB", static_cast<double>(n) / 1024);
  if (n < (std::uint64_t{1} << 30)) return absl::StrFormat("%.1f MiB", static_cast<double>(n) / (1 << 20));
  return absl::StrFormat("%.1f GiB", static_cast<double>(n) / (1 << 30));
}

/// The upper bound of the bucket holding quantile q: "p50 <= 16us".
std::string quantile_bound(const LatencyHistogram& h, double q) {
  if (h.count == 0) return "-";
  const auto rank = static_cast<std::uint64_t>(q * static_cast<double>(h.count - 1)) + 1;
  std::uint64_t seen = 0;
  for (int i = 0; i < LatencyHistogram::kBuckets; ++i) {
    seen += h.counts[i];
    if (seen >= rank) {
      const absl::Duration bound = LatencyHistogram::upper_bound(i);
      return bound == absl::InfiniteDuration() ? ">16s" : absl::StrCat("<=", absl::FormatDuration(bound));
    }
  }
  return "-";
}

std::string histogram_line(string_view what, const LatencyHistogram& h) {
  const std::string mean = h.count == 0 ? "-" : absl::FormatDuration(h.sum / static_cast<std::int64_t>(h.count));
  return absl::StrCat(what, ": ", h.count, " samples, mean ", mean, ", p50 ", quantile_bound(h, 0.5), ", p99 ",
                      quantile_bound(h, 0.99), "\n");
}

}  // namespace

std::string top_text(Runtime& rt, TopOptions options) {
  const RuntimeMetrics m = metrics(rt);
  std::vector<ProcessSummary> rows = processes(rt);
  std::string out = absl::StrCat(
      "snow: ", m.workers, " workers, ", m.processes, " processes (", m.by_status[0], " waiting, ", m.by_status[1],
      " runnable, ", m.by_status[2], " running; ", m.scoped_actors, " scoped actors), ", m.spawned, " spawned\n");
  absl::StrAppend(&out, "mailboxes: ", m.mailbox_messages, " messages, longest ", m.mailbox_max, "; dead letters ",
                  m.dead_letters.total(), " (no_process ", m.dead_letters.no_process, ", no_name ",
                  m.dead_letters.no_name, ", not_a_node ", m.dead_letters.not_a_node, ", node ", m.dead_letters.node,
                  "); dropped ", m.dropped_mailbox_full, "; unmatched at exit ", m.unmatched_at_exit,
                  "; late replies ", m.late_replies, "\n");
  if (m.histograms) {
    absl::StrAppend(&out, histogram_line("time in mailbox", m.time_in_mailbox),
                    histogram_line("handling time", m.handling_time));
  }
  if (m.node) {
    absl::StatusOr<Node> node = Node::of(rt);
    const NodeStats& n = *m.node;
    absl::StrAppend(&out, "node ", node.ok() ? node->name() : "?", ": ", m.peers.size(), " peers, in ",
                    human_bytes(n.bytes_in), " / ", n.messages_in, " messages, out ", human_bytes(n.bytes_out), " / ",
                    n.messages_out, " messages; dropped ", n.dropped_unreachable, " unreachable, ", n.dropped_overflow,
                    " overflow, ", n.dropped_at_close, " at close\n");
    for (const PeerInfo& p : m.peers) {
      absl::StrAppend(&out, "  peer ", p.name, ": rtt ", absl::FormatDuration(p.rtt), ", queued ",
                      human_bytes(p.queued_bytes), ", in ", human_bytes(p.bytes_in), ", out ", human_bytes(p.bytes_out),
                      "\n");
    }
  }

  const bool by_mailbox = options.order == TopOptions::Order::mailbox;
  std::stable_sort(rows.begin(), rows.end(), [by_mailbox](const ProcessSummary& a, const ProcessSummary& b) {
    if (by_mailbox && a.mailbox_length != b.mailbox_length) return a.mailbox_length > b.mailbox_length;
    if (a.reductions != b.reductions) return a.reductions > b.reductions;
    return a.mailbox_length > b.mailbox_length;
  });
  const std::size_t shown = options.limit == 0 ? rows.size() : std::min(options.limit, rows.size());
  absl::StrAppend(&out, "\n",
                  absl::StrFormat("%-16s %-24s %-9s %9s %9s %9s %12s %12s %10s\n", "PID", "NAME", "STATUS", "MAILBOX",
                                  "CAPACITY", "DROPPED", "REDUCTIONS", "RECEIVED", "MEMORY"));
  for (std::size_t i = 0; i < shown; ++i) {
    const ProcessSummary& r = rows[i];
    std::string name = r.name;
    if (name.empty() && r.scoped_actor) name = "(scoped actor)";
    if (name.empty() && r.system) name = "(system)";
    if (name.size() > 24) name = name.substr(0, 23) + "~";
    absl::StrAppend(&out, absl::StrFormat("%-16s %-24s %-9s %9d %9s %9d %12d %12d %10s\n", r.pid.to_string(), name,
                                          to_absl(to_string(r.status)), r.mailbox_length,
                                          r.mailbox_capacity == 0 ? std::string("-") : absl::StrCat(r.mailbox_capacity),
                                          r.dropped, r.reductions, r.messages_received, human_bytes(r.memory_bytes)));
  }
  if (shown < rows.size()) absl::StrAppend(&out, "... ", rows.size() - shown, " more\n");
  return out;
}

}  // namespace snow
