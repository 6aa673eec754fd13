"""The blocking face of :class:`eslkit.testing.Switch`: its own event loop in a thread.

``with eslkit.testing.Switch(...) as sw:`` gives a :class:`BlockingSwitch`. Every method
runs on the switch's loop thread and blocks the caller until done (bounded by the call's
timeout plus a margin); the application under test may run in any other thread or loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Any, TypeVar

from eslkit.protocol.names import ChannelState
from eslkit.testing.history import EventRecord, EventSpec
from eslkit.testing.switch import DEFAULT_TIMEOUT, Call, ChannelInfo, DialplanSource, Switch

__all__ = ["BlockingCall", "BlockingSwitch"]

T = TypeVar("T")
_MARGIN = 5.0
_START_TIMEOUT = 30.0


class BlockingSwitch:
    """A :class:`Switch` running in a thread; the same API without ``await``."""

    def __init__(self, switch: Switch) -> None:
        #: The asyncio switch (its methods must run on :attr:`loop`).
        self.aio = switch
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._main, name="eslkit-testing-switch", daemon=True
        )

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def _run(self, coro: Coroutine[Any, Any, T], timeout: float) -> T:
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError("a blocking eslkit.testing call was made on the switch's own loop")
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError(f"the switch did not respond within {timeout} s") from None

    def _sync(self, fn: Callable[[], T]) -> T:
        async def call() -> T:
            return fn()

        return self._run(call(), _MARGIN)

    def start(self) -> None:
        """Start the loop thread, then the switch in it."""
        self._thread.start()
        try:
            self._run(self.aio.start(), _START_TIMEOUT)
        except BaseException:
            self._shutdown_loop()
            raise

    def stop(self) -> None:
        """Stop the switch (every channel hung up, every connection closed) and the thread."""
        try:
            self._run(self.aio.stop(), _START_TIMEOUT)
        finally:
            self._shutdown_loop()

    def _shutdown_loop(self) -> None:
        if self._thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(_MARGIN)
        if not self._thread.is_alive():
            self.loop.close()

    # ------------------------------------------------------------------ properties
    @property
    def host(self) -> str:
        """The event socket's address."""
        return self.aio.host

    @property
    def port(self) -> int:
        """The event socket's TCP port."""
        return self.aio.port

    @property
    def password(self) -> str:
        """The event socket's password."""
        return self.aio.password

    @property
    def address(self) -> tuple[str, int]:
        """``(host, port)``."""
        return self.aio.address

    @property
    def time_scale(self) -> float:
        """Switch seconds per real second."""
        return self.aio.time_scale

    # ------------------------------------------------------------------ the API, blocking
    def set_dialplan(self, source: DialplanSource) -> None:
        """:meth:`Switch.set_dialplan`."""
        self._sync(lambda: self.aio.set_dialplan(source))

    def set_global(self, name: str, value: str | None) -> None:
        """:meth:`Switch.set_global`."""
        self._sync(lambda: self.aio.set_global(name, value))

    def call(
        self,
        dest: str,
        caller_id: str = "0000000000",
        *,
        caller_name: str | None = None,
        script: str | None = None,
        context: str = "default",
        variables: Mapping[str, str] | None = None,
    ) -> BlockingCall:
        """:meth:`Switch.call`."""
        call = self._sync(
            lambda: self.aio.call(
                dest,
                caller_id,
                caller_name=caller_name,
                script=script,
                context=context,
                variables=variables,
            )
        )
        return BlockingCall(self, call)

    def channels(self) -> list[ChannelInfo]:
        """:meth:`Switch.channels`."""
        return self._sync(self.aio.channels)

    def hangup_all(self, cause: str = "NORMAL_CLEARING") -> None:
        """:meth:`Switch.hangup_all`."""
        self._sync(lambda: self.aio.hangup_all(cause))

    def variables(self, uuid: str) -> dict[str, str]:
        """:meth:`Switch.variables`."""
        return self._sync(lambda: self.aio.variables(uuid))

    def variable(self, uuid: str, name: str) -> str | None:
        """:meth:`Switch.variable`."""
        return self.variables(uuid).get(name)

    def history(self, uuid: str) -> list[EventRecord]:
        """:meth:`Switch.history`."""
        return self.aio.history(uuid)

    def event_names(self, uuid: str) -> list[str]:
        """:meth:`Switch.event_names`."""
        return self.aio.event_names(uuid)

    def describe(self, uuid: str) -> str:
        """:meth:`Switch.describe`."""
        return self.aio.describe(uuid)

    def report(self) -> str:
        """:meth:`Switch.report`."""
        return self.aio.report()

    def assert_events(
        self, uuid: str, expected: Sequence[EventSpec], *, exact: bool = False
    ) -> None:
        """:meth:`Switch.assert_events`."""
        self.aio.assert_events(uuid, expected, exact=exact)

    def wait_event(
        self,
        name: str | None = None,
        *,
        uuid: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        past: bool = True,
    ) -> EventRecord:
        """:meth:`Switch.wait_event`."""
        return self._run(
            self.aio.wait_event(name, uuid=uuid, headers=headers, timeout=timeout, past=past),
            timeout + _MARGIN,
        )

    def wait_state(
        self, uuid: str, state: str | ChannelState, *, timeout: float = DEFAULT_TIMEOUT
    ) -> EventRecord:
        """:meth:`Switch.wait_state`."""
        return self._run(self.aio.wait_state(uuid, state, timeout=timeout), timeout + _MARGIN)

    def wait_idle(self, *, timeout: float = DEFAULT_TIMEOUT, check: bool = True) -> bool:
        """:meth:`Switch.wait_idle`."""
        return self._run(self.aio.wait_idle(timeout=timeout, check=check), timeout + _MARGIN)


class BlockingCall:
    """A :class:`~eslkit.testing.switch.Call` driven from another thread."""

    def __init__(self, switch: BlockingSwitch, call: Call) -> None:
        self.switch = switch
        #: The asyncio handle (its methods must run on the switch's loop).
        self.aio = call
        self.uuid = call.uuid
        self.dest = call.dest

    def __repr__(self) -> str:
        return f"<BlockingCall {self.uuid} to {self.dest}>"

    @property
    def answered(self) -> bool:
        """True once the switch answered the call."""
        return self.aio.answered

    @property
    def hangup_cause(self) -> str | None:
        """The hang-up cause's name once hung up."""
        return self.aio.hangup_cause

    @property
    def state(self) -> str:
        """The channel state it is in."""
        return self.aio.state

    def variable(self, name: str) -> str | None:
        """A channel variable."""
        return self.switch._sync(lambda: self.aio.variable(name))

    @property
    def variables(self) -> dict[str, str]:
        """A copy of the channel's variables."""
        return self.switch._sync(lambda: self.aio.variables)

    def press(self, digits: str) -> int:
        """The caller presses ``digits`` now."""
        return self.switch._sync(lambda: self.aio.press(digits))

    def hangup(self, cause: str = "NORMAL_CLEARING") -> bool:
        """The caller hangs up."""
        return self.switch._sync(lambda: self.aio.hangup(cause))

    def history(self) -> list[EventRecord]:
        """Every event of this channel, in order."""
        return self.aio.history()

    def event_names(self) -> list[str]:
        """The names of :meth:`history`."""
        return self.aio.event_names()

    def assert_events(self, expected: Sequence[EventSpec], *, exact: bool = False) -> None:
        """Assert the channel went through ``expected`` in order."""
        self.aio.assert_events(expected, exact=exact)

    def wait_event(
        self,
        name: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> EventRecord:
        """The first event ``name`` of this channel."""
        return self.switch._run(
            self.aio.wait_event(name, headers=headers, timeout=timeout), timeout + _MARGIN
        )

    def wait_state(
        self, state: str | ChannelState, *, timeout: float = DEFAULT_TIMEOUT
    ) -> EventRecord:
        """Wait for the channel to enter ``state``."""
        return self.switch._run(self.aio.wait_state(state, timeout=timeout), timeout + _MARGIN)

    def wait_answered(self, *, timeout: float = DEFAULT_TIMEOUT) -> EventRecord:
        """Wait for CHANNEL_ANSWER."""
        return self.switch._run(self.aio.wait_answered(timeout=timeout), timeout + _MARGIN)

    def wait_hangup(self, *, timeout: float = DEFAULT_TIMEOUT) -> str:
        """Wait until the channel is gone; returns the hang-up cause."""
        return self.switch._run(self.aio.wait_hangup(timeout=timeout), timeout + _MARGIN)
