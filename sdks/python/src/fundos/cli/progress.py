"""What `fundos run` shows on stderr while the Fund runs.

Three modes: ``bar`` (stderr is a terminal: one progress line redrawn in place, messages printed
above it), ``lines`` (not a terminal: a plain progress line every ``every`` seconds, for logs)
and ``quiet`` (no progress, no notes; warnings and errors still print). The wall clock is used
here only to pace the display and estimate the time left.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from typing import Literal, TextIO

from fundos.cli.events import Progress

Mode = Literal["bar", "lines", "quiet"]


def choose_mode(stream: TextIO, quiet: bool) -> Mode:
    if quiet:
        return "quiet"
    if stream.isatty() and os.environ.get("TERM", "") != "dumb":
        return "bar"
    return "lines"


def _duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def describe(progress: Progress, elapsed: float) -> str:
    """``42%  step 1,234  events 56,789/120,000  2024-01-02T14:31:00Z  ETA 0:12`` (parts
    without data left out)."""
    parts = []
    fraction = progress.events / progress.total_events if progress.total_events > 0 else None
    if fraction is not None:
        parts.append(f"{min(fraction, 1.0) * 100:3.0f}%")
    parts.append(f"step {progress.step:,}")
    total = f"/{progress.total_events:,}" if progress.total_events > 0 else ""
    parts.append(f"events {progress.events:,}{total}")
    if progress.clock:
        parts.append(progress.clock)
    if fraction is not None and 0.01 <= fraction < 1.0 and elapsed > 1.0:
        parts.append(f"ETA {_duration(elapsed / fraction - elapsed)}")
    return "  ".join(parts)


class Display:
    """Progress and messages on one stream (stderr)."""

    def __init__(self, stream: TextIO, mode: Mode, *, every: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.mode = mode
        self.every = every
        self.clock = clock
        self.started = clock()
        self._last_lines = -every
        self._last_draw = -1.0
        self._bar = ""  # what is drawn on the bar line now
        self._latest: Progress | None = None
        self._printed: Progress | None = None  # the last progress line written in lines mode
        unicode = (getattr(stream, "encoding", "") or "").lower().replace("-", "") in ("utf8", "utf16")
        self._fill, self._empty = ("█", "░") if unicode else ("#", "-")

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            pass  # a closed or broken stderr must not stop the run

    def _clear_bar(self) -> None:
        if self._bar:
            self._write("\r\x1b[K")
            self._bar = ""

    def note(self, text: str) -> None:
        """Information (not shown when quiet)."""
        if self.mode != "quiet":
            self._print(text)

    def warn(self, text: str) -> None:
        """A warning or an error (always shown)."""
        self._print(text)

    def _print(self, text: str) -> None:
        self._clear_bar()
        self._write(text.rstrip("\n") + "\n")
        if self.mode == "bar" and self._latest is not None:
            self._draw(self._latest)

    def progress(self, progress: Progress) -> None:
        self._latest = progress
        now = self.clock()
        if self.mode == "bar" and now - self._last_draw >= 0.1:
            self._draw(progress)
        elif self.mode == "lines" and now - self._last_lines >= self.every:
            self._last_lines = now
            self._printed = progress
            self._write(f"progress: {describe(progress, now - self.started)}\n")

    def _draw(self, progress: Progress) -> None:
        self._last_draw = self.clock()
        columns = shutil.get_terminal_size((80, 24)).columns
        text = describe(progress, self._last_draw - self.started)
        width = max(10, min(30, columns - 70))  # steady from one draw to the next
        if progress.total_events > 0 and columns > len(text) + width + 2:
            filled = round(width * min(1.0, progress.events / progress.total_events))
            line = f"{self._fill * filled}{self._empty * (width - filled)} {text}"
        else:
            line = text
        line = line[:max(1, columns - 1)]
        self._write("\r\x1b[K" + line)
        self._bar = line

    def finish(self) -> None:
        """Clear the bar; in ``lines`` mode, print the last progress seen."""
        self._clear_bar()
        if self.mode == "lines" and self._latest is not None and self._latest != self._printed:
            self._printed = self._latest
            self._write(f"progress: {describe(self._latest, self.clock() - self.started)}\n")
        self._latest = None
