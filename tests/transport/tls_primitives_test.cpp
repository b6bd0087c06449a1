// tests/transport/tls_primitives_test.cpp: the BoringSSL calls the cookie proof and the
// cookie file make through src/tls (hmac, spake2, random), against known answers where
// there are published ones. The cookie proof built on them is tested in
// tests/dist/handshake_test.cpp.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>

#include "absl/strings/escaping.h"
#include "src/tls/hmac.hpp"
#include "src/tls/random.hpp"
#include "src/tls/spake2.hpp"

using snow::tls::Spake2;

TEST_CASE("hmac_sha256: RFC 4231 test cases 1 and 2") {
  CHECK(absl::BytesToHexString(snow::tls::hmac_sha256(std::string(20, '\x0b'), "Hi There")) ==
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  CHECK(absl::BytesToHexString(snow::tls::hmac_sha256("Jefe", "what do ya want for nothing?")) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("equal_in_constant_time: equal bytes only, of equal length") {
  CHECK(snow::tls::equal_in_constant_time("abc", "abc"));
  CHECK(snow::tls::equal_in_constant_time("", ""));
  CHECK_FALSE(snow::tls::equal_in_constant_time("abc", "abd"));
  CHECK_FALSE(snow::tls::equal_in_constant_time("abc", "ab"));
  CHECK_FALSE(snow::tls::equal_in_constant_time(std::string("a\0b", 3), std::string("a\0c", 3)));
}

TEST_CASE("spake2: the same password gives both sides one key; another password does not") {
  Spake2 alice(Spake2::Role::alice, "a@h:1", "b@h:2", "cookie");
  Spake2 bob(Spake2::Role::bob, "b@h:2", "a@h:1", "cookie");
  REQUIRE(alice.message().size() == 32);
  REQUIRE(bob.message().size() == 32);
  const absl::StatusOr<std::string> ka = alice.derive_key(bob.message());
  const absl::StatusOr<std::string> kb = bob.derive_key(alice.message());
  REQUIRE(ka.ok());
  REQUIRE(kb.ok());
  CHECK(ka->size() == 64);
  CHECK(*ka == *kb);

  Spake2 carol(Spake2::Role::alice, "a@h:1", "b@h:2", "guess");
  Spake2 dave(Spake2::Role::bob, "b@h:2", "a@h:1", "cookie");
  const absl::StatusOr<std::string> kc = carol.derive_key(dave.message());
  const absl::StatusOr<std::string> kd = dave.derive_key(carol.message());
  REQUIRE(kc.ok());  // a wrong password is not detectable from the messages: the keys differ
  REQUIRE(kd.ok());
  CHECK(*kc != *kd);
}

TEST_CASE("spake2: a message of the wrong size is refused, and a context derives once") {
  Spake2 alice(Spake2::Role::alice, "a", "b", "cookie");
  CHECK(alice.derive_key("short").status().code() == absl::StatusCode::kInvalidArgument);
  Spake2 x(Spake2::Role::alice, "a", "b", "cookie");
  Spake2 y(Spake2::Role::bob, "b", "a", "cookie");
  REQUIRE(x.derive_key(y.message()).ok());
  CHECK_FALSE(x.derive_key(y.message()).ok());
}

TEST_CASE("random_bytes: fills the whole buffer, differently each time") {
  std::uint8_t a[32] = {}, b[32] = {};
  snow::tls::random_bytes(a);
  snow::tls::random_bytes(b);
  // 2^-256 chance of a false failure; an all-zero buffer means nothing was written.
  CHECK(std::string(reinterpret_cast<char*>(a), 32) != std::string(reinterpret_cast<char*>(b), 32));
  CHECK(std::string(reinterpret_cast<char*>(a), 32) != std::string(32, '\0'));
}
