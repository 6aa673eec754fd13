"""Hostile input against ``eslkit serve`` (a real process): no input stalls the server for the
other connections, and none leaves a traceback in its log.

Each test measures the stall from a second connection: the bystander must be answered while
the attack is (or would be) still being processed; the old behaviour held the one event loop
for minutes or forever, so the generous bounds here never depend on the machine's speed.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest

from tests.esl_wire import RawConnection, connect

BYSTANDER_TIMEOUT = 10.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Served:
    port: int
    proc: subprocess.Popen[str]

    async def connect(self, *, login: bool = True) -> RawConnection:
        return await connect("127.0.0.1", self.port, login=login)

    async def bystander_answers(self) -> None:
        """A fresh connection is greeted, logs in and gets an api reply."""
        conn = await asyncio.wait_for(self.connect(), BYSTANDER_TIMEOUT)
        try:
            assert await conn.api("echo alive", timeout=BYSTANDER_TIMEOUT) == "alive"
        finally:
            await conn.close()

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            _, err = self.proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
            raise AssertionError(f"server ignored SIGTERM: {err[-2000:]}") from None
        return err


def _serve(*args: str) -> Served:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "eslkit", "serve", "--listen-port", str(port), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.communicate()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return Served(port, proc)
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise AssertionError("server did not start")


@pytest.fixture
def served() -> Iterator[Served]:
    server = _serve()
    yield server
    log = server.stop()
    assert "Traceback" not in log, log[-3000:]


@pytest.fixture
async def attacker(served: Served) -> AsyncIterator[RawConnection]:
    conn = await served.connect()
    yield conn
    await conn.close()


async def test_a_catastrophic_filter_regex_stalls_nobody(served: Served, attacker: RawConnection) -> None:
    assert (await attacker.reply("event plain ALL")).startswith("+OK")
    reply = await attacker.reply("filter Core-UUID /^([0-9a-f-]+)+X/")
    assert reply.startswith("+OK")
    # Each event now runs the filter against a 36-character UUID: 2^36 backtracking steps
    # in plain ``re``. The server treats the match as over budget (no match) instead.
    for _ in range(3):
        await attacker.send("sendevent CUSTOM\nEvent-Subclass: reliab::probe\n\n")
    await served.bystander_answers()
    # The attacker's own connection goes on too.
    for _ in range(3):
        frame = await attacker.frame()
        while frame.content_type != "command/reply":
            frame = await attacker.frame()
        assert (frame.get("Reply-Text") or "").startswith("+OK")
    assert await attacker.api("echo still-here") == "still-here"
