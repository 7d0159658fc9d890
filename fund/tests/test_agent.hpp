// A minimal agent for the Fund's C++ tests: connects, sends an AttachRequest, receives the
// reply and fds, maps the regions as docs/TRANSPORT.md says, writes intents with the
// producer protocol and reads reports. Test code: blocking with timeouts, asserts nothing.
#pragma once

#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

#include "fundos/abi.hpp"
#include "fundos/concurrent/seqlock.hpp"
#include "fundos/transport/memfd_region.hpp"
#include "fundos/transport/regions.hpp"
#include "fundos/transport/snapshot_reader.hpp"

namespace fundos::test {

using transport::Mapping;
using transport::UniqueFd;

inline abi::AttachRequest make_request(std::uint32_t agent_id) {
    abi::AttachRequest request{};
    request.magic = abi::ATTACH_MAGIC;
    request.abi_major = abi::ABI_VERSION_MAJOR;
    request.abi_minor = abi::ABI_VERSION_MINOR;
    request.agent_id = agent_id;
    request.layout_hash = abi::ABI_LAYOUT_HASH;
    request.pid = static_cast<std::uint32_t>(::getpid());
    return request;
}

/// Connect to `path`: 0 or -errno.
inline int connect_seqpacket(const std::string& path, UniqueFd& out) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    if (!fd) {
        return -errno;
    }
    struct sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
        return -errno;
    }
    out = std::move(fd);
    return 0;
}

/// Receive one AttachReply with up to three fds, waiting up to timeout_ms. Returns the number
/// of bytes received (0: EOF), or -errno (-ETIMEDOUT).
inline int receive_reply(int fd, abi::AttachReply& reply, std::array<UniqueFd, 3>& fds, int timeout_ms = 2000) {
    struct pollfd pfd{fd, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, timeout_ms);
    if (ready == 0) {
        return -ETIMEDOUT;
    }
    if (ready < 0) {
        return -errno;
    }
    struct iovec iov{&reply, sizeof(reply)};
    alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * 3)] = {};
    struct msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    const ssize_t got = ::recvmsg(fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    if (got < 0) {
        return -errno;
    }
    for (struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg); cmsg != nullptr; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
        if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS) {
            const std::size_t count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            int raw[3] = {-1, -1, -1};
            std::memcpy(raw, CMSG_DATA(cmsg), sizeof(int) * (count < 3 ? count : 3));
            for (std::size_t i = 0; i < 3; ++i) {
                fds[i].reset(raw[i]);
            }
        }
    }
    return static_cast<int>(got);
}

/// An attached test agent: socket, fds and the three mappings.
struct TestAgent {
    UniqueFd socket;
    abi::AttachReply reply{};
    std::array<UniqueFd, 3> fds;
    Mapping snapshot;  // PROT_READ
    Mapping intents;   // PROT_READ | PROT_WRITE
    Mapping reports;   // PROT_READ
    std::uint64_t produced = 0;       // producer position p
    std::uint64_t reports_read = 0;

    /// Connect, send `request`, receive the reply; map the regions when OK. Returns the reply
    /// size (256), 0 on EOF, or -errno.
    int attach(const std::string& path, const abi::AttachRequest& request, void (*pump)(void*) = nullptr,
               void* pump_arg = nullptr) {
        if (const int rc = connect_seqpacket(path, socket); rc != 0) {
            return rc;
        }
        if (::send(socket.get(), &request, sizeof(request), MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof(request))) {
            return -errno;
        }
        if (pump != nullptr) {
            pump(pump_arg);  // single-threaded tests: let the Fund handle the request
        }
        const int got = receive_reply(socket.get(), reply, fds);
        if (got <= 0 || reply.status != abi::AttachStatus::OK) {
            return got;
        }
        if (snapshot.map(fds[0].get(), reply.snapshot_region_size, PROT_READ) != 0 ||
            intents.map(fds[1].get(), reply.intent_region_size, PROT_READ | PROT_WRITE) != 0 ||
            reports.map(fds[2].get(), reply.report_region_size, PROT_READ) != 0) {
            return -errno;
        }
        return got;
    }

    [[nodiscard]] const abi::SnapshotRegion* snapshot_region() const { return snapshot.as<const abi::SnapshotRegion>(); }
    [[nodiscard]] abi::AgentIntentRegion* intent_region() const { return intents.as<abi::AgentIntentRegion>(); }
    [[nodiscard]] const abi::AgentReportRegion* report_region() const { return reports.as<const abi::AgentReportRegion>(); }

    /// Producer protocol: wait for room (false when full), write every field but commit,
    /// then commit = p + 1 (release).
    bool submit(const abi::IntentRecord& record) {
        const std::uint64_t consumed =
            concurrent::shared_word(report_region()->control.intents_consumed).load(std::memory_order_acquire);
        if (produced - consumed >= abi::INTENT_RING_SLOTS) {
            return false;
        }
        abi::IntentRecord& slot = intent_region()->ring[produced & (abi::INTENT_RING_SLOTS - 1)];
        write_fields(slot, record);
        // SYNC POINT: pairs with the Fund's acquire load of commit.
        std::atomic_ref<std::uint64_t>(slot.commit).store(produced + 1, std::memory_order_release);
        ++produced;
        return true;
    }

    /// Every word of `record` except commit, as relaxed atomic stores.
    static void write_fields(abi::IntentRecord& slot, const abi::IntentRecord& record) {
        auto* words = reinterpret_cast<std::uint64_t*>(&slot);
        const auto* in = reinterpret_cast<const unsigned char*>(&record);
        for (std::size_t i = 1; i < sizeof(record) / 8; ++i) {
            std::uint64_t w;
            std::memcpy(&w, in + 8 * i, 8);
            std::atomic_ref<std::uint64_t>(words[i]).store(w, std::memory_order_relaxed);
        }
    }

    void heartbeat(std::uint64_t answered_seq = 0) {
        auto counter = std::atomic_ref<std::uint64_t>(intent_region()->heartbeat.counter);
        counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
        if (answered_seq != 0) {
            std::atomic_ref<std::uint64_t>(intent_region()->heartbeat.answered_seq)
                .store(answered_seq, std::memory_order_release);
        }
    }

    /// Next report if one is there: true and `out` filled.
    bool next_report(abi::IntentReport& out) {
        const abi::AgentReportRegion* region = report_region();
        const std::uint64_t written =
            concurrent::shared_word(region->control.reports_written).load(std::memory_order_acquire);
        if (reports_read >= written) {
            return false;
        }
        const abi::IntentReport& slot = region->ring[reports_read & (abi::REPORT_RING_SLOTS - 1)];
        const std::uint64_t c = concurrent::shared_word(slot.commit).load(std::memory_order_acquire);
        if (c != reports_read + 1) {
            return false;
        }
        concurrent::load_words_relaxed(out, slot);
        std::atomic_thread_fence(std::memory_order_acquire);
        if (concurrent::shared_word(slot.commit).load(std::memory_order_relaxed) != c ||
            concurrent::shared_word(region->control.reports_written).load(std::memory_order_relaxed) >=
                reports_read + abi::REPORT_RING_SLOTS) {
            return false;  // lapped while copying
        }
        ++reports_read;
        return true;
    }

    [[nodiscard]] abi::AgentStatus control_status() const {
        return std::atomic_ref<abi::AgentStatus>(const_cast<abi::AgentStatus&>(report_region()->control.status))
            .load(std::memory_order_acquire);
    }
};

/// A valid LIMIT BUY ORDER for instrument `instrument_id`.
inline abi::IntentRecord make_order(std::uint32_t agent_id, std::uint64_t intent_id, std::uint64_t snapshot_seq,
                                    std::uint32_t instrument_id, abi::Quantity qty, abi::Price price) {
    abi::IntentRecord r{};
    r.intent_id = intent_id;
    r.snapshot_seq = snapshot_seq;
    r.agent_id = agent_id;
    r.instrument_id = instrument_id;
    r.kind = abi::IntentKind::ORDER;
    r.side = abi::Side::BUY;
    r.order_type = abi::OrderType::LIMIT;
    r.time_in_force = abi::TimeInForce::DAY;
    r.qty = qty;
    r.limit_price = price;
    r.client_tag = intent_id * 7;
    return r;
}

}  // namespace fundos::test
