"""Fixtures of the agent SDK tests: a fake Fund (sdk_fakefund.FakeFund) and agents attached to it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import fundos
import pytest
from sdk_fakefund import FakeFund


@pytest.fixture
def fund(tmp_path: Path) -> Iterator[FakeFund]:
    fake = FakeFund(tmp_path)
    try:
        yield fake
    finally:
        fake.close()


@pytest.fixture
def agent(fund: FakeFund) -> Iterator[fundos.Agent]:
    """Agent 7 attached to the fake Fund (wait="futex")."""
    fund.serve()
    attached = fundos.Agent(fund.path, 7, wait="futex", attach_timeout=5.0)
    attached.attach()
    fund.join()
    try:
        yield attached
    finally:
        attached.detach()
