"""ABI compatibility across versions: IR against IR, rules with stable ids, a directional verdict.

compare.py finds the differences, policy.py turns them into a verdict (accepted breaks, the bump
the version needs, the exit status), render.py prints it, sources.py loads the base version from a
spec file, a release lock or `git:REF`, and cli.py wires the `compat`, `changelog` and `release`
commands. Never imports jinja2.
"""

from abigen.compat.compare import Finding, compare
from abigen.compat.policy import Verdict, evaluate, judge
from abigen.compat.rules import RULES, Rule

__all__ = ["RULES", "Finding", "Rule", "Verdict", "compare", "evaluate", "judge"]
