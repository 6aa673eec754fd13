"""A test double of :class:`eslkit.server.backend.Backend`: no simulated switch behind it.

It answers ``echo`` and ``status`` API commands, keeps fake channels in a dict, and records
what the server asks of them, so tests can check that the event socket server needs
nothing but the Backend contract.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from eslkit.protocol.event import Event
from eslkit.protocol.names import EventType
from eslkit.protocol.records import ApiResult, CallingSite, LogRecord
from eslkit.server.backend import EventSink, LogSink, OutboundConnector, SessionHandle

CORE_UUID = "00000000-1111-2222-3333-444444444444"


@dataclass
class FakeSession:
    """A channel of the double: a UUID, a name, variables, and what was sent to it."""

    uuid: str
    name: str
    variables: dict[str, str] = field(default_factory=dict)
    hungup: bool = False
    messages: list[Event] = field(default_factory=list)
    session_events: list[tuple[Event, int, str | None]] = field(default_factory=list)

    def get_variable(self, name: str) -> str | None:
        return self.variables.get(name)

    def set_variable(self, name: str, value: str | None) -> None:
        if value is None:
            self.variables.pop(name, None)
        else:
            self.variables[name] = value

    def is_hungup(self) -> bool:
        return self.hungup


class FakeControl:
    """The double's SessionControl: records every operation."""

    def __init__(self, session: FakeSession) -> None:
        self.fake = session
        self.wake: Callable[[], None] | None = None
        self.diverter: Callable[[Event], bool] | None = None
        self.diverted: deque[Event] = deque()
        self.ran: list[Event] = []
        self.released: list[bool] = []
        self.connects = 0

    @property
    def session(self) -> FakeSession:
        return self.fake

    def watch(self, wake: Callable[[], None]) -> None:
        self.wake = wake

    def destroyed(self) -> bool:
        return False

    def connect(self) -> list[tuple[str, str]]:
        self.connects += 1
        return [("Channel-Name", self.fake.name), ("Unique-ID", self.fake.uuid)]

    def get_variable(self, name: str) -> str | None:
        return self.fake.get_variable(name)

    def set_divert(self, deliver: Callable[[Event], bool] | None) -> None:
        self.diverter = deliver

    def pull_diverted(self, into: deque[Event], limit: int) -> None:
        while self.diverted and len(into) < limit:
            into.append(self.diverted.popleft())

    def queue_message(self, message: Event) -> bool:
        self.fake.messages.append(message)
        return True

    async def run_message(self, message: Event) -> bool:
        self.ran.append(message)
        return True

    def release(self, resume: bool) -> None:
        self.released.append(resume)

    def hang_up(self) -> None:
        """The fake channel hangs up: the controlling listener re-checks it."""
        self.fake.hungup = True
        if self.wake is not None:
            self.wake()


class FakeBackend:
    """A Backend with fake channels and a two-command API."""

    def __init__(self) -> None:
        self.sessions: dict[str, FakeSession] = {}
        self.controls: list[FakeControl] = []
        self.event_sinks: list[EventSink] = []
        self.log_sinks: list[LogSink] = []
        self.connector: OutboundConnector | None = None
        self._sequence = itertools.count(1)

    @property
    def core_uuid(self) -> str:
        return CORE_UUID

    def subscribe_events(self, sink: EventSink) -> Callable[[], None]:
        self.event_sinks.append(sink)
        return lambda: self.event_sinks.remove(sink)

    def subscribe_logs(self, sink: LogSink) -> Callable[[], None]:
        self.log_sinks.append(sink)
        return lambda: self.log_sinks.remove(sink)

    def new_event(
        self, event_type: EventType, calling: CallingSite, subclass: str | None = None
    ) -> Event:
        event = Event([], None)
        self.stamp_standard_headers(event, calling, event_type)
        if subclass:
            event.add_header("Event-Subclass", subclass)
        return event

    def stamp_standard_headers(
        self, event: Event, calling: CallingSite, event_type: EventType | None = None
    ) -> None:
        event.add_header("Event-Name", (event_type or EventType.CUSTOM).name)
        event.add_header("Core-UUID", CORE_UUID)
        event.add_header("Event-Calling-File", calling.file)
        event.add_header("Event-Sequence", str(next(self._sequence)))

    def fire(
        self, event: Event, event_type: int | None = None, subclass: str | None = None
    ) -> None:
        for sink in list(self.event_sinks):
            sink(event, event_type, subclass)

    def custom_subclasses(self) -> Iterable[str]:
        return ("double::thing",)

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
        record = LogRecord(level, 0, file, function, line, text, session_uuid)
        for sink in list(self.log_sinks):
            sink(record)

    def _api(self, command: str, argument: str) -> ApiResult:
        if command == "echo":
            return ApiResult(True, argument)
        if command == "status":
            return ApiResult(True, f"double up, {len(self.sessions)} channels\n")
        return ApiResult(False, "")

    async def execute_api(
        self, command: str, argument: str, *, session_uuid: str | None = None
    ) -> ApiResult:
        return self._api(command, argument)

    def execute_api_nowait(
        self, command: str, argument: str, *, session_uuid: str | None = None
    ) -> ApiResult | Awaitable[ApiResult]:
        return self._api(command, argument)

    async def execute_console(self, line: str) -> ApiResult:
        command, _, argument = line.partition(" ")
        return self._api(command, argument)

    def find_session(self, uuid: str) -> FakeSession | None:
        return self.sessions.get(uuid)

    def take_control(self, session: SessionHandle) -> FakeControl | None:
        fake = self.sessions.get(session.uuid)
        if fake is None:
            return None
        control = FakeControl(fake)
        self.controls.append(control)
        return control

    def queue_message(self, uuid: str, message: Event) -> bool | None:
        session = self.sessions.get(uuid)
        if session is None:
            return None
        session.messages.append(message)
        return True

    def queue_session_event(
        self, uuid: str, event: Event, event_type: int, subclass: str | None
    ) -> bool:
        session = self.sessions.get(uuid)
        if session is None:
            return False
        session.session_events.append((event, event_type, subclass))
        return True

    def serve_outbound(self, connector: OutboundConnector) -> None:
        self.connector = connector
