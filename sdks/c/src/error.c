/* fundos_strerror, fundos_error_name, fundos_error_attach_status: the one error table. */
#include <stdarg.h>
#include <stdio.h>

#include "agent_internal.h"

typedef struct error_entry {
    int code;
    const char *name;
    const char *text;
    fundos_attach_status_t attach_status; /* the Fund's refusal status for this code, or 0 */
} error_entry;

static const error_entry error_table[] = {
    {FUNDOS_OK, "FUNDOS_OK", "success", 0},
    {FUNDOS_E_INVALID_ARGUMENT, "FUNDOS_E_INVALID_ARGUMENT", "invalid argument", 0},
    {FUNDOS_E_SYSTEM, "FUNDOS_E_SYSTEM", "a system call failed", 0},
    {FUNDOS_E_CONNECT, "FUNDOS_E_CONNECT", "cannot connect to the Fund's socket", 0},
    {FUNDOS_E_PROTOCOL, "FUNDOS_E_PROTOCOL", "the Fund broke the transport protocol", 0},
    {FUNDOS_E_VERSION_MISMATCH, "FUNDOS_E_VERSION_MISMATCH",
     "the Fund and this agent speak different ABI major versions", FUNDOS_ATTACH_STATUS_VERSION_MISMATCH},
    {FUNDOS_E_LAYOUT_MISMATCH, "FUNDOS_E_LAYOUT_MISMATCH",
     "the Fund and this agent were built from different ABI layouts", FUNDOS_ATTACH_STATUS_LAYOUT_MISMATCH},
    {FUNDOS_E_BAD_REGION, "FUNDOS_E_BAD_REGION", "a shared-memory region from the Fund failed its checks", 0},
    {FUNDOS_E_BAD_REQUEST, "FUNDOS_E_BAD_REQUEST", "the Fund refused the attach request as malformed",
     FUNDOS_ATTACH_STATUS_BAD_REQUEST},
    {FUNDOS_E_UNKNOWN_AGENT, "FUNDOS_E_UNKNOWN_AGENT", "the Fund has no agent with this id configured",
     FUNDOS_ATTACH_STATUS_UNKNOWN_AGENT},
    {FUNDOS_E_NOT_PERMITTED, "FUNDOS_E_NOT_PERMITTED", "the Fund does not allow this user or group to run this agent",
     FUNDOS_ATTACH_STATUS_NOT_PERMITTED},
    {FUNDOS_E_ALREADY_ATTACHED, "FUNDOS_E_ALREADY_ATTACHED", "another live process is attached as this agent",
     FUNDOS_ATTACH_STATUS_ALREADY_ATTACHED},
    {FUNDOS_E_FUND_FULL, "FUNDOS_E_FUND_FULL", "the Fund has no free agent slot", FUNDOS_ATTACH_STATUS_FUND_FULL},
    {FUNDOS_E_SHUTTING_DOWN, "FUNDOS_E_SHUTTING_DOWN", "the Fund is shutting down", FUNDOS_ATTACH_STATUS_SHUTTING_DOWN},
    {FUNDOS_E_AGAIN, "FUNDOS_E_AGAIN", "nothing published yet", 0},
    {FUNDOS_E_TIMEOUT, "FUNDOS_E_TIMEOUT", "timed out", 0},
    {FUNDOS_E_INTERRUPTED, "FUNDOS_E_INTERRUPTED", "interrupted by a signal", 0},
    {FUNDOS_E_RING_FULL, "FUNDOS_E_RING_FULL", "the intent ring is full: the Fund has not consumed earlier intents yet", 0},
    {FUNDOS_E_REPORTS_LOST, "FUNDOS_E_REPORTS_LOST", "reports were overwritten before this agent read them", 0},
    {FUNDOS_E_QUARANTINED, "FUNDOS_E_QUARANTINED", "the Fund quarantined this agent and no longer reads its intents", 0},
    {FUNDOS_E_DISCONNECTED, "FUNDOS_E_DISCONNECTED", "the Fund hung up (it stopped or crashed)", 0},
    {FUNDOS_E_RANGE, "FUNDOS_E_RANGE", "number is NaN, infinite or out of range for its fixed-point type", 0},
    {FUNDOS_E_CONFIG, "FUNDOS_E_CONFIG", "the agent's configuration cannot be read or is invalid", 0},
};

_Static_assert(sizeof(error_table) / sizeof(error_table[0]) == (size_t)(-FUNDOS_E_LAST_),
               "error_table must have one row per fundos_error value");

static const error_entry *find_entry(int code) {
    if (code > 0 || code <= FUNDOS_E_LAST_) {
        return NULL;
    }
    const error_entry *entry = &error_table[-code];
    return entry->code == code ? entry : NULL;
}

const char *fundos_strerror(int code) {
    const error_entry *entry = find_entry(code);
    return entry != NULL ? entry->text : "unknown fundos error code";
}

const char *fundos_error_name(int code) {
    const error_entry *entry = find_entry(code);
    return entry != NULL ? entry->name : NULL;
}

fundos_attach_status_t fundos_error_attach_status(int code) {
    const error_entry *entry = find_entry(code);
    return entry != NULL ? entry->attach_status : 0;
}

int fundos__fail(int code, char *why, size_t why_len, const char *format, ...) {
    if (why != NULL && why_len > 0) {
        va_list args;
        va_start(args, format);
        int n = vsnprintf(why, why_len, format, args);
        va_end(args);
        if (n < 0) {
            why[0] = '\0';
        }
    }
    return code;
}
