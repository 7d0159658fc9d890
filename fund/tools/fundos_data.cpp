// fundos-data: make, import and inspect FundOS market-data files (.fmd). See usage() below, or
// run `fundos-data --help`. Exit status: 0 success, 1 bad input or I/O error (nothing written),
// 2 usage error.
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "fundos/marketdata/civil_time.hpp"
#include "fundos/marketdata/csv_import.hpp"
#include "fundos/marketdata/decimal.hpp"
#include "fundos/marketdata/fmd_writer.hpp"
#include "fundos/marketdata/lean_import.hpp"
#include "fundos/marketdata/replay_reader.hpp"
#include "fundos/marketdata/synth.hpp"

namespace md = fundos::marketdata;

namespace {

constexpr const char* USAGE = R"(NAME
    fundos-data - make, import and inspect FundOS market-data files (.fmd)

SYNOPSIS
    fundos-data synth --out FILE [--symbols N] [--days D] [--seed S]
    fundos-data import-lean --out FILE PATH...
    fundos-data import-csv --out FILE CSV
    fundos-data info FILE
    fundos-data --help

DESCRIPTION
    An .fmd file holds bars, quotes and trades of several instruments as fixed 64-byte records
    sorted by (time, source, instrument, sequence), after a header and an instrument table.
    Replay memory-maps it and streams it. Prices are 1e-8, quantities 1e-6 units, times UTC
    nanoseconds since the epoch. The layout is documented in
    fund/include/fundos/marketdata/fmd_format.hpp.

    Output files are written to FILE.tmp.PID and renamed onto FILE only when complete; on any
    error nothing is written. The same inputs always give byte-identical files.

COMMANDS
    synth
        A deterministic sample: N symbols (SYN001..) of one-minute bars and quotes over D
        regular US equity sessions from 2024-01-02 (09:30-16:00 US/Eastern, weekdays), a random
        walk with per-symbol volatility, spread and U-shaped volume, from seed S.
        Defaults: --symbols 4, --days 5, --seed 1.

    import-lean
        QuantConnect LEAN equity zips: minute/SYM/YYYYMMDD_trade.zip (bars),
        minute/SYM/YYYYMMDD_quote.zip (quotes at each bar's end) and tick/SYM/YYYYMMDD_trade.zip
        (trades). A PATH may be a folder, searched recursively. Needs unzip(1).
        US/Eastern times are converted with the US daylight-saving rules built in.

    import-csv
        A CSV with the header
            time_ns,symbol,kind,price,size,bid,ask,bid_size,ask_size,open,high,low,close,volume
        kind is BAR, QUOTE or TRADE; only that kind's fields are filled (TRADE: price, size;
        QUOTE: bid, ask, bid_size, ask_size; BAR: open, high, low, close, volume, with time_ns
        the bar's end). Decimals are exact: up to 8 fractional digits for prices, 6 for sizes.

    info
        Prints the header, the instrument table, counts per kind, first and last time, and
        whether the checksum of the records matches (exit 1 if not).

EXIT STATUS
    0 success; 1 bad input, unreadable or corrupt file, write error; 2 usage error.

EXAMPLES
    fundos-data synth --out sample.fmd --symbols 8 --days 20 --seed 42
    fundos-data import-lean --out spy.fmd ../shared/data/lean/equity/usa/minute/spy
    fundos-data info sample.fmd
)";

int usage_error(const std::string& message) {
    std::fprintf(stderr, "fundos-data: %s\nTry 'fundos-data --help'.\n", message.c_str());
    return 2;
}

int fail(const md::Status& status) {
    std::fprintf(stderr, "fundos-data: %s\n", status.message().c_str());
    return 1;
}

struct Args {
    std::string out;
    std::vector<std::string> positional;
    std::vector<std::pair<std::string, std::string>> options;  // other --name value pairs
};

// Parses "--out FILE" and the names in `allowed` (each taking a value); returns "" or an error.
std::string parse_args(int argc, char** argv, const std::vector<std::string>& allowed, Args& args) {
    for (int i = 2; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--") {
            for (++i; i < argc; ++i) {
                args.positional.emplace_back(argv[i]);
            }
            break;
        }
        if (a.starts_with("--")) {
            const bool known = a == "--out" || std::find(allowed.begin(), allowed.end(), a) != allowed.end();
            if (!known) {
                return "unknown option " + a;
            }
            if (i + 1 >= argc) {
                return a + " needs a value";
            }
            if (a == "--out") {
                args.out = argv[++i];
            } else {
                args.options.emplace_back(a, argv[++i]);
            }
        } else {
            args.positional.push_back(a);
        }
    }
    return "";
}

int cmd_synth(int argc, char** argv) {
    Args args;
    if (std::string e = parse_args(argc, argv, {"--symbols", "--days", "--seed"}, args); !e.empty()) {
        return usage_error("synth: " + e);
    }
    if (args.out.empty() || !args.positional.empty()) {
        return usage_error("synth: needs --out FILE and no other arguments");
    }
    md::SynthOptions options;
    for (const auto& [name, value] : args.options) {
        const auto v = md::parse_u64(value);
        if (!v) {
            return usage_error("synth: " + name + " must be an unsigned integer");
        }
        if (name == "--seed") {
            options.seed = *v;
        } else if (*v > 100000) {
            return usage_error("synth: " + name + " is too large");
        } else if (name == "--symbols") {
            options.symbols = static_cast<std::uint32_t>(*v);
        } else {
            options.days = static_cast<std::uint32_t>(*v);
        }
    }
    if (options.symbols < 1 || options.symbols > 999 || options.days < 1 || options.days > 10000) {
        return usage_error("synth: --symbols must be 1..999 and --days 1..10000");
    }
    md::FmdWriter writer;
    if (md::Status s = md::synthesize(options, writer); !s.ok()) {
        return fail(s);
    }
    const std::size_t events = writer.event_count();
    if (md::Status s = writer.write(args.out); !s.ok()) {
        return fail(s);
    }
    std::printf("%s: %zu events, %u symbols, %u days, seed %" PRIu64 "\n", args.out.c_str(), events, options.symbols,
                options.days, options.seed);
    return 0;
}

int cmd_import_lean(int argc, char** argv) {
    Args args;
    if (std::string e = parse_args(argc, argv, {}, args); !e.empty()) {
        return usage_error("import-lean: " + e);
    }
    if (args.out.empty() || args.positional.empty()) {
        return usage_error("import-lean: needs --out FILE and at least one PATH");
    }
    md::FmdWriter writer;
    std::size_t files = 0;
    if (md::Status s = md::import_lean(args.positional, writer, &files); !s.ok()) {
        return fail(s);
    }
    const std::size_t events = writer.event_count();
    if (md::Status s = writer.write(args.out); !s.ok()) {
        return fail(s);
    }
    std::printf("%s: %zu events from %zu LEAN files\n", args.out.c_str(), events, files);
    return 0;
}

int cmd_import_csv(int argc, char** argv) {
    Args args;
    if (std::string e = parse_args(argc, argv, {}, args); !e.empty()) {
        return usage_error("import-csv: " + e);
    }
    if (args.out.empty() || args.positional.size() != 1) {
        return usage_error("import-csv: needs --out FILE and one CSV");
    }
    md::FmdWriter writer;
    if (md::Status s = md::import_csv(args.positional[0], 0, writer); !s.ok()) {
        return fail(s);
    }
    const std::size_t events = writer.event_count();
    if (md::Status s = writer.write(args.out); !s.ok()) {
        return fail(s);
    }
    std::printf("%s: %zu events from %s\n", args.out.c_str(), events, args.positional[0].c_str());
    return 0;
}

int cmd_info(int argc, char** argv) {
    if (argc != 3) {
        return usage_error("info: needs exactly one FILE");
    }
    md::ReplayReader reader;
    if (md::Status s = reader.open(argv[2]); !s.ok()) {
        return fail(s);
    }
    const md::FmdHeader& h = reader.header();
    std::printf("file              %s\n", argv[2]);
    std::printf("format version    %u (header %u B, instrument %u B, record %u B)\n", h.version, h.header_size,
                h.instrument_size, h.record_size);
    std::printf("instruments       %u at offset %" PRIu64 "\n", h.instrument_count, h.instrument_offset);
    std::printf("records           %" PRIu64 " at offset %" PRIu64 "\n", h.record_count, h.records_offset);
    std::printf("  BAR             %" PRIu64 "\n", h.kind_counts[0]);
    std::printf("  QUOTE           %" PRIu64 "\n", h.kind_counts[1]);
    std::printf("  TRADE           %" PRIu64 "\n", h.kind_counts[2]);
    std::printf("first time        %s (%" PRIu64 ")\n", md::format_utc(h.first_time).c_str(), h.first_time);
    std::printf("last time         %s (%" PRIu64 ")\n", md::format_utc(h.last_time).c_str(), h.last_time);
    const bool ok = reader.verify_checksum();
    std::printf("checksum          0x%016" PRIx64 " %s\n", h.checksum, ok ? "ok" : "MISMATCH");
    std::printf("\n  id  symbol           tick_size     lot_size\n");
    for (const md::InstrumentRecord& r : reader.instruments()) {
        std::printf("%4u  %-15.16s  %-12s  %s\n", r.instrument_id, r.symbol, md::format_fixed(r.tick_size, 8).c_str(),
                    md::format_fixed(r.lot_size, 6).c_str());
    }
    return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        return usage_error("missing command");
    }
    const std::string command = argv[1];
    if (command == "--help" || command == "-h" || command == "help") {
        std::fputs(USAGE, stdout);
        return 0;
    }
    if (command == "synth") {
        return cmd_synth(argc, argv);
    }
    if (command == "import-lean") {
        return cmd_import_lean(argc, argv);
    }
    if (command == "import-csv") {
        return cmd_import_csv(argc, argv);
    }
    if (command == "info") {
        return cmd_info(argc, argv);
    }
    return usage_error("unknown command '" + command + "'");
}
