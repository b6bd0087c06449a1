#include "snow/pid.hpp"

#include <doctest/doctest.h>

#include "absl/container/flat_hash_set.h"
#include "snow/exit_reason.hpp"
#include "snow/wire.hpp"  // a user reason of a wire type (std::string) is boxed with its encoder

TEST_SUITE("pid") {
TEST_CASE("the fields are packed node 16, creation 8, serial 40") {
  const snow::Pid p = snow::Pid::make(0xBEEF, 0x7A, 0x12'3456'789A);
  CHECK(p.node() == 0xBEEF);
  CHECK(p.creation() == 0x7A);
  CHECK(p.serial() == 0x12'3456'789A);
  CHECK(p.raw() == 0xBEEF'7A12'3456'789Aull);
  CHECK_FALSE(p.is_local());
  CHECK(snow::Pid::make(0, 3, 1).is_local());
}

TEST_CASE("the largest serial stays inside its field") {
  const snow::Pid p = snow::Pid::make(1, 2, snow::Pid::kMaxSerial);
  CHECK(p.node() == 1);
  CHECK(p.creation() == 2);
  CHECK(p.serial() == snow::Pid::kMaxSerial);
}

TEST_CASE("local pids print as <0.N>, remote ones as <node.N.creation>") {
  CHECK(snow::Pid::make(0, 0, 42).to_string() == "<0.42>");
  CHECK(snow::Pid::make(3, 2, 17).to_string() == "<3.17.2>");
  CHECK(snow::Ref::from_raw(9).to_string() == "#Ref<0.9>");
}

TEST_CASE("the null pid is false and distinct from every real pid") {
  snow::Pid null;
  CHECK_FALSE(null);
  CHECK(null.is_null());
  CHECK(null != snow::Pid::make(0, 0, 1));
}

TEST_CASE("pids are ordered and hashable") {
  absl::flat_hash_set<snow::Pid> set{snow::Pid::make(0, 0, 1), snow::Pid::make(0, 0, 2), snow::Pid::make(0, 0, 1)};
  CHECK(set.size() == 2);
  CHECK(snow::Pid::make(0, 0, 1) < snow::Pid::make(0, 0, 2));
}

struct A {};
struct B {};
TEST_CASE("a typed pid accepts exactly its message types") {
  static_assert(snow::Accepts<A, A>);
  static_assert(!snow::Accepts<A, B>);
  static_assert(snow::Accepts<std::variant<A, B>, B>);
  static_assert(!snow::Accepts<std::variant<A, B>, int>);
  const auto typed = snow::TypedPid<A>::unchecked(snow::Pid::make(0, 0, 5));
  const snow::Pid widened = typed;  // typed -> untyped is implicit
  CHECK(widened.serial() == 5);
  static_assert(!std::is_convertible_v<snow::Pid, snow::TypedPid<A>>, "untyped -> typed is never implicit");
}
}

TEST_SUITE("exit_reason") {
TEST_CASE("reasons print as Erlang atoms, errors with their text, user values with operator<<") {
  CHECK(snow::ExitReason::normal().to_string() == "normal");
  CHECK(snow::ExitReason().is_normal());
  CHECK(snow::ExitReason::shutdown().to_string() == "shutdown");
  CHECK(snow::ExitReason::kill().to_string() == "kill");
  CHECK(snow::ExitReason::killed().to_string() == "killed");
  CHECK(snow::ExitReason::noproc().to_string() == "noproc");
  CHECK(snow::ExitReason::noconnection().to_string() == "noconnection");
  CHECK(snow::ExitReason::error("boom").to_string() == "error(boom)");
  const auto user = snow::ExitReason::user(std::string("out of coffee"));
  CHECK(user.to_string() == "out of coffee");
  REQUIRE(user.user_value<std::string>() != nullptr);
  CHECK(*user.user_value<std::string>() == "out of coffee");
  CHECK(user.user_value<int>() == nullptr);
}
}
