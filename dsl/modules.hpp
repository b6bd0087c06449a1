// dsl/modules.hpp: multi-module programs (snow.md#modules, snow.md#imports): finding, reading and parsing the
// modules a program imports, and joining them into the one Program the later passes see.
//
// A program is a directory tree. The file given to snowc is the entry module; every other
// file is a module named from its path relative to the entry's directory, each segment
// snake_case -> PascalCase, joined with `.` (`geo/vector.snow` is `Geo.Vector`). Only
// modules that are imported (directly or not) are read. Standard modules (String, List,
// ...) need no file; a file of the same name shadows one.
//
// The joined Program lists every module's items, modules before the modules that import
// them and the entry module last, so "declared before use" (snow.md#declaration-order) holds across modules.
// Names are made program-wide by dsl/resolve.hpp before the modules are joined.
#pragma once

#include <string>
#include <vector>

#include "ast.hpp"
#include "diagnostics.hpp"

namespace snowc {

/// One source file of a program.
struct Module {
  std::string name;  // `Geo.Vector`; "" for the entry module
  std::string shown;  // as diagnostics and #line name the file: `geo/vector.snow`
  int file = 0;       // its index in Diagnostics, and Span::file of its nodes
  Program program;
};

struct LoadedProgram {
  Program program;
  /// False after a circular import: the modules have no order to check them in, so the
  /// later passes would only report consequences of the cycle.
  bool checkable = true;
};

/// The whole file at `path` into `out`; false if it cannot be read.
bool read_source(const std::string& path, std::string& out);

/// Parses the entry module (`entry_source`, read from `entry_path`, whose name as shown is
/// file 0 of `diags`) and every user module it imports, transitively; reports modules
/// that are not found (E0031) and circular imports (E0040); resolves names across the
/// modules (dsl/resolve.hpp) and returns them joined into one Program. A program without
/// user-module imports comes back exactly as `parse` returns it.
LoadedProgram load_program(const std::string& entry_path, const std::string& entry_source, Diagnostics& diags);

/// The second half of load_program, for modules parsed elsewhere (the fuzz target):
/// resolves names across `modules` (dependencies first, the entry module last; each
/// parsed with its own file index of `diags`) and joins them into one Program.
Program link_modules(std::vector<Module>& modules, Diagnostics& diags);

}  // namespace snowc
