// dsl/modules.cc: loading the modules of a program (see modules.hpp).
#include "modules.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "parser.hpp"
#include "resolve.hpp"
#include "stdlib.hpp"

namespace fs = std::filesystem;

namespace snowc {

namespace {

/// `math_ops` -> `MathOps`, `c_d` -> `CD`.
std::string pascal_case(const std::string& snake) {
  std::string out;
  bool upper = true;
  for (char c : snake) {
    if (c == '_') {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return out;
}

std::string joined(const std::vector<std::string>& path) {
  std::string out;
  for (const auto& seg : path) out += (out.empty() ? "" : ".") + seg;
  return out;
}

class Loader {
 public:
  Loader(fs::path entry, Diagnostics& d) : entry_(std::move(entry)), root_(entry_.parent_path()), d_(d) {}

  /// Every module `entry` imports, transitively, dependencies first, then the entry.
  std::vector<Module> load(Module entry) {
    stack_.push_back("");
    load_imports(entry);
    stack_.pop_back();
    done_.push_back(std::move(entry));
    return std::move(done_);
  }
  bool cyclic() const { return cyclic_; }

 private:
  void load_imports(Module& m) {
    auto& items = m.program.items;
    for (auto it = items.begin(); it != items.end();) {
      if (it->kind != Item::import || load_import(*it->import_def)) {
        ++it;
      } else {
        it = items.erase(it);  // reported: later passes need not see it
      }
    }
  }

  /// Loads the module `im` names, unless it is loaded already or standard. False when the
  /// import is an error (reported here).
  bool load_import(const ImportDef& im) {
    const std::string name = joined(im.path);
    if (std::any_of(done_.begin(), done_.end(), [&](const Module& m) { return m.name == name; })) return true;
    if (auto on_stack = std::find(stack_.begin(), stack_.end(), name); on_stack != stack_.end()) {
      std::string cycle;  // the entry module is never on it: no module can import it
      for (auto s = on_stack; s != stack_.end(); ++s) cycle += *s + " -> ";
      d_.error("E0040", im.path_span, "circular import: " + cycle + name,
               "modules cannot import each other; move what both need into a third module");
      cyclic_ = true;
      return false;
    }
    const int errors_before = d_.error_count();
    const fs::path file = find_file(im);
    if (d_.error_count() > errors_before) return false;
    if (file.empty()) {
      if (im.path.size() == 1 && is_std_module(name)) return true;
      std::string wanted;
      for (const auto& seg : im.path) wanted += (wanted.empty() ? "" : "/") + snake_case(seg);
      d_.error("E0031", im.path_span, "module `" + name + "` not found",
               "looked for " + wanted + ".snow in the directory of " + d_.file(0));
      return false;
    }
    Module m;
    m.name = name;
    m.shown = fs::relative(file, root_).generic_string();
    std::string source;
    if (!read_source(file.string(), source)) {
      d_.error("E0031", im.path_span, "module `" + name + "` cannot be read from " + m.shown);
      return false;
    }
    m.file = d_.add_file(m.shown, source);
    m.program = parse(source, m.shown, d_, m.file);
    stack_.push_back(name);
    load_imports(m);
    stack_.pop_back();
    done_.push_back(std::move(m));
    return true;
  }

  /// The file of module `path` under the root, or "" when there is none (or it is
  /// ambiguous, reported): each segment names the directory entry whose PascalCase name
  /// it is (snow.md#modules), the last one a `.snow` file.
  fs::path find_file(const ImportDef& im) {
    fs::path dir = root_;
    for (std::size_t i = 0; i < im.path.size(); ++i) {
      const bool last = i + 1 == im.path.size();
      std::vector<fs::path> found;
      std::error_code ec;
      for (auto e = fs::directory_iterator(dir, ec); !ec && e != fs::directory_iterator(); e.increment(ec)) {
        const fs::path& p = e->path();
        std::error_code kind_ec;  // an entry that cannot be examined is not a module
        // The entry module has no name (snow.md#modules): `import Main` does not find main.snow.
        const bool is_file = last && p.extension() == ".snow" && e->is_regular_file(kind_ec) && p != entry_;
        const bool is_dir = !last && e->is_directory(kind_ec);
        if ((is_file || is_dir) && pascal_case(is_file ? p.stem().string() : p.filename().string()) == im.path[i]) {
          found.push_back(p);
        }
      }
      if (found.empty()) return {};
      if (found.size() > 1) {  // `vec_2d.snow` and `vec2d.snow` are both `Vec2d`
        std::sort(found.begin(), found.end());
        d_.error("E0031", im.path_span, "module `" + joined(im.path) + "` is ambiguous: " +
                                            fs::relative(found[0], root_).generic_string() + " and " +
                                            fs::relative(found[1], root_).generic_string() + " both have that name",
                 "rename one of them");
        return {};
      }
      dir = found.front();
    }
    return dir;
  }

  fs::path entry_;  // absolute
  fs::path root_;
  Diagnostics& d_;
  std::vector<Module> done_;
  std::vector<std::string> stack_;  // the modules being loaded, importer before imported
  bool cyclic_ = false;
};

}  // namespace

bool read_source(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

LoadedProgram load_program(const std::string& entry_path, const std::string& entry_source, Diagnostics& diags) {
  Module entry;
  entry.shown = diags.file(0);
  entry.program = parse(entry_source, entry.shown, diags, 0);
  Loader loader(fs::absolute(fs::path(entry_path)).lexically_normal(), diags);
  std::vector<Module> modules = loader.load(std::move(entry));
  LoadedProgram out;
  out.checkable = !loader.cyclic();
  if (modules.size() == 1) {  // a single-file program
    out.program = std::move(modules.front().program);
    resolve_names(out.program, diags);
    return out;
  }
  out.program = link_modules(modules, diags);
  return out;
}

Program link_modules(std::vector<Module>& modules, Diagnostics& diags) {
  resolve_names(modules, diags);
  Program joined = std::move(modules.back().program);
  joined.files.clear();
  for (int i = 0; i < diags.file_count(); ++i) joined.files.push_back(diags.file(i));
  std::vector<Item> items;
  for (auto& m : modules) {
    auto& from = &m == &modules.back() ? joined.items : m.program.items;
    for (auto& it : from) items.push_back(std::move(it));
    joined.lost_names.insert(m.program.lost_names.begin(), m.program.lost_names.end());
  }
  joined.items = std::move(items);
  return joined;
}

}  // namespace snowc
