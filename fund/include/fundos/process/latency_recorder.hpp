// LatencyRecorder: wall-clock latencies of the live loop (production: market data received to a
// NewOrderSingle on the wire), kept apart from everything deterministic. They go to their own
// file (latency.json), never into the journal or report.json: a replay of the journal must give
// the same outputs, and no two runs have the same latencies.
//
// The samples' room is reserved up front (add() never allocates); past it, samples still count
// in `count` and `max` but not in the percentiles, and the file says how many were left out.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace fundos::process {

class LatencyRecorder {
public:
    static constexpr std::size_t kMaxSamples = std::size_t{1} << 18;

    LatencyRecorder() { samples_.reserve(kMaxSamples); }

    void add(std::uint64_t ns) noexcept {
        ++count_;
        max_ = std::max(max_, ns);
        if (samples_.size() < samples_.capacity()) {
            samples_.push_back(ns);
        }
    }
    [[nodiscard]] std::uint64_t count() const noexcept { return count_; }

    /// {"what", "unit": "us", "count", "p50", "p90", "p99", "max", "left_out"}; percentiles by the
    /// nearest-rank rule, null when there is no sample.
    [[nodiscard]] nlohmann::json summary(const std::string& what) const {
        std::vector<std::uint64_t> sorted = samples_;
        std::sort(sorted.begin(), sorted.end());
        const auto rank = [&](double p) -> nlohmann::json {
            if (sorted.empty()) {
                return nullptr;
            }
            const auto n = static_cast<double>(sorted.size());
            std::size_t k = static_cast<std::size_t>(p * n + 0.999999);  // nearest rank: ceil(p * n)
            k = std::clamp<std::size_t>(k, 1, sorted.size());
            return static_cast<double>(sorted[k - 1]) / 1000.0;
        };
        return {{"what", what},
                {"unit", "us"},
                {"count", count_},
                {"p50", rank(0.50)},
                {"p90", rank(0.90)},
                {"p99", rank(0.99)},
                {"max", count_ == 0 ? nlohmann::json(nullptr) : nlohmann::json(static_cast<double>(max_) / 1000.0)},
                {"left_out", count_ - sorted.size()}};
    }

private:
    std::vector<std::uint64_t> samples_;
    std::uint64_t count_ = 0;
    std::uint64_t max_ = 0;
};

}  // namespace fundos::process
