// snow/lang/pool.hpp: per-thread free lists for the small blocks Snow code allocates all
// the time: coroutine frames (every Snow call makes one) and the payloads of values
// (strings, lists, variants and structs that do not fit inside a Value). malloc and free were a sixth of the
// pingpong and ring benchmarks' profiles.
//
// A block freed on another thread than the one that allocated it (a message, a process
// that moved between workers) joins the freeing thread's list; in the usual two-way
// traffic each thread then reuses what the other freed. Each list is capped, the excess
// goes back to the heap, and a thread's lists are freed when it ends.
#pragma once

#include <cstddef>
#include <new>

namespace snow::lang {

/// Small blocks from per-thread free lists, one per 64-byte size class.
class SmallPool {
 public:
  static void* allocate(std::size_t n) {
    const std::size_t c = size_class(n);
    if (c >= kClasses) return ::operator new(n);
    Lists& l = lists;
    if (FreeBlock* f = l.head[c]) {
      l.head[c] = f->next;
      --l.count[c];
      return f;
    }
    return ::operator new((c + 1) * kGranule);
  }
  static void release(void* p, std::size_t n) noexcept {
    const std::size_t c = size_class(n);
    Lists& l = lists;
    if (c >= kClasses || l.count[c] >= kMaxPerClass) {
      ::operator delete(p);
      return;
    }
    if (!l.armed) [[unlikely]]
      arm();
    auto* f = static_cast<FreeBlock*>(p);
    f->next = l.head[c];
    l.head[c] = f;
    ++l.count[c];
  }

 private:
  static constexpr std::size_t kGranule = 64, kClasses = 32, kMaxPerClass = 256;
  struct FreeBlock {
    FreeBlock* next;
  };
  // Trivially destructible, so reaching it costs no guard; `Release` frees it at exit.
  struct Lists {
    FreeBlock* head[kClasses];
    unsigned short count[kClasses];
    bool armed;
  };
  struct Release {
    ~Release() {
      for (std::size_t c = 0; c < kClasses; ++c) {
        while (FreeBlock* f = lists.head[c]) {
          lists.head[c] = f->next;
          ::operator delete(f);
        }
        lists.count[c] = kMaxPerClass;  // blocks freed later in the thread's exit go to the heap
      }
    }
  };
  static std::size_t size_class(std::size_t n) { return (n + kGranule - 1) / kGranule - 1; }
  static void arm() {
    thread_local Release release_at_exit;
    (void)release_at_exit;
    lists.armed = true;
  }
  static inline thread_local Lists lists{};
};

}  // namespace snow::lang
