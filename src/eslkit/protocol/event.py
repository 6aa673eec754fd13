"""The FreeSWITCH event: ordered headers, optional body, and its three wire formats.

An :class:`Event` holds its headers in order, duplicates allowed; lookups are
case-insensitive and return the first match, as ``switch_event_get_header`` does. Header
values are always ``str``; an array header is kept the way FreeSWITCH writes it in plain
format, ``ARRAY::a|:b`` (see :meth:`Event.get_array`).

Serialization reproduces FreeSWITCH byte for byte:

- plain: ``switch_event_serialize`` with URL encoding (:mod:`eslkit.protocol.urlcode`);
- JSON: ``switch_event_serialize_json`` (cJSON ``PrintUnformatted``): key order kept,
  duplicate keys kept, ``Content-Length``/``_body`` appended when a body is present;
- XML: ``switch_event_xmlize`` + ``switch_xml_toxml``: two-space layout, URL-encoded header
  text, the body escaped as FreeSWITCH's XML writer does.

An event parsed from plain bytes is lazy: nothing is split or decoded until a header is asked
for, and asking for one header scans for that header only. This is what makes the client's
event path fast.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from json.encoder import encode_basestring as _encode_json_string
from typing import Literal

from eslkit.protocol.errors import EventFormatError
from eslkit.protocol.urlcode import url_decode, url_encode

EventFormat = Literal["plain", "json", "xml"]

ARRAY_PREFIX = "ARRAY::"
ARRAY_SEPARATOR = "|:"

_ENC = "utf-8"
_ERR = "surrogateescape"

# name -> (pattern for a line after the first, pattern for the first line, its first
# letter in both cases, the first line's start when it is this header in this very case and
# with one space: ``b"Name: "``), or None when
# the name needs the full parse (Content-Length, names the byte-level match cannot mirror).
_LookupKeys = tuple[re.Pattern[bytes], re.Pattern[bytes], frozenset[int], bytes]
_LINE_CACHE: dict[tuple[str, str], str] = {}
_LINE_CACHE_LIMIT = 16384

_LOOKUP_KEYS: dict[str, _LookupKeys | None] = {}

#: Headers whose value differs from event to event.
_UNIQUE_HEADERS = frozenset(
    {"Event-Sequence", "Event-Date-Timestamp", "Event-UUID", "Job-UUID", "Application-UUID"}
)

# What follows the name on its line: ":" and the value (one space skipped), or nothing.
_VALUE_TAIL = rb"(?::[ ]?([^\n]*)|(?=\n)|\Z)"


def _lookup_keys(name: str) -> _LookupKeys | None:
    keys: _LookupKeys | None = None
    lowered = name.lower()
    if (
        name
        and name.isascii()
        and lowered != "content-length"
        and ":" not in name
        and "\n" not in name
    ):
        escaped = re.escape(name.encode("ascii"))
        first = name[0]
        # The first letter in either case, or LF.
        head = re.escape((first.lower() + first.upper()).encode("ascii")) + rb"\n"
        keys = (
            # The first line that is this header, or the blank line that ends the headers.
            # A class for the line's first byte rejects most lines before any branching:
            # twice as fast as ``\n(?:(?i:name)...|(\n))``, same matches.
            re.compile(
                rb"\n["
                + head
                + rb"](?:(?<=[^\n])(?i:"
                + re.escape(name[1:].encode("ascii"))
                + rb")"
                + _VALUE_TAIL
                + rb"|(?<=\n)())"
            ),
            re.compile(rb"(?i:" + escaped + rb")" + _VALUE_TAIL),
            # The first byte in either case: the first line is worth matching only then.
            frozenset((name[0].lower() + name[0].upper()).encode("ascii")),
            name.encode("ascii") + b": ",
        )
    if len(_LOOKUP_KEYS) < 1024:
        _LOOKUP_KEYS[name] = keys
    return keys


def _to_bytes(text: str) -> bytes:
    return text.encode(_ENC, _ERR)


def _to_str(data: bytes) -> str:
    return data.decode(_ENC, _ERR)


class Event:
    """A FreeSWITCH event: ordered headers (duplicates allowed) and an optional body."""

    __slots__ = (
        "_body",
        "_cache",
        "_headers",
        "_index",
        "_json",
        "_raw",
        "_raw_end",
        "_scanned",
        "_values",
    )

    def __init__(
        self,
        headers: Iterable[tuple[str, str]] = (),
        body: str | None = None,
    ) -> None:
        self._headers: list[tuple[str, str]] | None = list(headers)
        self._body: str | None = body
        self._index: dict[str, str] | None = None
        self._scanned = 0
        # Lazy plain source: the raw serialized bytes and the end of the header section.
        self._raw: bytes | None = None
        self._raw_end = 0
        self._cache: dict[str, bytes] | None = None
        # Lazy plain source: header values already found, by the name asked for.
        self._values: dict[str, str] | None = None
        # Lazy JSON source (from_json_lazy): the raw bytes, parsed in full on demand.
        self._json: bytes | None = None

    # ----------------------------------------------------------------- construction
    @classmethod
    def from_plain(cls, data: bytes) -> Event:
        """Parse a plain-format event (the body of a ``text/event-plain`` frame), lazily."""
        event = cls.__new__(cls)
        event._headers = None
        event._index = None
        event._scanned = 0
        event._cache = None
        event._values = None
        event._body = None
        event._raw = data
        event._raw_end = -1
        event._json = None
        return event

    def _split_raw(self) -> int:
        """Find where the headers of the lazy plain source end; sets the body."""
        end = self._raw_end
        if end < 0:
            data = self._raw
            assert data is not None
            end = data.find(b"\n\n")
            if end < 0:
                end = len(data) - 1 if data.endswith(b"\n") else len(data)
                self._body = None
            else:
                self._body = _to_str(data[end + 2 :]) if len(data) > end + 2 else None
            self._raw_end = end
        return end

    @classmethod
    def from_json(cls, data: bytes | str) -> Event:
        """Parse a JSON-format event. Duplicate keys are kept; arrays become ``ARRAY::``."""
        headers, body = _parse_json(_to_str(data) if isinstance(data, bytes) else data)
        return cls(headers, body)

    @classmethod
    def from_json_lazy(cls, data: bytes) -> Event:
        """A JSON-format event parsed only as far as it is read.

        Asking for a header whose value is a plain string (no escapes) finds it in the raw
        bytes; anything else (all headers, the body, an escaped or array value, a header
        that is absent) parses the whole event once, as :meth:`from_json`. For JSON from a
        trusted producer (the bridge's stream): invalid JSON raises
        :class:`~eslkit.protocol.errors.EventFormatError` at the first read, not here.
        """
        event = cls.__new__(cls)
        event._headers = None
        event._index = None
        event._scanned = 0
        event._cache = None
        event._values = None
        event._body = None
        event._raw = None
        event._raw_end = 0
        event._json = data
        return event

    def _json_value(self, name: str) -> str | None:
        """``name``'s value read from the lazy JSON bytes, or None when it takes a full
        parse to know (absent, not a plain string, escaped)."""
        values = self._values
        if values is not None:
            found = values.get(name)
            if found is not None:
                return found
        try:
            pattern = _JSON_KEYS[name]
        except KeyError:
            pattern = _json_key(name)
        if pattern is None:
            return None
        raw = self._json
        assert raw is not None
        match = pattern.search(raw)
        # FreeSWITCH escapes every '"' inside a string, so '"name":' is a key; the first
        # one is the first header of that name. A value that stops at a backslash has an
        # escape: the full parse decodes it.
        if match is None or match.end() == len(raw) or raw[match.end()] != 0x22:
            return None
        text = match[1].decode(_ENC, _ERR)
        if values is None:
            self._values = {name: text}
        else:
            values[name] = text
        return text

    @classmethod
    def from_xml(cls, data: bytes | str) -> Event:
        """Parse an XML-format event as FreeSWITCH lays it out.

        The XML form cannot tell an array header from repeated headers of the same name;
        both parse back as repeated headers (and serialize to the same bytes).
        """
        text = _to_str(data) if isinstance(data, bytes) else data
        return _parse_xml(text)

    @classmethod
    def parse(cls, data: bytes, fmt: EventFormat) -> Event:
        """Parse ``data`` in the given format."""
        if fmt == "plain":
            return cls.from_plain(data)
        if fmt == "json":
            return cls.from_json(data)
        return cls.from_xml(data)

    # ----------------------------------------------------------------- header access
    def _materialize(self) -> list[tuple[str, str]]:
        headers = self._headers
        if headers is None and self._json is not None:
            headers, self._body = _parse_json(_to_str(self._json))
            self._headers = headers
            self._json = None
            self._values = None
        if headers is None:
            raw = self._raw
            assert raw is not None
            headers = []
            for line in _to_str(raw[: self._split_raw()]).split("\n"):
                if not line:
                    continue
                name, sep, value = line.partition(":")
                if sep and value[:1] == " ":
                    value = value[1:]
                headers.append((name, url_decode(value)))
            if self._body is not None and headers and headers[-1][0] == "Content-Length":
                # The generated Content-Length line that precedes a plain body.
                headers.pop()
            self._headers = headers
        return headers

    @property
    def headers(self) -> list[tuple[str, str]]:
        """All headers in order, as ``(name, decoded value)`` pairs. Do not mutate."""
        return self._materialize()

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first header called ``name`` (case-insensitive), or ``default``."""
        if self._headers is None and self._json is not None:
            found = self._json_value(name)
            if found is not None:
                return found
            self._materialize()
        if self._headers is None:
            values = self._values
            if values is not None:
                # The reader, the dispatcher and the handler often ask for the same header
                # (Event-Name, Unique-ID): decode it once per event.
                found = values.get(name)
                if found is not None:
                    return found
            try:
                keys = _LOOKUP_KEYS[name]
            except KeyError:
                keys = _lookup_keys(name)
            if keys is not None:
                # One scan of the raw bytes, no split and no decode of other headers. The
                # pattern stops at the first line that is this header (any case) or at the
                # blank line before the body, exactly as the full parse would decide.
                raw = self._raw
                assert raw is not None
                raw_value: bytes | None
                match: re.Match[bytes] | None
                if raw and raw[0] in keys[2]:
                    start = keys[3]
                    if raw.startswith(start):
                        # The first line, as FreeSWITCH writes Event-Name: no pattern needed.
                        eol = raw.find(b"\n", len(start))
                        raw_value = raw[len(start) : eol] if eol >= 0 else raw[len(start) :]
                    else:
                        match = keys[1].match(raw)
                        if match is None:
                            match = keys[0].search(raw)
                            if match is None or match.lastindex == 2:
                                return default
                        raw_value = match[1]
                else:
                    match = keys[0].search(raw)
                    if match is None or match.lastindex == 2:
                        return default
                    raw_value = match[1]
                if not raw_value:
                    return ""
                if 0x25 in raw_value:  # "%"; an int test is much cheaper than a bytes one
                    text = url_decode(raw_value.decode(_ENC, _ERR))
                else:
                    text = raw_value.decode(_ENC, _ERR)
                if values is None:
                    self._values = {name: text}
                else:
                    values[name] = text
                return text
            # The generated Content-Length line before a body is not a header: parse fully.
            self._materialize()
        index = self._index
        if index is None:
            headers = self._materialize()
            lowered = name.lower()
            if self._scanned < 2:
                # A fresh event is usually asked for one or two headers (Event-Name,
                # Unique-ID, a filter): a scan is cheaper than building the index.
                self._scanned += 1
                for key, value in headers:
                    if key == name or key.lower() == lowered:
                        return value
                return default
            index = {}
            for key, value in headers:
                index.setdefault(key.lower(), value)
            self._index = index
        found = index.get(name.lower())
        return default if found is None else found

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def get_all(self, name: str) -> list[str]:
        """Every value of the headers called ``name``, in order."""
        lowered = name.lower()
        return [value for key, value in self._materialize() if key.lower() == lowered]

    def get_array(self, name: str) -> list[str] | None:
        """The elements of an array header (``ARRAY::a|:b``), or a one-element list."""
        value = self.get(name)
        if value is None:
            return None
        if value.startswith(ARRAY_PREFIX):
            return value[len(ARRAY_PREFIX) :].split(ARRAY_SEPARATOR)
        return [value]

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._materialize())

    def __len__(self) -> int:
        return len(self._materialize())

    @property
    def body(self) -> str | None:
        """The event body, or ``None``. Plain format cannot tell ``""`` from no body."""
        if self._raw is not None and self._raw_end < 0:
            self._split_raw()
        elif self._json is not None:
            self._materialize()
        return self._body

    @body.setter
    def body(self, value: str | None) -> None:
        self._mutable()
        self._body = value

    @property
    def name(self) -> str | None:
        """``Event-Name``."""
        return self.get("Event-Name")

    @property
    def subclass(self) -> str | None:
        """``Event-Subclass`` (CUSTOM events)."""
        return self.get("Event-Subclass")

    @property
    def uuid(self) -> str | None:
        """``Unique-ID``: the channel the event is about, if any."""
        return self.get("Unique-ID")

    # ----------------------------------------------------------------- mutation
    def _mutable(self) -> list[tuple[str, str]]:
        headers = self._materialize()
        self._raw = None
        self._raw_end = -1
        self._index = None
        self._scanned = 0
        self._cache = None
        self._values = None
        return headers

    def add_header(self, name: str, value: str) -> None:
        """Append a header (duplicates allowed)."""
        headers = self._headers
        if (
            headers is None
            or self._raw is not None
            or self._cache is not None
            or self._index is not None
            or self._values is not None
        ):
            headers = self._mutable()
        headers.append((name, value))

    def extend_headers(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Append several headers at once."""
        self._mutable().extend(pairs)

    def prepend_header(self, name: str, value: str) -> None:
        """Insert a header at the top."""
        self._mutable().insert(0, (name, value))

    def del_header(self, name: str) -> int:
        """Remove every header called ``name``; returns how many were removed."""
        headers = self._mutable()
        lowered = name.lower()
        kept = [(k, v) for k, v in headers if k.lower() != lowered]
        removed = len(headers) - len(kept)
        headers[:] = kept
        return removed

    def set_header(self, name: str, value: str) -> None:
        """Replace every header called ``name`` by one, appended at the end."""
        self.del_header(name)
        self.add_header(name, value)

    def copy(self) -> Event:
        """An independent copy."""
        return Event(self._materialize(), self.body)

    # ----------------------------------------------------------------- serialization
    def to_plain(self) -> bytes:
        """Plain format, as FreeSWITCH writes the body of a ``text/event-plain`` frame."""
        cache = self._cache
        if cache is not None:
            cached = cache.get("plain")
            if cached is not None:
                return cached
        # Most header lines repeat from event to event (a channel's profile and variables,
        # the switch's identity), so encoded lines are cached per (name, value).
        cache_get = _LINE_CACHE.get
        lines: list[str] = []
        append = lines.append
        for pair in self._materialize():
            line = cache_get(pair)
            if line is None:
                name, value = pair
                if "\n" in name or "\r" in name or ":" in name:
                    # It would inject header lines (a Content-Length among them) or split
                    # where it should not in what every plain listener parses: left out
                    # (FreeSWITCH writes it raw).
                    continue
                if name in _UNIQUE_HEADERS and value.isascii() and value.replace("-", "").isalnum():
                    # A value of its own (sequence number, timestamp, UUID) in letters,
                    # digits and "-", which are never encoded: caching it would only
                    # push out the lines that do repeat.
                    line = f"{name}: {value}\n"
                else:
                    line = f"{name}: {url_encode(value) or '_undef_'}\n"
                    if len(value) <= 256:
                        if len(_LINE_CACHE) >= _LINE_CACHE_LIMIT:
                            _LINE_CACHE.clear()
                        _LINE_CACHE[pair] = line
            append(line)
        text = "".join(lines)
        body = self.body
        if body:
            raw_body = _to_bytes(body)
            data = _to_bytes(text) + b"Content-Length: %d\n\n" % len(raw_body) + raw_body
        else:
            data = _to_bytes(text + "\n")
        self._store("plain", data)
        return data

    def to_json(self) -> bytes:
        """JSON format (cJSON unformatted, duplicate keys kept)."""
        cache = self._cache
        if cache is not None:
            cached = cache.get("json")
            if cached is not None:
                return cached
        parts: list[str] = []
        append = parts.append
        for name, value in self._materialize():
            if value.startswith(ARRAY_PREFIX):
                items = value[len(ARRAY_PREFIX) :].split(ARRAY_SEPARATOR)
                encoded = "[" + ",".join(_encode_json_string(item) for item in items) + "]"
            else:
                encoded = _encode_json_string(value)
            append(f"{_encode_json_string(name)}:{encoded}")
        body = self.body
        if body is not None:
            append(f'"Content-Length":"{len(_to_bytes(body))}"')
            append(f'"_body":{_encode_json_string(body)}')
        data = _to_bytes("{" + ",".join(parts) + "}")
        self._store("json", data)
        return data

    def to_xml(self) -> bytes:
        """XML format, with FreeSWITCH's exact layout and escaping."""
        cache = self._cache
        if cache is not None:
            cached = cache.get("xml")
            if cached is not None:
                return cached
        parts: list[bytes] = [b"<event>\n"]
        headers = self._materialize()
        if headers:
            parts.append(b"  <headers>\n")
            for name, value in headers:
                if name not in _XML_NAMES:
                    if not _XML_NAME.fullmatch(name):
                        # Not an XML element name: it would break the document for every
                        # XML listener, so it is left out (FreeSWITCH writes it raw).
                        continue
                    if len(_XML_NAMES) < 4096:
                        _XML_NAMES.add(name)
                raw_name = _to_bytes(name)
                if value.startswith(ARRAY_PREFIX):
                    items = value[len(ARRAY_PREFIX) :].split(ARRAY_SEPARATOR)
                else:
                    items = [value]
                for item in items:
                    text = _xml_escape(_to_bytes(url_encode(item)))
                    parts.append(b"    <%s>%s</%s>\n" % (raw_name, text, raw_name))
            parts.append(b"  </headers>\n")
        else:
            parts.append(b"  <headers></headers>\n")
        body = self.body
        if body:
            raw_body = _to_bytes(body)
            escaped = _xml_escape(raw_body)
            parts.append(b"  <Content-Length>%d</Content-Length>\n" % len(raw_body))
            tail = b"  </body>\n" if escaped.endswith(b"\n") else b"</body>\n"
            parts.append(b"  <body>" + escaped + tail)
        parts.append(b"</event>\n")
        data = b"".join(parts)
        self._store("xml", data)
        return data

    def serialize(self, fmt: EventFormat) -> bytes:
        """The event in ``fmt`` ("plain", "json" or "xml")."""
        if fmt == "plain":
            return self.to_plain()
        if fmt == "json":
            return self.to_json()
        return self.to_xml()

    def _store(self, fmt: str, data: bytes) -> None:
        if self._cache is None:
            self._cache = {}
        self._cache[fmt] = data

    # ----------------------------------------------------------------- misc
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Event):
            return NotImplemented
        return self._materialize() == other._materialize() and self.body == other.body

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        name = self.get("Event-Name")
        subclass = self.get("Event-Subclass")
        label = f"{name} {subclass}" if subclass else str(name)
        return f"<Event {label} ({len(self)} headers{', body' if self.body else ''})>"


def _parse_json(text: str) -> tuple[list[tuple[str, str]], str | None]:
    try:
        pairs = json.loads(text, object_pairs_hook=list, strict=False)
    except ValueError as exc:
        raise EventFormatError(f"invalid JSON event: {exc}") from None
    if not isinstance(pairs, list):
        raise EventFormatError("a JSON event must be an object")
    # The decoder gives (key, value) tuples already: keep them, and convert only the
    # values that are not strings (FreeSWITCH's are, but for arrays).
    headers: list[tuple[str, str]] = pairs
    for index, (key, value) in enumerate(pairs):
        if type(value) is str:
            continue
        if isinstance(value, list):
            value = ARRAY_PREFIX + ARRAY_SEPARATOR.join(_json_scalar(v) for v in value)
        else:
            value = _json_scalar(value)
        headers[index] = (key, value)
    body: str | None = None
    if headers and headers[-1][0] == "_body":
        body = headers.pop()[1]
        if headers and headers[-1][0] == "Content-Length":
            headers.pop()
    return headers, body


# name -> the pattern of its key and plain string value in JSON bytes, or None when the name
# needs the full parse (non-ASCII, the body's keys).
_JSON_KEYS: dict[str, re.Pattern[bytes] | None] = {}


def _json_key(name: str) -> re.Pattern[bytes] | None:
    pattern = None
    if name.isascii() and name.lower() not in ("_body", "content-length"):
        escaped = re.escape(_encode_json_string(name)[1:-1].encode("ascii"))
        pattern = re.compile(rb'"(?i:' + escaped + rb')"[ \t\n\r]*:[ \t\n\r]*"([^"\\]*)')
    if len(_JSON_KEYS) < 1024:
        _JSON_KEYS[name] = pattern
    return pattern


def name_line(event: Event) -> bytes | None:
    """The first line of an event parsed from plain bytes (and not modified since) when that
    line is its ``Event-Name`` header as FreeSWITCH writes it (``Event-Name: <value>``), else
    ``None``. Equal lines mean equal names, so the line is a cheap key for work that depends
    on the event's name only (no lookup, no decoding)."""
    raw = event._raw
    if raw is not None and raw.startswith(b"Event-Name: "):
        eol = raw.find(b"\n")
        return raw[:eol] if eol >= 0 else raw
    return None


def _json_scalar(value: object) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# ---------------------------------------------------------------------- XML escaping
_XML_SPECIAL = re.compile(rb"[&<>\r\x80-\xff\x00-\x08\x0b\x0c\x0e-\x1f]")
# Header names the XML form writes as element names (ASCII XML names without ":"); the
# names seen are remembered, as they repeat from event to event.
_XML_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_XML_NAMES: set[str] = set()
# A "<!" tail FreeSWITCH's writer leaves raw that is still well-formed XML content: one CDATA
# section, then text without markup, all of it characters XML 1.0 can hold.
_CDATA_TAIL = re.compile(
    rb"<!\[CDATA\[(?:(?!\]\]>)[^\x00-\x08\x0b\x0c\x0e-\x1f])*\]\]>[^<&\x00-\x08\x0b\x0c\x0e-\x1f]*"
)


def _raw_tail_ok(data: bytes, start: int) -> bool:
    if _CDATA_TAIL.fullmatch(data, start) is None:
        return False
    try:
        data[start:].decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _xml_escape(data: bytes) -> bytes:
    """Escape text as FreeSWITCH's XML writer does for element content.

    ``&``, ``<``, ``>`` and CR are escaped; a valid UTF-8 sequence becomes ``&#xHEX;``;
    invalid bytes are dropped (with the byte that revealed them), and so are the characters
    XML 1.0 cannot hold (C0 controls but tab and LF, U+FFFE/FFFF). FreeSWITCH's writer turns
    escaping off for the rest of the text at ``<!``; eslkit does so only when that rest is a
    well-formed CDATA section and plain text, and escapes the ``<`` otherwise (a body holding
    any other ``<!`` broke the document for every XML listener).
    """
    if not _XML_SPECIAL.search(data):
        return data
    out = bytearray()
    i = 0
    n = len(data)
    expecting = 0
    code = 0
    while i < n:
        byte = data[i]
        i += 1
        if byte == 0x26:
            out += b"&amp;"
        elif byte == 0x3C:
            if i < n and data[i] == 0x21 and expecting == 0 and _raw_tail_ok(data, i - 1):
                # FreeSWITCH writes the rest raw from "<!"; kept where that is well formed.
                out += data[i - 1 :]
                return bytes(out)
            out += b"&lt;"
        elif byte == 0x3E:
            out += b"&gt;"
        elif byte == 0x0D:
            out += b"&#xD;"
        elif byte in (0x22, 0x0A, 0x09):
            out.append(byte)
        elif byte < 0x20:
            pass  # not a character XML 1.0 can hold, even as a reference
        elif expecting == 0 and byte & 0x80:
            num = 1
            while num < 4 and (byte >> (7 - num)) & 1:
                num += 1
            if num == 2:
                code = byte & 0x1F
            elif num == 3:
                code = byte & 0x0F
            elif num == 4:
                code = byte & 0x07
            expecting = num - 1 if num in (2, 3, 4) else 0
        elif expecting > 0:
            if (byte >> 6) & 3 == 2:
                code = (code << 6) | (byte & 0x3F)
                expecting -= 1
                if expecting == 0 and not (
                    0xD800 <= code <= 0xDFFF
                    or code in (0xFFFE, 0xFFFF)
                    or (code < 0x20 and code not in (0x09, 0x0A, 0x0D))
                ):
                    out += b"&#x%X;" % code
            else:
                expecting = 0
        else:
            out.append(byte)
    return bytes(out)


_XML_ENTITY = re.compile(r"&(amp|lt|gt|quot|apos|#x[0-9A-Fa-f]+|#[0-9]+);")
_XML_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


def _xml_entity(match: re.Match[str]) -> str:
    name = match.group(1)
    try:
        if name.startswith("#x"):
            return chr(int(name[2:], 16))
        if name.startswith("#"):
            return chr(int(name[1:]))
    except (ValueError, OverflowError):
        return match.group(0)  # no such character: kept as written (found by fuzzing)
    return _XML_NAMED[name]


def _xml_unescape(text: str) -> str:
    if "&" not in text:
        return text
    return _XML_ENTITY.sub(_xml_entity, text)


_XML_HEADER_LINE = re.compile(r"    <([^>]*)>([^<]*)</\1>\n")


def _parse_xml(text: str) -> Event:
    prefix = "<event>\n"
    if not text.startswith(prefix):
        raise EventFormatError("an XML event must start with <event>")
    pos = len(prefix)
    headers: list[tuple[str, str]] = []
    if text.startswith("  <headers></headers>\n", pos):
        pos += len("  <headers></headers>\n")
    elif text.startswith("  <headers>\n", pos):
        pos += len("  <headers>\n")
        while not text.startswith("  </headers>\n", pos):
            match = _XML_HEADER_LINE.match(text, pos)
            if match is None:
                raise EventFormatError(f"malformed XML header line at offset {pos}")
            headers.append((match.group(1), url_decode(_xml_unescape(match.group(2)))))
            pos = match.end()
        pos += len("  </headers>\n")
    else:
        raise EventFormatError("an XML event must have <headers>")
    body: str | None = None
    if text.startswith("  <Content-Length>", pos):
        end = text.find("</Content-Length>\n", pos)
        if end < 0:
            raise EventFormatError("unterminated <Content-Length>")
        pos = end + len("</Content-Length>\n")
        if not text.startswith("  <body>", pos):
            raise EventFormatError("<Content-Length> without <body>")
        pos += len("  <body>")
        end = text.rfind("</body>\n</event>\n")
        if end < pos:
            raise EventFormatError("unterminated <body>")
        raw = text[pos:end]
        if raw.endswith("\n  "):
            raw = raw[:-2]
        body = _xml_unescape(raw)
        pos = end + len("</body>\n")
    if text[pos:] != "</event>\n":
        raise EventFormatError("trailing data after the XML event")
    return Event(headers, body)
