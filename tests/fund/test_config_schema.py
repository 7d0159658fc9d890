"""schema/fund-config.schema.json and the C++ loader (fund/src/runtime/config_json.cpp) agree.

- the schema is a valid JSON Schema 2020-12;
- every example configuration (fund/examples/*.json) matches it;
- the bad-configuration corpus (tests/fund/bad_configs, see expected.txt there): files marked
  ``reject`` (structural faults) fail the schema, files marked ``accept`` (faults only the loader
  can see: references, files, duplicates, unsupported mode) pass it, ``syntax`` ones are not JSON;
  the C++ test fund_test_runtime_config checks that the loader rejects every one of them;
- the loader's normalized form of each example (``fund_test_runtime_config --normalize``) matches
  the schema and keeps every key the schema knows, so what the Fund writes it can read back.

The normalizer comes from the CMake build tox made (FUNDOS_BUILD_DIR; the test fails if it is not
there) or from build/ or build-runtime/ at the repository root (skipped when neither has it).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from fund_build import build_dir
from jsonschema import Draft202012Validator

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_PATH = ROOT / "schema" / "fund-config.schema.json"
EXAMPLES = sorted((ROOT / "fund" / "examples").glob("*.json"))
BAD = ROOT / "tests" / "fund" / "bad_configs"


def _schema() -> dict[str, Any]:
    value = json.loads(SCHEMA_PATH.read_text())
    assert isinstance(value, dict)
    return value


def _validator() -> Draft202012Validator:
    return Draft202012Validator(_schema())


def bad_config_corpus() -> list[tuple[str, str, str]]:
    """(file, schema verdict, message fragment) of every bad configuration in expected.txt."""
    rows: list[tuple[str, str, str]] = []
    for line in (BAD / "expected.txt").read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        name, verdict, fragment = line.split(" | ", 2)
        rows.append((name, verdict, fragment))
    return rows


def _errors(instance: Any) -> list[str]:
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '(top)'}: {e.message}"
            for e in _validator().iter_errors(instance)]


def _error_paths(instance: Any) -> list[list[str]]:
    return [[str(p) for p in e.absolute_path] for e in _validator().iter_errors(instance)]


def test_schema_is_valid_2020_12() -> None:
    schema = _schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_there_are_examples_and_a_corpus() -> None:
    assert {p.name for p in EXAMPLES} >= {"demo.json", "lean-spy.json"}
    assert len(bad_config_corpus()) >= 20


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_matches_schema(path: Path) -> None:
    assert _errors(json.loads(path.read_text())) == []


@pytest.mark.parametrize("name,verdict,fragment", bad_config_corpus(), ids=lambda v: str(v))
def test_bad_config_schema_verdict(name: str, verdict: str, fragment: str) -> None:
    text = (BAD / name).read_text()
    if verdict == "syntax":
        with pytest.raises(json.JSONDecodeError):
            json.loads(text)
        return
    errors = _errors(json.loads(text))
    if verdict == "reject":
        assert errors, f"{name}: the schema accepts a structural fault the loader rejects ({fragment})"
        # The schema objects at the field the loader names, or at the object holding it (a
        # missing or unknown key): "agents[1].risk.max_position" -> agents/1/risk/max_position.
        field = fragment.split(": ", 1)[0]
        parts = [] if field == "(top level)" else re.sub(r"\[(\d+)\]", r".\1", field).split(".")
        paths = _error_paths(json.loads(text))
        assert any(parts[: len(p)] == p for p in paths), f"{name}: schema errors at {paths}, loader at {parts}"
    else:
        assert verdict == "accept", f"{name}: unknown verdict {verdict!r}"
        assert errors == [], f"{name}: marked as a fault only the loader sees, but the schema rejects it"


def _schema_keys(schema: dict[str, Any], node: dict[str, Any]) -> set[str]:
    """Property names of an object schema, following one $ref."""
    ref = node.get("$ref")
    if isinstance(ref, str):
        node = schema["$defs"][ref.split("/")[-1]]
    props = node.get("properties", {})
    assert isinstance(props, dict)
    return set(props) - {"$schema"}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_normalized_example_matches_schema(path: Path, tmp_path: Path) -> None:
    program = build_dir("fund/fund_test_runtime_config") / "fund" / "fund_test_runtime_config"
    # The example as if at ROOT/fund/examples, with the data files it names present (empty).
    config = json.loads(path.read_text())
    where = tmp_path / "fund" / "examples"
    where.mkdir(parents=True)
    for data in config["simulation"]["data"]:
        target = (where / data).resolve()
        target.parent.mkdir(parents=True, exist_ok=True)
        target.touch()
    shutil.copy(path, where / path.name)
    done = subprocess.run([str(program), "--normalize", str(where / path.name)],
                          capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    normalized = json.loads(done.stdout)
    assert _errors(normalized) == []

    schema = _schema()
    assert set(normalized) == _schema_keys(schema, schema)
    assert set(normalized["simulation"]) == _schema_keys(schema, schema["properties"]["simulation"])
    assert set(normalized["execution"]) == _schema_keys(schema, schema["properties"]["execution"])
    assert set(normalized["risk"]) == _schema_keys(schema, schema["properties"]["risk"])
    for instrument in normalized["instruments"]:
        assert set(instrument) == _schema_keys(schema, schema["$defs"]["instrument"])
    for agent in normalized["agents"]:
        assert set(agent) == _schema_keys(schema, schema["$defs"]["agent"])
        assert Path(agent["working_dir"]).is_absolute()
    assert all(Path(d).is_absolute() for d in normalized["simulation"]["data"])
