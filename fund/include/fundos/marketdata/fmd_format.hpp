// The FundOS market-data file (.fmd): a sorted, fixed-record stream of bars, quotes and trades
// that replay memory-maps. Written once by an importer or the synthesiser (FmdWriter), read
// sequentially by ReplayReader. Little-endian only. All units are the ABI's (fundos/abi.hpp):
// Price raw * 1e-8, Quantity raw * 1e-6, Timestamp ns since the Unix epoch, UTC.
//
// File layout:
//
//   offset 0                    FmdHeader (128 bytes)
//   header.instrument_offset    InstrumentRecord[instrument_count] (48 bytes each), ids 1..n in
//                               symbol order
//   header.records_offset       EventRecord[record_count] (64 bytes each), a multiple of 64,
//                               sorted by (time, source, instrument_id, seq) -- event_order.hpp;
//                               the file ends with the last record
//
// FmdHeader:
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +---------------------------------------------------------------+
//   |                 magic "FUNDOSMD" (8 bytes)                    |  0
//   +---------------------------------------------------------------+
//   |            version            |          header_size          |  8
//   +-------------------------------+-------------------------------+
//   |          record_size          |        instrument_size        |  16
//   +-------------------------------+-------------------------------+
//   |       instrument_count        |       reserved0 (zero)        |  24
//   +-------------------------------+-------------------------------+
//   |                   instrument_offset (u64)                     |  32
//   |                     records_offset (u64)                      |  40
//   |                      record_count (u64)                       |  48
//   |                 first_time (Timestamp, 0 if empty)            |  56
//   |                 last_time (Timestamp, 0 if empty)             |  64
//   |              checksum of the record bytes (u64)               |  72
//   |                   bar_count (u64)                             |  80
//   |                   quote_count (u64)                           |  88
//   |                   trade_count (u64)                           |  96
//   |                   reserved1 (24 bytes, zero)                  |  104..127
//   +---------------------------------------------------------------+
//
// InstrumentRecord (48 bytes):
//
//   |        instrument_id          |       reserved0 (zero)        |  0
//   |           symbol char[16], NUL-padded ASCII (<= 15 chars)     |  8
//   |                   tick_size (Price)                           |  24
//   |                   lot_size (Quantity)                         |  32
//   |                   reserved1 (u64, zero)                       |  40
//
// EventRecord (64 bytes, one cache line):
//
//   |                       time (Timestamp)                        |  0
//   |           seq (u32)           |      instrument_id (u32)      |  8
//   |   source (u16)  | kind | flags |        period_s (u32)         |  16
//   |                          v[0] (i64)                           |  24
//   |                          v[1] (i64)                           |  32
//   |                          v[2] (i64)                           |  40
//   |                          v[3] (i64)                           |  48
//   |                          v[4] (i64)                           |  56
//
//   time       when the event became known: a bar's END (start + period_s), a quote's or
//              trade's exchange time
//   seq        the record's position in its writer's input order (0, 1, ...): the last tie-break
//   source     the input feed it came from, chosen by the writer (an importer numbers its input
//              files 0, 1, ... in sorted path order; synth: 0 bars, 1 quotes)
//   kind       EventKind; flags: FLAG_SUSPICIOUS (LEAN's suspicious tick); period_s: bar length
//              in seconds (0 for quotes, trades and bars of unknown length)
//   v[]        BAR   open, high, low, close (Price), volume (Quantity)
//              QUOTE bid, ask (Price), bid_size, ask_size (Quantity), v[4] = 0
//              TRADE price (Price), size (Quantity), v[2..4] = 0
//
// checksum: h = 0xcbf29ce484222325; for each little-endian 64-bit word w of the record bytes in
// order: h = ((h ^ w) * 0x100000001b3); h ^= h >> 29  (fmd_checksum below).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "fundos/abi.hpp"

namespace fundos::marketdata {

static_assert(std::endian::native == std::endian::little, ".fmd files are little-endian");

inline constexpr char FMD_MAGIC[8] = {'F', 'U', 'N', 'D', 'O', 'S', 'M', 'D'};
inline constexpr std::uint32_t FMD_VERSION = 1;
inline constexpr std::size_t FMD_SYMBOL_LEN = 16;
inline constexpr std::size_t FMD_RECORD_ALIGN = 64;

enum class EventKind : std::uint8_t {
    BAR = 1,
    QUOTE = 2,
    TRADE = 3,
};
inline constexpr int EVENT_KIND_COUNT = 3;

inline constexpr std::uint8_t FLAG_SUSPICIOUS = 0x01;

/// Indexes into EventRecord::v for each kind.
namespace bar {
inline constexpr int OPEN = 0, HIGH = 1, LOW = 2, CLOSE = 3, VOLUME = 4;
}
namespace quote {
inline constexpr int BID = 0, ASK = 1, BID_SIZE = 2, ASK_SIZE = 3;
}
namespace trade {
inline constexpr int PRICE = 0, SIZE = 1;
}

struct FmdHeader {
    char magic[8];
    std::uint32_t version;
    std::uint32_t header_size;
    std::uint32_t record_size;
    std::uint32_t instrument_size;
    std::uint32_t instrument_count;
    std::uint32_t reserved0;
    std::uint64_t instrument_offset;
    std::uint64_t records_offset;
    std::uint64_t record_count;
    abi::Timestamp first_time;
    abi::Timestamp last_time;
    std::uint64_t checksum;
    std::uint64_t kind_counts[EVENT_KIND_COUNT];  // indexed by EventKind - 1
    std::uint8_t reserved1[24];
};
static_assert(sizeof(FmdHeader) == 128);
static_assert(offsetof(FmdHeader, magic) == 0);
static_assert(offsetof(FmdHeader, version) == 8);
static_assert(offsetof(FmdHeader, header_size) == 12);
static_assert(offsetof(FmdHeader, record_size) == 16);
static_assert(offsetof(FmdHeader, instrument_size) == 20);
static_assert(offsetof(FmdHeader, instrument_count) == 24);
static_assert(offsetof(FmdHeader, reserved0) == 28);
static_assert(offsetof(FmdHeader, instrument_offset) == 32);
static_assert(offsetof(FmdHeader, records_offset) == 40);
static_assert(offsetof(FmdHeader, record_count) == 48);
static_assert(offsetof(FmdHeader, first_time) == 56);
static_assert(offsetof(FmdHeader, last_time) == 64);
static_assert(offsetof(FmdHeader, checksum) == 72);
static_assert(offsetof(FmdHeader, kind_counts) == 80);
static_assert(offsetof(FmdHeader, reserved1) == 104);

struct InstrumentRecord {
    std::uint32_t instrument_id;
    std::uint32_t reserved0;
    char symbol[FMD_SYMBOL_LEN];
    abi::Price tick_size;
    abi::Quantity lot_size;
    std::uint64_t reserved1;
};
static_assert(sizeof(InstrumentRecord) == 48);
static_assert(offsetof(InstrumentRecord, instrument_id) == 0);
static_assert(offsetof(InstrumentRecord, reserved0) == 4);
static_assert(offsetof(InstrumentRecord, symbol) == 8);
static_assert(offsetof(InstrumentRecord, tick_size) == 24);
static_assert(offsetof(InstrumentRecord, lot_size) == 32);
static_assert(offsetof(InstrumentRecord, reserved1) == 40);
static_assert(FMD_SYMBOL_LEN == abi::SYMBOL_LEN, "same symbol width as the ABI's InstrumentEntry");

struct EventRecord {
    abi::Timestamp time;
    std::uint32_t seq;
    std::uint32_t instrument_id;
    std::uint16_t source;
    EventKind kind;
    std::uint8_t flags;
    std::uint32_t period_s;
    std::int64_t v[5];
};
static_assert(sizeof(EventRecord) == 64);
static_assert(offsetof(EventRecord, time) == 0);
static_assert(offsetof(EventRecord, seq) == 8);
static_assert(offsetof(EventRecord, instrument_id) == 12);
static_assert(offsetof(EventRecord, source) == 16);
static_assert(offsetof(EventRecord, kind) == 18);
static_assert(offsetof(EventRecord, flags) == 19);
static_assert(offsetof(EventRecord, period_s) == 20);
static_assert(offsetof(EventRecord, v) == 24);
static_assert(std::is_trivially_copyable_v<EventRecord>);

inline constexpr std::uint64_t FMD_CHECKSUM_SEED = 0xcbf29ce484222325ULL;

/// Continue the checksum over `size` bytes (a multiple of 8).
inline std::uint64_t fmd_checksum(std::uint64_t h, const void* data, std::size_t size) noexcept {
    const auto* bytes = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i + 8 <= size; i += 8) {
        std::uint64_t w;
        std::memcpy(&w, bytes + i, 8);
        h = (h ^ w) * 0x100000001b3ULL;
        h ^= h >> 29;
    }
    return h;
}

[[nodiscard]] inline const char* event_kind_name(EventKind kind) noexcept {
    switch (kind) {
        case EventKind::BAR: return "BAR";
        case EventKind::QUOTE: return "QUOTE";
        case EventKind::TRADE: return "TRADE";
    }
    return "UNKNOWN";
}

}  // namespace fundos::marketdata
