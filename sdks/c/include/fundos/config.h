/* FundOS agent SDK: an agent's own configuration, read from the Fund's configuration source
 * (docs/CONFIG.md, "Agents read their own configuration").
 *
 * An agent's service id is "FUND/AGENT": the Fund's name (its configuration's `name`) and the
 * agent's configured name. The source is the address the Fund was started with: a JSON file
 * path, `sqlite:///ABSOLUTE/PATH.db[#FUND]`, `sqlite:RELATIVE/PATH.db[#FUND]` or
 * `postgresql://...[#FUND]`. `fundos run` gives every agent it starts both, as FUNDOS_CONFIG and
 * FUNDOS_SERVICE.
 *
 * One mechanism: the configuration is read and checked by the Fund's own loader
 * (fundos::runtime::load_config_source, fund/src/runtime/config_source.cpp and config_json.cpp),
 * compiled into this library, so an agent sees exactly the configuration the Fund enforces and
 * every message is the loader's. Only the paths the agent does not use (simulation.data files,
 * the agents' working folders) are not looked up.
 *
 * Library: `fundos_agent_config` (C API, C++ inside), on top of `fundos_agent`; it links
 * libsqlite3, libpq and the C++ standard library (pkg-config: fundos-agent-config). The core
 * library `fundos_agent` does not depend on it.
 *
 * Return values as in <fundos/agent.h>: 0, or a negative fundos_error. Every fault of the source
 * or the configuration is FUNDOS_E_CONFIG, with one message (several lines when the loader found
 * several faults) naming the source and, for a configuration fault, the field:
 *     sqlite:///srv/config.db#demo: no agent "foo" in this configuration (it has alpha, beta)
 *     demo.json: agents[0].risk.max_position: must be >= 0, got "-5"
 *     postgresql://fund@db:5432/cfg: cannot connect: ... Connection refused ...
 * Messages never contain a password. No C++ exception crosses this API.
 *
 * Ownership and threads: a loaded fundos_agent_config is immutable; it owns every string and
 * row its accessors return, which stay valid until fundos_agent_config_free(). Its accessors are
 * thread-safe. Loading touches no shared state of the SDK (fundos_agent_config_load_env reads
 * the environment, which is not thread-safe). Accessors given NULL return 0 or NULL.
 */
#ifndef FUNDOS_CONFIG_H
#define FUNDOS_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include <fundos/agent.h>

#ifdef __cplusplus
extern "C" {
#endif

/** An agent's configuration. Opaque; from fundos_agent_config_load(), released with
 *  fundos_agent_config_free(). */
typedef struct fundos_agent_config fundos_agent_config;

/** How the Fund treats the agent's step when it does not answer in time (its `silent_policy`). */
typedef enum fundos_silent_policy {
    FUNDOS_SILENT_NO_OP = 1,          /**< nothing; its working orders keep working */
    FUNDOS_SILENT_CANCEL_ORDERS = 2,  /**< its working orders are canceled */
    FUNDOS_SILENT_FLATTEN = 3         /**< its working orders are canceled and its positions closed */
} fundos_silent_policy;

/** Risk limits of one scope (the agent's own, or one instrument's fund-wide ones), as the Fund
 *  checks them. Raw fixed-point values (FUNDOS_QUANTITY_DECIMALS, FUNDOS_MONEY_DECIMALS); a limit
 *  of 0 means "no limit". */
typedef struct fundos_config_limits {
    fundos_quantity_t max_order_qty;       /**< |qty| of one order */
    fundos_money_t max_order_notional;     /**< |qty| * reference price of one order */
    fundos_quantity_t max_position;        /**< |resulting position| per instrument */
    fundos_money_t max_gross_exposure;     /**< sum of |position value| */
    fundos_money_t max_net_exposure;       /**< |sum of position values| */
    uint32_t max_open_orders;              /**< working orders at once */
    uint32_t max_intents_per_window;       /**< intents in any rate_window_ns of simulated time */
    fundos_duration_t rate_window_ns;      /**< the rate window (default 1 s) */
    fundos_money_t reducing_loss;          /**< loss at which the scope may only reduce */
    fundos_money_t halt_loss;              /**< loss at which the scope is halted */
} fundos_config_limits;

/** One instrument mapped to the agent. */
typedef struct fundos_config_instrument {
    uint32_t instrument_id;             /**< its id in snapshots and intents */
    char symbol[FUNDOS_SYMBOL_LEN];     /**< NUL-terminated, at most 15 characters */
    char currency[4];                   /**< ISO 4217 code, NUL-terminated ("USD") */
    fundos_price_t tick_size;           /**< raw Price (FUNDOS_PRICE_DECIMALS); 0: the market data's */
    fundos_quantity_t lot_size;         /**< raw Quantity (FUNDOS_QUANTITY_DECIMALS); 0: the market data's */
    int restricted;                     /**< 1: only risk-reducing intents are accepted */
    uint32_t price_collar_bps;          /**< a limit price must be this close to the reference; 0: no collar */
    fundos_config_limits limits;        /**< the instrument's fund-wide limits */
} fundos_config_instrument;

/** Read the configuration at `address` and pick the agent `service` ("FUND/AGENT") out of it.
 *  A database address may name its service after '#': the Fund's name (or the agent's whole
 *  service id); without it, FUND is read. On success returns 0 and stores a new configuration in
 *  *out (release it with fundos_agent_config_free()). On failure *out is NULL and `error` (if
 *  error_len > 0; always NUL-terminated, truncated to fit) holds the message:
 *  FUNDOS_E_CONFIG for the source or the configuration (a bad address, an unreachable database,
 *  an invalid configuration, another fund's configuration, no such agent, a service that is not
 *  FUND/AGENT), FUNDOS_E_INVALID_ARGUMENT for a NULL argument, FUNDOS_E_SYSTEM (errno ENOMEM)
 *  when memory ran out. Blocks while it reads (a PostgreSQL connection waits at most 10 s unless
 *  the URL sets connect_timeout). */
int fundos_agent_config_load(const char *address, const char *service, fundos_agent_config **out, char *error,
                             size_t error_len);

/** fundos_agent_config_load(getenv("FUNDOS_CONFIG"), getenv("FUNDOS_SERVICE"), ...), as
 *  `fundos run` sets them. When FUNDOS_CONFIG is unset or empty it returns 0 with *out NULL (no
 *  configuration to read); when FUNDOS_SERVICE is then unset or empty, FUNDOS_E_INVALID_ARGUMENT.
 *  Not thread-safe (getenv). */
int fundos_agent_config_load_env(fundos_agent_config **out, char *error, size_t error_len);

/** Release a configuration. Accepts NULL. */
void fundos_agent_config_free(fundos_agent_config *config);

/** Set options->agent_id to the configured id when it is 0; a non-zero one must be the configured
 *  id, else FUNDOS_E_INVALID_ARGUMENT with a sentence naming both in `why`. Nothing else is
 *  changed (the configured wait policy is fundos_agent_config_wake()). Call it after
 *  fundos_attach_options_from_env() and the command line, before fundos_attach(). */
int fundos_attach_options_from_config(fundos_attach_options *options, const fundos_agent_config *config, char *why,
                                      size_t why_len);

/** "FUND/AGENT". */
const char *fundos_agent_config_service(const fundos_agent_config *config);
/** What it was read from, for messages: the file's path, or "LABEL#FUND" for a database (no
 *  password). */
const char *fundos_agent_config_source(const fundos_agent_config *config);
/** The Fund's name. */
const char *fundos_agent_config_fund(const fundos_agent_config *config);
/** The agent's configured id (what it attaches as) and name. */
uint32_t fundos_agent_config_agent_id(const fundos_agent_config *config);
const char *fundos_agent_config_agent_name(const fundos_agent_config *config);
/** The capital allocated to the agent, raw Money (FUNDOS_MONEY_DECIMALS). */
fundos_money_t fundos_agent_config_capital(const fundos_agent_config *config);
/** The agent's own risk limits. */
const fundos_config_limits *fundos_agent_config_limits(const fundos_agent_config *config);
/** How long the agent may go without a heartbeat (its `lease`), in ns. */
fundos_duration_t fundos_agent_config_lease_ns(const fundos_agent_config *config);
/** What the Fund does with a step the agent leaves unanswered. */
fundos_silent_policy fundos_agent_config_silent_policy(const fundos_agent_config *config);
/** How the agent is configured to wait for snapshots (`fundos run` passes it as FUNDOS_WAKE). */
fundos_wait_policy fundos_agent_config_wake(const fundos_agent_config *config);

/** The instruments mapped to the agent, in the configured order: index 0 .. count - 1; NULL past
 *  the end. */
size_t fundos_agent_config_instrument_count(const fundos_agent_config *config);
const fundos_config_instrument *fundos_agent_config_instrument(const fundos_agent_config *config, size_t index);
/** The mapped instrument with this id, or NULL when the agent does not trade it. */
const fundos_config_instrument *fundos_agent_config_find_instrument(const fundos_agent_config *config,
                                                                    uint32_t instrument_id);

/** The agent's view of the configuration as JSON text (two-space indent, final newline), the same
 *  bytes whatever source held the configuration. Decimals are strings in their shortest exact
 *  form, durations integers of nanoseconds (keys ending in _ns):
 *    {"service": "demo/alpha", "fund": "demo", "mode": "simulation",
 *     "agent": {"id", "name", "command", "working_dir", "instruments" (symbols), "capital",
 *               "allowed_uids", "allowed_gids", "lease_ns", "silent_policy", "wake", "restart",
 *               "max_restarts", "risk"},
 *     "instruments": [{"id", "symbol", "currency", "status", "tick_size", "lot_size",
 *                      "restricted", "price_collar_bps", "risk"}, ...]}
 *  where every "risk" is {"max_order_qty", "max_order_notional", "max_position",
 *  "max_gross_exposure", "max_net_exposure", "max_open_orders", "max_intents_per_window",
 *  "rate_window_ns", "reducing_loss", "halt_loss"}. The keys and spellings are those of the
 *  Fund's normalized configuration (`fund check-config FILE --print`), durations aside. */
const char *fundos_agent_config_json(const fundos_agent_config *config);

#ifdef __cplusplus
}
#endif

#endif /* FUNDOS_CONFIG_H */
