// src/discovery/dns_answer.hpp: the members an SRV answer names, read from its bytes.
//
// The answer comes from the network (a DNS server, or anyone who can spoof one), so the
// reader trusts none of it: every length and offset is checked against the message,
// compressed names may jump at most kMaxNameJumps times (a loop of pointers ends there),
// an expanded name is at most 255 bytes, and a target that is not a DNS name of the kind
// a node's host may be (is_dns_name) is skipped and counted, never passed on. At most
// `max_members` members are kept; the records past them are counted, not stored, so a
// huge answer costs time linear in its size and memory bounded by `max_members`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace snow::discovery {

/// A node DNS names: an address or host name, and the port it listens on.
struct DnsMember {
  std::string host;
  std::uint16_t port = 0;
  /// "host:port" ("[v6]:port" for an IPv6 address), the host in lower case: how
  /// discovery tells members apart.
  std::string key() const;
  friend bool operator==(const DnsMember&, const DnsMember&) = default;
};

/// What one lookup found.
struct DnsAnswer {
  std::vector<DnsMember> members;  // in the answer's order, without duplicates
  std::size_t ignored = 0;         // records past max_members, or unusable (bad target, port 0)
};

/// Compression pointers followed in one name, at most.
inline constexpr int kMaxNameJumps = 32;

/// The record type (SRV) and class (Internet) discovery asks for and reads.
inline constexpr std::uint16_t kDnsTypeSrv = 33;
inline constexpr std::uint16_t kDnsClassIn = 1;

/// The SRV records (class IN) of a DNS response message `message`, as returned by
/// res_nquery. Records of other types (a server's additional A records) are skipped.
/// InvalidArgument for a message that does not parse; a response code other than
/// NOERROR is NotFound (NXDOMAIN) or Unavailable.
absl::StatusOr<DnsAnswer> parse_srv_answer(std::string_view message, std::size_t max_members);

}  // namespace snow::discovery
