/* Shared helpers of the transport test agents (the .c files beside this header).
 *
 * Every agent prints one JSON object per line on stdout ("event" first), line-buffered, so the
 * pytest driver can read what the agent observed. Header-only; C11 + POSIX. */
#ifndef FUNDOS_TEST_AGENT_UTIL_H
#define FUNDOS_TEST_AGENT_UTIL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fundos/agent.h>

static volatile sig_atomic_t g_stop = 0;

static void agent_on_signal(int signo) {
    (void)signo;
    g_stop = 1;
}

/* SIGTERM/SIGINT set g_stop (no SA_RESTART: sleeps return EINTR); stdout line-buffered. */
static inline void agent_setup(void) {
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = agent_on_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    setvbuf(stdout, NULL, _IOLBF, 0);
}

static inline uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

static inline void sleep_us(uint64_t us) {
    struct timespec ts = {(time_t)(us / 1000000u), (long)(us % 1000000u) * 1000L};
    nanosleep(&ts, NULL);
}

/* printf one JSON line: the caller writes the body without braces, e.g.
 * emit("\"event\":\"x\",\"n\":%d", n). */
__attribute__((format(printf, 1, 2))) static inline void emit(const char *format, ...) {
    char body[1024];
    va_list args;
    va_start(args, format);
    vsnprintf(body, sizeof(body), format, args);
    va_end(args);
    printf("{%s}\n", body);
}

/* A string made safe for a JSON value (drops quotes, backslashes and control bytes). */
static inline const char *json_safe(const char *in, char *out, size_t size) {
    size_t j = 0;
    for (size_t i = 0; in != NULL && in[i] != '\0' && j + 1 < size; i++) {
        unsigned char c = (unsigned char)in[i];
        out[j++] = (c == '"' || c == '\\' || c < 0x20 || c >= 0x7F) ? '\'' : (char)c;
    }
    out[j] = '\0';
    return out;
}

static inline const char *error_name(int code) {
    const char *name = fundos_error_name(code);
    return name != NULL ? name : "UNKNOWN_CODE";
}

static inline const char *report_kind(fundos_report_kind_t kind) {
    const char *name = fundos_report_kind_name(kind);
    return name != NULL ? name : "UNKNOWN";
}

static inline const char *reject_reason(fundos_reject_reason_t reason) {
    const char *name = fundos_reject_reason_name(reason);
    return name != NULL ? name : "UNKNOWN";
}

static inline int parse_wait(const char *value, fundos_wait_policy *out) {
    if (strcmp(value, "busy") == 0) {
        *out = FUNDOS_WAIT_BUSY;
    } else if (strcmp(value, "spin") == 0) {
        *out = FUNDOS_WAIT_SPIN;
    } else if (strcmp(value, "futex") == 0) {
        *out = FUNDOS_WAIT_FUTEX;
    } else {
        return -1;
    }
    return 0;
}

/* Attach with the SDK; on failure print an "attach_failed" line (code, name, why, the Fund's
 * reply status and message) and exit 1. */
static inline fundos_agent *attach_or_exit(fundos_attach_options *options) {
    fundos_attach_reply_t reply;
    memset(&reply, 0, sizeof(reply));
    options->reply_out = &reply;
    options->stop_flag = &g_stop;
    char why[512];
    fundos_agent *agent = NULL;
    int rc = fundos_attach(options, &agent, why, sizeof(why));
    options->reply_out = NULL;
    if (rc != FUNDOS_OK) {
        char safe_why[512], safe_message[256];
        reply.message[sizeof(reply.message) - 1] = '\0';
        emit("\"event\":\"attach_failed\",\"code\":%d,\"name\":\"%s\",\"why\":\"%s\",\"status\":%u,\"message\":\"%s\"", rc,
             error_name(rc), json_safe(why, safe_why, sizeof(safe_why)), (unsigned)reply.status,
             json_safe(reply.message, safe_message, sizeof(safe_message)));
        exit(1);
    }
    return agent;
}

/* The [start, end) of this process's mapping of the memfd called `name` ("fundos-intents", ...)
 * with permissions `perms` ("rw-s", "r--s"), from /proc/self/maps. Untrusted agents can always
 * find their own mappings this way; the SDK's handle is opaque. Returns 0 or -1. */
static inline int find_memfd_mapping(const char *name, const char *perms, uintptr_t *start, uintptr_t *end) {
    FILE *maps = fopen("/proc/self/maps", "r");
    if (maps == NULL) {
        return -1;
    }
    char needle[128];
    snprintf(needle, sizeof(needle), "/memfd:%s", name);
    char line[512];
    int found = -1;
    while (fgets(line, sizeof(line), maps) != NULL) {
        unsigned long long lo, hi;
        char p[8];
        if (sscanf(line, "%llx-%llx %7s", &lo, &hi, p) != 3) {
            continue;
        }
        if (strcmp(p, perms) == 0 && strstr(line, needle) != NULL) {
            *start = (uintptr_t)lo;
            *end = (uintptr_t)hi;
            found = 0;
            break;
        }
    }
    fclose(maps);
    return found;
}

/* This agent's intent region, as the SDK mapped it (read-write, shared). Exits 1 if absent. */
static inline fundos_agent_intent_region_t *own_intent_region(void) {
    uintptr_t start = 0, end = 0;
    if (find_memfd_mapping("fundos-intents", "rw-s", &start, &end) != 0 ||
        end - start < sizeof(fundos_agent_intent_region_t)) {
        emit("\"event\":\"error\",\"message\":\"intent region mapping not found in /proc/self/maps\"");
        exit(1);
    }
    return (fundos_agent_intent_region_t *)start;
}

/* Release store of a ring slot's commit word (the protocol's SYNC POINT on the producer side). */
static inline void store_commit(fundos_intent_record_t *slot, uint64_t value) {
    __atomic_store_n(&slot->commit, value, __ATOMIC_RELEASE);
}

/* Wait (up to timeout_ms) until `want` new reports are read into out[]; returns how many were
 * read. Prints a "reports_lost" line if the SDK says so. */
static inline size_t wait_reports(fundos_agent *agent, fundos_intent_report_t *out, size_t want, uint64_t timeout_ms) {
    size_t got = 0;
    uint64_t deadline = now_ns() + timeout_ms * UINT64_C(1000000);
    while (got < want && now_ns() < deadline && !g_stop) {
        size_t n = 0;
        int rc = fundos_poll_reports(agent, out + got, want - got, &n);
        if (rc == FUNDOS_E_REPORTS_LOST) {
            emit("\"event\":\"reports_lost\"");
            continue;
        }
        if (rc != FUNDOS_OK) {
            emit("\"event\":\"poll_error\",\"code\":%d,\"name\":\"%s\"", rc, error_name(rc));
            break;
        }
        got += n;
        if (n == 0) {
            sleep_us(50);
        }
    }
    return got;
}

static inline void emit_report(const fundos_intent_report_t *r) {
    emit("\"event\":\"report\",\"intent_id\":%" PRIu64 ",\"kind\":\"%s\",\"reason\":\"%s\",\"client_tag\":%" PRIu64
         ",\"snapshot_seq\":%" PRIu64,
         r->intent_id, report_kind(r->kind), reject_reason(r->reason), r->client_tag, r->snapshot_seq);
}

#endif /* FUNDOS_TEST_AGENT_UTIL_H */
