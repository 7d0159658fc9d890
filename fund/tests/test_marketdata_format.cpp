// The .fmd format: write/read round trip, the sort order and its tie-breaks, rejection of bad
// files, the k-way merge, civil time and US/Eastern DST, decimals, and the reader's page release.
#include <cstring>
#include <string>

#include "check.hpp"
#include "fundos/marketdata/civil_time.hpp"
#include "fundos/marketdata/decimal.hpp"
#include "fundos/marketdata/event_order.hpp"
#include "fundos/marketdata/fmd_writer.hpp"
#include "fundos/marketdata/replay_merge.hpp"
#include "fundos/marketdata/replay_reader.hpp"
#include "md_test_util.hpp"

using namespace fundos::marketdata;
using fundos::test::make_event;
using fundos::test::read_bytes;
using fundos::test::scratch;

namespace {

constexpr fundos::abi::Price TICK = 1'000'000;
constexpr fundos::abi::Quantity LOT = 1'000'000;

// Events added out of order, with ties on time, source and instrument.
FmdWriter sample_writer() {
    FmdWriter w;
    std::uint32_t zzz = 0, aaa = 0;
    (void)w.add_instrument("ZZZ", TICK, LOT, zzz);  // handle 0, id 2
    (void)w.add_instrument("AAA", TICK, LOT, aaa);  // handle 1, id 1
    w.add(make_event(200, 0, zzz, EventKind::TRADE, 1));  // seq 0
    w.add(make_event(100, 1, aaa, EventKind::QUOTE, 2));  // seq 1
    w.add(make_event(100, 0, zzz, EventKind::TRADE, 3));  // seq 2
    w.add(make_event(100, 0, aaa, EventKind::TRADE, 4));  // seq 3
    w.add(make_event(100, 0, aaa, EventKind::BAR, 5));    // seq 4: same key but seq as seq 3
    w.add(make_event(50, 9, zzz, EventKind::TRADE, 6));   // seq 5
    return w;
}

std::vector<EventRecord> read_all(ReplayReader& r) {
    std::vector<EventRecord> out;
    while (const EventRecord* e = r.next()) {
        out.push_back(*e);
    }
    return out;
}

}  // namespace

TEST(round_trip_header_instruments_records) {
    const std::string path = scratch("round_trip.fmd");
    FmdWriter w = sample_writer();
    REQUIRE(w.write(path).ok());
    ReplayReader r;
    REQUIRE(r.open(path).ok());
    const FmdHeader& h = r.header();
    CHECK(std::memcmp(h.magic, "FUNDOSMD", 8) == 0);
    CHECK_EQ(h.version, FMD_VERSION);
    CHECK_EQ(h.record_count, 6u);
    CHECK_EQ(h.records_offset % 64, 0u);
    CHECK_EQ(h.first_time, 50u);
    CHECK_EQ(h.last_time, 200u);
    CHECK_EQ(h.kind_counts[0], 1u);
    CHECK_EQ(h.kind_counts[1], 1u);
    CHECK_EQ(h.kind_counts[2], 4u);
    REQUIRE(r.instruments().size() == 2);
    CHECK_EQ(std::string(r.instruments()[0].symbol), std::string("AAA"));
    CHECK_EQ(r.instruments()[0].instrument_id, 1u);
    CHECK_EQ(std::string(r.instruments()[1].symbol), std::string("ZZZ"));
    CHECK_EQ(r.instruments()[1].instrument_id, 2u);
    CHECK_EQ(r.instruments()[1].tick_size, TICK);
    CHECK(r.verify_checksum());
    CHECK_EQ(read_bytes(path).size(), h.records_offset + 6 * sizeof(EventRecord));
}

TEST(sort_order_and_tie_breaks) {
    const std::string path = scratch("order.fmd");
    FmdWriter w = sample_writer();
    REQUIRE(w.write(path).ok());
    ReplayReader r;
    REQUIRE(r.open(path).ok());
    const auto events = read_all(r);
    REQUIRE(events.size() == 6);
    // (time, source, instrument id, seq): 50/9/ZZZ; 100/0/AAA seq3, seq4; 100/0/ZZZ; 100/1/AAA; 200
    const std::int64_t expected_v0[] = {6, 4, 5, 3, 2, 1};
    const std::uint32_t expected_id[] = {2, 1, 1, 2, 1, 2};
    for (std::size_t i = 0; i < 6; ++i) {
        CHECK_EQ(events[i].v[0], expected_v0[i]);
        CHECK_EQ(events[i].instrument_id, expected_id[i]);
        if (i > 0) {
            CHECK(event_before(events[i - 1], events[i]));
        }
    }
    CHECK(r.next() == nullptr);
    r.rewind();
    CHECK_EQ(r.next()->v[0], 6);
}

TEST(same_input_gives_identical_bytes) {
    const std::string a = scratch("same_a.fmd");
    const std::string b = scratch("same_b.fmd");
    FmdWriter wa = sample_writer();
    FmdWriter wb = sample_writer();
    REQUIRE(wa.write(a).ok());
    REQUIRE(wb.write(b).ok());
    CHECK(read_bytes(a) == read_bytes(b));
}

TEST(empty_file_round_trips) {
    const std::string path = scratch("empty.fmd");
    FmdWriter w;
    REQUIRE(w.write(path).ok());
    ReplayReader r;
    REQUIRE(r.open(path).ok());
    CHECK_EQ(r.header().record_count, 0u);
    CHECK(r.next() == nullptr);
    CHECK(r.verify_checksum());
}

TEST(writer_rejects_bad_instruments) {
    FmdWriter w;
    std::uint32_t h = 0;
    CHECK(!w.add_instrument("", TICK, LOT, h).ok());
    CHECK(!w.add_instrument("SIXTEEN_CHARS_XX", TICK, LOT, h).ok());
    CHECK(!w.add_instrument("A B", TICK, LOT, h).ok());
    CHECK(!w.add_instrument("AAA", 0, LOT, h).ok());
    CHECK(w.add_instrument("AAA", TICK, LOT, h).ok());
    CHECK(!w.add_instrument("AAA", TICK * 2, LOT, h).ok());
}

TEST(reader_rejects_corrupt_and_truncated_files) {
    const std::string good = scratch("good.fmd");
    FmdWriter w = sample_writer();
    REQUIRE(w.write(good).ok());
    const std::string bytes = read_bytes(good);

    const std::string truncated = scratch("truncated.fmd");
    fundos::test::write_text(truncated, bytes.substr(0, bytes.size() - 10));
    ReplayReader r;
    const Status s = r.open(truncated);
    CHECK(!s.ok());
    CHECK(s.message().find("truncated.fmd") != std::string::npos);

    const std::string magic = scratch("magic.fmd");
    std::string bad_magic = bytes;
    bad_magic[0] = 'X';
    fundos::test::write_text(magic, bad_magic);
    CHECK(!r.open(magic).ok());

    const std::string flipped = scratch("flipped.fmd");
    std::string bad_record = bytes;
    bad_record[bad_record.size() - 1] ^= 0x01;
    fundos::test::write_text(flipped, bad_record);
    REQUIRE(r.open(flipped).ok());
    CHECK(!r.verify_checksum());

    CHECK(!r.open(scratch("does_not_exist.fmd")).ok());
}

TEST(merge_is_deterministic_and_ordered) {
    // File A: AAA and BBB; file B: BBB and CCC, overlapping times and identical keys.
    const std::string a = scratch("merge_a.fmd");
    const std::string b = scratch("merge_b.fmd");
    {
        FmdWriter w;
        std::uint32_t aaa = 0, bbb = 0;
        REQUIRE(w.add_instrument("AAA", TICK, LOT, aaa).ok());
        REQUIRE(w.add_instrument("BBB", TICK, LOT, bbb).ok());
        for (std::uint64_t t = 0; t < 50; ++t) {
            w.add(make_event(t * 10, 0, (t % 2) ? aaa : bbb, EventKind::TRADE, static_cast<std::int64_t>(1000 + t)));
        }
        REQUIRE(w.write(a).ok());
    }
    {
        FmdWriter w;
        std::uint32_t ccc = 0, bbb = 0;
        REQUIRE(w.add_instrument("CCC", TICK, LOT, ccc).ok());
        REQUIRE(w.add_instrument("BBB", TICK, LOT, bbb).ok());
        for (std::uint64_t t = 0; t < 40; ++t) {
            w.add(make_event(t * 15, 0, (t % 3) ? ccc : bbb, EventKind::QUOTE, static_cast<std::int64_t>(2000 + t)));
        }
        REQUIRE(w.write(b).ok());
    }
    auto run = [&](std::vector<std::pair<std::uint64_t, std::int64_t>>& out, std::vector<std::string>& symbols) {
        ReplayReader ra, rb;
        REQUIRE(ra.open(a).ok());
        REQUIRE(rb.open(b).ok());
        ReplayMerge m;
        REQUIRE(m.open({&ra, &rb}).ok());
        for (const auto& inst : m.instruments()) {
            symbols.emplace_back(inst.symbol);
        }
        EventRecord prev{};
        bool first = true;
        while (const EventRecord* e = m.next()) {
            if (!first) {
                CHECK(!event_before(*e, prev));
            }
            first = false;
            prev = *e;
            out.emplace_back(e->time, e->v[0] * 10 + e->instrument_id);
        }
    };
    std::vector<std::pair<std::uint64_t, std::int64_t>> one, two;
    std::vector<std::string> sym_one, sym_two;
    run(one, sym_one);
    run(two, sym_two);
    CHECK_EQ(one.size(), 90u);
    CHECK(one == two);
    REQUIRE(sym_one.size() == 3);
    CHECK_EQ(sym_one[0], std::string("AAA"));
    CHECK_EQ(sym_one[1], std::string("BBB"));
    CHECK_EQ(sym_one[2], std::string("CCC"));
    // t=0: file A (BBB, id 2) before file B (BBB, id 2) -- same key: file index decides.
    CHECK_EQ(one[0].second, 1000 * 10 + 2);
    CHECK_EQ(one[1].second, 2000 * 10 + 2);
}

TEST(merge_rejects_conflicting_instruments) {
    const std::string a = scratch("conflict_a.fmd");
    const std::string b = scratch("conflict_b.fmd");
    for (int i = 0; i < 2; ++i) {
        FmdWriter w;
        std::uint32_t h = 0;
        REQUIRE(w.add_instrument("AAA", TICK * (i + 1), LOT, h).ok());
        REQUIRE(w.write(i == 0 ? a : b).ok());
    }
    ReplayReader ra, rb;
    REQUIRE(ra.open(a).ok());
    REQUIRE(rb.open(b).ok());
    ReplayMerge m;
    CHECK(!m.open({&ra, &rb}).ok());
}

TEST(fixed_point_and_time_text) {
    CHECK_EQ(format_fixed(0, 6), std::string("0.000000"));
    CHECK_EQ(format_fixed(-1, 6), std::string("-0.000001"));
    CHECK_EQ(format_fixed(47'012'345'678, 8), std::string("470.12345678"));
    CHECK_EQ(format_fixed(INT64_MIN, 6), std::string("-9223372036854.775808"));
    CHECK_EQ(format_fixed(42, 0), std::string("42"));
    CHECK_EQ(format_fixed(123'450'000, 8, Zeros::kTrim), std::string("1.2345"));
    CHECK_EQ(format_fixed(5, 0, Zeros::kTrim), std::string("5"));
    CHECK_EQ(format_fixed(0, 6, Zeros::kTrim), std::string("0"));
    CHECK_EQ(format_fixed(1, 6, Zeros::kTrim), std::string("0.000001"));
    CHECK_EQ(format_fixed(-1'500'000, 6, Zeros::kTrim), std::string("-1.5"));
    CHECK_EQ(format_fixed(-2'000'000, 6, Zeros::kTrim), std::string("-2"));
    CHECK_EQ(format_fixed(INT64_MIN, 6, Zeros::kTrim), std::string("-9223372036854.775808"));
    for (const std::int64_t raw : {INT64_MIN, std::int64_t{-1}, std::int64_t{0}, std::int64_t{123'456'789}, INT64_MAX}) {
        for (const Zeros zeros : {Zeros::kKeep, Zeros::kTrim}) {
            CHECK(parse_fixed(format_fixed(raw, 6, zeros), 6) == raw);  // exact both ways
        }
    }
    const fundos::abi::Timestamp leap_day_end =
        static_cast<fundos::abi::Timestamp>(days_from_civil({2024, 2, 29})) * 86'400'000'000'000ULL +
        86'399'999'999'999ULL;
    CHECK_EQ(format_utc(0), std::string("1970-01-01T00:00:00.000000000Z"));
    CHECK_EQ(format_utc(leap_day_end), std::string("2024-02-29T23:59:59.999999999Z"));
    CHECK_EQ(format_utc(leap_day_end, TimeDigits::kSeconds), std::string("2024-02-29T23:59:59Z"));
    CHECK_EQ(format_utc(1'704'205'920'000'000'123ULL), std::string("2024-01-02T14:32:00.000000123Z"));
}

TEST(civil_days_and_weekdays) {
    CHECK_EQ(days_from_civil({1970, 1, 1}), 0);
    CHECK_EQ(days_from_civil({2000, 3, 1}), 11017);
    CHECK_EQ(weekday_from_days(days_from_civil({2013, 10, 7})), 1u);  // Monday
    CHECK_EQ(weekday_from_days(days_from_civil({1969, 12, 28})), 0u);  // Sunday, before the epoch
    const CivilDate d = civil_from_days(days_from_civil({2024, 2, 29}));
    CHECK_EQ(d.year, 2024);
    CHECK_EQ(d.month, 2u);
    CHECK_EQ(d.day, 29u);
    CHECK(!valid_date({2023, 2, 29}));
    CHECK(valid_date({2024, 2, 29}));
}

TEST(us_eastern_dst_on_known_dates) {
    constexpr std::int64_t H = 3600 * 1000;
    auto utc_s = [](CivilDate d, std::int64_t ms) { return *us_eastern_to_utc_ns(d, ms) / 1'000'000'000ULL; };
    // Change days: 2013-03-10 / 2013-11-03, 2024-03-10 / 2024-11-03; 2006: 04-02 / 10-29.
    CHECK_EQ(nth_sunday(2013, 3, 2), days_from_civil({2013, 3, 10}));
    CHECK_EQ(nth_sunday(2013, 11, 1), days_from_civil({2013, 11, 3}));
    CHECK_EQ(nth_sunday(2024, 3, 2), days_from_civil({2024, 3, 10}));
    CHECK_EQ(nth_sunday(2024, 11, 1), days_from_civil({2024, 11, 3}));
    CHECK_EQ(nth_sunday(2006, 10, 0), days_from_civil({2006, 10, 29}));
    // 2013-10-07 09:30 EDT = 13:30 UTC = 1381152600.
    CHECK_EQ(utc_s({2013, 10, 7}, 9 * H + 30 * 60 * 1000), 1381152600u);
    // 2013-11-04 09:30 EST = 14:30 UTC = 1383575400.
    CHECK_EQ(utc_s({2013, 11, 4}, 9 * H + 30 * 60 * 1000), 1383575400u);
    // 2024-01-02 09:30 EST = 14:30 UTC = 1704205800.
    CHECK_EQ(utc_s({2024, 1, 2}, 9 * H + 30 * 60 * 1000), 1704205800u);
    // Spring forward 2024-03-10: 01:59 EST = 06:59 UTC; 03:00 EDT = 07:00 UTC.
    CHECK_EQ(utc_s({2024, 3, 10}, H + 59 * 60 * 1000), 1710053940u);
    CHECK_EQ(utc_s({2024, 3, 10}, 3 * H), 1710054000u);
    // Fall back 2024-11-03: 01:30 is read as EDT (05:30 UTC); 02:00 is EST (07:00 UTC).
    CHECK_EQ(utc_s({2024, 11, 3}, H + 30 * 60 * 1000), 1730611800u);
    CHECK_EQ(utc_s({2024, 11, 3}, 2 * H), 1730617200u);
    // Old rule: 2006-04-02 03:00 EDT = 07:00 UTC; 2006-03-13 (2nd week of March) still EST.
    CHECK_EQ(utc_s({2006, 4, 2}, 3 * H), 1143961200u);
    CHECK(!us_eastern_is_dst({2006, 3, 13}, 12 * 3600));
    CHECK(us_eastern_is_dst({2007, 3, 13}, 12 * 3600));
    CHECK(!us_eastern_to_utc_ns({2013, 2, 30}, 0).has_value());
    CHECK(!us_eastern_to_utc_ns({1980, 1, 2}, 0).has_value());
}

TEST(decimals_parse_exactly) {
    CHECK_EQ(parse_fixed("101.25", 8).value_or(-1), 10125000000);
    CHECK_EQ(parse_fixed("100", 8).value_or(-1), 10000000000);
    CHECK_EQ(parse_fixed("0.5", 6).value_or(-1), 500000);
    CHECK_EQ(parse_fixed("-1.5", 6).value_or(-1), -1500000);
    CHECK_EQ(parse_fixed("1.1000000000", 8).value_or(-1), 110000000);  // trailing zeros past the precision
    CHECK(!parse_fixed("1.000000001", 8).has_value());
    CHECK(!parse_fixed("1e5", 8).has_value());
    CHECK(!parse_fixed("", 8).has_value());
    CHECK(!parse_fixed(".", 8).has_value());
    CHECK(!parse_fixed("1.2.3", 8).has_value());
    CHECK(!parse_fixed("99999999999999999999", 0).has_value());
    CHECK(!parse_fixed("100000000000", 8).has_value());  // 1e19 raw overflows i64
    CHECK(parse_fixed("-9223372036854.775808", 6) == INT64_MIN);
    CHECK(!parse_fixed("9223372036854.775808", 6).has_value());   // INT64_MAX + 1
    CHECK(!parse_fixed("-9223372036854.775809", 6).has_value());  // INT64_MIN - 1
    CHECK(!parse_u64("-1").has_value());
    CHECK_EQ(parse_u64("18446744073709551615").value_or(0), UINT64_MAX);
    CHECK(!parse_u64("18446744073709551616").has_value());
}

TEST(reader_releases_pages_behind_the_cursor) {
    // 100k records = 6.4 MB; with a 1 MiB release window the reader must drop pages ~6 times.
    const std::string path = scratch("release.fmd");
    {
        FmdWriter w;
        std::uint32_t h = 0;
        REQUIRE(w.add_instrument("AAA", TICK, LOT, h).ok());
        for (std::uint64_t t = 0; t < 100'000; ++t) {
            w.add(make_event(t, 0, h, EventKind::TRADE, static_cast<std::int64_t>(t)));
        }
        REQUIRE(w.write(path).ok());
    }
    ReplayReader r;
    REQUIRE(r.open(path, 1u << 20).ok());
    std::uint64_t n = 0;
    std::int64_t sum = 0;
    while (const EventRecord* e = r.next()) {
        sum += e->v[0];
        ++n;
    }
    CHECK_EQ(n, 100'000u);
    CHECK_EQ(sum, static_cast<std::int64_t>(99'999) * 100'000 / 2);
    CHECK(r.dontneed_calls() >= 5);
    CHECK(r.dontneed_calls() <= 7);
}

FUNDOS_TEST_MAIN
