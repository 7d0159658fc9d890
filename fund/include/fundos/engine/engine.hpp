// Engine: the Fund's deterministic core, the sequencer's state machine. Single-threaded, no I/O,
// no clock of its own, no hash-ordered iteration: its output (reports, journal records, state)
// is a pure function of the configuration and the sequence of calls. The `fund` process feeds it
// market events and agent intents in one explicit order and publishes what it exposes.
//
// One decision step (simulation, docs/FUND.md):
//
//   on_market(e)* ...       market events of the step, in replay order: reference prices,
//                           marks, stale guard, and fills of working orders (execution rules)
//   feed_status(id, t)*     live modes only: the feed's per-instrument trips and recoveries
//                           since the last step (journaled kFeedStatus)
//   begin_step(clock)       the snapshot of this step is about to be published
//   fill_state / fill_book  what the snapshot and each agent's book show
//   submit(slot, intent)*   intents that passed the transport's structural validation, in any
//                           order: the engine sorts them by (agent id, intent id) at end_step
//   silent(slot, why)*      agents that did not answer this step (no END_OF_ANSWER by the
//                           deadline, dead, late): their silent policy applies
//   refused(slot, r)*       records the engine never gets to check: refused by the transport's
//                           structural validation (or a quarantined ring), or void because the
//                           agent's answer was unfinished; journaled and counted, never executed
//   end_step()              risk checks in sequence, netting per instrument, parent orders to
//                           simulated execution, allocations; reports and journal records
//   venue_event(e)* ...     production (fill model "venue"): between steps like on_market,
//                           what the venue did with parent orders: fills, cancels, rejects
//
// Everything the engine decides leaves through the Sink: a report for an agent (ACCEPTED,
// REJECTED with its reason, FILLED, CANCELED), a journal record for every state change, and at
// the end of every step the equity points of the fund and of each agent.
//
// SPEC (docs/ENGINE.md quotes this block; the fill rules are in execution.hpp, netting and
// allocation in netting.hpp, accounting in ledger.hpp, rounding in fixed_point.hpp, journal
// records in journal_records.hpp)
//
// Slots and ids. `slot` is the agent's index in FundConfig.agents (the transport's slot).
// Intents name instruments by their config id (InstrumentConfig.id, the FundState row's
// instrument_id); market events by their market-data id; the engine maps one onto the other by
// symbol. An instrument whose symbol is not in the market data is HALTED.
//
// Sequencing. end_step first journals the step's refusals (kRefusal) in slot order, each slot's
// in the order they were given (an agent's ring order: deterministic whatever the interleaving
// of agents); then it processes the step's submitted intents sorted by (agent_id, intent_id)
// (then slot, then the record's bytes), whatever the order of the submit() calls; then the
// silent-agent policies in slot order (one per slot and step; ties broken by the why text);
// then netting per instrument in config order. Every later check sees the effects of earlier
// accepted intents of the same step: an accepted intent's order is working at once (its
// quantity counts in working_qty, open orders, position, exposure and rate checks).
//
// Intent kinds (each submitted intent gets exactly one ACCEPTED or REJECTED report, except
// END_OF_ANSWER, which is only journaled):
//   ORDER            an order of qty on side, MARKET or LIMIT, TIF DAY/IOC/GTC/FOK
//   TARGET_POSITION  a MARKET GTC order for qty - (position + working qty of this agent in the
//                    instrument); none when that is 0 (still ACCEPTED)
//   CANCEL           cancels the agent's working order created by ref_intent_id (and in
//                    instrument_id when that is not 0): ACCEPTED, then CANCELED (reason NONE)
//                    for that order; UNKNOWN_ORDER when no such order is working
//   FLATTEN          cancels the agent's working orders in the instrument (CANCELED, reason
//                    NONE) and closes its position with a MARKET GTC order (none when flat)
// The ACCEPTED report carries the order's side and quantity in remaining_qty (0: no order).
// Fills are FILLED reports (fill_qty, fill_price, fee, remaining_qty); an order that stops
// working without filling completely gets CANCELED with its reason: NONE (agent cancel,
// FLATTEN, IOC remainder, FOK kill, DAY end), AGENT_SILENT, KILL_SWITCH, LOSS_LIMIT, SHUTDOWN.
// Orders the Fund creates for a silent agent (flatten policy) carry intent_id 0.
//
// Risk-reducing. With E = the agent's position + working quantity (signed, including orders
// accepted earlier in the step) in the instrument, an order of signed quantity d is
// risk-reducing iff E != 0, d has the opposite sign of E and |d| <= |E|: its fill can only
// bring |position incl. working| toward 0, never flip it. CANCEL never adds risk. FLATTEN is
// risk-reducing by definition.
//
// Risk checks, in this order; the first failure is the REJECTED reason. "Order" below means the
// order the intent would create (d != 0); an intent that creates none (CANCEL, TARGET_POSITION
// already at target, FLATTEN when flat) skips the checks marked (o). FLATTEN skips those marked
// (f). Every limit of 0 is off. Scopes: agent (AgentConfig.limits), instrument
// (InstrumentConfig.limits: fund-wide in that instrument), fund (FundConfig.limits).
//    1 BAD_AGENT_ID        intent.agent_id is not the slot's configured id (defensive)
//    2 DUPLICATE           intent_id <= the highest intent id already processed for the agent
//                          (the transport guarantees increasing ids, so this is a resubmission)
//      -- END_OF_ANSWER stops here: journaled only
//      UNKNOWN_ENUM        kind, side, order type or time in force out of range (defensive)
//    3 UNKNOWN_INSTRUMENT  instrument_id is not configured (CANCEL: only when not 0)
//      INSTRUMENT_NOT_MAPPED  not mapped to the agent (defensive), unless the agent holds a
//                          position or working orders there (its mapping changed while running,
//                          config_change.hpp): then CANCEL and FLATTEN pass, and an ORDER or
//                          TARGET_POSITION is refused INSTRUMENT_NOT_MAPPED after check 4 unless
//                          it is risk-reducing
//      TRADING_HALTED      the instrument is HALTED (not in the market data); not for CANCEL
//    4 BAD_QUANTITY        ORDER qty <= 0, or a qty not a multiple of the lot (defensive)
//      BAD_FIELD_COMBINATION  ORDER without side, order type or time in force (defensive)
//      BAD_PRICE           LIMIT price <= 0 or off tick, MARKET price != 0 (defensive)
//    5 RATE_LIMIT          more than max_intents_per_window intents in the sliding window
//                          (clock - rate_window_ns, clock] of SIMULATED time, at agent,
//                          instrument and fund scope; an intent that passes counts in every
//                          scope (rejected ones counted only if they got past this check)
//      -- CANCEL: UNKNOWN_ORDER if no such working order; else accepted
//    6 KILL_SWITCH (o)(f)  a kill switch is on for the fund, the agent or the instrument and the
//                          order is not risk-reducing
//    7 LOSS_LIMIT (o)(f)   the fund or the agent is REDUCING or HALTED by its loss limit and the
//                          order is not risk-reducing
//    8 STALE_MARKET_DATA (o)  the stale guard is tripped for the instrument (simulation.
//                          stale_after_ns > 0 and clock - last event time of the instrument >
//                          stale_after_ns, or no event yet), or, in the live modes, its feed is
//                          tripped (feed_status; also for the step after a trip that cleared
//                          before it), or it has no reference price yet
//    9 RESTRICTED (o)(f)   the instrument is restricted and the order is not risk-reducing
//   10 MAX_ORDER_SIZE (o)(f)  |d| > max_order_qty or notional(|d|, reference) >
//                          max_order_notional, at agent, instrument and fund scope
//   11 PRICE_COLLAR (o)(f) LIMIT only: |limit - ref| * 10000 > price_collar_bps * ref
//   12 POSITION_LIMIT (o)(f)  |E + d| > max_position and |E + d| > |E|: agent scope with the
//                          agent's E; instrument and fund scope with the fund's E (sum over
//                          agents) in the instrument
//   13 EXPOSURE_LIMIT (o)(f)  gross = sum over instruments |notional(E_i, ref_i)|, net =
//                          |sum notional(E_i, ref_i)|, after the order; refused when above
//                          max_gross_exposure (max_net_exposure) and above the value before it;
//                          agent scope (its E), fund scope (the fund's E), instrument scope
//                          (|notional(E_fund, ref)| in that instrument for both)
//   14 OPEN_ORDER_LIMIT (o)(f)  working orders + 1 > max_open_orders: agent (its orders),
//                          instrument (all agents' orders in it), fund (all orders)
//
// Trading states. Loss = capital - equity (agent: its capital; fund: FundConfig.capital - NAV),
// evaluated at every begin_step with the marks of the events applied so far. loss >=
// reducing_loss moves the scope to REDUCING, loss >= halt_loss to HALTED; the state never goes
// back during a run (sticky). REDUCING: new orders must be risk-reducing (else LOSS_LIMIT).
// HALTED: the same, and on entering it every working order of the scope is canceled
// (LOSS_LIMIT). Each change is a kTradingState record. Instruments have no loss limits.
// Kill switch (kill_switch(scope, id, on)): on cancels every working order in its scope
// (KILL_SWITCH) and, while on, only risk-reducing orders are accepted (else KILL_SWITCH); it
// shows as HALTED (fund trading_state, instrument trading_state, agent_trading_state()); off
// restores the loss-limit state. Scope ids: agent id, instrument config id, 0 for the fund.
//
// Silent agents (silent(slot, why)): the agent's SilentPolicy applies at end_step after the
// step's intents: kNoOp nothing; kCancelOrders cancels its working orders (AGENT_SILENT);
// kFlatten also closes each of its positions with a MARKET GTC order (intent_id 0), netted like
// any other. Each application is a kPolicy record.
//
// Snapshot. fill_state writes instruments (status TRADING, STALE when the guard is tripped,
// HALTED; trading_state HALTED when its kill switch is on, else ACTIVE; bid/ask/sizes/
// quote_time from the last QUOTE; last/last_size/trade_time from the latest TRADE or BAR
// (close, volume, bar end time); session_volume = TRADE sizes + BAR volumes since the session
// day began), the fund totals, trading_state, mode and instrument_count; it never touches seq,
// clock, agents or agent_count, nor the instrument rows past instrument_count (no reader looks
// at them; the caller zeroes them once). Fund totals: NAV = sum of agents' equity + unallocated capital
// (FundConfig.capital - sum of agents' capital, held as cash); cash likewise; realized,
// unrealized and fees are sums over agents; gross/net exposure are over the fund's positions
// (agents' positions summed per instrument) at the marks. fill_book writes the AgentBook's head
// and its rows in use: seq = the step's seq, the account (capital, cash, equity, exposures, PnL,
// fees, intents accepted/rejected, last_intent_id) and position_count rows, one per instrument
// mapped to the agent (plus any other where it holds a position or working orders), in config
// order, with avg_cost, realized/unrealized PnL, fees and the signed working_qty. Rows past
// position_count are left as they were (no reader looks at them: the transport publishes the
// head and the rows in use), so a step costs no 4 KB clear per agent.
//
// Venue execution (production: config.execution.fill_model == kVenue; the boundary is
// fundos/venue/venue.hpp). Market events still set prices, marks, the stale guard and session
// days, but never fill: the venue does.
//   Parents. Netting is unchanged (crosses between agents stay internal); each parent order it
//   creates leaves as a kNew VenueCommand (Sink::venue, after its kVenueCommand record) with the
//   parent's id, side, type, limit, time in force and total. Since the venue enforces time in
//   force, the residual of a step's marketable children goes out as one parent per time in
//   force among them (in TimeInForce value order) instead of one; LIMIT and FOK orders are each
//   their own parent as in simulation.
//   Events. venue_event(e) journals e first (kVenueEvent, with the event's number among the
//   venue events, the step seq, the engine's time and the verdict), then applies it:
//     kAccepted        the parent is accepted (reconciliation shows it)
//     kFill            qty at price, allocated to the parent's working children exactly as an
//                      execution fill (netting.hpp 4: kFill, kAllocation, FILLED, fills rows;
//                      kFill's event_kind 0 and event_index the venue event's number). The fee
//                      is the venue's when non-zero, split over the shares by cumulative
//                      rounding (share k gets round(fee * C_k / qty) - round(fee * C_k-1 / qty),
//                      C_k the shares' running sum), else the configured fee model per share.
//                      While a kReplace is outstanding the children it keeps take the fill
//                      first, then the cancel-pending ones: the venue counts fills against the
//                      replaced total, so this keeps the engine's leaves equal to the venue's.
//                      A venue may fill an odd lot: then the split is in raw quantity units
//                      instead of whole lots.
//     kCanceled        what is left of every child is canceled: the reason and cause of its
//                      pending cancel, else (the venue canceled on its own: IOC rest, expiry)
//                      reason NONE, cause venue
//     kReplaced        the children of the outstanding kReplace are canceled with their pending
//                      reasons; leaves different from the engine's is counted (leaves_mismatch)
//     kRejected        every child is canceled, reason VENUE_REJECT (cause venue_reject)
//     kCancelRejected  the children of the outstanding request work again
//   An event naming no parent the engine created is kUnknown; one naming a parent no longer
//   working is kFinished; both are journaled and counted, never applied. A kFill whose exec id
//   equals the parent's last one, or whose cum is not beyond what the parent has filled, is
//   kDuplicate (never applied twice); qty <= 0 or price <= 0 is kInvalid.
//   Excess. A fill beyond what the parent has working (or on a finished parent) happened at the
//   venue, so the fund's position takes it all; the part beyond what was working goes to the
//   instrument's venue excess row, owned by no agent (kAllocation with agent 0 and order 0),
//   accounted like a position (ledger.hpp) in the fund's totals (NAV, cash, PnL, fees), and the
//   event's verdict is kExcess, counted in venue_counters().excess_fills: the run is flagged
//   (anomalous()) for a person, since spreading it over agents would hand them trades they
//   never asked for.
//   Cancels are requests. An agent's CANCEL, FLATTEN, the silent policies, a kill switch, a
//   loss-limit halt, an unmapping, a DAY end and finish() mark the children cancel-pending
//   (journal nothing yet) and, at the end of the call, ask the venue per parent (in parent id
//   order): kCancel when no child of the parent would be left working, else kReplace with the
//   new total = filled + the kept children's remaining. One request per parent is in flight:
//   children marked while one is outstanding are asked for when it is answered. Until the
//   venue confirms, cancel-pending children still work: they count in working_qty, open orders,
//   position-including-working and exposure checks, and fills are allocated to them. The
//   CANCELED report (with the cancel's reason) and kCancel record come on confirmation
//   (kCanceled or kReplaced); kCancelRejected returns them to working. A child canceled before
//   it reached a parent (same step) is canceled at once, as in simulation. finish() writes
//   kRunEnd at once, but venue_event() still works after it: the shutdown's confirmations and
//   any late fill are applied (journaled after kRunEnd), so the Fund waits for
//   venue_view().parents to empty before it closes the journal.
//   Reconciliation. venue_view() lists the working parents and the fund's positions.
//
// Invariant: per instrument, the sum of the agents' positions (plus the venue excess) equals the
// fund's position (updated only by execution fills); asserted in debug builds after every fill
// and cross.
//
// Errors: no exception leaves a noexcept member; an internal failure (out of memory) sets
// faulted() and the engine ignores further calls.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "fundos/abi.hpp"
#include "fundos/engine/config.hpp"
#include "fundos/engine/config_change.hpp"
#include "fundos/marketdata/fmd_format.hpp"
#include "fundos/venue/venue.hpp"

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
    kRefusal = 15,         ///< a record refused before the engine's checks (transport, void answer)
    kConfigChange = 16,    ///< the running configuration changed (or a change was rejected): old and new values
    kAnswerEnd = 17,       ///< an agent's END_OF_ANSWER (a kIntent in a quarter of the bytes)
    kMarketEvent = 18,     ///< live modes: one market event applied, whole (no .fmd to re-read it from)
    kFeedStatus = 19,      ///< live modes: an instrument's feed tripped (gap, stale, unknown) or recovered
    kVenueCommand = 20,    ///< venue mode: a command to the venue (new order, cancel, replace)
    kVenueEvent = 21,      ///< venue mode: what the venue did with a parent order (an input)
};

/// Scope of a kill switch or trading state.
enum class Scope : std::uint8_t { kFund = 1, kAgent = 2, kInstrument = 3 };

/// The figures of the fund or of one agent at the end of a step (equity.csv, report.json):
/// handed to the Sink as the step ends, never kept by the engine.
struct EquityPoint {
    abi::Timestamp time = 0;
    abi::Money equity = 0;     ///< cash + marked positions
    abi::Money gross = 0;
    abi::Money net = 0;
    abi::Money fees = 0;
    abi::Money realized = 0;
    abi::Money unrealized = 0;
    bool operator==(const EquityPoint&) const = default;
};

/// Where the engine's decisions go. Called synchronously from the engine's thread.
class Sink {
public:
    virtual ~Sink() = default;
    /// A report for the agent in `slot` (its commit field is filled in by the report writer).
    virtual void report(std::uint16_t slot, const abi::IntentReport& report) = 0;
    /// A journal record: `payload` is the record's POD body (journal_records.hpp), valid only
    /// during the call.
    virtual void journal(RecordType type, std::span<const std::byte> payload) = 0;
    /// The equity points of a step, once per end_step after its last report and before its
    /// kStepEnd record: [0] the fund, then one per agent in config order, all with the step's
    /// clock as time. Valid only during the call: the engine keeps no series, so whoever needs
    /// one (equity.csv, report.json) keeps its own, and the engine's memory does not grow with
    /// the number of steps.
    virtual void equity(std::span<const EquityPoint> fund_then_agents) = 0;
    /// Venue mode only (config.execution.fill_model == kVenue): a command for the venue, after
    /// its kVenueCommand record. The caller sends it (Venue::send); when it cannot be sent, it
    /// hands the engine what the venue would have said: kRejected for a kNew, kCancelRejected
    /// for a kCancel or kReplace (venue_event), once the engine call that made the command has
    /// returned (never from inside this callback: the engine is not re-entrant). The default
    /// drops it (simulation never calls it).
    virtual void venue(const venue::VenueCommand& command) { (void)command; }
};

/// Start-up reconciliation (venue mode): one parent order the engine believes works at the venue.
struct VenueParentView {
    std::uint64_t parent_id = 0;
    std::uint32_t instrument_id = 0;   ///< config id
    abi::Side side = abi::Side::NONE;
    bool accepted = false;             ///< the venue said kAccepted (or filled some of it)
    bool cancel_pending = false;       ///< a kCancel or kReplace for it is not yet answered
    abi::Quantity qty = 0;             ///< the order's total at the venue (after confirmed replaces)
    abi::Quantity filled = 0;          ///< filled so far (the venue's cum)
    abi::Quantity leaves = 0;          ///< working: its children's remaining, cancel-pending included
};

/// Start-up reconciliation (venue mode): the fund's position in one instrument.
struct VenuePositionView {
    std::uint32_t instrument_id = 0;   ///< config id
    char symbol[abi::SYMBOL_LEN] = {};
    abi::Quantity position = 0;        ///< the fund's (sum of the agents' plus the venue excess)
    abi::Quantity excess = 0;          ///< of which no agent's: fills beyond what was working
};

/// The engine's view of the venue, in a fixed order: parents by instrument (config order) then
/// parent id; positions one per instrument in config order (flat ones included).
struct VenueView {
    std::vector<VenueParentView> parents;
    std::vector<VenuePositionView> positions;
};

/// What venue_event() made of the events it was given (each is journaled with its verdict).
enum class VenueVerdict : std::uint8_t {
    kApplied = 1,     ///< applied to a working parent
    kUnknown = 2,     ///< names no parent this engine created (or the engine is not in venue mode)
    kFinished = 3,    ///< names a parent no longer working: nothing to apply (not a fill)
    kDuplicate = 4,   ///< a fill already applied (same exec id as the last, or cum not beyond it)
    kInvalid = 5,     ///< a fill of qty <= 0 or at price <= 0
    kExcess = 6,      ///< a fill beyond what the parent had working: the excess went to the venue excess row
};

struct VenueCounters {
    std::uint64_t events = 0;         ///< venue_event() calls
    std::uint64_t applied = 0;
    std::uint64_t unknown = 0;
    std::uint64_t finished = 0;
    std::uint64_t duplicates = 0;
    std::uint64_t invalid = 0;
    std::uint64_t excess_fills = 0;   ///< fills with a part beyond what was working (an anomaly)
    std::uint64_t leaves_mismatch = 0;  ///< kReplaced whose leaves differ from the engine's (an anomaly)
    /// True when the run needs a person: a fill beyond what was working, or a leaves mismatch.
    [[nodiscard]] bool anomalous() const noexcept { return excess_fills > 0 || leaves_mismatch > 0; }
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

/// A record the engine never got to check (refused()). The engine journals and counts it; the
/// REJECTED report of a transport refusal was written by the transport, that of a void answer's
/// intent is written by the engine (AGENT_SILENT, at end_step), and a quarantine has none.
struct Refusal {
    enum class Source : std::uint8_t {
        kTransport = 1,    ///< structural validation failed (ids, enums, quantity, price, mapping, ...)
        kQuarantine = 2,   ///< the ring holds an impossible commit: quarantined, never read again
        kVoidAnswer = 3,   ///< passed the transport, but the answer had no END_OF_ANSWER in time
        kOverflow = 4,     ///< passed the transport, but beyond the intents the Fund holds for one answer
    };
    Source source = Source::kTransport;
    abi::RejectReason reason = abi::RejectReason::NONE;
    abi::IntentRecord copy{};        ///< the private copy as validated; zero for kQuarantine (nothing was copied)
    std::uint64_t ring_position = 0; ///< kQuarantine: where the impossible commit was found
    std::uint64_t commit_seen = 0;   ///< kQuarantine: the impossible value
};

class Engine {
public:
    /// `config` must have been checked by the loader; `instruments` is the merged replay's table
    /// (ids there are the instruments' ids in the market data). The engine maps config
    /// instruments onto them by symbol. `sink` must outlive the engine.
    /// `data_checksum` (optional) is recorded in kRunStart. Emits kRunStart. May throw
    /// std::bad_alloc; nothing else.
    Engine(const FundConfig& config, std::span<const marketdata::InstrumentRecord> instruments, Sink& sink,
           std::uint64_t data_checksum = 0);
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    // ---- market
    /// One market event, in replay order. `index` is its position in the merged replay (0..).
    /// In the live modes (config mode paper or production) `index` counts the events applied and
    /// each event is journaled whole (kMarketEvent) instead of as a range of an .fmd replay.
    void on_market(const marketdata::EventRecord& event, std::uint64_t index) noexcept;
    /// Live modes, at a step boundary (before begin_step): the feed says the instrument (config
    /// id) is `tripped` (unknown, gapped or stale) or trustworthy again. Journaled (kFeedStatus);
    /// while tripped the stale-market-data guard holds for it (STALE in the snapshot,
    /// STALE_MARKET_DATA for new risk), whatever simulation.stale_after says; a trip cleared
    /// again before the next begin_step still makes that step STALE for the instrument.
    void feed_status(std::uint32_t instrument_id, bool tripped) noexcept;

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
    /// A record of the agent in `slot` that never reaches the risk checks (Refusal). Journaled
    /// (kRefusal) at end_step and counted in rejects(); kQuarantine, kVoidAnswer and kOverflow
    /// also in the book's intents_rejected (kTransport ones the transport counts there itself);
    /// kVoidAnswer and kOverflow ones reported REJECTED with the refusal's reason.
    void refused(std::uint16_t slot, const Refusal& refusal) noexcept;
    void end_step() noexcept;

    // ---- operator
    void kill_switch(Scope scope, std::uint32_t id, bool on) noexcept;
    /// A change of the running configuration (config_change.hpp), at a step boundary: journaled
    /// (kConfigChange), then, when applied, every entry at once. Entries naming a slot, row or id
    /// the engine does not have are skipped.
    void change_config(const ConfigChange& change) noexcept;
    /// End of run: cancel every working order (reason SHUTDOWN), final marks, kRunEnd.
    void finish(const char* why) noexcept;

    // ---- venue (config.execution.fill_model == kVenue)
    /// What the venue did with a parent order, at a step boundary (like on_market): journaled
    /// (kVenueEvent, with its VenueVerdict), then applied. Also after finish(): confirmations
    /// and late fills of the shutdown's cancels are facts the ledger must take.
    void venue_event(const venue::VenueEvent& event) noexcept;
    /// The working parents and the fund's positions (start-up reconciliation). May throw
    /// std::bad_alloc.
    [[nodiscard]] VenueView venue_view() const;
    [[nodiscard]] VenueCounters venue_counters() const noexcept;

    // ---- results (for report.json, fills.csv, equity.csv)
    [[nodiscard]] std::span<const FillRow> fills() const noexcept;
    // (The equity points of each step go to Sink::equity as the step ends.)
    /// Rejections so far per agent (config order) per RejectReason value.
    [[nodiscard]] std::uint64_t rejects(std::size_t agent_index, abi::RejectReason reason) const noexcept;

    // ---- inspection (for the fund process and tests)
    /// The agent's trading state for AgentSlot.trading_state: HALTED while a fund or agent kill
    /// switch is on, else the worse of the fund's and the agent's loss-limit states.
    [[nodiscard]] abi::TradingState agent_trading_state(std::uint16_t slot) const noexcept;
    /// The fund's position in an instrument (config id); 0 if unknown.
    [[nodiscard]] abi::Quantity fund_position(std::uint32_t instrument_id) const noexcept;
    /// Per instrument: sum of agents' positions == fund position; per agent: equity ==
    /// capital + realized + unrealized - fees.
    [[nodiscard]] bool invariants_hold() const noexcept;
    /// An internal error (out of memory) happened; the engine ignores further calls.
    [[nodiscard]] bool faulted() const noexcept;
    /// FNV-1a 64 of the ledger and working orders (journal_records.hpp: state_hash).
    [[nodiscard]] std::uint64_t state_hash() const noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace fundos::engine
