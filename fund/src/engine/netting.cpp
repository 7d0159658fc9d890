// Largest-remainder pro-rata allocation in whole lots (netting.hpp states the rules).
#include "fundos/engine/netting.hpp"

#include <algorithm>

namespace fundos::engine {

const char* to_string(AllocationError error) noexcept {
    switch (error) {
        case AllocationError::kOk: return "ok";
        case AllocationError::kBadLot: return "lot must be > 0";
        case AllocationError::kNotMultiple: return "total and weights must be multiples of the lot";
        case AllocationError::kNegative: return "total and weights must be >= 0";
        case AllocationError::kTooMuch: return "total exceeds the sum of the weights";
        case AllocationError::kSizeMismatch: return "output size differs from input size";
    }
    return "unknown";
}

AllocationError allocate_pro_rata(abi::Quantity total, abi::Quantity lot, std::span<const AllocationInput> inputs,
                                  std::span<abi::Quantity> out, AllocationScratch& scratch) {
    using i128 = __int128;
    if (out.size() != inputs.size()) {
        return AllocationError::kSizeMismatch;
    }
    std::fill(out.begin(), out.end(), abi::Quantity{0});
    if (lot <= 0) {
        return AllocationError::kBadLot;
    }
    if (total < 0) {
        return AllocationError::kNegative;
    }
    if (total % lot != 0) {
        return AllocationError::kNotMultiple;
    }
    i128 units = 0;
    for (const AllocationInput& in : inputs) {
        if (in.weight < 0) {
            return AllocationError::kNegative;
        }
        if (in.weight % lot != 0) {
            return AllocationError::kNotMultiple;
        }
        units += in.weight / lot;
    }
    const i128 t = total / lot;
    if (t > units) {
        return AllocationError::kTooMuch;
    }
    if (t == 0) {
        return AllocationError::kOk;
    }
    const std::size_t n = inputs.size();
    if (t == units) {  // everyone gets everything
        for (std::size_t i = 0; i < n; ++i) {
            out[i] = inputs[i].weight;
        }
        return AllocationError::kOk;
    }
    scratch.order.resize(n);
    scratch.rem.resize(n);
    i128 given = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const i128 prod = t * (inputs[i].weight / lot);
        const i128 base = prod / units;
        scratch.rem[i] = prod % units;
        out[i] = static_cast<abi::Quantity>(base) * lot;
        given += base;
        scratch.order[i] = static_cast<std::uint32_t>(i);
    }
    i128 left = t - given;  // < n
    if (left > 0) {
        const auto& rem = scratch.rem;
        std::sort(scratch.order.begin(), scratch.order.end(), [&](std::uint32_t a, std::uint32_t b) {
            if (rem[a] != rem[b]) {
                return rem[a] > rem[b];
            }
            if (inputs[a].key_hi != inputs[b].key_hi) {
                return inputs[a].key_hi < inputs[b].key_hi;
            }
            if (inputs[a].key_lo != inputs[b].key_lo) {
                return inputs[a].key_lo < inputs[b].key_lo;
            }
            return a < b;
        });
        for (std::size_t k = 0; k < n && left > 0; ++k, --left) {
            out[scratch.order[k]] += lot;
        }
    }
    return AllocationError::kOk;
}

}  // namespace fundos::engine
