"""The command line: errors are one line on stderr with exit status 2 and never a traceback;
--help reads like a manual; journal, check-config and data run the native programs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import clean_env, echo_program, fundos


@pytest.mark.parametrize("argv, words", [
    ([], "a command is needed"),
    (["frobnicate"], "invalid choice"),
    (["run"], "--config"),
    (["run", "--config"], "expected one argument"),
    (["run", "--config", "missing.json"], "--config missing.json: no such file"),
    (["run", "--config", "."], "--config .: not a file"),
    (["run", "--config", "x.json", "--bogus"], "unrecognized arguments: --bogus"),
    (["status", "--run-dir", "no/such/dir"], "--run-dir no/such/dir: no such folder"),
    (["status"], "no run with a control socket"),
    (["kill-switch", "--run-dir", ".", "--on"], "one of the arguments --fund --agent --instrument is required"),
    (["kill-switch", "--run-dir", ".", "--fund"], "one of the arguments --on --off is required"),
    (["kill-switch", "--run-dir", ".", "--fund", "--agent", "2", "--on"], "not allowed with argument"),
    (["kill-switch", "--run-dir", ".", "--agent", "two", "--on"], "an agent id is a whole number"),
    (["kill-switch", "--run-dir", ".", "--agent", "0", "--off"], "an agent id is 1 or more"),
    (["kill-switch", "--fund", "--on"], "--run-dir"),
    (["journal", "missing.fj"], "journal missing.fj: no such file"),
    (["journal", "."], "a folder, not a file"),
    (["check-config", "missing.json"], "check-config missing.json: no such file"),
])
def test_usage_errors_are_one_line(tmp_path: Path, argv: list[str], words: str) -> None:
    done = fundos(argv, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and words in done.stderr, done.stderr
    assert done.stderr.startswith("fundos") and "Traceback" not in done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize("command", [[], ["run"], ["status"], ["kill-switch"], ["journal"], ["check-config"]])
def test_help(tmp_path: Path, command: list[str]) -> None:
    done = fundos([*command, "--help"], cwd=tmp_path)
    assert done.returncode == 0 and done.stdout.startswith("usage: fundos")
    assert "exit status" in done.stdout or "programs:" in done.stdout


def test_check_config_and_journal_run_the_fund(tmp_path: Path, fake_fund: Path) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"name": "x"}))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"invalid": True}))
    done = fundos(["check-config", str(good), "--fund", str(fake_fund)], cwd=tmp_path)
    assert (done.returncode, done.stdout) == (0, f"{good}: ok\n")
    done = fundos(["check-config", str(bad)], cwd=tmp_path, env=clean_env({"FUNDOS_FUND": str(fake_fund)}))
    assert done.returncode == 2 and "instruments[0].symbol" in done.stderr
    journal = tmp_path / "journal.fj"
    journal.write_text("step 1\nstep 2\n")
    done = fundos(["journal", str(journal), "--json", "--fund", str(fake_fund)], cwd=tmp_path)
    assert done.returncode == 0
    assert [json.loads(line) for line in done.stdout.splitlines()] == [{"record": "step 1"}, {"record": "step 2"}]


def test_journal_finds_the_fund_in_the_build_dir(tmp_path: Path, fake_fund: Path) -> None:
    build = tmp_path / "build"
    (build / "fund").mkdir(parents=True)
    (build / "fund" / "fund").symlink_to(fake_fund)
    journal = tmp_path / "journal.fj"
    journal.write_text("one\n")
    done = fundos(["journal", str(journal)], cwd=tmp_path, env=clean_env({"FUNDOS_BUILD_DIR": str(build)}))
    assert (done.returncode, done.stdout) == (0, "one\n")


def test_data_passes_everything_through(tmp_path: Path) -> None:
    data = echo_program(tmp_path / "tools" / "fundos-data")
    env = clean_env({"FUNDOS_DATA": str(data)})
    done = fundos(["data", "import", "--help", "-x", "a b"], cwd=tmp_path, env=env)
    assert (done.returncode, done.stdout) == (3, "argv: import --help -x a b\n")
    done = fundos(["data"], cwd=tmp_path, env=clean_env({"PATH": "/nonexistent"}))
    assert done.returncode == 2 and "cannot find the `fundos-data` program" in done.stderr
    assert done.stderr.startswith("fundos data: ")
