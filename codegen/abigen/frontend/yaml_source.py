"""Reads YAML into plain Python values while remembering where every value came from.

PyYAML's default loaders drop source positions and silently keep the last of two duplicate keys;
a spec needs both: errors must name the line, and a duplicate field must be an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from abigen.diagnostics import Diagnostic, Location, SpecError

YamlPath = tuple[str | int, ...]

# Plain integers YAML 1.1 reads unlike anyone writing a spec would: 010 is 8 and 1:30 is 90.
_SURPRISING_INT = re.compile(r"[-+]?(0[0-9_]+|[0-9_]+(:[0-9_]+)+)")

# libyaml's loader when PyYAML was built with it (4x faster, same marks), else the pure-Python one.
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def format_path(path: YamlPath) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + part
    return text


@dataclass(frozen=True)
class SourceMap:
    """Where each YAML path starts in the file (values; keys map to their key's position)."""

    file: Path
    positions: dict[YamlPath, tuple[int, int]]

    def locate(self, path: YamlPath) -> Location:
        # Fall back to the nearest enclosing node the source map knows.
        for end in range(len(path), -1, -1):
            pos = self.positions.get(path[:end])
            if pos is not None:
                return Location(self.file, pos[0], pos[1])
        return Location(self.file, 0, 0)

    def error(self, code: str, path: YamlPath, message: str) -> Diagnostic:
        return Diagnostic(code, message, self.locate(path), format_path(path))


def _scalar(constructor: yaml.constructor.SafeConstructor, node: yaml.ScalarNode) -> Any:
    return constructor.construct_object(node, deep=True)


def parse_yaml(text: str, file: Path) -> tuple[Any, SourceMap]:
    """Parses `text`; raises SpecError (E101 syntax, E102 duplicate key, E103 unsupported YAML)."""
    positions: dict[YamlPath, tuple[int, int]] = {}
    problems: list[Diagnostic] = []
    try:
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
        raise SpecError([Diagnostic("E101", f"YAML syntax: {exc.problem}", Location(file, line, col), "")])
    except yaml.YAMLError as exc:
        raise SpecError([Diagnostic("E101", f"YAML syntax: {exc}", Location(file, 0, 0), "")])
    if root is None:
        raise SpecError([Diagnostic("E101", "the file is empty", Location(file, 1, 1), "")])
    constructor = yaml.constructor.SafeConstructor()
    open_nodes: set[int] = set()  # the nodes being built, to refuse an alias of an enclosing node

    def build(node: yaml.Node, path: YamlPath) -> Any:
        positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if id(node) in open_nodes:
            problems.append(Diagnostic("E103", "unsupported YAML value: an alias refers to a node that contains it",
                                       Location(file, node.start_mark.line + 1, node.start_mark.column + 1),
                                       format_path(path)))
            return None
        open_nodes.add(id(node))
        try:
            return build_node(node, path)
        finally:
            open_nodes.discard(id(node))

    def build_node(node: yaml.Node, path: YamlPath) -> Any:
        if isinstance(node, yaml.MappingNode):
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                where = Location(file, key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                if not isinstance(key_node, yaml.ScalarNode):
                    problems.append(Diagnostic("E103", "mapping keys must be plain scalars", where, format_path(path)))
                    continue
                try:
                    key = _scalar(constructor, key_node)
                except yaml.constructor.ConstructorError as exc:  # e.g. a merge key `<<`
                    problems.append(Diagnostic("E103", f"unsupported YAML key: {exc.problem}; write the keys out",
                                               where, format_path(path)))
                    continue
                # Keys are names: keep them as written, not as YAML 1.1 reads them (OFF: is False, 010: is 8).
                key = key if isinstance(key, str) else str(key_node.value)
                if key in result:
                    first = positions.get(path + (key,), (0, 0))
                    problems.append(Diagnostic(
                        "E102", f"duplicate key '{key}' (first defined on line {first[0]})",
                        Location(file, key_node.start_mark.line + 1, key_node.start_mark.column + 1),
                        format_path(path + (key,))))
                    continue
                result[key] = build(value_node, path + (key,))
                positions[path + (key,)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            return result
        if isinstance(node, yaml.SequenceNode):
            return [build(item, path + (index,)) for index, item in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)
        try:
            value = _scalar(constructor, node)
        except (yaml.constructor.ConstructorError, ValueError) as exc:  # ValueError: a date like 2027-02-30
            problem = exc.problem if isinstance(exc, yaml.constructor.ConstructorError) else str(exc)
            problems.append(Diagnostic("E103", f"unsupported YAML value: {problem}",
                                       Location(file, node.start_mark.line + 1, node.start_mark.column + 1),
                                       format_path(path)))
            return None
        if (isinstance(value, int) and not isinstance(value, bool) and _SURPRISING_INT.fullmatch(node.value)
                and (":" in node.value or int(node.value.replace("_", ""), 10) != value)):
            problems.append(Diagnostic(
                "E103", f"unsupported YAML value: YAML 1.1 reads {node.value} as {value} (a leading 0 is octal, "
                        "a colon is base 60); write it in decimal or 0x hex",
                Location(file, node.start_mark.line + 1, node.start_mark.column + 1), format_path(path)))
        return value

    try:
        data = build(root, ())
    except RecursionError:  # libyaml allows 1000 levels; Python's stack holds fewer
        deepest, (line, column) = next(reversed(positions.items()))  # the node being built when it ran out
        raise SpecError([Diagnostic("E103", "unsupported YAML value: nested too deeply",
                                    Location(file, line, column), format_path(deepest))]) from None
    if problems:
        raise SpecError(problems)
    return data, SourceMap(file, positions)
