"""The Fund's loader as the one validator and normalizer: ``fund check-config SOURCE --print``
for a file, ``fund check-config - --print --label NAME`` for a document read from a database.
Nothing here re-implements a rule of the loader."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from fundos.config.errors import EXIT_BAD_INPUT, EXIT_FAILURE, ConfigError

TIMEOUT_S = 120


def _run(fund: Path, args: list[str], stdin: str | None, cwd: Path | None = None) -> str:
    try:
        done = subprocess.run([str(fund), "check-config", *args], input=stdin, capture_output=True, text=True,
                              check=False, timeout=TIMEOUT_S, cwd=cwd)
    except OSError as error:
        raise ConfigError(f"cannot run {fund}: {error.strerror or error}", EXIT_FAILURE) from None
    except subprocess.TimeoutExpired:
        raise ConfigError(f"{fund} check-config took more than {TIMEOUT_S} s", EXIT_FAILURE) from None
    if done.returncode != 0:
        lines = [line.removeprefix("fund: ") for line in done.stderr.splitlines() if line.strip()]
        message = "\n".join(lines) or f"{fund} check-config failed with exit status {done.returncode}"
        raise ConfigError(message, EXIT_BAD_INPUT if done.returncode == 2 else EXIT_FAILURE)
    return done.stdout


def normalize_file(fund: Path, path: str) -> str:
    """The normalized text of the configuration file ``path``; :class:`ConfigError` with the
    loader's messages (each naming the file and the field) when it is invalid."""
    return _run(fund, [path, "--print"], None)


def normalize_text(fund: Path, document: str, label: str, base: Path | None = None) -> str:
    """The normalized text of ``document``, its messages naming ``label``; relative paths in it
    are relative to ``base`` (default: the current folder)."""
    return _run(fund, ["-", "--print", "--label", label], document, cwd=base)


def check_change(fund: Path, document: str, label: str, running: str) -> None:
    """:class:`ConfigError` (exit status 2) unless the normalized ``document`` may replace the
    normalized configuration ``running`` while the Fund runs (``fund check-config --running``:
    only risk limits, instruments' restricted and price_collar_bps, and agents' instruments may
    differ)."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", prefix="fundos-running-") as file:
        file.write(running)
        file.flush()
        _run(fund, ["-", "--label", label, "--running", file.name], document)
