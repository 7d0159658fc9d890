#include "fundos/process/start_reconciliation.hpp"

#include <cstring>

#include "fundos/engine/fixed_point.hpp"
#include "fundos/engine/journal_records.hpp"
#include "fundos/marketdata/decimal.hpp"

namespace fundos::process {
namespace {

using nlohmann::json;

std::string qty(abi::Quantity q) { return marketdata::format_fixed(q, abi::QUANTITY_DECIMALS); }
std::string price(abi::Price p) { return marketdata::format_fixed(p, abi::PRICE_DECIMALS); }
const char* side(abi::Side s) { return s == abi::Side::BUY ? "BUY" : s == abi::Side::SELL ? "SELL" : "NONE"; }

template <class T>
bool read_record(const engine::JournalEntry& entry, T& out) {
    if (entry.payload.size() != sizeof out) {
        return false;
    }
    std::memcpy(static_cast<void*>(&out), entry.payload.data(), sizeof out);
    return true;
}

json positions_json(const std::vector<venue::VenuePosition>& positions) {
    json out = json::array();
    for (const venue::VenuePosition& p : positions) {
        out.push_back({{"symbol", p.symbol}, {"qty", qty(p.qty)}});
    }
    return out;
}

}  // namespace

JournalVenueFacts collect_venue_facts(std::span<const engine::JournalEntry> records) {
    using K = venue::VenueEvent::Kind;
    JournalVenueFacts facts;
    for (const engine::JournalEntry& entry : records) {
        if (entry.type == engine::RecordType::kVenueCommand) {
            venue::VenueCommand c{};
            if (read_record(entry, c) && c.kind == venue::VenueCommand::Kind::kReplace) {
                facts.parents[c.parent_id].replace_qty = c.qty;
            }
        } else if (entry.type == engine::RecordType::kVenueEvent) {
            engine::VenueEventRecord r{};
            if (!read_record(entry, r)) {
                continue;
            }
            const auto verdict = static_cast<engine::VenueVerdict>(r.verdict);
            if (verdict != engine::VenueVerdict::kApplied && verdict != engine::VenueVerdict::kExcess) {
                continue;
            }
            JournalVenueFacts::Parent& p = facts.parents[r.event.parent_id];
            if (r.event.kind == K::kFill) {
                p.notional += static_cast<__int128>(r.event.qty) * r.event.price;
                p.filled += r.event.qty;
            } else if (r.event.kind == K::kReplaced || r.event.kind == K::kCancelRejected ||
                       r.event.kind == K::kCanceled) {
                p.replace_qty = 0;  // the reduce was answered
            }
        }
    }
    return facts;
}

venue::FundView fund_view(const engine::VenueView& view, const JournalVenueFacts& facts,
                          const engine::FundConfig& config) {
    const auto symbol_of = [&](std::uint32_t id) -> std::string {
        for (const engine::InstrumentConfig& i : config.instruments) {
            if (i.id == id) {
                return i.symbol;
            }
        }
        std::string unknown = std::to_string(id);
        unknown.insert(0, 1, '?');  // (not "?" + ...: GCC 12's -Wrestrict false positive in Release)
        return unknown;
    };
    venue::FundView fund;
    for (const engine::VenueParentView& p : view.parents) {
        venue::FundParent f;
        f.parent_id = p.parent_id;
        f.symbol = symbol_of(p.instrument_id);
        f.side = p.side;
        f.qty = p.qty;
        f.cum = p.filled;
        if (const auto it = facts.parents.find(p.parent_id); it != facts.parents.end()) {
            if (it->second.filled > 0) {
                f.avg_price = engine::fx::round_div(it->second.notional, it->second.filled);
            }
            f.replace_qty = p.cancel_pending ? it->second.replace_qty : 0;
        }
        f.cancel_pending = p.cancel_pending;
        f.accepted = p.accepted;
        fund.parents.push_back(std::move(f));
    }
    for (const engine::VenuePositionView& p : view.positions) {
        fund.positions.push_back({std::string(p.symbol, strnlen(p.symbol, sizeof p.symbol)), p.position});
    }
    return fund;
}

venue::FundView flat_fund_view(const engine::FundConfig& config) {
    venue::FundView fund;
    for (const engine::InstrumentConfig& i : config.instruments) {
        fund.positions.push_back({i.symbol, 0});
    }
    return fund;
}

json reconciliation_json(const char* at, const std::string& run_token, const venue::FundView& fund,
                         const venue::VenueSnapshot& venue, const venue::Reconciliation& result) {
    json parents = json::array();
    for (const venue::FundParent& p : fund.parents) {
        parents.push_back({{"parent_id", p.parent_id}, {"symbol", p.symbol}, {"side", side(p.side)},
                           {"qty", qty(p.qty)}, {"filled", qty(p.cum)}, {"avg_price", price(p.avg_price)},
                           {"accepted", p.accepted}, {"cancel_pending", p.cancel_pending},
                           {"replace_qty", p.replace_qty != 0 ? json(qty(p.replace_qty)) : json(nullptr)}});
    }
    json orders = json::array();
    for (const venue::VenueOpenOrder& o : venue.orders) {
        orders.push_back({{"cl_ord_id", o.cl_ord_id}, {"parent_id", o.parent_id}, {"symbol", o.symbol},
                          {"side", side(o.side)}, {"qty", qty(o.qty)}, {"filled", qty(o.cum)},
                          {"leaves", qty(o.leaves)}, {"avg_price", price(o.avg_price)}, {"working", o.working},
                          {"known", o.known}});
    }
    json recovered = json::array();
    for (const venue::VenueEvent& e : result.recovered) {
        const char* kind = e.kind == venue::VenueEvent::Kind::kFill       ? "fill"
                           : e.kind == venue::VenueEvent::Kind::kCanceled ? "canceled"
                           : e.kind == venue::VenueEvent::Kind::kReplaced ? "replaced"
                                                                          : "other";
        recovered.push_back({{"kind", kind}, {"parent_id", e.parent_id}, {"qty", qty(e.qty)},
                             {"price", price(e.price)}, {"cum", qty(e.cum)}, {"leaves", qty(e.leaves)}});
    }
    return {{"at", at},
            {"run_token", run_token},
            {"ok", result.ok()},
            {"fund", {{"parents", parents}, {"positions", positions_json(fund.positions)}}},
            {"venue", {{"orders", orders}, {"positions", positions_json(venue.positions)}}},
            {"explained", result.explained},
            {"recovered", recovered},
            {"mismatches", result.mismatches}};
}

}  // namespace fundos::process
