"""Attach against a fake Fund written in Python: success and the first snapshot, the Fund's
refusals, the agent's own ABI checks, and every region header check."""

from __future__ import annotations

import ctypes
import os
import socket

import fundos
import fundos_abi
import pytest
from sdk_fakefund import Attach, FakeFund, Hook, instrument

AGENT_ABI = f"ABI {fundos_abi.ABI_VERSION_MAJOR}.{fundos_abi.ABI_VERSION_MINOR} (layout 0x{fundos_abi.ABI_LAYOUT_HASH:016x})"


def attach(fund: FakeFund, hook: Hook | None = None, **options: object) -> fundos.Agent:
    fund.serve(hook)
    agent = fundos.Agent(fund.path, 7, **options)  # type: ignore[arg-type]
    try:
        agent.attach()
    finally:
        fund.join()
    return agent


def test_attach_sends_a_complete_request_and_reads_the_first_snapshot(fund: FakeFund) -> None:
    agent = attach(fund)
    request = fund.join().request
    assert request.magic == fundos_abi.ATTACH_MAGIC
    assert (request.abi_major, request.abi_minor) == (fundos_abi.ABI_VERSION_MAJOR, fundos_abi.ABI_VERSION_MINOR)
    assert request.layout_hash == fundos_abi.ABI_LAYOUT_HASH
    assert request.agent_id == 7 and request.pid == os.getpid()
    assert bytes(request.reserved_28) == bytes(36)
    reply = agent.attach_reply
    assert reply is not None and reply.generation == 1 and reply.status == fundos.AttachStatus.OK
    assert fund.intents().heartbeat.pid == os.getpid()

    assert agent.latest_snapshot() is None
    with pytest.raises(fundos.Timeout):
        agent.wait_snapshot(timeout=0.01)
    state = fundos_abi.FundState()
    state.mode = fundos.Mode.PAPER
    state.trading_state = fundos.TradingState.ACTIVE
    state.nav = 1_000_000_500_000  # 1000000.5
    instrument(state, 0, 11, "SPY", 45_012_000_000)
    instrument(state, 1, 12, "QQQ", 38_000_000_001)
    state.agent_count = 1
    state.agents[0].agent_id = 7
    state.agents[0].status = fundos.AgentStatus.ACTIVE
    assert fund.publish(state) == 1

    snapshot = agent.wait_snapshot(timeout=5)
    assert snapshot.seq == 1 and snapshot.mode is fundos.Mode.PAPER
    assert snapshot.nav == 1000000.5
    spy = snapshot.instrument("SPY")
    assert (spy.instrument_id, spy.symbol, spy.last, spy.bid, spy.lot_size) == (11, "SPY", 450.12, 450.11, 1.0)
    assert spy.status is fundos.InstrumentStatus.TRADING
    assert snapshot.instrument(12).last == 380.00000001
    assert [row.symbol for row in snapshot.instruments()] == ["SPY", "QQQ"]
    assert snapshot.agent(7).status is fundos.AgentStatus.ACTIVE
    with pytest.raises(KeyError, match="known: SPY, QQQ"):
        snapshot.instrument("IWM")
    # immutable, a private copy, decoded through the generated ctypes struct
    assert isinstance(snapshot.state, fundos_abi.FundState)
    assert snapshot.raw == bytes(state)
    copy = snapshot.state
    copy.seq = 99
    assert snapshot.seq == 1 and snapshot.state.seq == 1
    with pytest.raises(AttributeError):
        snapshot.seq = 2  # type: ignore[misc]
    with pytest.raises(AttributeError):
        spy.last = 1.0  # type: ignore[misc]
    assert agent.latest_snapshot() == snapshot
    state_info = agent.status()
    assert state_info.connected and not state_info.quarantined and state_info.last_snapshot_seq == 1
    assert state_info.generation == 1 and state_info.agent_id == 7
    agent.detach()
    agent.detach()  # safe twice


def test_context_manager_attaches_and_detaches(fund: FakeFund) -> None:
    fund.serve()
    with fundos.Agent(fund.path, 7) as agent:
        assert agent.attached
        fund.join()
    assert not agent.attached
    assert fund.conn is not None and fund.conn.recv(16) == b""  # the Fund sees the hang-up


def refuse(status: fundos_abi.AttachStatus, message: str, major: int = 1) -> Hook:
    def hook(attach: Attach) -> None:
        attach.reply.status = status
        attach.reply.abi_major = major
        attach.reply.layout_hash = 0x1234
        attach.reply.message = message.encode()

    return hook


def test_version_mismatch_refusal(fund: FakeFund) -> None:
    hook = refuse(fundos_abi.AttachStatus.VERSION_MISMATCH, "agent ABI 1.1, fund ABI 2.0: majors differ", major=2)
    with pytest.raises(fundos.AbiMismatch) as caught:
        attach(fund, hook)
    error = caught.value
    assert error.status is fundos.AttachStatus.VERSION_MISMATCH and error.refused_by_fund
    assert error.fund_message == "agent ABI 1.1, fund ABI 2.0: majors differ"
    # The fake Fund answers with the negotiated minor: the agent's own.
    assert (f"fund speaks ABI 2.{fundos_abi.ABI_VERSION_MINOR} (layout 0x0000000000001234), this agent was built for "
            f"{AGENT_ABI}") in str(error)
    assert "The Fund says: agent ABI 1.1, fund ABI 2.0: majors differ" in str(error)
    assert error.name == "FUNDOS_E_VERSION_MISMATCH"


def test_layout_mismatch_refusal(fund: FakeFund) -> None:
    hook = refuse(fundos_abi.AttachStatus.LAYOUT_MISMATCH, "agent layout 0xe6bb..., fund layout 0x1234 for ABI 1.1")
    with pytest.raises(fundos.AbiMismatch) as caught:
        attach(fund, hook)
    assert caught.value.status is fundos.AttachStatus.LAYOUT_MISMATCH
    assert "the Fund refused agent 7 (LAYOUT_MISMATCH)" in str(caught.value)
    assert "fund layout 0x1234" in caught.value.fund_message


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (fundos_abi.AttachStatus.UNKNOWN_AGENT, fundos.AttachRefused),
        (fundos_abi.AttachStatus.NOT_PERMITTED, fundos.AttachRefused),
        (fundos_abi.AttachStatus.ALREADY_ATTACHED, fundos.AttachRefused),
        (fundos_abi.AttachStatus.FUND_FULL, fundos.AttachRefused),
        (fundos_abi.AttachStatus.SHUTTING_DOWN, fundos.AttachRefused),
        (fundos_abi.AttachStatus.BAD_REQUEST, fundos.AttachRefused),
    ],
)
def test_other_refusals_quote_the_fund(fund: FakeFund, status: fundos_abi.AttachStatus,
                                       cls: type[fundos.AttachRefused]) -> None:
    with pytest.raises(cls) as caught:
        attach(fund, refuse(status, f"no ({status.name.lower()})"))
    assert type(caught.value) is cls
    assert caught.value.status is status and caught.value.refused_by_fund
    assert str(caught.value) == f"the Fund refused agent 7 ({status.name}): no ({status.name.lower()})"


def test_unknown_status_is_a_protocol_error(fund: FakeFund) -> None:
    with pytest.raises(fundos.ProtocolError, match="attach status 77"):
        attach(fund, refuse(77, "?"))  # type: ignore[arg-type]


def set_reply(**fields: int) -> Hook:
    def hook(attach: Attach) -> None:
        for name, value in fields.items():
            setattr(attach.reply, name, value)

    return hook


def set_header(region: str, **fields: int) -> Hook:
    def hook(attach: Attach) -> None:
        header = attach.snapshot_header if region == "snapshot" else attach.report_header
        for name, value in fields.items():
            setattr(header, name, value)

    return hook


def test_agent_refuses_a_fund_of_another_major(fund: FakeFund) -> None:
    with pytest.raises(fundos.AbiMismatch) as caught:
        attach(fund, set_reply(abi_major=2, abi_minor=0, layout_hash=0xABC))
    error = caught.value
    assert error.status is fundos.AttachStatus.VERSION_MISMATCH and not error.refused_by_fund
    assert str(error).startswith(f"fund speaks ABI 2.0 (layout 0x0000000000000abc), this agent was built for {AGENT_ABI}")


def test_agent_refuses_another_layout_of_its_version(fund: FakeFund) -> None:
    with pytest.raises(fundos.AbiMismatch) as caught:
        attach(fund, set_header("snapshot", layout_hash=0xABC))
    assert caught.value.status is fundos.AttachStatus.LAYOUT_MISMATCH and not caught.value.refused_by_fund
    assert "(snapshot region header)" in str(caught.value)


def test_an_older_minor_of_the_same_major_is_accepted(fund: FakeFund) -> None:
    """Minor versions are compatible by the ABI's rules; layout hashes only compare within one minor."""
    minor: int = fundos_abi.ABI_VERSION_MINOR
    if minor == 0:
        pytest.skip("needs an ABI minor above 0")
    older = minor - 1
    hook_reply = set_reply(abi_minor=older, layout_hash=0xABC)
    hook_snapshot = set_header("snapshot", abi_minor=older, layout_hash=0xABC)

    def hook(attach: Attach) -> None:
        hook_reply(attach)
        hook_snapshot(attach)

    agent = attach(fund, hook)
    assert agent.status().abi_minor == older
    agent.detach()


@pytest.mark.parametrize(
    ("hook", "cls", "message"),
    [
        (set_header("snapshot", magic=0x0123456789ABCDEF), fundos.BadRegion, "not a FundOS region"),
        (set_header("reports", magic=0), fundos.BadRegion, "report region: magic is 0x0000000000000000"),
        (set_header("snapshot", kind=3), fundos.BadRegion, "kind 3 (AGENT_REPORTS), expected 1 (SNAPSHOT)"),
        (set_header("reports", kind=9), fundos.BadRegion, "kind 9 (unknown), expected 3 (AGENT_REPORTS)"),
        (set_header("snapshot", header_size=32), fundos.BadRegion, "header_size is 32"),
        (set_header("snapshot", region_size=4096), fundos.BadRegion, "its header says 4096 bytes"),
        (set_reply(snapshot_region_size=4096), fundos.BadRegion, "snapshot region: the Fund says it is 4096 bytes"),
        (set_reply(report_region_size=ctypes.sizeof(fundos_abi.AgentReportRegion) + 64), fundos.BadRegion,
         "report region: the Fund says it is"),
        (set_reply(intent_region_size=64), fundos.BadRegion, "intent region: the Fund says it is 64 bytes"),
        (set_header("reports", generation=99), fundos.BadRegion, "generation 99, but this attach is generation 1"),
        (set_header("reports", agent_id=8), fundos.BadRegion, "belongs to agent 8, not to agent 7"),
        (set_header("snapshot", abi_major=3), fundos.AbiMismatch, "fund speaks ABI 3."),
        (set_reply(magic=0), fundos.ProtocolError, "not ATTACH_MAGIC"),
    ],
)
def test_header_checks(fund: FakeFund, hook: Hook, cls: type[fundos.FundosError], message: str) -> None:
    with pytest.raises(cls) as caught:
        attach(fund, hook)
    assert type(caught.value) is cls
    assert message in str(caught.value)


def test_unsealed_regions_are_refused(fund: FakeFund) -> None:
    def hook(attach: Attach) -> None:
        attach.seal = False

    with pytest.raises(fundos.BadRegion, match="not sealed with F_SEAL_SHRINK"):
        attach(fund, hook)


def test_writable_snapshot_region_is_refused(fund: FakeFund) -> None:
    def hook(attach: Attach) -> None:
        attach.seal = False
        attach.snapshot.seal(fund_written=False)
        attach.reports.seal(fund_written=True)
        attach.intents.seal(fund_written=False)

    with pytest.raises(fundos.BadRegion, match="snapshot region: not sealed against writes"):
        attach(fund, hook)


def test_short_file_is_refused(fund: FakeFund) -> None:
    def hook(attach: Attach) -> None:
        os.ftruncate(attach.intents.fd, 4096)

    with pytest.raises(fundos.BadRegion, match="the file holds 4096 bytes"):
        attach(fund, hook)


def test_wrong_fd_count_is_a_protocol_error(fund: FakeFund) -> None:
    def hook(attach: Attach) -> None:
        attach.send_fds = False

    with pytest.raises(fundos.ProtocolError, match="sent 0 file descriptors instead of 3"):
        attach(fund, hook)


def test_fund_closing_without_answer(fund: FakeFund) -> None:
    def hook(attach: Attach) -> None:
        attach.answer = False
        assert fund.conn is not None
        fund.conn.shutdown(socket.SHUT_RDWR)

    with pytest.raises(fundos.ProtocolError, match="closed the connection without answering"):
        attach(fund, hook)


def test_fund_not_answering_times_out(fund: FakeFund) -> None:
    def hook(attach: Attach) -> None:
        attach.answer = False

    with pytest.raises(fundos.Timeout, match="did not answer the attach request within 0.2 s"):
        attach(fund, hook, attach_timeout=0.2)


def test_no_fund_at_the_path(tmp_path: object) -> None:
    agent = fundos.Agent(f"{tmp_path}/nowhere/fund.sock", 7)
    with pytest.raises(fundos.ConnectFailed, match="is the Fund running"):
        agent.attach()
    assert not agent.attached


def test_a_plain_stream_socket_is_not_a_fund(tmp_path: object) -> None:
    path = f"{tmp_path}/stream.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(1)
    try:
        with pytest.raises(fundos.ConnectFailed, match="not a SOCK_SEQPACKET"):
            fundos.Agent(path, 7).attach()
    finally:
        listener.close()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"agent_id": 0}, "agent_id is 0"),
        ({"agent_id": -1}, "agent_id must be an int"),
        ({"agent_id": True}, "agent_id must be an int"),
        ({"wait": "sleepy"}, "wait must be"),
        ({"ring_full": "drop"}, "ring_full must be"),
        ({"ring_full": "wait", "ring_full_timeout": 0}, "ring_full_timeout_ns is 0"),
        ({"ring_full_timeout": -1.0}, "ring_full_timeout must be"),
        ({"spin_count": -1}, "spin_count must be"),
        ({"socket_path": ""}, "socket_path is not set"),
        ({"socket_path": "/" + "x" * 200}, "shorter than 108"),
    ],
)
def test_option_validation(kwargs: dict[str, object], message: str) -> None:
    options: dict[str, object] = {"socket_path": "/tmp/fund.sock", "agent_id": 7}
    options.update(kwargs)
    with pytest.raises(fundos.InvalidArgument, match=message):
        fundos.Agent(**options)  # type: ignore[arg-type]


def test_calls_before_attach_are_refused() -> None:
    agent = fundos.Agent("/tmp/fund.sock", 7)
    with pytest.raises(RuntimeError, match="not attached"):
        agent.latest_snapshot()
    agent.detach()  # harmless


def test_snapshot_lookups_follow_moving_rows(fund: FakeFund, agent: fundos.Agent) -> None:
    """instrument(symbol | id) stays right when rows move, appear and go between snapshots."""
    import pickle

    state = fundos_abi.FundState()
    instrument(state, 0, 11, "SPY", 45_012_000_000)
    instrument(state, 1, 12, "QQQ", 38_000_000_000)
    fund.publish(state)
    first = agent.wait_snapshot(timeout=5)
    assert first.instrument("QQQ").instrument_id == 12 and first.instrument(11).symbol == "SPY"
    moved = fundos_abi.FundState()
    instrument(moved, 0, 12, "QQQ", 38_100_000_000)
    instrument(moved, 1, 13, "IWM", 20_000_000_000)
    instrument(moved, 2, 11, "SPY", 45_100_000_000)
    fund.publish(moved)
    second = agent.wait_snapshot(timeout=5)
    assert second.instrument("SPY").last == 451.0 and second.instrument("QQQ").last == 381.0
    assert second.instrument(13).symbol == "IWM" and second.instrument(11).last == 451.0
    assert first.instrument("SPY").last == 450.12  # the older snapshot still has its own rows
    shrunk = fundos_abi.FundState()
    instrument(shrunk, 0, 13, "IWM", 20_000_000_000)
    fund.publish(shrunk)
    third = agent.wait_snapshot(timeout=5)
    with pytest.raises(KeyError, match="known: IWM"):
        third.instrument("SPY")
    with pytest.raises(KeyError):
        third.instrument(12)
    assert third.instrument_count == 1 and third.raw == bytes(shrunk)
    # the public constructor, equality and pickling go through the whole FundState's bytes
    assert fundos.Snapshot(bytes(shrunk)) == third and hash(fundos.Snapshot(third.raw)) == hash(third)
    assert pickle.loads(pickle.dumps(third)) == third
    assert third != second and repr(third) == "<Snapshot seq=3 instruments=1 nav=0.0>"
