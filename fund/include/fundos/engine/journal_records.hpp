// The payload of each journal record type (engine.hpp, RecordType): one POD struct per type,
// fixed layout, little-endian, every byte defined (explicit padding fields, zero-initialised:
// always build a record as `XxxRecord r{};`). Journals outlive builds: never reorder or resize a
// field; grow by taking reserved bytes or by a new record type.
//
// SPEC (docs/ENGINE.md quotes this block)
//
//   type           payload              emitted
//   kRunStart      RunStartRecord       once, by the Engine constructor: config hash, data
//                                       checksum, instrument table (config id, market-data id,
//                                       symbol, tick, lot, restricted)
//   kMarketRange   MarketRangeRecord    at begin_step (and before kKillSwitch / kRunEnd) when
//                                       market events were applied since the previous one:
//                                       [first, first+count) of the merged replay and the hash
//                                       (fnv1a64_words below, from kFnvOffset) of those
//                                       EventRecords' bytes in order. A gap in the indices passed to on_market closes
//                                       the range before the gap.
//   kStepBegin     StepBeginRecord      begin_step: seq, clock
//   kIntent        IntentJournalRecord  end_step, per submitted intent in processing order: the
//                                       full private IntentRecord copy, the slot, the verdict
//                                       (0 = journaled only (an END_OF_ANSWER with fields the
//                                       transport would refuse), 1 ACCEPTED, 2 REJECTED), the
//                                       reason, the signed order quantity created
//   kAnswerEnd     AnswerEndRecord      end_step, in place of kIntent for an END_OF_ANSWER whose
//                                       other fields are zero (every one the transport passes):
//                                       slot, agent, intent id, snapshot seq, client tag: the
//                                       whole copy (answer_end_intent), in 64 bytes instead of 216
//   kOrder         OrderRecord          end_step, one per child of each new parent order
//   kCross         CrossRecord          end_step, one per child share of an internal cross
//   kFill          FillRecord           per execution fill of a parent order (on_market)
//   kAllocation    AllocationRecord     per child share of a kFill
//   kCancel        CancelRecord         an order stopped working: cause and reported reason
//   kPolicy        PolicyRecord         end_step, per silent agent: slot, policy, why
//   kTradingState  TradingStateRecord   a fund/agent/instrument state change (loss limit or
//                                       kill switch)
//   kKillSwitch    KillSwitchRecord     kill_switch(): scope, id, on
//   kStepEnd       StepEndRecord        end of end_step: fund totals and state_hash
//   kRunEnd        RunEndRecord         finish(): why, totals, state_hash
//   kRefusal       RefusalRecord        end_step, before the kIntent records, per refused()
//                                       call (slot order, then call order): the private copy
//                                       (zero for a quarantine), source, reason, and for a
//                                       quarantine the ring position and the commit found there
//   kConfigChange  ConfigChangeRecord   change_config() (config_change.hpp), at a step boundary:
//                  + entries + text     the step it follows, status (applied or rejected), what
//                                       triggered it, the configuration hash before and after;
//                                       then entry_count ConfigChangeEntry (24 bytes each: scope,
//                                       id, slot or row, field, old and new value) and text_size
//                                       bytes of UTF-8 for people: "PATH: OLD -> NEW" per entry,
//                                       one a line, or the reason a change was rejected. The one
//                                       record of variable size: record_size() is its fixed part.
//
//   kMarketEvent   MarketEventRecord    live modes, in place of kMarketRange: each market event as
//                                       on_market applied it (its index among the events applied
//                                       and the whole EventRecord), since no .fmd holds it
//   kFeedStatus    FeedStatusRecord     live modes, feed_status() at a step boundary: the
//                                       instrument (config id) and whether its feed is tripped
//   kVenueCommand  venue::VenueCommand  venue mode: each command to the venue (kNew at end_step
//                                       as a parent is created; kCancel / kReplace at the end of
//                                       the call that asked for a cancel), as Sink::venue gets it
//   kVenueEvent    VenueEventRecord     venue mode, venue_event(): the event as given, its
//                                       number among the venue events (0..), the step seq, the
//                                       engine's time and the VenueVerdict (engine.hpp)
//
//   Intent copies (kIntent, kRefusal) are journaled with commit = 0: the commit is the record's
//   position in the agent's ring, which starts over when an agent reattaches, so keeping it would
//   make a resumed run's journal differ from an uninterrupted one's for no decision's sake.
//
//   Recovery (journal_replay.hpp: replay_journal) replays the inputs into a fresh Engine built
//   from the same config and instrument table: kMarketRange (re-read the events, check the
//   hash, on_market each), kStepBegin (begin_step), kIntent (submit(slot, intent)), kPolicy
//   (silent(slot, why)), kStepEnd (end_step; compare its state_hash), kKillSwitch
//   (kill_switch), kRunEnd (finish(why)), kRefusal (refused(slot, refusal): counted, never
//   executed), kConfigChange (change_config), kAnswerEnd (submit(slot, answer_end_intent)),
//   kMarketEvent (on_market(event, index): the engine journals it again) and kFeedStatus
//   (feed_status), kVenueEvent (venue_event(event): a production journal replays without the
//   venue).
//   Everything else is output and is reproduced byte for byte by the replay.
//
//   state_hash: fnv1a64_words (from kFnvOffset) over, in order, for each agent (config order):
//   cash, realized, fees, then for each instrument (config order) qty and basis; then each
//   instrument's fund position; then each working order's (order id, remaining) in order-id
//   order; each value one int64 word.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "fundos/abi.hpp"
#include "fundos/engine/engine.hpp"

namespace fundos::engine {

/// 2: market ranges hashed by fnv1a64_words; 3: state_hash (and the engine's other value
/// hashes) by fnv1a64_words too, and END_OF_ANSWER journaled as kAnswerEnd.
inline constexpr std::uint32_t kJournalFormatVersion = 3;
inline constexpr std::uint64_t kFnvOffset = 0xcbf29ce484222325ULL;
inline constexpr std::uint64_t kFnvPrime = 0x100000001b3ULL;

/// FNV-1a 64 over `size` bytes, continuing from `h` (start with kFnvOffset).
[[nodiscard]] inline std::uint64_t fnv1a64(std::uint64_t h, const void* data, std::size_t size) noexcept {
    const auto* p = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < size; ++i) {
        h ^= p[i];
        h *= kFnvPrime;
    }
    return h;
}

/// FNV-1a's step taken over 8-byte little-endian words instead of bytes (`size` a multiple of 8),
/// continuing from `h`: the market-range hash. An EventRecord is 8 words, and a byte-wise FNV-1a
/// over every event replayed cost a sixth of a simulation step.
[[nodiscard]] inline std::uint64_t fnv1a64_words(std::uint64_t h, const void* data, std::size_t size) noexcept {
    const auto* p = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i + 8 <= size; i += 8) {
        std::uint64_t word = 0;
        for (std::size_t b = 0; b < 8; ++b) {  // little-endian whatever the machine (a load on x86_64)
            word |= static_cast<std::uint64_t>(p[i + b]) << (8 * b);
        }
        h ^= word;
        h *= kFnvPrime;
    }
    return h;
}

/// Why an order stopped working (kCancel). The reported RejectReason is in CancelRecord::reason.
enum class CancelCause : std::uint8_t {
    kAgent = 1,       ///< CANCEL intent (reason NONE)
    kIoc = 2,         ///< IOC remainder after its first eligible event (NONE)
    kFok = 3,         ///< FOK not fillable at its first eligible event (NONE)
    kDayEnd = 4,      ///< DAY order at a new session day (NONE)
    kSilent = 5,      ///< silent-agent policy (AGENT_SILENT)
    kKillSwitch = 6,  ///< kill switch turned on (KILL_SWITCH)
    kLossLimit = 7,   ///< fund or agent moved to HALTED by its loss limit (LOSS_LIMIT)
    kShutdown = 8,    ///< finish() (SHUTDOWN)
    kFlatten = 9,     ///< FLATTEN intent canceled the agent's working orders (NONE)
    kUnmapped = 10,   ///< a configuration change took the instrument from the agent (INSTRUMENT_NOT_MAPPED)
    kVenue = 11,      ///< venue mode: the venue canceled it on its own (IOC rest, expiry) (NONE)
    kVenueReject = 12,  ///< venue mode: the venue rejected its parent order (VENUE_REJECT)
};

/// Why a trading state changed (kTradingState).
enum class StateCause : std::uint8_t { kLossLimit = 1, kKillSwitchOn = 2, kKillSwitchOff = 3 };

/// silent(slot, why): the why string as a code (the text is kept too).
enum class SilentWhy : std::uint8_t { kOther = 0, kTimeout = 1, kDead = 2, kLate = 3 };

struct RunStartInstrument {
    std::uint32_t instrument_id = 0;  ///< config id
    std::uint32_t md_id = 0;          ///< id in the merged market data; 0: symbol not found
    char symbol[16] = {};
    abi::Price tick_size = 0;
    abi::Quantity lot_size = 0;
    std::uint8_t restricted = 0;
    std::uint8_t pad[7] = {};
};
static_assert(sizeof(RunStartInstrument) == 48);

struct RunStartRecord {
    std::uint32_t format_version = kJournalFormatVersion;
    std::uint16_t instrument_count = 0;
    std::uint16_t agent_count = 0;
    std::uint8_t mode = 0;
    std::uint8_t pad_9[7] = {};
    std::uint64_t config_hash = 0;       ///< FNV-1a 64 over the config's fields (engine.cpp)
    std::uint64_t instruments_hash = 0;  ///< FNV-1a 64 over the InstrumentRecord table given
    std::uint64_t data_checksum = 0;     ///< as given to the constructor (0: not given)
    abi::Money capital = 0;
    abi::Duration stale_after_ns = 0;
    abi::Duration latency_ns = 0;
    RunStartInstrument instruments[abi::MAX_INSTRUMENTS] = {};
};
static_assert(sizeof(RunStartRecord) == 64 + 48 * abi::MAX_INSTRUMENTS);
static_assert(offsetof(RunStartRecord, instruments) == 64);

struct MarketRangeRecord {
    std::uint64_t first = 0;
    std::uint64_t count = 0;
    std::uint64_t hash = 0;  ///< fnv1a64_words(kFnvOffset, events, count * 64)
    abi::Timestamp last_time = 0;
};
static_assert(sizeof(MarketRangeRecord) == 32);

struct MarketEventRecord {
    std::uint64_t index = 0;             ///< the event's number among those applied (0..)
    marketdata::EventRecord event{};     ///< as applied
};
static_assert(sizeof(MarketEventRecord) == 72);

struct FeedStatusRecord {
    std::uint32_t instrument_id = 0;     ///< config id
    std::uint8_t tripped = 0;            ///< 1: the stale guard holds; 0: recovered
    std::uint8_t pad_5[3] = {};
};
static_assert(sizeof(FeedStatusRecord) == 8);
static_assert(std::is_trivially_copyable_v<MarketEventRecord> && std::has_unique_object_representations_v<MarketEventRecord> &&
              std::is_trivially_copyable_v<FeedStatusRecord> && std::has_unique_object_representations_v<FeedStatusRecord>);

struct StepBeginRecord {
    abi::Sequence seq = 0;
    abi::Timestamp clock = 0;
};
static_assert(sizeof(StepBeginRecord) == 16);

struct alignas(64) IntentJournalRecord {
    abi::IntentRecord intent{};   ///< the private copy, as submitted
    abi::Sequence step_seq = 0;
    abi::Timestamp clock = 0;
    std::uint16_t slot = 0;
    std::uint8_t verdict = 0;      ///< 0 journaled only, 1 ACCEPTED, 2 REJECTED
    std::uint8_t pad_147 = 0;
    std::uint16_t reason = 0;      ///< abi::RejectReason
    std::uint8_t pad_150[2] = {};
    abi::Quantity order_qty = 0;   ///< signed quantity of the order it created (0: none)
    abi::Price ref_price = 0;      ///< the instrument's reference price when processed
    std::uint8_t reserved_168[24] = {};
};
static_assert(sizeof(IntentJournalRecord) == 192);
static_assert(offsetof(IntentJournalRecord, step_seq) == 128);
static_assert(offsetof(IntentJournalRecord, slot) == 144);
static_assert(offsetof(IntentJournalRecord, reason) == 148);
static_assert(offsetof(IntentJournalRecord, order_qty) == 152);

struct OrderRecord {
    std::uint64_t parent_id = 0;
    std::uint64_t order_id = 0;
    std::uint64_t intent_id = 0;
    abi::Sequence seq = 0;
    abi::Timestamp eligible_time = 0;
    abi::Quantity parent_qty = 0;
    abi::Quantity child_qty = 0;
    abi::Price limit_price = 0;
    std::uint32_t agent_id = 0;
    std::uint32_t instrument_id = 0;
    std::uint16_t child_index = 0;
    std::uint16_t child_count = 0;
    std::uint8_t side = 0;        ///< abi::Side
    std::uint8_t order_type = 0;  ///< abi::OrderType
    std::uint8_t tif = 0;         ///< abi::TimeInForce
    std::uint8_t pad_79 = 0;
};
static_assert(sizeof(OrderRecord) == 80);

struct CrossRecord {
    abi::Sequence seq = 0;
    abi::Timestamp clock = 0;
    std::uint64_t order_id = 0;
    std::uint64_t intent_id = 0;
    abi::Quantity qty = 0;  ///< this child's crossed share, > 0
    abi::Price price = 0;   ///< the reference price
    abi::Quantity buy_total = 0;
    abi::Quantity sell_total = 0;
    abi::Quantity crossed = 0;
    std::uint32_t agent_id = 0;
    std::uint32_t instrument_id = 0;
    std::uint8_t side = 0;
    std::uint8_t pad_81[7] = {};
};
static_assert(sizeof(CrossRecord) == 88);

struct FillRecord {
    std::uint64_t parent_id = 0;
    std::uint64_t event_index = 0;
    abi::Timestamp time = 0;
    abi::Quantity qty = 0;
    abi::Price price = 0;
    abi::Quantity parent_remaining = 0;
    std::uint32_t instrument_id = 0;
    std::uint8_t side = 0;
    std::uint8_t event_kind = 0;  ///< marketdata::EventKind
    std::uint8_t order_type = 0;
    std::uint8_t pad_55 = 0;
};
static_assert(sizeof(FillRecord) == 56);

struct AllocationRecord {
    std::uint64_t parent_id = 0;
    std::uint64_t order_id = 0;
    std::uint64_t intent_id = 0;
    abi::Timestamp time = 0;
    abi::Quantity qty = 0;
    abi::Price price = 0;
    abi::Money fee = 0;
    abi::Quantity remaining = 0;  ///< the child's remaining quantity after this share
    std::uint32_t agent_id = 0;
    std::uint32_t instrument_id = 0;
    std::uint8_t side = 0;
    std::uint8_t pad_73[7] = {};
};
static_assert(sizeof(AllocationRecord) == 80);

struct CancelRecord {
    std::uint64_t order_id = 0;
    std::uint64_t parent_id = 0;  ///< 0: canceled before it reached a parent
    std::uint64_t intent_id = 0;
    abi::Timestamp time = 0;
    abi::Quantity canceled_qty = 0;
    abi::Quantity filled_qty = 0;
    std::uint32_t agent_id = 0;
    std::uint32_t instrument_id = 0;
    std::uint16_t reason = 0;  ///< abi::RejectReason reported in the CANCELED report
    std::uint8_t cause = 0;    ///< CancelCause
    std::uint8_t side = 0;
    std::uint8_t pad_60[4] = {};
};
static_assert(sizeof(CancelRecord) == 64);

struct PolicyRecord {
    abi::Sequence seq = 0;
    abi::Timestamp clock = 0;
    std::uint32_t agent_id = 0;
    std::uint16_t slot = 0;
    std::uint8_t policy = 0;  ///< SilentPolicy
    std::uint8_t why_code = 0;  ///< SilentWhy
    char why[16] = {};        ///< the text given to silent(), truncated, NUL-padded
};
static_assert(sizeof(PolicyRecord) == 40);

struct TradingStateRecord {
    abi::Timestamp time = 0;
    abi::Money loss = 0;    ///< capital - equity at the change (loss-limit changes)
    abi::Money equity = 0;
    std::uint32_t id = 0;   ///< agent or instrument id; 0 for the fund
    std::uint8_t scope = 0; ///< Scope
    std::uint8_t from = 0;  ///< abi::TradingState
    std::uint8_t to = 0;
    std::uint8_t cause = 0; ///< StateCause
};
static_assert(sizeof(TradingStateRecord) == 32);

struct KillSwitchRecord {
    abi::Timestamp time = 0;
    std::uint32_t id = 0;
    std::uint8_t scope = 0;
    std::uint8_t on = 0;
    std::uint8_t pad_14[2] = {};
};
static_assert(sizeof(KillSwitchRecord) == 16);

struct StepEndRecord {
    abi::Sequence seq = 0;
    abi::Timestamp clock = 0;
    abi::Money nav = 0;
    abi::Money cash = 0;
    abi::Money gross = 0;
    abi::Money net = 0;
    abi::Money realized = 0;
    abi::Money unrealized = 0;
    abi::Money fees = 0;
    std::uint64_t state_hash = 0;
    std::uint32_t working_orders = 0;
    std::uint32_t parents = 0;
};
static_assert(sizeof(StepEndRecord) == 88);

struct RunEndRecord {
    abi::Timestamp time = 0;
    abi::Money nav = 0;
    abi::Money realized = 0;
    abi::Money fees = 0;
    std::uint64_t fills = 0;
    std::uint64_t state_hash = 0;
    char why[32] = {};
};
static_assert(sizeof(RunEndRecord) == 80);

struct alignas(64) RefusalRecord {
    abi::IntentRecord intent{};      ///< the private copy (zero for a quarantine)
    abi::Sequence step_seq = 0;
    abi::Timestamp clock = 0;
    std::uint64_t ring_position = 0; ///< quarantine: the ring position of the impossible commit
    std::uint64_t commit_seen = 0;   ///< quarantine: the value found there
    std::uint32_t agent_id = 0;      ///< the slot's configured id (the copy's may be anything)
    std::uint16_t slot = 0;
    std::uint16_t reason = 0;        ///< abi::RejectReason reported to the agent
    std::uint8_t source = 0;         ///< Refusal::Source
    std::uint8_t pad_169[23] = {};
};
static_assert(sizeof(RefusalRecord) == 192);
static_assert(offsetof(RefusalRecord, step_seq) == 128);
static_assert(offsetof(RefusalRecord, agent_id) == 160);
static_assert(offsetof(RefusalRecord, source) == 168);

/// kAnswerEnd: an END_OF_ANSWER whose other fields are all zero, which is every one the
/// transport lets through (intent_validator.cpp), journaled in a quarter of an IntentJournalRecord:
/// with one quick agent it is a third of the journal's bytes per step.
struct AnswerEndRecord {
    abi::Sequence step_seq = 0;
    std::uint64_t intent_id = 0;
    abi::Sequence snapshot_seq = 0;
    std::uint64_t client_tag = 0;
    std::uint32_t agent_id = 0;
    std::uint16_t slot = 0;
    std::uint8_t pad_38[2] = {};
};
static_assert(sizeof(AnswerEndRecord) == 40);

/// kVenueEvent: one venue_event() call (engine.hpp, "Venue execution").
struct VenueEventRecord {
    venue::VenueEvent event{};     ///< as given
    std::uint64_t index = 0;       ///< its number among the venue events (0..): kFill's event_index
    abi::Sequence step_seq = 0;    ///< the last begin_step's seq
    abi::Timestamp time = 0;       ///< the engine's time (latest market event or step clock)
    std::uint8_t verdict = 0;      ///< VenueVerdict
    std::uint8_t pad_185[7] = {};
};
static_assert(sizeof(VenueEventRecord) == 192);
static_assert(sizeof(venue::VenueCommand) == 56);  // kVenueCommand's payload, journaled as is

/// Whether `in` is an END_OF_ANSWER a kAnswerEnd holds whole (every field but those it keeps zero;
/// the commit is never journaled).
[[nodiscard]] bool is_plain_answer_end(const abi::IntentRecord& in) noexcept;
/// The kAnswerEnd record of a plain END_OF_ANSWER, and the private copy it stands for.
[[nodiscard]] AnswerEndRecord answer_end_record(std::uint16_t slot, abi::Sequence step_seq,
                                                const abi::IntentRecord& in) noexcept;
[[nodiscard]] abi::IntentRecord answer_end_intent(const AnswerEndRecord& r) noexcept;

/// kConfigChange's fixed part; entry_count ConfigChangeEntry and text_size bytes of text follow.
struct ConfigChangeRecord {
    abi::Sequence after_seq = 0;   ///< the seq of the step it follows (0: before the first step)
    abi::Timestamp clock = 0;      ///< that step's clock
    std::uint64_t old_hash = 0;    ///< configuration hash before (report.json's config_hash)
    std::uint64_t new_hash = 0;    ///< after; 0 when rejected
    std::uint32_t entry_count = 0;
    std::uint32_t text_size = 0;
    std::uint8_t status = 0;       ///< ConfigChangeStatus
    std::uint8_t trigger = 0;      ///< ConfigTrigger
    std::uint8_t pad_42[6] = {};
};
static_assert(sizeof(ConfigChangeRecord) == 48);
static_assert(offsetof(ConfigChangeRecord, status) == 40);

/// Trivially copyable, standard layout and without any padding byte (every byte is a named field).
template <class T>
inline constexpr bool kJournalPod = std::is_trivially_copyable_v<T> && std::is_standard_layout_v<T> &&
                                    std::has_unique_object_representations_v<T>;
static_assert(kJournalPod<RunStartRecord> && kJournalPod<MarketRangeRecord> && kJournalPod<StepBeginRecord> &&
              kJournalPod<IntentJournalRecord> && kJournalPod<OrderRecord> && kJournalPod<CrossRecord> &&
              kJournalPod<FillRecord> && kJournalPod<AllocationRecord> && kJournalPod<CancelRecord> &&
              kJournalPod<PolicyRecord> && kJournalPod<TradingStateRecord> && kJournalPod<KillSwitchRecord> &&
              kJournalPod<StepEndRecord> && kJournalPod<RunEndRecord> && kJournalPod<RefusalRecord> &&
              kJournalPod<ConfigChangeRecord> && kJournalPod<ConfigChangeEntry> && kJournalPod<AnswerEndRecord> &&
              kJournalPod<VenueEventRecord> && kJournalPod<venue::VenueCommand>);

/// The payload size of each record type (0 for an unknown type); kConfigChange: its fixed part.
[[nodiscard]] std::size_t record_size(RecordType type) noexcept;
/// Whether `size` bytes are a whole payload of `type`: record_size(type), or for kConfigChange
/// its fixed part plus the entries and text it announces.
[[nodiscard]] bool record_size_ok(RecordType type, std::span<const std::byte> payload) noexcept;

/// A kConfigChange payload read back (false: not one).
struct ConfigChangeView {
    ConfigChangeRecord head{};
    ConfigChange change;
};
[[nodiscard]] bool read_config_change(std::span<const std::byte> payload, ConfigChangeView& out);
/// The kConfigChange payload for `change` applied after the step (seq, clock).
[[nodiscard]] std::vector<std::byte> config_change_payload(const ConfigChange& change, abi::Sequence after_seq,
                                                           abi::Timestamp clock);
[[nodiscard]] const char* record_type_name(RecordType type) noexcept;
[[nodiscard]] const char* to_string(CancelCause cause) noexcept;

/// One human-readable line (no newline) for `fund journal`: "step_begin seq=3 clock=...".
/// A payload of the wrong size gives "<name> bad payload size N (want M)".
[[nodiscard]] std::string describe_record(RecordType type, std::span<const std::byte> payload);

/// The bytes of a record, for Sink::journal.
template <class T>
[[nodiscard]] std::span<const std::byte> record_bytes(const T& record) noexcept {
    static_assert(kJournalPod<T>);
    return std::as_bytes(std::span<const T, 1>(&record, 1));
}

}  // namespace fundos::engine
