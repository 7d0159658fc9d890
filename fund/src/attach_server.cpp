#include "fundos/transport/attach_server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace fundos::transport {
namespace {

using abi::AttachStatus;

__attribute__((format(printf, 2, 3))) void set_message(AttachDecision& d, const char* format, ...) noexcept {
    // Bounded, always NUL-terminated (ATTACH_MESSAGE_LEN includes the NUL).
    va_list args;
    va_start(args, format);
    std::vsnprintf(d.message, sizeof(d.message), format, args);
    va_end(args);
}

/// "1,2,3" (or "1,2,..." when it does not fit), "none" when empty.
void format_list(char* out, std::size_t size, std::span<const std::uint32_t> values, const char* empty) noexcept {
    if (values.empty()) {
        std::snprintf(out, size, "%s", empty);
        return;
    }
    std::size_t used = 0;
    out[0] = '\0';
    for (std::size_t i = 0; i < values.size(); ++i) {
        char item[16];
        std::snprintf(item, sizeof(item), "%s%" PRIu32, i == 0 ? "" : ",", values[i]);
        const std::size_t len = std::strlen(item);
        if (used + len + 4 >= size) {
            std::snprintf(out + used, size - used, ",...");
            return;
        }
        std::memcpy(out + used, item, len + 1);
        used += len;
    }
}

const KnownLayout* find_layout(std::span<const KnownLayout> layouts, std::uint16_t major, std::uint16_t minor) noexcept {
    for (const KnownLayout& layout : layouts) {
        if (layout.major == major && layout.minor == minor) {
            return &layout;
        }
    }
    return nullptr;
}

bool contains(const std::vector<std::uint32_t>& values, std::uint32_t value) noexcept {
    return std::find(values.begin(), values.end(), value) != values.end();
}

}  // namespace

std::uint64_t monotonic_ns() noexcept {
    struct timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<std::uint64_t>(ts.tv_nsec);
}

AttachDecision decide_attach(const abi::AttachRequest& request, std::size_t request_bytes, const PeerCredentials& peer,
                             const AttachPolicy& policy, std::uint64_t live_slots) noexcept {
    AttachDecision d{};
    const unsigned fmaj = policy.fund_major;
    const unsigned fmin = policy.fund_minor;
    d.minor = policy.fund_minor;
    if (const KnownLayout* own = find_layout(policy.layouts, policy.fund_major, policy.fund_minor)) {
        d.layout_hash = own->layout_hash;
    }
    // 1. size and magic
    if (request_bytes != sizeof(abi::AttachRequest)) {
        d.status = AttachStatus::BAD_REQUEST;
        set_message(d, "attach request of %zu bytes, fund ABI %u.%u expects %zu bytes", request_bytes, fmaj, fmin,
                    sizeof(abi::AttachRequest));
        return d;
    }
    d.agent_id = request.agent_id;
    d.agent_major = request.abi_major;
    d.agent_minor = request.abi_minor;
    const unsigned amaj = request.abi_major;
    const unsigned amin = request.abi_minor;
    if (request.magic != abi::ATTACH_MAGIC) {
        d.status = AttachStatus::BAD_REQUEST;
        set_message(d, "attach magic 0x%016" PRIx64 ", fund ABI %u.%u expects 0x%016" PRIx64, request.magic, fmaj,
                    fmin, abi::ATTACH_MAGIC);
        return d;
    }
    // 2. major
    if (request.abi_major != policy.fund_major) {
        d.status = AttachStatus::VERSION_MISMATCH;
        set_message(d, "agent ABI %u.%u, fund ABI %u.%u: majors differ", amaj, amin, fmaj, fmin);
        return d;
    }
    // 3. layout hash of the negotiated major.minor
    const std::uint16_t minor = std::min(request.abi_minor, policy.fund_minor);
    d.minor = minor;
    const KnownLayout* layout = find_layout(policy.layouts, policy.fund_major, minor);
    if (layout == nullptr) {
        d.status = AttachStatus::LAYOUT_MISMATCH;
        d.layout_hash = 0;
        set_message(d, "agent ABI %u.%u layout 0x%016" PRIx64 ", fund ABI %u.%u knows no layout for negotiated %u.%u",
                    amaj, amin, request.layout_hash, fmaj, fmin, fmaj, static_cast<unsigned>(minor));
        return d;
    }
    d.layout_hash = layout->layout_hash;
    if (request.layout_hash != layout->layout_hash) {
        d.status = AttachStatus::LAYOUT_MISMATCH;
        set_message(d,
                    "agent ABI %u.%u layout 0x%016" PRIx64 ", fund ABI %u.%u layout 0x%016" PRIx64
                    " for negotiated %u.%u: layout hashes differ",
                    amaj, amin, request.layout_hash, fmaj, fmin, layout->layout_hash, fmaj,
                    static_cast<unsigned>(minor));
        return d;
    }
    // 4. agent id, then the peer's credentials for it
    const std::size_t agents = std::min<std::size_t>(policy.agents.size(), abi::MAX_AGENTS);
    std::size_t slot = agents;
    for (std::size_t i = 0; i < agents && request.agent_id != 0; ++i) {
        if (policy.agents[i].agent_id == request.agent_id) {
            slot = i;
            break;
        }
    }
    if (slot == agents) {
        std::uint32_t ids[abi::MAX_AGENTS];
        for (std::size_t i = 0; i < agents; ++i) {
            ids[i] = policy.agents[i].agent_id;
        }
        char list[96];
        format_list(list, sizeof(list), std::span<const std::uint32_t>(ids, agents), "none");
        d.status = AttachStatus::UNKNOWN_AGENT;
        set_message(d, "agent id %" PRIu32 " is not configured; fund configures agent ids %s", request.agent_id, list);
        return d;
    }
    d.slot = static_cast<std::uint16_t>(slot);
    const AgentConfig& config = policy.agents[slot];
    const bool uid_ok = contains(config.allowed_uids, peer.uid);
    const bool gid_ok = config.allowed_gids.empty() || contains(config.allowed_gids, peer.gid);
    if (!uid_ok || !gid_ok) {
        char uids[64];
        char gids[64];
        format_list(uids, sizeof(uids), config.allowed_uids, "none");
        format_list(gids, sizeof(gids), config.allowed_gids, "any");
        d.status = AttachStatus::NOT_PERMITTED;
        set_message(d, "peer uid %" PRIu32 " gid %" PRIu32 " may not attach as agent %" PRIu32 "; fund allows uids %s, gids %s",
                    peer.uid, peer.gid, request.agent_id, uids, gids);
        return d;
    }
    // 5. one live attachment per agent
    if (((live_slots >> slot) & 1U) != 0) {
        d.status = AttachStatus::ALREADY_ATTACHED;
        set_message(d, "agent %" PRIu32 " already has a live attachment in slot %zu; fund allows one per agent",
                    request.agent_id, slot);
        return d;
    }
    d.status = AttachStatus::OK;
    set_message(d, "attached agent %" PRIu32 " in slot %zu: agent ABI %u.%u, fund ABI %u.%u, negotiated %u.%u",
                request.agent_id, slot, amaj, amin, fmaj, fmin, fmaj, static_cast<unsigned>(minor));
    return d;
}

abi::AttachReply make_reply(const AttachDecision& decision, abi::Sequence generation, std::uint64_t snapshot_size,
                            std::uint64_t intent_size, std::uint64_t report_size) noexcept {
    abi::AttachReply reply{};
    reply.magic = abi::ATTACH_MAGIC;
    reply.status = decision.status;
    reply.abi_major = abi::ABI_VERSION_MAJOR;
    reply.abi_minor = decision.minor;
    reply.layout_hash = decision.layout_hash;
    if (decision.status == AttachStatus::OK) {
        reply.slot = decision.slot;
        reply.generation = generation;
        reply.snapshot_region_size = snapshot_size;
        reply.intent_region_size = intent_size;
        reply.report_region_size = report_size;
    }
    static_assert(sizeof(reply.message) == sizeof(decision.message));
    std::memcpy(reply.message, decision.message, sizeof(reply.message));
    reply.message[sizeof(reply.message) - 1] = '\0';
    return reply;
}

int send_attach_reply(int fd, const abi::AttachReply& reply, std::span<const int> fds) noexcept {
    struct iovec iov{};
    iov.iov_base = const_cast<abi::AttachReply*>(&reply);
    iov.iov_len = sizeof(reply);
    struct msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * 3)] = {};
    if (!fds.empty()) {
        if (fds.size() > 3) {
            return -EINVAL;
        }
        msg.msg_control = control;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
        struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
        std::memcpy(CMSG_DATA(cmsg), fds.data(), sizeof(int) * fds.size());
    }
    const ssize_t sent = ::sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent < 0) {
        return -errno;
    }
    return static_cast<std::size_t>(sent) == sizeof(reply) ? 0 : -EMSGSIZE;
}

int AttachServer::listen(const std::string& run_dir, const AttachPolicy& policy) noexcept {
    close();
    policy_ = policy;
    shutting_down_ = false;
    if (::mkdir(run_dir.c_str(), 0750) != 0 && errno != EEXIST) {
        return -errno;
    }
    struct stat st{};
    if (::stat(run_dir.c_str(), &st) != 0) {
        return -errno;
    }
    if (!S_ISDIR(st.st_mode)) {
        return -ENOTDIR;
    }
    // mkdir's mode is filtered by the umask, and an existing directory keeps its own: set it.
    if (::chmod(run_dir.c_str(), 0750) != 0) {
        return -errno;
    }
    const std::string path = run_dir + "/fund.sock";
    struct sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof(addr.sun_path)) {
        return -ENAMETOOLONG;
    }
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);

    UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) {
        return -errno;
    }
    if (::lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            return -EEXIST;
        }
        // A socket file is there: another Fund listening, or a stale one left by a crash.
        UniqueFd probe(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
        if (probe && ::connect(probe.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0) {
            return -EADDRINUSE;
        }
        ::unlink(path.c_str());
    }
    if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
        return -errno;
    }
    // connect() needs write permission on the socket file: the Fund's group may connect; the
    // directory's 0750 keeps everyone else out.
    if (::chmod(path.c_str(), 0660) != 0 || ::listen(fd.get(), 64) != 0) {
        const int err = errno;
        ::unlink(path.c_str());
        return -err;
    }
    listen_ = std::move(fd);
    socket_path_ = path;
    return 0;
}

std::uint64_t AttachServer::live_slots() const noexcept {
    std::uint64_t bits = 0;
    for (std::size_t i = 0; i < kMaxLive; ++i) {
        if (live_[i]) {
            bits |= 1ULL << i;
        }
    }
    return bits;
}

void AttachServer::close_slot(std::uint16_t slot) noexcept {
    if (slot < kMaxLive) {
        live_[slot].reset();
    }
}

void AttachServer::close() noexcept {
    for (Pending& pending : pending_) {
        pending.fd.reset();
    }
    for (UniqueFd& fd : live_) {
        fd.reset();
    }
    if (listen_) {
        listen_.reset();
        ::unlink(socket_path_.c_str());
    }
}

int AttachServer::poll(std::int64_t timeout_ns, AttachHandler& handler) noexcept {
    if (!listen_) {
        return -EBADF;
    }
    enum Kind : std::uint8_t { kListen, kPending, kLive };
    struct Source {
        Kind kind;
        std::uint16_t index;
    };
    constexpr std::size_t kMax = 1 + kMaxPending + kMaxLive;
    std::array<struct pollfd, kMax> fds{};
    std::array<Source, kMax> sources{};
    std::size_t n = 0;
    std::uint64_t now = monotonic_ns();
    std::uint64_t next_deadline = UINT64_MAX;

    for (std::size_t i = 0; i < kMaxLive; ++i) {
        if (live_[i]) {
            fds[n] = {live_[i].get(), POLLIN | POLLRDHUP, 0};
            sources[n++] = {kLive, static_cast<std::uint16_t>(i)};
        }
    }
    for (std::size_t i = 0; i < kMaxPending; ++i) {
        if (pending_[i].fd) {
            fds[n] = {pending_[i].fd.get(), POLLIN | POLLRDHUP, 0};
            sources[n++] = {kPending, static_cast<std::uint16_t>(i)};
            next_deadline = std::min(next_deadline, pending_[i].deadline_ns);
        }
    }
    fds[n] = {listen_.get(), POLLIN, 0};
    sources[n++] = {kListen, 0};

    struct timespec ts{};
    struct timespec* tsp = nullptr;
    if (timeout_ns >= 0 || next_deadline != UINT64_MAX) {
        std::uint64_t wait = timeout_ns >= 0 ? static_cast<std::uint64_t>(timeout_ns) : UINT64_MAX;
        if (next_deadline != UINT64_MAX) {
            wait = std::min(wait, next_deadline > now ? next_deadline - now : 0);
        }
        ts.tv_sec = static_cast<time_t>(wait / 1'000'000'000ULL);
        ts.tv_nsec = static_cast<long>(wait % 1'000'000'000ULL);
        tsp = &ts;
    }
    const int ready = ::ppoll(fds.data(), n, tsp, nullptr);
    if (ready < 0) {
        return errno == EINTR ? 0 : -errno;
    }
    now = monotonic_ns();
    bool accept_ready = false;
    // Hang-ups first, so an agent that crashed and reconnects in the same round is not refused
    // ALREADY_ATTACHED.
    for (std::size_t i = 0; i < n && ready > 0; ++i) {
        const short revents = fds[i].revents;
        if (revents == 0) {
            continue;
        }
        switch (sources[i].kind) {
            case kLive:
                if ((revents & (POLLHUP | POLLRDHUP | POLLERR | POLLNVAL)) != 0) {
                    hang_up(sources[i].index, handler);
                } else {
                    drain_live(sources[i].index, handler);
                }
                break;
            case kPending:
                break;
            case kListen:
                accept_ready = true;
                break;
        }
    }
    for (std::size_t i = 0; i < n && ready > 0; ++i) {
        if (sources[i].kind == kPending && fds[i].revents != 0) {
            Pending& pending = pending_[sources[i].index];
            if (handle_request(pending, handler)) {
                pending.fd.reset();
            }
        }
    }
    for (Pending& pending : pending_) {
        if (pending.fd && now >= pending.deadline_ns) {
            AttachDecision d{};
            d.status = AttachStatus::BAD_REQUEST;
            d.minor = policy_.fund_minor;
            set_message(d, "no attach request within %" PRIu64 " ms; fund ABI %u.%u expects %zu bytes",
                        static_cast<std::uint64_t>(handshake_timeout_ns_ / 1'000'000U),
                        static_cast<unsigned>(policy_.fund_major),
                        static_cast<unsigned>(policy_.fund_minor), sizeof(abi::AttachRequest));
            refuse(pending, d, nullptr, handler);
        }
    }
    if (accept_ready) {
        accept_all(handler, now);
    }
    return ready;
}

void AttachServer::hang_up(std::uint16_t slot, AttachHandler& handler) noexcept {
    live_[slot].reset();
    handler.hung_up(slot);
}

bool AttachServer::reap_hung_up(AttachHandler& handler) noexcept {
    std::array<struct pollfd, kMaxLive> fds{};
    std::array<std::uint16_t, kMaxLive> slots{};
    std::size_t n = 0;
    for (std::size_t i = 0; i < kMaxLive; ++i) {
        if (live_[i]) {
            fds[n] = {live_[i].get(), POLLRDHUP, 0};
            slots[n++] = static_cast<std::uint16_t>(i);
        }
    }
    if (n == 0 || ::poll(fds.data(), n, 0) <= 0) {
        return false;
    }
    bool any = false;
    for (std::size_t i = 0; i < n; ++i) {
        if ((fds[i].revents & (POLLHUP | POLLRDHUP | POLLERR | POLLNVAL)) != 0) {
            hang_up(slots[i], handler);
            any = true;
        }
    }
    return any;
}

void AttachServer::drain_live(std::uint16_t slot, AttachHandler& handler) noexcept {
    // After the handshake the agent has nothing to say; whatever it sends is read and dropped
    // so the socket cannot keep poll() busy. EOF is a hang-up.
    char scratch[256];
    for (int i = 0; i < 64; ++i) {
        const ssize_t got = ::recv(live_[slot].get(), scratch, sizeof(scratch), MSG_DONTWAIT);
        if (got > 0) {
            continue;
        }
        if (got == 0) {
            // EOF, or an empty SEQPACKET message: only a hang-up sets POLLHUP / POLLRDHUP.
            struct pollfd pfd{live_[slot].get(), POLLRDHUP, 0};
            if (::poll(&pfd, 1, 0) == 0 || (pfd.revents & (POLLHUP | POLLRDHUP | POLLERR)) == 0) {
                continue;
            }
        } else if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
            return;
        }
        hang_up(slot, handler);
        return;
    }
}

void AttachServer::accept_all(AttachHandler& handler, std::uint64_t now_ns) noexcept {
    for (;;) {
        UniqueFd conn(::accept4(listen_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (!conn) {
            return;  // EAGAIN, or a transient error: the next round retries
        }
        struct ucred cred{};
        socklen_t len = sizeof(cred);
        if (::getsockopt(conn.get(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
            continue;  // cannot identify the peer: drop it
        }
        Pending fresh;
        fresh.fd = std::move(conn);
        fresh.peer = PeerCredentials{cred.pid, cred.uid, cred.gid};
        fresh.deadline_ns = now_ns + handshake_timeout_ns_;
        auto free_slot = std::find_if(pending_.begin(), pending_.end(), [](const Pending& p) { return !p.fd; });
        if (free_slot == pending_.end()) {
            AttachDecision d{};
            d.status = AttachStatus::FUND_FULL;
            d.minor = policy_.fund_minor;
            set_message(d, "too many attach handshakes in progress (%zu); try again", kMaxPending);
            refuse(fresh, d, nullptr, handler);
            continue;
        }
        *free_slot = std::move(fresh);
        // The request usually arrives with the connection: answer it without another round.
        if (handle_request(*free_slot, handler)) {
            free_slot->fd.reset();
        }
    }
}

bool AttachServer::handle_request(Pending& pending, AttachHandler& handler) noexcept {
    alignas(abi::AttachRequest) unsigned char buffer[sizeof(abi::AttachRequest)] = {};
    // MSG_TRUNC: the return value is the message's real size, so an oversized one is seen.
    const ssize_t got = ::recv(pending.fd.get(), buffer, sizeof(buffer), MSG_DONTWAIT | MSG_TRUNC);
    if (got < 0) {
        return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
    }
    if (got == 0) {
        return true;  // the peer left (or sent an empty message) before asking anything
    }
    abi::AttachRequest request{};
    std::memcpy(&request, buffer, std::min(sizeof(request), static_cast<std::size_t>(got)));
    AttachDecision decision =
        decide_attach(request, static_cast<std::size_t>(got), pending.peer, policy_, live_slots());
    // ppoll's scan is not atomic: an agent that closed its connection and reconnected at once can
    // have its old socket looked at before the close and the listening one after the connect, so
    // this round saw the request but not the hang-up. Look again before refusing it.
    if (decision.status == AttachStatus::ALREADY_ATTACHED && reap_hung_up(handler)) {
        decision = decide_attach(request, static_cast<std::size_t>(got), pending.peer, policy_, live_slots());
    }
    const abi::AttachRequest* seen = static_cast<std::size_t>(got) == sizeof(request) ? &request : nullptr;
    if (decision.status == AttachStatus::OK && shutting_down_) {
        decision.status = AttachStatus::SHUTTING_DOWN;
        set_message(decision, "fund ABI %u.%u is shutting down; agent %" PRIu32 " (ABI %u.%u) cannot attach",
                    static_cast<unsigned>(policy_.fund_major), static_cast<unsigned>(policy_.fund_minor),
                    request.agent_id, static_cast<unsigned>(request.abi_major),
                    static_cast<unsigned>(request.abi_minor));
    }
    if (decision.status != AttachStatus::OK) {
        refuse(pending, decision, seen, handler);
        return true;
    }
    AttachGrant grant{};
    if (const int rc = handler.grant(decision, request, pending.peer, grant); rc != 0) {
        decision.status = AttachStatus::FUND_FULL;
        set_message(decision, "fund could not create agent %" PRIu32 "'s regions: %s", request.agent_id,
                    std::strerror(-rc));
        refuse(pending, decision, seen, handler);
        return true;
    }
    const abi::AttachReply reply =
        make_reply(decision, grant.generation, grant.sizes[0], grant.sizes[1], grant.sizes[2]);
    if (send_attach_reply(pending.fd.get(), reply, grant.fds) != 0) {
        handler.abandoned(decision);
        return true;
    }
    live_[decision.slot] = std::move(pending.fd);
    handler.attached(decision, grant, request, pending.peer);
    return true;
}

void AttachServer::refuse(Pending& pending, const AttachDecision& decision, const abi::AttachRequest* request,
                          AttachHandler& handler) noexcept {
    const abi::AttachReply reply = make_reply(decision, 0, 0, 0, 0);
    (void)send_attach_reply(pending.fd.get(), reply, {});
    // Closing a socket with unread messages resets the peer, which would then lose the reply just
    // sent: read whatever the agent already queued (its request, when refused at accept) first.
    unsigned char discard[sizeof(abi::AttachRequest)];
    while (::recv(pending.fd.get(), discard, sizeof(discard), MSG_DONTWAIT) > 0) {
    }
    pending.fd.reset();
    handler.refused(decision, request, pending.peer);
}

}  // namespace fundos::transport
