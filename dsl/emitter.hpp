// dsl/emitter.hpp: a checked Program to C++ that uses the snow runtime.
//
// Shape of the output (see dsl/README.md for a worked example):
//   - every Snow value is a snow::lang::Value (see include/snow/lang/value.hpp for why);
//   - a function that may wait (dsl/may_wait.hpp) is a coroutine
//     `sl::Co<sl::Value> f(snow::Self self, sl::Value x, ...)`, called with co_await, so
//     it may receive, sleep or call a service; one that never waits is a plain C++
//     function returning `sl::Value`, called directly;
//   - actors are `snow::Proc a(snow::Self self, ...)`; receive is
//     `co_await sl::receive(self, ..., snow::on<sl::Value>(guard, handler), ..., snow::after(...))`;
//     services, supervisors and jobs use the runtime's templates (snow/lang/otp.hpp);
//   - self tail calls are loops; effects are evaluated left to right as separate
//     statements; every statement carries a #line directive pointing at the .snow file.
#pragma once

#include <string>

#include "ast.hpp"
#include "checks.hpp"
#include "diagnostics.hpp"
#include "typecheck.hpp"

namespace snowc {

/// `snowc ... --debug`: a `#line` before every line, not only before every statement, so
/// that the debug information names the right .snow line for every instruction, and
/// the .snow files by absolute path (under `source_dir`, the entry module's directory),
/// so that a debugger finds them wherever it runs.
struct EmitOptions {
  bool debug = false;
  std::string source_dir;
};

/// Returns the C++ translation unit for `program`. Problems only the emitter can see
/// (e.g. an actor self-call that is not a tail call, a `default()` whose type the
/// context does not fix) go to `diags`. `types` are the inferred types (typecheck.hpp).
std::string emit_cpp(const Program& program, const Symbols& symbols, const TypeTable& types, Diagnostics& diags,
                     const EmitOptions& options = {});

}  // namespace snowc
