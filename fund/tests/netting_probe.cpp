// fund_netting_probe: a line protocol over the engine's allocation and netting code, for the
// Python property test (tests/fund/test_netting_properties.py). One request per line on stdin,
// one answer per line on stdout (flushed), until EOF. Quantities are raw integers (x1e-6).
//
//   alloc: lot L fill F q Q1 Q2 ... Qn [keys K1 ... Kn]
//          allocate_pro_rata(F, L, Q, keys) (keys default 1..n; '|' between parts is ignored)
//          -> "ok S1 S2 ... Sn"  or  "error <message>"
//   net:   net lot L buys B1 ... Bn sells S1 ... Sm
//          a real Engine with n + m agents (ids 1..n buyers, n+1..n+m sellers; <= 32 in all)
//          and one instrument of lot L with a reference price of 100.00; agent i submits a
//          MARKET DAY order of its quantity (0: no order) in one step
//          -> "ok cross C1 ... Cn | D1 ... Dm parent P children X1 ... Xn+m"
//             Ci / Dj: each agent's internally crossed quantity; P: the signed residual parent
//             quantity (0: none); Xk: each agent's child quantity in that parent
//          or "error <message>"
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "fundos/engine/engine.hpp"
#include "fundos/engine/journal_records.hpp"
#include "fundos/engine/netting.hpp"
#include "fundos/engine/recording_sink.hpp"
#include "fundos/engine/testing.hpp"

using namespace fundos;
using namespace fundos::engine;

namespace {

bool parse_int(const std::string& token, std::int64_t& out) {
    if (token.empty()) {
        return false;
    }
    char* end = nullptr;
    errno = 0;
    const long long v = std::strtoll(token.c_str(), &end, 10);
    if (errno != 0 || end == nullptr || *end != '\0') {
        return false;
    }
    out = v;
    return true;
}

/// Splits "kw v v v kw v ..." into named lists; returns an error message or "".
std::string parse(const std::vector<std::string>& tokens, const std::vector<std::string>& keywords,
                  std::vector<std::vector<std::int64_t>>& lists) {
    lists.assign(keywords.size(), {});
    int current = -1;
    for (const std::string& t : tokens) {
        if (t == "|") {
            continue;
        }
        bool is_keyword = false;
        for (std::size_t k = 0; k < keywords.size(); ++k) {
            if (t == keywords[k]) {
                current = static_cast<int>(k);
                is_keyword = true;
            }
        }
        if (is_keyword) {
            continue;
        }
        std::int64_t v = 0;
        if (current < 0 || !parse_int(t, v)) {
            return "bad token '" + t + "'";
        }
        lists[static_cast<std::size_t>(current)].push_back(v);
    }
    return "";
}

std::string do_alloc(const std::vector<std::string>& tokens) {
    std::vector<std::vector<std::int64_t>> l;
    const std::string err = parse(tokens, {"lot", "fill", "q", "keys"}, l);
    if (!err.empty()) {
        return "error " + err;
    }
    if (l[0].size() != 1 || l[1].size() != 1) {
        return "error need exactly one lot and one fill";
    }
    if (!l[3].empty() && l[3].size() != l[2].size()) {
        return "error keys and quantities differ in count";
    }
    std::vector<AllocationInput> in(l[2].size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        in[i].weight = l[2][i];
        in[i].key_hi = l[3].empty() ? i + 1 : static_cast<std::uint64_t>(l[3][i]);
    }
    std::vector<abi::Quantity> out(in.size());
    AllocationScratch scratch;
    const AllocationError e = allocate_pro_rata(l[1][0], l[0][0], in, out, scratch);
    if (e != AllocationError::kOk) {
        return std::string("error ") + to_string(e);
    }
    std::string answer = "ok";
    for (abi::Quantity s : out) {
        answer += ' ' + std::to_string(s);
    }
    return answer;
}

std::string do_net(const std::vector<std::string>& tokens) {
    using namespace fundos::engine::testing;
    std::vector<std::vector<std::int64_t>> l;
    const std::string err = parse(tokens, {"lot", "buys", "sells"}, l);
    if (!err.empty()) {
        return "error " + err;
    }
    if (l[0].size() != 1 || l[0][0] <= 0) {
        return "error need one lot > 0";
    }
    const std::size_t n = l[1].size();
    const std::size_t m = l[2].size();
    if (n + m == 0 || n + m > abi::MAX_AGENTS) {
        return "error 1..32 agents";
    }
    const abi::Quantity lot = l[0][0];
    FundConfig c = default_config(static_cast<std::uint32_t>(n + m));
    c.instruments[0].lot_size = lot;
    for (AgentConfig& a : c.agents) {
        a.capital = M(100'000'000'000);
    }
    c.capital = M(100'000'000'000) * static_cast<std::int64_t>(n + m);
    RecordingSink sink;
    Engine engine(c, default_md(), sink);
    engine.on_market(quote(kT0, 1, P(9999), P(10001), Q(1), Q(1)), 0);
    engine.begin_step(1, kT0);
    for (std::size_t k = 0; k < n + m; ++k) {
        const std::int64_t q = k < n ? l[1][k] : l[2][k - n];
        if (q < 0 || q % lot != 0) {
            return "error quantities must be >= 0 multiples of the lot";
        }
        if (q == 0) {
            continue;
        }
        const auto agent = static_cast<std::uint32_t>(k + 1);
        engine.submit(static_cast<std::uint16_t>(k), market(agent, 1, 1, k < n ? abi::Side::BUY : abi::Side::SELL, q));
    }
    engine.end_step();
    for (const auto& r : sink.reports) {
        if (r.report.kind == abi::ReportKind::REJECTED) {
            return std::string("error rejected: ") + abi::to_string(r.report.reason);
        }
    }
    if (!engine.invariants_hold() || engine.faulted()) {
        return "error invariant broken";
    }
    std::vector<abi::Quantity> crossed(n + m, 0), child(n + m, 0);
    for (const CrossRecord& r : sink.records<CrossRecord>(RecordType::kCross)) {
        crossed[r.agent_id - 1] += r.qty;
    }
    abi::Quantity parent = 0;
    for (const OrderRecord& r : sink.records<OrderRecord>(RecordType::kOrder)) {
        child[r.agent_id - 1] += r.child_qty;
        parent += r.side == static_cast<std::uint8_t>(abi::Side::BUY) ? r.child_qty : -r.child_qty;
    }
    std::string answer = "ok cross";
    for (std::size_t k = 0; k < n + m; ++k) {
        if (k == n) {
            answer += " |";
        }
        answer += ' ' + std::to_string(crossed[k]);
    }
    if (m == 0) {
        answer += " |";
    }
    answer += " parent " + std::to_string(parent) + " children";
    for (abi::Quantity x : child) {
        answer += ' ' + std::to_string(x);
    }
    return answer;
}

}  // namespace

int main() {
    std::string line;
    while (std::getline(std::cin, line)) {
        std::istringstream in(line);
        std::vector<std::string> tokens;
        for (std::string t; in >> t;) {
            tokens.push_back(t);
        }
        if (tokens.empty()) {
            continue;
        }
        std::string answer;
        if (tokens[0] == "net") {
            tokens.erase(tokens.begin());
            answer = do_net(tokens);
        } else {
            answer = do_alloc(tokens);
        }
        std::fputs(answer.c_str(), stdout);
        std::fputc('\n', stdout);
        std::fflush(stdout);
    }
    return 0;
}
