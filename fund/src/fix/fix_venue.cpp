#include "fundos/fix/fix_venue.hpp"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <algorithm>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>

#include "fix_fields.hpp"
#include "fundos/concurrent/spsc_queue.hpp"
#include "fundos/fix/cl_ord_id.hpp"

namespace fundos::fix {

namespace f = fields;
using venue::VenueCommand;
using venue::VenueEvent;

std::string validate(const FixVenueConfig& c) {
    if (c.port == 0) {
        return "port: the venue's FIX port is required";
    }
    if (c.host.empty()) {
        return "host: required";
    }
    if (c.sender_comp_id.empty() || c.target_comp_id.empty()) {
        return "sender_comp_id, target_comp_id: both are required";
    }
    if (c.store_dir.empty()) {
        return "store_dir: the folder of the FIX FileStore is required";
    }
    if (c.heartbeat_s == 0 || c.reconnect_s == 0) {
        return "heartbeat_s, reconnect_s: must be at least 1";
    }
    if (!valid_cl_ord_token(c.cl_ord_tag)) {
        return "cl_ord_tag '" + c.cl_ord_tag + "': 1 to 16 of A-Z a-z 0-9 _ -";
    }
    if (!valid_cl_ord_token(c.run_token)) {
        return "run_token '" + c.run_token + "': 1 to 16 of A-Z a-z 0-9 _ - (unique per session)";
    }
    if (c.event_capacity < 2) {
        return "event_capacity: at least 2";
    }
    return "";
}

struct FixVenue::Impl final : FIX::Application {
    explicit Impl(const FixVenueConfig& c)
        : config(c), tracker(c.cl_ord_tag, c.run_token, c.log), events(c.event_capacity) {}

    // ---- QuickFIX's thread
    void onCreate(const FIX::SessionID&) override {}
    void onLogon(const FIX::SessionID&) override {
        {
            const std::lock_guard lock(state_mutex);
            logged_on = true;
            ++logon_count;
        }
        state_cv.notify_all();
        say("fix: logged on");
    }
    void onLogout(const FIX::SessionID&) override {
        {
            const std::lock_guard lock(state_mutex);
            logged_on = false;
        }
        state_cv.notify_all();
        say("fix: logged out");
    }
    void toAdmin(FIX::Message&, const FIX::SessionID&) override {}
    void toApp(FIX::Message& message, const FIX::SessionID&) override {
        // A resend (PossDupFlag=Y) of a NewOrderSingle this process does not know (another process
        // of the Fund sent it, before a restart) is not sent again: a venue asking for it lost it,
        // and an old order must not start working now. QuickFIX sends a gap fill instead, and the
        // Fund's start-up reconciliation finds the order unknown to the venue. Within one process
        // (a reconnect) the resend is what the session needs, and goes out.
        if (f::character(message.getHeader(), f::kPossDupFlag) != 'Y' || f::msg_type(message) != "D") {
            return;
        }
        const std::string cl = f::text(message, f::kClOrdID);
        const std::optional<ClOrdIdParts> parts = parse_cl_ord_id(cl);
        bool known = false;
        {
            const std::lock_guard lock(tracker_mutex);
            known = parts && parts->run == config.run_token && tracker.find(parts->parent_id) != nullptr;
        }
        if (!known) {
            say("fix: a resend of NewOrderSingle " + cl + " from before a restart: not sent again (gap fill)");
            throw FIX::DoNotSend();
        }
    }
    void fromAdmin(const FIX::Message&, const FIX::SessionID&) override {}
    void fromApp(const FIX::Message& message, const FIX::SessionID&) override {
        // Nothing may escape into QuickFIX: a malformed report is logged and dropped.
        try {
            const std::string type = f::msg_type(message);
            if (type == "8") {
                on_exec_report(message);
            } else if (type == "9") {
                on_cancel_reject(message);
            } else if (type == "AO" || type == "AP") {
                on_position(message, type == "AO");
            }
        } catch (const std::exception& e) {
            say(std::string("fix: a message could not be read: ") + e.what());
        }
    }

    void say(std::string_view line) const {
        if (config.log) {
            config.log(line);
        }
    }

    void on_exec_report(const FIX::Message& m) {
        if (const std::string status_id = f::text(m, f::kOrdStatusReqID); !status_id.empty()) {
            on_order_status(m, status_id);
            return;
        }
        const std::string mass_id = f::text(m, f::kMassStatusReqID);
        if (!mass_id.empty()) {
            on_mass_status(m, mass_id);
            return;
        }
        const std::string cl = f::text(m, f::kClOrdID);
        const std::string orig = f::text(m, f::kOrigClOrdID);
        const std::string exec_id = f::text(m, f::kExecID);
        const std::string text = f::text(m, f::kText);
        ExecReportFacts r;
        r.exec_type = f::character(m, f::kExecType);
        r.ord_status = f::character(m, f::kOrdStatus);
        r.cl_ord_id = cl;
        r.orig_cl_ord_id = orig;
        r.exec_id = exec_id;
        r.text = text;
        r.order_qty = f::fixed_or_zero(m, f::kOrderQty, abi::QUANTITY_DECIMALS);
        r.last_qty = f::fixed_or_zero(m, f::kLastQty, abi::QUANTITY_DECIMALS);
        r.last_px = f::fixed_or_zero(m, f::kLastPx, abi::PRICE_DECIMALS);
        r.cum_qty = f::fixed_or_zero(m, f::kCumQty, abi::QUANTITY_DECIMALS);
        r.leaves_qty = f::fixed_or_zero(m, f::kLeavesQty, abi::QUANTITY_DECIMALS);
        r.commission = f::fixed_or_zero(m, f::kCommission, abi::MONEY_DECIMALS);
        r.transact_time = f::parse_utc_timestamp(f::text(m, f::kTransactTime)).value_or(0);
        r.poss_dup = f::character(m.getHeader(), f::kPossDupFlag) == 'Y' || f::character(m.getHeader(), f::kPossResend) == 'Y';
        VenueEvent out[OrderTracker::kMaxEvents];
        std::size_t n = 0;
        {
            const std::lock_guard lock(tracker_mutex);
            n = tracker.on_exec_report(r, out);
        }
        deliver(out, n);
    }

    void on_cancel_reject(const FIX::Message& m) {
        const std::string cl = f::text(m, f::kClOrdID);
        const std::string orig = f::text(m, f::kOrigClOrdID);
        const std::string text = f::text(m, f::kText);
        CancelRejectFacts r;
        r.cl_ord_id = cl;
        r.orig_cl_ord_id = orig;
        r.text = text;
        r.ord_status = f::character(m, f::kOrdStatus);
        r.transact_time = f::parse_utc_timestamp(f::text(m, f::kTransactTime)).value_or(0);
        VenueEvent out[OrderTracker::kMaxEvents];
        std::size_t n = 0;
        {
            const std::lock_guard lock(tracker_mutex);
            n = tracker.on_cancel_reject(r, out);
        }
        deliver(out, n);
    }

    void deliver(const VenueEvent* out, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) {
            // Never drop and never wait: QuickFIX calls us holding its session lock, which send()
            // on the sequencer's thread also takes, so waiting here for poll() could deadlock.
            // Past the queue's capacity events spill into `overflow`, in order: once it holds
            // anything, every later event goes there too until poll() has drained it.
            // (Only this thread sets spilled, so it never reads a stale false.)
            if (!spilled.load(std::memory_order_acquire) && events.try_push(out[i])) {
                continue;
            }
            const std::lock_guard lock(overflow_mutex);
            overflow.push_back(out[i]);
            spilled.store(true, std::memory_order_release);
        }
    }

    /// The consumer's side: the queue first (older), then the overflow.
    bool next_event(VenueEvent& event) {
        if (const VenueEvent* front = events.front()) {
            event = *front;
            events.pop();
            return true;
        }
        if (!spilled.load(std::memory_order_acquire)) {
            return false;
        }
        const std::lock_guard lock(overflow_mutex);
        if (overflow.empty()) {
            return false;
        }
        event = overflow.front();
        overflow.pop_front();
        if (overflow.empty()) {
            spilled.store(false, std::memory_order_release);
        }
        return true;
    }

    /// An open order as a status report describes it.
    venue::VenueOpenOrder open_order_of(const FIX::Message& m) const {
        venue::VenueOpenOrder order;
        order.cl_ord_id = f::text(m, f::kClOrdID);
        // Another run's parent ids are not this run's: only this run's ClOrdIDs name a parent.
        if (const auto parts = parse_cl_ord_id(order.cl_ord_id);
            parts && parts->tag == config.cl_ord_tag && parts->run == config.run_token) {
            order.parent_id = parts->parent_id;
        }
        order.symbol = f::text(m, f::kSymbol);
        order.side = f::side_of(f::character(m, f::kSide));
        order.qty = f::fixed_or_zero(m, f::kOrderQty, abi::QUANTITY_DECIMALS);
        order.cum = f::fixed_or_zero(m, f::kCumQty, abi::QUANTITY_DECIMALS);
        order.leaves = f::fixed_or_zero(m, f::kLeavesQty, abi::QUANTITY_DECIMALS);
        order.avg_price = f::fixed_or_zero(m, f::kAvgPx, abi::PRICE_DECIMALS);
        const char status = f::character(m, f::kOrdStatus);
        order.working = status == '0' || status == '1' || status == '6' || status == 'A' || status == 'E';
        order.known = !(status == '8' && f::integer(m, f::kOrdRejReason).value_or(0) == 5);
        return order;
    }

    void on_order_status(const FIX::Message& m, const std::string& id) {
        const std::lock_guard lock(state_mutex);
        const auto asked = snap.status_ids.find(id);
        if (asked == snap.status_ids.end()) {
            return;  // an answer to an earlier request, or already answered
        }
        venue::VenueOpenOrder order = open_order_of(m);
        order.parent_id = asked->second;  // the request says which parent, even when the venue does not know it
        if (!order.known) {
            order.working = false;
            order.qty = order.cum = order.leaves = 0;
            order.symbol.clear();
            order.side = abi::Side::NONE;
        }
        snap.status_answers.push_back(std::move(order));
        snap.status_ids.erase(asked);
        state_cv.notify_all();
    }

    void on_mass_status(const FIX::Message& m, const std::string& id) {
        const std::lock_guard lock(state_mutex);
        if (id != snap.mass_id || snap.orders_done) {
            return;  // an answer to an earlier request
        }
        const std::int64_t total = f::integer(m, f::kTotNumReports).value_or(-1);
        if (total != 0) {
            snap.result.orders.push_back(open_order_of(m));
        }
        snap.orders_done = total == 0 || f::character(m, f::kLastRptRequested) == 'Y' ||
                           (total > 0 && snap.result.orders.size() >= static_cast<std::size_t>(total));
        state_cv.notify_all();
    }

    void on_position(const FIX::Message& m, bool ack) {
        const std::lock_guard lock(state_mutex);
        if (f::text(m, f::kPosReqID) != snap.positions_id || snap.positions_done) {
            return;
        }
        const std::int64_t total = f::integer(m, f::kTotalNumPosReports).value_or(-1);
        if (ack) {
            const std::int64_t status = f::integer(m, f::kPosReqStatus).value_or(0);
            if (status != 0) {
                snap.error = "the venue refused the position request (PosReqStatus " + std::to_string(status) + ")";
                snap.positions_done = true;
            } else if (total == 0) {
                snap.positions_done = true;
            }
            snap.positions_total = total;
        } else {
            venue::VenuePosition position;
            position.symbol = f::text(m, f::kSymbol);
            // (Without a data dictionary the NoPositions group's fields read as plain fields; one entry.)
            position.qty = f::fixed_or_zero(m, f::kLongQty, abi::QUANTITY_DECIMALS) -
                           f::fixed_or_zero(m, f::kShortQty, abi::QUANTITY_DECIMALS);
            snap.result.positions.push_back(std::move(position));
            const std::int64_t expected = total >= 0 ? total : snap.positions_total;
            snap.positions_done = expected >= 0 && snap.result.positions.size() >= static_cast<std::size_t>(expected);
        }
        state_cv.notify_all();
    }

    // ---- the sequencer's thread

    /// Sends `message`; false when QuickFIX refuses (no such session, or it threw).
    bool transmit(FIX::Message& message) noexcept {
        try {
            return FIX::Session::sendToTarget(message, session_id);
        } catch (const std::exception& e) {
            say(std::string("fix: send failed: ") + e.what());
            return false;
        }
    }

    void stamp(FIX::Message& m, abi::Timestamp time) {
        if (!config.account.empty()) {
            f::set(m, f::kAccount, config.account);
        }
        f::set_time(m, f::kTransactTime, time);
    }

    bool send_new(const VenueCommand& c) {
        std::string cl;
        {
            const std::lock_guard lock(tracker_mutex);
            if (!tracker.on_new(c, cl)) {
                return false;
            }
        }
        FIX::Message m = f::make("D");
        f::set(m, f::kClOrdID, cl);
        f::set_char(m, f::kSide, f::side_code(c.side));
        f::set(m, f::kSymbol, std::string_view(c.symbol, strnlen(c.symbol, sizeof(c.symbol))));
        f::set_qty(m, f::kOrderQty, c.qty);
        f::set_char(m, f::kOrdType, f::ord_type_code(c.type));
        if (c.type == abi::OrderType::LIMIT) {
            f::set_price(m, f::kPrice, c.limit);
        }
        f::set_char(m, f::kTimeInForce, f::tif_code(c.tif));
        stamp(m, c.time);
        if (transmit(m)) {
            return true;
        }
        const std::lock_guard lock(tracker_mutex);
        tracker.on_send_failed(c.parent_id, cl);
        return false;
    }

    bool send_cancel_or_replace(std::uint64_t parent_id, bool replace, abi::Quantity qty, abi::Timestamp time) {
        std::string cl;
        std::string orig;
        OrderState order;
        {
            const std::lock_guard lock(tracker_mutex);
            const bool ok = replace ? tracker.on_replace(parent_id, qty, cl, orig) : tracker.on_cancel(parent_id, cl, orig);
            if (!ok) {
                return false;
            }
            order = *tracker.find(parent_id);
        }
        FIX::Message m = f::make(replace ? "G" : "F");
        f::set(m, f::kClOrdID, cl);
        f::set(m, f::kOrigClOrdID, orig);
        f::set_char(m, f::kSide, f::side_code(order.side));
        f::set(m, f::kSymbol, order.symbol);
        f::set_qty(m, f::kOrderQty, replace ? qty : order.qty);
        if (replace) {
            f::set_char(m, f::kOrdType, f::ord_type_code(order.type));
            if (order.type == abi::OrderType::LIMIT) {
                f::set_price(m, f::kPrice, order.limit);
            }
        }
        stamp(m, time);
        if (transmit(m)) {
            return true;
        }
        const std::lock_guard lock(tracker_mutex);
        tracker.on_send_failed(parent_id, cl);
        return false;
    }

    FixVenueConfig config;
    FIX::SessionID session_id;
    std::unique_ptr<FIX::FileStoreFactory> store;
    std::unique_ptr<FIX::FileLogFactory> log_factory;
    std::unique_ptr<FIX::SessionSettings> settings;
    std::unique_ptr<FIX::SocketInitiator> initiator;

    mutable std::mutex tracker_mutex;  // tracker: the sequencer (send) and FIX's thread (reports)
    OrderTracker tracker;
    concurrent::SpscQueue<VenueEvent> events;  // producer FIX's thread, consumer the sequencer
    std::mutex overflow_mutex;                 // overflow: past the queue's capacity (deliver())
    std::deque<VenueEvent> overflow;
    std::atomic<bool> spilled{false};          // overflow holds events (set by FIX's thread only)

    struct Snapshot {
        std::string mass_id;
        std::string positions_id;
        bool orders_done = true;
        bool positions_done = true;
        std::int64_t positions_total = -1;
        std::map<std::string, std::uint64_t> status_ids;  // OrdStatusReqID -> parent, until answered
        std::vector<venue::VenueOpenOrder> status_answers;
        std::string error;
        venue::VenueSnapshot result;
    };
    mutable std::mutex state_mutex;  // logged_on, logon_count, snap
    std::condition_variable state_cv;
    bool logged_on = false;
    std::uint64_t logon_count = 0;
    std::uint64_t snapshots = 0;
    Snapshot snap;
};

FixVenue::FixVenue() = default;

FixVenue::~FixVenue() { stop(); }

bool FixVenue::start(const FixVenueConfig& config, std::string& error) {
    if (impl_) {
        error = "already started";
        return false;
    }
    error = validate(config);
    if (!error.empty()) {
        return false;
    }
    std::error_code ec;
    std::filesystem::create_directories(config.store_dir, ec);
    if (ec) {
        error = "store_dir " + config.store_dir + ": " + ec.message();
        return false;
    }
    if (!config.log_dir.empty()) {
        std::filesystem::create_directories(config.log_dir, ec);
        if (ec) {
            error = "log_dir " + config.log_dir + ": " + ec.message();
            return false;
        }
    }
    auto impl = std::make_unique<Impl>(config);
    try {
        impl->session_id = FIX::SessionID("FIX.4.4", config.sender_comp_id, config.target_comp_id);
        FIX::Dictionary defaults;
        defaults.setString("ConnectionType", "initiator");
        defaults.setString("FileStorePath", config.store_dir);
        if (!config.log_dir.empty()) {
            defaults.setString("FileLogPath", config.log_dir);
        }
        defaults.setString("StartTime", "00:00:00");  // a session that never ends by the clock
        defaults.setString("EndTime", "00:00:00");
        defaults.setString("UseDataDictionary", "N");  // Debian ships no FIX44.xml; fields are read by tag
        defaults.setInt("ReconnectInterval", static_cast<int>(config.reconnect_s));
        defaults.setString("PersistMessages", "Y");
        defaults.setString("SocketNodelay", "Y");
        FIX::Dictionary session;
        session.setString("SocketConnectHost", config.host);
        session.setInt("SocketConnectPort", config.port);
        session.setInt("HeartBtInt", static_cast<int>(config.heartbeat_s));
        session.setString("ResetOnLogon", config.reset_on_logon ? "Y" : "N");
        impl->settings = std::make_unique<FIX::SessionSettings>();
        impl->settings->set(defaults);
        impl->settings->set(impl->session_id, session);
        impl->store = std::make_unique<FIX::FileStoreFactory>(*impl->settings);
        if (!config.log_dir.empty()) {
            impl->log_factory = std::make_unique<FIX::FileLogFactory>(*impl->settings);
            impl->initiator = std::make_unique<FIX::SocketInitiator>(*impl, *impl->store, *impl->settings,
                                                                     *impl->log_factory);
        } else {
            impl->initiator = std::make_unique<FIX::SocketInitiator>(*impl, *impl->store, *impl->settings);
        }
        impl->initiator->start();
    } catch (const std::exception& e) {
        error = std::string("FIX session: ") + e.what();
        return false;
    }
    impl_ = std::move(impl);
    return true;
}

void FixVenue::stop() {
    if (!impl_) {
        return;
    }
    try {
        impl_->initiator->stop();
    } catch (const std::exception& e) {
        impl_->say(std::string("fix: stop: ") + e.what());
    }
    impl_.reset();
}

bool FixVenue::send(const VenueCommand& command) noexcept {
    if (!impl_ || !connected()) {
        return false;
    }
    try {
        switch (command.kind) {
            case VenueCommand::Kind::kNew: return impl_->send_new(command);
            case VenueCommand::Kind::kCancel:
                return impl_->send_cancel_or_replace(command.parent_id, false, 0, command.time);
            case VenueCommand::Kind::kReplace:
                return impl_->send_cancel_or_replace(command.parent_id, true, command.qty, command.time);
        }
    } catch (const std::exception& e) {  // allocation failure: the command is refused
        impl_->say(std::string("fix: send: ") + e.what());
    }
    return false;
}

bool FixVenue::poll(VenueEvent& event) noexcept {
    if (!impl_) {
        return false;
    }
    try {
        return impl_->next_event(event);
    } catch (const std::exception&) {  // std::mutex::lock: only on a broken system
        return false;
    }
}

bool FixVenue::connected() const noexcept {
    if (!impl_) {
        return false;
    }
    const std::lock_guard lock(impl_->state_mutex);
    return impl_->logged_on;
}

bool FixVenue::wait_connected(std::uint64_t timeout_ms) {
    if (!impl_) {
        return false;
    }
    std::unique_lock lock(impl_->state_mutex);
    return impl_->state_cv.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return impl_->logged_on; });
}

std::uint64_t FixVenue::logons() const noexcept {
    if (!impl_) {
        return 0;
    }
    const std::lock_guard lock(impl_->state_mutex);
    return impl_->logon_count;
}

OrderCounters FixVenue::counters() const {
    if (!impl_) {
        return {};
    }
    const std::lock_guard lock(impl_->tracker_mutex);
    return impl_->tracker.counters();
}

std::size_t FixVenue::cancel_all() noexcept {
    if (!impl_) {
        return 0;
    }
    std::size_t sent = 0;
    try {
        std::vector<std::uint64_t> working;
        {
            const std::lock_guard lock(impl_->tracker_mutex);
            working = impl_->tracker.working();
        }
        for (const std::uint64_t parent : working) {
            sent += impl_->send_cancel_or_replace(parent, false, 0, 0) ? 1 : 0;
        }
    } catch (const std::exception& e) {
        impl_->say(std::string("fix: cancel_all: ") + e.what());
    }
    return sent;
}

bool FixVenue::snapshot(const std::vector<std::uint64_t>& ask_about, venue::VenueSnapshot& out,
                        std::uint64_t timeout_ms, std::string& error) {
    if (!impl_) {
        error = "the FIX session is not started";
        return false;
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    Impl& impl = *impl_;
    std::string mass_id;
    std::string positions_id;
    {
        std::unique_lock lock(impl.state_mutex);
        if (!impl.state_cv.wait_until(lock, deadline, [&] { return impl.logged_on; })) {
            error = "not logged on to the venue within " + std::to_string(timeout_ms) + " ms";
            return false;
        }
        const std::string n = std::to_string(++impl.snapshots);
        impl.snap = Impl::Snapshot{};
        impl.snap.mass_id = mass_id = "MS." + impl.config.run_token + "." + n;
        impl.snap.positions_id = positions_id = "POS." + impl.config.run_token + "." + n;
        impl.snap.orders_done = false;
        impl.snap.positions_done = false;
    }
    FIX::Message status = f::make("AF");
    f::set(status, f::kMassStatusReqID, mass_id);
    f::set_char(status, f::kMassStatusReqType, '7');  // all orders
    if (!impl.config.account.empty()) {
        f::set(status, f::kAccount, impl.config.account);
    }
    FIX::Message positions = f::make("AN");
    f::set(positions, f::kPosReqID, positions_id);
    f::set_char(positions, f::kPosReqType, '0');  // positions
    f::set(positions, f::kAccount, impl.config.account);
    f::set_char(positions, f::kAccountType, '1');
    const auto now = static_cast<abi::Timestamp>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
    f::set(positions, f::kClearingBusinessDate, f::date_of(now));
    f::set_time(positions, f::kTransactTime, now);
    if (!impl.transmit(status) || !impl.transmit(positions)) {
        error = "the reconciliation requests could not be sent";
        return false;
    }
    std::unique_lock lock(impl.state_mutex);
    if (!impl.state_cv.wait_until(lock, deadline, [&] { return impl.snap.orders_done; })) {
        error = "the venue did not answer the OrderMassStatusRequest within " + std::to_string(timeout_ms) + " ms";
        return false;
    }
    // Parents the venue no longer lists as working: ask for each one's status.
    std::vector<std::pair<std::string, std::uint64_t>> to_ask;
    for (const std::uint64_t parent : ask_about) {
        const bool listed = std::any_of(impl.snap.result.orders.begin(), impl.snap.result.orders.end(),
                                        [&](const venue::VenueOpenOrder& o) { return o.parent_id == parent; });
        if (!listed) {
            std::string id = "OS." + impl.config.run_token + "." + std::to_string(impl.snapshots) + "." +
                             std::to_string(parent);
            impl.snap.status_ids.emplace(id, parent);
            to_ask.emplace_back(std::move(id), parent);
        }
    }
    lock.unlock();
    for (const auto& [id, parent] : to_ask) {
        FIX::Message request = f::make("H");
        f::set(request, f::kOrdStatusReqID, id);
        f::set(request, f::kClOrdID, make_cl_ord_id(impl.config.cl_ord_tag, impl.config.run_token, parent, 0));
        f::set(request, f::kOrderID, "NONE");  // required by FIX 4.4; the Fund knows only its ClOrdID
        f::set(request, f::kSymbol, "NA");
        f::set_char(request, f::kSide, '1');
        if (!impl.transmit(request)) {
            error = "the OrderStatusRequests could not be sent";
            return false;
        }
    }
    lock.lock();
    const bool done = impl.state_cv.wait_until(lock, deadline, [&] {
        return impl.snap.positions_done && impl.snap.status_ids.empty();
    });
    if (!done) {
        error = std::string("the venue did not answer the ") +
                (impl.snap.positions_done ? "OrderStatusRequests" : "RequestForPositions") + " within " +
                std::to_string(timeout_ms) + " ms";
        return false;
    }
    for (venue::VenueOpenOrder& answer : impl.snap.status_answers) {
        impl.snap.result.orders.push_back(std::move(answer));
    }
    {
        // After a restart the tracker is empty: take over this run's working orders so their
        // later reports count (reports that came before this are what reconciliation recovers).
        const std::lock_guard tracker_lock(impl.tracker_mutex);
        for (const venue::VenueOpenOrder& o : impl.snap.result.orders) {
            if (o.working && o.parent_id != 0) {
                (void)impl.tracker.adopt(o.cl_ord_id, o.symbol, o.side, o.qty, o.cum);
            }
        }
    }
    if (!impl.snap.error.empty()) {
        error = impl.snap.error;
        return false;
    }
    out = std::move(impl.snap.result);
    impl.snap.result = {};
    return true;
}

}  // namespace fundos::fix
