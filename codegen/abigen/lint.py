"""What is unsafe in memory shared by processes of different languages, and why.

Each rule has a stable code. The loader calls these checks while it resolves a spec, so
`abigen generate` never emits code for a spec that fails them; `abigen lint` reports them alone.
"""

from __future__ import annotations

import re

# Types a C or C++ programmer might write, with the reason each is refused and what to use instead.
FORBIDDEN_TYPES: dict[str, str] = {
    "bool": "bool has no fixed representation across languages (a C++ bool holding 2 is undefined, "
            "ctypes normalises to 0/1); use u8 or an enum",
    "_Bool": "same as bool; use u8 or an enum",
    "long": "long is 4 bytes on some platforms and 8 on others; use i32 or i64",
    "ulong": "use u32 or u64",
    "int": "int's width is not fixed by the language; use i32",
    "uint": "use u32",
    "short": "use i16",
    "unsigned": "use u32",
    "size_t": "size_t follows the pointer width; use u64",
    "ssize_t": "ssize_t follows the pointer width; use i64",
    "ptrdiff_t": "ptrdiff_t follows the pointer width; use i64",
    "intptr_t": "addresses mean nothing in another process; store an offset as u64",
    "uintptr_t": "addresses mean nothing in another process; store an offset as u64",
    "float": "spell it f32",
    "double": "spell it f64",
    "long_double": "long double differs between x86_64 (16 bytes, 80-bit) and aarch64 (128-bit)",
    "wchar_t": "wchar_t differs between platforms; use char[N] holding UTF-8",
    "atomic": "mark a u32/u64/i32/i64 field `atomic: true` instead",
    "long_long": "use i64",
    "unsigned_long": "unsigned long is 4 bytes on some platforms and 8 on others; use u32 or u64",
    "unsigned_long_long": "use u64",
    "unsigned_int": "use u32",
    "unsigned_short": "use u16",
    "unsigned_char": "use u8",
    "signed_char": "use i8",
    **{f"{c}int{bits}_t": f"spell it {c[:1] or 'i'}{bits}" for c in ("", "u") for bits in (8, 16, 32, 64)},
}

ATOMIC_SCALARS = ("u32", "i32", "u64", "i64")

# Names that would not compile in one of the generated languages.
RESERVED_WORDS: frozenset[str] = frozenset(["alignas", "alignof", "and", "and_eq", "asm", "auto", "bitand", "bitor", "bool", "break", "case", "catch", "char", "char8_t", "char16_t", "char32_t", "class", "compl", "concept", "const", "consteval", "constexpr", "constinit", "const_cast", "continue", "co_await", "co_return", "co_yield", "decltype", "default", "delete", "do", "double", "dynamic_cast", "else", "enum", "explicit", "export", "extern", "false", "float", "for", "friend", "goto", "if", "inline", "int", "long", "mutable", "namespace", "new", "noexcept", "not", "not_eq", "nullptr", "operator", "or", "or_eq", "private", "protected", "public", "register", "reinterpret_cast", "requires", "restrict", "return", "short", "signed", "sizeof", "static", "static_assert", "static_cast", "struct", "switch", "template", "this", "thread_local", "throw", "true", "try", "typedef", "typeid", "typename", "union", "unsigned", "using", "virtual", "void", "volatile", "wchar_t", "while", "xor", "xor_eq", "_Alignas", "_Alignof", "_Atomic", "_Bool", "_Complex", "_Generic", "_Imaginary", "_Noreturn", "_Static_assert", "_Thread_local", "False", "None", "True", "as", "assert", "async", "await", "def", "del", "elif", "except", "finally", "from", "global", "import", "in", "is", "lambda", "nonlocal", "pass", "raise", "with", "yield", "_fields_", "_pack_", "_anonymous_", "_b_base_", "_b_needsfree_", "_objects"])
# Names that are reserved without being keywords: macros gcc predefines in its default GNU modes
# (linux, unix) or a standard header defines (errno: <atomic> includes <cerrno>), GNU's typeof,
# the ctypes.Structure class methods a field would hide, and the names the generated code
# itself defines beside the spec's constants.
RESERVED_NAMES: frozenset[str] = frozenset([
    "linux", "unix", "errno", "typeof", "typeof_unqual",
    "from_buffer", "from_buffer_copy", "from_address", "from_param", "in_dll",
    "ABI_NAME", "ABI_VERSION_MAJOR", "ABI_VERSION_MINOR", "ABI_LAYOUT_HASH", "ABI_STATIC_ASSERT", "ABI_ALIGNAS",
    "ABI_ALIGNOF", "LAYOUT",
])

# Names the generated wire code (fundos::wire, <prefix>_wire_*, fundos_abi.wire) defines beside the
# messages, and the methods every generated Python message class has.
WIRE_RESERVED_NAMES: frozenset[str] = frozenset(["Frame", "MessageId", "WireStatus", "WireError", "Message"])
WIRE_RESERVED_FIELDS: frozenset[str] = frozenset(["encode", "encode_into", "decode", "decode_from"])

GENERATED_NAME = re.compile(r"^(pad|reserved)_[0-9]+$")


def forbidden_type(text: str) -> tuple[str, str] | None:
    """(code, message) when `text` names a type the ABI refuses, else None."""
    if "*" in text or text.lower() in ("ptr", "pointer", "void"):
        return "E504", f"'{text}': pointers mean nothing in another process's address space; store an offset as u64"
    if re.search(r":\s*[0-9]+$", text):
        return "E503", (f"'{text}': bitfields lay out differently in gcc and ctypes; use a whole "
                        "integer and document its bits")
    base = re.sub(r"\[.*\]$", "", text.strip()).replace(" ", "_")
    if base.startswith(("std::atomic", "_Atomic")):
        base = "atomic"
    base = base.removeprefix("std::")
    advice = FORBIDDEN_TYPES.get(base)
    if advice is not None:
        return "E501", f"'{text}' is not allowed in shared memory: {advice}"
    return None


def name_problem(name: str) -> tuple[str, str] | None:
    if name in RESERVED_WORDS:
        return "E507", f"'{name}' is a reserved word in C, C++ or Python"
    if name in RESERVED_NAMES:
        return "E507", f"'{name}' is a reserved word or predefined name in C, C++, Python or the generated code"
    if GENERATED_NAME.match(name):
        return "E508", f"'{name}' has the form abigen uses for padding and reserved bytes"
    return None
