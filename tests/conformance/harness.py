"""Replay FreeSWITCH's recorded event-socket transcripts against a server under test.

The transcripts and their rules are in ``tests/conformance/data/README.md``; this module
implements its "Replaying a case", "Frame parsing" and "Normalization rules" sections. It is
deliberately independent of eslkit: it has its own frame parser, because it judges eslkit.

Typical use::

    case = load_case("api_echo")
    await run_case(case, "127.0.0.1", 8021, outbound_port=None, stop_switch=None,
                   env=ServerEnv())

``run_case`` raises ``AssertionError`` with a readable diff on the first mismatch.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import re
import sys
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes

__all__ = [
    "CONFORMANCE_DIR",
    "Case",
    "CaseInfo",
    "Frame",
    "ServerEnv",
    "case_names",
    "compare_frame",
    "load_case",
    "load_index",
    "load_raw",
    "parse_event",
    "parse_frame",
    "run_case",
]

CONFORMANCE_DIR = Path(__file__).resolve().parent / "data"
RECORDED_PORT = 18084
BASE_TIMEOUT = 10.0  # seconds added to every recorded gap when waiting for frames

EVENT_CONTENT_TYPES = {
    "text/event-plain": "plain",
    "text/event-json": "json",
    "text/event-xml": "xml",
}

# --------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CaseInfo:
    """One entry of ``index.json``."""

    name: str
    mode: str
    needs_channels: bool
    long: bool
    description: str


@dataclass(frozen=True, slots=True)
class Case:
    """One transcript (``cases/NAME.json``), kept close to the file's own structure."""

    name: str
    mode: str
    steps: tuple[dict[str, Any], ...]
    setup: tuple[str, ...] = ()
    teardown: tuple[str, ...] = ()
    ignore_events: frozenset[str] = frozenset()
    listen_port: int | None = None
    restart_after: bool = False
    long: bool = False
    data: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


def load_index(directory: Path = CONFORMANCE_DIR) -> list[CaseInfo]:
    """Return the cases listed in ``index.json``, in file order."""
    items = json.loads((directory / "index.json").read_text(encoding="utf-8"))
    return [
        CaseInfo(
            name=i["name"],
            mode=i["mode"],
            needs_channels=bool(i["needs_channels"]),
            long=bool(i["long"]),
            description=i.get("description", ""),
        )
        for i in items
    ]


def case_names(
    needs_channels: bool | None = None,
    *,
    mode: str | None = None,
    long: bool | None = None,
    directory: Path = CONFORMANCE_DIR,
) -> list[str]:
    """Names of the cases matching every given filter (``None`` = any), sorted.

    ``shutdown_notice`` (it stops the server) sorts last, as the README asks.
    """
    names = [
        i.name
        for i in load_index(directory)
        if (needs_channels is None or i.needs_channels == needs_channels)
        and (mode is None or i.mode == mode)
        and (long is None or i.long == long)
    ]
    return sorted(names, key=lambda n: (n == "shutdown_notice", n))


def _case_file(directory: Path, name: str, suffix: str) -> Path:
    """``cases/NAME.SUFFIX`` (the first set's layout) or ``NAME.SUFFIX`` (``cases2/``, ...)."""
    nested = directory / "cases" / f"{name}.{suffix}"
    return nested if nested.exists() else directory / f"{name}.{suffix}"


def load_case(name: str, directory: Path = CONFORMANCE_DIR) -> Case:
    """Load ``cases/NAME.json``."""
    data = json.loads(_case_file(directory, name, "json").read_text(encoding="utf-8"))
    long = any(i.long for i in load_index(directory) if i.name == name)
    return Case(
        name=data["name"],
        mode=data["mode"],
        steps=tuple(data["steps"]),
        setup=tuple(data.get("setup", ())),
        teardown=tuple(data.get("teardown", ())),
        ignore_events=frozenset(data.get("ignore_events", ())),
        listen_port=data.get("listen_port"),
        restart_after=bool(data.get("restart_after", False)),
        long=long,
        data=data,
    )


def load_raw(name: str, directory: Path = CONFORMANCE_DIR) -> dict[str, Any]:
    """Load ``cases/NAME.raw`` (the recorded bytes per connection)."""
    raw: dict[str, Any] = json.loads(
        _case_file(directory, name, "raw").read_text(encoding="utf-8")
    )
    return raw


# --------------------------------------------------------------------------------------
# Frame parsing (README "Frame parsing")
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Frame:
    """One frame as received: outer headers in wire order and the body bytes."""

    headers: tuple[tuple[str, str], ...]
    body: bytes | None
    raw: bytes = b""

    def header(self, name: str) -> str | None:
        """First value of ``name`` (exact spelling), or ``None``."""
        for k, v in self.headers:
            if k == name:
                return v
        return None

    def describe(self) -> str:
        """A one-line summary for messages."""
        ct = self.header("Content-Type") or "?"
        extra = self.header("Reply-Text")
        if ct in EVENT_CONTENT_TYPES and self.body is not None:
            with contextlib.suppress(ValueError):
                extra = event_name(parse_event(EVENT_CONTENT_TYPES[ct], self.body))
        elif extra is None and self.body is not None:
            extra = _short(self.body.decode("utf-8", "replace"))
        return f"[{ct}{' ' + str(extra) if extra is not None else ''}]"


def _content_length(headers: Sequence[tuple[str, str]]) -> int:
    for k, v in headers:
        if k.lower() == "content-length":
            try:
                return int(v.replace(" ", ""))
            except ValueError:
                return 0
    return 0


def parse_frame(buf: bytes | bytearray) -> tuple[Frame, int] | None:
    """Parse one frame from the start of ``buf``; return it and its size, or ``None``."""
    end = buf.find(b"\n\n")
    if end < 0:
        return None
    head = bytes(buf[:end]).decode("utf-8", "surrogateescape")
    headers: list[tuple[str, str]] = []
    for line in head.split("\n"):
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        headers.append((name, value))
    length = _content_length(headers)
    start = end + 2
    if length <= 0:
        return Frame(tuple(headers), None, bytes(buf[:start])), start
    if len(buf) < start + length:
        return None
    return (
        Frame(tuple(headers), bytes(buf[start : start + length]), bytes(buf[: start + length])),
        start + length,
    )


def split_frames(data: bytes) -> tuple[list[tuple[Frame, int, int]], bytes]:
    """Split a whole byte stream into (frame, start, end) triples and trailing bytes."""
    out: list[tuple[Frame, int, int]] = []
    pos = 0
    while True:
        got = parse_frame(data[pos:])
        if got is None:
            return out, data[pos:]
        frame, size = got
        out.append((frame, pos, pos + size))
        pos += size


# --------------------------------------------------------------------------------------
# Events: parsed into "items" that keep the exact text as sent
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Item:
    """One event header: its name, its text exactly as sent, and the value regexes see."""

    name: str
    raw: str
    value: Any  # str (plain: URL-decoded; xml: as sent; json: decoded) or list for json


@dataclass(frozen=True, slots=True)
class Event:
    """A parsed event body. ``skeleton`` is the text around the items (json, xml)."""

    format: str
    items: tuple[Item, ...]
    body: str | None
    skeleton: tuple[str, ...] = ()
    raw: str = ""


def url_decode(text: str) -> str:
    """Decode %XX (and '+' as space, as FreeSWITCH's switch_url_decode does)."""
    return unquote_to_bytes(text.replace("+", " ")).decode("utf-8", "surrogateescape")


_URL_UNSAFE = set(' "#%&+:;<=>?@[\\]^`{|}\r\n')
_HEX_UPPER = "0123456789ABCDEF"


def fs_url_encode(value: str) -> str:
    """FreeSWITCH's URL encoder as used by plain events (a %XX in upper hex is kept)."""
    data = value.encode("utf-8", "surrogateescape")
    out: list[str] = []
    i = 0
    while i < len(data):
        b = data[i]
        c = chr(b)
        if (
            c == "%"
            and i + 2 < len(data)
            and chr(data[i + 1]) in _HEX_UPPER
            and chr(data[i + 2]) in _HEX_UPPER
        ):
            out.append(c)
        elif b < 0x20 or b > 0x7E or c in _URL_UNSAFE:
            out.append(f"%{b:02X}")
        else:
            out.append(c)
        i += 1
    return "".join(out)


def _parse_plain(text: str) -> Event:
    head, sep, rest = text.partition("\n\n")
    items: list[Item] = []
    for line in head.split("\n"):
        if not line:
            continue
        name, _, value = line.partition(": ")
        items.append(Item(name, value, url_decode(value)))
    body = rest if sep and rest else None
    return Event("plain", tuple(items), body, raw=text)


_JSON = json.JSONDecoder()


def _parse_json(text: str) -> Event:
    items: list[Item] = []
    skeleton: list[str] = []
    pos = 0
    ws = re.compile(r"[ \t\n\r]*")

    def skip(p: int) -> int:
        m = ws.match(text, p)
        assert m is not None
        return m.end()

    mark = pos
    pos = skip(pos)
    if pos >= len(text) or text[pos] != "{":
        raise ValueError("JSON event is not an object")
    pos = skip(pos + 1)
    if pos < len(text) and text[pos] == "}":
        pos += 1
    else:
        while True:
            if pos >= len(text) or text[pos] != '"':
                raise ValueError(f"JSON event: expected a key at {pos}")
            key, kend = json.decoder.scanstring(text, pos + 1)  # type: ignore[attr-defined]
            key_raw = text[pos:kend]
            p2 = skip(kend)
            if p2 >= len(text) or text[p2] != ":":
                raise ValueError(f"JSON event: expected ':' at {p2}")
            vstart = skip(p2 + 1)
            skeleton.append(text[mark:pos])
            skeleton.append(key_raw + text[kend:vstart])
            value, vend = _JSON.raw_decode(text, vstart)
            items.append(Item(key, text[vstart:vend], value))
            mark = vend
            pos = skip(vend)
            if pos < len(text) and text[pos] == ",":
                pos = skip(pos + 1)
                continue
            if pos < len(text) and text[pos] == "}":
                pos += 1
                break
            raise ValueError(f"JSON event: expected ',' or '}}' at {pos}")
    skeleton.append(text[mark:])
    if text[pos:].strip():
        raise ValueError("JSON event: trailing data")
    body: str | None = None
    for it in items:
        if it.name == "_body":
            body = it.value if isinstance(it.value, str) else json.dumps(it.value)
    return Event("json", tuple(items), body, tuple(skeleton), raw=text)


_XML_ELEMENT = re.compile(r"^(\s*)<([^<>/\s]+)>(.*)</\2>$")


def _parse_xml(text: str) -> Event:
    body: str | None = None
    tail = ""
    head = text
    b = text.find("<body>")
    if b >= 0:
        e = text.rfind("</body>")
        if e < b:
            raise ValueError("XML event: <body> without </body>")
        head, body, tail = text[:b], text[b + 6 : e], text[e:]
    items: list[Item] = []
    skeleton: list[str] = []
    in_headers = False
    for line in head.split("\n"):
        stripped = line.strip()
        if stripped == "<headers>":
            in_headers = True
        elif stripped == "</headers>":
            in_headers = False
        m = _XML_ELEMENT.match(line)
        if m:
            name = m.group(2)
            # Elements outside <headers> (the inner Content-Length) are items too; their
            # names are prefixed so they never collide with header names.
            items.append(Item(name if in_headers else f"<{name}>", m.group(3), m.group(3)))
            skeleton.append(f"{m.group(1)}<{name}>\x00</{name}>")
        else:
            skeleton.append(line)
    skeleton.append("<body>" if b >= 0 else "")
    skeleton.append(tail)
    return Event("xml", tuple(items), body, tuple(skeleton), raw=text)


def parse_event(fmt: str, body: bytes) -> Event:
    """Parse an event body of format ``plain``, ``json`` or ``xml``."""
    text = body.decode("utf-8", "surrogateescape")
    if fmt == "plain":
        return _parse_plain(text)
    if fmt == "json":
        return _parse_json(text)
    if fmt == "xml":
        return _parse_xml(text)
    raise ValueError(f"unknown event format {fmt!r}")


def event_name(ev: Event) -> str | None:
    """The event's Event-Name value, if any."""
    for it in ev.items:
        if it.name == "Event-Name":
            return it.value if isinstance(it.value, str) else None
    return None


def frame_event(frame: Frame) -> Event | None:
    """The parsed event of an event frame, ``None`` for other frames."""
    fmt = EVENT_CONTENT_TYPES.get(frame.header("Content-Type") or "")
    if fmt is None or frame.body is None:
        return None
    return parse_event(fmt, frame.body)


def event_header(frame: Frame, name: str) -> str | None:
    """First value of event header ``name`` (decoded for plain), or ``None``."""
    try:
        ev = frame_event(frame)
    except ValueError:
        return None
    if ev is None:
        return None
    for it in ev.items:
        if it.name == name and isinstance(it.value, str):
            return it.value
    return None


# --------------------------------------------------------------------------------------
# Normalization (README "Normalization rules")
# --------------------------------------------------------------------------------------

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_CHOSEN_UUID = re.compile(
    r"c0ffee00-0000-4000-8000-0000000000\d\d|b0b0b0b0-0000-4000-8000-0000000000\d\d"
    r"|00000000-0000-0000-0000-000000000000"
)
_MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
_DAYS = "Mon|Tue|Wed|Thu|Fri|Sat|Sun"
_SP = r"(?: |%20)"
_COLON = r"(?::|%3A)"
_COMMA = r"(?:,|%2C)"
_DATE_LOCAL = rf"\d{{4}}-\d{{2}}-\d{{2}}{_SP}\d{{2}}{_COLON}\d{{2}}{_COLON}\d{{2}}"
_DATE_GMT = (
    rf"(?:{_DAYS}){_COMMA}{_SP}\d{{1,2}}{_SP}(?:{_MONTHS}){_SP}\d{{4}}{_SP}"
    rf"\d{{2}}{_COLON}\d{{2}}{_COLON}\d{{2}}{_SP}GMT"
)
_UPTIME = _SP.join(
    rf"\d+{_SP}{unit}s?{_COMMA if unit != 'microsecond' else ''}"
    for unit in ("year", "day", "hour", "minute", "second", "millisecond", "microsecond")
)
_UUID_NAMES = frozenset(
    {
        "Core-UUID",
        "Event-UUID",
        "Job-UUID",
        "Unique-ID",
        "Channel-Call-UUID",
        "Caller-Unique-ID",
        "Channel-Unique-ID",
        "Controlled-Session-UUID",
        "Job-Owner-UUID",
        "Old-Unique-ID",
        "Application-UUID",
        "variable_uuid",
        "variable_call_uuid",
        "variable_other_loopback_leg_uuid",
    }
)
_DECIMAL_NAMES = frozenset(
    {
        "Event-Date-Timestamp",
        "Event-Sequence",
        "variable_session_id",
        "Uptime-msec",
        "Session-Count",
        "Session-Since-Startup",
        "Session-Peak-Max",
        "Session-Peak-FiveMin",
        "Session-Per-Sec-Last",
        "Session-Per-Sec-Max",
        "Session-Per-Sec-FiveMin",
        "Task-ID",
        "Task-Runtime",
        "variable_duration",
        "variable_mduration",
        "variable_uduration",
    }
)
_TIME_NAME = re.compile(r"(?:Caller|Channel|Other-Leg)-.*-Time")
_VAR_TIME_NAME = re.compile(r"variable_(?:.*_epoch|.*_uepoch|.*_stamp|.*sec|hold_accum_.*)")
ANY = re.compile(r"(?s).*")


#: Values computed from real audio, which the simulated switch does not have: mod_conference's
#: talking statistics and a member's current energy (docs/deviations.md). Any number matches.
MEDIA_DEPENDENT = frozenset(
    {
        "Current-Energy",
        "talking-gate-hits",
        "talking-total-packets",
        "talking-duration-ms",
        "talking-average-energy",
        "talking-delta-average",
        "talking-hit-on-percent",
        "talking-non-hit-ratio",
        "talking-hit-off-percent",
        "talking-hit-off-differential",
        # How many frames a session recording (record_session, uuid_record) of a simulated
        # channel captures depends on FreeSWITCH's media timing (docs/deviations.md).
        "variable_record_samples",
        "variable_record_seconds",
        "variable_record_ms",
        "variable_record_file_size",
    }
)


def _rule2_pattern(name: str) -> str | None:
    """The shape README rule 2 gives header ``name``, as regex source, or ``None``."""
    if name in _UUID_NAMES:
        return UUID
    if name in _DECIMAL_NAMES:
        return r"\d+"
    if name == "Event-Date-Local":
        return _DATE_LOCAL
    if name == "Event-Date-GMT":
        return _DATE_GMT
    if name == "Up-Time":
        return _UPTIME
    if name == "Idle-CPU":
        return r"\d+\.\d+"
    if _TIME_NAME.fullmatch(name):
        return r"\d+"
    if _VAR_TIME_NAME.fullmatch(name):
        return rf"\d+|{_DATE_LOCAL}"
    if name == "Reply-Text":
        return rf"\+OK(?: Job-UUID:)? {UUID}"
    if name in MEDIA_DEPENDENT:
        return r"-?\d+(?:\.\d+)?"
    return None


#: Samples of one 20 ms frame at 8 kHz (a loopback channel's rate).
_FRAME_SAMPLES = 160


def _one_frame_either_side(recorded: str) -> re.Pattern[str] | None:
    """``playback_last_offset_pos`` of a playback a client interrupted (``uuid_break``,
    ``uuid_kill`` after a pause counted from an event): FreeSWITCH's listener delivers the
    event at its next 20 ms poll, so how many frames the playback read before the client's
    command arrived depends on the phase of that poll against the session's frame timer,
    which eslkit does not simulate (docs/deviations.md, "No 20 ms poll"). One frame more or
    fewer is accepted."""
    if not recorded.isdigit() or int(recorded) % _FRAME_SAMPLES or not int(recorded):
        return None
    n = int(recorded)
    return re.compile(f"{n - _FRAME_SAMPLES}|{n}|{n + _FRAME_SAMPLES}")


#: Headers holding a transfer source: ``<epoch seconds>:<Core-UUID>:<what>:<uuid>``
#: (switch_ivr_session_transfer, switch_ivr_uuid_bridge).
_TRANSFER_SOURCE_NAMES = frozenset({"Caller-Transfer-Source", "variable_transfer_source"})
_TRANSFER_SOURCE = re.compile(rf"(\d+)(:|%3A)({UUID})(?=:|%3A)")


def _transfer_source(recorded: str) -> re.Pattern[str] | None:
    """A transfer source's time and switch instance are volatile by nature (a frame seen in
    only some runs was not annotated: recorded/bridge/uuid_bridge_states_kill_originatee);
    what follows them must match."""
    if not _TRANSFER_SOURCE.match(recorded):
        return None
    parts = []
    pos = 0
    for m in _TRANSFER_SOURCE.finditer(recorded):
        parts.append(re.escape(recorded[pos : m.start()]))
        parts.append(rf"\d+{re.escape(m.group(2))}{UUID}")
        pos = m.end()
    parts.append(re.escape(recorded[pos:]))
    return re.compile("".join(parts))


def rule2(name: str, recorded: str) -> re.Pattern[str] | None:
    """Rule 2 for a recorded value: its wildcard, unless the case chose the value."""
    if name == "variable_playback_last_offset_pos":
        return _one_frame_either_side(recorded)
    if name in _TRANSFER_SOURCE_NAMES:
        return _transfer_source(recorded)
    src = _rule2_pattern(name)
    if src is None or _CHOSEN_UUID.search(recorded):
        return None
    pat = re.compile(src)
    return pat if pat.fullmatch(recorded) else None


_MONTH_OR_DAY = re.compile(rf"(?<![A-Za-z])(?:({_MONTHS})|({_DAYS}))(?![a-z])")
_UNIT = re.compile(r"\b(year|day|hour|minute|second|millisecond|microsecond)s?\b")


def generalize(pattern: str) -> re.Pattern[str]:
    """Compile an annotation regex; accept any month/day name and either uptime number."""
    if pattern == "":
        return ANY
    src = _MONTH_OR_DAY.sub(lambda m: f"(?:{_MONTHS})" if m.group(1) else f"(?:{_DAYS})", pattern)
    src = _UNIT.sub(lambda m: f"{m.group(1)}s?", src)
    return re.compile(src, re.S)


def volatile_pattern(
    name: str, recorded: Any, annotations: dict[str, str]
) -> re.Pattern[str] | None:
    """The regex a value must match, or ``None`` if it must match exactly.

    An annotation that does not match this occurrence's recorded value was derived from
    another occurrence (duplicate headers), so rule 2 decides for this one.
    """
    if not isinstance(recorded, str):
        return None
    ann = annotations.get(name)
    if ann is not None:
        pat = generalize(ann)
        if pat.fullmatch(recorded):
            return pat
    return rule2(name, recorded)


# --------------------------------------------------------------------------------------
# Environment values (README "Environment values") and substitution
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ServerEnv:
    """Machine-specific values the server under test reports. Defaults: the recording's."""

    hostname: str = "vm"
    switchname: str = "vm"
    ipv4: str = "192.0.2.2"
    ipv6: str = "fd00::2"
    heartbeat_version: str = "1.11.3-dev~64bit"
    api_version: str = "FreeSWITCH Version 1.11.3-dev~64bit ( 64bit)\n"
    version_short: str = "1.11.3-dev\n"
    status_version_line: str = "FreeSWITCH (Version 1.11.3-dev  64bit) is ready"
    max_sessions: str = "20000"
    sessions_per_sec: str = "5000"


RECORDED_ENV = ServerEnv()


@dataclass(frozen=True, slots=True)
class _Subst:
    """How to turn recorded expectations into the server's: header values and bodies."""

    headers: dict[str, tuple[str, str]]  # header name -> (recorded, server)
    bodies: dict[str, dict[str, str]]  # command -> {recorded body: server body}
    texts: tuple[tuple[str, str], ...]  # substring replacements (port, status line)

    @property
    def empty(self) -> bool:
        return not self.headers and not self.bodies and not self.texts


def _make_subst(env: ServerEnv, port: int | None) -> _Subst:
    r, e = RECORDED_ENV, env
    headers = {
        name: (old, new)
        for name, old, new in (
            ("FreeSWITCH-Hostname", r.hostname, e.hostname),
            ("FreeSWITCH-Switchname", r.switchname, e.switchname),
            ("FreeSWITCH-IPv4", r.ipv4, e.ipv4),
            ("FreeSWITCH-IPv6", r.ipv6, e.ipv6),
            ("FreeSWITCH-Version", r.heartbeat_version, e.heartbeat_version),
            ("Max-Sessions", r.max_sessions, e.max_sessions),
            ("Session-Per-Sec", r.sessions_per_sec, e.sessions_per_sec),
        )
        if old != new
    }
    bodies: dict[str, dict[str, str]] = {}
    for cmd, old, new in (
        ("hostname", r.hostname, e.hostname),
        ("switchname", r.switchname, e.switchname),
        ("version", r.api_version, e.api_version),
        ("version short", r.version_short, e.version_short),
    ):
        if old != new:
            bodies.setdefault(cmd, {})[old] = new
    texts: list[tuple[str, str]] = []
    if r.status_version_line != e.status_version_line:
        texts.append((r.status_version_line, e.status_version_line))
    if port is not None and port != RECORDED_PORT:
        texts.append((str(RECORDED_PORT), str(port)))
    return _Subst(headers, bodies, tuple(texts))


def _xml_escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _sub_text(s: str, subst: _Subst) -> str:
    for old, new in subst.texts:
        s = s.replace(old, new)
    return s


def _sub_regex(s: str, subst: _Subst) -> str:
    for old, new in subst.texts:
        s = s.replace(re.escape(old), re.escape(new)).replace(old, new)
    return s


# --------------------------------------------------------------------------------------
# Expectations
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExpItem:
    """An expected event item: exact raw text, or a regex for the value."""

    name: str
    raw: str
    value: Any
    pattern: re.Pattern[str] | None


@dataclass(frozen=True, slots=True)
class ExpEvent:
    """An expected event."""

    format: str
    items: tuple[ExpItem, ...]
    body: str | None
    body_pattern: re.Pattern[str] | None
    skeleton: tuple[str, ...]
    length_consistency: bool  # inner Content-Length checked against the body


@dataclass(frozen=True, slots=True)
class ExpFrame:
    """An expected frame after normalization and substitution."""

    headers: tuple[tuple[str, str, re.Pattern[str] | None], ...]
    body: bytes | None
    body_pattern: re.Pattern[str] | None
    event: ExpEvent | None
    length_consistency: bool  # outer Content-Length checked against the body, not the number
    at: float
    source: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)

    def describe(self) -> str:
        """A one-line summary for messages."""
        ct = next((v for k, v, _ in self.headers if k == "Content-Type"), "?")
        extra: str | None = next((v for k, v, _ in self.headers if k == "Reply-Text"), None)
        if self.event is not None:
            extra = next((i.value for i in self.event.items if i.name == "Event-Name"), None)
        elif extra is None and self.body is not None:
            extra = _short(self.body.decode("utf-8", "replace"))
        return f"[{ct}{' ' + str(extra) if extra is not None else ''}]"


def _expected_event(
    fmt: str, body_text: str, vol: dict[str, Any], subst: _Subst, command: str | None
) -> ExpEvent:
    ev = parse_event(fmt, body_text.encode("utf-8", "surrogateescape"))
    ann: dict[str, str] = vol.get("event_headers", {})
    body_ann = vol.get("body")
    body_pattern = None if body_ann is None else generalize(_sub_regex(body_ann, subst))
    body = ev.body
    body_changed = False
    job_command = next((i.value for i in ev.items if i.name == "Job-Command"), None)
    cmd = job_command if isinstance(job_command, str) else command
    if body is not None and body_pattern is None and not subst.empty:
        new = _sub_text(body, subst)
        if cmd is not None:
            table = subst.bodies.get(cmd, {})
            # XML puts a body that ends in a newline before an indented </body>.
            cut = 2 if fmt == "xml" and new.endswith("\n  ") else 0
            core = new[: len(new) - cut]
            if fmt == "xml":
                table = {_xml_escape(k): _xml_escape(v) for k, v in table.items()}
            new = table.get(core, core) + new[len(new) - cut :]
        body_changed = new != body
        body = new
    items: list[ExpItem] = []
    for it in ev.items:
        name = it.name.strip("<>") if fmt == "xml" else it.name
        pat = volatile_pattern(name, it.value, ann)
        raw, value = it.raw, it.value
        if pat is None and isinstance(value, str) and not subst.empty:
            new = _sub_text(value, subst)
            hs = subst.headers.get(name)
            if hs is not None and value == (fs_url_encode(hs[0]) if fmt == "xml" else hs[0]):
                new = fs_url_encode(hs[1]) if fmt == "xml" else hs[1]
            if new != value:
                value = new
                raw = {
                    "plain": fs_url_encode(new),
                    "json": json.dumps(new, ensure_ascii=False),
                    "xml": new,
                }[fmt]
        elif pat is None and isinstance(value, list) and not subst.empty:
            # A JSON array (a repeated header, e.g. variable_DP_MATCH): the same
            # substitutions in each string, the raw text keeps FreeSWITCH's spelling.
            if any(_sub_text(v, subst) != v for v in value if isinstance(v, str)):
                value = [_sub_text(v, subst) if isinstance(v, str) else v for v in value]
                raw = _sub_text(raw, subst)
        if pat is not None:
            pat = re.compile(_sub_regex(pat.pattern, subst), pat.flags)
        items.append(ExpItem(it.name, raw, value, pat))
    consistency = body_pattern is not None or body_changed
    if consistency:
        items = [
            replace(i, pattern=re.compile(r"\d+"))
            if i.name in ("Content-Length", "<Content-Length>")
            else i
            for i in items
        ]
    if fmt == "json":  # the body is also the "_body" member
        items = [
            (
                replace(i, pattern=body_pattern)
                if body_pattern is not None
                else replace(i, value=body, raw=json.dumps(body, ensure_ascii=False))
                if body_changed
                else i
            )
            if i.name == "_body"
            else i
            for i in items
        ]
    return ExpEvent(fmt, tuple(items), body, body_pattern, ev.skeleton, consistency)


def _media_dependent_getvar(command: str | None) -> bool:
    """``uuid_getvar <uuid> <name>`` of a variable whose value depends on FreeSWITCH's
    media timing (the ``variable_*`` headers of :data:`MEDIA_DEPENDENT`): its number is
    compared as a number, as those headers are."""
    if command is None:
        return False
    words = command.split(" ")
    return (
        len(words) == 3
        and words[0] == "uuid_getvar"
        and "variable_" + words[2] in MEDIA_DEPENDENT
    )


def expected_frame(
    rec: dict[str, Any], env: ServerEnv, port: int | None, command: str | None
) -> ExpFrame:
    """Normalize a recorded frame into an expectation for a server with ``env``.

    ``command`` is the api/bgapi command that produced the frame, if known (it decides
    which environment value a bare body like ``vm`` stands for).
    """
    subst = _make_subst(env, port)
    vol: dict[str, Any] = rec.get("volatile", {})
    ann: dict[str, str] = vol.get("headers", {})
    recorded_body: str | None = rec.get("body")
    if "body_b64" in rec:
        recorded_body = base64.b64decode(rec["body_b64"]).decode("utf-8", "surrogateescape")
    event: ExpEvent | None = None
    body: bytes | None = None
    body_pattern: re.Pattern[str] | None = None
    content_type = next((v for k, v in rec["headers"] if k == "Content-Type"), "")
    fmt = EVENT_CONTENT_TYPES.get(content_type)
    body_changed = False
    if fmt is not None and recorded_body is not None:
        event = _expected_event(fmt, recorded_body, vol, subst, command)
        body_changed = event.length_consistency or any(i.pattern is not None for i in event.items)
    elif recorded_body is not None:
        if vol.get("body") is not None:
            body_pattern = generalize(_sub_regex(vol["body"], subst))
        elif _media_dependent_getvar(command) and re.fullmatch(r"\d+", recorded_body):
            body_pattern = re.compile(r"\d+")
        else:
            new = _sub_text(recorded_body, subst)
            if command is not None:
                new = subst.bodies.get(command, {}).get(new, new)
            body_changed = new != recorded_body
            body = new.encode("utf-8", "surrogateescape")
    headers: list[tuple[str, str, re.Pattern[str] | None]] = []
    consistency = body_pattern is not None or body_changed
    for name, value in rec["headers"]:
        pat = volatile_pattern(name, value, ann)
        if pat is not None:
            pat = re.compile(_sub_regex(pat.pattern, subst), pat.flags)
        elif not subst.empty:
            hs = subst.headers.get(name)
            # The outbound connect reply carries the event headers URL-encoded.
            if hs is not None and value in (hs[0], fs_url_encode(hs[0])):
                value = hs[1] if value == hs[0] else fs_url_encode(hs[1])
            value = _sub_text(value, subst)
        if name.lower() == "content-length" and (name in ann or consistency or event is not None):
            consistency = True
            pat = None
        headers.append((name, value, pat))
    return ExpFrame(
        tuple(headers), body, body_pattern, event, consistency, float(rec.get("at", 0.0)), rec
    )


# --------------------------------------------------------------------------------------
# Comparison
# --------------------------------------------------------------------------------------


def _short(s: str, n: int = 120) -> str:
    r = repr(s)
    return r if len(r) <= n else r[: n - 5] + "...'"


class Mismatch(AssertionError):
    """A frame differs from its expectation; ``str()`` is the explanation."""


def _check_value(what: str, pattern: re.Pattern[str] | None, exp: Any, got: Any) -> None:
    if pattern is not None:
        values = got if isinstance(got, list) else [got]
        if not all(isinstance(v, str) and pattern.fullmatch(v) for v in values):
            raise Mismatch(
                f"{what}: value {_short(str(got))} does not match /{pattern.pattern}/"
                f" (recorded {_short(str(exp))})"
            )
    elif exp != got:
        raise Mismatch(f"{what}: expected {_short(str(exp))}, got {_short(str(got))}")


def _compare_event(exp: ExpEvent, got: Event) -> None:
    exp_names = [i.name for i in exp.items]
    got_names = [i.name for i in got.items]
    if exp_names != got_names:
        raise Mismatch(
            f"event ({exp.format}) header names differ:\n" + _list_diff(exp_names, got_names)
        )
    if exp.format in ("json", "xml") and exp.skeleton != got.skeleton:
        raise Mismatch(
            f"event ({exp.format}) layout differs outside the values:\n"
            + _list_diff(list(exp.skeleton), list(got.skeleton))
        )
    body_len = len((got.body or "").encode("utf-8", "surrogateescape"))
    for idx, (e, g) in enumerate(zip(exp.items, got.items, strict=True)):
        what = f"event header #{idx} {e.name!r}"
        if e.name in ("Content-Length", "<Content-Length>") and exp.length_consistency:
            if exp.format != "xml" and g.value != str(body_len):
                raise Mismatch(
                    f"{what}: {g.value!r} is not the length of the event body ({body_len})"
                )
        if e.pattern is None:
            _check_value(what + " (raw text)", None, e.raw, g.raw)
            continue
        _check_value(what, e.pattern, e.value, g.value)
        if exp.format == "plain" and fs_url_encode(g.value) != g.raw:
            raise Mismatch(
                f"{what}: raw text {_short(g.raw)} is not FreeSWITCH's URL encoding "
                f"of {_short(g.value)} ({_short(fs_url_encode(g.value))})"
            )
        if exp.format == "json" and json.loads(g.raw) != g.value:  # pragma: no cover
            raise Mismatch(f"{what}: unparsable JSON value {_short(g.raw)}")
    if exp.body_pattern is not None:
        if got.body is None or not exp.body_pattern.fullmatch(got.body):
            raise Mismatch(
                f"event body {_short(str(got.body))} does not match /{exp.body_pattern.pattern}/"
            )
    elif exp.body != got.body:
        raise Mismatch(
            f"event body differs: expected {_short(str(exp.body))}, got {_short(str(got.body))}"
        )


def _list_diff(exp: Sequence[str], got: Sequence[str]) -> str:
    lines = []
    for i in range(max(len(exp), len(got))):
        e = exp[i] if i < len(exp) else "<missing>"
        g = got[i] if i < len(got) else "<missing>"
        if e != g:
            lines.append(f"    #{i}: expected {_short(e, 80)}, got {_short(g, 80)}")
            if len(lines) >= 5:
                lines.append("    ...")
                break
    lines.append(f"    expected {len(exp)} entries, got {len(got)}")
    return "\n".join(lines)


def compare_frame(exp: ExpFrame, got: Frame) -> None:
    """Raise ``Mismatch`` if ``got`` differs from ``exp`` beyond what is volatile."""
    exp_names = [h[0] for h in exp.headers]
    got_names = [h[0] for h in got.headers]
    if exp_names != got_names:
        raise Mismatch("outer header names differ:\n" + _list_diff(exp_names, got_names))
    body_len = len(got.body or b"")
    for idx, ((name, value, pat), (_, gv)) in enumerate(zip(exp.headers, got.headers, strict=True)):
        what = f"header #{idx} {name!r}"
        if name.lower() == "content-length" and exp.length_consistency:
            if gv != str(body_len):
                raise Mismatch(f"{what}: {gv!r} is not the length of the body ({body_len})")
            continue
        _check_value(what, pat, value, gv)
    if exp.event is not None:
        if got.body is None:
            raise Mismatch("expected an event body, got no body")
        try:
            ev = parse_event(exp.event.format, got.body)
        except ValueError as exc:
            raise Mismatch(f"event body does not parse as {exp.event.format}: {exc}") from None
        _compare_event(exp.event, ev)
    elif exp.body_pattern is not None:
        text = None if got.body is None else got.body.decode("utf-8", "surrogateescape")
        if text is None or not exp.body_pattern.fullmatch(text):
            raise Mismatch(f"body {_short(str(text))} does not match /{exp.body_pattern.pattern}/")
    elif exp.body != got.body:
        e = None if exp.body is None else exp.body.decode("utf-8", "replace")
        g = None if got.body is None else got.body.decode("utf-8", "replace")
        raise Mismatch(f"body differs: expected {_short(str(e))}, got {_short(str(g))}")


def frames_match(exp: ExpFrame, got: Frame) -> bool:
    """True if ``got`` satisfies ``exp``."""
    try:
        compare_frame(exp, got)
    except Mismatch:
        return False
    return True


# --------------------------------------------------------------------------------------
# Connections with timestamped input
# --------------------------------------------------------------------------------------


class ConnectionClosed(AssertionError):
    """The server closed the connection while a frame was expected."""


class _Protocol(asyncio.Protocol):
    """Collects received chunks with their arrival time (monotonic)."""

    def __init__(self, limit_bytes: int) -> None:
        self.chunks: list[tuple[float, bytes]] = []
        self.eof_at: float | None = None
        self.limit = limit_bytes
        self.size = 0
        self.changed = asyncio.Event()
        self.transport: asyncio.Transport | None = None
        self.connected = asyncio.Event()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.connected.set()

    def data_received(self, data: bytes) -> None:
        self.chunks.append((time.monotonic(), data))
        self.size += len(data)
        if self.size > self.limit and self.transport is not None:
            self.transport.pause_reading()  # bounded: the reader is not keeping up
        self.changed.set()

    def eof_received(self) -> bool | None:
        if self.eof_at is None:
            self.eof_at = time.monotonic()
        self.changed.set()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        if self.eof_at is None:
            self.eof_at = time.monotonic()
        self.changed.set()


class Conn:
    """One client-side connection of a case, with a frame reader over timestamped input."""

    def __init__(self, name: str, proto: _Protocol, t0: float) -> None:
        self.name = name
        self.proto = proto
        self.t0 = t0
        self.buf = bytearray()
        self.next_chunk = 0
        self.last_byte: float = time.monotonic()
        self.frames_read = 0
        self.eof_seen = False

    def rel(self, t: float) -> float:
        """Seconds since the case started."""
        return t - self.t0

    def write(self, data: bytes) -> None:
        """Send bytes."""
        assert self.proto.transport is not None
        self.proto.transport.write(data)

    def close(self) -> None:
        """Close the socket (client-side close)."""
        if self.proto.transport is not None:
            self.proto.transport.close()

    def _consume(self) -> bool:
        """Move the next received chunk into the parse buffer; False if none."""
        p = self.proto
        if self.next_chunk < len(p.chunks):
            t, data = p.chunks[self.next_chunk]
            self.next_chunk += 1
            self.buf += data
            p.size -= len(data)
            self.last_byte = t
            if p.transport is not None and p.size <= p.limit:
                with contextlib.suppress(RuntimeError):
                    p.transport.resume_reading()
            return True
        return False

    def _pending_time(self) -> float | None:
        p = self.proto
        if self.next_chunk < len(p.chunks):
            return p.chunks[self.next_chunk][0]
        if p.eof_at is not None and not self.eof_seen:
            return p.eof_at
        return None

    def _take_frame(self) -> tuple[Frame, float] | None:
        got = parse_frame(self.buf)
        if got is None:
            return None
        frame, size = got
        del self.buf[:size]
        return frame, self.last_byte

    async def _wait(self, deadline: float) -> bool:
        """Wait for new input until ``deadline``; False on timeout."""
        p = self.proto
        p.changed.clear()
        if self._pending_time() is not None:
            return True
        timeout = deadline - time.monotonic()
        if timeout <= 0:
            return False
        try:
            await asyncio.wait_for(p.changed.wait(), timeout)
        except TimeoutError:
            return self._pending_time() is not None
        return True

    async def read_frame(
        self, deadline: float, skip: Callable[[Frame], bool]
    ) -> tuple[Frame, float]:
        """The next frame not skipped, with the time its last byte arrived."""
        while True:
            got = self._take_frame()
            if got is not None:
                if skip(got[0]):
                    continue
                self.frames_read += 1
                return got
            if self._consume():
                continue
            if self.proto.eof_at is not None and self.next_chunk >= len(self.proto.chunks):
                self.eof_seen = True
                raise ConnectionClosed(
                    "the server closed the connection"
                    + (
                        f"; {len(self.buf)} bytes of an incomplete frame: "
                        f"{_short(bytes(self.buf).decode('utf-8', 'replace'))}"
                        if self.buf
                        else ""
                    )
                )
            if not await self._wait(deadline):
                raise TimeoutError

    async def quiet(self, seconds: float, skip: Callable[[Frame], bool]) -> Frame | None:
        """README "Quiet time, precisely": return a frame that broke the silence, or None.

        The silence counts from the last byte received on this connection; input that
        arrived after it had been silent for ``seconds`` belongs to later blocks.
        """
        while True:
            got = self._take_frame()
            if got is not None:
                if skip(got[0]):
                    continue
                return got[0]
            pending = self._pending_time()
            if pending is not None:
                if pending - self.last_byte >= seconds:
                    return None
                if not self._consume():
                    return None  # only EOF is pending: nothing more can arrive
                continue
            if not await self._wait(self.last_byte + seconds):
                return None

    async def expect_eof(self, deadline: float) -> None:
        """Wait for EOF; fail on any byte left over or arriving."""
        while True:
            if self._consume():
                continue
            if self.buf:
                frame = self._take_frame()
                raise Mismatch(
                    "expected the connection to close, got "
                    + (
                        frame[0].describe()
                        if frame
                        else f"{len(self.buf)} trailing bytes {_short(bytes(self.buf).decode('utf-8', 'replace'))}"
                    )
                )
            if self.proto.eof_at is not None:
                self.eof_seen = True
                return
            if not await self._wait(deadline):
                raise TimeoutError


# --------------------------------------------------------------------------------------
# Timing sanity bounds (README "Timing"): lower bounds only, lenient
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bound:
    """``to`` happened at least ``seconds`` (divided by time_scale) after ``frm``.

    A reference is (step index, frame index): the send/accept time for a send or accept
    step (frame index ignored), the completion time of that frame for an expect step.
    ``seconds == 0`` with ``strict`` means "strictly before" (``frm`` earlier than ``to``).
    """

    frm: tuple[int, int]
    to: tuple[int, int]
    seconds: float
    what: str


TIMING_BOUNDS: dict[str, tuple[Bound, ...]] = {
    "api_msleep": (Bound((4, 0), (5, 0), 0.25, "msleep 300 reply"),),
    "api_blocking_other_connection": (
        Bound((8, 0), (12, 0), 1.2, "msleep 1500 reply"),
        Bound((11, 0), (12, 0), 0.0, "b's echo before a's msleep reply"),
    ),
    "bgapi_exit_waits_for_job": (Bound((7, 0), (8, 0), 1.2, "notice after the job"),),
    "api_originate_errors": (Bound((8, 0), (9, 0), 0.8, "NO_ANSWER"),),
    "auth_timeout": (Bound((1, 0), (2, 0), 20.0, "auth timeout"),),
    "out_connect_timeout": (Bound((6, 0), (7, 0), 20.0, "first-packet timeout"),),
    "myevents_uuid_linger": (Bound((28, 0), (31, 0), 0.8, "linger 1 goodbye"),),
    "out_sendmsg_sync_timing": (Bound((13, 0), (14, 0), 0.8, "sync sendmsg sleep"),),
}


# --------------------------------------------------------------------------------------
# Running a case
# --------------------------------------------------------------------------------------


class _Runner:
    """State of one replay."""

    def __init__(
        self,
        case: Case,
        host: str,
        port: int,
        outbound_port: int | None,
        stop_switch: Callable[[], Awaitable[None]] | None,
        env: ServerEnv,
        time_scale: float,
        base_timeout: float,
        max_buffer: int,
    ) -> None:
        self.case = case
        self.host = host
        self.port = port
        self.outbound_port = outbound_port
        self.stop_switch = stop_switch
        self.env = env
        self.time_scale = time_scale
        self.base_timeout = base_timeout
        self.max_buffer = max_buffer
        self.conns: dict[str, Conn] = {}
        self.captured: dict[str, str] = {}
        self.times: dict[tuple[int, int], float] = {}
        self.last_command: dict[str, str | None] = {}
        self.t0 = time.monotonic()
        self.server: asyncio.Server | None = None
        self.accepted: asyncio.Queue[_Protocol] = asyncio.Queue(maxsize=8)
        self.recorded_now = 0.0  # the recording's case time at the current step
        self.step_index = -1

    # -- helpers -----------------------------------------------------------------------

    def where(self, conn: str | None = None, frame: int | None = None) -> str:
        """Location prefix for messages."""
        s = f"case {self.case.name!r}, step {self.step_index}"
        if conn is not None:
            s += f", conn {conn!r}"
        if frame is not None:
            s += f", frame {frame}"
        return s

    def skip_for(self, block: dict[str, Any]) -> Callable[[Frame], bool]:
        """Frames to skip: noise events named by ignore_events (README "Noise")."""
        names = set(self.case.ignore_events)
        for fr in block.get("ignored", ()):
            for k, v in fr["headers"]:
                if k == "Event-Name":
                    names.add(v)
            ev = fr.get("event") or {}
            for k, v in ev.get("headers", ()):
                if k == "Event-Name":
                    names.add(v)
        if not names:
            return lambda f: False

        def skip(frame: Frame) -> bool:
            if (frame.header("Content-Type") or "") not in EVENT_CONTENT_TYPES:
                return False
            return event_header(frame, "Event-Name") in names

        return skip

    def deadline_for(self, block_at: float) -> float:
        gap = max(0.0, block_at - self.recorded_now)
        return time.monotonic() + self.base_timeout + 1.5 * gap

    def expected(self, conn: str, rec: dict[str, Any]) -> ExpFrame:
        return expected_frame(
            rec,
            self.env,
            self.outbound_port if self.case.mode == "outbound" else None,
            self.last_command.get(conn),
        )

    def substitute(self, text: str) -> str:
        if "{{port}}" in text:
            if self.outbound_port is None:
                raise AssertionError(f"{self.where()}: {{{{port}}}} needs outbound_port")
            text = text.replace("{{port}}", str(self.outbound_port))
        def captured(match: re.Match[str]) -> str:
            var = match.group(1)
            if var not in self.captured:
                raise AssertionError(f"{self.where()}: {{{{{var}}}}} used before capture")
            return self.captured[var]

        return re.sub(r"\{\{(\w+)\}\}", captured, text)

    def _note_command(self, conn: str, data: bytes) -> None:
        line = data.split(b"\n", 1)[0].decode("utf-8", "replace").strip()
        words = line.split(None, 1)
        if words and words[0].lower() in ("api", "bgapi") and len(words) > 1:
            self.last_command[conn] = " ".join(words[1].split())
        else:
            self.last_command[conn] = None

    # -- steps -------------------------------------------------------------------------

    async def connect(self, name: str) -> None:
        loop = asyncio.get_running_loop()
        proto = _Protocol(self.max_buffer)
        try:
            await asyncio.wait_for(
                loop.create_connection(lambda: proto, self.host, self.port),
                self.base_timeout,
            )
        except (OSError, TimeoutError) as exc:
            raise AssertionError(
                f"{self.where(name)}: cannot connect to {self.host}:{self.port}: {exc!r}"
            ) from None
        self.conns[name] = Conn(name, proto, self.t0)

    async def accept(self, name: str, block_at: float) -> None:
        try:
            proto = await asyncio.wait_for(
                self.accepted.get(), self.base_timeout + 1.5 * max(0.0, block_at)
            )
        except TimeoutError:
            raise AssertionError(
                f"{self.where(name)}: the server did not connect to the outbound port "
                f"{self.outbound_port}"
            ) from None
        self.conns[name] = Conn(name, proto, self.t0)

    async def expect(self, idx: int, step: dict[str, Any]) -> None:
        name = step["conn"]
        conn = self._conn(name)
        recs: list[dict[str, Any]] = step["expect"]
        exps = [self.expected(name, r) for r in recs]
        skip = self.skip_for(step)
        block_at = max((e.at for e in exps), default=self.recorded_now)
        deadline = self.deadline_for(block_at)
        got: list[tuple[Frame, float]] = []

        async def read(i: int) -> tuple[Frame, float]:
            try:
                return await conn.read_frame(deadline, skip)
            except TimeoutError:
                raise AssertionError(
                    f"{self.where(name, i)}: timed out waiting for "
                    f"{exps[i].describe() if i < len(exps) else 'a frame'}"
                    f" ({len(got)} of {len(exps)} frames of this block received"
                    + (f", last {got[-1][0].describe()}" if got else "")
                    + ")"
                ) from None
            except ConnectionClosed as exc:
                raise AssertionError(
                    f"{self.where(name, i)}: expected "
                    f"{exps[i].describe() if i < len(exps) else 'a frame'}, but {exc}"
                ) from None

        if step.get("optional_prefix"):
            final = exps[-1]
            for i in range(len(exps)):
                frame, t = await read(i)
                got.append((frame, t))
                if frames_match(final, frame):
                    break
                if i == len(exps) - 1:
                    self._fail(name, i, final, frame, "the required final frame")
                self._check(name, i, exps[i], frame, " (optional prefix)")
        elif step.get("unordered"):
            for i in range(len(exps)):
                got.append(await read(i))
            self._match_unordered(name, exps, [f for f, _ in got], step.get("order_key"))
        else:
            for i in range(len(exps)):
                frame, t = await read(i)
                got.append((frame, t))
                self._check(name, i, exps[i], frame, "", recs[i])
        for i, (_, t) in enumerate(got):
            self.times[(idx, i)] = t
        if "capture" in step:
            self._capture(name, step["capture"], [f for f, _ in got])
        self.recorded_now = max(self.recorded_now, block_at)
        quiet = step.get("quiet")
        if quiet is not None:
            extra = await conn.quiet(float(quiet), skip)
            if extra is not None:
                raise AssertionError(
                    f"{self.where(name, len(got))}: expected no further frame for "
                    f"{quiet} s after the last byte, got {extra.describe()}"
                    f"\n    {_short(extra.raw.decode('utf-8', 'replace'), 300)}"
                )

    def _check(
        self, conn: str, i: int, exp: ExpFrame, got: Frame, note: str, rec: dict[str, Any] | None = None
    ) -> None:
        try:
            compare_frame(exp, got)
        except Mismatch as exc:
            # A frame FreeSWITCH gave in another form in some runs (a race between two of
            # its threads) lists those forms, as recorded, under "alternatives".
            for alt in (rec or {}).get("alternatives") or []:
                if frames_match(self.expected(conn, alt), got):
                    return
            self._fail(conn, i, exp, got, f"{exp.describe()}{note}", exc)

    def _fail(
        self,
        conn: str,
        i: int,
        exp: ExpFrame,
        got: Frame,
        what: str,
        exc: Exception | None = None,
    ) -> None:
        detail = f"\n    {exc}" if exc is not None else ""
        raise AssertionError(
            f"{self.where(conn, i)}: expected {what}, got {got.describe()}{detail}"
            f"\n    received: {_short(got.raw.decode('utf-8', 'replace'), 400)}"
        )

    def _match_unordered(
        self, conn: str, exps: list[ExpFrame], got: list[Frame], key: str | None
    ) -> None:
        def key_of_exp(e: ExpFrame) -> str | None:
            if key is None or e.event is None:
                return None
            v = next((i.value for i in e.event.items if i.name == key), None)
            return v if isinstance(v, str) else None

        def key_of_got(f: Frame) -> str | None:
            return None if key is None else event_header(f, key)

        groups_e: dict[str | None, list[int]] = {}
        groups_g: dict[str | None, list[int]] = {}
        for i, e in enumerate(exps):
            groups_e.setdefault(key_of_exp(e), []).append(i)
        for i, f in enumerate(got):
            groups_g.setdefault(key_of_got(f), []).append(i)
        for k in sorted(set(groups_e) | set(groups_g), key=lambda x: (x is not None, x or "")):
            ei, gi = groups_e.get(k, []), groups_g.get(k, [])
            label = f"{key}={k!r}" if k is not None else "frames without the order key"
            if len(ei) != len(gi):
                raise AssertionError(
                    f"{self.where(conn)}: unordered block, {label}: expected {len(ei)} "
                    f"frames {[exps[i].describe() for i in ei]}, got {len(gi)} "
                    f"{[got[i].describe() for i in gi]}"
                )
            if k is not None:
                for a, b in zip(ei, gi, strict=True):
                    self._check(conn, b, exps[a], got[b], f" (#{a} of the block, {label})")
            else:
                free = list(gi)
                for a in ei:
                    hit = next((b for b in free if frames_match(exps[a], got[b])), None)
                    if hit is None:
                        b = free[0]
                        self._check(conn, b, exps[a], got[b], f" (#{a}, any position)")
                        raise AssertionError(  # pragma: no cover - _check raised
                            f"{self.where(conn)}: no frame matches {exps[a].describe()}"
                        )
                    free.remove(hit)

    def _capture(self, conn: str, spec: dict[str, str], frames: list[Frame]) -> None:
        for var, header in spec.items():
            for f in frames:
                v = f.header(header)
                if v is not None:
                    self.captured[var] = url_decode(v)
                    break
                v = event_header(f, header)
                if v is not None:
                    self.captured[var] = v
                    break
            else:
                raise AssertionError(
                    f"{self.where(conn)}: no frame of the block has {header!r} to capture"
                )

    def _conn(self, name: str) -> Conn:
        try:
            return self.conns[name]
        except KeyError:
            raise AssertionError(f"{self.where(name)}: connection not open") from None

    def check_timing(self) -> None:
        for b in TIMING_BOUNDS.get(self.case.name, ()):
            t1, t2 = self.times.get(b.frm), self.times.get(b.to)
            if t1 is None or t2 is None:
                continue
            need = b.seconds / self.time_scale
            if (b.seconds == 0 and not t1 < t2) or (b.seconds > 0 and t2 - t1 < need):
                raise AssertionError(
                    f"case {self.case.name!r}: timing of {b.what}: {t2 - t1:.3f} s between "
                    f"step {b.frm[0]} and step {b.to[0]} frame {b.to[1]}, expected at "
                    f"least {need:.3f} s"
                )

    # -- main loop ---------------------------------------------------------------------

    async def run(self) -> None:
        if self.case.mode == "outbound":
            if self.outbound_port is None:
                raise AssertionError(f"case {self.case.name!r} is outbound: pass outbound_port")
            loop = asyncio.get_running_loop()

            def factory() -> _Protocol:
                proto = _Protocol(self.max_buffer)
                with contextlib.suppress(asyncio.QueueFull):
                    self.accepted.put_nowait(proto)
                return proto

            self.server = await loop.create_server(factory, "127.0.0.1", self.outbound_port)
        try:
            for idx, step in enumerate(self.case.steps):
                self.step_index = idx
                await self.run_step(idx, step)
            self.check_timing()
        finally:
            for c in self.conns.values():
                c.close()
            if self.server is not None:
                self.server.close()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.server.wait_closed(), 2.0)

    async def run_step(self, idx: int, step: dict[str, Any]) -> None:
        name = step.get("conn")
        if step.get("connect"):
            assert name is not None
            await self.connect(name)
            self.times[(idx, 0)] = time.monotonic()
        elif step.get("accept"):
            assert name is not None
            nxt = self._next_at(idx)
            await self.accept(name, max(0.0, nxt - self.recorded_now))
            self.times[(idx, 0)] = time.monotonic()
        elif "send" in step or "send_b64" in step:
            assert name is not None
            if "send" in step:
                data = self.substitute(step["send"]).encode("utf-8")
            else:
                data = base64.b64decode(step["send_b64"])
            self._note_command(name, data)
            self._conn(name).write(data)
            self.times[(idx, 0)] = time.monotonic()
        elif step.get("close"):
            assert name is not None
            self._conn(name).close()
        elif "sleep" in step:
            await asyncio.sleep(float(step["sleep"]))
            self.recorded_now += float(step["sleep"])
        elif "external" in step:
            if step["external"] != "stop_switch":
                raise AssertionError(f"{self.where()}: unknown external {step['external']!r}")
            if self.stop_switch is None:
                raise AssertionError(f"{self.where()}: this case needs stop_switch")
            await asyncio.wait_for(self.stop_switch(), self.base_timeout * 3)
        elif "expect" in step:
            await self.expect(idx, step)
        elif step.get("expect_closed"):
            assert name is not None
            conn = self._conn(name)
            try:
                await conn.expect_eof(self.deadline_for(self._next_at(idx)))
            except TimeoutError:
                raise AssertionError(
                    f"{self.where(name)}: the server did not close the connection"
                ) from None
            except Mismatch as exc:
                raise AssertionError(f"{self.where(name)}: {exc}") from None
        else:
            raise AssertionError(f"{self.where()}: unknown step {step!r}")

    def _next_at(self, idx: int) -> float:
        """Recorded time of the next frame after step ``idx`` (for timeouts)."""
        for step in self.case.steps[idx + 1 :]:
            for fr in step.get("expect", ()):
                return float(fr.get("at", 0.0))
        return self.recorded_now


async def run_case(
    case: Case,
    host: str,
    port: int,
    *,
    outbound_port: int | None,
    stop_switch: Callable[[], Awaitable[None]] | None,
    env: ServerEnv = RECORDED_ENV,
    time_scale: float = 1.0,
    base_timeout: float = BASE_TIMEOUT,
    max_buffer: int = 64 * 1024 * 1024,
) -> None:
    """Replay ``case`` against the server at ``host:port``; raise AssertionError on a mismatch.

    ``outbound_port``: where to listen for the server's outbound connection (outbound cases).
    ``stop_switch``: awaited at ``external: stop_switch`` steps. ``time_scale``: how much
    faster than FreeSWITCH the server's timers run (divides the timing lower bounds).
    ``base_timeout`` is added to each recorded gap when waiting for a frame.
    """
    runner = _Runner(
        case, host, port, outbound_port, stop_switch, env, time_scale, base_timeout, max_buffer
    )
    await runner.run()


# --------------------------------------------------------------------------------------
# CLI: run cases against any server, e.g. a real FreeSWITCH
# --------------------------------------------------------------------------------------


async def _cli(args: argparse.Namespace) -> int:
    names: list[str] = args.cases or case_names(needs_channels=None if args.channels else False)
    env = ServerEnv(**{k: v for k, v in json.loads(args.env).items()}) if args.env else ServerEnv()
    failures = 0
    for name in names:
        case = load_case(name)
        if case.mode == "outbound" and args.outbound_port is None:
            print(f"SKIP {name}: outbound case, give --outbound-port")
            continue
        if any(s.get("external") for s in case.steps):
            print(f"SKIP {name}: needs stop_switch")
            continue
        start = time.monotonic()
        try:
            await run_case(
                case,
                args.host,
                args.port,
                outbound_port=args.outbound_port,
                stop_switch=None,
                env=env,
                time_scale=args.time_scale,
            )
        except AssertionError as exc:
            failures += 1
            print(f"FAIL {name} ({time.monotonic() - start:.2f} s)\n  {exc}")
            continue
        print(f"ok   {name} ({time.monotonic() - start:.2f} s)")
    return 1 if failures else 0


def main(argv: Iterable[str] | None = None) -> int:
    """Command line: ``python -m tests.conformance.harness --port 8021 CASE ...``."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8021)
    p.add_argument(
        "--outbound-port",
        type=int,
        default=None,
        help="port to listen on for outbound cases (the dialplan's socket target)",
    )
    p.add_argument("--time-scale", type=float, default=1.0)
    p.add_argument(
        "--channels",
        action="store_true",
        help="with no CASE: also run the cases that need channels",
    )
    p.add_argument(
        "--env", default=None, help='JSON object of ServerEnv fields, e.g. \'{"hostname": "fs1"}\''
    )
    p.add_argument("cases", nargs="*", help="case names (default: all channel-free cases)")
    args = p.parse_args(list(argv) if argv is not None else None)
    return asyncio.run(_cli(args))


if __name__ == "__main__":
    sys.exit(main())
