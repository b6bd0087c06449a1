#include "snow/detail/message_node.hpp"

#include <doctest/doctest.h>

#include <string>

#include "snow/exit_reason.hpp"
#include "snow/message.hpp"
#include "snow/wire.hpp"
#include "wire/boxing_samples.hpp"
#include "wire/wire_types.hpp"

namespace boxingtest {
namespace {

/// With the codec in view: each sample has a Wire<T> specialisation exactly when boxing's
/// traits call it a wire type, so no unit can decide otherwise by seeing the codec.
template <class... E>
constexpr bool codec_as_expected(const std::tuple<E...>*) {
  return ((snow::detail::WireSpecialised<typename E::type> == E::wire) && ...);
}

}  // namespace

TEST_SUITE("boxing") {
TEST_CASE("which types are wire types is decided the same without the codec as with it") {
  static_assert(boxingtest::is_wire_as_expected(static_cast<const Samples*>(nullptr)));
  static_assert(boxingtest::codec_as_expected(static_cast<const Samples*>(nullptr)));
}

TEST_CASE("a value boxed where the codec is not in view has the type it has everywhere") {
  snow::Message m = box_not_wire_in_light_unit(3);
  REQUIRE(m.is<NotWire>());
  CHECK(m.get<NotWire>()->x == 3);
  CHECK((snow::detail::type_of<NotWire>()->encode == nullptr));  // not a wire type: stays local

  const snow::ExitReason reason = exit_with_not_wire_in_light_unit(4);
  REQUIRE(reason.user_value<NotWire>() != nullptr);
  CHECK(reason.user_value<NotWire>()->x == 4);
}

TEST_CASE("a boxed wire type encodes as snow::encode writes it") {
  const wiretest::Point point{3, -4};
  snow::Message m = snow::Message::of(point);
  snow::detail::MessageNode* node = m.release();
  REQUIRE((node->type->encode != nullptr));
  std::string bytes;
  REQUIRE(node->type->encode(node, bytes).ok());
  CHECK(bytes == *snow::encode(point));
  snow::detail::destroy(node);

  const std::vector<std::int64_t> numbers{1, 300, -70000};
  snow::Message v = snow::Message::of(numbers);
  node = v.release();
  REQUIRE((node->type->encode != nullptr));
  bytes.clear();
  REQUIRE(node->type->encode(node, bytes).ok());
  CHECK(bytes == *snow::encode(numbers));
  snow::detail::destroy(node);
}
}

}  // namespace boxingtest
