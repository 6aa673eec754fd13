"""Blocking faces of the bridge's consumer API, on eslkit's one blocking layer
(:class:`eslkit.client.portal.Portal`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from eslkit.client.portal import MARGIN, Portal

if TYPE_CHECKING:
    from eslkit.bridge.consumer import EventConsumer
    from eslkit.protocol.event import Event


async def _next(consumer: EventConsumer) -> Event | None:
    try:
        return await consumer.__anext__()
    except StopAsyncIteration:
        return None


def iterate(consumer: EventConsumer) -> Iterator[Event]:
    """Iterate ``consumer`` from blocking code on the shared portal; closing the iterator
    (or leaving a ``for`` loop over it early) closes the consumer."""
    portal = Portal.shared()
    try:
        while True:
            # No bound on waiting for the next message unless the consumer has an idle
            # timeout (then it ends by itself).
            event = portal.run(_next(consumer), None)
            if event is None:
                return
            yield event
    finally:
        portal.run(consumer.close(), MARGIN)
