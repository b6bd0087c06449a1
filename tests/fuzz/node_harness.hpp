// tests/fuzz/node_harness.hpp: a real node for the network fuzz targets.
//
// A NodeCore (with its cluster process) on a deterministic runtime, over an in-memory
// transport that the fuzz target drives: the target plays the remote peer, and every
// byte it sends goes through the node's own frame reader, handshake and frame handlers,
// as bytes from a TLS connection would. Nothing runs on another thread, so an input
// replays exactly (apart from the node's random nonce, which the target reads back from
// the node's hello as a real peer would).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <memory>
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
#include "src/dist/node_address.hpp"
#include "src/dist/node_core.hpp"
#include "src/dist/protocol.hpp"
#include "src/dist/start_node.hpp"
#include "src/transport/transport.hpp"

namespace fuzz {

using snow::transport::ConnId;

inline constexpr char kNodeName[] = "fuzz@127.0.0.1:4370";
inline constexpr char kPeerName[] = "peer@127.0.0.1:4371";
inline constexpr char kCookie[] = "fuzz-cookie";

/// A failed property: print it and abort, so libFuzzer records the input as a crash.
[[noreturn]] inline void fail(const char* what) {
  std::fprintf(stderr, "property violated: %s\n", what);
  std::abort();
}

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
    std::string& out = written[id];
    // Only the start of what the node says matters to the targets (its hello and auth).
    if (!closed.contains(id) && out.size() < 64 * 1024) out += bytes;
  }
  std::size_t pending_bytes(ConnId) const override { return 0; }
  void close(ConnId id, const absl::Status& why) override {
    if (closed.insert(id).second) closing.emplace_back(id, why);
  }
  /// Distinct per connection, as a TLS exporter is, so a proof made for one connection
  /// does not verify on another.
  std::string channel_binding(ConnId id) const override {
    std::string b;
    for (std::uint64_t i = 0; b.size() < snow::dist::kDigestBytes; ++i) {
      std::uint64_t z = id * 0x9e3779b97f4a7c15ULL + i;  // splitmix64: distinct for every id an input can name
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      z ^= z >> 31;
      for (int k = 0; k < 8; ++k) b.push_back(static_cast<char>(z >> (8 * k)));
    }
    return b;
  }
  std::string peer_address(ConnId id) const override { return absl::StrCat("10.0.", id / 250, ".", id % 250, ":5555"); }
  /// No TLS, no certificates (the node under test runs in ephemeral mode).
  std::vector<std::string> peer_certificate_names(ConnId) const override { return {}; }
  void admit(ConnId) override {}
  snow::transport::TransportCounters counters() const override { return {}; }
  void wake() override { woken = true; }
  absl::Time now() const override { return clock; }

  snow::transport::TransportHandler* handler = nullptr;
  ConnId next_id = 1;
  std::vector<ConnId> dialled;  // connect() calls not yet answered
  absl::flat_hash_map<ConnId, std::string> written;
  absl::flat_hash_set<ConnId> closed;
  std::vector<std::pair<ConnId, absl::Status>> closing;  // on_closed still to deliver
  bool woken = false;
  absl::Time clock = absl::UnixEpoch();
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
  /// The node dials kPeerName and the connection opens (TLS done).
  ConnId dial() {
    absl::StatusOr<snow::dist::NodeAddress> peer = snow::dist::parse_node_address(kPeerName, 4369);
    refuse_dials_ = false;
    node_->connect_async(*peer, nullptr, /*keep=*/false);
    settle();
    refuse_dials_ = true;
    if (net_->dialled.empty()) fail("connect_async did not dial");
    const ConnId id = net_->dialled.back();
    net_->dialled.clear();
    net_->handler->on_open(id, /*inbound=*/false);
    settle();
    return id;
  }
  bool open(ConnId id) const { return !net_->closed.contains(id); }
  void feed(ConnId id, std::string_view bytes) {
    if (!open(id)) return;  // a transport says nothing more about a closed connection
    net_->handler->on_data(id, bytes);
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

  /// The handshake a well-behaved peer does on an accepted connection, then the
  /// node_name frame that gives the peer a wire index (1) for the node, so that process
  /// frames can address the node's processes. The connection is up afterwards.
  ConnId accept_authenticated() {
    const ConnId id = accept();
    feed(id, hello_frame(kPeerName, std::string(snow::dist::kNonceBytes, 'n')));
    feed(id, auth_frame(proof(id, kPeerName)));
    if (!up()) fail("a correct handshake did not bring the connection up");
    feed(id, snow::dist::FrameWriter(snow::dist::FrameKind::node_name).u16(1).name(kNodeName).finish());
    net_->written[id].clear();
    return id;
  }

  /// The nonce in the node's hello on `id` (empty if it sent none).
  std::string node_nonce(ConnId id) {
    snow::dist::FrameReader r(snow::dist::kHandshakeFrameLimit);
    r.append(net_->written[id]);
    bool got = false;
    snow::dist::FrameKind kind{};
    std::string_view body;
    if (!r.next(got, kind, body).ok() || !got || kind != snow::dist::FrameKind::hello) return "";
    snow::dist::BodyReader b(body);
    b.u8();
    b.u8();
    std::string nonce(b.take(snow::dist::kNonceBytes));
    return b.ok() ? nonce : "";
  }
  /// The proof `prover` owes the node on connection `id`, with the right cookie.
  std::string proof(ConnId id, std::string_view prover) {
    return snow::dist::auth_digest(kCookie, net_->channel_binding(id), node_nonce(id), prover, kNodeName);
  }

  static std::string hello_frame(std::string_view name, std::string_view nonce, std::uint8_t version = 1,
                                 std::uint8_t creation = 7) {
    return snow::dist::FrameWriter(snow::dist::FrameKind::hello).u8(version).u8(creation).bytes(nonce).name(name).finish();
  }
  static std::string auth_frame(std::string_view digest) {
    return snow::dist::FrameWriter(snow::dist::FrameKind::auth).bytes(digest).finish();
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
