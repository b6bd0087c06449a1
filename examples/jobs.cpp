// jobs: work handed to short-lived processes and awaited: results in parallel, a job that
// throws (an error for the awaiter, not a crash), a job that takes too long (a timeout),
// and a job awaited from the main thread.
#include <cstdio>
#include <stdexcept>
#include <thread>
#include <vector>

#include "snow/snow.hpp"

namespace {

std::int64_t sum_range(std::int64_t from, std::int64_t to) {
  std::int64_t s = 0;
  for (std::int64_t i = from; i < to; ++i) s += i;
  return s;
}

snow::Proc main_process(snow::Self self, bool* ok) {
  // Four jobs run at once (on as many workers as the runtime has); awaiting them in turn
  // collects the results.
  std::vector<snow::Job<std::int64_t>> parts;
  for (std::int64_t k = 0; k < 4; ++k) {
    parts.push_back(snow::async(self, [k] { return sum_range(k * 250'000, (k + 1) * 250'000); }));
  }
  std::int64_t total = 0;
  for (auto& part : parts) {
    absl::StatusOr<std::int64_t> r = co_await part.await(self, absl::Seconds(5));
    total += r.ok() ? *r : 0;
  }
  std::printf("sum of 0..999999 in four jobs: %lld\n", static_cast<long long>(total));

  // A job that throws: the awaiter gets Aborted with the reason; the caller carries on.
  auto failing = snow::async(self, []() -> int { throw std::runtime_error("bad input"); });
  absl::StatusOr<int> failed = co_await failing.await(self);
  std::printf("a job that throws: %s\n", failed.status().ToString().c_str());

  // A job that takes longer than the awaiter will wait.
  auto slow = snow::async(self, [] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    return 1;
  });
  absl::StatusOr<int> late = co_await slow.await(self, absl::Milliseconds(20));
  std::printf("a job awaited for 20 ms that needs 200 ms: %s\n", late.status().ToString().c_str());

  *ok = total == 499'999'500'000 && absl::IsAborted(failed.status()) && absl::IsDeadlineExceeded(late.status());
}

}  // namespace

int main() {
  snow::Runtime rt;
  bool ok = false;
  rt.spawn(main_process, &ok);
  if (!rt.join(absl::Seconds(10)).ok() || !ok) return 1;

  // From a plain thread: a ScopedActor starts and awaits a job the same way.
  snow::ScopedActor me(rt);
  auto answer = snow::async(me, [] { return 6 * 7; });
  absl::StatusOr<int> v = answer.await(me, absl::Seconds(1));
  std::printf("a job awaited from main(): %d\n", v.ok() ? *v : -1);
  return v.ok() && *v == 42 ? 0 : 1;
}
