#include "fundos/fix/exchange.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <list>
#include <mutex>
#include <thread>

#include "fix_fields.hpp"
#include "fundos/feed/net.hpp"

namespace fundos::fix {

namespace f = fields;

namespace {

/// QuickFIX's acceptor on a socket of ours, listening on 127.0.0.1 only: QuickFIX 1.15's socket
/// acceptors bind every interface (it has no SocketAcceptHost) and cannot bind port 0. Sessions,
/// their state and every message are still QuickFIX's (Acceptor, ThreadedSocketConnection); only
/// the listening socket and the connection threads are ours, run as ThreadedSocketAcceptor runs
/// its own.
class LoopbackAcceptor final : public FIX::Acceptor {
public:
    LoopbackAcceptor(FIX::Application& application, FIX::MessageStoreFactory& store,
                     const FIX::SessionSettings& settings, feed::Fd listener)
        : FIX::Acceptor(application, store, settings), listener_(std::move(listener)) {}
    LoopbackAcceptor(FIX::Application& application, FIX::MessageStoreFactory& store,
                     const FIX::SessionSettings& settings, FIX::LogFactory& logs, feed::Fd listener)
        : FIX::Acceptor(application, store, settings, logs), listener_(std::move(listener)) {}
    ~LoopbackAcceptor() override { join_connections(); }
    LoopbackAcceptor(const LoopbackAcceptor&) = delete;
    LoopbackAcceptor& operator=(const LoopbackAcceptor&) = delete;

    /// Drops session `id`'s connection without a Logout, as a network failure would. Its socket
    /// is shut down through a descriptor of our own, so the connection's thread sees the end of
    /// the stream and QuickFIX closes its descriptor on that thread. Session::disconnect() from
    /// here would close the descriptor under that thread's recv() (a race ThreadSanitizer
    /// reports: the number could be reused by the next accept while recv() still holds it).
    void drop(const FIX::SessionID& id) {
        const std::lock_guard lock(mutex_);
        for (const LoggedOn& entry : logged_on_) {
            if (entry.id == id) {
                (void)::shutdown(entry.socket.get(), SHUT_RDWR);
            }
        }
    }

private:
    /// A connection whose session is known (after its Logon), with a duplicate of its socket
    /// that stays open until the connection ends.
    struct LoggedOn {
        const FIX::ThreadedSocketConnection* connection;
        FIX::SessionID id;
        feed::Fd socket;
    };

    // Acceptor::start() runs this on its own thread; Acceptor::stop() sets isStopped() (after
    // disconnecting the logged-on sessions), calls onStop() and joins it.
    void onStart() override {
        while (!isStopped()) {
            pollfd ready{listener_.get(), POLLIN, 0};
            if (::poll(&ready, 1, 100) <= 0) {
                continue;
            }
            const int socket = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
            if (socket < 0) {
                continue;
            }
            const int one = 1;
            (void)::setsockopt(socket, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            const std::lock_guard lock(mutex_);
            if (stopping_) {
                ::close(socket);
                continue;
            }
            auto* connection = new FIX::ThreadedSocketConnection(socket, getSessions(), getLog());
            connections_.emplace_back([this, connection] { serve(connection); });
        }
    }
    bool onPoll(double) override { return false; }  // start() only: never polled
    void onStop() override {
        {
            const std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        join_connections();
    }

    /// One connection until it ends: read() waits a second at most, so a stop is seen in time.
    /// A connection that never logged on is shut down (stop() disconnects the others), which
    /// ends its read(); the fd stays open until QuickFIX's own disconnect closes it, so no other
    /// thread can be handed the same number meanwhile.
    void serve(FIX::ThreadedSocketConnection* connection) {
        bool shut = false;
        bool known = false;
        while (connection->read()) {
            if (!known && connection->getSession() != nullptr) {  // set by the Logon just read
                const std::lock_guard lock(mutex_);
                logged_on_.push_back({connection, connection->getSession()->getSessionID(),
                                      feed::Fd(::fcntl(connection->getSocket(), F_DUPFD_CLOEXEC, 0))});
                known = true;
            }
            if (isStopped() && !shut) {
                (void)::shutdown(connection->getSocket(), SHUT_RDWR);
                shut = true;
            }
        }
        {
            const std::lock_guard lock(mutex_);
            logged_on_.remove_if([connection](const LoggedOn& entry) { return entry.connection == connection; });
        }
        delete connection;
    }

    void join_connections() {
        std::list<std::thread> done;
        {
            const std::lock_guard lock(mutex_);
            done.swap(connections_);
        }
        for (std::thread& t : done) {
            t.join();
        }
    }

    feed::Fd listener_;
    std::mutex mutex_;
    bool stopping_ = false;
    std::list<std::thread> connections_;
    std::list<LoggedOn> logged_on_;
};

}  // namespace

struct Exchange::Impl final : FIX::Application {
    explicit Impl(const ExchangeConfig& c) : config(c), book(c.book) {}

    // ---- QuickFIX's connection threads: hand the request to the book, send nothing here.
    void onCreate(const FIX::SessionID&) override {}
    void onLogon(const FIX::SessionID&) override {
        const std::lock_guard lock(mutex);
        ++stats.logons;
    }
    void onLogout(const FIX::SessionID&) override {}
    void toAdmin(FIX::Message&, const FIX::SessionID&) override {}
    void toApp(FIX::Message&, const FIX::SessionID&) override {}
    void fromAdmin(const FIX::Message&, const FIX::SessionID&) override {}
    void fromApp(const FIX::Message& m, const FIX::SessionID& id) override {
        try {
            const std::lock_guard lock(mutex);
            ++stats.messages_in;
            const std::uint32_t session = index_of(id);
            book.on_application_message(session, outbox);
            const std::string type = f::msg_type(m);
            const bool poss_dup = f::character(m.getHeader(), f::kPossDupFlag) == 'Y';
            const std::uint64_t now = feed::monotonic_ns();
            if (type == "D") {
                NewOrder order;
                order.session = session;
                order.cl_ord_id = f::text(m, f::kClOrdID);
                order.account = f::text(m, f::kAccount);
                order.symbol = f::text(m, f::kSymbol);
                order.side = f::side_of(f::character(m, f::kSide));
                order.type = f::ord_type_of(f::character(m, f::kOrdType));
                order.tif = f::tif_of(f::character(m, f::kTimeInForce));
                order.qty = f::fixed_or_zero(m, f::kOrderQty, abi::QUANTITY_DECIMALS);
                order.limit = f::fixed_or_zero(m, f::kPrice, abi::PRICE_DECIMALS);
                order.poss_dup = poss_dup;
                book.on_new(order, now, outbox);
            } else if (type == "F") {
                book.on_cancel(session, f::text(m, f::kClOrdID), f::text(m, f::kOrigClOrdID), poss_dup, outbox);
            } else if (type == "G") {
                book.on_replace(session, f::text(m, f::kClOrdID), f::text(m, f::kOrigClOrdID),
                                f::fixed_or_zero(m, f::kOrderQty, abi::QUANTITY_DECIMALS),
                                f::fixed_or_zero(m, f::kPrice, abi::PRICE_DECIMALS), poss_dup, outbox);
            } else if (type == "AF") {
                book.on_mass_status(session, f::text(m, f::kMassStatusReqID), f::text(m, f::kAccount), outbox);
            } else if (type == "H") {
                book.on_order_status(session, f::text(m, f::kOrdStatusReqID), f::text(m, f::kClOrdID), outbox);
            } else if (type == "AN") {
                book.on_positions(session, f::text(m, f::kPosReqID), f::text(m, f::kAccount), outbox);
            }
        } catch (const std::exception& e) {
            std::fprintf(stderr, "fundos-exchange: a message could not be handled: %s\n", e.what());
        }
    }

    std::uint32_t index_of(const FIX::SessionID& id) {
        for (std::size_t i = 0; i < sessions.size(); ++i) {
            if (sessions[i] == id) {
                return static_cast<std::uint32_t>(i);
            }
        }
        sessions.push_back(id);
        return static_cast<std::uint32_t>(sessions.size() - 1);
    }

    // ---- the market loop's thread
    FIX::Message message_of(const Outbound& o) const {
        switch (o.kind) {
            case Outbound::Kind::kExecReport: {
                FIX::Message m = f::make("8");
                f::set(m, f::kOrderID, o.order_id);
                f::set(m, f::kExecID, o.exec_id);
                f::set_char(m, f::kExecType, o.exec_type);
                f::set_char(m, f::kOrdStatus, o.ord_status);
                if (!o.cl_ord_id.empty()) {
                    f::set(m, f::kClOrdID, o.cl_ord_id);
                }
                if (!o.orig_cl_ord_id.empty()) {
                    f::set(m, f::kOrigClOrdID, o.orig_cl_ord_id);
                }
                if (!o.account.empty()) {
                    f::set(m, f::kAccount, o.account);
                }
                f::set(m, f::kSymbol, o.symbol);
                f::set_char(m, f::kSide, f::side_code(o.side));
                f::set_qty(m, f::kOrderQty, o.order_qty);
                if (o.type != abi::OrderType::NONE) {
                    f::set_char(m, f::kOrdType, f::ord_type_code(o.type));
                }
                if (o.type == abi::OrderType::LIMIT) {
                    f::set_price(m, f::kPrice, o.limit);
                }
                if (o.last_qty > 0) {
                    f::set_qty(m, f::kLastQty, o.last_qty);
                    f::set_price(m, f::kLastPx, o.last_px);
                }
                f::set_qty(m, f::kLeavesQty, o.leaves);
                f::set_qty(m, f::kCumQty, o.cum);
                f::set_price(m, f::kAvgPx, o.avg_px);
                f::set_time(m, f::kTransactTime, o.time);
                if (!o.text.empty()) {
                    f::set(m, f::kText, o.text);
                }
                if (o.exec_type == '8' || o.unknown_order) {
                    f::set(m, f::kOrdRejReason, o.unknown_order ? "5" : "99");  // 5 unknown order; 99 other (see Text)
                }
                if (!o.status_req_id.empty()) {
                    f::set(m, f::kOrdStatusReqID, o.status_req_id);
                }
                if (!o.req_id.empty()) {
                    f::set(m, f::kMassStatusReqID, o.req_id);
                    f::set(m, f::kTotNumReports, std::to_string(o.total));
                    f::set_char(m, f::kLastRptRequested, o.last ? 'Y' : 'N');
                }
                return m;
            }
            case Outbound::Kind::kCancelReject: {
                FIX::Message m = f::make("9");
                f::set(m, f::kOrderID, o.order_id);
                f::set(m, f::kClOrdID, o.cl_ord_id);
                f::set(m, f::kOrigClOrdID, o.orig_cl_ord_id);
                f::set_char(m, f::kOrdStatus, o.ord_status);
                f::set_char(m, f::kCxlRejResponseTo, o.cxl_rej_response_to);
                f::set(m, f::kText, o.text);
                f::set_time(m, f::kTransactTime, o.time);
                return m;
            }
            case Outbound::Kind::kPositionAck: {
                FIX::Message m = f::make("AO");
                f::set(m, f::kPosMaintRptID, "A" + o.req_id);
                f::set(m, f::kPosReqID, o.req_id);
                f::set(m, f::kTotalNumPosReports, std::to_string(o.total));
                f::set_char(m, f::kPosReqResult, o.total == 0 ? '2' : '0');  // 2: no positions found
                f::set_char(m, f::kPosReqStatus, '0');                        // completed
                f::set(m, f::kAccount, o.account);
                f::set_char(m, f::kAccountType, '1');
                return m;
            }
            case Outbound::Kind::kPositionReport: {
                FIX::Message m = f::make("AP");
                f::set(m, f::kPosMaintRptID, o.exec_id);
                f::set(m, f::kPosReqID, o.req_id);
                f::set(m, f::kTotalNumPosReports, std::to_string(o.total));
                f::set_char(m, f::kPosReqResult, '0');
                f::set(m, f::kClearingBusinessDate, f::date_of(o.time));
                f::set(m, f::kAccount, o.account);
                f::set_char(m, f::kAccountType, '1');
                f::set(m, f::kSymbol, o.symbol);
                f::set(m, f::kSettlPrice, "0");
                f::set_char(m, f::kSettlPriceType, '1');
                f::set(m, f::kPriorSettlPrice, "0");
                FIX::Group position(f::kNoPositions, f::kPosType);
                f::set(position, f::kPosType, "TQ");  // transaction quantity
                f::set_qty(position, f::kLongQty, o.long_qty);
                f::set_qty(position, f::kShortQty, o.short_qty);
                m.addGroup(position);
                return m;
            }
            case Outbound::Kind::kDisconnect: break;
        }
        return FIX::Message();
    }

    void flush() {
        std::vector<Outbound> batch;
        std::vector<FIX::SessionID> ids;
        {
            const std::lock_guard lock(mutex);
            batch.swap(outbox);
            ids = sessions;
        }
        for (const Outbound& o : batch) {
            try {
                if (o.session >= ids.size()) {
                    continue;
                }
                if (o.kind == Outbound::Kind::kDisconnect) {
                    // Dropped without a Logout: what follows is stored and resent after the next logon.
                    acceptor->drop(ids[o.session]);
                    continue;
                }
                FIX::Message m = message_of(o);
                (void)FIX::Session::sendToTarget(m, ids[o.session]);
                const std::lock_guard lock(mutex);
                ++stats.messages_out;
            } catch (const std::exception& e) {
                std::fprintf(stderr, "fundos-exchange: a report could not be sent: %s\n", e.what());
            }
        }
    }

    ExchangeConfig config;
    std::uint16_t port = 0;
    std::unique_ptr<FIX::MemoryStoreFactory> store;
    std::unique_ptr<FIX::FileLogFactory> log_factory;
    std::unique_ptr<FIX::SessionSettings> settings;
    std::unique_ptr<LoopbackAcceptor> acceptor;
    feed::FeedReceiver receiver;
    std::unique_ptr<feed::FeedServer> server;
    std::size_t defined = 0;

    mutable std::mutex mutex;  // book, outbox, sessions, stats
    ExchangeBook book;
    std::vector<Outbound> outbox;
    std::vector<FIX::SessionID> sessions;
    ExchangeStats stats;
};

Exchange::Exchange() = default;

Exchange::~Exchange() {
    if (impl_ && impl_->acceptor) {
        try {
            impl_->acceptor->stop(true);
        } catch (const std::exception&) {
            // shutting down: nothing left to tell
        }
    }
}

bool Exchange::open(const ExchangeConfig& config, std::string& error) {
    if (config.clients.empty()) {
        error = "no client CompIDs: at least one --client";
        return false;
    }
    auto impl = std::make_unique<Impl>(config);
    if (config.serve) {
        impl->server = std::make_unique<feed::FeedServer>();
        if (const feed::Status s = impl->server->open(*config.serve); !s.ok()) {
            error = s.message();
            return false;
        }
        impl->config.market.recovery_port = impl->server->recovery_port();
    }
    if (const feed::Status s = impl->receiver.open(impl->config.market); !s.ok()) {
        error = s.message();
        return false;
    }
    feed::Fd listener;
    if (const feed::Status s = feed::open_tcp_listener(config.fix_port, listener, impl->port); !s.ok()) {
        error = "FIX: " + s.message();
        return false;
    }
    try {
        FIX::Dictionary defaults;
        defaults.setString("ConnectionType", "acceptor");
        defaults.setString("StartTime", "00:00:00");
        defaults.setString("EndTime", "00:00:00");
        defaults.setString("UseDataDictionary", "N");
        defaults.setString("ResetOnLogon", "N");  // keep what a dropped client has not received yet
        if (!config.log_dir.empty()) {
            std::filesystem::create_directories(config.log_dir);
            defaults.setString("FileLogPath", config.log_dir);
        }
        impl->settings = std::make_unique<FIX::SessionSettings>();
        impl->settings->set(defaults);
        for (const std::string& client : config.clients) {
            impl->settings->set(FIX::SessionID("FIX.4.4", config.comp_id, client), FIX::Dictionary());
        }
        impl->store = std::make_unique<FIX::MemoryStoreFactory>();
        if (!config.log_dir.empty()) {
            impl->log_factory = std::make_unique<FIX::FileLogFactory>(*impl->settings);
            impl->acceptor = std::make_unique<LoopbackAcceptor>(*impl, *impl->store, *impl->settings,
                                                                *impl->log_factory, std::move(listener));
        } else {
            impl->acceptor = std::make_unique<LoopbackAcceptor>(*impl, *impl->store, *impl->settings, std::move(listener));
        }
        impl->acceptor->start();
    } catch (const std::exception& e) {
        error = "FIX port " + std::to_string(impl->port) + ": " + e.what();
        return false;
    }
    impl_ = std::move(impl);
    return true;
}

std::uint16_t Exchange::fix_port() const noexcept { return impl_ ? impl_->port : 0; }

std::uint16_t Exchange::recovery_port() const noexcept {
    return impl_ && impl_->server ? impl_->server->recovery_port() : 0;
}

bool Exchange::run(std::string& error) {
    if (!impl_) {
        error = "not open";
        return false;
    }
    Impl& impl = *impl_;
    feed::Status served;
    std::thread server_thread;
    if (impl.server) {
        server_thread = std::thread([&] { served = impl.server->run(); });
    }
    marketdata::EventRecord event{};
    while (!stop_.load(std::memory_order_relaxed)) {
        const std::uint64_t now = feed::monotonic_ns();
        impl.receiver.poll(now);
        {
            const std::lock_guard lock(impl.mutex);
            if (impl.receiver.instruments().size() != impl.defined) {
                for (const auto& instrument : impl.receiver.instruments()) {
                    impl.book.define(instrument.instrument_id,
                                     std::string_view(instrument.symbol, strnlen(instrument.symbol, sizeof(instrument.symbol))),
                                     instrument.lot_size);
                }
                impl.defined = impl.receiver.instruments().size();
            }
            while (impl.receiver.next(event)) {
                ++impl.stats.market_events;
                impl.book.on_market(event, now, impl.outbox);
            }
            impl.book.on_timer(now, impl.outbox);
        }
        impl.flush();
        impl.receiver.wait(1'000'000);  // 1 ms: also how long a request waits for its reports to go out
    }
    if (impl.server) {
        impl.server->stop();
        server_thread.join();
        if (!served.ok()) {
            error = "feed: " + served.message();
            return false;
        }
    }
    return true;
}

ExchangeStats Exchange::stats() const {
    if (!impl_) {
        return {};
    }
    const std::lock_guard lock(impl_->mutex);
    ExchangeStats out = impl_->stats;
    out.book = impl_->book.counters();
    return out;
}

}  // namespace fundos::fix
