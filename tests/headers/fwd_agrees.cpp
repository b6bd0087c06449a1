// snow/fwd.hpp declares what the other headers define: included first, before all of
// them, any declaration that disagrees with its definition (another template parameter
// list, a default argument given twice, struct for class) fails to compile here
// (-Werror=mismatched-tags in tests/meson.build).
#include "snow/fwd.hpp"
#include "snow/snow.hpp"
