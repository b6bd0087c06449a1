// When a Snow program is over (src/lang/program.cpp, settled): never while a process that
// has ended is still telling its links, nor while the process it woke waits to run. The
// lifetime counts say "quiescent" in that window (the ending process is uncounted when its
// frame goes, the woken one is counted blocked until its receive wakes); the runtime's
// scheduler does not.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <utility>

#include "snow/lang/lang.hpp"

namespace sl = snow::lang;

namespace {

// Holds its worker thread for a while when it is destroyed, as a thread the kernel
// deschedules there does. Copies transfer it, as ActorToken's do (the runtime copies a
// body's arguments once).
struct SlowExit {
  std::atomic<bool>* holding;
  mutable bool armed = true;
  explicit SlowExit(std::atomic<bool>* h) : holding(h) {}
  SlowExit(const SlowExit& o) : holding(o.holding), armed(std::exchange(o.armed, false)) {}
  SlowExit& operator=(const SlowExit&) = delete;
  ~SlowExit() {
    if (!armed) return;
    holding->store(true);
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    holding->store(false);
  }
};

// The worker's token, held back: members are destroyed in reverse order, so when the
// process's frame goes the token uncounts the process first and the thread is then held,
// before the runtime tells the process's links.
struct HeldToken {
  SlowExit slow;
  sl::ActorToken token;
};

snow::Proc worker(snow::Self self, HeldToken held) {
  held.token.attach(self);
  co_return;
}

// Example 6's guardian: traps exits, spawns a linked worker, waits for its Exit.
snow::Proc guardian(snow::Self self, sl::ActorToken token, std::atomic<bool>* holding, std::atomic<int>* heard) {
  token.attach(self);
  sl::trap_exit(self);
  sl::lifetime.live.fetch_add(1);  // as sl::spawn_link counts a process
  sl::touch();
  snow::SpawnOptions linked = sl::snow_spawn;
  linked.link = true;
  self.spawn_with(linked, &worker, HeldToken{SlowExit(holding), sl::ActorToken(nullptr)});
  co_await sl::receive(self, true, snow::on<snow::Exit>([&](const snow::Exit&) {
                         heard->fetch_add(1);
                         return 0;
                       }));
}

}  // namespace

TEST_CASE("a program is not over while an ended process has yet to tell its links") {
  snow::RuntimeOptions options;
  options.workers = 2;
  snow::Runtime rt(std::move(options));
  std::atomic<bool> holding{false};
  std::atomic<int> heard{0};
  sl::lifetime.live.fetch_add(1);  // as run_program counts main
  rt.spawn_with(sl::snow_spawn, &guardian, sl::ActorToken(nullptr), &holding, &heard);

  // While the worker's thread is held inside its exit, the guardian is blocked in its
  // receive and the worker uncounted: live == blocked, and the epoch stands still.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!holding.load() && std::chrono::steady_clock::now() < give_up) std::this_thread::yield();
  REQUIRE(holding.load());
  int looks = 0, over = 0;
  while (holding.load()) {
    const bool settled = sl::settled(rt);
    if (!holding.load()) break;  // a look that ended after the window says nothing
    ++looks;
    if (settled) ++over;
  }
  CHECK(looks > 0);
  CHECK(over == 0);

  // Once the guardian has taken its Exit and ended, the program is over.
  bool ended = false;
  while (!ended && std::chrono::steady_clock::now() < give_up) ended = sl::settled(rt);
  CHECK(ended);
  CHECK(heard.load() == 1);
  rt.stop();
}
