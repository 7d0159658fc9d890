// fundos-data as a user runs it: exit statuses, byte-identical synth output, info, and no output
// file after a failed import.
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "check.hpp"
#include "md_test_util.hpp"

using fundos::test::read_bytes;
using fundos::test::scratch;

namespace {

int run(const std::string& args) {
    const std::string command = std::string(FUNDOS_DATA_TOOL) + " " + args + " >/dev/null 2>&1";
    const int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST(usage_errors_exit_2) {
    CHECK_EQ(run(""), 2);
    CHECK_EQ(run("frobnicate"), 2);
    CHECK_EQ(run("synth"), 2);
    CHECK_EQ(run("synth --out x.fmd --symbols many"), 2);
    CHECK_EQ(run("synth --out x.fmd --bogus 1"), 2);
    CHECK_EQ(run("import-csv --out x.fmd"), 2);
    CHECK_EQ(run("info"), 2);
    CHECK_EQ(run("--help"), 0);
}

TEST(synth_twice_is_byte_identical_and_info_checks_it) {
    const std::string a = scratch("cli_a.fmd");
    const std::string b = scratch("cli_b.fmd");
    REQUIRE(run("synth --out " + a + " --symbols 3 --days 2 --seed 11") == 0);
    REQUIRE(run("synth --out " + b + " --symbols 3 --days 2 --seed 11") == 0);
    CHECK(read_bytes(a) == read_bytes(b));
    CHECK_EQ(run("info " + a), 0);
    std::string bytes = read_bytes(a);
    bytes[bytes.size() - 3] ^= 0x10;
    const std::string bad = scratch("cli_bad.fmd");
    fundos::test::write_text(bad, bytes);
    CHECK_EQ(run("info " + bad), 1);
    CHECK_EQ(run("info " + scratch("cli_missing.fmd")), 1);
}

TEST(failed_import_writes_nothing) {
    const std::string csv = scratch("cli_bad.csv");
    const std::string out = scratch("cli_never.fmd");
    std::filesystem::remove(out);
    fundos::test::write_text(csv, "time_ns,symbol,kind,price,size,bid,ask,bid_size,ask_size,open,high,low,close,volume\n"
                                  "1,SPY,TRADE,oops,1,,,,,,,,,\n");
    CHECK_EQ(run("import-csv --out " + out + " " + csv), 1);
    CHECK(!std::filesystem::exists(out));
    for (const auto& entry : std::filesystem::directory_iterator(FUNDOS_TEST_TMP_DIR)) {
        CHECK(entry.path().string().find(".tmp.") == std::string::npos);
    }
}

FUNDOS_TEST_MAIN
