"""Wire messages (`wire:` and `messages:` in the spec): the loader's checks and their codes, the
packed layout, golden images in the declared byte order, the serialized IR, and the generated C++,
C and Python encoders of a small spec compiled and run (little-endian, so the byte order is
proved to come from the spec and not from the host or a default)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from abigen.diagnostics import SpecError
from abigen.frontend import load_spec_text
from abigen.golden import message_image, mix
from abigen.ir.model import Spec
from abigen.ir.serialize import IrFormatError, dumps, lock_to_dict, spec_from_dict, spec_from_lock, spec_to_dict
from abigen.output import write_tree
from abigen.targets import render_all

ROOT = Path(__file__).resolve().parents[2]

BASE = """\
abi:
  name: demo
  version: "1.0"
units:
  id: an identifier
  count: a count
  price: quote currency per unit
constants:
  NAME_LEN: {type: u32, value: 6}
enums:
  Side:
    type: u8
    on_unknown: reject
    values:
      BUY: {value: 1}
      SELL: {value: 2}
types:
  Price: {type: i64, unit: price, decimals: 8}
structs:
  Shared:
    direction: any
    fields:
      - {name: a, type: u32}
wire:
  byte_order: little
  version: 3
messages:
  Head:
    doc: A header, no frame.
    fields:
      - {name: magic, type: u32}
      - {name: count, type: u16, unit: count}
  Order:
    id: 7
    doc: Every kind of field.
    fields:
      - {name: tag, type: u8}
      - {name: price, type: Price}
      - {name: side, type: Side}
      - {reserved: 3}
      - {name: name, type: "char[NAME_LEN]"}
      - {name: levels, type: "i32[3]"}
      - {name: small, type: i16}
  Ping:
    id: 8
    fields:
      - {name: at, type: u64}
"""


def load(text: str) -> Spec:
    return load_spec_text(text, Path("wire.yaml"))


def errors(text: str) -> list[tuple[str, str, str]]:
    with pytest.raises(SpecError) as raised:
        load(text)
    return [(d.code, d.path, d.message) for d in raised.value.diagnostics]


def edit(old: str, new: str) -> str:
    assert BASE.count(old) == 1, old
    return BASE.replace(old, new)


# ---- the loader


def test_messages_are_packed_with_a_frame_before_the_fields() -> None:
    spec = load(BASE)
    assert spec.wire is not None and (spec.wire.byte_order, spec.wire.version) == ("little", 3)
    head, order, ping = spec.messages
    assert (head.id, head.size, head.frame_size) == (None, 6, 0)
    assert [(f.name, f.offset, f.size) for f in head.fields] == [("magic", 0, 4), ("count", 4, 2)]
    assert (order.id, order.frame_size) == (7, 4)
    assert [(f.name, f.role, f.offset, f.size) for f in order.fields] == [
        ("tag", "data", 4, 1), ("price", "data", 5, 8), ("side", "data", 13, 1), ("reserved_14", "reserved", 14, 3),
        ("name", "data", 17, 6), ("levels", "data", 23, 12), ("small", "data", 35, 2)]
    assert order.size == 37 and ping.size == 12
    assert order.field("price").decimals == 8 and order.field("side").element.ref == "Side"


def test_messages_do_not_change_the_shared_memory_layout_hash() -> None:
    without = load(BASE[:BASE.index("wire:")])
    spec = load(BASE)
    assert without.messages == () and without.wire is None and without.wire_hash == 0
    assert spec.layout_hash == without.layout_hash
    assert spec.wire_hash != 0


def test_wire_hash_follows_the_bytes_not_the_names_or_order() -> None:
    spec = load(BASE)
    renamed = load(BASE.replace("{name: at, type: u64}", "{name: sent_at, type: u64}"))
    reordered = load(BASE.replace("  Ping:\n    id: 8\n    fields:\n      - {name: at, type: u64}\n", "")
                     .replace("messages:\n", "messages:\n  Ping:\n    id: 8\n    fields:\n      - {name: at, type: u64}\n"))
    moved = load(BASE.replace("{name: at, type: u64}", "{name: at, type: i64}"))
    big = load(BASE.replace("byte_order: little", "byte_order: big"))
    assert spec.wire_hash == renamed.wire_hash == reordered.wire_hash
    assert len({spec.wire_hash, moved.wire_hash, big.wire_hash}) == 3


@pytest.mark.parametrize("text, code, path, phrase", [
    (edit("byte_order: little", "byte_order: native"), "E201", "wire.byte_order",
     "'native' is not a byte order: write big (network order, what feeds use) or little"),
    (edit("  byte_order: little\n", ""), "E201", "wire", "'byte_order' is a required property"),
    (edit("wire:\n  byte_order: little\n  version: 3\n", ""), "E316", "messages",
     "messages need a `wire:` section declaring their byte_order"),
    (BASE[:BASE.index("messages:")], "E316", "wire", "a `wire:` section without `messages:`"),
    (edit("    id: 8\n", "    id: 7\n"), "E315", "messages.Ping.id", "message id 7 is already used by Order"),
    (edit("    id: 8\n", "    id: 0\n"), "E201", "messages.Ping.id", "0 is less than the minimum of 1"),
    (edit("{name: at, type: u64}", "{name: at, type: Shared}"), "E314", "messages.Ping.fields[0].type",
     "a message field cannot hold a struct ('Shared')"),
    (edit("{name: at, type: u64}", "{name: at, type: f64}"), "E314", "messages.Ping.fields[0].type",
     "a message field cannot hold a float ('f64')"),
    (edit("{name: at, type: u64}", "{name: at, type: u64, atomic: true}"), "E509", "messages.Ping.fields[0].atomic",
     "`atomic` means nothing on the wire"),
    (edit("{name: at, type: u64}", "{name: encode, type: u64}"), "E507", "messages.Ping.fields[0].name",
     "'encode' is a method of every generated message"),
    (edit("  Ping:\n", "  MessageId:\n"), "E507", "messages.MessageId",
     "'MessageId' is a name the generated wire code defines itself"),
    (edit("  Ping:\n", "  Shared:\n"), "E310", "messages.Shared", "'Shared' is already declared in structs"),
    (edit("{name: at, type: u64}", "{name: at, type: \"u8[70000]\"}"), "E406", "messages.Ping",
     "the message takes 70004 bytes, more than the 65535 its frame's u16 size can say"),
    (edit("{name: at, type: u64}", "{name: at, type: u64}\n      - {name: at, type: u32}"), "E307",
     "messages.Ping.fields[1].name", "duplicate field 'at' (also field 0)"),
    (edit("{name: at, type: u64}", "{name: at, type: Sid}"), "E301", "messages.Ping.fields[0].type",
     "unknown type 'Sid'; did you mean 'Side'?"),
    (edit("{name: at, type: u64}", "{reserved: 8}"), "E314", "messages.Ping.fields",
     "a message needs at least one named field"),
])
def test_bad_wire_specs_name_the_code_path_and_problem(text: str, code: str, path: str, phrase: str) -> None:
    found = errors(text)
    assert any(c == code and p == path and phrase in m for c, p, m in found), found


def test_every_wire_error_is_reported_in_one_run() -> None:
    text = edit("{name: at, type: u64}", "{name: at, type: f32}").replace("    id: 8\n", "    id: 7\n")
    codes = sorted(c for c, _, _ in errors(text))
    assert codes == ["E314", "E315"]


# ---- golden images and the serialized IR


def test_golden_image_uses_the_declared_byte_order() -> None:
    spec = load(BASE)
    ping = spec.message("Ping")
    image = message_image(spec, ping)
    assert image == (12).to_bytes(2, "little") + (8).to_bytes(2, "little") + mix(0).to_bytes(8, "little")
    big = load(BASE.replace("byte_order: little", "byte_order: big"))
    assert message_image(big, big.message("Ping")) == bytes([0, 12, 0, 8]) + mix(0).to_bytes(8, "big")
    order = message_image(spec, spec.message("Order"))
    assert order[14:17] == b"\0\0\0"  # reserved bytes are zero, not a leaf
    assert order[4] == mix(0) & 0xFF and order[13] == mix(2) & 0xFF and order[17] == mix(3) & 0xFF


def test_ir_round_trip_and_lock_keep_the_messages() -> None:
    spec = load(BASE)
    data = spec_to_dict(spec)
    assert data["wire"] == {"byte_order": "little", "version": 3}
    assert [m["name"] for m in data["messages"]] == ["Head", "Order", "Ping"]
    again = spec_from_dict(json.loads(dumps(data)))
    assert spec_to_dict(again) == data
    assert again.messages[1].fields == tuple(f.__class__(**{**f.__dict__, "doc": ""}) for f in spec.messages[1].fields)
    assert spec_from_lock(lock_to_dict(spec)).wire_hash == spec.wire_hash


def test_a_spec_without_messages_serializes_as_before() -> None:
    plain = load(BASE[:BASE.index("wire:")])
    assert not {"wire", "messages", "wire_hash"} & set(spec_to_dict(plain))


def test_the_released_locks_read_back_with_the_messages_of_their_release() -> None:
    """1.0 and 1.1 came before the wire messages; 1.2, their first release, holds the spec's."""
    current = load_spec_text((ROOT / "schema" / "abi.yaml").read_text(encoding="utf-8"), ROOT / "schema" / "abi.yaml")
    locks = sorted((ROOT / "schema" / "history").glob("abi-*.lock.json"))
    assert [lock.name for lock in locks][:3] == ["abi-1.0.lock.json", "abi-1.1.lock.json", "abi-1.2.lock.json"]
    for lock in locks:
        spec = spec_from_lock(json.loads(lock.read_text(encoding="utf-8")))
        if lock.name in ("abi-1.0.lock.json", "abi-1.1.lock.json"):
            assert spec.messages == () and spec.wire is None, lock
        else:
            assert spec.wire is not None and spec.messages, lock
    released, now = json.loads(locks[2].read_text(encoding="utf-8")), lock_to_dict(current)
    assert released["ir"]["wire_hash"] == now["ir"]["wire_hash"] and released["ir"]["messages"] == now["ir"]["messages"]


def test_a_tampered_or_partial_wire_section_is_refused() -> None:
    data = spec_to_dict(load(BASE))
    data["messages"][2]["fields"][0]["offset"] = 5
    with pytest.raises(IrFormatError, match=r"ir.wire_hash: recorded 0x[0-9a-f]{16} but the messages hash to"):
        spec_from_dict(data)
    partial = spec_to_dict(load(BASE))
    del partial["wire_hash"]
    with pytest.raises(IrFormatError, match="missing 'wire_hash'"):
        spec_from_dict(partial)


# ---- the generated code of BASE, compiled and run


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wire") / "generated"
    write_tree(render_all(load(BASE), "wire.yaml"), out)
    return out


def test_outputs_include_the_wire_files(generated: Path) -> None:
    for relative in ("cpp/demo/wire.hpp", "c/demo/wire.h", "python/demo_abi/wire.py", "tests/golden/Order.bin",
                     "tests/golden/Head.bin"):
        assert (generated / relative).is_file(), relative
    doc = (generated / "docs" / "ABI.md").read_text(encoding="utf-8")
    assert "## Wire messages" in doc and "**little-endian**" in doc and "| 7 | [`Order`](#order) | 37 |" in doc
    assert "| 0 | 2 | *size* | u16 | bytes | frame: the message's size, always 37 |" in doc
    assert (generated / "tests" / "golden" / "Order.bin").read_bytes() == message_image(load(BASE),
                                                                                         load(BASE).message("Order"))


def test_no_wire_files_without_messages(tmp_path: Path) -> None:
    files = render_all(load(BASE[:BASE.index("wire:")]), "plain.yaml")
    assert not [p for p in files if "wire" in p]
    assert "## Wire messages" not in files["docs/ABI.md"].decode()


@pytest.mark.parametrize("language, compiler", [
    ("cpp", ["g++", "-std=c++20", "-Wall", "-Wextra", "-Werror", "-fsanitize=undefined",
             "-fno-sanitize-recover=all"]),
    ("c", ["gcc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-fsanitize=undefined",
           "-fno-sanitize-recover=all"]),
])
def test_generated_layout_test_compiles_and_checks_the_images(generated: Path, tmp_path: Path, language: str,
                                                               compiler: list[str]) -> None:
    source = generated / "tests" / ("layout_test.cpp" if language == "cpp" else "layout_test.c")
    program = tmp_path / f"layout_{language}"
    built = subprocess.run([*compiler, "-I", str(generated / language), str(source), "-o", str(program)],
                           capture_output=True, text=True, check=False, timeout=300)
    assert built.returncode == 0, built.stderr
    result = subprocess.run([str(program), "--check", str(generated / "tests" / "golden")], capture_output=True,
                            text=True, check=False, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "1 structs and 3 wire messages match" in result.stdout
    # A wrong byte is named by its field.
    golden = tmp_path / "golden"
    golden.mkdir()
    for image in (generated / "tests" / "golden").iterdir():
        (golden / image.name).write_bytes(image.read_bytes())
    tampered = bytearray((golden / "Order.bin").read_bytes())
    tampered[20] ^= 0xFF  # inside `name` (17..22)
    (golden / "Order.bin").write_bytes(bytes(tampered))
    result = subprocess.run([str(program), "--check", str(golden)], capture_output=True, text=True, check=False,
                            timeout=60)
    assert result.returncode == 1
    assert "Order: byte 20 (in field name)" in result.stderr


def test_generated_python_layout_test_passes(generated: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(generated / "tests" / "test_abi_layout.py")],
        cwd=generated, capture_output=True, text=True, check=False, timeout=120,
        env={"PYTHONPATH": str(generated / "python"), "PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "passed" in result.stdout


def wire_module(generated: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("demo_wire_under_test", generated / "python" / "demo_abi" / "wire.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_python_encoder_round_trips_and_refuses_bad_input(generated: Path) -> None:
    wire = wire_module(generated)
    order = wire.Order(tag=255, price=-123456789, side=2, name=b"SPY", levels=(-1, 0, 2**31 - 1), small=-2)
    data = order.encode()
    assert len(data) == wire.Order.SIZE == 37
    assert data[:4] == bytes([37, 0, 7, 0])  # little-endian frame
    assert data[5:13] == (-123456789).to_bytes(8, "little", signed=True)
    assert data[17:23] == b"SPY\0\0\0"
    assert wire.Order.decode(data) == order
    assert wire.Order.decode(b"xx" + data, 2) == order
    buffer = bytearray(40)
    assert order.encode_into(buffer, 3) == 37 and bytes(buffer[3:]) == data
    with pytest.raises(wire.WireError, match="bytes left"):
        wire.Order.decode(data[:-1])
    with pytest.raises(wire.WireError, match="has id 7, not 8"):
        wire.Ping.decode(data)
    head = wire.Head(magic=0x01020304, count=2)
    assert head.encode() == bytes([4, 3, 2, 1, 2, 0]) and wire.Head.decode(head.encode()) == head
    unknown = bytes([9, 0, 99, 0]) + b"\xAA" * 5
    assert wire.decode_message(unknown + data) == (None, 9)
    assert wire.decode_message(unknown + data, 9) == (order, 37)
    with pytest.raises(wire.WireError, match="less than the frame itself"):
        wire.decode_message(bytes([3, 0, 1, 0]))
    assert wire.MESSAGES == {7: wire.Order, 8: wire.Ping}
    assert (wire.WIRE_VERSION, wire.BYTE_ORDER, wire.MAX_MESSAGE_SIZE) == (3, "little", 37)


# ---- compat, changelog and release with messages


def test_release_and_changelog_carry_the_messages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from abigen.cli import main

    base = tmp_path / "base.yaml"
    base.write_text(BASE[:BASE.index("wire:")], encoding="utf-8")
    new = tmp_path / "new.yaml"
    new.write_text(BASE.replace('version: "1.0"', 'version: "1.1"'), encoding="utf-8")
    history = tmp_path / "history"
    assert main(["release", "--spec", str(base), "--history", str(history)]) == 0
    assert main(["release", "--spec", str(new), "--history", str(history)]) == 0
    out = capsys.readouterr().out
    assert "released demo ABI 1.1 (1 structs, layout hash" in out and "3 wire messages, wire hash 0x" in out
    lock = json.loads((history / "abi-1.1.lock.json").read_text(encoding="utf-8"))
    assert [m["name"] for m in lock["ir"]["messages"]] == ["Head", "Order", "Ping"]
    assert spec_from_lock(lock).wire_hash == load(BASE).wire_hash
    assert main(["changelog", "--against", str(history / "abi-1.0.lock.json"), "--spec", str(new)]) == 0
    changelog = capsys.readouterr().out
    assert f"| wire hash | (none) | `{load(BASE).wire_hash_hex}` |" in changelog
    assert "`messages.Order`: (none) → id 7, 37 bytes" in changelog
    # Changing a released message is breaking, and needs a new wire.version as well.
    changed = tmp_path / "changed.yaml"
    changed.write_text(BASE.replace('version: "1.0"', 'version: "1.2"').replace("{name: small, type: i16}",
                                                                                 "{name: small, type: i32}"),
                       encoding="utf-8")
    status = main(["compat", "--against", str(history / "abi-1.1.lock.json"), "--spec", str(changed)])
    report = capsys.readouterr().out
    assert status == 8 | 16
    assert "breaking[MESSAGE_FROZEN]: messages.Order: id 7, 37 bytes -> id 7, 39 bytes" in report
    assert "small i16 -> i32" in report and "policy[WIRE_VERSION_NOT_BUMPED]: wire.version: 3 -> 3" in report


# ---- abigen verify: the wire headers compile for both targets and their fields are the spec's


def test_verify_checks_the_wire_headers(generated: Path, tmp_path: Path) -> None:
    import shutil

    from abigen.verify import verify_headers

    spec = load(BASE)
    assert verify_headers(spec, generated) == []
    tampered = tmp_path / "generated"
    shutil.copytree(generated, tampered)
    header = tampered / "cpp" / "demo" / "wire.hpp"
    text = header.read_text(encoding="utf-8")
    assert text.count("    std::int16_t small = {};") == 1
    header.write_text(text.replace("    std::int16_t small = {};", "    std::int32_t small = {};"), encoding="utf-8")
    found = [str(m) for m in verify_headers(spec, tampered, ["x86_64-linux-gnu"])]
    assert found == ["x86_64-linux-gnu c++ wire Order.small: type i32 != spec i16",
                     "x86_64-linux-gnu c++ wire Order.small: width 4 != spec 2"], found
    c_header = tampered / "c" / "demo" / "wire.h"
    c_header.write_text(c_header.read_text(encoding="utf-8").replace("return 0;\n    }\n    demo_wire_put_",
                                                                     "return 0;\n    }\n    demo_wire_putt_", 1),
                        encoding="utf-8")
    compile_errors = [m for m in verify_headers(spec, tampered, ["aarch64-linux-gnu"]) if m.what == "compile"]
    assert compile_errors and all(m.language == "c" for m in compile_errors), compile_errors
