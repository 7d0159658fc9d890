-- Schema version 3: the live modes (issue #7). The market_data row gets the live feed's settings
-- (the FeedReceiver's: UDP address and port, multicast interface, TCP recovery address and port,
-- reorder window and timeout, stale and recovery timeouts) and the live decision policy (publish
-- and heartbeat intervals, max snapshot lag); execution gets the production venue's FIX session
-- (host, port, SenderCompID, TargetCompID, heartbeat, reset on logon, account) and the fill model
-- "venue". Existing rows get the defaults, which keep every configuration's behaviour.

DROP VIEW fundos_config_document;

ALTER TABLE market_data ADD COLUMN address TEXT NOT NULL DEFAULT '127.0.0.1' CHECK (length(address) <= 256);
ALTER TABLE market_data ADD COLUMN port INTEGER NOT NULL DEFAULT 0 CHECK (port BETWEEN 0 AND 65535);
ALTER TABLE market_data ADD COLUMN interface TEXT NOT NULL DEFAULT '127.0.0.1' CHECK (length(interface) <= 256);
ALTER TABLE market_data ADD COLUMN recovery_address TEXT NOT NULL DEFAULT '127.0.0.1' CHECK (length(recovery_address) <= 256);
ALTER TABLE market_data ADD COLUMN recovery_port INTEGER NOT NULL DEFAULT 0 CHECK (recovery_port BETWEEN 0 AND 65535);
ALTER TABLE market_data ADD COLUMN reorder_window INTEGER NOT NULL DEFAULT 64 CHECK (reorder_window BETWEEN 0 AND 65536);
ALTER TABLE market_data ADD COLUMN reorder_timeout_ns INTEGER NOT NULL DEFAULT 20000000 CHECK (reorder_timeout_ns > 0);
ALTER TABLE market_data ADD COLUMN stale_after_ns INTEGER NOT NULL DEFAULT 1000000000 CHECK (stale_after_ns > 0);
ALTER TABLE market_data ADD COLUMN recovery_timeout_ns INTEGER NOT NULL DEFAULT 2000000000 CHECK (recovery_timeout_ns > 0);
ALTER TABLE market_data ADD COLUMN publish_interval_ns INTEGER NOT NULL DEFAULT 100000000 CHECK (publish_interval_ns > 0);
ALTER TABLE market_data ADD COLUMN heartbeat_interval_ns INTEGER NOT NULL DEFAULT 1000000000 CHECK (heartbeat_interval_ns > 0);
ALTER TABLE market_data ADD COLUMN max_snapshot_lag INTEGER NOT NULL DEFAULT 4 CHECK (max_snapshot_lag BETWEEN 1 AND 1024);

-- SQLite cannot change a column's CHECK (fill_model gains "venue"): the table is rebuilt.
CREATE TABLE execution_v3 (
    fund TEXT PRIMARY KEY REFERENCES fund (name) ON DELETE CASCADE ON UPDATE CASCADE,
    slippage_bps INTEGER NOT NULL DEFAULT 0 CHECK (slippage_bps BETWEEN 0 AND 10000),
    fee_per_share TEXT NOT NULL DEFAULT '0' CHECK (fee_per_share GLOB '[0-9]*' AND fee_per_share NOT GLOB '*[^0-9.]*' AND fee_per_share NOT GLOB '*.*.*'),
    fee_bps TEXT NOT NULL DEFAULT '0' CHECK (fee_bps GLOB '[0-9]*' AND fee_bps NOT GLOB '*[^0-9.]*' AND fee_bps NOT GLOB '*.*.*') ,
    latency_ns INTEGER NOT NULL DEFAULT 0 CHECK (latency_ns >= 0),
    participation_pct INTEGER NOT NULL DEFAULT 100 CHECK (participation_pct BETWEEN 1 AND 100),
    fill_model TEXT NOT NULL DEFAULT 'simulated' CHECK (fill_model IN ('simulated', 'venue')),
    venue_name TEXT NOT NULL DEFAULT '' CHECK (venue_name = '' OR (length(venue_name) <= 64 AND venue_name NOT GLOB '*[^A-Za-z0-9_.-]*')),
    venue_endpoint TEXT NOT NULL DEFAULT '' CHECK (length(venue_endpoint) <= 256),
    venue_host TEXT NOT NULL DEFAULT '' CHECK (length(venue_host) <= 256),
    venue_port INTEGER NOT NULL DEFAULT 0 CHECK (venue_port BETWEEN 0 AND 65535),
    venue_sender_comp_id TEXT NOT NULL DEFAULT '' CHECK ((venue_sender_comp_id = '' OR (length(venue_sender_comp_id) <= 64 AND venue_sender_comp_id NOT GLOB '*[^A-Za-z0-9_.-]*' AND venue_sender_comp_id NOT GLOB '[.-]*'))),
    venue_target_comp_id TEXT NOT NULL DEFAULT '' CHECK ((venue_target_comp_id = '' OR (length(venue_target_comp_id) <= 64 AND venue_target_comp_id NOT GLOB '*[^A-Za-z0-9_.-]*' AND venue_target_comp_id NOT GLOB '[.-]*'))),
    venue_heartbeat_s INTEGER NOT NULL DEFAULT 30 CHECK (venue_heartbeat_s BETWEEN 1 AND 3600),
    venue_reset_on_logon INTEGER NOT NULL DEFAULT 0 CHECK (venue_reset_on_logon IN (0, 1)),
    venue_account TEXT NOT NULL DEFAULT '' CHECK ((venue_account = '' OR (length(venue_account) <= 64 AND venue_account NOT GLOB '*[^A-Za-z0-9_.-]*' AND venue_account NOT GLOB '[.-]*')))
);
INSERT INTO execution_v3 (fund, slippage_bps, fee_per_share, fee_bps, latency_ns, participation_pct, fill_model, venue_name, venue_endpoint) SELECT fund, slippage_bps, fee_per_share, fee_bps, latency_ns, participation_pct, fill_model, venue_name, venue_endpoint FROM execution;
DROP TABLE execution;
ALTER TABLE execution_v3 RENAME TO execution;

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
        'execution', json(coalesce((SELECT json_object('fill_model', e.fill_model, 'slippage_bps', e.slippage_bps, 'fee_per_share', e.fee_per_share, 'fee_bps', e.fee_bps, 'latency', e.latency_ns, 'participation_pct', e.participation_pct, 'venue', json_object('name', e.venue_name, 'endpoint', e.venue_endpoint, 'host', e.venue_host, 'port', e.venue_port, 'sender_comp_id', e.venue_sender_comp_id, 'target_comp_id', e.venue_target_comp_id, 'heartbeat_s', e.venue_heartbeat_s, 'reset_on_logon', json(CASE WHEN e.venue_reset_on_logon THEN 'true' ELSE 'false' END), 'account', e.venue_account)) FROM execution e WHERE e.fund = f.name), '{}')),
        'market_data', json(coalesce((SELECT json_object('source', m.source, 'feed', m.feed, 'address', m.address, 'port', m.port, 'interface', m.interface, 'recovery_address', m.recovery_address, 'recovery_port', m.recovery_port, 'reorder_window', m.reorder_window, 'reorder_timeout', m.reorder_timeout_ns, 'stale_after', m.stale_after_ns, 'recovery_timeout', m.recovery_timeout_ns, 'publish_interval', m.publish_interval_ns, 'heartbeat_interval', m.heartbeat_interval_ns, 'max_snapshot_lag', m.max_snapshot_lag) FROM market_data m WHERE m.fund = f.name), '{}')),
        'instruments', json(coalesce((SELECT json_group_array(json_object('id', i.id, 'symbol', i.symbol, 'currency', i.currency, 'status', i.status, 'tick_size', i.tick_size, 'lot_size', i.lot_size, 'restricted', json(CASE WHEN i.restricted THEN 'true' ELSE 'false' END), 'price_collar_bps', i.price_collar_bps, 'risk', json(coalesce((SELECT json_object('max_order_qty', r.max_order_qty, 'max_order_notional', r.max_order_notional, 'max_position', r.max_position, 'max_gross_exposure', r.max_gross_exposure, 'max_net_exposure', r.max_net_exposure, 'max_open_orders', r.max_open_orders, 'max_intents_per_window', r.max_intents_per_window, 'rate_window', r.rate_window_ns, 'reducing_loss', r.reducing_loss, 'halt_loss', r.halt_loss) FROM risk_limits r WHERE r.fund = i.fund AND r.scope = 'instrument' AND r.instrument_id = i.id), '{}')))) OVER (ORDER BY CASE i.status WHEN 'enabled' THEN 0 ELSE 1 END, i.position ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) FROM instrument i WHERE i.fund = f.name LIMIT 1), '[]')),
        'agents', json(coalesce((SELECT json_group_array(json_object('id', a.id, 'name', a.name, 'command', json(coalesce((SELECT json_group_array(c.arg) OVER (ORDER BY c.position ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) FROM agent_command c WHERE c.fund = a.fund AND c.agent_id = a.id LIMIT 1), '[]')), 'working_dir', a.working_dir, 'instruments', json(coalesce((SELECT json_group_array(i.symbol) OVER (ORDER BY m.position ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) FROM agent_instrument m JOIN instrument i ON i.fund = m.fund AND i.id = m.instrument_id WHERE m.fund = a.fund AND m.agent_id = a.id LIMIT 1), '[]')), 'capital', a.capital, 'allowed_uids', json(coalesce((SELECT json_group_array(u.uid) OVER (ORDER BY u.position ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) FROM agent_allowed_uid u WHERE u.fund = a.fund AND u.agent_id = a.id LIMIT 1), '[]')), 'allowed_gids', json(coalesce((SELECT json_group_array(g.gid) OVER (ORDER BY g.position ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) FROM agent_allowed_gid g WHERE g.fund = a.fund AND g.agent_id = a.id LIMIT 1), '[]')), 'lease', a.lease_ns, 'silent_policy', a.silent_policy, 'wake', a.wake, 'restart', a.restart, 'max_restarts', a.max_restarts, 'risk', json(coalesce((SELECT json_object('max_order_qty', r.max_order_qty, 'max_order_notional', r.max_order_notional, 'max_position', r.max_position, 'max_gross_exposure', r.max_gross_exposure, 'max_net_exposure', r.max_net_exposure, 'max_open_orders', r.max_open_orders, 'max_intents_per_window', r.max_intents_per_window, 'rate_window', r.rate_window_ns, 'reducing_loss', r.reducing_loss, 'halt_loss', r.halt_loss) FROM risk_limits r WHERE r.fund = a.fund AND r.scope = 'agent' AND r.agent_id = a.id), '{}')))) OVER (ORDER BY a.position ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) FROM agent a WHERE a.fund = f.name LIMIT 1), '[]'))) AS document
FROM fund f;

