#include "fundos/runtime/equity_recorder.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <exception>
#include <filesystem>

#include "fundos/marketdata/civil_time.hpp"

namespace fundos::runtime {
namespace {

constexpr double kTradingDaysPerYear = 252.0;  // run_report.hpp SPEC: periods_per_year
constexpr std::uint64_t kNsPerSecond = 1'000'000'000ULL;
constexpr auto kSecondsPerDay = static_cast<std::uint64_t>(marketdata::SECONDS_PER_DAY);
constexpr std::uint64_t kNsPerDay = kSecondsPerDay * kNsPerSecond;
/// "2024-01-02T14:31:00.000000123Z": a u64 of nanoseconds stays within the years 1970..2554.
constexpr std::size_t kTimeChars = 30;
/// "-9223372036854.775808": the longest Money text (INT64_MIN).
constexpr std::size_t kMoneyChars = 21;

/// Writes all of `data`; false with errno set on failure.
bool write_all(int fd, const char* data, std::size_t size) noexcept {
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return false;
        }
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

char* put_2(char* out, unsigned v) noexcept {
    out[0] = static_cast<char>('0' + v / 10 % 10);
    out[1] = static_cast<char>('0' + v % 10);
    return out + 2;
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// Figures

void EquityFigures::add(const engine::EquityPoint& point) noexcept {
    const abi::Money previous = points == 0 ? capital : last.equity;
    if (previous > 0) {
        // Welford's update: no sum of squares of large numbers to cancel, and one pass. The
        // result may differ from a two-pass mean/sd in the last bits only.
        // The difference in 128 bits: the same double as in 64 whenever that does not overflow.
        const auto change = static_cast<__int128>(point.equity) - previous;
        const double r = static_cast<double>(change) / static_cast<double>(previous);
        ++returns;
        const double delta = r - return_mean;
        return_mean += delta / static_cast<double>(returns);
        return_m2 += delta * (r - return_mean);
    }
    peak = std::max(peak, point.equity);
    // peak >= E_t, so the fall is >= 0; it exceeds the Money range only for absurd equities
    // (a negative one near INT64_MIN), where it saturates rather than overflows.
    const __int128 fall = static_cast<__int128>(peak) - point.equity;
    max_drawdown_amount = std::max(max_drawdown_amount, static_cast<abi::Money>(std::min<__int128>(fall, INT64_MAX)));
    if (peak > 0) {
        max_drawdown = std::max(max_drawdown, static_cast<double>(fall) / static_cast<double>(peak));
    }
    last = point;
    ++points;
}

std::optional<double> EquityFigures::sharpe(std::optional<double> periods_per_year) const noexcept {
    if (returns < 2 || !periods_per_year) {
        return std::nullopt;
    }
    const double sd = std::sqrt(return_m2 / static_cast<double>(returns - 1));
    if (!(sd > 0.0)) {
        return std::nullopt;
    }
    return return_mean / sd * std::sqrt(*periods_per_year);
}

EquitySummary::EquitySummary(const engine::FundConfig& config) {
    scopes_.reserve(1 + config.agents.size());
    scopes_.emplace_back(config.capital);
    for (const engine::AgentConfig& agent : config.agents) {
        scopes_.emplace_back(agent.capital);
    }
}

void EquitySummary::add(std::span<const engine::EquityPoint> fund_then_agents) noexcept {
    const std::size_t n = std::min(fund_then_agents.size(), scopes_.size());
    for (std::size_t i = 0; i < n; ++i) {
        scopes_[i].add(fund_then_agents[i]);
    }
    if (n == 0) {
        return;
    }
    // Steps come in non-decreasing time, so a day seen before is the current one: counting the
    // changes counts the distinct days without remembering them.
    const std::uint64_t day = fund_then_agents[0].time / kNsPerDay;
    if (scopes_[0].points == 1 || day != last_day_) {
        ++days_;
        last_day_ = day;
    }
}

std::optional<double> EquitySummary::periods_per_year() const noexcept {
    if (scopes_.empty() || scopes_[0].points == 0 || days_ == 0) {
        return std::nullopt;
    }
    return kTradingDaysPerYear * static_cast<double>(scopes_[0].points) / static_cast<double>(days_);
}

// ------------------------------------------------------------------------------------------------
// Recorder

EquityRecorder::~EquityRecorder() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
    if (opened_ && !finished_ && !temp_path_.empty()) {
        ::unlink(temp_path_.c_str());  // an unfinished run's rows are no output
    }
}

Status EquityRecorder::open(const std::string& run_dir, const engine::FundConfig& config) {
    if (opened_) {
        return Status::error("equity.csv: the recorder is already open");
    }
    opened_ = true;
    try {
        summary_ = EquitySummary(config);
        columns_ = 1 + config.agents.size();
        max_row_ = kTimeChars + columns_ * (1 + kMoneyChars) + 1;
        std::string header = "time,fund";
        for (const engine::AgentConfig& agent : config.agents) {
            header += ',';
            header += agent.name;
        }
        header += '\n';
        // Room for the header and at least one row; with a full buffer, record() writes first.
        buffer_.assign(std::max(kBufferBytes, header.size() + max_row_), '\0');
        pending_.assign(kPendingSteps * columns_, engine::EquityPoint{});
        pending_counts_.assign(kPendingSteps, 0);
        std::memcpy(buffer_.data(), header.data(), header.size());
        used_ = header.size();
        const std::filesystem::path dir(run_dir);
        temp_path_ = (dir / "equity.csv.tmp").string();
        final_path_ = (dir / "equity.csv").string();
    } catch (const std::exception& ex) {
        status_ = Status::error(run_dir + ": equity.csv: " + ex.what());
        return status_;
    }
    fd_ = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) {
        status_ = Status::error(temp_path_ + ": cannot create: " + std::strerror(errno));
    }
    return status_;
}

void EquityRecorder::record(std::span<const engine::EquityPoint> fund_then_agents) noexcept {
    if (!opened_ || finished_ || pending_counts_.empty()) {  // (empty: open() ran out of memory)
        return;
    }
    if (pending_steps_ == kPendingSteps) {
        (void)catch_up(kPendingSteps);
    }
    const std::size_t n = std::min(fund_then_agents.size(), columns_);
    std::copy_n(fund_then_agents.begin(), n, pending_.begin() + static_cast<std::ptrdiff_t>(pending_steps_ * columns_));
    pending_counts_[pending_steps_++] = n;
}

bool EquityRecorder::catch_up(std::size_t max_steps) noexcept {
    for (std::size_t done = 0; pending_head_ < pending_steps_ && done < max_steps; ++done, ++pending_head_) {
        const auto first = pending_.begin() + static_cast<std::ptrdiff_t>(pending_head_ * columns_);
        add_row(std::span<const engine::EquityPoint>(first, first + static_cast<std::ptrdiff_t>(pending_counts_[pending_head_])));
    }
    if (pending_head_ < pending_steps_) {
        return true;
    }
    pending_head_ = pending_steps_ = 0;
    return false;
}

void EquityRecorder::add_row(std::span<const engine::EquityPoint> fund_then_agents) noexcept {
    summary_.add(fund_then_agents);
    if (fd_ < 0 || fund_then_agents.empty()) {
        return;  // failed: the figures go on, the file is lost anyway
    }
    if (used_ + max_row_ > buffer_.size()) {
        flush();
        if (fd_ < 0) {
            return;
        }
    }
    append_time(fund_then_agents[0].time);
    for (std::size_t c = 0; c < columns_; ++c) {
        buffer_[used_++] = ',';
        if (c < fund_then_agents.size()) {
            append_money(fund_then_agents[c].equity);
        }
    }
    buffer_[used_++] = '\n';
}

Status EquityRecorder::finish() {
    if (!opened_) {
        return Status::error("equity.csv: the recorder was never opened");
    }
    if (finished_) {
        return status_;
    }
    (void)catch_up(kPendingSteps);
    flush();
    finished_ = true;
    if (fd_ < 0) {
        ::unlink(temp_path_.c_str());
        return status_.ok() ? Status::error(temp_path_ + ": write failed") : status_;
    }
    const auto fail_with = [this](const char* what) {
        const int err = errno;
        if (fd_ >= 0) {
            ::close(fd_);
            fd_ = -1;
        }
        ::unlink(temp_path_.c_str());
        status_ = Status::error(temp_path_ + ": " + what + ": " + std::strerror(err));
        return status_;
    };
    if (::fsync(fd_) != 0) {
        return fail_with("fsync failed");
    }
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) {
        return fail_with("close failed");
    }
    if (::rename(temp_path_.c_str(), final_path_.c_str()) != 0) {
        return fail_with("rename failed");
    }
    // (Not `folder = "."` after the fact: GCC 12 -Wrestrict false positive, PR 105651.)
    const std::filesystem::path parent = std::filesystem::path(final_path_).parent_path();
    const std::string folder = parent.empty() ? std::string(".") : parent.string();
    const int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
        (void)::fsync(dir);  // best effort, as write_file_atomic: the data itself is durable
        ::close(dir);
    }
    return {};
}

std::size_t EquityRecorder::heap_bytes() const noexcept {
    return buffer_.capacity() + summary_.scopes().size() * sizeof(EquityFigures) +
           pending_.capacity() * sizeof(engine::EquityPoint) + pending_counts_.capacity() * sizeof(std::size_t);
}

void EquityRecorder::flush() noexcept {
    if (fd_ < 0 || used_ == 0) {
        used_ = 0;
        return;
    }
    if (!write_all(fd_, buffer_.data(), used_)) {
        const int err = errno;
        ::close(fd_);
        fd_ = -1;
        try {
            status_ = Status::error(temp_path_ + ": write failed: " + std::strerror(err));
        } catch (...) {  // out of memory for the message: finish() still reports a failure
        }
    }
    used_ = 0;
}

void EquityRecorder::append_money(abi::Money value) noexcept {
    // marketdata::format_fixed(value, MONEY_DECIMALS) without its std::string: this runs for
    // every scope of every step (test_runtime_report.cpp checks they agree).
    const bool negative = value < 0;
    const std::uint64_t magnitude =
        negative ? static_cast<std::uint64_t>(-(value + 1)) + 1 : static_cast<std::uint64_t>(value);
    constexpr std::uint64_t kScale = 1'000'000;
    static_assert(abi::MONEY_DECIMALS == 6);
    std::uint64_t whole = magnitude / kScale;
    std::uint64_t fraction = magnitude % kScale;
    char* out = buffer_.data() + used_;
    if (negative) {
        *out++ = '-';
    }
    char digits[20];
    std::size_t k = 0;
    do {
        digits[k++] = static_cast<char>('0' + whole % 10);
        whole /= 10;
    } while (whole != 0);
    while (k > 0) {
        *out++ = digits[--k];
    }
    *out++ = '.';
    for (int i = 5; i >= 0; --i) {
        out[i] = static_cast<char>('0' + fraction % 10);
        fraction /= 10;
    }
    out += 6;
    used_ = static_cast<std::size_t>(out - buffer_.data());
}

void EquityRecorder::append_time(abi::Timestamp ns) noexcept {
    // marketdata::format_utc(ns) without snprintf or std::string; the date is worked out once a
    // day.
    const std::uint64_t seconds = ns / kNsPerSecond;
    std::uint64_t nanos = ns % kNsPerSecond;
    const std::uint64_t day = seconds / kSecondsPerDay;
    if (day != date_day_) {
        const marketdata::CivilDate date = marketdata::civil_from_days(static_cast<std::int64_t>(day));
        const auto year = static_cast<unsigned>(date.year);  // 1970..2554 for a u64 of nanoseconds
        char* d = date_text_;
        d = put_2(d, year / 100);
        d = put_2(d, year % 100);
        *d++ = '-';
        d = put_2(d, date.month);
        *d++ = '-';
        d = put_2(d, date.day);
        *d = 'T';
        date_day_ = day;
    }
    char* out = buffer_.data() + used_;
    std::memcpy(out, date_text_, sizeof date_text_);
    out += sizeof date_text_;
    const std::uint64_t of_day = seconds % kSecondsPerDay;
    out = put_2(out, static_cast<unsigned>(of_day / 3600));
    *out++ = ':';
    out = put_2(out, static_cast<unsigned>(of_day / 60 % 60));
    *out++ = ':';
    out = put_2(out, static_cast<unsigned>(of_day % 60));
    *out++ = '.';
    for (int i = 8; i >= 0; --i) {
        out[i] = static_cast<char>('0' + nanos % 10);
        nanos /= 10;
    }
    out += 9;
    *out++ = 'Z';
    used_ = static_cast<std::size_t>(out - buffer_.data());
}

}  // namespace fundos::runtime
