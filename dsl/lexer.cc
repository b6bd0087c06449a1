// dsl/lexer.cc: the Snow lexer (see lexer.hpp).
#include "lexer.hpp"

#include <cstring>
#include <unordered_map>

namespace snowc {

namespace {

const std::unordered_map<std::string, Tok>& keywords() {
  static const std::unordered_map<std::string, Tok> k = {
      {"actor", Tok::kw_actor}, {"after", Tok::kw_after}, {"alias", Tok::kw_alias}, {"and", Tok::kw_and},
      {"break", Tok::kw_break}, {"call", Tok::kw_call}, {"case", Tok::kw_case}, {"cast", Tok::kw_cast},
      {"cond", Tok::kw_cond}, {"continue", Tok::kw_continue}, {"def", Tok::kw_def}, {"do", Tok::kw_do},
      {"else", Tok::kw_else}, {"end", Tok::kw_end}, {"false", Tok::kw_false}, {"fn", Tok::kw_fn},
      {"for", Tok::kw_for}, {"if", Tok::kw_if}, {"impl", Tok::kw_impl}, {"import", Tok::kw_import},
      {"in", Tok::kw_in}, {"interface", Tok::kw_interface}, {"let", Tok::kw_let}, {"link", Tok::kw_link},
      {"match", Tok::kw_match}, {"module", Tok::kw_module}, {"monitor", Tok::kw_monitor}, {"nil", Tok::kw_nil},
      {"not", Tok::kw_not}, {"or", Tok::kw_or}, {"pub", Tok::kw_pub}, {"receive", Tok::kw_receive},
      {"return", Tok::kw_return}, {"self", Tok::kw_self}, {"send", Tok::kw_send}, {"service", Tok::kw_service},
      {"spawn", Tok::kw_spawn}, {"struct", Tok::kw_struct}, {"supervisor", Tok::kw_supervisor},
      {"terminate", Tok::kw_terminate}, {"trait", Tok::kw_trait}, {"trap", Tok::kw_trap}, {"true", Tok::kw_true},
      {"type", Tok::kw_type}, {"when", Tok::kw_when}, {"where", Tok::kw_where}, {"while", Tok::kw_while},
      {"with", Tok::kw_with},
  };
  return k;
}

bool ident_start(unsigned char c) { return std::isalpha(c) || c == '_' || c >= 0x80; }
bool ident_char(unsigned char c) { return std::isalnum(c) || c == '_' || c >= 0x80; }

class Lexer {
 public:
  Lexer(const std::string& src, Diagnostics& d, Span base)
      : s_(src), d_(d), line_(base.line), col_(base.col), base_offset_(base.offset), file_(base.file) {}

  std::vector<Token> run() {
    bool nl = false;
    while (true) {
      skip_space_and_comments(nl);
      if (pos_ >= s_.size()) break;
      const char c = s_[pos_];
      if (c == '\n' || c == '\r') {
        Span sp = here(1);
        advance_newline();
        nl = true;
        if (depth_ == 0 && (out_.empty() || out_.back().kind != Tok::newline)) push(Tok::newline, sp, "\\n", false);
        continue;
      }
      Token t = next_token();
      t.newline_before = nl;
      nl = false;
      out_.push_back(std::move(t));
    }
    Token e;
    e.kind = Tok::eof;
    e.span = here(0);
    e.newline_before = true;
    out_.push_back(e);
    return std::move(out_);
  }

 private:
  Span here(int len) const { return Span{line_, col_, base_offset_ + static_cast<int>(pos_), len, file_}; }
  void push(Tok k, Span sp, std::string text, bool nl) {
    Token t;
    t.kind = k;
    t.span = sp;
    t.text = std::move(text);
    t.newline_before = nl;
    out_.push_back(std::move(t));
  }
  void adv(std::size_t n = 1) {
    for (std::size_t i = 0; i < n && pos_ < s_.size(); ++i) {
      // Columns count code points, not bytes.
      if ((static_cast<unsigned char>(s_[pos_]) & 0xC0) != 0x80) ++col_;
      ++pos_;
    }
  }
  void advance_newline() {
    if (s_[pos_] == '\r' && pos_ + 1 < s_.size() && s_[pos_ + 1] == '\n') ++pos_;
    ++pos_;
    ++line_;
    col_ = 1;
  }
  char peek(std::size_t k = 0) const { return pos_ + k < s_.size() ? s_[pos_ + k] : '\0'; }

  void skip_space_and_comments(bool& nl) {
    while (pos_ < s_.size()) {
      const char c = s_[pos_];
      if (c == ' ' || c == '\t') {
        adv();
      } else if (c == '#' && peek(1) == '=') {
        block_comment();
      } else if (c == '#') {
        while (pos_ < s_.size() && s_[pos_] != '\n' && s_[pos_] != '\r') adv();
      } else if (c == '\\' && (peek(1) == '\n' || peek(1) == '\r')) {
        adv();  // not Snow, but harmless: never a token
        advance_newline();
        nl = true;
      } else {
        return;
      }
    }
  }

  void block_comment() {
    const Span start = here(2);
    int nest = 0;
    while (pos_ < s_.size()) {
      if (s_[pos_] == '#' && peek(1) == '=') {
        ++nest;
        adv(2);
      } else if (s_[pos_] == '=' && peek(1) == '#') {
        --nest;
        adv(2);
        if (nest == 0) return;
      } else if (s_[pos_] == '\n' || s_[pos_] == '\r') {
        advance_newline();
      } else {
        adv();
      }
    }
    d_.error("syntax", start, "unterminated block comment", "close it with `=#` (block comments nest)");
  }

  Token make(Tok k, Span sp, std::string text) {
    Token t;
    t.kind = k;
    t.span = sp;
    t.text = std::move(text);
    return t;
  }

  Token next_token() {
    const char c = s_[pos_];
    const Span start = here(1);
    if (std::isdigit(static_cast<unsigned char>(c))) return number();
    if (c == '"') return string_lit();
    if (ident_start(static_cast<unsigned char>(c))) {
      const std::size_t b = pos_;
      while (pos_ < s_.size() && ident_char(static_cast<unsigned char>(s_[pos_]))) adv();
      std::string word = s_.substr(b, pos_ - b);
      Span sp = start;
      sp.length = static_cast<int>(word.size());
      auto it = keywords().find(word);
      return make(it == keywords().end() ? Tok::ident : it->second, sp, word);
    }
    struct Op {
      const char* text;
      Tok kind;
    };
    static const Op ops[] = {
        {"%{", Tok::percent_brace}, {"|>", Tok::pipe_gt}, {"==", Tok::eq_eq}, {"!=", Tok::bang_eq}, {"<=", Tok::le},
        {">=", Tok::ge}, {"&&", Tok::and_and}, {"||", Tok::or_or}, {"<>", Tok::concat}, {"++", Tok::plus_plus},
        {"..", Tok::dot_dot}, {"->", Tok::arrow}, {"=>", Tok::fat_arrow}, {"::", Tok::colon_colon},
        {"+", Tok::plus}, {"-", Tok::minus}, {"*", Tok::star}, {"/", Tok::slash}, {"%", Tok::percent},
        {"<", Tok::lt}, {">", Tok::gt}, {"!", Tok::bang}, {"?", Tok::question}, {"=", Tok::assign},
        {"|", Tok::bar}, {".", Tok::dot}, {":", Tok::colon}, {",", Tok::comma}, {";", Tok::semicolon},
        {"(", Tok::lparen}, {")", Tok::rparen}, {"[", Tok::lbracket}, {"]", Tok::rbracket}, {"{", Tok::lbrace},
        {"}", Tok::rbrace},
    };
    for (const Op& op : ops) {
      const std::size_t n = std::strlen(op.text);
      if (s_.compare(pos_, n, op.text) == 0) {
        Span sp = start;
        sp.length = static_cast<int>(n);
        adv(n);
        switch (op.kind) {
          case Tok::lparen: case Tok::lbracket: case Tok::lbrace: case Tok::percent_brace: ++depth_; break;
          case Tok::rparen: case Tok::rbracket: case Tok::rbrace: if (depth_ > 0) --depth_; break;
          default: break;
        }
        return make(op.kind, sp, op.text);
      }
    }
    adv();
    if (c == '&') {
      d_.error("syntax", start, "unexpected character `&`", "the boolean operators are `and` / `&&`");
    } else {
      d_.error("syntax", start, std::string("unexpected character `") + c + "`");
    }
    return next_token_or_eof();
  }

  Token next_token_or_eof() {
    bool nl = false;
    skip_space_and_comments(nl);
    if (pos_ >= s_.size() || s_[pos_] == '\n' || s_[pos_] == '\r') {
      Token t;
      t.kind = Tok::semicolon;  // a harmless separator in place of the bad character
      t.span = here(0);
      return t;
    }
    return next_token();
  }

  Token number() {
    const Span start = here(1);
    const std::size_t b = pos_;
    int base = 10;
    if (s_[pos_] == '0' && (peek(1) == 'x' || peek(1) == 'X')) base = 16;
    if (s_[pos_] == '0' && (peek(1) == 'b' || peek(1) == 'B')) base = 2;
    if (s_[pos_] == '0' && (peek(1) == 'o' || peek(1) == 'O')) base = 8;
    if (base != 10) {
      adv(2);
      std::uint64_t v = 0;
      bool any = false, overflow = false;
      while (pos_ < s_.size()) {
        const char c = s_[pos_];
        int digit;
        if (c == '_') { adv(); continue; }
        if (std::isdigit(static_cast<unsigned char>(c))) digit = c - '0';
        else if (base == 16 && std::isxdigit(static_cast<unsigned char>(c))) digit = std::tolower(c) - 'a' + 10;
        else break;
        if (digit >= base) break;
        if (v > (UINT64_MAX - static_cast<std::uint64_t>(digit)) / static_cast<std::uint64_t>(base)) overflow = true;
        v = v * static_cast<std::uint64_t>(base) + static_cast<std::uint64_t>(digit);
        any = true;
        adv();
      }
      Span sp = start;
      sp.length = static_cast<int>(pos_ - b);
      if (!any) d_.error("syntax", sp, "integer literal has no digits");
      if (overflow) d_.error("syntax", sp, "integer literal does not fit in 64 bits");
      Token t = make(Tok::int_lit, sp, s_.substr(b, pos_ - b));
      t.int_value = static_cast<std::int64_t>(v);
      return t;
    }
    std::string digits;
    auto take_digits = [&] {
      while (pos_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[pos_])) ||
                                  (s_[pos_] == '_' && std::isdigit(static_cast<unsigned char>(peek(1)))))) {
        if (s_[pos_] != '_') digits += s_[pos_];
        adv();
      }
    };
    take_digits();
    bool is_float = false;
    if (peek() == '.' && std::isdigit(static_cast<unsigned char>(peek(1)))) {
      is_float = true;
      digits += '.';
      adv();
      take_digits();
    }
    if ((peek() == 'e' || peek() == 'E') &&
        (std::isdigit(static_cast<unsigned char>(peek(1))) ||
         ((peek(1) == '-' || peek(1) == '+') && std::isdigit(static_cast<unsigned char>(peek(2)))))) {
      is_float = true;
      digits += 'e';
      adv();
      if (peek() == '-' || peek() == '+') {
        digits += peek();
        adv();
      }
      take_digits();
    }
    Span sp = start;
    sp.length = static_cast<int>(pos_ - b);
    Token t = make(is_float ? Tok::float_lit : Tok::int_lit, sp, s_.substr(b, pos_ - b));
    if (is_float) {
      t.float_value = std::strtod(digits.c_str(), nullptr);
    } else {
      // Up to 2^63 is accepted so that -9223372036854775808 can be written.
      std::uint64_t v = 0;
      bool overflow = false;
      for (char c : digits) {
        const auto dg = static_cast<std::uint64_t>(c - '0');
        if (v > (UINT64_MAX - dg) / 10) overflow = true;
        v = v * 10 + dg;
      }
      if (overflow || v > (std::uint64_t{1} << 63)) d_.error("syntax", sp, "integer literal does not fit in 64 bits");
      t.int_value = static_cast<std::int64_t>(v);
    }
    return t;
  }

  /// Where the interpolation whose expression starts at `i` (just after `${`) ends: the
  /// index of its closing `}`, or the end of the source. Braces nest, and a string literal
  /// inside is skipped whole, with its own interpolations, to any depth (snow.md#literals), so a `}`
  /// or `"` inside a nested literal never ends the outer one.
  std::size_t interpolation_end(std::size_t i) const {
    int nest = 0;
    while (i < s_.size()) {
      const char e = s_[i];
      if (e == '}') {
        if (nest == 0) return i;
        --nest;
      } else if (e == '{') {
        ++nest;
      } else if (e == '"') {
        i = string_end(i);
        continue;
      }
      ++i;
    }
    return i;
  }
  /// The index just after the string literal (plain or triple-quoted) that starts at `i`.
  std::size_t string_end(std::size_t i) const {
    const bool triple = s_.compare(i, 3, "\"\"\"") == 0;
    i += triple ? 3 : 1;
    while (i < s_.size()) {
      if (triple ? s_.compare(i, 3, "\"\"\"") == 0 : s_[i] == '"') return i + (triple ? 3 : 1);
      if (s_[i] == '\\') {
        i += 2;
      } else if (s_[i] == '$' && i + 1 < s_.size() && s_[i + 1] == '{') {
        i = interpolation_end(i + 2);
        if (i < s_.size()) ++i;
      } else {
        ++i;
      }
    }
    return i;
  }

  Token string_lit() {
    const Span start = here(1);
    const std::size_t b = pos_;
    const bool triple = s_.compare(pos_, 3, "\"\"\"") == 0;
    adv(triple ? 3 : 1);
    Token t;
    t.kind = Tok::string_lit;
    std::string text;
    auto flush_text = [&] {
      if (!text.empty() || t.parts.empty()) {
        StringPart p;
        p.text = std::move(text);
        t.parts.push_back(std::move(p));
        text.clear();
      }
    };
    bool closed = false;
    while (pos_ < s_.size()) {
      const char c = s_[pos_];
      if (triple ? s_.compare(pos_, 3, "\"\"\"") == 0 : c == '"') {
        adv(triple ? 3 : 1);
        closed = true;
        break;
      }
      if (c == '\\') {
        const Span esc = here(2);
        const char n = peek(1);
        switch (n) {
          case 'n': text += '\n'; break;
          case 't': text += '\t'; break;
          case 'r': text += '\r'; break;
          case '\\': text += '\\'; break;
          case '"': text += '"'; break;
          case '$': text += '$'; break;
          case '0': text += '\0'; break;
          default:
            d_.error("syntax", esc, std::string("unknown escape sequence `\\") + n + "` in a string literal",
                     "the escapes are \\n \\t \\r \\\\ \\\" \\$ and \\0");
        }
        adv(2);
        continue;
      }
      if (c == '$' && peek(1) == '{') {
        if (!text.empty()) flush_text();
        adv(2);
        StringPart p;
        p.is_expr = true;
        p.span = here(1);
        const std::size_t eb = pos_;
        const std::size_t ee = interpolation_end(eb);
        while (pos_ < ee) {
          if (s_[pos_] == '\n' || s_[pos_] == '\r') advance_newline();
          else adv();
        }
        p.text = s_.substr(eb, pos_ - eb);
        if (pos_ >= s_.size()) {
          d_.error("syntax", p.span, "unterminated interpolation `${`", "close it with `}`");
        } else {
          adv();  // }
        }
        t.parts.push_back(std::move(p));
        continue;
      }
      if (c == '\n' || c == '\r') {
        text += '\n';
        advance_newline();
        continue;
      }
      text += c;
      adv();
    }
    if (!closed) d_.error("syntax", start, "unterminated string literal", "close it with `\"`");
    if (!text.empty() || t.parts.empty()) flush_text();
    t.span = start;
    t.span.length = start.line == line_ ? static_cast<int>(pos_ - b) : 1;
    t.text = "string";
    return t;
  }

  const std::string& s_;
  Diagnostics& d_;
  std::size_t pos_ = 0;
  int line_, col_;
  int base_offset_;
  int file_;  // Span::file of every token
  int depth_ = 0;
  std::vector<Token> out_;
};

}  // namespace

const char* tok_name(Tok t) {
  switch (t) {
    case Tok::eof: return "end of file";
    case Tok::newline: return "newline";
    case Tok::semicolon: return "`;`";
    case Tok::int_lit: return "integer";
    case Tok::float_lit: return "float";
    case Tok::string_lit: return "string";
    case Tok::ident: return "identifier";
    default: break;
  }
  static const char* const spell[] = {
      "actor", "after", "alias", "and", "break", "call", "case", "cast", "cond", "continue", "def", "do", "else",
      "end", "false", "fn", "for", "if", "impl", "import", "in", "interface", "let", "link", "match", "module",
      "monitor", "nil", "not", "or", "pub", "receive", "return", "self", "send", "service", "spawn", "struct",
      "supervisor", "terminate", "trait", "trap", "true", "type", "when", "where", "while", "with",
      "+", "-", "*", "/", "%", "==", "!=", "<", ">", "<=", ">=", "&&", "||", "!", "<>", "++", "|>", "..", "?", "=",
      "->", "=>", "::", "|", ".", ":", "%{", ",", "(", ")", "[", "]", "{", "}"};
  static thread_local std::string buf;
  buf = std::string("`") + spell[static_cast<int>(t) - static_cast<int>(Tok::kw_actor)] + "`";
  return buf.c_str();
}

std::vector<Token> lex(const std::string& source, Diagnostics& diags, Span base) {
  return Lexer(source, diags, base).run();
}

}  // namespace snowc
