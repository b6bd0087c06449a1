// dsl/parse_internal.hpp: the parser's shared state, for the files that parse the parts
// of the grammar (not part of snowc's interface: parser.hpp is).
//
// One recursive-descent Parser reads a token list; its member functions are defined in
// the file of the grammar they read:
//   parser.cc             tokens, items and statements, recovery, unclosed blocks
//   parse_declarations.cc fn, struct, type, interface, impl, actor, service,
//                         supervisor and import declarations; type annotations
//   parse_expressions.cc  expressions by precedence, postfix forms, if/case/receive/for,
//                         closures, string interpolation
//   parse_patterns.cc     patterns
#pragma once

#include "parser.hpp"

#include <cctype>
#include <functional>

#include "lexer.hpp"

namespace snowc::parsing {

struct ParseError {};

inline bool is_upper(const std::string& s) { return !s.empty() && std::isupper(static_cast<unsigned char>(s[0])); }

class Parser {
 public:
  /// `depth`: the nesting of the expression this parser's tokens sit in (an
  /// interpolation's parser continues its enclosing parser's count).
  Parser(std::vector<Token> toks, const std::string& source, Diagnostics& d, int depth = 0)
      : t_(std::move(toks)), src_(source), d_(d), depth_(depth) {}

  Program program(const std::string& file);
  ExprP lone_expression();

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
  Token take();
  bool accept(Tok k);
  [[noreturn]] void fail_here(const std::string& msg, const std::string& hint = "");
  [[noreturn]] void fail_at(Span sp, const std::string& msg, const std::string& hint = "");
  Token expect(Tok k, const std::string& what = "");
  std::string found() const;
  std::string ident(const std::string& what = "a name") { return expect(Tok::ident, what).text; }
  void skip_newlines();
  void skip_seps();
  bool item_start() const;
  bool at_top_level_item() const { return cur().newline_before && cur().span.col == 1 && item_start(); }
  void recover(std::size_t item_begin);
  void collect_lost_names(std::size_t from, std::size_t to, std::set<std::string>& out) const;

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
  int line_indent(Span sp) const;
  void check_block_closes();
  void item(Program& p);
  void end_of_statement();
  void group_functions(Program& p);
  std::vector<std::string> generics();
  TypeRef type();
  void type_inner();
  FnDefP fn_def();
  std::vector<PatP> cparams(Tok close);
  PatP cparam();
  std::optional<std::vector<std::pair<std::string, Span>>> deriving();
  std::shared_ptr<StructDef> struct_def();
  void type_def(Program& p, Item& it);
  std::shared_ptr<InterfaceDef> interface_def();
  std::string path();
  std::shared_ptr<ImplDef> impl_def();
  std::vector<PatP> params();
  std::shared_ptr<ActorDef> actor_def();
  std::shared_ptr<ServiceDef> service_def();
  std::shared_ptr<SupervisorDef> supervisor_def();
  std::shared_ptr<ImportDef> import_def();
  std::shared_ptr<ImportDef> from_import();
  void module_path(ImportDef& d);
  Block block();
  StmtP statement();
  ExprP node(EK k, Span sp);
  static int precedence(Tok k);
  static std::string op_name(Tok k);
  ExprP expr(int min_prec = 1);
  ExprP pipe(ExprP lhs, ExprP rhs, Span sp);
  ExprP unary();
  static std::string type_path(const Expr& e);
  static bool is_type_path(const ExprP& e);
  ExprP postfix(ExprP e);
  void args(std::vector<ExprP>& out, Tok close);
  ExprP primary();
  ExprP string_expr(const Token& t);
  ExprP if_expr();
  Arm arm();
  ExprP case_expr();
  ExprP receive_expr();
  ExprP for_expr();
  ExprP closure();
  PatP pnode(PK k, Span sp);
  PatP pattern();
  PatP cons_pattern();
  PatP alt_pattern();
  PatP prim_pattern();
  std::vector<Token> t_;
  std::size_t i_ = 0;
  const std::string& src_;
  Diagnostics& d_;
  int depth_ = 0;  // Nesting levels open now
};

}  // namespace snowc::parsing
