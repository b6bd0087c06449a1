// src/observe/observer_api.cpp: see observer_api.hpp.
#include "src/observe/observer_api.hpp"

#include <algorithm>
#include <cstdio>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "snow/node.hpp"
#include "snow/observe.hpp"
#include "snow/runtime.hpp"

namespace snow::internal {

namespace {

/// A JSON text written in order: the caller opens and closes objects and arrays, the
/// writer puts the commas. Strings are escaped (any byte below 0x20, quote, backslash);
/// names and reasons may hold anything a program put in them.
class JsonWriter {
 public:
  JsonWriter& begin_object() { return open('{'); }
  JsonWriter& end_object() { return close('}'); }
  JsonWriter& begin_array() { return open('['); }
  JsonWriter& end_array() { return close(']'); }
  JsonWriter& key(std::string_view k) {
    comma();
    string_literal(k);
    out_ += ':';
    after_key_ = true;
    return *this;
  }
  JsonWriter& value(std::string_view v) {
    comma();
    string_literal(v);
    return *this;
  }
  JsonWriter& value(const char* v) { return value(std::string_view(v)); }
  JsonWriter& value(std::uint64_t v) { return raw(absl::StrCat(v)); }
  JsonWriter& value(int v) { return raw(absl::StrCat(v)); }
  JsonWriter& value(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return raw(buf);
  }
  JsonWriter& value(bool v) { return raw(v ? "true" : "false"); }
  JsonWriter& null() { return raw("null"); }
  /// A Pid as an object's two fields: "pid" (as shown) and "id" (for API paths).
  JsonWriter& pid_fields(Pid p, std::string_view prefix = "") {
    key(std::string(prefix) + "pid");
    p ? value(p.to_string()) : null();
    key(std::string(prefix) + "id");
    return p ? value(absl::StrCat(p.raw())) : null();
  }
  std::string take() { return std::move(out_); }

 private:
  JsonWriter& open(char c) {
    comma();
    out_ += c;
    first_ = true;
    return *this;
  }
  JsonWriter& close(char c) {
    out_ += c;
    first_ = false;
    return *this;
  }
  JsonWriter& raw(std::string_view text) {
    comma();
    out_.append(text);
    return *this;
  }
  void comma() {
    if (after_key_) {
      after_key_ = false;
      first_ = false;
      return;
    }
    if (!first_ && !out_.empty()) out_ += ',';
    first_ = false;
  }
  void string_literal(std::string_view s) {
    out_ += '"';
    for (unsigned char c : s) {
      switch (c) {
        case '"': out_ += "\\\""; break;
        case '\\': out_ += "\\\\"; break;
        case '\n': out_ += "\\n"; break;
        case '\r': out_ += "\\r"; break;
        case '\t': out_ += "\\t"; break;
        default:
          if (c < 0x20 || c == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out_ += buf;
          } else {
            out_ += static_cast<char>(c);  // UTF-8 passes through; invalid bytes too (browsers replace them)
          }
      }
    }
    out_ += '"';
  }

  std::string out_;
  bool first_ = true;
  bool after_key_ = false;
};

double ms(absl::Duration d) { return absl::ToDoubleMilliseconds(d); }
std::uint64_t unix_ms(absl::Time t) { return static_cast<std::uint64_t>(absl::ToUnixMillis(t)); }

void summary_fields(JsonWriter& j, const ProcessSummary& p, const absl::flat_hash_set<Pid>& supervisors) {
  j.pid_fields(p.pid);
  j.key("name").value(p.name);
  j.key("status").value(to_string(p.status));
  j.key("system").value(p.system);
  j.key("scoped_actor").value(p.scoped_actor);
  j.key("supervisor").value(supervisors.contains(p.pid));
  j.key("mailbox").value(static_cast<std::uint64_t>(p.mailbox_length));
  j.key("mailbox_capacity").value(static_cast<std::uint64_t>(p.mailbox_capacity));
  j.key("dropped").value(p.dropped);
  j.key("reductions").value(p.reductions);
  j.key("messages_received").value(p.messages_received);
  j.key("memory_bytes").value(static_cast<std::uint64_t>(p.memory_bytes));
}

absl::flat_hash_set<Pid> supervisor_pids(Runtime& rt) {
  absl::flat_hash_set<Pid> out;
  for (const SupervisorSummary& s : supervisors(rt)) out.insert(s.pid);
  return out;
}

void histogram(JsonWriter& j, std::string_view name, const LatencyHistogram& h) {
  j.key(name).begin_object();
  j.key("count").value(h.count);
  j.key("sum_ms").value(ms(h.sum));
  j.key("bounds_ms").begin_array();
  for (int i = 0; i < LatencyHistogram::kBuckets; ++i) {
    const absl::Duration b = LatencyHistogram::upper_bound(i);
    b == absl::InfiniteDuration() ? j.null() : j.value(ms(b));
  }
  j.end_array();
  j.key("counts").begin_array();
  for (std::uint64_t c : h.counts) j.value(c);
  j.end_array();
  j.end_object();
}

}  // namespace

std::optional<Pid> parse_process_id(std::string_view text) {
  std::uint64_t raw = 0;
  if (text.empty() || text.size() > 20 || !absl::SimpleAtoi(std::string(text), &raw)) return std::nullopt;
  const Pid pid = Pid::from_raw(raw);
  if (!pid || !pid.is_local()) return std::nullopt;
  return pid;
}

std::string node_json(Runtime& rt) {
  JsonWriter j;
  j.begin_object();
  j.key("now_ms").value(unix_ms(absl::Now()));
  j.key("workers").value(rt.workers());
  absl::StatusOr<Node> node = Node::of(rt);
  j.key("node");
  if (!node.ok()) {
    j.null();
  } else {
    const NodeStats st = node->stats();
    j.begin_object();
    j.key("name").value(node->name());
    j.key("bytes_in").value(st.bytes_in);
    j.key("bytes_out").value(st.bytes_out);
    j.key("messages_in").value(st.messages_in);
    j.key("messages_out").value(st.messages_out);
    j.key("handshakes_refused").value(st.handshakes_refused);
    j.end_object();
  }
  j.key("peers").begin_array();
  if (node.ok()) {
    for (const PeerInfo& p : node->peers()) {
      j.begin_object();
      j.key("name").value(p.name);
      j.key("connected").value(true);  // Node::peers lists the connected ones
      j.key("rtt_ms");
      p.rtt == absl::ZeroDuration() ? j.null() : j.value(ms(p.rtt));
      j.key("bytes_in").value(p.bytes_in);
      j.key("bytes_out").value(p.bytes_out);
      j.key("queued_bytes").value(static_cast<std::uint64_t>(p.queued_bytes));
      j.key("remote_refused").value(p.remote_refused);
      j.end_object();
    }
  }
  j.end_array();
  j.key("history").begin_array();
  if (node.ok()) {
    for (const NodeEvent& e : node->history()) {
      j.begin_object();
      j.key("at_ms").value(unix_ms(e.at));
      j.key("node").value(e.node);
      j.key("event").value(e.up ? "up" : "down");
      j.key("reason").value(e.reason);
      j.end_object();
    }
  }
  j.end_array();
  j.end_object();
  return j.take();
}

std::string processes_json(Runtime& rt, std::size_t limit) {
  std::vector<ProcessSummary> all = processes(rt);
  const std::size_t total = all.size();
  if (all.size() > limit) {
    std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(limit), all.end(),
                      [](const ProcessSummary& a, const ProcessSummary& b) {
                        return a.mailbox_length != b.mailbox_length ? a.mailbox_length > b.mailbox_length
                                                                    : a.pid < b.pid;
                      });
    all.resize(limit);
    std::sort(all.begin(), all.end(), [](const ProcessSummary& a, const ProcessSummary& b) { return a.pid < b.pid; });
  }
  const absl::flat_hash_set<Pid> sups = supervisor_pids(rt);
  JsonWriter j;
  j.begin_object();
  j.key("total").value(static_cast<std::uint64_t>(total));
  j.key("truncated").value(total > all.size());
  j.key("processes").begin_array();
  for (const ProcessSummary& p : all) {
    j.begin_object();
    summary_fields(j, p, sups);
    j.end_object();
  }
  j.end_array();
  j.end_object();
  return j.take();
}

absl::StatusOr<std::string> process_json(Runtime& rt, Pid pid, absl::Duration timeout) {
  absl::StatusOr<ProcessInfo> info = process_info(rt, pid, timeout);
  if (!info.ok()) return info.status();
  const absl::flat_hash_set<Pid> sups = supervisor_pids(rt);
  JsonWriter j;
  j.begin_object();
  summary_fields(j, *info, sups);
  j.key("traps_exits").value(info->traps_exits);
  const auto pids = [&](std::string_view name, const std::vector<Pid>& list) {
    j.key(name).begin_array();
    for (Pid p : list) {
      j.begin_object();
      j.pid_fields(p);
      j.end_object();
    }
    j.end_array();
  };
  pids("links", info->links);
  pids("monitors", info->monitors);
  pids("monitored_by", info->monitored_by);
  j.end_object();
  return j.take();
}

std::string supervisors_json(Runtime& rt) {
  JsonWriter j;
  j.begin_object();
  j.key("supervisors").begin_array();
  for (const SupervisorSummary& s : supervisors(rt)) {
    j.begin_object();
    j.pid_fields(s.pid);
    j.pid_fields(s.parent, "parent_");
    j.key("strategy").value(s.strategy);
    j.key("restarts").value(s.restarts);
    j.key("children").begin_array();
    for (const SupervisorChildSummary& c : s.children) {
      j.begin_object();
      j.key("child_id").value(c.id);
      j.pid_fields(c.pid);
      j.key("type").value(c.supervisor ? "supervisor" : "worker");
      j.key("restart").value(c.restart);
      j.key("restarts").value(c.restarts);
      j.key("last_exit_reason").value(c.last_exit_reason);
      j.end_object();
    }
    j.end_array();
    j.end_object();
  }
  j.end_array();
  j.end_object();
  return j.take();
}

std::string metrics_json(Runtime& rt, std::uint64_t refused_actions) {
  const RuntimeMetrics m = metrics(rt);
  JsonWriter j;
  j.begin_object();
  j.key("now_ms").value(unix_ms(absl::Now()));
  j.key("workers").value(m.workers);
  j.key("spawned").value(m.spawned);
  j.key("processes").value(m.processes);
  j.key("scoped_actors").value(m.scoped_actors);
  j.key("by_status").begin_object();
  for (int s = 0; s < 3; ++s) j.key(to_string(static_cast<ProcessStatus>(s))).value(m.by_status[s]);
  j.end_object();
  j.key("mailbox_messages").value(m.mailbox_messages);
  j.key("mailbox_max").value(m.mailbox_max);
  j.key("messages_received_live").value(m.messages_received_live);
  j.key("dead_letters").begin_object();
  j.key("no_process").value(m.dead_letters.no_process);
  j.key("no_name").value(m.dead_letters.no_name);
  j.key("not_a_node").value(m.dead_letters.not_a_node);
  j.key("node").value(m.dead_letters.node);
  j.end_object();
  j.key("dropped_mailbox_full").value(m.dropped_mailbox_full);
  j.key("unmatched_at_exit").value(m.unmatched_at_exit);
  j.key("late_replies").value(m.late_replies);
  j.key("run_queues").begin_array();
  for (std::uint64_t q : m.run_queues) j.value(q);
  j.end_array();
  j.key("histograms").value(m.histograms);
  if (m.histograms) {
    histogram(j, "time_in_mailbox", m.time_in_mailbox);
    histogram(j, "handling_time", m.handling_time);
  }
  j.key("refused_actions").value(refused_actions);
  j.end_object();
  return j.take();
}

}  // namespace snow::internal
