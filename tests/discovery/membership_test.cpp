// tests/discovery/membership_test.cpp: what one DNS answer asks of the node
// (src/discovery/membership.hpp states the rules).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "src/discovery/membership.hpp"

using snow::discovery::DnsMember;
using snow::discovery::MemberState;
using snow::discovery::plan_membership;

namespace {

std::vector<std::string> keys(const std::vector<DnsMember>& members) {
  std::vector<std::string> out;
  for (const DnsMember& m : members) out.push_back(m.key());
  return out;
}

MemberState nobody_connected(std::string self = "10.0.0.1:4370") {
  return MemberState{[self](const DnsMember& m) { return m.key() == self; }, [](const DnsMember&) { return false; }};
}

}  // namespace

TEST_CASE("membership: new members are dialled, this node is not, and neither is one connected or being dialled") {
  const std::vector<DnsMember> answer{{"10.0.0.1", 4370}, {"10.0.0.2", 4370}, {"10.0.0.3", 4370}, {"10.0.0.4", 4370}};
  MemberState state{[](const DnsMember& m) { return m.host == "10.0.0.1"; },
                    [](const DnsMember& m) { return m.host == "10.0.0.3"; }};
  auto plan = plan_membership(answer, {}, state, 16);
  CHECK(keys(plan.dial) == std::vector<std::string>{"10.0.0.2:4370", "10.0.0.4:4370"});
  CHECK(plan.listed.size() == 4);  // self and connected members are still members
  CHECK(plan.gone.empty());
  CHECK(plan.ignored == 0);
}

TEST_CASE("membership: a member still listed and not connected is dialled again at each poll") {
  const std::vector<DnsMember> answer{{"10.0.0.2", 4370}};
  auto first = plan_membership(answer, {}, nobody_connected(), 16);
  auto second = plan_membership(answer, first.listed, nobody_connected(), 16);
  CHECK(keys(second.dial) == std::vector<std::string>{"10.0.0.2:4370"});
}

TEST_CASE("membership: a member gone from DNS is reported gone, and nothing is asked to disconnect it") {
  auto first = plan_membership({{"10.0.0.2", 4370}, {"10.0.0.3", 4370}}, {}, nobody_connected(), 16);
  auto second = plan_membership({{"10.0.0.3", 4370}}, first.listed, nobody_connected(), 16);
  CHECK(second.gone == std::vector<std::string>{"10.0.0.2:4370"});
  CHECK(keys(second.dial) == std::vector<std::string>{"10.0.0.3:4370"});
  // An empty answer forgets every member: still no dial, and only `gone` says so.
  auto third = plan_membership({}, second.listed, nobody_connected(), 16);
  CHECK(third.gone == std::vector<std::string>{"10.0.0.3:4370"});
  CHECK(third.dial.empty());
}

TEST_CASE("membership: past max_members records are counted as ignored, never dialled; duplicates count once") {
  std::vector<DnsMember> answer;
  for (int i = 0; i < 5000; ++i) answer.push_back({"10.1." + std::to_string(i / 256) + "." + std::to_string(i % 256), 4370});
  answer.insert(answer.begin() + 1, answer.front());  // a duplicate record
  auto plan = plan_membership(answer, {}, nobody_connected(), 64);
  CHECK(plan.dial.size() == 64);
  CHECK(plan.listed.size() == 64);
  CHECK(plan.ignored == 5000 - 64);
}

TEST_CASE("membership: IPv6 members have a bracketed key, so the port stays apart from the address") {
  CHECK(DnsMember{"fd00::5", 4370}.key() == "[fd00::5]:4370");
  CHECK(DnsMember{"snow-0.snow.prod", 4370}.key() == "snow-0.snow.prod:4370");
}
