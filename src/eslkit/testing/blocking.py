"""The blocking face of :class:`eslkit.testing.Switch`: its own event loop in a thread.

``with eslkit.testing.Switch(...) as sw:`` gives a :class:`BlockingSwitch`. The switch runs
on a :class:`~eslkit.client.portal.Portal` of its own (one loop thread, stopped with the
switch); every method is generated from the asyncio one (same signature) and runs on that
loop, blocking the caller until done (bounded by the call's timeout plus a margin). The
application under test may run in any other thread or loop.
"""

from __future__ import annotations

from collections.abc import Mapping

from eslkit.client.portal import Facade, Portal, blocking, on_loop
from eslkit.testing.switch import Call, Switch

__all__ = ["BlockingCall", "BlockingSwitch"]

_START_TIMEOUT = 30.0


class BlockingSwitch(Facade[Switch]):
    """A :class:`Switch` running in a thread of its own; the same API without ``await``."""

    def __init__(self, switch: Switch) -> None:
        super().__init__(switch, Portal("eslkit-testing-switch"))
        #: The asyncio switch (its methods must run on :attr:`loop`).
        self.aio = switch
        #: The switch's event loop (running in its own thread).
        self.loop = self._portal.loop

    def __repr__(self) -> str:
        return f"<BlockingSwitch {self.aio.host} on {self._portal!r}>"

    @property
    def portal(self) -> Portal:
        """The loop thread the switch runs on."""
        return self._portal

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> BlockingSwitch:
        """Start the switch on its loop thread (see :meth:`Switch.start`)."""
        try:
            self._portal.run(self.aio.start(), _START_TIMEOUT)
        except BaseException:
            self._portal.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the switch (every channel hung up, every connection closed), then its loop
        thread (see :meth:`Switch.stop`)."""
        try:
            if self._portal.thread.is_alive():
                self._portal.run(self.aio.stop(), _START_TIMEOUT)
        finally:
            self._portal.stop()

    def __enter__(self) -> BlockingSwitch:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

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
    set_dialplan = on_loop(Switch.set_dialplan)
    set_global = on_loop(Switch.set_global)
    channels = on_loop(Switch.channels)
    conference = on_loop(Switch.conference)
    conferences = on_loop(Switch.conferences)
    hangup_all = on_loop(Switch.hangup_all)
    variables = on_loop(Switch.variables)
    variable = on_loop(Switch.variable)
    history = on_loop(Switch.history)
    event_names = on_loop(Switch.event_names)
    describe = on_loop(Switch.describe)
    report = on_loop(Switch.report)
    assert_events = on_loop(Switch.assert_events)
    wait_event = blocking(Switch.wait_event)
    wait_state = blocking(Switch.wait_state)
    wait_idle = blocking(Switch.wait_idle)

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
        """Place a call (see :meth:`Switch.call`); returns its blocking handle."""
        call = self._portal.call(
            self.aio.call,
            dest,
            caller_id,
            caller_name=caller_name,
            script=script,
            context=context,
            variables=variables,
        )
        return BlockingCall(self, call)


class BlockingCall(Facade[Call]):
    """A :class:`~eslkit.testing.switch.Call` driven from another thread."""

    def __init__(self, switch: BlockingSwitch, call: Call) -> None:
        super().__init__(call, switch.portal)
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

    @property
    def variables(self) -> dict[str, str]:
        """A copy of the channel's variables."""
        return self._portal.call(lambda: self.aio.variables)

    variable = on_loop(Call.variable)
    press = on_loop(Call.press)
    hangup = on_loop(Call.hangup)
    history = on_loop(Call.history)
    event_names = on_loop(Call.event_names)
    assert_events = on_loop(Call.assert_events)
    wait_event = blocking(Call.wait_event)
    wait_state = blocking(Call.wait_state)
    wait_answered = blocking(Call.wait_answered)
    wait_hangup = blocking(Call.wait_hangup)
