#include "fundos/runtime/crc32c.hpp"

#include <array>
#include <cstring>

namespace fundos::runtime {
namespace {

using Tables = std::array<std::array<std::uint32_t, 256>, 8>;

constexpr Tables make_tables() {
    Tables t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t c = i;
        for (int k = 0; k < 8; ++k) {
            c = (c & 1U) != 0 ? (c >> 1) ^ 0x82F63B78U : c >> 1;
        }
        t[0][i] = c;
    }
    for (std::size_t i = 0; i < 256; ++i) {
        for (std::size_t s = 1; s < 8; ++s) {
            t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFFU];
        }
    }
    return t;
}

constexpr Tables kTables = make_tables();

/// Slicing by 8 over the inverted CRC state.
std::uint32_t crc32c_tables(const unsigned char* p, std::size_t size, std::uint32_t c) noexcept {
    while (size >= 8) {
        // Little-endian word order, assembled byte by byte so the result is the same everywhere.
        const std::uint32_t lo = c ^ (static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
                                      static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24);
        c = kTables[7][lo & 0xFFU] ^ kTables[6][(lo >> 8) & 0xFFU] ^ kTables[5][(lo >> 16) & 0xFFU] ^
            kTables[4][lo >> 24] ^ kTables[3][p[4]] ^ kTables[2][p[5]] ^ kTables[1][p[6]] ^ kTables[0][p[7]];
        p += 8;
        size -= 8;
    }
    while (size-- > 0) {
        c = (c >> 8) ^ kTables[0][(c ^ *p++) & 0xFFU];
    }
    return c;
}

#if defined(__x86_64__)
/// SSE4.2's crc32 instruction computes the same CRC (Castagnoli, reflected) over the same state,
/// 8 bytes per instruction: the journal's checksum was an eighth of a simulation step's time.
__attribute__((target("sse4.2"))) std::uint32_t crc32c_sse42(const unsigned char* p, std::size_t size,
                                                             std::uint32_t c) noexcept {
    std::uint64_t c64 = c;
    while (size >= 8) {
        std::uint64_t word;
        std::memcpy(&word, p, sizeof word);
        c64 = __builtin_ia32_crc32di(c64, word);
        p += 8;
        size -= 8;
    }
    c = static_cast<std::uint32_t>(c64);
    while (size-- > 0) {
        c = __builtin_ia32_crc32qi(c, *p++);
    }
    return c;
}

using CrcFunction = std::uint32_t (*)(const unsigned char*, std::size_t, std::uint32_t) noexcept;
const CrcFunction kCrc = __builtin_cpu_supports("sse4.2") ? crc32c_sse42 : crc32c_tables;
#else
constexpr auto kCrc = crc32c_tables;
#endif

}  // namespace

std::uint32_t crc32c(const void* data, std::size_t size, std::uint32_t crc) noexcept {
    return ~kCrc(static_cast<const unsigned char*>(data), size, ~crc);
}

std::uint32_t crc32c_portable(const void* data, std::size_t size, std::uint32_t crc) noexcept {
    return ~crc32c_tables(static_cast<const unsigned char*>(data), size, ~crc);
}

}  // namespace fundos::runtime
