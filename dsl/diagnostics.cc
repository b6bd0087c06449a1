// dsl/diagnostics.cc: collecting and rendering diagnostics (see diagnostics.hpp).
#include "diagnostics.hpp"

#include <algorithm>

namespace snowc {

Diagnostics::Diagnostics(std::string file, const std::string& source) { add_file(std::move(file), source); }

int Diagnostics::add_file(std::string file, const std::string& source) {
  std::vector<std::string> lines;
  std::string cur;
  for (std::size_t i = 0; i < source.size(); ++i) {
    const char c = source[i];
    if (c == '\n' || c == '\r') {
      lines.push_back(cur);
      cur.clear();
      if (c == '\r' && i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      cur += c;
    }
  }
  lines.push_back(cur);
  files_.push_back({std::move(file), std::move(lines)});
  return static_cast<int>(files_.size()) - 1;
}

void Diagnostics::error(const std::string& code, Span span, std::string message, std::string hint) {
  // One report per place and message is enough (recovery can revisit a spot).
  for (const auto& d : list_) {
    if (d.span.file == span.file && d.span.offset == span.offset && d.message == message) return;
  }
  list_.push_back({Severity::error, code, span, std::move(message), std::move(hint)});
  ++errors_;
}

void Diagnostics::warning(const std::string& code, Span span, std::string message, std::string hint) {
  list_.push_back({Severity::warning, code, span, std::move(message), std::move(hint)});
}

std::string Diagnostics::render() const {
  std::vector<Diagnostic> sorted = list_;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Diagnostic& a, const Diagnostic& b) {
    if (a.span.file != b.span.file) return a.span.file < b.span.file;
    return a.span.line != b.span.line ? a.span.line < b.span.line : a.span.col < b.span.col;
  });
  std::string out;
  for (const auto& d : sorted) {
    const std::size_t file = d.span.file >= 0 && d.span.file < file_count() ? static_cast<std::size_t>(d.span.file) : 0;
    const std::vector<std::string>& lines = files_[file].lines;
    out += files_[file].name + ":" + std::to_string(d.span.line) + ":" + std::to_string(d.span.col) + ": ";
    out += d.severity == Severity::error ? "error" : "warning";
    if (!d.code.empty()) out += "[" + d.code + "]";
    out += ": " + d.message + "\n";
    if (d.span.line >= 1 && d.span.line <= static_cast<int>(lines.size())) {
      const std::string& text = lines[static_cast<std::size_t>(d.span.line - 1)];
      const std::string num = std::to_string(d.span.line);
      const std::string pad(num.size(), ' ');
      out += " " + num + " | " + text + "\n";
      std::string marker;
      for (int i = 1; i < d.span.col && i <= static_cast<int>(text.size()); ++i) {
        marker += text[static_cast<std::size_t>(i - 1)] == '\t' ? '\t' : ' ';
      }
      const int room = std::max(1, static_cast<int>(text.size()) - d.span.col + 1);
      marker += std::string(static_cast<std::size_t>(std::clamp(d.span.length, 1, room)), '^');
      out += " " + pad + " | " + marker + "\n";
    }
    if (!d.hint.empty()) out += " " + std::string(std::to_string(d.span.line).size(), ' ') + " = hint: " + d.hint + "\n";
  }
  return out;
}

}  // namespace snowc
