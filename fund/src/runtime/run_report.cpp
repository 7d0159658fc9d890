#include "fundos/runtime/run_report.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <vector>

#include "fundos/marketdata/civil_time.hpp"
#include "fundos/marketdata/decimal.hpp"
#include "fundos/runtime/config_json.hpp"
#include "fundos/runtime/enum_text.hpp"

namespace fundos::runtime {
namespace {

using engine::EquityPoint;
using engine::FillRow;
using engine::FundConfig;

constexpr abi::RejectReason kLastReason = abi::RejectReason::SHUTDOWN;

std::string ratio(std::optional<double> value) {
    if (!value || !std::isfinite(*value)) {
        return "null";
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6f", *value);
    std::string s = buf;
    if (s == "-0.000000") {
        s = "0.000000";
    }
    return s;
}

std::string json_string(std::string_view s) {
    std::string out = "\"";
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out += ch;
                }
        }
    }
    return out + "\"";
}

std::string money(std::int64_t raw) { return json_string(marketdata::format_fixed(raw, abi::MONEY_DECIMALS)); }

std::string agent_label(const FundConfig& config, std::uint32_t id) {
    for (const auto& a : config.agents) {
        if (a.id == id) {
            return a.name;
        }
    }
    return std::string("#").append(std::to_string(id));  // not "#" + ...: GCC 12 -Wrestrict false positive (PR 105651)
}

std::string symbol_label(const FundConfig& config, std::uint32_t id) {
    for (const auto& i : config.instruments) {
        if (i.id == id) {
            return i.symbol;
        }
    }
    return std::string("#").append(std::to_string(id));  // not "#" + ...: GCC 12 -Wrestrict false positive (PR 105651)
}

/// Money from a sum of qty (1e-6) * price (1e-8) products (1e-14), half up.
std::int64_t notional_to_money(__int128 sum) {
    constexpr __int128 kScale = 100'000'000;  // 1e-14 -> 1e-6
    const __int128 rounded = sum >= 0 ? (sum + kScale / 2) / kScale : -((-sum + kScale / 2) / kScale);
    if (rounded > INT64_MAX) {
        return INT64_MAX;
    }
    if (rounded < INT64_MIN) {
        return INT64_MIN;
    }
    return static_cast<std::int64_t>(rounded);
}

struct Figures {
    abi::Money capital = 0;
    abi::Money final_equity = 0;
    std::optional<double> sharpe;
    double max_drawdown = 0.0;
    abi::Money max_drawdown_amount = 0;
    abi::Money traded_notional = 0;
    abi::Money fees = 0;
    std::uint64_t trades = 0;
    std::uint64_t internal_trades = 0;
    EquityPoint last{};
    std::vector<std::pair<abi::RejectReason, std::uint64_t>> rejects;
};

/// The report's equity figures of a scope from the recorder's running ones; `running` nullptr:
/// no steps.
void equity_figures(Figures& f, const EquityFigures* running, std::optional<double> periods_per_year) {
    if (running == nullptr || running->points == 0) {
        f.final_equity = f.capital;
        return;
    }
    f.final_equity = running->final_equity();
    f.last = running->last;
    f.max_drawdown = running->max_drawdown;
    f.max_drawdown_amount = running->max_drawdown_amount;
    f.sharpe = running->sharpe(periods_per_year);
}

std::string figures_json(const Figures& f, const std::string& indent) {
    const abi::Money pnl = f.final_equity - f.capital;
    const auto per_capital = [&](abi::Money v) -> std::optional<double> {
        if (f.capital <= 0) {
            return std::nullopt;
        }
        return static_cast<double>(v) / static_cast<double>(f.capital);
    };
    std::string s;
    const auto line = [&](const char* key, const std::string& value, bool last = false) {
        s += indent + json_string(key) + ": " + value + (last ? "\n" : ",\n");
    };
    line("capital", money(f.capital));
    line("final_equity", money(f.final_equity));
    line("pnl", money(pnl));
    line("return", ratio(per_capital(pnl)));
    line("sharpe", ratio(f.sharpe));
    line("max_drawdown", ratio(f.max_drawdown));
    line("max_drawdown_amount", money(f.max_drawdown_amount));
    line("traded_notional", money(f.traded_notional));
    line("turnover", ratio(per_capital(f.traded_notional)));
    line("fees", money(f.fees));
    line("trades", std::to_string(f.trades));
    line("internal_trades", std::to_string(f.internal_trades));
    line("realized", money(f.last.realized));
    line("unrealized", money(f.last.unrealized));
    line("gross_exposure", money(f.last.gross));
    line("net_exposure", money(f.last.net));
    std::string rejects = "{";
    for (std::size_t i = 0; i < f.rejects.size(); ++i) {
        rejects += (i == 0 ? "" : ", ") + json_string(abi::to_string(f.rejects[i].first)) + ": " +
                   std::to_string(f.rejects[i].second);
    }
    rejects += "}";
    line("rejects", rejects, true);
    return s;
}

}  // namespace

// ------------------------------------------------------------------------------------------------

std::string report_json(const FundConfig& config, const RunFacts& facts, const RunResults& results) {
    const std::span<const EquityFigures> scopes =
        results.equity != nullptr ? results.equity->scopes() : std::span<const EquityFigures>{};
    const std::optional<double> ppy = results.equity != nullptr ? results.equity->periods_per_year() : std::nullopt;

    Figures fund;
    fund.capital = config.capital;
    equity_figures(fund, scopes.empty() ? nullptr : &scopes[0], ppy);
    std::vector<Figures> agents(config.agents.size());
    std::vector<__int128> agent_notional(config.agents.size(), 0);
    __int128 fund_notional = 0;
    for (std::size_t a = 0; a < config.agents.size(); ++a) {
        agents[a].capital = config.agents[a].capital;
        equity_figures(agents[a], a + 1 < scopes.size() ? &scopes[a + 1] : nullptr, ppy);
    }
    for (const FillRow& fill : results.fills) {
        const __int128 notional = static_cast<__int128>(fill.qty) * static_cast<__int128>(fill.price);
        ++fund.trades;
        fund.fees += fill.fee;
        if (fill.internal) {
            ++fund.internal_trades;
        } else {
            fund_notional += notional;
        }
        for (std::size_t a = 0; a < config.agents.size(); ++a) {
            if (config.agents[a].id == fill.agent_id) {
                ++agents[a].trades;
                agents[a].internal_trades += fill.internal ? 1 : 0;
                agents[a].fees += fill.fee;
                agent_notional[a] += notional;
                break;
            }
        }
    }
    fund.traded_notional = notional_to_money(fund_notional);
    for (std::size_t a = 0; a < config.agents.size(); ++a) {
        agents[a].traded_notional = notional_to_money(agent_notional[a]);
    }
    for (auto r = static_cast<std::uint16_t>(abi::RejectReason::UNKNOWN_ENUM);
         r <= static_cast<std::uint16_t>(kLastReason); ++r) {
        const auto reason = static_cast<abi::RejectReason>(r);
        std::uint64_t total = 0;
        for (std::size_t a = 0; a < config.agents.size() && results.rejects; ++a) {
            const std::uint64_t n = results.rejects(a, reason);
            if (n != 0) {
                agents[a].rejects.emplace_back(reason, n);
            }
            total += n;
        }
        if (total != 0) {
            fund.rejects.emplace_back(reason, total);
        }
    }

    char hash[24];
    std::snprintf(hash, sizeof hash, "%016" PRIx64, config_hash(config));
    const bool any_step = facts.steps != 0 || facts.first_time != 0 || facts.last_time != 0;
    std::string s = "{\n  \"run\": {\n";
    s += "    \"name\": " + json_string(config.name) + ",\n";
    s += "    \"mode\": " + json_string(lower_name(config.mode)) + ",\n";
    s += "    \"config_hash\": " + json_string(hash) + ",\n";
    s += "    \"steps\": " + std::to_string(facts.steps) + ",\n";
    s += "    \"events\": " + std::to_string(facts.events) + ",\n";
    s += "    \"first_time\": " + (any_step ? json_string(marketdata::format_utc(facts.first_time)) : std::string("null")) + ",\n";
    s += "    \"last_time\": " + (any_step ? json_string(marketdata::format_utc(facts.last_time)) : std::string("null")) + ",\n";
    s += "    \"stopped_by\": " + json_string(facts.stopped_by) + ",\n";
    s += "    \"periods_per_year\": " + ratio(ppy) + "\n";
    s += "  },\n  \"fund\": {\n";
    s += figures_json(fund, "    ");
    s += "  },\n  \"agents\": [";
    for (std::size_t a = 0; a < config.agents.size(); ++a) {
        s += a == 0 ? "\n" : ",\n";
        s += "    {\n";
        s += "      \"id\": " + std::to_string(config.agents[a].id) + ",\n";
        s += "      \"name\": " + json_string(config.agents[a].name) + ",\n";
        s += figures_json(agents[a], "      ");
        s += "    }";
    }
    s += config.agents.empty() ? "]\n}\n" : "\n  ]\n}\n";
    return s;
}

std::string fills_csv(const FundConfig& config, std::span<const FillRow> fills) {
    std::string s = "time,agent,instrument,intent_id,side,qty,price,fee,internal\n";
    for (const FillRow& f : fills) {
        const char* side = abi::to_string(f.side);
        s += marketdata::format_utc(f.time);
        s += ',' + agent_label(config, f.agent_id);
        s += ',' + symbol_label(config, f.instrument_id);
        s += ',' + std::to_string(f.intent_id);
        s += ',' + std::string(side != nullptr ? side : "?");
        s += ',' + marketdata::format_fixed(f.qty, abi::QUANTITY_DECIMALS);
        s += ',' + marketdata::format_fixed(f.price, abi::PRICE_DECIMALS);
        s += ',' + marketdata::format_fixed(f.fee, abi::MONEY_DECIMALS);
        s += f.internal ? ",true\n" : ",false\n";
    }
    return s;
}

Status write_file_atomic(const std::string& path, std::string_view content) {
    const std::string temp = path + ".tmp." + std::to_string(::getpid());
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        return Status::error(temp + ": cannot create: " + std::strerror(errno));
    }
    const char* p = content.data();
    std::size_t left = content.size();
    while (left > 0) {
        const ssize_t n = ::write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            const int err = errno;
            ::close(fd);
            ::unlink(temp.c_str());
            return Status::error(temp + ": write failed: " + std::strerror(err));
        }
        p += n;
        left -= static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) {
        const int err = errno;
        ::close(fd);
        ::unlink(temp.c_str());
        return Status::error(temp + ": fsync failed: " + std::strerror(err));
    }
    if (::close(fd) != 0) {
        const int err = errno;
        ::unlink(temp.c_str());
        return Status::error(temp + ": close failed: " + std::strerror(err));
    }
    if (::rename(temp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(temp.c_str());
        return Status::error(path + ": rename failed: " + std::strerror(err));
    }
    std::string folder = std::filesystem::path(path).parent_path().string();
    if (folder.empty()) {
        folder = ".";
    }
    const int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
        (void)::fsync(dir);  // best effort: the data itself is already durable
        ::close(dir);
    }
    return {};
}

Status write_run_outputs(const std::string& run_dir, const FundConfig& config, const RunFacts& facts,
                         const RunResults& results) {
    try {
        const std::filesystem::path dir(run_dir);
        if (Status s = write_file_atomic((dir / "fills.csv").string(), fills_csv(config, results.fills)); !s.ok()) {
            return s;
        }
        return write_file_atomic((dir / "report.json").string(), report_json(config, facts, results));
    } catch (const std::exception& ex) {
        return Status::error(run_dir + ": cannot write the run outputs: " + ex.what());
    }
}

}  // namespace fundos::runtime
