// A translation unit that boxes messages without the wire codec in view: only the
// light headers (boxing, exit reasons) and the wire traits. Used by boxing_test.cpp.
#include "snow/exit_reason.hpp"
#include "snow/message.hpp"
#include "wire/boxing_samples.hpp"

namespace boxingtest {

// Without the codec this unit still knows which types are wire types, as the codec does
// (boxing_test.cpp checks the same list where the codec is in view)...
static_assert(boxingtest::is_wire_as_expected(static_cast<const Samples*>(nullptr)));
// ... and the codec really is out of view here: a wire type's encoder is not defined.
// (A type no other unit asks about: the answer differs between units by design.)
static_assert(!snow::detail::kEncoderInView<std::deque<std::int16_t>>);

snow::Message box_not_wire_in_light_unit(int x) { return snow::Message::of(NotWire{x}); }
snow::ExitReason exit_with_not_wire_in_light_unit(int x) { return snow::ExitReason::user(NotWire{x}); }

}  // namespace boxingtest
