// localize_encoding (src/wire/localize_encoding.hpp) lets a message from another node
// reach its receiver as bytes: it must never accept what decode_term_with refuses, and
// the bytes it rewrites must decode, without a map, to what decode_term_with gives.
#include <doctest/doctest.h>

#include <span>
#include <string>
#include <vector>

#include "snow/wire.hpp"
#include "src/wire/localize_encoding.hpp"

using snow::Atom;
using snow::DecodeLimits;
using snow::Pid;
using snow::Ref;
using snow::Term;

namespace {

// The peer's numbering: its own index 0 is node 5 here, its index 1 is node 7; any other
// index is one the peer never announced.
class PeerMap final : public snow::detail::NodeIndexMap {
 public:
  bool to_local(std::uint16_t wire, std::uint16_t& local) const override {
    if (wire > 1) return false;
    local = wire == 0 ? 5 : 7;
    return true;
  }
};

Term str(std::string s) { return Term(std::move(s)); }

// A value of every kind the walk accepts, nested in every compound it walks.
std::vector<Term> corpus() {
  const Term pid0 = Pid::make(0, 3, 1234);
  const Term pid1 = Pid::make(1, 9, 99);
  const Term ref1 = Ref::make(1, 4242);
  const Term all = Term::tuple({Term(), true, false, std::int64_t{5}, std::int64_t{-300}, std::int64_t{70000},
                                std::int64_t{1} << 40, 2.5, str("short"), str(std::string(200, 'x')),
                                str("\xc3\xa9t\xc3\xa9"), Term(Atom("ok")), pid0, pid1, ref1});
  return {
      Term(),
      std::int64_t{-1},
      str(""),
      Term(Atom("a_fresh_atom_nobody_interned_before_this")),
      pid0,
      ref1,
      Term::list({}),
      Term::tuple({}),
      all,
      Term::list({all, all}),
      Term::structure("Msg", {{"from", pid1}, {"n", std::int64_t{7}}, {"body", str(std::string(40, 'b'))}}),
      Term::structure("Empty", {}),
      Term::sum("Shape", "Circle", {{"r", 1.5}, {"owner", pid0}}),
      Term::sum("Shape", "Dot"),
      Term::some(Term::ok(Term::err(pid1))),
      Term::none(),
      Term::list({Term::list({Term::list({Term::tuple({ref1, Term::none()})})})}),
  };
}

std::string encoded(const Term& t) {
  snow::EncodeLimits deeper;
  deeper.max_depth = 100;  // the decoder's depth limit is tested with what the encoder would refuse
  absl::StatusOr<std::string> bytes = snow::encode(t, deeper);
  REQUIRE(bytes.ok());
  return *bytes;
}

// Localizes a copy; on success also says what the copy decodes to without a map.
struct Localized {
  bool ok = false;
  absl::StatusOr<Term> term = absl::UnknownError("not localized");
};
Localized localize(std::string bytes, const DecodeLimits& limits = {}) {
  Localized out;
  out.ok = snow::detail::localize_encoding(std::span<char>(bytes.data(), bytes.size()), limits, PeerMap{});
  if (out.ok) out.term = snow::decode_term(bytes, limits);
  return out;
}

// The property: accepted means decode_term_with accepts, with the same value.
void holds_to_decode_term(const std::string& bytes, const DecodeLimits& limits) {
  const Localized l = localize(bytes, limits);
  if (!l.ok) return;
  const absl::StatusOr<Term> reference = snow::detail::decode_term_with(bytes, limits, PeerMap{});
  REQUIRE_MESSAGE(reference.ok(), "accepted what decode_term_with refuses: ", reference.status().ToString());
  REQUIRE(l.term.ok());
  CHECK(*l.term == *reference);
}

}  // namespace

TEST_SUITE("localize_encoding") {
TEST_CASE("every kind is accepted, and decodes to what decode_term_with gives, Pids and Refs mapped") {
  for (const Term& t : corpus()) {
    CAPTURE(t.debug_string());
    const std::string bytes = encoded(t);
    const Localized l = localize(bytes);
    REQUIRE(l.ok);
    const absl::StatusOr<Term> reference = snow::detail::decode_term_with(bytes, DecodeLimits{}, PeerMap{});
    REQUIRE(reference.ok());
    REQUIRE(l.term.ok());
    CHECK(*l.term == *reference);
  }
}

TEST_CASE("Pids and Refs are rewritten in place, to this node's numbering") {
  const Term before = Term::tuple({Pid::make(0, 3, 1234), Pid::make(1, 9, 99), Ref::make(1, 4242)});
  const Localized l = localize(encoded(before));
  REQUIRE(l.ok);
  REQUIRE(l.term.ok());
  CHECK(l.term->elements()[0].as_pid().node() == 5);
  CHECK(l.term->elements()[1].as_pid().node() == 7);
  CHECK(l.term->elements()[1].as_pid().serial() == 99);
  CHECK(l.term->elements()[2].as_ref().node() == 7);
  CHECK(l.term->elements()[2].as_ref().number() == 4242);
}

TEST_CASE("a Pid of a node the peer never announced is not accepted") {
  CHECK_FALSE(localize(encoded(Term::list({Pid::make(2, 1, 1)}))).ok);
  CHECK_FALSE(localize(encoded(Ref::make(9, 1))).ok);
}

TEST_CASE("maps and sets are left to decode_term, wherever they are") {
  CHECK_FALSE(localize(encoded(Term::map({{str("k"), std::int64_t{1}}}))).ok);
  CHECK_FALSE(localize(encoded(Term::structure("S", {{"tags", Term::set({std::int64_t{1}})}}))).ok);
}

TEST_CASE("the node's limits hold: depth, string length, collection count, decoded size") {
  Term deep = Term::list({});
  for (int i = 0; i < 70; ++i) deep = Term::list({deep});
  CHECK_FALSE(localize(encoded(deep)).ok);
  DecodeLimits tight;
  tight.max_string_bytes = 10;
  CHECK_FALSE(localize(encoded(str(std::string(11, 's'))), tight).ok);
  CHECK(localize(encoded(str(std::string(10, 's'))), tight).ok);
  tight = DecodeLimits{};
  tight.max_collection_count = 2;
  CHECK_FALSE(localize(encoded(Term::tuple({1, 2, 3})), tight).ok);
  // A list of 2,000 empty tuples: 5 bytes each on the wire, a Term each in memory.
  tight = DecodeLimits{};
  tight.min_decoded_bytes = 1000;
  tight.max_decoded_bytes_per_input_byte = 2;
  std::vector<Term> many(2000, Term::tuple({}));
  const std::string big = encoded(Term::list(many));
  CHECK_FALSE(snow::detail::decode_term_with(big, tight, PeerMap{}).ok());
  CHECK_FALSE(localize(big, tight).ok);
}

TEST_CASE("hostile bytes: every truncation is refused, and no flipped byte is accepted unless decode_term_with accepts it") {
  DecodeLimits tight;
  tight.min_decoded_bytes = 600;  // so that some mutations cross the budget
  tight.max_decoded_bytes_per_input_byte = 1;
  tight.max_depth = 4;
  std::size_t accepted = 0, refused = 0;
  for (const Term& t : corpus()) {
    const std::string bytes = encoded(t);
    CAPTURE(t.debug_string());
    for (std::size_t n = 0; n < bytes.size(); ++n) CHECK_FALSE(localize(bytes.substr(0, n)).ok);
    CHECK_FALSE(localize(bytes + '\0').ok);  // trailing bytes
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      for (const unsigned char x : {0x01, 0x02, 0x08, 0x10, 0x80, 0xff}) {
        std::string mutated = bytes;
        mutated[i] = static_cast<char>(static_cast<unsigned char>(mutated[i]) ^ x);
        CAPTURE(i);
        for (const DecodeLimits& limits : {DecodeLimits{}, tight}) {
          holds_to_decode_term(mutated, limits);
          (localize(mutated, limits).ok ? accepted : refused) += 1;
        }
      }
    }
  }
  // Both verdicts were exercised.
  CHECK(accepted > 100);
  CHECK(refused > 100);
}
}
