// libFuzzer target for the node handshake, protocol version 2 (docs/WIRE.md §5.2): a
// hostile peer on up to eight connections at once (all from one host, so that failures
// earn it the node's delays), accepted by the node or dialled by
// it, sends a script of: hellos with fuzzed fields (version, creation, name), pake and
// confirm frames of fuzzed bytes, raw bytes, frames of other kinds, and the frames of a
// real dist::Handshake (PeerEnd) with a name, creation and cookie of its choosing, on
// its own TLS channel or with a proof relayed from another one, delivered whole, a byte
// at a time, truncated, with a byte flipped, twice or not at all; it hangs up and lets
// time pass. Optionally a well-behaved peer is connected first (the victim) and stays
// up throughout (it keeps sending pings). Properties, checked after every step:
//
//  - a connection is up (the node admitted it) only if the peer sent on it a confirm
//    made with the cookie for this connection's channel;
//  - an accepting node sends its confirm only after receiving such a confirm, and a
//    dialling node sends its confirm only to a peer whose hello named the node dialled;
//  - the node's first frame on every connection is a well-formed version 2 hello with
//    its name and a creation;
//  - nothing before a valid proof changes the node: a hello claiming the name of a node
//    already connected, with another creation (or the same), never closes that node's up
//    connection (the "partition without the cookie" attack), the node lists no other
//    peer and its node table learns no claimed name, unless some connection was
//    authenticated;
//  - a connection still handshaking after handshake_timeout is closed;
//  - the node writes only well-formed frames, and nothing crashes.
//
// Built outside the Meson build with clang (tests/fuzz/run.sh, `make fuzz`). The input
// layout (FuzzedDataProvider: strings from the front, integers from the back) is what
// make_seeds.py writes.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "node_harness.hpp"

namespace {

using snow::dist::FrameKind;
using snow::dist::FrameWriter;

constexpr char kOtherName[] = "other@127.0.0.1:4372";
constexpr std::size_t kMaxConns = 8;  // more than the node's free failures per host (5)

std::string pick_name(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange<int>(0, 4)) {
    case 0: return fuzz::kPeerName;
    case 1: return fuzz::kNodeName;  // the node's own name
    case 2: return kOtherName;
    case 3: return "peer@127.0.0.1";  // no port: not in canonical form
    default: return in.ConsumeRandomLengthString(300).substr(0, 255);
  }
}

std::uint32_t pick_creation(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange<int>(0, 3)) {
    case 0: return fuzz::kPeerCreation;      // the victim's life
    case 1: return fuzz::kPeerCreation + 1;  // a later life of it: a "restart"
    case 2: return 0;                        // never valid
    default: return in.ConsumeIntegral<std::uint32_t>();
  }
}

/// A 32-byte field (pake, confirm) or, sometimes, one of another length.
std::string pick_bytes(FuzzedDataProvider& in) {
  if (!in.ConsumeBool()) return in.ConsumeRandomLengthString(64);
  std::string b = in.ConsumeBytesAsString(32);
  b.resize(32, '\0');
  return b;
}

/// One connection as the attacker and the checks see it.
struct Conn {
  fuzz::ConnId id = 0;
  bool inbound = false;
  std::string dialled;  // the node dialled this name (outbound)
  absl::Time opened;
  std::unique_ptr<fuzz::PeerEnd> peer;  // the current well-behaved end, if any
  std::deque<std::string> pending;      // its frames, not yet delivered
  // Confirm bodies that a PeerEnd with the right cookie made for this connection's
  // channel: the only confirms that can verify (anything else would be a 2^-256 guess).
  std::vector<std::string> good_confirms;
  // What the node received, cut as its own reader cuts it (same limit before and after
  // authentication: NodeOptions::max_frame_bytes is kHandshakeFrameLimit here).
  snow::dist::FrameReader shadow{snow::dist::kHandshakeFrameLimit};
  bool shadow_failed = false;
  std::vector<std::pair<FrameKind, std::string>> received;
};

class Attack {
 public:
  explicit Attack(FuzzedDataProvider& in) : in_(in) {
    if (n_.options().max_frame_bytes != snow::dist::kHandshakeFrameLimit) fuzz::fail("harness: frame limits differ");
  }

  void run() {
    if (in_.ConsumeBool()) {
      victim_ = n_.accept_authenticated(fuzz::kPeerName, fuzz::kPeerCreation);
      check_first_hello(victim_);
    }
    check();
    for (int step = 0; step < 64 && in_.remaining_bytes() > 0; ++step) {
      const int op = in_.ConsumeIntegralInRange<int>(0, 11);
      const int slot = in_.ConsumeIntegralInRange<int>(0, kMaxConns - 1);
      if (op == 0) {
        open_conn();
      } else if (op == 8) {
        pass_time(absl::Milliseconds(in_.ConsumeIntegralInRange<int>(0, 3000)));
      } else if (!conns_.empty()) {
        act(op, *conns_[static_cast<std::size_t>(slot) % conns_.size()]);
      }
      check();
    }
    if (verbose()) report();
  }

 private:
  static bool verbose() {
    static const bool on = std::getenv("SNOW_FUZZ_VERBOSE") != nullptr;
    return on;
  }
  /// What each connection came to (SNOW_FUZZ_VERBOSE=1, for checking what a seed does).
  void report() {
    auto kinds = [](const std::vector<FrameKind>& ks) {
      std::string out;
      for (FrameKind k : ks) {
        if (!out.empty()) out += ',';
        out += snow::dist::kind_name(k);
      }
      return out;
    };
    if (victim_ != 0) std::fprintf(stderr, "victim %llu: %s\n", static_cast<unsigned long long>(victim_),
                                   n_.open(victim_) ? "open" : "closed");
    for (const auto& c : conns_) {
      std::vector<FrameKind> in;
      for (const auto& [k, b] : c->received) in.push_back(k);
      std::fprintf(stderr, "conn %llu %s%s: %s%s; peer sent [%s]; node sent [%s]\n",
                   static_cast<unsigned long long>(c->id), c->inbound ? "inbound" : "dialled ", c->dialled.c_str(),
                   n_.admitted(c->id) ? "admitted, " : "", n_.open(c->id) ? "open" : "closed", kinds(in).c_str(),
                   kinds(n_.net().written[c->id].kinds).c_str());
    }
    std::fprintf(stderr, "connected:");
    for (const std::string& name : n_.node().connected()) std::fprintf(stderr, " %s", name.c_str());
    const snow::NodeStats st = n_.node().counters();
    std::fprintf(stderr, "\nrefused %llu (proof %llu, malformed %llu, name %llu, duplicate %llu), delayed %llu\n",
                 static_cast<unsigned long long>(st.handshakes_refused),
                 static_cast<unsigned long long>(st.refused.proof),
                 static_cast<unsigned long long>(st.refused.malformed),
                 static_cast<unsigned long long>(st.refused.name),
                 static_cast<unsigned long long>(st.refused.duplicate),
                 static_cast<unsigned long long>(st.handshakes_delayed));
  }

  void open_conn() {
    const bool inbound = in_.ConsumeBool();
    const std::string name = in_.ConsumeBool() ? kOtherName : fuzz::kPeerName;
    if (conns_.size() >= kMaxConns) return;
    auto c = std::make_unique<Conn>();
    c->inbound = inbound;
    c->opened = n_.net().now();
    if (inbound) {
      c->id = n_.accept();
    } else {
      c->id = n_.dial(name);
      c->dialled = name;
      if (c->id == 0) return;  // it has a connection to that name (the victim, or one dialled)
    }
    check_first_hello(c->id);
    conns_.push_back(std::move(c));
  }

  void act(int op, Conn& c) {
    switch (op) {
      case 1:  // raw bytes, maybe a partial or bad frame, maybe several
        send(c, in_.ConsumeRandomLengthString(1500));
        break;
      case 2: {  // a hello with fuzzed fields
        const int v = in_.ConsumeIntegralInRange<int>(0, 2);
        const std::uint8_t version =
            v == 0 ? snow::dist::kProtocolVersion : v == 1 ? 1 : in_.ConsumeIntegral<std::uint8_t>();
        const std::uint32_t creation = pick_creation(in_);
        const std::string name = pick_name(in_);
        send(c, fuzz::FuzzNode::hello_frame(name, creation, version));
        break;
      }
      case 3:  // a pake of fuzzed bytes (rarely a curve point; never one made with the cookie)
        send(c, FrameWriter(FrameKind::pake).bytes(pick_bytes(in_)).finish());
        break;
      case 4:  // a confirm of fuzzed bytes
        send(c, FrameWriter(FrameKind::confirm).bytes(pick_bytes(in_)).finish());
        break;
      case 5: {  // a well-behaved end takes over: its own name, life, cookie and channel
        const std::string name = pick_name(in_);
        const std::uint32_t creation = pick_creation(in_);
        const std::string cookie = in_.ConsumeBool() ? std::string(fuzz::kCookie) : in_.ConsumeRandomLengthString(64);
        const bool own_channel = in_.ConsumeBool();
        const fuzz::ConnId bound = own_channel ? c.id : c.id + 1 + in_.ConsumeIntegral<std::uint8_t>();
        c.peer = std::make_unique<fuzz::PeerEnd>(c.id, !c.inbound, name, creation, cookie,
                                                 n_.net().channel_binding(bound));
        c.pending.clear();
        queue(c, c.peer->opening(), cookie == fuzz::kCookie && own_channel);
        good_end_[c.id] = cookie == fuzz::kCookie && own_channel;
        break;
      }
      case 6:  // the end reads what the node sent and answers
        if (c.peer) queue(c, c.peer->answer(n_.net()), good_end_[c.id]);
        break;
      case 7: {  // the end's next frame, maybe damaged
        const int mode = in_.ConsumeIntegralInRange<int>(0, 5);
        if (c.pending.empty()) break;
        std::string f = std::move(c.pending.front());
        c.pending.pop_front();
        switch (mode) {
          case 0: send(c, f); break;
          case 1:  // a byte at a time
            for (char ch : f) send(c, std::string_view(&ch, 1));
            break;
          case 2:  // truncated (the rest never comes)
            send(c, std::string_view(f).substr(0, in_.ConsumeIntegralInRange<std::size_t>(0, f.size() - 1)));
            break;
          case 3: {  // one byte flipped (header, kind or body)
            const std::size_t at = in_.ConsumeIntegralInRange<std::size_t>(0, f.size() - 1);
            f[at] = static_cast<char>(f[at] ^ in_.ConsumeIntegralInRange<int>(1, 255));
            send(c, f);
            break;
          }
          case 4: break;  // lost
          default:        // twice
            send(c, f);
            send(c, f);
        }
        break;
      }
      case 9: {  // a frame of another kind, which the handshake does not allow
        const auto kind = static_cast<std::uint8_t>(in_.ConsumeIntegralInRange<int>(3, 0x20));
        const std::string body = in_.ConsumeRandomLengthString(64);
        if (snow::dist::is_known_kind(kind)) send(c, FrameWriter(static_cast<FrameKind>(kind)).bytes(body).finish());
        break;
      }
      case 10: {  // everything the end has, in one piece
        std::string all;
        for (std::string& f : c.pending) all += f;
        c.pending.clear();
        send(c, all);
        break;
      }
      default:  // the peer hangs up
        n_.hang_up(c.id);
    }
  }

  void queue(Conn& c, std::vector<std::string> frames, bool good) {
    for (std::string& f : frames) {
      if (good && f.size() > snow::dist::kFrameHeaderBytes && f[snow::dist::kFrameHeaderBytes] ==
                                                                 static_cast<char>(FrameKind::confirm)) {
        c.good_confirms.push_back(f.substr(snow::dist::kFrameHeaderBytes + 1));
      }
      c.pending.push_back(std::move(f));
    }
  }

  /// Bytes to the node on `c`, recorded as the node's reader cuts them.
  void send(Conn& c, std::string_view bytes) {
    if (bytes.empty() || !n_.open(c.id)) return;
    if (!c.shadow_failed) {
      c.shadow.append(bytes);
      for (;;) {
        bool got = false;
        FrameKind kind{};
        std::string_view body;
        if (!c.shadow.next(got, kind, body).ok()) {
          c.shadow_failed = true;
          break;
        }
        if (!got) break;
        if (c.received.size() < 256) c.received.emplace_back(kind, std::string(body));
      }
    }
    n_.feed(c.id, bytes);
    if (victim_ != 0) check_victim();  // at once, before another step could mask it
  }

  /// Time passes; the victim pings often enough that its heartbeat never runs out.
  void pass_time(absl::Duration d) {
    while (d > absl::ZeroDuration()) {
      const absl::Duration piece = std::min(d, n_.options().heartbeat);
      if (victim_ != 0) n_.feed(victim_, FrameWriter(FrameKind::ping).u64(0).finish());
      n_.advance(piece);
      d -= piece;
    }
    for (const auto& c : conns_) {
      if (!n_.admitted(c->id) && n_.open(c->id) && n_.net().now() - c->opened > n_.options().handshake_timeout) {
        // The clock moves only in advance(), which ticks after moving it.
        fuzz::fail("a handshake past its timeout was not closed");
      }
    }
  }

  /// The peer sent on `c` a confirm that a PeerEnd with the cookie made for its channel.
  static bool proved(const Conn& c) {
    for (const auto& [kind, body] : c.received) {
      if (kind == FrameKind::confirm &&
          std::find(c.good_confirms.begin(), c.good_confirms.end(), body) != c.good_confirms.end()) {
        return true;
      }
    }
    return false;
  }

  /// The node took the first hello on a connection (a second one is refused).
  static std::optional<snow::dist::PeerHello> first_hello(const Conn& c) {
    for (const auto& [kind, body] : c.received) {
      if (kind != FrameKind::hello) continue;
      const std::optional<snow::dist::HelloFrame> f = snow::dist::read_hello(body);
      if (!f) return std::nullopt;
      return snow::dist::PeerHello{.version = f->version, .creation = f->creation, .name = std::string(f->name)};
    }
    return std::nullopt;
  }

  /// The name the node would list for `c` once up.
  static std::string claimed_name(const Conn& c) {
    if (!c.inbound) return c.dialled;
    const std::optional<snow::dist::PeerHello> h = first_hello(c);
    return h ? h->name : std::string();
  }

  void check_first_hello(fuzz::ConnId id) {
    const std::optional<snow::dist::PeerHello> h = n_.node_hello(id);
    if (!h || h->version != snow::dist::kProtocolVersion || h->name != fuzz::kNodeName || h->creation == 0) {
      fuzz::fail("the node did not open with a well-formed version 2 hello with its name");
    }
  }

  /// A connection other than the victim's was authenticated, for the victim's name.
  bool victim_name_authenticated() const {
    for (const auto& c : conns_) {
      if (n_.admitted(c->id) && claimed_name(*c) == fuzz::kPeerName) return true;
    }
    return false;
  }

  void check_victim() {
    if (!n_.open(victim_) && !victim_name_authenticated()) {
      fuzz::fail("an unauthenticated peer closed the up connection of the node whose name it claimed");
    }
  }

  void check() {
    bool any_admitted = false;
    for (const auto& cp : conns_) {
      const Conn& c = *cp;
      const auto& out = n_.net().written[c.id];
      if (out.malformed) fuzz::fail("the node wrote a malformed frame");
      const bool sent_confirm = std::find(out.kinds.begin(), out.kinds.end(), FrameKind::confirm) != out.kinds.end();
      if (n_.admitted(c.id)) {
        any_admitted = true;
        if (!proved(c)) fuzz::fail("a connection came up without a valid proof");
      }
      if (c.inbound && sent_confirm && !proved(c)) fuzz::fail("the accepting node proved before the peer did");
      if (!c.inbound && sent_confirm) {
        const std::optional<snow::dist::PeerHello> h = first_hello(c);
        if (!h || h->version != snow::dist::kProtocolVersion || h->name != c.dialled) {
          fuzz::fail("the dialling node proved to a node it did not dial");
        }
      }
    }
    if (victim_ != 0) {
      check_victim();
      if (n_.net().written[victim_].malformed) fuzz::fail("the node wrote a malformed frame");
    }
    if (!any_admitted) {
      // Nothing but the victim proved anything: the node is as the victim left it.
      const std::vector<std::string> listed = n_.node().connected();
      const std::vector<std::string> expected =
          victim_ != 0 ? std::vector<std::string>{fuzz::kPeerName} : std::vector<std::string>{};
      if (listed != expected) fuzz::fail("the node lists a peer that never proved the cookie");
      for (const auto& c : conns_) {
        const std::optional<snow::dist::PeerHello> h = first_hello(*c);
        if (h && h->name != fuzz::kPeerName && h->name != fuzz::kNodeName && n_.node().node_index(h->name) != 0) {
          fuzz::fail("a hello's claim entered the node table before any proof");
        }
      }
    } else {
      // Every listed peer has an up connection the harness saw authenticated.
      for (const std::string& name : n_.node().connected()) {
        bool found = victim_ != 0 && n_.open(victim_) && name == fuzz::kPeerName;
        for (const auto& c : conns_) found = found || (n_.admitted(c->id) && n_.open(c->id) && claimed_name(*c) == name);
        if (!found) fuzz::fail("the node lists a peer with no authenticated connection");
      }
    }
  }

  FuzzedDataProvider& in_;
  fuzz::FuzzNode n_;
  fuzz::ConnId victim_ = 0;
  std::vector<std::unique_ptr<Conn>> conns_;
  absl::flat_hash_map<fuzz::ConnId, bool> good_end_;  // the current end has the cookie and the channel
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  Attack(in).run();
  return 0;
}
