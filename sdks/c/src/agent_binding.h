/* Functions of the C SDK outside its public API (fundos/agent.h), for the Python binding
 * (sdks/python/src/fundos/_core.cpp), which compiles the SDK's sources into itself. C and C++. */
#ifndef FUNDOS_AGENT_BINDING_H
#define FUNDOS_AGENT_BINDING_H

#include <stdint.h>

#include <fundos/agent.h>

#ifdef __cplusplus
extern "C" {
#endif

/* fundos_read_snapshot / fundos_wait_snapshot, with zero_unused_rows = 0: the rows past the
 * counts are not zeroed and keep what *out held (for a caller that hands out only the head of
 * FundState and the rows in use); with 1, exactly the public functions. */
int fundos__read_snapshot(fundos_agent *agent, fundos_fund_state_t *out, int zero_unused_rows);
int fundos__wait_snapshot(fundos_agent *agent, uint64_t after_seq, fundos_fund_state_t *out, uint64_t timeout_ns,
                          int zero_unused_rows);

#ifdef __cplusplus
}
#endif

#endif /* FUNDOS_AGENT_BINDING_H */
