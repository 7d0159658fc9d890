/* Attach option defaults and validation (no Fund needed). */
#define _POSIX_C_SOURCE 200809L /* setenv, unsetenv */
#include <string.h>

#include "fake_fund.h"

static void expect_invalid(const fundos_attach_options *options, const char *needle) {
    char why[256];
    int rc = fundos_attach_options_validate(options, why, sizeof(why));
    if (rc != FUNDOS_E_INVALID_ARGUMENT || strstr(why, needle) == NULL) {
        fprintf(stderr, "expected INVALID_ARGUMENT mentioning '%s', got %d: '%s'\n", needle, rc, why);
        exit(1);
    }
    /* fundos_attach runs the same checks and leaves *out NULL */
    fundos_agent *agent = (fundos_agent *)&rc;
    FAKE_FUND_CHECK(fundos_attach(options, &agent, why, sizeof(why)) == FUNDOS_E_INVALID_ARGUMENT);
    FAKE_FUND_CHECK(agent == NULL);
}

/* fundos_attach_options_from_env and fundos_wait_policy_parse: what `fundos run` hands agents. */
static void check_env(void) {
    fundos_wait_policy wait = FUNDOS_WAIT_SPIN;
    FAKE_FUND_CHECK(fundos_wait_policy_parse("futex", &wait) == FUNDOS_OK && wait == FUNDOS_WAIT_FUTEX);
    FAKE_FUND_CHECK(fundos_wait_policy_parse("busy", &wait) == FUNDOS_OK && wait == FUNDOS_WAIT_BUSY);
    FAKE_FUND_CHECK(fundos_wait_policy_parse("Spin", &wait) == FUNDOS_E_INVALID_ARGUMENT && wait == FUNDOS_WAIT_BUSY);
    FAKE_FUND_CHECK(fundos_wait_policy_parse(NULL, &wait) == FUNDOS_E_INVALID_ARGUMENT);

    char why[256];
    fundos_attach_options options;
    fundos_attach_options_init(&options);
    options.agent_id = 9;
    unsetenv("FUNDOS_SOCKET");
    unsetenv("FUNDOS_AGENT_ID");
    setenv("FUNDOS_WAKE", "", 1);
    FAKE_FUND_CHECK(fundos_attach_options_from_env(&options, why, sizeof(why)) == FUNDOS_OK);
    FAKE_FUND_CHECK(options.socket_path == NULL && options.agent_id == 9 && options.wait == FUNDOS_WAIT_SPIN);

    setenv("FUNDOS_SOCKET", "/run/x/fund.sock", 1);
    setenv("FUNDOS_AGENT_ID", "42", 1);
    setenv("FUNDOS_WAKE", "futex", 1);
    FAKE_FUND_CHECK(fundos_attach_options_from_env(&options, why, sizeof(why)) == FUNDOS_OK);
    FAKE_FUND_CHECK(strcmp(options.socket_path, "/run/x/fund.sock") == 0);
    FAKE_FUND_CHECK(options.agent_id == 42 && options.wait == FUNDOS_WAIT_FUTEX);

    /* a bad variable is named, and nothing changes */
    const char *bad_ids[] = {"0", "-3", "12x", "4294967296", " 7"};
    for (size_t i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
        setenv("FUNDOS_SOCKET", "/elsewhere.sock", 1);
        setenv("FUNDOS_AGENT_ID", bad_ids[i], 1);
        FAKE_FUND_CHECK(fundos_attach_options_from_env(&options, why, sizeof(why)) == FUNDOS_E_INVALID_ARGUMENT);
        FAKE_FUND_CHECK(strstr(why, "FUNDOS_AGENT_ID") != NULL && strstr(why, bad_ids[i]) != NULL);
        FAKE_FUND_CHECK(options.agent_id == 42 && strcmp(options.socket_path, "/run/x/fund.sock") == 0);
    }
    setenv("FUNDOS_AGENT_ID", "5", 1);
    setenv("FUNDOS_WAKE", "sleepy", 1);
    FAKE_FUND_CHECK(fundos_attach_options_from_env(&options, why, sizeof(why)) == FUNDOS_E_INVALID_ARGUMENT);
    FAKE_FUND_CHECK(strstr(why, "FUNDOS_WAKE") != NULL && strstr(why, "sleepy") != NULL);
    FAKE_FUND_CHECK(options.agent_id == 42 && options.wait == FUNDOS_WAIT_FUTEX);
    FAKE_FUND_CHECK(fundos_attach_options_from_env(NULL, why, sizeof(why)) == FUNDOS_E_INVALID_ARGUMENT);
    unsetenv("FUNDOS_SOCKET");
    unsetenv("FUNDOS_AGENT_ID");
    unsetenv("FUNDOS_WAKE");
}

int main(void) {
    fundos_attach_options options;
    fundos_attach_options_init(&options);
    FAKE_FUND_CHECK(options.wait == FUNDOS_WAIT_SPIN);
    FAKE_FUND_CHECK(options.ring_full == FUNDOS_RING_FULL_FAIL);
    FAKE_FUND_CHECK(options.spin_count > 0 && options.yield_count > 0);
    FAKE_FUND_CHECK(options.attach_timeout_ns > 0 && options.ring_full_timeout_ns > 0);
    FAKE_FUND_CHECK(options.socket_path == NULL && options.agent_id == 0 && options.reply_out == NULL);

    expect_invalid(NULL, "NULL");
    expect_invalid(&options, "socket_path");
    options.socket_path = "";
    expect_invalid(&options, "socket_path");
    char long_path[200];
    memset(long_path, 'x', sizeof(long_path) - 1);
    long_path[sizeof(long_path) - 1] = '\0';
    options.socket_path = long_path;
    expect_invalid(&options, "shorter than 108");
    options.socket_path = "/tmp/nowhere/fund.sock";
    expect_invalid(&options, "agent_id");
    options.agent_id = 3;
    options.wait = (fundos_wait_policy)7;
    expect_invalid(&options, "wait policy 7");
    options.wait = FUNDOS_WAIT_FUTEX;
    options.ring_full = (fundos_ring_full_policy)9;
    expect_invalid(&options, "ring_full policy 9");
    options.ring_full = FUNDOS_RING_FULL_WAIT;
    options.ring_full_timeout_ns = 0;
    expect_invalid(&options, "ring_full_timeout_ns");
    options.ring_full_timeout_ns = FUNDOS_WAIT_FOREVER;

    char why[256];
    FAKE_FUND_CHECK(fundos_attach_options_validate(&options, why, sizeof(why)) == FUNDOS_OK);
    FAKE_FUND_CHECK(why[0] == '\0');
    FAKE_FUND_CHECK(fundos_attach_options_validate(&options, NULL, 0) == FUNDOS_OK);

    /* a valid option set against no Fund: a connect error naming the path */
    fundos_agent *agent = NULL;
    int rc = fundos_attach(&options, &agent, why, sizeof(why));
    FAKE_FUND_CHECK(rc == FUNDOS_E_CONNECT);
    FAKE_FUND_CHECK(agent == NULL);
    FAKE_FUND_CHECK(strstr(why, "/tmp/nowhere/fund.sock") != NULL);
    FAKE_FUND_CHECK(strstr(why, "is the Fund running") != NULL);
    FAKE_FUND_CHECK(fundos_attach(&options, NULL, why, sizeof(why)) == FUNDOS_E_INVALID_ARGUMENT);

    /* tiny why buffers are truncated, still terminated */
    char tiny[8];
    options.agent_id = 0;
    FAKE_FUND_CHECK(fundos_attach_options_validate(&options, tiny, sizeof(tiny)) == FUNDOS_E_INVALID_ARGUMENT);
    FAKE_FUND_CHECK(strlen(tiny) == sizeof(tiny) - 1);

    fundos_detach(NULL); /* accepted */
    check_env();
    printf("ok: option validation\n");
    return 0;
}
