// overload: a bounded mailbox. A plain send to a full mailbox is dropped and counted;
// try_send says ResourceExhausted; a thread can wait for room with send_wait.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "snow/snow.hpp"

namespace {

struct Work {
  int n = 0;
};
struct Go {};

/// Waits for Go before it takes any Work, so its mailbox fills up first.
snow::Proc slow_consumer(snow::Self self, std::atomic<int>* done) {
  co_await self.receive(snow::on<Go>([] {}));
  for (;;) {
    co_await self.receive(snow::on<Work>([&](Work) { done->fetch_add(1); }));
  }
}

}  // namespace

int main() {
  snow::Runtime rt;
  snow::ScopedActor me(rt);
  std::atomic<int> done{0};
  const snow::Pid consumer = rt.spawn_with({.mailbox_capacity = 4}, slow_consumer, &done);

  for (int i = 0; i < 4; ++i) me.send(consumer, Work{i});  // fills the mailbox
  me.send(consumer, Work{4});                              // full: dropped, counted
  std::printf("a plain send to the full mailbox was dropped: %llu dropped so far\n",
              static_cast<unsigned long long>(rt.mailbox_stats(consumer)->dropped));
  const absl::Status refused = rt.try_send(consumer, Work{5});
  std::printf("try_send to the full mailbox: %s\n", refused.ToString().c_str());

  // send_wait blocks this thread until there is room (or the timeout). Go cannot get in
  // either while the mailbox is full, so make room by draining from another thread.
  const absl::Status timed_out = rt.send_wait(consumer, Go{}, absl::Milliseconds(50));
  std::printf("send_wait with no room for 50 ms: %s\n", timed_out.ToString().c_str());
  rt.exit(consumer, snow::ExitReason::kill());

  // A fresh consumer that is already taking work: send_wait gets every message in.
  const snow::Pid steady = rt.spawn_with({.mailbox_capacity = 4}, slow_consumer, &done);
  rt.send(steady, Go{});
  int accepted = 0;
  for (int i = 0; i < 100; ++i) accepted += rt.send_wait(steady, Work{i}, absl::Seconds(5)).ok() ? 1 : 0;
  for (int i = 0; i < 500 && done.load() < 100; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::printf("send_wait into a bounded mailbox of 4: %d of 100 accepted, %d handled\n", accepted, done.load());
  rt.exit(steady, snow::ExitReason::kill());
  return absl::IsResourceExhausted(refused) && absl::IsDeadlineExceeded(timed_out) && accepted == 100 &&
                 done.load() == 100
             ? 0
             : 1;
}
