"""Launching and stopping the agent processes of a run.

Each configured agent with a command is started once the Fund is ready: its command, in its
working folder (relative: to the configuration file's folder; empty: that folder itself), in a
session of its own (so a Ctrl-C in the terminal reaches only `fundos run`, which stops things
in order), stdin from /dev/null, stdout and stderr to ``<run-dir>/agents/<name>.log``, and the
environment of `fundos run` plus:

    FUNDOS_SOCKET       the Fund's agent socket (absolute)
    FUNDOS_AGENT_ID     the agent's configured id
    FUNDOS_WAKE         spin | busy | futex
    FUNDOS_RUN_DIR      the run folder (absolute)
    FUNDOS_AGENT_NAME   the agent's configured name
    FUNDOS_CONFIG       the configuration's address the Fund was started with, valid from any
                        folder (a file's path and a relative sqlite: path made absolute)
    FUNDOS_SERVICE      the agent's service id, FUND/AGENT_NAME
    PYTHONUNBUFFERED=1  so a Python agent's log is current

An agent reads its own configuration (its instruments, limits) from FUNDOS_CONFIG as
FUNDOS_SERVICE: ``fundos.config.agent_config`` (Python), ``fundos_agent_config_load_env``
(C, <fundos/config.h>); ``fundos.program`` does it before attaching. FUNDOS_CONFIG and
FUNDOS_SERVICE are left out when the Fund's ready event does not name the Fund.

When `fundos run` itself runs in a virtual environment, that environment's ``bin`` folder is put
first on the agents' PATH, so ``python3`` in a command is the interpreter that has ``fundos``.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from fundos.cli.errors import CliError
from fundos.cli.events import AgentSpec, Ready


@dataclass
class AgentProcess:
    spec: AgentSpec
    log: Path
    popen: subprocess.Popen[bytes]
    signaled: bool = False  # stopped by us (SIGTERM/SIGKILL after the run)

    @property
    def label(self) -> str:
        return f"agent {self.spec.name} (id {self.spec.id})"


def log_path(run_dir: Path, name: str) -> Path:
    return run_dir / "agents" / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', name) or 'agent'}.log"


def working_dir(spec: AgentSpec, config_dir: Path) -> Path:
    return config_dir / spec.working_dir if spec.working_dir else config_dir


def environment(spec: AgentSpec, ready: Ready, base: Mapping[str, str], config: str = "") -> dict[str, str]:
    """The agent's environment; ``config``: the configuration's address for FUNDOS_CONFIG."""
    env = dict(base)
    env.update(FUNDOS_SOCKET=str(ready.socket), FUNDOS_AGENT_ID=str(spec.id), FUNDOS_WAKE=spec.wake,
               FUNDOS_RUN_DIR=str(ready.run_dir), FUNDOS_AGENT_NAME=spec.name, PYTHONUNBUFFERED="1")
    if config and ready.fund:
        env.update(FUNDOS_CONFIG=config, FUNDOS_SERVICE=f"{ready.fund}/{spec.name}")
    else:
        env.pop("FUNDOS_CONFIG", None)
        env.pop("FUNDOS_SERVICE", None)
    if sys.prefix != sys.base_prefix:  # in a venv: its python3 first
        venv_bin = str(Path(sys.executable).parent)
        path = env.get("PATH", os.defpath).split(os.pathsep)
        if not path or path[0] != venv_bin:
            env["PATH"] = os.pathsep.join([venv_bin, *path])
    return env


def start(spec: AgentSpec, ready: Ready, config_dir: Path, base_env: Mapping[str, str],
          restart_note: str = "", config: str = "") -> AgentProcess:
    """Start one agent; :class:`CliError` naming the agent when it cannot be started. A restart
    (``restart_note`` not empty) appends to the agent's log after a line saying why. ``config``:
    the configuration's address for the agent (FUNDOS_CONFIG)."""
    log = log_path(ready.run_dir, spec.name)
    cwd = working_dir(spec, config_dir)
    env = environment(spec, ready, base_env, config)
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab" if restart_note else "wb") as out:
            if restart_note:
                out.write(f"--- fundos run: {restart_note} ---\n".encode())
                out.flush()
            popen = subprocess.Popen(list(spec.command), cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                     stderr=subprocess.STDOUT, start_new_session=True)
    except OSError as error:
        reason = error.strerror or str(error)
        target = f" ({error.filename})" if error.filename else ""
        raise CliError(f"cannot start agent {spec.name} (id {spec.id}): {' '.join(spec.command)} in {cwd}: "
                       f"{reason}{target}") from None
    return AgentProcess(spec, log, popen)


def _signal_group(agent: AgentProcess, signo: int) -> None:
    """Signal the agent's session (it and any child it started)."""
    if agent.popen.poll() is not None:
        return
    agent.signaled = True
    try:
        os.killpg(agent.popen.pid, signo)
    except ProcessLookupError:
        pass
    except PermissionError:
        agent.popen.send_signal(signo)


def wait_all(agents: list[AgentProcess], seconds: float, hurry: Callable[[], bool] = lambda: False) -> None:
    """Wait up to ``seconds`` for every agent to exit (no signal sent); stop waiting as soon as
    ``hurry()`` is true."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not hurry() and any(agent.popen.poll() is None for agent in agents):
        time.sleep(0.02)


def stop_all(agents: list[AgentProcess], grace: float = 5.0, term_wait: float = 5.0,
             hurry: Callable[[], bool] = lambda: False) -> None:
    """Give the agents ``grace`` seconds to exit by themselves (they see the Fund hang up),
    then SIGTERM, then after ``term_wait`` seconds SIGKILL (at once when ``hurry()`` turns
    true). Returns once all have exited."""
    wait_all(agents, grace, hurry)
    for agent in agents:
        _signal_group(agent, signal.SIGTERM)
    wait_all(agents, term_wait, hurry)
    kill_all(agents)
    wait_all(agents, 5.0)


def kill_all(agents: list[AgentProcess]) -> None:
    for agent in agents:
        _signal_group(agent, signal.SIGKILL)
