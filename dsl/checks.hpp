// dsl/checks.hpp: what snowc verifies before emitting C++ (snow.md#diagnostics), and the symbol tables
// the emitter uses.
//
// Checked: names are declared before use (snow.md#declaration-order) and bound where used (E0004); arity of
// calls to functions, constructors, builtins, actors and service APIs (E0003); what
// `spawn` may start (E0016); break/continue placement (E0032/E0033); function clause
// rules (E0022-E0024); deriving (E0028/E0029); struct literals (E0009); variants
// (E0010); or-pattern bindings (E0011); case guards (E0013) and exhaustiveness at every
// depth (E0012); ambiguous interface methods (E0027); supervisors (E0018-E0021); actor names used only as spawn
// targets or self-calls. Types (E0001, E0002, E0005, E0006, E0009 on field access,
// E0014, E0025, E0030, E0036, E0037) are checked afterwards by dsl/typecheck.hpp, only
// when nothing here was reported; what that checker leaves unknown is a runtime error
// naming the .snow line.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "ast.hpp"
#include "diagnostics.hpp"

namespace snowc {

struct VariantInfo {
  std::string type;  // the sum type
  int tag = 0;
  int arity = 0;
  bool builtin = false;
};

struct HandlerInfo {
  int index = 0;
  const Handler* handler = nullptr;
};

struct Symbols {
  std::map<std::string, std::shared_ptr<FnGroup>> fns;
  std::map<std::string, std::shared_ptr<ActorDef>> actors;
  std::map<std::string, std::shared_ptr<ServiceDef>> services;
  std::map<std::string, std::shared_ptr<SupervisorDef>> supervisors;
  std::map<std::string, std::shared_ptr<StructDef>> structs;
  std::map<std::string, std::shared_ptr<SumDef>> sums;
  std::map<std::string, VariantInfo> variants;
  std::map<std::string, std::shared_ptr<InterfaceDef>> interfaces;
  std::map<std::string, int> methods;  // interface method name -> arity (with self)
  std::vector<std::shared_ptr<ImplDef>> impls;
  /// `from String import length`: length -> String.length
  std::map<std::string, std::string> imports;
  /// service name -> snake-cased API name -> handler
  std::map<std::string, std::map<std::string, HandlerInfo>> service_api;
};

/// Builds the symbol tables and reports every problem found into `diags`.
Symbols check(const Program& program, Diagnostics& diags);

/// A built-in interface users may implement (snow.md#interfaces) and its one method, fixed by the
/// reference. Hash has no method a program can call.
struct BuiltinInterface {
  const char* name;
  const char* method;  // null for Hash
  int arity;           // including self
  const char* result;  // the method's result type; null: the implementing type (Default)
};
/// The built-in interface called `name`, or null.
const BuiltinInterface* find_builtin_interface(const std::string& name);

}  // namespace snowc
