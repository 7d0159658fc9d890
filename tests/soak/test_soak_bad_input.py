"""Bad input corpus (issue #9): every malformed ABI spec of tests/codegen/test_bad_specs.py through
the real `abigen generate`, and every malformed configuration of tests/fund/bad_configs through the
real `fund run` and `fundos run`. Each must be refused with exit status 2, a message that names the
file (and for a spec its line), no traceback, and nothing written: the output folder unchanged,
no run folder made. The figures go to the soak summary (docs/RELIABILITY.md, "Bad input").
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

from fault_harness import ENV, fundos_cli
from fund_build import build_dir
from soak_harness import Scenario, reproduce
from test_config_schema import BAD, bad_config_corpus

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "codegen"))
from test_bad_specs import CASES, make_pristine, refuse  # the spec corpus and its one check

HERE = "tests/soak/test_soak_bad_input.py"


def _refused_config(command: list[str], config: Path, run_dir: Path, fragment: str) -> str:
    """Runs `command` on a bad configuration; returns its stderr after checking the refusal."""
    done = subprocess.run(command, capture_output=True, text=True, env=ENV, timeout=60, check=False)
    assert done.returncode == 2, (command, done.returncode, done.stderr)
    assert "Traceback" not in done.stderr and "AddressSanitizer" not in done.stderr, done.stderr
    first = done.stderr.splitlines()[0]
    assert first.startswith(f"fund: {config}:") and fragment in first  # PATH: or PATH:LINE:COL:, (fragment, done.stderr)
    assert not run_dir.exists(), f"{run_dir} was made for a configuration that was refused"
    return done.stderr


def test_bad_input_corpus_is_refused_by_the_real_commands(tmp_path: Path) -> None:
    scenario = Scenario("bad_input", unit="malformed input",
                        command=reproduce(f"{HERE}::test_bad_input_corpus_is_refused_by_the_real_commands"))
    pristine = make_pristine(tmp_path)
    spec_codes: Counter[str] = Counter()
    for case in CASES:
        folder = tmp_path / "specs" / case.id
        folder.mkdir(parents=True)
        spec_codes[refuse(case, folder, pristine)] += 1

    corpus = bad_config_corpus()
    fund = str(build_dir() / "fund" / "fund")
    for name, _, fragment in corpus:
        config = BAD / name
        run_dir = tmp_path / "runs" / name
        _refused_config([fund, "run", "--config", str(config), "--run-dir", str(run_dir)], config, run_dir, fragment)
        stderr = _refused_config([fundos_cli(), "run", "--config", str(config), "--run-dir", str(run_dir)],
                                 config, run_dir, fragment)
        assert f"fundos run: the Fund refused the configuration {config}" in stderr, stderr

    assert len(CASES) >= 15 and len(corpus) >= 20  # the floor for each corpus
    scenario.runs = len(CASES) + 2 * len(corpus)
    scenario.refusals = {f"abigen {code}": n for code, n in sorted(spec_codes.items())}
    for command in ("fund run", "fundos run"):
        scenario.refusals[f"{command}: configuration refused"] = len(corpus)
    scenario.figures = {"malformed_specs": len(CASES), "malformed_configurations": len(corpus),
                        "exit_status": 2, "tracebacks": 0, "files_written": 0}
    scenario.notes += [
        ("specs: `abigen generate` over a good output folder; one FILE:LINE:COL diagnostic each with its code, the "
        "offending line and YAML path; the output folder byte-identical afterwards (tests/codegen/test_bad_specs.py)"),
        ("configurations: `fund run` and `fundos run`; one message starting with the file's path and naming the field "
        "(tests/fund/bad_configs/expected.txt); no run folder made"),
    ]
    scenario.write()
