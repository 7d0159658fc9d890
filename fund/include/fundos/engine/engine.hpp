// Engine: the Fund's deterministic core, the sequencer's state machine. Single-threaded, no I/O,
// no clock of its own, no hash-ordered iteration: its output (reports, journal records, state)
// is a pure function of the configuration and the sequence of calls. The `fund` process feeds it
// market events and agent intents in one explicit order and publishes what it exposes.
//
// One decision step (simulation, docs/FUND.md):
//
//   on_market(e)* ...       market events of the step, in replay order: reference prices,
//                           marks, stale guard, and fills of working orders (execution rules)
//   begin_step(clock)       the snapshot of this step is about to be published
//   fill_state / fill_book  what the snapshot and each agent's book show
//   submit(slot, intent)*   intents that passed the transport's structural validation, in any
//                           order: the engine sorts them by (agent id, intent id) at end_step
//   silent(slot, why)*      agents that did not answer this step (no END_OF_ANSWER by the
//                           deadline, dead, late): their silent policy applies
//   end_step()              risk checks in sequence, netting per instrument, parent orders to
//                           simulated execution, allocations; reports and journal records
//
// Everything the engine decides leaves through the Sink: a report for an agent (ACCEPTED,
// REJECTED with its reason, FILLED, CANCELED) and a journal record for every state change.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "fundos/abi.hpp"
#include "fundos/engine/config.hpp"
#include "fundos/marketdata/fmd_format.hpp"

namespace fundos::engine {

/// What a journal record is about. Stable numbers: journals outlive builds.
enum class RecordType : std::uint16_t {
    kRunStart = 1,         ///< config hash, data checksum, instrument table
    kMarketRange = 2,      ///< market events [first, first+count) of the merged replay consumed, with their hash
    kStepBegin = 3,        ///< a decision step: seq, clock
    kIntent = 4,           ///< an intent received (the private copy) with its verdict
    kOrder = 5,            ///< a parent order sent to execution (after netting)
    kCross = 6,            ///< an internal cross between agents at the reference price
    kFill = 7,             ///< an execution fill of a parent order
    kAllocation = 8,       ///< a fill's share allocated to one agent
    kCancel = 9,           ///< an order stopped working (why)
    kPolicy = 10,          ///< a silent-agent policy applied to an agent
    kTradingState = 11,    ///< fund/agent/instrument moved ACTIVE/REDUCING/HALTED (why)
    kKillSwitch = 12,      ///< the operator's kill switch on or off (scope)
    kStepEnd = 13,         ///< end of a step: fund NAV, cash, positions hash
    kRunEnd = 14,          ///< the run finished (why)
};

/// Scope of a kill switch or trading state.
enum class Scope : std::uint8_t { kFund = 1, kAgent = 2, kInstrument = 3 };

/// Where the engine's decisions go. Called synchronously from the engine's thread.
class Sink {
public:
    virtual ~Sink() = default;
    /// A report for the agent in `slot` (its commit field is filled in by the report writer).
    virtual void report(std::uint16_t slot, const abi::IntentReport& report) = 0;
    /// A journal record: `payload` is the record's POD body (journal_records.hpp), valid only
    /// during the call.
    virtual void journal(RecordType type, std::span<const std::byte> payload) = 0;
};

/// A fill as written to fills.csv (and the report run summary); one per allocation to an agent.
struct FillRow {
    abi::Timestamp time = 0;
    std::uint32_t agent_id = 0;
    std::uint32_t instrument_id = 0;
    std::uint64_t intent_id = 0;
    abi::Side side = abi::Side::NONE;
    abi::Quantity qty = 0;     ///< positive
    abi::Price price = 0;
    abi::Money fee = 0;
    bool internal = false;     ///< crossed internally against another agent (no fee)
};

/// Per-agent and fund figures for equity.csv / report.json at the end of a step.
struct EquityPoint {
    abi::Timestamp time = 0;
    abi::Money equity = 0;     ///< cash + marked positions
    abi::Money gross = 0;
    abi::Money net = 0;
    abi::Money fees = 0;
    abi::Money realized = 0;
    abi::Money unrealized = 0;
};

class Engine {
public:
    /// `config` must have been checked by the loader; `instruments` is the merged replay's table
    /// (ids there are the instruments' ids in the market data). The engine maps config
    /// instruments onto them by symbol. `sink` must outlive the engine.
    Engine(const FundConfig& config, std::span<const marketdata::InstrumentRecord> instruments, Sink& sink);
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    // ---- market
    /// One market event, in replay order. `index` is its position in the merged replay (0..).
    void on_market(const marketdata::EventRecord& event, std::uint64_t index) noexcept;

    // ---- decision steps
    void begin_step(abi::Sequence seq, abi::Timestamp clock) noexcept;
    /// Instruments, prices, fund totals, trading states (agents table is the transport's).
    void fill_state(abi::FundState& state) const noexcept;
    /// The agent's account and positions.
    void fill_book(std::uint16_t slot, abi::AgentBook& book) const noexcept;
    /// An intent from the agent in `slot` that passed structural validation (END_OF_ANSWER
    /// included: it is only journaled).
    void submit(std::uint16_t slot, const abi::IntentRecord& intent) noexcept;
    /// The agent in `slot` did not answer this step; `why` is "timeout", "dead" or "late".
    void silent(std::uint16_t slot, const char* why) noexcept;
    void end_step() noexcept;

    // ---- operator
    void kill_switch(Scope scope, std::uint32_t id, bool on) noexcept;
    /// End of run: cancel every working order (reason SHUTDOWN), final marks, kRunEnd.
    void finish(const char* why) noexcept;

    // ---- results (for report.json, fills.csv, equity.csv)
    [[nodiscard]] std::span<const FillRow> fills() const noexcept;
    /// One point per end_step: index 0 is the fund, then agents in config order.
    [[nodiscard]] const std::vector<std::vector<EquityPoint>>& equity() const noexcept;
    /// Rejections so far per agent (config order) per RejectReason value.
    [[nodiscard]] std::uint64_t rejects(std::size_t agent_index, abi::RejectReason reason) const noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace fundos::engine
