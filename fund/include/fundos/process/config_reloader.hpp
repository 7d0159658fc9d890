// ConfigReloader: the Fund's configuration re-reads while it runs (docs/CONFIG.md, "Changes while
// running"), on a thread of its own so that no read, connection or validation ever runs on the
// sequencer.
//
//   triggers    SIGHUP (install_signal_handler(); the handler only writes an eventfd), the
//               control socket's {"cmd":"reload"} (request()), and for a postgresql:// source a
//               NOTIFY on channel `fundos_config` whose payload is the Fund's service id (its
//               name) or empty: the thread holds a LISTEN connection of its own and polls its
//               socket (PQconsumeInput, PQnotifies). A lost LISTEN connection is reported
//               (Notice) and retried every 0.5 s to 5 s; when it is back the configuration is
//               re-read once (a notification may have been missed).
//   a re-read   the same loader as start-up (load_config_source), then diff_config against the
//               configuration the thread last prepared (runtime/config_reload.hpp): an Outcome
//               to apply, to reject (the reason), or unchanged. Requests that arrive while it
//               reads are served by the next read; each Outcome says which requests it answers
//               (`covers`: every request numbered up to it).
//   hand-over   Outcomes queue, in order, for the sequencer: take() at a step boundary (one
//               relaxed atomic load when there is none). The sequencer applies each one whole
//               (Engine::change_config) and journals it; the base of the next diff is the
//               configuration after every Outcome handed over, which is what the sequencer
//               runs once it has applied them.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fundos/engine/config.hpp"
#include "fundos/engine/config_change.hpp"
#include "fundos/runtime/config_reload.hpp"

namespace fundos::process {

class ConfigReloader {
public:
    struct Outcome {
        enum class Kind : std::uint8_t { kApply, kReject, kUnchanged };
        Kind kind = Kind::kUnchanged;
        engine::ConfigTrigger trigger = engine::ConfigTrigger::kSignal;
        std::uint64_t covers = 0;            ///< answers every request numbered up to this
        engine::ConfigChange change;         ///< kApply, kReject: what Engine::change_config gets
        std::vector<runtime::ChangeLine> lines;  ///< kApply: each changed value, for people
        engine::FundConfig config;           ///< kApply: the running configuration once applied
    };
    /// A message for people from the thread (LISTEN lost, listening again): `what` is
    /// "listening" or "listen_lost".
    using Notice = std::function<void(const char* what, const std::string& detail)>;

    /// The kApply outcome of a valid, non-empty `diff` against the `running` configuration.
    [[nodiscard]] static Outcome applied(const engine::FundConfig& running, runtime::ConfigDiff diff,
                                         engine::ConfigTrigger trigger);

    ConfigReloader() = default;
    ~ConfigReloader();
    ConfigReloader(const ConfigReloader&) = delete;
    ConfigReloader& operator=(const ConfigReloader&) = delete;

    /// SIGHUP -> a re-read (with SA_RESTART). Call once, early: a SIGHUP before start() is kept
    /// and served when the thread starts. Returns 0 or -errno.
    static int install_signal_handler() noexcept;

    /// Starts the thread for the configuration at `address` (what `fund run --config` was
    /// given); `running` is the configuration in force and `running_hash` its hash
    /// (runtime::config_hash). Returns 0 or -errno.
    int start(const std::string& address, const engine::FundConfig& running, std::uint64_t running_hash,
              Notice notice);
    /// Stops and joins the thread (also done by the destructor).
    void stop() noexcept;

    /// Asks for a re-read; returns the request's number. Any thread.
    std::uint64_t request(engine::ConfigTrigger trigger);
    /// Queues an Outcome made elsewhere (a resumed run's catch-up), ahead of any re-read, and
    /// makes its configuration the base of the next diff. Call before start().
    void queue(Outcome outcome);

    /// Sequencer: moves the Outcomes ready into `out` (in order); false when there are none.
    bool take(std::vector<Outcome>& out);

    [[nodiscard]] std::uint64_t requested() const noexcept { return requested_.load(std::memory_order_relaxed); }
    [[nodiscard]] std::uint64_t prepared() const noexcept { return prepared_.load(std::memory_order_relaxed); }
    /// A postgresql:// source: whether its LISTEN connection is up.
    [[nodiscard]] bool listening() const noexcept { return listening_.load(std::memory_order_relaxed); }
    [[nodiscard]] bool listens() const noexcept { return listens_; }

private:
    void run();
    void reload(engine::ConfigTrigger trigger);
    void push(Outcome outcome);

    std::string address_;
    engine::FundConfig base_;
    std::uint64_t base_hash_ = 0;
    Notice notice_;
    std::thread thread_;
    int wake_fd_ = -1;  ///< eventfd: request() and stop()
    std::atomic<bool> stop_{false};
    std::atomic<bool> control_{false};         ///< a request() is waiting
    std::atomic<std::uint64_t> requested_{0};
    std::atomic<std::uint64_t> prepared_{0};
    std::atomic<std::uint64_t> ready_{0};      ///< Outcomes queued and not taken
    std::atomic<bool> listening_{false};
    bool listens_ = false;
    std::mutex mutex_;
    std::vector<Outcome> queue_;
};

}  // namespace fundos::process
