/* The error table: every fundos_error value has a name and a distinct sentence; refusal codes map
 * to the Fund's AttachStatus and back. */
#include <string.h>

#include "fake_fund.h"

int main(void) {
    int count = 0;
    for (int code = 0; code > FUNDOS_E_LAST_; code--) {
        const char *name = fundos_error_name(code);
        const char *text = fundos_strerror(code);
        FAKE_FUND_CHECK(name != NULL);
        FAKE_FUND_CHECK(strncmp(name, "FUNDOS_", 7) == 0);
        FAKE_FUND_CHECK(text != NULL && text[0] != '\0');
        FAKE_FUND_CHECK(strcmp(text, "unknown fundos error code") != 0);
        for (int other = 0; other > code; other--) {
            FAKE_FUND_CHECK(strcmp(fundos_strerror(other), text) != 0);
            FAKE_FUND_CHECK(strcmp(fundos_error_name(other), name) != 0);
        }
        count++;
    }
    FAKE_FUND_CHECK(count == -FUNDOS_E_LAST_);
    FAKE_FUND_CHECK(strcmp(fundos_error_name(FUNDOS_E_RING_FULL), "FUNDOS_E_RING_FULL") == 0);
    FAKE_FUND_CHECK(fundos_error_name(FUNDOS_E_LAST_) == NULL);
    FAKE_FUND_CHECK(fundos_error_name(1) == NULL);
    FAKE_FUND_CHECK(fundos_error_name(-1000) == NULL);
    FAKE_FUND_CHECK(strcmp(fundos_strerror(-1000), "unknown fundos error code") == 0);
    FAKE_FUND_CHECK(strcmp(fundos_strerror(42), "unknown fundos error code") == 0);

    /* every refusal status but OK has exactly one code */
    for (fundos_attach_status_t status = 2; fundos_attach_status_is_valid(status); status++) {
        int found = 0;
        for (int code = 0; code > FUNDOS_E_LAST_; code--) {
            if (fundos_error_attach_status(code) == status) {
                found++;
            }
        }
        FAKE_FUND_CHECK(found == 1);
    }
    FAKE_FUND_CHECK(fundos_error_attach_status(FUNDOS_E_UNKNOWN_AGENT) == FUNDOS_ATTACH_STATUS_UNKNOWN_AGENT);
    FAKE_FUND_CHECK(fundos_error_attach_status(FUNDOS_E_RING_FULL) == 0);
    FAKE_FUND_CHECK(fundos_error_attach_status(-1000) == 0);
    printf("ok: %d error codes\n", count);
    return 0;
}
