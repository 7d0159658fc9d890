-- Schema version 3: the live modes (issue #7). The market_data row gets the live feed's settings
-- (the FeedReceiver's: UDP address and port, multicast interface, TCP recovery address and port,
-- reorder window and timeout, stale and recovery timeouts) and the live decision policy (publish
-- and heartbeat intervals, max snapshot lag); execution gets the production venue's FIX session
-- (host, port, SenderCompID, TargetCompID, heartbeat, reset on logon, account) and the fill model
-- "venue". Existing rows get the defaults, which keep every configuration's behaviour.

DROP VIEW fundos_config_document;

ALTER TABLE market_data ADD COLUMN address TEXT NOT NULL DEFAULT '127.0.0.1' CHECK (length(address) <= 256);
ALTER TABLE market_data ADD COLUMN port BIGINT NOT NULL DEFAULT 0 CHECK (port BETWEEN 0 AND 65535);
ALTER TABLE market_data ADD COLUMN interface TEXT NOT NULL DEFAULT '127.0.0.1' CHECK (length(interface) <= 256);
ALTER TABLE market_data ADD COLUMN recovery_address TEXT NOT NULL DEFAULT '127.0.0.1' CHECK (length(recovery_address) <= 256);
ALTER TABLE market_data ADD COLUMN recovery_port BIGINT NOT NULL DEFAULT 0 CHECK (recovery_port BETWEEN 0 AND 65535);
ALTER TABLE market_data ADD COLUMN reorder_window BIGINT NOT NULL DEFAULT 64 CHECK (reorder_window BETWEEN 0 AND 65536);
ALTER TABLE market_data ADD COLUMN reorder_timeout_ns BIGINT NOT NULL DEFAULT 20000000 CHECK (reorder_timeout_ns > 0);
ALTER TABLE market_data ADD COLUMN stale_after_ns BIGINT NOT NULL DEFAULT 1000000000 CHECK (stale_after_ns > 0);
ALTER TABLE market_data ADD COLUMN recovery_timeout_ns BIGINT NOT NULL DEFAULT 2000000000 CHECK (recovery_timeout_ns > 0);
ALTER TABLE market_data ADD COLUMN publish_interval_ns BIGINT NOT NULL DEFAULT 100000000 CHECK (publish_interval_ns > 0);
ALTER TABLE market_data ADD COLUMN heartbeat_interval_ns BIGINT NOT NULL DEFAULT 1000000000 CHECK (heartbeat_interval_ns > 0);
ALTER TABLE market_data ADD COLUMN max_snapshot_lag BIGINT NOT NULL DEFAULT 4 CHECK (max_snapshot_lag BETWEEN 1 AND 1024);

ALTER TABLE execution DROP CONSTRAINT execution_fill_model_check;
ALTER TABLE execution ADD CONSTRAINT execution_fill_model_check CHECK (fill_model IN ('simulated', 'venue'));
ALTER TABLE execution ADD COLUMN venue_host TEXT NOT NULL DEFAULT '' CHECK (length(venue_host) <= 256);
ALTER TABLE execution ADD COLUMN venue_port BIGINT NOT NULL DEFAULT 0 CHECK (venue_port BETWEEN 0 AND 65535);
ALTER TABLE execution ADD COLUMN venue_sender_comp_id TEXT NOT NULL DEFAULT '' CHECK (venue_sender_comp_id ~ '^([A-Za-z0-9_][A-Za-z0-9_.-]{0,63})?$');
ALTER TABLE execution ADD COLUMN venue_target_comp_id TEXT NOT NULL DEFAULT '' CHECK (venue_target_comp_id ~ '^([A-Za-z0-9_][A-Za-z0-9_.-]{0,63})?$');
ALTER TABLE execution ADD COLUMN venue_heartbeat_s BIGINT NOT NULL DEFAULT 30 CHECK (venue_heartbeat_s BETWEEN 1 AND 3600);
ALTER TABLE execution ADD COLUMN venue_reset_on_logon BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE execution ADD COLUMN venue_account TEXT NOT NULL DEFAULT '' CHECK (venue_account ~ '^([A-Za-z0-9_][A-Za-z0-9_.-]{0,63})?$');

-- (service, document): each Fund's configuration as the JSON document a file would hold (key order
-- and spacing aside; readers normalize it with the Fund's loader). Lists keep their `position`
-- order.
CREATE VIEW fundos_config_document AS
SELECT f.name AS service,
    json_build_object(
        'name', f.name,
        'mode', f.mode,
        'capital', f.capital::text,
        'risk', coalesce((SELECT json_build_object('max_order_qty', r.max_order_qty::text, 'max_order_notional', r.max_order_notional::text, 'max_position', r.max_position::text, 'max_gross_exposure', r.max_gross_exposure::text, 'max_net_exposure', r.max_net_exposure::text, 'max_open_orders', r.max_open_orders, 'max_intents_per_window', r.max_intents_per_window, 'rate_window', r.rate_window_ns, 'reducing_loss', r.reducing_loss::text, 'halt_loss', r.halt_loss::text) FROM risk_limits r WHERE r.fund = f.name AND r.scope = 'fund'), '{}'::json),
        'simulation', coalesce((SELECT json_build_object('data', coalesce((SELECT json_agg(d.path ORDER BY d.position) FROM simulation_data d WHERE d.fund = s.fund), '[]'::json), 'decision', CASE s.decision_kind WHEN 'bar' THEN json_build_object('every', 'bar') WHEN 'events' THEN json_build_object('events', s.decision_events) ELSE json_build_object('interval', s.decision_interval_ns) END, 'answer_timeout_ms', s.answer_timeout_ms, 'start_timeout_ms', s.start_timeout_ms, 'stale_after', s.stale_after_ns, 'max_steps', s.max_steps) FROM simulation s WHERE s.fund = f.name), '{}'::json),
        'execution', coalesce((SELECT json_build_object('fill_model', e.fill_model, 'slippage_bps', e.slippage_bps, 'fee_per_share', e.fee_per_share::text, 'fee_bps', e.fee_bps::text, 'latency', e.latency_ns, 'participation_pct', e.participation_pct, 'venue', json_build_object('name', e.venue_name, 'endpoint', e.venue_endpoint, 'host', e.venue_host, 'port', e.venue_port, 'sender_comp_id', e.venue_sender_comp_id, 'target_comp_id', e.venue_target_comp_id, 'heartbeat_s', e.venue_heartbeat_s, 'reset_on_logon', e.venue_reset_on_logon, 'account', e.venue_account)) FROM execution e WHERE e.fund = f.name), '{}'::json),
        'market_data', coalesce((SELECT json_build_object('source', m.source, 'feed', m.feed, 'address', m.address, 'port', m.port, 'interface', m.interface, 'recovery_address', m.recovery_address, 'recovery_port', m.recovery_port, 'reorder_window', m.reorder_window, 'reorder_timeout', m.reorder_timeout_ns, 'stale_after', m.stale_after_ns, 'recovery_timeout', m.recovery_timeout_ns, 'publish_interval', m.publish_interval_ns, 'heartbeat_interval', m.heartbeat_interval_ns, 'max_snapshot_lag', m.max_snapshot_lag) FROM market_data m WHERE m.fund = f.name), '{}'::json),
        'instruments', coalesce((SELECT json_agg(json_build_object('id', i.id, 'symbol', i.symbol, 'currency', i.currency, 'status', i.status, 'tick_size', i.tick_size::text, 'lot_size', i.lot_size::text, 'restricted', i.restricted, 'price_collar_bps', i.price_collar_bps, 'risk', coalesce((SELECT json_build_object('max_order_qty', r.max_order_qty::text, 'max_order_notional', r.max_order_notional::text, 'max_position', r.max_position::text, 'max_gross_exposure', r.max_gross_exposure::text, 'max_net_exposure', r.max_net_exposure::text, 'max_open_orders', r.max_open_orders, 'max_intents_per_window', r.max_intents_per_window, 'rate_window', r.rate_window_ns, 'reducing_loss', r.reducing_loss::text, 'halt_loss', r.halt_loss::text) FROM risk_limits r WHERE r.fund = i.fund AND r.scope = 'instrument' AND r.instrument_id = i.id), '{}'::json)) ORDER BY CASE i.status WHEN 'enabled' THEN 0 ELSE 1 END, i.position) FROM instrument i WHERE i.fund = f.name), '[]'::json),
        'agents', coalesce((SELECT json_agg(json_build_object('id', a.id, 'name', a.name, 'command', coalesce((SELECT json_agg(c.arg ORDER BY c.position) FROM agent_command c WHERE c.fund = a.fund AND c.agent_id = a.id), '[]'::json), 'working_dir', a.working_dir, 'instruments', coalesce((SELECT json_agg(i.symbol ORDER BY m.position) FROM agent_instrument m JOIN instrument i ON i.fund = m.fund AND i.id = m.instrument_id WHERE m.fund = a.fund AND m.agent_id = a.id), '[]'::json), 'capital', a.capital::text, 'allowed_uids', coalesce((SELECT json_agg(u.uid ORDER BY u.position) FROM agent_allowed_uid u WHERE u.fund = a.fund AND u.agent_id = a.id), '[]'::json), 'allowed_gids', coalesce((SELECT json_agg(g.gid ORDER BY g.position) FROM agent_allowed_gid g WHERE g.fund = a.fund AND g.agent_id = a.id), '[]'::json), 'lease', a.lease_ns, 'silent_policy', a.silent_policy, 'wake', a.wake, 'restart', a.restart, 'max_restarts', a.max_restarts, 'risk', coalesce((SELECT json_build_object('max_order_qty', r.max_order_qty::text, 'max_order_notional', r.max_order_notional::text, 'max_position', r.max_position::text, 'max_gross_exposure', r.max_gross_exposure::text, 'max_net_exposure', r.max_net_exposure::text, 'max_open_orders', r.max_open_orders, 'max_intents_per_window', r.max_intents_per_window, 'rate_window', r.rate_window_ns, 'reducing_loss', r.reducing_loss::text, 'halt_loss', r.halt_loss::text) FROM risk_limits r WHERE r.fund = a.fund AND r.scope = 'agent' AND r.agent_id = a.id), '{}'::json)) ORDER BY a.position) FROM agent a WHERE a.fund = f.name), '[]'::json))::text AS document
FROM fund f;

