"""Framing: turning a byte stream into frames, without I/O.

A frame is a header block ending in a blank line, then, when the block has a
``Content-Length`` header, exactly that many bytes of body. One :class:`FrameReader` serves
both directions:

- ``FrameReader()`` (client side) reads what the server writes: LF line endings, the first
  ``Content-Length`` header, strict numbers.
- ``FrameReader(server_side=True)`` reads commands the way mod_event_socket's
  ``read_packet`` does (spec §3.1): leading CR/LF bytes are dropped; a block ends when two LFs
  are separated only by CRs (``\\n\\n``, ``\\r\\n\\r\\n``, ``\\n\\r\\n``); a block that
  reaches 10 MiB counts as complete; header lines are split FreeSWITCH's way (``strip_cr``),
  a NUL byte ends the parse, and every ``content-length`` header (any case, ``atoi`` value)
  reads a body right after the block.

Any split of the input across :meth:`FrameReader.feed` calls gives the same frames: the
reader keeps one growing buffer and resumes its scans where they stopped.
"""

from __future__ import annotations

import re

from eslkit.protocol.errors import BadContentLength, HeaderBlockTooLarge

MAX_HEADER_BLOCK = 10 * 1024 * 1024
MAX_BODY = 16 * 1024 * 1024

_ENC = "utf-8"
_ERR = "surrogateescape"

_TERMINATOR_WITH_CR = re.compile(rb"\n\r*\n")
_ATOI = re.compile(rb"[ \t\n\v\f\r]*([+-]?[0-9]*)")


def _atoi(value: bytes) -> int:
    """C ``atoi``: leading white space, an optional sign, digits; 0 when there are none."""
    match = _ATOI.match(value)
    assert match is not None
    digits = match.group(1)
    if digits in (b"", b"+", b"-"):
        return 0
    return int(digits)


class Frame:
    """One frame: its raw header block, parsed headers (lazily) and body bytes.

    Header values are returned as sent (not URL-decoded). Lookups are case-insensitive and
    return the first match.
    """

    __slots__ = ("_headers", "body", "head")

    def __init__(
        self,
        head: bytes,
        body: bytes | None = None,
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        self.head = head
        self.body = body
        self._headers = headers

    @property
    def headers(self) -> list[tuple[str, str]]:
        """The headers in wire order, as ``(name, value)`` pairs."""
        headers = self._headers
        if headers is None:
            headers = []
            for line in self.head.decode(_ENC, _ERR).split("\n"):
                if not line:
                    continue
                name, _, value = line.partition(":")
                if value[:1] == " ":
                    value = value[1:]
                headers.append((name, value))
            self._headers = headers
        return headers

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first header called ``name`` (case-insensitive), as sent."""
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return default

    @property
    def content_type(self) -> str | None:
        """The ``Content-Type`` header. Event frames carry it second, so look it up."""
        head = self.head
        # Fast path for the frames the server writes.
        if head.startswith(b"Content-Type: "):
            end = head.find(b"\n")
            return head[14 : end if end >= 0 else len(head)].decode(_ENC, _ERR)
        pos = head.find(b"\nContent-Type: ")
        if pos >= 0:
            end = head.find(b"\n", pos + 1)
            return head[pos + 15 : end if end >= 0 else len(head)].decode(_ENC, _ERR)
        return self.get("Content-Type")

    @property
    def command(self) -> str:
        """For a command read by the server: the whole raw block, as FreeSWITCH keeps it."""
        return self.head.split(b"\x00", 1)[0].decode(_ENC, _ERR)

    def __repr__(self) -> str:
        size = 0 if self.body is None else len(self.body)
        return f"<Frame {self.headers!r} body={size}B>"


def split_command_block(block: bytes) -> list[tuple[str, str]]:
    """Split a command block into header lines exactly as ``read_packet`` does.

    The first line (the command) is not included. A line ends at the first CR anywhere
    after it, or else the first LF (so mixed line endings merge lines: a FreeSWITCH quirk);
    runs of CR/LF are skipped; the name is everything before the first ``:`` (not trimmed);
    the value follows with leading spaces (not tabs) skipped; lines without ``:`` are dropped.
    A NUL byte ends the parse.
    """
    text = block.split(b"\x00", 1)[0]
    headers: list[tuple[str, str]] = []
    cur = 0
    n = len(text)
    first = True
    while cur <= n:
        nxt = text.find(b"\r", cur)
        if nxt < 0:
            nxt = text.find(b"\n", cur)
        line_start = cur
        if nxt >= 0:
            while nxt < n and text[nxt] in (0x0D, 0x0A):
                nxt += 1
        if first:
            first = False
        else:
            # strip_cr on the rest of the buffer from this line on.
            end_cr = text.find(b"\r", line_start)
            end = end_cr if end_cr >= 0 else text.find(b"\n", line_start)
            line = text[line_start : end if end >= 0 else n]
            if line:
                name, sep, value = line.partition(b":")
                if sep:
                    headers.append(
                        (name.decode(_ENC, _ERR), value.lstrip(b" ").decode(_ENC, _ERR))
                    )
        if nxt < 0:
            break
        cur = nxt
        if cur >= n:
            break
    return headers


class FrameReader:
    """Incremental frame reader: :meth:`feed` bytes, then take frames with :meth:`next_frame`.

    Raises :class:`~eslkit.protocol.errors.BadContentLength` for a negative, non-numeric
    (client side only: the server side reads it as C ``atoi`` does, so ``abc`` means no body)
    or too large ``Content-Length``, and :class:`~eslkit.protocol.errors.HeaderBlockTooLarge`
    on the client side when a header block passes its limit. After an error the stream cannot
    be resynchronized; the connection must be closed.
    """

    __slots__ = (
        "_buf",
        "_fresh",
        "_fresh_pos",
        "_pending_head",
        "_pending_headers",
        "_pending_need",
        "_pos",
        "_scan",
        "max_body",
        "max_header",
        "server_side",
    )

    def __init__(
        self,
        *,
        server_side: bool = False,
        max_header: int = MAX_HEADER_BLOCK,
        max_body: int = MAX_BODY,
    ) -> None:
        self.server_side = server_side
        self.max_header = max_header
        self.max_body = max_body
        self._buf = bytearray()
        self._pos = 0
        # Bytes fed while nothing was buffered are framed in place, without a copy.
        self._fresh: bytes | None = None
        self._fresh_pos = 0
        self._scan = 0
        # A frame whose header block is complete but whose body has not fully arrived.
        self._pending_head: bytes | None = None
        self._pending_headers: list[tuple[str, str]] | None = None
        self._pending_need = 0

    def feed(self, data: bytes) -> None:
        """Add received bytes."""
        if self._fresh is not None:
            self._spill()
        if not self.server_side and self._pending_head is None:
            left = len(self._buf) - self._pos
            if left == 0 or len(data) >= left:
                # Frame in place; the copy of the partial frame is paid by the new bytes.
                self._fresh = bytes(self._buf[self._pos :]) + data if left else bytes(data)
                self._fresh_pos = 0
                self._buf.clear()
                self._pos = self._scan = 0
                return
        if self._pos and self._pos == len(self._buf):
            self._buf.clear()
            self._scan -= self._pos
            self._pos = 0
        self._buf += data

    def _spill(self) -> None:
        """Move the unframed rest of the fresh bytes into the general buffer."""
        fresh = self._fresh
        assert fresh is not None
        self._buf += memoryview(fresh)[self._fresh_pos :]
        self._fresh = None
        self._fresh_pos = 0

    def _take_fresh(self, limit: int) -> list[Frame]:
        """Frame whole LF-only frames straight from the fresh bytes (the common case)."""
        fresh = self._fresh
        assert fresh is not None
        out: list[Frame] = []
        append = out.append
        pos = self._fresh_pos
        size = len(fresh)
        max_body = self.max_body
        while len(out) < limit:
            term = fresh.find(b"\n\n", pos)
            if term < 0 or term - pos > 256 or fresh.find(b"\r", pos, term) >= 0:
                break
            if fresh.startswith(b"Content-Length: ", pos):
                eol = fresh.find(b"\n", pos)
                digits = fresh[pos + 16 : eol]
                if eol == term or not digits.isdigit():
                    break
                length = int(digits)
            elif fresh.startswith(b"Content-Type: ", pos) and fresh.find(b"ength", pos, term) < 0:
                length = 0
            else:
                break
            start = term + 2
            if length == 0:
                append(Frame(fresh[pos:term]))
                pos = start
                continue
            if length > max_body or size - start < length:
                break
            append(Frame(fresh[pos:term], fresh[start : start + length]))
            pos = start + length
        if pos >= size:
            self._fresh = None
            self._fresh_pos = 0
        else:
            self._fresh_pos = pos
        return out

    @property
    def buffered(self) -> int:
        """Bytes received but not yet returned as part of a frame."""
        fresh = 0 if self._fresh is None else len(self._fresh) - self._fresh_pos
        return len(self._buf) - self._pos + fresh

    @property
    def in_frame(self) -> bool:
        """True while part of a frame is buffered (FreeSWITCH then holds back events)."""
        return self._pending_head is not None or self.buffered > 0

    def next_frame(self) -> Frame | None:
        """The next complete frame, or ``None`` until more bytes arrive."""
        if self._fresh is not None:
            taken = self._take_fresh(1)
            if taken:
                return taken[0]
            if self._fresh is not None:
                self._spill()
        frame = self._next_frame()
        if frame is None:
            if self._pos:
                self._compact()
        elif not self.server_side and self._pending_head is None and self._pos < len(self._buf):
            # Back to framing in place for the rest.
            self._fresh = bytes(self._buf[self._pos :])
            self._fresh_pos = 0
            self._buf.clear()
            self._pos = self._scan = 0
        return frame

    def _next_frame(self) -> Frame | None:
        buf = self._buf
        if self._pending_head is not None:
            return self._finish_body()
        pos = self._pos
        if not self.server_side:
            # Fast path for what a server writes: LF only, Content-Length first or second.
            term = buf.find(b"\n\n", pos)
            if term >= 0 and term - pos <= self.max_header and buf.find(b"\r", pos, term) < 0:
                head = bytes(buf[pos:term])
                start = term + 2
                if head.startswith(b"Content-Length: "):
                    eol = head.find(b"\n")
                    digits = head[16 : eol if eol >= 0 else len(head)]
                    length = int(digits) if digits.isdigit() else self._client_content_length(head)
                else:
                    length = self._client_content_length(head)
                if not length:
                    self._pos = self._scan = start
                    return Frame(head)
                if length > self.max_body:
                    self._client_content_length(head)  # raises
                if len(buf) - start < length:
                    self._pos = self._scan = start
                    self._pending_head = head
                    self._pending_headers = None
                    self._pending_need = length
                    return None
                self._pos = self._scan = start + length
                return Frame(head, bytes(buf[start : start + length]))
        end = len(buf)
        if self.server_side:
            # Leading CR/LF bytes before a packet are dropped.
            while pos < end and buf[pos] in (0x0D, 0x0A):
                pos += 1
            self._pos = pos
        if pos >= end:
            return None
        scan = max(self._scan, pos)
        term = buf.find(b"\n\n", scan)
        if term >= 0:
            cr = buf.find(b"\r", scan, term)
            if cr >= 0:
                match = _TERMINATOR_WITH_CR.search(buf, max(scan - 1, pos))
                assert match is not None
                term, term_end = match.start(), match.end()
            else:
                term_end = term + 2
        else:
            cr = buf.find(b"\r", scan)
            match = _TERMINATOR_WITH_CR.search(buf, max(scan - 1, pos)) if cr >= 0 else None
            if match is None:
                size = end - pos
                if size < self.max_header:
                    # Resume where the next byte could complete a terminator.
                    self._scan = max(pos, end - 1)
                    while self._scan > pos and buf[self._scan - 1] in (0x0D, 0x0A):
                        self._scan -= 1
                    return None
                if not self.server_side:
                    raise HeaderBlockTooLarge(size, self.max_header)
                # FreeSWITCH treats a block that reaches the limit as complete.
                term = term_end = pos + self.max_header
            else:
                term, term_end = match.start(), match.end()
        if term - pos > self.max_header:
            if not self.server_side:
                raise HeaderBlockTooLarge(term - pos, self.max_header)
            term = term_end = pos + self.max_header
        self._pos = term_end
        self._scan = term_end
        if self.server_side:
            # The server keeps the whole raw block, terminator included, as the command.
            return self._server_frame(bytes(buf[pos:term_end]))
        head = bytes(buf[pos:term])
        length = self._client_content_length(head)
        if length:
            self._pending_head = head
            self._pending_headers = None
            self._pending_need = length
            return self._finish_body()
        return Frame(head)

    def _server_frame(self, head: bytes) -> Frame | None:
        headers = split_command_block(head)
        need = 0
        for name, value in headers:
            if name.lower() == "content-length":
                length = _atoi(value.encode(_ENC, _ERR))
                if length < 0 or length > self.max_body:
                    raise BadContentLength(value, "out of range")
                need = length  # A later one reads another body, which replaces this one.
        if need:
            self._pending_head = head
            self._pending_headers = headers
            self._pending_need = need
            return self._finish_body()
        return Frame(head, None, headers)

    def _client_content_length(self, head: bytes) -> int:
        if head.startswith(b"Content-Length:"):
            start = 15
        else:
            pos = head.find(b"\nContent-Length:")
            if pos < 0:
                lowered = head.lower()
                if lowered.startswith(b"content-length:"):
                    start = 15
                else:
                    pos = lowered.find(b"\ncontent-length:")
                    if pos < 0:
                        return 0
                    start = pos + 16
            else:
                start = pos + 16
        eol = head.find(b"\n", start)
        raw = head[start : eol if eol >= 0 else len(head)]
        text = raw.strip(b" ")
        if not text.isdigit():
            raise BadContentLength(raw.decode(_ENC, _ERR), "not a non-negative integer")
        length = int(text)
        if length > self.max_body:
            raise BadContentLength(raw.decode(_ENC, _ERR), f"over the {self.max_body}-byte limit")
        return length

    def _finish_body(self) -> Frame | None:
        buf = self._buf
        need = self._pending_need
        pos = self._pos
        if len(buf) - pos < need:
            return None
        body = bytes(buf[pos : pos + need])
        self._pos = self._scan = pos + need
        head = self._pending_head
        assert head is not None
        headers = self._pending_headers
        self._pending_head = None
        self._pending_headers = None
        if self.server_side:
            # FreeSWITCH keeps the body as a C string.
            nul = body.find(b"\x00")
            if nul >= 0:
                body = body[:nul]
        return Frame(head, body, headers)

    def _compact(self) -> None:
        if self._pos:
            del self._buf[: self._pos]
            self._scan = max(0, self._scan - self._pos)
            self._pos = 0

    def frames(self) -> list[Frame]:
        """Every complete frame now buffered."""
        out: list[Frame] = []
        while True:
            if self._fresh is not None:
                out += self._take_fresh(1 << 62)
            frame = self.next_frame()
            if frame is None:
                return out
            out.append(frame)
