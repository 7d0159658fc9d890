// SpscQueue: a bounded single-producer single-consumer queue of trivially copyable values, in the
// manner of rigtorp's SPSCQueue. One thread pushes, one thread pops; nothing else touches it.
//
// Memory ordering: the producer writes the slot, then publishes it with a release store of
// `tail_`; the consumer's acquire load of `tail_` makes the slot's bytes visible before it reads
// them. Symmetrically the consumer frees a slot with a release store of `head_` that the
// producer acquires before overwriting it. Each side keeps a cached copy of the other side's
// index so that, while the queue is neither full nor empty, it touches only its own cache line.
//
// Capacity is a power of two; indices grow without bound (64 bits) and are masked.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>

#include "fundos/concurrent/cache_line.hpp"

namespace fundos::concurrent {

template <typename T>
class SpscQueue {
    static_assert(std::is_trivially_copyable_v<T>, "SpscQueue holds trivially copyable values");

public:
    /// `capacity` is rounded up to a power of two (at least 2).
    explicit SpscQueue(std::size_t capacity) {
        std::size_t n = 2;
        while (n < capacity) {
            n <<= 1;
        }
        mask_ = n - 1;
        slots_ = std::make_unique<T[]>(n);
    }
    SpscQueue(const SpscQueue&) = delete;
    SpscQueue& operator=(const SpscQueue&) = delete;

    [[nodiscard]] std::size_t capacity() const noexcept { return mask_ + 1; }

    /// Producer: append `value`; false when full.
    bool try_push(const T& value) noexcept {
        const std::uint64_t tail = tail_.value.load(std::memory_order_relaxed);
        if (tail - head_cache_.value == capacity()) {
            head_cache_.value = head_.value.load(std::memory_order_acquire);
            if (tail - head_cache_.value == capacity()) {
                return false;
            }
        }
        slots_[tail & mask_] = value;
        tail_.value.store(tail + 1, std::memory_order_release);
        return true;
    }

    /// Consumer: the oldest value, or nullptr when empty. Valid until pop().
    [[nodiscard]] const T* front() noexcept {
        const std::uint64_t head = head_.value.load(std::memory_order_relaxed);
        if (head == tail_cache_.value) {
            tail_cache_.value = tail_.value.load(std::memory_order_acquire);
            if (head == tail_cache_.value) {
                return nullptr;
            }
        }
        return &slots_[head & mask_];
    }

    /// Either side: how many values are queued, from a fresh look at both indices (the other
    /// side may move it at once). Loads the other side's cache line: not for every operation.
    [[nodiscard]] std::size_t size_approx() const noexcept {
        const std::uint64_t head = head_.value.load(std::memory_order_acquire);
        const std::uint64_t tail = tail_.value.load(std::memory_order_acquire);
        return tail >= head ? static_cast<std::size_t>(tail - head) : 0;
    }

    /// Consumer: drop the value front() returned. Call only after a non-null front().
    void pop() noexcept {
        head_.value.store(head_.value.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    }

private:
    std::size_t mask_ = 0;
    std::unique_ptr<T[]> slots_;
    CachePadded<std::atomic<std::uint64_t>> head_;  // consumer-owned
    CachePadded<std::uint64_t> tail_cache_;         // consumer's copy of tail_
    CachePadded<std::atomic<std::uint64_t>> tail_;  // producer-owned
    CachePadded<std::uint64_t> head_cache_;         // producer's copy of head_
};

}  // namespace fundos::concurrent
