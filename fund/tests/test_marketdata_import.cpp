// Importers and the synthesiser: CSV (good input, errors naming file and line, nothing added on
// error), LEAN minute bars/quotes/ticks from ../shared/data/lean (skipped when absent), and synth
// determinism.
#include <cstdio>
#include <string>

#include "check.hpp"
#include "fundos/marketdata/csv_import.hpp"
#include "fundos/marketdata/lean_import.hpp"
#include "fundos/marketdata/replay_reader.hpp"
#include "fundos/marketdata/synth.hpp"
#include "md_test_util.hpp"

using namespace fundos::marketdata;
using fundos::test::read_bytes;
using fundos::test::scratch;
using fundos::test::write_text;

namespace {

const std::string HEADER = std::string(CSV_HEADER) + "\n";

Status import_text(const std::string& name, const std::string& text, FmdWriter& w) {
    const std::string path = scratch(name);
    write_text(path, text);
    return import_csv(path, 0, w);
}

std::size_t count_lines_of_zip(const std::string& path) {
    const std::string command = "unzip -p '" + path + "'";
    std::FILE* p = popen(command.c_str(), "r");
    if (p == nullptr) {
        return 0;
    }
    std::size_t lines = 0;
    int last = '\n';
    for (int c; (c = std::fgetc(p)) != EOF; last = c) {
        lines += c == '\n';
    }
    lines += last != '\n';
    pclose(p);
    return lines;
}

const std::string LEAN_MINUTE = std::string(FUNDOS_LEAN_DATA_DIR) + "/equity/usa/minute";

}  // namespace

TEST(csv_imports_every_kind) {
    FmdWriter w;
    REQUIRE(import_text("good.csv",
                        HEADER + "2000,SPY,TRADE,101.25,100,,,,,,,,,\r\n"
                                 "\n"
                                 "1000,SPY,QUOTE,,,101.24,101.26,300,400.5,,,,,\n"
                                 "1000,AAPL,BAR,,,,,,,170,171.5,169.99,171,12345\n",
                        w)
                .ok());
    const std::string path = scratch("good.fmd");
    REQUIRE(w.write(path).ok());
    ReplayReader r;
    REQUIRE(r.open(path).ok());
    REQUIRE(r.header().record_count == 3);
    const EventRecord* e = r.next();  // 1000 AAPL (id 1) before 1000 SPY (id 2)
    CHECK(e->kind == EventKind::BAR);
    CHECK_EQ(e->instrument_id, 1u);
    CHECK_EQ(e->v[bar::LOW], 16999000000);
    CHECK_EQ(e->v[bar::VOLUME], 12345000000);
    e = r.next();
    CHECK(e->kind == EventKind::QUOTE);
    CHECK_EQ(e->v[quote::ASK], 10126000000);
    CHECK_EQ(e->v[quote::ASK_SIZE], 400500000);
    e = r.next();
    CHECK(e->kind == EventKind::TRADE);
    CHECK_EQ(e->time, 2000u);
    CHECK_EQ(e->v[trade::PRICE], 10125000000);
    CHECK_EQ(e->v[trade::SIZE], 100000000);
}

TEST(csv_errors_name_file_and_line) {
    struct Case {
        std::string body;
        std::string expected;  // substring of the message
    };
    const Case cases[] = {
        {"1,SPY,TRADE,1,1,,,,,,,,,\n2,SPY,TRADE,1,1,,,,,,,,\n", "bad.csv:3: expected 14"},
        {"x,SPY,TRADE,1,1,,,,,,,,,\n", "bad.csv:2: time_ns 'x'"},
        {"1,SPY,TRADE,1,1,,,,,,,,,\n1,SPY,FOO,1,1,,,,,,,,,\n", "bad.csv:3: kind 'FOO'"},
        {"1,SPY,TRADE,1.000000001,1,,,,,,,,,\n", "bad.csv:2: price '1.000000001'"},
        {"1,SPY,TRADE,1,1,5,,,,,,,,\n", "bad.csv:2: bid must be empty"},
        {"1,SPY,TRADE,-1,1,,,,,,,,,\n", "bad.csv:2: price must be positive"},
        {"1,SPY,QUOTE,,,1,,1,1,,,,,\n", "bad.csv:2: ask ''"},
        {"1,SPY,BAR,,,,,,,10,9,8,11,1\n", "bad.csv:2: bar needs"},
        {"1,WAY_TOO_LONG_SYMBOL,TRADE,1,1,,,,,,,,,\n", "bad.csv:2: symbol"},
    };
    for (const Case& c : cases) {
        FmdWriter w;
        const Status s = import_text("bad.csv", HEADER + c.body, w);
        CHECK(!s.ok());
        if (s.message().find(c.expected) == std::string::npos) {
            std::fprintf(stderr, "  got: %s\n  expected: %s\n", s.message().c_str(), c.expected.c_str());
            CHECK(false);
        }
        CHECK_EQ(w.event_count(), 0u);  // nothing added on error
    }
    FmdWriter w;
    const Status s = import_text("bad.csv", "time,symbol\n", w);
    CHECK(s.message().find("bad.csv:1: bad header") != std::string::npos);
    CHECK(!import_csv(scratch("missing.csv"), 0, w).ok());
}

TEST(lean_spy_minute_bars_of_one_day) {
    if (!fundos::test::lean_data_present()) {
        std::printf("skip: %s absent\n", FUNDOS_LEAN_DATA_DIR);
        return;
    }
    const std::string zip = LEAN_MINUTE + "/spy/20131007_trade.zip";
    FmdWriter w;
    REQUIRE(import_lean_file(zip, 0, w).ok());
    const std::string path = scratch("spy_20131007.fmd");
    REQUIRE(w.write(path).ok());
    ReplayReader r;
    REQUIRE(r.open(path).ok());
    const std::size_t rows = count_lines_of_zip(zip);
    CHECK(rows > 300);
    CHECK_EQ(r.header().record_count, rows);
    CHECK_EQ(r.header().kind_counts[0], rows);
    REQUIRE(r.instruments().size() == 1);
    CHECK_EQ(std::string(r.instruments()[0].symbol), std::string("SPY"));
    // First row: 14400000,1674100,1674100,1672500,1672700,3197 -- the bar 04:00-04:01 EDT.
    const EventRecord* e = r.next();
    REQUIRE(e != nullptr);
    CHECK_EQ(e->time, 1381132860ULL * 1'000'000'000ULL);  // 2013-10-07T08:01:00Z
    CHECK_EQ(e->period_s, 60u);
    CHECK_EQ(e->v[bar::OPEN], 16741000000);
    CHECK_EQ(e->v[bar::HIGH], 16741000000);
    CHECK_EQ(e->v[bar::LOW], 16725000000);
    CHECK_EQ(e->v[bar::CLOSE], 16727000000);
    CHECK_EQ(e->v[bar::VOLUME], 3197000000);
    CHECK(r.verify_checksum());
}

TEST(lean_folder_import_bars_and_quotes_is_deterministic) {
    if (!fundos::test::lean_data_present()) {
        std::printf("skip: %s absent\n", FUNDOS_LEAN_DATA_DIR);
        return;
    }
    const std::string a = scratch("lean_a.fmd");
    const std::string b = scratch("lean_b.fmd");
    for (const std::string& out : {a, b}) {
        FmdWriter w;
        std::size_t files = 0;
        // Folders in a different order each time: the file list is sorted before import.
        const std::vector<std::string> paths = out == a
            ? std::vector<std::string>{LEAN_MINUTE + "/spy", LEAN_MINUTE + "/ibm"}
            : std::vector<std::string>{LEAN_MINUTE + "/ibm", LEAN_MINUTE + "/spy"};
        REQUIRE(import_lean(paths, w, &files).ok());
        CHECK_EQ(files, 24u);
        REQUIRE(w.write(out).ok());
    }
    CHECK(read_bytes(a) == read_bytes(b));
    ReplayReader r;
    REQUIRE(r.open(a).ok());
    CHECK_EQ(r.instruments().size(), 2u);
    CHECK(r.header().kind_counts[0] > 0);
    CHECK(r.header().kind_counts[1] > 0);  // quote and trade files differ in row count
    // Quotes: bid <= ask for almost all minutes.
    std::uint64_t quotes = 0, crossed = 0;
    while (const EventRecord* e = r.next()) {
        if (e->kind == EventKind::QUOTE) {
            ++quotes;
            crossed += e->v[quote::BID] > e->v[quote::ASK];
        }
    }
    CHECK(crossed * 100 < quotes);
}

TEST(lean_errors_name_the_file) {
    FmdWriter w;
    Status s = import_lean_file("/nonexistent/minute/spy/20131007_trade.zip", 0, w);
    CHECK(!s.ok());
    CHECK(s.message().find("/nonexistent/minute/spy/20131007_trade.zip") != std::string::npos);
    s = import_lean_file(scratch("not_lean.zip"), 0, w);
    CHECK(s.message().find("not a LEAN") != std::string::npos);
    // A zip that is not a zip: unzip fails, the error names the file.
    const std::string dir = scratch("minute/spy");
    std::filesystem::create_directories(dir);
    write_text(dir + "/20131007_trade.zip", "not a zip");
    s = import_lean_file(dir + "/20131007_trade.zip", 0, w);
    CHECK(!s.ok());
    CHECK(s.message().find("20131007_trade.zip") != std::string::npos);
    CHECK_EQ(w.event_count(), 0u);
}

TEST(synth_is_deterministic_per_seed) {
    auto make = [](std::uint64_t seed, const std::string& name) {
        FmdWriter w;
        const Status s = synthesize({3, 2, seed}, w);
        CHECK(s.ok());
        const std::string path = scratch(name);
        CHECK(w.write(path).ok());
        return read_bytes(path);
    };
    const std::string a = make(7, "synth_a.fmd");
    const std::string b = make(7, "synth_b.fmd");
    const std::string c = make(8, "synth_c.fmd");
    CHECK(a == b);
    CHECK(a != c);
    ReplayReader r;
    REQUIRE(r.open(scratch("synth_a.fmd")).ok());
    CHECK_EQ(r.header().record_count, 3u * 2 * 390 * 2);
    CHECK_EQ(r.header().kind_counts[0], 3u * 2 * 390);
    // 2024-01-02 09:31 EST = 14:31 UTC is the first bar's end.
    CHECK_EQ(r.header().first_time, 1704205860ULL * 1'000'000'000ULL);
    while (const EventRecord* e = r.next()) {
        if (e->kind == EventKind::BAR) {
            CHECK(e->v[bar::LOW] <= e->v[bar::OPEN] && e->v[bar::OPEN] <= e->v[bar::HIGH]);
            CHECK(e->v[bar::LOW] <= e->v[bar::CLOSE] && e->v[bar::CLOSE] <= e->v[bar::HIGH]);
            CHECK(e->v[bar::VOLUME] > 0 && e->v[bar::LOW] % 1'000'000 == 0);
        } else {
            CHECK(e->v[quote::BID] < e->v[quote::ASK]);
        }
    }
    FmdWriter w;
    CHECK(!synthesize({0, 1, 1}, w).ok());
}

FUNDOS_TEST_MAIN
