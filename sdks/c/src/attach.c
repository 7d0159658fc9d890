/* Attach and detach (docs/TRANSPORT.md, "Attach" and "Regions"): options, the AttachRequest /
 * AttachReply exchange with SCM_RIGHTS, region checks and mappings, the handle's status. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "agent_internal.h"

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

#define DEFAULT_SPIN_COUNT 2000u
#define DEFAULT_YIELD_COUNT 50u
#define DEFAULT_RING_FULL_TIMEOUT_NS UINT64_C(1000000000)
#define DEFAULT_ATTACH_TIMEOUT_NS UINT64_C(5000000000)
#define MAX_FDS 8 /* room for more fds than the three we expect, so extras are seen and closed */

uint64_t fundos__now_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * UINT64_C(1000000000) + (uint64_t)now.tv_nsec;
}

void fundos_attach_options_init(fundos_attach_options *options) {
    if (options == NULL) {
        return;
    }
    memset(options, 0, sizeof(*options));
    options->wait = FUNDOS_WAIT_SPIN;
    options->spin_count = DEFAULT_SPIN_COUNT;
    options->yield_count = DEFAULT_YIELD_COUNT;
    options->ring_full = FUNDOS_RING_FULL_FAIL;
    options->ring_full_timeout_ns = DEFAULT_RING_FULL_TIMEOUT_NS;
    options->attach_timeout_ns = DEFAULT_ATTACH_TIMEOUT_NS;
}

int fundos_wait_policy_parse(const char *text, fundos_wait_policy *out) {
    static const struct {
        const char *name;
        fundos_wait_policy policy;
    } names[] = {{"spin", FUNDOS_WAIT_SPIN}, {"busy", FUNDOS_WAIT_BUSY}, {"futex", FUNDOS_WAIT_FUTEX}};
    if (text == NULL || out == NULL) {
        return FUNDOS_E_INVALID_ARGUMENT;
    }
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(text, names[i].name) == 0) {
            *out = names[i].policy;
            return FUNDOS_OK;
        }
    }
    return FUNDOS_E_INVALID_ARGUMENT;
}

int fundos_attach_options_from_env(fundos_attach_options *options, char *why, size_t why_len) {
    if (why != NULL && why_len > 0) {
        why[0] = '\0';
    }
    if (options == NULL) {
        return fundos__fail(FUNDOS_E_INVALID_ARGUMENT, why, why_len, "attach options are NULL");
    }
    const char *socket_path = getenv("FUNDOS_SOCKET");
    const char *agent_id = getenv("FUNDOS_AGENT_ID");
    const char *wake = getenv("FUNDOS_WAKE");
    uint32_t id = options->agent_id;
    if (agent_id != NULL && agent_id[0] != '\0') {
        char *end = NULL;
        errno = 0;
        unsigned long long value = strtoull(agent_id, &end, 10);
        if (agent_id[0] < '0' || agent_id[0] > '9' || *end != '\0' || errno != 0 || value == 0 ||
            value > UINT32_MAX) {
            return fundos__fail(FUNDOS_E_INVALID_ARGUMENT, why, why_len,
                                "FUNDOS_AGENT_ID must be a whole number from 1 to 4294967295, not '%s'", agent_id);
        }
        id = (uint32_t)value;
    }
    fundos_wait_policy wait = options->wait;
    if (wake != NULL && wake[0] != '\0' && fundos_wait_policy_parse(wake, &wait) != FUNDOS_OK) {
        return fundos__fail(FUNDOS_E_INVALID_ARGUMENT, why, why_len,
                            "FUNDOS_WAKE must be spin, busy or futex, not '%s'", wake);
    }
    if (socket_path != NULL && socket_path[0] != '\0') {
        options->socket_path = socket_path;
    }
    options->agent_id = id;
    options->wait = wait;
    return FUNDOS_OK;
}

int fundos_attach_options_validate(const fundos_attach_options *options, char *why, size_t why_len) {
    if (why != NULL && why_len > 0) {
        why[0] = '\0';
    }
    if (options == NULL) {
        return fundos__fail(FUNDOS_E_INVALID_ARGUMENT, why, why_len, "attach options are NULL");
    }
    if (options->socket_path == NULL || options->socket_path[0] == '\0') {
        return fundos__fail(FUNDOS_E_INVALID_ARGUMENT, why, why_len,
                            "socket_path is not set: pass the Fund's socket, <run-dir>/fund.sock");
    }
    size_t path_len = strlen(options->socket_path);
    if (path_len >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
        return fundos__fail(FUNDOS_E_INVALID_ARGUMENT, why, why_len,
                            "socket_path is %zu bytes; a Unix socket path must be shorter than %zu", path_len,
                            sizeof(((struct sockaddr_un *)0)->sun_path));
    }
    if (options->agent_id == 0) {
        return fundos__fail(FUNDOS_E_INVALID_ARGUMENT, why, why_len,
                            "agent_id is 0; use the id the Fund's configuration gives this agent");
    }
    if (options->wait != FUNDOS_WAIT_SPIN && options->wait != FUNDOS_WAIT_BUSY && options->wait != FUNDOS_WAIT_FUTEX) {
        return fundos__fail(FUNDOS_E_INVALID_ARGUMENT, why, why_len,
                            "wait policy %d is not one of FUNDOS_WAIT_SPIN, FUNDOS_WAIT_BUSY, FUNDOS_WAIT_FUTEX",
                            (int)options->wait);
    }
    if (options->ring_full != FUNDOS_RING_FULL_FAIL && options->ring_full != FUNDOS_RING_FULL_WAIT) {
        return fundos__fail(FUNDOS_E_INVALID_ARGUMENT, why, why_len,
                            "ring_full policy %d is not FUNDOS_RING_FULL_FAIL or FUNDOS_RING_FULL_WAIT",
                            (int)options->ring_full);
    }
    if (options->ring_full == FUNDOS_RING_FULL_WAIT && options->ring_full_timeout_ns == 0) {
        return fundos__fail(FUNDOS_E_INVALID_ARGUMENT, why, why_len,
                            "ring_full is FUNDOS_RING_FULL_WAIT but ring_full_timeout_ns is 0; "
                            "use FUNDOS_RING_FULL_FAIL not to wait");
    }
    return FUNDOS_OK;
}

/* "ABI 1.1 (layout 0x...)" */
static void describe_abi(char *buf, size_t len, unsigned major, unsigned minor, uint64_t hash) {
    snprintf(buf, len, "ABI %u.%u (layout 0x%016llx)", major, minor, (unsigned long long)hash);
}

static int abi_mismatch(int code, char *why, size_t why_len, const char *where, unsigned major, unsigned minor,
                        uint64_t hash) {
    char fund[64], agent[64];
    describe_abi(fund, sizeof(fund), major, minor, hash);
    describe_abi(agent, sizeof(agent), FUNDOS_ABI_VERSION_MAJOR, FUNDOS_ABI_VERSION_MINOR, FUNDOS_ABI_LAYOUT_HASH);
    return fundos__fail(code, why, why_len,
                        "fund speaks %s, this agent was built for %s (%s); rebuild the agent against the "
                        "Fund's generated ABI headers",
                        fund, agent, where);
}

/* Minor versions of one major are compatible by the ABI's rules (abigen compat), so layout
 * hashes are only comparable when the minors are equal too. */
static int check_abi(char *why, size_t why_len, const char *where, unsigned major, unsigned minor, uint64_t hash) {
    if (major != FUNDOS_ABI_VERSION_MAJOR) {
        return abi_mismatch(FUNDOS_E_VERSION_MISMATCH, why, why_len, where, major, minor, hash);
    }
    if (minor == FUNDOS_ABI_VERSION_MINOR && hash != FUNDOS_ABI_LAYOUT_HASH) {
        return abi_mismatch(FUNDOS_E_LAYOUT_MISMATCH, why, why_len, where, major, minor, hash);
    }
    return FUNDOS_OK;
}

static int refusal_code(fundos_attach_status_t status) {
    switch (status) {
        case FUNDOS_ATTACH_STATUS_BAD_REQUEST: return FUNDOS_E_BAD_REQUEST;
        case FUNDOS_ATTACH_STATUS_VERSION_MISMATCH: return FUNDOS_E_VERSION_MISMATCH;
        case FUNDOS_ATTACH_STATUS_LAYOUT_MISMATCH: return FUNDOS_E_LAYOUT_MISMATCH;
        case FUNDOS_ATTACH_STATUS_UNKNOWN_AGENT: return FUNDOS_E_UNKNOWN_AGENT;
        case FUNDOS_ATTACH_STATUS_NOT_PERMITTED: return FUNDOS_E_NOT_PERMITTED;
        case FUNDOS_ATTACH_STATUS_ALREADY_ATTACHED: return FUNDOS_E_ALREADY_ATTACHED;
        case FUNDOS_ATTACH_STATUS_FUND_FULL: return FUNDOS_E_FUND_FULL;
        case FUNDOS_ATTACH_STATUS_SHUTTING_DOWN: return FUNDOS_E_SHUTTING_DOWN;
        default: return FUNDOS_E_PROTOCOL;
    }
}

static int refused(const fundos_attach_reply_t *reply, uint32_t agent_id, char *why, size_t why_len) {
    const char *name = fundos_attach_status_name(reply->status);
    if (name == NULL) {
        return fundos__fail(FUNDOS_E_PROTOCOL, why, why_len,
                            "the Fund answered with attach status %u, which this agent does not know "
                            "(its message: \"%s\")",
                            (unsigned)reply->status, reply->message);
    }
    int code = refusal_code(reply->status);
    const char *message = reply->message[0] != '\0' ? reply->message : "(no message)";
    if (code == FUNDOS_E_VERSION_MISMATCH || code == FUNDOS_E_LAYOUT_MISMATCH) {
        char fund[64], agent[64];
        describe_abi(fund, sizeof(fund), reply->abi_major, reply->abi_minor, reply->layout_hash);
        describe_abi(agent, sizeof(agent), FUNDOS_ABI_VERSION_MAJOR, FUNDOS_ABI_VERSION_MINOR,
                     FUNDOS_ABI_LAYOUT_HASH);
        return fundos__fail(code, why, why_len,
                            "the Fund refused agent %u (%s): fund speaks %s, this agent was built for %s. "
                            "The Fund says: %s",
                            agent_id, name, fund, agent, message);
    }
    return fundos__fail(code, why, why_len, "the Fund refused agent %u (%s): %s", agent_id, name, message);
}

static int connect_error(const char *path, int err, char *why, size_t why_len) {
    const char *hint = "";
    switch (err) {
        case ENOENT: hint = " (is the Fund running, and is this its run directory?)"; break;
        case ECONNREFUSED: hint = " (nobody listens there: the Fund has stopped?)"; break;
        case EACCES:
        case EPERM: hint = " (the run directory is mode 0750: run the agent in the Fund's group)"; break;
        case EPROTOTYPE: hint = " (the socket is not a SOCK_SEQPACKET Fund socket)"; break;
        default: break;
    }
    errno = err;
    return fundos__fail(FUNDOS_E_CONNECT, why, why_len, "cannot connect to the Fund at %s: %s%s", path,
                        strerror(err), hint);
}

static void set_timeouts(int fd, uint64_t timeout_ns) {
    struct timeval tv;
    tv.tv_sec = (time_t)(timeout_ns / UINT64_C(1000000000));
    tv.tv_usec = (suseconds_t)((timeout_ns % UINT64_C(1000000000)) / 1000u);
    if (tv.tv_sec == 0 && tv.tv_usec == 0) {
        tv.tv_usec = 1;
    }
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

typedef struct region_spec {
    const char *name;            /* for messages */
    fundos_region_kind_t kind;
    size_t min_size;             /* sizeof the struct this agent was built with */
    uint64_t size;               /* from the AttachReply */
    int fund_written;            /* sealed against writes, mapped read-only, has a RegionHeader */
    int per_agent;               /* header carries this agent's id and generation */
} region_spec;

/* fstat, seals, then mmap. */
static int map_region(int fd, const region_spec *spec, int same_minor, void **out, char *why, size_t why_len) {
    *out = NULL;
    if (spec->size < spec->min_size || (same_minor && spec->size != spec->min_size)) {
        return fundos__fail(FUNDOS_E_BAD_REGION, why, why_len,
                            "%s region: the Fund says it is %llu bytes, this agent's ABI says %zu", spec->name,
                            (unsigned long long)spec->size, spec->min_size);
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int err = errno;
        return fundos__fail(FUNDOS_E_SYSTEM, why, why_len, "%s region: fstat failed: %s", spec->name, strerror(err));
    }
    if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size < spec->size) {
        return fundos__fail(FUNDOS_E_BAD_REGION, why, why_len,
                            "%s region: the file holds %lld bytes, the Fund announced %llu (a short file would "
                            "crash this agent with SIGBUS)",
                            spec->name, (long long)st.st_size, (unsigned long long)spec->size);
    }
    int seals = fcntl(fd, F_GET_SEALS);
    if (seals < 0) {
        return fundos__fail(FUNDOS_E_BAD_REGION, why, why_len,
                            "%s region: not a sealable memfd (F_GET_SEALS: %s); docs/TRANSPORT.md requires "
                            "memfd_create(MFD_ALLOW_SEALING)",
                            spec->name, strerror(errno));
    }
    if (!(seals & F_SEAL_SHRINK)) {
        return fundos__fail(FUNDOS_E_BAD_REGION, why, why_len,
                            "%s region: not sealed with F_SEAL_SHRINK, so it could be truncated under this agent "
                            "(SIGBUS); the Fund must seal it (docs/TRANSPORT.md, Regions)",
                            spec->name);
    }
    if (spec->fund_written && !(seals & (F_SEAL_FUTURE_WRITE | F_SEAL_WRITE))) {
        return fundos__fail(FUNDOS_E_BAD_REGION, why, why_len,
                            "%s region: not sealed against writes (F_SEAL_FUTURE_WRITE), so other agents could "
                            "change it; the Fund must seal it (docs/TRANSPORT.md, Regions)",
                            spec->name);
    }
    int prot = spec->fund_written ? PROT_READ : (PROT_READ | PROT_WRITE);
    void *addr = mmap(NULL, (size_t)spec->size, prot, MAP_SHARED, fd, 0);
    if (addr == MAP_FAILED) {
        int err = errno;
        if (!spec->fund_written && (err == EPERM || err == EACCES)) {
            return fundos__fail(FUNDOS_E_BAD_REGION, why, why_len,
                                "%s region: cannot be mapped writable (%s): the Fund sealed or opened it "
                                "read-only",
                                spec->name, strerror(err));
        }
        return fundos__fail(FUNDOS_E_SYSTEM, why, why_len, "%s region: mmap of %llu bytes failed: %s", spec->name,
                            (unsigned long long)spec->size, strerror(err));
    }
    *out = addr;
    return FUNDOS_OK;
}

static int check_header(const void *region, const region_spec *spec, const fundos_attach_reply_t *reply,
                        uint32_t agent_id, char *why, size_t why_len) {
    fundos_region_header_t header; /* read once into private memory, then check the copy */
    memcpy(&header, region, sizeof(header));
    if (header.magic != FUNDOS_REGION_MAGIC) {
        return fundos__fail(FUNDOS_E_BAD_REGION, why, why_len,
                            "%s region: magic is 0x%016llx, not 0x%016llx (\"NDOS_ABI\"): not a FundOS region",
                            spec->name, (unsigned long long)header.magic, (unsigned long long)FUNDOS_REGION_MAGIC);
    }
    char where[64];
    snprintf(where, sizeof(where), "%s region header", spec->name);
    int rc = check_abi(why, why_len, where, header.abi_major, header.abi_minor, header.layout_hash);
    if (rc != FUNDOS_OK) {
        return rc;
    }
    if (header.kind != spec->kind) {
        const char *name = fundos_region_kind_name(header.kind);
        return fundos__fail(FUNDOS_E_BAD_REGION, why, why_len, "%s region: its header says kind %u (%s), expected %u (%s)",
                            spec->name, (unsigned)header.kind, name != NULL ? name : "unknown", (unsigned)spec->kind,
                            fundos_region_kind_name(spec->kind));
    }
    if (header.header_size != sizeof(fundos_region_header_t)) {
        return fundos__fail(FUNDOS_E_BAD_REGION, why, why_len, "%s region: header_size is %u, expected %zu", spec->name,
                            (unsigned)header.header_size, sizeof(fundos_region_header_t));
    }
    if (header.region_size != spec->size) {
        return fundos__fail(FUNDOS_E_BAD_REGION, why, why_len,
                            "%s region: its header says %llu bytes, the AttachReply says %llu", spec->name,
                            (unsigned long long)header.region_size, (unsigned long long)spec->size);
    }
    if (spec->per_agent) {
        if (header.generation != reply->generation) {
            return fundos__fail(FUNDOS_E_BAD_REGION, why, why_len,
                                "%s region: generation %llu, but this attach is generation %llu (a stale region)",
                                spec->name, (unsigned long long)header.generation,
                                (unsigned long long)reply->generation);
        }
        if (header.agent_id != agent_id) {
            return fundos__fail(FUNDOS_E_BAD_REGION, why, why_len, "%s region: belongs to agent %u, not to agent %u",
                                spec->name, (unsigned)header.agent_id, (unsigned)agent_id);
        }
    }
    return FUNDOS_OK;
}

static void close_fds(int *fds, size_t count) {
    for (size_t i = 0; i < count; i++) {
        if (fds[i] >= 0) {
            close(fds[i]);
            fds[i] = -1;
        }
    }
}

static void unmap_all(struct fundos_agent *agent) {
    if (agent->snapshot != NULL) {
        munmap((void *)agent->snapshot, agent->snapshot_len);
        agent->snapshot = NULL;
    }
    if (agent->intents != NULL) {
        munmap(agent->intents, agent->intents_len);
        agent->intents = NULL;
    }
    if (agent->reports != NULL) {
        munmap((void *)agent->reports, agent->reports_len);
        agent->reports = NULL;
    }
}

/* Receive the AttachReply and up to MAX_FDS descriptors. */
static int receive_reply(int fd, fundos_attach_reply_t *reply, int *fds, size_t *nfds, uint64_t timeout_ns,
                         char *why, size_t why_len) {
    union {
        fundos_attach_reply_t reply;
        unsigned char bytes[2 * sizeof(fundos_attach_reply_t)];
    } buffer;
    union {
        struct cmsghdr align;
        unsigned char bytes[CMSG_SPACE(sizeof(int) * MAX_FDS)];
    } control;
    memset(&buffer, 0, sizeof(buffer));
    memset(&control, 0, sizeof(control));
    struct iovec iov = {.iov_base = buffer.bytes, .iov_len = sizeof(buffer.bytes)};
    struct msghdr msg;
    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.bytes;
    msg.msg_controllen = sizeof(control.bytes);

    ssize_t n;
    do {
        n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    *nfds = 0;
    if (n < 0) {
        int err = errno;
        if (err == EAGAIN || err == EWOULDBLOCK) {
            return fundos__fail(FUNDOS_E_TIMEOUT, why, why_len, "the Fund did not answer the attach request within %.1f s",
                                (double)timeout_ns / 1e9);
        }
        if (err == ECONNRESET) {
            return fundos__fail(FUNDOS_E_PROTOCOL, why, why_len,
                                "the Fund closed the connection without answering the attach request");
        }
        return fundos__fail(FUNDOS_E_SYSTEM, why, why_len, "receiving the Fund's AttachReply failed: %s",
                            strerror(err));
    }
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (size_t i = 0; i < count && *nfds < MAX_FDS; i++) {
                memcpy(&fds[*nfds], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                (*nfds)++;
            }
        }
    }
    if (n == 0) {
        return fundos__fail(FUNDOS_E_PROTOCOL, why, why_len,
                            "the Fund closed the connection without answering the attach request");
    }
    if (msg.msg_flags & MSG_CTRUNC) {
        return fundos__fail(FUNDOS_E_PROTOCOL, why, why_len,
                            "the Fund sent more file descriptors than the 3 of docs/TRANSPORT.md");
    }
    if ((size_t)n != sizeof(fundos_attach_reply_t) || (msg.msg_flags & MSG_TRUNC)) {
        return fundos__fail(FUNDOS_E_PROTOCOL, why, why_len, "the Fund's AttachReply is %zd bytes, expected %zu", n,
                            sizeof(fundos_attach_reply_t));
    }
    memcpy(reply, &buffer.reply, sizeof(*reply));
    reply->message[FUNDOS_ATTACH_MESSAGE_LEN - 1] = '\0';
    if (reply->magic != FUNDOS_ATTACH_MAGIC) {
        return fundos__fail(FUNDOS_E_PROTOCOL, why, why_len,
                            "the Fund's AttachReply has magic 0x%016llx, not ATTACH_MAGIC 0x%016llx (is that a Fund "
                            "socket?)",
                            (unsigned long long)reply->magic, (unsigned long long)FUNDOS_ATTACH_MAGIC);
    }
    return FUNDOS_OK;
}

/* The part of attach after the AttachReply was accepted: map and check the three regions. */
static int map_regions(struct fundos_agent *agent, const fundos_attach_reply_t *reply, int *fds, char *why,
                       size_t why_len) {
    int same_minor = reply->abi_minor == FUNDOS_ABI_VERSION_MINOR;
    const region_spec snapshot = {"snapshot", FUNDOS_REGION_KIND_SNAPSHOT, sizeof(fundos_snapshot_region_t),
                                  reply->snapshot_region_size, 1, 0};
    const region_spec intents = {"intent", FUNDOS_REGION_KIND_AGENT_INTENTS, sizeof(fundos_agent_intent_region_t),
                                 reply->intent_region_size, 0, 1};
    const region_spec reports = {"report", FUNDOS_REGION_KIND_AGENT_REPORTS, sizeof(fundos_agent_report_region_t),
                                 reply->report_region_size, 1, 1};
    void *addr = NULL;
    int rc = map_region(fds[0], &snapshot, same_minor, &addr, why, why_len);
    if (rc != FUNDOS_OK) {
        return rc;
    }
    agent->snapshot = addr;
    agent->snapshot_len = (size_t)snapshot.size;
    rc = check_header(addr, &snapshot, reply, agent->agent_id, why, why_len);
    if (rc != FUNDOS_OK) {
        return rc;
    }
    rc = map_region(fds[2], &reports, same_minor, &addr, why, why_len);
    if (rc != FUNDOS_OK) {
        return rc;
    }
    agent->reports = addr;
    agent->reports_len = (size_t)reports.size;
    rc = check_header(addr, &reports, reply, agent->agent_id, why, why_len);
    if (rc != FUNDOS_OK) {
        return rc;
    }
    rc = map_region(fds[1], &intents, same_minor, &addr, why, why_len);
    if (rc != FUNDOS_OK) {
        return rc;
    }
    agent->intents = addr;
    agent->intents_len = (size_t)intents.size;
    return FUNDOS_OK;
}

int fundos_attach(const fundos_attach_options *options, fundos_agent **out, char *why, size_t why_len) {
    if (why != NULL && why_len > 0) {
        why[0] = '\0';
    }
    if (out == NULL) {
        return fundos__fail(FUNDOS_E_INVALID_ARGUMENT, why, why_len, "out (where to store the handle) is NULL");
    }
    *out = NULL;
    int rc = fundos_attach_options_validate(options, why, why_len);
    if (rc != FUNDOS_OK) {
        return rc;
    }
    uint64_t timeout_ns = options->attach_timeout_ns != 0 ? options->attach_timeout_ns : DEFAULT_ATTACH_TIMEOUT_NS;

    struct fundos_agent *agent = calloc(1, sizeof(*agent));
    if (agent == NULL) {
        return fundos__fail(FUNDOS_E_SYSTEM, why, why_len, "out of memory");
    }
    agent->fd = -1;
    agent->agent_id = options->agent_id;
    agent->wait = options->wait;
    agent->spin_count = options->spin_count;
    agent->yield_count = options->yield_count;
    agent->ring_full = options->ring_full;
    agent->ring_full_timeout_ns = options->ring_full_timeout_ns;
    agent->stop_flag = options->stop_flag;
    int fds[MAX_FDS];
    size_t nfds = 0;
    for (size_t i = 0; i < MAX_FDS; i++) {
        fds[i] = -1;
    }

    agent->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (agent->fd < 0) {
        int err = errno;
        rc = fundos__fail(FUNDOS_E_SYSTEM, why, why_len, "socket(AF_UNIX, SOCK_SEQPACKET) failed: %s", strerror(err));
        goto fail;
    }
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof(addr));
    addr.sun_family = AF_UNIX;
    memcpy(addr.sun_path, options->socket_path, strlen(options->socket_path));
    set_timeouts(agent->fd, timeout_ns);
    int connected;
    do {
        connected = connect(agent->fd, (const struct sockaddr *)&addr, sizeof(addr));
    } while (connected != 0 && errno == EINTR);
    if (connected != 0) {
        rc = connect_error(options->socket_path, errno, why, why_len);
        goto fail;
    }

    fundos_attach_request_t request;
    memset(&request, 0, sizeof(request));
    request.magic = FUNDOS_ATTACH_MAGIC;
    request.abi_major = FUNDOS_ABI_VERSION_MAJOR;
    request.abi_minor = FUNDOS_ABI_VERSION_MINOR;
    request.agent_id = options->agent_id;
    request.layout_hash = FUNDOS_ABI_LAYOUT_HASH;
    request.pid = (uint32_t)getpid();
    ssize_t sent;
    do {
        sent = send(agent->fd, &request, sizeof(request), MSG_NOSIGNAL);
    } while (sent < 0 && errno == EINTR);
    if (sent != (ssize_t)sizeof(request)) {
        int err = sent < 0 ? errno : EIO;
        rc = fundos__fail(FUNDOS_E_CONNECT, why, why_len, "sending the attach request to the Fund at %s failed: %s",
                          options->socket_path, strerror(err));
        goto fail;
    }

    fundos_attach_reply_t reply;
    rc = receive_reply(agent->fd, &reply, fds, &nfds, timeout_ns, why, why_len);
    if (rc != FUNDOS_OK) {
        goto fail;
    }
    if (options->reply_out != NULL) {
        memcpy(options->reply_out, &reply, sizeof(reply));
    }
    if (reply.status != FUNDOS_ATTACH_STATUS_OK) {
        rc = refused(&reply, options->agent_id, why, why_len);
        goto fail;
    }
    if (nfds != 3) {
        rc = fundos__fail(FUNDOS_E_PROTOCOL, why, why_len,
                          "the Fund accepted the attach but sent %zu file descriptors instead of 3", nfds);
        goto fail;
    }
    rc = check_abi(why, why_len, "AttachReply", reply.abi_major, reply.abi_minor, reply.layout_hash);
    if (rc != FUNDOS_OK) {
        goto fail;
    }
    if (reply.abi_minor > FUNDOS_ABI_VERSION_MINOR) {
        rc = fundos__fail(FUNDOS_E_PROTOCOL, why, why_len,
                          "the Fund negotiated ABI minor %u, above this agent's %u (it must pick the smaller)",
                          (unsigned)reply.abi_minor, (unsigned)FUNDOS_ABI_VERSION_MINOR);
        goto fail;
    }
    agent->slot = reply.slot;
    agent->abi_major = reply.abi_major;
    agent->abi_minor = reply.abi_minor;
    agent->generation = reply.generation;
    rc = map_regions(agent, &reply, fds, why, why_len);
    if (rc != FUNDOS_OK) {
        goto fail;
    }
    close_fds(fds, nfds); /* the mappings keep the memory */
    agent->connected = 1;

    /* Informational; the Fund trusts SO_PEERCRED. Written before any commit is published. */
    agent->intents->heartbeat.pid = (uint32_t)getpid();
    /* Intent ids keep increasing across restarts: start above what the Fund has processed. */
    fundos_agent_book_t *book = malloc(sizeof(*book));
    if (book != NULL) {
        if (fundos_read_book(agent, book) == FUNDOS_OK) {
            agent->last_intent_id = book->account.last_intent_id;
        }
        free(book);
    }
    *out = agent;
    return FUNDOS_OK;

fail:
    close_fds(fds, nfds);
    unmap_all(agent);
    if (agent->fd >= 0) {
        int saved = errno;
        close(agent->fd);
        errno = saved;
    }
    free(agent);
    return rc;
}

void fundos_detach(fundos_agent *agent) {
    if (agent == NULL) {
        return;
    }
    unmap_all(agent);
    if (agent->fd >= 0) {
        close(agent->fd);
        agent->fd = -1;
    }
    free(agent);
}

int fundos__hung_up(struct fundos_agent *agent) {
    if (!agent->connected) {
        return 1;
    }
    struct pollfd p = {.fd = agent->fd, .events = POLLIN | POLLRDHUP, .revents = 0};
    if (poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLRDHUP | POLLERR | POLLNVAL))) {
        agent->connected = 0;
        return 1;
    }
    return 0;
}

int fundos__quarantined(const struct fundos_agent *agent) {
    const fundos_report_control_t *control = &agent->reports->control;
    // SYNC POINT: pairs with the Fund's release store of status, after it stored the reason.
    return fundos_load_acquire_u8(&control->status) == FUNDOS_AGENT_STATUS_SUSPENDED &&
           fundos_load_relaxed_u16(&control->quarantine_reason) != FUNDOS_REJECT_REASON_NONE;
}

int fundos_agent_status(fundos_agent *agent, fundos_agent_info *out) {
    if (agent == NULL || out == NULL) {
        return FUNDOS_E_INVALID_ARGUMENT;
    }
    const fundos_report_control_t *control = &agent->reports->control;
    memset(out, 0, sizeof(*out));
    out->agent_id = agent->agent_id;
    out->slot = agent->slot;
    out->abi_major = agent->abi_major;
    out->abi_minor = agent->abi_minor;
    // SYNC POINT: pairs with the Fund's release store of status, after it stored the reason.
    out->status = fundos_load_acquire_u8(&control->status);
    out->quarantine_reason = fundos_load_relaxed_u16(&control->quarantine_reason);
    out->quarantined = fundos__quarantined(agent);
    out->generation = agent->generation;
    out->intents_submitted = agent->intent_pos;
    out->intents_consumed = fundos_load_acquire_u64(&control->intents_consumed);
    out->reports_written = fundos_load_acquire_u64(&control->reports_written);
    out->reports_read = agent->report_pos;
    out->reports_lost = agent->reports_lost;
    out->last_intent_id = agent->last_intent_id;
    out->last_snapshot_seq = agent->last_snapshot_seq;
    out->connected = !fundos__hung_up(agent);
    return out->connected ? FUNDOS_OK : FUNDOS_E_DISCONNECTED;
}

int fundos_agent_fd(const fundos_agent *agent) {
    return agent != NULL ? agent->fd : -1;
}
