// src/dist/remote_call.cpp: the compiled half of service calls across nodes
// (include/snow/detail/remote_call.hpp).
#include "src/dist/remote_call.hpp"

#include <string>

#include "absl/strings/str_cat.h"
#include "snow/detail/encoded_message.hpp"
#include "snow/detail/remote_call.hpp"
#include "snow/reply.hpp"
#include "src/dist/node_core.hpp"
#include "src/dist/start_node.hpp"
#include "src/runtime/strings.hpp"

namespace snow::detail {

namespace {
/// A status code from another node, trusted only as far as it is one of absl's.
absl::StatusCode code_from_wire(std::int64_t code) {
  if (code < 0 || code > static_cast<std::int64_t>(absl::StatusCode::kUnauthenticated)) return absl::StatusCode::kUnknown;
  return static_cast<absl::StatusCode>(code);
}

/// The Term form of a boxed reply. Only a service's reply to another node needs it, and
/// the reply's type is known there only through its TypeInfo: its STF encoding (which
/// every wire type has) read back as a Term. The Pids in it are this node's, as the
/// encoding leaves them, and are translated for the caller when the reply is sent.
absl::StatusOr<Term> as_term(Message reply) {
  if (!reply) return Term();
  MessageNode* node = reply.release();
  Message owner(node);
  if (node->type->encode == nullptr) {
    return absl::InternalError(absl::StrCat("the reply, a ", demangle(*node->type->std_type),
                                            ", is not a wire type (declare it with SNOW_WIRE)"));
  }
  std::string bytes;
  SNOW_RETURN_IF_ERROR(node->type->encode(node, bytes));
  return snow::decode_term(bytes);
}
}  // namespace

absl::Status check_remote_call(Runtime& rt, Pid server, const std::string& call_name) {
  NodeCore* core = node_of(rt);
  if (core == nullptr) return absl::OkStatus();  // not a node: the monitor answers noconnection
  const std::string node = core->node_of(server);
  if (!node.empty() && core->mismatched(node, call_name)) {
    return absl::FailedPreconditionError(absl::StrCat("cannot make the ", call_name, " to ", server.to_string(), " on ",
                                                      node, ": its request or reply is declared differently there "
                                                      "(protocol fingerprint)"));
  }
  return absl::OkStatus();
}

absl::Status request_not_wire(const std::type_info& request, Pid server) {
  const std::string type = demangle(request);
  return absl::InvalidArgumentError(absl::StrCat(
      "snow: cannot send the request ", type, " to the service ", server.to_string(),
      " on another node: a request to a service on another node must be a wire type: declare it with SNOW_WIRE(",
      type, ", field, ...) (or SNOW_WIRE_SUM), and list it in the service state's "
      "`using remote_requests = snow::RemoteRequests<...>;`"));
}

absl::Status remote_stop_refused(Pid server) {
  return absl::UnimplementedError(absl::StrCat("snow: Service::stop cannot stop the service ", server.to_string(),
                                               " on another node; send it an exit signal "
                                               "(self.exit(pid, snow::ExitReason::shutdown())) or stop it on its node"));
}

MessageNode* box_reply_for_remote_caller(Ref ref, Message reply, absl::Status status) {
  Term payload;
  if (status.ok()) {
    absl::StatusOr<Term> term = as_term(std::move(reply));
    if (term.ok()) {
      payload = std::move(*term);
    } else {
      status = term.status();
    }
  }
  return box(RemoteCallReply{ref, static_cast<std::int64_t>(status.code()), std::string(status.message()),
                             std::move(payload)});
}

void refuse_remote_request(Self self, const RemoteCallRequest& request, absl::Status why) {
  if (NodeCore* core = node_of(self.runtime())) core->count_refused_service_request();
  if (request.ref && request.from) send_reply(self.runtime(), request.from, request.ref, Message(), std::move(why));
}

MessageNode* box_if_call_reply(Term& message) {
  if (!message.is_struct() || message.type_name() != Wire<RemoteCallReply>::kName) return nullptr;
  absl::StatusOr<RemoteCallReply> reply = from_term<RemoteCallReply>(message);
  if (!reply.ok()) return nullptr;
  const absl::StatusCode code = code_from_wire(reply->code);
  if (code == absl::StatusCode::kOk) return box(CallReply{reply->ref, Message::of(std::move(reply->payload)), absl::OkStatus()});
  return box(CallReply{reply->ref, Message(), absl::Status(code, internal::printable(reply->error, 1024))});
}

bool is_call_reply_encoding(std::string_view stf) {
  Term::Kind kind;
  std::string_view name;
  return encoded_head(stf, kind, name) && kind == Term::Kind::structure && name == Wire<RemoteCallReply>::kName;
}

}  // namespace snow::detail
