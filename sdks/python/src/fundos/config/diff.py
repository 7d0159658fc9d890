"""Structural differences between two JSON values, by JSON path (``agents[1].risk.max_position``),
the paths the Fund's messages use."""

from __future__ import annotations

import json
from typing import Any


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:76] + "..."


def _at(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def differences(a: Any, b: Any, path: str = "") -> list[str]:
    """One line per difference, in document order: ``PATH: A -> B``, ``PATH: only in A: VALUE``
    or ``PATH: only in B: VALUE``."""
    where = path or "(top level)"
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[str] = []
        for key in a:
            if key in b:
                out += differences(a[key], b[key], _at(path, key))
            else:
                out.append(f"{_at(path, key)}: only in A: {_show(a[key])}")
        out += [f"{_at(path, key)}: only in B: {_show(b[key])}" for key in b if key not in a]
        return out
    if isinstance(a, list) and isinstance(b, list):
        out = []
        for i in range(max(len(a), len(b))):
            at = f"{path}[{i}]"
            if i >= len(b):
                out.append(f"{at}: only in A: {_show(a[i])}")
            elif i >= len(a):
                out.append(f"{at}: only in B: {_show(b[i])}")
            else:
                out += differences(a[i], b[i], at)
        return out
    if type(a) is not type(b) or a != b:
        return [f"{where}: {_show(a)} -> {_show(b)}"]
    return []
