#include "src/transport/doorbell.hpp"

#include <doctest/doctest.h>
#include <uv.h>

#include <atomic>
#include <thread>
#include <vector>

using snow::transport::Doorbell;

TEST_CASE("doorbell: rings from many threads are never lost, and batches fold") {
  constexpr int kThreads = 4;
  constexpr int kItemsEach = 20'000;
  constexpr int kTotal = kThreads * kItemsEach;
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  Doorbell bell;
  std::atomic<int> queued{0};  // "work" other threads hand over before ringing
  int handled = 0;             // what the loop has taken, read only on the loop thread
  int answers = 0;
  bool watchdog_fired = false;
  uv_timer_t watchdog;
  uv_timer_init(&loop, &watchdog);
  watchdog.data = &watchdog_fired;
  REQUIRE(bell.open(&loop, [&] {
                ++answers;
                handled = queued.load();  // takes everything handed over so far
                if (handled == kTotal) {
                  bell.close();
                  uv_close(reinterpret_cast<uv_handle_t*>(&watchdog), nullptr);
                }
              }).ok());
  // If a ring were lost the loop would wait for ever: the watchdog ends the test instead.
  uv_timer_start(
      &watchdog,
      [](uv_timer_t* t) {
        *static_cast<bool*>(t->data) = true;
        uv_stop(t->loop);
      },
      10'000, 0);

  std::vector<std::thread> ringers;
  for (int t = 0; t < kThreads; ++t) {
    ringers.emplace_back([&] {
      for (int i = 0; i < kItemsEach; ++i) {
        queued.fetch_add(1);
        bell.ring();
      }
    });
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  for (std::thread& t : ringers) t.join();
  CHECK_FALSE(watchdog_fired);
  CHECK(handled == kTotal);
  CHECK(answers >= 1);
  CHECK(answers < kTotal);  // rings that found the bell rung cost nothing and were folded
  MESSAGE(answers << " answers for " << kTotal << " rings");
  if (watchdog_fired) {
    bell.close();
    uv_close(reinterpret_cast<uv_handle_t*>(&watchdog), nullptr);
  }
  uv_run(&loop, UV_RUN_DEFAULT);  // finishes the closes
  CHECK(uv_loop_close(&loop) == 0);
}
