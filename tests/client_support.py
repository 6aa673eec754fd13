"""A scriptable fake ESL server (and fake outbound switch) for the client's tests.

It plays FreeSWITCH's side on real loopback sockets, byte for byte where it matters:
greeting, auth, replies, events in all formats, notices, and the outbound ``connect`` reply
(rebuilt from the one recorded in the conformance corpus). Tests either script a peer
directly (``await peer.read_command()``, ``peer.write(...)``) or let :class:`AutoSwitch`
answer the usual commands.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import json
import uuid as uuidlib
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from eslkit.protocol import (
    GOODBYE,
    GREETING,
    Command,
    Event,
    FrameReader,
    api_response,
    command_reply,
    disconnect_notice,
    event_frame_for,
    linger_notice,
)
from eslkit.protocol.event import EventFormat

PASSWORD = "ClueCon"
CASES = (Path(__file__).resolve().parent / "conformance" / "data" / "cases")
T = TypeVar("T")


def run(
    timeout: float = 30.0,
) -> Callable[[Callable[..., Coroutine[Any, Any, T]]], Callable[..., T]]:
    """Decorator: run an async test function in a fresh event loop, with a timeout."""

    def decorate(fn: Callable[..., Coroutine[Any, Any, T]]) -> Callable[..., T]:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> T:
            async def main() -> T:
                return await asyncio.wait_for(fn(*args, **kwargs), timeout)

            return asyncio.run(main())

        return wrapper

    return decorate


def make_event(name: str, body: str | None = None, **headers: str) -> Event:
    """An event with the given name and headers (``Unique_ID`` becomes ``Unique-ID``;
    ``variable_*`` names are kept)."""
    pairs = [("Event-Name", name)]
    pairs += [
        (key if key.startswith("variable_") else key.replace("_", "-"), value)
        for key, value in headers.items()
    ]
    return Event(pairs, body)


class Peer:
    """One connection as the server (or fake switch) sees it."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.frames = FrameReader(server_side=True)
        self.commands: list[Command] = []
        self.eof = False

    async def read_command(self, timeout: float = 10.0) -> Command:
        """The next command packet the client sent."""
        async with asyncio.timeout(timeout):
            while True:
                frame = self.frames.next_frame()
                if frame is not None:
                    command = Command.from_frame(frame)
                    self.commands.append(command)
                    return command
                data = await self.reader.read(65536)
                if not data:
                    self.eof = True
                    raise EOFError("client closed the connection")
                self.frames.feed(data)

    async def expect_eof(self, timeout: float = 10.0) -> None:
        """Wait until the client closes; ``exit`` is answered as FreeSWITCH does, other
        commands read meanwhile are only recorded."""
        try:
            while True:
                command = await self.read_command(timeout)
                if command.line == "exit":
                    self.reply("+OK bye")
                    self.goodbye()
                    return
        except EOFError:
            return

    def write(self, data: bytes) -> None:
        """Write raw bytes."""
        self.writer.write(data)

    async def write_split(self, data: bytes, sizes: list[int]) -> None:
        """Write ``data`` in pieces of the given sizes (the rest last), draining between."""
        pos = 0
        for size in sizes:
            self.writer.write(data[pos : pos + size])
            await self.writer.drain()
            await asyncio.sleep(0)
            pos += size
        if pos < len(data):
            self.writer.write(data[pos:])
            await self.writer.drain()

    def reply(self, text: str) -> None:
        """A ``command/reply``."""
        self.write(command_reply(text))

    def api(self, output: str) -> None:
        """An ``api/response``."""
        self.write(api_response(output))

    def event(self, event: Event, fmt: EventFormat = "plain") -> None:
        """An event frame."""
        self.write(event_frame_for(event, fmt))

    def goodbye(self, session_uuid: str | None = None) -> None:
        """The goodbye disconnect notice, then close."""
        self.write(disconnect_notice(GOODBYE, session_uuid=session_uuid))
        self.writer.close()

    def close(self) -> None:
        """Close the socket."""
        self.writer.close()


async def handshake(peer: Peer, password: str = PASSWORD) -> Command:
    """Greeting and auth, as FreeSWITCH does them; a wrong password ends the connection."""
    peer.write(GREETING)
    command = await peer.read_command()
    if command.line == f"auth {password}" or command.line.startswith("userauth "):
        supplied = command.line.split(" ", 1)[1]
        if command.line.startswith("userauth ") and not supplied.endswith(":" + password):
            peer.reply("-ERR invalid")
            peer.goodbye()
            raise EOFError("auth failed")
        peer.reply("+OK accepted")
        return command
    peer.reply("-ERR invalid")
    peer.goodbye()
    raise EOFError("auth failed")


Script = Callable[[Peer], Awaitable[None]]


class FakeESL:
    """An asyncio server on 127.0.0.1, port 0, running ``script(peer)`` per connection."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.peers: asyncio.Queue[Peer] = asyncio.Queue()
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> FakeESL:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5)

    @property
    def port(self) -> int:
        assert self._server is not None
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.connections += 1
        peer = Peer(reader, writer)
        self.peers.put_nowait(peer)
        try:
            await self.script(peer)
        except (EOFError, ConnectionError):
            pass
        finally:
            writer.close()
            self._tasks.discard(task)

    async def next_peer(self, timeout: float = 10.0) -> Peer:
        """The next accepted connection."""
        return await asyncio.wait_for(self.peers.get(), timeout)


class AutoSwitch:
    """Answers the common commands like FreeSWITCH (a scriptable subset).

    ``api`` commands go to ``api_handler`` (default: ``echo``); ``bgapi`` replies with the
    client's Job-UUID and fires BACKGROUND_JOB when subscribed; ``sendmsg`` executes fire
    CHANNEL_EXECUTE_COMPLETE with the client's Event-UUID unless ``hold_execute`` is set.
    """

    def __init__(self, password: str = PASSWORD) -> None:
        self.password = password
        self.format: EventFormat = "plain"
        self.subscribed: set[str] = set()
        self.event_commands: list[str] = []
        self.filters: list[str] = []
        self.hold_execute = False
        self.peers: list[Peer] = []
        self.api_handler: Callable[[str], str] = self._echo

    @staticmethod
    def _echo(line: str) -> str:
        word, _, arg = line.partition(" ")
        if word == "echo":
            return arg
        return f"-ERR {word} Command not found!\n"

    async def __call__(self, peer: Peer) -> None:
        await handshake(peer, self.password)
        self.peers.append(peer)
        while True:
            command = await peer.read_command(timeout=60)
            await self.handle(peer, command)

    async def handle(self, peer: Peer, command: Command) -> None:
        line = command.line
        if line.startswith("api "):
            peer.api(self.api_handler(line[4:]))
        elif line.startswith("bgapi "):
            job = command.header("Job-UUID") or str(uuidlib.uuid4())
            peer.write(
                b"Content-Type: command/reply\nReply-Text: +OK Job-UUID: "
                + job.encode()
                + b"\nJob-UUID: "
                + job.encode()
                + b"\n\n"
            )
            if "BACKGROUND_JOB" in self.subscribed or "ALL" in self.subscribed:
                word = line[6:].split(" ", 1)[0]
                result = self.api_handler(line[6:])
                event = make_event("BACKGROUND_JOB", result, Job_UUID=job, Job_Command=word)
                peer.event(event, self.format)
        elif line.startswith("event "):
            words = line.split(" ")[1:]
            if words and words[0] in ("plain", "json", "xml"):
                self.format = words.pop(0)  # type: ignore[assignment]
            self.subscribed.update(w for w in words if w)
            self.event_commands.append(line)
            peer.reply(f"+OK event listener enabled {self.format}")
        elif line.startswith("filter "):
            self.filters.append(line)
            header, _, value = line[7:].partition(" ")
            peer.reply(f"+OK filter added. [{header}]=[{value}]")
        elif line.startswith("sendmsg"):
            peer.reply("+OK")
            if command.header("call-command") == "execute" and not self.hold_execute:
                self.complete(peer, command)
        elif line.startswith("exit"):
            peer.reply("+OK bye")
            peer.goodbye()
            raise EOFError("exit")
        else:
            peer.reply("-ERR command not found")

    def complete(self, peer: Peer, command: Command, **extra: str) -> None:
        """Fire CHANNEL_EXECUTE_COMPLETE for a ``sendmsg`` execute."""
        target = command.line[len("sendmsg") :].strip()
        arg = command.header("execute-app-arg") or (command.body_text or "")
        event = make_event(
            "CHANNEL_EXECUTE_COMPLETE",
            Unique_ID=target or "outbound-channel",
            Application=command.header("execute-app-name") or "",
            Application_Data=arg,
            Application_UUID=command.header("Event-UUID") or "",
            Application_Response="_none_",
            **extra,
        )
        peer.event(event, self.format)


# ---------------------------------------------------------------------- outbound
def recorded_connect_reply() -> bytes:
    """The connect reply FreeSWITCH sent in ``out_connect_async_full`` (bare event)."""
    raw = json.loads((CASES / "out_connect_async_full.raw").read_text())
    data = base64.b64decode(raw["o"]["received_b64"])
    return data[: data.index(b"\n\n") + 2]


def connect_reply(uuid: str, *, control: str = "full", mode: str = "async") -> bytes:
    """The recorded connect reply with this channel's UUID, Control and Socket-Mode."""
    event = Event.from_plain(recorded_connect_reply())
    old = event.get("Unique-ID")
    headers = []
    for name, value in event.headers:
        if name == "Control":
            value = control
        elif name == "Socket-Mode":
            value = mode
        elif value == old:
            value = uuid
        headers.append((name, value))
    return Event(headers).to_plain()


async def dial(port: int) -> Peer:
    """Connect to an outbound server the way FreeSWITCH's socket app does (sends nothing)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    return Peer(reader, writer)


async def switch_side_connect(
    peer: Peer, uuid: str, *, control: str = "full", mode: str = "async"
) -> None:
    """Read ``connect`` and answer it with the bare channel data."""
    command = await peer.read_command()
    assert command.line == "connect", command.line
    peer.write(connect_reply(uuid, control=control, mode=mode))


def linger(peer: Peer, uuid: str) -> None:
    """The linger notice for ``uuid``."""
    peer.write(linger_notice(uuid, "loopback/sock-b", -1))
