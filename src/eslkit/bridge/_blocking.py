"""Blocking iteration over an async iterator, on a loop thread of its own."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from typing import TypeVar

T = TypeVar("T")


async def _next(source: AsyncIterator[T]) -> T:
    return await anext(source)


def iterate(source: AsyncIterator[T]) -> Iterator[T]:
    """Iterate ``source`` from blocking code; closing the iterator closes ``source``."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="eslkit-bridge-consumer", daemon=True)
    thread.start()
    try:
        while True:
            future = asyncio.run_coroutine_threadsafe(_next(source), loop)
            try:
                item = future.result()
            except StopAsyncIteration:
                return
            yield item
    finally:
        closer = getattr(source, "aclose", None) or getattr(source, "close", None)
        if closer is not None:
            asyncio.run_coroutine_threadsafe(closer(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
