#include "fundos/engine/journal_replay.hpp"

#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "fundos/engine/journal_records.hpp"

namespace fundos::engine {
namespace {

std::string hex(std::uint64_t v) {
    char text[24];
    std::snprintf(text, sizeof text, "0x%016" PRIx64, v);
    return text;
}

std::string at(std::size_t index, RecordType type) {
    return "record " + std::to_string(index) + " (" + record_type_name(type) + ")";
}

/// The record's payload as T, or false when its size is not T's (a damaged or foreign journal).
template <class T>
bool load(const JournalEntry& entry, T& out) noexcept {
    if (entry.payload.size() != sizeof(T)) {
        return false;
    }
    std::memcpy(static_cast<void*>(&out), entry.payload.data(), sizeof(T));
    return true;
}

/// A fixed-size text field of a record as a string (NUL-padded, maybe without a NUL).
template <std::size_t N>
std::string text(const char (&field)[N]) {
    return std::string(field, strnlen(field, N));
}

/// Re-applies a kMarketRange: the events [first, first+count), their hash checked first.
std::string replay_market(Engine& engine, const MarketRangeRecord& r, MarketEvents& market, ReplayPosition& position) {
    std::uint64_t h = kFnvOffset;
    for (std::uint64_t i = r.first; i < r.first + r.count; ++i) {
        marketdata::EventRecord event{};
        if (!market.event(i, event)) {
            return "market event " + std::to_string(i) + " is not in the market data (or comes before one "
                   "already replayed)";
        }
        h = fnv1a64_words(h, &event, sizeof event);
        engine.on_market(event, i);
        if (position.events++ == 0) {
            position.first_event_time = event.time;
        }
        position.last_event_time = event.time;
    }
    position.next_event = r.first + r.count;
    if (h != r.hash) {
        return "market events [" + std::to_string(r.first) + ", " + std::to_string(r.first + r.count) +
               ") differ from the ones journaled (hash " + hex(h) + ", journal " + hex(r.hash) +
               "): the market data changed";
    }
    return {};
}

}  // namespace

std::string replay_journal(Engine& engine, std::span<const JournalEntry> records, MarketEvents& market,
                           ReplayPosition& position) {
    for (std::size_t index = 0; index < records.size(); ++index) {
        const JournalEntry& entry = records[index];
        if (!record_size_ok(entry.type, entry.payload)) {
            return at(index, entry.type) + ": payload of " + std::to_string(entry.payload.size()) +
                   " bytes (want " + std::to_string(record_size(entry.type)) +
                   (entry.type == RecordType::kConfigChange ? " plus its entries and text)" : ")");
        }
        switch (entry.type) {
            case RecordType::kMarketRange: {
                MarketRangeRecord r{};
                (void)load(entry, r);
                if (std::string error = replay_market(engine, r, market, position); !error.empty()) {
                    return at(index, entry.type) + ": " + error;
                }
                break;
            }
            case RecordType::kMarketEvent: {  // live modes: the event itself is the record
                MarketEventRecord r{};
                (void)load(entry, r);
                engine.on_market(r.event, r.index);
                if (position.events++ == 0) {
                    position.first_event_time = r.event.time;
                }
                position.last_event_time = r.event.time;
                position.next_event = r.index + 1;
                break;
            }
            case RecordType::kFeedStatus: {
                FeedStatusRecord r{};
                (void)load(entry, r);
                engine.feed_status(r.instrument_id, r.tripped != 0);
                break;
            }
            case RecordType::kStepBegin: {
                StepBeginRecord r{};
                (void)load(entry, r);
                engine.begin_step(r.seq, r.clock);
                position.seq = r.seq;
                position.clock = r.clock;
                break;
            }
            case RecordType::kIntent: {
                IntentJournalRecord r{};
                (void)load(entry, r);
                engine.submit(r.slot, r.intent);
                break;
            }
            case RecordType::kAnswerEnd: {
                AnswerEndRecord r{};
                (void)load(entry, r);
                engine.submit(r.slot, answer_end_intent(r));
                break;
            }
            case RecordType::kPolicy: {
                PolicyRecord r{};
                (void)load(entry, r);
                engine.silent(r.slot, text(r.why).c_str());
                break;
            }
            case RecordType::kRefusal: {
                RefusalRecord r{};
                (void)load(entry, r);
                Refusal refusal{};
                refusal.source = static_cast<Refusal::Source>(r.source);
                refusal.reason = static_cast<abi::RejectReason>(r.reason);
                refusal.copy = r.intent;
                refusal.ring_position = r.ring_position;
                refusal.commit_seen = r.commit_seen;
                engine.refused(r.slot, refusal);
                break;
            }
            case RecordType::kKillSwitch: {
                KillSwitchRecord r{};
                (void)load(entry, r);
                engine.kill_switch(static_cast<Scope>(r.scope), r.id, r.on != 0);
                break;
            }
            case RecordType::kStepEnd: {
                StepEndRecord r{};
                (void)load(entry, r);
                engine.end_step();
                ++position.steps;
                if (engine.state_hash() != r.state_hash) {
                    return at(index, entry.type) + ": step " + std::to_string(r.seq) + " replayed to state " +
                           hex(engine.state_hash()) + ", the journal has " + hex(r.state_hash);
                }
                break;
            }
            case RecordType::kConfigChange: {
                ConfigChangeView v;
                (void)read_config_change(entry.payload, v);
                engine.change_config(v.change);
                break;
            }
            case RecordType::kVenueEvent: {
                VenueEventRecord r{};
                (void)load(entry, r);
                engine.venue_event(r.event);
                break;
            }
            case RecordType::kRunEnd: {
                RunEndRecord r{};
                (void)load(entry, r);
                engine.finish(text(r.why).c_str());
                position.finished = true;
                break;
            }
            default: break;  // outputs: the engine emits them again
        }
        if (engine.faulted()) {
            return at(index, entry.type) + ": the engine faulted (out of memory)";
        }
    }
    return {};
}

void ReplayOutputCheck::record(RecordType type, std::span<const std::byte> payload) {
    if (!error_.empty()) {
        return;
    }
    const std::uint64_t index = matched_;
    if (index >= expected_.size()) {
        error_ = "the replay wrote record " + std::to_string(index) + " (" + record_type_name(type) +
                 ") past the journal's end";
        return;
    }
    const JournalEntry& want = expected_[index];
    const bool same = want.type == type && want.payload.size() == payload.size() &&
                      std::memcmp(want.payload.data(), payload.data(), payload.size()) == 0;
    if (same) {
        ++matched_;
        return;
    }
    if (type == RecordType::kRunStart && want.type == RecordType::kRunStart) {
        error_ = compare_run_start(want.payload, payload);
    }
    if (error_.empty()) {
        error_ = "record " + std::to_string(index) + " differs: the journal has " +
                 describe_record(want.type, want.payload) + ", the replay gave " + describe_record(type, payload);
    }
}

std::string compare_run_start(std::span<const std::byte> journal, std::span<const std::byte> now) {
    if (journal.size() != sizeof(RunStartRecord) || now.size() != sizeof(RunStartRecord)) {
        return "its run_start record has " + std::to_string(journal.size()) + " bytes (want " +
               std::to_string(sizeof(RunStartRecord)) + ")";
    }
    RunStartRecord a{};
    RunStartRecord b{};
    std::memcpy(static_cast<void*>(&a), journal.data(), sizeof a);
    std::memcpy(static_cast<void*>(&b), now.data(), sizeof b);
    if (a.format_version != b.format_version) {
        return "it was written in journal format " + std::to_string(a.format_version) + "; this Fund writes " +
               std::to_string(b.format_version);
    }
    if (a.config_hash != b.config_hash || a.mode != b.mode || a.agent_count != b.agent_count ||
        a.capital != b.capital || a.stale_after_ns != b.stale_after_ns || a.latency_ns != b.latency_ns) {
        return "it was written with a different configuration (config hash " + hex(a.config_hash) +
               ", this configuration " + hex(b.config_hash) + ")";
    }
    if (a.instruments_hash != b.instruments_hash || a.data_checksum != b.data_checksum ||
        std::memcmp(&a, &b, sizeof a) != 0) {
        return "it was written with different market data (instrument table " + hex(a.instruments_hash) +
               ", data checksum " + hex(a.data_checksum) + "; now " + hex(b.instruments_hash) + ", " +
               hex(b.data_checksum) + ")";
    }
    return {};
}

}  // namespace fundos::engine
