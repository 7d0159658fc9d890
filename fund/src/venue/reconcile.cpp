#include "fundos/venue/reconcile.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>

#include "fundos/engine/fixed_point.hpp"

namespace fundos::venue {
namespace {

namespace fx = engine::fx;

std::string qty_text(abi::Quantity q) {
    char text[48];
    const std::int64_t whole = q / fx::kQtyScale;
    std::int64_t frac = fx::abs64(q % fx::kQtyScale);
    if (frac == 0) {
        std::snprintf(text, sizeof text, "%lld", static_cast<long long>(whole));
    } else {
        int digits = 6;
        while (frac % 10 == 0) {
            frac /= 10;
            --digits;
        }
        std::snprintf(text, sizeof text, "%s%lld.%0*lld", q < 0 && whole == 0 ? "-" : "", static_cast<long long>(whole),
                      digits, static_cast<long long>(frac));
    }
    return text;
}

std::string price_text(abi::Price p) {
    char text[48];
    std::snprintf(text, sizeof text, "%.8g", static_cast<double>(p) / fx::kPriceScale);
    return text;
}

const char* side_text(abi::Side side) {
    return side == abi::Side::BUY ? "BUY" : side == abi::Side::SELL ? "SELL" : "NONE";
}

std::string describe(const FundParent& p) {
    return "parent " + std::to_string(p.parent_id) + " (" + p.symbol + " " + side_text(p.side) + " " + qty_text(p.qty) +
           ", " + qty_text(p.cum) + " filled)";
}

template <std::size_t N>
void copy_text(char (&out)[N], const std::string& text) {
    const std::size_t n = std::min(text.size(), N - 1);
    std::memcpy(out, text.data(), n);
    out[n] = '\0';
}

VenueEvent recovered_event(VenueEvent::Kind kind, const FundParent& p, const VenueOpenOrder& v) {
    VenueEvent e{};
    e.kind = kind;
    e.parent_id = p.parent_id;
    e.leaves = v.working ? v.leaves : 0;
    e.cum = v.cum;
    copy_text(e.exec_id, "reconcile-" + std::to_string(p.parent_id) + "-" + std::to_string(static_cast<int>(kind)));
    copy_text(e.text, "recovered at start-up from the venue's order status");
    return e;
}

}  // namespace

Reconciliation reconcile(const FundView& fund, const VenueSnapshot& venue) {
    Reconciliation out;
    // The venue's reports by parent id (an order it lists as working and as asked about appears
    // twice: the first report wins, and both must agree to be the Fund's order at all).
    std::map<std::uint64_t, const VenueOpenOrder*> by_parent;
    for (const VenueOpenOrder& v : venue.orders) {
        if (v.parent_id != 0) {
            by_parent.emplace(v.parent_id, &v);
        }
    }
    std::map<std::uint64_t, const FundParent*> fund_parents;
    for (const FundParent& p : fund.parents) {
        fund_parents.emplace(p.parent_id, &p);
    }
    // Signed quantity per symbol the recovered fills add to the fund's positions.
    std::map<std::string, abi::Quantity> recovered_qty;

    for (const auto& [id, parent] : fund_parents) {
        const FundParent& p = *parent;
        const auto found = by_parent.find(id);
        if (found == by_parent.end() || !found->second->known) {
            if (!p.accepted && p.cum == 0) {
                // Committed, never sent: the Fund stopped between its journal commit and the send
                // (write-ahead), so nothing of it reached the market.
                VenueEvent rejected{};
                rejected.kind = VenueEvent::Kind::kRejected;
                rejected.parent_id = p.parent_id;
                copy_text(rejected.exec_id, "reconcile-" + std::to_string(p.parent_id) + "-" +
                                                std::to_string(static_cast<int>(VenueEvent::Kind::kRejected)));
                copy_text(rejected.text, "never reached the venue (the Fund stopped before sending it)");
                out.recovered.push_back(rejected);
                out.explained.push_back(describe(p) + ": never acknowledged, and unknown to the venue: it was "
                                        "journaled but not sent before the Fund stopped; rejected");
                continue;
            }
            out.mismatches.push_back(describe(p) + " is working in the journal; the venue does not know it");
            continue;
        }
        const VenueOpenOrder& v = *found->second;
        if (v.symbol != p.symbol || v.side != p.side) {
            out.mismatches.push_back(describe(p) + ": the venue has it as " + v.symbol + " " + side_text(v.side) +
                                     " (ClOrdID " + v.cl_ord_id + ")");
            continue;
        }
        const bool reduced = p.replace_qty != 0 && v.qty == p.replace_qty;
        if (v.qty != p.qty && !reduced) {
            out.mismatches.push_back(describe(p) + ": the venue's order quantity is " + qty_text(v.qty));
            continue;
        }
        if (v.cum < p.cum) {
            out.mismatches.push_back(describe(p) + ": the venue reports only " + qty_text(v.cum) + " filled");
            continue;
        }
        if (v.cum > p.cum) {
            // The fill(s) the journal missed, as one fill at the price that makes up the venue's
            // average: venue notional - journal notional, over the missing quantity.
            const abi::Quantity missing = v.cum - p.cum;
            const fx::i128 notional = static_cast<fx::i128>(v.avg_price) * v.cum - static_cast<fx::i128>(p.avg_price) * p.cum;
            const abi::Price price = fx::round_div(notional, missing);
            if (v.avg_price <= 0 || price <= 0) {
                out.mismatches.push_back(describe(p) + ": the venue reports " + qty_text(v.cum) +
                                         " filled at an average price of " + price_text(v.avg_price) +
                                         ", which no fill of the missing " + qty_text(missing) + " explains");
                continue;
            }
            VenueEvent fill = recovered_event(VenueEvent::Kind::kFill, p, v);
            fill.qty = missing;
            fill.price = price;
            out.recovered.push_back(fill);
            recovered_qty[p.symbol] += p.side == abi::Side::BUY ? missing : -missing;
            out.explained.push_back(describe(p) + ": " + qty_text(missing) + " filled at the venue after the journal's "
                                    "last commit (at " + price_text(price) + "); applied as a recovered fill");
        }
        if (!v.working) {
            out.recovered.push_back(recovered_event(VenueEvent::Kind::kCanceled, p, v));
            out.explained.push_back(describe(p) + ": no longer working at the venue (" + qty_text(v.cum) +
                                    " filled); its remainder is canceled");
        } else if (reduced && v.qty != p.qty) {
            out.recovered.push_back(recovered_event(VenueEvent::Kind::kReplaced, p, v));
            out.explained.push_back(describe(p) + ": the reduce to " + qty_text(v.qty) + " took effect");
        }
    }

    for (const VenueOpenOrder& v : venue.orders) {
        if (!v.working || !v.known) {
            continue;
        }
        if (v.parent_id == 0) {
            out.mismatches.push_back("order " + v.cl_ord_id + " (" + v.symbol + " " + side_text(v.side) + " " +
                                     qty_text(v.leaves) + " working) is working at the venue and is not the Fund's");
        } else if (fund_parents.find(v.parent_id) == fund_parents.end()) {
            out.mismatches.push_back("order " + v.cl_ord_id + " (parent " + std::to_string(v.parent_id) + ", " + v.symbol +
                                     " " + side_text(v.side) + " " + qty_text(v.leaves) +
                                     " working) is working at the venue; the journal holds it as finished");
        }
    }

    // Positions, after the recovered fills: every symbol either side names.
    std::map<std::string, std::pair<abi::Quantity, abi::Quantity>> positions;  // fund, venue
    for (const VenuePosition& p : fund.positions) {
        positions[p.symbol].first += p.qty;
    }
    for (const auto& [symbol, qty] : recovered_qty) {
        positions[symbol].first += qty;
    }
    for (const VenuePosition& p : venue.positions) {
        positions[p.symbol].second += p.qty;
    }
    for (const auto& [symbol, both] : positions) {
        if (both.first != both.second) {
            out.mismatches.push_back("position in " + symbol + ": the journal (with recovered fills) holds " +
                                     qty_text(both.first) + ", the venue " + qty_text(both.second));
        }
    }
    return out;
}

}  // namespace fundos::venue
