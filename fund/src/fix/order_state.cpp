#include "fundos/fix/order_state.hpp"

#include <algorithm>
#include <cstring>

#include "fundos/fix/cl_ord_id.hpp"

namespace fundos::fix {

using venue::VenueEvent;

const char* to_string(OrderStatus status) noexcept {
    switch (status) {
        case OrderStatus::kPendingNew: return "PendingNew";
        case OrderStatus::kNew: return "New";
        case OrderStatus::kPartiallyFilled: return "PartiallyFilled";
        case OrderStatus::kFilled: return "Filled";
        case OrderStatus::kPendingCancel: return "PendingCancel";
        case OrderStatus::kPendingReplace: return "PendingReplace";
        case OrderStatus::kCanceled: return "Canceled";
        case OrderStatus::kRejected: return "Rejected";
    }
    return "?";
}

abi::Quantity OrderState::leaves() const noexcept {
    return working() ? std::max<abi::Quantity>(qty - cum, 0) : 0;
}

bool OrderState::working() const noexcept {
    return status != OrderStatus::kFilled && status != OrderStatus::kCanceled && status != OrderStatus::kRejected;
}

namespace {

template <std::size_t N>
void copy_text(char (&to)[N], std::string_view from) noexcept {
    const std::size_t n = std::min(from.size(), N - 1);  // keep a terminator: the journal prints it
    std::memcpy(to, from.data(), n);
    std::memset(to + n, 0, N - n);
}

/// The status of a working order with `cum` of `qty` filled.
OrderStatus working_status(abi::Quantity cum, abi::Quantity qty) noexcept {
    if (cum >= qty) {
        return OrderStatus::kFilled;
    }
    return cum > 0 ? OrderStatus::kPartiallyFilled : OrderStatus::kNew;
}

bool pending(OrderStatus status) noexcept {
    return status == OrderStatus::kPendingCancel || status == OrderStatus::kPendingReplace;
}

}  // namespace

OrderTracker::OrderTracker(std::string tag, std::string run, Log log)
    : tag_(std::move(tag)), run_(std::move(run)), log_(std::move(log)) {}

std::string OrderTracker::next_id(OrderState& order) {
    std::string id = make_cl_ord_id(tag_, run_, order.parent_id, order.version);
    by_cl_ord_id_[id] = order.parent_id;
    return id;
}

bool OrderTracker::on_new(const venue::VenueCommand& command, std::string& cl_ord_id) {
    if (command.kind != venue::VenueCommand::Kind::kNew || orders_.contains(command.parent_id)) {
        return false;
    }
    OrderState& order = orders_[command.parent_id];
    order.parent_id = command.parent_id;
    order.side = command.side;
    order.type = command.type;
    order.limit = command.limit;
    std::memcpy(order.symbol, command.symbol, sizeof(command.symbol));
    order.qty = command.qty;
    order.cl_ord_id = next_id(order);
    cl_ord_id = order.cl_ord_id;
    return true;
}

bool OrderTracker::on_cancel(std::uint64_t parent_id, std::string& cl_ord_id, std::string& orig_cl_ord_id) {
    auto it = orders_.find(parent_id);
    if (it == orders_.end() || !it->second.working() || !it->second.pending_cl_ord_id.empty()) {
        return false;
    }
    OrderState& order = it->second;
    ++order.version;
    order.pending_cl_ord_id = next_id(order);
    order.before_request = order.status;
    order.status = OrderStatus::kPendingCancel;
    order.cancel_asked = true;
    cl_ord_id = order.pending_cl_ord_id;
    orig_cl_ord_id = order.cl_ord_id;
    return true;
}

bool OrderTracker::on_replace(std::uint64_t parent_id, abi::Quantity qty, std::string& cl_ord_id,
                              std::string& orig_cl_ord_id) {
    auto it = orders_.find(parent_id);
    if (it == orders_.end() || !it->second.working() || !it->second.pending_cl_ord_id.empty() ||
        qty <= it->second.cum) {
        return false;
    }
    OrderState& order = it->second;
    ++order.version;
    order.pending_cl_ord_id = next_id(order);
    order.pending_qty = qty;
    order.before_request = order.status;
    order.status = OrderStatus::kPendingReplace;
    cl_ord_id = order.pending_cl_ord_id;
    orig_cl_ord_id = order.cl_ord_id;
    return true;
}

bool OrderTracker::adopt(std::string_view cl_ord_id, std::string_view symbol, abi::Side side, abi::Quantity qty,
                         abi::Quantity cum) {
    const auto parts = parse_cl_ord_id(cl_ord_id);
    if (!parts || parts->tag != tag_ || parts->run != run_ || orders_.contains(parts->parent_id) || qty <= 0 ||
        cum < 0 || cum >= qty) {
        return false;
    }
    OrderState& order = orders_[parts->parent_id];
    order.parent_id = parts->parent_id;
    order.side = side;
    std::memcpy(order.symbol, symbol.data(), std::min<std::size_t>(symbol.size(), abi::SYMBOL_LEN));
    order.qty = qty;
    order.cum = cum;
    order.status = working_status(cum, qty);
    order.version = parts->version;
    order.cl_ord_id = std::string(cl_ord_id);
    // Earlier ClOrdIDs of the chain may still name it in a late report.
    for (std::uint32_t v = 0; v <= parts->version; ++v) {
        by_cl_ord_id_[make_cl_ord_id(tag_, run_, order.parent_id, v)] = order.parent_id;
    }
    return true;
}

void OrderTracker::on_send_failed(std::uint64_t parent_id, std::string_view cl_ord_id) {
    auto it = orders_.find(parent_id);
    if (it == orders_.end()) {
        return;
    }
    OrderState& order = it->second;
    if (order.pending_cl_ord_id == cl_ord_id) {
        by_cl_ord_id_.erase(order.pending_cl_ord_id);
        order.pending_cl_ord_id.clear();
        order.status = order.before_request;
    } else if (order.cl_ord_id == cl_ord_id && order.status == OrderStatus::kPendingNew && order.version == 0) {
        by_cl_ord_id_.erase(order.cl_ord_id);
        orders_.erase(it);
    }
}

OrderState* OrderTracker::order_of(std::string_view cl_ord_id, std::string_view orig_cl_ord_id) noexcept {
    for (const std::string_view id : {cl_ord_id, orig_cl_ord_id}) {
        if (id.empty()) {
            continue;
        }
        // (A transparent lookup would need a custom hash; the string is short and this is FIX's thread.)
        const auto found = by_cl_ord_id_.find(std::string(id));
        if (found != by_cl_ord_id_.end()) {
            auto order = orders_.find(found->second);
            return order == orders_.end() ? nullptr : &order->second;
        }
    }
    return nullptr;
}

void OrderTracker::note(std::string_view what, std::string_view cl_ord_id, std::string_view exec_id) {
    if (!log_) {
        return;
    }
    std::string line = "fix: ";
    line.append(what).append(" (ClOrdID ").append(cl_ord_id.empty() ? "-" : cl_ord_id);
    line.append(", ExecID ").append(exec_id.empty() ? "-" : exec_id).append(")");
    log_(line);
}

VenueEvent OrderTracker::event(const OrderState& order, VenueEvent::Kind kind, abi::Timestamp time) const noexcept {
    VenueEvent e;
    e.kind = kind;
    e.parent_id = order.parent_id;
    e.leaves = order.leaves();
    e.cum = order.cum;
    e.venue_time = time;
    return e;
}

std::size_t OrderTracker::fill(OrderState& order, const ExecReportFacts& report,
                               std::span<VenueEvent, kMaxEvents> out) {
    if (report.last_qty <= 0 || report.last_px <= 0) {
        ++counters_.inconsistent;
        note("fill without a quantity or price, dropped", report.cl_ord_id, report.exec_id);
        return 0;
    }
    // Venues that omit CumQty (0) get the running sum.
    const abi::Quantity cum = report.cum_qty > 0 ? report.cum_qty : order.cum + report.last_qty;
    if (cum > order.qty) {
        ++counters_.inconsistent;
        note("CumQty beyond the order's quantity, dropped", report.cl_ord_id, report.exec_id);
        return 0;
    }
    if (cum <= order.cum) {
        ++counters_.stale_fills;
        note("fill already counted (CumQty did not grow), dropped", report.cl_ord_id, report.exec_id);
        return 0;
    }
    const abi::Quantity qty = cum - order.cum;
    if (qty != report.last_qty) {
        ++counters_.catch_up_fills;
        note("CumQty and LastQty disagree: reporting the CumQty difference", report.cl_ord_id, report.exec_id);
    }
    std::size_t n = 0;
    if (order.status == OrderStatus::kPendingNew) {
        order.status = OrderStatus::kNew;  // the fill overtook the acknowledgement
        out[n++] = event(order, VenueEvent::Kind::kAccepted, report.transact_time);
    }
    if (order.cancel_asked || order.status == OrderStatus::kCanceled) {
        ++counters_.late_fills;
        if (order.status == OrderStatus::kCanceled) {
            note("fill after the order was canceled, reported", report.cl_ord_id, report.exec_id);
        }
    }
    order.cum = cum;
    if (pending(order.status)) {
        order.before_request = working_status(order.cum, order.qty);
        if (order.cum >= order.qty) {
            order.status = OrderStatus::kFilled;  // the request in flight will be rejected as too late
        }
    } else if (order.status != OrderStatus::kCanceled) {
        order.status = working_status(order.cum, order.qty);
    }
    VenueEvent e = event(order, VenueEvent::Kind::kFill, report.transact_time);
    e.qty = qty;
    e.price = report.last_px;
    e.fee = report.commission;
    copy_text(e.exec_id, report.exec_id);
    out[n++] = e;
    return n;
}

std::size_t OrderTracker::on_exec_report(const ExecReportFacts& report, std::span<VenueEvent, kMaxEvents> out) {
    ++counters_.reports;
    OrderState* found = order_of(report.cl_ord_id, report.orig_cl_ord_id);
    if (found == nullptr) {
        ++counters_.unknown;
        note("ExecutionReport for an unknown ClOrdID, dropped", report.cl_ord_id, report.exec_id);
        return 0;
    }
    OrderState& order = *found;
    if (!report.exec_id.empty() && !exec_ids_.emplace(report.exec_id).second) {
        ++counters_.duplicates;
        return 0;  // a resend (PossDupFlag) or a duplicate: already applied
    }
    switch (report.exec_type) {
        case exec_type::kTrade:
        case exec_type::kPartialFill:
        case exec_type::kFill:
            return fill(order, report, out);
        case exec_type::kNew:
            if (order.status != OrderStatus::kPendingNew) {
                ++counters_.duplicates;  // acknowledged already (or a fill overtook it)
                return 0;
            }
            order.status = OrderStatus::kNew;
            out[0] = event(order, VenueEvent::Kind::kAccepted, report.transact_time);
            return 1;
        case exec_type::kCanceled:
        case exec_type::kExpired:
        case exec_type::kDoneForDay: {
            if (!order.working()) {
                ++counters_.duplicates;
                return 0;
            }
            order.status = OrderStatus::kCanceled;
            order.pending_cl_ord_id.clear();
            VenueEvent e = event(order, VenueEvent::Kind::kCanceled, report.transact_time);
            copy_text(e.text, report.text);
            out[0] = e;
            return 1;
        }
        case exec_type::kRejected: {
            if (order.status != OrderStatus::kPendingNew) {
                ++counters_.inconsistent;
                note("Rejected for an order already accepted, dropped", report.cl_ord_id, report.exec_id);
                return 0;
            }
            order.status = OrderStatus::kRejected;
            VenueEvent e = event(order, VenueEvent::Kind::kRejected, report.transact_time);
            copy_text(e.text, report.text);
            out[0] = e;
            return 1;
        }
        case exec_type::kReplaced: {
            if (order.pending_cl_ord_id != report.cl_ord_id || order.status != OrderStatus::kPendingReplace) {
                ++counters_.inconsistent;
                note("Replaced for no replace in flight, dropped", report.cl_ord_id, report.exec_id);
                return 0;
            }
            abi::Quantity qty = report.order_qty > 0 ? report.order_qty : order.pending_qty;
            if (qty < order.cum) {
                ++counters_.inconsistent;
                note("Replaced below the filled quantity; keeping the filled quantity", report.cl_ord_id,
                     report.exec_id);
                qty = order.cum;
            }
            order.qty = qty;
            order.cl_ord_id = order.pending_cl_ord_id;
            order.pending_cl_ord_id.clear();
            order.status = working_status(order.cum, order.qty);
            out[0] = event(order, VenueEvent::Kind::kReplaced, report.transact_time);
            return 1;
        }
        case exec_type::kPendingNew:
        case exec_type::kPendingCancel:
        case exec_type::kPendingReplace:
        case exec_type::kOrderStatus:
            return 0;  // nothing the engine acts on
        default:
            ++counters_.inconsistent;
            note("ExecType not handled, dropped", report.cl_ord_id, report.exec_id);
            return 0;
    }
}

std::size_t OrderTracker::on_cancel_reject(const CancelRejectFacts& reject, std::span<VenueEvent, kMaxEvents> out) {
    ++counters_.reports;
    OrderState* found = order_of(reject.cl_ord_id, reject.orig_cl_ord_id);
    if (found == nullptr) {
        ++counters_.unknown;
        note("OrderCancelReject for an unknown ClOrdID, dropped", reject.cl_ord_id, "");
        return 0;
    }
    OrderState& order = *found;
    if (order.pending_cl_ord_id.empty() || order.pending_cl_ord_id != reject.cl_ord_id) {
        ++counters_.duplicates;  // no such request in flight: answered already
        return 0;
    }
    order.pending_cl_ord_id.clear();
    if (pending(order.status)) {
        order.status = order.before_request;
    }
    VenueEvent e = event(order, VenueEvent::Kind::kCancelRejected, reject.transact_time);
    copy_text(e.text, reject.text);
    out[0] = e;
    return 1;
}

std::vector<std::uint64_t> OrderTracker::working() const {
    std::vector<std::uint64_t> out;
    for (const auto& [id, order] : orders_) {
        if (order.working()) {
            out.push_back(id);
        }
    }
    return out;
}

const OrderState* OrderTracker::find(std::uint64_t parent_id) const noexcept {
    const auto it = orders_.find(parent_id);
    return it == orders_.end() ? nullptr : &it->second;
}

}  // namespace fundos::fix
