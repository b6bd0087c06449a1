// Boxing a wire type where its encoder (snow/wire.hpp) is not in view is refused, with a
// message that says what to include: a TypeInfo without the encoder would differ from
// the one other translation units build for the same type (detail/wire_trait.hpp).
#include <vector>

#include "snow/message.hpp"

int main() { return snow::Message::of(std::vector<int>{1, 2}) ? 0 : 1; }
