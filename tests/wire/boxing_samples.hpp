// Types whose wire-ness boxing must decide without the codec (snow/detail/wire_trait.hpp),
// shared by a translation unit that does not include the codec (boxing_light_unit.cpp)
// and one that does (boxing_test.cpp). Light on purpose: no snow/wire.hpp here.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#include "snow/detail/wire_trait.hpp"
#include "snow/fwd.hpp"
#include "snow/message.hpp"

namespace boxingtest {

/// A plain struct: not a wire type, so it boxes anywhere, with no encoder.
struct NotWire {
  int x = 0;
};

template <class T, bool kWire>
struct Expect {
  using type = T;
  static constexpr bool wire = kWire;
};

using Samples = std::tuple<
    Expect<bool, true>, Expect<int, true>, Expect<std::int64_t, true>, Expect<std::uint32_t, true>,
    Expect<std::uint64_t, false>, Expect<char, false>, Expect<double, true>, Expect<float, true>,
    Expect<long double, false>, Expect<std::string, true>, Expect<std::string_view, false>,
    Expect<snow::Pid, true>, Expect<snow::Ref, true>, Expect<snow::Atom, true>, Expect<snow::Unit, true>,
    Expect<snow::Term, true>, Expect<std::vector<int>, true>, Expect<std::list<std::string>, true>,
    Expect<std::deque<double>, true>, Expect<std::set<int>, true>, Expect<std::unordered_set<std::string>, true>,
    Expect<std::map<std::string, std::vector<snow::Pid>>, true>,
    Expect<std::unordered_map<int, std::optional<snow::Ref>>, true>,
    Expect<std::tuple<int, std::string, snow::Unit>, true>, Expect<std::pair<int, bool>, true>,
    Expect<std::optional<std::vector<snow::Term>>, true>, Expect<std::variant<int, std::string>, true>,
    Expect<std::vector<std::uint64_t>, false>, Expect<std::vector<NotWire>, false>,
    Expect<std::map<std::string, NotWire>, false>, Expect<std::optional<std::function<void()>>, false>,
    Expect<std::tuple<int, NotWire>, false>, Expect<NotWire, false>>;

/// Every sample's is_wire, as seen by the including translation unit, is the expected one.
template <class... E>
constexpr bool is_wire_as_expected(const std::tuple<E...>*) {
  return ((snow::is_wire<typename E::type> == E::wire) && ...);
}

// Defined in boxing_light_unit.cpp, which boxes without the codec in view.
snow::Message box_not_wire_in_light_unit(int x);
snow::ExitReason exit_with_not_wire_in_light_unit(int x);

}  // namespace boxingtest
