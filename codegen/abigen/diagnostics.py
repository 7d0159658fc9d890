"""Errors about a spec, each naming the file, line, YAML path and a stable code."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Location:
    file: Path
    line: int  # 1-based; 0 when unknown
    column: int  # 1-based; 0 when unknown

    def __str__(self) -> str:
        if self.line <= 0:
            return str(self.file)
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Diagnostic:
    """One problem in a spec. `code` is stable across releases (E1xx syntax, E2xx schema,
    E3xx types, E4xx layout, E5xx lint)."""

    code: str
    message: str
    location: Location
    path: str  # YAML path, e.g. structs.Intent.fields[3].type

    def __str__(self) -> str:
        where = f" {self.path}:" if self.path else ""
        return f"{self.location}: error[{self.code}]:{where} {self.message}"


@dataclass(eq=False)  # an exception compares and hashes by identity, like every other exception
class SpecError(Exception):
    """Raised when a spec cannot be compiled; carries every problem found, in file order."""

    diagnostics: list[Diagnostic] = field(default_factory=list)

    def __str__(self) -> str:
        ordered = sorted(self.diagnostics, key=lambda d: (d.location.line, d.location.column, d.code))
        return "\n".join(str(d) for d in ordered)


class UsageError(Exception):
    """A command-line mistake that is not about the spec's content (missing file, bad option)."""
