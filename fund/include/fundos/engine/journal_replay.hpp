// Recovery: replay a journal's inputs into a fresh Engine (the contract is in journal_records.hpp,
// "Recovery replays ..."). The one mechanism behind `fund run --resume` and the determinism test:
// the Engine is a pure function of its config and its calls, and the journal holds every call
// that decided something, so replaying them rebuilds everything the engine holds (ledger,
// working orders, trading states, kill switches, rate-limit windows, last intent ids) and makes
// it emit the journal's records again, byte for byte.
//
//   Engine engine(config, instruments, sink);  // emits kRunStart: must equal records[0]
//   ReplayPosition at;
//   std::string error = replay_journal(engine, records, market, at);
//
// While replaying, the engine's sink should hand every journal record to a ReplayOutputCheck
// (and drop the reports: nobody is attached to read them); the check proves the replay
// reproduced the journal, and names the first record that differs.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "fundos/abi.hpp"
#include "fundos/engine/engine.hpp"
#include "fundos/marketdata/fmd_format.hpp"

namespace fundos::engine {

/// One record of a journal, as read (the payload must outlive the replay).
struct JournalEntry {
    RecordType type{};
    std::span<const std::byte> payload;
};

/// The market events kMarketRange records name, by their index in the merged replay. Asked for
/// in increasing index order, so a sequential reader of the market data can serve them.
class MarketEvents {
public:
    virtual ~MarketEvents() = default;
    /// The event at `index`; false when there is none.
    [[nodiscard]] virtual bool event(std::uint64_t index, marketdata::EventRecord& out) noexcept = 0;
};

/// Where a replay left the run: what a resumed process continues from.
struct ReplayPosition {
    std::uint64_t steps = 0;                ///< kStepEnd records replayed
    abi::Sequence seq = 0;                  ///< seq of the last kStepBegin (= the last snapshot's)
    abi::Timestamp clock = 0;               ///< clock of the last kStepBegin
    std::uint64_t events = 0;               ///< market events applied
    std::uint64_t next_event = 0;           ///< the first merged-replay index not consumed
    abi::Timestamp first_event_time = 0;    ///< time of the first event applied (0: none)
    abi::Timestamp last_event_time = 0;     ///< time of the last event applied
    bool finished = false;                  ///< kRunEnd replayed (finish() called)
};

/// Applies the input records of `records` (journal order; records[0] is kRunStart, already
/// emitted by the engine's constructor) to `engine`: kMarketRange (each event from `market`,
/// its hash checked), kMarketEvent and kFeedStatus (live modes: from the records themselves), kStepBegin, kIntent, kPolicy, kKillSwitch, kConfigChange, kStepEnd (its
/// state_hash checked against the engine's), kRunEnd, kVenueEvent (venue mode: the venue's
/// events, so no venue is needed); output records (kVenueCommand too) are skipped. Returns "" or what went
/// wrong, naming the record's index in `records` (its journal index). `position` is updated as
/// records are applied.
[[nodiscard]] std::string replay_journal(Engine& engine, std::span<const JournalEntry> records, MarketEvents& market,
                                         ReplayPosition& position);

/// Checks that the records an Engine emits are `expected`, in order and byte for byte.
class ReplayOutputCheck {
public:
    explicit ReplayOutputCheck(std::span<const JournalEntry> expected) noexcept : expected_(expected) {}

    /// One record the engine emitted (call from the sink's journal()).
    void record(RecordType type, std::span<const std::byte> payload);

    [[nodiscard]] bool ok() const noexcept { return error_.empty(); }
    /// The first difference; a kRunStart that differs says whether the configuration or the
    /// market data changed.
    [[nodiscard]] const std::string& error() const noexcept { return error_; }
    /// Records emitted so far that matched.
    [[nodiscard]] std::uint64_t matched() const noexcept { return matched_; }

private:
    std::span<const JournalEntry> expected_;
    std::uint64_t matched_ = 0;
    std::string error_;
};

/// "" when two kRunStart payloads are equal, else why they differ: "written with a different
/// configuration (config hash ...)" or "... different market data (...)".
[[nodiscard]] std::string compare_run_start(std::span<const std::byte> journal, std::span<const std::byte> now);

}  // namespace fundos::engine
