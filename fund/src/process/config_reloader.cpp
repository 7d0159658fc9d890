#include "fundos/process/config_reloader.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <memory>
#include <system_error>

#include <libpq-fe.h>

#include "fundos/runtime/config_json.hpp"
#include "fundos/runtime/config_source.hpp"

namespace fundos::process {
namespace {

/// The channel `fundos config set` notifies (payload: the service id).
constexpr const char* kChannel = "fundos_config";

/// SIGHUP's eventfd: the handler adds 1; the thread reads how many arrived.
std::atomic<int> g_sighup_fd{-1};

extern "C" void on_sighup(int) {
    const int fd = g_sighup_fd.load(std::memory_order_relaxed);
    if (fd >= 0) {
        const int saved = errno;
        const std::uint64_t one = 1;
        (void)::write(fd, &one, sizeof one);
        errno = saved;
    }
}

std::uint64_t drain(int fd) noexcept {
    std::uint64_t value = 0;
    return ::read(fd, &value, sizeof value) == static_cast<ssize_t>(sizeof value) ? value : 0;
}

std::uint64_t now_ms() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
            .count());
}

std::string one_line(const char* text) {
    std::string out;
    for (const char* p = text != nullptr ? text : ""; *p != '\0'; ++p) {
        out += *p == '\n' ? ' ' : *p;
    }
    while (!out.empty() && out.back() == ' ') {
        out.pop_back();
    }
    return out;
}

struct PqFinish {
    void operator()(PGconn* c) const noexcept { PQfinish(c); }
};

/// The LISTEN connection of a postgresql:// source.
class Listener {
public:
    explicit Listener(runtime::ConfigAddress address) : address_(std::move(address)) {}

    [[nodiscard]] bool up() const noexcept { return conn_ != nullptr; }
    [[nodiscard]] int socket() const noexcept { return conn_ ? PQsocket(conn_.get()) : -1; }
    [[nodiscard]] const std::string& label() const noexcept { return address_.label; }

    /// Connects and LISTENs; "" or why not.
    std::string connect() {
        const char* keywords[] = {"connect_timeout", "application_name", "dbname", nullptr};
        const char* values[] = {"10", "fund (configuration changes)", address_.conninfo.c_str(), nullptr};
        std::unique_ptr<PGconn, PqFinish> conn(PQconnectdbParams(keywords, values, 1));
        if (!conn) {
            return "out of memory";
        }
        if (PQstatus(conn.get()) != CONNECTION_OK) {
            return one_line(PQerrorMessage(conn.get()));
        }
        PGresult* res = PQexec(conn.get(), (std::string("LISTEN ") + kChannel).c_str());
        const bool ok = res != nullptr && PQresultStatus(res) == PGRES_COMMAND_OK;
        std::string error = ok ? std::string() : one_line(PQerrorMessage(conn.get()));
        PQclear(res);
        if (!ok) {
            return "LISTEN " + std::string(kChannel) + ": " + error;
        }
        (void)PQsetnonblocking(conn.get(), 1);
        conn_ = std::move(conn);
        return {};
    }

    /// Reads what the socket holds; counts the notifications for `service` (or with no payload).
    /// "" or why the connection is lost (then it is closed).
    std::string consume(const std::string& service, std::uint64_t& notified) {
        if (PQconsumeInput(conn_.get()) == 0 || PQstatus(conn_.get()) != CONNECTION_OK) {
            std::string why = one_line(PQerrorMessage(conn_.get()));
            conn_.reset();
            return why.empty() ? "the server closed the connection" : why;
        }
        while (PGnotify* n = PQnotifies(conn_.get())) {
            const std::string payload = n->extra != nullptr ? n->extra : "";
            if (std::string(n->relname) == kChannel && (payload.empty() || payload == service)) {
                ++notified;
            }
            PQfreemem(n);
        }
        return {};
    }

private:
    runtime::ConfigAddress address_;
    std::unique_ptr<PGconn, PqFinish> conn_;
};

}  // namespace

ConfigReloader::~ConfigReloader() { stop(); }

int ConfigReloader::install_signal_handler() noexcept {
    if (g_sighup_fd.load() < 0) {
        const int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (fd < 0) {
            return -errno;
        }
        g_sighup_fd.store(fd);
    }
    struct sigaction sa {};
    sa.sa_handler = on_sighup;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    return ::sigaction(SIGHUP, &sa, nullptr) == 0 ? 0 : -errno;
}

int ConfigReloader::start(const std::string& address, const engine::FundConfig& running, std::uint64_t running_hash,
                          Notice notice) {
    if (thread_.joinable()) {
        return -EALREADY;
    }
    address_ = address;
    if (queue_.empty()) {
        base_ = running;
        base_hash_ = running_hash;
    }
    notice_ = std::move(notice);
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd_ < 0) {
        return -errno;
    }
    runtime::ConfigAddress parsed;
    std::string error;
    listens_ = runtime::parse_config_address(address, parsed, error) &&
               parsed.kind == runtime::ConfigAddress::Kind::kPostgres;
    stop_.store(false);
    try {
        thread_ = std::thread([this] { run(); });
    } catch (const std::system_error& e) {
        ::close(wake_fd_);
        wake_fd_ = -1;
        return -e.code().value();
    }
    return 0;
}

void ConfigReloader::stop() noexcept {
    if (thread_.joinable()) {
        stop_.store(true);
        const std::uint64_t one = 1;
        (void)::write(wake_fd_, &one, sizeof one);
        thread_.join();
    }
    if (wake_fd_ >= 0) {
        ::close(wake_fd_);
        wake_fd_ = -1;
    }
}

std::uint64_t ConfigReloader::request(engine::ConfigTrigger trigger) {
    (void)trigger;  // the control socket's; signals and notifications are counted by the thread
    const std::uint64_t number = requested_.fetch_add(1) + 1;
    control_.store(true);
    if (wake_fd_ >= 0) {
        const std::uint64_t one = 1;
        (void)::write(wake_fd_, &one, sizeof one);
    }
    return number;
}

void ConfigReloader::queue(Outcome outcome) {
    if (outcome.kind == Outcome::Kind::kApply) {
        base_ = outcome.config;
        base_hash_ = outcome.change.new_hash;
    }
    push(std::move(outcome));
}

void ConfigReloader::push(Outcome outcome) {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(std::move(outcome));
    prepared_.fetch_add(1, std::memory_order_relaxed);
    ready_.fetch_add(1, std::memory_order_release);
}

bool ConfigReloader::take(std::vector<Outcome>& out) {
    if (ready_.load(std::memory_order_acquire) == 0) {
        return false;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    ready_.fetch_sub(queue_.size(), std::memory_order_relaxed);
    for (Outcome& o : queue_) {
        out.push_back(std::move(o));
    }
    queue_.clear();
    return !out.empty();
}

ConfigReloader::Outcome ConfigReloader::applied(const engine::FundConfig& running, runtime::ConfigDiff diff,
                                                 engine::ConfigTrigger trigger) {
    Outcome o;
    o.kind = Outcome::Kind::kApply;
    o.trigger = trigger;
    o.change.status = engine::ConfigChangeStatus::kApplied;
    o.change.trigger = trigger;
    o.change.old_hash = runtime::config_hash(running);
    o.change.entries = diff.entries;
    o.change.text = diff.text();
    o.lines = std::move(diff.lines);
    o.config = running;
    runtime::apply_config_change(o.config, o.change.entries);
    o.change.new_hash = runtime::config_hash(o.config);
    return o;
}

void ConfigReloader::reload(engine::ConfigTrigger trigger) {
    Outcome o;
    o.trigger = trigger;
    o.covers = requested_.load();
    o.change.trigger = trigger;
    o.change.old_hash = base_hash_;
    try {
        runtime::LoadResult loaded = runtime::load_config_source(address_);
        runtime::ConfigDiff diff;
        if (loaded.ok()) {
            diff = runtime::diff_config(base_, loaded.config);
            if (!diff.ok()) {
                diff.error = loaded.config.source + ": " + diff.error;
            }
        } else {
            diff.error = loaded.error;
        }
        if (!diff.ok()) {
            o.kind = Outcome::Kind::kReject;
            o.change.status = engine::ConfigChangeStatus::kRejected;
            o.change.text = diff.error;
        } else if (diff.empty()) {
            o.kind = Outcome::Kind::kUnchanged;
        } else {
            const std::uint64_t covers = o.covers;
            o = applied(base_, std::move(diff), trigger);
            o.covers = covers;
            base_ = o.config;
            base_hash_ = o.change.new_hash;
        }
    } catch (const std::exception& e) {
        o = Outcome{};
        o.trigger = trigger;
        o.covers = requested_.load();
        o.kind = Outcome::Kind::kReject;
        o.change.trigger = trigger;
        o.change.status = engine::ConfigChangeStatus::kRejected;
        o.change.old_hash = base_hash_;
        o.change.text = std::string("cannot re-read the configuration: ") + e.what();
    }
    push(std::move(o));
}

void ConfigReloader::run() {
    runtime::ConfigAddress parsed;
    std::string error;
    (void)runtime::parse_config_address(address_, parsed, error);
    std::unique_ptr<Listener> listener;
    std::uint64_t retry_at = 0;     // ms (steady clock): the next LISTEN connection attempt
    std::uint64_t retry_ms = 500;
    bool lost_reported = false;
    if (listens_) {
        listener = std::make_unique<Listener>(parsed);
    }
    const int sighup_fd = g_sighup_fd.load();
    bool first = true;
    while (!stop_.load()) {
        engine::ConfigTrigger trigger{};
        bool wanted = false;
        const auto want = [&](engine::ConfigTrigger t) {
            // One re-read serves every request so far; the journal names the most deliberate
            // cause: the control socket, then SIGHUP, then a notification, then a reconnection.
            const auto rank = [](engine::ConfigTrigger x) {
                switch (x) {
                    case engine::ConfigTrigger::kControl: return 0;
                    case engine::ConfigTrigger::kSignal: return 1;
                    case engine::ConfigTrigger::kNotify: return 2;
                    default: return 3;
                }
            };
            if (!wanted || rank(t) < rank(trigger)) {
                trigger = t;
            }
            wanted = true;
        };
        if (listener && !listener->up() && now_ms() >= retry_at) {
            const std::string why = listener->connect();
            if (why.empty()) {
                listening_.store(true);
                if (!first) {  // back after a loss: a NOTIFY may have come meanwhile
                    notice_("listening", "listening again on " + listener->label() + " (channel " + kChannel + ")");
                    requested_.fetch_add(1);
                    want(engine::ConfigTrigger::kListen);
                }
                lost_reported = false;
                retry_ms = 500;
            } else {
                listening_.store(false);
                if (!lost_reported) {
                    notice_("listen_lost", "cannot LISTEN on " + listener->label() + ": " + why +
                                               "; retrying (configuration changes by NOTIFY wait until then)");
                    lost_reported = true;
                }
                retry_at = now_ms() + retry_ms;
                retry_ms = std::min<std::uint64_t>(retry_ms * 2, 5000);
            }
        }
        first = false;
        if (!wanted) {
            pollfd fds[3] = {{wake_fd_, POLLIN, 0}, {sighup_fd, POLLIN, 0}, {-1, POLLIN, 0}};
            if (listener && listener->up()) {
                fds[2].fd = listener->socket();
            }
            int timeout = -1;
            if (listener && !listener->up()) {
                const std::uint64_t now = now_ms();
                timeout = retry_at > now ? static_cast<int>(retry_at - now) : 0;
            }
            if (::poll(fds, 3, timeout) < 0 && errno != EINTR) {
                break;
            }
            if (stop_.load()) {
                break;
            }
            if ((fds[0].revents & POLLIN) != 0) {
                (void)drain(wake_fd_);
            }
            if (sighup_fd >= 0 && (fds[1].revents & POLLIN) != 0) {
                if (const std::uint64_t signals = drain(sighup_fd); signals > 0) {
                    requested_.fetch_add(signals);
                    want(engine::ConfigTrigger::kSignal);
                }
            }
            if (fds[2].fd >= 0 && fds[2].revents != 0) {
                std::uint64_t notified = 0;
                const std::string why = listener->consume(base_.name, notified);
                if (!why.empty()) {
                    listening_.store(false);
                    notice_("listen_lost", "the LISTEN connection to " + listener->label() + " was lost: " + why +
                                               "; retrying (configuration changes by NOTIFY wait until then)");
                    lost_reported = true;
                    retry_at = now_ms() + retry_ms;
                } else if (notified > 0) {
                    requested_.fetch_add(notified);
                    want(engine::ConfigTrigger::kNotify);
                }
            }
        }
        if (control_.exchange(false)) {
            want(engine::ConfigTrigger::kControl);
        }
        if (wanted) {
            reload(trigger);
        }
    }
    listening_.store(false);
}

}  // namespace fundos::process
