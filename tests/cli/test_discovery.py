"""Finding `fund` and `fundos-data`: --fund, the environment, the build folder, a repository's
build/ above the configuration or the current folder, PATH; a clear error otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import echo_program
from fundos.cli.discovery import FUND, FUNDOS_DATA, find_program
from fundos.cli.errors import CliError, UsageError


def test_explicit_path_wins(tmp_path: Path) -> None:
    given = echo_program(tmp_path / "mine" / "fund")
    other = echo_program(tmp_path / "env" / "fund")
    assert find_program(FUND, str(given), [], {"FUNDOS_FUND": str(other)}) == given.resolve()


def test_explicit_path_must_be_executable(tmp_path: Path) -> None:
    plain = tmp_path / "fund"
    plain.write_text("not a program")
    with pytest.raises(UsageError, match="--fund .*: not an executable file"):
        find_program(FUND, str(plain), [], {})
    with pytest.raises(UsageError, match=r"\$FUNDOS_FUND is .*not an executable file"):
        find_program(FUND, None, [], {"FUNDOS_FUND": str(tmp_path / "missing")})


def test_environment_then_build_dir(tmp_path: Path) -> None:
    env_fund = echo_program(tmp_path / "env" / "fund")
    build_fund = echo_program(tmp_path / "build" / "fund" / "fund")
    assert find_program(FUND, None, [], {"FUNDOS_FUND": str(env_fund), "FUNDOS_BUILD_DIR": str(tmp_path / "build")}) \
        == env_fund.resolve()
    assert find_program(FUND, None, [], {"FUNDOS_BUILD_DIR": str(tmp_path / "build")}) == build_fund.resolve()
    data = echo_program(tmp_path / "build" / "fund" / "fundos-data")
    assert find_program(FUNDOS_DATA, None, [], {"FUNDOS_BUILD_DIR": str(tmp_path / "build")}) == data.resolve()


def test_repository_build_above_the_config_then_cwd(tmp_path: Path) -> None:
    repo_fund = echo_program(tmp_path / "repo" / "build" / "fund" / "fund")
    config_dir = tmp_path / "repo" / "configs" / "deep"
    config_dir.mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"PATH": "/nonexistent", "FUNDOS_BUILD_DIR": str(tmp_path / "empty-build")}
    assert find_program(FUND, None, [config_dir, elsewhere], env) == repo_fund
    assert find_program(FUND, None, [elsewhere, config_dir], env) == repo_fund


def test_path_last(tmp_path: Path) -> None:
    on_path = echo_program(tmp_path / "bin" / "fund")
    assert find_program(FUND, None, [tmp_path / "nowhere"], {"PATH": str(tmp_path / "bin")}) == on_path.resolve()


def test_nothing_found(tmp_path: Path) -> None:
    with pytest.raises(CliError) as caught:
        find_program(FUND, None, [tmp_path], {"PATH": str(tmp_path)})
    assert caught.value.exit_code == 2
    message = str(caught.value)
    assert "cannot find the `fund` program: give --fund PATH, set $FUNDOS_FUND or $FUNDOS_BUILD_DIR" in message
    assert str(tmp_path) in message and "\n" not in message
