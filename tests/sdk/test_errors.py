"""The one error table: every C SDK code has a name, a sentence and an exception class."""

from __future__ import annotations

import fundos
import pytest
from fundos import _core
from fundos._errors import error_class, make_error
from fundos.config import ConfigError


def test_every_c_code_has_a_distinct_sentence_and_an_exception() -> None:
    codes = _core.error_codes()
    assert codes[0] == (0, "FUNDOS_OK", "success")
    names = [name for _, name, _ in codes]
    texts = [text for _, _, text in codes]
    assert len(set(names)) == len(names) and len(set(texts)) == len(texts)
    assert [code for code, _, _ in codes] == list(range(0, -len(codes), -1))
    for code, name, text in codes[1:]:
        assert name in fundos.ERROR_TABLE, name
        assert text and text != "unknown fundos error code"
        assert _core.strerror(code) == text
        error = make_error(code)
        assert isinstance(error, fundos.FundosError)
        assert (error.code, error.name, str(error)) == (code, name, text)
    assert set(fundos.ERROR_TABLE) == set(names[1:])
    assert _core.strerror(-1000) == "unknown fundos error code"
    assert error_class(-1000) is fundos.FundosError


@pytest.mark.parametrize(
    ("name", "cls", "builtin"),
    [
        ("FUNDOS_E_RING_FULL", fundos.RingFull, None),
        ("FUNDOS_E_QUARANTINED", fundos.Quarantined, None),
        ("FUNDOS_E_DISCONNECTED", fundos.Disconnected, ConnectionError),
        ("FUNDOS_E_CONNECT", fundos.ConnectFailed, ConnectionError),
        ("FUNDOS_E_TIMEOUT", fundos.Timeout, TimeoutError),
        ("FUNDOS_E_INVALID_ARGUMENT", fundos.InvalidArgument, ValueError),
        ("FUNDOS_E_RANGE", fundos.FixedPointError, ValueError),
        ("FUNDOS_E_CONFIG", fundos.AgentConfigError, ConfigError),
        ("FUNDOS_E_VERSION_MISMATCH", fundos.AbiMismatch, None),
        ("FUNDOS_E_LAYOUT_MISMATCH", fundos.AbiMismatch, None),
        ("FUNDOS_E_UNKNOWN_AGENT", fundos.AttachRefused, None),
        ("FUNDOS_E_BAD_REGION", fundos.BadRegion, None),
        ("FUNDOS_E_REPORTS_LOST", fundos.ReportsLost, None),
    ],
)
def test_codes_map_to_their_exception(name: str, cls: type[fundos.FundosError], builtin: type[Exception] | None) -> None:
    code = next(code for code, n, _ in _core.error_codes() if n == name)
    error = make_error(code, "why")
    assert type(error) is cls and str(error) == "why"
    if builtin is not None:
        assert isinstance(error, builtin)


def test_refusal_codes_carry_the_fund_status() -> None:
    for code, name, _ in _core.error_codes():
        error = make_error(code)
        if isinstance(error, fundos.AttachRefused):
            assert error.status is not None and error.status.name == name.removeprefix("FUNDOS_E_")
    assert isinstance(fundos.AbiMismatch("x"), fundos.AttachRefused)
    assert issubclass(fundos.AttachRefused, fundos.AttachError)
