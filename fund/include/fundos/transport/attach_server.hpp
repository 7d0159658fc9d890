// The Fund's attach socket (docs/TRANSPORT.md, "Attach").
//
//  1. listen(): creates <run_dir> with mode 0750 (only the Fund's group can reach the socket),
//     binds a SOCK_SEQPACKET socket at <run_dir>/fund.sock (mode 0660), listens.
//  2. poll(): one ppoll over the listener, the connections waiting for their AttachRequest and
//     the live connections of attached agents. Never blocks on an agent: every socket is
//     non-blocking, and a connection that sends no request within the handshake timeout is
//     refused.
//  3. A request is judged by decide_attach() (pure; checks in the order of the doc): size and
//     magic (BAD_REQUEST), major (VERSION_MISMATCH), layout hash of the negotiated
//     major.minor, min(agent's, Fund's), looked up among the layouts the Fund serves
//     (kServedLayouts: its own and every released minor of its major that it can serve;
//     LAYOUT_MISMATCH), agent id (UNKNOWN_AGENT), SO_PEERCRED uid/gid
//     (NOT_PERMITTED), a live connection of the same agent (ALREADY_ATTACHED). Refusals get an
//     AttachReply whose message names both sides' values, then a close.
//  4. Accepted: the handler creates the regions (AttachHandler::grant), the reply goes out with
//     the three fds in one SCM_RIGHTS message (snapshot, intents, reports) and the connection
//     becomes the agent's live socket.
//  5. The live socket's hang-up (POLLHUP / POLLRDHUP / EOF) is the crash signal:
//     AttachHandler::hung_up, seen by the ppoll at once (microseconds).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "fundos/abi.hpp"
#include "fundos/transport/memfd_region.hpp"

namespace fundos::transport {

/// The peer's identity from SO_PEERCRED (the pid in AttachRequest is informational only).
struct PeerCredentials {
    std::int32_t pid = 0;
    std::uint32_t uid = 0;
    std::uint32_t gid = 0;
};

/// A layout the Fund can serve: the hash it knows for major.minor.
using KnownLayout = abi::AbiLayout;

/// Every layout this Fund serves, as abigen generated it from the release locks: each released
/// minor of its major whose shared memory this Fund's layout is a superset of, then its own.
/// The regions are always laid out by the Fund's own minor (one snapshot region serves agents of
/// every minor at once); an agent of an older minor reads only fields that minor has, because
/// abigen lists a minor only when each of its fields keeps its offset, type and meaning and
/// everything added since lies in bytes it reserved (docs/TRANSPORT.md, "Which minors a Fund
/// serves").
inline constexpr std::span<const KnownLayout> kServedLayouts{abi::ABI_LAYOUTS};

/// The layout this Fund was built with: the table's last row.
inline constexpr KnownLayout kBuiltLayout = kServedLayouts.back();

namespace detail {
/// The table's invariants, which decide_attach's lookup relies on: one major (the Fund's),
/// strictly increasing minors (one hash per minor), ending with the Fund's own layout.
constexpr bool served_layouts_well_formed(std::span<const KnownLayout> layouts) noexcept {
    for (std::size_t i = 0; i < layouts.size(); ++i) {
        if (layouts[i].major != abi::ABI_VERSION_MAJOR || (i > 0 && layouts[i].minor <= layouts[i - 1].minor)) {
            return false;
        }
    }
    return !layouts.empty() && layouts.back().minor == abi::ABI_VERSION_MINOR &&
           layouts.back().layout_hash == abi::ABI_LAYOUT_HASH;
}
}  // namespace detail
static_assert(detail::served_layouts_well_formed(kServedLayouts), "abigen's ABI_LAYOUTS table is malformed");

/// One configured agent. Its slot is its index in the configuration.
struct AgentConfig {
    std::uint32_t agent_id = 0;
    std::vector<std::uint32_t> allowed_uids;  ///< peer uid must be one of these; empty: nobody
    std::vector<std::uint32_t> allowed_gids;  ///< peer gid must be one of these; empty: any gid
    std::uint64_t mapped_instruments = ~0ULL;  ///< bit i: instrument row i may be traded
};

/// What decide_attach() needs to know.
struct AttachPolicy {
    std::uint16_t fund_major = abi::ABI_VERSION_MAJOR;
    std::uint16_t fund_minor = abi::ABI_VERSION_MINOR;
    std::span<const KnownLayout> layouts = kServedLayouts;  ///< hashes the Fund knows, per major.minor
    std::span<const AgentConfig> agents;   ///< slot = index; at most MAX_AGENTS
};

struct AttachDecision {
    abi::AttachStatus status = abi::AttachStatus::BAD_REQUEST;
    std::uint16_t slot = 0;       ///< valid from UNKNOWN_AGENT's check on
    std::uint32_t agent_id = 0;   ///< as requested (0 when the request was unreadable)
    std::uint16_t agent_major = 0;
    std::uint16_t agent_minor = 0;
    std::uint16_t minor = 0;      ///< the negotiated minor
    std::uint64_t layout_hash = 0;  ///< the hash of fund_major.minor the Fund knows (0: none)
    char message[abi::ATTACH_MESSAGE_LEN] = {};
};

/// Judge one request. `request_bytes` is the size of the message the peer sent; `live_slots`
/// bit s: slot s has a live connection. Pure function.
[[nodiscard]] AttachDecision decide_attach(const abi::AttachRequest& request, std::size_t request_bytes,
                                           const PeerCredentials& peer, const AttachPolicy& policy,
                                           std::uint64_t live_slots) noexcept;

/// The reply for `decision` (no fds: those travel in the control message).
[[nodiscard]] abi::AttachReply make_reply(const AttachDecision& decision, abi::Sequence generation,
                                          std::uint64_t snapshot_size, std::uint64_t intent_size,
                                          std::uint64_t report_size) noexcept;

/// What AttachHandler::grant() hands back: the generation and the three fds (borrowed: the
/// handler keeps owning them) with their sizes, in reply order.
struct AttachGrant {
    abi::Sequence generation = 0;
    std::array<int, 3> fds{-1, -1, -1};
    std::array<std::uint64_t, 3> sizes{};
};

/// The Fund's side of the attach protocol, called from AttachServer::poll().
class AttachHandler {
public:
    virtual ~AttachHandler() = default;
    /// Create the agent's regions for an accepted request. 0, or -errno (refused FUND_FULL).
    virtual int grant(const AttachDecision& decision, const abi::AttachRequest& request, const PeerCredentials& peer,
                      AttachGrant& grant) = 0;
    /// The reply went out: the agent is attached.
    virtual void attached(const AttachDecision& decision, const AttachGrant& grant, const abi::AttachRequest& request,
                          const PeerCredentials& peer) = 0;
    /// The reply could not be sent after grant(): release what grant() made.
    virtual void abandoned(const AttachDecision& decision) = 0;
    /// A refusal was sent (or the connection timed out). `request` is null when none arrived.
    virtual void refused(const AttachDecision& decision, const abi::AttachRequest* request,
                         const PeerCredentials& peer) = 0;
    /// The live socket of `slot` hung up (the agent's crash signal); it is closed already.
    virtual void hung_up(std::uint16_t slot) = 0;
};

class AttachServer {
public:
    static constexpr std::size_t kMaxPending = 16;
    static constexpr std::size_t kMaxLive = abi::MAX_AGENTS;

    AttachServer() = default;
    AttachServer(const AttachServer&) = delete;
    AttachServer& operator=(const AttachServer&) = delete;
    ~AttachServer() { close(); }

    /// Create run_dir (0750), bind and listen at run_dir/fund.sock. `policy` (and what its spans
    /// point at) must outlive the server. Returns 0 or -errno.
    [[nodiscard]] int listen(const std::string& run_dir, const AttachPolicy& policy) noexcept;

    /// One round: wait up to `timeout_ns` (0: do not wait; < 0: forever) for socket events,
    /// then handle hang-ups, requests, handshake timeouts and new connections, calling
    /// `handler`. Returns the number of sockets that had events, or -errno (EINTR: 0).
    int poll(std::int64_t timeout_ns, AttachHandler& handler) noexcept;

    /// Close the live socket of `slot` (the Fund detaches the agent; it sees the hang-up).
    void close_slot(std::uint16_t slot) noexcept;
    [[nodiscard]] bool live(std::uint16_t slot) const noexcept { return slot < kMaxLive && static_cast<bool>(live_[slot]); }
    [[nodiscard]] std::uint64_t live_slots() const noexcept;

    /// From now on every request is refused SHUTTING_DOWN.
    void set_shutting_down() noexcept { shutting_down_ = true; }
    void set_handshake_timeout_ns(std::uint64_t ns) noexcept { handshake_timeout_ns_ = ns; }

    /// Close everything and unlink the socket file.
    void close() noexcept;

    [[nodiscard]] const std::string& socket_path() const noexcept { return socket_path_; }
    [[nodiscard]] int listen_fd() const noexcept { return listen_.get(); }

private:
    struct Pending {
        UniqueFd fd;
        PeerCredentials peer;
        std::uint64_t deadline_ns = 0;
    };

    void accept_all(AttachHandler& handler, std::uint64_t now_ns) noexcept;
    /// true: the connection is finished with (attached, refused or gone).
    bool handle_request(Pending& pending, AttachHandler& handler) noexcept;
    void refuse(Pending& pending, const AttachDecision& decision, const abi::AttachRequest* request,
                AttachHandler& handler) noexcept;
    void drain_live(std::uint16_t slot, AttachHandler& handler) noexcept;
    /// The peer of `slot` is gone: close its socket and tell the handler.
    void hang_up(std::uint16_t slot, AttachHandler& handler) noexcept;
    /// Hang up every live socket whose peer is gone now; true if any was.
    bool reap_hung_up(AttachHandler& handler) noexcept;

    UniqueFd listen_;
    std::string socket_path_;
    AttachPolicy policy_{};
    std::array<Pending, kMaxPending> pending_{};
    std::array<UniqueFd, kMaxLive> live_{};
    std::uint64_t handshake_timeout_ns_ = 1'000'000'000ULL;
    bool shutting_down_ = false;
};

/// Send `reply` on `fd` with `fds` (may be empty) as SCM_RIGHTS. 0 or -errno. Never blocks.
[[nodiscard]] int send_attach_reply(int fd, const abi::AttachReply& reply, std::span<const int> fds) noexcept;

/// CLOCK_MONOTONIC in ns.
[[nodiscard]] std::uint64_t monotonic_ns() noexcept;

}  // namespace fundos::transport
