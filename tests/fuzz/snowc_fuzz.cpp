// libFuzzer target for snowc's front end: any text goes through the lexer, the parser,
// the checks and (when they pass) the type checker, and must come out as a program and
// diagnostics, never a crash, a hang or a sanitizer report. Every diagnostic must point
// into the source (its line exists, its offset is within the text), since the renderer
// quotes that line.
//
// Built outside the Meson build with clang (tests/fuzz/run.sh, `make fuzz`).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "dsl/checks.hpp"
#include "dsl/diagnostics.hpp"
#include "dsl/parser.hpp"
#include "dsl/typecheck.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string source(reinterpret_cast<const char*>(data), size);
  snowc::Diagnostics diags("fuzz.snow", source);
  const snowc::Program program = snowc::parse(source, "fuzz.snow", diags);
  const snowc::Symbols symbols = snowc::check(program, diags);
  if (!diags.has_errors()) (void)snowc::check_types(program, symbols, diags);
  (void)diags.render();
  for (const snowc::Diagnostic& d : diags.all()) {
    if (d.span.offset < 0 || static_cast<std::size_t>(d.span.offset) > size || d.span.line < 1) {
      std::fprintf(stderr, "diagnostic %s at line %d offset %d of a %zu-byte source: %s\n", d.code.c_str(),
                   d.span.line, d.span.offset, size, d.message.c_str());
      std::abort();
    }
  }
  return 0;
}
