"""JetStream publishing with a bounded number of unacknowledged messages.

Each message goes out with a reply subject under the window's own inbox; JetStream answers
there with its publish acknowledgement. At most ``max_inflight`` messages wait for theirs:
:meth:`PublishWindow.publish` waits for room, which is how JetStream's pace reaches the ESL
socket. A message without an acknowledgement after ``ack_timeout`` (NATS restarting, a
cluster electing a leader) or with an error is sent again with the same ``Nats-Msg-Id``, so
JetStream's deduplication makes a copy that did land a no-op.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import nats.errors
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg

logger = logging.getLogger("eslkit.bridge")

__all__ = ["PublishWindow", "WindowStats"]


@dataclass(slots=True)
class _Entry:
    subject: str
    payload: bytes
    headers: dict[str, str]
    sent_at: float
    timestamp_us: int
    attempts: int = 1


@dataclass(slots=True)
class WindowStats:
    """Counters of one window (read them at any time)."""

    published: int = 0
    acked: int = 0
    duplicates: int = 0
    resent: int = 0
    errors: int = 0
    #: Times :meth:`PublishWindow.publish` had to wait for room (the ESL reader paused).
    stalls: int = 0
    #: Microseconds between the event's ``Event-Date-Timestamp`` and its acknowledgement,
    #: for the last acknowledged event that had one.
    last_lag_us: int = 0
    last_error: str = field(default="")


class PublishWindow:
    """Publishes to JetStream with at most ``max_inflight`` messages unacknowledged."""

    def __init__(
        self,
        nc: NatsClient,
        *,
        max_inflight: int = 4096,
        ack_timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_inflight < 1:
            raise ValueError("max_inflight must be at least 1")
        self._nc = nc
        self._max = max_inflight
        self._ack_timeout = ack_timeout
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._room = asyncio.Event()
        self._room.set()
        self._empty = asyncio.Event()
        self._empty.set()
        self._prefix = ""
        self._next = 0
        self._sub: Any = None
        self._resender: asyncio.Task[None] | None = None
        self.stats = WindowStats()

    async def start(self) -> None:
        """Subscribe to the acknowledgement inbox and start resending overdue messages."""
        self._prefix = self._nc.new_inbox()
        self._sub = await self._nc.subscribe(self._prefix + ".*", cb=self._on_ack)
        self._resender = asyncio.create_task(self._resend_overdue(), name="eslkit-bridge-resend")

    async def close(self) -> None:
        """Stop resending and unsubscribe (unacknowledged messages are abandoned)."""
        if self._resender is not None:
            self._resender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._resender
        if self._sub is not None:
            with contextlib.suppress(Exception):
                await self._sub.unsubscribe()

    @property
    def inflight(self) -> int:
        """Messages sent and not yet acknowledged."""
        return len(self._entries)

    async def publish(
        self, subject: str, payload: bytes, headers: dict[str, str], timestamp_us: int = 0
    ) -> None:
        """Send one message once there is room in the window."""
        if len(self._entries) >= self._max:
            self.stats.stalls += 1
        while len(self._entries) >= self._max:
            self._room.clear()
            await self._room.wait()
        self._next += 1
        token = str(self._next)
        entry = _Entry(subject, payload, headers, self._clock(), timestamp_us)
        self._entries[token] = entry
        self._empty.clear()
        self.stats.published += 1
        await self._send(token, entry)

    async def drain(self, timeout: float | None = None) -> bool:
        """Wait until every message is acknowledged; False on timeout."""
        try:
            await asyncio.wait_for(self._empty.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def _send(self, token: str, entry: _Entry) -> None:
        # While NATS reconnects, nats-py buffers publishes up to its pending size and then
        # refuses them: wait and try again (the window keeps the ESL reader paused meanwhile).
        delay = 0.05
        while True:
            try:
                await self._nc.publish(
                    entry.subject,
                    entry.payload,
                    reply=f"{self._prefix}.{token}",
                    headers=entry.headers,
                )
                return
            except (nats.errors.OutboundBufferLimitError, nats.errors.ConnectionReconnectingError):
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)
            except nats.errors.ConnectionClosedError:
                raise

    async def _on_ack(self, msg: Msg) -> None:
        token = msg.subject.rpartition(".")[2]
        entry = self._entries.get(token)
        if entry is None:
            return  # the answer to a copy already acknowledged
        error = _ack_error(msg)
        if error is not None:
            self.stats.errors += 1
            self.stats.last_error = error
            # Leave it in the window: the resender sends it again when it is overdue.
            entry.sent_at = self._clock() - self._ack_timeout / 2
            return
        del self._entries[token]
        self.stats.acked += 1
        if b'"duplicate"' in msg.data:
            self.stats.duplicates += 1
        if entry.timestamp_us:
            self.stats.last_lag_us = int(time.time() * 1_000_000) - entry.timestamp_us
        if len(self._entries) < self._max:
            self._room.set()
        if not self._entries:
            self._empty.set()

    async def _resend_overdue(self) -> None:
        period = max(0.05, min(1.0, self._ack_timeout / 4))
        while True:
            await asyncio.sleep(period)
            now = self._clock()
            overdue = [
                (token, entry)
                for token, entry in list(self._entries.items())
                if now - entry.sent_at >= self._ack_timeout
            ]
            for token, entry in overdue:
                if token not in self._entries:
                    continue
                entry.sent_at = now
                entry.attempts += 1
                self.stats.resent += 1
                try:
                    await self._send(token, entry)
                except nats.errors.ConnectionClosedError:
                    return
                except Exception as exc:  # keep resending the others
                    logger.warning("resend of %s failed: %s", entry.subject, exc)


def _ack_error(msg: Msg) -> str | None:
    """None for a publish acknowledgement, else what went wrong."""
    status = msg.headers.get("Status") if msg.headers else None
    if status:
        return f"status {status}"
    data = msg.data
    if not data:
        return "empty acknowledgement"
    if data.startswith(b'{"stream":') and b'"error"' not in data:
        return None  # {"stream":"ESL","seq":7[,"duplicate":true]}: no need to parse it
    try:
        data = json.loads(msg.data)
    except ValueError:
        return "unreadable acknowledgement"
    if not isinstance(data, dict):
        return "unreadable acknowledgement"
    error = data.get("error")
    if error:
        return str(error.get("description") if isinstance(error, dict) else error)
    return None
