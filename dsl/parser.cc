// dsl/parser.cc: the Snow parser (see parser.hpp): token access, the items of a file,
// blocks and statements, recovery at the next item, and unclosed blocks reported at their
// `do` (parse_internal.hpp lists the other parser files).
#include "parse_internal.hpp"

namespace snowc::parsing {

Program Parser::program(const std::string& file) {
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
ExprP Parser::lone_expression() {
  skip_newlines();
  ExprP e = expr();
  skip_newlines();
  if (!at(Tok::eof)) fail_here("unexpected " + std::string(tok_name(cur().kind)) + " in an interpolation");
  return e;
}

Token Parser::take() {
  Token t = cur();
  if (i_ + 1 < t_.size()) ++i_;
  return t;
}

bool Parser::accept(Tok k) {
  if (!at(k)) return false;
  take();
  return true;
}

[[noreturn]] void Parser::fail_here(const std::string& msg, const std::string& hint) {
  d_.error("syntax", cur().span, msg, hint);
  throw ParseError{};
}

[[noreturn]] void Parser::fail_at(Span sp, const std::string& msg, const std::string& hint) {
  d_.error("syntax", sp, msg, hint);
  throw ParseError{};
}

Token Parser::expect(Tok k, const std::string& what) {
  if (k == Tok::kw_end) check_block_closes();
  if (!at(k)) {
    std::string m = "expected " + (what.empty() ? std::string(tok_name(k)) : what) + ", found " + found();
    fail_here(m);
  }
  return take();
}

std::string Parser::found() const {
  if (at(Tok::ident)) return "`" + cur().text + "`";
  return tok_name(cur().kind);
}

void Parser::skip_newlines() {
  while (at(Tok::newline)) take();
}

void Parser::skip_seps() {
  while (at(Tok::newline) || at(Tok::semicolon)) take();
}

bool Parser::item_start() const {
  switch (cur().kind) {
    case Tok::kw_fn: case Tok::kw_def: case Tok::kw_actor: case Tok::kw_service: case Tok::kw_supervisor:
    case Tok::kw_struct: case Tok::kw_type: case Tok::kw_impl: case Tok::kw_interface: case Tok::kw_import:
    case Tok::kw_pub: return true;
    case Tok::ident: return cur().text == "from";
    default: return false;
  }
}

/// Skips what is left of the item that started at token `item_begin` (a syntax error
/// abandoned it) up to the next item in column 1. The synchronisation point may be where
/// the error was found: an unclosed block is reported at the item that follows it.
void Parser::recover(std::size_t item_begin) {
  while (!at(Tok::eof)) {
    if (i_ > item_begin && at_top_level_item()) return;
    take();
  }
}

/// Adds to `out` the names that the dropped tokens [from, to) would have defined: the name
/// after each defining keyword (also local functions: harmless), a dropped sum type's
/// variants, and every name of a dropped `import` or `from ... import`. The checker then
/// reports no use of them as unbound: the syntax error is the one mistake to fix.
void Parser::collect_lost_names(std::size_t from, std::size_t to, std::set<std::string>& out) const {
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

int Parser::line_indent(Span sp) const {
  if (sp.offset < 0 || static_cast<std::size_t>(sp.offset) > src_.size()) return sp.col;
  std::size_t start = static_cast<std::size_t>(sp.offset);
  while (start > 0 && src_[start - 1] != '\n' && src_[start - 1] != '\r') --start;
  int col = 1;
  while (start < src_.size() && (src_[start] == ' ' || src_[start] == '\t')) ++start, ++col;
  return col;
}

/// Where the innermost open block's `end` is due: reports that block if it cannot be closed here.
void Parser::check_block_closes() {
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
void Parser::item(Program& p) {
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

void Parser::end_of_statement() {
  if (at(Tok::newline) || at(Tok::semicolon) || at(Tok::eof) || at(Tok::kw_end)) return;
  fail_here("expected the end of the statement, found " + found(),
            "an expression cannot continue on the next line outside brackets (snow.md#newlines)");
}

/// Merges consecutive clauses of one function into one FnGroup (snow.md#multi-clause-functions).
void Parser::group_functions(Program& p) {
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

// ---- blocks and statements ----
Block Parser::block() {
  Block b;
  skip_seps();
  while (!at(Tok::kw_end) && !at(Tok::kw_else) && !at(Tok::eof) && !at(Tok::kw_after) && !at(Tok::rparen) &&
         !at(Tok::bar)) {
    b.push_back(statement());
    skip_seps();
  }
  return b;
}

StmtP Parser::statement() {
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

}  // namespace snowc::parsing

namespace snowc {

Program parse(const std::string& source, const std::string& file, Diagnostics& diags, int file_index) {
  parsing::Parser p(lex(source, diags, Span{1, 1, 0, 0, file_index}), source, diags);
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
