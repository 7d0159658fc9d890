// Private to the importers: lines of a text file, or of a child process's stdout (`unzip -p`
// spawned with posix_spawnp, argv only, no shell). RAII: the destructor closes the stream and
// reaps the child; finish() reports the child's exit status.
#pragma once

#include <sys/types.h>

#include <cstdio>
#include <string>
#include <vector>

#include "fundos/marketdata/status.hpp"

namespace fundos::marketdata::detail {

class LineReader {
public:
    LineReader() = default;
    ~LineReader();
    LineReader(const LineReader&) = delete;
    LineReader& operator=(const LineReader&) = delete;

    Status open_file(const std::string& path);
    Status open_command(const std::vector<std::string>& argv);

    /// Next line without its '\n' (and '\r'); false at end of input or on a read error.
    bool next(std::string& line);
    /// Close; for a command, an error unless it exited with status 0. Also reports read errors.
    Status finish();

private:
    std::FILE* file_ = nullptr;
    pid_t child_ = -1;
    std::string what_;
    char* buffer_ = nullptr;
    std::size_t capacity_ = 0;
};

}  // namespace fundos::marketdata::detail
