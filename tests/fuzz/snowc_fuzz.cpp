// libFuzzer target for snowc's front end: any text goes through the lexer, the parser,
// the checks and (when they pass) the type checker, and must come out as a program and
// diagnostics, never a crash, a hang or a sanitizer report. Every diagnostic must point
// into the source (its line exists, its offset is within the text), since the renderer
// quotes that line.
//
// A text with lines `---` is a multi-module program: the first part is the entry module,
// the next ones the modules `Utils` and `Geo.Vector`, linked by the name resolution of
// dsl/resolve.hpp (without the file system: what is not one of these is not found).
//
// Built outside the Meson build with clang (tests/fuzz/run.sh, `make fuzz`).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "dsl/checks.hpp"
#include "dsl/diagnostics.hpp"
#include "dsl/modules.hpp"
#include "dsl/parser.hpp"
#include "dsl/resolve.hpp"
#include "dsl/typecheck.hpp"

namespace {

std::vector<std::string> split_modules(const std::string& text) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const std::size_t sep = parts.size() < 2 ? text.find("\n---\n", start) : std::string::npos;
    parts.push_back(text.substr(start, sep == std::string::npos ? std::string::npos : sep - start));
    if (sep == std::string::npos) return parts;
    start = sep + 5;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::vector<std::string> sources = split_modules(std::string(reinterpret_cast<const char*>(data), size));
  snowc::Diagnostics diags("fuzz.snow", sources[0]);
  snowc::Program program;
  if (sources.size() == 1) {
    program = snowc::parse(sources[0], "fuzz.snow", diags);
    snowc::resolve_names(program, diags);  // settles the patterns' bare names, as for snowc
  } else {
    static const char* const names[][2] = {{"Utils", "utils.snow"}, {"Geo.Vector", "geo/vector.snow"}};
    std::vector<snowc::Module> modules;
    for (std::size_t i = 1; i < sources.size(); ++i) {
      snowc::Module m;
      m.name = names[i - 1][0];
      m.shown = names[i - 1][1];
      m.file = diags.add_file(m.shown, sources[i]);
      m.program = snowc::parse(sources[i], m.shown, diags, m.file);
      modules.insert(modules.begin(), std::move(m));  // Geo.Vector first: Utils may import it
    }
    snowc::Module entry;
    entry.shown = "fuzz.snow";
    entry.program = snowc::parse(sources[0], entry.shown, diags, 0);
    modules.push_back(std::move(entry));
    program = snowc::link_modules(modules, diags);
  }
  const snowc::Symbols symbols = snowc::check(program, diags);
  if (!diags.has_errors()) (void)snowc::check_types(program, symbols, diags);
  (void)diags.render();
  for (const snowc::Diagnostic& d : diags.all()) {
    const std::size_t file_size = d.span.file >= 0 && static_cast<std::size_t>(d.span.file) < sources.size()
                                      ? sources[static_cast<std::size_t>(d.span.file)].size()
                                      : 0;
    if (d.span.file < 0 || static_cast<std::size_t>(d.span.file) >= sources.size() || d.span.offset < 0 ||
        static_cast<std::size_t>(d.span.offset) > file_size || d.span.line < 1) {
      std::fprintf(stderr, "diagnostic %s at line %d offset %d of file %d (%zu bytes): %s\n", d.code.c_str(),
                   d.span.line, d.span.offset, d.span.file, file_size, d.message.c_str());
      std::abort();
    }
  }
  return 0;
}
