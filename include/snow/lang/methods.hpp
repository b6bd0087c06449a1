// snow/lang/methods.hpp: method syntax on values of standard types (snow.md#calls-pipes-and-methods rule 3).
//
// `value.name(args)` is `Module.name(value, args)` for the module of the value's type
// (String, List, Map, Set, Range), and `to_string` everywhere. snowc resolves struct
// fields and user interface methods itself; what is left comes here and is resolved by
// the value's kind at run time.
#pragma once

#include <string>

#include "snow/lang/builtins.hpp"

namespace snow::lang {

Co<Value> method(Self self, std::string name, Value recv, Args args);

}  // namespace snow::lang
