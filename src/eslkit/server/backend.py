"""The narrow interface between the event socket server and what is behind it.

``eslkit.server`` only talks to the switch through these types. The simulated switch
(:class:`eslkit.switch.core.Switch`) implements them; a proxy to a real FreeSWITCH could
implement them later without touching the server.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from eslkit.protocol.event import Event
from eslkit.protocol.names import EventType
from eslkit.protocol.records import ApiResult, CallingSite, LogRecord

__all__ = ["ApiResult", "CallingSite", "LogRecord", "SessionHandle", "SwitchInterface"]


class SessionHandle(Protocol):
    """A live channel as the event socket sees it (implemented by the simulated switch)."""

    @property
    def uuid(self) -> str: ...

    @property
    def name(self) -> str: ...

    def get_variable(self, name: str) -> str | None: ...

    def set_variable(self, name: str, value: str | None) -> None: ...

    def is_hungup(self) -> bool:
        """True once the channel reached CS_HANGUP or later."""
        ...


class SwitchInterface(Protocol):
    """What the event socket server needs from the switch."""

    @property
    def core_uuid(self) -> str: ...

    def subscribe_events(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        """Call ``callback`` synchronously for every fired event; returns an unsubscriber."""
        ...

    def subscribe_logs(self, callback: Callable[[LogRecord], None]) -> Callable[[], None]:
        """Call ``callback`` for every log line generated; returns an unsubscriber."""
        ...

    def new_event(
        self, event_type: EventType, calling: CallingSite, subclass: str | None = None
    ) -> Event:
        """A new event with the standard headers of §5.8 stamped (and Event-Sequence taken)."""
        ...

    def stamp_standard_headers(
        self, event: Event, calling: CallingSite, event_type: EventType | None = None
    ) -> None:
        """Append the standard headers to an existing event (``sendevent``), with
        ``Event-Name`` from ``event_type``."""
        ...

    def fire(self, event: Event) -> None:
        """Deliver ``event`` to every subscriber, in firing order."""
        ...

    def execute_api(
        self,
        command: str,
        argument: str,
        *,
        session_uuid: str | None = None,
    ) -> Awaitable[ApiResult]:
        """Run an API command (``switch_api_execute``) and fire its API event afterwards."""
        ...

    def execute_api_nowait(
        self,
        command: str,
        argument: str,
        *,
        session_uuid: str | None = None,
    ) -> ApiResult | Awaitable[ApiResult]:
        """:meth:`execute_api`, finished on the spot (an :class:`ApiResult`) when the command
        never waits, else an awaitable of the result."""
        ...

    def execute_console(self, line: str) -> Awaitable[ApiResult]:
        """Run a console line (``console_execute: true``): ``;;`` chains, aliases."""
        ...

    def find_session(self, uuid: str) -> SessionHandle | None:
        """A live channel by UUID, or None (always None until channels exist)."""
        ...

    def log(
        self,
        level: int,
        text: str,
        *,
        file: str,
        function: str,
        line: int,
        session_uuid: str = "",
    ) -> None:
        """Generate a log line (subject to the core's global log level)."""
        ...
