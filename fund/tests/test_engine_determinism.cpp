// Determinism: the same inputs with submit() / silent() calls in shuffled order give byte-identical
// sink output; replaying a run's journal inputs into a fresh Engine reproduces its output byte for
// byte through replay_journal (the recovery contract of journal_records.hpp), also when resumed
// after any step; describe_record prints every record type.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "check.hpp"
#include "fundos/engine/journal_records.hpp"
#include "fundos/engine/journal_replay.hpp"
#include "fundos/engine/testing.hpp"
#include "fundos/marketdata/prng.hpp"

using namespace fundos;
using namespace fundos::engine;
using namespace fundos::engine::testing;
using abi::Side;
using abi::TimeInForce;

namespace {

struct Step {
    std::vector<marketdata::EventRecord> events;
    abi::Timestamp clock = 0;
    std::vector<abi::IntentRecord> intents;
    std::vector<std::pair<std::uint16_t, const char*>> silent;
    std::vector<std::pair<std::uint16_t, Refusal>> refused;  // per slot in ring order
    bool kill_before = false;  // an instrument kill switch toggled before the step
};

FundConfig scenario_config() {
    FundConfig c = default_config(4);
    c.execution.participation_pct = 40;
    c.execution.latency_ns = 10;
    c.execution.slippage_bps = 2;
    c.execution.fee_per_share = 2'000;
    c.execution.fee_centibps = 30;
    c.agents[0].limits.max_position = Q(150);
    c.agents[1].limits.max_open_orders = 4;
    c.agents[2].silent_policy = SilentPolicy::kFlatten;
    c.agents[3].silent_policy = SilentPolicy::kCancelOrders;
    c.agents[3].limits.reducing_loss = M(2'000);
    c.instruments[1].price_collar_bps = 300;
    return c;
}

std::vector<Step> scenario(std::uint64_t seed) {
    marketdata::Xoshiro256 rng(seed);
    std::vector<Step> steps;
    Price mid[2] = {P(1000), P(2000)};
    std::uint64_t ids[5] = {};
    abi::Timestamp t = kT0;
    for (int s = 0; s < 120; ++s) {
        Step st;
        for (std::uint32_t md = 1; md <= 2; ++md) {
            Price& m = mid[md - 1];
            m += static_cast<Price>(rng.below(9)) * P(1) - 4 * P(1);
            st.events.push_back(quote(t, md, m - P(1), m + P(1), Q(10 + rng.below(200)), Q(10 + rng.below(200))));
            if (rng.below(2) == 0) {
                st.events.push_back(trade(t + 1, md, m, Q(rng.below(100))));
            }
        }
        st.clock = t + 2;
        for (std::uint32_t a = 1; a <= 4; ++a) {
            const auto n = rng.below(4);
            for (std::uint64_t k = 0; k < n; ++k) {
                const std::uint32_t ins = 1 + static_cast<std::uint32_t>(rng.below(2));
                const std::uint64_t id = ++ids[a];
                const Price m = mid[ins - 1];
                switch (rng.below(5)) {
                    case 0: st.intents.push_back(target(a, id, ins, Q(static_cast<std::int64_t>(rng.below(201)) - 100))); break;
                    case 1: st.intents.push_back(market(a, id, ins, rng.below(2) ? Side::BUY : Side::SELL, Q(1 + rng.below(60)),
                                                        static_cast<TimeInForce>(1 + rng.below(4))));
                        break;
                    case 2: st.intents.push_back(limit(a, id, ins, rng.below(2) ? Side::BUY : Side::SELL, Q(1 + rng.below(60)),
                                                       m + static_cast<Price>(rng.below(9)) * P(1) - 4 * P(1),
                                                       static_cast<TimeInForce>(1 + rng.below(4))));
                        break;
                    case 3: st.intents.push_back(cancel(a, id, id > 2 ? id - 1 - rng.below(2) : id)); break;
                    default: st.intents.push_back(flatten(a, id, ins)); break;
                }
            }
            if (rng.below(10) == 0) {
                st.intents.push_back(end_of_answer(a, ++ids[a]));
            }
        }
        if (rng.below(8) == 0) {
            st.silent.push_back({2, "timeout"});
        }
        if (rng.below(8) == 0) {
            st.silent.push_back({3, "dead"});
        }
        if (rng.below(6) == 0) {  // records the transport refused: two agents, two each
            for (const std::uint16_t slot : {std::uint16_t{0}, std::uint16_t{2}}) {
                Refusal bad_enum{};
                bad_enum.reason = abi::RejectReason::UNKNOWN_ENUM;
                bad_enum.copy = market(slot + 1u, static_cast<std::uint64_t>(900 + s), 1, Side::BUY, Q(1), TimeInForce::DAY);
                bad_enum.copy.kind = static_cast<abi::IntentKind>(99);
                Refusal void_answer{};
                void_answer.source = Refusal::Source::kVoidAnswer;
                void_answer.reason = abi::RejectReason::AGENT_SILENT;
                void_answer.copy = market(slot + 1u, static_cast<std::uint64_t>(901 + s), 2, Side::SELL, Q(3), TimeInForce::GTC);
                st.refused.push_back({slot, bad_enum});
                st.refused.push_back({slot, void_answer});
            }
        }
        if (s == 77) {
            Refusal quarantine{};
            quarantine.source = Refusal::Source::kQuarantine;
            quarantine.reason = abi::RejectReason::CORRUPT_SLOT;
            quarantine.ring_position = 41;
            quarantine.commit_seen = 1042;
            st.refused.push_back({1, quarantine});
        }
        st.kill_before = (s % 40) == 20 || (s % 40) == 25;
        steps.push_back(std::move(st));
        t += 60 * kSec;
    }
    return steps;
}

/// Run the scenario; `shuffle_seed` != 0 shuffles each step's submit() and silent() calls.
/// Returns the sink; `all_events` receives every market event in index order.
RecordingSink run(const std::vector<Step>& steps, std::uint64_t shuffle_seed,
                  std::vector<marketdata::EventRecord>* all_events = nullptr, std::uint64_t* hash = nullptr) {
    const FundConfig config = scenario_config();
    const auto md = default_md();
    RecordingSink sink;
    Engine engine(config, md, sink, 0x1234);
    marketdata::Xoshiro256 rng(shuffle_seed == 0 ? 1 : shuffle_seed);
    std::uint64_t index = 0;
    abi::Sequence seq = 1;
    bool kill = false;
    for (const Step& st : steps) {
        for (const auto& e : st.events) {
            engine.on_market(e, index++);
            if (all_events != nullptr) {
                all_events->push_back(e);
            }
        }
        if (st.kill_before) {
            kill = !kill;
            engine.kill_switch(Scope::kInstrument, 2, kill);
        }
        engine.begin_step(seq++, st.clock);
        std::vector<abi::IntentRecord> intents = st.intents;
        auto silent = st.silent;
        auto refused = st.refused;
        if (shuffle_seed != 0) {
            for (std::size_t i = intents.size(); i > 1; --i) {
                std::swap(intents[i - 1], intents[rng.below(i)]);
            }
            std::reverse(silent.begin(), silent.end());
            // other agents first; each agent's own refusals keep their (ring) order
            std::stable_sort(refused.begin(), refused.end(),
                             [](const auto& a, const auto& b) { return a.first > b.first; });
        }
        for (const auto& [slot, refusal] : refused) {
            engine.refused(slot, refusal);
        }
        // silent and submit calls interleaved differently too
        for (std::size_t i = 0; i < intents.size(); ++i) {
            if (shuffle_seed != 0 && i == intents.size() / 2) {
                for (const auto& [slot, why] : silent) {
                    engine.silent(slot, why);
                }
            }
            engine.submit(static_cast<std::uint16_t>(intents[i].agent_id - 1), intents[i]);
        }
        if (shuffle_seed == 0 || intents.empty()) {
            for (const auto& [slot, why] : silent) {
                engine.silent(slot, why);
            }
        }
        engine.end_step();
        CHECK(engine.invariants_hold());
    }
    engine.finish("end of data");
    CHECK(!engine.faulted());
    if (hash != nullptr) {
        *hash = engine.state_hash();
    }
    return sink;
}

}  // namespace

TEST(shuffled_submit_order_gives_identical_output) {
    const auto steps = scenario(99);
    std::uint64_t h0 = 0, h1 = 0, h2 = 0;
    const RecordingSink a = run(steps, 0, nullptr, &h0);
    const RecordingSink b = run(steps, 17, nullptr, &h1);
    const RecordingSink c = run(steps, 4242, nullptr, &h2);
    CHECK(a.reports.size() > 200);
    CHECK(a.journals.size() > 500);
    CHECK(a.stream == b.stream);
    CHECK(a.stream == c.stream);
    CHECK_EQ(h0, h1);
    CHECK_EQ(h0, h2);
    // the scenario exercises crosses, fills, cancels, policies and kill switches
    CHECK(!a.records<CrossRecord>(RecordType::kCross).empty());
    CHECK(!a.records<AllocationRecord>(RecordType::kAllocation).empty());
    CHECK(!a.records<CancelRecord>(RecordType::kCancel).empty());
    CHECK(!a.records<PolicyRecord>(RecordType::kPolicy).empty());
    CHECK_EQ(a.records<KillSwitchRecord>(RecordType::kKillSwitch).size(), 6u);
}

/// The Fund process's sink while it resumes: journal records go to the check, reports nowhere;
/// then (replaying = false) everything is recorded as in a live run.
struct ResumeSink final : Sink {
    explicit ResumeSink(std::span<const JournalEntry> expected) : check(expected) {}
    void report(std::uint16_t slot, const abi::IntentReport& report) override {
        if (!replaying) {
            live.report(slot, report);
        }
    }
    void journal(RecordType type, std::span<const std::byte> payload) override {
        if (replaying) {
            check.record(type, payload);
        } else {
            live.journal(type, payload);
        }
    }
    // Replayed steps' points too, as the Fund process's equity recorder sees them: the resumed
    // run's equity covers the whole run.
    void equity(std::span<const EquityPoint> fund_then_agents) override { live.equity(fund_then_agents); }
    bool replaying = true;
    ReplayOutputCheck check;
    RecordingSink live;
};

TEST(journal_replay_reproduces_the_run) {
    const auto steps = scenario(5);
    std::vector<marketdata::EventRecord> events;
    std::uint64_t original_hash = 0;
    const RecordingSink original = run(steps, 0, &events, &original_hash);

    const FundConfig config = scenario_config();
    const auto md = default_md();
    RecordingSink replayed;
    Engine engine(config, md, replayed, 0x1234);
    VectorEvents market(events);
    ReplayPosition at;
    const std::vector<JournalEntry> journal = entries(original);
    CHECK_EQ(replay_journal(engine, journal, market, at), std::string());
    CHECK_EQ(at.steps, steps.size());
    CHECK_EQ(at.seq, steps.size());
    CHECK_EQ(at.clock, steps.back().clock);
    CHECK_EQ(at.events, events.size());
    CHECK_EQ(at.next_event, events.size());
    CHECK_EQ(at.first_event_time, events.front().time);
    CHECK_EQ(at.last_event_time, events.back().time);
    CHECK(at.finished);
    CHECK_EQ(engine.state_hash(), original_hash);
    CHECK(replayed.stream == original.stream);
}

// What `fund run --resume` does: cut the journal after a committed step, replay it into a fresh
// engine whose output is checked against the journal, then carry on. Carrying on with the rest of
// the original inputs must give the original run, byte for byte, at every cut.
TEST(resume_after_any_step_reproduces_the_run) {
    const auto steps = scenario(11);
    std::vector<marketdata::EventRecord> events;
    std::uint64_t original_hash = 0;
    const RecordingSink original = run(steps, 0, &events, &original_hash);
    const std::vector<JournalEntry> journal = entries(original);
    std::vector<std::size_t> step_ends;  // the record count after each step
    for (std::size_t i = 0; i < journal.size(); ++i) {
        if (journal[i].type == RecordType::kStepEnd) {
            step_ends.push_back(i + 1);
        }
    }
    REQUIRE(step_ends.size() == steps.size());
    const FundConfig config = scenario_config();
    const auto md = default_md();
    for (std::size_t k = 0; k < step_ends.size(); k += 7) {
        const auto committed = std::span<const JournalEntry>(journal).first(step_ends[k]);
        ResumeSink sink(committed);
        Engine engine(config, md, sink, 0x1234);
        VectorEvents market(events);
        ReplayPosition at;
        CHECK_EQ(replay_journal(engine, committed, market, at), std::string());
        CHECK(sink.check.ok());
        CHECK_EQ(sink.check.matched(), committed.size());
        CHECK_EQ(at.steps, k + 1);
        CHECK_EQ(at.seq, k + 1);
        CHECK(!at.finished);
        // the market events of the steps so far, and no more
        std::size_t consumed = 0;
        for (std::size_t s = 0; s <= k; ++s) {
            consumed += steps[s].events.size();
        }
        CHECK_EQ(at.next_event, consumed);
        // carry on, appending to the journal as the resumed process does
        sink.replaying = false;
        ReplayPosition rest;
        CHECK_EQ(replay_journal(engine, std::span<const JournalEntry>(journal).subspan(step_ends[k]), market, rest),
                 std::string());
        CHECK_EQ(engine.state_hash(), original_hash);
        REQUIRE(committed.size() + sink.live.journals.size() == journal.size());
        for (std::size_t i = 0; i < sink.live.journals.size(); ++i) {
            CHECK(sink.live.journals[i].type == original.journals[step_ends[k] + i].type);
            CHECK(sink.live.journals[i].payload == original.journals[step_ends[k] + i].payload);
        }
        // The replayed steps' equity points and the rest: the whole run's, as the original's.
        CHECK(sink.live.equity_steps == original.equity_steps);
    }
}

TEST(replay_refuses_other_data_or_config) {
    const auto steps = scenario(5);
    std::vector<marketdata::EventRecord> events;
    const RecordingSink original = run(steps, 0, &events);
    const std::vector<JournalEntry> journal = entries(original);
    const auto md = default_md();
    {  // one market event changed: its range's hash names the change
        std::vector<marketdata::EventRecord> changed = events;
        changed[40].v[0] += P(1);
        ResumeSink sink(journal);
        Engine engine(scenario_config(), md, sink, 0x1234);
        VectorEvents market(changed);
        ReplayPosition at;
        const std::string error = replay_journal(engine, journal, market, at);
        CHECK(error.find("market_range") != std::string::npos);
        CHECK(error.find("the market data changed") != std::string::npos);
    }
    {  // the market data ends early
        std::vector<marketdata::EventRecord> shorter(events.begin(), events.begin() + 30);
        ResumeSink sink(journal);
        Engine engine(scenario_config(), md, sink, 0x1234);
        VectorEvents market(shorter);
        ReplayPosition at;
        CHECK(replay_journal(engine, journal, market, at).find("market event 30 is not in the market data") !=
              std::string::npos);
    }
    {  // another configuration: the engine's own run_start differs from the journal's
        FundConfig other = scenario_config();
        other.execution.slippage_bps += 1;
        ResumeSink sink(journal);
        Engine engine(other, md, sink, 0x1234);
        CHECK(!sink.check.ok());
        CHECK(sink.check.error().find("different configuration") != std::string::npos);
    }
    {  // another data checksum
        ResumeSink sink(journal);
        Engine engine(scenario_config(), md, sink, 0x4321);
        CHECK(sink.check.error().find("different market data") != std::string::npos);
    }
    {  // a step that replays to another state (a doctored intent) is caught by the output check
        std::vector<std::vector<std::byte>> copies;
        std::vector<JournalEntry> doctored = journal;
        for (JournalEntry& e : doctored) {
            if (e.type == RecordType::kIntent) {
                IntentJournalRecord r{};
                std::memcpy(static_cast<void*>(&r), e.payload.data(), sizeof r);
                if (r.intent.kind == abi::IntentKind::ORDER) {
                    r.intent.qty += Q(1);
                    const auto bytes = record_bytes(r);
                    copies.emplace_back(bytes.begin(), bytes.end());
                    e.payload = copies.back();
                    break;
                }
            }
        }
        ResumeSink sink(journal);
        Engine engine(scenario_config(), md, sink, 0x1234);
        VectorEvents market(events);
        ReplayPosition at;
        (void)replay_journal(engine, doctored, market, at);
        CHECK(!sink.check.ok());
        CHECK(sink.check.error().find("differs") != std::string::npos);
    }
}

TEST(refusals_are_journaled_counted_and_never_executed) {
    FundConfig config = default_config(2);
    const auto md = default_md();
    RecordingSink sink;
    Engine engine(config, md, sink);
    engine.on_market(quote(kT0, 1, P(999), P(1001), Q(100), Q(100)), 0);
    engine.begin_step(1, kT0 + 1);
    Refusal bad{};
    bad.reason = abi::RejectReason::BAD_QUANTITY;
    bad.copy = market(1, 1, 1, Side::BUY, Q(5), TimeInForce::DAY);
    bad.copy.qty = 0x7FF8000000000000LL;  // a double NaN's bits in a fixed-point field
    Refusal lost{};
    lost.source = Refusal::Source::kVoidAnswer;
    lost.reason = abi::RejectReason::AGENT_SILENT;
    lost.copy = market(2, 1, 1, Side::BUY, Q(5), TimeInForce::DAY);
    Refusal overflow{};  // past what the Fund holds for one answer (fund_run.cpp)
    overflow.source = Refusal::Source::kOverflow;
    overflow.reason = abi::RejectReason::RATE_LIMIT;
    overflow.copy = market(2, 2, 1, Side::SELL, Q(5), TimeInForce::DAY);
    engine.refused(1, lost);
    engine.refused(1, overflow);
    engine.refused(0, bad);
    engine.submit(0, market(1, 2, 1, Side::SELL, Q(1), TimeInForce::DAY));
    engine.end_step();
    CHECK_EQ(engine.rejects(0, abi::RejectReason::BAD_QUANTITY), 1u);
    CHECK_EQ(engine.rejects(1, abi::RejectReason::AGENT_SILENT), 1u);
    CHECK_EQ(engine.rejects(1, abi::RejectReason::RATE_LIMIT), 1u);
    std::vector<std::string> lines;
    for (const auto& j : sink.journals) {
        if (j.type == RecordType::kRefusal || j.type == RecordType::kIntent || j.type == RecordType::kOrder) {
            lines.push_back(describe_record(j.type, j.payload));
        }
    }
    REQUIRE(lines.size() == 5u);  // three refusals (slot order), the one intent, its one order
    CHECK(lines[0].rfind("refusal seq=1 slot=0 agent=1 source=transport reason=BAD_QUANTITY", 0) == 0);
    CHECK(lines[0].find("qty=9221120237041090560") != std::string::npos);
    CHECK(lines[1].rfind("refusal seq=1 slot=1 agent=2 source=void_answer reason=AGENT_SILENT", 0) == 0);
    CHECK(lines[2].rfind("refusal seq=1 slot=1 agent=2 source=answer_overflow reason=RATE_LIMIT", 0) == 0);
    CHECK(lines[3].rfind("intent seq=1 slot=0 agent=1 id=2", 0) == 0);
    CHECK(lines[4].find("side=SELL") != std::string::npos);
    // the book: the transport counts its own refusals; the engine adds the void answer's and the
    // overflow's
    abi::AgentBook book{};
    engine.fill_book(0, book);
    CHECK_EQ(book.account.intents_rejected, 0u);
    engine.fill_book(1, book);
    CHECK_EQ(book.account.intents_rejected, 2u);
    // reports: the void answer's and the overflow's intents are told REJECTED by the engine; the
    // transport's refusal was already reported by the transport, so the engine sends nothing for it
    std::vector<std::uint64_t> rejected_to_agent2, to_agent1_for_id1;
    for (const auto& r : sink.reports) {
        if (r.slot == 1 && r.report.kind == abi::ReportKind::REJECTED) {
            const bool first = r.report.intent_id == 1;
            CHECK(r.report.reason == (first ? abi::RejectReason::AGENT_SILENT : abi::RejectReason::RATE_LIMIT));
            CHECK(r.report.side == (first ? Side::BUY : Side::SELL));
            rejected_to_agent2.push_back(r.report.intent_id);
        }
        if (r.slot == 0 && r.report.intent_id == 1) {
            to_agent1_for_id1.push_back(r.report.intent_id);
        }
    }
    CHECK((rejected_to_agent2 == std::vector<std::uint64_t>{1, 2}));
    CHECK(to_agent1_for_id1.empty());
}

TEST(describe_every_record_type) {
    const auto steps = scenario(5);
    const RecordingSink sink = run(steps, 0);
    bool seen[16] = {};
    for (const auto& j : sink.journals) {
        const std::string line = describe_record(j.type, j.payload);
        const char* name = record_type_name(j.type);
        CHECK(line.rfind(name, 0) == 0);
        CHECK(line.find('\n') == std::string::npos);
        CHECK(line.find("bad payload") == std::string::npos);
        const auto t = static_cast<std::size_t>(j.type);
        if (t < 16 && !seen[t]) {
            seen[t] = true;
            std::printf("      %s\n", line.c_str());
        }
    }
    for (std::size_t t = 1; t <= 15; ++t) {
        if (t == static_cast<std::size_t>(RecordType::kTradingState) || t == static_cast<std::size_t>(RecordType::kPolicy)) {
            continue;  // may or may not occur in this scenario
        }
        CHECK(seen[t]);
    }
    const std::byte junk[3] = {};
    CHECK(describe_record(RecordType::kStepBegin, junk).find("bad payload size 3 (want 16)") != std::string::npos);
    CHECK(describe_record(static_cast<RecordType>(99), junk).rfind("unknown", 0) == 0);
    StepBeginRecord sb{};
    sb.seq = 7;
    sb.clock = 123;
    CHECK_EQ(describe_record(RecordType::kStepBegin, record_bytes(sb)), std::string("step_begin seq=7 clock=123"));
}

TEST(run_start_records_config_and_table) {
    RecordingSink sink;
    const FundConfig c = scenario_config();
    const auto md = default_md();
    Engine engine(c, md, sink, 0xfeed);
    const auto rs = sink.records<RunStartRecord>(RecordType::kRunStart);
    REQUIRE(rs.size() == 1);
    CHECK_EQ(rs[0].data_checksum, 0xfeedu);
    CHECK_EQ(rs[0].instrument_count, 2);
    CHECK_EQ(rs[0].agent_count, 4);
    CHECK_EQ(rs[0].instruments[1].md_id, 2u);
    CHECK_EQ(std::string(rs[0].instruments[1].symbol), std::string("BBB"));
    // a different config gives a different hash
    FundConfig c2 = c;
    c2.execution.slippage_bps += 1;
    RecordingSink sink2;
    Engine engine2(c2, md, sink2);
    CHECK(sink2.records<RunStartRecord>(RecordType::kRunStart)[0].config_hash != rs[0].config_hash);
}

FUNDOS_TEST_MAIN
