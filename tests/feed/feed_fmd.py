"""A reader of .fmd market-data files (fund/include/fundos/marketdata/fmd_format.hpp), written
again here so the feed's tests check the C++ tools against an independent decoding; and the state
every instrument ends in, as the feed's InstrumentSnapshot fields."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

HEADER = struct.Struct("<8sIIIIIIQQQQQQ")
INSTRUMENT = struct.Struct("<II16sqqQ")
RECORD = struct.Struct("<QIIHBBI5q")
BAR, QUOTE, TRADE = 1, 2, 3


@dataclass(frozen=True)
class Instrument:
    instrument_id: int
    symbol: str
    tick_size: int
    lot_size: int


@dataclass(frozen=True)
class Event:
    time: int
    instrument_id: int
    kind: int
    period_s: int
    v: tuple[int, int, int, int, int]


def read(path: Path) -> tuple[list[Instrument], list[Event]]:
    data = path.read_bytes()
    magic, _version, _header_size, record_size, instrument_size, count, _r0, instrument_offset, records_offset, \
        record_count, *_ = HEADER.unpack_from(data, 0)
    assert magic == b"FUNDOSMD" and record_size == RECORD.size and instrument_size == INSTRUMENT.size
    instruments = []
    for i in range(count):
        ident, _, symbol, tick, lot, _ = INSTRUMENT.unpack_from(data, instrument_offset + i * INSTRUMENT.size)
        instruments.append(Instrument(ident, symbol.rstrip(b"\0").decode(), tick, lot))
    events = []
    for i in range(record_count):
        time, _seq, ident, _source, kind, _flags, period, *v = RECORD.unpack_from(data, records_offset + i * RECORD.size)
        events.append(Event(time, ident, kind, period, (v[0], v[1], v[2], v[3], v[4])))
    return instruments, events


def final_state(path: Path) -> dict[int, dict[str, int | str]]:
    """Per instrument id, the fields of its InstrumentSnapshot after the whole file."""
    instruments, events = read(path)
    state: dict[int, dict[str, int | str]] = {}
    for inst in instruments:
        row: dict[str, int | str] = {key: 0 for key in (
            "quote_time", "bid", "ask", "bid_size", "ask_size", "trade_time", "last_price", "last_size",
            "bar_end_time", "bar_interval", "bar_open", "bar_high", "bar_low", "bar_close", "bar_volume")}
        row.update(instrument_id=inst.instrument_id, symbol=inst.symbol, tick_size=inst.tick_size,
                   lot_size=inst.lot_size)
        state[inst.instrument_id] = row
    for e in events:
        row = state[e.instrument_id]
        if e.kind == QUOTE:
            row.update(quote_time=e.time, bid=e.v[0], ask=e.v[1], bid_size=e.v[2], ask_size=e.v[3])
        elif e.kind == TRADE:
            row.update(trade_time=e.time, last_price=e.v[0], last_size=e.v[1])
        elif e.kind == BAR:
            row.update(bar_end_time=e.time, bar_interval=e.period_s * 1_000_000_000, bar_open=e.v[0], bar_high=e.v[1],
                       bar_low=e.v[2], bar_close=e.v[3], bar_volume=e.v[4])
    return state
