// Waiting without a lock: spin, then yield, then sleep on a shared futex.
//
// Used by snapshot readers (agents, and the C++ tests' agents) to wait for
// SnapshotControl.futex_word to move. The Fund itself never waits on an agent.
#pragma once

#include <sched.h>

#include <atomic>
#include <cstdint>
#include <ctime>

#include "fundos/concurrent/futex.hpp"

namespace fundos::concurrent {

/// A hint to the core that this thread spins (x86 `pause`, arm `yield`); no memory effect.
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
    asm volatile("yield" ::: "memory");
#else
    std::atomic_signal_fence(std::memory_order_seq_cst);
#endif
}

/// How a waiter waits: `spins` busy polls, then `yields` sched_yield()s, then futex_wait.
/// {UINT32_MAX, 0, false} is a pure busy poll; {0, 0, true} sleeps at once.
struct BackoffPolicy {
    std::uint32_t spins = 2000;
    std::uint32_t yields = 50;
    bool use_futex = true;
};

/// One waiter's progress through its policy. reset() after every successful wait.
class Backoff {
public:
    explicit Backoff(BackoffPolicy policy = {}) noexcept : policy_(policy) {}

    void reset() noexcept { step_ = 0; }

    /// One step of waiting for `*word` to differ from `seen`. The caller re-checks its own
    /// condition after every call. `futex_timeout` bounds a futex sleep (nullptr: forever).
    /// Returns 0, or -EINTR / -ETIMEDOUT from the futex sleep.
    int wait(const std::uint32_t* word, std::uint32_t seen, const struct timespec* futex_timeout) noexcept {
        if (step_ < policy_.spins) {
            ++step_;
            cpu_relax();
            return 0;
        }
        if (step_ - policy_.spins < policy_.yields) {
            ++step_;
            ::sched_yield();
            return 0;
        }
        if (!policy_.use_futex) {
            cpu_relax();
            return 0;
        }
        return futex_wait_shared(word, seen, futex_timeout);
    }

private:
    BackoffPolicy policy_;
    std::uint64_t step_ = 0;
};

}  // namespace fundos::concurrent
