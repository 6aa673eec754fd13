"""Recording every event the switch fires, per channel, for waits and assertions.

:class:`EventRecorder` subscribes to the switch's event bus (synchronously, on the switch's
loop) and keeps, per channel UUID, the ordered :class:`EventRecord` list a test asserts on,
plus a bounded log of all events for waits on events without a channel. Waiters are
resolved by the recorder itself, so a wait can never miss an event fired in between.
Reads are safe from another thread (the blocking facade reads while the loop records).
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from eslkit.protocol.event import Event

__all__ = [
    "SUMMARY_HEADERS",
    "EventRecord",
    "EventRecorder",
    "EventSpec",
    "WaitTimeout",
    "format_history",
    "match_events",
]

#: Headers shown next to an event's name in a history, by event name (when present).
SUMMARY_HEADERS: dict[str, tuple[str, ...]] = {
    "CHANNEL_STATE": ("Channel-State",),
    "CHANNEL_CALLSTATE": ("Original-Channel-Call-State", "Channel-Call-State"),
    "CHANNEL_EXECUTE": ("Application", "Application-Data"),
    "CHANNEL_EXECUTE_COMPLETE": ("Application", "Application-Data", "Application-Response"),
    "DTMF": ("DTMF-Digit", "DTMF-Source"),
    "CHANNEL_HANGUP": ("Hangup-Cause",),
    "CHANNEL_HANGUP_COMPLETE": ("Hangup-Cause",),
    "CHANNEL_BRIDGE": ("Other-Leg-Unique-ID",),
    "CHANNEL_UNBRIDGE": ("Other-Leg-Unique-ID",),
    "CHANNEL_UUID": ("Old-Unique-ID",),
    "CUSTOM": ("Event-Subclass",),
}
MAX_EVENTS_PER_CHANNEL = 5_000
MAX_CHANNELS = 10_000
MAX_GLOBAL_EVENTS = 50_000
MAX_WAITERS = 10_000

#: What :func:`match_events` accepts per expected entry: ``"CHANNEL_ANSWER"``, or a name
#: and headers that must match: ``("CHANNEL_STATE", {"Channel-State": "CS_EXECUTE"})``.
EventSpec = str | tuple[str, Mapping[str, str]]


class WaitTimeout(AssertionError):
    """A wait of the testing toolkit ran out of time (an assertion failure in a test)."""


@dataclass(frozen=True, slots=True)
class EventRecord:
    """One fired event: its sequence number, name, channel UUID and the event itself."""

    seq: int
    name: str
    uuid: str | None
    event: Event = field(repr=False, compare=False)

    def get(self, header: str, default: str | None = None) -> str | None:
        """A header of the event."""
        return self.event.get(header, default)

    @property
    def summary(self) -> dict[str, str]:
        """The :data:`SUMMARY_HEADERS` of its kind that the event carries."""
        out: dict[str, str] = {}
        for name in SUMMARY_HEADERS.get(self.name, ()):
            value = self.event.get(name)
            if value is not None:
                out[name] = value
        return out

    def matches(self, spec: EventSpec) -> bool:
        """True when this record satisfies ``spec`` (name, and headers if given)."""
        name, headers = (spec, None) if isinstance(spec, str) else spec
        if not _name_matches(self, name):
            return False
        return all(self.event.get(k) == v for k, v in (headers or {}).items())

    def __str__(self) -> str:
        details = " ".join(f"{k}={v}" for k, v in self.summary.items())
        return f"{self.name} {details}".rstrip()


def _name_matches(record: EventRecord, name: str) -> bool:
    if name == record.name:
        return True
    if name.startswith("CUSTOM ") and record.name == "CUSTOM":
        return record.event.get("Event-Subclass") == name[7:]
    return False


def match_events(
    records: Sequence[EventRecord], expected: Sequence[EventSpec], *, exact: bool
) -> int | None:
    """None when ``expected`` appears in ``records`` in order (as a subsequence, or the
    whole list with ``exact``); else the index in ``expected`` of the first entry missing."""
    if exact:
        for index, spec in enumerate(expected):
            if index >= len(records) or not records[index].matches(spec):
                return index
        return None if len(records) == len(expected) else len(expected)
    position = 0
    for index, spec in enumerate(expected):
        while position < len(records) and not records[position].matches(spec):
            position += 1
        if position >= len(records):
            return index
        position += 1
    return None


def format_history(uuid: str, records: Iterable[EventRecord], name: str = "") -> str:
    """A readable history: one line per event, numbered."""
    label = f"{uuid} ({name})" if name else uuid
    lines = [f"channel {label}:"]
    lines.extend(f"  {i:3d}. {record}" for i, record in enumerate(records, 1))
    return "\n".join(lines)


class _Waiter:
    __slots__ = ("future", "loop", "predicate")

    def __init__(
        self,
        predicate: Callable[[EventRecord], bool],
        future: asyncio.Future[EventRecord],
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self.predicate = predicate
        self.future = future
        self.loop = loop


class EventRecorder:
    """Keeps the switch's events per channel and resolves waits on them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seq = 0
        self._channels: OrderedDict[str, list[EventRecord]] = OrderedDict()
        self._names: dict[str, str] = {}
        self._all: deque[EventRecord] = deque(maxlen=MAX_GLOBAL_EVENTS)
        self._waiters: list[_Waiter] = []
        self.dropped = 0

    # ------------------------------------------------------------------ recording
    def record(self, event: Event) -> None:
        """The switch's event-bus callback (never raises)."""
        name = event.get("Event-Name") or "?"
        uuid = event.get("Unique-ID")
        with self._lock:
            self._seq += 1
            record = EventRecord(self._seq, name, uuid, event)
            self._all.append(record)
            if uuid:
                records = self._channels.get(uuid)
                if records is None:
                    if len(self._channels) >= MAX_CHANNELS:
                        self._channels.popitem(last=False)
                    records = self._channels[uuid] = []
                    channel_name = event.get("Channel-Name")
                    if channel_name:
                        self._names[uuid] = channel_name
                if len(records) < MAX_EVENTS_PER_CHANNEL:
                    records.append(record)
                else:
                    self.dropped += 1
            waiters = [w for w in self._waiters if not w.future.done()]
        for waiter in waiters:
            try:
                hit = waiter.predicate(record)
            except Exception:
                hit = False
            if hit:
                waiter.loop.call_soon_threadsafe(_resolve, waiter.future, record)

    # ------------------------------------------------------------------ reading
    def history(self, uuid: str) -> list[EventRecord]:
        """Every recorded event of channel ``uuid``, in firing order (empty if unknown)."""
        with self._lock:
            return list(self._channels.get(uuid, ()))

    def channel_uuids(self) -> list[str]:
        """UUIDs of every channel seen, oldest first."""
        with self._lock:
            return list(self._channels)

    def channel_name(self, uuid: str) -> str:
        """The channel's name as its first event gave it ("" if unknown)."""
        with self._lock:
            return self._names.get(uuid, "")

    def events(self) -> list[EventRecord]:
        """The most recent events of all kinds (bounded), oldest first."""
        with self._lock:
            return list(self._all)

    def find(self, predicate: Callable[[EventRecord], bool]) -> EventRecord | None:
        """The first recorded event (of the bounded log) satisfying ``predicate``."""
        for record in self.events():
            if predicate(record):
                return record
        return None

    def report(self, limit: int = 50) -> str:
        """The history of every channel seen (the last ``limit`` channels)."""
        uuids = self.channel_uuids()[-limit:]
        if not uuids:
            return "(no channel events)"
        return "\n".join(format_history(u, self.history(u), self.channel_name(u)) for u in uuids)

    # ------------------------------------------------------------------ waiting
    async def wait(
        self,
        predicate: Callable[[EventRecord], bool],
        *,
        timeout: float,
        past: bool,
        what: str,
        describe: Callable[[], str] | None = None,
    ) -> EventRecord:
        """The first event satisfying ``predicate`` (already recorded ones too, if ``past``).

        Raises :class:`WaitTimeout` after ``timeout`` real seconds."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[EventRecord] = loop.create_future()
        waiter = _Waiter(predicate, future, loop)
        with self._lock:
            if len(self._waiters) >= MAX_WAITERS:
                raise RuntimeError("too many concurrent waits on the switch's events")
            self._waiters.append(waiter)
        try:
            if past:
                found = self.find(predicate)
                if found is not None:
                    return found
            try:
                async with asyncio.timeout(timeout):
                    return await future
            except TimeoutError:
                detail = f"\n{describe()}" if describe is not None else ""
                raise WaitTimeout(f"no {what} within {timeout} s{detail}") from None
        finally:
            with self._lock:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)


def _resolve(future: asyncio.Future[EventRecord], record: EventRecord) -> None:
    if not future.done():
        future.set_result(record)
