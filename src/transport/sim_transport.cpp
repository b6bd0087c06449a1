// src/transport/sim_transport.cpp
#include "src/transport/sim_transport.hpp"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "snow/runtime.hpp"

namespace snow::transport {

namespace {
constexpr absl::Duration kConnectTimeout = absl::Seconds(1);  // a SYN into a partition
}

SimNetwork::SimNetwork(std::uint64_t seed, absl::Duration min_latency, absl::Duration max_latency)
    : seed_(seed), random_(seed), min_latency_(min_latency), max_latency_(max_latency) {}

SimNetwork::~SimNetwork() = default;

std::unique_ptr<Transport> SimNetwork::make_transport(const std::string& host, Runtime& runtime) {
  if (runtime.now() < now_) runtime.advance(now_ - runtime.now());
  return std::make_unique<SimTransport>(*this, host, runtime);
}

SimTransport* SimNetwork::live(const std::string& host, std::uint64_t generation) const {
  auto it = hosts_.find(host);
  return it != hosts_.end() && it->second->generation_ == generation ? it->second : nullptr;
}

void SimNetwork::schedule(absl::Time at, std::string host, std::function<void()> fn) {
  events_.insert(Event{std::max(at, now_), next_seq_++, std::move(host), std::move(fn)});
}

absl::Duration SimNetwork::latency(const std::string& a, const std::string& b) {
  auto draw = [&](absl::Duration min, absl::Duration max) {
    const std::int64_t lo = absl::ToInt64Nanoseconds(min);
    const std::int64_t hi = std::max(lo, absl::ToInt64Nanoseconds(max));
    return absl::Nanoseconds(lo + static_cast<std::int64_t>(random_() % static_cast<std::uint64_t>(hi - lo + 1)));
  };
  absl::Duration d = draw(min_latency_, max_latency_);
  if (const LinkFaults* f = link(a, b)) d += f->delay + draw(absl::ZeroDuration(), f->jitter);
  return d;
}

const SimNetwork::LinkFaults* SimNetwork::link(const std::string& a, const std::string& b) const {
  auto it = links_.find({std::min(a, b), std::max(a, b)});
  return it == links_.end() ? nullptr : &it->second;
}

void SimNetwork::set_link(const std::string& a, const std::string& b, LinkFaults faults) {
  links_[{std::min(a, b), std::max(a, b)}] = faults;
}

void SimNetwork::pause(const std::string& host, absl::Duration d) {
  if (!hosts_.contains(host) || paused(host)) return;
  const std::uint64_t id = next_pause_++;
  paused_[host] = Pause{id, {}};  // from now on the host's events wait here
  schedule(now_ + d, "", [this, host, id] { resume(host, id); });
}

void SimNetwork::resume(const std::string& host, std::uint64_t pause_id) {
  auto it = paused_.find(host);
  if (it == paused_.end() || it->second.id != pause_id) return;
  std::vector<Event> waiting = std::move(it->second.waiting);
  paused_.erase(it);
  // The node wakes: its clock jumps (overdue timers fire), then it handles what arrived
  // meanwhile, in the order it arrived.
  advance_runtimes(now_);
  run_runtimes();
  for (Event& e : waiting) {
    e.fn();
    run_runtimes();
  }
}

void SimNetwork::set_latency(absl::Duration min, absl::Duration max) {
  min_latency_ = min;
  max_latency_ = max;
}

bool SimNetwork::cut(const std::string& a, const std::string& b) const {
  return partitions_.contains({std::min(a, b), std::max(a, b)});
}

void SimNetwork::partition(const std::string& a, const std::string& b) {
  partitions_.insert({std::min(a, b), std::max(a, b)});
  // Connections that live across the cut lose bytes from now on, for good (as a TCP
  // stream would once it has given up): they go silent, and heartbeats notice.
  for (auto& [host, t] : hosts_) {
    for (auto& [id, c] : t->conns_) {
      if (cut(host, c.peer_host)) c.broken = true;
    }
  }
}

void SimNetwork::partition(const std::vector<std::string>& side_a, const std::vector<std::string>& side_b) {
  for (const std::string& a : side_a) {
    for (const std::string& b : side_b) partitions_.insert({std::min(a, b), std::max(a, b)});
  }
  for (auto& [host, t] : hosts_) {
    for (auto& [id, c] : t->conns_) {
      if (cut(host, c.peer_host)) c.broken = true;
    }
  }
}

void SimNetwork::heal(const std::string& a, const std::string& b) { partitions_.erase({std::min(a, b), std::max(a, b)}); }
void SimNetwork::heal_all() { partitions_.clear(); }

void SimNetwork::crash(const std::string& host, bool reset) {
  auto it = hosts_.find(host);
  if (it == hosts_.end()) return;
  SimTransport* t = it->second;
  t->dead_ = true;
  hosts_.erase(it);
  paused_.erase(host);
  // The OS of a killed process resets its sockets: peers see their connections close.
  // After a power cut nobody is left to: the peers' connections go silent.
  for (auto& [id, c] : t->conns_) {
    if (!reset || c.peer == nullptr || c.broken || cut(host, c.peer_host)) continue;
    const std::string peer_host = c.peer_host;
    const ConnId peer_id = c.peer_id;
    schedule(now_ + latency(host, peer_host), peer_host, [this, peer_host, peer_id] {
      if (auto p = hosts_.find(peer_host); p != hosts_.end()) {
        p->second->peer_closed(peer_id, absl::UnavailableError("connection reset by peer"));
      }
    });
  }
  t->conns_.clear();
}

void SimNetwork::run_runtimes() {
  bool ran = true;
  while (ran) {
    ran = false;
    for (auto& [host, t] : hosts_) {
      if (!t->dead_ && !paused(host) && t->runtime_.run_until_idle() > 0) ran = true;
    }
  }
}

void SimNetwork::advance_runtimes(absl::Time to) {
  for (auto& [host, t] : hosts_) {
    if (!t->dead_ && !paused(host) && t->runtime_.now() < to) t->runtime_.advance(to - t->runtime_.now());
  }
}

bool SimNetwork::step(absl::Time limit) {
  run_runtimes();
  absl::Time next = events_.empty() ? absl::InfiniteFuture() : events_.begin()->at;
  for (auto& [host, t] : hosts_) {
    if (t->dead_ || paused(host)) continue;
    if (auto timer = t->runtime_.next_timer()) next = std::min(next, *timer);
  }
  if (next > limit) {
    now_ = std::max(now_, limit);
    advance_runtimes(now_);
    return false;
  }
  now_ = std::max(now_, next);
  advance_runtimes(now_);
  while (!events_.empty() && events_.begin()->at <= now_) {
    auto node = events_.extract(events_.begin());
    if (auto p = paused_.find(node.value().host); p != paused_.end()) {
      p->second.waiting.push_back(std::move(node.value()));  // handled, in order, when it resumes
      continue;
    }
    node.value().fn();
    run_runtimes();
  }
  return true;
}

void SimNetwork::run_for(absl::Duration d) {
  const absl::Time limit = now_ + d;
  while (step(limit)) {
  }
}

bool SimNetwork::run_until(const std::function<bool()>& done, absl::Duration limit) {
  const absl::Time end = now_ + limit;
  while (!done()) {
    if (!step(end)) return done();
  }
  return true;
}

// -- SimTransport --

SimTransport::SimTransport(SimNetwork& net, std::string host, Runtime& runtime)
    : net_(net), host_(std::move(host)), generation_(net.next_generation_++), runtime_(runtime) {}

SimTransport::~SimTransport() { stop(); }

absl::StatusOr<std::uint16_t> SimTransport::listen(const std::string& host, std::uint16_t port) {
  if (host != host_) return absl::UnavailableError(absl::StrCat("this simulated node's host is ", host_));
  if (net_.hosts_.contains(host_)) return absl::UnavailableError(absl::StrCat("address in use: ", host_));
  net_.hosts_[host_] = this;
  listening_ = true;
  return port == 0 ? std::uint16_t{9000} : port;
}

void SimTransport::start(TransportHandler* handler, absl::Duration tick_every) {
  handler_ = handler;
  tick_ = tick_every;
  net_.schedule(net_.now() + tick_, host_, [net = &net_, host = host_, gen = generation_] {
    if (SimTransport* t = net->live(host, gen)) t->tick();
  });
}

void SimTransport::tick() {
  if (dead_ || handler_ == nullptr) return;
  handler_->on_tick();
  net_.schedule(net_.now() + tick_, host_, [net = &net_, host = host_, gen = generation_] {
    if (SimTransport* t = net->live(host, gen)) t->tick();
  });
}

void SimTransport::stop() {
  if (dead_) return;
  dead_ = true;
  // A clean stop closes every connection: peers see them close.
  for (auto& [id, c] : conns_) {
    if (c.peer == nullptr || c.broken || net_.cut(host_, c.peer_host)) continue;
    const std::string peer_host = c.peer_host;
    const ConnId peer_id = c.peer_id;
    net_.schedule(std::max(net_.now() + net_.latency(host_, peer_host), c.last_delivery), peer_host,
                  [net = &net_, peer_host, peer_id] {
      if (auto p = net->hosts_.find(peer_host); p != net->hosts_.end()) {
        p->second->peer_closed(peer_id, absl::UnavailableError("connection closed by peer"));
      }
    });
  }
  conns_.clear();
  if (auto it = net_.hosts_.find(host_); it != net_.hosts_.end() && it->second == this) net_.hosts_.erase(it);
  handler_ = nullptr;
}

ConnId SimTransport::connect(const std::string& host, std::uint16_t) {
  const ConnId id = net_.next_conn_++;
  Conn& c = conns_[id];
  c.peer_host = host;
  const bool across_cut = net_.cut(host_, host);
  const absl::Time at = net_.now() + (across_cut ? kConnectTimeout : net_.latency(host_, host));
  net_.schedule(at, host_, [net = &net_, me = host_, gen = generation_, id, host, across_cut] {
    if (SimTransport* t = net->live(me, gen)) t->finish_connect(id, host, across_cut);
  });
  return id;
}

void SimTransport::finish_connect(ConnId id, const std::string& host, bool across_cut) {
  {
    if (!conns_.contains(id)) return;
    auto target = net_.hosts_.find(host);
    if (across_cut || target == net_.hosts_.end() || target->second->dead_ || !target->second->listening_) {
      conns_.erase(id);
      notify_closed(id, across_cut ? absl::UnavailableError("connection timed out")
                                   : absl::UnavailableError("connection refused"));
      return;
    }
    SimTransport* peer = target->second;
    const ConnId peer_id = net_.next_conn_++;
    std::string binding(32, '\0');
    for (char& b : binding) b = static_cast<char>(net_.random_() & 0xff);
    Conn& mine = conns_[id];
    mine.peer = peer;
    mine.peer_id = peer_id;
    mine.binding = binding;
    mine.open = true;
    Conn& theirs = peer->conns_[peer_id];
    theirs.peer = this;
    theirs.peer_id = id;
    theirs.peer_host = host_;
    theirs.binding = binding;
    theirs.open = true;
    // The connecting side learns of the connection one latency later; bytes the
    // accepting side writes at once arrive after that (deliveries keep their order).
    mine.last_delivery = net_.now() + net_.latency(host_, host);
    net_.schedule(mine.last_delivery, host_, [net = &net_, me = host_, gen = generation_, id] {
      SimTransport* t = net->live(me, gen);
      if (t != nullptr && t->conns_.contains(id)) t->notify_open(id, false);
    });
    peer->notify_open(peer_id, true);
  }
}

void SimTransport::write(ConnId id, std::string bytes) {
  auto it = conns_.find(id);
  if (it == conns_.end() || !it->second.open || dead_) return;
  Conn& c = it->second;
  if (c.broken || net_.cut(host_, c.peer_host)) {
    // Nothing is acknowledged across a cut: the bytes sit in the send buffer for good, as
    // they would in a TCP socket, so a writer that watches pending_bytes stops writing.
    c.broken = true;
    c.sending.emplace_back(absl::InfiniteFuture(), bytes.size());
    return;
  }
  if (!net_.reads(c.peer_host)) {
    c.sending.emplace_back(absl::InfiniteFuture(), bytes.size());  // the reader's buffers are full
    return;
  }
  auto p = net_.hosts_.find(c.peer_host);
  if (p == net_.hosts_.end()) return;
  auto pc = p->second->conns_.find(c.peer_id);
  if (pc == p->second->conns_.end()) return;
  if (const SimNetwork::LinkFaults* f = net_.link(host_, c.peer_host);
      f != nullptr && f->drop > 0 && std::uniform_real_distribution<double>(0, 1)(net_.random_) < f->drop) {
    return reset(id);
  }
  // The bytes leave once the link has sent what was written before them.
  const absl::Time start = std::max(net_.now(), c.link_free_at);
  c.link_free_at = start + absl::Seconds(static_cast<double>(bytes.size()) / net_.bytes_per_second_);
  c.sending.emplace_back(c.link_free_at, bytes.size());
  if (!c.drain_scheduled) {
    c.drain_scheduled = true;
    net_.schedule(c.link_free_at, host_, [net = &net_, me = host_, gen = generation_, id] {
      if (SimTransport* t = net->live(me, gen)) t->check_drained(id);
    });
  }
  // Never before the bytes written earlier: jitter does not reorder a stream.
  const absl::Time at = std::max(c.link_free_at + net_.latency(host_, c.peer_host), pc->second.last_delivery);
  pc->second.last_delivery = at;
  net_.schedule(at, c.peer_host,
                [net = &net_, host = c.peer_host, peer_id = c.peer_id, bytes = std::move(bytes)]() mutable {
    if (auto t = net->hosts_.find(host); t != net->hosts_.end()) t->second->deliver_bytes(peer_id, std::move(bytes));
  });
}

std::size_t SimTransport::pending_bytes(ConnId id) const {
  auto it = conns_.find(id);
  if (it == conns_.end()) return 0;
  std::size_t n = 0;
  for (const auto& [leaves, bytes] : it->second.sending) {
    if (leaves > net_.now()) n += bytes;
  }
  return n;
}

void SimTransport::check_drained(ConnId id) {
  auto it = conns_.find(id);
  if (it == conns_.end() || dead_) return;
  Conn& c = it->second;
  c.drain_scheduled = false;
  while (!c.sending.empty() && c.sending.front().first <= net_.now()) c.sending.pop_front();
  if (!c.sending.empty()) {
    if (c.sending.front().first == absl::InfiniteFuture()) return;  // stuck behind a cut: never drains
    c.drain_scheduled = true;
    net_.schedule(c.sending.front().first, host_, [net = &net_, me = host_, gen = generation_, id] {
      if (SimTransport* t = net->live(me, gen)) t->check_drained(id);
    });
    return;
  }
  handler_->on_drained(id);
}

void SimTransport::deliver_bytes(ConnId id, std::string bytes) {
  auto it = conns_.find(id);
  if (dead_ || it == conns_.end() || !it->second.open || it->second.broken) return;  // lost in a cut
  if (!net_.reads(host_)) return;  // left in a receive buffer this node never reads
  if (it->second.read_paused || !it->second.held.empty()) {
    it->second.held.push_back(std::move(bytes));
    return;
  }
  net_.events_log_.data(net_.now(), host_, id, bytes.size());
  handler_->on_data(id, bytes);
}

void SimTransport::reset(ConnId id) {
  Conn& c = conns_.at(id);
  ++net_.drops_;
  // This write and everything after it vanish; what was written before still arrives,
  // then the peer sees the reset, and so does this end once the RST comes back.
  c.broken = true;
  const absl::Time back = net_.now() + 2 * net_.latency(host_, c.peer_host);
  net_.schedule(back, host_, [net = &net_, me = host_, gen = generation_, id] {
    if (SimTransport* t = net->live(me, gen)) t->peer_closed(id, absl::UnavailableError("connection reset"));
  });
  auto p = net_.hosts_.find(c.peer_host);
  if (p == net_.hosts_.end()) return;
  auto pc = p->second->conns_.find(c.peer_id);
  if (pc == p->second->conns_.end()) return;
  const absl::Time at = std::max(net_.now() + net_.latency(host_, c.peer_host), pc->second.last_delivery);
  net_.schedule(at, c.peer_host, [net = &net_, host = c.peer_host, peer_id = c.peer_id] {
    if (auto t = net->hosts_.find(host); t != net->hosts_.end()) {
      t->second->peer_closed(peer_id, absl::UnavailableError("connection reset by peer"));
    }
  });
}

void SimTransport::peer_closed(ConnId id, const absl::Status& why) {
  auto it = conns_.find(id);
  if (dead_ || it == conns_.end()) return;
  if (it->second.read_paused || !it->second.held.empty()) {  // heard after the bytes before it
    if (!it->second.held_close) it->second.held_close = why;
    return;
  }
  conns_.erase(it);
  notify_closed(id, why);
}

void SimTransport::close(ConnId id, const absl::Status& reason) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  Conn c = it->second;
  conns_.erase(it);
  net_.schedule(net_.now(), host_, [net = &net_, me = host_, gen = generation_, id, reason] {
    SimTransport* t = net->live(me, gen);
    if (t != nullptr && t->handler_ != nullptr) t->notify_closed(id, reason);
  });
  if (c.peer == nullptr || c.broken || net_.cut(host_, c.peer_host)) return;
  auto p = net_.hosts_.find(c.peer_host);
  if (p == net_.hosts_.end()) return;
  auto pc = p->second->conns_.find(c.peer_id);
  const absl::Time at = std::max(net_.now() + net_.latency(host_, c.peer_host),
                                 pc == p->second->conns_.end() ? net_.now() : pc->second.last_delivery);
  net_.schedule(at, c.peer_host, [net = &net_, host = c.peer_host, peer_id = c.peer_id] {
    if (auto t = net->hosts_.find(host); t != net->hosts_.end()) {
      t->second->peer_closed(peer_id, absl::UnavailableError("connection closed by peer"));
    }
  });
}

void SimTransport::pause_reading(ConnId id, bool paused) {
  auto it = conns_.find(id);
  if (it == conns_.end() || it->second.read_paused == paused) return;
  it->second.read_paused = paused;
  if (paused || (it->second.held.empty() && !it->second.held_close)) return;
  net_.schedule(net_.now(), host_, [net = &net_, me = host_, gen = generation_, id] {
    if (SimTransport* t = net->live(me, gen)) t->flush_held(id);
  });
}

void SimTransport::flush_held(ConnId id) {
  for (;;) {
    auto it = conns_.find(id);
    if (dead_ || it == conns_.end() || it->second.read_paused) return;
    Conn& c = it->second;
    if (c.held.empty()) {
      if (!c.held_close) return;
      const absl::Status why = *c.held_close;
      c.held_close.reset();
      peer_closed(id, why);
      return;
    }
    std::string bytes = std::move(c.held.front());
    c.held.pop_front();
    net_.events_log_.data(net_.now(), host_, id, bytes.size());
    handler_->on_data(id, bytes);  // may pause again, or close
  }
}

std::string SimTransport::channel_binding(ConnId id) const {
  auto it = conns_.find(id);
  return it == conns_.end() ? std::string() : it->second.binding;
}

std::string SimTransport::peer_address(ConnId id) const {
  auto it = conns_.find(id);
  return absl::StrCat(it == conns_.end() ? "?" : it->second.peer_host, ":", id);
}

void SimTransport::notify_open(ConnId id, bool inbound) {
  net_.events_log_.opened(net_.now(), host_, id, inbound);
  handler_->on_open(id, inbound);
}

void SimTransport::notify_closed(ConnId id, const absl::Status& why) {
  net_.events_log_.closed(net_.now(), host_, id, why.ToString());
  handler_->on_closed(id, why);
}

void SimTransport::wake() {
  if (wake_pending_ || dead_) return;
  wake_pending_ = true;
  net_.schedule(net_.now(), host_, [net = &net_, me = host_, gen = generation_] {
    SimTransport* t = net->live(me, gen);
    if (t == nullptr) return;
    t->wake_pending_ = false;
    if (t->handler_ != nullptr) t->handler_->on_wake();
  });
}

}  // namespace snow::transport
