// src/discovery/dns_lookup.cpp
#include "src/discovery/dns_lookup.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <sys/socket.h>

#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

namespace snow::discovery {

namespace {

// The largest DNS message (one over TCP); a longer answer is read as far as this.
constexpr std::size_t kMaxMessageBytes = 65535;

absl::StatusOr<DnsAnswer> lookup_addresses(const DiscoverySource& source, std::size_t max_members) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int rc = getaddrinfo(source.name.c_str(), nullptr, &hints, &found);
  if (rc == EAI_NONAME || rc == EAI_NODATA) {
    return absl::NotFoundError(absl::StrCat("no address for ", source.name));
  }
  if (rc != 0) return absl::UnavailableError(absl::StrCat("looking up ", source.name, ": ", gai_strerror(rc)));
  DnsAnswer out;
  absl::flat_hash_set<std::string> seen;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    char text[INET6_ADDRSTRLEN] = {};
    const void* raw = nullptr;
    if (a->ai_family == AF_INET) raw = &reinterpret_cast<const sockaddr_in*>(a->ai_addr)->sin_addr;
    if (a->ai_family == AF_INET6) raw = &reinterpret_cast<const sockaddr_in6*>(a->ai_addr)->sin6_addr;
    if (raw == nullptr || inet_ntop(a->ai_family, raw, text, sizeof text) == nullptr) continue;
    DnsMember m{text, source.port};
    if (!seen.insert(m.key()).second) continue;  // one address per socket type and protocol
    if (out.members.size() >= max_members) {
      ++out.ignored;
      continue;
    }
    out.members.push_back(std::move(m));
  }
  freeaddrinfo(found);
  return out;
}

absl::StatusOr<DnsAnswer> lookup_srv(const DiscoverySource& source, std::size_t max_members) {
  struct __res_state state {};
  if (res_ninit(&state) != 0) return absl::UnavailableError("cannot read the resolver configuration");
  std::string message(kMaxMessageBytes, '\0');
  const int n = res_nquery(&state, source.name.c_str(), kDnsClassIn, kDnsTypeSrv,
                           reinterpret_cast<unsigned char*>(message.data()), static_cast<int>(message.size()));
  const int herr = state.res_h_errno;
  res_nclose(&state);
  if (n < 0) {
    if (herr == HOST_NOT_FOUND || herr == NO_DATA) return absl::NotFoundError(absl::StrCat("no SRV record for ", source.name));
    return absl::UnavailableError(absl::StrCat("looking up SRV ", source.name, ": no answer (", hstrerror(herr), ")"));
  }
  message.resize(std::min(static_cast<std::size_t>(n), message.size()));
  return parse_srv_answer(message, max_members);
}

}  // namespace

absl::StatusOr<DnsAnswer> lookup_members(const DiscoverySource& source, std::size_t max_members) {
  return source.kind == DiscoverySource::Kind::a ? lookup_addresses(source, max_members)
                                                  : lookup_srv(source, max_members);
}

bool LookupWorker::start(const DiscoverySource& source, std::size_t max_members) {
  {
    std::lock_guard lock(slot_->mu);
    if (slot_->running) return false;
    slot_->running = true;
  }
  try {
    std::thread([slot = slot_, source, max_members] {
      absl::StatusOr<DnsAnswer> answer = lookup_members(source, max_members);
      std::lock_guard lock(slot->mu);
      slot->answer = std::move(answer);
      slot->running = false;
    }).detach();
  } catch (const std::system_error& e) {  // no thread to be had: this poll fails, the next tries again
    std::lock_guard lock(slot_->mu);
    slot_->answer = absl::ResourceExhaustedError(absl::StrCat("no thread for a DNS lookup: ", e.what()));
    slot_->running = false;
  }
  return true;
}

std::optional<absl::StatusOr<DnsAnswer>> LookupWorker::take() {
  std::lock_guard lock(slot_->mu);
  std::optional<absl::StatusOr<DnsAnswer>> out = std::move(slot_->answer);
  slot_->answer.reset();
  return out;
}

}  // namespace snow::discovery
