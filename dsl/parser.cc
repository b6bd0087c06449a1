// dsl/parser.cc: the Snow parser (see parser.hpp).
#include "parser.hpp"

#include <cctype>
#include <functional>

#include "lexer.hpp"

namespace snowc {

namespace {

struct ParseError {};

bool is_upper(const std::string& s) { return !s.empty() && std::isupper(static_cast<unsigned char>(s[0])); }

class Parser {
 public:
  /// `depth`: the nesting of the expression this parser's tokens sit in (an
  /// interpolation's parser continues its enclosing parser's count).
  Parser(std::vector<Token> toks, const std::string& source, Diagnostics& d, int depth = 0)
      : t_(std::move(toks)), src_(source), d_(d), depth_(depth) {}

  Program program(const std::string& file) {
    Program p;
    p.file = file;
    p.files = {file};
    skip_seps();
    while (!at(Tok::eof)) {
      const std::size_t before = i_;
      try {
        item(p);
      } catch (const ParseError&) {
        recover(before);
        collect_lost_names(before, i_, p.lost_names);
      }
      if (i_ == before) ++i_;  // always make progress
      skip_seps();
    }
    group_functions(p);
    return p;
  }

  /// Parses an interpolated expression's own tokens.
  ExprP lone_expression() {
    skip_newlines();
    ExprP e = expr();
    skip_newlines();
    if (!at(Tok::eof)) fail_here("unexpected " + std::string(tok_name(cur().kind)) + " in an interpolation");
    return e;
  }

 private:
  // ---- nesting ----
  // The parser recurses once per level of nesting, so a deep enough source (generated,
  // or hostile: "[[[[..." ) would exhaust the stack. Each recursive construct (an
  // expression, a pattern, a type) holds a Nesting while it parses; past the limit the
  // construct is refused with a diagnostic.
  static constexpr int kMaxNesting = 200;
  class Nesting {
   public:
    explicit Nesting(Parser& p) : p_(p) {
      if (p_.depth_ >= kMaxNesting) {
        p_.fail_here("nested too deeply (more than " + std::to_string(kMaxNesting) + " levels)");
      }
      ++p_.depth_;
    }
    ~Nesting() { --p_.depth_; }
    Nesting(const Nesting&) = delete;
    Nesting& operator=(const Nesting&) = delete;

   private:
    Parser& p_;
  };

  // ---- token access ----
  const Token& cur() const { return t_[i_]; }
  const Token& ahead(std::size_t k = 1) const { return t_[std::min(i_ + k, t_.size() - 1)]; }
  bool at(Tok k) const { return cur().kind == k; }
  bool at_ident(const char* word) const { return at(Tok::ident) && cur().text == word; }
  Token take() {
    Token t = cur();
    if (i_ + 1 < t_.size()) ++i_;
    return t;
  }
  bool accept(Tok k) {
    if (!at(k)) return false;
    take();
    return true;
  }
  [[noreturn]] void fail_here(const std::string& msg, const std::string& hint = "") {
    d_.error("syntax", cur().span, msg, hint);
    throw ParseError{};
  }
  [[noreturn]] void fail_at(Span sp, const std::string& msg, const std::string& hint = "") {
    d_.error("syntax", sp, msg, hint);
    throw ParseError{};
  }
  Token expect(Tok k, const std::string& what = "") {
    if (k == Tok::kw_end) check_block_closes();
    if (!at(k)) {
      std::string m = "expected " + (what.empty() ? std::string(tok_name(k)) : what) + ", found " + found();
      fail_here(m);
    }
    return take();
  }
  std::string found() const {
    if (at(Tok::ident)) return "`" + cur().text + "`";
    return tok_name(cur().kind);
  }
  std::string ident(const std::string& what = "a name") { return expect(Tok::ident, what).text; }
  void skip_newlines() {
    while (at(Tok::newline)) take();
  }
  void skip_seps() {
    while (at(Tok::newline) || at(Tok::semicolon)) take();
  }
  bool item_start() const {
    switch (cur().kind) {
      case Tok::kw_fn: case Tok::kw_def: case Tok::kw_actor: case Tok::kw_service: case Tok::kw_supervisor:
      case Tok::kw_struct: case Tok::kw_type: case Tok::kw_impl: case Tok::kw_interface: case Tok::kw_import:
      case Tok::kw_pub: return true;
      case Tok::ident: return cur().text == "from";
      default: return false;
    }
  }
  bool at_top_level_item() const { return cur().newline_before && cur().span.col == 1 && item_start(); }
  /// Skips what is left of the item that started at token `item_begin` (a syntax error
  /// abandoned it) up to the next item in column 1. The synchronisation point may be where
  /// the error was found: an unclosed block is reported at the item that follows it.
  void recover(std::size_t item_begin) {
    while (!at(Tok::eof)) {
      if (i_ > item_begin && at_top_level_item()) return;
      take();
    }
  }

  /// Adds to `out` the names that the dropped tokens [from, to) would have defined: the name
  /// after each defining keyword (also local functions: harmless), a dropped sum type's
  /// variants, and every name of a dropped `import` or `from ... import`. The checker then
  /// reports no use of them as unbound: the syntax error is the one mistake to fix.
  void collect_lost_names(std::size_t from, std::size_t to, std::set<std::string>& out) const {
    std::size_t head = from;
    if (head < t_.size() && t_[head].kind == Tok::kw_pub) ++head;
    if (head >= t_.size()) return;
    const bool an_import = t_[head].kind == Tok::kw_import || (t_[head].kind == Tok::ident && t_[head].text == "from");
    const bool a_sum_type = t_[head].kind == Tok::kw_type;
    for (std::size_t k = from; k < to && k < t_.size(); ++k) {
      if (t_[k].kind != Tok::ident) continue;
      switch (k > from ? t_[k - 1].kind : Tok::eof) {
        case Tok::kw_fn: case Tok::kw_def: case Tok::kw_actor: case Tok::kw_service: case Tok::kw_supervisor:
        case Tok::kw_struct: case Tok::kw_type: case Tok::kw_interface:
          out.insert(t_[k].text);
          continue;
        default: break;
      }
      if (an_import || (a_sum_type && is_upper(t_[k].text))) out.insert(t_[k].text);
    }
  }

  // ---- open blocks ----
  // Every `do` (and closure `fn`) still waiting for its `end`, innermost last, with the
  // indentation of the line it is on. Without this a missing `end` surfaces far from its
  // cause: the next `end` closes the wrong block, and the parser complains at the end of
  // the file or inside the next item. Instead the innermost open block is reported as
  // never closed when, where its `end` should be, the parser finds an `end` indented less
  // than the block's first line (it belongs to an enclosing block), a new item in column 1,
  // or the end of the file.
  struct OpenBlock {
    Span opener;
    std::string word;  // `do` or `fn`
    int indent;        // column of the first token on the opener's line
  };
  std::vector<OpenBlock> open_;
  /// Registers the token just consumed (a `do`, or a closure's `fn`) as open for its scope.
  class Opened {
   public:
    explicit Opened(Parser& p) : p_(p) {
      const Token& t = p_.t_[p_.i_ > 0 ? p_.i_ - 1 : 0];
      p_.open_.push_back({t.span, t.text, p_.line_indent(t.span)});
    }
    ~Opened() { p_.open_.pop_back(); }
    Opened(const Opened&) = delete;
    Opened& operator=(const Opened&) = delete;

   private:
    Parser& p_;
  };
  int line_indent(Span sp) const {
    if (sp.offset < 0 || static_cast<std::size_t>(sp.offset) > src_.size()) return sp.col;
    std::size_t start = static_cast<std::size_t>(sp.offset);
    while (start > 0 && src_[start - 1] != '\n' && src_[start - 1] != '\r') --start;
    int col = 1;
    while (start < src_.size() && (src_[start] == ' ' || src_[start] == '\t')) ++start, ++col;
    return col;
  }
  /// Where the innermost open block's `end` is due: reports that block if it cannot be closed here.
  void check_block_closes() {
    if (open_.empty()) return;
    const OpenBlock& b = open_.back();
    std::string why;
    if (at(Tok::eof)) {
      why = "the file ends first";
    } else if (at(Tok::kw_end) && cur().newline_before && cur().span.col < b.indent) {
      why = "the `end` on line " + std::to_string(cur().span.line) + " is indented as an enclosing block's";
    } else if (!at(Tok::kw_end) && at_top_level_item()) {
      why = "line " + std::to_string(cur().span.line) + " starts a new item first";
    } else {
      return;
    }
    fail_at(b.opener, "this `" + b.word + "` is never closed", why + ": add its `end`");
  }

  // ---- items ----
  void item(Program& p) {
    Item it;
    it.span = cur().span;
    bool pub = false;
    if (at(Tok::kw_pub)) {
      take();
      pub = true;
      it.pub = true;
      if (at(Tok::kw_actor) || at(Tok::kw_service)) {
        fail_here("expected an item after `pub`", "actors and services cannot be `pub`");
      }
    }
    switch (cur().kind) {
      case Tok::kw_fn:
      case Tok::kw_def: {
        if (ahead().kind != Tok::ident) break;  // a closure expression statement
        it.kind = Item::fn;
        it.fn_group = std::make_shared<FnGroup>();
        auto def = fn_def();
        def->pub = pub;
        it.fn_group->clauses.push_back(def);
        p.items.push_back(it);
        return;
      }
      case Tok::kw_struct: it.kind = Item::struct_; it.struct_def = struct_def(); p.items.push_back(it); return;
      case Tok::kw_type: type_def(p, it); return;
      case Tok::kw_interface: it.kind = Item::interface; it.interface_def = interface_def(); p.items.push_back(it); return;
      case Tok::kw_impl: it.kind = Item::impl; it.impl_def = impl_def(); p.items.push_back(it); return;
      case Tok::kw_actor: it.kind = Item::actor; it.actor_def = actor_def(); p.items.push_back(it); return;
      case Tok::kw_service: it.kind = Item::service; it.service_def = service_def(); p.items.push_back(it); return;
      case Tok::kw_supervisor: it.kind = Item::supervisor; it.supervisor_def = supervisor_def(); p.items.push_back(it); return;
      case Tok::kw_import: it.kind = Item::import; it.import_def = import_def(); p.items.push_back(it); return;
      case Tok::kw_module: fail_here("inline `module` blocks are not part of the language", "a file is a module");
      default:
        if (at_ident("from") && ahead().kind == Tok::ident) {
          it.kind = Item::import;
          it.import_def = from_import();
          p.items.push_back(it);
          return;
        }
        break;
    }
    if (pub) fail_here("expected an item after `pub`");
    it.kind = Item::stmt;
    it.statement = statement();
    end_of_statement();
    p.items.push_back(it);
  }

  void end_of_statement() {
    if (at(Tok::newline) || at(Tok::semicolon) || at(Tok::eof) || at(Tok::kw_end)) return;
    fail_here("expected the end of the statement, found " + found(),
              "an expression cannot continue on the next line outside brackets (snow.md#newlines)");
  }

  /// Merges consecutive clauses of one function into one FnGroup (snow.md#multi-clause-functions).
  void group_functions(Program& p) {
    std::vector<Item> out;
    for (auto& it : p.items) {
      if (it.kind == Item::fn && !out.empty() && out.back().kind == Item::fn &&
          out.back().fn_group->clauses.front()->name == it.fn_group->clauses.front()->name &&
          out.back().fn_group->clauses.front()->params.size() == it.fn_group->clauses.front()->params.size()) {
        out.back().fn_group->clauses.push_back(it.fn_group->clauses.front());
        continue;
      }
      if (it.kind == Item::fn) {
        it.fn_group->name = it.fn_group->clauses.front()->name;
        it.fn_group->span = it.fn_group->clauses.front()->span;
        it.fn_group->arity = static_cast<int>(it.fn_group->clauses.front()->params.size());
      }
      out.push_back(it);
    }
    p.items = std::move(out);
  }

  std::vector<std::string> generics() {
    std::vector<std::string> names;
    if (!accept(Tok::lt)) return names;
    do {
      names.push_back(ident("a type parameter"));
    } while (accept(Tok::comma));
    expect(Tok::gt);
    return names;
  }

  TypeRef type() {
    const std::size_t start = i_;
    const Span sp = cur().span;
    type_inner();
    TypeRef r;
    r.span = sp;
    for (std::size_t k = start; k < i_; ++k) r.text += t_[k].text;
    return r;
  }
  void type_inner() {
    const Nesting nesting(*this);
    if (accept(Tok::lparen)) {
      if (!at(Tok::rparen)) {
        do {
          type_inner();
        } while (accept(Tok::comma));
      }
      expect(Tok::rparen);
    } else if (at_ident("Fun")) {
      take();
      expect(Tok::lparen);
      if (!at(Tok::rparen)) {
        do {
          type_inner();
        } while (accept(Tok::comma));
      }
      expect(Tok::rparen);
      expect(Tok::arrow, "`->` and the result type");
      type_inner();
    } else {
      ident("a type");
      while (at(Tok::dot) && ahead().kind == Tok::ident) {
        take();
        take();
      }
      if (accept(Tok::lt)) {
        do {
          type_inner();
        } while (accept(Tok::comma));
        expect(Tok::gt);
      }
    }
    if (accept(Tok::question)) {
    }
    if (at(Tok::bang) && !cur().newline_before) {
      take();
      type_inner();
    }
  }

  FnDefP fn_def() {
    auto f = std::make_shared<FnDef>();
    f->span = take().span;  // fn / def
    f->name_span = cur().span;
    f->name = ident("a function name");
    f->generics = generics();
    if (accept(Tok::lparen)) {
      f->params = cparams(Tok::rparen);
      expect(Tok::rparen);
    }
    if (accept(Tok::arrow)) {
      f->ret = type();
      f->has_annotations = true;
    }
    if (accept(Tok::kw_where)) {
      do {
        std::string param = ident("a type parameter");
        expect(Tok::colon);
        std::string iface = ident("an interface");
        while (accept(Tok::dot)) iface += "." + ident();
        f->bounds.emplace_back(std::move(param), std::move(iface));
      } while (accept(Tok::comma));
    }
    if (accept(Tok::kw_when)) f->guard = expr();
    for (auto& p : f->params) {
      if (p->type) f->has_annotations = true;
    }
    if (accept(Tok::assign)) {
      auto s = std::make_shared<Stmt>();
      s->kind = SK::expr;
      s->span = cur().span;
      s->expr = expr();
      f->body.push_back(s);
    } else if (accept(Tok::kw_do)) {
      Opened open_block(*this);
      f->body = block();
      expect(Tok::kw_end, "`end` to close the function body");
    } else {
      fail_here("expected `do` or `=` to start the body of `" + f->name + "`, found " + found());
    }
    return f;
  }

  std::vector<PatP> cparams(Tok close) {
    std::vector<PatP> ps;
    while (!at(close)) {
      ps.push_back(cparam());
      if (!accept(Tok::comma)) break;
    }
    return ps;
  }

  PatP cparam() {
    if (at(Tok::kw_self)) {
      auto p = std::make_shared<Pat>();
      p->kind = PK::var;
      p->span = take().span;
      p->name = "self";
      if (accept(Tok::colon_colon)) p->type = type();
      return p;
    }
    // A parameter is a name with an optional type, or a literal, tuple or constructor
    // pattern: `::` after a name is a type annotation here, never a cons pattern.
    PatP p = prim_pattern();
    if (p->kind == PK::ctor && !p->has_args && p->qualifier.empty() && at(Tok::colon_colon)) p->kind = PK::var;
    if (p->kind == PK::var && accept(Tok::colon_colon)) p->type = type();
    return p;
  }

  std::optional<std::vector<std::pair<std::string, Span>>> deriving() {
    if (!(at_ident("deriving") && !cur().newline_before)) return std::nullopt;
    take();
    expect(Tok::lparen);
    std::vector<std::pair<std::string, Span>> names;
    while (!at(Tok::rparen)) {
      const Span sp = cur().span;
      names.emplace_back(ident("an interface name"), sp);
      if (!accept(Tok::comma)) break;
    }
    expect(Tok::rparen);
    return names;
  }

  std::shared_ptr<StructDef> struct_def() {
    auto s = std::make_shared<StructDef>();
    take();
    s->span = cur().span;
    s->name = ident("a struct name");
    s->generics = generics();
    expect(Tok::kw_do);
    Opened open_block(*this);
    skip_seps();
    while (!at(Tok::kw_end)) {
      s->field_spans.push_back(cur().span);
      s->fields.push_back(ident("a field name"));
      expect(Tok::colon_colon, "`::` and the field's type");
      s->field_types.push_back(type());
      skip_seps();
    }
    expect(Tok::kw_end);
    s->deriving = deriving();
    return s;
  }

  void type_def(Program& p, Item& it) {
    take();
    const Span sp = cur().span;
    const std::string name = ident("a type name");
    std::vector<std::string> params = generics();
    if (accept(Tok::assign)) {
      auto a = std::make_shared<AliasDef>();
      a->name = name;
      a->span = sp;
      a->generics = std::move(params);
      a->target = type();
      it.alias_def = a;
      it.kind = Item::alias;
      it.span = sp;
      p.items.push_back(it);
      return;
    }
    auto s = std::make_shared<SumDef>();
    s->name = name;
    s->span = sp;
    s->generics = std::move(params);
    expect(Tok::kw_do, "`do` (a sum type) or `=` (an alias)");
    Opened open_block(*this);
    skip_seps();
    while (!at(Tok::kw_end)) {
      Variant v;
      v.span = cur().span;
      v.name = ident("a variant name");
      if (accept(Tok::lparen)) {
        while (!at(Tok::rparen)) {
          if (at(Tok::ident) && ahead().kind == Tok::colon_colon) {
            v.field_names.push_back(take().text);
            take();
          } else {
            v.field_names.emplace_back();
          }
          v.field_types.push_back(type());
          ++v.arity;
          if (!accept(Tok::comma)) break;
        }
        expect(Tok::rparen);
      }
      s->variants.push_back(v);
      skip_seps();
    }
    expect(Tok::kw_end);
    s->deriving = deriving();
    it.kind = Item::sum;
    it.sum_def = s;
    p.items.push_back(it);
  }

  std::shared_ptr<InterfaceDef> interface_def() {
    auto d = std::make_shared<InterfaceDef>();
    take();
    d->span = cur().span;
    d->name = ident("an interface name");
    generics();
    expect(Tok::kw_do);
    Opened open_block(*this);
    skip_seps();
    while (!at(Tok::kw_end)) {
      if (!at(Tok::kw_fn) && !at(Tok::kw_def)) fail_here("expected `fn` in an interface, found " + found());
      InterfaceMethod m;
      const Span fn_span = take().span;
      m.span = cur().span;
      m.name = ident("a method name");
      expect(Tok::lparen);
      auto params = cparams(Tok::rparen);
      expect(Tok::rparen);
      m.arity = static_cast<int>(params.size());
      if (accept(Tok::arrow)) m.ret = type();
      if (accept(Tok::kw_do)) {
        Opened open_block(*this);
        auto f = std::make_shared<FnDef>();
        f->span = fn_span;
        f->name = m.name;
        f->name_span = m.span;
        f->params = params;
        f->body = block();
        expect(Tok::kw_end);
        m.default_body = f;
      }
      d->methods.push_back(m);
      skip_seps();
    }
    expect(Tok::kw_end);
    return d;
  }

  std::string path() {
    std::string p = ident();
    while (at(Tok::dot) && ahead().kind == Tok::ident) {
      take();
      p += "." + take().text;
    }
    return p;
  }

  std::shared_ptr<ImplDef> impl_def() {
    auto d = std::make_shared<ImplDef>();
    d->span = take().span;
    d->iface = path();
    if (accept(Tok::lt)) {
      do {
        type();
      } while (accept(Tok::comma));
      expect(Tok::gt);
    }
    if (!at(Tok::kw_for)) fail_here("expected `for` and a type after the interface name, found " + found());
    take();
    d->type = path();
    if (accept(Tok::lt)) {
      do {
        type();
      } while (accept(Tok::comma));
      expect(Tok::gt);
    }
    if (accept(Tok::kw_where)) {
      do {
        ident();
        expect(Tok::colon);
        path();
      } while (accept(Tok::comma));
    }
    expect(Tok::kw_do);
    Opened open_block(*this);
    skip_seps();
    while (!at(Tok::kw_end)) {
      if (!at(Tok::kw_fn) && !at(Tok::kw_def)) fail_here("expected `fn` in an impl, found " + found());
      d->methods.push_back(fn_def());
      skip_seps();
    }
    expect(Tok::kw_end);
    return d;
  }

  std::vector<PatP> params() {
    std::vector<PatP> ps;
    if (!accept(Tok::lparen)) return ps;
    while (!at(Tok::rparen)) {
      auto p = std::make_shared<Pat>();
      p->span = cur().span;
      if (at(Tok::kw_self)) {
        take();
        p->name = "self";
      } else {
        p->name = ident("a parameter name");
      }
      p->kind = p->name == "_" ? PK::wild : PK::var;
      if (accept(Tok::colon_colon)) p->type = type();
      ps.push_back(p);
      if (!accept(Tok::comma)) break;
    }
    expect(Tok::rparen);
    return ps;
  }

  std::shared_ptr<ActorDef> actor_def() {
    auto a = std::make_shared<ActorDef>();
    take();
    a->span = cur().span;
    a->name = ident("an actor name");
    a->params = params();
    expect(Tok::kw_do);
    Opened open_block(*this);
    skip_seps();
    while (!at(Tok::kw_end) && !at(Tok::eof)) {
      if (at(Tok::kw_terminate)) {
        const Span sp = take().span;
        if (a->terminate) fail_at(sp, "only one terminate clause is allowed in an actor");
        expect(Tok::kw_do);
        Opened open_block(*this);
        a->terminate = block();
        a->terminate_span = sp;
        expect(Tok::kw_end);
      } else {
        a->body.push_back(statement());
        if (!at(Tok::kw_end)) end_of_statement();
      }
      skip_seps();
    }
    expect(Tok::kw_end, "`end` to close the actor");
    return a;
  }

  std::shared_ptr<ServiceDef> service_def() {
    auto s = std::make_shared<ServiceDef>();
    take();
    s->span = cur().span;
    s->name = ident("a service name");
    expect(Tok::kw_do);
    Opened open_block(*this);
    skip_seps();
    while (!at(Tok::kw_end) && !at(Tok::eof)) {
      if (at(Tok::kw_fn) || at(Tok::kw_def)) {
        auto f = fn_def();
        if (f->name != "init") fail_at(f->name_span, "expected `fn init`, `call` or `cast` in a service");
        if (s->init) fail_at(f->name_span, "a service has one `fn init`");
        s->init = f;
      } else if (at(Tok::kw_call) || at(Tok::kw_cast)) {
        Handler h;
        h.is_call = take().kind == Tok::kw_call;
        h.span = cur().span;
        h.name = ident("a handler name");
        h.params = params();
        if (accept(Tok::colon_colon)) h.reply = type();
        expect(Tok::kw_do);
        Opened open_block(*this);
        if (at(Tok::bar) && !cur().newline_before) {
          take();
          h.state_name = ident("the state's name");
          if (!at(Tok::bar)) fail_here("expected `|` to close the state binder, found " + found());
          take();
        }
        h.body = block();
        expect(Tok::kw_end);
        s->handlers.push_back(std::move(h));
      } else {
        fail_here("expected `fn`, `call` or `cast` in a service, found " + found());
      }
      skip_seps();
    }
    expect(Tok::kw_end);
    return s;
  }

  std::shared_ptr<SupervisorDef> supervisor_def() {
    auto s = std::make_shared<SupervisorDef>();
    take();
    s->span = cur().span;
    s->name = ident("a supervisor name");
    expect(Tok::kw_do);
    Opened open_block(*this);
    skip_seps();
    while (!at(Tok::kw_end) && !at(Tok::eof)) {
      const Span key_span = cur().span;
      const std::string key = at(Tok::ident) ? cur().text : "";
      if (key == "child") {
        take();
        ChildDef c;
        c.span = cur().span;
        c.id = ident("a child name");
        expect(Tok::kw_do);
        Opened open_block(*this);
        skip_seps();
        while (!at(Tok::kw_end) && !at(Tok::eof)) {
          const Span ks = cur().span;
          const std::string k = at(Tok::ident) ? cur().text : "";
          if (k != "start" && k != "restart" && k != "shutdown") {
            fail_here("unexpected key " + found() + " in a child", "a child has `start`, `restart` and `shutdown`");
          }
          take();
          expect(Tok::colon);
          if (k == "start") {
            c.start_span = cur().span;
            c.start = expr();
          } else if (k == "restart") {
            c.restart_span = cur().span;
            c.restart = at(Tok::ident) ? take().text : (take(), std::string("?"));
          } else {
            c.shutdown_span = cur().span;
            if (at(Tok::int_lit)) {
              c.shutdown_ms = take().int_value;
              c.shutdown_text = std::to_string(c.shutdown_ms);
              c.shutdown_ok = c.shutdown_ms > 0;
            } else if (at(Tok::minus) && ahead().kind == Tok::int_lit) {
              take();
              c.shutdown_text = "-" + take().text;
              c.shutdown_ok = false;
            } else if (at(Tok::ident)) {
              c.shutdown_text = take().text;
              c.brutal_kill = c.shutdown_text == "brutal_kill";
              c.shutdown_ok = c.brutal_kill;
            } else {
              c.shutdown_text = cur().text;
              take();
              c.shutdown_ok = false;
            }
          }
          (void)ks;
          skip_seps();
        }
        expect(Tok::kw_end);
        s->children.push_back(std::move(c));
      } else if (key == "strategy") {
        take();
        expect(Tok::colon);
        s->strategy_span = cur().span;
        s->strategy = ident("a strategy");
      } else if (key == "max_restarts" || key == "max_seconds") {
        take();
        expect(Tok::colon);
        if (!at(Tok::int_lit)) fail_here("unexpected value for `" + key + "`: expected an integer");
        (key == "max_restarts" ? s->max_restarts : s->max_seconds) = take().int_value;
      } else {
        fail_at(key_span, "unexpected key " + found() + " in a supervisor",
                "a supervisor has `strategy`, `max_restarts`, `max_seconds` and `child`");
      }
      skip_seps();
    }
    expect(Tok::kw_end);
    return s;
  }

  std::shared_ptr<ImportDef> import_def() {
    auto d = std::make_shared<ImportDef>();
    d->span = take().span;
    module_path(*d);
    return d;
  }
  std::shared_ptr<ImportDef> from_import() {
    auto d = std::make_shared<ImportDef>();
    d->from = true;
    d->span = take().span;
    module_path(*d);
    expect(Tok::kw_import);
    if (at(Tok::star)) fail_here("`from M import *` is not allowed", "list the names you need");
    if (at(Tok::lbrace)) fail_here("the names after `import` are not in braces", "write `from M import a, b`");
    do {
      const Span sp = cur().span;
      d->names.emplace_back(ident("a name to import"), sp);
    } while (accept(Tok::comma));
    return d;
  }

  void module_path(ImportDef& d) {
    d.path_span = cur().span;
    d.path.push_back(ident("a module name"));
    while (accept(Tok::dot)) {
      const Token& last = cur();
      d.path.push_back(ident("a module name"));
      d.path_span.length = last.span.offset + last.span.length - d.path_span.offset;
    }
  }

  // ---- blocks and statements ----
  Block block() {
    Block b;
    skip_seps();
    while (!at(Tok::kw_end) && !at(Tok::kw_else) && !at(Tok::eof) && !at(Tok::kw_after) && !at(Tok::rparen) &&
           !at(Tok::bar)) {
      b.push_back(statement());
      skip_seps();
    }
    return b;
  }

  StmtP statement() {
    check_block_closes();  // a new item in column 1 where a statement should be
    auto s = std::make_shared<Stmt>();
    s->span = cur().span;
    if (at(Tok::kw_let)) {
      take();
      s->kind = SK::let;
      if (at(Tok::ident) && ahead().kind == Tok::colon_colon) {
        // `let x :: T = ...`: a name and its type, not a cons pattern
        s->pat = std::make_shared<Pat>();
        s->pat->span = cur().span;
        s->pat->name = take().text;
        s->pat->kind = s->pat->name == "_" ? PK::wild : PK::var;
      } else if (at(Tok::lparen)) {
        // `let (a, b) :: T = ...`: the `::` after a parenthesised pattern is its type
        // (snow.md#let), not a cons; `let` allows no cons pattern anyway.
        s->pat = prim_pattern();
      } else {
        s->pat = pattern();
      }
      if (s->pat->kind != PK::var && s->pat->kind != PK::wild && s->pat->kind != PK::tuple) {
        fail_at(s->pat->span, "a `let` binds a name or a tuple pattern", "match other patterns with `case`");
      }
      if (accept(Tok::colon_colon)) s->type = type();
      expect(Tok::assign, "`=`");
      s->expr = expr();
      return s;
    }
    if (at(Tok::kw_return)) {
      take();
      s->kind = SK::ret;
      if (!at(Tok::newline) && !at(Tok::semicolon) && !at(Tok::kw_end) && !at(Tok::eof) && !cur().newline_before) {
        s->expr = expr();
      }
      return s;
    }
    if ((at(Tok::kw_fn) || at(Tok::kw_def)) && ahead().kind == Tok::ident) {
      s->kind = SK::fn;
      s->fn = fn_def();
      return s;
    }
    s->kind = SK::expr;
    s->expr = expr();
    return s;
  }

  // ---- expressions ----
  ExprP node(EK k, Span sp) {
    auto e = std::make_shared<Expr>();
    e->kind = k;
    e->span = sp;
    return e;
  }

  static int precedence(Tok k) {
    switch (k) {
      case Tok::pipe_gt: return 1;
      case Tok::kw_or: case Tok::or_or: return 2;
      case Tok::kw_and: case Tok::and_and: return 3;
      case Tok::eq_eq: case Tok::bang_eq: return 4;
      case Tok::lt: case Tok::gt: case Tok::le: case Tok::ge: return 5;
      case Tok::dot_dot: return 6;
      case Tok::concat: case Tok::plus_plus: return 7;
      case Tok::plus: case Tok::minus: return 8;
      case Tok::star: case Tok::slash: case Tok::percent: return 9;
      default: return 0;
    }
  }
  static std::string op_name(Tok k) {
    switch (k) {
      case Tok::kw_or: case Tok::or_or: return "or";
      case Tok::kw_and: case Tok::and_and: return "and";
      default: {
        std::string s = tok_name(k);
        return s.substr(1, s.size() - 2);
      }
    }
  }

  ExprP expr(int min_prec = 1) {
    ExprP lhs = unary();
    for (;;) {
      const int p = precedence(cur().kind);
      if (p == 0 || p < min_prec) return lhs;
      // Outside brackets a newline token ends the expression before we get here; inside,
      // only `-` at the start of a line continues it (snow.md#newlines rule 3), like any operator.
      const Token op = take();
      if (op.kind == Tok::pipe_gt) skip_newlines();
      ExprP rhs = expr(p + 1);
      if (op.kind == Tok::pipe_gt) {
        lhs = pipe(lhs, rhs, op.span);
        continue;
      }
      auto b = node(EK::binary, op.span);
      b->name = op_name(op.kind);
      b->kids = {lhs, rhs};
      lhs = b;
    }
  }

  ExprP pipe(ExprP lhs, ExprP rhs, Span sp) {
    if (rhs->kind == EK::call) {
      rhs->kids.insert(rhs->kids.begin() + 1, lhs);
      return rhs;
    }
    if (rhs->kind == EK::ident || rhs->kind == EK::field || rhs->kind == EK::closure) {
      auto c = node(EK::call, rhs->span);
      c->kids = {rhs, lhs};
      return c;
    }
    fail_at(sp, "the right side of `|>` must be a function, a call or a closure");
  }

  ExprP unary() {
    const Nesting nesting(*this);
    if (at(Tok::minus) || at(Tok::kw_not) || at(Tok::bang)) {
      const Token op = take();
      auto u = node(EK::unary, op.span);
      u->name = op.kind == Tok::minus ? "-" : "not";
      u->kids = {unary()};
      return u;
    }
    return postfix(primary());
  }

  /// `Geo.Vector` from the expression the parser read for it (see is_type_path).
  static std::string type_path(const Expr& e) {
    return e.kind == EK::field ? type_path(*e.kids[0]) + "." + e.name : e.name;
  }
  static bool is_type_path(const ExprP& e) {
    if (e->kind == EK::ident) return is_upper(e->name);
    if (e->kind == EK::field) return is_upper(e->name) && is_type_path(e->kids[0]);
    return false;
  }

  ExprP postfix(ExprP e) {
    for (;;) {
      if (at(Tok::lparen) && !cur().newline_before) {
        const Span sp = take().span;
        auto c = node(EK::call, e->span);
        c->kids.push_back(e);
        args(c->kids, Tok::rparen);
        expect(Tok::rparen, "`)` to close the call");
        (void)sp;
        e = c;
      } else if (at(Tok::dot)) {
        take();
        const Span sp = cur().span;
        std::string member;
        switch (cur().kind) {
          case Tok::ident: case Tok::kw_self: case Tok::kw_monitor: case Tok::kw_spawn: case Tok::kw_link:
            member = take().text;
            break;
          case Tok::int_lit:
            fail_here("tuple elements are read by destructuring or Tuple.nth, not `.N`");
          default:
            fail_here("expected a field or method name after `.`, found " + found());
        }
        auto f = node(EK::field, sp);
        f->name = member;
        f->kids = {e};
        e = f;
      } else if (at(Tok::lbracket) && !cur().newline_before) {
        const Span sp = take().span;
        auto ix = node(EK::index, sp);
        ix->kids = {e, expr()};
        expect(Tok::rbracket);
        e = ix;
      } else if (at(Tok::question) && !cur().newline_before) {
        auto q = node(EK::try_, take().span);
        q->kids = {e};
        e = q;
      } else if (at(Tok::lbrace) && !cur().newline_before && is_type_path(e)) {
        take();
        auto s = node(EK::struct_lit, e->span);
        s->name = e->name;
        if (e->kind == EK::field) s->qualifier = type_path(*e->kids[0]);
        while (!at(Tok::rbrace)) {
          s->field_spans.push_back(cur().span);
          const std::string f = ident("a field name");
          expect(Tok::colon, "`:` after the field name");
          s->fields.emplace_back(f, expr());
          if (!accept(Tok::comma) && !at(Tok::rbrace) && !cur().newline_before) {
            fail_here("expected `,` or `}` in the struct literal, found " + found());
          }
        }
        expect(Tok::rbrace);
        e = s;
      } else {
        return e;
      }
    }
  }

  void args(std::vector<ExprP>& out, Tok close) {
    while (!at(close)) {
      out.push_back(expr());
      if (!accept(Tok::comma)) break;
    }
  }

  ExprP primary() {
    const Token& t = cur();
    const Span sp = t.span;
    switch (t.kind) {
      case Tok::int_lit: {
        auto e = node(EK::int_lit, sp);
        e->int_value = take().int_value;
        return e;
      }
      case Tok::float_lit: {
        auto e = node(EK::float_lit, sp);
        e->float_value = take().float_value;
        return e;
      }
      case Tok::string_lit: return string_expr(take());
      case Tok::kw_true:
      case Tok::kw_false: {
        auto e = node(EK::bool_lit, sp);
        e->bool_value = take().kind == Tok::kw_true;
        return e;
      }
      case Tok::kw_nil: take(); return node(EK::unit, sp);
      case Tok::ident: {
        auto e = node(EK::ident, sp);
        e->name = take().text;
        return e;
      }
      case Tok::lparen: {
        take();
        if (accept(Tok::rparen)) return node(EK::unit, sp);
        ExprP first = expr();
        if (accept(Tok::rparen)) return first;
        auto tup = node(EK::tuple, sp);
        tup->kids.push_back(first);
        while (accept(Tok::comma)) {
          if (at(Tok::rparen)) break;
          tup->kids.push_back(expr());
        }
        expect(Tok::rparen, "`)` or `,`");
        return tup;
      }
      case Tok::lbracket: {
        take();
        auto l = node(EK::list, sp);
        args(l->kids, Tok::rbracket);
        expect(Tok::rbracket, "`]` or `,`");
        return l;
      }
      case Tok::percent_brace: {
        take();
        auto m = node(EK::map, sp);
        while (!at(Tok::rbrace)) {
          m->kids.push_back(expr());
          expect(Tok::fat_arrow, "`=>` between key and value");
          m->kids.push_back(expr());
          if (!accept(Tok::comma)) break;
        }
        expect(Tok::rbrace, "`}` or `,`");
        return m;
      }
      case Tok::kw_if: return if_expr();
      case Tok::kw_case:
      case Tok::kw_match: return case_expr();
      case Tok::kw_receive: return receive_expr();
      case Tok::kw_fn: return closure();
      case Tok::kw_def: fail_here("`def` defines a named function; closures start with `fn`");
      case Tok::kw_while: {
        take();
        auto w = node(EK::while_, sp);
        w->cond = expr();
        expect(Tok::kw_do, "`do` after the loop condition");
        Opened open_block(*this);
        w->body = block();
        expect(Tok::kw_end, "`end` to close the loop");
        return w;
      }
      case Tok::kw_for: return for_expr();
      case Tok::kw_break: take(); return node(EK::break_, sp);
      case Tok::kw_continue: take(); return node(EK::continue_, sp);
      case Tok::kw_spawn: {
        take();
        if (!at(Tok::lparen) || cur().newline_before) fail_here("expected `(` after `spawn`, found " + found());
        take();
        auto e = node(EK::spawn, sp);
        args(e->kids, Tok::rparen);
        expect(Tok::rparen);
        if (e->kids.empty()) fail_at(sp, "`spawn` needs an actor or supervisor to start");
        return e;
      }
      case Tok::kw_send: {
        take();
        if (!at(Tok::lparen) || cur().newline_before) fail_here("expected `(` after `send`, found " + found());
        take();
        auto e = node(EK::send, sp);
        args(e->kids, Tok::rparen);
        expect(Tok::rparen);
        if (e->kids.size() != 2) {
          d_.error("E0003", sp, "wrong number of arguments to `send`: expected 2, found " + std::to_string(e->kids.size()));
        }
        return e;
      }
      case Tok::kw_link: {
        take();
        if (!at(Tok::lparen) || cur().newline_before) fail_here("expected `(` after `link`, found " + found());
        take();
        auto e = node(EK::link, sp);
        args(e->kids, Tok::rparen);
        expect(Tok::rparen);
        if (e->kids.size() != 1) {
          d_.error("E0003", sp, "wrong number of arguments to `link`: expected 1, found " + std::to_string(e->kids.size()));
        }
        return e;
      }
      case Tok::kw_self: {
        take();
        if (!at(Tok::lparen) || cur().newline_before) {
          // `self` the parameter of an interface method (the process is `self()`).
          auto e = node(EK::ident, sp);
          e->name = "self";
          return e;
        }
        take();
        expect(Tok::rparen, "`)`: `self()` takes no arguments");
        return node(EK::self_pid, sp);
      }
      case Tok::kw_monitor:
        fail_here("`monitor` is only a member name: write `Process.monitor(pid)`");
      default:
        fail_here("expected an expression, found " + found());
    }
  }

  ExprP string_expr(const Token& t) {
    auto e = node(EK::str, t.span);
    for (const auto& part : t.parts) {
      StrPiece p;
      p.is_expr = part.is_expr;
      if (part.is_expr) {
        auto toks = lex(part.text, d_, part.span);
        Parser sub(std::move(toks), src_, d_, depth_);
        try {
          p.expr = sub.lone_expression();
        } catch (const ParseError&) {
          p.expr = node(EK::unit, part.span);
        }
      } else {
        p.text = part.text;
      }
      e->pieces.push_back(std::move(p));
    }
    return e;
  }

  ExprP if_expr() {
    const Span sp = take().span;
    auto e = node(EK::if_, sp);
    e->cond = expr();
    expect(Tok::kw_do, "`do` after the condition");
    Opened open_block(*this);
    e->then_block = block();
    if (accept(Tok::kw_else)) {
      e->has_else = true;
      if (at(Tok::kw_if) && !cur().newline_before) {
        auto s = std::make_shared<Stmt>();
        s->kind = SK::expr;
        s->span = cur().span;
        s->expr = if_expr();  // `else if` shares the final `end`
        e->else_block.push_back(s);
        return e;
      }
      e->else_block = block();
    }
    expect(Tok::kw_end, "`end` to close the `if`");
    return e;
  }

  Arm arm() {
    check_block_closes();  // a new item in column 1 where an arm should be
    Arm a;
    a.span = cur().span;
    a.pat = pattern();
    if (accept(Tok::kw_when)) a.guard = expr();
    expect(Tok::arrow, "`->` after the pattern");
    if (at(Tok::newline) || cur().newline_before) {
      fail_here("an arm body must start on the same line as `->`",
                "several statements go in a helper function (snow.md#case)");
    }
    if (at(Tok::kw_return)) fail_here("`return` cannot be an arm body");
    a.body = expr();
    return a;
  }

  ExprP case_expr() {
    const Span sp = take().span;
    auto e = node(EK::case_, sp);
    e->cond = expr();
    expect(Tok::kw_do, "`do` after the matched expression");
    Opened open_block(*this);
    skip_seps();
    while (!at(Tok::kw_end) && !at(Tok::eof)) {
      e->arms.push_back(arm());
      skip_seps();
    }
    expect(Tok::kw_end, "`end` to close the `case`");
    return e;
  }

  ExprP receive_expr() {
    const Span sp = take().span;
    auto e = node(EK::receive, sp);
    expect(Tok::kw_do, "`do` after `receive`");
    Opened open_block(*this);
    skip_seps();
    while (!at(Tok::kw_end) && !at(Tok::eof)) {
      if (at(Tok::kw_after)) {
        take();
        e->after_ms = expr();
        expect(Tok::arrow, "`->` after the timeout");
        e->after_body = expr();
        skip_seps();
        if (!at(Tok::kw_end)) fail_here("the `after` clause must be the last one in a `receive`");
        break;
      }
      e->arms.push_back(arm());
      skip_seps();
    }
    expect(Tok::kw_end, "`end` to close the `receive`");
    return e;
  }

  ExprP for_expr() {
    const Span sp = take().span;
    auto e = node(EK::for_, sp);
    if (accept(Tok::lbrace)) {
      e->key_span = cur().span;
      e->key_var = ident("the key's name");
      expect(Tok::comma);
      e->value_span = cur().span;
      e->value_var = ident("the value's name");
      expect(Tok::rbrace);
    } else {
      auto p = std::make_shared<Pat>();
      p->span = cur().span;
      p->name = ident("the loop variable");
      p->kind = p->name == "_" ? PK::wild : PK::var;
      e->loop_var = p;
    }
    expect(Tok::kw_in, "`in`");
    e->iter = expr();
    if (accept(Tok::kw_when)) e->cond = expr();
    expect(Tok::kw_do, "`do` to start the loop body");
    Opened open_block(*this);
    e->body = block();
    expect(Tok::kw_end, "`end` to close the loop");
    return e;
  }

  ExprP closure() {
    const Span sp = take().span;
    Opened open_block(*this);
    auto e = node(EK::closure, sp);
    if (at(Tok::arrow) || at(Tok::kw_do)) {
      // `fn -> block end` and `fn do block end`: no parameters, a whole block.
      e->arrow_block = at(Tok::arrow);
      take();
      Clause c;
      c.span = sp;
      c.body = block();
      expect(Tok::kw_end, "`end` to close the closure");
      e->clauses.push_back(std::move(c));
      return e;
    }
    for (;;) {
      Clause c;
      c.span = cur().span;
      if (at(Tok::lparen)) {
        // `fn(a, b) -> ...` is a parameter list (snow.md#grammar cl_params); a tuple parameter is
        // written inside it: `fn((a, b)) -> ...`.
        take();
        c.params = cparams(Tok::rparen);
        expect(Tok::rparen);
      } else {
        do {
          c.params.push_back(cparam());
        } while (accept(Tok::comma));
      }
      if (accept(Tok::kw_when)) c.guard = expr();
      if (accept(Tok::arrow)) {
        auto s = std::make_shared<Stmt>();
        s->kind = SK::expr;
        s->span = cur().span;
        if (at(Tok::newline)) {
          // A parameterised arrow body is one expression on the `->` line (snow.md#closures).
          fail_here("a closure body after `->` must start on the same line");
        }
        s->expr = expr();
        c.body.push_back(s);
      } else if (accept(Tok::kw_do)) {
        c.body = block();
        if (at(Tok::kw_end) && (ahead().kind == Tok::bar)) take();  // this clause's own end
      } else {
        fail_here("expected `->` or `do` after the closure's parameters, found " + found());
      }
      e->clauses.push_back(std::move(c));
      skip_newlines();
      if (accept(Tok::bar)) continue;
      break;
    }
    expect(Tok::kw_end, "`end` to close the closure");
    return e;
  }

  // ---- patterns ----
  PatP pnode(PK k, Span sp) {
    auto p = std::make_shared<Pat>();
    p->kind = k;
    p->span = sp;
    return p;
  }

  PatP pattern() {
    PatP p = cons_pattern();
    if (at_ident("as")) {
      take();
      auto a = pnode(PK::as, p->span);
      a->name = ident("a name after `as`");
      a->kids = {p};
      return a;
    }
    return p;
  }
  PatP cons_pattern() {
    PatP head = alt_pattern();
    if (accept(Tok::colon_colon)) {
      auto c = pnode(PK::cons, head->span);
      c->kids = {head, cons_pattern()};
      return c;
    }
    return head;
  }
  PatP alt_pattern() {
    PatP first = prim_pattern();
    if (!at(Tok::bar)) return first;
    auto a = pnode(PK::alt, first->span);
    a->kids.push_back(first);
    while (at(Tok::bar)) {
      take();
      a->kids.push_back(prim_pattern());
    }
    return a;
  }
  PatP prim_pattern() {
    const Nesting nesting(*this);
    const Span sp = cur().span;
    switch (cur().kind) {
      case Tok::int_lit: {
        auto p = pnode(PK::int_lit, sp);
        p->int_value = take().int_value;
        return p;
      }
      case Tok::float_lit: {
        auto p = pnode(PK::float_lit, sp);
        p->float_value = take().float_value;
        return p;
      }
      case Tok::minus: {
        take();
        if (at(Tok::int_lit)) {
          auto p = pnode(PK::int_lit, sp);
          p->int_value = static_cast<std::int64_t>(0 - static_cast<std::uint64_t>(take().int_value));
          return p;
        }
        if (at(Tok::float_lit)) {
          auto p = pnode(PK::float_lit, sp);
          p->float_value = -take().float_value;
          return p;
        }
        fail_here("expected a number after `-` in a pattern");
      }
      case Tok::string_lit: {
        const Token t = take();
        auto p = pnode(PK::str_lit, sp);
        for (const auto& part : t.parts) {
          if (part.is_expr) fail_at(sp, "interpolation is not allowed in a string pattern");
          p->str_value += part.text;
        }
        return p;
      }
      case Tok::kw_true:
      case Tok::kw_false: {
        auto p = pnode(PK::bool_lit, sp);
        p->bool_value = take().kind == Tok::kw_true;
        return p;
      }
      case Tok::kw_nil: take(); return pnode(PK::unit, sp);
      case Tok::lparen: {
        take();
        if (accept(Tok::rparen)) return pnode(PK::unit, sp);
        PatP first = pattern();
        if (accept(Tok::rparen)) return first;
        auto t = pnode(PK::tuple, sp);
        t->kids.push_back(first);
        while (accept(Tok::comma)) {
          if (at(Tok::rparen)) break;
          t->kids.push_back(pattern());
        }
        expect(Tok::rparen, "`)` to close the tuple pattern");
        return t;
      }
      case Tok::ident: {
        std::string name = take().text;
        if (name == "_") return pnode(PK::wild, sp);
        std::string qualifier;
        if (at(Tok::dot) && ahead().kind == Tok::ident) {
          take();
          qualifier = name;
          name = take().text;
        }
        if (at(Tok::lparen) && !cur().newline_before) {
          take();
          auto p = pnode(PK::ctor, sp);
          p->name = name;
          p->qualifier = qualifier;
          p->has_args = true;
          while (!at(Tok::rparen)) {
            p->kids.push_back(pattern());
            if (!accept(Tok::comma)) break;
          }
          expect(Tok::rparen, "`)` to close the constructor pattern");
          return p;
        }
        if (!qualifier.empty() || is_upper(name)) {
          // Resolved later: a nullary variant, or (lower-case only) a variable.
          auto p = pnode(PK::ctor, sp);
          p->name = name;
          p->qualifier = qualifier;
          return p;
        }
        auto p = pnode(PK::var, sp);
        p->name = name;
        return p;
      }
      case Tok::lbracket:
        fail_here("there are no list patterns", "match `head :: tail`, then `_` for the empty list");
      default:
        fail_here("expected a pattern, found " + found());
    }
  }

  std::vector<Token> t_;
  std::size_t i_ = 0;
  const std::string& src_;
  Diagnostics& d_;
  int depth_ = 0;  // Nesting levels open now
};

}  // namespace

Program parse(const std::string& source, const std::string& file, Diagnostics& diags, int file_index) {
  Parser p(lex(source, diags, Span{1, 1, 0, 0, file_index}), source, diags);
  return p.program(file);
}

std::string snake_case(const std::string& name) {
  std::string out;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (std::isupper(c)) {
      if (i > 0) out += '_';
      out += static_cast<char>(std::tolower(c));
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace snowc
