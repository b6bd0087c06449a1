// dsl/may_wait.hpp: which top-level functions may wait, found over the call graph.
//
// A function that may wait (suspend its process) is emitted as a coroutine; one that
// never waits is a plain C++ function, called directly, with no frame to allocate and
// no resumption (dsl/README.md, "A function that may wait is a coroutine").
//
// A function waits by itself when its own body (not the bodies of the closures it
// creates, which run when called) receives, loops (`for`, `while`: each keeps its
// preemption point), calls a function value, a local function, an interface or value
// method, a service's `start` or `call`, a waiting builtin (`sleep`, ...), spawns a
// supervisor or on another node, or takes a `default()` written by an `impl Default`.
// It may wait when it waits by itself or calls a top-level function that may wait
// (itself included: a recursion, and a self tail call, which loops). `main` always
// may (it is a process).
//
// The answer is the least set of plain functions closed under "calls only plain
// functions": functions on a cycle of calls (direct or mutual recursion, whose depth
// could exhaust a worker's stack) are never plain, since none of them qualifies
// before the others.
#pragma once

#include <map>
#include <set>
#include <string>

#include "ast.hpp"
#include "checks.hpp"
#include "typecheck.hpp"

namespace snowc {

/// What one top-level function's own body shows.
struct WaitFacts {
  /// The first thing found in its body that waits by itself ("receive", "loop",
  /// "self call", "function value call", "method call", "service call",
  /// "waiting builtin", "supervisor spawn", "remote spawn", "default()"); "" for none.
  std::string waits_because;
  std::set<std::string> calls;  // top-level functions it calls by name
};

/// The facts of every top-level function of `program`, by name.
std::map<std::string, WaitFacts> wait_facts(const Program& program, const Symbols& symbols, const TypeTable& types);

/// The top-level functions that never wait (every other one may).
std::set<std::string> plain_functions(const Program& program, const Symbols& symbols, const TypeTable& types);

}  // namespace snowc
