// The attach handshake over a real SOCK_SEQPACKET socket: every refusal (with a message naming
// both sides' values), an accepted attach with three fds mappable exactly as documented, a
// second attach of a live agent, hang-up detection latency, a fresh generation and fresh
// regions on reattach, and the handshake timeout.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "check.hpp"
#include "fundos/transport/attach_server.hpp"
#include "fundos/transport/regions.hpp"
#include "fundos/transport/transport.hpp"
#include "test_agent.hpp"

using namespace fundos;
using abi::AttachStatus;
using test::TestAgent;
using transport::AttachDecision;
using transport::AttachPolicy;
using transport::PeerCredentials;

namespace {

// The layout hashes agents built for the released minors send: ir.layout_hash of
// schema/history/abi-1.0.lock.json and abi-1.1.lock.json (tests/compat checks the generated table
// against those files; the tests here check the Fund serves what the table says).
constexpr std::uint64_t kLayout10 = 0x583721f99d829586ULL;
constexpr std::uint64_t kLayout11 = 0xe6bbb436684c7629ULL;

bool contains(const char* haystack, const char* needle) { return std::strstr(haystack, needle) != nullptr; }
bool contains(const char* haystack, const std::string& needle) { return contains(haystack, needle.c_str()); }

std::string make_run_dir() {
    char base[] = "/tmp/fundos-attach-XXXXXX";
    REQUIRE(::mkdtemp(base) != nullptr);
    return std::string(base) + "/run";
}

struct Recorder : transport::TransportEvents {
    std::atomic<int> attached{0};
    std::atomic<int> refused{0};
    std::atomic<int> dead{0};
    std::atomic<int> detached{0};
    std::atomic<std::uint64_t> dead_at_ns{0};
    AttachDecision last_refusal{};
    void on_attached(const transport::AgentView&, std::uint16_t) override { ++attached; }
    void on_refused(const AttachDecision& d, const abi::AttachRequest*, const PeerCredentials&) override {
        last_refusal = d;
        ++refused;
    }
    void on_dead(const transport::AgentView&) override {
        dead_at_ns = transport::monotonic_ns();
        ++dead;
    }
    void on_detached(const transport::AgentView&, const char*) override { ++detached; }
};

/// A Fund with agents 1 (this uid), 2 (this uid) and 3 (only a uid nobody has).
struct Fund {
    Recorder events;
    std::unique_ptr<transport::FundTransport> transport = std::make_unique<transport::FundTransport>();
    std::string run_dir = make_run_dir();

    explicit Fund(std::uint64_t handshake_timeout_ns = 1'000'000'000ULL) {
        transport::TransportConfig config;
        config.run_dir = run_dir;
        const std::uint32_t me = ::getuid();
        config.agents = {{1, {me}, {}, ~0ULL}, {2, {me}, {::getgid()}, ~0ULL}, {3, {me + 1}, {}, ~0ULL}};
        config.handshake_timeout_ns = handshake_timeout_ns;
        REQUIRE(transport->start(config, &events) == 0);
        abi::FundState& state = transport->state();
        state.instrument_count = 1;
        state.instruments[0].instrument_id = 1;
        state.instruments[0].status = abi::InstrumentStatus::TRADING;
        transport->publish(1);
    }
    ~Fund() {
        transport->stop();
        ::rmdir(run_dir.c_str());
        ::rmdir(run_dir.substr(0, run_dir.size() - 4).c_str());
    }
    static void pump(void* self) { static_cast<Fund*>(self)->transport->poll_io(100'000'000); }
    int attach(TestAgent& agent, const abi::AttachRequest& request) {
        return agent.attach(transport->socket_path(), request, &Fund::pump, this);
    }
};

AttachPolicy policy_with(const std::vector<transport::KnownLayout>& layouts,
                         const std::vector<transport::AgentConfig>& agents) {
    AttachPolicy policy;
    policy.layouts = layouts;
    policy.agents = agents;
    return policy;
}

/// "MAJOR.MINOR" of this build, as the Fund's messages name it.
const std::string kOwn = std::to_string(abi::ABI_VERSION_MAJOR) + "." + std::to_string(abi::ABI_VERSION_MINOR);

bool peer_closed(int fd) {
    char byte = 0;
    struct pollfd pfd{fd, POLLIN, 0};
    ::poll(&pfd, 1, 1000);
    return ::recv(fd, &byte, 1, MSG_DONTWAIT) == 0;
}

}  // namespace

TEST(decide_attach_checks_in_order_with_both_versions_named) {
    const std::vector<transport::KnownLayout> layouts{transport::kBuiltLayout};
    const std::vector<transport::AgentConfig> agents{{5, {1000}, {}, ~0ULL}, {6, {1000}, {50}, ~0ULL}};
    const AttachPolicy policy = policy_with(layouts, agents);
    const PeerCredentials peer{123, 1000, 100};
    abi::AttachRequest ok = test::make_request(5);

    AttachDecision d = transport::decide_attach(ok, sizeof(ok), peer, policy, 0);
    CHECK(d.status == AttachStatus::OK);
    CHECK_EQ(d.slot, 0);
    CHECK_EQ(d.minor, abi::ABI_VERSION_MINOR);
    CHECK_EQ(d.layout_hash, abi::ABI_LAYOUT_HASH);

    d = transport::decide_attach(ok, 32, peer, policy, 0);
    CHECK(d.status == AttachStatus::BAD_REQUEST);
    CHECK(contains(d.message, "32 bytes") && contains(d.message, "expects 64"));

    abi::AttachRequest r = ok;
    r.magic = 0x1234;
    d = transport::decide_attach(r, sizeof(r), peer, policy, 0);
    CHECK(d.status == AttachStatus::BAD_REQUEST);
    CHECK(contains(d.message, "magic"));

    r = ok;
    r.abi_major = 2;
    r.abi_minor = 0;
    r.magic = 0x1234;  // magic is checked first
    CHECK(transport::decide_attach(r, sizeof(r), peer, policy, 0).status == AttachStatus::BAD_REQUEST);
    r.magic = abi::ATTACH_MAGIC;
    d = transport::decide_attach(r, sizeof(r), peer, policy, 0);
    CHECK(d.status == AttachStatus::VERSION_MISMATCH);
    CHECK(contains(d.message, "agent ABI 2.0, fund ABI " + kOwn + ": majors differ"));

    r = ok;
    r.layout_hash ^= 0xFF;
    d = transport::decide_attach(r, sizeof(r), peer, policy, 0);
    CHECK(d.status == AttachStatus::LAYOUT_MISMATCH);
    CHECK(contains(d.message, "agent ABI " + kOwn + " layout 0x") &&
          contains(d.message, "fund ABI " + kOwn + " layout 0xe6bbb436684c7629"));

    // An older agent: the negotiated minor is its own; a Fund that knows no layout for it refuses...
    r = ok;
    r.abi_minor = 0;
    r.layout_hash = kLayout10;
    d = transport::decide_attach(r, sizeof(r), peer, policy, 0);
    CHECK(d.status == AttachStatus::LAYOUT_MISMATCH);
    CHECK(contains(d.message, "agent ABI 1.0") && contains(d.message, "knows no layout for negotiated 1.0"));
    CHECK_EQ(d.layout_hash, 0u);
    // ...and accepts it when told the 1.0 hash.
    const std::vector<transport::KnownLayout> both{{1, 0, kLayout10}, transport::kBuiltLayout};
    d = transport::decide_attach(r, sizeof(r), peer, policy_with(both, agents), 0);
    CHECK(d.status == AttachStatus::OK);
    CHECK_EQ(d.minor, 0);
    CHECK_EQ(d.layout_hash, kLayout10);

    // A newer agent: negotiated down to the Fund's minor, whose hash it must present.
    r = ok;
    r.abi_minor = 7;
    d = transport::decide_attach(r, sizeof(r), peer, policy, 0);
    CHECK(d.status == AttachStatus::OK);
    CHECK_EQ(d.minor, abi::ABI_VERSION_MINOR);
    r.layout_hash = 0xDEAD;
    d = transport::decide_attach(r, sizeof(r), peer, policy, 0);
    CHECK(d.status == AttachStatus::LAYOUT_MISMATCH);
    CHECK(contains(d.message, "agent ABI 1.7") && contains(d.message, "negotiated " + kOwn));

    r = ok;
    r.agent_id = 99;
    d = transport::decide_attach(r, sizeof(r), peer, policy, 0);
    CHECK(d.status == AttachStatus::UNKNOWN_AGENT);
    CHECK(contains(d.message, "agent id 99") && contains(d.message, "5,6"));
    r.agent_id = 0;
    CHECK(transport::decide_attach(r, sizeof(r), peer, policy, 0).status == AttachStatus::UNKNOWN_AGENT);

    d = transport::decide_attach(ok, sizeof(ok), PeerCredentials{1, 1001, 100}, policy, 0);
    CHECK(d.status == AttachStatus::NOT_PERMITTED);
    CHECK(contains(d.message, "uid 1001") && contains(d.message, "uids 1000"));
    r = ok;
    r.agent_id = 6;  // right uid, wrong gid
    d = transport::decide_attach(r, sizeof(r), peer, policy, 0);
    CHECK(d.status == AttachStatus::NOT_PERMITTED);
    CHECK(contains(d.message, "gid 100") && contains(d.message, "gids 50"));
    CHECK(transport::decide_attach(r, sizeof(r), PeerCredentials{1, 1000, 50}, policy, 0).status == AttachStatus::OK);

    d = transport::decide_attach(ok, sizeof(ok), peer, policy, 0b01);
    CHECK(d.status == AttachStatus::ALREADY_ATTACHED);
    CHECK(transport::decide_attach(ok, sizeof(ok), peer, policy, 0b10).status == AttachStatus::OK);

    // Reserved bytes are room for later minors: ignored.
    r = ok;
    r.reserved_28[0] = 1;
    CHECK(transport::decide_attach(r, sizeof(r), peer, policy, 0).status == AttachStatus::OK);
}

TEST(served_layouts_are_the_released_minors_then_the_own) {
    // What abigen generated from schema/history: both released minors of major 1, then this build.
    const auto has = [](std::uint16_t minor, std::uint64_t hash) {
        return std::any_of(transport::kServedLayouts.begin(), transport::kServedLayouts.end(),
                           [&](const transport::KnownLayout& l) {
                               return l.major == 1 && l.minor == minor && l.layout_hash == hash;
                           });
    };
    CHECK(has(0, kLayout10));
    CHECK(has(1, kLayout11));
    CHECK_EQ(transport::kBuiltLayout.minor, abi::ABI_VERSION_MINOR);
    CHECK_EQ(transport::kBuiltLayout.layout_hash, abi::ABI_LAYOUT_HASH);
    CHECK_EQ(AttachPolicy{}.layouts.size(), transport::kServedLayouts.size());
}

TEST(decide_attach_serves_every_released_minor_of_its_major) {
    const std::vector<transport::AgentConfig> agents{{5, {1000}, {}, ~0ULL}};
    AttachPolicy policy;  // the default: every layout this build serves
    policy.agents = agents;
    const PeerCredentials peer{123, 1000, 100};
    struct Case {
        std::uint16_t minor;
        std::uint64_t hash;
        AttachStatus status;
        std::uint16_t negotiated;
        std::uint64_t reply_hash;  ///< the hash the reply names: the negotiated minor's
        const char* message_part;
    };
    const Case cases[] = {
        {0, kLayout10, AttachStatus::OK, 0, kLayout10, "negotiated 1.0"},
        {1, kLayout11, AttachStatus::OK, 1, kLayout11, "negotiated 1.1"},
        // A known minor with another minor's hash, or with none known: the hashes differ.
        {1, kLayout10, AttachStatus::LAYOUT_MISMATCH, 1, kLayout11, "layout 0xe6bbb436684c7629 for negotiated 1.1"},
        {1, 0x0123456789ABCDEFULL, AttachStatus::LAYOUT_MISMATCH, 1, kLayout11, "layout hashes differ"},
        {0, kLayout11, AttachStatus::LAYOUT_MISMATCH, 0, kLayout10, "layout 0x583721f99d829586 for negotiated 1.0"},
        // A future minor negotiates down to the Fund's and must present that minor's hash.
        {static_cast<std::uint16_t>(abi::ABI_VERSION_MINOR + 1), abi::ABI_LAYOUT_HASH, AttachStatus::OK,
         abi::ABI_VERSION_MINOR, abi::ABI_LAYOUT_HASH, "negotiated 1."},
        {static_cast<std::uint16_t>(abi::ABI_VERSION_MINOR + 1), kLayout10, AttachStatus::LAYOUT_MISMATCH,
         abi::ABI_VERSION_MINOR, abi::ABI_LAYOUT_HASH, "layout hashes differ"},
    };
    for (const Case& c : cases) {
        abi::AttachRequest r = test::make_request(5);
        r.abi_minor = c.minor;
        r.layout_hash = c.hash;
        const AttachDecision d = transport::decide_attach(r, sizeof(r), peer, policy, 0);
        if (d.status != c.status || !contains(d.message, c.message_part)) {
            std::fprintf(stderr, "  agent 1.%u hash %016llx: status %u message '%s'\n", static_cast<unsigned>(c.minor),
                         static_cast<unsigned long long>(c.hash), static_cast<unsigned>(d.status), d.message);
        }
        CHECK(d.status == c.status);
        CHECK_EQ(d.minor, c.negotiated);
        CHECK_EQ(d.layout_hash, c.reply_hash);
        CHECK(contains(d.message, c.message_part));
        const abi::AttachReply reply = transport::make_reply(d, 1, 1, 1, 1);
        CHECK_EQ(reply.abi_minor, c.negotiated);
        CHECK_EQ(reply.layout_hash, c.reply_hash);
    }
    // A minor this Fund has no layout for (a table without 1.0), and another major, are refused
    // with the existing reasons.
    const std::vector<transport::KnownLayout> without_10{{1, 1, kLayout11}, transport::kBuiltLayout};
    abi::AttachRequest r = test::make_request(5);
    r.abi_minor = 0;
    r.layout_hash = kLayout10;
    AttachDecision d = transport::decide_attach(r, sizeof(r), peer, policy_with(without_10, agents), 0);
    CHECK(d.status == AttachStatus::LAYOUT_MISMATCH);
    CHECK(contains(d.message, "knows no layout for negotiated 1.0"));
    r.abi_major = 2;
    r.abi_minor = 1;
    r.layout_hash = kLayout11;
    d = transport::decide_attach(r, sizeof(r), peer, policy, 0);
    CHECK(d.status == AttachStatus::VERSION_MISMATCH);
    CHECK(contains(d.message, "agent ABI 2.1, fund ABI " + kOwn + ": majors differ"));
}

TEST(agents_of_released_minors_attach_and_trade_over_the_socket) {
    Fund fund;  // the transport's default: every layout this build serves
    for (const auto& [minor, hash] : {std::pair<std::uint16_t, std::uint64_t>{0, kLayout10}, {1, kLayout11}}) {
        TestAgent agent;
        abi::AttachRequest request = test::make_request(1);
        request.abi_minor = minor;
        request.layout_hash = hash;
        REQUIRE(fund.attach(agent, request) == static_cast<int>(sizeof(abi::AttachReply)));
        if (agent.reply.status != AttachStatus::OK) {
            std::fprintf(stderr, "  agent 1.%u: %s\n", static_cast<unsigned>(minor), agent.reply.message);
        }
        REQUIRE(agent.reply.status == AttachStatus::OK);
        CHECK_EQ(agent.reply.abi_minor, minor);
        CHECK_EQ(agent.reply.layout_hash, hash);
        REQUIRE(static_cast<bool>(agent.snapshot) && static_cast<bool>(agent.intents) && static_cast<bool>(agent.reports));
        // The regions are laid out by the Fund's own minor, which a reader of an older minor accepts.
        const abi::RegionHeader& rh = agent.report_region()->header;
        CHECK_EQ(rh.abi_minor, abi::ABI_VERSION_MINOR);
        CHECK(rh.abi_minor >= minor);
        // Its intents are read and answered like any agent's.
        const abi::IntentRecord order = test::make_order(1, 1 + minor, 1, 1, 100, 150'000'000);
        REQUIRE(agent.submit(order));
        transport::IntentOutcome outcome;
        REQUIRE(fund.transport->process_one(0, outcome, 2));
        CHECK(outcome.reason == abi::RejectReason::NONE);
        abi::IntentReport report{};
        REQUIRE(agent.next_report(report));
        CHECK(report.kind == abi::ReportKind::ACCEPTED);
        CHECK_EQ(report.intent_id, order.intent_id);
        agent.socket.reset();
        fund.transport->poll_io(100'000'000);
        CHECK(!fund.transport->attached(0));
    }
    CHECK_EQ(fund.events.attached.load(), 2);
    CHECK_EQ(fund.events.refused.load(), 0);
}

TEST(run_dir_and_socket_modes) {
    Fund fund;
    struct stat st{};
    REQUIRE(::stat(fund.run_dir.c_str(), &st) == 0);
    CHECK_EQ(st.st_mode & 07777, 0750u);
    REQUIRE(::lstat(fund.transport->socket_path().c_str(), &st) == 0);
    CHECK(S_ISSOCK(st.st_mode));
    CHECK_EQ(st.st_mode & 07777, 0660u);
    // A second Fund on the same run dir finds the live socket and refuses to steal it.
    transport::FundTransport second;
    transport::TransportConfig config;
    config.run_dir = fund.run_dir;
    CHECK_EQ(second.start(config, nullptr), -EADDRINUSE);
}

TEST(refusals_over_the_socket) {
    Fund fund;
    struct Case {
        const char* name;
        abi::AttachRequest request;
        AttachStatus status;
        const char* message_part;
    };
    std::vector<Case> cases;
    abi::AttachRequest r = test::make_request(1);
    r.abi_major = 2;
    static const std::string version_message =
        "agent ABI 2." + std::to_string(abi::ABI_VERSION_MINOR) + ", fund ABI " + kOwn + ": majors differ";
    cases.push_back({"version", r, AttachStatus::VERSION_MISMATCH, version_message.c_str()});
    r = test::make_request(1);
    r.layout_hash = 0x0123456789ABCDEFULL;
    cases.push_back({"layout", r, AttachStatus::LAYOUT_MISMATCH, "layout 0x0123456789abcdef"});
    cases.push_back({"unknown", test::make_request(42), AttachStatus::UNKNOWN_AGENT, "agent id 42"});
    cases.push_back({"not permitted", test::make_request(3), AttachStatus::NOT_PERMITTED, "may not attach as agent 3"});
    r = test::make_request(1);
    r.magic = 0;
    cases.push_back({"magic", r, AttachStatus::BAD_REQUEST, "magic"});
    for (const Case& c : cases) {
        TestAgent agent;
        const int got = fund.attach(agent, c.request);
        CHECK_EQ(got, static_cast<int>(sizeof(abi::AttachReply)));
        if (agent.reply.status != c.status || !contains(agent.reply.message, c.message_part)) {
            std::fprintf(stderr, "  case %s: status %u message '%s'\n", c.name,
                         static_cast<unsigned>(agent.reply.status), agent.reply.message);
        }
        CHECK(agent.reply.status == c.status);
        CHECK_EQ(agent.reply.magic, abi::ATTACH_MAGIC);
        CHECK_EQ(agent.reply.abi_major, abi::ABI_VERSION_MAJOR);
        CHECK(contains(agent.reply.message, c.message_part));
        CHECK(agent.reply.message[abi::ATTACH_MESSAGE_LEN - 1] == '\0');
        CHECK(!agent.fds[0] && !agent.fds[1] && !agent.fds[2]);
        CHECK_EQ(agent.reply.generation, 0u);
        CHECK(peer_closed(agent.socket.get()));
    }
    CHECK_EQ(fund.events.refused.load(), static_cast<int>(cases.size()));
    CHECK_EQ(fund.events.attached.load(), 0);

    // Wrong sizes: too short and too long are both BAD_REQUEST.
    for (const std::size_t size : {std::size_t{32}, std::size_t{100}}) {
        transport::UniqueFd sock;
        REQUIRE(test::connect_seqpacket(fund.transport->socket_path(), sock) == 0);
        unsigned char buffer[100] = {};
        const abi::AttachRequest good = test::make_request(1);
        std::memcpy(buffer, &good, sizeof(good));
        REQUIRE(::send(sock.get(), buffer, size, 0) == static_cast<ssize_t>(size));
        Fund::pump(&fund);
        abi::AttachReply reply{};
        std::array<transport::UniqueFd, 3> fds;
        CHECK_EQ(test::receive_reply(sock.get(), reply, fds), static_cast<int>(sizeof(reply)));
        CHECK(reply.status == AttachStatus::BAD_REQUEST);
        CHECK(contains(reply.message, std::to_string(size).c_str()));
    }
}

TEST(accepted_attach_three_fds_mappable_as_documented) {
    Fund fund;
    TestAgent agent;
    REQUIRE(fund.attach(agent, test::make_request(2)) == static_cast<int>(sizeof(abi::AttachReply)));
    const abi::AttachReply& reply = agent.reply;
    REQUIRE(reply.status == AttachStatus::OK);
    CHECK_EQ(reply.slot, 1);
    CHECK_EQ(reply.generation, 1u);
    CHECK_EQ(reply.abi_minor, abi::ABI_VERSION_MINOR);
    CHECK_EQ(reply.layout_hash, abi::ABI_LAYOUT_HASH);
    CHECK_EQ(reply.snapshot_region_size, sizeof(abi::SnapshotRegion));
    CHECK_EQ(reply.intent_region_size, sizeof(abi::AgentIntentRegion));
    CHECK_EQ(reply.report_region_size, sizeof(abi::AgentReportRegion));
    CHECK_EQ(fund.events.attached.load(), 1);
    REQUIRE(agent.fds[0] && agent.fds[1] && agent.fds[2]);

    // Sizes and seals of the three files.
    const std::uint64_t sizes[3] = {reply.snapshot_region_size, reply.intent_region_size, reply.report_region_size};
    for (int i = 0; i < 3; ++i) {
        struct stat st{};
        REQUIRE(::fstat(agent.fds[i].get(), &st) == 0);
        CHECK_EQ(static_cast<std::uint64_t>(st.st_size), sizes[i]);
        CHECK((::fcntl(agent.fds[i].get(), F_GETFD) & FD_CLOEXEC) != 0);
    }
    const int sealed = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_FUTURE_WRITE | F_SEAL_SEAL;
    CHECK_EQ(transport::get_seals(agent.fds[0].get()), sealed);
    CHECK_EQ(transport::get_seals(agent.fds[1].get()), F_SEAL_SHRINK | F_SEAL_GROW);
    CHECK_EQ(transport::get_seals(agent.fds[2].get()), sealed);

    // Snapshot and reports: read-only only; intents: read-write.
    for (const int i : {0, 2}) {
        void* p = ::mmap(nullptr, sizes[i], PROT_READ | PROT_WRITE, MAP_SHARED, agent.fds[i].get(), 0);
        CHECK(p == MAP_FAILED && errno == EPERM);
        CHECK_EQ(::ftruncate(agent.fds[i].get(), 0) == -1 ? errno : 0, EPERM);
    }
    CHECK_EQ(::ftruncate(agent.fds[1].get(), 0) == -1 ? errno : 0, EPERM);
    REQUIRE(static_cast<bool>(agent.snapshot) && static_cast<bool>(agent.intents) && static_cast<bool>(agent.reports));

    // Headers.
    using transport::HeaderCheck;
    const abi::RegionHeader& sh = agent.snapshot_region()->header;
    CHECK(transport::check_region_header(sh, abi::RegionKind::SNAPSHOT, sizes[0], sizeof(abi::SnapshotRegion)) ==
          HeaderCheck::kOk);
    CHECK_EQ(sh.agent_id, 0u);
    const abi::RegionHeader& rh = agent.report_region()->header;
    CHECK(transport::check_region_header(rh, abi::RegionKind::AGENT_REPORTS, sizes[2], sizeof(abi::AgentReportRegion)) ==
          HeaderCheck::kOk);
    CHECK_EQ(rh.generation, 1u);
    CHECK_EQ(rh.agent_id, 2u);
    CHECK(agent.report_region()->control.status == abi::AgentStatus::ACTIVE);

    // The snapshot published before the attach is readable; the book is there already.
    transport::SnapshotReader reader(agent.snapshot_region());
    auto state = std::make_unique<abi::FundState>();
    REQUIRE(reader.read(*state) == transport::ReadStatus::kOk);
    CHECK_EQ(state->seq, 1u);
    abi::AgentBook book{};
    REQUIRE(transport::read_book(agent.report_region()->book, book) == transport::ReadStatus::kOk);
    CHECK_EQ(book.account.agent_id, 2u);

    // The Fund reads what the agent writes into its intent region.
    agent.heartbeat();
    CHECK_EQ(fund.transport->link(1).intent_region()->heartbeat.counter, 1u);

    // A second attach of the live agent is refused; the first is untouched.
    TestAgent twin;
    CHECK_EQ(fund.attach(twin, test::make_request(2)), static_cast<int>(sizeof(abi::AttachReply)));
    CHECK(twin.reply.status == AttachStatus::ALREADY_ATTACHED);
    CHECK(contains(twin.reply.message, "agent 2 already has a live attachment"));
    CHECK(fund.transport->attached(1));
}

TEST(hangup_detected_fast_and_reattach_gets_fresh_generation_and_regions) {
    Fund fund;
    std::atomic<bool> stop{false};
    std::thread fund_thread([&] {
        while (!stop.load()) {
            fund.transport->poll_io(20'000'000);
        }
    });
    std::vector<std::uint64_t> latencies;
    ino_t previous_intent_inode = 0;
    std::unique_ptr<TestAgent> stale;
    for (std::uint64_t generation = 1; generation <= 20; ++generation) {
        auto agent = std::make_unique<TestAgent>();
        REQUIRE(agent->attach(fund.transport->socket_path(), test::make_request(1)) ==
                static_cast<int>(sizeof(abi::AttachReply)));
        REQUIRE(agent->reply.status == AttachStatus::OK);
        CHECK_EQ(agent->reply.generation, generation);
        CHECK_EQ(agent->report_region()->header.generation, generation);
        struct stat st{};
        REQUIRE(::fstat(agent->fds[1].get(), &st) == 0);
        CHECK(st.st_ino != previous_intent_inode);  // a new memfd every time
        previous_intent_inode = st.st_ino;
        if (stale) {
            // The previous generation's process scribbles into its old intent region: nobody
            // reads that memory any more.
            stale->intent_region()->ring[0].commit = 0xBAD;
            stale->intent_region()->heartbeat.counter = 0xBAD;
            CHECK(agent->intent_region()->ring[0].commit == 0);
            CHECK(agent->intent_region()->heartbeat.counter == 0);
        }
        const int dead_before = fund.events.dead.load();
        const std::uint64_t t0 = transport::monotonic_ns();
        agent->socket.reset();  // the crash signal
        while (fund.events.dead.load() == dead_before) {
            std::this_thread::yield();
        }
        latencies.push_back(fund.events.dead_at_ns.load() - t0);
        stale = std::move(agent);  // keeps its mappings, like a hung old process
    }
    stop = true;
    fund_thread.join();
    std::sort(latencies.begin(), latencies.end());
    const std::uint64_t median = latencies[latencies.size() / 2];
    std::printf("  hang-up to DEAD: median %.1f us, max %.1f us over %zu attaches\n", median / 1e3,
                latencies.back() / 1e3, latencies.size());
    CHECK(median < 1'000'000);  // well under a millisecond
    CHECK_EQ(fund.events.attached.load(), 20);
    CHECK_EQ(fund.events.detached.load(), 20);
    CHECK(fund.transport->status(0) == abi::AgentStatus::DEAD);
    CHECK(!fund.transport->attached(0));
}

TEST(silent_connection_is_refused_after_the_handshake_timeout) {
    Fund fund(50'000'000);  // 50 ms
    transport::UniqueFd sock;
    REQUIRE(test::connect_seqpacket(fund.transport->socket_path(), sock) == 0);
    const auto t0 = std::chrono::steady_clock::now();
    while (fund.events.refused.load() == 0 && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2)) {
        fund.transport->poll_io(10'000'000);
    }
    CHECK_EQ(fund.events.refused.load(), 1);
    abi::AttachReply reply{};
    std::array<transport::UniqueFd, 3> fds;
    CHECK_EQ(test::receive_reply(sock.get(), reply, fds), static_cast<int>(sizeof(reply)));
    CHECK(reply.status == AttachStatus::BAD_REQUEST);
    CHECK(contains(reply.message, "no attach request within 50 ms"));
    // A connection that just goes away is forgotten quietly.
    transport::UniqueFd quitter;
    REQUIRE(test::connect_seqpacket(fund.transport->socket_path(), quitter) == 0);
    quitter.reset();
    fund.transport->poll_io(10'000'000);
    fund.transport->poll_io(0);
    CHECK_EQ(fund.events.refused.load(), 1);
}

TEST(shutdown_refuses_and_hangs_up) {
    Fund fund;
    TestAgent agent;
    REQUIRE(fund.attach(agent, test::make_request(1)) == static_cast<int>(sizeof(abi::AttachReply)));
    REQUIRE(agent.reply.status == AttachStatus::OK);
    fund.transport->stop();
    CHECK(peer_closed(agent.socket.get()));
    CHECK_EQ(fund.events.detached.load(), 1);
    struct stat st{};
    CHECK(::lstat((fund.run_dir + "/fund.sock").c_str(), &st) != 0);  // socket file removed
}

TEST(chatter_after_attach_is_dropped_not_a_hangup) {
    Fund fund;
    TestAgent agent;
    REQUIRE(fund.attach(agent, test::make_request(1)) == static_cast<int>(sizeof(abi::AttachReply)));
    REQUIRE(agent.reply.status == AttachStatus::OK);
    const char junk[300] = {1, 2, 3};
    REQUIRE(::send(agent.socket.get(), junk, sizeof(junk), 0) == static_cast<ssize_t>(sizeof(junk)));
    REQUIRE(::send(agent.socket.get(), junk, 0, 0) == 0);  // an empty SEQPACKET message
    REQUIRE(::send(agent.socket.get(), junk, 5, 0) == 5);
    for (int i = 0; i < 3; ++i) {
        fund.transport->poll_io(10'000'000);
    }
    CHECK(fund.transport->attached(0));
    CHECK_EQ(fund.events.dead.load(), 0);
    agent.socket.reset();
    fund.transport->poll_io(100'000'000);
    CHECK_EQ(fund.events.dead.load(), 1);
    CHECK(!fund.transport->attached(0));
}

FUNDOS_TEST_MAIN
