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

/// A place in a source file: 1-based line and column, byte offset and length, and which
/// file of the program (an index into Diagnostics' files; 0 is the entry module).
struct Span {
  int line = 0;
  int col = 0;
  int offset = 0;
  int length = 1;
  int file = 0;
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
  /// `file` (as diagnostics name it) is file 0, the entry module.
  Diagnostics(std::string file, const std::string& source);
  /// Registers another source file of the program (a module); returns its index, for
  /// the spans of its tokens.
  int add_file(std::string file, const std::string& source);

  void error(const std::string& code, Span span, std::string message, std::string hint = "");
  void warning(const std::string& code, Span span, std::string message, std::string hint = "");

  int error_count() const { return errors_; }
  bool has_errors() const { return errors_ > 0; }
  const std::vector<Diagnostic>& all() const { return list_; }
  /// The name of file `index` as diagnostics and #line show it.
  const std::string& file(int index = 0) const { return files_[static_cast<std::size_t>(index)].name; }
  int file_count() const { return static_cast<int>(files_.size()); }

  /// All diagnostics, sorted by file (in the order they were added) and position, in the
  /// format above.
  std::string render() const;

 private:
  struct File {
    std::string name;
    std::vector<std::string> lines;
  };
  std::vector<File> files_;
  std::vector<Diagnostic> list_;
  int errors_ = 0;
};

}  // namespace snowc
