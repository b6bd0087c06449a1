// dsl/main.cc: the snowc command line.
//
//   snowc emit FILE.snow [-o OUT.cc]   print (or write) the generated C++
//   snowc check FILE.snow              diagnostics only
//   snowc build FILE.snow -o OUT       a native executable
//   snowc run FILE.snow [args...]      build (cached) and run; exits with the program's status
//   --debug (before FILE.snow; for build and emit also after it; check ignores it): a
//   debug build, whose debug information is at .snow lines (gdb: `break prog.snow:12`)
//
// Exit status: 0 ok, 1 diagnostics (or a failed build), 2 usage. `run` exits with the
// program's own status.
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "driver.hpp"
#include "snowc_config.hpp"

namespace {

const char* const kUsage =
    "usage: snowc <command> FILE.snow [options]\n"
    "\n"
    "commands:\n"
    "  emit FILE.snow [-o OUT.cc]   write the generated C++ (to stdout without -o)\n"
    "  check FILE.snow              report diagnostics, build nothing\n"
    "  build FILE.snow -o OUT       compile to a native executable\n"
    "  run FILE.snow [ARGS...]      build (cached) and run it with ARGS\n"
    "  config                       print the compiler, headers, libraries and flags used\n"
    "  build|run|emit --debug FILE.snow ...\n"
    "                               a debug build: -g -O0, debug information at .snow\n"
    "                               lines, callers' frames kept for a backtrace (those\n"
    "                               since the process last waited; gdb: break\n"
    "                               prog.snow:12, bt); SNOWC_OPT is ignored\n"
    "\n"
    "FILE.snow is the entry module; the modules it imports are read from its directory\n"
    "(`import Geo.Vector` is geo/vector.snow). A directory stands for its main.snow.\n"
    "\n"
    "options:\n"
    "  -h, --help                   this text\n"
    "  --version                    the snowc version\n"
    "\n"
    "environment: SNOWC_CACHE_DIR (default $XDG_CACHE_HOME/snowc or ~/.cache/snowc),\n"
    "SNOWC_CXX (the C++ compiler), SNOWC_OPT (the optimisation flag of builds without\n"
    "--debug, default -O1; -g there adds debug information, but only --debug makes it\n"
    "exact: lines of calls, callers' frames), SNOWC_PREFIX (the installed package to use;\n"
    "default: found from snowc's own place).\n"
    "exit status: 0 ok, 1 diagnostics or build failure, 2 usage; `run` returns the program's.\n";

int usage_error(const std::string& msg) {
  std::cerr << "snowc: " << msg << "\n\n" << kUsage;
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return usage_error("missing command");
  if (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    std::cout << kUsage;
    return 0;
  }
  if (args[0] == "--version") {
    std::cout << "snowc " << SNOWC_VERSION << "\n";
    return 0;
  }
  const std::string cmd = args[0];
  if (cmd == "config") {
    const snowc::Toolchain tc = snowc::find_toolchain(false);
    std::cout << "compiler: " << tc.cxx << "\nheaders: " << tc.header_dirs.front() << "\nlibsnow: " << tc.libsnow
              << "\nlibsnow_lang: " << tc.libsnow_lang << "\ncompile flags:";
    for (const auto& f : tc.compile_flags) std::cout << ' ' << f;
    std::cout << "\nlink flags:";
    for (const auto& f : tc.link_flags) std::cout << ' ' << f;
    std::cout << "\n";
    return 0;
  }
  if (cmd != "emit" && cmd != "check" && cmd != "build" && cmd != "run") return usage_error("unknown command `" + cmd + "`");
  bool debug = false;
  if (args.size() > 1 && args[1] == "--debug") {  // check accepts it and ignores it
    debug = true;
    args.erase(args.begin() + 1);
  }
  if (args.size() < 2) return usage_error("missing FILE.snow");
  const std::string file = args[1];
  std::string out;
  std::vector<std::string> program_args;
  for (std::size_t i = 2; i < args.size(); ++i) {
    if (cmd == "run") {
      program_args.push_back(args[i]);  // after FILE.snow, everything is the program's
    } else if (args[i] == "--debug") {
      debug = true;
    } else if (args[i] == "-o" && i + 1 < args.size()) {
      out = args[++i];
    } else {
      return usage_error("unexpected argument `" + args[i] + "`");
    }
  }
  if (cmd == "build" && out.empty()) return usage_error("`build` needs -o OUT");

  const snowc::Translation t = snowc::translate(file, debug);
  std::cerr << t.diagnostics;
  if (!t.ok) return 1;
  if (cmd == "check") return 0;
  if (cmd == "emit") {
    if (out.empty()) {
      std::cout << t.cpp;
    } else {
      std::ofstream o(out, std::ios::binary);
      o << t.cpp;
      if (!o) {
        std::cerr << "snowc: cannot write " << out << "\n";
        return 1;
      }
    }
    return 0;
  }
  const std::string exe = snowc::build_cached(t.cpp, snowc::find_toolchain(debug));
  if (exe.empty()) return 1;
  if (cmd == "build") {
    std::error_code ec;
    std::filesystem::copy_file(exe, out, std::filesystem::copy_options::overwrite_existing, ec);
    if (ec) {
      std::cerr << "snowc: cannot write " << out << ": " << ec.message() << "\n";
      return 1;
    }
    return 0;
  }
  std::vector<char*> argvv;
  argvv.push_back(const_cast<char*>(exe.c_str()));
  for (auto& a : program_args) argvv.push_back(a.data());
  argvv.push_back(nullptr);
  std::fflush(nullptr);
  execv(exe.c_str(), argvv.data());
  std::perror("snowc: cannot run the program");
  return 1;
}
