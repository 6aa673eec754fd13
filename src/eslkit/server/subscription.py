"""What a listener wants to receive: event types, CUSTOM subclasses, filters, myevents lock.

This is the per-connection half of mod_event_socket's ``event_handler`` (spec §5.1–§5.4),
kept free of I/O so the fan-out can call :meth:`Subscription.accepts` for every event and
every listener at full speed.
"""

from __future__ import annotations

import re
from functools import lru_cache

from eslkit import pcre
from eslkit.protocol.event import Event
from eslkit.protocol.names import EventType

ALL = int(EventType.ALL)
CUSTOM = int(EventType.CUSTOM)

#: The 23 types ``myevents`` turns on (spec §4.1).
MYEVENTS_TYPES: tuple[EventType, ...] = (
    EventType.CHANNEL_ANSWER,
    EventType.CHANNEL_APPLICATION,
    EventType.CHANNEL_BRIDGE,
    EventType.CHANNEL_CREATE,
    EventType.CHANNEL_DATA,
    EventType.CHANNEL_DESTROY,
    EventType.CHANNEL_EXECUTE,
    EventType.CHANNEL_EXECUTE_COMPLETE,
    EventType.CHANNEL_HANGUP,
    EventType.CHANNEL_HANGUP_COMPLETE,
    EventType.CHANNEL_ORIGINATE,
    EventType.CHANNEL_UUID,
    EventType.CHANNEL_OUTGOING,
    EventType.CHANNEL_PARK,
    EventType.CHANNEL_PROGRESS,
    EventType.CHANNEL_PROGRESS_MEDIA,
    EventType.CHANNEL_STATE,
    EventType.CHANNEL_UNBRIDGE,
    EventType.CHANNEL_UNPARK,
    EventType.DETECTED_SPEECH,
    EventType.DTMF,
    EventType.NOTALK,
    EventType.TALK,
)


@lru_cache(maxsize=512)
def _compile_filter_regex(expression: str) -> pcre.Regex | None:
    """Compile a ``/re/flags`` filter the way ``switch_regex_perform`` does.

    The pattern ends at the last ``/``; flags ``i`` and ``s`` are honoured. A pattern without
    a closing ``/`` or one that does not compile never matches. Matching is bounded by
    :mod:`eslkit.pcre` (a catastrophic pattern cannot hold the loop).
    """
    body = expression[1:]
    cut = body.rfind("/")
    if cut < 0:
        return None
    pattern, opts = body[:cut], body[cut + 1 :]
    flags = 0
    if "i" in opts:
        flags |= re.IGNORECASE
    if "s" in opts:
        flags |= re.DOTALL
    return pcre.compile(pattern, flags)


class Subscription:
    """A listener's event selection, with FreeSWITCH's exact semantics."""

    __slots__ = ("custom", "filters", "lock_session", "myevents", "types")

    def __init__(self) -> None:
        #: ``event_list``: one flag per event type, index ALL (93) included.
        self.types = bytearray(ALL + 1)
        #: ``event_hash``: CUSTOM subclasses (case-sensitive).
        self.custom: set[str] = set()
        #: Filters in insertion order: ``(header, value)``; duplicates allowed.
        self.filters: list[tuple[str, str]] = []
        #: The myevents lock, and the session UUID it is locked to (None: any Unique-ID).
        self.myevents = False
        self.lock_session: str | None = None

    # ------------------------------------------------------------------ types
    def set_all(self) -> None:
        """``event ALL``: every type flag, ALL included."""
        for index in range(ALL + 1):
            self.types[index] = 1

    def nix(self, event_type: int) -> None:
        """``nixevent X`` for a type other than CUSTOM."""
        if event_type == ALL:
            for index in range(ALL + 1):
                self.types[index] = 0
            return
        if self.types[ALL]:
            self.types[ALL] = 0
            for index in range(ALL):
                self.types[index] = 1
        self.types[event_type] = 0

    def clear(self) -> None:
        """``noevents``: all type flags and the subclass set (filters and lock stay)."""
        for index in range(ALL + 1):
            self.types[index] = 0
        self.custom.clear()

    # ------------------------------------------------------------------ filters
    def add_filter(self, header: str, value: str) -> None:
        """Append a filter; an empty value adds nothing (FreeSWITCH's header rule)."""
        if value:
            self.filters.append((header, value))

    def delete_filters(self, header: str, value: str | None) -> None:
        """Remove every filter on ``header`` (case-insensitive), or only those equal to
        ``value`` (case-sensitive)."""
        lowered = header.lower()
        self.filters = [
            (name, val)
            for name, val in self.filters
            if not (name.lower() == lowered and (value is None or val == value))
        ]

    def filters_pass(self, event: Event) -> bool:
        """The filter algorithm of spec §5.3."""
        send = False
        for name, value in self.filters:
            header_value = event.get(name)
            if header_value is None:
                continue
            positive = True
            index = 0
            while index < len(value):
                char = value[index]
                if char == "+":
                    positive = True
                elif char == "-":
                    positive = False
                elif char != " ":
                    break
                index += 1
            if send and positive:
                continue
            compare_to = value[index:]
            if value[0] == "/":
                regex = _compile_filter_regex(compare_to)
                matched = regex is not None and regex.search(header_value) is not None
            else:
                matched = header_value.lower() == compare_to.lower()
            if matched:
                if positive:
                    send = True
                else:
                    return False
        return send

    # ------------------------------------------------------------------ decision
    def accepts(self, event: Event, event_type: int, subclass: str | None) -> bool:
        """Whether ``event`` passes subscription, filters and the myevents lock."""
        types = self.types
        if not types[ALL]:
            if not types[event_type]:
                return False
            if event_type == CUSTOM and subclass is not None and subclass not in self.custom:
                return False
        if self.filters and not self.filters_pass(event):
            return False
        if self.myevents:
            uuid = event.get("Unique-ID")
            session = self.lock_session
            send = not (uuid is None or (session is not None and uuid != session))
            if session is not None and event.get("Job-Owner-UUID") == session:
                send = True
            return send
        return True
