"""``eslkit bridge``: the events of one or more switches onto a JetStream stream, and their
commands served over NATS request/reply.

One :class:`SwitchBridge` per switch runs two ESL connections: an event connection read only
as fast as JetStream acknowledges (:mod:`eslkit.bridge.reader`, :mod:`eslkit.bridge.window`)
and a command connection (eslkit's client) for the request/reply service and the snapshots.

Nothing is lost silently: every message carries ``Esl-Core-UUID`` and ``Esl-Sequence``; after
each (re)connection the bridge compares the first event it reads with the last position it
published (kept in memory and read back from the stream, so a restarted bridge knows it too)
and publishes the range it may have missed on ``esl.<switch>.eslkit.gap``, or the change of
``Core-UUID`` when the switch restarted, followed by ``show channels as json`` on
``esl.<switch>.eslkit.snapshot``.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import os
import socket
import time
import uuid as uuidlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import StreamConfig

import eslkit
from eslkit.bridge.reader import EslEvent, EventReader, ReaderClosed
from eslkit.bridge.subjects import (
    EVENT_ROOT,
    check_switch_name,
    command_subject,
    event_subject,
    gap_subject,
    snapshot_subject,
)
from eslkit.bridge.window import PublishWindow
from eslkit.client.errors import ESLError
from eslkit.client.inbound import InboundConnection
from eslkit.protocol.names import EventType

logger = logging.getLogger("eslkit.bridge")

__all__ = [
    "DEFAULT_ALLOWED_API",
    "Bridge",
    "BridgeOptions",
    "Position",
    "SwitchBridge",
    "SwitchTarget",
    "expand_events",
]

#: API commands served over NATS by default: the read-only ones.
DEFAULT_ALLOWED_API = frozenset(
    {
        "show",
        "status",
        "uptime",
        "version",
        "hostname",
        "switchname",
        "uuid_dump",
        "uuid_exists",
        "uuid_getvar",
        "global_getvar",
    }
)
PROBE_PREFIX = "eslkit-probe-"


@dataclass(slots=True)
class SwitchTarget:
    """One switch's event socket, and the name its subjects use."""

    name: str
    host: str = "127.0.0.1"
    port: int = 8021
    password: str = "ClueCon"
    user: str | None = None

    def __post_init__(self) -> None:
        check_switch_name(self.name)

    @classmethod
    def parse(cls, text: str, password: str, user: str | None = None) -> SwitchTarget:
        """``[name=]host:port`` (``[::1]:8021`` for IPv6); the name defaults to the host with
        its dots as ``_``."""
        name, sep, address = text.partition("=")
        if not sep:
            address, name = text, ""
        if address.startswith("["):
            host, _, rest = address[1:].partition("]")
            port_text = rest.lstrip(":") or "8021"
        else:
            host, _, port_text = address.rpartition(":")
            if not host:
                host, port_text = address, "8021"
        if not name:
            name = host.replace(".", "_").replace(":", "_")
        return cls(name=name, host=host, port=int(port_text), password=password, user=user)


@dataclass(slots=True)
class BridgeOptions:
    """Everything ``eslkit bridge`` can be told."""

    switches: list[SwitchTarget]
    nats_servers: list[str] = field(default_factory=lambda: ["nats://127.0.0.1:4222"])
    stream: str = "ESL"
    events: str = "ALL"
    #: Stream retention: seconds (0 = unlimited), bytes (-1 = unlimited), replicas.
    max_age: float = 0.0
    max_bytes: int = -1
    replicas: int = 1
    duplicate_window: float = 120.0
    create_stream: bool = True
    max_inflight: int = 4096
    ack_timeout: float = 5.0
    allowed_api: frozenset[str] = DEFAULT_ALLOWED_API
    allow_all_api: bool = False
    allow_sendmsg: bool = False
    command_timeout: float = 30.0
    reconnect_max: float = 5.0
    status_interval: float = 10.0
    bridge_id: str = field(default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}")


@dataclass(slots=True, frozen=True)
class Position:
    """The last event of a switch that reached the stream."""

    core_uuid: str
    sequence: int


def expand_events(spec: str) -> str:
    """The ESL subscription for ``--events``: names, ``CUSTOM sub::classes``, and shell-style
    patterns over FreeSWITCH's event names (``CHANNEL_*``)."""
    import fnmatch

    words = spec.split()
    if not words:
        return "ALL"
    names = [e.name for e in EventType]
    out: list[str] = []
    custom_mode = False
    for word in words:
        upper = word.upper()
        if upper in ("ALL", "CUSTOM"):
            custom_mode = upper == "CUSTOM"
            out.append(upper)
            continue
        if custom_mode and "::" in word:
            out.append(word)
            continue
        custom_mode = False
        if any(ch in word for ch in "*?["):
            matched = [n for n in names if fnmatch.fnmatchcase(n, upper)]
            if not matched:
                raise ValueError(f"--events: {word!r} matches no event name")
            out.extend(m for m in matched if m not in out)
        else:
            out.append(upper)
    return " ".join(out)


class SwitchBridge:
    """Bridges one switch: its events to the stream, its commands from NATS."""

    def __init__(
        self, target: SwitchTarget, options: BridgeOptions, nc: NatsClient, js: JetStreamContext
    ) -> None:
        self.target = target
        self.options = options
        self._nc = nc
        self._js = js
        self.window = PublishWindow(
            nc, max_inflight=options.max_inflight, ack_timeout=options.ack_timeout
        )
        self._last_event: EslEvent | None = None
        self._events = expand_events(options.events)
        words = self._events.split()
        self._drop_jobs = "ALL" not in words and "BACKGROUND_JOB" not in words
        if self._drop_jobs:
            self._events += " BACKGROUND_JOB"
        self._commands: InboundConnection | None = None
        self._subs: list[Any] = []
        self._command_task: asyncio.Task[None] | None = None
        self.gaps = 0
        self.connected = asyncio.Event()

    @property
    def position(self) -> Position | None:
        """The last event read from the switch (published, or dropped on purpose)."""
        last = self._last_event
        return None if last is None else Position(last.core_uuid, last.sequence)

    # ------------------------------------------------------------------ running
    async def run(self) -> None:
        """Bridge until cancelled, reconnecting to the switch with backoff."""
        await self.window.start()
        await self._start_commands()
        delay = 0.1
        try:
            while True:
                try:
                    reader = await EventReader.open(
                        self.target.host,
                        self.target.port,
                        self.target.password,
                        self._events,
                        user=self.target.user,
                    )
                except (OSError, ReaderClosed, TimeoutError) as exc:
                    self.connected.clear()
                    logger.warning("%s: cannot connect: %s", self.target.name, exc)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, self.options.reconnect_max)
                    continue
                delay = 0.1
                try:
                    await self._pump(reader)
                except (OSError, ReaderClosed, TimeoutError) as exc:
                    logger.warning("%s: event connection lost: %s", self.target.name, exc)
                finally:
                    self.connected.clear()
                    await reader.close()
        finally:
            await self._stop_commands()
            await self.window.close()

    async def _pump(self, reader: EventReader) -> None:
        known = await self._known_position()
        # A job of our own makes the switch send an event now, so that the first event
        # (and the gap check) does not wait for the switch's next one.
        probe = f"{PROBE_PREFIX}{uuidlib.uuid4()}"
        await reader.command(f"bgapi status\nJob-UUID: {probe}")
        self.connected.set()
        logger.info("%s: connected, events: %s", self.target.name, self._events)
        first = True
        window = self.window
        name = self.target.name
        subjects: dict[tuple[str, str | None], str] = {}
        while True:
            event = await reader.next_event()
            if first:
                first = False
                await self._check_gap(known, event)
            self._last_event = event
            if event.name == "BACKGROUND_JOB" and (
                self._drop_jobs or (event.job_uuid or "").startswith(PROBE_PREFIX)
            ):
                continue
            kind = (event.name, event.subclass)
            subject = subjects.get(kind)
            if subject is None:
                subject = event_subject(name, event.name, event.subclass)
                if len(subjects) < 4096:
                    subjects[kind] = subject
            headers = {
                "Nats-Msg-Id": f"{event.core_uuid}:{event.sequence}",
                "Esl-Core-UUID": event.core_uuid,
                "Esl-Sequence": str(event.sequence),
            }
            if event.unique_id:
                headers["Esl-Unique-ID"] = event.unique_id
            await window.publish(
                subject,
                event.payload,
                headers,
                event.timestamp_us,
            )

    async def _known_position(self) -> Position | None:
        """The later of what this bridge published and what the stream holds last."""
        stored: Position | None = None
        try:
            msg = await self._js.get_last_msg(
                self.options.stream, f"{EVENT_ROOT}.{self.target.name}.>"
            )
            headers = msg.headers or {}
            core = headers.get("Esl-Core-UUID")
            seq = headers.get("Esl-Sequence", "")
            if core and seq.isdigit():
                stored = Position(core, int(seq))
        except nats.js.errors.NotFoundError:
            stored = None
        except Exception as exc:  # NATS unreachable right now: rely on memory
            logger.warning("%s: cannot read the stream's last position: %s", self.target.name, exc)
        mine = self.position
        if mine is None:
            return stored
        if stored is None or stored.core_uuid != mine.core_uuid:
            return mine
        return stored if stored.sequence > mine.sequence else mine

    async def _check_gap(self, known: Position | None, first: EslEvent) -> None:
        if known is None:
            return
        if known.core_uuid == first.core_uuid:
            if first.sequence <= known.sequence + 1:
                return
            body: dict[str, Any] = {
                "reason": "reconnect",
                "core_uuid": first.core_uuid,
                "from_sequence": known.sequence + 1,
                "to_sequence": first.sequence - 1,
            }
        else:
            body = {
                "reason": "switch restarted",
                "old_core_uuid": known.core_uuid,
                "old_last_sequence": known.sequence,
                "core_uuid": first.core_uuid,
                "from_sequence": 1,
                "to_sequence": first.sequence - 1,
            }
        self.gaps += 1
        await self._publish_marker(gap_subject(self.target.name), "eslkit::gap", body, first)
        await self._publish_snapshot(first)

    async def _publish_marker(
        self, subject: str, subclass: str, fields: dict[str, Any], at: EslEvent, body: str = ""
    ) -> None:
        """A marker is an eslkit event (CUSTOM, ``eslkit::gap``/``eslkit::snapshot``) in
        FreeSWITCH's JSON shape, so consumers read it like any event."""
        event: dict[str, Any] = {
            "Event-Name": "CUSTOM",
            "Event-Subclass": subclass,
            "Core-UUID": at.core_uuid,
            "Event-Date-Timestamp": str(int(time.time() * 1_000_000)),
            "Bridge-Switch": self.target.name,
            "Bridge-ID": self.options.bridge_id,
        }
        gap = subclass == "eslkit::gap"
        for key, value in fields.items():
            # A gap's fields become Gap-* headers (reason -> Gap-Reason); a snapshot's are
            # already header names.
            name = "Gap-" + key.replace("_", "-").title() if gap else key
            event[name] = str(value)
        if body:
            event["Content-Length"] = str(len(body.encode("utf-8")))
            event["_body"] = body
        headers = {
            "Nats-Msg-Id": f"{at.core_uuid}:{subclass}:{at.sequence}:{self.options.bridge_id}",
            "Esl-Core-UUID": at.core_uuid,
            "Esl-Sequence": str(max(at.sequence - 1, 0)),
        }
        await self.window.publish(subject, json.dumps(event).encode("utf-8"), headers)
        logger.warning("%s: published %s %s", self.target.name, subclass, fields)

    async def _publish_snapshot(self, at: EslEvent) -> None:
        # The command connection reconnects on its own schedule: give it a moment.
        for _ in range(100):
            if self._ready() is not None:
                break
            await asyncio.sleep(0.05)
        conn = self._ready()
        body = ""
        error = ""
        if conn is not None:
            try:
                body = await conn.api("show channels as json", timeout=10, check=False)
            except (ESLError, OSError, TimeoutError) as exc:
                error = str(exc)
        else:
            error = "the command connection is not connected"
        fields = {"Snapshot-Command": "show channels as json"}
        if error:
            fields["Snapshot-Error"] = error
        await self._publish_marker(
            snapshot_subject(self.target.name), "eslkit::snapshot", fields, at, body
        )

    # ------------------------------------------------------------------ commands
    async def _start_commands(self) -> None:
        self._command_task = asyncio.create_task(
            self._open_commands(), name=f"bridge-commands-{self.target.name}"
        )
        queue = f"eslkit-bridge-{self.target.name}"
        for kind, handler in (
            ("api", self._on_api),
            ("bgapi", self._on_bgapi),
            ("sendmsg", self._on_sendmsg),
        ):
            sub = await self._nc.subscribe(
                command_subject(self.target.name, kind), queue=queue, cb=handler
            )
            self._subs.append(sub)

    async def _open_commands(self) -> None:
        """Open the command connection, retrying; once open, it reconnects by itself."""
        delay = 0.1
        while True:
            try:
                self._commands = await eslkit.connect(
                    self.target.host,
                    self.target.port,
                    self.target.password,
                    user=self.target.user,
                    command_timeout=self.options.command_timeout,
                    reconnect=eslkit.Reconnect(maximum=self.options.reconnect_max),
                )
                return
            except (OSError, ESLError, TimeoutError) as exc:
                logger.warning("%s: command connection: %s", self.target.name, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.options.reconnect_max)

    async def _stop_commands(self) -> None:
        for sub in self._subs:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()
        self._subs.clear()
        task = self._command_task
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._commands is not None:
            with contextlib.suppress(Exception):
                await self._commands.close()

    def _api_allowed(self, command: str) -> bool:
        if self.options.allow_all_api:
            return True
        name = command.split(None, 1)[0] if command.strip() else ""
        return name in self.options.allowed_api

    async def _reply(self, msg: Msg, data: bytes, error: str | None = None, code: int = 0) -> None:
        if not msg.reply:
            return
        headers = None
        if error is not None:
            headers = {"Nats-Service-Error": error, "Nats-Service-Error-Code": str(code)}
        with contextlib.suppress(Exception):
            await self._nc.publish(msg.reply, data, headers=headers)

    def _ready(self) -> InboundConnection | None:
        conn = self._commands
        if conn is None or not conn.connected:
            return None
        return conn

    async def _admit(self, msg: Msg, kind: str) -> tuple[str, InboundConnection] | None:
        """The request's command and the connection to run it on, or None once the refusal
        (403 not allowed, 503 not connected) has been sent."""
        command = msg.data.decode("utf-8", "replace").strip()
        if not self._api_allowed(command):
            await self._reply(msg, b"", f"{kind} {command.split(' ', 1)[0]!r} is not allowed", 403)
            return None
        conn = self._ready()
        if conn is None:
            await self._reply(msg, b"", "switch not connected", 503)
            return None
        return command, conn

    async def _on_api(self, msg: Msg) -> None:
        admitted = await self._admit(msg, "api")
        if admitted is None:
            return
        command, conn = admitted
        try:
            body = await conn.api(command, timeout=self.options.command_timeout, check=False)
        except (ESLError, OSError, TimeoutError, ValueError) as exc:
            await self._reply(msg, b"", str(exc), 500)
            return
        await self._reply(msg, body.encode("utf-8", "surrogateescape"))

    async def _on_bgapi(self, msg: Msg) -> None:
        admitted = await self._admit(msg, "bgapi")
        if admitted is None:
            return
        command, conn = admitted
        job = str(uuidlib.uuid4())
        try:
            frame = await conn.send(
                f"bgapi {command}", [("Job-UUID", job)], timeout=self.options.command_timeout
            )
        except (ESLError, OSError, TimeoutError, ValueError) as exc:
            await self._reply(msg, b"", str(exc), 500)
            return
        text = frame.get("Reply-Text") or ""
        if not text.startswith("+OK"):
            await self._reply(msg, b"", text, 500)
            return
        await self._reply(msg, (frame.get("Job-UUID") or job).encode())

    async def _on_sendmsg(self, msg: Msg) -> None:
        if not self.options.allow_sendmsg:
            await self._reply(msg, b"", "sendmsg is not allowed (--allow-sendmsg)", 403)
            return
        try:
            request = json.loads(msg.data)
            uuid = str(request["uuid"])
            raw = request.get("headers", {})
            pairs: Iterable[tuple[str, str]] = (
                [(str(k), str(v)) for k, v in raw.items()]
                if isinstance(raw, dict)
                else [(str(k), str(v)) for k, v in raw]
            )
            body = request.get("body")
        except (ValueError, KeyError, TypeError) as exc:
            await self._reply(msg, b"", f"bad sendmsg request: {exc}", 400)
            return
        conn = self._ready()
        if conn is None:
            await self._reply(msg, b"", "switch not connected", 503)
            return
        try:
            text = await conn.sendmsg(pairs, body, uuid=uuid, timeout=self.options.command_timeout)
        except (ESLError, OSError, TimeoutError, ValueError) as exc:
            await self._reply(msg, b"", str(exc), 500)
            return
        await self._reply(msg, text.encode("utf-8"))


# Every subject the bridge publishes on is made of tokens (subjects.token) or is a reply
# subject nats-server delivered: nats-py's per-publish check of both is wasted (when nats-py
# has the option).
_SKIP_VALIDATION: dict[str, Any] = (
    {"skip_subject_validation": True}
    if "skip_subject_validation" in inspect.signature(NatsClient.connect).parameters
    else {}
)


class Bridge:
    """All the switches of one ``eslkit bridge`` process on one NATS connection."""

    def __init__(self, options: BridgeOptions) -> None:
        if not options.switches:
            raise ValueError("at least one switch is needed")
        names = [s.name for s in options.switches]
        if len(set(names)) != len(names):
            raise ValueError(f"switch names must be unique: {names}")
        self.options = options
        self.nc: NatsClient | None = None
        self.switches: list[SwitchBridge] = []

    async def connect(self) -> None:
        """Connect to NATS (retrying until it answers) and create or check the stream."""
        delay = 0.2
        while True:
            try:
                self.nc = await nats.connect(
                    servers=self.options.nats_servers,
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=0.5,
                    allow_reconnect=True,
                    name=f"eslkit-bridge {self.options.bridge_id}",
                    pending_size=8 * 1024 * 1024,
                    error_cb=_nats_error,
                    disconnected_cb=_nats_disconnected,
                    reconnected_cb=_nats_reconnected,
                    **_SKIP_VALIDATION,
                )
                break
            except (OSError, nats.errors.NoServersError, TimeoutError) as exc:
                logger.warning("NATS not reachable yet: %s", exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        js = self.nc.jetstream()
        await ensure_stream(js, self.options)
        self.switches = [SwitchBridge(t, self.options, self.nc, js) for t in self.options.switches]

    async def run(self) -> None:
        """Connect and bridge until cancelled."""
        if self.nc is None:
            await self.connect()
        tasks = [
            asyncio.create_task(s.run(), name=f"bridge-{s.target.name}") for s in self.switches
        ]
        tasks.append(asyncio.create_task(self._report(), name="bridge-status"))
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            if self.nc is not None:
                with contextlib.suppress(Exception):
                    await self.nc.drain()

    async def _report(self) -> None:
        while True:
            await asyncio.sleep(self.options.status_interval)
            for s in self.switches:
                st = s.window.stats
                logger.info(
                    "%s: published %d acked %d in flight %d resent %d errors %d gaps %d lag %.1f ms",
                    s.target.name,
                    st.published,
                    st.acked,
                    s.window.inflight,
                    st.resent,
                    st.errors,
                    s.gaps,
                    st.last_lag_us / 1000,
                )


async def _nats_error(exc: Exception) -> None:
    logger.warning("NATS: %s", exc)


async def _nats_disconnected() -> None:
    logger.warning("NATS: disconnected")


async def _nats_reconnected() -> None:
    logger.info("NATS: reconnected")


async def ensure_stream(js: JetStreamContext, options: BridgeOptions) -> None:
    """Create the stream (subjects ``esl.>``) or check that an existing one captures them."""
    config = StreamConfig(
        name=options.stream,
        subjects=[f"{EVENT_ROOT}.>"],
        max_age=options.max_age or None,
        max_bytes=options.max_bytes,
        num_replicas=options.replicas,
        duplicate_window=options.duplicate_window,
    )
    delay = 0.2
    while True:
        try:
            info = await js.stream_info(options.stream)
        except nats.js.errors.NotFoundError:
            if not options.create_stream:
                raise RuntimeError(f"stream {options.stream} does not exist") from None
            try:
                await js.add_stream(config)
                logger.info("created stream %s (subjects %s.>)", options.stream, EVENT_ROOT)
                return
            except nats.js.errors.BadRequestError as exc:
                # Another bridge created it meanwhile: check it.
                logger.info("stream %s: %s", options.stream, exc)
                continue
        except (
            nats.errors.TimeoutError,
            nats.js.errors.ServiceUnavailableError,
            nats.errors.NoRespondersError,
        ) as exc:
            # JetStream not ready yet (a cluster still electing its meta leader).
            logger.warning("JetStream not ready: %s", exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)
            continue
        subjects = info.config.subjects or []
        if f"{EVENT_ROOT}.>" not in subjects:
            raise RuntimeError(
                f"stream {options.stream} exists without the subject {EVENT_ROOT}.> "
                f"(it has {subjects}); use another --stream"
            )
        return
