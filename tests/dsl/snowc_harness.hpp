// tests/dsl/snowc_harness.hpp: runs snowc's passes on a source text, as far as a test asks,
// and gives back what each pass produced (the tree, the symbols, the types, the C++) with
// the diagnostics, so that a test looks at one pass's result.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "dsl/ast.hpp"
#include "dsl/checks.hpp"
#include "dsl/diagnostics.hpp"
#include "dsl/emitter.hpp"
#include "dsl/parser.hpp"
#include "dsl/resolve.hpp"
#include "dsl/typecheck.hpp"

namespace snowc_test {

/// How far to run: each stage runs only when the ones before it reported no error, as
/// snowc does (dsl/driver.cc).
enum class Stage { parse, resolve, check, types, emit };

struct Compiled {
  std::unique_ptr<snowc::Diagnostics> diags;
  snowc::Program program;
  snowc::Symbols symbols;
  snowc::TypeTable types;
  std::string cpp;

  /// The codes of the diagnostics, in the order they were reported.
  std::vector<std::string> codes() const {
    std::vector<std::string> out;
    for (const auto& d : diags->all()) out.push_back(d.code);
    return out;
  }
  bool has(const std::string& code) const {
    for (const auto& d : diags->all()) {
      if (d.code == code) return true;
    }
    return false;
  }
  /// The first diagnostic with `code` (the test has checked that there is one).
  const snowc::Diagnostic& first(const std::string& code) const {
    for (const auto& d : diags->all()) {
      if (d.code == code) return d;
    }
    return diags->all().front();
  }
  std::string rendered() const { return diags->render(); }

  /// The function called `name` (its first clause's group), or null.
  const snowc::FnGroup* fn(const std::string& name) const {
    for (const auto& it : program.items) {
      if (it.kind == snowc::Item::fn && it.fn_group->name == name) return it.fn_group.get();
    }
    return nullptr;
  }
  /// The value of `let name = ...` in the body of function `in` (first clause), or null.
  const snowc::Expr* let_value(const std::string& in, const std::string& name) const {
    const snowc::FnGroup* g = fn(in);
    if (g == nullptr) return nullptr;
    for (const auto& st : g->clauses[0]->body) {
      if (st->kind == snowc::SK::let && st->pat && st->pat->name == name) return st->expr.get();
    }
    return nullptr;
  }
  /// The type checker's type of `let name = ...` in `in`, as Snow writes it.
  std::string type_of_let(const std::string& in, const std::string& name) const {
    const snowc::Expr* e = let_value(in, name);
    return e == nullptr ? "<no such let>" : types.show(*e);
  }
};

inline Compiled compile(const std::string& source, Stage until = Stage::emit) {
  Compiled c;
  c.diags = std::make_unique<snowc::Diagnostics>("test.snow", source);
  c.program = snowc::parse(source, "test.snow", *c.diags);
  if (until == Stage::parse || c.diags->has_errors()) return c;
  snowc::resolve_names(c.program, *c.diags);
  if (until == Stage::resolve || c.diags->has_errors()) return c;
  c.symbols = snowc::check(c.program, *c.diags);
  if (until == Stage::check || c.diags->has_errors()) return c;
  c.types = snowc::check_types(c.program, c.symbols, *c.diags);
  if (until == Stage::types || c.diags->has_errors()) return c;
  c.cpp = snowc::emit_cpp(c.program, c.symbols, c.types, *c.diags);
  return c;
}

/// Whether `text` contains `part`.
inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace snowc_test
