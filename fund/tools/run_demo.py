#!/usr/bin/env python3
"""The transport demo that `make demo` runs until the Fund process exists.

Starts `fundos-transport-host` in stream mode (a snapshot every --publish-us, synthetic prices),
attaches the C example agent as agent 1 and the Python example agent as agent 2, lets them trade
for --snapshots snapshots each, stops the host with SIGTERM and prints what the host saw.

    run_demo.py --build-dir build [--snapshots 400] [--publish-us 2000]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--build-dir", type=Path, required=True, help="the CMake build folder")
    parser.add_argument("--snapshots", type=int, default=400, help="snapshots each agent answers")
    parser.add_argument("--publish-us", type=int, default=2000, help="microseconds between snapshots")
    args = parser.parse_args(argv)
    host_binary = args.build_dir / "fund" / "fundos-transport-host"
    c_agent = args.build_dir / "sdks" / "c" / "fundos_momentum_agent"
    for binary in (host_binary, c_agent):
        if not binary.is_file():
            print(f"run_demo: {binary} is missing; build with cmake first", file=sys.stderr)
            return 2
    # A sanitizer build's leak check at exit adds nothing to a demo.
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")
    with tempfile.TemporaryDirectory(prefix="fundos-demo-") as run_dir:
        host = subprocess.Popen(
            [str(host_binary), "--run-dir", f"{run_dir}/run", "--agents", "1,2", "--instruments", "4",
             "--mode", "stream", "--publish-us", str(args.publish_us), "--intent-events", "all"],
            stdout=subprocess.PIPE, text=True, env=env)
        assert host.stdout is not None
        ready = json.loads(host.stdout.readline())
        if ready.get("event") != "ready":
            print(f"run_demo: the host did not start: {ready}", file=sys.stderr)
            host.kill()
            return 1
        # Drain the host's events while the agents run: a full pipe would stall the host.
        events: list[dict[str, object]] = []
        stdout = host.stdout
        drain = threading.Thread(target=lambda: events.extend(json.loads(line) for line in stdout), daemon=True)
        drain.start()
        socket = ready["socket"]
        print(f"host ready on {socket} (ABI {ready['abi']}, layout {ready['layout_hash']})")
        common = ["--socket", socket, "--max-snapshots", str(args.snapshots), "--quiet"]
        agents = [
            subprocess.Popen([str(c_agent), "--agent-id", "1", *common], env=env),
            subprocess.Popen([sys.executable, str(ROOT / "sdks/python/examples/momentum_agent.py"),
                              "--agent-id", "2", *common], env=env),
        ]
        try:
            agent_codes = [agent.wait(timeout=120) for agent in agents]
        finally:
            for agent in agents:
                if agent.poll() is None:
                    agent.kill()
        host.send_signal(signal.SIGTERM)
        host_code = host.wait(timeout=30)
        drain.join(timeout=10)
    counts = Counter((e.get("agent"), e["event"], e.get("result", "")) for e in events)
    for agent_id, name in ((1, "C agent"), (2, "Python agent")):
        accepted = counts[(agent_id, "intent", "accepted")]
        rejected = counts[(agent_id, "intent", "rejected")]
        print(f"agent {agent_id} ({name}): {accepted} intents accepted, {rejected} rejected")
    stopped = next((e for e in events if e["event"] == "stopped"), {})
    print(f"host: {stopped.get('snapshots', '?')} snapshots published, exit {host_code}; "
          f"agents exited {agent_codes}")
    return 0 if host_code == 0 and agent_codes == [0, 0] else 1


if __name__ == "__main__":
    raise SystemExit(main())
