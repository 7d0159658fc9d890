"""The systems FundOS's replay is measured against, on the same SPY trade ticks with the same
strategy logic; run by bench/bench_fund.py under bench/.venv's Python (bench/requirements.txt),
one process per run, so the parent's wait4 gives each run's peak memory (ru_maxrss).

The logic, the same as bench/agents/replay_agent.c and replay_agent.py: on every trade tick read
its price and size; every --every ticks one market order of 1 share, alternately buy and sell.

  nautilus     NautilusTrader: BacktestEngine, one XNAS venue (netting, margin account),
               TestInstrumentProvider.equity('SPY'), a Strategy subscribed to the trade ticks,
               log level ERROR. The ticks are built (TradeTickDataWrangler) and added before the
               clock starts; events/s = ticks / the wall time of engine.run().
  backtrader   backtrader: Cerebro(stdstats=False) with one data feed of the ticks (timeframe
               Ticks, open = high = low = close = the trade price, volume = its size) and a
               Strategy whose next() runs once per tick; buy(size=1) / sell(size=1). The feed
               is preloaded (backtrader's default) before the strategy starts; events/s = ticks
               / the wall time from Strategy.start() to Strategy.stop() (the event loop only).
  hftbacktest  hftbacktest (a further reference, not the same kind of system: a single-process
               backtester whose strategy is Numba-compiled): the setup of its Getting Started
               tutorial (BacktestAsset ... no_partial_fill_exchange(), HashMapMarketDepthBacktest,
               an @njit strategy loop), on the ticks converted to its event format (below);
               the strategy waits for every feed event (wait_next_feed), reads each new trade's
               price and size (last_trades) and every --every trades submits a MARKET order of
               1 at the book's best price. Its JIT compilation runs first on the first 3000
               events and is outside the clock; events/s = trades / the wall time of the
               strategy's run over the whole array.

Converting the ticks for hftbacktest: the LEAN trade ticks carry no book and no aggressor side,
while hftbacktest fills a market order against its book. Each trade becomes a TRADE_EVENT
(exchange and local timestamps both the trade's time, side by the tick rule: above the last
price BUY, otherwise SELL), preceded, whenever the trade price changes, by two DEPTH_BBO_EVENTs:
a one-tick book of bid = price - 0.01 and ask = price + 0.01, 1000 shares each. Latency 0, no
fees, tick size 0.01, lot size 1.

Every run prints one JSON line: system, events (ticks replayed), wall_ns, ticks_seen, orders,
filled, feed_events (what the system itself iterated), prep_s (building its input, outside the
clock), version.

Usage: bench/.venv/bin/python bench/peers.py nautilus|backtrader|hftbacktest --fmd FILE
                                             [--events N] [--every 1000]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import sys
import time
from typing import Any

EVERY = 1000


def load_ticks(fmd: str, events: int) -> Any:
    """The trade records of a .fmd file as a numpy structured array (its first `events`, 0: all)."""
    import numpy as np

    record = np.dtype([("time", "<u8"), ("seq", "<u4"), ("instrument_id", "<u4"), ("source", "<u2"),
                       ("kind", "u1"), ("flags", "u1"), ("period_s", "<u4"), ("v", "<i8", (5,))])
    header = np.fromfile(fmd, dtype="<u8", count=16)
    records = np.fromfile(fmd, dtype=record, offset=int(header[5]))  # header word 5: records_offset
    return records[:events] if events > 0 else records


def prices(records: Any) -> tuple[Any, Any]:
    """Trade prices (dollars; .fmd prices are 10^-8) and sizes (shares; 10^-6)."""
    return records["v"][:, 0] / 1e8, records["v"][:, 1] / 1e6


# ---------------------------------------------------------------- NautilusTrader

def run_nautilus(args: argparse.Namespace) -> dict[str, Any]:
    import pandas as pd
    from nautilus_trader.backtest.engine import BacktestEngine, BacktestEngineConfig
    from nautilus_trader.config import LoggingConfig, StrategyConfig
    from nautilus_trader.model.currencies import USD
    from nautilus_trader.model.data import TradeTick
    from nautilus_trader.model.enums import AccountType, OmsType, OrderSide
    from nautilus_trader.model.identifiers import InstrumentId, Venue
    from nautilus_trader.model.objects import Money, Quantity
    from nautilus_trader.persistence.wranglers import TradeTickDataWrangler
    from nautilus_trader.test_kit.providers import TestInstrumentProvider
    from nautilus_trader.trading.strategy import Strategy

    class ReplayConfig(StrategyConfig, frozen=True):  # type: ignore[misc,call-arg]  # bench/.venv only
        instrument_id: InstrumentId
        every: int = EVERY

    class ReplayStrategy(Strategy):  # type: ignore[misc]  # bench/.venv only
        """On every trade tick: read its price and size; every `every` ticks a market order of 1,
        alternately buy and sell (the FundOS bench agents' logic)."""

        def __init__(self, config: ReplayConfig) -> None:
            super().__init__(config)
            self.instrument_id = config.instrument_id
            self.every = config.every
            self.ticks = 0
            self.orders = 0
            self.checksum = 0.0
            self.one = Quantity.from_int(1)

        def on_start(self) -> None:
            self.subscribe_trade_ticks(self.instrument_id)

        def on_trade_tick(self, tick: TradeTick) -> None:
            self.ticks += 1
            self.checksum += tick.price.as_double() + tick.size.as_double()
            if self.ticks % self.every == 0:
                side = OrderSide.BUY if self.orders % 2 == 0 else OrderSide.SELL
                self.submit_order(self.order_factory.market(self.instrument_id, side, self.one))
                self.orders += 1

    t0 = time.perf_counter()
    records = load_ticks(args.fmd, args.events)
    price, size = prices(records)
    instrument = TestInstrumentProvider.equity("SPY", "XNAS")
    frame = pd.DataFrame({"price": price, "quantity": size, "trade_id": records["seq"].astype(str)},
                         index=pd.to_datetime(records["time"].astype("int64"), unit="ns", utc=True))
    ticks = TradeTickDataWrangler(instrument).process(frame)
    engine = BacktestEngine(BacktestEngineConfig(logging=LoggingConfig(log_level="ERROR")))
    engine.add_venue(venue=Venue("XNAS"), oms_type=OmsType.NETTING, account_type=AccountType.MARGIN,
                     base_currency=USD, starting_balances=[Money(1_000_000, USD)])
    engine.add_instrument(instrument)
    engine.add_data(ticks)
    strategy = ReplayStrategy(ReplayConfig(instrument_id=instrument.id, every=args.every))
    engine.add_strategy(strategy)
    prep = time.perf_counter() - t0
    t1 = time.perf_counter_ns()
    engine.run()
    wall = time.perf_counter_ns() - t1
    filled = sum(1 for order in engine.cache.orders() if order.is_closed)
    result = {"events": len(ticks), "wall_ns": wall, "ticks_seen": strategy.ticks, "orders": strategy.orders,
              "filled": filled, "feed_events": len(ticks), "prep_s": prep}
    engine.dispose()
    return result


# ---------------------------------------------------------------- backtrader

def run_backtrader(args: argparse.Namespace) -> dict[str, Any]:
    import backtrader as bt
    import numpy as np

    t0 = time.perf_counter()
    records = load_ticks(args.fmd, args.events)
    price, size = prices(records)
    # backtrader's date number: days since 0001-01-01 (proleptic ordinal 1) plus the fraction of
    # the day, UTC; 719163 is the ordinal of 1970-01-01.
    dates = records["time"].astype(np.float64) / 86_400e9 + 719_163.0
    del records

    class TickFeed(bt.feed.DataBase):  # type: ignore[misc]  # bench/.venv only
        """The ticks from numpy arrays (8 bytes a value, as a DataFrame holds them; PandasData's own
        per-row .iloc takes longer than the run itself, so the preload reads the arrays instead)."""

        def start(self) -> None:
            super().start()
            self.index = -1

        def _load(self) -> bool:
            self.index += 1
            if self.index >= len(dates):
                return False
            p = float(price[self.index])
            lines = self.lines
            lines.datetime[0] = float(dates[self.index])
            lines.open[0] = lines.high[0] = lines.low[0] = lines.close[0] = p
            lines.volume[0] = float(size[self.index])
            lines.openinterest[0] = 0.0
            return True

    class ReplayStrategy(bt.Strategy):  # type: ignore[misc]  # bench/.venv only
        """next() once per tick: read the price and size; every `every` ticks buy or sell 1."""

        params = (("every", EVERY),)

        def __init__(self) -> None:
            self.ticks = 0
            self.orders = 0
            self.filled = 0
            self.checksum = 0.0
            self.t_start = self.t_stop = 0

        def start(self) -> None:
            self.t_start = time.perf_counter_ns()

        def stop(self) -> None:
            self.t_stop = time.perf_counter_ns()

        def notify_order(self, order: Any) -> None:
            if order.status == order.Completed:
                self.filled += 1

        def next(self) -> None:
            self.ticks += 1
            self.checksum += self.data.close[0] + self.data.volume[0]
            if self.ticks % self.p.every == 0:
                if self.orders % 2 == 0:
                    self.buy(size=1)
                else:
                    self.sell(size=1)
                self.orders += 1

    cerebro = bt.Cerebro(stdstats=False)
    cerebro.adddata(TickFeed(timeframe=bt.TimeFrame.Ticks))
    cerebro.addstrategy(ReplayStrategy, every=args.every)
    cerebro.broker.setcash(1_000_000.0)
    prep = time.perf_counter() - t0
    t1 = time.perf_counter()
    strategy = cerebro.run()[0]
    prep += (time.perf_counter() - t1) - (strategy.t_stop - strategy.t_start) / 1e9  # the preload
    return {"events": len(dates), "wall_ns": strategy.t_stop - strategy.t_start, "ticks_seen": strategy.ticks,
            "orders": strategy.orders, "filled": strategy.filled, "feed_events": len(dates), "prep_s": prep}


# ---------------------------------------------------------------- hftbacktest

def hftbacktest_events(records: Any) -> Any:
    """The ticks as hftbacktest events: a trade each, after a one-tick BBO when its price changed."""
    import numpy as np
    from hftbacktest import BUY_EVENT, DEPTH_BBO_EVENT, EXCH_EVENT, LOCAL_EVENT, SELL_EVENT, TRADE_EVENT, event_dtype

    price, size = prices(records)
    price = np.round(price, 2)
    stamp = records["time"].astype(np.int64)
    changed = np.ones(len(price), dtype=bool)
    changed[1:] = price[1:] != price[:-1]
    width = 1 + 2 * changed.astype(np.int64)  # events per trade
    end = np.cumsum(width)
    trade_at = end - 1
    bid_at = (end - width)[changed]
    up = np.zeros(len(price), dtype=bool)
    up[1:] = price[1:] > price[:-1]
    events = np.zeros(int(end[-1]) if len(end) else 0, dtype=event_dtype)
    events["ev"][trade_at] = EXCH_EVENT | LOCAL_EVENT | TRADE_EVENT | np.where(up, BUY_EVENT, SELL_EVENT)
    events["exch_ts"][trade_at] = events["local_ts"][trade_at] = stamp
    events["px"][trade_at] = price
    events["qty"][trade_at] = size
    for at, offset, side in ((bid_at, -0.01, BUY_EVENT), (bid_at + 1, 0.01, SELL_EVENT)):
        events["ev"][at] = EXCH_EVENT | LOCAL_EVENT | DEPTH_BBO_EVENT | side
        events["exch_ts"][at] = events["local_ts"][at] = stamp[changed]
        events["px"][at] = np.round(price[changed] + offset, 2)
        events["qty"][at] = 1000.0
    return events


def run_hftbacktest(args: argparse.Namespace) -> dict[str, Any]:
    from hftbacktest import GTC, MARKET, BacktestAsset, HashMapMarketDepthBacktest
    from numba import njit

    @njit  # type: ignore[untyped-decorator]  # bench/.venv only
    def strategy(hbt: Any, every: int) -> tuple[int, int, float]:
        ticks = orders = 0
        checksum = 0.0
        while hbt.wait_next_feed(False, 1 << 62) == 2:  # 2: a market feed event arrived
            trades = hbt.last_trades(0)
            for i in range(len(trades)):
                ticks += 1
                checksum += trades[i].px + trades[i].qty
                if ticks % every == 0:
                    orders += 1
                    depth = hbt.depth(0)
                    if orders % 2 == 1:
                        hbt.submit_buy_order(0, orders, depth.best_ask, 1.0, GTC, MARKET, False)
                    else:
                        hbt.submit_sell_order(0, orders, depth.best_bid, 1.0, GTC, MARKET, False)
            hbt.clear_last_trades(0)
            hbt.clear_inactive_orders(0)
        return ticks, orders, checksum

    def backtest(events: Any) -> Any:
        asset = (BacktestAsset().data(events).linear_asset(1.0).constant_order_latency(0, 0)
                 .risk_adverse_queue_model().no_partial_fill_exchange().trading_value_fee_model(0.0, 0.0)
                 .tick_size(0.01).lot_size(1.0).last_trades_capacity(64))
        return HashMapMarketDepthBacktest([asset])

    t0 = time.perf_counter()
    records = load_ticks(args.fmd, args.events)
    events = hftbacktest_events(records)
    warm = backtest(events[:3000])  # JIT compilation, outside the clock
    strategy(warm, args.every)
    warm.close()
    hbt = backtest(events)
    prep = time.perf_counter() - t0
    t1 = time.perf_counter_ns()
    ticks, orders, _ = strategy(hbt, args.every)
    wall = time.perf_counter_ns() - t1
    filled = int(hbt.state_values(0).num_trades)
    hbt.close()
    return {"events": len(records), "wall_ns": wall, "ticks_seen": ticks, "orders": orders, "filled": filled,
            "feed_events": len(events), "prep_s": prep}


SYSTEMS = {"nautilus": ("nautilus_trader", run_nautilus), "backtrader": ("backtrader", run_backtrader),
           "hftbacktest": ("hftbacktest", run_hftbacktest)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None,
                                     epilog="One run per invocation; prints one JSON line.")
    parser.add_argument("system", choices=sorted(SYSTEMS))
    parser.add_argument("--fmd", required=True, help="the ticks (.fmd, as fundos-data import-lean writes it)")
    parser.add_argument("--events", type=int, default=0, help="replay only the first N ticks (default 0: all)")
    parser.add_argument("--every", type=int, default=EVERY, help=f"ticks between two orders (default {EVERY})")
    args = parser.parse_args(argv)
    package, runner = SYSTEMS[args.system]
    result = runner(args)
    result.update(system=args.system, version=f"{package}=={importlib.metadata.version(package)}")
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
