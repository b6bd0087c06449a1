// The admission policy on its own: which unauthenticated connection goes when a limit is
// reached, and when a silent one expires (src/transport/admission.hpp).
#include "src/transport/admission.hpp"

#include <doctest/doctest.h>

#include <vector>

using snow::transport::Admission;
using snow::transport::ConnId;
using Stage = Admission::Stage;

namespace {

const absl::Time t0 = absl::UnixEpoch();

absl::Time at_ms(int ms) { return t0 + absl::Milliseconds(ms); }
// When the tests below that are about stages say a connection advanced: the exact time
// does not matter to them, as long as nothing is stalled (all is within stalled_after).
const absl::Time early = at_ms(1);

// The ids evicted by one accept, in order.
std::vector<ConnId> evicted(const std::vector<Admission::Eviction>& out) {
  std::vector<ConnId> ids;
  for (const auto& e : out) ids.push_back(e.id);
  return ids;
}

// `out` is one eviction: `id`, under `cap`.
void check_one_eviction(const std::vector<Admission::Eviction>& out, ConnId id, Admission::Cap cap) {
  REQUIRE(out.size() == 1);
  CHECK(out[0].id == id);
  CHECK(out[0].cap == cap);
}

}  // namespace

TEST_SUITE("admission") {
TEST_CASE("under the limits nothing is evicted; connections count until admitted or forgotten") {
  Admission a({.max_total = 4, .max_per_address = 4});
  CHECK(a.accept(1, "10.0.0.1", at_ms(0)).empty());
  CHECK(a.accept(2, "10.0.0.1", at_ms(1)).empty());
  CHECK(a.accept(3, "10.0.0.2", at_ms(2)).empty());
  CHECK(a.count() == 3);
  CHECK(a.count_from("10.0.0.1") == 2);
  CHECK(a.count_from("10.0.0.2") == 1);
  a.admit(1);
  a.forget(3);
  CHECK(a.count() == 1);
  CHECK(a.count_from("10.0.0.1") == 1);
  CHECK(a.count_from("10.0.0.2") == 0);
  CHECK_FALSE(a.counted(1));
  CHECK(a.counted(2));
  a.forget(99);  // unknown: harmless
  a.progress(99, Stage::tls_done, early);
  CHECK(a.count() == 1);
}

TEST_CASE("when the total is full the newest stays and the one that made the least progress goes") {
  Admission a({.max_total = 4, .max_per_address = 100});
  // 1 and 2 are in TLS, 3 finished TLS, 4 sent plaintext, in that order.
  for (ConnId id = 1; id <= 4; ++id) REQUIRE(a.accept(id, "10.0.0." + std::to_string(id), at_ms(int(id))).empty());
  a.progress(1, Stage::tls_under_way, early);
  a.progress(2, Stage::tls_under_way, early);
  a.progress(3, Stage::tls_done, early);
  a.progress(4, Stage::plaintext_received, early);

  // No silent one but the newcomer, which is never the victim: of those in TLS, the one
  // longest since its last step.
  check_one_eviction(a.accept(5, "10.0.0.5", at_ms(10)), 1, Admission::Cap::total);
  CHECK(a.counted(5));
  CHECK(a.count() == 4);

  // Silent goes before anything in TLS: 5 (silent, older than 6) before 2.
  CHECK(evicted(a.accept(6, "10.0.0.6", at_ms(11))) == std::vector<ConnId>{5});
  a.progress(6, Stage::tls_under_way, early);
  CHECK(evicted(a.accept(7, "10.0.0.7", at_ms(12))) == std::vector<ConnId>{2});
  a.progress(7, Stage::tls_done, early);
  // In TLS, done or not, the last step decides: 3 finished TLS before 6 even began it.
  CHECK(evicted(a.accept(8, "10.0.0.8", at_ms(13))) == std::vector<ConnId>{3});
  a.progress(8, Stage::tls_under_way, early);
  CHECK(evicted(a.accept(9, "10.0.0.9", at_ms(14))) == std::vector<ConnId>{6});
  a.progress(9, Stage::plaintext_received, early);
  CHECK(evicted(a.accept(10, "10.0.0.10", at_ms(15))) == std::vector<ConnId>{7});
  a.progress(10, Stage::plaintext_received, early);
  CHECK(evicted(a.accept(11, "10.0.0.11", at_ms(16))) == std::vector<ConnId>{8});
  CHECK(evicted(a.accept(12, "10.0.0.12", at_ms(17))) == std::vector<ConnId>{11});
  a.progress(12, Stage::plaintext_received, early);
  // Only plaintext_received left (4, 9, 10, 12): the oldest of them goes.
  CHECK(evicted(a.accept(13, "10.0.0.13", at_ms(18))) == std::vector<ConnId>{4});
}

TEST_CASE("a stage never goes back") {
  Admission a({.max_total = 2, .max_per_address = 100});
  a.accept(1, "10.0.0.1", at_ms(0));
  a.accept(2, "10.0.0.2", at_ms(1));
  a.progress(1, Stage::plaintext_received, early);
  a.progress(1, Stage::tls_under_way, early);  // ignored: 1 stays the most advanced
  a.progress(2, Stage::tls_done, early);
  CHECK(evicted(a.accept(3, "10.0.0.3", at_ms(2))) == std::vector<ConnId>{2});
}

TEST_CASE("the per-address limit evicts from that address, even when other addresses hold older, weaker ones") {
  Admission a({.max_total = 100, .max_per_address = 3});
  a.accept(1, "10.0.0.9", at_ms(0));  // another host's silent connection, the oldest of all
  a.accept(2, "10.0.0.1", at_ms(1));
  a.accept(3, "10.0.0.1", at_ms(2));
  a.accept(4, "10.0.0.1", at_ms(3));
  a.progress(2, Stage::tls_done, early);
  a.progress(4, Stage::tls_done, early);
  // The least advanced of 10.0.0.1's goes, not 1, older and silent too.
  check_one_eviction(a.accept(5, "10.0.0.1", at_ms(4)), 3, Admission::Cap::per_address);
  CHECK(a.counted(1));  // the other host's connection stays
  CHECK(a.count_from("10.0.0.1") == 3);
  CHECK(a.count_from("10.0.0.9") == 1);
}

TEST_CASE("the total limit evicts from an address holding more than one, even when another holds an older, weaker one") {
  Admission a({.max_total = 4, .max_per_address = 3});
  a.accept(1, "10.0.0.1", at_ms(0));  // silent, the oldest of all
  a.accept(2, "10.0.0.2", at_ms(1));
  a.accept(3, "10.0.0.2", at_ms(2));
  a.accept(4, "10.0.0.2", at_ms(3));
  a.progress(2, Stage::tls_done, early);
  a.progress(3, Stage::tls_done, early);
  a.progress(4, Stage::plaintext_received, early);
  // 10.0.0.3 is under its own limit; the total is not: only 10.0.0.2 holds more than one,
  // and its least advanced (2, in TLS longest) goes, not 1, older and silent.
  check_one_eviction(a.accept(5, "10.0.0.3", at_ms(4)), 2, Admission::Cap::total);
  CHECK(a.counted(1));
  // 10.0.0.2 still holds two (3 and 4).
  check_one_eviction(a.accept(6, "10.0.0.4", at_ms(5)), 3, Admission::Cap::total);
  // Now every address holds one: the least advanced anywhere goes, the silent 1 (older
  // than 5 and 6, silent too), and never the newcomer.
  check_one_eviction(a.accept(7, "10.0.0.5", at_ms(6)), 1, Admission::Cap::total);
  CHECK(a.count() == 4);
}

TEST_CASE("a connect-and-close loop from one address cannot evict a newcomer from another") {
  // The flood test's churn: one host connects and closes at once, a connection a
  // millisecond, while the attacker's other connections hold every slot, all fresh (each
  // evicted one is reopened and finishes TLS at once). The newcomer is silent for 20 ms
  // (a loaded node reads its ClientHello late), in TLS for 20 more, then sends its hello.
  auto newcomer_survives = [](int attacker_addresses) {
    Admission a({.max_total = 16, .max_per_address = 8, .stalled_after = absl::Milliseconds(250)});
    ConnId next = 1;
    int rotate = 0;
    auto attacker = [&](int ms) {
      const std::string address = "10.0.1." + std::to_string(rotate++ % attacker_addresses);
      const ConnId id = next++;
      const std::size_t evictions = a.accept(id, address, at_ms(ms)).size();
      a.progress(id, Stage::tls_done, at_ms(ms));
      return evictions;
    };
    for (int i = 0; i < 16; ++i) attacker(0);
    const ConnId newcomer = 100000;
    for (int ms = 1; ms < 300; ++ms) {
      if (ms == 100) a.accept(newcomer, "10.0.0.1", at_ms(ms));
      if (ms == 120) a.progress(newcomer, Stage::tls_under_way, at_ms(ms));
      if (ms == 140) a.progress(newcomer, Stage::plaintext_received, at_ms(ms));
      const ConnId churn = next++;
      // Each churn accept evicts one; the attacker reopens what it lost at once.
      const std::size_t lost = a.accept(churn, "10.0.2.1", at_ms(ms)).size();
      a.forget(churn);  // it closed
      for (std::size_t i = 0; i < lost; ++i) attacker(ms);
    }
    return a.counted(newcomer);
  };
  // The attacker holds the 15 slots the newcomer leaves: from fewer addresses than that,
  // one of them holds two and pays.
  CHECK(newcomer_survives(4));
  CHECK(newcomer_survives(14));
  // One connection from each of as many addresses as that: every address holds as many
  // as the newcomer's, so they compete on equal terms, and this churn outpaces it (see
  // admission.hpp).
  CHECK_FALSE(newcomer_survives(15));
}

TEST_CASE("an attacker crowding the newcomer's own address cannot make it pay for a flood from elsewhere") {
  // The flood test's second join: idle connections, two from each of four addresses, are
  // reopened (silent) as they go; the attacker keeps seven fresh TLS-only connections on
  // the newcomer's own address, more than any other address holds; a connect-and-close
  // loop from one more address evicts one a millisecond. The newcomer is slow: silent for
  // 20 ms, then in TLS for 40.
  Admission a({.max_total = 16, .max_per_address = 8, .stalled_after = absl::Milliseconds(250)});
  ConnId next = 1;
  auto open = [&](const std::string& address, int ms) {
    const ConnId id = next++;
    a.accept(id, address, at_ms(ms));
    if (address == "10.0.0.1") a.progress(id, Stage::tls_done, at_ms(ms));
    return id;
  };
  std::vector<std::string> address_of(1);  // by id
  auto track = [&](const std::string& address, int ms) {
    address_of.push_back(address);
    return open(address, ms);
  };
  for (int i = 0; i < 8; ++i) track("10.0.3." + std::to_string(i % 4), 0);
  for (int i = 0; i < 7; ++i) track("10.0.0.1", 0);
  const ConnId newcomer = 100000;
  bool survived = true;
  for (int ms = 1; ms < 300 && survived; ++ms) {
    if (ms == 100) a.accept(newcomer, "10.0.0.1", at_ms(ms));
    if (ms == 120) a.progress(newcomer, Stage::tls_under_way, at_ms(ms));
    if (ms == 160) a.progress(newcomer, Stage::plaintext_received, at_ms(ms));
    address_of.push_back("10.0.2.1");
    const ConnId churn = next++;
    for (const auto& e : a.accept(churn, "10.0.2.1", at_ms(ms))) {
      if (e.id == newcomer) {
        survived = false;
      } else if (e.id != churn) {
        track(address_of[e.id], ms);  // the attacker reopens what it lost, where it lost it
      }
    }
    a.forget(churn);  // it closed
    if (ms >= 100) survived = survived && a.counted(newcomer);
  }
  CHECK(survived);
  CHECK(a.count_from("10.0.0.1") == 8);  // the attacker's seven and the newcomer
}

TEST_CASE("one eviction when both limits are passed at once, from the crowded address") {
  Admission a({.max_total = 3, .max_per_address = 2});
  a.accept(1, "10.0.0.1", at_ms(0));
  a.accept(2, "10.0.0.2", at_ms(1));
  a.accept(3, "10.0.0.2", at_ms(2));
  // 2 goes, not 1, the oldest of all: 1's host is within its share.
  check_one_eviction(a.accept(4, "10.0.0.2", at_ms(3)), 2, Admission::Cap::per_address);
  CHECK(a.count() == 3);
}

TEST_CASE("admitted connections are never evicted nor counted") {
  Admission a({.max_total = 2, .max_per_address = 2});
  a.accept(1, "10.0.0.1", at_ms(0));
  a.accept(2, "10.0.0.1", at_ms(1));
  a.admit(1);
  a.admit(2);
  // Two more from the same address fit: admitted ones do not count.
  CHECK(a.accept(3, "10.0.0.1", at_ms(2)).empty());
  CHECK(a.accept(4, "10.0.0.1", at_ms(3)).empty());
  // Past the limits, the victims are the unadmitted ones, never 1 or 2.
  for (ConnId id = 5; id < 20; ++id) {
    for (const auto& e : a.accept(id, "10.0.0.1", at_ms(int(id)))) {
      CHECK(e.id != 1);
      CHECK(e.id != 2);
    }
  }
  CHECK(a.count() == 2);
  // And they never expire as silent.
  for (ConnId id : a.expire_silent(at_ms(100000))) CHECK(id >= 3);
  a.progress(1, Stage::silent, early);  // an admitted id is ignored: it does not come back
  CHECK_FALSE(a.counted(1));
}

TEST_CASE("a connection silent for the silent timeout expires; one that sent a byte does not") {
  Admission a({.max_total = 10, .max_per_address = 10, .silent_timeout = absl::Milliseconds(1000)});
  a.accept(1, "10.0.0.1", at_ms(0));
  a.accept(2, "10.0.0.1", at_ms(100));
  a.accept(3, "10.0.0.2", at_ms(200));
  a.accept(4, "10.0.0.2", at_ms(300));
  a.progress(2, Stage::tls_under_way, early);
  a.progress(4, Stage::tls_done, early);
  CHECK(a.expire_silent(at_ms(999)).empty());
  CHECK(a.expire_silent(at_ms(1000)) == std::vector<ConnId>{1});
  CHECK_FALSE(a.counted(1));
  CHECK(a.expire_silent(at_ms(1199)).empty());
  CHECK(a.expire_silent(at_ms(5000)) == std::vector<ConnId>{3});
  // 2 and 4 sent bytes: the silent deadline is not theirs (the handshake timeout is).
  CHECK(a.counted(2));
  CHECK(a.counted(4));
  CHECK(a.count() == 2);
}

TEST_CASE("no silent deadline when the timeout is zero or infinite") {
  for (absl::Duration d : {absl::ZeroDuration(), absl::InfiniteDuration()}) {
    Admission a({.max_total = 10, .max_per_address = 10, .silent_timeout = d});
    a.accept(1, "10.0.0.1", at_ms(0));
    CHECK(a.expire_silent(at_ms(1000000)).empty());
    CHECK(a.counted(1));
  }
}

TEST_CASE("a connection stalled in its stage goes before any that is still advancing") {
  Admission a({.max_total = 4, .max_per_address = 100, .stalled_after = absl::Milliseconds(250)});
  a.accept(1, "10.0.0.1", at_ms(0));
  a.progress(1, Stage::plaintext_received, at_ms(10));  // then nothing more: stalled at 260
  a.accept(2, "10.0.0.2", at_ms(100));
  a.progress(2, Stage::tls_done, at_ms(110));           // stalled at 360
  a.accept(3, "10.0.0.3", at_ms(280));                  // silent, but only since 280
  a.accept(4, "10.0.0.4", at_ms(290));
  a.progress(4, Stage::tls_under_way, at_ms(295));
  // At 300, 1 is stalled (290 ms in its stage) and 2 is not yet (190 ms): 1 goes, though
  // it got furthest, before the silent 3.
  CHECK(evicted(a.accept(5, "10.0.0.5", at_ms(300))) == std::vector<ConnId>{1});
  // At 400, 2, 3 and 4 have all stalled: least progress first among them (3, silent).
  CHECK(evicted(a.accept(6, "10.0.0.6", at_ms(600))) == std::vector<ConnId>{3});
  CHECK(evicted(a.accept(7, "10.0.0.7", at_ms(600))) == std::vector<ConnId>{5});  // 5 silent since 300
  CHECK(evicted(a.accept(8, "10.0.0.8", at_ms(600))) == std::vector<ConnId>{4});  // in TLS since 295
  CHECK(evicted(a.accept(9, "10.0.0.9", at_ms(600))) == std::vector<ConnId>{2});  // TLS done since 110
  // Advancing again makes a connection fresh: 6 (silent since 600) stalls at 850, 7 does not.
  a.progress(7, Stage::tls_under_way, at_ms(700));
  CHECK(evicted(a.accept(10, "10.0.0.10", at_ms(900))) == std::vector<ConnId>{6});
  CHECK(evicted(a.accept(11, "10.0.0.11", at_ms(900))) == std::vector<ConnId>{8});
}

TEST_CASE("connections that finished TLS and then stopped cannot keep a newcomer out") {
  // The flood test's attacker: every slot held by a connection that finished TLS and then
  // says nothing, and a new one every 40 ms (below max_total / stalled_after = 32 a
  // second). A real newcomer is silent for a moment, then in TLS for a round trip, then
  // waits for the cookie handshake; it must not be the one evicted meanwhile.
  auto newcomer_survives = [](absl::Duration stalled_after) {
    Admission a({.max_total = 8, .max_per_address = 100, .stalled_after = stalled_after});
    ConnId next = 1;
    // From as many addresses as slots, so that no address holds the most (which would
    // pay; see the churn case) and the order of stages alone decides.
    auto attacker = [&](int ms) {
      a.accept(next, "10.0.1." + std::to_string(next % 8), at_ms(ms));
      a.progress(next++, Stage::tls_done, at_ms(ms));
    };
    for (int i = 0; i < 8; ++i) attacker(0);
    const ConnId newcomer = 100;
    a.accept(newcomer, "10.0.0.1", at_ms(500));
    attacker(501);
    a.progress(newcomer, Stage::tls_under_way, at_ms(502));
    attacker(503);
    a.progress(newcomer, Stage::plaintext_received, at_ms(505));
    for (int ms = 540; ms < 2000; ms += 40) attacker(ms);
    return a.counted(newcomer);
  };
  CHECK(newcomer_survives(absl::Milliseconds(250)));
  // Stages alone (never stalled): the newcomer is the oldest silent connection when the
  // next attacker comes, 1 ms after it.
  CHECK_FALSE(newcomer_survives(absl::InfiniteDuration()));
}

TEST_CASE("an attacker finishing TLS again and again from the newcomer's own address does not keep it out") {
  // 1,000 a second from one address, each connection fresh (none stalls), all finishing
  // TLS: the newcomer is in TLS from its accept (its ClientHello was there), then sends
  // its hello a round trip later. Ranked by their last step, the attacker's connections
  // that finished TLS before the newcomer's began go first.
  Admission a({.max_total = 100, .max_per_address = 4, .stalled_after = absl::Milliseconds(250)});
  ConnId next = 1;
  auto attacker = [&](int ms) {
    a.accept(next, "10.0.0.1", at_ms(ms));
    a.progress(next++, Stage::tls_done, at_ms(ms));
  };
  for (int ms = 0; ms < 100; ++ms) attacker(ms);
  const ConnId newcomer = 1000;
  a.accept(newcomer, "10.0.0.1", at_ms(100));
  a.progress(newcomer, Stage::tls_under_way, at_ms(100));
  attacker(101);
  attacker(102);
  CHECK(a.counted(newcomer));
  a.progress(newcomer, Stage::plaintext_received, at_ms(103));
  for (int ms = 103; ms < 300; ++ms) attacker(ms);
  CHECK(a.counted(newcomer));
  CHECK(a.count_from("10.0.0.1") == 4);
}

TEST_CASE("a flood from many addresses never holds more than the limits, and keeps every newcomer") {
  Admission a({.max_total = 16, .max_per_address = 4});
  for (ConnId id = 1; id <= 1000; ++id) {
    const std::string address = "10.0." + std::to_string(id % 7) + ".1";
    for (const auto& e : a.accept(id, address, at_ms(int(id)))) CHECK(e.id != id);
    CHECK(a.counted(id));
    CHECK(a.count() <= 16);
    CHECK(a.count_from(address) <= 4);
  }
}
}  // TEST_SUITE
