// The Fund's configuration model: what every configuration source (a JSON file, or the document a
// SQLite or PostgreSQL configuration database gives; docs/CONFIG.md) is loaded into. Plain data, no behaviour; the loader checks every
// rule written here and the engine trusts a loaded FundConfig.
//
// Units are the ABI's fixed-point types (fundos/abi.hpp): Price raw * 1e-8, Quantity raw * 1e-6,
// Money raw * 1e-6, times and durations in ns. A limit of 0 means "no limit" unless its comment
// says otherwise. Every list is kept in the order the source gave (ids are checked unique), and
// nothing here is ever iterated in hash order.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fundos/abi.hpp"

namespace fundos::engine {

/// Risk limits of one scope. The same struct serves the fund, each agent and each instrument; a
/// check runs at every scope whose limit is set (non-zero), and the first scope that fails names
/// the reason. Quantities are absolute values; exposures and losses are in base currency.
struct RiskLimits {
    abi::Quantity max_order_qty = 0;          ///< |qty| of one order (MAX_ORDER_SIZE)
    abi::Money max_order_notional = 0;        ///< |qty| * reference price of one order (MAX_ORDER_SIZE)
    abi::Quantity max_position = 0;           ///< |resulting position| per instrument (POSITION_LIMIT)
    abi::Money max_gross_exposure = 0;        ///< sum |position value| after the order (EXPOSURE_LIMIT)
    abi::Money max_net_exposure = 0;          ///< |sum position value| after the order (EXPOSURE_LIMIT)
    std::uint32_t max_open_orders = 0;        ///< working orders at once (OPEN_ORDER_LIMIT)
    std::uint32_t max_intents_per_window = 0; ///< intents in any `rate_window_ns` of simulated time (RATE_LIMIT)
    abi::Duration rate_window_ns = 1'000'000'000ULL;
    abi::Money reducing_loss = 0;             ///< loss (capital - equity) at which the scope becomes REDUCING (LOSS_LIMIT)
    abi::Money halt_loss = 0;                 ///< loss at which the scope becomes HALTED (LOSS_LIMIT)
};

/// How a silent agent (no END_OF_ANSWER by the deadline, dead, or late on its lease) is treated
/// for that step. Recorded in the journal every time it applies.
enum class SilentPolicy : std::uint8_t {
    kNoOp = 1,          ///< nothing; its working orders keep working
    kCancelOrders = 2,  ///< cancel its working orders
    kFlatten = 3,       ///< cancel its working orders and close its positions
};

/// What the launcher (`fundos run`) does when the agent's process exits while the Fund runs. The
/// Fund itself only sees hang-ups and reattachments (a new generation); the engine never reads
/// this (it is not in the config hash: a restart changes no rule, only whether answers come).
enum class RestartPolicy : std::uint8_t {
    kNo = 0,         ///< never restart; a non-zero exit fails the run
    kOnFailure = 1,  ///< restart after a non-zero exit or a signal, up to max_restarts times
};

/// How an agent waits for snapshots (passed to the agent through its launch environment).
enum class WakeMode : std::uint8_t { kSpin = 0, kBusy = 1, kFutex = 2 };

struct InstrumentConfig {
    std::uint32_t id = 0;           ///< stable id, 1.. ; the row in FundState.instruments is its index in the list
    std::string symbol;             ///< <= 15 ASCII characters; must exist in the market data
    std::string currency = "USD";   ///< ISO 4217 code (3 upper-case letters); informational today
    bool enabled = true;            ///< status "enabled"; a disabled one is kept in FundConfig::disabled_instruments
    abi::Price tick_size = 0;       ///< 0: take it from the market-data file
    abi::Quantity lot_size = 0;     ///< 0: take it from the market-data file
    bool restricted = false;        ///< on the restricted list: only risk-reducing intents (RESTRICTED)
    std::uint32_t price_collar_bps = 0;  ///< limit price within this many bps of the reference (PRICE_COLLAR); 0: no collar
    RiskLimits limits;              ///< per-instrument limits (fund-wide position in it, order size)
};

struct AgentConfig {
    std::uint32_t id = 0;                     ///< 1.. ; unique
    std::string name;                         ///< unique, [A-Za-z0-9_.-]+
    std::vector<std::string> command;         ///< argv to launch it (run by `fundos run`); may be empty (attached by hand)
    std::string working_dir;                  ///< where to launch it; empty: the config file's folder
    std::vector<std::uint32_t> instruments;   ///< instrument ids mapped to this agent
    abi::Money capital = 0;                   ///< capital allocated; > 0
    std::vector<std::uint32_t> allowed_uids;  ///< empty: the Fund's own uid
    std::vector<std::uint32_t> allowed_gids;  ///< empty: any gid
    abi::Duration lease_ns = 2'000'000'000ULL;
    SilentPolicy silent_policy = SilentPolicy::kNoOp;
    WakeMode wake = WakeMode::kSpin;
    RestartPolicy restart = RestartPolicy::kNo;
    std::uint32_t max_restarts = 3;           ///< with kOnFailure: restarts per run (0..100)
    RiskLimits limits;
};

/// When the Fund stops the market replay, publishes a snapshot and waits for the agents.
struct DecisionPolicy {
    enum class Kind : std::uint8_t {
        kEveryBar = 1,     ///< after each distinct bar end time (all symbols' bars of that minute)
        kEveryEvents = 2,  ///< after every `events` market events
        kEveryInterval = 3 ///< whenever simulated time crosses a multiple of `interval_ns`
    };
    Kind kind = Kind::kEveryBar;
    std::uint64_t events = 0;
    abi::Duration interval_ns = 0;
};

/// Where live orders go in production mode: a FIX 4.4 session to the venue (the lead wires it;
/// paper mode fills with the simulator and never opens it). Empty host: none.
struct VenueConfig {
    std::string name;             ///< empty: none
    std::string endpoint;         ///< informational, e.g. "fix://host:port"
    std::string host;             ///< FIX acceptor's host
    std::uint16_t port = 0;       ///< FIX acceptor's TCP port
    std::string sender_comp_id;   ///< SenderCompID (tag 49)
    std::string target_comp_id;   ///< TargetCompID (tag 56)
    std::uint32_t heartbeat_s = 30;  ///< HeartBtInt (tag 108), seconds
    bool reset_on_logon = false;  ///< ResetSeqNumFlag (tag 141) on logon
    std::string account;          ///< Account (tag 1) on every order; empty: none
};

/// How fills are made: by the simulator (simulation and paper; docs/FUND.md's fill rules), or by
/// the venue's execution reports (production only).
enum class FillModel : std::uint8_t { kSimulated = 1, kVenue = 2 };

struct ExecutionConfig {
    FillModel fill_model = FillModel::kSimulated;
    std::uint32_t slippage_bps = 0;      ///< market orders fill this many bps worse than the rule's price
    abi::Money fee_per_share = 0;        ///< Money per unit of quantity (raw * 1e-6 per 1.0 units)
    std::uint32_t fee_centibps = 0;      ///< plus this many hundredths of a bp of notional (50 = 0.5 bp)
    abi::Duration latency_ns = 0;        ///< an order becomes eligible to fill this long after its decision
    std::uint32_t participation_pct = 100;  ///< share (1..100) of an event's size (bar volume, quote size, trade size) one order may take
    VenueConfig venue;
};

/// Where market data comes from: the replay of simulation.data, or a live feed (paper and
/// production modes): the FeedReceiver's settings (fundos/feed/feed_receiver.hpp) and the live
/// decision policy. Wall-clock durations here are never part of a run's output: they decide when
/// steps happen, and what a step was is journaled.
struct MarketDataConfig {
    enum class Source : std::uint8_t { kReplay = 1, kLive = 2 };
    Source source = Source::kReplay;
    std::string feed;                                ///< informational name of the feed; may be empty
    std::string address = "127.0.0.1";              ///< UDP: 127.0.0.1 (unicast) or an IPv4 multicast group
    std::uint16_t port = 0;                          ///< UDP port the packets arrive on; live: required
    std::string interface_address = "127.0.0.1";    ///< multicast: the interface to join on
    std::string recovery_address = "127.0.0.1";     ///< the feed server's TCP recovery address
    std::uint16_t recovery_port = 0;                 ///< live: required
    std::uint32_t reorder_window = 64;               ///< messages ahead of a hole that are still reordering
    abi::Duration reorder_timeout_ns = 20'000'000;   ///< a hole older than this is a gap
    abi::Duration stale_after_ns = 1'000'000'000;    ///< feed silence (wall clock) that trips the stale guard
    abi::Duration recovery_timeout_ns = 2'000'000'000;  ///< a snapshot request taking longer is retried
    abi::Duration publish_interval_ns = 100'000'000;  ///< a step (snapshot) at most this often, when the market moved
    abi::Duration heartbeat_interval_ns = 1'000'000'000;  ///< a step at least this often, moved or not
    std::uint32_t max_snapshot_lag = 4;              ///< an intent may answer a snapshot this many steps old (1..)
};

struct SimulationConfig {
    std::vector<std::string> data_files;      ///< .fmd files, merged deterministically (absolute after loading)
    DecisionPolicy decision;
    std::uint64_t answer_timeout_ms = 5000;   ///< wall-clock wait for every agent's END_OF_ANSWER per step
    std::uint64_t start_timeout_ms = 30000;   ///< wall-clock wait for the configured agents to attach
    abi::Duration stale_after_ns = 0;         ///< market data older than this (simulated) trips the stale guard; 0: off
    std::uint64_t max_steps = 0;              ///< stop after this many decision steps; 0: whole data
};

struct FundConfig {
    std::string name;                 ///< the run's name; [A-Za-z0-9_.-]+
    abi::Mode mode = abi::Mode::SIMULATION;
    std::string source;               ///< where it was loaded from (file path), for messages
    abi::Money capital = 0;           ///< fund capital; >= sum of agents' capital
    RiskLimits limits;                ///< fund-wide limits
    SimulationConfig simulation;
    ExecutionConfig execution;
    MarketDataConfig market_data;
    std::vector<InstrumentConfig> instruments;            ///< the enabled instruments: the Fund's table
    std::vector<InstrumentConfig> disabled_instruments;   ///< status "disabled": kept for the configuration's text only
    std::vector<AgentConfig> agents;
};

}  // namespace fundos::engine
