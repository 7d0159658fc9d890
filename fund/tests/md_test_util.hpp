// Helpers shared by the market-data tests: a scratch folder under the build tree, whole-file
// reads and writes, and a small .fmd built from literal events.
#pragma once

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fundos/marketdata/fmd_writer.hpp"

namespace fundos::test {

inline std::string scratch(const std::string& name) {
    std::filesystem::create_directories(FUNDOS_TEST_TMP_DIR);
    return std::string(FUNDOS_TEST_TMP_DIR) + "/" + name;
}

inline std::string read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_text(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
}

inline bool lean_data_present() { return std::filesystem::is_directory(FUNDOS_LEAN_DATA_DIR); }

inline marketdata::EventRecord make_event(abi::Timestamp time, std::uint16_t source, std::uint32_t handle,
                                          marketdata::EventKind kind, std::int64_t v0) {
    marketdata::EventRecord e{};
    e.time = time;
    e.source = source;
    e.instrument_id = handle;
    e.kind = kind;
    e.v[0] = v0;
    return e;
}

}  // namespace fundos::test
