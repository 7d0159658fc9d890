/* The intent ring (producer), the report ring (consumer, with losses), the book, the heartbeat
 * and the quarantine status, against the in-process fake Fund. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "fake_fund.h"

static volatile sig_atomic_t stop_flag = 0;

static fundos_agent *attach(fake_fund *fund, fundos_ring_full_policy ring_full, uint64_t timeout_ns) {
    fake_fund_start(fund, NULL, NULL);
    fundos_attach_options options;
    fake_fund_options(fund, &options, 5);
    options.stop_flag = &stop_flag;
    options.ring_full = ring_full;
    options.ring_full_timeout_ns = timeout_ns;
    fundos_agent *agent = NULL;
    char why[256];
    int rc = fundos_attach(&options, &agent, why, sizeof(why));
    if (rc != FUNDOS_OK) {
        fprintf(stderr, "attach: %s\n", why);
        exit(1);
    }
    fake_fund_join(fund);
    return agent;
}

static void book_at_attach(fake_fund *fund, void *context) {
    (void)context;
    static fundos_agent_book_t book;
    memset(&book, 0, sizeof(book));
    book.account.last_intent_id = 41;
    fake_fund_write_book(fund, &book);
}

static int all_zero(const void *bytes, size_t size) {
    const unsigned char *p = bytes;
    for (size_t i = 0; i < size; i++) {
        if (p[i] != 0) return 0;
    }
    return 1;
}

typedef struct consumer_args {
    fake_fund *fund;
    uint64_t upto;
} consumer_args;

static void *consumer(void *arg) {
    consumer_args *args = arg;
    struct timespec pause = {.tv_sec = 0, .tv_nsec = 2000000};
    nanosleep(&pause, NULL);
    atomic_store_explicit((_Atomic uint64_t *)&args->fund->reports->control.intents_consumed, args->upto,
                          memory_order_release);
    return NULL;
}

static void on_alarm(int signo) {
    (void)signo;
    stop_flag = 1;
}

int main(void) {
    fake_fund fund;
    fundos_agent *agent = attach(&fund, FUNDOS_RING_FULL_FAIL, 0);
    static fundos_fund_state_t state;
    memset(&state, 0, sizeof(state));
    fake_fund_publish(&fund, &state);
    fake_fund_publish(&fund, &state);
    FAKE_FUND_CHECK(fundos_read_snapshot(agent, &state) == FUNDOS_OK && state.seq == 2);

    /* --- submit: ids, agent id, snapshot seq filled; padding and reserved zeroed */
    fundos_intent_record_t intent;
    memset(&intent, 0xAB, sizeof(intent)); /* garbage in padding, reserved and commit */
    intent.agent_id = 0;
    intent.intent_id = 0;
    intent.snapshot_seq = 0;
    intent.ref_intent_id = 0;
    intent.instrument_id = 11;
    intent.kind = FUNDOS_INTENT_KIND_ORDER;
    intent.side = FUNDOS_SIDE_BUY;
    intent.order_type = FUNDOS_ORDER_TYPE_LIMIT;
    intent.time_in_force = FUNDOS_TIME_IN_FORCE_DAY;
    intent.qty = 1000000;
    intent.limit_price = 45000000000;
    intent.client_tag = 99;
    FAKE_FUND_CHECK(fundos_submit_intent(agent, &intent) == FUNDOS_OK);
    FAKE_FUND_CHECK(intent.agent_id == 5 && intent.intent_id == 1 && intent.snapshot_seq == 2);
    const fundos_intent_record_t *slot = &fund.intents->ring[0];
    FAKE_FUND_CHECK(atomic_load_explicit((_Atomic uint64_t *)&slot->commit, memory_order_acquire) == 1);
    FAKE_FUND_CHECK(slot->intent_id == 1 && slot->agent_id == 5 && slot->snapshot_seq == 2);
    FAKE_FUND_CHECK(slot->instrument_id == 11 && slot->kind == FUNDOS_INTENT_KIND_ORDER);
    FAKE_FUND_CHECK(slot->side == FUNDOS_SIDE_BUY && slot->order_type == FUNDOS_ORDER_TYPE_LIMIT);
    FAKE_FUND_CHECK(slot->time_in_force == FUNDOS_TIME_IN_FORCE_DAY && slot->qty == 1000000);
    FAKE_FUND_CHECK(slot->limit_price == 45000000000 && slot->client_tag == 99 && slot->ref_intent_id == 0);
    FAKE_FUND_CHECK(all_zero(slot->pad_44, sizeof(slot->pad_44)));
    FAKE_FUND_CHECK(all_zero(slot->reserved_72, sizeof(slot->reserved_72)));

    /* explicit ids must increase; a foreign agent id is refused */
    intent.agent_id = 0;
    intent.intent_id = 1;
    FAKE_FUND_CHECK(fundos_submit_intent(agent, &intent) == FUNDOS_E_INVALID_ARGUMENT);
    intent.intent_id = 10;
    intent.snapshot_seq = 1;
    FAKE_FUND_CHECK(fundos_submit_intent(agent, &intent) == FUNDOS_OK && intent.intent_id == 10);
    FAKE_FUND_CHECK(fund.intents->ring[1].snapshot_seq == 1 && fund.intents->ring[1].commit == 2);
    intent.intent_id = 0;
    intent.agent_id = 6;
    FAKE_FUND_CHECK(fundos_submit_intent(agent, &intent) == FUNDOS_E_INVALID_ARGUMENT);
    intent.agent_id = 0;
    FAKE_FUND_CHECK(fundos_submit_intent(agent, &intent) == FUNDOS_OK && intent.intent_id == 11);

    /* --- ring full: FAIL policy after INTENT_RING_SLOTS records nobody consumed */
    uint64_t submitted = 3;
    while (submitted < FUNDOS_INTENT_RING_SLOTS) {
        intent.intent_id = 0;
        FAKE_FUND_CHECK(fundos_submit_intent(agent, &intent) == FUNDOS_OK);
        submitted++;
    }
    intent.intent_id = 0;
    FAKE_FUND_CHECK(fundos_submit_intent(agent, &intent) == FUNDOS_E_RING_FULL);
    /* the Fund consumes one: one more fits, at slot 0 with commit 257 */
    atomic_store_explicit((_Atomic uint64_t *)&fund.reports->control.intents_consumed, 1, memory_order_release);
    FAKE_FUND_CHECK(fundos_submit_intent(agent, &intent) == FUNDOS_OK);
    FAKE_FUND_CHECK(fund.intents->ring[0].commit == FUNDOS_INTENT_RING_SLOTS + 1);
    intent.intent_id = 0;
    FAKE_FUND_CHECK(fundos_submit_intent(agent, &intent) == FUNDOS_E_RING_FULL);

    /* --- heartbeat */
    FAKE_FUND_CHECK(fundos_heartbeat(agent, 0) == FUNDOS_OK);
    FAKE_FUND_CHECK(fundos_heartbeat(agent, 2) == FUNDOS_OK);
    FAKE_FUND_CHECK(fund.intents->heartbeat.counter == 2 && fund.intents->heartbeat.answered_seq == 2);
    FAKE_FUND_CHECK(fundos_heartbeat(agent, 0) == FUNDOS_OK);
    FAKE_FUND_CHECK(fund.intents->heartbeat.counter == 3 && fund.intents->heartbeat.answered_seq == 2);

    /* --- reports: in order, then a loss reported once, then the oldest still present */
    static fundos_intent_report_t reports[FUNDOS_REPORT_RING_SLOTS];
    size_t count = 99;
    FAKE_FUND_CHECK(fundos_poll_reports(agent, reports, 16, &count) == FUNDOS_OK && count == 0);
    fundos_intent_report_t report;
    memset(&report, 0, sizeof(report));
    for (uint64_t i = 1; i <= 10; i++) {
        report.intent_id = i;
        report.kind = FUNDOS_REPORT_KIND_ACCEPTED;
        fake_fund_write_report(&fund, &report);
    }
    FAKE_FUND_CHECK(fundos_poll_reports(agent, reports, 4, &count) == FUNDOS_OK && count == 4);
    FAKE_FUND_CHECK(reports[0].intent_id == 1 && reports[3].intent_id == 4 && reports[3].commit == 4);
    FAKE_FUND_CHECK(fundos_poll_reports(agent, reports, 16, &count) == FUNDOS_OK && count == 6);
    FAKE_FUND_CHECK(reports[5].intent_id == 10);
    for (uint64_t i = 11; i <= 10 + FUNDOS_REPORT_RING_SLOTS + 40; i++) { /* lap the reader by 40 */
        report.intent_id = i;
        fake_fund_write_report(&fund, &report);
    }
    FAKE_FUND_CHECK(fundos_poll_reports(agent, reports, 16, &count) == FUNDOS_E_REPORTS_LOST && count == 0);
    fundos_agent_info info;
    FAKE_FUND_CHECK(fundos_agent_status(agent, &info) == FUNDOS_OK);
    /* 40 overwritten, plus the oldest slot, which the Fund overwrites next (maybe right now) */
    FAKE_FUND_CHECK(info.reports_lost == 41 && info.reports_read == 51 && info.reports_written == 306);
    FAKE_FUND_CHECK(fundos_poll_reports(agent, reports, FUNDOS_REPORT_RING_SLOTS, &count) == FUNDOS_OK);
    FAKE_FUND_CHECK(count == FUNDOS_REPORT_RING_SLOTS - 1 && reports[0].intent_id == 52);
    FAKE_FUND_CHECK(reports[count - 1].intent_id == 306);
    FAKE_FUND_CHECK(fundos_poll_reports(agent, reports, 16, &count) == FUNDOS_OK && count == 0);

    /* --- book */
    static fundos_agent_book_t book;
    FAKE_FUND_CHECK(fundos_read_book(agent, &book) == FUNDOS_E_AGAIN);
    memset(&book, 0, sizeof(book));
    book.seq = 2;
    book.position_count = 1;
    book.account.agent_id = 5;
    book.account.last_intent_id = 11;
    book.positions[0].instrument_id = 11;
    book.positions[0].qty = 3000000;
    fake_fund_write_book(&fund, &book);
    static fundos_agent_book_t copy;
    FAKE_FUND_CHECK(fundos_read_book(agent, &copy) == FUNDOS_OK);
    FAKE_FUND_CHECK(memcmp(&copy, &book, sizeof(book)) == 0);

    /* --- quarantine: status SUSPENDED with a reason */
    fund.reports->control.status = FUNDOS_AGENT_STATUS_SUSPENDED;
    FAKE_FUND_CHECK(fundos_agent_status(agent, &info) == FUNDOS_OK && !info.quarantined);
    fund.reports->control.quarantine_reason = FUNDOS_REJECT_REASON_CORRUPT_SLOT;
    FAKE_FUND_CHECK(fundos_agent_status(agent, &info) == FUNDOS_OK && info.quarantined);
    FAKE_FUND_CHECK(info.quarantine_reason == FUNDOS_REJECT_REASON_CORRUPT_SLOT);
    FAKE_FUND_CHECK(fundos_submit_intent(agent, &intent) == FUNDOS_E_QUARANTINED);

    /* --- hang-up */
    fake_fund_hangup(&fund);
    FAKE_FUND_CHECK(fundos_agent_status(agent, &info) == FUNDOS_E_DISCONNECTED && !info.connected);
    fundos_detach(agent);
    fake_fund_stop(&fund);

    /* --- a new attach starts its ids above the book's last_intent_id */
    fake_fund_start(&fund, book_at_attach, NULL);
    fundos_attach_options options;
    fake_fund_options(&fund, &options, 5);
    char why[256];
    FAKE_FUND_CHECK(fundos_attach(&options, &agent, why, sizeof(why)) == FUNDOS_OK);
    fake_fund_join(&fund);
    memset(&intent, 0, sizeof(intent));
    intent.kind = FUNDOS_INTENT_KIND_END_OF_ANSWER;
    FAKE_FUND_CHECK(fundos_submit_intent(agent, &intent) == FUNDOS_OK && intent.intent_id == 42);
    fundos_detach(agent);
    fake_fund_stop(&fund);

    /* --- WAIT policy: the Fund consumes after 2 ms; then a timeout; then a signal */
    agent = attach(&fund, FUNDOS_RING_FULL_WAIT, 500000000);
    memset(&intent, 0, sizeof(intent));
    intent.kind = FUNDOS_INTENT_KIND_END_OF_ANSWER;
    for (unsigned i = 0; i < FUNDOS_INTENT_RING_SLOTS; i++) {
        FAKE_FUND_CHECK(fundos_submit_intent(agent, &intent) == FUNDOS_OK);
        intent.intent_id = 0;
    }
    consumer_args args = {.fund = &fund, .upto = 10};
    pthread_t thread;
    FAKE_FUND_CHECK(pthread_create(&thread, NULL, consumer, &args) == 0);
    FAKE_FUND_CHECK(fundos_submit_intent(agent, &intent) == FUNDOS_OK);
    pthread_join(thread, NULL);
    for (int i = 0; i < 9; i++) {
        intent.intent_id = 0;
        FAKE_FUND_CHECK(fundos_submit_intent(agent, &intent) == FUNDOS_OK);
    }
    intent.intent_id = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    FAKE_FUND_CHECK(fundos_submit_intent(agent, &intent) == FUNDOS_E_RING_FULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double waited = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    FAKE_FUND_CHECK(waited >= 0.45 && waited < 5.0);
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = on_alarm; /* no SA_RESTART */
    sigaction(SIGALRM, &action, NULL);
    timer_t timer;
    struct sigevent event;
    memset(&event, 0, sizeof(event));
    event.sigev_notify = SIGEV_SIGNAL;
    event.sigev_signo = SIGALRM;
    FAKE_FUND_CHECK(timer_create(CLOCK_MONOTONIC, &event, &timer) == 0);
    struct itimerspec when = {.it_value = {.tv_sec = 0, .tv_nsec = 20000000}};
    FAKE_FUND_CHECK(timer_settime(timer, 0, &when, NULL) == 0);
    FAKE_FUND_CHECK(fundos_submit_intent(agent, &intent) == FUNDOS_E_INTERRUPTED);
    FAKE_FUND_CHECK(stop_flag == 1);
    stop_flag = 0;
    FAKE_FUND_CHECK(timer_settime(timer, 0, &when, NULL) == 0);
    FAKE_FUND_CHECK(fundos_wait_snapshot(agent, 0, &state, FUNDOS_WAIT_FOREVER) == FUNDOS_E_INTERRUPTED);
    timer_delete(timer);
    fundos_detach(agent);
    fake_fund_stop(&fund);
    printf("ok: rings\n");
    return 0;
}
