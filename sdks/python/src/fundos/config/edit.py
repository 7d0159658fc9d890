"""``fundos config set``'s assignments: ``PATH=VALUE`` read against a normalized configuration,
and applied to it (a database's document) or to the JSON file it came from (keeping the file's
own spelling: relative paths, left-out defaults).

PATH is the JSON path the Fund's messages use, ``agents[1].risk.max_position``, where a list
element is named by its index in the normalized form or, friendlier, an agent by its name and an
instrument by its symbol: ``agents[ma_cross].risk.max_position``, ``instruments[SPY].restricted``,
``risk.halt_loss``. VALUE is JSON when it parses as JSON (``5``, ``"0.5"``, ``true``,
``["SPY", "QQQ"]``; a number with a fraction is kept as its text, ``0.5`` is ``"0.5"``), else the
text itself (``2s``, ``SPY``).

>>> doc = {"risk": {"halt_loss": "0"}, "agents": [{"name": "a", "risk": {"max_position": "0"}}]}
>>> a = parse_assignment("agents[a].risk.max_position=5", doc)
>>> a.path, a.value
(('agents', 0, 'risk', 'max_position'), 5)
>>> path_text(a.path)
'agents[0].risk.max_position'
"""

from __future__ import annotations

import copy
import difflib
import json
import re
from dataclasses import dataclass
from typing import Any

from fundos.config.errors import ConfigError

TOKEN = re.compile(r"\.?([A-Za-z_$][A-Za-z0-9_$]*)|\[([^\]]*)\]")
NAMED_BY = {"agents": "name", "instruments": "symbol"}
"""Lists whose elements a PATH may name by this key instead of an index."""

Token = str | int


@dataclass(frozen=True)
class Assignment:
    text: str
    """As given on the command line."""
    path: tuple[Token, ...]
    """In the normalized form: keys and list indices."""
    value: Any


def path_text(path: tuple[Token, ...]) -> str:
    """``('agents', 0, 'risk', 'max_position')`` -> ``agents[0].risk.max_position``."""
    out = ""
    for token in path:
        out += f"[{token}]" if isinstance(token, int) else (f".{token}" if out else token)
    return out


def _value(text: str) -> Any:
    """JSON, with numbers that have a fraction or an exponent kept as their text (the
    configuration's decimals are exact; a float would round them)."""
    try:
        return json.loads(text, parse_float=str)
    except json.JSONDecodeError:
        return text


def _tokens(path: str) -> list[tuple[str, str | None]]:
    """``[(key, None) | ("", element)]``; ConfigError when PATH is not a path."""
    out: list[tuple[str, str | None]] = []
    at = 0
    while at < len(path):
        match = TOKEN.match(path, at)
        if not match or (match.group(1) is not None and at == 0 and path.startswith(".")):
            raise ConfigError(f"{path}: not a path (like agents[NAME].risk.max_position or risk.halt_loss)")
        out.append((match.group(1), None) if match.group(1) is not None else ("", match.group(2)))
        at = match.end()
    if not out:
        raise ConfigError("an empty path: PATH=VALUE, like agents[NAME].risk.max_position=100")
    return out


def parse_assignment(text: str, doc: dict[str, Any]) -> Assignment:
    """``PATH=VALUE`` against the normalized document ``doc``: PATH must name a field it has."""
    path_part, equals, value_part = text.partition("=")
    if not equals or not path_part.strip():
        raise ConfigError(f"{text}: expected PATH=VALUE, like agents[NAME].risk.max_position=100")
    node: Any = doc
    resolved: list[Token] = []
    parent_key = ""
    for key, element in _tokens(path_part.strip()):
        where = path_text(tuple(resolved)) or "the configuration"
        if element is None:
            if not isinstance(node, dict):
                raise ConfigError(f"{path_part}: {where} is not an object; it has no field {key!r}")
            if key not in node:
                near = difflib.get_close_matches(key, list(node), n=1)
                hint = f' (did you mean "{near[0]}"?)' if near else f" (it has {', '.join(node)})"
                raise ConfigError(f"{path_part}: {where} has no field {key!r}{hint}")
            node, parent_key = node[key], key
            resolved.append(key)
            continue
        if not isinstance(node, list):
            raise ConfigError(f"{path_part}: {where} is not a list")
        if element.isdigit():
            index = int(element)
            if index >= len(node):
                raise ConfigError(f"{path_part}: {where} has {len(node)} element(s); no [{index}]")
        else:
            named = NAMED_BY.get(parent_key) if len(resolved) == 1 else None
            found = [i for i, item in enumerate(node) if named and isinstance(item, dict) and item.get(named) == element]
            if not found:
                what = f"no {parent_key[:-1]} with {named} {element!r}" if named else "elements by index only"
                raise ConfigError(f"{path_part}: {where} has {what}")
            index = found[0]
        node, parent_key = node[index], ""
        resolved.append(index)
    return Assignment(text, tuple(resolved), _value(value_part))


def apply_to_document(doc: dict[str, Any], assignments: list[Assignment]) -> dict[str, Any]:
    """A copy of the normalized ``doc`` with every assignment made."""
    out = copy.deepcopy(doc)
    for a in assignments:
        node: Any = out
        for token in a.path[:-1]:
            node = node[token]
        node[a.path[-1]] = copy.deepcopy(a.value)
    return out


def apply_to_file(raw: dict[str, Any], doc: dict[str, Any], assignments: list[Assignment]) -> dict[str, Any]:
    """A copy of ``raw`` (the file's own JSON, whose normalized form is ``doc``) with every
    assignment made: objects the file leaves out are added, agents and instruments are found
    by name and symbol (the normalized form lists instruments enabled first)."""
    out = copy.deepcopy(raw)
    for a in assignments:
        node: Any = out
        normal: Any = doc
        parent_key = ""
        for depth, token in enumerate(a.path[:-1]):
            following = a.path[depth + 1]
            if isinstance(token, int):
                normal = normal[token]
                named = NAMED_BY.get(parent_key) if depth == 1 else None
                if named:
                    matches = [item for item in node if isinstance(item, dict) and item.get(named) == normal[named]]
                    node = matches[0]
                else:
                    node = node[token]
            else:
                normal = normal[token]
                if token not in node:
                    node[token] = [] if isinstance(following, int) else {}
                node = node[token]
            parent_key = token if isinstance(token, str) else ""
        node[a.path[-1]] = copy.deepcopy(a.value)
    return out
