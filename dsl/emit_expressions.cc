// dsl/emit_expressions.cc: expressions as C++ values: literals, strings, names,
// operators, fields, struct and variant values, `for` and `while`, closures. Effects are
// hoisted into statements in evaluation order (temp).
#include "emit_internal.hpp"

namespace snowc::emit {

/// Hoists `value` into a fresh temporary (for results of calls with effects).
std::string Emitter::temp(const std::string& value, const char* base) {
  const std::string t = fresh(base);
  out_->line("sl::Value " + t + " = " + value + ";");
  single_use_.insert(t);
  return t;
}

std::string Emitter::taken(const std::string& v) const {
  return single_use_.count(v) ? "std::move(" + v + ")" : v;
}

namespace {
/// True when `s[open]` is '(' and its matching ')' is the last character of s.
bool wraps_to_end(const std::string& s, std::size_t open) {
  if (open >= s.size() || s[open] != '(' || s.back() != ')') return false;
  int depth = 0;
  bool quoted = false;
  for (std::size_t i = open; i < s.size(); ++i) {
    const char ch = s[i];
    if (quoted) {
      if (ch == '\\') ++i;
      else if (ch == '"') quoted = false;
      continue;
    }
    if (ch == '"') quoted = true;
    else if (ch == '(') ++depth;
    else if (ch == ')' && --depth == 0) return i + 1 == s.size();
  }
  return false;
}
}  // namespace

std::string condition(const std::string& c) {
  static const char* const comparisons[] = {"eq", "ne", "lt", "le", "gt", "ge"};
  for (const char* op : comparisons) {
    const std::string head = std::string("sl::") + op + "(";
    if (c.compare(0, head.size(), head) == 0 && wraps_to_end(c, head.size() - 1)) {
      return std::string("sl::") + op + "_b" + c.substr(head.size() - 1);
    }
  }
  if (c.compare(0, 6, "sl::B(") == 0 && wraps_to_end(c, 5)) return c.substr(5);
  return "sl::truth(" + c + ")";
}

std::string Emitter::args_list(const std::vector<std::string>& a) {
  std::string s;
  for (const auto& x : a) s += (s.empty() ? "" : ", ") + x;
  return s;
}

std::vector<std::string> Emitter::eval_args(const std::vector<ExprP>& kids, std::size_t from) {
  std::vector<std::string> out;
  for (std::size_t i = from; i < kids.size(); ++i) out.push_back(ex(*kids[i]));
  return out;
}

std::string Emitter::ex(const Expr& e) {
  switch (e.kind) {
    case EK::int_lit: return int_value(e.int_value);
    case EK::float_lit: return "sl::F(" + float_literal(e.float_value) + ")";
    case EK::bool_lit: return e.bool_value ? "sl::B(true)" : "sl::B(false)";
    case EK::unit: return "sl::unit()";
    case EK::str: return string_expr(e);
    case EK::ident: return ident(e);
    case EK::tuple: return "sl::tuple(sl::args(" + args_list(eval_args(e.kids, 0)) + "))";
    case EK::list: return "sl::list(sl::args(" + args_list(eval_args(e.kids, 0)) + "))";
    case EK::map: {
      const auto vals = eval_args(e.kids, 0);
      std::string s;
      for (std::size_t i = 0; i + 1 < vals.size(); i += 2) s += (s.empty() ? "" : ", ") + std::string("{") + vals[i] + ", " + vals[i + 1] + "}";
      return temp("sl::map_literal({" + s + "})", "map");
    }
    case EK::binary: return binary(e);
    case EK::unary: {
      const std::string v = ex(*e.kids[0]);
      return (e.name == "-" ? "sl::neg(" : "sl::not_(") + v + ")";
    }
    case EK::call: {
      bool effect = false;
      const std::string c = call(e, effect);
      return effect ? temp(c) : c;
    }
    case EK::field: return field(e);
    case EK::index: return "sl::unit()";
    case EK::try_: {
      const std::string v = named(ex(*e.kids[0]), "try");
      if (fn_.actor && !fn_.in_lambda) {
        out_->line("if (sl::is_failure(" + v + ")) sl::fail(\"`?` in an actor: \" + sl::debug(self, " + v + "));");
      } else if (fn_.plain) {
        out_->line("if (sl::is_failure(" + v + ")) return " + v + ";");
      } else if (fn_.sync) {
        out_->line("if (sl::is_failure(" + v + ")) sl::fail(\"`?` cannot return here\");");
      } else {
        out_->line("if (sl::is_failure(" + v + ")) co_return " + v + ";");
      }
      return "sl::unwrap(" + v + ")";
    }
    case EK::struct_lit: {
      auto it = s_.structs.find(e.name);
      std::map<std::string, std::string> vals;
      for (const auto& [f, x] : e.fields) vals[f] = ex(*x);
      std::vector<std::string> ordered;
      if (it != s_.structs.end()) {
        for (const auto& f : it->second->fields) ordered.push_back(vals.count(f) ? vals[f] : "sl::unit()");
      }
      return construct("strukt", type_var(e.name), ordered);
    }
    case EK::if_:
    case EK::case_:
    case EK::receive: {
      const std::string t = fresh(e.kind == EK::if_ ? "if" : e.kind == EK::case_ ? "case" : "received");
      out_->line("sl::Value " + t + ";");
      into(e, Dest{Dest::assign, t, false});
      single_use_.insert(t);
      return t;
    }
    case EK::closure: return closure(e);
    case EK::while_: {
      out_->line("for (;;) {");
      out_->indent++;
      tick();  // first, so that `continue` cannot skip it
      const std::string c = ex(*e.cond);
      out_->line("if (!" + condition(c) + ") break;");
      block(e.body, Dest{});
      out_->indent--;
      out_->line("}");
      return "sl::unit()";
    }
    case EK::for_: return for_loop(e);
    case EK::break_: out_->line("break;"); return "sl::unit()";
    case EK::continue_: out_->line("continue;"); return "sl::unit()";
    case EK::spawn: return temp(spawn(e), "pid");
    case EK::send: {
      const auto a = eval_args(e.kids, 0);
      out_->line("sl::send(self, " + a[0] + ", " + a[1] + ");");
      return "sl::unit()";
    }
    case EK::link: {
      const auto a = eval_args(e.kids, 0);
      out_->line("sl::link(self, " + a[0] + ");");
      return "sl::unit()";
    }
    case EK::self_pid: return "sl::self_pid(self)";
  }
  return "sl::unit()";
}

void Emitter::tick() {
  if (!fn_.sync) out_->line("co_await sl::tick(self);");
}

std::string Emitter::string_expr(const Expr& e) {
  if (e.pieces.size() == 1 && !e.pieces[0].is_expr) return str_value(e.pieces[0].text);
  std::vector<std::string> parts;
  for (const auto& p : e.pieces) {
    if (p.is_expr) {
      parts.push_back("sl::display(self, " + ex(*p.expr) + ")");
    } else if (!p.text.empty()) {
      parts.push_back(p.text.find('\0') != std::string::npos
                          ? "std::string(" + cpp_string(p.text) + ", " + std::to_string(p.text.size()) + ")"
                          : "std::string(" + cpp_string(p.text) + ")");
    }
  }
  std::string s;
  for (const auto& x : parts) s += (s.empty() ? "" : " + ") + x;
  return "sl::S(" + s + ")";
}

std::string Emitter::ident(const Expr& e) {
  if (const std::string* n = lookup(e.name)) return *n;
  auto fit = s_.fns.find(e.name);
  if (fit != s_.fns.end()) return fn_value(e.name, fit->second->arity);
  auto vit = s_.variants.find(e.name);
  if (vit != s_.variants.end()) {
    if (vit->second.arity == 0) return "sl::Value::variant(" + type_var(vit->second.type) + ", " + std::to_string(vit->second.tag) + ")";
    return ctor_value(e.name, vit->second);
  }
  if (s_.methods.count(e.name)) {
    return "sl::fun(" + cpp_string(e.name) + ", -1, [](snow::Self self, sl::Value, sl::Args a) -> sl::Co<sl::Value> { "
           "sl::Value recv = a.at(0); a.erase(a.begin()); co_return co_await prog::" + derived(e.name, "method") +
           "(self, recv, std::move(a)); })";
  }
  std::string bname = e.name;
  if (auto imp = s_.imports.find(e.name); imp != s_.imports.end()) bname = imp->second;
  if (const Builtin* b = find_builtin(bname)) return builtin_value(*b);
  return "sl::unit()";
}

std::string Emitter::binary(const Expr& e) {
  const std::string& op = e.name;
  if (op == "and" || op == "or") {
    const std::string a = ex(*e.kids[0]);
    Out sub;
    sub.indent = out_->indent + 1;
    Out* saved = out_;
    out_ = &sub;
    const std::string b = ex(*e.kids[1]);
    out_ = saved;
    if (sub.text.empty()) {
      return "sl::B(" + condition(a) + " " + (op == "and" ? "&&" : "||") + " " + condition(b) + ")";
    }
    const std::string t = fresh(op == "and" ? "and" : "or");
    out_->line("sl::Value " + t + " = " + a + ";");
    out_->line("if (" + std::string(op == "and" ? "" : "!") + "sl::truth(" + t + ")) {");
    out_->text += sub.text;
    out_->line("  " + t + " = sl::B(sl::truth(" + b + "));");
    out_->line("}");
    return t;
  }
  const std::string a = ex(*e.kids[0]);
  std::string b = ex(*e.kids[1]);
  // An Int literal on the right of `+ - *` or a comparison is a C++ integer (ops.hpp has
  // those overloads): no Value is made for it.
  static const std::set<std::string> int_rhs = {"+", "-", "*", "==", "!=", "<", ">", "<=", ">="};
  if (e.kids[1]->kind == EK::int_lit && int_rhs.count(op)) {
    b = e.kids[1]->int_value == INT64_MIN ? "INT64_MIN" : "std::int64_t(" + std::to_string(e.kids[1]->int_value) + ")";
  }
  static const std::map<std::string, std::string> fns = {
      {"+", "add"}, {"-", "sub"}, {"*", "mul"}, {"/", "div"}, {"%", "rem"}, {"==", "eq"}, {"!=", "ne"},
      {"<", "lt"}, {">", "gt"}, {"<=", "le"}, {">=", "ge"}, {"<>", "concat"}, {"++", "append"}, {"..", "range"}};
  return "sl::" + fns.at(op) + "(" + a + ", " + b + ")";
}

std::string Emitter::field(const Expr& e) {
  const Expr& recv = *e.kids[0];
  if (recv.kind == EK::ident && !lookup(recv.name)) {
    if (recv.name == "Math" && e.name == "pi") return "sl::F(3.141592653589793)";
    auto vit = s_.variants.find(e.name);
    if (vit != s_.variants.end() && (s_.sums.count(recv.name) || vit->second.type == recv.name)) {
      if (vit->second.arity == 0) return "sl::Value::variant(" + type_var(vit->second.type) + ", " + std::to_string(vit->second.tag) + ")";
      return ctor_value(e.name, vit->second);
    }
    if (const Builtin* b = find_builtin(recv.name + "." + e.name)) return builtin_value(*b);
  }
  const std::string r = ex(recv);
  return "sl::get_field(" + r + ", " + cpp_string(e.name) + ")";
}

std::string Emitter::construct(const std::string& what, const std::string& head, const std::vector<std::string>& fields) {
  constexpr std::size_t kInlineFields = 3;  // sl::Fields::kInline
  if (fields.size() <= kInlineFields) return "sl::Value::" + what + "_of(" + head + (fields.empty() ? "" : ", " + args_list(fields)) + ")";
  return "sl::Value::" + what + "(" + head + ", sl::args(" + args_list(fields) + "))";
}

std::string Emitter::for_loop(const Expr& e) {
  const std::string src = ex(*e.iter);
  const std::string result = fresh("for");
  const std::string acc = fresh("collected");
  const std::string it = fresh("iter");
  const std::string item = fresh("item");
  out_->line("sl::Value " + result + ";");
  out_->line("{");
  out_->indent++;
  out_->line("std::vector<sl::Value> " + acc + ";");
  out_->line("sl::Iter " + it + "(" + src + ");");
  out_->line("for (sl::Value " + item + "; " + it + ".next(" + item + ");) {");
  out_->indent++;
  tick();  // first, so that neither the filter nor `continue` can skip it
  push();
  if (e.loop_var) {
    if (e.loop_var->kind == PK::var) out_->line("const sl::Value " + declare(e.loop_var->name) + " = " + item + ";");
  } else {
    out_->line("const sl::Value " + declare(e.key_var) + " = sl::field(" + item + ", 0);");
    out_->line("const sl::Value " + declare(e.value_var) + " = sl::field(" + item + ", 1);");
  }
  if (e.cond) {
    const std::string c = ex(*e.cond);
    out_->line("if (!" + condition(c) + ") continue;");
  }
  const std::string v = fresh("value");
  out_->line("sl::Value " + v + ";");
  block(e.body, Dest{Dest::assign, v, false});
  out_->line(acc + ".push_back(std::move(" + v + "));");
  pop();
  out_->indent--;
  out_->line("}");
  out_->line(result + " = sl::list(std::move(" + acc + "));");
  out_->indent--;
  out_->line("}");
  return result;
}

std::string Emitter::closure(const Expr& e) {
  FnGroup g;
  g.name = "fn";
  std::vector<FnDefP> clauses;
  for (const auto& c : e.clauses) {
    auto f = std::make_shared<FnDef>();
    f->params = c.params;
    f->guard = c.guard;
    f->body = c.body;
    f->span = c.span;
    g.clauses.push_back(f);
  }
  g.arity = g.clauses.empty() ? 0 : static_cast<int>(g.clauses[0]->params.size());
  return closure_value("fn", static_cast<std::size_t>(g.arity), e.span, &g, "");
}

/// A closure (or local named function) as a Value: a coroutine lambda capturing by value.
std::string Emitter::closure_value(const std::string& name, std::size_t arity, Span sp, const FnGroup* g, const std::string& self_name) {
  const std::string enclosing = where_;
  debug_at(sp);
  Out body;
  body.indent = out_->indent + 1;
  Out* saved = out_;
  out_ = &body;
  FnCtx ctx;
  ctx.in_lambda = true;
  std::swap(fn_, ctx);
  push();
  std::string me = "me";
  if (!self_name.empty()) {
    me = declare(name);  // the function itself, for recursion
  }
  std::vector<std::string> params;
  const bool single = g->clauses.size() == 1 && simple_params(*g->clauses[0]) && !g->clauses[0]->guard;
  if (single) {
    for (std::size_t i = 0; i < g->clauses[0]->params.size(); ++i) {
      const auto& p = g->clauses[0]->params[i];
      if (p->kind == PK::var) out_->line("sl::Value " + declare(p->name) + " = args[" + std::to_string(i) + "];");
    }
    block(g->clauses[0]->body, Dest{Dest::ret, "", false});
  } else {
    for (std::size_t i = 0; i < arity; ++i) {
      const std::string a = declare("a" + std::to_string(i));
      out_->line("sl::Value " + a + " = args[" + std::to_string(i) + "];");
      params.push_back(a);
    }
    emit_clauses(*g, params);
    out_->line("sl::fail(\"no clause of the closure matches the arguments\");");
  }
  out_->line("co_return sl::unit();");
  pop();
  std::swap(fn_, ctx);
  out_ = saved;
  where_ = enclosing;
  const std::string pad(static_cast<std::size_t>(out_->indent) * 2, ' ');
  return "sl::fun(" + cpp_string(name) + ", " + std::to_string(arity) + ", [=](snow::Self self, sl::Value " + me +
         ", sl::Args args) -> sl::Co<sl::Value> {\n" + body.text + pad + "})";
}

}  // namespace snowc::emit
