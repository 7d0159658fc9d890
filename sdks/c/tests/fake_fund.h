/* A minimal in-process Fund for the SDK's tests: listens on a temporary socket, answers one
 * AttachRequest with memfd regions per docs/TRANSPORT.md, and writes snapshots, reports and the
 * book with the Fund's side of the protocols. Not thread-safe; one writer thread at a time. */
#ifndef FUNDOS_TEST_FAKE_FUND_H
#define FUNDOS_TEST_FAKE_FUND_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <fundos/agent.h>

#define FAKE_FUND_CHECK(cond)                                                                     \
    do {                                                                                          \
        if (!(cond)) {                                                                            \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);              \
            exit(1);                                                                              \
        }                                                                                         \
    } while (0)

typedef struct fake_fund fake_fund;

/* Called by the fund thread after it built the regions and the reply, before sealing and
 * sending: tests break things here. */
typedef void (*fake_fund_hook)(fake_fund *fund, void *context);

struct fake_fund {
    char dir[64];
    char path[128];
    int listen_fd;
    int conn_fd;
    pthread_t thread;
    int thread_started;
    fake_fund_hook hook;
    void *hook_context;
    int seal;                             /* apply the seals of docs/TRANSPORT.md (default 1) */
    fundos_attach_request_t request;      /* what the agent sent */
    fundos_attach_reply_t reply;          /* what the fund sends (hook may edit) */
    int fds[3];
    fundos_snapshot_region_t *snapshot;   /* the fund's writable mappings */
    fundos_agent_intent_region_t *intents;
    fundos_agent_report_region_t *reports;
    uint64_t reports_written;
    uint64_t book_count;
};

/* Create the socket and start the thread that answers one attach. */
void fake_fund_start(fake_fund *fund, fake_fund_hook hook, void *context);
/* Wait for the answer to have been sent. */
void fake_fund_join(fake_fund *fund);
/* Close everything and remove the temporary directory. */
void fake_fund_stop(fake_fund *fund);
/* Hang up the agent's socket (what a crash looks like). */
void fake_fund_hangup(fake_fund *fund);

/* Publish state as the next snapshot (its seq is set to the snapshot number). */
uint64_t fake_fund_publish(fake_fund *fund, fundos_fund_state_t *state);
void fake_fund_write_report(fake_fund *fund, const fundos_intent_report_t *report);
void fake_fund_write_book(fake_fund *fund, const fundos_agent_book_t *book);

/* Default attach options for this fund. */
void fake_fund_options(const fake_fund *fund, fundos_attach_options *options, uint32_t agent_id);

#endif
