"""The blocking layer: one portal (loop thread) under every blocking face, and blocking
counterparts that cannot drift from the asyncio API (same names, parameters, defaults)."""

from __future__ import annotations

import asyncio
import inspect
import threading
from typing import Any

import pytest

import eslkit
import eslkit.sync
from eslkit.client import Connection, EventStream, InboundConnection, OutboundSession
from eslkit.client.portal import MARGIN, Facade, Portal, blocking, on_loop
from eslkit.sync import SyncConnection, SyncEventStream, SyncOutboundSession
from eslkit.testing import BlockingCall, BlockingSwitch, Call, Switch

#: Public members of the asyncio classes deliberately without a blocking counterpart.
ASYNC_ONLY: dict[str, str] = {
    "Switch.running": "the started server and switch: loop-owned objects",
    "Switch.core": "the simulated switch itself: loop-owned",
    "Switch.channel": "returns the switch's own Channel object: loop-owned",
    "EventStream.push": "the connection's reader feeds the stream, on the loop",
    "EventStream.finish": "the connection ends the stream, on the loop",
    "EventStream.aclose": "close() is its blocking form (closing never waits)",
}

PAIRS = [
    (InboundConnection, SyncConnection),
    (OutboundSession, SyncOutboundSession),
    (Switch, BlockingSwitch),
    (Call, BlockingCall),
    (EventStream, SyncEventStream),
]


def public_members(cls: type) -> dict[str, Any]:
    """Public methods and properties of ``cls`` (inherited ones included)."""
    members = {}
    for name in dir(cls):
        if name.startswith("_"):
            continue
        value = inspect.getattr_static(cls, name)
        if isinstance(value, staticmethod | classmethod):
            continue
        if inspect.isfunction(value) or isinstance(value, property | blocking | on_loop):
            members[name] = value
    return members


def parameters(function: Any) -> list[tuple[str, Any, Any]]:
    """``(name, kind, default)`` of each parameter after ``self``."""
    signature = inspect.signature(function)
    return [(p.name, p.kind, p.default) for p in list(signature.parameters.values())[1:]]


@pytest.mark.parametrize(("aio", "sync"), PAIRS, ids=[s.__name__ for _, s in PAIRS])
def test_every_public_member_has_a_blocking_counterpart(aio: type, sync: type) -> None:
    missing = []
    for name, value in public_members(aio).items():
        if f"{aio.__name__}.{name}" in ASYNC_ONLY:
            continue
        counterpart = inspect.getattr_static(sync, name, None)
        if counterpart is None:
            missing.append(name)
        elif isinstance(value, property):
            assert isinstance(counterpart, property), f"{sync.__name__}.{name} is no property"
    assert missing == [], f"{sync.__name__} lacks {missing}"
    if hasattr(aio, "__aenter__"):
        assert hasattr(sync, "__enter__") and hasattr(sync, "__exit__")


@pytest.mark.parametrize(("aio", "sync"), PAIRS, ids=[s.__name__ for _, s in PAIRS])
def test_blocking_signatures_match_the_asyncio_ones(aio: type, sync: type) -> None:
    """Same parameter names, kinds and defaults; a coroutine's counterpart blocks (it is no
    coroutine), and a generated one calls that very coroutine."""
    checked = 0
    for name, value in public_members(aio).items():
        if isinstance(value, property) or f"{aio.__name__}.{name}" in ASYNC_ONLY:
            continue
        counterpart = inspect.getattr_static(sync, name)
        assert parameters(counterpart) == parameters(value), f"{sync.__name__}.{name}"
        if isinstance(counterpart, blocking | on_loop):
            assert counterpart.method is value, f"{sync.__name__}.{name} wraps another method"
        if inspect.iscoroutinefunction(value):
            assert not inspect.iscoroutinefunction(counterpart), f"{sync.__name__}.{name}"
        checked += 1
    assert checked >= 2


def test_the_connection_api_is_covered_by_both_client_facades() -> None:
    coroutines = {
        name
        for name, value in public_members(Connection).items()
        if inspect.iscoroutinefunction(value)
    }
    assert {"api", "bgapi", "execute", "filter_delete", "apply", "wait_closed"} <= coroutines
    for facade in (SyncConnection, SyncOutboundSession):
        assert coroutines <= set(public_members(facade))


def test_the_blocking_entry_points_take_the_asyncio_parameters() -> None:
    """``eslkit.sync.connect`` and ``serve_outbound`` take what the asyncio ones take (the
    blocking server adds ``max_sessions``, its bound on handler threads)."""

    def named(function: Any) -> list[tuple[str, Any, Any]]:
        return [
            (p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()
        ]

    assert named(eslkit.sync.connect) == named(eslkit.connect)
    served = [p for p in named(eslkit.sync.serve_outbound) if p[0] != "max_sessions"]
    assert served == named(eslkit.serve_outbound)


def test_generated_methods_carry_the_asyncio_signature_and_doc() -> None:
    method = SyncConnection.api
    assert isinstance(method, blocking)
    assert str(inspect.signature(method)) == str(inspect.signature(Connection.api))
    assert Connection.api.__qualname__ in (method.__doc__ or "")
    assert method.__qualname__ == "SyncCalls.api"


def test_portal_runs_coroutines_and_bounds_the_wait() -> None:
    portal = Portal("test-portal")
    try:

        async def add(a: int, b: int) -> int:
            await asyncio.sleep(0)
            return a + b

        assert portal.run(add(1, 2), 5.0) == 3
        assert portal.call(lambda: threading.current_thread() is portal.thread)

        async def own_timeout() -> None:
            raise eslkit.Timeout("no reply to 'api x' within 0.5 s")

        # The coroutine's own Timeout comes back unchanged, not as the portal's own wait.
        with pytest.raises(eslkit.Timeout, match=r"within 0\.5 s"):
            portal.run(own_timeout(), 10.0)

        cancelled = threading.Event()

        async def stall() -> None:
            try:
                await asyncio.sleep(60)
            except asyncio.CancelledError:
                cancelled.set()
                raise

        with pytest.raises(eslkit.Timeout, match=r"no result within 0\.1 s"):
            portal.run(stall(), 0.1)
        assert cancelled.wait(5)

        async def from_the_loop() -> None:
            portal.run(add(1, 1), 1.0)

        with pytest.raises(RuntimeError, match="deadlock"):
            portal.run(from_the_loop(), 5.0)
    finally:
        portal.stop()
    assert not portal.thread.is_alive()
    assert Portal.shared() is Portal.shared()


class _Counter:
    """An asyncio object with loop-owned state, to drive the generators directly."""

    def __init__(self) -> None:
        self.threads: list[threading.Thread] = []

    def touch(self, value: int) -> int:
        self.threads.append(threading.current_thread())
        return value

    async def wait(self, delay: float, timeout: float = 1.0) -> float:
        self.threads.append(threading.current_thread())
        await asyncio.sleep(delay)
        return delay

    async def forever(self, *, timeout: float | None = None) -> None:
        await asyncio.sleep(0)


class _BlockingCounter(Facade[_Counter]):
    touch = on_loop(_Counter.touch)
    wait = blocking(_Counter.wait)
    forever = blocking(_Counter.forever, default=lambda counter: 2.0)


def test_generated_methods_run_on_the_loop_thread_bounded_by_their_timeout() -> None:
    portal = Portal("test-facade")
    try:
        counter = _Counter()
        facade = _BlockingCounter(counter, portal)
        assert facade.touch(7) == 7
        assert facade.wait(0.01) == 0.01
        assert counter.threads == [portal.thread, portal.thread]
        wait = _BlockingCounter.wait
        assert isinstance(wait, blocking)
        # The wait is the call's own timeout (positional, keyword or declared) plus MARGIN.
        assert wait.bound(counter, (0.0, 3.0), {}) == 3.0 + MARGIN
        assert wait.bound(counter, (0.0,), {"timeout": 4.0}) == 4.0 + MARGIN
        assert wait.bound(counter, (0.0,), {}) == 1.0 + MARGIN
        forever = _BlockingCounter.forever
        assert isinstance(forever, blocking)
        assert forever.bound(counter, (), {}) == 2.0 + MARGIN  # the default's bound
        assert forever.bound(counter, (), {"timeout": 0.5}) == 0.5 + MARGIN
        facade.forever()
    finally:
        portal.stop()
