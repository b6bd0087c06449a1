// dsl/parser.hpp: tokens to a Program (hand-written recursive descent, snow.md#grammar).
//
// Error recovery: a syntax error abandons the current top-level item and resumes at the
// next line that starts an item (`fn`, `actor`, `struct`, ...) in column 1, so one run
// reports the syntax errors of several items instead of only the first. The names the
// abandoned text would have defined go to Program::lost_names, so that the checks do not
// report their uses as unbound. A missing `end` is reported at the `do` it should close
// ("this `do` is never closed"), found by indentation: see Parser::check_block_closes.
#pragma once

#include <string>

#include "ast.hpp"
#include "diagnostics.hpp"

namespace snowc {

/// `file_index`: the file's index in `diags` (dsl/modules.hpp registers modules there).
Program parse(const std::string& source, const std::string& file, Diagnostics& diags, int file_index = 0);

/// `GetCount` -> `get_count` (snow.md#services).
std::string snake_case(const std::string& name);

}  // namespace snowc
