// Deterministic pseudo-random numbers for the synthetic data generator. Only integer arithmetic
// and IEEE-754 basic operations (+ - * / sqrt, all correctly rounded), so a seed gives the same
// stream on every compiler, standard library and machine. No std:: distributions: their output is
// implementation-defined.
//
//   splitmix64   Steele, Lea, Flood 2014; used only to expand a 64-bit seed into xoshiro's state.
//   xoshiro256** Blackman & Vigna 2018 (https://prng.di.unimi.it/xoshiro256starstar.c).
#pragma once

#include <cstdint>

namespace fundos::marketdata {

inline std::uint64_t splitmix64(std::uint64_t& state) noexcept {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

class Xoshiro256 {
public:
    explicit Xoshiro256(std::uint64_t seed) noexcept {
        for (std::uint64_t& word : s_) {
            word = splitmix64(seed);
        }
    }

    std::uint64_t next() noexcept {
        const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
        const std::uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }

    /// Uniform in [0, 1): the top 53 bits scaled by 2^-53.
    double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

    /// Uniform in [lo, hi).
    double uniform(double lo, double hi) noexcept { return lo + (hi - lo) * uniform(); }

    /// Uniform integer in [0, n), n > 0 (Lemire's multiply-shift; bias below 2^-64 * n).
    std::uint64_t below(std::uint64_t n) noexcept {
        return static_cast<std::uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
    }

    /// Approximately standard normal: Irwin-Hall sum of 12 uniforms minus 6 (mean 0, variance 1,
    /// tails cut at +-6). Additions only, so it is bit-identical everywhere.
    double normal() noexcept {
        double sum = 0.0;
        for (int i = 0; i < 12; ++i) {
            sum += uniform();
        }
        return sum - 6.0;
    }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
    std::uint64_t s_[4];
};

}  // namespace fundos::marketdata
