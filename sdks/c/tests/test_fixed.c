/* Fixed-point helpers: exact for decimal inputs at the type's resolution, ties to even, NaN,
 * infinities and overflow refused. */
#include <math.h>

#include "fake_fund.h"

static int64_t to_raw(double value, unsigned decimals) {
    int64_t raw = 0;
    FAKE_FUND_CHECK(fundos_fixed_from_double(value, decimals, &raw) == FUNDOS_OK);
    return raw;
}

int main(void) {
    FAKE_FUND_CHECK(to_raw(0.1, FUNDOS_PRICE_DECIMALS) == 10000000);
    FAKE_FUND_CHECK(to_raw(123.45678901, FUNDOS_PRICE_DECIMALS) == 12345678901);
    FAKE_FUND_CHECK(to_raw(-2.5, FUNDOS_QUANTITY_DECIMALS) == -2500000);
    FAKE_FUND_CHECK(to_raw(0.0000005, FUNDOS_QUANTITY_DECIMALS) == 0);   /* tie: to even */
    FAKE_FUND_CHECK(to_raw(0.0000015, FUNDOS_QUANTITY_DECIMALS) == 2);   /* tie: to even */
    FAKE_FUND_CHECK(to_raw(1e6, 0) == 1000000);
    /* round trip of every cent price below 1000 */
    for (int64_t cents = -100000; cents <= 100000; cents++) {
        double price = (double)cents / 100.0;
        int64_t raw = to_raw(price, FUNDOS_PRICE_DECIMALS);
        FAKE_FUND_CHECK(raw == cents * 1000000);
        FAKE_FUND_CHECK(fundos_fixed_to_double(raw, FUNDOS_PRICE_DECIMALS) == price);
    }
    FAKE_FUND_CHECK(fundos_fixed_to_double(INT64_MAX, 6) == 9223372036854.775807);
    FAKE_FUND_CHECK(fundos_fixed_to_double(-150, 2) == -1.5);

    int64_t raw = 99;
    FAKE_FUND_CHECK(fundos_fixed_from_double(NAN, 8, &raw) == FUNDOS_E_RANGE);
    FAKE_FUND_CHECK(fundos_fixed_from_double(INFINITY, 8, &raw) == FUNDOS_E_RANGE);
    FAKE_FUND_CHECK(fundos_fixed_from_double(-INFINITY, 8, &raw) == FUNDOS_E_RANGE);
    FAKE_FUND_CHECK(fundos_fixed_from_double(1e11, 8, &raw) == FUNDOS_E_RANGE);  /* 1e19 > 2^63 */
    FAKE_FUND_CHECK(fundos_fixed_from_double(-1e11, 8, &raw) == FUNDOS_E_RANGE);
    FAKE_FUND_CHECK(fundos_fixed_from_double(9.2233720368547758e18, 0, &raw) == FUNDOS_E_RANGE); /* 2^63 */
    FAKE_FUND_CHECK(fundos_fixed_from_double(-9.2233720368547758e18, 0, &raw) == FUNDOS_OK);     /* -2^63 */
    FAKE_FUND_CHECK(raw == INT64_MIN);
    FAKE_FUND_CHECK(fundos_fixed_from_double(1.0, 19, &raw) == FUNDOS_E_INVALID_ARGUMENT);
    FAKE_FUND_CHECK(fundos_fixed_from_double(1.0, 8, NULL) == FUNDOS_E_INVALID_ARGUMENT);
    printf("ok: fixed point\n");
    return 0;
}
