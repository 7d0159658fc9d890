"""The same golden-bytes images, produced independently by C++, C, Python ctypes and abigen.

Each layout test program fills every leaf of every struct with its sentinel through its own
compiled types; equal bytes across all four prove that all languages agree on every offset. The
wire messages' images are encodings: each language fills a message's value the same way and
encodes it with its own generated encoder (C++, C, the struct module), so equal bytes prove the
encoders agree on every offset and on the byte order.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from abigen.frontend import load_spec

ROOT = Path(__file__).resolve().parents[2]
GENERATED = ROOT / "generated"
GOLDEN = GENERATED / "tests" / "golden"
PROGRAMS = ("abi_layout_test_cpp", "abi_layout_test_c")


@pytest.fixture(scope="module")
def build_dir() -> Path:
    """The CMake build tox made (FUNDOS_BUILD_DIR), or a build of our own under build/."""
    given = os.environ.get("FUNDOS_BUILD_DIR")
    build = Path(given) if given else ROOT / "build"
    if not given:
        subprocess.run(
            ["cmake", "-S", str(ROOT), "-B", str(build), "-DCMAKE_BUILD_TYPE=Debug"], check=True, capture_output=True
        )
        subprocess.run(["cmake", "--build", str(build), "-j2", "--target", *PROGRAMS], check=True, capture_output=True)
    for program in PROGRAMS:
        assert (build / program).is_file(), f"{build / program} was not built"
    return build


def images(folder: Path) -> dict[str, bytes]:
    return {p.stem: p.read_bytes() for p in sorted(folder.glob("*.bin"))}


def python_images(out: Path) -> None:
    """Writes ctypes' images with the generated Python layout test's own filler, in a fresh
    interpreter so nothing from this process's imports leaks in."""
    script = (
        "import sys, pathlib\n"
        f"sys.path[:0] = [{str(GENERATED / 'python')!r}, {str(GENERATED / 'tests')!r}]\n"
        "import test_abi_layout as t\n"
        "for name in t.SIZES:\n"
        f"    (pathlib.Path({str(out)!r}) / f'{{name}}.bin').write_bytes(t.python_image(name))\n"
        "for name in getattr(t, 'MESSAGES', {}):\n"
        f"    (pathlib.Path({str(out)!r}) / f'{{name}}.bin').write_bytes(t.python_message_image(name))\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True)


def test_cpp_c_python_and_abigen_write_identical_bytes(build_dir: Path, tmp_path: Path) -> None:
    produced: dict[str, dict[str, bytes]] = {"abigen": images(GOLDEN)}
    for program in PROGRAMS:
        out = tmp_path / program
        out.mkdir()
        subprocess.run([str(build_dir / program), "--write", str(out)], check=True)
        produced[program] = images(out)
    (tmp_path / "python").mkdir()
    python_images(tmp_path / "python")
    produced["python"] = images(tmp_path / "python")

    assert len(produced["abigen"]) >= 10
    assert {"PacketHeader", "Quote", "InstrumentSnapshot"} <= produced["abigen"].keys()
    for language, structs in produced.items():
        assert structs.keys() == produced["abigen"].keys(), language
        for name, image in structs.items():
            assert image == produced["abigen"][name], f"{language} disagrees with abigen on {name}"


def test_layout_program_names_the_field_of_a_wrong_byte(build_dir: Path, tmp_path: Path) -> None:
    golden = tmp_path / "golden"
    golden.mkdir()
    for name, image in images(GOLDEN).items():
        (golden / f"{name}.bin").write_bytes(image)
    offset = load_spec(ROOT / "schema" / "abi.yaml").struct("IntentRecord").field("qty").offset
    tampered = bytearray((golden / "IntentRecord.bin").read_bytes())
    tampered[offset] ^= 0xFF
    (golden / "IntentRecord.bin").write_bytes(bytes(tampered))
    for program in PROGRAMS:
        result = subprocess.run(
            [str(build_dir / program), "--check", str(golden)], capture_output=True, text=True, check=False
        )
        assert result.returncode == 1, program
        assert f"IntentRecord: byte {offset} (in field qty)" in result.stderr, (program, result.stderr)


def test_wire_golden_image_is_big_endian_as_declared() -> None:
    """The byte order is the spec's, not the host's: a Quote's frame and first field read big-endian."""
    spec = load_spec(ROOT / "schema" / "abi.yaml")
    assert spec.wire is not None and spec.wire.byte_order == "big"
    quote = spec.message("Quote")
    image = (GOLDEN / "Quote.bin").read_bytes()
    assert image[0:4] == bytes([0, quote.size, 0, quote.id])
    mix0 = ((1 * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF)
    mix0 ^= mix0 >> 32
    assert image[4:8] == (mix0 & 0xFFFFFFFF).to_bytes(4, "big")  # instrument_id, the first leaf
