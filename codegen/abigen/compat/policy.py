"""From findings to a verdict: accepted breaks, the version bump the changes need, the exit status.

The policy, also in `abigen compat --help` and the reference doc:
- A breaking finding needs a MAJOR bump, and is accepted only by an `allow_breaking:` entry of the
  new spec naming its rule and path, not past its `expires:` date, together with that MAJOR bump.
  Accepted breaks are still reported (and count as changes, bit 4); any other breaking finding
  sets bit 8, whatever the version says.
- A compatible finding needs a MINOR (or MAJOR) bump; source-only findings need none.
- A version that does not rise as the findings require sets bit 16 (VERSION_NOT_BUMPED); so does a
  breaking change to the wire messages without a new wire.version (WIRE_VERSION_NOT_BUMPED).
- An expired `allow_breaking:` entry sets bit 1 (ALLOW_BREAKING_EXPIRED) until it is removed; an
  entry matching no breaking finding is a warning (ALLOW_BREAKING_UNUSED) and sets no bit.
"""

from __future__ import annotations

import dataclasses
import datetime
from dataclasses import dataclass
from typing import Literal

from abigen.compat.compare import ORDERS, Finding, Order, compare
from abigen.compat.rules import EXIT_BREAKING, EXIT_COMPATIBLE, EXIT_ERROR, EXIT_NOT_BUMPED
from abigen.ir.model import Spec

Bump = Literal["major", "minor", "none"]


@dataclass(frozen=True)
class Verdict:
    old: Spec
    new: Spec
    findings: tuple[Finding, ...]
    required_bump: Bump
    exit_status: int
    safe_orders: tuple[Order, ...]  # upgrade orders that no breaking finding (accepted or not) makes unsafe

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity and f.allowed is None)

    @property
    def allowed(self) -> int:
        return sum(1 for f in self.findings if f.allowed is not None)


def evaluate(old: Spec, new: Spec, today: datetime.date) -> Verdict:
    return judge(old, new, compare(old, new), today)


def judge(old: Spec, new: Spec, findings: list[Finding], today: datetime.date) -> Verdict:
    major_bumped = new.version.major > old.version.major
    raised = (new.version.major, new.version.minor) > (old.version.major, old.version.minor)
    entries = {(a.rule, a.path): a for a in new.allow_breaking}
    used: set[tuple[str, str]] = set()
    judged: list[Finding] = []
    for finding in findings:
        entry = entries.get((finding.rule, finding.path)) if finding.severity == "breaking" else None
        if entry is not None:
            used.add((entry.rule, entry.path))
            if datetime.date.fromisoformat(entry.expires) < today:
                finding = dataclasses.replace(finding, why=f"{finding.why} (its allow_breaking entry expired "
                                                           f"on {entry.expires})")
            elif not major_bumped:
                finding = dataclasses.replace(finding, why=f"{finding.why} (an allow_breaking entry exists, but "
                                                           "it applies only with a MAJOR bump)")
            else:
                finding = dataclasses.replace(finding, allowed=entry)
        judged.append(finding)
    breaking = any(f.severity == "breaking" for f in judged)
    compatible = any(f.severity == "compatible" for f in judged)
    required: Bump = "major" if breaking else "minor" if compatible else "none"
    policy: list[Finding] = []
    if (required == "major" and not major_bumped) or (required == "minor" and not raised):
        wanted = f"{old.version.major + 1}.0" if required == "major" else \
            f"{old.version.major}.{old.version.minor + 1} (or {old.version.major + 1}.0)"
        kind = "breaking changes need a MAJOR" if required == "major" else "compatible changes need a MINOR"
        policy.append(Finding("VERSION_NOT_BUMPED", "policy", "abi.version", str(old.version), str(new.version),
                              f"{kind} bump: {wanted}"))
    for index, entry in enumerate(new.allow_breaking):
        where = f"allow_breaking[{index}]"
        if datetime.date.fromisoformat(entry.expires) < today:
            policy.append(Finding("ALLOW_BREAKING_EXPIRED", "policy", where, f"expires {entry.expires}",
                                  f"today {today.isoformat()}",
                                  f"the entry for {entry.rule} at {entry.path} has expired; remove it"))
        elif (entry.rule, entry.path) not in used:
            policy.append(Finding("ALLOW_BREAKING_UNUSED", "policy", where, f"{entry.rule} {entry.path}", "(no match)",
                                  "no breaking finding has this rule and path; remove the entry once its release "
                                  "is out, or fix its rule or path"))
    status = 0
    if any(f.rule == "ALLOW_BREAKING_EXPIRED" for f in policy):
        status |= EXIT_ERROR
    if any(f.severity == "compatible" or f.allowed is not None for f in judged):
        status |= EXIT_COMPATIBLE
    if any(f.severity == "breaking" and f.allowed is None for f in judged):
        status |= EXIT_BREAKING
    if any(f.rule == "VERSION_NOT_BUMPED" for f in policy) or any(f.rule == "WIRE_VERSION_NOT_BUMPED" for f in judged):
        status |= EXIT_NOT_BUMPED
    broken = {o for f in judged if f.severity == "breaking" for o in f.breaks_orders}
    if any(f.allowed is not None for f in judged):
        broken = set(ORDERS)  # an accepted break is a coordinated MAJOR upgrade
    return Verdict(old, new, tuple(judged + policy), required, status, tuple(o for o in ORDERS if o not in broken))
