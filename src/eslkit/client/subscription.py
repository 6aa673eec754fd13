"""One declarative description of what a connection listens to, re-appliable after reconnect."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from eslkit.protocol.command import check_value
from eslkit.protocol.event import EventFormat

FORMATS: tuple[EventFormat, ...] = ("plain", "json", "xml")


def _check_token(token: str, what: str) -> str:
    check_value(token, what)
    if " " in token or "\t" in token:
        raise ValueError(f"{what} must not contain spaces: {token!r}")
    return token


@dataclass(slots=True)
class Subscription:
    """Event names, CUSTOM subclasses, the event format and filters of one connection.

    FreeSWITCH subscriptions accumulate, so this object only grows through :meth:`add`; the
    client sends it as ``event <format> <names> [CUSTOM <subclasses>]`` followed by one
    ``filter`` command per filter, in order (:meth:`commands`).
    """

    events: list[str] = field(default_factory=list)
    custom: list[str] = field(default_factory=list)
    format: EventFormat = "plain"
    filters: list[tuple[str, str]] = field(default_factory=list)
    #: ``True`` when bare ``CUSTOM`` was asked for (subclass-less CUSTOM events).
    custom_type: bool = False

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ValueError(f"format must be one of {FORMATS}, not {self.format!r}")
        names, self.events = self.events, []
        subclasses, self.custom = self.custom, []
        self.add(*names)
        for subclass in subclasses:
            self.add_custom(subclass)
        for header, value in self.filters:
            _check_token(header, "filter header")
            check_value(value, "filter value")

    def add(self, *names: str) -> list[str]:
        """Add event names; within one argument, words after ``CUSTOM`` are subclasses, and
        so is a later argument that names one (``a::b``) once ``CUSTOM`` was given.

        ``add("CHANNEL_ANSWER", "CUSTOM my::sub other::sub")`` or
        ``add("CUSTOM", "my::sub")``. Returns the tokens added.
        """
        added: list[str] = []
        custom_seen = False
        for arg in names:
            check_value(arg, "event name")
            in_custom = False
            for token in arg.split():
                if in_custom or (custom_seen and "::" in token):
                    if self.add_custom(token):
                        added.append(token)
                elif token.upper() == "CUSTOM":
                    in_custom = custom_seen = True
                    self.custom_type = True
                else:
                    name = _check_token(token.upper(), "event name")
                    if name not in self.events:
                        self.events.append(name)
                        added.append(name)
        return added

    def add_custom(self, subclass: str) -> bool:
        """Add one CUSTOM subclass (case-sensitive). Returns whether it was new."""
        _check_token(subclass, "CUSTOM subclass")
        self.custom_type = True
        if subclass in self.custom:
            return False
        self.custom.append(subclass)
        return True

    def covers(self, name: str) -> bool:
        """Whether events called ``name`` (not CUSTOM) are subscribed."""
        return "ALL" in self.events or name in self.events

    @property
    def empty(self) -> bool:
        """Nothing subscribed and no filters."""
        return not self.events and not self.custom_type and not self.filters

    def event_command(self, extra: Iterable[str] = ()) -> str | None:
        """The ``event`` command line, with ``extra`` names merged in, or ``None``."""
        names = list(self.events)
        for name in extra:
            if name not in names and "ALL" not in names:
                names.append(name)
        if self.custom_type:
            names.append("CUSTOM")
            names += self.custom
        if not names:
            return None
        return f"event {self.format} " + " ".join(names)

    def commands(self, extra: Iterable[str] = ()) -> list[str]:
        """Every command that recreates this subscription on a fresh connection."""
        out: list[str] = []
        event = self.event_command(extra)
        if event is not None:
            out.append(event)
        out += [f"filter {header} {value}" for header, value in self.filters]
        return out

    def copy(self) -> Subscription:
        """An independent copy."""
        return Subscription(
            list(self.events), list(self.custom), self.format, list(self.filters), self.custom_type
        )
