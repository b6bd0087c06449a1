// src/discovery/dns_answer.cpp: an RFC 1035 message reader for SRV answers (RFC 2782).
#include "src/discovery/dns_answer.hpp"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "src/discovery/discovery_source.hpp"

namespace snow::discovery {

namespace {

constexpr std::size_t kHeaderBytes = 12;
constexpr std::size_t kMaxNameBytes = 255;

// Reads the message front to back; any read past its end sets `ok` to false and
// returns zeros, so the callers check once per record.
class MessageReader {
 public:
  explicit MessageReader(std::string_view message) : m_(message) {}
  bool ok() const { return ok_; }
  std::size_t offset() const { return at_; }
  std::uint8_t byte_at(std::size_t i) const { return static_cast<std::uint8_t>(m_[i]); }
  std::size_t size() const { return m_.size(); }

  std::uint16_t u16() {
    if (!need(2)) return 0;
    const std::uint16_t v = static_cast<std::uint16_t>(byte_at(at_) << 8 | byte_at(at_ + 1));
    at_ += 2;
    return v;
  }
  std::uint32_t u32() {
    const std::uint32_t hi = u16();
    return hi << 16 | u16();
  }
  void skip(std::size_t n) {
    if (need(n)) at_ += n;
  }
  void jump_to(std::size_t offset) {
    if (offset > m_.size()) ok_ = false;
    else at_ = offset;
  }
  // A domain name at the current offset: expanded into `out` (labels joined by '.',
  // without the root's) when `out` is set, skipped otherwise. The reader moves past the
  // name as written (a pointer ends it), whatever it points to.
  void name(std::string* out) {
    std::size_t at = at_;
    std::size_t resume = 0;  // where the reader continues: past the first pointer
    int jumps = 0;
    std::size_t expanded = 0;
    for (;;) {
      if (at >= m_.size()) return fail();
      const std::uint8_t len = byte_at(at);
      if ((len & 0xC0) == 0xC0) {
        if (at + 1 >= m_.size() || ++jumps > kMaxNameJumps) return fail();
        if (resume == 0) resume = at + 2;
        at = static_cast<std::size_t>(len & 0x3F) << 8 | byte_at(at + 1);
        continue;
      }
      if ((len & 0xC0) != 0) return fail();  // the reserved label types (RFC 6891 dropped them)
      if (len == 0) {
        at_ = resume != 0 ? resume : at + 1;
        return;
      }
      if (at + 1 + len > m_.size()) return fail();
      expanded += len + 1;
      if (expanded > kMaxNameBytes) return fail();
      if (out != nullptr) {
        if (!out->empty()) out->push_back('.');
        out->append(m_.substr(at + 1, len));
      }
      at += 1 + len;
    }
  }

 private:
  bool need(std::size_t n) {
    if (!ok_ || m_.size() - at_ < n) {
      ok_ = false;
      return false;
    }
    return true;
  }
  void fail() { ok_ = false; }

  std::string_view m_;
  std::size_t at_ = 0;
  bool ok_ = true;
};

}  // namespace

std::string DnsMember::key() const {
  const std::string lowered = absl::AsciiStrToLower(host);  // DNS names compare ignoring case
  return host.find(':') != std::string::npos ? absl::StrCat("[", lowered, "]:", port) : absl::StrCat(lowered, ":", port);
}

absl::StatusOr<DnsAnswer> parse_srv_answer(std::string_view message, std::size_t max_members) {
  if (message.size() < kHeaderBytes) return absl::InvalidArgumentError("DNS answer shorter than its header");
  MessageReader r(message);
  r.skip(2);  // id
  const std::uint16_t flags = r.u16();
  const std::uint16_t questions = r.u16();
  const std::uint16_t answers = r.u16();
  r.skip(4);  // authority and additional counts: their records come after the answers
  if ((flags & 0x8000) == 0) return absl::InvalidArgumentError("DNS message is a query, not a response");
  switch (flags & 0x000F) {
    case 0: break;
    case 3: return absl::NotFoundError("no such DNS name (NXDOMAIN)");
    default: return absl::UnavailableError(absl::StrCat("DNS server answered with error code ", flags & 0x000F));
  }
  for (std::uint16_t i = 0; i < questions && r.ok(); ++i) {
    r.name(nullptr);
    r.skip(4);  // type, class
  }
  DnsAnswer out;
  absl::flat_hash_set<std::string> seen;
  for (std::uint16_t i = 0; i < answers && r.ok(); ++i) {
    r.name(nullptr);
    const std::uint16_t type = r.u16();
    const std::uint16_t klass = r.u16();
    r.u32();  // ttl: the poll interval decides how often to ask again
    const std::uint16_t rdlength = r.u16();
    if (!r.ok() || r.size() - r.offset() < rdlength) return absl::InvalidArgumentError("truncated DNS answer record");
    const std::size_t rdata_end = r.offset() + rdlength;
    if (type != kDnsTypeSrv || klass != kDnsClassIn) {
      r.jump_to(rdata_end);
      continue;
    }
    r.skip(4);  // priority, weight: every member is dialled, whatever its rank
    const std::uint16_t port = r.u16();
    std::string target;
    r.name(&target);
    if (!r.ok() || r.offset() > rdata_end) return absl::InvalidArgumentError("malformed SRV record");
    r.jump_to(rdata_end);
    // "." means "no service here" (RFC 2782); a target that is no host name, or port 0,
    // cannot be dialled.
    if (target.empty() || port == 0 || !is_dns_name(target)) {
      ++out.ignored;
      continue;
    }
    if (out.members.size() >= max_members) {
      ++out.ignored;
      continue;
    }
    DnsMember m{std::move(target), port};
    if (seen.insert(m.key()).second) out.members.push_back(std::move(m));
  }
  if (!r.ok()) return absl::InvalidArgumentError("malformed DNS answer");
  return out;
}

}  // namespace snow::discovery
