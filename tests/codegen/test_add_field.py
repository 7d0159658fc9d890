"""The issue's "done" criterion: add a field to a struct with reserved tail room, and every
output follows (C++, C, Python, doc, the three layout tests, the golden image), the size stays,
the layout hash changes, `check` catches the stale tree first, and the new layout tests compile
and pass.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from abigen.frontend import load_spec
from abigen.ir.model import Spec

Runner = Callable[..., subprocess.CompletedProcess[str]]
Tree = Callable[[Path], dict[str, bytes | None]]

ROOT = Path(__file__).resolve().parents[2]
STRUCT = "IntentRecord"
NEW_FIELD = "venue_id"


def add_field(text: str) -> str:
    """The spec with `venue_id` inserted into IntentRecord right after client_tag."""
    lines = text.splitlines(keepends=True)
    start = lines.index(f"  {STRUCT}:\n")
    at = next(i for i in range(start, len(lines)) if "{name: client_tag," in lines[i])
    indent = lines[at][: lines[at].index("- ")]
    lines.insert(at + 1, f"{indent}- {{name: {NEW_FIELD}, type: u32, unit: id, doc: 'Venue routing id; 0 for the default.'}}\n")
    return "".join(lines)


def files_of(snapshot: dict[str, bytes | None]) -> dict[str, bytes]:
    return {path: content for path, content in snapshot.items() if content is not None}


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PYTEST"))}
    env.update(PYTHONDONTWRITEBYTECODE="1", **extra)
    return env


@dataclass(frozen=True)
class Story:
    project: Path
    out: Path
    old: Spec
    new: Spec
    old_files: dict[str, bytes]
    stale_check: subprocess.CompletedProcess[str]
    regenerate: subprocess.CompletedProcess[str]
    fresh_check: subprocess.CompletedProcess[str]
    new_files: dict[str, bytes]

    @property
    def offset(self) -> int:
        return self.new.struct(STRUCT).field(NEW_FIELD).offset

    def text(self, relative: str) -> str:
        return self.new_files[relative].decode("utf-8")


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory, abigen: Runner, tree: Tree) -> Story:
    project = tmp_path_factory.mktemp("project")
    spec = project / "schema" / "abi.yaml"
    spec.parent.mkdir()
    shutil.copyfile(ROOT / "schema" / "abi.yaml", spec)
    out = project / "out"
    first = abigen("generate", "--spec", spec, "--out", out, cwd=project)
    assert first.returncode == 0, first.stderr
    old_files = files_of(tree(out))
    old = load_spec(spec)

    spec.write_text(add_field(spec.read_text(encoding="utf-8")), encoding="utf-8")
    stale_check = abigen("check", "--spec", spec, "--out", out, cwd=project)
    regenerate = abigen("generate", "--spec", spec, "--out", out, cwd=project)
    fresh_check = abigen("check", "--spec", spec, "--out", out, cwd=project)
    return Story(project, out, old, load_spec(spec), old_files, stale_check, regenerate, fresh_check,
                 files_of(tree(out)))


def test_the_new_field_takes_reserved_tail_room(story: Story) -> None:
    old, new = story.old.struct(STRUCT), story.new.struct(STRUCT)
    client_tag = old.field("client_tag")
    tail = old.fields[-1]
    assert (tail.role, tail.offset) == ("reserved", client_tag.offset + client_tag.size), "no tail room"
    assert story.offset == tail.offset and story.offset % 4 == 0
    assert new.field(NEW_FIELD).size == 4
    assert new.size == old.size == 128
    assert new.fields[-1].role == "reserved"
    assert (new.fields[-1].offset, new.fields[-1].size) == (tail.offset + 4, tail.size - 4)
    assert story.new.layout_hash != story.old.layout_hash


def test_check_fails_naming_every_stale_file(story: Story) -> None:
    result = story.stale_check
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    *named, summary = result.stderr.splitlines()
    assert summary == f"abigen: {story.out} is stale; run `abigen generate` and commit the result"
    # Every text output carries the layout hash; of the golden images only IntentRecord's and those
    # of the structs that embed it move.
    expected = {p for p in story.old_files if not p.startswith("tests/golden/")} | {
        f"tests/golden/{name}.bin" for name in embedding(story, STRUCT)
    }
    assert sorted(named) == sorted(f"{story.out / p}: differs" for p in expected)


def test_regenerated_tree_is_fresh(story: Story) -> None:
    assert story.regenerate.returncode == 0, story.regenerate.stderr
    assert (story.fresh_check.returncode, story.fresh_check.stderr) == (0, "")
    assert set(story.new_files) == set(story.old_files)


def test_cpp_header_declares_and_pins_the_field(story: Story) -> None:
    header = story.text("cpp/fundos/abi.hpp")
    assert f"    std::uint32_t {NEW_FIELD};" in header
    assert f"static_assert(offsetof({STRUCT}, {NEW_FIELD}) == {story.offset} && sizeof({STRUCT}::{NEW_FIELD}) == 4);" \
        in header
    assert f"static_assert(sizeof({STRUCT}) == 128);" in header
    assert NEW_FIELD not in story.old_files["cpp/fundos/abi.hpp"].decode()


def test_c_header_declares_and_pins_the_field(story: Story) -> None:
    header = story.text("c/fundos/abi.h")
    assert f"    uint32_t {NEW_FIELD};" in header
    assert f"offsetof(fundos_intent_record_t, {NEW_FIELD}) == {story.offset} && " in header
    assert NEW_FIELD not in story.old_files["c/fundos/abi.h"].decode()


def test_python_module_has_the_field(story: Story) -> None:
    script = (
        "import ctypes, fundos_abi as m\n"
        f"r = m.{STRUCT}\n"
        f"print(m.__file__, r.{NEW_FIELD}.offset, r.{NEW_FIELD}.size, ctypes.sizeof(r), hex(m.ABI_LAYOUT_HASH))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=story.project, capture_output=True, text=True,
                            env=clean_env(PYTHONPATH=str(story.out / "python")), check=False, timeout=60)
    assert result.returncode == 0, result.stderr
    module, offset, size, sizeof, layout_hash = result.stdout.split()
    assert Path(module).is_relative_to(story.out), "imported some other fundos_abi"
    assert (int(offset), int(size), int(sizeof)) == (story.offset, 4, 128)
    assert layout_hash == hex(story.new.layout_hash)


def test_reference_doc_lists_the_field(story: Story) -> None:
    assert f"| {story.offset} | 4 | `{NEW_FIELD}` | u32 | id |" in story.text("docs/ABI.md")


def test_all_three_layout_tests_check_the_field(story: Story) -> None:
    assert f'{{"{NEW_FIELD}", {story.offset}, 4}}' in story.text("tests/layout_test.cpp")
    assert f'{{"{NEW_FIELD}", {story.offset}, 4}}' in story.text("tests/layout_test.c")
    assert f'("{STRUCT}", "{NEW_FIELD}", {story.offset}, 4)' in story.text("tests/test_abi_layout.py")


def embedding(story: Story, name: str) -> set[str]:
    """`name` and every struct that contains it, directly or through other structs."""
    found = {name}
    for struct in story.new.structs:  # dependency order: embedded structs come first
        if any(f.element.ref in found for f in struct.fields if f.element.kind == "struct"):
            found.add(struct.name)
    assert len(found) < len(story.new.structs)
    return found


def test_only_the_changed_structs_golden_image_changes(story: Story) -> None:
    moved = {f"tests/golden/{name}.bin" for name in embedding(story, STRUCT)}
    for path, image in story.new_files.items():
        if path.startswith("tests/golden/"):
            changed = image != story.old_files[path]
            assert changed == (path in moved), path
    assert len(story.new_files[f"tests/golden/{STRUCT}.bin"]) == 128


def test_layout_hash_changes_everywhere(story: Story) -> None:
    old_hex, new_hex = story.old.layout_hash_hex, story.new.layout_hash_hex
    assert old_hex != new_hex
    assert story.text(".abigen").endswith(f"layout hash {new_hex}\n")
    assert f"ABI_LAYOUT_HASH = {new_hex}ULL;" in story.text("cpp/fundos/abi.hpp")
    assert f"#define FUNDOS_ABI_LAYOUT_HASH UINT64_C({new_hex})" in story.text("c/fundos/abi.h")
    assert all(old_hex not in story.text(p) for p in story.new_files if not p.startswith("tests/golden/"))


COMPILERS = {
    "cpp": ["g++", "-std=c++20", "-Wall", "-Wextra", "-Werror"],
    "c": ["gcc", "-std=c11", "-Wall", "-Wextra", "-Werror"],
}


@pytest.fixture(scope="module")
def programs(story: Story, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The regenerated C++ and C layout tests, compiled once."""
    missing = [flags[0] for flags in COMPILERS.values() if shutil.which(flags[0]) is None]
    if missing:
        pytest.skip(f"no {', '.join(missing)} on PATH")
    folder = tmp_path_factory.mktemp("programs")
    built = {}
    for language, flags in COMPILERS.items():
        source = story.out / "tests" / f"layout_test.{language}"
        program = folder / f"layout_test_{language}"
        result = subprocess.run([*flags, "-I", str(story.out / language), str(source), "-o", str(program)],
                                capture_output=True, text=True, check=False, timeout=300)
        assert result.returncode == 0, f"{language}: {result.stderr}"
        built[language] = program
    return built


@pytest.mark.parametrize("language", sorted(COMPILERS))
def test_compiled_layout_test_passes_on_the_new_golden_images(
    language: str, programs: dict[str, Path], story: Story, tmp_path: Path,
) -> None:
    result = subprocess.run([str(programs[language]), "--check", str(story.out / "tests" / "golden")],
                            capture_output=True, text=True, check=False, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr

    # ... and fails on the images of the old layout, so the pass above means something.
    old_golden = tmp_path / "old_golden"
    old_golden.mkdir()
    for path, image in story.old_files.items():
        if path.startswith("tests/golden/"):
            (old_golden / Path(path).name).write_bytes(image)
    stale = subprocess.run([str(programs[language]), "--check", str(old_golden)],
                           capture_output=True, text=True, check=False, timeout=60)
    assert stale.returncode == 1
    assert f"{STRUCT}: byte " in stale.stderr


def test_generated_python_layout_test_passes(story: Story) -> None:
    test_file = story.out / "tests" / "test_abi_layout.py"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error", str(test_file)],
        cwd=story.project, capture_output=True, text=True, check=False, timeout=300,
        env=clean_env(PYTHONPATH=str(story.out / "python")),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout and "failed" not in result.stdout
