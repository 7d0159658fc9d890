"""The abigen command line as a user runs it: help, generate, check and lint, in subprocesses."""

from __future__ import annotations

import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

import abigen as abigen_package
from abigen.frontend import load_spec

Runner = Callable[..., subprocess.CompletedProcess[str]]
Tree = Callable[[Path], dict[str, bytes | None]]

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "schema" / "abi.yaml"
COMMANDS = ("generate", "check", "verify", "lint")


def struct_names() -> list[str]:
    data = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    return list(data["structs"])


def message_names() -> list[str]:
    data = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    return list(data.get("messages", {}))


def expected_files() -> set[str]:
    """What generate writes for schema/abi.yaml, listed independently of abigen.targets: with wire
    messages, their headers, Python module and golden images too."""
    name = yaml.safe_load(SPEC.read_text(encoding="utf-8"))["abi"]["name"]
    wire = {f"cpp/{name}/wire.hpp", f"c/{name}/wire.h", f"python/{name}_abi/wire.py"} if message_names() else set()
    return {
        ".abigen", f"cpp/{name}/abi.hpp", f"c/{name}/abi.h", f"python/{name}_abi/__init__.py",
        "docs/ABI.md", "tests/layout_test.cpp", "tests/layout_test.c", "tests/test_abi_layout.py",
        *(f"tests/golden/{struct}.bin" for struct in struct_names()),
        *(f"tests/golden/{message}.bin" for message in message_names()), *wire,
    }


def files_of(snapshot: dict[str, bytes | None]) -> dict[str, bytes]:
    return {path: content for path, content in snapshot.items() if content is not None}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory, abigen: Runner) -> Path:
    out = tmp_path_factory.mktemp("pristine") / "out"
    result = abigen("generate", "--spec", SPEC, "--out", out)
    assert result.returncode == 0, result.stderr
    return out


# ---- help


def test_top_level_help_lists_commands_and_exit_status() -> None:
    script = Path(sys.executable).with_name("abigen")  # the console script, when installed
    command = [str(script)] if script.is_file() else [sys.executable, "-m", "abigen"]
    result = subprocess.run([*command, "--help"], capture_output=True, text=True, check=False, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: abigen")
    for command_name in COMMANDS:
        assert f"\n  {command_name} " in result.stdout, command_name
    assert "exit status:" in result.stdout
    for status in ("0  success", "1  check found stale outputs", "2  the spec has errors"):
        assert status in result.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_has_help(command: str, abigen: Runner) -> None:
    result = abigen(command, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.startswith(f"usage: abigen {command}")
    assert "--spec" in result.stdout
    assert ("--out" in result.stdout) == (command != "lint")
    assert ("--target" in result.stdout) == (command == "verify")


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_help_states_its_exit_status(command: str, abigen: Runner) -> None:
    assert "exit status" in abigen(command, "--help").stdout


def test_no_command_is_a_usage_error(abigen: Runner) -> None:
    result = abigen()
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "required: COMMAND" in result.stderr


def test_version(abigen: Runner) -> None:
    result = abigen("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"abigen {abigen_package.__version__}"


# ---- generate


def test_generate_writes_every_output_and_is_deterministic(
    abigen: Runner, tree: Tree, tmp_path: Path, pristine: Path,
) -> None:
    first = tree(pristine)
    assert set(files_of(first)) == expected_files()
    assert all(files_of(first).values()), "an empty output file"
    assert b"from schema/abi.yaml;" in files_of(first)[".abigen"]

    again = tmp_path / "again"
    assert abigen("generate", "--spec", SPEC, "--out", again).returncode == 0
    assert tree(again) == first

    # Inside the project, from another folder and with a relative --spec: the same bytes.
    elsewhere = tmp_path / "elsewhere"
    result = abigen("generate", "--spec", "abi.yaml", "--out", elsewhere, cwd=ROOT / "schema")
    assert result.returncode == 0, result.stderr
    assert tree(elsewhere) == first
    deeper = tmp_path / "deeper"
    assert abigen("generate", "--spec", SPEC, "--out", deeper, cwd=ROOT / "codegen" / "abigen").returncode == 0
    assert tree(deeper) == first


def test_generate_from_outside_the_project_writes_the_same_bytes(
    abigen: Runner, tree: Tree, tmp_path: Path, pristine: Path,
) -> None:
    outside = tmp_path / "cwd"
    outside.mkdir()
    result = abigen("generate", "--spec", SPEC, "--out", tmp_path / "out", cwd=outside)
    assert result.returncode == 0, result.stderr
    assert tree(tmp_path / "out") == tree(pristine)


def test_generate_refuses_a_folder_it_did_not_write(abigen: Runner, tree: Tree, tmp_path: Path) -> None:
    out = tmp_path / "precious"
    (out / "sub").mkdir(parents=True)
    (out / "notes.txt").write_text("mine\n")
    (out / "sub" / "data.bin").write_bytes(bytes(range(256)))
    before = tree(tmp_path)
    result = abigen("generate", "--spec", SPEC, "--out", out)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"abigen: {out}: refusing to replace a folder abigen did not write (no .abigen file in it)"]
    assert tree(tmp_path) == before  # nothing changed, no staging folder left beside it


def test_generate_replaces_its_own_folder_exactly(
    abigen: Runner, tree: Tree, tmp_path: Path, pristine: Path,
) -> None:
    out = tmp_path / "out"
    shutil.copytree(pristine, out)
    (out / "docs" / "ABI.md").write_text("edited by hand\n")
    (out / "stray.txt").write_text("not generated\n")
    (out / "tests" / "golden" / f"{struct_names()[0]}.bin").unlink()
    result = abigen("generate", "--spec", SPEC, "--out", out)
    assert result.returncode == 0, result.stderr
    assert tree(out) == tree(pristine)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging or retired folder left


def test_generate_into_an_empty_folder(abigen: Runner, tree: Tree, tmp_path: Path, pristine: Path) -> None:
    (tmp_path / "out").mkdir()
    assert abigen("generate", "--spec", SPEC, "--out", tmp_path / "out").returncode == 0
    assert tree(tmp_path / "out") == tree(pristine)


def test_generate_onto_a_file_is_a_usage_error(abigen: Runner, tmp_path: Path) -> None:
    out = tmp_path / "file"
    out.write_text("keep\n")
    result = abigen("generate", "--spec", SPEC, "--out", out)
    assert (result.returncode, "Traceback" in result.stderr) == (2, False), result.stderr
    assert out.read_text() == "keep\n"


def test_generated_folder_has_the_usual_permissions(abigen: Runner, tmp_path: Path) -> None:
    (tmp_path / "reference").mkdir()  # what mkdir gives under this umask
    assert abigen("generate", "--spec", SPEC, "--out", tmp_path / "out").returncode == 0
    mode = stat.S_IMODE((tmp_path / "out").stat().st_mode)
    assert mode == stat.S_IMODE((tmp_path / "reference").stat().st_mode), oct(mode)


# ---- check


def _edit(out: Path) -> tuple[str, str]:
    path = out / "cpp" / "fundos" / "abi.hpp"
    path.write_bytes(path.read_bytes() + b"// hand edit\n")
    return "cpp/fundos/abi.hpp", "differs"


def _edit_golden(out: Path) -> tuple[str, str]:
    path = out / "tests" / "golden" / f"{struct_names()[-1]}.bin"
    image = bytearray(path.read_bytes())
    image[0] ^= 1
    path.write_bytes(bytes(image))
    return f"tests/golden/{struct_names()[-1]}.bin", "differs"


def _delete(out: Path) -> tuple[str, str]:
    (out / "docs" / "ABI.md").unlink()
    return "docs/ABI.md", "missing"


def _add(out: Path) -> tuple[str, str]:
    (out / "c" / "fundos" / "extra.h").write_text("/* not generated */\n")
    return "c/fundos/extra.h", "not generated (remove it)"


@pytest.mark.parametrize("change", [_edit, _edit_golden, _delete, _add], ids=["edited", "golden", "deleted", "added"])
def test_check_fails_naming_the_stale_file(
    change: Callable[[Path], tuple[str, str]], abigen: Runner, tree: Tree, tmp_path: Path, pristine: Path,
) -> None:
    out = tmp_path / "out"
    shutil.copytree(pristine, out)
    fresh = abigen("check", "--spec", SPEC, "--out", out)
    assert (fresh.returncode, fresh.stdout) == (0, f"{out}: up to date with the spec\n"), fresh.stderr

    relative, what = change(out)
    before = tree(out)
    result = abigen("check", "--spec", SPEC, "--out", out)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"{out / relative}: {what}",
        f"abigen: {out} is stale; run `abigen generate` and commit the result",
    ]
    assert tree(out) == before  # check only reads


def test_check_ignores_python_bytecode(abigen: Runner, tmp_path: Path, pristine: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(pristine, out)
    cache = out / "python" / "fundos_abi" / "__pycache__"
    cache.mkdir()
    (cache / "__init__.cpython-311.pyc").write_bytes(b"\0" * 16)
    assert abigen("check", "--spec", SPEC, "--out", out).returncode == 0


# ---- lint


def test_lint_accepts_the_project_spec(abigen: Runner) -> None:
    result = abigen("lint", "--spec", SPEC)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    spec = load_spec(SPEC)
    wire = f", {len(message_names())} wire messages, wire hash {spec.wire_hash_hex}" if message_names() else ""
    assert result.stdout == f"{SPEC}: ok ({len(struct_names())} structs, layout hash {spec.layout_hash_hex}{wire})\n"


def test_lint_finds_the_project_spec_from_a_subfolder(abigen: Runner) -> None:
    result = abigen("lint", cwd=ROOT / "codegen" / "abigen")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{SPEC}: ok (")
