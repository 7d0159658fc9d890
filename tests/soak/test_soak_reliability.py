"""tests/soak/reliability.py: docs/RELIABILITY.md is written from a summary, every figure from it,
and a missing or malformed summary is one line naming the file with exit status 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from soak_harness import Scenario

SCRIPT = Path(__file__).resolve().parent / "reliability.py"


def _summary(tmp_path: Path) -> Path:
    agent = Scenario("agent_death", runs=1234, unit="kill cycle", accepted_intents=56789, fills=4321,
                     invariant_checks=98765, refusals={"RATE_LIMIT": 17, "CORRUPT_SLOT": 3},
                     figures={"runs": 13}, notes=["a note"], command="FUNDOS_SOAK_AGENT_KILLS=1234 pytest x")
    fuzz = Scenario("fuzz", runs=1_000_001, unit="generated intent", refusals={"BAD_PRICE": 42})
    data = {"soak": True, "counts": {"agent_kills": 1234, "fuzz_random": 1_000_001},
            "scenarios": {"agent_death": agent.__dict__, "fuzz": fuzz.__dict__},
            "failures": {"tests/soak/test_x.py::test_y": "call: AssertionError: it broke"}}
    path = tmp_path / "summary.json"
    path.write_text(json.dumps(data))
    return path


def test_the_page_carries_every_figure_of_the_summary(tmp_path: Path) -> None:
    out = tmp_path / "RELIABILITY.md"
    done = subprocess.run([sys.executable, str(SCRIPT), "--summary", str(_summary(tmp_path)), "--out", str(out)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert "`make soak`" in text and "| `agent_kills` | 1,234 |" in text and "| `fuzz_random` | 1,000,001 |" in text
    assert "| Agent death | 1,234 × kill cycle | 0 | 56,789 | 0 | 4,321 | 0 | 98,765 | 0 |" in text
    assert "| `RATE_LIMIT` | 17 |" in text and "| `CORRUPT_SLOT` | 3 |" in text and "| `BAD_PRICE` | 42 |" in text
    assert "FUNDOS_SOAK_AGENT_KILLS=1234 pytest x" in text and "- a note" in text
    assert "1 soak test(s) failed" in text and "`tests/soak/test_x.py::test_y`: call: AssertionError: it broke" in text
    # scenarios the run did not write are named, not silently left out
    assert "Not in this summary" in text and "hostile_agents" in text and "fund_death" in text


@pytest.mark.parametrize("content", [None, "{not json", '{"counts": {}}'])
def test_a_bad_summary_is_one_line_naming_the_file(tmp_path: Path, content: str | None) -> None:
    path = tmp_path / "summary.json"
    if content is not None:
        path.write_text(content)
    out = tmp_path / "RELIABILITY.md"
    done = subprocess.run([sys.executable, str(SCRIPT), "--summary", str(path), "--out", str(out)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and str(path) in done.stderr and "Traceback" not in done.stderr
    assert not out.exists()


def test_each_sanitizer_section_lists_each_failure_with_its_report(tmp_path: Path) -> None:
    junit = tmp_path / "tsan-junit.xml"
    junit.write_text("""<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="(empty)" tests="3" failures="2">
 <testcase name="fund_seqlock" status="run"><system-out>ok</system-out></testcase>
 <testcase name="sdk_c_seqlock" status="fail"><failure message=""/>
  <system-out>==================
WARNING: ThreadSanitizer: data race (pid=1)
  Write of size 8</system-out></testcase>
 <testcase name="fund_fix_venue" status="fail"><failure message=""/><system-out>CHECK failed</system-out></testcase>
</testsuite>""")
    asan = tmp_path / "asan-junit.xml"
    asan.write_text("""<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="(empty)" tests="2" failures="1">
 <testcase name="fund_journal" status="run"><system-out>ok</system-out></testcase>
 <testcase name="fund_engine" status="fail"><failure message=""/>
  <system-out>engine.cpp:12:5: runtime error: signed integer overflow</system-out></testcase>
</testsuite>""")
    out = tmp_path / "RELIABILITY.md"
    done = subprocess.run([sys.executable, str(SCRIPT), "--summary", str(_summary(tmp_path)), "--tsan-junit", str(junit),
                           "--asan-junit", str(asan), "--out", str(out)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert "3 ctest programs built with `-fsanitize=thread` and run (`tsan-junit.xml`): 1 passed, 2 failed." in text
    assert "- `sdk_c_seqlock`: WARNING: ThreadSanitizer: data race (pid=1)" in text
    assert "- `fund_fix_venue`: no sanitizer report (the test itself failed)" in text
    assert "## AddressSanitizer and UndefinedBehaviorSanitizer" in text
    assert ("2 ctest programs built with `-fsanitize=address,undefined` and run (`asan-junit.xml`): 1 passed, 1 failed."
            in text)
    assert "- `fund_engine`: engine.cpp:12:5: runtime error: signed integer overflow" in text
