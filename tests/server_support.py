"""The shared test helpers for servers: a real eslkit switch + event socket server on a free
loopback port (in the test's loop, or ``eslkit serve`` as a child process), and the one
``free_port``."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from eslkit.bootstrap import Running, ServeOptions, start
from eslkit.switch.core import SwitchConfig

if TYPE_CHECKING:
    from tests.conformance.harness import Case


@dataclass
class EslServer:
    """Where the test server listens."""

    host: str
    port: int
    password: str
    running: Running


async def replay_case(
    case: Case, *, member_id: int | None = None, **overrides: object
) -> None:
    """Replay a recorded ``case`` against a fresh server configured like the recording
    (``overrides`` as for :func:`start_test_server`); outbound cases get a five-digit port.
    ``member_id`` starts the conference member counter where FreeSWITCH's was."""
    from tests.conformance.harness import run_case

    overrides.setdefault("switch", SwitchConfig.recording())
    running = await start_test_server(**overrides)
    if member_id is not None:
        running.switch.conferences.next_member_id = member_id
    phase = recorded_second_phase(case)
    if phase is not None:
        running.switch.clock.align_second(phase)
    try:
        await run_case(
            case,
            "127.0.0.1",
            running.port,
            outbound_port=free_five_digit_port() if case.mode == "outbound" else None,
            stop_switch=running.stop,
        )
    finally:
        await running.stop()


def recorded_second_phase(case: Case) -> float | None:
    """Where in its epoch second the recording started (from its first event's
    Event-Date-Timestamp and arrival time), or None for a case without events."""
    for step in case.steps:
        for item in step.get("expect") or ():
            event = item.get("event") if isinstance(item, dict) else None
            if not event:
                continue
            for name, value in event.get("headers", ()):
                if name == "Event-Date-Timestamp" and str(value).isdigit():
                    return (int(value) / 1e6 - float(item.get("at", 0.0))) % 1.0
    return None


async def start_test_server(**overrides: object) -> Running:
    """A fresh switch + server on 127.0.0.1, port chosen by the OS."""
    options = ServeOptions(listen_ip="127.0.0.1", listen_port=0, password="ClueCon")
    for key, value in overrides.items():
        setattr(options, key, value)
    if options.switch is None:
        options.switch = SwitchConfig()
    return await start(options)


def free_port(*, five_digits: bool = False, below_ephemeral: bool = False) -> int:
    """A loopback TCP port free right now.

    ``five_digits``: 10000 or more (the dialplan's ``sock_NNNNN`` extensions need five).
    ``below_ephemeral``: picked in 20000-31999, so that client sockets opened meanwhile (the
    ephemeral range starts at 32768) cannot take it before it is bound.
    """
    for _ in range(100):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", random.randrange(20000, 32000) if below_ephemeral else 0))
            except OSError:
                continue
            port = int(sock.getsockname()[1])
        if port >= 10000 or not five_digits:
            return port
    raise RuntimeError("no free port")


def free_five_digit_port() -> int:
    """A free loopback port with five digits (see :func:`free_port`)."""
    return free_port(five_digits=True)


def serve(*args: str) -> subprocess.Popen[str]:
    """``python -m eslkit serve ARGS`` as a child process (stdout and stderr piped)."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        [sys.executable, "-m", "eslkit", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def wait_listening(port: int, proc: subprocess.Popen[str], timeout: float = 20.0) -> None:
    """Wait until the child serves ``port`` (fails if it exits first)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.communicate()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("server did not start")


def finish(proc: subprocess.Popen[str]) -> tuple[int, str]:
    """Wait for a server that is expected to exit by itself."""
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        raise AssertionError(f"server did not exit: {err}") from None
    return proc.returncode, err


def stop(proc: subprocess.Popen[str]) -> tuple[int, str]:
    """SIGTERM the child; its exit code and stderr."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    return proc.returncode, err
