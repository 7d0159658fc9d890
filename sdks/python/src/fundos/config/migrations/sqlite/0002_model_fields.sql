-- Schema version 2: the model fields issue #6 lists that version 1 lacked: an instrument's
-- currency and status (enabled/disabled), the execution's fill model and venue, and the market
-- data source. Existing rows get the defaults, which keep every configuration's behaviour.

ALTER TABLE instrument ADD COLUMN currency TEXT NOT NULL DEFAULT 'USD' CHECK (length(currency) = 3 AND currency NOT GLOB '*[^A-Z]*');
ALTER TABLE instrument ADD COLUMN status TEXT NOT NULL DEFAULT 'enabled' CHECK (status IN ('enabled', 'disabled'));
ALTER TABLE execution ADD COLUMN fill_model TEXT NOT NULL DEFAULT 'simulated' CHECK (fill_model IN ('simulated'));
ALTER TABLE execution ADD COLUMN venue_name TEXT NOT NULL DEFAULT '' CHECK (venue_name = '' OR (length(venue_name) <= 64 AND venue_name NOT GLOB '*[^A-Za-z0-9_.-]*'));
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
    json_object(
        'name', f.name,
        'mode', f.mode,
        'capital', f.capital,
        'risk', json(coalesce((SELECT json_object('max_order_qty', r.max_order_qty, 'max_order_notional', r.max_order_notional, 'max_position', r.max_position, 'max_gross_exposure', r.max_gross_exposure, 'max_net_exposure', r.max_net_exposure, 'max_open_orders', r.max_open_orders, 'max_intents_per_window', r.max_intents_per_window, 'rate_window', r.rate_window_ns, 'reducing_loss', r.reducing_loss, 'halt_loss', r.halt_loss) FROM risk_limits r WHERE r.fund = f.name AND r.scope = 'fund'), '{}')),
        'simulation', json(coalesce((SELECT json_object('data', json(coalesce((SELECT json_group_array(d.path) OVER (ORDER BY d.position ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) FROM simulation_data d WHERE d.fund = s.fund LIMIT 1), '[]')), 'decision', json(CASE s.decision_kind WHEN 'bar' THEN json_object('every', 'bar') WHEN 'events' THEN json_object('events', s.decision_events) ELSE json_object('interval', s.decision_interval_ns) END), 'answer_timeout_ms', s.answer_timeout_ms, 'start_timeout_ms', s.start_timeout_ms, 'stale_after', s.stale_after_ns, 'max_steps', s.max_steps) FROM simulation s WHERE s.fund = f.name), '{}')),
        'execution', json(coalesce((SELECT json_object('fill_model', e.fill_model, 'slippage_bps', e.slippage_bps, 'fee_per_share', e.fee_per_share, 'fee_bps', e.fee_bps, 'latency', e.latency_ns, 'participation_pct', e.participation_pct, 'venue', json_object('name', e.venue_name, 'endpoint', e.venue_endpoint)) FROM execution e WHERE e.fund = f.name), '{}')),
        'market_data', json(coalesce((SELECT json_object('source', m.source, 'feed', m.feed) FROM market_data m WHERE m.fund = f.name), '{}')),
        'instruments', json(coalesce((SELECT json_group_array(json_object('id', i.id, 'symbol', i.symbol, 'currency', i.currency, 'status', i.status, 'tick_size', i.tick_size, 'lot_size', i.lot_size, 'restricted', json(CASE WHEN i.restricted THEN 'true' ELSE 'false' END), 'price_collar_bps', i.price_collar_bps, 'risk', json(coalesce((SELECT json_object('max_order_qty', r.max_order_qty, 'max_order_notional', r.max_order_notional, 'max_position', r.max_position, 'max_gross_exposure', r.max_gross_exposure, 'max_net_exposure', r.max_net_exposure, 'max_open_orders', r.max_open_orders, 'max_intents_per_window', r.max_intents_per_window, 'rate_window', r.rate_window_ns, 'reducing_loss', r.reducing_loss, 'halt_loss', r.halt_loss) FROM risk_limits r WHERE r.fund = i.fund AND r.scope = 'instrument' AND r.instrument_id = i.id), '{}')))) OVER (ORDER BY CASE i.status WHEN 'enabled' THEN 0 ELSE 1 END, i.position ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) FROM instrument i WHERE i.fund = f.name LIMIT 1), '[]')),
        'agents', json(coalesce((SELECT json_group_array(json_object('id', a.id, 'name', a.name, 'command', json(coalesce((SELECT json_group_array(c.arg) OVER (ORDER BY c.position ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) FROM agent_command c WHERE c.fund = a.fund AND c.agent_id = a.id LIMIT 1), '[]')), 'working_dir', a.working_dir, 'instruments', json(coalesce((SELECT json_group_array(i.symbol) OVER (ORDER BY m.position ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) FROM agent_instrument m JOIN instrument i ON i.fund = m.fund AND i.id = m.instrument_id WHERE m.fund = a.fund AND m.agent_id = a.id LIMIT 1), '[]')), 'capital', a.capital, 'allowed_uids', json(coalesce((SELECT json_group_array(u.uid) OVER (ORDER BY u.position ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) FROM agent_allowed_uid u WHERE u.fund = a.fund AND u.agent_id = a.id LIMIT 1), '[]')), 'allowed_gids', json(coalesce((SELECT json_group_array(g.gid) OVER (ORDER BY g.position ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) FROM agent_allowed_gid g WHERE g.fund = a.fund AND g.agent_id = a.id LIMIT 1), '[]')), 'lease', a.lease_ns, 'silent_policy', a.silent_policy, 'wake', a.wake, 'restart', a.restart, 'max_restarts', a.max_restarts, 'risk', json(coalesce((SELECT json_object('max_order_qty', r.max_order_qty, 'max_order_notional', r.max_order_notional, 'max_position', r.max_position, 'max_gross_exposure', r.max_gross_exposure, 'max_net_exposure', r.max_net_exposure, 'max_open_orders', r.max_open_orders, 'max_intents_per_window', r.max_intents_per_window, 'rate_window', r.rate_window_ns, 'reducing_loss', r.reducing_loss, 'halt_loss', r.halt_loss) FROM risk_limits r WHERE r.fund = a.fund AND r.scope = 'agent' AND r.agent_id = a.id), '{}')))) OVER (ORDER BY a.position ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) FROM agent a WHERE a.fund = f.name LIMIT 1), '[]'))) AS document
FROM fund f;

