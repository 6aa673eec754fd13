"""Reading the bridge's stream, and sending commands through it, from any machine.

``consume()`` is the bus's counterpart of an ESL event loop: it yields eslkit
:class:`~eslkit.protocol.event.Event` objects, so moving an application from a direct ESL
connection to the bus is one line. Each message is acknowledged when the consumer asks for
the next one, that is after the loop body that handled it returned; a consumer that stops in
the middle leaves its message unacknowledged and JetStream delivers it again later.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from eslkit.bridge.subjects import command_subject
from eslkit.client.errors import CommandError, Timeout
from eslkit.protocol.event import Event

__all__ = [
    "BridgeCommandError",
    "Delivery",
    "EventConsumer",
    "api",
    "api_blocking",
    "bgapi",
    "consume",
    "consume_blocking",
    "sendmsg",
]


class BridgeCommandError(CommandError):
    """The bridge refused or failed a command (the NATS service error header)."""

    def __init__(self, command: str, reply: str, code: int) -> None:
        super().__init__(command, reply)
        self.code = code


@dataclass(slots=True)
class Delivery:
    """Where an event came from on the bus (``Event`` objects carry no NATS metadata)."""

    subject: str
    stream_sequence: int
    num_delivered: int


async def _connect(url: str | list[str]) -> NatsClient:
    servers = [url] if isinstance(url, str) else list(url)
    return await nats.connect(servers=servers, max_reconnect_attempts=-1, reconnect_time_wait=0.5)


class EventConsumer:
    """The stream's events as eslkit ``Event`` objects; see :func:`consume`.

    An async iterator and an async context manager: ``async with consume(...) as events:
    async for event in events: ...`` closes the NATS connection when the block ends, even
    after a ``break``.
    """

    def __init__(
        self,
        url: str | list[str],
        subjects: list[str],
        *,
        durable: str | None,
        stream: str,
        batch: int,
        deliver: str,
        ack_wait: float,
        idle_timeout: float | None,
    ) -> None:
        self._url = url
        self._subjects = subjects
        self._durable = durable
        self._stream = stream
        self._batch = batch
        self._deliver = deliver
        self._ack_wait = ack_wait
        self._idle_timeout = idle_timeout
        self._nc: NatsClient | None = None
        self._sub: Any = None
        self._pending: list[Msg] = []
        self._unacked: Msg | None = None
        self._closed = False
        #: Where the last event came from (subject, stream sequence, deliveries).
        self.delivery: Delivery | None = None

    async def _open(self) -> None:
        self._nc = await _connect(self._url)
        js = self._nc.jetstream()
        wanted = self._subjects
        config = ConsumerConfig(
            durable_name=self._durable,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self._ack_wait,
            deliver_policy=DeliverPolicy.NEW if self._deliver == "new" else DeliverPolicy.ALL,
            max_ack_pending=max(self._batch * 4, 1024),
        )
        if len(wanted) == 1:
            config.filter_subject = wanted[0]
        else:
            config.filter_subjects = wanted
        self._sub = await js.pull_subscribe(
            wanted[0] if len(wanted) == 1 else "",
            durable=self._durable,
            stream=self._stream,
            config=config,
        )

    def __aiter__(self) -> EventConsumer:
        return self

    async def __anext__(self) -> Event:
        if self._unacked is not None:
            # The caller asks for the next event: the previous one is handled.
            msg, self._unacked = self._unacked, None
            await msg.ack()
        if self._closed:
            raise StopAsyncIteration
        if self._sub is None:
            await self._open()
        loop = asyncio.get_running_loop()
        idle_since = loop.time()
        while not self._pending:
            try:
                self._pending = list(await self._sub.fetch(self._batch, timeout=1.0))
            except (nats.errors.TimeoutError, TimeoutError):
                if (
                    self._idle_timeout is not None
                    and loop.time() - idle_since >= self._idle_timeout
                ):
                    await self.close()
                    raise StopAsyncIteration from None
        msg = self._pending.pop(0)
        self._unacked = msg
        meta = msg.metadata
        self.delivery = Delivery(msg.subject, meta.sequence.stream, meta.num_delivered)
        return Event.from_json(msg.data)

    async def close(self) -> None:
        """Close the NATS connection. Events fetched and not acknowledged (the one being
        handled when the loop was left, and those not yet yielded) are handed back to
        JetStream at once, for this durable consumer's next run or another member."""
        self._closed = True
        # Fetched but not handled: hand them back at once rather than after ack_wait.
        returned = ([self._unacked] if self._unacked is not None else []) + self._pending
        self._pending = []
        self._unacked = None
        for msg in returned:
            with contextlib.suppress(Exception):
                await msg.nak()
        if self._nc is not None:
            with contextlib.suppress(Exception):
                await self._nc.close()
            self._nc = None

    async def __aenter__(self) -> EventConsumer:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def consume(
    url: str | list[str],
    subjects: str | Iterable[str] = "esl.>",
    *,
    durable: str | None = None,
    stream: str = "ESL",
    batch: int = 256,
    deliver: str = "all",
    ack_wait: float = 30.0,
    idle_timeout: float | None = None,
) -> EventConsumer:
    """The stream's events on ``subjects`` (NATS wildcards allowed), oldest first.

    Each event is acknowledged when the next one is asked for, i.e. after the loop body
    that handled it returned; one not acknowledged (the loop ended in its middle) is
    delivered again after ``ack_wait`` seconds. ``durable`` names a consumer that remembers
    its position across runs (processes using the same name share the work); without it the
    consumer is ephemeral. ``deliver``: ``all`` (from the stream's start) or ``new``.
    ``idle_timeout`` ends the iteration after that many seconds without a message.
    Use ``async with consume(...) as events: async for event in events: ...``.
    """
    wanted = [subjects] if isinstance(subjects, str) else list(subjects)
    if not wanted:
        raise ValueError("at least one subject is needed")
    return EventConsumer(
        url,
        wanted,
        durable=durable,
        stream=stream,
        batch=batch,
        deliver=deliver,
        ack_wait=ack_wait,
        idle_timeout=idle_timeout,
    )


def consume_blocking(
    url: str | list[str],
    subjects: str | Iterable[str] = "esl.>",
    **options: object,
) -> Iterator[Event]:
    """:func:`consume` for code without asyncio: a plain iterator, run on eslkit's loop
    thread. The same acknowledgement rule holds: the message is acknowledged when the next
    one is asked for."""
    from eslkit.bridge._blocking import iterate

    return iterate(consume(url, subjects, **options))  # type: ignore[arg-type]


def api_blocking(url: str | list[str], switch: str, command: str, *, timeout: float = 30.0) -> str:
    """:func:`api` for code without asyncio (on eslkit's shared loop thread)."""
    from eslkit.client.portal import MARGIN, Portal

    return Portal.shared().run(api(url, switch, command, timeout=timeout), timeout + MARGIN)


async def _request(
    url: str | list[str] | NatsClient, subject: str, payload: bytes, timeout: float, what: str
) -> str:
    own = not isinstance(url, NatsClient)
    nc = await _connect(url) if not isinstance(url, NatsClient) else url
    try:
        try:
            msg: Msg = await nc.request(subject, payload, timeout=timeout)
        except nats.errors.NoRespondersError:
            raise BridgeCommandError(what, "no bridge serves this switch", 503) from None
        except (nats.errors.TimeoutError, TimeoutError):
            raise Timeout(f"{what}: no reply from the bridge within {timeout} s") from None
        headers = msg.headers or {}
        error = headers.get("Nats-Service-Error")
        if error is not None:
            code = headers.get("Nats-Service-Error-Code", "500")
            raise BridgeCommandError(what, error, int(code) if code.isdigit() else 500)
        return msg.data.decode("utf-8", "surrogateescape")
    finally:
        if own:
            with contextlib.suppress(Exception):
                await nc.close()


async def api(
    url: str | list[str] | NatsClient, switch: str, command: str, *, timeout: float = 30.0
) -> str:
    """Run ``api <command>`` on ``switch`` through its bridge; returns the response body."""
    return await _request(
        url, command_subject(switch, "api"), command.encode("utf-8"), timeout, f"api {command}"
    )


async def bgapi(
    url: str | list[str] | NatsClient, switch: str, command: str, *, timeout: float = 30.0
) -> str:
    """Start ``bgapi <command>``; returns its Job-UUID (the result arrives on the stream as
    the BACKGROUND_JOB event, subject ``esl.<switch>.background_job``)."""
    return await _request(
        url, command_subject(switch, "bgapi"), command.encode("utf-8"), timeout, f"bgapi {command}"
    )


async def sendmsg(
    url: str | list[str] | NatsClient,
    switch: str,
    uuid: str,
    headers: Iterable[tuple[str, str]],
    body: str | None = None,
    *,
    timeout: float = 30.0,
) -> str:
    """``sendmsg <uuid>`` through the bridge (it must run with ``--allow-sendmsg``)."""
    payload = json.dumps({"uuid": uuid, "headers": [list(h) for h in headers], "body": body})
    return await _request(
        url, command_subject(switch, "sendmsg"), payload.encode(), timeout, f"sendmsg {uuid}"
    )
