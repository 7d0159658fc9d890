#define _GNU_SOURCE
#include "fake_fund.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

static void *create_region(const char *name, size_t size, int *fd_out) {
    int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    FAKE_FUND_CHECK(fd >= 0);
    FAKE_FUND_CHECK(ftruncate(fd, (off_t)size) == 0);
    void *addr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    FAKE_FUND_CHECK(addr != MAP_FAILED);
    *fd_out = fd;
    return addr;
}

static void fill_header(fundos_region_header_t *header, fundos_region_kind_t kind, uint64_t size, uint64_t generation,
                        uint32_t agent_id) {
    memset(header, 0, sizeof(*header));
    header->magic = FUNDOS_REGION_MAGIC;
    header->abi_major = FUNDOS_ABI_VERSION_MAJOR;
    header->abi_minor = FUNDOS_ABI_VERSION_MINOR;
    header->kind = kind;
    header->header_size = sizeof(fundos_region_header_t);
    header->layout_hash = FUNDOS_ABI_LAYOUT_HASH;
    header->region_size = size;
    header->generation = generation;
    header->agent_id = agent_id;
}

static void *fund_thread(void *arg) {
    fake_fund *fund = arg;
    int conn = accept4(fund->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    FAKE_FUND_CHECK(conn >= 0);
    fund->conn_fd = conn;
    ssize_t n = recv(conn, &fund->request, sizeof(fund->request), 0);
    FAKE_FUND_CHECK(n == (ssize_t)sizeof(fund->request));

    const uint64_t generation = 7;
    fund->snapshot = create_region("fake-snapshot", sizeof(fundos_snapshot_region_t), &fund->fds[0]);
    fund->intents = create_region("fake-intents", sizeof(fundos_agent_intent_region_t), &fund->fds[1]);
    fund->reports = create_region("fake-reports", sizeof(fundos_agent_report_region_t), &fund->fds[2]);
    fill_header(&fund->snapshot->header, FUNDOS_REGION_KIND_SNAPSHOT, sizeof(fundos_snapshot_region_t), 0, 0);
    fill_header(&fund->reports->header, FUNDOS_REGION_KIND_AGENT_REPORTS, sizeof(fundos_agent_report_region_t),
                generation, fund->request.agent_id);

    fundos_attach_reply_t *reply = &fund->reply;
    memset(reply, 0, sizeof(*reply));
    reply->magic = FUNDOS_ATTACH_MAGIC;
    reply->status = FUNDOS_ATTACH_STATUS_OK;
    reply->abi_major = FUNDOS_ABI_VERSION_MAJOR;
    reply->abi_minor = FUNDOS_ABI_VERSION_MINOR;
    reply->slot = 0;
    reply->layout_hash = FUNDOS_ABI_LAYOUT_HASH;
    reply->generation = generation;
    reply->snapshot_region_size = sizeof(fundos_snapshot_region_t);
    reply->intent_region_size = sizeof(fundos_agent_intent_region_t);
    reply->report_region_size = sizeof(fundos_agent_report_region_t);
    if (fund->hook != NULL) {
        fund->hook(fund, fund->hook_context);
    }
    if (fund->seal) {
        for (int i = 0; i < 3; i++) {
            FAKE_FUND_CHECK(fcntl(fund->fds[i], F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) == 0);
        }
        FAKE_FUND_CHECK(fcntl(fund->fds[0], F_ADD_SEALS, F_SEAL_FUTURE_WRITE | F_SEAL_SEAL) == 0);
        FAKE_FUND_CHECK(fcntl(fund->fds[2], F_ADD_SEALS, F_SEAL_FUTURE_WRITE | F_SEAL_SEAL) == 0);
    }

    union {
        struct cmsghdr align;
        unsigned char bytes[CMSG_SPACE(sizeof(int) * 3)];
    } control;
    memset(&control, 0, sizeof(control));
    struct iovec iov = {.iov_base = reply, .iov_len = sizeof(*reply)};
    struct msghdr msg;
    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (reply->status == FUNDOS_ATTACH_STATUS_OK) {
        msg.msg_control = control.bytes;
        msg.msg_controllen = sizeof(control.bytes);
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * 3);
        memcpy(CMSG_DATA(c), fund->fds, sizeof(int) * 3);
    }
    FAKE_FUND_CHECK(sendmsg(conn, &msg, MSG_NOSIGNAL) == (ssize_t)sizeof(*reply));
    return NULL;
}

void fake_fund_start(fake_fund *fund, fake_fund_hook hook, void *context) {
    memset(fund, 0, sizeof(*fund));
    fund->listen_fd = fund->conn_fd = -1;
    fund->fds[0] = fund->fds[1] = fund->fds[2] = -1;
    fund->hook = hook;
    fund->hook_context = context;
    fund->seal = 1;
    snprintf(fund->dir, sizeof(fund->dir), "/tmp/fundos-sdk-test-XXXXXX");
    FAKE_FUND_CHECK(mkdtemp(fund->dir) != NULL);
    snprintf(fund->path, sizeof(fund->path), "%s/fund.sock", fund->dir);
    fund->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    FAKE_FUND_CHECK(fund->listen_fd >= 0);
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof(addr));
    addr.sun_family = AF_UNIX;
    memcpy(addr.sun_path, fund->path, strlen(fund->path));
    FAKE_FUND_CHECK(bind(fund->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) == 0);
    FAKE_FUND_CHECK(listen(fund->listen_fd, 4) == 0);
    FAKE_FUND_CHECK(pthread_create(&fund->thread, NULL, fund_thread, fund) == 0);
    fund->thread_started = 1;
}

void fake_fund_join(fake_fund *fund) {
    if (fund->thread_started) {
        pthread_join(fund->thread, NULL);
        fund->thread_started = 0;
    }
}

void fake_fund_hangup(fake_fund *fund) {
    if (fund->conn_fd >= 0) {
        close(fund->conn_fd);
        fund->conn_fd = -1;
    }
}

void fake_fund_stop(fake_fund *fund) {
    fake_fund_join(fund);
    fake_fund_hangup(fund);
    if (fund->snapshot != NULL) munmap(fund->snapshot, sizeof(*fund->snapshot));
    if (fund->intents != NULL) munmap(fund->intents, sizeof(*fund->intents));
    if (fund->reports != NULL) munmap(fund->reports, sizeof(*fund->reports));
    for (int i = 0; i < 3; i++) {
        if (fund->fds[i] >= 0) close(fund->fds[i]);
    }
    if (fund->listen_fd >= 0) close(fund->listen_fd);
    unlink(fund->path);
    rmdir(fund->dir);
}

void fake_fund_options(const fake_fund *fund, fundos_attach_options *options, uint32_t agent_id) {
    fundos_attach_options_init(options);
    options->socket_path = fund->path;
    options->agent_id = agent_id;
}

/* ---- the Fund's side of the protocols, with C11 atomics */
static void store_words_relaxed(void *dst, const void *src, size_t size) {
    _Atomic uint64_t *to = dst;
    const unsigned char *from = src;
    for (size_t i = 0; i < size / 8; i++) {
        uint64_t word;
        memcpy(&word, from + 8 * i, 8);
        atomic_store_explicit(&to[i], word, memory_order_relaxed);
    }
}

uint64_t fake_fund_publish(fake_fund *fund, fundos_fund_state_t *state) {
    fundos_snapshot_control_t *control = &fund->snapshot->control;
    _Atomic uint64_t *latest = (_Atomic uint64_t *)&control->latest;
    uint64_t s = atomic_load_explicit(latest, memory_order_relaxed) + 1;
    fundos_snapshot_slot_t *slot = &fund->snapshot->slots[s % FUNDOS_SNAPSHOT_SLOTS];
    _Atomic uint64_t *sequence = (_Atomic uint64_t *)&slot->sequence;
    state->seq = s;
    atomic_store_explicit(sequence, 2 * s - 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    /* The head and the rows in use only, as the Fund does: rows past the counts keep what an
     * older snapshot of this slot left there (readers must not hand them out). */
    size_t instruments = state->instrument_count < FUNDOS_MAX_INSTRUMENTS ? state->instrument_count
                                                                           : FUNDOS_MAX_INSTRUMENTS;
    size_t agents = state->agent_count < FUNDOS_MAX_AGENTS ? state->agent_count : FUNDOS_MAX_AGENTS;
    store_words_relaxed(&slot->state, state, offsetof(fundos_fund_state_t, instruments));
    store_words_relaxed(slot->state.instruments, state->instruments, instruments * sizeof(state->instruments[0]));
    store_words_relaxed(slot->state.agents, state->agents, agents * sizeof(state->agents[0]));
    atomic_store_explicit(sequence, 2 * s, memory_order_release);
    atomic_store_explicit(latest, s, memory_order_release);
    atomic_fetch_add_explicit((_Atomic uint32_t *)&control->futex_word, 1, memory_order_release);
    syscall(SYS_futex, &control->futex_word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
    return s;
}

void fake_fund_write_report(fake_fund *fund, const fundos_intent_report_t *report) {
    uint64_t r = fund->reports_written;
    fundos_intent_report_t *slot = &fund->reports->ring[r & (FUNDOS_REPORT_RING_SLOTS - 1)];
    /* fields, then commit, then reports_written (docs/TRANSPORT.md) */
    store_words_relaxed((unsigned char *)slot + 8, (const unsigned char *)report + 8, sizeof(*report) - 8);
    atomic_store_explicit((_Atomic uint64_t *)&slot->commit, r + 1, memory_order_release);
    atomic_store_explicit((_Atomic uint64_t *)&fund->reports->control.reports_written, r + 1, memory_order_release);
    fund->reports_written = r + 1;
}

void fake_fund_write_book(fake_fund *fund, const fundos_agent_book_t *book) {
    fundos_agent_book_slot_t *slot = &fund->reports->book;
    _Atomic uint64_t *sequence = (_Atomic uint64_t *)&slot->sequence;
    uint64_t n = ++fund->book_count;
    atomic_store_explicit(sequence, 2 * n - 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    store_words_relaxed(&slot->book, book, sizeof(*book));
    atomic_store_explicit(sequence, 2 * n, memory_order_release);
}
