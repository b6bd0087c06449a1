// dsl/driver.cc: translation, toolchain discovery and the build cache (see driver.hpp).
#include "driver.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "checks.hpp"
#include "diagnostics.hpp"
#include "emitter.hpp"
#include "modules.hpp"
#include "snowc_config.hpp"
#include "snowc_dependency_flags.hpp"
#include "typecheck.hpp"

namespace fs = std::filesystem;

namespace snowc {

namespace {

/// Two independent 64-bit FNV-1a hashes: a 128-bit content key for the cache.
struct Hasher {
  std::uint64_t a = 0xcbf29ce484222325ULL, b = 0x84222325cbf29ce4ULL;
  void add(const std::string& s) {
    for (unsigned char c : s) {
      a = (a ^ c) * 0x100000001b3ULL;
      b = (b ^ c) * 0x100000001b3ULL + 0x9e3779b97f4a7c15ULL;
    }
    add_sep();
  }
  void add_sep() {
    a = (a ^ 0xff) * 0x100000001b3ULL;
    b = (b ^ 0xfe) * 0x100000001b3ULL;
  }
  std::string hex() const {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(a), static_cast<unsigned long long>(b));
    return buf;
  }
};

std::string cache_root() {
  if (const char* d = std::getenv("SNOWC_CACHE_DIR"); d && *d) return d;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/snowc";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/snowc";
  return "/tmp/snowc-cache";
}

std::string self_dir() {
  std::error_code ec;
  fs::path p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? "" : p.parent_path().string();
}

std::vector<std::string> split_flags(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

/// Runs argv, returning its exit status; its output goes to ours.
int run(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return 127;
  if (pid == 0) {
    execvp(args[0], args.data());
    std::perror(args[0]);
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

}  // namespace

Translation translate(const std::string& given, bool debug) {
  Translation t;
  std::string source;
  // A program given as its directory is its main.snow (snow.md#modules).
  std::error_code ec;
  const std::string path = fs::is_directory(given, ec) ? (fs::path(given) / "main.snow").string() : given;
  const std::string shown = fs::path(path).filename().string();
  if (!read_source(path, source)) {
    t.diagnostics = "snowc: cannot read " + path + "\n";
    return t;
  }
  Diagnostics diags(shown, source);
  LoadedProgram loaded = load_program(path, source, diags);
  const Program& program = loaded.program;
  if (loaded.checkable) {
    Symbols symbols = check(program, diags);
    // Types only for a program whose names and shapes are sound: nothing is reported twice.
    TypeTable types;
    if (!diags.has_errors()) types = check_types(program, symbols, diags);
    // The C++ embeds every module the program imports, so the build cache (keyed by it)
    // sees any change to any of them.
    if (!diags.has_errors()) {
      EmitOptions options;
      options.debug = debug;
      if (debug) options.source_dir = fs::absolute(path, ec).parent_path().lexically_normal().string();
      t.cpp = emit_cpp(program, symbols, types, diags, options);
    }
  }
  t.ok = !diags.has_errors();
  t.diagnostics = diags.render();
  if (!t.ok) {
    t.diagnostics += std::to_string(diags.error_count()) + (diags.error_count() == 1 ? " error" : " errors") + "\n";
  }
  return t;
}

/// Where an installed snowc's package is: snowc sits in <prefix>/bin (make install,
/// Conan) or <prefix>/tools/snow (vcpkg's place for tools), and finds the headers,
/// libsnow_lang and libsnow from there, so an install keeps working when its tree is moved. SNOWC_PREFIX
/// names the prefix outright. Empty: not installed (snowc runs from its build tree).
static fs::path installed_prefix() {
  std::vector<fs::path> candidates;
  if (const char* p = std::getenv("SNOWC_PREFIX"); p && *p) candidates.emplace_back(p);
  if (const std::string here = self_dir(); !here.empty()) {
    candidates.push_back(fs::path(here) / "..");
    candidates.push_back(fs::path(here) / ".." / "..");
  }
  for (const fs::path& prefix : candidates) {
    const fs::path lib = prefix / SNOWC_REL_LIBDIR;
    if (fs::exists(prefix / SNOWC_REL_INCLUDE / "snow/lang/lang.hpp") &&
        (fs::exists(lib / "libsnow.a") || fs::exists(lib / "libsnow.so")) &&
        (fs::exists(lib / "libsnow_lang.a") || fs::exists(lib / "libsnow_lang.so"))) {
      return fs::weakly_canonical(prefix);
    }
  }
  return {};
}

Toolchain find_toolchain(bool debug) {
  Toolchain tc;
  tc.cxx = std::getenv("SNOWC_CXX") ? std::getenv("SNOWC_CXX") : SNOWC_CXX;
  std::string include_dir = SNOWC_SOURCE_INCLUDE;
  std::string libsnow = SNOWC_BUILD_LIBSNOW;
  std::string libsnow_lang = SNOWC_BUILD_LIBSNOW_LANG;
  if (const fs::path prefix = installed_prefix(); !prefix.empty()) {
    include_dir = (prefix / SNOWC_REL_INCLUDE).string();
    // The static libraries when the package has them (a program then runs anywhere).
    const fs::path lib = prefix / SNOWC_REL_LIBDIR;
    libsnow = (fs::exists(lib / "libsnow.a") ? lib / "libsnow.a" : lib / "libsnow.so").string();
    libsnow_lang = (fs::exists(lib / "libsnow_lang.a") ? lib / "libsnow_lang.a" : lib / "libsnow_lang.so").string();
  }
  tc.libsnow = libsnow;
  tc.libsnow_lang = libsnow_lang;
  tc.header_dirs = {include_dir + "/snow"};
  tc.compile_flags = {"-std=c++20", "-I" + include_dir, "-w"};
  for (const auto& f : split_flags(SNOWC_DEPENDENCY_CFLAGS)) tc.compile_flags.push_back(f);
  if (debug) {
    // Unoptimised, so every variable and line is where the .snow says. No sibling calls
    // either: a coroutine then resumes the one it awaits by an ordinary call, and the
    // awaiting caller's frame stays on the stack for a backtrace to show.
    tc.compile_flags.insert(tc.compile_flags.end(), {"-g", "-O0", "-DSNOW_LANG_DEBUG"});  // snow/lang/co.hpp
  } else {
    const char* opt = std::getenv("SNOWC_OPT");
    tc.compile_flags.push_back(opt && *opt ? opt : "-O1");
    // A coroutine awaiting another resumes it by symmetric transfer, which only keeps the
    // stack flat when it is a tail call; g++ makes sibling calls from -O2 on, so without
    // this a Snow recursion 100,000 deep overflowed a worker's stack at -O1.
    tc.compile_flags.push_back("-foptimize-sibling-calls");
  }
  // libsnow_lang first: it is what the program calls, and it calls libsnow.
  tc.link_flags = {libsnow_lang, libsnow};
  // A shared libsnow (a package built with only the shared libraries) is found at run
  // time where it was linked from.
  if (libsnow.find(".so") != std::string::npos || libsnow_lang.find(".so") != std::string::npos) {
    tc.link_flags.push_back("-Wl,-rpath," + fs::path(libsnow).parent_path().string());
  }
  for (const auto& f : split_flags(SNOWC_DEPENDENCY_LIBS)) tc.link_flags.push_back(f);
  for (const auto& f : split_flags(SNOWC_BORINGSSL_LINK)) tc.link_flags.push_back(f);
  tc.link_flags.push_back("-pthread");
  return tc;
}

namespace {

/// Hashes everything under the header directories (a changed runtime means a rebuild).
void add_headers(Hasher& h, const Toolchain& tc) {
  std::error_code ec;
  for (const auto& dir : tc.header_dirs) {
    std::vector<fs::path> files;
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_regular_file()) files.push_back(it->path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      std::string text;
      read_source(f.string(), text);
      h.add(f.string());
      h.add(text);
    }
  }
}

/// A precompiled snow/lang/lang.hpp for these flags and headers, built once per cache
/// (it halves the compile time of a program). Returns the header to `-include`, or ""
/// when it cannot be built (programs then compile without it).
std::string precompiled_header(const Toolchain& tc, const std::string& header_key) {
  Hasher h;
  h.add(header_key);
  h.add(tc.cxx);
  for (const auto& f : tc.compile_flags) h.add(f);
  const fs::path dir = fs::path(cache_root()) / ("pch-" + h.hex());
  const fs::path header = dir / "snow_pch.hpp";
  const fs::path gch = dir / "snow_pch.hpp.gch";
  if (fs::exists(gch)) return header.string();
  std::error_code ec;
  fs::create_directories(dir, ec);
  // One builder at a time (a test suite builds many programs at once); the others wait.
  const int lock = open((dir / "lock").c_str(), O_CREAT | O_RDWR, 0644);
  if (lock >= 0) flock(lock, LOCK_EX);
  struct Unlock {
    int fd;
    ~Unlock() {
      if (fd >= 0) close(fd);
    }
  } unlock{lock};
  if (fs::exists(gch)) return header.string();
  {
    std::ofstream out(header);
    out << "#include \"snow/lang/lang.hpp\"\n";
  }
  const fs::path tmp = dir / ("snow_pch.hpp.gch." + std::to_string(getpid()));
  std::vector<std::string> argv = {tc.cxx};
  for (const auto& f : tc.compile_flags) argv.push_back(f);
  argv.insert(argv.end(), {"-x", "c++-header", header.string(), "-o", tmp.string()});
  if (run(argv) != 0) {
    fs::remove(tmp, ec);
    return "";
  }
  fs::rename(tmp, gch, ec);
  return header.string();
}

}  // namespace

std::string build_cached(const std::string& cpp, const Toolchain& tc) {
  Hasher headers;
  add_headers(headers, tc);
  Hasher h;
  h.add(SNOWC_VERSION);
  h.add(cpp);
  h.add(tc.cxx);
  for (const auto& f : tc.compile_flags) h.add(f);
  for (const auto& f : tc.link_flags) h.add(f);
  h.add(headers.hex());
  std::error_code ec;
  struct stat st {};
  for (const std::string* lib : {&tc.libsnow_lang, &tc.libsnow}) {
    if (stat(lib->c_str(), &st) == 0) {
      h.add(std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec));
    }
  }
  const fs::path dir = fs::path(cache_root()) / h.hex();
  const fs::path exe = dir / "program";
  if (fs::exists(exe)) return exe.string();

  fs::create_directories(dir, ec);
  if (ec) {
    std::cerr << "snowc: cannot create the cache directory " << dir << ": " << ec.message() << "\n";
    return "";
  }
  const std::string tag = std::to_string(getpid());
  const fs::path src = dir / ("program." + tag + ".cc");
  const fs::path tmp = dir / ("program." + tag + ".tmp");
  {
    std::ofstream out(src, std::ios::binary);
    out << cpp;
  }
  std::vector<std::string> argv = {tc.cxx};
  for (const auto& f : tc.compile_flags) argv.push_back(f);
  if (const std::string pch = precompiled_header(tc, headers.hex()); !pch.empty()) {
    argv.insert(argv.end(), {"-include", pch});
  }
  argv.push_back(src.string());
  argv.push_back("-o");
  argv.push_back(tmp.string());
  for (const auto& f : tc.link_flags) argv.push_back(f);
  if (run(argv) != 0) {
    std::cerr << "snowc: the C++ compiler failed on the generated code (a snowc bug: please report it with the .snow file)\n";
    fs::remove(tmp, ec);
    return "";
  }
  fs::rename(tmp, exe, ec);  // atomic: concurrent builds of one program both succeed
  fs::rename(src, dir / "program.cc", ec);
  return exe.string();
}

}  // namespace snowc
