-- Schema version 1: the Fund configuration model of schema/fund-config.schema.json as tables.
-- One row of `fund` per service (a Fund; its name is its service id); every other table hangs off
-- it. Values are those of the configuration's normalized form (`fund check-config FILE --print`):
-- fixed-point values as exact decimals, durations in nanoseconds (columns *_ns), lists in their
-- order (columns `position`). The view fundos_config_document rebuilds the JSON document; the
-- Fund and `fundos config export` read only the view.

CREATE TABLE fundos_schema_version (
    version INTEGER PRIMARY KEY CHECK (version >= 1),
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE fund (
    name TEXT PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 64 AND name NOT GLOB '*[^A-Za-z0-9_.-]*' AND substr(name, 1, 1) NOT IN ('.', '-')),
    mode TEXT NOT NULL DEFAULT 'simulation' CHECK (mode IN ('simulation', 'paper', 'production')),
    capital TEXT NOT NULL CHECK (capital GLOB '[0-9]*' AND capital NOT GLOB '*[^0-9.]*' AND capital NOT GLOB '*.*.*' AND CAST(capital AS REAL) > 0)
);

CREATE TABLE simulation (
    fund TEXT PRIMARY KEY REFERENCES fund (name) ON DELETE CASCADE ON UPDATE CASCADE,
    decision_kind TEXT NOT NULL DEFAULT 'bar' CHECK (decision_kind IN ('bar', 'events', 'interval')),
    decision_events INTEGER CHECK (decision_events BETWEEN 1 AND 4294967295),
    decision_interval_ns INTEGER CHECK (decision_interval_ns > 0),
    answer_timeout_ms INTEGER NOT NULL DEFAULT 5000 CHECK (answer_timeout_ms BETWEEN 1 AND 86400000),
    start_timeout_ms INTEGER NOT NULL DEFAULT 30000 CHECK (start_timeout_ms BETWEEN 1 AND 86400000),
    stale_after_ns INTEGER NOT NULL DEFAULT 0 CHECK (stale_after_ns >= 0),
    max_steps INTEGER NOT NULL DEFAULT 0 CHECK (max_steps >= 0),
    CHECK ((decision_kind = 'bar' AND decision_events IS NULL AND decision_interval_ns IS NULL)
        OR (decision_kind = 'events' AND decision_events IS NOT NULL AND decision_interval_ns IS NULL)
        OR (decision_kind = 'interval' AND decision_interval_ns IS NOT NULL AND decision_events IS NULL))
);

CREATE TABLE simulation_data (
    fund TEXT NOT NULL REFERENCES simulation (fund) ON DELETE CASCADE ON UPDATE CASCADE,
    position INTEGER NOT NULL CHECK (position BETWEEN 0 AND 255),
    path TEXT NOT NULL CHECK (length(path) >= 1),
    PRIMARY KEY (fund, position),
    UNIQUE (fund, path)
);

CREATE TABLE execution (
    fund TEXT PRIMARY KEY REFERENCES fund (name) ON DELETE CASCADE ON UPDATE CASCADE,
    slippage_bps INTEGER NOT NULL DEFAULT 0 CHECK (slippage_bps BETWEEN 0 AND 10000),
    fee_per_share TEXT NOT NULL DEFAULT '0' CHECK (fee_per_share GLOB '[0-9]*' AND fee_per_share NOT GLOB '*[^0-9.]*' AND fee_per_share NOT GLOB '*.*.*'),
    fee_bps TEXT NOT NULL DEFAULT '0' CHECK (fee_bps GLOB '[0-9]*' AND fee_bps NOT GLOB '*[^0-9.]*' AND fee_bps NOT GLOB '*.*.*') ,
    latency_ns INTEGER NOT NULL DEFAULT 0 CHECK (latency_ns >= 0),
    participation_pct INTEGER NOT NULL DEFAULT 100 CHECK (participation_pct BETWEEN 1 AND 100)
);

CREATE TABLE instrument (
    fund TEXT NOT NULL REFERENCES fund (name) ON DELETE CASCADE ON UPDATE CASCADE,
    id INTEGER NOT NULL CHECK (id BETWEEN 1 AND 4294967295),
    position INTEGER NOT NULL CHECK (position BETWEEN 0 AND 63),
    symbol TEXT NOT NULL CHECK (length(symbol) BETWEEN 1 AND 15 AND symbol NOT GLOB '*[^A-Za-z0-9._/^-]*'),
    tick_size TEXT NOT NULL DEFAULT '0' CHECK (tick_size GLOB '[0-9]*' AND tick_size NOT GLOB '*[^0-9.]*' AND tick_size NOT GLOB '*.*.*'),
    lot_size TEXT NOT NULL DEFAULT '0' CHECK (lot_size GLOB '[0-9]*' AND lot_size NOT GLOB '*[^0-9.]*' AND lot_size NOT GLOB '*.*.*'),
    restricted INTEGER NOT NULL DEFAULT 0 CHECK (restricted IN (0, 1)),
    price_collar_bps INTEGER NOT NULL DEFAULT 0 CHECK (price_collar_bps BETWEEN 0 AND 1000000),
    PRIMARY KEY (fund, id),
    UNIQUE (fund, symbol),
    UNIQUE (fund, position)
);

CREATE TABLE agent (
    fund TEXT NOT NULL REFERENCES fund (name) ON DELETE CASCADE ON UPDATE CASCADE,
    id INTEGER NOT NULL CHECK (id BETWEEN 1 AND 4294967295),
    position INTEGER NOT NULL CHECK (position BETWEEN 0 AND 31),
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 64 AND name NOT GLOB '*[^A-Za-z0-9_.-]*' AND substr(name, 1, 1) NOT IN ('.', '-')),
    working_dir TEXT NOT NULL CHECK (length(working_dir) >= 1),
    capital TEXT NOT NULL CHECK (capital GLOB '[0-9]*' AND capital NOT GLOB '*[^0-9.]*' AND capital NOT GLOB '*.*.*' AND CAST(capital AS REAL) > 0),
    lease_ns INTEGER NOT NULL DEFAULT 2000000000 CHECK (lease_ns > 0),
    silent_policy TEXT NOT NULL DEFAULT 'no_op' CHECK (silent_policy IN ('no_op', 'cancel_orders', 'flatten')),
    wake TEXT NOT NULL DEFAULT 'spin' CHECK (wake IN ('spin', 'busy', 'futex')),
    restart TEXT NOT NULL DEFAULT 'no' CHECK (restart IN ('no', 'on_failure')),
    max_restarts INTEGER NOT NULL DEFAULT 3 CHECK (max_restarts BETWEEN 0 AND 100),
    PRIMARY KEY (fund, id),
    UNIQUE (fund, name),
    UNIQUE (fund, position)
);

-- The agent's argv, in order (empty: the agent is attached by hand).
CREATE TABLE agent_command (
    fund TEXT NOT NULL,
    agent_id INTEGER NOT NULL,
    position INTEGER NOT NULL CHECK (position BETWEEN 0 AND 4095),
    arg TEXT NOT NULL CHECK (position > 0 OR length(arg) >= 1),
    PRIMARY KEY (fund, agent_id, position),
    FOREIGN KEY (fund, agent_id) REFERENCES agent (fund, id) ON DELETE CASCADE ON UPDATE CASCADE
);

-- Agent -> instrument mappings, in the order the configuration lists the symbols.
CREATE TABLE agent_instrument (
    fund TEXT NOT NULL,
    agent_id INTEGER NOT NULL,
    position INTEGER NOT NULL CHECK (position BETWEEN 0 AND 63),
    instrument_id INTEGER NOT NULL,
    PRIMARY KEY (fund, agent_id, position),
    UNIQUE (fund, agent_id, instrument_id),
    FOREIGN KEY (fund, agent_id) REFERENCES agent (fund, id) ON DELETE CASCADE ON UPDATE CASCADE,
    -- deferred: deleting a whole fund cascades to both sides; deleting a mapped instrument alone fails
    FOREIGN KEY (fund, instrument_id) REFERENCES instrument (fund, id) ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED
);

-- Peer uids and gids allowed to attach as the agent, in order.
CREATE TABLE agent_allowed_uid (
    fund TEXT NOT NULL,
    agent_id INTEGER NOT NULL,
    position INTEGER NOT NULL CHECK (position BETWEEN 0 AND 1023),
    uid INTEGER NOT NULL CHECK (uid BETWEEN 0 AND 4294967295),
    PRIMARY KEY (fund, agent_id, position),
    UNIQUE (fund, agent_id, uid),
    FOREIGN KEY (fund, agent_id) REFERENCES agent (fund, id) ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE TABLE agent_allowed_gid (
    fund TEXT NOT NULL,
    agent_id INTEGER NOT NULL,
    position INTEGER NOT NULL CHECK (position BETWEEN 0 AND 1023),
    gid INTEGER NOT NULL CHECK (gid BETWEEN 0 AND 4294967295),
    PRIMARY KEY (fund, agent_id, position),
    UNIQUE (fund, agent_id, gid),
    FOREIGN KEY (fund, agent_id) REFERENCES agent (fund, id) ON DELETE CASCADE ON UPDATE CASCADE
);

-- Risk limits of one scope: the fund (scope 'fund'), an agent ('agent', agent_id) or an
-- instrument ('instrument', instrument_id). At most one row per scope; no row: no limits.
CREATE TABLE risk_limits (
    fund TEXT NOT NULL REFERENCES fund (name) ON DELETE CASCADE ON UPDATE CASCADE,
    scope TEXT NOT NULL CHECK (scope IN ('fund', 'agent', 'instrument')),
    agent_id INTEGER,
    instrument_id INTEGER,
    max_order_qty TEXT NOT NULL DEFAULT '0' CHECK (max_order_qty GLOB '[0-9]*' AND max_order_qty NOT GLOB '*[^0-9.]*' AND max_order_qty NOT GLOB '*.*.*'),
    max_order_notional TEXT NOT NULL DEFAULT '0' CHECK (max_order_notional GLOB '[0-9]*' AND max_order_notional NOT GLOB '*[^0-9.]*' AND max_order_notional NOT GLOB '*.*.*'),
    max_position TEXT NOT NULL DEFAULT '0' CHECK (max_position GLOB '[0-9]*' AND max_position NOT GLOB '*[^0-9.]*' AND max_position NOT GLOB '*.*.*'),
    max_gross_exposure TEXT NOT NULL DEFAULT '0' CHECK (max_gross_exposure GLOB '[0-9]*' AND max_gross_exposure NOT GLOB '*[^0-9.]*' AND max_gross_exposure NOT GLOB '*.*.*'),
    max_net_exposure TEXT NOT NULL DEFAULT '0' CHECK (max_net_exposure GLOB '[0-9]*' AND max_net_exposure NOT GLOB '*[^0-9.]*' AND max_net_exposure NOT GLOB '*.*.*'),
    max_open_orders INTEGER NOT NULL DEFAULT 0 CHECK (max_open_orders BETWEEN 0 AND 4294967295),
    max_intents_per_window INTEGER NOT NULL DEFAULT 0 CHECK (max_intents_per_window BETWEEN 0 AND 4294967295),
    rate_window_ns INTEGER NOT NULL DEFAULT 1000000000 CHECK (rate_window_ns > 0),
    reducing_loss TEXT NOT NULL DEFAULT '0' CHECK (reducing_loss GLOB '[0-9]*' AND reducing_loss NOT GLOB '*[^0-9.]*' AND reducing_loss NOT GLOB '*.*.*'),
    halt_loss TEXT NOT NULL DEFAULT '0' CHECK (halt_loss GLOB '[0-9]*' AND halt_loss NOT GLOB '*[^0-9.]*' AND halt_loss NOT GLOB '*.*.*'),
    CHECK ((scope = 'fund' AND agent_id IS NULL AND instrument_id IS NULL)
        OR (scope = 'agent' AND agent_id IS NOT NULL AND instrument_id IS NULL)
        OR (scope = 'instrument' AND instrument_id IS NOT NULL AND agent_id IS NULL)),
    CHECK (reducing_loss = 0 OR halt_loss = 0 OR CAST(halt_loss AS REAL) >= CAST(reducing_loss AS REAL)),
    FOREIGN KEY (fund, agent_id) REFERENCES agent (fund, id) ON DELETE CASCADE ON UPDATE CASCADE,
    FOREIGN KEY (fund, instrument_id) REFERENCES instrument (fund, id) ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX risk_limits_of_fund ON risk_limits (fund) WHERE scope = 'fund';
CREATE UNIQUE INDEX risk_limits_of_agent ON risk_limits (fund, agent_id) WHERE scope = 'agent';
CREATE UNIQUE INDEX risk_limits_of_instrument ON risk_limits (fund, instrument_id) WHERE scope = 'instrument';

-- (service, document): each Fund's configuration as the JSON document a file would hold (key order
-- and spacing aside; readers normalize it with the Fund's loader). Lists keep their `position`
-- order.
CREATE VIEW fundos_config_document AS
SELECT f.name AS service,
    json_object(
        'name', f.name,
        'mode', f.mode,
        'capital', f.capital,
        'risk', json(coalesce((SELECT json_object('max_order_qty', r.max_order_qty, 'max_order_notional', r.max_order_notional, 'max_position', r.max_position, 'max_gross_exposure', r.max_gross_exposure, 'max_net_exposure', r.max_net_exposure, 'max_open_orders', r.max_open_orders, 'max_intents_per_window', r.max_intents_per_window, 'rate_window', r.rate_window_ns, 'reducing_loss', r.reducing_loss, 'halt_loss', r.halt_loss) FROM risk_limits r WHERE r.fund = f.name AND r.scope = 'fund'), '{}')),
        'simulation', json(coalesce((SELECT json_object('data', json(coalesce((SELECT json_group_array(d.path) OVER (ORDER BY d.position ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) FROM simulation_data d WHERE d.fund = s.fund LIMIT 1), '[]')), 'decision', json(CASE s.decision_kind WHEN 'bar' THEN json_object('every', 'bar') WHEN 'events' THEN json_object('events', s.decision_events) ELSE json_object('interval', s.decision_interval_ns) END), 'answer_timeout_ms', s.answer_timeout_ms, 'start_timeout_ms', s.start_timeout_ms, 'stale_after', s.stale_after_ns, 'max_steps', s.max_steps) FROM simulation s WHERE s.fund = f.name), '{}')),
        'execution', json(coalesce((SELECT json_object('slippage_bps', e.slippage_bps, 'fee_per_share', e.fee_per_share, 'fee_bps', e.fee_bps, 'latency', e.latency_ns, 'participation_pct', e.participation_pct) FROM execution e WHERE e.fund = f.name), '{}')),
        'instruments', json(coalesce((SELECT json_group_array(json_object('id', i.id, 'symbol', i.symbol, 'tick_size', i.tick_size, 'lot_size', i.lot_size, 'restricted', json(CASE WHEN i.restricted THEN 'true' ELSE 'false' END), 'price_collar_bps', i.price_collar_bps, 'risk', json(coalesce((SELECT json_object('max_order_qty', r.max_order_qty, 'max_order_notional', r.max_order_notional, 'max_position', r.max_position, 'max_gross_exposure', r.max_gross_exposure, 'max_net_exposure', r.max_net_exposure, 'max_open_orders', r.max_open_orders, 'max_intents_per_window', r.max_intents_per_window, 'rate_window', r.rate_window_ns, 'reducing_loss', r.reducing_loss, 'halt_loss', r.halt_loss) FROM risk_limits r WHERE r.fund = i.fund AND r.scope = 'instrument' AND r.instrument_id = i.id), '{}')))) OVER (ORDER BY i.position ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) FROM instrument i WHERE i.fund = f.name LIMIT 1), '[]')),
        'agents', json(coalesce((SELECT json_group_array(json_object('id', a.id, 'name', a.name, 'command', json(coalesce((SELECT json_group_array(c.arg) OVER (ORDER BY c.position ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) FROM agent_command c WHERE c.fund = a.fund AND c.agent_id = a.id LIMIT 1), '[]')), 'working_dir', a.working_dir, 'instruments', json(coalesce((SELECT json_group_array(i.symbol) OVER (ORDER BY m.position ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) FROM agent_instrument m JOIN instrument i ON i.fund = m.fund AND i.id = m.instrument_id WHERE m.fund = a.fund AND m.agent_id = a.id LIMIT 1), '[]')), 'capital', a.capital, 'allowed_uids', json(coalesce((SELECT json_group_array(u.uid) OVER (ORDER BY u.position ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) FROM agent_allowed_uid u WHERE u.fund = a.fund AND u.agent_id = a.id LIMIT 1), '[]')), 'allowed_gids', json(coalesce((SELECT json_group_array(g.gid) OVER (ORDER BY g.position ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) FROM agent_allowed_gid g WHERE g.fund = a.fund AND g.agent_id = a.id LIMIT 1), '[]')), 'lease', a.lease_ns, 'silent_policy', a.silent_policy, 'wake', a.wake, 'restart', a.restart, 'max_restarts', a.max_restarts, 'risk', json(coalesce((SELECT json_object('max_order_qty', r.max_order_qty, 'max_order_notional', r.max_order_notional, 'max_position', r.max_position, 'max_gross_exposure', r.max_gross_exposure, 'max_net_exposure', r.max_net_exposure, 'max_open_orders', r.max_open_orders, 'max_intents_per_window', r.max_intents_per_window, 'rate_window', r.rate_window_ns, 'reducing_loss', r.reducing_loss, 'halt_loss', r.halt_loss) FROM risk_limits r WHERE r.fund = a.fund AND r.scope = 'agent' AND r.agent_id = a.id), '{}')))) OVER (ORDER BY a.position ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) FROM agent a WHERE a.fund = f.name LIMIT 1), '[]'))) AS document
FROM fund f;

