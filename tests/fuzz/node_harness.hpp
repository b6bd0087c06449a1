// tests/fuzz/node_harness.hpp: a real node for the network fuzz targets.
//
// A NodeCore (with its cluster process) on a deterministic runtime, over an in-memory
// transport that the fuzz target drives: the target plays the remote peer, and every
// byte it sends goes through the node's own frame reader, handshake and frame handlers,
// as bytes from a TLS connection would. Nothing runs on another thread. The node's
// SPAKE2 secrets are random, so its pake and confirm frames differ between runs: a target
// that answers them does so through a PeerEnd (a real dist::Handshake), as a real peer
// would, and an input replays the same way each time.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "snow/node.hpp"
#include "snow/runtime.hpp"
#include "src/dist/handshake.hpp"
#include "src/dist/handshake_frames.hpp"
#include "src/dist/node_address.hpp"
#include "src/dist/node_core.hpp"
#include "src/dist/node_info.hpp"
#include "src/dist/protocol.hpp"
#include "src/dist/start_node.hpp"
#include "src/transport/transport.hpp"

namespace fuzz {

using snow::transport::ConnId;

inline constexpr char kNodeName[] = "fuzz@127.0.0.1:4370";
inline constexpr char kPeerName[] = "peer@127.0.0.1:4371";
inline constexpr char kCookie[] = "fuzz-cookie";
inline constexpr std::uint32_t kPeerCreation = 7;  // the harness peer's life

/// A failed property: print it and abort, so libFuzzer records the input as a crash.
[[noreturn]] inline void fail(const char* what) {
  std::fprintf(stderr, "property violated: %s\n", what);
  std::abort();
}

/// What the node wrote on one connection, cut into frames as its peer would cut them.
struct NodeOutput {
  snow::dist::FrameReader reader{1 << 20};
  std::vector<std::pair<snow::dist::FrameKind, std::string>> frames;  // the first ones, for peers to read
  std::vector<snow::dist::FrameKind> kinds;                           // every frame's kind, in order
  std::size_t kept_bytes = 0;
  bool malformed = false;  // the node wrote something that is not a frame stream
};

/// Connections as the harness's bookkeeping; the node sees only the Transport calls.
class MemTransport final : public snow::transport::Transport {
 public:
  absl::StatusOr<std::uint16_t> listen(const std::string&, std::uint16_t) override { return 4370; }
  void start(snow::transport::TransportHandler* h, absl::Duration) override { handler = h; }
  void stop() override {}
  ConnId connect(const std::string&, std::uint16_t) override {
    const ConnId id = next_id++;
    dialled.push_back(id);
    return id;
  }
  void write(ConnId id, std::string bytes) override {
    if (closed.contains(id)) return;
    NodeOutput& out = written[id];
    if (out.malformed || out.kinds.size() >= 4096) return;  // the start of what the node says is what matters
    out.reader.append(bytes);
    for (;;) {
      bool got = false;
      snow::dist::FrameKind kind{};
      std::string_view body;
      if (!out.reader.next(got, kind, body).ok()) {
        out.malformed = true;
        return;
      }
      if (!got) return;
      out.kinds.push_back(kind);
      if (out.kept_bytes < 64 * 1024) {
        out.kept_bytes += body.size();
        out.frames.emplace_back(kind, std::string(body));
      }
    }
  }
  std::size_t pending_bytes(ConnId) const override { return 0; }
  /// The harness hands the node each input's bytes itself; a pause holds nothing back.
  void pause_reading(ConnId, bool) override {}
  void close(ConnId id, const absl::Status& why) override {
    if (closed.insert(id).second) closing.emplace_back(id, why);
  }
  /// Distinct per connection, as a TLS exporter is, so a proof made for one connection
  /// does not verify on another.
  std::string channel_binding(ConnId id) const override {
    std::string b;
    for (std::uint64_t i = 0; b.size() < 32; ++i) {
      std::uint64_t z = id * 0x9e3779b97f4a7c15ULL + i;  // splitmix64: distinct for every id an input can name
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      z ^= z >> 31;
      for (int k = 0; k < 8; ++k) b.push_back(static_cast<char>(z >> (8 * k)));
    }
    return b;
  }
  /// Every peer on one host (ports differ), so that failed handshakes add up to the
  /// node's penalty for that host and later handshakes from it are held.
  std::string peer_address(ConnId id) const override { return absl::StrCat("10.0.0.9:", 5000 + id % 60000); }
  /// No TLS, no certificates (the node under test runs in ephemeral mode).
  std::vector<std::string> peer_certificate_names(ConnId) const override { return {}; }
  /// The node authenticated the connection: the harness's "this connection is up".
  void admit(ConnId id) override { admitted.insert(id); }
  snow::transport::TransportCounters counters() const override { return {}; }
  void wake() override { woken = true; }
  absl::Time now() const override { return clock; }

  snow::transport::TransportHandler* handler = nullptr;
  ConnId next_id = 1;
  std::vector<ConnId> dialled;  // connect() calls not yet answered
  absl::flat_hash_map<ConnId, NodeOutput> written;
  absl::flat_hash_set<ConnId> closed;
  absl::flat_hash_set<ConnId> admitted;
  std::vector<std::pair<ConnId, absl::Status>> closing;  // on_closed still to deliver
  bool woken = false;
  absl::Time clock = absl::UnixEpoch();
};

/// Asks nothing: the harness's peers take any node that proves the cookie.
class OpenGate final : public snow::dist::HandshakeGate {
 public:
  std::optional<snow::dist::Refused> check_hello(const snow::dist::PeerHello&) const override { return std::nullopt; }
};

/// The far end of one connection, played by a real dist::Handshake: the frames a
/// well-behaved node named `name`, of life `creation`, holding `cookie`, would send.
/// It reads the node's frames on its connection from the start (MemTransport::written),
/// so several ends can be tried in turn on one connection. `binding` is the TLS exporter
/// its proof covers (the connection's own, unless a test relays a proof).
class PeerEnd {
 public:
  PeerEnd(ConnId id, bool node_dialled, std::string name, std::uint32_t creation, std::string cookie,
          std::string binding)
      : id_(id), node_dialled_(node_dialled), cookie_(std::move(cookie)), binding_(std::move(binding)),
        hs_(node_dialled ? snow::dist::Handshake::Role::acceptor : snow::dist::Handshake::Role::connector,
            std::move(name), creation, node_dialled ? std::string() : std::string(kNodeName), cookie_) {}
  PeerEnd(const PeerEnd&) = delete;
  PeerEnd& operator=(const PeerEnd&) = delete;

  /// The frames it opens with (hello, and pake for a connector).
  std::vector<std::string> opening() { return hs_.opening(); }
  /// Reads what the node wrote since the last call; returns its answers, in order.
  std::vector<std::string> answer(const MemTransport& net) {
    std::vector<std::string> out;
    auto it = net.written.find(id_);
    if (it == net.written.end()) return out;
    const auto& frames = it->second.frames;
    for (; read_ < frames.size() && !authenticated_ && !refused_; ++read_) {
      const auto& [kind, body] = frames[read_];
      snow::dist::Handshake::Step step = hs_.on_frame(kind, body, binding_, OpenGate());
      for (std::string& f : step.send) out.push_back(std::move(f));
      if (step.refused) refused_ = true;
      if (step.authenticated) {
        authenticated_ = true;
        if (node_dialled_) out.push_back(hs_.acceptance());  // the acceptor proves last
      }
    }
    return out;
  }
  bool authenticated() const { return authenticated_; }
  bool refused() const { return refused_; }

 private:
  ConnId id_;
  bool node_dialled_;
  std::string cookie_;  // before hs_, which keeps a view of it
  std::string binding_;
  snow::dist::Handshake hs_;
  std::size_t read_ = 0;
  bool authenticated_ = false, refused_ = false;
};

/// One node, fresh for each input.
class FuzzNode {
 public:
  FuzzNode() : rt_(snow::RuntimeOptions{.deterministic = true, .log_sink = [](snow::LogLevel, std::string_view) {}}) {
    auto transport = std::make_unique<MemTransport>();
    net_ = transport.get();
    snow::NodeOptions options;
    options.cookie = kCookie;
    // Small limits, so that inputs of a few KiB reach them.
    options.fragment_bytes = 512;
    options.max_frame_bytes = 1024;
    options.max_message_bytes = 4096;
    absl::StatusOr<snow::detail::NodeCore*> node =
        snow::detail::start_node(rt_, kNodeName, std::move(options), std::move(transport));
    if (!node.ok()) fail("the node does not start");
    node_ = *node;
    settle();
  }
  ~FuzzNode() { rt_.stop(); }
  FuzzNode(const FuzzNode&) = delete;
  FuzzNode& operator=(const FuzzNode&) = delete;

  snow::detail::NodeCore& node() { return *node_; }
  MemTransport& net() { return *net_; }
  const snow::NodeOptions& options() const { return node_->options(); }

  /// A peer connects to the node.
  ConnId accept() {
    const ConnId id = net_->next_id++;
    net_->handler->on_open(id, /*inbound=*/true);
    settle();
    return id;
  }
  /// The node dials `peer` and the connection opens (TLS done). 0 when the node does not
  /// dial (it has a connection to that name already).
  ConnId dial(std::string_view peer = kPeerName) {
    absl::StatusOr<snow::dist::NodeAddress> address = snow::dist::parse_node_address(peer, 4369);
    if (!address.ok()) fail("dial: bad name");
    refuse_dials_ = false;
    node_->connect_async(*address, nullptr, /*keep=*/false);
    settle();
    refuse_dials_ = true;
    if (net_->dialled.empty()) return 0;
    const ConnId id = net_->dialled.back();
    net_->dialled.clear();
    net_->handler->on_open(id, /*inbound=*/false);
    settle();
    return id;
  }
  bool open(ConnId id) const { return !net_->closed.contains(id); }
  bool admitted(ConnId id) const { return net_->admitted.contains(id); }
  void feed(ConnId id, std::string_view bytes) {
    if (!open(id)) return;  // a transport says nothing more about a closed connection
    net_->handler->on_data(id, bytes);
    settle();
  }
  /// The peer ends the connection (the transport reports it closed).
  void hang_up(ConnId id) {
    if (!open(id)) return;
    net_->closed.insert(id);
    net_->handler->on_closed(id, absl::UnavailableError("connection reset by peer"));
    settle();
  }
  /// Moves both clocks on and lets the node's tick see it (heartbeats, timeouts).
  void advance(absl::Duration d) {
    net_->clock += d;
    rt_.advance(d);
    net_->handler->on_tick();
    settle();
  }
  bool up() const { return !node_->connected().empty(); }

  /// The hello the node opened connection `id` with (nullopt: none, or not well formed).
  std::optional<snow::dist::PeerHello> node_hello(ConnId id) const {
    auto it = net_->written.find(id);
    if (it == net_->written.end() || it->second.frames.empty()) return std::nullopt;
    const auto& [kind, body] = it->second.frames.front();
    if (kind != snow::dist::FrameKind::hello) return std::nullopt;
    const std::optional<snow::dist::HelloFrame> f = snow::dist::read_hello(body);
    if (!f) return std::nullopt;
    return snow::dist::PeerHello{.version = f->version, .creation = f->creation, .name = std::string(f->name)};
  }

  /// Runs the handshake of a well-behaved peer on `id` to its end: sends its frames and
  /// answers the node's until it is authenticated or refused, or the node closed.
  void run_handshake(ConnId id, PeerEnd& peer) {
    for (const std::string& f : peer.opening()) feed(id, f);
    for (int round = 0; round < 8 && open(id) && !peer.authenticated() && !peer.refused(); ++round) {
      for (const std::string& f : peer.answer(*net_)) feed(id, f);
    }
  }

  /// The handshake a well-behaved peer (`name`, life `creation`, the right cookie) does
  /// on an accepted connection, then its node_info (default limits, no wire types: the
  /// first frame a node takes after the handshake), then the node_name frame that gives the peer a wire
  /// index (1) for the node, so that process frames can address the node's processes.
  /// The connection is up afterwards.
  ConnId accept_authenticated(std::string_view name = kPeerName, std::uint32_t creation = kPeerCreation) {
    const ConnId id = accept();
    PeerEnd peer(id, /*node_dialled=*/false, std::string(name), creation, kCookie, net_->channel_binding(id));
    run_handshake(id, peer);
    if (!peer.authenticated() || !admitted(id) || !up()) fail("a correct handshake did not bring the connection up");
    const std::optional<snow::dist::PeerHello> me = node_hello(id);
    if (!me) fail("the node did not open with a well-formed hello");
    for (const std::string& f : snow::dist::node_info_frames({std::size_t{64} << 20, {}}, {}, 1024)) feed(id, f);
    feed(id, node_name_frame(1, me->creation, kNodeName));
    return id;
  }

  static std::string hello_frame(std::string_view name, std::uint32_t creation = kPeerCreation,
                                 std::uint8_t version = snow::dist::kProtocolVersion) {
    return snow::dist::FrameWriter(snow::dist::FrameKind::hello).u8(version).u32(creation).name(name).finish();
  }
  static std::string node_name_frame(std::uint16_t index, std::uint32_t creation, std::string_view name) {
    return snow::dist::FrameWriter(snow::dist::FrameKind::node_name)
        .u16(index)
        .u8(static_cast<std::uint8_t>(creation))  // the generation of an index's first life
        .u32(creation)
        .name(name)
        .finish();
  }

 private:
  /// Runs what the last call set in motion: the runtime's processes, the node's posted
  /// commands (wake), closes (on_closed comes after close(), as from a real transport),
  /// and refuses connections the node dialled on its own (peers frames).
  void settle() {
    for (int round = 0; round < 64; ++round) {
      bool busy = rt_.run_until_idle() > 0;
      if (net_->woken) {
        net_->woken = false;
        net_->handler->on_wake();
        busy = true;
      }
      if (!net_->closing.empty()) {
        auto closing = std::move(net_->closing);
        net_->closing.clear();
        for (auto& [id, why] : closing) net_->handler->on_closed(id, why);
        busy = true;
      }
      if (refuse_dials_ && !net_->dialled.empty()) {
        auto dialled = std::move(net_->dialled);
        net_->dialled.clear();
        for (ConnId id : dialled) {
          net_->closed.insert(id);
          net_->handler->on_closed(id, absl::UnavailableError("connection refused"));
        }
        busy = true;
      }
      if (!busy) return;
    }
  }

  snow::Runtime rt_;
  MemTransport* net_ = nullptr;
  snow::detail::NodeCore* node_ = nullptr;
  bool refuse_dials_ = true;  // off while dial() waits for the node's own connect
};

/// Deterministic chunk sizes from a seed (xorshift), so one input always splits the same.
class Chunker {
 public:
  explicit Chunker(std::uint64_t seed) : s_(seed | 1) {}
  std::size_t next(std::size_t max) {
    s_ ^= s_ << 13;
    s_ ^= s_ >> 7;
    s_ ^= s_ << 17;
    // Mostly small pieces (1..16 bytes, the splits that cut headers), some large.
    return (s_ & 3) == 0 ? 1 + (s_ >> 8) % max : 1 + (s_ >> 8) % 16;
  }

 private:
  std::uint64_t s_;
};

inline std::uint64_t hash_bytes(std::string_view in) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : in) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

}  // namespace fuzz
