"""`fundos feed serve` and `fundos feed listen` end to end: the real fundos-feed binary, through the
Python CLI, over UDP and TCP on 127.0.0.1, with faults injected; the packets and the recovery
channel decoded by the generated Python decoders (fundos_abi.wire), independently of the C++ code;
and the CLI's handling of bad input."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from feed_fmd import final_state, read
from fund_build import build_dir
from fundos_abi import FEED_MAGIC, SnapshotStatus, wire
from live_harness import Started, killed_at_exit, synth_session

REPO = Path(__file__).resolve().parents[2]
SNAPSHOT_FIELDS = ("instrument_id", "tick_size", "lot_size", "quote_time", "bid", "ask", "bid_size", "ask_size",
                   "trade_time", "last_price", "last_size", "bar_end_time", "bar_interval", "bar_open", "bar_high",
                   "bar_low", "bar_close", "bar_volume")


@pytest.fixture(scope="module")
def build() -> Path:
    return build_dir("fund/fundos-feed")


@pytest.fixture(scope="module")
def env(build: Path) -> dict[str, str]:
    return {**os.environ, "FUNDOS_BUILD_DIR": str(build)}


@pytest.fixture(scope="module")
def data(build: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One session of synthetic minute bars and quotes for 3 symbols (2340 events)."""
    return synth_session(build, tmp_path_factory.mktemp("feed"), 3, 5)


def fundos(*args: str) -> list[str]:
    return [sys.executable, "-m", "fundos.cli", *args]


def free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ports() -> tuple[int, int]:
    return free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_STREAM)


def json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


@pytest.fixture
def processes() -> Iterator[list[Started]]:
    with killed_at_exit() as started:  # each process's whole group: `fundos` and the fundos-feed it started
        yield started


def start(processes: list[Started], command: list[str], env: dict[str, str], folder: Path, name: str) -> Started:
    item = Started(command, env, folder, name)
    processes.append(item)
    return item


def check_instruments(summary: dict[str, object], data: Path) -> None:
    want = final_state(data)
    got = summary["instruments"]
    assert isinstance(got, list) and len(got) == len(want)
    for row in got:
        assert isinstance(row, dict)
        expected = want[int(row["instrument_id"])]
        assert row["symbol"] == expected["symbol"]
        assert {key: row[key] for key in SNAPSHOT_FIELDS} == {key: expected[key] for key in SNAPSHOT_FIELDS}


# ---- end to end through the CLI


def test_serve_and_listen_with_gaps_duplicates_and_reordering(data: Path, env: dict[str, str],
                                                             processes: list[Started], tmp_path: Path) -> None:
    """A day of minute data at 20000x (a packet every 3 ms) with every 5th packet dropped, every 3rd
    doubled and every 4th reordered: the listener repairs the reordering, drops the duplicates,
    recovers each gap by a snapshot and ends with every instrument's state as in the file."""
    port, recovery = ports()
    listener = start(processes, fundos("feed", "listen", "--port", str(port), "--recovery-port", str(recovery),
                                       "--until-end", "--json", "--reorder-timeout-ms", "30"), env, tmp_path, "listen")
    listener.wait_for('"type":"listening"')  # bound before the first packet
    served = subprocess.run(fundos("feed", "serve", "--data", str(data), "--speed", "20000x", "--port", str(port),
                                   "--recovery-port", str(recovery), "--gap-every", "5", "--duplicate-every", "3",
                                   "--reorder-every", "4", "--seed", "9", "--linger", "1", "--quiet"),
                            env=env, capture_output=True, text=True, timeout=60, check=False)
    assert served.returncode == 0, served.stderr
    assert served.stderr == ""
    ready, done = json_lines(served.stdout)
    assert ready["event"] == "ready" and ready["instruments"] == 3 and ready["events"] == 2340
    assert ready["recovery_port"] == recovery and ready["speed"] == "20000x"
    assert done["event"] == "done" and done["market_messages"] == 2340
    assert isinstance(done["packets"], int) and done["packets"] > 300
    assert done["dropped"] == done["packets"] // 5
    assert int(done["duplicated"]) > 0 and int(done["reordered"]) > 0 and int(done["snapshots"]) > 0
    code, out, err = listener.finish(timeout=30)
    assert code == 0, err
    lines = json_lines(out)
    summary = lines[-1]
    assert summary["type"] == "summary" and summary["health"] == "ended" and summary["ended"] is True
    counters = summary["counters"]
    assert isinstance(counters, dict)
    assert counters["gaps"] >= 1 and counters["recoveries"] >= 1 and counters["recovered_messages"] >= 1
    assert counters["duplicates"] >= 1 and counters["reordered"] >= 1
    assert counters["bad_packets"] == 0 and counters["recovery_failures"] == 0
    check_instruments(summary, data)
    statuses = [line["health"] for line in lines if line["type"] == "status"]
    assert lines[0] == {"type": "listening", "address": "127.0.0.1", "port": port, "recovery_port": recovery}
    assert statuses[0] == "live" and "recovering" in statuses and statuses[-1] == "ended"
    events = [line for line in lines if line["type"] == "event"]
    assert len(events) == counters["events"]
    assert any(e["recovered"] for e in events) and not all(e["recovered"] for e in events)
    times = [int(str(e["time"])) for e in events if not e["recovered"]]
    assert times == sorted(times)


def test_multicast_group_on_loopback(data: Path, env: dict[str, str], processes: list[Started],
                                     tmp_path: Path) -> None:
    port, recovery = ports()
    group = "239.255.91.7"
    listener = start(processes, fundos("feed", "listen", "--multicast", group, "--port", str(port),
                                       "--recovery-port", str(recovery), "--until-end", "--json", "--quiet"), env,
                     tmp_path, "listen")
    listener.wait_for('"type":"listening"')
    served = subprocess.run(fundos("feed", "serve", "--data", str(data), "--speed", "50000x", "--multicast", group,
                                   "--port", str(port), "--recovery-port", str(recovery), "--linger", "0.5", "--quiet"),
                            env=env, capture_output=True, text=True, timeout=60, check=False)
    assert served.returncode == 0, served.stderr
    code, out, err = listener.finish(timeout=30)
    assert code == 0, err
    summary = json_lines(out)[-1]
    assert summary["health"] == "ended"
    check_instruments(summary, data)


# ---- the wire, decoded in Python


def test_packets_and_snapshots_decode_with_the_python_decoders(data: Path, env: dict[str, str],
                                                              processes: list[Started], tmp_path: Path) -> None:
    instruments, events = read(data)
    port, recovery = ports()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        udp.bind(("127.0.0.1", port))
        udp.settimeout(5)
        server = start(processes, fundos("feed", "serve", "--data", str(data), "--speed", "max", "--port", str(port),
                                         "--recovery-port", str(recovery), "--session-id", "77", "--heartbeat-ms",
                                         "50", "--quiet"), env, tmp_path, "serve")
        messages: list[object] = []
        expected_seq = 1
        while not any(isinstance(m, wire.EndOfSession) for m in messages):
            datagram = udp.recv(65536)
            header = wire.PacketHeader.decode(datagram)
            assert (header.magic, header.version, header.session_id) == (FEED_MAGIC, wire.WIRE_VERSION, 77)
            assert datagram[:4] == b"FNDF"  # the magic's bytes, big-endian
            assert header.first_seq == expected_seq  # no faults: every packet, in order
            offset = wire.PacketHeader.SIZE
            for _ in range(header.message_count):
                message, size = wire.decode_message(datagram, offset)
                assert message is not None
                messages.append(message)
                offset += size
            assert offset == len(datagram) <= 1472
            expected_seq += header.message_count
        definitions = messages[:len(instruments)]
        assert [(d.instrument_id, d.symbol.decode()) for d in definitions if isinstance(d, wire.InstrumentDefinition)] \
            == [(i.instrument_id, i.symbol) for i in instruments]
        market = messages[len(instruments):-1]
        assert len(market) == len(events)
        for message, event in zip(market, events, strict=True):
            if isinstance(message, wire.Quote):
                assert (message.exchange_time, message.bid, message.ask) == (event.time, event.v[0], event.v[1])
            elif isinstance(message, wire.Bar):
                assert (message.end_time, message.interval, message.close) == (event.time, event.period_s * 10**9,
                                                                                event.v[3])
            else:
                pytest.fail(f"unexpected {message!r}")
        end = messages[-1]
        assert isinstance(end, wire.EndOfSession) and end.market_messages == len(events)
        last_seq = expected_seq - 1
        heartbeat = wire.PacketHeader.decode(udp.recv(65536))  # after the end: heartbeats, sequenced
        assert heartbeat.first_seq == expected_seq and heartbeat.message_count == 1

    with socket.create_connection(("127.0.0.1", recovery), timeout=5) as tcp:
        tcp.sendall(wire.SnapshotRequest(version=wire.WIRE_VERSION, request_id=9, session_id=77,
                                         last_seq=last_seq).encode())
        answer = b""
        while chunk := tcp.recv(65536):
            answer += chunk
    begin = wire.SnapshotBegin.decode(answer)
    assert (begin.request_id, begin.status, begin.session_id, begin.session_ended) == (9, SnapshotStatus.OK, 77, 1)
    assert begin.valid_at_seq >= last_seq and begin.instrument_count == len(instruments)
    assert begin.clock == events[-1].time
    offset = wire.SnapshotBegin.SIZE
    want = final_state(data)
    for _ in range(begin.instrument_count):
        row = wire.InstrumentSnapshot.decode(answer, offset)
        offset += wire.InstrumentSnapshot.SIZE
        assert row.symbol.decode() == want[row.instrument_id]["symbol"]
        assert {key: getattr(row, key) for key in SNAPSHOT_FIELDS} == \
            {key: want[row.instrument_id][key] for key in SNAPSHOT_FIELDS}
    end_message = wire.SnapshotEnd.decode(answer, offset)
    assert (end_message.valid_at_seq, end_message.instrument_count) == (begin.valid_at_seq, begin.instrument_count)
    assert offset + wire.SnapshotEnd.SIZE == len(answer)
    server.process.terminate()  # SIGTERM: it finishes cleanly
    code, out, _ = server.finish(timeout=10)
    assert code == 0
    assert json_lines(out)[-1]["event"] == "done"


# ---- the command line


def test_help_reads_like_a_man_page(env: dict[str, str]) -> None:
    for command in (["feed", "--help"], ["feed", "serve", "--help"]):
        done = subprocess.run(fundos(*command), env=env, capture_output=True, text=True, timeout=30, check=False)
        assert done.returncode == 0, done.stderr
        for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "EXIT STATUS", "EXAMPLES", "--gap-rate", "--reorder-every",
                        "--multicast", "--until-end"):
            assert section in done.stdout, section
    top = subprocess.run(fundos("--help"), env=env, capture_output=True, text=True, timeout=30, check=False)
    assert "  feed " in top.stdout and "fundos-feed" in top.stdout


@pytest.mark.parametrize("args, names", [
    (["serve", "--data", "missing.fmd", "--port", "31001"], "missing.fmd"),
    (["serve", "--data", "{data}", "--port", "31001", "--speed", "3y"], "--speed 3y"),
    (["serve", "--data", "{data}", "--port", "31001", "--speed", "0x"], "--speed 0x"),
    (["serve", "--data", "{data}", "--port", "70000"], "--port 70000"),
    (["serve", "--data", "{data}", "--port", "31001", "--gap-rate", "1.5"], "--gap-rate 1.5"),
    (["serve", "--data", "{data}", "--port", "31001", "--gap-rate", "0.1", "--gap-every", "3"], "--gap-every"),
    (["serve", "--data", "{data}", "--port", "31001", "--duplicate-every", "0"], "--duplicate-every 0"),
    (["serve", "--data", "{data}", "--port", "31001", "--multicast", "10.0.0.1"], "--multicast 10.0.0.1"),
    (["serve", "--data", "{data}", "--port", "31001", "--bogus"], "--bogus"),
    (["serve", "--port", "31001"], "--data"),
    (["serve", "--data", "{data}"], "--port"),
    (["serve", "--data", "{notfmd}", "--port", "31001"], "not-fmd.txt"),
    (["listen", "--port", "31001"], "--recovery-port"),
    (["listen", "--port", "x", "--recovery-port", "31002"], "--port x"),
    (["listen", "--port", "31001", "--recovery-port", "31002", "--stale-after-ms", "0"], "--stale-after-ms 0"),
    (["stream"], "'stream'"),
])
def test_bad_input_is_one_line_naming_the_flag_or_file_and_exit_2(args: list[str], names: str, data: Path,
                                                                   env: dict[str, str], tmp_path: Path) -> None:
    not_fmd = tmp_path / "not-fmd.txt"
    not_fmd.write_text("hello\n")
    filled = [a.replace("{data}", str(data)).replace("{notfmd}", str(not_fmd)) for a in args]
    done = subprocess.run(fundos("feed", *filled), env=env, cwd=tmp_path, capture_output=True, text=True, timeout=30,
                          check=False)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("fundos-feed: "), done.stderr
    assert names in done.stderr


def test_fundos_feed_forwards_every_argument(tmp_path: Path) -> None:
    echo = tmp_path / "fundos-feed"
    echo.write_text('#!/bin/sh\necho "argv: $*"\nexit 3\n')
    echo.chmod(0o755)
    clean = {key: value for key, value in os.environ.items() if not key.startswith("FUNDOS_")}
    done = subprocess.run(fundos("feed", "serve", "--help", "-x", "a b"), env={**clean, "FUNDOS_FEED": str(echo)},
                          capture_output=True, text=True, timeout=30, check=False)
    assert (done.returncode, done.stdout) == (3, "argv: serve --help -x a b\n")
    missing = subprocess.run(fundos("feed"), env={**clean, "PATH": "/nonexistent"}, cwd=tmp_path,
                             capture_output=True, text=True, timeout=30, check=False)
    assert missing.returncode == 2 and "cannot find the `fundos-feed` program" in missing.stderr
