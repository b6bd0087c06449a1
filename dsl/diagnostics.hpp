// dsl/diagnostics.hpp: snowc's error reporting.
//
// Every problem snowc finds becomes a Diagnostic with a span into the source; they are
// collected (several per run) and rendered the way the Snow reference asks for:
//
//   main.snow:4:11: error[E0004]: unbound name `totl`
//      4 |   println(totl)
//        |           ^^^^
//     = hint: did you mean `total`?
#pragma once

#include <string>
#include <vector>

namespace snowc {

/// A place in a source file: 1-based line and column, byte offset and length.
struct Span {
  int line = 0;
  int col = 0;
  int offset = 0;
  int length = 1;
};

enum class Severity { error, warning };

struct Diagnostic {
  Severity severity = Severity::error;
  std::string code;  // "E0004", or "syntax"
  Span span;
  std::string message;
  std::string hint;
};

class Diagnostics {
 public:
  Diagnostics(std::string file, const std::string& source);

  void error(const std::string& code, Span span, std::string message, std::string hint = "");
  void warning(const std::string& code, Span span, std::string message, std::string hint = "");

  int error_count() const { return errors_; }
  bool has_errors() const { return errors_ > 0; }
  const std::vector<Diagnostic>& all() const { return list_; }
  const std::string& file() const { return file_; }

  /// All diagnostics, sorted by position, in the format above.
  std::string render() const;

 private:
  std::string file_;
  std::vector<std::string> lines_;
  std::vector<Diagnostic> list_;
  int errors_ = 0;
};

}  // namespace snowc
