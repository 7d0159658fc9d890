// Determinism: the same inputs with submit() / silent() calls in shuffled order give byte-identical
// sink output; replaying a run's journal inputs into a fresh Engine reproduces its output byte for
// byte (the recovery contract of journal_records.hpp); describe_record prints every record type.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "check.hpp"
#include "fundos/engine/journal_records.hpp"
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
        if (shuffle_seed != 0) {
            for (std::size_t i = intents.size(); i > 1; --i) {
                std::swap(intents[i - 1], intents[rng.below(i)]);
            }
            std::reverse(silent.begin(), silent.end());
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

TEST(journal_replay_reproduces_the_run) {
    const auto steps = scenario(5);
    std::vector<marketdata::EventRecord> events;
    std::uint64_t original_hash = 0;
    const RecordingSink original = run(steps, 0, &events, &original_hash);

    const FundConfig config = scenario_config();
    const auto md = default_md();
    RecordingSink replayed;
    Engine engine(config, md, replayed, 0x1234);
    std::uint64_t checked_steps = 0;
    for (const auto& j : original.journals) {
        const auto bytes = std::span<const std::byte>(j.payload);
        switch (j.type) {
            case RecordType::kMarketRange: {
                MarketRangeRecord r{};
                std::memcpy(&r, bytes.data(), sizeof r);
                REQUIRE(r.first + r.count <= events.size());
                const std::uint64_t h = fnv1a64(kFnvOffset, &events[r.first], r.count * sizeof(marketdata::EventRecord));
                CHECK_EQ(h, r.hash);
                for (std::uint64_t i = r.first; i < r.first + r.count; ++i) {
                    engine.on_market(events[i], i);
                }
                break;
            }
            case RecordType::kStepBegin: {
                StepBeginRecord r{};
                std::memcpy(&r, bytes.data(), sizeof r);
                engine.begin_step(r.seq, r.clock);
                break;
            }
            case RecordType::kIntent: {
                IntentJournalRecord r{};
                std::memcpy(static_cast<void*>(&r), bytes.data(), sizeof r);
                engine.submit(r.slot, r.intent);
                break;
            }
            case RecordType::kPolicy: {
                PolicyRecord r{};
                std::memcpy(&r, bytes.data(), sizeof r);
                const std::string why(r.why, strnlen(r.why, sizeof r.why));
                engine.silent(r.slot, why.c_str());
                break;
            }
            case RecordType::kKillSwitch: {
                KillSwitchRecord r{};
                std::memcpy(&r, bytes.data(), sizeof r);
                engine.kill_switch(static_cast<Scope>(r.scope), r.id, r.on != 0);
                break;
            }
            case RecordType::kStepEnd: {
                StepEndRecord r{};
                std::memcpy(&r, bytes.data(), sizeof r);
                engine.end_step();
                CHECK_EQ(engine.state_hash(), r.state_hash);
                ++checked_steps;
                break;
            }
            case RecordType::kRunEnd: {
                RunEndRecord r{};
                std::memcpy(&r, bytes.data(), sizeof r);
                const std::string why(r.why, strnlen(r.why, sizeof r.why));
                engine.finish(why.c_str());
                break;
            }
            default: break;  // outputs
        }
    }
    CHECK_EQ(checked_steps, steps.size());
    CHECK_EQ(engine.state_hash(), original_hash);
    CHECK(replayed.stream == original.stream);
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
    for (std::size_t t = 1; t <= 14; ++t) {
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
