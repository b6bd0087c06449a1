// dsl/driver.hpp: from a .snow file to C++ and to a native executable.
#pragma once

#include <string>
#include <vector>

namespace snowc {

/// The result of reading, parsing, checking and emitting a program: one file, or an entry
/// module and the modules it imports (dsl/modules.hpp).
struct Translation {
  bool ok = false;
  std::string cpp;          // the generated C++ (when ok)
  std::string diagnostics;  // rendered errors and warnings
};

/// `path`: the entry module, or a directory holding it as main.snow. `debug`: C++ for a
/// debug build (EmitOptions in emitter.hpp).
Translation translate(const std::string& path, bool debug = false);

/// Where the headers and the libraries are, and how to compile against them.
struct Toolchain {
  std::string cxx;
  std::vector<std::string> compile_flags;  // includes -I
  std::vector<std::string> link_flags;     // libsnow_lang, libsnow and their dependencies
  std::vector<std::string> header_dirs;    // hashed into the cache key
  std::string libsnow;
  std::string libsnow_lang;  // Snow's support library (snow/lang/), on top of libsnow
};

/// `debug` (snowc --debug): `-g -O0` instead of SNOWC_OPT, and no sibling calls, so a
/// backtrace shows every Snow caller's frame (at the cost of stack depth: each Snow call
/// in progress is a native frame).
Toolchain find_toolchain(bool debug = false);

/// Compiles `cpp` to an executable, reusing the cached one when the C++, the toolchain
/// and the headers are unchanged. Returns its path, or "" (with the compiler's output
/// on stderr) on failure.
std::string build_cached(const std::string& cpp, const Toolchain& tc);

}  // namespace snowc
