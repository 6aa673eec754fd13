"""The XML dialplan (mod_dialplan_xml): load contexts, hunt a destination to its actions.

A hunt walks the context's extensions in order and evaluates each one's conditions the way
``parse_exten`` does: ``field``/``expression`` regexes (PCRE syntax, :mod:`eslkit.pcre`),
``regex="all|any|xor"`` with ``<regex>`` children, the time attributes (``wday``, ``hour``,
``time-of-day``...), ``break`` modes, nested conditions with ``require-nested``, actions and
anti-actions (with ``loop``), and ``continue="true"``. Captures ``$1``..``$N`` are substituted
into action data at hunt time; ``${...}`` is left for execute time. Inline actions run during
the hunt through a callback, so later conditions see their effect.

Not supported: the ``hunt`` XML-curl bindings, ``$${var}`` substitution at load time (the
expander resolves ``$${var}`` from globals at execute time instead), and PCRE-only regex
syntax that :mod:`eslkit.pcre` cannot translate for ``re`` (recursion, callouts: such an
expression never matches, as a compile error does in FreeSWITCH).
"""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from enum import Enum
from importlib import resources
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from eslkit import pcre
from eslkit.fsutil import c_atoi, c_atol, switch_true
from eslkit.switch.expand import expand_variables

__all__ = [
    "CALLER_PROFILE_FIELDS",
    "Action",
    "BreakMode",
    "Condition",
    "Context",
    "Dialplan",
    "DialplanError",
    "DialplanNode",
    "Extension",
    "FieldSource",
    "RegexMode",
    "RegexRule",
    "SimpleFieldSource",
    "TimeSpec",
    "XmlAction",
    "parse_extension",
    "perform_substitution",
    "regex_match",
    "switch_true",
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


# --- data model -------------------------------------------------------------------------


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


# --- regexes ----------------------------------------------------------------------------

def _ast_to_regex(pattern: str) -> str:
    # Asterisk-style patterns: N=[2-9], X=[0-9], Z=[1-9], .=.*
    table = {"N": "[2-9]", "X": "[0-9]", "Z": "[1-9]", ".": ".*"}
    return "^" + "".join(table.get(ch, ch) for ch in pattern) + "$"


@functools.lru_cache(maxsize=1024)
def _compile(expression: str) -> pcre.Regex | None:
    flags = 0
    if expression.startswith("_"):
        expression = _ast_to_regex(expression[1:])
    if expression.startswith("/"):
        body, slash, opts = expression[1:].rpartition("/")
        if not slash:
            return None
        expression = body
        if "i" in opts:
            flags |= re.IGNORECASE
        if "s" in opts:
            flags |= re.DOTALL
    return pcre.compile(expression, flags)


def regex_match(subject: str, expression: str) -> tuple[re.Match[str] | None, int]:
    """``switch_regex_perform``: search `subject`; return the match and PCRE's match count
    (one more than the highest capture group that took part), 0 when there is no match.

    The expression runs through :mod:`eslkit.pcre` (PCRE syntax, bounded like PCRE's match
    limit: a match over budget is no match)."""
    compiled = _compile(expression)
    if compiled is None:
        return None, 0
    match = compiled.search(subject[:MAX_FIELD_LENGTH])
    if match is None:
        return None, 0
    count = 1
    for group in range(compiled.groups, 0, -1):
        if match.start(group) != -1:
            count = group + 1
            break
    return match, count


def _group(match: re.Match[str], number: int) -> str | None:
    if number < 0 or number > match.re.groups:
        return None
    return match.group(number)


def perform_substitution(match: re.Match[str] | None, data: str, limit: int) -> str:
    """``switch_perform_substitution``: replace ``$N`` and ``${N}`` in `data` with captures.

    An unset or missing group gives nothing; ``$`` not followed by a digit stays; the
    result is cut to ``limit - 1`` characters, as FreeSWITCH's buffer does.
    """
    if limit <= 0 or match is None:
        return ""
    out: list[str] = []
    digits: list[str] = []  # FreeSWITCH keeps stale digits after a bad ${N: mirrored
    x, n, size = 0, len(data), 0
    room = limit - 1
    while size < room and x < n:
        if data[x] != "$":
            out.append(data[x])
            size += 1
            x += 1
            continue
        x += 1
        brace = x < n and data[x] == "{"
        if brace:
            x += 1
        if not (x < n and data[x].isascii() and data[x].isdigit()):
            x -= int(brace)
            out.append(data[x - 1])
            size += 1
            continue
        while x < n and data[x].isascii() and data[x].isdigit() and len(digits) < 9:
            digits.append(data[x])
            x += 1
        if brace:
            if not (x < n and data[x] == "}"):
                x -= len(digits) - 1
                out.append(data[x - 1])
                size += 1
                continue
            x += 1
        number = int("".join(digits))
        digits.clear()
        value = _group(match, number if number <= 256 else -1)
        if value:
            take = value[: room - size]
            out.append(take)
            size += len(take)
    return "".join(out)


def _capture_value(match: re.Match[str] | None, count: int) -> str | None:
    """The value ``switch_capture_regex`` leaves in a variable it pushes each capture onto."""
    if match is None:
        return None
    values = [v for v in (_group(match, i) for i in range(count)) if v is not None]
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return "ARRAY::" + "|:".join(values)


# --- time conditions --------------------------------------------------------------------

_TIME_ATTRS = (
    "date-time", "year", "yday", "mon", "mday", "week", "mweek", "wday", "hour", "minute",
    "minute-of-day", "time-of-day", "tz-offset", "dst",
)  # fmt: skip
_DOW = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def _strtol(text: str, i: int) -> tuple[int, int]:
    j = i
    while j < len(text) and text[j] in " \t\n\v\f\r":
        j += 1
    k = j
    if k < len(text) and text[k] in "+-":
        k += 1
    d = k
    while d < len(text) and text[d].isascii() and text[d].isdigit():
        d += 1
    if d == k:
        return 0, i
    return c_atol(text[j:d]), d


def _number_cmp(expression: str, value: int) -> bool:
    i = 0
    while True:
        a, i = _strtol(expression, i)
        if i < len(expression) and expression[i] == "-":
            b, i = _strtol(expression, i + 1)
            if (a <= value <= b) if a <= b else (value >= a or value <= b):
                return True
        elif a == value:
            return True
        if i >= len(expression) or expression[i] != ",":
            return False
        i += 1


def _dow_cmp(expression: str, value: int) -> bool:
    i, prev, range_start = 0, -1, -1
    while i < len(expression):
        ch = expression[i]
        if ch == "-":
            i += 1
            range_start = prev
            cur = -3
        elif ch == ",":
            i += 1
            cur = -1
        elif "1" <= ch <= "7":
            i += 1
            cur = int(ch)
        elif expression[i : i + 3].lower() in _DOW:
            cur = _DOW.index(expression[i : i + 3].lower()) + 1
            i += 3
        else:
            return False
        if cur > 0:
            if range_start > 0:
                lo = range_start
                if (lo <= value <= cur) if lo <= cur else (value >= lo or value <= cur):
                    return True
                range_start = -1
            elif value == cur:
                return True
        prev = cur
    return False


def _tod_cmp(expression: str, value: int) -> bool:
    for item in expression.split(","):
        colon = item.find(":")
        if colon < 0:
            continue
        rest = item[colon + 1 :]
        dash = rest.find("-")
        if dash < 0:
            continue
        after = rest[dash:]
        colon2 = after.find(":")
        if colon2 < 0:
            continue
        min_m, _, min_s = rest[:dash].partition(":")
        max_m, _, max_s = after[colon2 + 1 :].partition(":")
        start = c_atoi(item[:colon]) * 3600 + c_atoi(min_m) * 60 + c_atoi(min_s or "00")
        end = c_atoi(after[1:colon2]) * 3600 + c_atoi(max_m) * 60 + c_atoi(max_s or "00")
        if (start <= value <= end) if start <= end else (value >= start or value <= end):
            return True
    return False


def _parse_when(text: str, tz: tzinfo | None) -> datetime | None:
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(text.strip(), fmt).replace(tzinfo=tz)
        except ValueError:
            continue
    return None


def _fulldate_cmp(expression: str, now: datetime) -> bool:
    for item in expression.split(","):
        start_text, tilde, end_text = item.partition("~")
        if not tilde:
            continue
        start = _parse_when(start_text, now.tzinfo)
        end = _parse_when(end_text, now.tzinfo)
        if start is None or end is None:
            return False
        if start <= now < end:
            return True
    return False


def _time_match(spec: TimeSpec | None, now: datetime, tz_offset: int | None) -> int:
    """``switch_xml_std_datetime_check``: -1 without time attributes, else 1 or 0."""
    if spec is None:
        return -1
    attrs = dict(spec.attrs)
    tm = now
    offset = now.utcoffset() or timedelta(0)
    eoffset = int(offset.total_seconds() / 3600) if tz_offset is None else tz_offset
    tt = tm.timetuple()
    wday = (tm.weekday() + 1) % 7
    yday = tt.tm_yday - 1
    checks: list[tuple[str, Callable[[str], bool]]] = [
        ("tz-offset", lambda v: not switch_true_number(v) or c_atoi(v) == eoffset),
        ("dst", lambda v: bool(now.dst()) and switch_true(v)),
        ("date-time", lambda v: _fulldate_cmp(v, now)),
        ("year", lambda v: _number_cmp(v, tm.year)),
        ("yday", lambda v: _number_cmp(v, yday + 1)),
        ("mon", lambda v: _number_cmp(v, tm.month)),
        ("mday", lambda v: _number_cmp(v, tm.day)),
        ("week", lambda v: _number_cmp(v, yday // 7 + 1)),
        ("mweek", lambda v: _number_cmp(v, _week_of_month(tm.day, wday))),
        ("wday", lambda v: _dow_cmp(v, wday + 1)),
        ("hour", lambda v: _number_cmp(v, tm.hour)),
        ("minute", lambda v: _number_cmp(v, tm.minute)),
        ("minute-of-day", lambda v: _number_cmp(v, tm.hour * 60 + tm.minute + 1)),
        ("time-of-day", lambda v: _tod_cmp(v, tm.hour * 3600 + tm.minute * 60 + tm.second)),
    ]
    for name, check in checks:
        if name in attrs and not check(attrs[name]):
            return 0
    return 1


def switch_true_number(value: str) -> bool:
    """``switch_is_number``: an optional sign, digits and at most one dot."""
    return bool(re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)", value))


def _week_of_month(mday: int, wday: int) -> int:
    first_dow = (7 - (mday - (wday + 1)) % 7) % 7
    return -(-(mday + first_dow) // 7)


# --- loading ----------------------------------------------------------------------------


class DialplanNode(Protocol):
    """An XML element as the dialplan reads it: ``xml.etree`` elements and the
    configuration parser's elements (which know their file and line) both fit."""

    @property
    def tag(self) -> str: ...

    @property
    def text(self) -> str | None: ...

    def get(self, key: str, /) -> str | None: ...

    def find(self, path: str, /) -> DialplanNode | None: ...

    def findall(self, path: str, /) -> Iterable[DialplanNode]: ...


def _time_spec(element: DialplanNode) -> TimeSpec | None:
    attrs = tuple((n, v) for n in _TIME_ATTRS if (v := element.get(n)) is not None)
    return TimeSpec(attrs) if attrs else None


def _expression(element: DialplanNode) -> str:
    child = element.find("expression")
    if child is not None:
        return child.text or ""
    return element.get("expression") or ""


def _xml_action(element: DialplanNode) -> XmlAction:
    text = element.text
    data = text if text else element.get("data") or ""
    loop = element.get("loop")
    return XmlAction(
        application=element.get("application") or "",
        data=data,
        inline=switch_true(element.get("inline") or ""),
        loop=1 if loop is None else c_atoi(loop),
    )


def _break_mode(value: str | None) -> BreakMode:
    if value is not None:
        for mode in BreakMode:
            if mode.value == value.lower():
                return mode
    return BreakMode.ON_FALSE


def _condition(element: DialplanNode, depth: int) -> Condition:
    if depth > MAX_RECURSION:
        raise DialplanError("conditions nested too deeply")
    regex_attr = element.get("regex")
    regex_mode: RegexMode | None = None
    if regex_attr is not None:
        lowered = regex_attr.lower()
        regex_mode = (
            RegexMode.ALL
            if lowered == "all"
            else RegexMode.XOR
            if lowered == "xor"
            else RegexMode.ANY
        )
    return Condition(
        field=element.get("field"),
        expression=_expression(element),
        break_mode=_break_mode(element.get("break")),
        regex_mode=regex_mode,
        regexes=tuple(
            RegexRule(r.get("field"), _expression(r), _time_spec(r))
            for r in element.findall("regex")
        ),
        time=_time_spec(element),
        actions=tuple(_xml_action(a) for a in element.findall("action")),
        anti_actions=tuple(_xml_action(a) for a in element.findall("anti-action")),
        conditions=tuple(_condition(c, depth + 1) for c in element.findall("condition")),
        require_nested=element.get("require-nested"),
    )


def parse_extension(element: DialplanNode) -> Extension:
    """An ``<extension>`` element as the hunt uses it. Raises `DialplanError` when its
    conditions nest deeper than FreeSWITCH allows."""
    return Extension(
        name=element.get("name"),
        continue_=element.get("continue"),
        conditions=tuple(_condition(c, 1) for c in element.findall("condition")),
    )


_extension = parse_extension


class _Loader:
    """Flattens ``<document>``/``<section>``/``<include>`` and ``X-PRE-PROCESS`` into contexts."""

    def __init__(self, base_dir: Path | None) -> None:
        self.base_dir = base_dir
        self.contexts: dict[str, Context] = {}
        self.preprocess_vars: dict[str, str] = {}

    def parse_text(self, text: str, origin: str, depth: int) -> None:
        try:
            root = ET.fromstring(text)
        except ET.ParseError as exc:
            raise DialplanError(f"{origin}: {exc}") from exc
        self.walk(root, depth)

    def parse_file(self, path: Path, depth: int) -> None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise DialplanError(f"{path}: {exc}") from exc
        self.parse_text(text, str(path), depth)

    def walk(self, element: ET.Element, depth: int) -> None:
        tag = element.tag
        if tag == "context":
            name = element.get("name", "")
            extensions: list[Extension] = []
            self.collect_extensions(element, extensions, depth)
            # FreeSWITCH looks a context up by name and takes the first one.
            self.contexts.setdefault(name, Context(name, tuple(extensions)))
            return
        if tag == "X-PRE-PROCESS":
            self.preprocess(element, depth, self.walk)
            return
        if tag == "section" and element.get("name") not in (None, "dialplan"):
            return
        for child in element:
            self.walk(child, depth)

    def collect_extensions(self, element: ET.Element, out: list[Extension], depth: int) -> None:
        for child in element:
            if child.tag == "extension":
                out.append(_extension(child))
            elif child.tag == "include":
                self.collect_extensions(child, out, depth)
            elif child.tag == "X-PRE-PROCESS":

                def into_context(node: ET.Element, d: int) -> None:
                    if node.tag == "extension":
                        out.append(_extension(node))
                    else:
                        self.collect_extensions(node, out, d)

                self.preprocess(child, depth, into_context)

    def preprocess(
        self, element: ET.Element, depth: int, sink: Callable[[ET.Element, int], None]
    ) -> None:
        command = (element.get("cmd") or "").lower()
        data = element.get("data") or ""
        if command == "set":
            name, sep, value = data.partition("=")
            if sep and name:
                self.preprocess_vars[name.strip()] = value
        elif command == "include":
            if depth >= MAX_INCLUDE_DEPTH:
                raise DialplanError(f"include nested too deeply: {data}")
            for path in self.include_paths(data):
                try:
                    root = ET.fromstring(path.read_text(encoding="utf-8"))
                except (OSError, UnicodeDecodeError, ET.ParseError) as exc:
                    raise DialplanError(f"{path}: {exc}") from exc
                sink(root, depth + 1)

    def include_paths(self, pattern: str) -> list[Path]:
        path = Path(pattern)
        if not path.is_absolute():
            if self.base_dir is None:
                return []
            path = self.base_dir / path
        if any(ch in path.name for ch in "*?["):
            return sorted(p for p in path.parent.glob(path.name) if p.is_file())
        return [path] if path.is_file() else []


# --- the hunt ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Capture:
    """The regex result the actions of a condition substitute from."""

    field: str | None
    expression: str | None
    field_data: str
    match: re.Match[str] | None
    count: int


#: The dialplan's log lines: ``trace(function, line, text)`` (DEBUG, clean channel).
DialplanTrace = Callable[[str, int, str], None]


class _Hunt:
    __slots__ = ("actions", "created", "fields", "now", "run_inline", "trace", "trace_name", "tz_offset")

    def __init__(
        self,
        fields: FieldSource,
        run_inline: Callable[[str, str], None] | None,
        now: datetime,
        tz_offset: int | None,
        trace: DialplanTrace | None = None,
        trace_name: str = "",
    ) -> None:
        self.fields = fields
        self.run_inline = run_inline
        self.now = now
        self.tz_offset = tz_offset
        self.actions: list[Action] = []
        self.created = False
        self.trace = trace
        self.trace_name = trace_name

    def field_data(self, name: str) -> str:
        if "$" in name:
            return self.fields.expand(name)
        value = self.fields.field(name.lower())
        return "" if value is None else value

    def add(self, action: XmlAction, data: str, exten_name: str, anti: bool = False, space: str = "") -> None:
        self.created = True
        trace = self.trace
        if trace is not None:
            tail = "INLINE" if action.inline else ""
            if anti:
                trace("parse_exten", 500, f"{space}Dialplan: {self.trace_name} ANTI-Action {action.application}({data}) {tail}\n")
            else:
                for _ in range(action.loop):
                    trace("parse_exten", 566, f"{space}Dialplan: {self.trace_name} Action {action.application}({data}) {tail}\n")
        for _ in range(action.loop):
            if action.inline and self.run_inline is not None:
                self.run_inline(action.application, data)
            else:
                self.actions.append(Action(action.application, data, action.inline, exten_name))

    def time_match(self, spec: TimeSpec | None) -> int:
        return _time_match(spec, self.now, self.tz_offset)

    def parse(
        self,
        conditions: Iterable[Condition],
        name: str,
        recur: int,
        require_nested: str | None,
    ) -> int:
        """``parse_exten``: returns the final "proceed" (nonzero when the extension matched)."""
        if recur > MAX_RECURSION:
            return 0
        exten_name = f"{name}_recur_{recur}" if recur else name
        req_nest = True
        if recur and require_nested is not None:
            req_nest = switch_true(require_nested)
        proceed = 0
        for cond in conditions:
            time_match = self.time_match(cond.time)
            anti = True
            if time_match == 1:
                anti = False
                proceed = 1
            elif time_match == 0:
                proceed = 0
            if cond.regex_mode is not None:
                anti, proceed, capture = self.eval_regexes(cond, anti, proceed)
            else:
                expression = self.fields.expand(cond.expression)
                field_data = ""
                match: re.Match[str] | None = None
                if cond.field is not None:
                    field_data = self.field_data(cond.field)
                    match, proceed = regex_match(field_data, expression)
                    if proceed:
                        anti = False
                    if self.trace is not None:
                        self.trace(
                            "parse_exten", 419 if proceed else 430,
                            f"{_space(recur)}Dialplan: {self.trace_name} Regex ({'PASS' if proceed else 'FAIL'}) "
                            f"[{exten_name}] {cond.field}({field_data}) =~ /{expression}/ "
                            f"break={cond.break_mode.value}\n",
                        )  # fmt: skip
                elif time_match == -1:
                    anti = False
                    proceed = 1
                    if self.trace is not None:
                        self.trace(
                            "parse_exten", 442,
                            f"{_space(recur)}Dialplan: {self.trace_name} Absolute Condition [{exten_name}]\n",
                        )  # fmt: skip
                capture = _Capture(cond.field, expression, field_data, match, proceed)

            if anti:
                for action in cond.anti_actions:
                    self.add(action, action.data, exten_name, True, _space(recur))
                    proceed = 1
            else:
                substitute = (
                    capture.field is not None
                    and capture.expression is not None
                    and "(" in capture.expression
                )
                if substitute:
                    self.fields.set_variable("DP_MATCH", None)
                    value = _capture_value(capture.match, proceed)
                    if value is not None:
                        self.fields.set_variable("DP_MATCH", value)
                for action in cond.actions:
                    data = action.data
                    if substitute:
                        limit = (len(data) + len(capture.field_data) + 10) * proceed
                        data = perform_substitution(capture.match, data, limit)
                    self.add(action, data, exten_name, False, _space(recur))

            mode = cond.break_mode
            if (
                (not anti and mode is BreakMode.ON_TRUE)
                or (anti and mode is BreakMode.ON_FALSE)
                or mode is BreakMode.ALWAYS
            ):
                break
            if proceed and cond.conditions:
                proceed = self.parse(cond.conditions, name, recur + 1, cond.require_nested)
                if not proceed:
                    if mode is BreakMode.NEVER:
                        continue
                    break
        if not req_nest:
            proceed = 1
        return proceed

    def eval_regexes(self, cond: Condition, anti: bool, proceed: int) -> tuple[bool, int, _Capture]:
        mode = cond.regex_mode
        is_all, is_xor = mode is RegexMode.ALL, mode is RegexMode.XOR
        passed = failed = total = 0
        self.fields.delete_variable_prefix("DP_REGEX_MATCH")
        saved: _Capture | None = None
        last = _Capture(cond.field, None, "", None, 0)
        for rule in cond.regexes:
            rule_time = self.time_match(rule.time)
            expression = self.fields.expand(rule.expression)
            # FreeSWITCH drops an expanded expression before the actions see it.
            kept = expression if expression == rule.expression else None
            total += 1
            stop = False
            match: re.Match[str] | None = None
            field_data = ""
            if rule.field is not None:
                field_data = self.field_data(rule.field)
                match, proceed = regex_match(field_data, expression)
                if proceed:
                    passed += 1
                    stop = not is_all and not is_xor
                else:
                    failed += 1
                    stop = is_all and not is_xor
            elif rule_time in (-1, 1):
                passed += 1
                proceed = 1
                stop = not is_all and not is_xor
            else:
                failed += 1
                stop = is_all
            last = _Capture(rule.field, kept, field_data, match if stop else None, proceed)
            if stop:
                break
            if rule.field is not None and "(" in expression:
                var = f"DP_REGEX_MATCH_{total}"
                self.fields.set_variable(var, None)
                value = _capture_value(match, proceed)
                if value is not None:
                    self.fields.set_variable(var, value)
                saved = _Capture("", expression, field_data, match, proceed) if match else None
        if is_xor:
            if passed == 1:
                anti = False
        elif (is_all and not failed) or (not is_all and passed):
            anti = False
        if saved is not None:
            return anti, saved.count, saved
        return anti, proceed, last


class Dialplan:
    """A loaded XML dialplan: contexts of extensions, ready to hunt."""

    __slots__ = ("contexts", "preprocess_vars")

    def __init__(
        self, contexts: Mapping[str, Context], preprocess_vars: Mapping[str, str] | None = None
    ) -> None:
        self.contexts: dict[str, Context] = dict(contexts)
        # Variables from <X-PRE-PROCESS cmd="set">, for the caller to make global.
        self.preprocess_vars: dict[str, str] = dict(preprocess_vars or {})

    @classmethod
    def from_xml(cls, text: str, *, base_dir: str | Path | None = None) -> Dialplan:
        """Parse one XML document: ``<document>``, ``<section name="dialplan">``,
        ``<include>`` or ``<context>`` at the root. `base_dir` resolves relative
        ``X-PRE-PROCESS include`` paths (without it they include nothing)."""
        loader = _Loader(Path(base_dir) if base_dir is not None else None)
        loader.parse_text(text, "<string>", 0)
        return cls(loader.contexts, loader.preprocess_vars)

    @classmethod
    def load(cls, conf_dir: str | Path | None = None) -> Dialplan:
        """Load ``<conf_dir>/dialplan/*.xml`` in name order, or the built-in default dialplan
        when `conf_dir` is None. Raises `DialplanError` when the directory is missing or a
        file is not well-formed XML."""
        if conf_dir is None:
            return cls.default()
        base = Path(conf_dir)
        directory = base / "dialplan"
        if not directory.is_dir():
            raise DialplanError(f"{directory}: no such directory")
        loader = _Loader(base)
        for path in sorted(directory.glob("*.xml")):
            loader.parse_file(path, 0)
        return cls(loader.contexts, loader.preprocess_vars)

    @classmethod
    def default(cls) -> Dialplan:
        """The built-in dialplan: the reference switch's context "default", plus the contexts
        of ``data/contexts/*.xml`` (one file per context, as added to the reference build for
        the transcripts recorded from it)."""
        data = resources.files("eslkit.switch").joinpath("data")
        loader = _Loader(None)
        loader.parse_text(
            data.joinpath("default_dialplan.xml").read_text(encoding="utf-8"),
            "default_dialplan.xml",
            0,
        )
        contexts = data.joinpath("contexts")
        if contexts.is_dir():
            for item in sorted(contexts.iterdir(), key=lambda entry: entry.name):
                if item.name.endswith(".xml"):
                    loader.parse_text(item.read_text(encoding="utf-8"), item.name, 0)
        return cls(loader.contexts, loader.preprocess_vars)

    def hunt(
        self,
        context: str,
        fields: FieldSource,
        *,
        run_inline: Callable[[str, str], None] | None = None,
        now: datetime | None = None,
        trace: DialplanTrace | None = None,
        trace_name: str = "",
    ) -> list[Action] | None:
        """Hunt `context` (falling back to a context named "global") for `fields`' channel.

        Returns the actions of the matching extension(s) in order, with ``$N`` captures
        substituted and ``${...}`` left unexpanded, or None when no extension matched
        (FreeSWITCH then hangs up with NO_ROUTE_DESTINATION). Inline actions are passed to
        `run_inline(application, data)` as they are met and are not returned (without
        `run_inline` they are returned with ``inline=True``); an extension whose only actions
        ran inline gives an empty list. `now` (default: the current local time) drives the
        time conditions; the channel variables ``tod_tz_offset`` and ``timezone`` shift it.
        """
        ctx = self.contexts.get(context) or self.contexts.get("global")
        if ctx is None:
            return None
        current, tz_offset = _local_time(now, fields)
        hunt = _Hunt(fields, run_inline, current, tz_offset, trace, trace_name)
        extensions = list(ctx.extensions)
        if switch_true(fields.variable("auto_hunt")):
            destination = fields.field("destination_number")
            for index, ext in enumerate(extensions):
                if ext.name is not None and ext.name == destination:
                    extensions = extensions[index:]
                    break
        for ext in extensions:
            name = ext.name if ext.name is not None else "UNKNOWN"
            if trace is not None:
                trace(
                    "dialplan_hunt", 705,
                    f"Dialplan: {trace_name} parsing [{context}->{name}] continue={ext.continue_ or 'false'}\n",
                )  # fmt: skip
            proceed = hunt.parse(ext.conditions, name, 0, None)
            if proceed and not switch_true(ext.continue_):
                break
        return hunt.actions if hunt.created else None


def _space(recur: int) -> str:
    """The indentation of a nested condition's log lines: ``|``, then 4 characters per
    level, all ``-`` except a final blank."""
    if not recur:
        return ""
    return "|" + "-" * (4 * recur - 1) + " "


def _local_time(now: datetime | None, fields: FieldSource) -> tuple[datetime, int | None]:
    current = now if now is not None else datetime.now().astimezone()
    if current.tzinfo is None:
        current = current.astimezone()
    offset = fields.variable("tod_tz_offset")
    if offset and switch_true_number(offset):
        hours = c_atoi(offset)
        if -24 < hours < 24:
            return current.astimezone(timezone(timedelta(hours=hours))), hours
    zone = fields.variable("timezone")
    if zone:
        try:
            return current.astimezone(ZoneInfo(zone)), None
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return current, None
