"""The event socket server against a Backend test double: no simulated switch behind it.

Real server, real loopback sockets; the double (tests/backend_double.py) records what the
server asks of it. And the server package imports nothing from the switch package.
"""

from __future__ import annotations

import ast
import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import eslkit.server
from eslkit.fsconfig.event_socket import EventSocketSettings
from eslkit.protocol.event import Event
from eslkit.protocol.names import EventType
from eslkit.protocol.urlcode import url_decode
from eslkit.server.backend import Backend
from eslkit.server.socket_server import EventSocketServer
from tests.backend_double import CORE_UUID, FakeBackend, FakeSession
from tests.esl_wire import RawConnection, connect

SESSION_UUID = "aaaaaaaa-0000-0000-0000-000000000001"


@pytest.fixture
async def double() -> AsyncIterator[tuple[FakeBackend, EventSocketServer]]:
    backend = FakeBackend()
    backend.sessions[SESSION_UUID] = FakeSession(SESSION_UUID, "fake/alice")
    typed: Backend = backend  # the double satisfies the contract (checked by mypy too)
    settings = EventSocketSettings(
        listen_ip="127.0.0.1", listen_port=0, password="ClueCon", apply_inbound_acl=[]
    )
    server = EventSocketServer(typed, settings)
    await server.start()
    try:
        yield backend, server
    finally:
        await server.stop()


async def test_auth_api_and_unknown_commands(
    double: tuple[FakeBackend, EventSocketServer],
) -> None:
    _backend, server = double
    refused = await RawConnection.open("127.0.0.1", server.port)
    assert (await refused.frame()).content_type == "auth/request"
    assert await refused.reply("auth wrong") == "-ERR invalid"
    await refused.close()
    conn = await connect("127.0.0.1", server.port)
    assert await conn.api("echo hello from the double") == "hello from the double"
    assert await conn.api("status") == "double up, 1 channels\n"
    assert await conn.api("nosuch thing") == "-ERR nosuch Command not found!\n"
    assert await conn.reply("bogus") == "-ERR command not found"
    # bgapi runs on the backend and fires BACKGROUND_JOB through it.
    assert await conn.reply("event plain BACKGROUND_JOB") == "+OK event listener enabled plain"
    reply = await conn.reply("bgapi echo later")
    assert reply.startswith("+OK Job-UUID: ")
    job = await conn.event()
    assert job.get("Event-Name") == "BACKGROUND_JOB"
    assert job.get("Job-UUID") == reply.removeprefix("+OK Job-UUID: ")
    assert job.body == "later"
    await conn.close()


async def test_events_and_logs_from_the_backend(
    double: tuple[FakeBackend, EventSocketServer],
) -> None:
    backend, server = double
    conn = await connect("127.0.0.1", server.port)
    assert await conn.reply("event plain HEARTBEAT CUSTOM double::thing") == (
        "+OK event listener enabled plain"
    )
    assert await conn.reply("log 7") == "+OK log level 7 [7]"
    heartbeat = Event([("Event-Name", "HEARTBEAT"), ("Core-UUID", CORE_UUID)], None)
    backend.fire(heartbeat)
    # Routed by the type the backend gives, whatever its headers say.
    typed = Event([("Event-Subclass", "double::thing"), ("Note", "typed")], None)
    backend.fire(typed, int(EventType.CUSTOM), "double::thing")
    backend.fire(Event([("Event-Name", "CHANNEL_CREATE")], None))  # not subscribed
    got = await conn.event()
    assert got.get("Event-Name") == "HEARTBEAT"
    got = await conn.event()
    assert got.get("Note") == "typed"
    backend.log(4, "a warning\n", file="f.c", function="fn", line=7)
    while True:
        frame = await conn.frame()
        if frame.content_type == "log/data":
            break
    assert frame.body == b"a warning\n"
    assert frame.get("Log-Level") == "4"
    # sendevent goes through the backend (stamped there) back to the subscribers.
    await conn.send("sendevent HEARTBEAT\nFrom: client\n\n")
    frame = await conn.frame()
    assert (frame.get("Reply-Text") or "").startswith("+OK ")
    echoed = await conn.event()
    assert echoed.get("From") == "client"
    assert echoed.get("Core-UUID") == CORE_UUID
    await conn.close()


async def test_sendmsg_and_myevents_on_a_fake_channel(
    double: tuple[FakeBackend, EventSocketServer],
) -> None:
    backend, server = double
    conn = await connect("127.0.0.1", server.port)
    await conn.send(
        f"sendmsg {SESSION_UUID}\ncall-command: execute\nexecute-app-name: answer\n\n"
    )
    assert (await conn.frame()).get("Reply-Text") == "+OK"
    [message] = backend.sessions[SESSION_UUID].messages
    assert message.get("call-command") == "execute"
    assert message.get("execute-app-name") == "answer"
    assert await conn.reply("sendmsg nosuch\ncall-command: hangup") == (
        "-ERR invalid session id [nosuch]"
    )
    # sendevent with a live channel's Unique-ID is queued on that session.
    await conn.send(f"sendevent CUSTOM\nUnique-ID: {SESSION_UUID}\n\n")
    assert ((await conn.frame()).get("Reply-Text") or "").startswith("+OK ")
    assert len(backend.sessions[SESSION_UUID].session_events) == 1
    # myevents <uuid> takes control of the channel through the backend.
    assert await conn.reply(f"myevents {SESSION_UUID}") == "+OK Events Enabled"
    [control] = backend.controls
    assert await conn.reply("getvar nothing") == "-ERR command not found"  # as FreeSWITCH
    backend.sessions[SESSION_UUID].variables["color"] = "blue"
    assert await conn.reply("getvar color") == "blue"
    assert await conn.reply("divert_events on") == "+OK events diverted"
    assert control.diverter is not None
    assert control.diverter(Event([("Event-Name", "CUSTOM"), ("Diverted", "yes")], None))
    assert (await conn.event()).get("Diverted") == "yes"
    assert await conn.reply("exit") == "+OK bye"
    await conn.closed()
    await asyncio.sleep(0.05)
    assert control.released == [False]


async def test_outbound_socket_through_the_connector(
    double: tuple[FakeBackend, EventSocketServer],
) -> None:
    backend, _server = double
    assert backend.connector is not None
    accepted: asyncio.Queue[RawConnection] = asyncio.Queue()

    async def on_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        from eslkit.protocol.frames import FrameReader

        await accepted.put(RawConnection(reader, writer, FrameReader()))

    app = await asyncio.start_server(on_client, "127.0.0.1", 0)
    port = app.sockets[0].getsockname()[1]
    try:
        control = backend.take_control(backend.sessions[SESSION_UUID])
        assert control is not None
        await backend.connector(control, "127.0.0.1", port, False, False)
        conn = await asyncio.wait_for(accepted.get(), 10)
        reply = await conn.command("connect")
        # The reply is a CHANNEL_DATA serialization: URL-encoded values.
        assert url_decode(reply.get("Reply-Text") or "") == "+OK\n"
        assert url_decode(reply.get("Channel-Name") or "") == "fake/alice"
        assert reply.get("Event-Name") == "CHANNEL_DATA"
        assert reply.get("Socket-Mode") == "static"
        assert reply.get("Control") == "single-channel"
        assert control.connects == 1
        # A sync socket runs sendmsg inline, in the session's thread.
        await conn.send("sendmsg\ncall-command: execute\nexecute-app-name: playback\n\n")
        assert (await conn.frame()).get("Reply-Text") == "+OK"
        assert [m.get("execute-app-name") for m in control.ran] == ["playback"]
        # Not full: the commands below the gate are not found.
        assert await conn.reply("api echo x") == "-ERR command not found"
        assert await conn.reply("resume") == "+OK"
        control.hang_up()
        frames = await conn.closed()
        assert frames[-1].content_type == "text/disconnect-notice"
        await asyncio.sleep(0.05)
        assert control.released == [True]
        await conn.close()
    finally:
        app.close()
        await app.wait_closed()


async def test_outbound_connector_raises_when_nobody_listens(
    double: tuple[FakeBackend, EventSocketServer],
) -> None:
    backend, _server = double
    assert backend.connector is not None
    probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()
    control = backend.take_control(backend.sessions[SESSION_UUID])
    assert control is not None
    with pytest.raises(OSError):
        await backend.connector(control, "127.0.0.1", port, True, True)
    assert control.released == []


SERVER_DIR = Path(eslkit.server.__file__).resolve().parent


def _imported_modules(path: Path) -> set[str]:
    """Every module an eslkit.server file imports, at any depth (TYPE_CHECKING too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module":
            for arg in node.args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    found.add(arg.value)
    return found


def test_the_server_package_imports_nothing_from_the_switch() -> None:
    files = sorted(SERVER_DIR.glob("*.py"))
    assert files
    offenders = {
        f"{path.name}: {module}"
        for path in files
        for module in _imported_modules(path)
        if module == "eslkit.switch" or module.startswith("eslkit.switch.")
    }
    assert not offenders, sorted(offenders)


def test_importing_the_server_loads_no_switch_module() -> None:
    modules = [f"eslkit.server.{path.stem}" for path in sorted(SERVER_DIR.glob("*.py"))]
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print('\\n'.join(m for m in sys.modules if m.startswith('eslkit.switch')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""
