#include "fundos/fix/exchange_book.hpp"

#include <algorithm>

#include "fundos/fix/order_state.hpp"

namespace fundos::fix {

const char* to_string(FillMode mode) noexcept {
    switch (mode) {
        case FillMode::kImmediate: return "immediate";
        case FillMode::kPartial: return "partial";
        case FillMode::kDelayed: return "delayed";
        case FillMode::kReject: return "reject";
        case FillMode::kDisconnect: return "disconnect";
    }
    return "?";
}

namespace {

constexpr char kStatusNew = '0';
constexpr char kStatusPartial = '1';
constexpr char kStatusFilled = '2';
constexpr char kStatusCanceled = '4';
constexpr char kStatusRejected = '8';

/// An exchange id: a letter and a counter. (Not "X" + to_string(n): GCC 12 warns falsely about
/// that at -O2, -Wrestrict.)
std::string id_of(char letter, std::uint64_t n) {
    std::string id(1, letter);
    id += std::to_string(n);
    return id;
}

}  // namespace

void ExchangeBook::define(std::uint32_t instrument_id, std::string_view symbol, abi::Quantity lot_size) {
    Market& market = markets_[instrument_id];
    market.symbol = std::string(symbol);
    market.lot = std::max<abi::Quantity>(lot_size, 1);
    symbols_[market.symbol] = instrument_id;
}

bool ExchangeBook::better(const Order& a, const Order& b) const noexcept {
    const bool a_market = a.type == abi::OrderType::MARKET;
    const bool b_market = b.type == abi::OrderType::MARKET;
    if (a_market != b_market) {
        return a_market;
    }
    if (!a_market && a.limit != b.limit) {
        return a.side == abi::Side::BUY ? a.limit > b.limit : a.limit < b.limit;
    }
    return a.seq < b.seq;
}

void ExchangeBook::rest(Order& order) {
    Market& market = markets_[order.instrument_id];
    auto& side = order.side == abi::Side::BUY ? market.bids : market.asks;
    const auto at = std::upper_bound(side.begin(), side.end(), order.key, [&](std::uint64_t key, std::uint64_t other) {
        return better(orders_.at(key), orders_.at(other));
    });
    side.insert(at, order.key);
}

void ExchangeBook::unrest(const Order& order) {
    Market& market = markets_[order.instrument_id];
    auto& side = order.side == abi::Side::BUY ? market.bids : market.asks;
    side.erase(std::remove(side.begin(), side.end(), order.key), side.end());
}

char ExchangeBook::status_of(const Order& order) const noexcept {
    if (order.canceled) {
        return kStatusCanceled;
    }
    if (order.cum >= order.qty) {
        return kStatusFilled;
    }
    return order.cum > 0 ? kStatusPartial : kStatusNew;
}

Outbound ExchangeBook::report(const Order& order, char exec_type) {
    Outbound out;
    out.kind = Outbound::Kind::kExecReport;
    out.session = order.session;
    out.exec_type = exec_type;
    out.ord_status = status_of(order);
    out.side = order.side;
    out.type = order.type;
    out.cl_ord_id = order.cl_ord_id;
    out.order_id = order.order_id;
    out.exec_id = id_of('X', next_exec_++);
    out.symbol = order.symbol;
    out.account = order.account;
    out.order_qty = order.qty;
    out.cum = order.cum;
    out.leaves = order.done ? 0 : order.qty - order.cum;
    out.avg_px = order.cum > 0 ? static_cast<abi::Price>(order.notional / order.cum) : 0;
    out.limit = order.limit;
    out.time = clock_;
    return out;
}

bool ExchangeBook::fill(Order& order, abi::Price price, std::uint64_t now_ns, bool arrival, std::vector<Outbound>& out) {
    if (order.done || price <= 0 || now_ns < order.eligible_at) {
        return false;
    }
    abi::Quantity qty = order.qty - order.cum;
    if (config_.mode == FillMode::kPartial && order.tif != abi::TimeInForce::IOC &&
        order.tif != abi::TimeInForce::FOK) {
        if (arrival) {
            return false;
        }
        const abi::Quantity lot = markets_[order.instrument_id].lot;
        const abi::Quantity piece = (order.qty + config_.pieces - 1) / config_.pieces;
        qty = std::min(qty, (piece + lot - 1) / lot * lot);
    }
    order.cum += qty;
    order.notional += static_cast<__int128>(price) * qty;
    order.done = order.cum >= order.qty;
    const abi::Quantity signed_qty = order.side == abi::Side::BUY ? qty : -qty;
    positions_[order.account][order.symbol] += signed_qty;
    ++counters_.fills;
    Outbound r = report(order, exec_type::kTrade);
    r.last_qty = qty;
    r.last_px = price;
    out.push_back(std::move(r));
    return true;
}

void ExchangeBook::match(Market& market, abi::Price trade, std::uint64_t now_ns, std::vector<Outbound>& out) {
    for (const abi::Side side : {abi::Side::BUY, abi::Side::SELL}) {
        auto& keys = side == abi::Side::BUY ? market.bids : market.asks;
        const abi::Price touch = trade > 0 ? trade : (side == abi::Side::BUY ? market.ask : market.bid);
        if (touch <= 0) {
            continue;
        }
        // Walk a copy: fills remove orders from the book.
        const std::vector<std::uint64_t> walk = keys;
        for (const std::uint64_t key : walk) {
            Order& order = orders_.at(key);
            const bool market_order = order.type == abi::OrderType::MARKET;
            const bool marketable = market_order || (side == abi::Side::BUY ? order.limit >= touch : order.limit <= touch);
            if (!marketable) {
                break;  // priority order: nothing behind it is marketable either
            }
            const abi::Price price = trade > 0 && !market_order ? order.limit : touch;
            if (fill(order, price, now_ns, false, out) && order.done) {
                unrest(order);
            }
        }
    }
}

void ExchangeBook::on_market(const marketdata::EventRecord& event, std::uint64_t now_ns, std::vector<Outbound>& out) {
    auto it = markets_.find(event.instrument_id);
    if (it == markets_.end()) {
        return;
    }
    Market& market = it->second;
    clock_ = std::max<abi::Timestamp>(clock_, event.time);
    if (event.kind == marketdata::EventKind::QUOTE) {
        market.bid = event.v[0];
        market.ask = event.v[1];
        match(market, 0, now_ns, out);
    } else if (event.kind == marketdata::EventKind::TRADE) {
        match(market, event.v[0], now_ns, out);
    }
}

void ExchangeBook::on_timer(std::uint64_t now_ns, std::vector<Outbound>& out) {
    if (config_.mode != FillMode::kDelayed) {
        return;  // other modes fill on market events only (partial: one piece per event)
    }
    for (auto& [id, market] : markets_) {
        match(market, 0, now_ns, out);
    }
}

void ExchangeBook::on_application_message(std::uint32_t session, std::vector<Outbound>& out) {
    const std::uint64_t n = ++messages_[session];
    if (config_.mode == FillMode::kDisconnect && config_.disconnect_every > 0 && n % config_.disconnect_every == 0) {
        Outbound drop;
        drop.kind = Outbound::Kind::kDisconnect;
        drop.session = session;
        out.push_back(std::move(drop));
        ++counters_.disconnects;
    }
}

ExchangeBook::Order* ExchangeBook::find(std::string_view cl_ord_id) {
    const auto it = ids_.find(cl_ord_id);
    return it == ids_.end() ? nullptr : &orders_.at(it->second);
}

void ExchangeBook::on_new(const NewOrder& in, std::uint64_t now_ns, std::vector<Outbound>& out) {
    if (ids_.contains(in.cl_ord_id)) {
        ++counters_.duplicates;  // a resend of an order already taken, or a reused ClOrdID: ignore
        return;
    }
    Order order;
    order.key = order.seq = next_seq_++;
    order.session = in.session;
    order.order_id = id_of('O', order.key);
    order.cl_ord_id = in.cl_ord_id;
    order.account = in.account;
    order.symbol = in.symbol;
    order.side = in.side;
    order.type = in.type;
    order.tif = in.tif;
    order.qty = in.qty;
    order.limit = in.limit;
    std::string problem;
    const auto symbol = symbols_.find(in.symbol);
    if (config_.mode == FillMode::kReject) {
        problem = "simulator: reject mode";
    } else if (symbol == symbols_.end()) {
        problem = "unknown symbol " + in.symbol;
    } else if (in.side != abi::Side::BUY && in.side != abi::Side::SELL) {
        problem = "unsupported side";
    } else if (in.qty <= 0) {
        problem = "quantity must be positive";
    } else if (in.type == abi::OrderType::LIMIT ? in.limit <= 0 : in.type != abi::OrderType::MARKET) {
        problem = "a limit order needs a positive price";
    }
    order.done = !problem.empty();
    if (symbol != symbols_.end()) {
        order.instrument_id = symbol->second;
    }
    const std::uint64_t key = order.key;
    Order& stored = orders_.emplace(key, std::move(order)).first->second;
    ids_.emplace(stored.cl_ord_id, key);
    if (!problem.empty()) {
        ++counters_.rejects;
        Outbound r = report(stored, exec_type::kRejected);
        r.ord_status = kStatusRejected;
        r.text = problem;
        out.push_back(std::move(r));
        return;
    }
    ++counters_.orders;
    out.push_back(report(stored, exec_type::kNew));
    Market& market = markets_[stored.instrument_id];
    const abi::Price touch = stored.side == abi::Side::BUY ? market.ask : market.bid;
    const bool marketable = touch > 0 && (stored.type == abi::OrderType::MARKET ||
                                          (stored.side == abi::Side::BUY ? stored.limit >= touch : stored.limit <= touch));
    const bool immediate = stored.tif == abi::TimeInForce::IOC || stored.tif == abi::TimeInForce::FOK;
    if (immediate) {
        if (marketable) {
            (void)fill(stored, touch, now_ns, true, out);
        }
        if (!stored.done) {
            stored.done = stored.canceled = true;
            Outbound r = report(stored, exec_type::kCanceled);
            r.text = "IOC/FOK: not marketable on arrival";
            out.push_back(std::move(r));
        }
        return;
    }
    if (config_.mode == FillMode::kDelayed) {
        stored.eligible_at = now_ns + config_.delay_ns;
    } else if (marketable) {
        (void)fill(stored, touch, now_ns, true, out);
    }
    if (!stored.done) {
        rest(stored);
    }
}

void ExchangeBook::cancel_reject(std::uint32_t session, std::string_view cl_ord_id, std::string_view orig_cl_ord_id,
                                 const Order* order, char response_to, std::string_view text,
                                 std::vector<Outbound>& out) {
    ++counters_.cancel_rejects;
    Outbound r;
    r.kind = Outbound::Kind::kCancelReject;
    r.session = session;
    r.cl_ord_id = std::string(cl_ord_id);
    r.orig_cl_ord_id = std::string(orig_cl_ord_id);
    r.order_id = order != nullptr ? order->order_id : "NONE";
    r.ord_status = order != nullptr ? status_of(*order) : kStatusRejected;
    r.cxl_rej_response_to = response_to;
    r.text = std::string(text);
    r.time = clock_;
    out.push_back(std::move(r));
}

void ExchangeBook::on_cancel(std::uint32_t session, std::string_view cl_ord_id, std::string_view orig_cl_ord_id,
                             bool poss_dup, std::vector<Outbound>& out) {
    if (ids_.contains(cl_ord_id)) {
        ++counters_.duplicates;
        if (!poss_dup) {
            cancel_reject(session, cl_ord_id, orig_cl_ord_id, find(cl_ord_id), '1', "duplicate ClOrdID", out);
        }
        return;
    }
    Order* order = find(orig_cl_ord_id);
    if (order == nullptr || order->session != session) {
        cancel_reject(session, cl_ord_id, orig_cl_ord_id, nullptr, '1', "unknown order", out);
        return;
    }
    if (order->done) {
        cancel_reject(session, cl_ord_id, orig_cl_ord_id, order, '1', "too late to cancel", out);
        return;
    }
    ++counters_.cancels;
    unrest(*order);
    order->done = order->canceled = true;
    ids_.emplace(std::string(cl_ord_id), order->key);
    const std::string orig = order->cl_ord_id;
    order->cl_ord_id = std::string(cl_ord_id);
    Outbound r = report(*order, exec_type::kCanceled);
    r.orig_cl_ord_id = orig;
    out.push_back(std::move(r));
}

void ExchangeBook::on_replace(std::uint32_t session, std::string_view cl_ord_id, std::string_view orig_cl_ord_id,
                              abi::Quantity qty, abi::Price limit, bool poss_dup, std::vector<Outbound>& out) {
    if (ids_.contains(cl_ord_id)) {
        ++counters_.duplicates;
        if (!poss_dup) {
            cancel_reject(session, cl_ord_id, orig_cl_ord_id, find(cl_ord_id), '2', "duplicate ClOrdID", out);
        }
        return;
    }
    Order* order = find(orig_cl_ord_id);
    if (order == nullptr || order->session != session) {
        cancel_reject(session, cl_ord_id, orig_cl_ord_id, nullptr, '2', "unknown order", out);
        return;
    }
    if (order->done) {
        cancel_reject(session, cl_ord_id, orig_cl_ord_id, order, '2', "too late to replace", out);
        return;
    }
    if (qty <= order->cum) {
        cancel_reject(session, cl_ord_id, orig_cl_ord_id, order, '2', "new quantity not above the filled quantity", out);
        return;
    }
    ++counters_.replaces;
    unrest(*order);
    if (limit > 0 && order->type == abi::OrderType::LIMIT && limit != order->limit) {
        order->limit = limit;
        order->seq = next_seq_++;  // a new price loses time priority; a smaller quantity keeps it
    }
    order->qty = qty;
    ids_.emplace(std::string(cl_ord_id), order->key);
    const std::string orig = order->cl_ord_id;
    order->cl_ord_id = std::string(cl_ord_id);
    rest(*order);
    Outbound r = report(*order, exec_type::kReplaced);
    r.orig_cl_ord_id = orig;
    out.push_back(std::move(r));
}

void ExchangeBook::on_mass_status(std::uint32_t session, std::string_view req_id, std::string_view account,
                                  std::vector<Outbound>& out) {
    std::vector<const Order*> working;
    for (const auto& [key, order] : orders_) {
        const bool mine = account.empty() ? order.session == session : order.account == account;
        if (mine && !order.done) {
            working.push_back(&order);
        }
    }
    if (working.empty()) {
        // FIX 4.4 has no empty answer; one ExecutionReport with TotNumReports 0 says "none".
        Outbound r;
        r.session = session;
        r.exec_type = exec_type::kOrderStatus;
        r.ord_status = kStatusRejected;
        r.order_id = "NONE";
        r.exec_id = id_of('X', next_exec_++);
        r.symbol = "NONE";
        r.side = abi::Side::BUY;
        r.account = std::string(account);
        r.text = "no working orders";
        r.req_id = std::string(req_id);
        r.time = clock_;
        r.total = 0;
        r.last = true;
        out.push_back(std::move(r));
        return;
    }
    for (std::size_t i = 0; i < working.size(); ++i) {
        Outbound r = report(*working[i], exec_type::kOrderStatus);
        r.req_id = std::string(req_id);
        r.total = static_cast<std::int64_t>(working.size());
        r.last = i + 1 == working.size();
        out.push_back(std::move(r));
    }
}

void ExchangeBook::on_order_status(std::uint32_t session, std::string_view req_id, std::string_view cl_ord_id,
                                   std::vector<Outbound>& out) {
    const Order* order = find(cl_ord_id);
    if (order != nullptr && order->session == session) {
        Outbound r = report(*order, exec_type::kOrderStatus);
        r.status_req_id = std::string(req_id);
        out.push_back(std::move(r));
        return;
    }
    Outbound r;
    r.session = session;
    r.exec_type = exec_type::kOrderStatus;
    r.ord_status = kStatusRejected;
    r.cl_ord_id = std::string(cl_ord_id);
    r.order_id = "NONE";
    r.exec_id = id_of('X', next_exec_++);
    r.symbol = "NONE";
    r.side = abi::Side::BUY;
    r.text = "unknown order";
    r.status_req_id = std::string(req_id);
    r.unknown_order = true;
    r.time = clock_;
    out.push_back(std::move(r));
}

void ExchangeBook::on_positions(std::uint32_t session, std::string_view req_id, std::string_view account,
                                std::vector<Outbound>& out) {
    std::vector<std::pair<std::string, abi::Quantity>> held;
    if (const auto it = positions_.find(std::string(account)); it != positions_.end()) {
        for (const auto& [symbol, qty] : it->second) {
            if (qty != 0) {
                held.emplace_back(symbol, qty);
            }
        }
    }
    Outbound ack;
    ack.kind = Outbound::Kind::kPositionAck;
    ack.session = session;
    ack.req_id = std::string(req_id);
    ack.account = std::string(account);
    ack.total = static_cast<std::int64_t>(held.size());
    ack.time = clock_;
    out.push_back(std::move(ack));
    for (std::size_t i = 0; i < held.size(); ++i) {
        Outbound r;
        r.kind = Outbound::Kind::kPositionReport;
        r.session = session;
        r.req_id = std::string(req_id);
        r.exec_id = id_of('P', next_exec_++);  // PosMaintRptID
        r.account = std::string(account);
        r.symbol = held[i].first;
        r.long_qty = std::max<abi::Quantity>(held[i].second, 0);
        r.short_qty = std::max<abi::Quantity>(-held[i].second, 0);
        r.total = static_cast<std::int64_t>(held.size());
        r.last = i + 1 == held.size();
        r.time = clock_;
        out.push_back(std::move(r));
    }
}

abi::Quantity ExchangeBook::position(const std::string& account, const std::string& symbol) const {
    const auto it = positions_.find(account);
    if (it == positions_.end()) {
        return 0;
    }
    const auto held = it->second.find(symbol);
    return held == it->second.end() ? 0 : held->second;
}

std::size_t ExchangeBook::working_orders() const noexcept {
    std::size_t n = 0;
    for (const auto& [key, order] : orders_) {
        n += order.done ? 0 : 1;
    }
    return n;
}

}  // namespace fundos::fix
