"""The switch's event bus: creation with the standard headers, and synchronous fan-out.

``new_event`` mirrors ``switch_event_create``: the standard headers of spec §5.8 are stamped
when the event is created (``switch_event_prep_for_delivery``), in this order: Event-Name,
Core-UUID, FreeSWITCH-Hostname, -Switchname, -IPv4, -IPv6 (omitted when empty),
Event-Date-Local, Event-Date-GMT, Event-Date-Timestamp, Event-Calling-File, -Function,
-Line-Number, Event-Sequence. The sequence is a global counter taken at creation, starting
at 1. CUSTOM events get ``Event-Subclass`` right after.

``fire`` calls every subscriber synchronously, in subscription order, so all subscribers see
events in firing order. A subscriber that raises does not stop the others.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from eslkit.protocol.event import Event
from eslkit.protocol.names import EventType
from eslkit.protocol.records import CallingSite

__all__ = ["EventBus", "SwitchIdentity", "add_header", "rfc822_date"]

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def rfc822_date(seconds: float) -> str:
    """``switch_rfc822_date``: ``Thu, 01 May 2008 23:37:03 GMT``."""
    t = time.gmtime(seconds)
    return (
        f"{_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year:04d} "
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} GMT"
    )


def add_header(event: Event, name: str, value: str | None) -> None:
    """``switch_event_add_header_string``: an empty or missing value adds nothing."""
    if value:
        event.add_header(name, value)


@dataclass(slots=True)
class SwitchIdentity:
    """The values every event carries about the switch that fired it."""

    core_uuid: str
    hostname: str
    switchname: str
    ipv4: str
    ipv6: str


class EventBus:
    """Creates events with the standard headers and delivers them to subscribers."""

    __slots__ = (
        "_date_cache",
        "_identity_pairs",
        "_on_error",
        "_site_pairs",
        "_subscribers",
        "identity",
        "sequence",
    )

    def __init__(
        self, identity: SwitchIdentity, on_error: Callable[[BaseException], None] | None = None
    ) -> None:
        self.identity = identity
        #: The last Event-Sequence handed out (``EVENT_SEQUENCE_NR``).
        self.sequence = 0
        self._subscribers: list[Callable[[Event], None]] = []
        self._on_error = on_error
        self._date_cache: tuple[int, str, str] = (-1, "", "")
        self._identity_pairs: tuple[tuple[str, str], ...] | None = None
        self._site_pairs: dict[CallingSite, tuple[tuple[str, str], ...]] = {}

    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        """Call ``callback`` for every fired event; returns an unsubscriber."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            try:
                self._subscribers.remove(callback)
            except ValueError:
                pass

        return unsubscribe

    @property
    def subscriber_count(self) -> int:
        """How many subscribers there are."""
        return len(self._subscribers)

    def _dates(self, micros: int) -> tuple[str, str]:
        second = micros // 1_000_000
        cached = self._date_cache
        if cached[0] != second:
            local = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second))
            cached = (second, local, rfc822_date(second))
            self._date_cache = cached
        return cached[1], cached[2]

    def stamp(self, event: Event, event_name: str, calling: CallingSite) -> None:
        """Append the standard headers to ``event`` and take the next sequence number."""
        self.sequence += 1
        micros = time.time_ns() // 1000
        local, gmt = self._dates(micros)
        identity = self._identity_pairs
        if identity is None:
            identity = self._identity_pairs = self._make_identity_pairs()
        site = self._site_pairs.get(calling)
        if site is None:
            site = self._make_site_pairs(calling)
        event.extend_headers(
            [
                ("Event-Name", event_name),
                *identity,
                ("Event-Date-Local", local),
                ("Event-Date-GMT", gmt),
                ("Event-Date-Timestamp", str(micros)),
                *site,
                ("Event-Sequence", str(self.sequence)),
            ]
        )

    def _make_identity_pairs(self) -> tuple[tuple[str, str], ...]:
        ident = self.identity
        # Empty values are never added (switch_event_add_header_string).
        pairs = (
            ("Core-UUID", ident.core_uuid),
            ("FreeSWITCH-Hostname", ident.hostname),
            ("FreeSWITCH-Switchname", ident.switchname),
            ("FreeSWITCH-IPv4", ident.ipv4),
            ("FreeSWITCH-IPv6", ident.ipv6),
        )
        return tuple(pair for pair in pairs if pair[1])

    def _make_site_pairs(self, calling: CallingSite) -> tuple[tuple[str, str], ...]:
        pairs = (
            ("Event-Calling-File", calling.file),
            ("Event-Calling-Function", calling.function),
        )
        site = (*(pair for pair in pairs if pair[1]), ("Event-Calling-Line-Number", str(calling.line)))
        if len(self._site_pairs) < 4096:
            self._site_pairs[calling] = site
        return site

    def new_event(
        self, event_type: EventType, calling: CallingSite, subclass: str | None = None
    ) -> Event:
        """A new event of ``event_type`` with the standard headers (and ``Event-Subclass``)."""
        event = Event()
        self.stamp(event, event_type.name, calling)
        if event_type is EventType.CUSTOM and subclass:
            event.add_header("Event-Subclass", subclass)
        return event

    def fire(self, event: Event) -> None:
        """Deliver ``event`` to every subscriber, in subscription order."""
        for callback in tuple(self._subscribers):
            try:
                callback(event)
            except Exception as exc:
                if self._on_error is None:
                    raise
                self._on_error(exc)
