"""docs/ENGINE.md is the engine headers' SPEC blocks, verbatim and fresh (fund/tools/engine_doc.py)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "fund/tools/engine_doc.py"
HEADERS = ROOT / "fund/include/fundos/engine"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(TOOL), *args], check=False, capture_output=True, text=True)


def _copy_tree(tmp_path: Path) -> Path:
    shutil.copytree(HEADERS, tmp_path / "fund/include/fundos/engine")
    (tmp_path / "docs").mkdir()
    shutil.copy(ROOT / "docs/ENGINE.md", tmp_path / "docs/ENGINE.md")
    return tmp_path


def test_engine_doc_is_fresh() -> None:
    done = _run("--check")
    assert done.returncode == 0, done.stderr


def test_every_rule_line_is_quoted() -> None:
    doc = (ROOT / "docs/ENGINE.md").read_text()
    netting = (HEADERS / "netting.hpp").read_text()
    assert "largest" in netting and "allocate_pro_rata(total T, lot L" in doc
    ledger_rule = next(line for line in (HEADERS / "ledger.hpp").read_text().splitlines() if "cash -= N" in line)
    assert ledger_rule.removeprefix("// ") in doc


def test_a_changed_header_makes_it_stale_and_regenerating_fixes_it(tmp_path: Path) -> None:
    root = _copy_tree(tmp_path)
    ledger = root / "fund/include/fundos/engine/ledger.hpp"
    ledger.write_text(ledger.read_text().replace("// SPEC (docs/ENGINE.md quotes this block)\n//\n",
                                                 "// SPEC (docs/ENGINE.md quotes this block)\n//\n// A NEW RULE.\n", 1))
    stale = _run("--root", str(root), "--check")
    assert stale.returncode == 1
    assert "docs/ENGINE.md is stale" in stale.stderr
    assert _run("--root", str(root)).returncode == 0
    assert "A NEW RULE." in (root / "docs/ENGINE.md").read_text()
    assert _run("--root", str(root), "--check").returncode == 0


def test_a_header_without_its_block_is_named(tmp_path: Path) -> None:
    root = _copy_tree(tmp_path)
    execution = root / "fund/include/fundos/engine/execution.hpp"
    execution.write_text(execution.read_text().replace("// SPEC (", "// RULES (", 1))
    before = (root / "docs/ENGINE.md").read_bytes()
    done = _run("--root", str(root))
    assert done.returncode == 2
    assert "execution.hpp" in done.stderr and "Traceback" not in done.stderr
    assert (root / "docs/ENGINE.md").read_bytes() == before
