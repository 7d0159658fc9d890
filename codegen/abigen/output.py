"""Writes a complete output folder or nothing: render into a temporary sibling, then swap."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from abigen.diagnostics import UsageError
from abigen.targets import MARKER


def write_tree(files: dict[str, bytes], out: Path) -> None:
    """Replaces `out` with exactly `files`. `out` must be absent, empty, or an abigen folder."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: is a file, not a folder; choose another --out")
    if out.exists() and any(out.iterdir()) and not (out / MARKER).exists():
        raise UsageError(f"{out}: refusing to replace a folder abigen did not write (no {MARKER} file in it)")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    umask = os.umask(0)
    os.umask(umask)
    staging.chmod(0o777 & ~umask)  # mkdtemp makes 0700; the result should look like any mkdir
    try:
        for relative, content in sorted(files.items()):
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if not out.exists():
        os.rename(staging, out)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    os.rename(out, retired / "tree")
    try:
        os.rename(staging, out)
    except BaseException:
        os.rename(retired / "tree", out)  # put the old tree back: never leave `out` missing
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(retired, ignore_errors=True)


@dataclass(frozen=True)
class Staleness:
    changed: list[str]
    missing: list[str]
    extra: list[str]

    @property
    def stale(self) -> bool:
        return bool(self.changed or self.missing or self.extra)


def compare_tree(files: dict[str, bytes], out: Path) -> Staleness:
    present = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()} if out.is_dir() else set()
    changed = sorted(p for p in files if p in present and (out / p).read_bytes() != files[p])
    missing = sorted(p for p in files if p not in present)
    extra = sorted(p for p in present - set(files) if "__pycache__" not in p)
    return Staleness(changed, missing, extra)
