/* Attach against the in-process fake Fund: success and the first snapshot, refusals, and every
 * region check (magic, kind, size, generation, owner, seals, ABI). */
#define _GNU_SOURCE
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fake_fund.h"

typedef struct attempt {
    int rc;
    char why[512];
} attempt;

static attempt run(fake_fund_hook hook, int seal) {
    fake_fund fund;
    fake_fund_start(&fund, hook, NULL);
    fund.seal = seal;
    fundos_attach_options options;
    fake_fund_options(&fund, &options, 3);
    attempt result;
    fundos_agent *agent = NULL;
    result.rc = fundos_attach(&options, &agent, result.why, sizeof(result.why));
    FAKE_FUND_CHECK((result.rc == FUNDOS_OK) == (agent != NULL));
    fundos_detach(agent);
    fake_fund_stop(&fund);
    return result;
}

static void expect(fake_fund_hook hook, int seal, int code, const char *needle) {
    attempt result = run(hook, seal);
    if (result.rc != code || strstr(result.why, needle) == NULL) {
        fprintf(stderr, "expected %s mentioning '%s', got %s: '%s'\n", fundos_error_name(code), needle,
                fundos_error_name(result.rc), result.why);
        exit(1);
    }
    printf("  %-26s %s\n", fundos_error_name(code), result.why);
}

static void refuse_unknown(fake_fund *fund, void *context) {
    (void)context;
    fund->reply.status = FUNDOS_ATTACH_STATUS_UNKNOWN_AGENT;
    snprintf(fund->reply.message, sizeof(fund->reply.message), "agent %u is not in fund.yaml", fund->request.agent_id);
}
static void refuse_version(fake_fund *fund, void *context) {
    (void)context;
    fund->reply.status = FUNDOS_ATTACH_STATUS_VERSION_MISMATCH;
    fund->reply.abi_major = 2;
    fund->reply.abi_minor = 0;
    fund->reply.layout_hash = 0x1234;
    snprintf(fund->reply.message, sizeof(fund->reply.message), "agent ABI %u.%u, fund ABI 2.0: majors differ",
             fund->request.abi_major, fund->request.abi_minor);
}
static void newer_major(fake_fund *fund, void *context) {
    (void)context;
    fund->reply.abi_major = 2;
    fund->reply.abi_minor = 0;
}
static void other_layout(fake_fund *fund, void *context) {
    (void)context;
    fund->reports->header.layout_hash ^= 1;
}
static void bad_magic(fake_fund *fund, void *context) {
    (void)context;
    fund->snapshot->header.magic = 0x0123456789abcdefULL;
}
static void wrong_kind(fake_fund *fund, void *context) {
    (void)context;
    fund->snapshot->header.kind = FUNDOS_REGION_KIND_AGENT_REPORTS;
}
static void wrong_size(fake_fund *fund, void *context) {
    (void)context;
    fund->reply.report_region_size -= 64;
}
static void header_size_differs(fake_fund *fund, void *context) {
    (void)context;
    fund->reports->header.region_size += 64;
}
static void stale_generation(fake_fund *fund, void *context) {
    (void)context;
    fund->reports->header.generation = 6;
}
static void other_owner(fake_fund *fund, void *context) {
    (void)context;
    fund->reports->header.agent_id = 4;
}
static void bad_reply_magic(fake_fund *fund, void *context) {
    (void)context;
    fund->reply.magic = 0;
}

int main(void) {
    /* success: handle state, reply_out, the first snapshot */
    fake_fund fund;
    fake_fund_start(&fund, NULL, NULL);
    fundos_attach_options options;
    fake_fund_options(&fund, &options, 3);
    fundos_attach_reply_t reply;
    options.reply_out = &reply;
    fundos_agent *agent = NULL;
    char why[512];
    int rc = fundos_attach(&options, &agent, why, sizeof(why));
    if (rc != FUNDOS_OK) {
        fprintf(stderr, "attach: %s: %s\n", fundos_error_name(rc), why);
        return 1;
    }
    fake_fund_join(&fund);
    FAKE_FUND_CHECK(reply.status == FUNDOS_ATTACH_STATUS_OK && reply.generation == 7);
    FAKE_FUND_CHECK(fund.request.magic == FUNDOS_ATTACH_MAGIC);
    FAKE_FUND_CHECK(fund.request.abi_major == FUNDOS_ABI_VERSION_MAJOR);
    FAKE_FUND_CHECK(fund.request.abi_minor == FUNDOS_ABI_VERSION_MINOR);
    FAKE_FUND_CHECK(fund.request.layout_hash == FUNDOS_ABI_LAYOUT_HASH);
    FAKE_FUND_CHECK(fund.request.agent_id == 3 && fund.request.pid == (uint32_t)getpid());
    static const uint8_t zeros[sizeof(fund.request.reserved_28)];
    FAKE_FUND_CHECK(memcmp(fund.request.reserved_28, zeros, sizeof(zeros)) == 0);
    FAKE_FUND_CHECK(fund.intents->heartbeat.pid == (uint32_t)getpid());

    static fundos_fund_state_t state;
    FAKE_FUND_CHECK(fundos_read_snapshot(agent, &state) == FUNDOS_E_AGAIN);
    FAKE_FUND_CHECK(fundos_wait_snapshot(agent, 0, &state, 0) == FUNDOS_E_TIMEOUT);
    FAKE_FUND_CHECK(fundos_snapshot_latest(agent) == 0);
    static fundos_fund_state_t published;
    memset(&published, 0, sizeof(published));
    published.mode = FUNDOS_MODE_SIMULATION;
    published.instrument_count = 1;
    published.instruments[0].instrument_id = 11;
    memcpy(published.instruments[0].symbol, "SPY", 3);
    published.instruments[0].last = 45012000000; /* 450.12 */
    FAKE_FUND_CHECK(fake_fund_publish(&fund, &published) == 1);
    FAKE_FUND_CHECK(fundos_snapshot_latest(agent) == 1);
    FAKE_FUND_CHECK(fundos_wait_snapshot(agent, 0, &state, 1000000000) == FUNDOS_OK);
    FAKE_FUND_CHECK(memcmp(&state, &published, sizeof(state)) == 0);
    FAKE_FUND_CHECK(fundos_read_snapshot(agent, &state) == FUNDOS_OK && state.seq == 1);

    fundos_agent_info info;
    FAKE_FUND_CHECK(fundos_agent_status(agent, &info) == FUNDOS_OK);
    FAKE_FUND_CHECK(info.agent_id == 3 && info.generation == 7 && info.connected && !info.quarantined);
    FAKE_FUND_CHECK(info.last_snapshot_seq == 1 && info.abi_major == FUNDOS_ABI_VERSION_MAJOR);
    FAKE_FUND_CHECK(fundos_agent_fd(agent) >= 0);

    /* the snapshot mapping is read-only, the intent mapping writable */
    fundos_detach(agent);
    fake_fund_stop(&fund);

    printf("refusals and region checks:\n");
    expect(refuse_unknown, 1, FUNDOS_E_UNKNOWN_AGENT, "agent 3 is not in fund.yaml");
    expect(refuse_version, 1, FUNDOS_E_VERSION_MISMATCH, "fund speaks ABI 2.0 (layout 0x0000000000001234)");
    expect(newer_major, 1, FUNDOS_E_VERSION_MISMATCH, "this agent was built for ABI");
    expect(other_layout, 1, FUNDOS_E_LAYOUT_MISMATCH, "report region header");
    expect(bad_magic, 1, FUNDOS_E_BAD_REGION, "not a FundOS region");
    expect(wrong_kind, 1, FUNDOS_E_BAD_REGION, "kind 3 (AGENT_REPORTS), expected 1 (SNAPSHOT)");
    expect(wrong_size, 1, FUNDOS_E_BAD_REGION, "report region: the Fund says it is");
    expect(header_size_differs, 1, FUNDOS_E_BAD_REGION, "its header says");
    expect(stale_generation, 1, FUNDOS_E_BAD_REGION, "stale region");
    expect(other_owner, 1, FUNDOS_E_BAD_REGION, "belongs to agent 4");
    expect(bad_reply_magic, 1, FUNDOS_E_PROTOCOL, "ATTACH_MAGIC");
    expect(NULL, 0, FUNDOS_E_BAD_REGION, "F_SEAL_SHRINK");
    printf("ok: attach\n");
    return 0;
}
