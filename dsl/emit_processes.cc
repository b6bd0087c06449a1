// dsl/emit_processes.cc: processes: actors (their loop, self tail calls, terminate
// clause), `receive` with its message kinds and `after`, and `spawn`.
#include "emit_internal.hpp"

namespace snowc::emit {

void Emitter::emit_actor(const ActorDef& a) {
  Out body;
  body.indent = 2;
  Out* saved = out_;
  out_ = &body;
  FnCtx ctx;
  ctx.snow_name = a.name;
  ctx.actor = true;
  std::swap(fn_, ctx);
  std::vector<std::string> params;
  for (const auto& p : a.params) params.push_back(p->kind == PK::var ? declare(p->name) : declare("_unused"));
  fn_.params = params;
  block(a.body, Dest{Dest::discard, "", true});
  out_->line("co_return;");
  std::swap(fn_, ctx);

  Out term;
  term.indent = 1;
  if (a.terminate) {
    push();
    out_ = &term;
    FnCtx t;
    t.sync = true;
    t.in_lambda = true;
    t.actor = true;
    std::swap(fn_, t);
    term.indent = 2;
    block(*a.terminate, Dest{});
    std::swap(fn_, t);
    pop();
  }
  out_ = saved;
  defs_.indent = 0;
  debug_at(a.span);
  defs_.line("");
  defs_.line("// actor " + a.name);
  if (a.terminate) {
    defs_.line("// actor " + a.name + ": terminate do ... end (runs once when the process ends; see sl::ActorToken)");
    defs_.line("void " + derived(a.name, "terminate") + "(snow::Self self) {");
    defs_.text += dedent(term.text);
    defs_.line("}");
    defs_.line("");
  }
  defs_.line("snow::Proc " + cpp_ident(a.name) + "(" + actor_params_decl(params.size(), params) + ") {");
  defs_.line("  token.attach(self);");
  defs_.line("  for (;;) {");
  defs_.text += body.text;
  defs_.line("  }");
  defs_.line("}");
}

Emitter::MsgKind Emitter::arm_kind(const Pat& p) const {
  const Pat* q = &p;
  while (q->kind == PK::as) q = q->kids[0].get();
  if (q->kind == PK::wild || q->kind == PK::var) return MsgKind::any;
  if (q->kind == PK::ctor && q->binds) return MsgKind::any;
  if (q->kind == PK::ctor && q->has_args) {
    if (q->name == "Exit") return MsgKind::exit;
    if (q->name == "Down") return MsgKind::down;
    if (q->name == "NodeUp") return MsgKind::node_up;
    if (q->name == "NodeDown") return MsgKind::node_down;
  }
  return MsgKind::value;
}

void Emitter::emit_receive(const Expr& e, const Dest& d) {
  if (fn_.sync) {
    d_->error("E0017", e.span, "receive is not possible here (a guard, a terminate clause or a service handler)");
    return;
  }
  std::string timeout;
  if (e.after_ms) timeout = named(ex(*e.after_ms), "timeout");
  const std::string msg = fresh("msg");
  const std::string arm = fresh("arm");
  out_->line("sl::Value " + msg + ";");
  // A `when` guard runs inside the runtime's mailbox scan, where an error would end the
  // process without unwinding its coroutine (main would never report it and the
  // program would hang). The guard keeps its error and accepts the message; the error
  // is raised again after the receive, in the process's own code, like any other.
  const bool guarded = std::any_of(e.arms.begin(), e.arms.end(), [](const Arm& a) { return a.guard != nullptr; });
  const std::string guard_error = guarded ? fresh("guard_error") : "";
  if (guarded) out_->line("std::exception_ptr " + guard_error + ";");
  std::vector<std::string> clauses;
  // The arms that take Values become one clause (sl::value_arms): a function giving the
  // first arm whose pattern and guard accept the message. Exit, Down, NodeUp and NodeDown
  // arms are clauses of their own, in order (a message is of one type only).
  const std::string pad(static_cast<std::size_t>(out_->indent + 2) * 2, ' ');
  std::string value_tests;
  bool value_arms = false;
  for (std::size_t i = 0; i < e.arms.size(); ++i) {
    const Arm& a = e.arms[i];
    const MsgKind k = arm_kind(*a.pat);
    std::vector<std::pair<std::string, std::string>> types;  // C++ type, conversion of `m`
    switch (k) {
      case MsgKind::value: types = {{"sl::Value", "m"}}; break;
      case MsgKind::exit: types = {{"snow::Exit", "sl::exit_value(m)"}}; break;
      case MsgKind::down: types = {{"snow::Down", "sl::take_down(m)"}}; break;
      case MsgKind::node_up: types = {{"snow::NodeUp", "sl::dist::node_up_value(m)"}}; break;
      case MsgKind::node_down: types = {{"snow::NodeDown", "sl::dist::node_down_value(m)"}}; break;
      case MsgKind::any:
        types = {{"sl::Value", "m"}, {"snow::Exit", "sl::exit_value(m)"}, {"snow::Down", "sl::take_down(m)"}};
        break;
    }
    for (const auto& [type, conv] : types) {
      // The guard: pattern test, bindings, guard expression, in a context that cannot wait.
      Out g;
      g.indent = out_->indent + (conv == "m" ? 4 : 3);
      Out* saved = out_;
      out_ = &g;
      FnCtx ctx = fn_;
      ctx.sync = true;
      ctx.plain = false;  // a guard lambda returns bool, whatever the function around it is
      ctx.in_lambda = true;
      std::swap(fn_, ctx);
      push();
      const std::string view = conv == "m" ? "m" : fresh("view");
      if (view != "m") {
        std::string peek = conv;
        if (conv == "sl::take_down(m)") peek = "sl::down_value(m)";
        out_->line("const sl::Value " + view + " = " + peek + ";");
      }
      const std::string test = pat_test(*a.pat, view);
      const bool simple = !a.guard && view == "m";
      if (!simple) {
        if (test != "true") out_->line("if (!(" + test + ")) return false;");
        if (a.guard) {
          out_->line("try {");
          out_->indent++;
          pat_bind(*a.pat, view, false);
          const std::string gv = ex(*a.guard);
          out_->line("return " + condition(gv) + ";");
          out_->indent--;
          out_->line("} catch (...) {");
          out_->line("  " + guard_error + " = std::current_exception();");
          out_->line("  return true;");
          out_->line("}");
        } else {
          out_->line("return true;");
        }
      }
      pop();
      std::swap(fn_, ctx);
      out_ = saved;
      const std::string idx = std::to_string(i);
      if (conv == "m") {
        const std::string in(static_cast<std::size_t>(out_->indent + 3) * 2, ' ');
        if (simple) {
          value_tests += in + (test == "true" ? "" : "if (" + test + ") ") + "return " + idx + ";\n";
        } else {
          value_tests += in + "if ([&]() -> bool {\n" + g.text + in + "}()) return " + idx + ";\n";
        }
        value_arms = true;
        continue;
      }
      std::string guard_fn = "[&](const " + type + "& m) -> bool {\n" + g.text + pad + "}";
      const std::string handler = "[&](" + type + " m) { " + msg + " = " + conv + "; return " + idx + "; }";
      clauses.push_back("snow::on<" + type + ">(" + guard_fn + ",\n" + pad + handler + ")");
    }
  }
  if (value_arms) {
    // First: it takes no message another clause could (see above), and a receive is
    // mostly its Value arms.
    clauses.insert(clauses.begin(), "sl::value_arms(" + msg + ", [&](const sl::Value& m) -> int {\n" + value_tests +
                                        pad + "  return -1;\n" + pad + "})");
  }
  if (e.after_ms) clauses.push_back("snow::after(sl::millis(" + timeout + "), [] { return -1; })");
  std::string callexpr = "int " + arm + " = co_await sl::receive(self, " + (e.after_ms ? "false" : "true");
  out_->line(callexpr + ",");
  for (std::size_t i = 0; i < clauses.size(); ++i) {
    out_->line("    " + clauses[i] + (i + 1 < clauses.size() ? "," : ");"));
  }
  if (clauses.empty()) out_->line("    snow::after(absl::InfiniteDuration(), [] { return -1; }));");
  if (guarded) out_->line("if (" + guard_error + ") std::rethrow_exception(" + guard_error + ");");
  // An arm runs after the receive took its message: an after-less receive is a
  // preemption point of its own (FnCtx::received), so a self tail call in an arm needs
  // no tick (a ring node's `Token(left) -> ring_node(...)`).
  const bool received_before = fn_.received;
  if (!e.after_ms) fn_.received = true;
  for (std::size_t i = 0; i < e.arms.size(); ++i) {
    const Arm& a = e.arms[i];
    push();
    out_->line(std::string(i == 0 ? "if (" : "} else if (") + arm + " == " + std::to_string(i) + ") {");
    out_->indent++;
    at(a.span);
    const std::string moved = arm_result_name(a, d);
    moved_binding_ = moved;
    moved_into_ = d.kind == Dest::assign ? d.var : "";
    pat_bind(*a.pat, msg, false);
    moved_binding_.clear();
    moved_into_.clear();
    arm_value(a, moved, d);
    out_->indent--;
    pop();
  }
  fn_.received = received_before;
  if (e.after_ms) {
    out_->line(e.arms.empty() ? "{" : "} else {");
    out_->indent++;
    into(*e.after_body, d);
    out_->indent--;
    out_->line("}");
  } else if (!e.arms.empty()) {
    out_->line("}");
  }
}

std::string Emitter::terminate_of(const std::string& actor) const {
  auto it = s_.actors.find(actor);
  return it != s_.actors.end() && it->second->terminate ? "&prog::" + derived(actor, "terminate") + "" : "nullptr";
}

std::string Emitter::spawn(const Expr& e) {
  const Expr& target = *e.kids[0];
  const auto a = eval_args(e.kids, 1);
  if (target.kind == EK::ident && s_.supervisors.count(target.name)) {
    return aw("prog::" + derived(target.name, "spawn") + "(self)");
  }
  std::string s = "sl::spawn(self, &prog::" + cpp_ident(target.name) + ", " + terminate_of(target.name);
  for (const auto& x : a) s += ", " + x;
  return s + ")";
}

}  // namespace snowc::emit
