// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78, initial and final XOR 0xFFFFFFFF), the
// journal's record checksum. The SSE4.2 crc32 instruction where the CPU has it, else software
// slicing by 8: the same result on every machine.
// crc32c("123456789") == 0xE3069283.
#pragma once

#include <cstddef>
#include <cstdint>

namespace fundos::runtime {

/// The CRC of `size` bytes at `data`, continuing from `crc` (the result of a previous call over the
/// bytes before; 0 to start).
[[nodiscard]] std::uint32_t crc32c(const void* data, std::size_t size, std::uint32_t crc = 0) noexcept;

/// The same, always in software (what crc32c uses without the instruction; tests compare the two).
[[nodiscard]] std::uint32_t crc32c_portable(const void* data, std::size_t size, std::uint32_t crc = 0) noexcept;

}  // namespace fundos::runtime
