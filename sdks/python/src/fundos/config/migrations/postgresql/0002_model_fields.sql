-- Schema version 2: the model fields issue #6 lists that version 1 lacked: an instrument's
-- currency and status (enabled/disabled), the execution's fill model and venue, and the market
-- data source. Existing rows get the defaults, which keep every configuration's behaviour.

ALTER TABLE instrument ADD COLUMN currency TEXT NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$');
ALTER TABLE instrument ADD COLUMN status TEXT NOT NULL DEFAULT 'enabled' CHECK (status IN ('enabled', 'disabled'));
ALTER TABLE execution ADD COLUMN fill_model TEXT NOT NULL DEFAULT 'simulated' CHECK (fill_model IN ('simulated'));
ALTER TABLE execution ADD COLUMN venue_name TEXT NOT NULL DEFAULT '' CHECK (venue_name ~ '^([A-Za-z0-9_][A-Za-z0-9_.-]{0,63})?$');
ALTER TABLE execution ADD COLUMN venue_endpoint TEXT NOT NULL DEFAULT '' CHECK (length(venue_endpoint) <= 256);

CREATE TABLE market_data (
    fund TEXT PRIMARY KEY REFERENCES fund (name) ON DELETE CASCADE ON UPDATE CASCADE,
    source TEXT NOT NULL DEFAULT 'replay' CHECK (source IN ('replay', 'live')),
    feed TEXT NOT NULL DEFAULT '' CHECK (length(feed) <= 256)
);
INSERT INTO market_data (fund) SELECT name FROM fund;

DROP VIEW fundos_config_document;
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
        'execution', coalesce((SELECT json_build_object('fill_model', e.fill_model, 'slippage_bps', e.slippage_bps, 'fee_per_share', e.fee_per_share::text, 'fee_bps', e.fee_bps::text, 'latency', e.latency_ns, 'participation_pct', e.participation_pct, 'venue', json_build_object('name', e.venue_name, 'endpoint', e.venue_endpoint)) FROM execution e WHERE e.fund = f.name), '{}'::json),
        'market_data', coalesce((SELECT json_build_object('source', m.source, 'feed', m.feed) FROM market_data m WHERE m.fund = f.name), '{}'::json),
        'instruments', coalesce((SELECT json_agg(json_build_object('id', i.id, 'symbol', i.symbol, 'currency', i.currency, 'status', i.status, 'tick_size', i.tick_size::text, 'lot_size', i.lot_size::text, 'restricted', i.restricted, 'price_collar_bps', i.price_collar_bps, 'risk', coalesce((SELECT json_build_object('max_order_qty', r.max_order_qty::text, 'max_order_notional', r.max_order_notional::text, 'max_position', r.max_position::text, 'max_gross_exposure', r.max_gross_exposure::text, 'max_net_exposure', r.max_net_exposure::text, 'max_open_orders', r.max_open_orders, 'max_intents_per_window', r.max_intents_per_window, 'rate_window', r.rate_window_ns, 'reducing_loss', r.reducing_loss::text, 'halt_loss', r.halt_loss::text) FROM risk_limits r WHERE r.fund = i.fund AND r.scope = 'instrument' AND r.instrument_id = i.id), '{}'::json)) ORDER BY CASE i.status WHEN 'enabled' THEN 0 ELSE 1 END, i.position) FROM instrument i WHERE i.fund = f.name), '[]'::json),
        'agents', coalesce((SELECT json_agg(json_build_object('id', a.id, 'name', a.name, 'command', coalesce((SELECT json_agg(c.arg ORDER BY c.position) FROM agent_command c WHERE c.fund = a.fund AND c.agent_id = a.id), '[]'::json), 'working_dir', a.working_dir, 'instruments', coalesce((SELECT json_agg(i.symbol ORDER BY m.position) FROM agent_instrument m JOIN instrument i ON i.fund = m.fund AND i.id = m.instrument_id WHERE m.fund = a.fund AND m.agent_id = a.id), '[]'::json), 'capital', a.capital::text, 'allowed_uids', coalesce((SELECT json_agg(u.uid ORDER BY u.position) FROM agent_allowed_uid u WHERE u.fund = a.fund AND u.agent_id = a.id), '[]'::json), 'allowed_gids', coalesce((SELECT json_agg(g.gid ORDER BY g.position) FROM agent_allowed_gid g WHERE g.fund = a.fund AND g.agent_id = a.id), '[]'::json), 'lease', a.lease_ns, 'silent_policy', a.silent_policy, 'wake', a.wake, 'restart', a.restart, 'max_restarts', a.max_restarts, 'risk', coalesce((SELECT json_build_object('max_order_qty', r.max_order_qty::text, 'max_order_notional', r.max_order_notional::text, 'max_position', r.max_position::text, 'max_gross_exposure', r.max_gross_exposure::text, 'max_net_exposure', r.max_net_exposure::text, 'max_open_orders', r.max_open_orders, 'max_intents_per_window', r.max_intents_per_window, 'rate_window', r.rate_window_ns, 'reducing_loss', r.reducing_loss::text, 'halt_loss', r.halt_loss::text) FROM risk_limits r WHERE r.fund = a.fund AND r.scope = 'agent' AND r.agent_id = a.id), '{}'::json)) ORDER BY a.position) FROM agent a WHERE a.fund = f.name), '[]'::json))::text AS document
FROM fund f;

