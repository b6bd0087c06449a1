// src/dist/remote_call.hpp: the node's part in service calls across nodes.
//
// A service answers a caller on another node with a RemoteCallReply (a wire struct,
// include/snow/detail/remote_call.hpp). The caller's node delivers it as the CallReply a
// local service would have sent, so everything the runtime does for calls (matching by
// Ref, Down handling, dropping the late reply of an abandoned call) holds for remote
// calls without a case of its own.
#pragma once

#include <string_view>

#include "snow/detail/message_node.hpp"
#include "snow/term.hpp"

namespace snow::detail {

/// A CallReply boxed from `message` if it is a RemoteCallReply, else null (`message`
/// untouched). A RemoteCallReply that does not convert is left as it is: delivered as a
/// Term, it matches no call.
MessageNode* box_if_call_reply(Term& message);

/// True when the STF encoding `stf` holds a struct named as RemoteCallReply is (such a
/// message must take the Term path, which turns it into a CallReply).
bool is_call_reply_encoding(std::string_view stf);

}  // namespace snow::detail
