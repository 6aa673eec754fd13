"""The bridge's event connection: ESL events in FreeSWITCH's JSON, read only as fast as
they can be published.

The reader sits on eslkit's sans-IO frame reader and a plain asyncio stream, and reads the
socket only when the bridge asks for the next event. When JetStream pushes back, the bridge
stops asking, the socket's buffers fill and TCP stops the switch, which then queues events for
this connection (FreeSWITCH's own bounded queue; if it overflows, FreeSWITCH drops events and
the next reconnect reports the range as a gap). Nothing is dropped silently here.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import deque
from dataclasses import dataclass

from eslkit.protocol.frames import Frame, FrameReader

__all__ = ["EslEvent", "EventReader", "ReaderClosed", "fields_of"]

_READ_SIZE = 256 * 1024
_FIELDS = re.compile(
    rb'"(Event-Name|Event-Subclass|Core-UUID|Event-Sequence|Unique-ID|Job-UUID|Event-Date-Timestamp)"\s*:\s*"([^"\\]*)"'
)
_KEYS = (
    "Event-Name",
    "Event-Subclass",
    "Core-UUID",
    "Event-Sequence",
    "Unique-ID",
    "Job-UUID",
    "Event-Date-Timestamp",
)


class ReaderClosed(ConnectionError):
    """The event connection ended (EOF, disconnect notice or a protocol error)."""


@dataclass(slots=True)
class EslEvent:
    """One event as the bridge needs it: the switch's JSON bytes and a few header values."""

    payload: bytes
    name: str
    subclass: str | None
    core_uuid: str
    sequence: int
    unique_id: str | None
    job_uuid: str | None
    timestamp_us: int


# The compact layout FreeSWITCH (cJSON unformatted) and eslkit write: '"Name":"value"'.
_COMPACT = tuple((key, b'"' + key.encode() + b'":"') for key in _KEYS)


def fields_of(payload: bytes) -> EslEvent:
    """Read the header values the bridge routes on from a JSON event, without parsing it all.

    FreeSWITCH escapes every ``"`` inside a JSON string, so ``"Name":"`` can only be a key;
    the first occurrence of each key wins, as in the event itself. The compact layout is
    found with plain substring searches; another layout (spaces around ``:``), a value
    with an escape or a missing Event-Name/Event-Sequence takes the slower paths.
    """
    found: dict[str, bytes] = {}
    find = payload.find
    for key, start in _COMPACT:
        at = find(start)
        if at < 0:
            continue
        at += len(start)
        end = find(b'"', at)
        value = payload[at:end]
        if end < 0 or 0x5C in value:  # unterminated, or an escape to decode
            found = _decoded(payload)
            break
        found[key] = value
    else:
        if "Event-Name" not in found or "Event-Sequence" not in found:
            found = _matched(payload)
    sequence = found.get("Event-Sequence", b"0")
    timestamp = found.get("Event-Date-Timestamp", b"0")
    subclass = found.get("Event-Subclass")
    unique_id = found.get("Unique-ID")
    job_uuid = found.get("Job-UUID")
    return EslEvent(
        payload=payload,
        name=found.get("Event-Name", b"").decode("utf-8", "replace"),
        subclass=subclass.decode("utf-8", "replace") if subclass else None,
        core_uuid=found.get("Core-UUID", b"").decode("utf-8", "replace"),
        sequence=int(sequence) if sequence.isdigit() else 0,
        unique_id=unique_id.decode("utf-8", "replace") if unique_id else None,
        job_uuid=job_uuid.decode("utf-8", "replace") if job_uuid else None,
        timestamp_us=int(timestamp) if timestamp.isdigit() else 0,
    )


def _matched(payload: bytes) -> dict[str, bytes]:
    """Any whitespace around ``:``, values without escapes; else the full parse."""
    found: dict[str, bytes] = {}
    for match in _FIELDS.finditer(payload):
        found.setdefault(match.group(1).decode(), match.group(2))
        if len(found) == 7:
            break
    if "Event-Name" not in found or "Event-Sequence" not in found:
        found = _decoded(payload)
    return found


def _decoded(payload: bytes) -> dict[str, bytes]:
    """The slow path: values with escapes, or a layout the pattern does not know."""
    try:
        data = json.loads(payload)
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {
        key: str(data[key]).encode("utf-8")
        for key in _KEYS
        if isinstance(data.get(key), str)
    }


class EventReader:
    """An authenticated ESL connection subscribed to events in JSON.

    Use :meth:`open`, then :meth:`command` for the few commands the bridge sends on it and
    :meth:`next_event` for each event. Not for concurrent use by several tasks.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._frames = FrameReader()
        self._events: deque[bytes] = deque()
        self._replies: deque[Frame] = deque()
        self._closed = False

    @classmethod
    async def open(
        cls,
        host: str,
        port: int,
        password: str,
        events: str,
        *,
        user: str | None = None,
        timeout: float = 10.0,
    ) -> EventReader:
        """Connect, authenticate and run ``event json <events>``."""
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, limit=_READ_SIZE), timeout
        )
        self = cls(reader, writer)
        try:
            greeting = await asyncio.wait_for(self._next_frame(), timeout)
            if greeting.content_type != "auth/request":
                raise ReaderClosed(f"unexpected greeting {greeting.content_type!r}")
            auth = f"userauth {user}:{password}" if user else f"auth {password}"
            reply = await self.command(auth, timeout=timeout)
            if not reply.startswith("+OK"):
                raise ReaderClosed(f"authentication failed: {reply}")
            reply = await self.command(f"event json {events}", timeout=timeout)
            if not reply.startswith("+OK"):
                raise ReaderClosed(f"event subscription refused: {reply}")
        except BaseException:
            await self.close()
            raise
        return self

    async def _fill(self) -> None:
        data = await self._reader.read(_READ_SIZE)
        if not data:
            raise ReaderClosed("connection closed by the switch")
        try:
            self._frames.feed(data)
            frames = self._frames.frames()
        except Exception as exc:  # a protocol error: the stream cannot be resynchronized
            raise ReaderClosed(f"protocol error: {exc}") from exc
        for frame in frames:
            ctype = frame.content_type
            if ctype == "text/event-json":
                if frame.body:
                    self._events.append(frame.body)
            elif ctype in ("command/reply", "api/response"):
                self._replies.append(frame)
            elif ctype == "text/disconnect-notice":
                self._closed = True
            # auth/request and anything else are handled by their callers or ignored

    async def _next_frame(self) -> Frame:
        while True:
            frames = self._frames.frames()
            if frames:
                # Only used for the greeting, before any event can arrive.
                return frames[0]
            data = await self._reader.read(_READ_SIZE)
            if not data:
                raise ReaderClosed("connection closed by the switch")
            self._frames.feed(data)

    async def command(self, line: str, *, timeout: float = 10.0) -> str:
        """Send one command and return its ``Reply-Text`` (events that arrive meanwhile are
        kept for :meth:`next_event`)."""
        self._writer.write(line.encode("utf-8") + b"\n\n")
        await self._writer.drain()

        async def reply() -> str:
            while not self._replies:
                if self._closed:
                    raise ReaderClosed("the switch closed the connection")
                await self._fill()
            frame = self._replies.popleft()
            return frame.get("Reply-Text") or (frame.body or b"").decode("utf-8", "replace")

        return await asyncio.wait_for(reply(), timeout)

    async def next_event(self) -> EslEvent:
        """The next event; reads the socket only when none is buffered."""
        while not self._events:
            if self._closed:
                raise ReaderClosed("the switch closed the connection")
            await self._fill()
        return fields_of(self._events.popleft())

    def buffered(self) -> int:
        """Events read from the socket and not yet taken."""
        return len(self._events)

    async def close(self) -> None:
        """Close the socket (without ``exit``: the bridge may be killed at any time anyway)."""
        self._closed = True
        self._writer.close()
        try:
            await self._writer.wait_closed()
        except (ConnectionError, OSError):
            pass
