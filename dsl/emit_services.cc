// dsl/emit_services.cc: services (state, init, call and cast handlers, and the calls a
// program makes to them) and supervisors (their children and start functions).
#include "emit_internal.hpp"

namespace snowc::emit {

void Emitter::emit_service(const ServiceDef& sv) {
  const std::string n = derived(sv.name, "service");
  if (sv.init) {
    FnGroup g;
    g.name = "init";
    g.arity = static_cast<int>(sv.init->params.size());
    g.clauses.push_back(sv.init);
    emit_fn(g, derived(sv.name, "init"), false);
  }
  for (const auto& h : sv.handlers) {
    begin_item();
    Out body;
    body.indent = 1;
    Out* saved = out_;
    out_ = &body;
    FnCtx ctx;
    std::swap(fn_, ctx);
    std::vector<std::string> params;
    params.push_back(declare(h.state_name.empty() ? "_state" : h.state_name));
    for (const auto& p : h.params) params.push_back(p->kind == PK::var ? declare(p->name) : declare("_unused"));
    at(h.span);
    block(h.body, Dest{Dest::ret, "", false});
    std::swap(fn_, ctx);
    out_ = saved;
    defs_.indent = 0;
    defs_.line("");
    defs_.line("// " + std::string(h.is_call ? "call " : "cast ") + sv.name + "." + h.name);
    defs_.line("sl::Co<sl::Value> " + handler_fn(sv.name, h.name) + "(" + params_decl(params.size(), params) + ") {");
    defs_.text += body.text;
    defs_.line("  co_return sl::unit();");
    defs_.line("}");
  }
  // The state object, and its handlers as one coroutine (see snow/lang/otp.hpp).
  defs_.line("");
  defs_.line("// service " + sv.name + ": its state, and its handlers by request number");
  defs_.line("struct " + n + " : sl::ServiceHandlers<" + n + "> {");
  defs_.line("  explicit " + n + "(sl::Value s) : state(std::move(s)) {}");
  defs_.line("  sl::Value state;");
  // What a request from another node is checked against before serve indexes r.args
  // (sl::service_request_from): each handler's parameter count (-1: no such handler),
  // and whether it is a call.
  std::string arities, calls;
  for (std::size_t i = 0; i < sv.handlers.size(); ++i) {
    arities += "case " + std::to_string(i) + ": return " + std::to_string(sv.handlers[i].params.size()) + "; ";
    if (sv.handlers[i].is_call) calls += "case " + std::to_string(i) + ": ";
  }
  defs_.line("  static constexpr int handler_arity(int h) { switch (h) { " + arities + "} return -1; }");
  defs_.line("  static constexpr bool handler_is_call(int h) { switch (h) { " +
             (calls.empty() ? std::string() : calls + "return true; ") + "} return false; }");
  defs_.line("  sl::Co<sl::Value> serve(snow::Self self, sl::ServiceRequest r) {");
  defs_.line("    switch (r.handler) {");
  int index = 0;
  for (const auto& h : sv.handlers) {
    std::string call = handler_fn(sv.name, h.name) + "(self, state";
    for (std::size_t i = 0; i < h.params.size(); ++i) call += ", r.args[" + std::to_string(i) + "]";
    call += ")";
    defs_.line("      case " + std::to_string(index++) + ": {");
    defs_.line("        sl::Value result = co_await " + call + ";");
    if (h.is_call) {
      defs_.line("        co_return sl::take_call_result(state, result);");
    } else {
      defs_.line("        state = std::move(result);");
      defs_.line("        co_return sl::unit();");
    }
    defs_.line("      }");
  }
  defs_.line("    }");
  defs_.line("    sl::fail(\"a request this service has no handler for\");");
  defs_.line("  }");
  defs_.line("};");
}

void Emitter::emit_supervisor(const SupervisorDef& sd) {
  Out body;
  body.indent = 1;
  Out* saved = out_;
  out_ = &body;
  FnCtx ctx;
  std::swap(fn_, ctx);
  at(sd.span);
  out_->line("snow::SupervisorSpec spec;");
  out_->line("spec.strategy = snow::Strategy::" + sd.strategy + ";");
  out_->line("spec.max_restarts = " + std::to_string(sd.max_restarts) + ";");
  out_->line("spec.max_seconds = " + std::to_string(sd.max_seconds) + ";");
  for (const auto& c : sd.children) {
    at(c.span);
    const std::string start = c.start ? ex(*c.start) : "sl::unit()";
    const std::string shutdown =
        c.brutal_kill ? "snow::Shutdown::brutal_kill()" : "absl::Milliseconds(" + std::to_string(c.shutdown_ms) + ")";
    out_->line("spec.children.push_back(sl::child(" + cpp_string(c.id) + ", " + start + ", snow::Restart::" + c.restart +
               ", " + shutdown + "));");
  }
  out_->line("co_return sl::spawn_supervisor(self, std::move(spec));");
  std::swap(fn_, ctx);
  out_ = saved;
  defs_.indent = 0;
  defs_.line("");
  defs_.line("// supervisor " + sd.name + ": `spawn(" + sd.name + ")` starts it");
  defs_.line("sl::Co<sl::Value> " + derived(sd.name, "spawn") + "(snow::Self self) {");
  defs_.text += body.text;
  defs_.line("}");
}

std::string Emitter::service_call(const std::string& svc, const std::string& member, const Expr& e) {
  const std::string n = "prog::" + derived(svc, "service");
  const auto a = eval_args(e.kids, 1);
  if (member == "start") {
    const std::string init = "prog::" + derived(svc, "init");
    const std::string state = temp(aw(init + "(self" + (a.empty() ? "" : ", " + args_list(a)) + ")"), "state");
    return "sl::service_start<" + n + ">(self, " + state + ")";
  }
  const auto& api = s_.service_api.at(svc);
  const auto it = api.find(member);
  if (it == api.end() || a.empty()) return "sl::unit()";
  std::vector<std::string> rest(a.begin() + 1, a.end());
  const std::string targs = n + ", " + std::to_string(it->second.index);
  if (it->second.handler->is_call) {
    return aw("sl::service_call<" + targs + ">(self, " + a[0] + ", sl::args(" + args_list(rest) + "))");
  }
  return "sl::service_cast<" + targs + ">(self, " + a[0] + ", sl::args(" + args_list(rest) + "))";
}

}  // namespace snowc::emit
