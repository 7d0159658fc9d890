"""Where a base version comes from: a spec file, a release lock file, or `git:REF`; and the locks
in schema/history/. Every kind ends as the same normalized IR (see ir/serialize.py)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

from abigen.diagnostics import UsageError
from abigen.frontend import load_spec, load_spec_text
from abigen.ir.model import AbiVersion, Spec
from abigen.ir.serialize import IrFormatError, dumps, lock_to_dict, normalized, spec_from_lock

LOCK_NAME = re.compile(r"^abi-(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.lock\.json$")
SPEC_IN_REPO = "schema/abi.yaml"


def label_for(path: Path, root: Path) -> str:
    """A path as reports show it: relative to the project root when inside it."""
    relative = Path(os.path.relpath(path.resolve(), root.resolve())).as_posix()
    return path.as_posix() if relative.startswith("..") else relative


def lock_path(history: Path, version: AbiVersion) -> Path:
    return history / f"abi-{version}.lock.json"


def locks(history: Path) -> list[tuple[AbiVersion, Path]]:
    """Release locks in `history`, oldest version first (by number, so 1.10 comes after 1.9)."""
    found = []
    if history.is_dir():
        for path in history.iterdir():
            match = LOCK_NAME.match(path.name)
            if match:
                found.append((AbiVersion(int(match[1]), int(match[2])), path))
    return sorted(found, key=lambda item: (item[0].major, item[0].minor))


def lock_text(spec: Spec) -> str:
    return dumps(lock_to_dict(spec))


def load_lock(path: Path) -> Spec:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{path}: no such lock file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read the lock file: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}:{exc.lineno}:{exc.colno}: not JSON: {exc.msg}") from None
    try:
        return spec_from_lock(data)
    except IrFormatError as exc:
        raise UsageError(f"{path}: not a valid abigen lock file: {exc}") from None


def git_show(root: Path, ref: str) -> str:
    """schema/abi.yaml as it is at `ref`, read with `git show` from `root`; the work tree is untouched."""
    if not ref or ref.startswith("-") or any(c.isspace() for c in ref):
        raise UsageError(f"git:{ref}: expected git:REF with a commit, branch or tag, e.g. git:HEAD or git:main")

    def git(*args: str) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
        except FileNotFoundError:
            raise UsageError(f"git:{ref}: git is not installed") from None

    found = git("rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    if found.returncode != 0:
        reason = found.stderr.strip().splitlines()[-1] if found.stderr.strip() else "no such commit"
        raise UsageError(f"git:{ref}: {reason} (in {root})")
    shown = git("show", f"{found.stdout.strip()}:./{SPEC_IN_REPO}")
    if shown.returncode != 0:
        raise UsageError(f"git:{ref}: {SPEC_IN_REPO} does not exist at that commit")
    return shown.stdout


def load_base(against: str, root: Path) -> tuple[Spec, str]:
    """(normalized spec, label) for `--against`: git:REF, a lock file (*.json) or a spec file."""
    if against.startswith("git:"):
        ref = against[len("git:"):]
        spec = load_spec_text(git_show(root, ref), Path(f"git:{ref}:{SPEC_IN_REPO}"))
        return normalized(spec), against
    path = Path(against)
    label = label_for(path, root)
    if path.suffix == ".json":
        return normalized(load_lock(path)), label
    return normalized(load_spec(path)), label
