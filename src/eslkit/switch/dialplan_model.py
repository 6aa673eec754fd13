"""The XML dialplan's data model: contexts, extensions, conditions, actions as parsed, and
the channel a hunt runs for (:class:`FieldSource`)."""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol

from eslkit.switch.expand import expand_variables

__all__ = [
    "CALLER_PROFILE_FIELDS",
    "MAX_FIELD_LENGTH",
    "MAX_INCLUDE_DEPTH",
    "MAX_RECURSION",
    "Action",
    "BreakMode",
    "Condition",
    "Context",
    "DialplanError",
    "Extension",
    "FieldSource",
    "RegexMode",
    "RegexRule",
    "SimpleFieldSource",
    "TimeSpec",
    "XmlAction",
]

MAX_RECURSION = 100
"""FreeSWITCH's limit on nested conditions."""
MAX_INCLUDE_DEPTH = 16
"""Limit on nested ``X-PRE-PROCESS include`` (FreeSWITCH's is similar)."""
MAX_FIELD_LENGTH = 4096
"""Field data is cut to this length before matching, to bound regex work."""

CALLER_PROFILE_FIELDS = frozenset(
    {
        "dialplan", "username", "caller_id_name", "caller_id_number", "orig_caller_id_name",
        "orig_caller_id_number", "callee_id_name", "callee_id_number", "ani", "aniii",
        "network_addr", "rdnis", "destination_number", "uuid", "source", "transfer_source",
        "context", "chan_name", "profile_index", "caller_ton", "caller_numplan",
        "destination_number_ton", "destination_number_numplan", "ani_ton", "ani_numplan",
        "rdnis_ton", "rdnis_numplan",
    }
)  # fmt: skip
"""Names a condition's ``field`` may use directly (``switch_caller_get_field_by_name``)."""


class DialplanError(Exception):
    """The dialplan XML could not be read or parsed."""


class BreakMode(Enum):
    """When a condition stops the evaluation of its extension's later conditions."""

    ON_TRUE = "on-true"
    ON_FALSE = "on-false"
    ALWAYS = "always"
    NEVER = "never"


class RegexMode(Enum):
    """How a condition combines its ``<regex>`` children."""

    ANY = "any"
    ALL = "all"
    XOR = "xor"


@dataclass(frozen=True, slots=True)
class Action:
    """One application to run: what a hunt returns, in order."""

    application: str
    data: str
    inline: bool = False
    extension: str = ""


@dataclass(frozen=True, slots=True)
class XmlAction:
    """An ``<action>`` or ``<anti-action>`` as written."""

    application: str
    data: str
    inline: bool
    loop: int


@dataclass(frozen=True, slots=True)
class TimeSpec:
    """The time attributes of a condition or ``<regex>`` (only those present are checked)."""

    attrs: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class RegexRule:
    """A ``<regex field expression>`` child of a ``regex=`` condition."""

    field: str | None
    expression: str
    time: TimeSpec | None


@dataclass(frozen=True, slots=True)
class Condition:
    """A ``<condition>``, with its actions, anti-actions and nested conditions."""

    field: str | None
    expression: str
    break_mode: BreakMode
    regex_mode: RegexMode | None
    regexes: tuple[RegexRule, ...]
    time: TimeSpec | None
    actions: tuple[XmlAction, ...]
    anti_actions: tuple[XmlAction, ...]
    conditions: tuple[Condition, ...]
    require_nested: str | None


@dataclass(frozen=True, slots=True)
class Extension:
    """An ``<extension name continue>``."""

    name: str | None
    continue_: str | None
    conditions: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Context:
    """A ``<context name>``: its extensions in document order."""

    name: str
    extensions: tuple[Extension, ...]


class FieldSource(Protocol):
    """The channel a hunt runs for: its caller profile and its variables."""

    def field(self, name: str) -> str | None:
        """The caller-profile field `name` (lower case, one of `CALLER_PROFILE_FIELDS`)."""
        ...

    def variable(self, name: str) -> str | None:
        """The channel variable `name`, or None."""
        ...

    def expand(self, text: str) -> str:
        """`text` with channel variables expanded (``switch_channel_expand_variables``)."""
        ...

    def set_variable(self, name: str, value: str | None) -> None:
        """Set a channel variable; None unsets it. (Captures arrive as one ``ARRAY::a|:b``.)"""
        ...

    def delete_variable_prefix(self, prefix: str) -> None:
        """Unset every channel variable whose name starts with `prefix`."""
        ...


@dataclass(slots=True)
class SimpleFieldSource:
    """A `FieldSource` over plain dictionaries, for tests and simple callers."""

    fields: Mapping[str, str] = field(default_factory=dict)
    variables: MutableMapping[str, str] = field(default_factory=dict)
    globals: Mapping[str, str] = field(default_factory=dict)

    def field(self, name: str) -> str | None:
        """The caller-profile field `name`."""
        return self.fields.get(name)

    def variable(self, name: str) -> str | None:
        """The channel variable `name`."""
        return self.variables.get(name)

    def _lookup(self, name: str) -> str | None:
        value = self.variables.get(name)
        return value if value is not None else self.fields.get(name)

    def expand(self, text: str) -> str:
        """Expand `text` against the variables, then fields, then globals."""
        return expand_variables(text, self._lookup, global_lookup=self.globals.get)

    def set_variable(self, name: str, value: str | None) -> None:
        """Set or unset a variable."""
        if value is None:
            self.variables.pop(name, None)
        else:
            self.variables[name] = value

    def delete_variable_prefix(self, prefix: str) -> None:
        """Unset the variables starting with `prefix`."""
        for name in [n for n in self.variables if n.startswith(prefix)]:
            del self.variables[name]
