// libFuzzer target for the node handshake (docs/WIRE.md §5.2): a hostile peer on an
// accepted connection, or on one the node dialled, sends a script of hello frames with
// fuzzed fields, proofs (right, made with another cookie, made for another connection,
// random), raw bytes, frames of other kinds, and lets time pass. Properties:
//
//  - the connection comes up only after the peer sent the proof made with the cookie
//    for this connection (a proof for another TLS channel, as a replayed handshake
//    carries, never verifies);
//  - an accepting node sends its own proof only after verifying the peer's, and a
//    dialling node proves only to the node it dialled;
//  - the node's first frame is a well-formed hello with its name;
//  - a connection still handshaking after handshake_timeout is closed.
//
// Built outside the Meson build with clang (tests/fuzz/run.sh, `make fuzz`).
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "node_harness.hpp"

namespace {

using snow::dist::FrameKind;
using snow::dist::FrameWriter;

/// Counts the auth frames the node has written on `id` (its output is a frame stream).
int auth_frames_sent(fuzz::FuzzNode& n, fuzz::ConnId id) {
  snow::dist::FrameReader r(snow::dist::kHandshakeFrameLimit);
  r.append(n.net().written[id]);
  int count = 0;
  for (;;) {
    bool got = false;
    FrameKind kind{};
    std::string_view body;
    if (!r.next(got, kind, body).ok()) fuzz::fail("the node wrote a malformed frame");
    if (!got) return count;
    if (kind == FrameKind::auth) ++count;
  }
}

std::string pick_name(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange<int>(0, 4)) {
    case 0: return fuzz::kPeerName;
    case 1: return fuzz::kNodeName;  // the node's own name
    case 2: return "other@127.0.0.1:4372";
    case 3: return "peer@127.0.0.1";  // no port: not in canonical form
    default: return in.ConsumeRandomLengthString(300);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  fuzz::FuzzNode n;
  const bool inbound = in.ConsumeBool();
  const fuzz::ConnId id = inbound ? n.accept() : n.dial();
  const absl::Time opened = n.net().now();
  {
    const std::string nonce = n.node_nonce(id);
    if (nonce.size() != snow::dist::kNonceBytes) fuzz::fail("the node did not open with a well-formed hello");
  }
  std::string first_hello_name;  // the name the node takes for the peer (only the first hello counts)
  bool hello_sent = false;
  bool proved = false;  // the peer sent the right proof for the name it gave
  for (int step = 0; step < 48 && in.remaining_bytes() > 0 && n.open(id); ++step) {
    switch (in.ConsumeIntegralInRange<int>(0, 8)) {
      case 0:  // raw bytes, maybe a partial or bad frame
        n.feed(id, in.ConsumeRandomLengthString(1500));
        break;
      case 1: {  // a hello with fuzzed fields
        const std::uint8_t version = in.ConsumeBool() ? 1 : in.ConsumeIntegral<std::uint8_t>();
        const std::uint8_t creation = in.ConsumeIntegral<std::uint8_t>();
        std::string nonce = in.ConsumeBytesAsString(snow::dist::kNonceBytes);
        const std::string name = pick_name(in).substr(0, 255);
        std::string frame = fuzz::FuzzNode::hello_frame(name, nonce, version, creation);
        if (!hello_sent) first_hello_name = name;
        hello_sent = true;
        n.feed(id, frame);
        break;
      }
      case 2:  // the right proof, for the first hello's name
        if (hello_sent) proved = true;
        n.feed(id, fuzz::FuzzNode::auth_frame(n.proof(id, first_hello_name)));
        break;
      case 3: {  // a proof made with another cookie
        const std::string cookie = in.ConsumeRandomLengthString(64);
        const std::string digest = snow::dist::auth_digest(cookie, n.net().channel_binding(id), n.node_nonce(id),
                                                           first_hello_name, fuzz::kNodeName);
        if (cookie == fuzz::kCookie && hello_sent) proved = true;
        n.feed(id, fuzz::FuzzNode::auth_frame(digest));
        break;
      }
      case 4: {  // a replayed proof: right cookie, but made for another connection's channel
        const std::string digest = snow::dist::auth_digest(fuzz::kCookie, n.net().channel_binding(id + 1 + in.ConsumeIntegral<std::uint8_t>()),
                                                           n.node_nonce(id), first_hello_name, fuzz::kNodeName);
        n.feed(id, fuzz::FuzzNode::auth_frame(digest));
        break;
      }
      case 5:  // a random proof of any length
        n.feed(id, fuzz::FuzzNode::auth_frame(in.ConsumeRandomLengthString(64)));
        break;
      case 6:  // time passes
        n.advance(absl::Milliseconds(in.ConsumeIntegralInRange<int>(0, 3000)));
        break;
      case 7: {  // a frame of another kind, which the handshake does not allow
        const auto kind = static_cast<FrameKind>(in.ConsumeIntegralInRange<int>(3, 0x20));
        if (snow::dist::is_known_kind(static_cast<std::uint8_t>(kind))) {
          n.feed(id, FrameWriter(kind).bytes(in.ConsumeRandomLengthString(64)).finish());
        }
        break;
      }
      default: {  // a well-formed hello from the expected peer, a byte at a time
        const std::string frame = fuzz::FuzzNode::hello_frame(fuzz::kPeerName, std::string(32, 'p'));
        if (!hello_sent) first_hello_name = fuzz::kPeerName;
        hello_sent = true;
        for (char c : frame) n.feed(id, std::string_view(&c, 1));
      }
    }
    // Properties, after every step.
    if (n.up() && !proved) fuzz::fail("a connection came up without the right proof");
    if (inbound && auth_frames_sent(n, id) > 0 && !proved) fuzz::fail("the accepting node proved before the peer did");
    if (!inbound && auth_frames_sent(n, id) > 0 && first_hello_name != fuzz::kPeerName) {
      fuzz::fail("the dialling node proved to a node it did not dial");
    }
    if (!n.up() && n.open(id) && n.net().now() - opened > n.options().handshake_timeout) {
      // The clock moves only in advance(), which ticks after moving it.
      fuzz::fail("a handshake past its timeout was not closed");
    }
  }
  return 0;
}
