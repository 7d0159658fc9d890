// A global operator new that counts, for tests that check a path does not allocate. Include it
// in exactly one file of a test program (it replaces the program's operator new and delete);
// read fundos::test::allocations() before and after the path.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

// GCC 12 at -O2 inlines these replacements into std::allocator and then reports its own
// operator delete as "mismatched" with malloc (a false positive: new and delete here are a pair).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace fundos::test {
inline std::atomic<long> g_allocations{0};

/// Calls of operator new so far.
[[nodiscard]] inline long allocations() noexcept { return g_allocations.load(std::memory_order_relaxed); }
}  // namespace fundos::test

void* operator new(std::size_t size) {
    fundos::test::g_allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(size == 0 ? 1 : size)) {
        return p;
    }
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
