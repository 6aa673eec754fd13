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
import uuid
from collections import deque
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


#: How long one pull request stays open on the server (it ends with a 408 status then).
_PULL_EXPIRES = 1.0
#: A pull request not answered by then is taken as lost (NATS reconnected meanwhile).
_PULL_STALE = _PULL_EXPIRES + 1.0
#: After a pull ended in an error status, the next one waits this long.
_RETRY_AFTER = 0.5


class EventConsumer:
    """The stream's events as eslkit ``Event`` objects; see :func:`consume`.

    An async iterator and an async context manager: ``async with consume(...) as events:
    async for event in events: ...`` closes the NATS connection when the block ends, even
    after a ``break``.

    It pulls ahead: pull requests for up to ``batch`` messages stay open on the server, the
    messages are handed out as they arrive (no wait for a batch to fill), and the next request
    goes out when half of what was asked for has arrived. A consumer that only this iterator
    reads (an ephemeral one) acknowledges with ``AckPolicy.ALL``: one acknowledgement covers
    every event handled before it, sent at most every ``batch // 4`` events and whenever the
    iterator waits. A durable consumer, whose name other processes may share, acknowledges
    each event.
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
        if batch < 1:
            raise ValueError("batch must be at least 1")
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
        self._next_subject = ""
        self._inbox = ""
        self._buffer: deque[Msg] = deque()
        #: Set while the iterator waits for a message: resolved by the next one (or a status).
        self._waiter: asyncio.Future[None] | None = None
        #: Messages asked for by pull requests that may still deliver, and when the last went.
        self._requested = 0
        self._pulled_at = 0.0
        self._retry_at = 0.0
        self._error: Exception | None = None
        self._ack_all = False
        self._ack_none = False
        self._ack_every = max(1, batch // 4)
        self._unacked: Msg | None = None
        #: AckPolicy.ALL: the last handled message, not yet acknowledged, and how many.
        self._handled: Msg | None = None
        self._handled_count = 0
        self._last: Msg | None = None
        self._closed = False

    @property
    def delivery(self) -> Delivery | None:
        """Where the last event came from (subject, stream sequence, deliveries)."""
        msg = self._last
        if msg is None:
            return None
        meta = msg.metadata
        return Delivery(msg.subject, meta.sequence.stream, meta.num_delivered)

    async def _open(self) -> None:
        self._nc = nc = await _connect(self._url)
        js = nc.jetstream()
        wanted = self._subjects
        info = None
        if self._durable:
            with contextlib.suppress(nats.js.errors.NotFoundError):
                info = await js.consumer_info(self._stream, self._durable)
        if info is None:
            config = ConsumerConfig(
                name=self._durable or uuid.uuid4().hex,
                durable_name=self._durable,
                # Only this iterator reads an ephemeral consumer: acknowledging the last
                # handled event acknowledges all before it. A durable name may be shared.
                ack_policy=AckPolicy.EXPLICIT if self._durable else AckPolicy.ALL,
                ack_wait=self._ack_wait,
                deliver_policy=DeliverPolicy.NEW if self._deliver == "new" else DeliverPolicy.ALL,
                max_ack_pending=max(self._batch * 4, 1024),
            )
            if len(wanted) == 1:
                config.filter_subject = wanted[0]
            else:
                config.filter_subjects = wanted
            info = await js.add_consumer(self._stream, config=config)
        policy = info.config.ack_policy
        self._ack_all = policy == AckPolicy.ALL
        self._ack_none = policy == AckPolicy.NONE
        self._next_subject = f"$JS.API.CONSUMER.MSG.NEXT.{self._stream}.{info.name}"
        self._inbox = nc.new_inbox()
        self._sub = await nc.subscribe(self._inbox, cb=self._on_message)

    async def _on_message(self, msg: Msg) -> None:
        headers = msg.headers
        status = headers.get("Status") if headers and not msg.data else None
        if status:
            if status == "100":
                return  # a heartbeat
            # 408: a pull request expired, 409: it ended otherwise; what it still owed is in
            # Nats-Pending-Messages (without it, let the next wait ask again).
            pending = headers.get("Nats-Pending-Messages", "") if headers else ""
            self._requested = max(0, self._requested - int(pending)) if pending.isdigit() else 0
            if status != "408":
                # 503: no consumer answers the pull (gone, or a cluster electing a leader);
                # 409: leadership change, server shutdown... Ask again later, not at once.
                self._retry_at = asyncio.get_running_loop().time() + _RETRY_AFTER
            if status == "409" and "deleted" in (headers or {}).get("Description", "").lower():
                self._error = nats.js.errors.NotFoundError(description="consumer deleted")
            self._wake()
            return
        if self._requested > 0:
            self._requested -= 1
        self._buffer.append(msg)
        if self._waiter is not None:
            self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def _sleep(self, timeout: float) -> None:
        """Wait for the next message or status, at most ``timeout`` seconds (a future and a
        timer: cheaper than ``wait_for`` on an event, which makes a task every time)."""
        loop = asyncio.get_running_loop()
        waiter = self._waiter = loop.create_future()
        timer = loop.call_later(max(timeout, 0.0), self._wake)
        try:
            await waiter
        finally:
            timer.cancel()
            self._waiter = None

    async def _pull(self) -> None:
        """Ask for ``batch`` more messages when fewer than that are asked for or buffered."""
        if self._requested + len(self._buffer) >= self._batch or self._nc is None:
            return
        loop = asyncio.get_running_loop()
        if loop.time() < self._retry_at:
            return
        request = b'{"batch":%d,"expires":%d}' % (self._batch, int(_PULL_EXPIRES * 1e9))
        self._requested += self._batch
        self._pulled_at = loop.time()
        await self._nc.publish(self._next_subject, request, reply=self._inbox)

    async def _ack_handled(self) -> None:
        handled, self._handled = self._handled, None
        self._handled_count = 0
        if handled is not None:
            await handled.ack()

    def __aiter__(self) -> EventConsumer:
        return self

    async def __anext__(self) -> Event:
        msg = self._unacked
        if msg is not None:
            # The caller asks for the next event: the previous one is handled.
            self._unacked = None
            if self._ack_all:
                self._handled = msg
                self._handled_count += 1
                if self._handled_count >= self._ack_every:
                    await self._ack_handled()
            elif not self._ack_none:
                await msg.ack()
        if self._closed:
            raise StopAsyncIteration
        if self._sub is None:
            await self._open()
        buffer = self._buffer
        if not buffer:
            await self._wait()
        msg = buffer.popleft()
        if self._requested + len(buffer) < self._batch // 2 + 1:
            await self._pull()
        self._unacked = self._last = msg
        return Event.from_json_lazy(msg.data)

    async def _wait(self) -> None:
        """Wait until a message is buffered (ends the iteration after ``idle_timeout``)."""
        loop = asyncio.get_running_loop()
        idle_since = loop.time()
        await self._ack_handled()
        while not self._buffer:
            if self._error is not None:
                error, self._error = self._error, None
                raise error
            if self._requested and loop.time() - self._pulled_at > _PULL_STALE:
                self._requested = 0  # the server forgot it (NATS reconnected)
            await self._pull()
            await self._sleep(1.0)
            if (
                not self._buffer
                and self._idle_timeout is not None
                and loop.time() - idle_since >= self._idle_timeout
            ):
                await self.close()
                raise StopAsyncIteration

    async def close(self) -> None:
        """Close the NATS connection. Events fetched and not acknowledged (the one being
        handled when the loop was left, and those not yet yielded) are handed back to
        JetStream at once, for this durable consumer's next run or another member."""
        if self._closed and self._nc is None:
            return
        self._closed = True
        nc, self._nc = self._nc, None
        if nc is None:
            return
        returned = [self._unacked] if self._unacked is not None else []
        self._unacked = None
        with contextlib.suppress(Exception):
            await self._ack_handled()
        if (returned or self._buffer) and not self._ack_none and self._durable:
            # An ephemeral consumer ends with this iterator: nothing to hand back. A durable
            # one's open pull requests would take the handed-back events again (and lose
            # them until ack_wait), out of order: let them end first (they expire soon).
            loop = asyncio.get_running_loop()
            deadline = max(loop.time(), self._pulled_at + _PULL_EXPIRES) + 1.0
            with contextlib.suppress(Exception):
                await nc.flush(timeout=2)
            while self._requested > 0 and loop.time() < deadline:
                await self._sleep(deadline - loop.time())
            with contextlib.suppress(Exception):
                await self._sub.unsubscribe()
            for msg in returned + list(self._buffer):
                with contextlib.suppress(Exception):
                    await msg.nak()
        self._buffer.clear()
        with contextlib.suppress(Exception):
            await nc.close()

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

    An event is acknowledged only once the next one is asked for, i.e. after the loop body
    that handled it returned (a durable consumer's at once, an ephemeral one's in batches:
    see :class:`EventConsumer`); one not acknowledged (the loop ended in its middle) is
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
