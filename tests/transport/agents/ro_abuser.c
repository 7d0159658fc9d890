/* A hostile test agent that tries to write, truncate or punch holes in the regions the Fund
 * shares read-only, and reports the errno of every attempt.
 *
 *   transport_agent_ro_abuser --socket RUN_DIR/fund.sock --agent-id N
 *
 * It attaches by hand (the SDK closes the region fds once it has mapped them; an agent that
 * speaks the protocol itself keeps them): one AttachRequest with this build's ABI, the reply
 * and its three SCM_RIGHTS fds. Then, on the snapshot fd and the report fd, each attempt prints
 * an "attempt" line {region, op, ok, errno}; on the intent fd (its own, writable by design)
 * only the size changes, which would SIGBUS the Fund. Afterwards a "regions" line says whether
 * the headers still read as the Fund wrote them. It stays attached (heartbeating through a
 * writable mapping of its intent region) until SIGTERM or stdin closes, then prints "done". */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/falloc.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "agent_util.h"

static const char *errno_name(int err) {
    switch (err) {
        case 0: return "0";
        case EPERM: return "EPERM";
        case EACCES: return "EACCES";
        case EINVAL: return "EINVAL";
        case EBUSY: return "EBUSY";
        case EBADF: return "EBADF";
        case EFBIG: return "EFBIG";
        case ENODEV: return "ENODEV";
        case EOPNOTSUPP: return "EOPNOTSUPP";
        case ENOSYS: return "ENOSYS";
        default: return "OTHER";
    }
}

static void attempt(const char *region, const char *op, int ok, int err) {
    emit("\"event\":\"attempt\",\"region\":\"%s\",\"op\":\"%s\",\"ok\":%d,\"errno\":\"%s\",\"errno_value\":%d", region,
         op, ok, ok ? "0" : errno_name(err), ok ? 0 : err);
}

/* Every write-like operation on a Fund-written (sealed) region's fd. */
static void abuse_sealed(const char *region, int fd, size_t size) {
    int seals = fcntl(fd, F_GET_SEALS);
    emit("\"event\":\"seals\",\"region\":\"%s\",\"seals\":%d,\"size\":%zu", region, seals, size);

    void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    attempt(region, "mmap_shared_write", m != MAP_FAILED, errno);
    if (m != MAP_FAILED) {
        munmap(m, size);
    }

    void *ro = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
    if (ro == MAP_FAILED) {
        attempt(region, "mmap_shared_read", 0, errno);
        return;
    }
    int rc = mprotect(ro, size, PROT_READ | PROT_WRITE);
    attempt(region, "mprotect_write", rc == 0, errno);
    rc = madvise(ro, size, MADV_REMOVE);
    attempt(region, "madvise_remove", rc == 0, errno);

    char junk[64];
    memset(junk, 0xA5, sizeof(junk));
    ssize_t n = pwrite(fd, junk, sizeof(junk), 0);
    attempt(region, "pwrite_header", n >= 0, errno);
    n = pwrite(fd, junk, sizeof(junk), 4096);
    attempt(region, "pwrite_middle", n >= 0, errno);
    n = write(fd, junk, sizeof(junk));
    attempt(region, "write", n >= 0, errno);
    rc = ftruncate(fd, 0);
    attempt(region, "ftruncate_zero", rc == 0, errno);
    rc = ftruncate(fd, (off_t)size / 2);
    attempt(region, "ftruncate_shrink", rc == 0, errno);
    rc = ftruncate(fd, (off_t)size * 2);
    attempt(region, "ftruncate_grow", rc == 0, errno);
    rc = fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, (off_t)size);
    attempt(region, "fallocate_punch_hole", rc == 0, errno);
    rc = fallocate(fd, 0, 0, (off_t)size * 2);
    attempt(region, "fallocate_grow", rc == 0, errno);
    rc = fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE);
    attempt(region, "add_seal_write", rc == 0, errno);

    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    int again = open(path, O_RDWR);
    attempt(region, "reopen_rdwr", again >= 0, errno);
    if (again >= 0) {
        n = pwrite(again, junk, sizeof(junk), 0);
        attempt(region, "reopen_pwrite", n >= 0, errno);
        void *w = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, again, 0);
        attempt(region, "reopen_mmap_shared_write", w != MAP_FAILED, errno);
        if (w != MAP_FAILED) {
            munmap(w, size);
        }
        close(again);
    }

    /* A private writable mapping is allowed (copy-on-write): writes must stay private. */
    unsigned char *priv = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    attempt(region, "mmap_private_write", priv != MAP_FAILED, errno);
    if (priv != MAP_FAILED) {
        memset(priv, 0xFF, 64);
        int leaked = memcmp(ro, priv, 64) == 0;
        emit("\"event\":\"private_write\",\"region\":\"%s\",\"visible_in_shared_mapping\":%d", region, leaked);
        munmap(priv, size);
    }
    struct stat st;
    fstat(fd, &st);
    emit("\"event\":\"size_after\",\"region\":\"%s\",\"size\":%lld", region, (long long)st.st_size);
    munmap(ro, size);
}

/* The agent's own intent region: writable by design, but its size is sealed (a truncation
 * would SIGBUS the Fund, which maps it). */
static void abuse_intents(int fd, size_t size) {
    int seals = fcntl(fd, F_GET_SEALS);
    emit("\"event\":\"seals\",\"region\":\"intents\",\"seals\":%d,\"size\":%zu", seals, size);
    int rc = ftruncate(fd, 0);
    attempt("intents", "ftruncate_zero", rc == 0, errno);
    rc = ftruncate(fd, (off_t)size / 2);
    attempt("intents", "ftruncate_shrink", rc == 0, errno);
    rc = ftruncate(fd, (off_t)size * 2);
    attempt("intents", "ftruncate_grow", rc == 0, errno);
    rc = fallocate(fd, 0, 0, (off_t)size * 2);
    attempt("intents", "fallocate_grow", rc == 0, errno);
    rc = fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL);
    attempt("intents", "add_seal_seal", rc == 0, errno);
    struct stat st;
    fstat(fd, &st);
    emit("\"event\":\"size_after\",\"region\":\"intents\",\"size\":%lld", (long long)st.st_size);
}

static int header_ok(int fd, size_t size, fundos_region_kind_t kind) {
    const fundos_region_header_t *h = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
    if (h == MAP_FAILED) {
        return 0;
    }
    int ok = h->magic == FUNDOS_REGION_MAGIC && h->kind == kind && h->region_size == size &&
             h->layout_hash == FUNDOS_ABI_LAYOUT_HASH;
    munmap((void *)(uintptr_t)h, size);
    return ok;
}

int main(int argc, char **argv) {
    agent_setup();
    const char *path = NULL;
    uint32_t agent_id = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--socket") == 0) {
            path = argv[i + 1];
        } else if (strcmp(argv[i], "--agent-id") == 0) {
            agent_id = (uint32_t)strtoul(argv[i + 1], NULL, 10);
        }
    }
    if (path == NULL || agent_id == 0) {
        fprintf(stderr, "usage: transport_agent_ro_abuser --socket PATH --agent-id N\n");
        return 2;
    }
    int sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof(addr));
    addr.sun_family = AF_UNIX;
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
    if (sock < 0 || connect(sock, (const struct sockaddr *)&addr, sizeof(addr)) != 0) {
        emit("\"event\":\"error\",\"message\":\"connect failed\",\"errno\":%d", errno);
        return 1;
    }
    fundos_attach_request_t request;
    memset(&request, 0, sizeof(request));
    request.magic = FUNDOS_ATTACH_MAGIC;
    request.abi_major = FUNDOS_ABI_VERSION_MAJOR;
    request.abi_minor = FUNDOS_ABI_VERSION_MINOR;
    request.agent_id = agent_id;
    request.layout_hash = FUNDOS_ABI_LAYOUT_HASH;
    request.pid = (uint32_t)getpid();
    if (send(sock, &request, sizeof(request), MSG_NOSIGNAL) != (ssize_t)sizeof(request)) {
        emit("\"event\":\"error\",\"message\":\"send failed\",\"errno\":%d", errno);
        return 1;
    }
    fundos_attach_reply_t reply;
    memset(&reply, 0, sizeof(reply));
    struct iovec iov = {&reply, sizeof(reply)};
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * 8)];
    } control;
    memset(&control, 0, sizeof(control));
    struct msghdr msg;
    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof(control.buf);
    ssize_t got = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    int fds[8];
    size_t nfds = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (size_t k = 0; k < n && nfds < 8; k++) {
                memcpy(&fds[nfds++], CMSG_DATA(c) + k * sizeof(int), sizeof(int));
            }
        }
    }
    if (got != (ssize_t)sizeof(reply) || reply.status != FUNDOS_ATTACH_STATUS_OK || nfds != 3) {
        reply.message[sizeof(reply.message) - 1] = '\0';
        char safe[256];
        emit("\"event\":\"attach_failed\",\"status\":%u,\"fds\":%zu,\"message\":\"%s\"", (unsigned)reply.status, nfds,
             json_safe(reply.message, safe, sizeof(safe)));
        return 1;
    }
    emit("\"event\":\"attached\",\"agent\":%u,\"slot\":%u,\"generation\":%" PRIu64 ",\"pid\":%d", agent_id,
         (unsigned)reply.slot, reply.generation, (int)getpid());

    abuse_sealed("snapshot", fds[0], (size_t)reply.snapshot_region_size);
    abuse_sealed("reports", fds[2], (size_t)reply.report_region_size);
    abuse_intents(fds[1], (size_t)reply.intent_region_size);
    emit("\"event\":\"regions\",\"snapshot_header_ok\":%d,\"reports_header_ok\":%d",
         header_ok(fds[0], (size_t)reply.snapshot_region_size, FUNDOS_REGION_KIND_SNAPSHOT),
         header_ok(fds[2], (size_t)reply.report_region_size, FUNDOS_REGION_KIND_AGENT_REPORTS));

    fundos_agent_intent_region_t *intents =
        mmap(NULL, (size_t)reply.intent_region_size, PROT_READ | PROT_WRITE, MAP_SHARED, fds[1], 0);
    emit("\"event\":\"attacks_done\",\"intents_mapped\":%d", intents != MAP_FAILED);
    uint64_t counter = 0;
    while (!g_stop) {
        struct pollfd in = {STDIN_FILENO, POLLIN, 0};
        if (poll(&in, 1, 20) > 0) {
            char buf[64];
            if (read(STDIN_FILENO, buf, sizeof(buf)) <= 0) {
                break;
            }
        }
        if (intents != MAP_FAILED) {
            __atomic_store_n(&intents->heartbeat.counter, ++counter, __ATOMIC_RELAXED);
        }
    }
    if (intents != MAP_FAILED) {
        munmap(intents, (size_t)reply.intent_region_size);
    }
    for (size_t k = 0; k < nfds; k++) {
        close(fds[k]);
    }
    close(sock);
    emit("\"event\":\"done\"");
    return 0;
}
