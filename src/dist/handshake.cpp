// src/dist/handshake.cpp
#include "src/dist/handshake.hpp"

#include <utility>

#include "absl/strings/str_cat.h"
#include "snow/node.hpp"
#include "src/dist/handshake_frames.hpp"
#include "src/dist/node_address.hpp"
#include "src/runtime/strings.hpp"

namespace snow::dist {

namespace {
Handshake::Step refuse(Refusal reason, absl::Status status) {
  Handshake::Step s;
  s.refused = Refused{reason, std::move(status)};
  return s;
}

Handshake::Step malformed(std::string_view what) {
  return refuse(Refusal::malformed, absl::InvalidArgumentError(internal::to_absl(what)));
}
}  // namespace

std::string_view refusal_name(Refusal r) {
  switch (r) {
    case Refusal::malformed: return "malformed";
    case Refusal::version: return "version";
    case Refusal::name: return "name";
    case Refusal::certificate: return "certificate";
    case Refusal::proof: return "proof";
    case Refusal::duplicate: return "duplicate";
    case Refusal::timeout: return "timeout";
    case Refusal::capacity: return "capacity";
  }
  return "?";
}

Handshake::Handshake(Role role, std::string my_name, std::uint32_t my_creation, std::string peer,
                     std::string_view cookie)
    : role_(role), my_name_(std::move(my_name)), my_creation_(my_creation), expected_peer_(std::move(peer)),
      cookie_(cookie) {
  // The connector knows both names before anything arrives, so its SPAKE2 message goes
  // out with its hello; the acceptor learns the connector's name from the hello first.
  if (role_ == Role::connector && !expected_peer_.empty()) {
    proof_.emplace(CookieProof::Role::connector, my_name_, expected_peer_, cookie_);
  }
}

std::vector<std::string> Handshake::opening() {
  std::string hello = write_hello({.version = kProtocolVersion, .creation = my_creation_, .name = my_name_});
  my_hello_body_ = hello.substr(kFrameHeaderBytes + 1);
  std::vector<std::string> out{std::move(hello)};
  if (proof_) out.push_back(write_pake(proof_->message()));
  return out;
}

Handshake::Step Handshake::on_frame(FrameKind kind, std::string_view body, std::string_view channel_binding,
                                    const HandshakeGate& gate) {
  if (kind == FrameKind::hello && stage_ == Stage::await_hello) return on_hello(body, gate);
  if (kind == FrameKind::pake && stage_ == Stage::await_pake) return on_pake(body, channel_binding);
  if (kind == FrameKind::confirm && stage_ == Stage::await_confirm) return on_confirm(body);
  return malformed(absl::StrCat("unexpected ", internal::to_absl(kind_name(kind)), " frame during the handshake"));
}

Handshake::Step Handshake::on_hello(std::string_view body, const HandshakeGate& gate) {
  // The version first: another version's hello has another layout.
  if (const std::optional<std::uint8_t> version = read_hello_version(body); version && *version != kProtocolVersion) {
    return refuse(Refusal::version, absl::FailedPreconditionError(absl::StrCat(
                                        "protocol version ", *version, ", this node speaks ", kProtocolVersion)));
  }
  const std::optional<HelloFrame> well_formed = read_hello(body);
  if (!well_formed) return malformed("malformed hello");
  PeerHello hello{
      .version = well_formed->version, .creation = well_formed->creation, .name = std::string(well_formed->name)};
  const bool by_address = role_ == Role::connector && expected_peer_.empty();
  if (by_address && hello.name == my_name_) {
    dialled_itself_ = true;
    return refuse(Refusal::name, absl::InvalidArgumentError("the address dialled is this node's own"));
  }
  absl::StatusOr<NodeAddress> parsed = parse_node_address(hello.name, kDefaultNodePort);
  if (!parsed.ok() || parsed->full() != hello.name || hello.name == my_name_ || hello.creation == 0) {
    return refuse(Refusal::name, absl::InvalidArgumentError("bad node name in hello"));
  }
  if (role_ == Role::connector && !by_address && hello.name != expected_peer_) {
    return refuse(Refusal::name, absl::PermissionDeniedError(absl::StrCat(
                                     "expected ", expected_peer_, ", the node at that address is ",
                                     internal::printable(hello.name))));
  }
  peer_hello_body_ = std::string(body);
  peer_hello_ = std::move(hello);
  if (std::optional<Refused> no = gate.check_hello(*peer_hello_)) return refuse(no->reason, std::move(no->status));
  stage_ = Stage::await_pake;
  Step step;
  if (by_address) {  // the name is known now: the proof can start
    expected_peer_ = peer_hello_->name;
    proof_.emplace(CookieProof::Role::connector, my_name_, expected_peer_, cookie_);
    step.send.push_back(write_pake(proof_->message()));
  }
  return step;
}

Handshake::Step Handshake::on_pake(std::string_view body, std::string_view channel_binding) {
  const std::optional<std::string_view> peer_message = read_pake(body);
  if (!peer_message) return refuse(Refusal::malformed, absl::InvalidArgumentError(kPakeSizeError));
  Step step;
  std::string_view connector_pake, acceptor_pake;
  if (role_ == Role::acceptor) {
    proof_.emplace(CookieProof::Role::acceptor, peer_hello_->name, my_name_, cookie_);
    connector_pake = *peer_message;
    acceptor_pake = proof_->message();
  } else {
    connector_pake = proof_->message();
    acceptor_pake = *peer_message;
  }
  const absl::Status st = proof_->receive(*peer_message, channel_binding, transcript(connector_pake, acceptor_pake));
  if (!st.ok()) return refuse(Refusal::malformed, st);
  if (role_ == Role::acceptor) {
    step.send.push_back(write_pake(proof_->message()));
  } else {
    step.send.push_back(write_confirm(proof_->confirmation()));
    confirmation_sent_ = true;
  }
  stage_ = Stage::await_confirm;
  return step;
}

Handshake::Step Handshake::on_confirm(std::string_view body) {
  const std::optional<std::string_view> confirmation = read_confirm(body);
  if (!confirmation || !proof_->verify(*confirmation)) {
    return refuse(Refusal::proof, absl::PermissionDeniedError("authentication failed (wrong cookie)"));
  }
  stage_ = Stage::done;
  Step step;
  step.authenticated = true;
  return step;
}

std::string Handshake::acceptance() {
  return write_confirm(proof_->confirmation());
}

std::string Handshake::transcript(std::string_view connector_pake, std::string_view acceptor_pake) const {
  const std::string& connector_hello = role_ == Role::connector ? my_hello_body_ : peer_hello_body_;
  const std::string& acceptor_hello = role_ == Role::connector ? peer_hello_body_ : my_hello_body_;
  std::string out;
  for (std::string_view part : {std::string_view(connector_hello), std::string_view(acceptor_hello), connector_pake,
                                acceptor_pake}) {
    const auto n = static_cast<std::uint32_t>(part.size());
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(n >> (8 * i)));
    out.append(part);
  }
  return out;
}

}  // namespace snow::dist
