/* Fixed-point helpers: the ABI's Price, Quantity and Money are int64 raw values times
 * 10^-decimals (FUNDOS_*_DECIMALS). */
#include <math.h>

#include "agent_internal.h"

static const int64_t powers_of_ten[19] = {
    INT64_C(1),
    INT64_C(10),
    INT64_C(100),
    INT64_C(1000),
    INT64_C(10000),
    INT64_C(100000),
    INT64_C(1000000),
    INT64_C(10000000),
    INT64_C(100000000),
    INT64_C(1000000000),
    INT64_C(10000000000),
    INT64_C(100000000000),
    INT64_C(1000000000000),
    INT64_C(10000000000000),
    INT64_C(100000000000000),
    INT64_C(1000000000000000),
    INT64_C(10000000000000000),
    INT64_C(100000000000000000),
    INT64_C(1000000000000000000),
};

double fundos_fixed_to_double(int64_t raw, unsigned decimals) {
    if (decimals > 18) {
        decimals = 18;
    }
    int64_t scale = powers_of_ten[decimals];
    if (raw > -(INT64_C(1) << 53) && raw < (INT64_C(1) << 53)) {
        return (double)raw / (double)scale; /* both exact: one correctly rounded division */
    }
    /* Beyond 2^53 the raw value itself would be rounded first: convert whole and fraction apart. */
    int64_t whole = raw / scale;
    int64_t fraction = raw % scale;
    return (double)whole + (double)fraction / (double)scale;
}

int fundos_fixed_from_double(double value, unsigned decimals, int64_t *out) {
    if (out == NULL || decimals > 18) {
        return FUNDOS_E_INVALID_ARGUMENT;
    }
    if (!isfinite(value)) {
        return FUNDOS_E_RANGE;
    }
    double scaled = nearbyint(value * (double)powers_of_ten[decimals]); /* ties to even */
    /* int64_t holds [-2^63, 2^63); both bounds are exact doubles. */
    if (!(scaled >= -9223372036854775808.0 && scaled < 9223372036854775808.0)) {
        return FUNDOS_E_RANGE;
    }
    *out = (int64_t)scaled;
    return FUNDOS_OK;
}
