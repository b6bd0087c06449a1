// src/dist/cookie_file.cpp
#include "src/dist/cookie_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bitset>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "src/tls/random.hpp"

namespace snow::dist {

namespace {
constexpr std::size_t kCookieRandomBytes = 32;
constexpr std::size_t kMinCookieBytes = 16;
constexpr std::size_t kMinDistinctBytes = 8;

absl::Status os_error(const char* what, const std::string& path) {
  return absl::UnavailableError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  return s;
}

absl::StatusOr<std::string> read_cookie(int fd, const std::string& path) {
  struct stat st {};
  if (fstat(fd, &st) != 0) return os_error("cannot stat", path);
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("the cookie file ", path, " must be readable by its owner only (chmod 600 ", path, ")"));
  }
  std::string content;
  char buf[512];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) return os_error("cannot read", path);
    if (n == 0) break;
    content.append(buf, static_cast<std::size_t>(n));
    if (content.size() > 4096) return absl::FailedPreconditionError(absl::StrCat("the cookie file ", path, " is too large"));
  }
  content = trimmed(std::move(content));
  if (content.empty()) return absl::FailedPreconditionError(absl::StrCat("the cookie file ", path, " is empty"));
  return content;
}
}  // namespace

absl::StatusOr<std::string> read_or_create_cookie_file(const std::string& path) {
  // O_EXCL: two nodes starting at once agree on the one file the first of them made.
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    std::uint8_t raw[kCookieRandomBytes];
    tls::random_bytes(raw);
    std::string hex;
    for (std::uint8_t b : raw) absl::StrAppend(&hex, absl::Hex(b, absl::kZeroPad2));
    const std::string line = hex + "\n";
    const bool ok = write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
    close(fd);
    if (!ok) return os_error("cannot write", path);
    return hex;
  }
  if (errno != EEXIST) return os_error("cannot create", path);
  fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return os_error("cannot open", path);
  absl::StatusOr<std::string> cookie = read_cookie(fd, path);
  close(fd);
  return cookie;
}

absl::StatusOr<std::string> default_cookie() {
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0') {
    return absl::FailedPreconditionError("no cookie given (NodeOptions::cookie) and HOME is not set for ~/.snow.cookie");
  }
  return read_or_create_cookie_file(absl::StrCat(home, "/.snow.cookie"));
}

std::string cookie_weakness(std::string_view cookie) {
  if (cookie.size() < kMinCookieBytes) {
    return absl::StrCat(cookie.size(), " bytes; use at least ", kMinCookieBytes, " random bytes");
  }
  std::bitset<256> seen;
  for (char c : cookie) seen.set(static_cast<unsigned char>(c));
  if (seen.count() < kMinDistinctBytes) {
    return absl::StrCat("only ", seen.count(), " distinct characters; use random bytes");
  }
  return "";
}

}  // namespace snow::dist
