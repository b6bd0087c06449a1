// src/dist/send_result.cpp
#include "src/dist/send_result.hpp"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "src/dist/protocol.hpp"

namespace snow::dist {

std::string write_send_result(const SendResult& r) {
  return FrameWriter(FrameKind::send_result)
      .u64(r.ticket)
      .u64(r.to)
      .u8(static_cast<std::uint8_t>(r.outcome))
      .u8(static_cast<std::uint8_t>(r.limit))
      .u64(r.detail)
      .finish();
}

std::optional<SendResult> read_send_result(std::string_view body) {
  BodyReader r(body);
  SendResult out;
  out.ticket = r.u64();
  out.to = r.u64();
  const std::uint8_t outcome = r.u8();
  const std::uint8_t limit = r.u8();
  out.detail = r.u64();
  if (!r.ok() || !r.at_end() || outcome >= kSendOutcomes || limit > static_cast<std::uint8_t>(DecodeLimit::decoded_budget)) {
    return std::nullopt;
  }
  // Only an acknowledged send is answered "delivered"; a plain send never is.
  if (out.ticket == 0 && outcome == static_cast<std::uint8_t>(SendOutcome::delivered)) return std::nullopt;
  out.outcome = static_cast<SendOutcome>(outcome);
  out.limit = static_cast<DecodeLimit>(limit);
  return out;
}

std::pair<DecodeLimit, std::uint64_t> classify_decode_failure(const absl::Status& status, const DecodeLimits& limits) {
  // The phrases are the decoder's own (Decoder::fail_decoded_size, fail_depth and
  // fail_too_long in src/wire/codec.cpp); tests/dist check that each maps to its limit.
  const absl::string_view text = status.message();
  if (absl::StrContains(text, "max_decoded_bytes_per_input_byte")) {
    return {DecodeLimit::decoded_budget, limits.max_decoded_bytes_per_input_byte};
  }
  if (absl::StrContains(text, "nesting deeper than the limit")) return {DecodeLimit::depth, limits.max_depth};
  if (absl::StrContains(text, "string of ") &&
      absl::StrContains(text, absl::StrCat("is over the limit of ", limits.max_string_bytes))) {
    return {DecodeLimit::string_bytes, limits.max_string_bytes};
  }
  if (absl::StrContains(text, "collection of ") &&
      absl::StrContains(text, absl::StrCat("is over the limit of ", limits.max_collection_count))) {
    return {DecodeLimit::collection, limits.max_collection_count};
  }
  return {DecodeLimit::malformed, 0};
}

namespace {
std::string_view limit_name(DecodeLimit limit) {
  switch (limit) {
    case DecodeLimit::malformed: return "";
    case DecodeLimit::string_bytes: return "max_string_bytes";
    case DecodeLimit::collection: return "max_collection_count";
    case DecodeLimit::depth: return "max_depth";
    case DecodeLimit::decoded_budget: return "max_decoded_bytes_per_input_byte";
  }
  return "";
}
}  // namespace

absl::Status refusal_status(const SendResult& r, std::string_view node, Pid to) {
  const std::string whom = to.is_null() ? std::string("the named process") : to.to_string();
  switch (r.outcome) {
    case SendOutcome::delivered: return absl::OkStatus();
    case SendOutcome::mailbox_full:
      return absl::ResourceExhaustedError(
          absl::StrCat("the mailbox of ", whom, " on ", detail::av(node), " is full (capacity ", r.detail, ")"));
    case SendOutcome::no_process: return absl::NotFoundError(absl::StrCat("no process ", whom, " on ", detail::av(node)));
    case SendOutcome::undecodable:
      if (r.limit == DecodeLimit::malformed) {
        return absl::InvalidArgumentError(
            absl::StrCat(detail::av(node), " could not decode the message to ", whom, " (a malformed encoding); dropped"));
      }
      return absl::InvalidArgumentError(absl::StrCat(detail::av(node), " refused the message to ", whom, ": over its DecodeLimits::",
                                                     detail::av(limit_name(r.limit)), " of ", r.detail, "; dropped"));
  }
  return absl::InternalError("unknown send outcome");
}

std::string write_refusal_summary(const RefusalCounts& counts) {
  auto clamp = [](std::uint64_t n) { return static_cast<std::uint32_t>(std::min<std::uint64_t>(n, UINT32_MAX)); };
  return FrameWriter(FrameKind::refusal_summary)
      .u32(clamp(counts[static_cast<int>(SendOutcome::mailbox_full)]))
      .u32(clamp(counts[static_cast<int>(SendOutcome::no_process)]))
      .u32(clamp(counts[static_cast<int>(SendOutcome::undecodable)]))
      .finish();
}

std::optional<RefusalCounts> read_refusal_summary(std::string_view body) {
  BodyReader r(body);
  RefusalCounts out{};
  out[static_cast<int>(SendOutcome::mailbox_full)] = r.u32();
  out[static_cast<int>(SendOutcome::no_process)] = r.u32();
  out[static_cast<int>(SendOutcome::undecodable)] = r.u32();
  if (!r.ok() || !r.at_end()) return std::nullopt;
  return out;
}

bool NoticeBudget::take(SendOutcome outcome, absl::Time now) {
  if (now - window_start_ >= absl::Seconds(1)) {
    if (!holding_) {  // a window with counts held stays until its summary is sent
      window_start_ = now;
      sent_ = 0;
    }
  }
  if (!holding_ && sent_ < kNoticesPerSecond) {
    ++sent_;
    return true;
  }
  ++held_[static_cast<int>(outcome)];
  holding_ = true;
  return false;
}

std::optional<RefusalCounts> NoticeBudget::due_summary(absl::Time now) {
  if (!holding_ || now - window_start_ < absl::Seconds(1)) return std::nullopt;
  RefusalCounts out = held_;
  held_ = {};
  holding_ = false;
  window_start_ = now;
  sent_ = 0;
  return out;
}

}  // namespace snow::dist
