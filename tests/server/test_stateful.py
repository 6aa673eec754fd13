"""A stateful hypothesis test against ``eslkit serve`` (a real process on loopback).

A driver connection sends random sequences of commands, well-formed and not (subscriptions,
filters, api/bgapi, log, sendevent, garbage, a reconnect), while a healthy subscriber listens
for the ticks the driver fires. Invariants after every step: the driver got exactly one reply
per command, in order, and the subscriber has received every tick so far, in order, whatever
the driver did. The server's log holds no traceback at the end.
"""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from eslkit.protocol.event import Event
from eslkit.protocol.frames import Frame, FrameReader
from tests.server_support import free_port, serve, stop, wait_listening

TICK = "reliab::tick"


class Peer:
    """A blocking ESL client socket (a deadline on every read)."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = FrameReader()
        greeting = self.frame()
        assert greeting.content_type == "auth/request"

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def frame(self) -> Frame:
        while True:
            frame = self.reader.next_frame()
            if frame is not None:
                return frame
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("closed by the server")
            self.reader.feed(data)

    def reply(self) -> Frame:
        """The next reply frame (events in between are skipped)."""
        while True:
            frame = self.frame()
            if frame.content_type in ("command/reply", "api/response"):
                return frame

    def command(self, text: str) -> Frame:
        self.send(text.encode() + b"\n\n")
        return self.reply()

    def close(self) -> None:
        self.sock.close()


_SAFE_WORDS = st.text(alphabet="abcxyz019-_:/ ", max_size=12)

# Commands that get exactly one reply frame (command/reply or api/response).
COMMANDS = st.one_of(
    st.builds(lambda w: f"api echo {w}".rstrip(), _SAFE_WORDS),
    st.sampled_from(
        [
            "api status",
            "api uptime",
            "api eval ${hostname}",
            "api expand echo ${api(echo nested)}",
            "bgapi echo background",
            "event plain ALL",
            "event json CUSTOM reliab::other",
            "event xml HEARTBEAT",
            "noevents",
            "nixevent ALL",
            "filter Event-Name HEARTBEAT",
            "filter Core-UUID /^([0-9a-f-]+)+X/",
            "filter delete all",
            "filter",
            "log 7",
            "nolog",
            "myevents",
            "divert_events on",
            "linger",
            "getvar foo",
            "no such command",
            "sendevent CUSTOM\nEvent-Subclass: reliab::other\nX: y",
        ]
    ),
    st.builds(lambda w: f"api {w}", _SAFE_WORDS),
)


@pytest.fixture(scope="module")
def served_port() -> Iterator[int]:
    port = free_port()
    proc: subprocess.Popen[str] = serve("--listen-port", str(port), "--log-level", "WARNING")
    wait_listening(port, proc)
    yield port
    _, err = stop(proc)
    assert "Traceback" not in err, err[-3000:]


def test_random_command_sequences_never_starve_a_healthy_subscriber(served_port: int) -> None:
    port = served_port

    class Machine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.driver = self._login()
            self.subscriber = self._login()
            reply = self.subscriber.command(f"event plain CUSTOM {TICK}")
            assert (reply.get("Reply-Text") or "").startswith("+OK")
            self.sent = 0
            self.seen = 0

        @staticmethod
        def _login() -> Peer:
            peer = Peer(port)
            assert peer.command("auth ClueCon").get("Reply-Text") == "+OK accepted"
            return peer

        @rule(command=COMMANDS)
        def run_command(self, command: str) -> None:
            frame = self.driver.command(command)
            assert frame.content_type in ("command/reply", "api/response")

        @rule(count=st.integers(min_value=1, max_value=5))
        def pipeline_commands(self, count: int) -> None:
            self.driver.send(b"api echo p\n\n" * count)
            for _ in range(count):
                frame = self.driver.reply()
                assert frame.body == b"p"

        @rule()
        def tick(self) -> None:
            self.sent += 1
            reply = self.driver.command(
                f"sendevent CUSTOM\nEvent-Subclass: {TICK}\nSeq: {self.sent}"
            )
            assert (reply.get("Reply-Text") or "").startswith("+OK")

        @rule(junk=st.binary(max_size=40))
        def garbage(self, junk: bytes) -> None:
            # Any bytes as one packet (its LFs made spaces, so it ends at our blank line):
            # exactly one reply, unless the bytes were a bad Content-Length, which ends the
            # connection; a new driver goes on then.
            packet = b"x" + junk.replace(b"\n", b" ")
            if b"content-length" in packet.lower():
                return
            try:
                self.driver.send(packet + b"\n\n")
                frame = self.driver.reply()
            except ConnectionError:
                self.reconnect()
                return
            assert frame.content_type in ("command/reply", "api/response")

        @rule()
        def reconnect(self) -> None:
            self.driver.close()
            self.driver = self._login()

        @invariant()
        def subscriber_missed_nothing(self) -> None:
            while self.seen < self.sent:
                frame = self.subscriber.frame()
                assert frame.content_type == "text/event-plain"
                event = Event.from_plain(frame.body or b"")
                assert event.get("Event-Subclass") == TICK
                self.seen += 1
                assert event.get("Seq") == str(self.seen)

        def teardown(self) -> None:
            self.driver.close()
            self.subscriber.close()

    run_state_machine_as_test(
        Machine,
        settings=settings(
            max_examples=int(os.environ.get("ESLKIT_STATEFUL_EXAMPLES", "15")),
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
