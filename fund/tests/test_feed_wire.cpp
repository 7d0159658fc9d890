// The feed's wire format without sockets: the generated encoders and decoders (fundos/wire.hpp)
// against bytes written here by hand in big-endian order, their refusals, packets
// (PacketWriter, read_packet) and the conversions between messages and replay events.
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "check.hpp"
#include "fundos/feed/market_state.hpp"
#include "fundos/feed/packet.hpp"
#include "fundos/wire.hpp"

namespace feed = fundos::feed;
namespace md = fundos::marketdata;
namespace wire = fundos::wire;
namespace abi = fundos::abi;

namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes encoded(const auto& message) {
    Bytes out(std::remove_cvref_t<decltype(message)>::WIRE_SIZE);
    const std::size_t n = wire::encode(message, std::span<std::uint8_t>(out));
    REQUIRE(n == out.size());
    return out;
}

}  // namespace

TEST(quote_is_big_endian_field_by_field) {
    wire::Quote q;
    q.instrument_id = 0x01020304;
    q.exchange_time = 0x1122334455667788ULL;
    q.bid = -2;
    q.ask = 0x0102030405060708LL;
    q.bid_size = 1;
    q.ask_size = INT64_MIN;
    const Bytes want = {
        0x00, 0x30, 0x00, 0x02,                          // frame: size 48, id 2
        0x01, 0x02, 0x03, 0x04,                          // instrument_id
        0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,  // exchange_time
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE,  // bid = -2
        0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,  // ask
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,  // bid_size
        0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // ask_size = INT64_MIN
    };
    CHECK(encoded(q) == want);
    wire::Quote back;
    CHECK(wire::decode(want, back) == wire::WireStatus::OK);
    CHECK(back == q);
}

TEST(packet_header_starts_with_the_magic_fndf) {
    wire::PacketHeader h;
    h.magic = abi::FEED_MAGIC;
    h.version = 1;
    h.message_count = 0x0203;
    h.session_id = 0xA1A2A3A4A5A6A7A8ULL;
    h.first_seq = 42;
    h.send_time = 7;
    const Bytes bytes = encoded(h);
    const Bytes want = {'F', 'N', 'D', 'F', 0x00, 0x01, 0x02, 0x03, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7, 0xA8,
                        0, 0, 0, 0, 0, 0, 0, 42, 0, 0, 0, 0, 0, 0, 0, 7};
    CHECK(bytes == want);
    CHECK_EQ(wire::PacketHeader::WIRE_SIZE, std::size_t{32});
}

TEST(packed_messages_have_odd_offsets) {
    wire::SnapshotBegin b;
    b.request_id = 0x0A0B0C0D;
    b.status = abi::SnapshotStatus::NOT_READY;
    b.session_ended = 1;
    b.session_id = 0x0102030405060708ULL;
    b.valid_at_seq = 0x99;
    b.instrument_count = 5;
    b.clock = 0x10;
    const Bytes bytes = encoded(b);
    REQUIRE(bytes.size() == 38);
    const Bytes want = {0x00, 38, 0x00, 17, 0x0A, 0x0B, 0x0C, 0x0D, 3, 1, 1, 2, 3, 4, 5, 6, 7, 8,
                        0, 0, 0, 0, 0, 0, 0, 0x99, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0x10};
    CHECK(bytes == want);
    wire::SnapshotRequest r;
    r.version = 1;
    r.request_id = 2;
    r.session_id = 3;
    r.last_seq = 4;
    CHECK(encoded(r) == (Bytes{0, 26, 0, 16, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 4}));
}

TEST(symbols_travel_as_their_sixteen_bytes) {
    wire::InstrumentDefinition d;
    d.instrument_id = 9;
    std::memcpy(d.symbol, "SPY", 3);
    d.tick_size = 1'000'000;
    d.lot_size = 1'000'000;
    const Bytes bytes = encoded(d);
    CHECK(std::memcmp(bytes.data() + 8, "SPY\0\0\0\0\0\0\0\0\0\0\0\0\0", 16) == 0);
    wire::InstrumentDefinition back;
    CHECK(wire::decode(bytes, back) == wire::WireStatus::OK);
    CHECK(back == d);
}

TEST(decode_refuses_short_foreign_and_missized_input) {
    wire::Trade t;
    t.instrument_id = 1;
    t.price = 5;
    Bytes bytes = encoded(t);
    wire::Trade back;
    back.price = 77;
    CHECK(wire::decode(std::span<const std::uint8_t>(bytes.data(), bytes.size() - 1), back) ==
          wire::WireStatus::TOO_SHORT);
    CHECK(wire::decode(std::span<const std::uint8_t>(bytes.data(), 3), back) == wire::WireStatus::TOO_SHORT);
    CHECK_EQ(back.price, 77);  // untouched unless OK
    wire::Quote other;
    CHECK(wire::decode(bytes, other) == wire::WireStatus::WRONG_ID);
    bytes[1] = 31;
    CHECK(wire::decode(bytes, back) == wire::WireStatus::WRONG_SIZE);
    wire::Frame frame;
    const Bytes tiny = {0, 3, 0, 1};
    CHECK(wire::read_frame(tiny, frame) == wire::WireStatus::WRONG_SIZE);
    std::uint8_t small[10];
    CHECK_EQ(wire::encode(t, small), std::size_t{0});
}

TEST(decode_reads_from_any_alignment) {
    wire::Bar bar;
    bar.instrument_id = 3;
    bar.end_time = 123456789;
    bar.interval = 60'000'000'000ULL;
    bar.open = 1;
    bar.high = -1;
    bar.low = 2;
    bar.close = -2;
    bar.volume = 99;
    const Bytes bytes = encoded(bar);
    for (std::size_t shift = 1; shift < 8; ++shift) {
        Bytes buffer(bytes.size() + shift, 0xEE);
        std::memcpy(buffer.data() + shift, bytes.data(), bytes.size());
        wire::Bar back;
        CHECK(wire::decode(std::span<const std::uint8_t>(buffer).subspan(shift), back) == wire::WireStatus::OK);
        CHECK(back == bar);
        Bytes again(bytes.size() + shift);
        CHECK_EQ(wire::encode(bar, std::span<std::uint8_t>(again).subspan(shift)), bytes.size());
        CHECK(std::memcmp(again.data() + shift, bytes.data(), bytes.size()) == 0);
    }
}

TEST(packet_writer_fills_up_to_its_size_and_read_packet_walks_it) {
    feed::PacketWriter writer(256);
    writer.begin(77, 10);
    wire::Quote q;
    int added = 0;
    while (writer.add(q)) {
        ++q.instrument_id;
        ++added;
    }
    CHECK_EQ(added, (256 - 32) / 48);
    CHECK_EQ(writer.next_seq(), std::uint64_t{10} + static_cast<std::uint64_t>(added));
    const auto packet = writer.finish(5);
    const Bytes bytes(packet.begin(), packet.end());
    feed::PacketView view;
    REQUIRE(feed::read_packet(bytes, view) == feed::PacketError::OK);
    CHECK_EQ(view.count, static_cast<std::size_t>(added));
    CHECK_EQ(view.header.session_id, std::uint64_t{77});
    CHECK_EQ(view.header.first_seq, std::uint64_t{10});
    wire::Quote last;
    CHECK(wire::decode(view.messages[view.count - 1], last) == wire::WireStatus::OK);
    CHECK_EQ(last.instrument_id, static_cast<std::uint32_t>(added - 1));

    // Each case edits its own copy of the packet.
    const auto edited = [&](std::size_t at, std::uint8_t value) {
        Bytes copy(bytes.begin(), bytes.end());
        copy[at] = value;
        return copy;
    };
    CHECK(feed::read_packet(edited(0, 'X'), view) == feed::PacketError::MAGIC);
    CHECK(feed::read_packet(edited(5, 9), view) == feed::PacketError::VERSION);
    CHECK(feed::read_packet(std::span<const std::uint8_t>(bytes.data(), 31), view) == feed::PacketError::SHORT);
    CHECK(feed::read_packet(std::span<const std::uint8_t>(bytes.data(), bytes.size() - 1), view) ==
          feed::PacketError::MESSAGES);
    Bytes longer(bytes.begin(), bytes.end());
    longer.push_back(0);
    CHECK(feed::read_packet(longer, view) == feed::PacketError::MESSAGES);
    // One message more than there is.
    CHECK(feed::read_packet(edited(7, static_cast<std::uint8_t>(added + 1)), view) == feed::PacketError::MESSAGES);
}

TEST(events_and_messages_convert_both_ways) {
    md::EventRecord quote{};
    quote.time = 100;
    quote.instrument_id = 2;
    quote.kind = md::EventKind::QUOTE;
    quote.v[0] = 10;
    quote.v[1] = 11;
    quote.v[2] = 12;
    quote.v[3] = 13;
    const md::EventRecord q2 = feed::from_quote(feed::to_quote(quote));
    CHECK(std::memcmp(&q2, &quote, sizeof(quote)) == 0);
    md::EventRecord bar{};
    bar.time = 200;
    bar.instrument_id = 3;
    bar.kind = md::EventKind::BAR;
    bar.period_s = 60;
    for (int i = 0; i < 5; ++i) {
        bar.v[i] = 100 + i;
    }
    CHECK_EQ(feed::to_bar(bar).interval, std::uint64_t{60'000'000'000ULL});
    const md::EventRecord b2 = feed::from_bar(feed::to_bar(bar));
    CHECK(std::memcmp(&b2, &bar, sizeof(bar)) == 0);
    md::EventRecord trade{};
    trade.time = 300;
    trade.instrument_id = 4;
    trade.kind = md::EventKind::TRADE;
    trade.v[0] = -5;
    trade.v[1] = 6;
    const md::EventRecord t2 = feed::from_trade(feed::to_trade(trade));
    CHECK(std::memcmp(&t2, &trade, sizeof(trade)) == 0);
    wire::Bar odd;
    odd.interval = 1'500'000'000ULL;  // not whole seconds: unknown
    CHECK_EQ(feed::from_bar(odd).period_s, 0u);
}

TEST(market_state_keeps_the_latest_of_each_kind) {
    feed::MarketState state;
    wire::InstrumentDefinition d;
    d.instrument_id = 5;
    std::memcpy(d.symbol, "ABC", 3);
    state.define(d);
    wire::Quote q;
    q.instrument_id = 5;
    q.exchange_time = 10;
    q.bid = 1;
    CHECK(state.apply(q));
    q.instrument_id = 6;
    CHECK(!state.apply(q));  // not defined
    wire::Trade t;
    t.instrument_id = 5;
    t.exchange_time = 20;
    t.price = 7;
    CHECK(state.apply(t));
    const wire::InstrumentSnapshot* row = state.find(5);
    REQUIRE(row != nullptr);
    CHECK_EQ(row->bid, 1);
    CHECK_EQ(row->last_price, 7);
    CHECK_EQ(state.clock(), std::uint64_t{20});
    CHECK(feed::trade_of(*row) == t);
    std::memcpy(d.symbol, "XYZ", 3);  // another instrument under the same id: its state starts over
    state.define(d);
    CHECK_EQ(state.find(5)->last_price, 0);
    CHECK_EQ(state.rows().size(), std::size_t{1});
}

FUNDOS_TEST_MAIN
