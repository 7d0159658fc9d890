"""The intermediate representation: frozen dataclasses with every layout fact computed once.

Generators and checkers see only this IR, never the YAML."""

from abigen.ir.model import (
    SCALARS,
    AbiVersion,
    Alias,
    Constant,
    Element,
    Enum,
    EnumValue,
    Field,
    Message,
    Scalar,
    Spec,
    Struct,
    Wire,
)

__all__ = [
    "SCALARS", "AbiVersion", "Alias", "Constant", "Element", "Enum", "EnumValue", "Field", "Message", "Scalar",
    "Spec", "Struct", "Wire",
]
