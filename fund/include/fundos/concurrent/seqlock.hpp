// Seqlock over a `{ sequence; reserved; T payload }` slot in shared memory (SnapshotSlot,
// AgentBookSlot), one writer, any number of readers in other processes. docs/TRANSPORT.md,
// "Snapshots", is the contract; this is its C++ implementation for both sides.
//
//   writer, version n >= 1                     reader
//   sequence.store(2n-1, relaxed)              v1 = sequence.load(acquire)   (must be even)
//   fence(release)                             copy payload: 8-byte relaxed atomic loads
//   payload: 8-byte relaxed atomic stores      fence(acquire)
//   sequence.store(2n, release)                v2 = sequence.load(relaxed); ok iff v2 == v1
//
// Why this is correct (Boehm, "Can seqlocks get along with programming language memory
// models?", 2012): if any word the reader copied was written by a writer pass that started
// after v1 was stored, that relaxed store follows the writer's release fence and the reader's
// relaxed load precedes its acquire fence, so the fences synchronize and the reader's re-load
// of `sequence` must see that pass's odd value (or later): v2 != v1 and the copy is discarded.
// If v2 == v1 the acquire load of v1 saw the release store of 2n, so every word of pass n is
// visible, and no later pass touched the words read.
//
// Why not memcpy: a plain copy racing with the writer is a data race (undefined behaviour in
// C++), and on aarch64 plain loads may be satisfied after the re-check without the acquire
// fence. Every payload access here is an 8-byte relaxed atomic (a plain mov / ldr on x86_64
// and aarch64, so it works on read-only mappings too). The words are reached through
// std::atomic_ref<std::uint64_t> over the shared payload; the private side is copied with
// memcpy, so the private object is only ever accessed as bytes.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace fundos::concurrent {

/// A payload the seqlock can copy: trivially copyable, a whole number of 8-byte words,
/// 8-byte aligned.
template <class T>
concept WordCopyable = std::is_trivially_copyable_v<T> && sizeof(T) % sizeof(std::uint64_t) == 0 &&
                       alignof(T) >= alignof(std::uint64_t);

static_assert(std::atomic_ref<std::uint64_t>::is_always_lock_free,
              "shared-memory words must be lock-free 8-byte atomics");
static_assert(std::atomic_ref<std::uint64_t>::required_alignment == alignof(std::uint64_t));

/// A view of a shared word as an atomic. The word may live in a read-only mapping: only load
/// may be used then (a lock-free 8-byte load never writes).
[[nodiscard]] inline std::atomic_ref<std::uint64_t> shared_word(const std::uint64_t& word) noexcept {
    return std::atomic_ref<std::uint64_t>(const_cast<std::uint64_t&>(word));
}

/// Copy `bytes` (a multiple of 8) from private `src` into shared `dst` as 8-byte relaxed atomic
/// stores.
inline void store_range_relaxed(void* dst, const void* src, std::size_t bytes) noexcept {
    auto* out = static_cast<std::uint64_t*>(dst);
    const auto* in = static_cast<const unsigned char*>(src);
    for (std::size_t i = 0; i < bytes / sizeof(std::uint64_t); ++i) {
        std::uint64_t word;
        std::memcpy(&word, in + i * sizeof(word), sizeof(word));
        // SYNC POINT: none of its own; ordered by the caller's fences (SeqlockWriter::write).
        std::atomic_ref<std::uint64_t>(out[i]).store(word, std::memory_order_relaxed);
    }
}

/// Copy `bytes` (a multiple of 8) of shared `src` into private `dst` as 8-byte relaxed atomic
/// loads.
inline void load_range_relaxed(void* dst, const void* src, std::size_t bytes) noexcept {
    const auto* in = static_cast<const std::uint64_t*>(src);
    auto* out = static_cast<unsigned char*>(dst);
    for (std::size_t i = 0; i < bytes / sizeof(std::uint64_t); ++i) {
        // SYNC POINT: none of its own; ordered by the caller's fences (SeqlockReader).
        const std::uint64_t word = shared_word(in[i]).load(std::memory_order_relaxed);
        std::memcpy(out + i * sizeof(word), &word, sizeof(word));
    }
}

/// Copy private `src` into shared `dst` as 8-byte relaxed atomic stores.
template <WordCopyable T>
inline void store_words_relaxed(T& dst, const T& src) noexcept {
    store_range_relaxed(&dst, &src, sizeof(T));
}

/// Copy shared `src` into private `dst` as 8-byte relaxed atomic loads.
template <WordCopyable T>
inline void load_words_relaxed(T& dst, const T& src) noexcept {
    load_range_relaxed(&dst, &src, sizeof(T));
}

/// The single writer of one seqlock-guarded payload. Not thread-safe: one writer only.
template <WordCopyable T>
class SeqlockWriter {
public:
    SeqlockWriter() = default;
    SeqlockWriter(std::uint64_t& sequence, T& payload) noexcept : sequence_(&sequence), payload_(&payload) {}

    /// Publish `value` as version n (n >= 1): the sequence goes 2n-1 (odd), the payload is
    /// stored word by word, then the sequence becomes 2n. Never blocks, never allocates.
    void write(const T& value, std::uint64_t n) noexcept {
        write_with(n, [&value](T& shared) noexcept { store_words_relaxed(shared, value); });
    }

    /// Publish version n with `store(T& shared)` writing the payload; it must write only with
    /// store_range_relaxed / store_words_relaxed. For payloads whose readers use only part of
    /// them (the rows in use of a table): the part nobody reads is not written.
    template <class Store>
    void write_with(std::uint64_t n, Store&& store) noexcept {
        std::atomic_ref<std::uint64_t> sequence(*sequence_);
        sequence.store(2 * n - 1, std::memory_order_relaxed);
        // SYNC POINT: orders the odd store before the payload stores; pairs with the reader's
        // acquire fence between its copy and its re-load of the sequence.
        std::atomic_thread_fence(std::memory_order_release);
        store(*payload_);
        // SYNC POINT: publishes the payload; pairs with the reader's acquire load of v1.
        sequence.store(2 * n, std::memory_order_release);
    }

    [[nodiscard]] bool valid() const noexcept { return sequence_ != nullptr; }

private:
    std::uint64_t* sequence_ = nullptr;
    T* payload_ = nullptr;
};

/// A reader of one seqlock-guarded payload, possibly in a read-only mapping. Readers never
/// write shared memory, so any number may read at once.
template <WordCopyable T>
class SeqlockReader {
public:
    SeqlockReader() = default;
    SeqlockReader(const std::uint64_t& sequence, const T& payload) noexcept
        : sequence_(&sequence), payload_(&payload) {}

    /// Copy the payload into `out` if the slot holds exactly `expected_sequence` (an even value,
    /// 2n for version n) before and after the copy. false: the slot holds another version or is
    /// being written; `out` is then garbage and must not be used.
    [[nodiscard]] bool try_read_exact(std::uint64_t expected_sequence, T& out) const noexcept {
        auto sequence = shared_word(*sequence_);
        // SYNC POINT: pairs with the writer's release store of 2n.
        const std::uint64_t v1 = sequence.load(std::memory_order_acquire);
        if (v1 != expected_sequence || (v1 & 1U) != 0) {
            return false;
        }
        load_words_relaxed(out, *payload_);
        // SYNC POINT: orders the copy before the re-load; pairs with the writer's release fence.
        std::atomic_thread_fence(std::memory_order_acquire);
        return sequence.load(std::memory_order_relaxed) == v1;
    }

    /// Copy whatever complete version the slot holds. false: nothing written yet (sequence 0),
    /// being written (odd) or rewritten during the copy. On true `sequence_out` is 2n.
    [[nodiscard]] bool try_read(T& out, std::uint64_t& sequence_out) const noexcept {
        return try_read_with(sequence_out, [&out](const T& shared) noexcept { load_words_relaxed(out, shared); });
    }

    /// try_read with `load(const T& shared)` doing the copy; it must read only with
    /// load_range_relaxed / load_words_relaxed, and must stay in bounds whatever the words it
    /// has read so far hold (they may be torn: the sequence check discards them afterwards).
    template <class Load>
    [[nodiscard]] bool try_read_with(std::uint64_t& sequence_out, Load&& load) const noexcept {
        auto sequence = shared_word(*sequence_);
        // SYNC POINT: pairs with the writer's release store of 2n.
        const std::uint64_t v1 = sequence.load(std::memory_order_acquire);
        if (v1 == 0 || (v1 & 1U) != 0) {
            return false;
        }
        load(*payload_);
        // SYNC POINT: orders the copy before the re-load; pairs with the writer's release fence.
        std::atomic_thread_fence(std::memory_order_acquire);
        if (sequence.load(std::memory_order_relaxed) != v1) {
            return false;
        }
        sequence_out = v1;
        return true;
    }

    [[nodiscard]] bool valid() const noexcept { return sequence_ != nullptr; }

private:
    const std::uint64_t* sequence_ = nullptr;
    const T* payload_ = nullptr;
};

}  // namespace fundos::concurrent
