"""A stand-in agent for the CLI's tests: records what `fundos run` gave it, then behaves.

It writes ``$FUNDOS_RUN_DIR/attached-$FUNDOS_AGENT_ID`` (JSON: the FUNDOS_* variables, its
working folder and its interpreter), prints a line for its log, then exits with ``--exit N`` at
once, or waits until the fake Fund touches ``$FUNDOS_RUN_DIR/finished`` (as a real agent sees
the Fund hang up) and exits 0. SIGTERM makes it exit 0 as well.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGTERM, lambda signo, frame: sys.exit(0))
    run_dir = Path(os.environ["FUNDOS_RUN_DIR"])
    seen = {key: value for key, value in os.environ.items() if key.startswith("FUNDOS_")}
    seen.update(cwd=os.getcwd(), python=sys.executable, unbuffered=os.environ.get("PYTHONUNBUFFERED", ""))
    print(f"fake agent {seen['FUNDOS_AGENT_ID']} up in {seen['cwd']}", flush=True)
    (run_dir / f"attached-{seen['FUNDOS_AGENT_ID']}").write_text(json.dumps(seen))
    if "--exit" in argv:
        return int(argv[argv.index("--exit") + 1])
    deadline = time.monotonic() + 30
    while not (run_dir / "finished").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    print("fake agent: the Fund hung up", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
