"""Every compatibility rule, with its stable id, severity and the reason it exists.

Ids never change meaning and are never reused; the reference doc (generated/docs/ABI.md, from
targets/doc/ABI.md.j2) lists the same table, and a test keeps the two in step.

Severities:
  breaking    needs a MAJOR bump, and even then an `allow_breaking:` entry, or CI fails (exit bit 8)
  compatible  needs a MINOR (or MAJOR) bump (exit bit 4)
  source      layout-safe; reported so reviewers see it, needs no bump and sets no exit bit
  policy      about the versioning itself: VERSION_NOT_BUMPED and WIRE_VERSION_NOT_BUMPED (bit 16), ALLOW_BREAKING_EXPIRED
              (bit 1), ALLOW_BREAKING_UNUSED (a warning, no bit)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["breaking", "compatible", "source", "policy"]


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    summary: str  # what the rule checks, one line
    why: str  # why a violation matters in shared memory, one or two sentences


_RULES = (
    # -- breaking ------------------------------------------------------------------------------
    Rule("STRUCT_NO_DELETE", "breaking", "A struct is never deleted.",
         "Processes of the older version still create, write or read it."),
    Rule("FIELD_NO_DELETE", "breaking", "A field is never deleted.",
         "Old readers keep reading its bytes, which new writers no longer fill; deprecate it instead "
         "(the bytes stay)."),
    Rule("ENUM_NO_DELETE", "breaking", "An enum is never deleted.",
         "Fields of that type may still be written by processes of the older version."),
    Rule("ENUM_VALUE_NO_DELETE", "breaking", "An enum value is never deleted.",
         "Old writers may still write it, and new readers no longer know what it means; deprecate it instead."),
    Rule("CONSTANT_NO_DELETE", "breaking", "A constant is never deleted.",
         "Both sides compile constants in (magic numbers, capacities); deprecate it instead."),
    Rule("FIELD_SAME_OFFSET", "breaking", "A field never moves.",
         "A reader and a writer of different versions would disagree about which bytes hold it."),
    Rule("FIELD_SAME_TYPE", "breaking",
         "A field keeps its type: kind, width, signedness, int/float, enum or struct type, array and "
         "char[N] length.",
         "The same bytes would be decoded differently by each version."),
    Rule("FIELD_SAME_UNIT", "breaking", "A field keeps its unit.",
         "The number would be read in a different unit by each version."),
    Rule("FIELD_SAME_SCALE", "breaking", "A fixed-point field keeps its decimals.",
         "The raw integer would be scaled differently by each version (a price off by powers of ten)."),
    Rule("FIELD_SAME_ATOMIC", "breaking", "A field stays atomic, or stays plain.",
         "Writers and readers must agree on the synchronization protocol of a shared word."),
    Rule("FIELD_ADDED_OUTSIDE_RESERVED", "breaking",
         "A new field takes only reserved or padding bytes, or bytes appended to an extensible struct.",
         "Anything else overlays bytes an older version uses for something else, or grows a fixed-size struct."),
    Rule("STRUCT_SAME_SIZE", "breaking",
         "A sealed struct, and any struct used by value (array element, ring slot, embedded member), keeps "
         "its size; an extensible struct never shrinks.",
         "Every element, slot or member after it would move; only an extensible struct whose size is "
         "published at runtime may grow."),
    Rule("STRUCT_SAME_ALIGN", "breaking", "A struct keeps its alignment.",
         "Alignment places it inside every struct and array that holds it."),
    Rule("STRUCT_SAME_DIRECTION", "breaking", "A struct keeps its direction (who writes it).",
         "The writer and the reader of the older version would no longer match."),
    Rule("REGION_HEADER_FROZEN", "breaking",
         "The region header (role: region_header) never changes, not even by using its reserved bytes.",
         "It is how a reader recognises any region of any version; it must read the same forever."),
    Rule("ENUM_SAME_TYPE", "breaking", "An enum keeps its underlying type.",
         "Its width is the width of every field of that type."),
    Rule("ENUM_VALUE_SAME_NUMBER", "breaking", "An enum value keeps its number.",
         "The number is what crosses the boundary; renumbering changes the meaning of stored values."),
    Rule("ENUM_VALUE_NO_REUSE", "breaking", "A number an enum used once never gets a new name.",
         "Old processes would read the new value as the old meaning."),
    Rule("CONSTANT_SAME_VALUE", "breaking", "A constant keeps its value.",
         "Both sides compile it in (a magic number, a capacity); an array it sizes is reported as well."),
    Rule("MESSAGE_NO_DELETE", "breaking", "A wire message is never deleted.",
         "Senders of the older version still send it; deprecate it instead."),
    Rule("MESSAGE_SAME_ID", "breaking", "A wire message keeps its id (and stays framed, or stays a header).",
         "The id is what a receiver dispatches on; another id would be decoded as another message."),
    Rule("MESSAGE_FROZEN", "breaking",
         "A released wire message never changes: its size and every field's offset, type, unit and scale stay, "
         "and no field is added or deleted.",
         "Messages are decoded by fixed offsets and checked against their fixed size; new content goes into a "
         "new message with a new id."),
    Rule("WIRE_SAME_BYTE_ORDER", "breaking", "The wire's byte order never changes.",
         "Every multi-byte field of every message would be read reversed by the other version."),
    Rule("WIRE_VERSION_CHANGED", "breaking", "The wire protocol version changed.",
         "Receivers of one version drop every packet of the other; it is how a break of the messages is "
         "made safe (refused instead of misread), and it needs a coordinated upgrade."),
    # -- compatible ----------------------------------------------------------------------------
    Rule("ENUM_VALUE_ADDED", "compatible",
         "A new enum value: compatible when the enum declares `on_unknown:` in the older version, "
         "breaking when it does not.",
         "New writers may send it; old readers handle it only by their declared policy for unknown values."),
    Rule("FIELD_IN_RESERVED", "compatible",
         "A new field lies entirely in bytes that were reserved or padding (breaking if it is an enum with no "
         "value 0).",
         "Old readers ignore those bytes; old writers leave them zero, which must mean \"absent\" to new readers."),
    Rule("STRUCT_EXTENSIBLE_APPEND", "compatible",
         "A new field (or reserved bytes) appended to an extensible struct that nothing holds by value.",
         "Its size is published at runtime: old readers read the prefix they know, new readers treat a "
         "shorter record's missing tail as absent."),
    Rule("STRUCT_ADDED", "compatible", "A new struct.", "Older processes never see it."),
    Rule("MESSAGE_ADDED", "compatible", "A new wire message (with a new id).",
         "Older receivers skip a message whose id they do not know, by the size in its frame."),
    Rule("ENUM_ADDED", "compatible", "A new enum.", "Older processes never see it."),
    Rule("CONSTANT_ADDED", "compatible", "A new constant.", "Older processes never see it."),
    Rule("DEPRECATED", "compatible",
         "Something is newly deprecated (struct, field, enum, enum value or constant).",
         "Its bytes and value stay; deprecation announces a future MAJOR change."),
    # -- source-only ---------------------------------------------------------------------------
    Rule("RENAMED", "source", "Something is renamed with `renamed_from:`.",
         "Names never cross the boundary (the layout hash ignores them); code using the old name must be updated."),
    Rule("CONSTANT_SAME_TYPE", "source", "A constant's declared type changed, its value did not.",
         "Only the generated code's type changes."),
    # -- policy --------------------------------------------------------------------------------
    Rule("VERSION_NOT_BUMPED", "policy",
         "The ABI version is bumped as the changes require: MAJOR for breaking, MINOR for compatible.",
         "Agents and the Fund check the version at attach; an unchanged number hides a changed layout."),
    Rule("WIRE_VERSION_NOT_BUMPED", "policy",
         "A breaking change to the wire messages comes with a new wire.version (exit bit 16 otherwise).",
         "With the same version, receivers of the older version would decode the new packets wrongly "
         "instead of refusing them."),
    Rule("ALLOW_BREAKING_EXPIRED", "policy", "An `allow_breaking:` entry is past its expiry date.",
         "Accepted breaks are temporary: remove the entry once the MAJOR release is out."),
    Rule("ALLOW_BREAKING_UNUSED", "policy",
         "An `allow_breaking:` entry matches no breaking finding (a warning; sets no exit bit).",
         "A stale entry could silently accept a later, unintended break at the same path."),
)

RULES: dict[str, Rule] = {rule.id: rule for rule in _RULES}

# Exit status bits of `abigen compat` (libabigail's abidiff uses the same first four).
EXIT_ERROR, EXIT_USAGE, EXIT_COMPATIBLE, EXIT_BREAKING, EXIT_NOT_BUMPED = 1, 2, 4, 8, 16
