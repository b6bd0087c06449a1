// The log's records (snow/log.hpp): what a sink receives, the default line, the level
// threshold, and read_environment (snow/environment.hpp).
#include "snow/log.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

#include "snow/actor.hpp"
#include "snow/environment.hpp"
#include "snow/runtime.hpp"
#include "snow/supervisor.hpp"
#include "support/runtime_fixture.hpp"
#include "support/scoped_env.hpp"

using namespace snow;
using snow::testing::CapturedRecord;
using snow::testing::LogCapture;

namespace {

struct Go {};

Proc crashes_on_go(Self self) {
  co_await self.receive(on<Go>([] {}));
  throw std::runtime_error("bad");
}

const CapturedRecord* find_kind(LogCapture& log, std::string_view kind) {
  for (const CapturedRecord& r : log.records) {
    if (r.kind == kind) return &r;
  }
  return nullptr;
}

/// What the code in between writes to stderr (fd 2), through a temporary file.
class StderrCapture {
 public:
  StderrCapture() : file_(std::tmpfile()), saved_(::dup(2)) {
    std::fflush(stderr);
    ::dup2(::fileno(file_), 2);
  }
  ~StderrCapture() { restore(); }
  std::string text() {
    restore();
    std::string out;
    std::rewind(file_);
    for (int c; (c = std::fgetc(file_)) != EOF;) out += static_cast<char>(c);
    return out;
  }

 private:
  void restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    ::dup2(saved_, 2);
    ::close(saved_);
    saved_ = -1;
  }
  std::FILE* file_;
  int saved_;
};

using snow::testing::ScopedEnv;

}  // namespace

TEST_SUITE("log") {
TEST_CASE("a crash's record carries the runtime's time, the level, the process and the kind") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  const Pid p = rt.spawn(crashes_on_go);
  rt.advance(absl::Seconds(3));  // the virtual clock starts at the Unix epoch
  rt.send(p, Go{});
  rt.run_until_idle();
  const CapturedRecord* r = find_kind(log, "process exit");
  REQUIRE(r != nullptr);
  CHECK(r->time == absl::UnixEpoch() + absl::Seconds(3));
  CHECK(r->level == LogLevel::error);
  CHECK(r->pid == p);
  CHECK(r->node.empty());  // not a node
  CHECK(r->text.find("error(bad)") != std::string::npos);
}

TEST_CASE("a supervisor's restart is a record of kind supervisor about the supervisor's process") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  Pid child;
  const Pid sup = spawn_supervisor(rt, SupervisorSpec{.children = {ChildSpec{.id = "w", .start = [&](Self s) {
                                                        child = s.spawn(crashes_on_go);
                                                        return child;
                                                      }}}});
  rt.run_until_idle();
  rt.send(child, Go{});
  rt.run_until_idle();
  const CapturedRecord* r = find_kind(log, "supervisor");
  REQUIRE(r != nullptr);
  CHECK(r->pid == sup);
  CHECK(r->level == LogLevel::warning);
  CHECK(r->text.find("child 'w' exited with error(bad); restarting") != std::string::npos);
  rt.stop();
}

TEST_CASE("Runtime::log: kind app by default, or the one given") {
  LogCapture log;
  Runtime rt(snow::testing::deterministic(log));
  rt.log(LogLevel::info, "hello");
  rt.log(LogLevel::warning, "billing", "card declined");
  REQUIRE(log.records.size() == 2);
  CHECK(log.records[0].kind == "app");
  CHECK(log.records[0].level == LogLevel::info);
  CHECK(log.records[0].pid.is_null());
  CHECK(log.records[1].kind == "billing");
  CHECK(log.records[1].text == "card declined");
}

TEST_CASE("log_level drops the lines below it before the sink") {
  LogCapture log;
  RuntimeOptions o = snow::testing::deterministic(log);
  o.log_level = LogLevel::warning;
  Runtime rt(o);
  rt.log(LogLevel::debug, "d");
  rt.log(LogLevel::info, "i");
  rt.log(LogLevel::warning, "w");
  rt.log(LogLevel::error, "e");
  REQUIRE(log.records.size() == 2);
  CHECK(log.records[0].text == "w");
  CHECK(log.records[1].text == "e");
}

TEST_CASE("a sink of (level, text) still receives every line") {
  std::vector<std::string> got;
  Runtime rt({.deterministic = true, .log_sink = [&](LogLevel level, std::string_view text) {
                got.push_back(std::string(to_string(level)) + " " + std::string(text));
              }});
  rt.log(LogLevel::debug, "x");
  CHECK(got == std::vector<std::string>{"debug x"});
}

TEST_CASE("the default line: ISO-8601 UTC time, the OS process id, level, node, process, kind, text") {
  const LogRecord r{.time = absl::UnixEpoch() + absl::Seconds(86400 + 3661) + absl::Microseconds(250),
                    .level = LogLevel::warning,
                    .node = "a@127.0.0.1:9101",
                    .pid = Pid::make(0, 1, 12),
                    .kind = "node",
                    .text = "lost b"};
  CHECK(format_log_record(r) == "1970-01-02T01:01:01.000250Z snow[" + std::to_string(::getpid()) +
                                    "] warning a@127.0.0.1:9101 <0.12> node: lost b");
  LogRecord no_node = r;
  no_node.node = "";
  no_node.pid = Pid();
  CHECK(format_log_record(no_node) ==
        "1970-01-02T01:01:01.000250Z snow[" + std::to_string(::getpid()) + "] warning - node: lost b");
}

TEST_CASE("the default sink writes warnings and up as the default line; log_level lowers its threshold") {
  StderrCapture err;
  {
    Runtime rt({.deterministic = true});
    rt.log(LogLevel::info, "quiet");
    rt.log(LogLevel::warning, "loud");
  }
  {
    Runtime rt({.deterministic = true, .log_level = LogLevel::debug});
    rt.log(LogLevel::debug, "chatty");
  }
  const std::string text = err.text();
  const std::string pid = std::to_string(::getpid());
  CHECK(text.find("quiet") == std::string::npos);
  CHECK(std::regex_search(text, std::regex("(^|\n)1970-01-01T00:00:00\\.000000Z snow\\[" + pid + "\\] warning - app: loud\n")));
  CHECK(std::regex_search(text, std::regex("(^|\n)1970-01-01T00:00:00\\.000000Z snow\\[" + pid + "\\] debug - app: chatty\n")));
}

TEST_CASE("read_environment takes SNOW_LOG_LEVEL, SNOW_NODE and SNOW_COOKIE and says so, cookie hidden") {
  ScopedEnv env;
  env.set("SNOW_LOG_LEVEL", "Debug");
  env.set("SNOW_NODE", "a@127.0.0.1:9101");
  env.set("SNOW_COOKIE", "a-long-secret-cookie");
  std::vector<std::string> said;
  const EnvironmentSettings s = read_environment([&](std::string_view line) { said.emplace_back(line); });
  CHECK(s.log_level == LogLevel::debug);
  CHECK(s.node == "a@127.0.0.1:9101");
  CHECK(s.cookie == "a-long-secret-cookie");
  REQUIRE(said.size() == 1);
  CHECK(said[0] ==
        "from the environment: SNOW_LOG_LEVEL=debug, SNOW_NODE=a@127.0.0.1:9101, SNOW_COOKIE (20 bytes, not shown)");
  CHECK(said[0].find("secret") == std::string::npos);
  RuntimeOptions ro;
  s.apply(ro);
  CHECK(ro.log_level == LogLevel::debug);
  NodeOptions no;
  s.apply(no);
  CHECK(no.cookie == "a-long-secret-cookie");
}

TEST_CASE("read_environment leaves out what it cannot use and says why; with nothing set it says that") {
  {
    ScopedEnv env;
    env.set("SNOW_LOG_LEVEL", "loud");
    env.set("SNOW_COOKIE", "");
    std::vector<std::string> said;
    const EnvironmentSettings s = read_environment([&](std::string_view line) { said.emplace_back(line); });
    CHECK_FALSE(s.log_level.has_value());
    CHECK_FALSE(s.cookie.has_value());
    REQUIRE(said.size() == 1);
    CHECK(said[0] ==
          "from the environment: SNOW_LOG_LEVEL=loud ignored: not one of debug, info, warning, error, "
          "SNOW_COOKIE ignored: empty");
    RuntimeOptions ro;
    s.apply(ro);
    CHECK_FALSE(ro.log_level.has_value());
  }
  std::vector<std::string> said;
  const EnvironmentSettings s = read_environment([&](std::string_view line) { said.emplace_back(line); });
  CHECK_FALSE(s.node.has_value());
  CHECK(said == std::vector<std::string>{"from the environment: nothing (SNOW_LOG_LEVEL, SNOW_NODE, SNOW_COOKIE, SNOW_SEEDS, "
                                         "SNOW_DISCOVERY, SNOW_DISCOVERY_INTERVAL are not set)"});
  StderrCapture err;
  read_environment();
  CHECK(err.text() ==
        "snow: from the environment: nothing (SNOW_LOG_LEVEL, SNOW_NODE, SNOW_COOKIE, SNOW_SEEDS, SNOW_DISCOVERY, "
        "SNOW_DISCOVERY_INTERVAL are not set)\n");
}
}
