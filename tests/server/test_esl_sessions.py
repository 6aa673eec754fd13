"""The event socket's session side: outbound mode (the ``socket`` application), sendmsg
semantics, myevents/linger on real channels, and an outbound IVR driven end to end.

Everything talks raw ESL over real loopback sockets (no eslkit client): an inbound control
connection originates calls, and a small asyncio server plays the outbound application.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from urllib.parse import unquote

import pytest

from eslkit.bootstrap import Running
from eslkit.fsutil import switch_true
from eslkit.protocol.command import Command
from eslkit.protocol.frames import FrameReader
from eslkit.protocol.names import ChannelState, HangupCause
from eslkit.protocol.records import LogRecord
from eslkit.server.commands import sendmsg_event
from eslkit.switch.channel import Channel
from eslkit.switch.core import SwitchConfig
from tests.esl_wire import Closed, RawConnection
from tests.server_support import free_five_digit_port, start_test_server

TIMEOUT = 10.0


class Wire:
    """Raw ESL frames over one stream (headers dict + body), read with the protocol's frame
    reader (:class:`tests.esl_wire.RawConnection`)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.raw = RawConnection(reader, writer, FrameReader())
        self.writer = writer
        #: Frames that arrived while a command waited for its reply.
        self.pending: list[tuple[dict[str, str], str]] = []

    async def send(self, text: str) -> None:
        self.writer.write(text.encode())
        await self.writer.drain()

    async def frame(self) -> tuple[dict[str, str], str]:
        if self.pending:
            return self.pending.pop(0)
        return await self._read()

    async def _read(self) -> tuple[dict[str, str], str]:
        frame = await self.raw.frame(TIMEOUT)
        return dict(frame.headers), (frame.body or b"").decode()

    async def command(self, text: str) -> dict[str, str]:
        await self.send(text)
        while True:
            headers, body = await self._read()
            if headers.get("Content-Type") in ("command/reply", "api/response"):
                return headers
            self.pending.append((headers, body))

    async def eof(self) -> bool:
        try:
            await self.raw.frame(TIMEOUT)
        except Closed:
            return True
        return False

    def close(self) -> None:
        self.writer.close()


def event_of(body: str) -> dict[str, str]:
    """A plain event body as a dict (first occurrence of each name)."""
    out: dict[str, str] = {}
    for line in body.split("\n\n", 1)[0].split("\n"):
        name, _, value = line.partition(": ")
        out.setdefault(name, unquote(value))
    return out


@pytest.fixture
async def running() -> AsyncIterator[Running]:
    server = await start_test_server(switch=SwitchConfig.recording())
    try:
        yield server
    finally:
        await server.stop()


async def inbound(running: Running) -> Wire:
    reader, writer = await asyncio.open_connection("127.0.0.1", running.port)
    wire = Wire(reader, writer)
    assert (await wire.frame())[0]["Content-Type"] == "auth/request"
    assert (await wire.command("auth ClueCon\n\n"))["Reply-Text"] == "+OK accepted"
    return wire


class OutboundApp:
    """The far end of the ``socket`` application: accepts FreeSWITCH's connection."""

    def __init__(self) -> None:
        self.port = free_five_digit_port()
        self.accepted: asyncio.Queue[Wire] = asyncio.Queue(maxsize=4)
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> OutboundApp:
        async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.accepted.put_nowait(Wire(reader, writer))

        self.server = await asyncio.start_server(on_connect, "127.0.0.1", self.port)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        await asyncio.wait_for(self.server.wait_closed(), TIMEOUT)

    async def accept(self) -> Wire:
        return await asyncio.wait_for(self.accepted.get(), TIMEOUT)


async def connect(wire: Wire) -> dict[str, str]:
    """Send ``connect`` and parse the bare CHANNEL_DATA reply."""
    await wire.send("connect\n\n")
    frame = await wire.raw.frame(TIMEOUT)
    return event_of(frame.head.decode())


# ---------------------------------------------------------------------- end to end
async def test_outbound_ivr_end_to_end(running: Running) -> None:
    """An async full outbound IVR: answer, set, park, hang up; the event sequence."""
    control = await inbound(running)
    async with OutboundApp() as app:
        reply = await control.command(f"bgapi originate loopback/sock_{app.port}/default &park\n\n")
        assert reply["Reply-Text"].startswith("+OK Job-UUID: ")
        ivr = await app.accept()
        info = await connect(ivr)
        assert info["Event-Name"] == "CHANNEL_DATA"
        assert info["Socket-Mode"] == "async" and info["Control"] == "full"
        assert info["Reply-Text"] == "+OK\n"
        assert info["Channel-Destination-Number"] == f"sock_{app.port}"
        uuid = info["Unique-ID"]
        assert (await ivr.command("myevents\n\n"))["Reply-Text"] == "+OK Events Enabled"
        assert (await ivr.command("linger\n\n"))["Reply-Text"] == "+OK will linger"
        for message in (
            "call-command: execute\nexecute-app-name: answer\nEvent-UUID: ivr-answer\n",
            "call-command: execute\nexecute-app-name: set\nexecute-app-arg: ivr_step=1\n",
            "call-command: execute\nexecute-app-name: park\n",
            "call-command: hangup\nhangup-cause: USER_BUSY\n",
        ):
            assert (await ivr.command(f"sendmsg\n{message}\n"))["Reply-Text"] == "+OK"
        names: list[tuple[str, str]] = []
        linger: dict[str, str] | None = None
        while linger is None or names[-1][0] != "CHANNEL_HANGUP_COMPLETE":
            headers, body = await ivr.frame()
            if headers["Content-Type"] == "text/disconnect-notice":
                linger = headers
                continue
            assert headers["Content-Type"] == "text/event-plain"
            event = event_of(body)
            assert event["Unique-ID"] == uuid
            names.append((event["Event-Name"], event.get("Application", "")))
        assert linger["Content-Disposition"] == "linger"
        assert linger["Controlled-Session-UUID"] == uuid
        assert linger["Linger-Time"] == "-1"
        assert names == [
            ("CHANNEL_EXECUTE", "answer"),
            ("CHANNEL_ANSWER", ""),
            ("CHANNEL_EXECUTE_COMPLETE", "answer"),
            ("CHANNEL_EXECUTE", "set"),
            ("CHANNEL_EXECUTE_COMPLETE", "set"),
            ("CHANNEL_EXECUTE", "park"),
            ("CHANNEL_PARK", ""),
            ("CHANNEL_HANGUP", ""),
            ("CHANNEL_UNPARK", ""),
            ("CHANNEL_EXECUTE_COMPLETE", "park"),
            ("CHANNEL_UNPARK", ""),
            ("CHANNEL_EXECUTE_COMPLETE", "socket"),
            ("CHANNEL_STATE", ""),
            ("CHANNEL_STATE", ""),
            ("CHANNEL_HANGUP_COMPLETE", ""),
        ]
        # Lingering: still open, and no CHANNEL_DESTROY reaches the controlling socket.
        assert (await ivr.command("getvar ivr_step\n\n"))["Reply-Text"] == "1"
        assert (await ivr.command("exit\n\n"))["Reply-Text"] == "+OK bye"
        headers, body = await ivr.frame()
        assert headers["Content-Disposition"] == "disconnect"
        assert body.startswith("Disconnected, goodbye.")
        assert await ivr.eof()
        ivr.close()
    control.close()


# ---------------------------------------------------------------------- outbound modes
async def test_sync_outbound_runs_sendmsg_inline_and_resume_resets(running: Running) -> None:
    control = await inbound(running)
    async with OutboundApp() as app:
        await control.command(f"bgapi originate loopback/socksync_{app.port}/default &park\n\n")
        ivr = await app.accept()
        info = await connect(ivr)
        assert info["Socket-Mode"] == "static"
        uuid = info["Unique-ID"]
        reply = await ivr.command(
            "sendmsg\ncall-command: execute\nexecute-app-name: set\nexecute-app-arg: v=inline\n\n"
        )
        assert reply["Reply-Text"] == "+OK"
        # Applied before the reply (sync path): getvar sees it at once.
        assert (await ivr.command("getvar v\n\n"))["Reply-Text"] == "inline"
        assert (await ivr.command("resume\n\n"))["Reply-Text"] == "+OK"
        assert (await ivr.command("exit\n\n"))["Reply-Text"] == "+OK bye"
        assert (await ivr.frame())[0]["Controlled-Session-UUID"] == uuid
        channel = running.switch.sessions.find_session(uuid)
        assert channel is not None
        ok = await channel.wait_for_state(ChannelState.CS_RESET, TIMEOUT)
        assert ok and channel.ready
        channel.hangup()
        ivr.close()
    control.close()


async def test_socket_app_fails_over_and_sets_variables(running: Running) -> None:
    control = await inbound(running)
    closed = free_five_digit_port()
    async with OutboundApp() as app:
        await control.command(
            f"bgapi originate null/x &socket(127.0.0.1:{closed}|127.0.0.1:{app.port}/ivr async)\n\n"
        )
        ivr = await app.accept()
        info = await connect(ivr)
        assert info["variable_socket_host"] == "127.0.0.1"
        assert info["variable_socket_path"] == "ivr"
        assert info["Control"] == "single-channel"
        assert (await ivr.command("api status\n\n"))["Reply-Text"] == "-ERR command not found"
        assert (await ivr.command("exit\n\n"))["Reply-Text"] == "+OK bye"
        ivr.close()
    control.close()


async def test_socket_app_error_continues_dialplan(running: Running) -> None:
    lines: list[LogRecord] = []
    unsubscribe = running.switch.subscribe_logs(lines.append)
    running.switch.loglevel = 7
    control = await inbound(running)
    await control.command("event plain CHANNEL_HANGUP CHANNEL_EXECUTE_COMPLETE\n\n")
    await control.command(f"bgapi originate null/x &socket(127.0.0.1:{free_five_digit_port()})\n\n")
    seen: list[str] = []
    while "CHANNEL_HANGUP" not in seen:
        headers, body = await control.frame()
        if headers.get("Content-Type") == "text/event-plain":
            seen.append(event_of(body)["Event-Name"])
    unsubscribe()
    assert "CHANNEL_EXECUTE_COMPLETE" in seen
    assert any(record.text.endswith("Socket Error!\n") for record in lines)
    control.close()


async def test_first_packet_timeout_sends_session_goodbye(running: Running) -> None:
    running.server.auth_timeout = 1
    async with OutboundApp() as app:
        control = await inbound(running)
        await control.command(f"bgapi originate loopback/sock_{app.port}/default &park\n\n")
        ivr = await app.accept()
        headers, body = await ivr.frame()
        assert headers["Content-Disposition"] == "disconnect"
        assert "Controlled-Session-UUID" in headers
        assert body.startswith("Disconnected, goodbye.")
        assert await ivr.eof()
        ivr.close()
        control.close()


# ---------------------------------------------------------------------- inbound myevents
async def test_myevents_uuid_linger_closes_after_whole_seconds(running: Running) -> None:
    control = await inbound(running)
    uuid = "c0ffee00-0000-4000-8000-0000000000aa"
    await control.send(f"api originate {{origination_uuid={uuid}}}loopback/1000/default &park\n\n")
    assert (await control.frame())[1] == f"+OK {uuid}\n"
    watcher = await inbound(running)
    assert (await watcher.command(f"myevents {uuid}\n\n"))["Reply-Text"] == "+OK Events Enabled"
    assert (await watcher.command("linger 1\n\n"))["Reply-Text"] == "+OK will linger 1 seconds"
    await control.send(f"api uuid_kill {uuid}\n\n")
    names: list[str] = []
    while True:
        headers, body = await watcher.frame()
        if headers["Content-Type"] == "text/disconnect-notice":
            if headers["Content-Disposition"] == "disconnect":
                break
            assert headers["Linger-Time"] == "1"
            continue
        names.append(event_of(body)["Event-Name"])
    assert "CHANNEL_HANGUP_COMPLETE" in names
    assert "CHANNEL_DESTROY" not in names
    assert await watcher.eof()
    watcher.close()
    control.close()


# ---------------------------------------------------------------------- sendmsg details
def test_sendmsg_event_command_header() -> None:
    with_target = Command("sendmsg  abc\ncall-command: hangup\n\n", "sendmsg  abc",
                          [("call-command", "hangup"), ("empty", "")])  # fmt: skip
    event = sendmsg_event(with_target)
    assert event.headers == [("Command", "sendmsg  abc"), ("call-command", "hangup")]
    bare = Command("sendmsg\ncall-command: hangup\n\n", "sendmsg", [("call-command", "hangup")])
    assert sendmsg_event(bare).get("Command") == "sendmsg\ncall-command: hangup\n\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("true", True), ("YES", True), ("1", True), ("0", False), ("", False), ("nope", False)],
)
def test_switch_true(text: str, expected: bool) -> None:
    assert switch_true(text) is expected


async def _parked_channel(running: Running) -> Channel:
    uuid = "c0ffee00-0000-4000-8000-0000000000bb"
    result = await running.switch.execute_api(
        "originate", f"{{origination_uuid={uuid}}}loopback/1000/default &park"
    )
    assert result.output == f"+OK {uuid}\n"
    channel = running.switch.sessions.find_session(uuid)
    assert channel is not None
    return channel


async def test_parse_event_loops_stop_after_fast_iteration(running: Running) -> None:
    channel = await _parked_channel(running)
    executed: list[str] = []
    unsubscribe = running.switch.subscribe_events(
        lambda e: (
            executed.append(e.get("Application") or "")
            if e.get("Event-Name") == "CHANNEL_EXECUTE" and e.get("Unique-ID") == channel.uuid
            else None
        )
    )
    message = sendmsg_event(
        Command("sendmsg\n", "sendmsg", [("call-command", "execute"),
                ("execute-app-name", "set"), ("execute-app-arg", "n=1"), ("loops", "5")])
    )  # fmt: skip
    await running.switch.sessions.runner.parse_event(channel, message)
    unsubscribe()
    assert executed == ["set"]
    assert channel.get_variable("n") == "1"
    assert channel.get_variable("current_loop") is None


async def test_parse_event_call_command_is_case_sensitive(running: Running) -> None:
    channel = await _parked_channel(running)
    upper = sendmsg_event(
        Command("sendmsg\n", "sendmsg", [("call-command", "EXECUTE"),
                ("execute-app-name", "set"), ("execute-app-arg", "u=1")])
    )  # fmt: skip
    await running.switch.sessions.runner.parse_event(channel, upper)
    assert channel.get_variable("u") is None
    hangup = sendmsg_event(
        Command("sendmsg\n", "sendmsg", [("call-command", "hangup"), ("hangup-cause", "17")])
    )
    await running.switch.sessions.runner.parse_event(channel, hangup)
    assert channel.hangup_cause == HangupCause.USER_BUSY


async def test_session_event_fired_by_the_park_loop_keeps_its_type(running: Running) -> None:
    """sendevent to a parked session (divert off): the park loop fires it with channel data
    and no standard headers; it is delivered by its own type (NOTIFY here has no
    ``Event-Name`` to route by), and only types that carry variables get ``variable_*``."""
    control = await inbound(running)
    uuid = "c0ffee00-0000-4000-8000-0000000000cc"
    await control.send(f"api originate {{origination_uuid={uuid}}}loopback/1000/default &park\n\n")
    assert (await control.frame())[1] == f"+OK {uuid}\n"
    watcher = await inbound(running)
    reply = await watcher.command("event plain NOTIFY CUSTOM cc::typed\n\n")
    assert reply["Reply-Text"] == "+OK event listener enabled plain"
    assert (await control.command(f"sendevent NOTIFY\nUnique-ID: {uuid}\nX-Seq: 1\n\n"))[
        "Reply-Text"
    ].startswith("+OK ")
    headers, body = await watcher.frame()
    assert headers["Content-Type"] == "text/event-plain"
    notify = event_of(body)
    assert notify["X-Seq"] == "1" and notify["Command"] == "sendevent NOTIFY"
    assert "Event-Name" not in notify and notify["Channel-Name"] == "loopback/1000-a"
    assert not any(name.startswith("variable_") for name in notify)
    await control.command(
        f"sendevent CUSTOM\nEvent-Subclass: cc::typed\nUnique-ID: {uuid}\nX-Seq: 2\n\n"
    )
    headers, body = await watcher.frame()
    assert body.startswith("Event-Subclass: cc%3A%3Atyped\n")
    custom = event_of(body)
    assert custom["X-Seq"] == "2" and custom["variable_call_uuid"] == uuid
    await control.command(f"api uuid_kill {uuid}\n\n")
    watcher.close()
    control.close()
