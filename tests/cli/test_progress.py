"""The progress display: a bar redrawn in place on a terminal, plain lines otherwise, nothing
when quiet (warnings excepted)."""

from __future__ import annotations

import io

from fundos.cli.events import Progress
from fundos.cli.progress import Display, choose_mode, describe


class Terminal(io.StringIO):
    encoding = "utf-8"

    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def step(k: int) -> Progress:
    return Progress(step=k, events=k * 100, total_events=1000, clock=f"2024-01-02T14:{k:02d}:00Z")


def test_describe() -> None:
    assert describe(step(5), 10.0) == " 50%  step 5  events 500/1,000  2024-01-02T14:05:00Z  ETA 0:10"
    assert describe(Progress(3, 7, 0, ""), 1.0) == "step 3  events 7"


def test_choose_mode() -> None:
    assert choose_mode(Terminal(), quiet=False) == "bar"
    assert choose_mode(io.StringIO(), quiet=False) == "lines"
    assert choose_mode(Terminal(), quiet=True) == "quiet"


def test_bar_redraws_in_place_and_keeps_messages_above() -> None:
    stream, clock = Terminal(), Clock()
    display = Display(stream, "bar", clock=clock)
    display.progress(step(1))
    clock.now += 1
    display.note("agent ma attached")
    clock.now += 1
    display.progress(step(2))
    display.finish()
    text = stream.getvalue()
    assert text.count("\r\x1b[K") >= 4 and "█" in text
    assert "\r\x1b[Kagent ma attached\n" in text
    assert text.endswith("\r\x1b[K")  # the bar is gone at the end


def test_lines_are_paced() -> None:
    stream, clock = io.StringIO(), Clock()
    display = Display(stream, "lines", every=5.0, clock=clock)
    for k in range(1, 10):
        display.progress(step(k))
        clock.now += 1
    display.finish()
    lines = stream.getvalue().splitlines()
    assert [line.split()[3] for line in lines] == ["1", "6", "9"]  # every 5 s, then the last one


def test_quiet_shows_only_warnings() -> None:
    stream = io.StringIO()
    display = Display(stream, "quiet")
    display.progress(step(1))
    display.note("a note")
    display.warn("a warning")
    display.finish()
    assert stream.getvalue() == "a warning\n"
