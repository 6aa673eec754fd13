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
from collections.abc import Iterator
from typing import cast

from eslkit.protocol.errors import BadContentLength, HeaderBlockTooLarge

MAX_HEADER_BLOCK = 10 * 1024 * 1024
MAX_BODY = 16 * 1024 * 1024

_ENC = "utf-8"
_ERR = "surrogateescape"

_TERMINATOR_WITH_CR = re.compile(rb"\n\r*\n")
# The head of an event frame (and of any frame with Content-Length first and at most a
# Content-Type after it): what the client sees most, framed by one match.
_EVENT_HEAD = re.compile(rb"Content-Length: ([0-9]{1,18})\n(?:Content-Type: ([^\n\r]*)\n)?\n")
_CONTENT_TYPES: dict[bytes, str] = {
    name.encode(): name
    for name in (
        "text/event-plain",
        "text/event-json",
        "text/event-xml",
        "api/response",
        "command/reply",
        "log/data",
        "text/disconnect-notice",
        "auth/request",
        "text/rude-rejection",
    )
}
# split_command_block: a header line is its name up to the first ":", then the value with
# leading spaces skipped; lines without ":" are dropped.
_LF_HEADER = re.compile(r"^([^:\n]*):[ ]*(.*)", re.MULTILINE)
_CR_HEADER = re.compile(r"(?<![^\r])([^:\r]*):[ ]*([^\r]*)")
_CR_RUN = re.compile(r"\r[\r\n]*")
_ATOI = re.compile(rb"[ \t\n\v\f\r]*([+-]?[0-9]*)")


#: What follows the Content-Length digits in FreeSWITCH's plain event frame.
_PLAIN_EVENT_TAIL = b"\nContent-Type: text/event-plain\n\n"


def _no_match(data: bytes, pos: int) -> None:
    """Stands in for the event-head fast path when it must not be used."""
    return None


def _atoi(value: bytes) -> int:
    """C ``atoi``: leading white space, an optional sign, digits; 0 when there are none."""
    match = _ATOI.match(value)
    assert match is not None
    digits = match.group(1)
    if digits in (b"", b"+", b"-"):
        return 0
    if len(digits) > 24:
        # int() refuses more than 4300 digits: drop the leading zeros, and past any 64-bit
        # value keep only the sign.
        significant = digits.lstrip(b"+-").lstrip(b"0")
        if len(significant) > 19:
            return -(2**63) if digits[:1] == b"-" else 2**63 - 1
        number = int(significant or b"0")
        return -number if digits[:1] == b"-" else number
    return int(digits)


class Frame:
    """One frame: its raw header block, parsed headers (lazily) and body bytes.

    Header values are returned as sent (not URL-decoded). Lookups are case-insensitive and
    return the first match.
    """

    __slots__ = ("_ctype", "_headers", "body", "deferred", "head")

    def __init__(
        self,
        head: bytes,
        body: bytes | None = None,
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        self.head = head
        self.body = body
        self._headers = headers
        # The Content-Type when the reader already saw it (event frames), else None.
        self._ctype: str | None = None
        #: Server side: a large command block whose header lines are not split yet (see
        #: :func:`split_command_block_in_slices`); ``headers`` splits it at once if asked.
        self.deferred = False

    def set_headers(self, headers: list[tuple[str, str]]) -> None:
        """Give a deferred frame its split header lines."""
        self._headers = headers
        self.deferred = False

    @property
    def headers(self) -> list[tuple[str, str]]:
        """The headers in wire order, as ``(name, value)`` pairs."""
        headers = self._headers
        if headers is None and self.deferred:
            self.set_headers(split_command_block(self.head))
            return self.headers
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
        ctype = self._ctype
        if ctype is not None:
            return ctype
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
    nul = block.find(b"\x00")
    text = (block if nul < 0 else block[:nul]).decode(_ENC, _ERR)
    # CR, LF and ":" are ASCII, so decoding the whole block first gives the same strings as
    # decoding each piece. The work is done by ``re`` in C and is linear in the block (a
    # per-line loop re-searching for the next CR was quadratic: 4 MB took minutes).
    if "\r" not in text:
        return _LF_HEADER.findall(text, text.find("\n") + 1) if "\n" in text else []
    # A line ends at the next CR while there is one (its LFs merge into it), then at LFs.
    parts = _CR_RUN.split(text)
    headers: list[tuple[str, str]] = _CR_HEADER.findall("\r".join(parts[1:-1]))
    headers += _LF_HEADER.findall(parts[-1])
    return headers


#: Server side: a command block larger than this, with no ``content-length`` line, is handed
#: out with its header lines not yet split (``Frame.deferred``), for the caller to split in
#: slices between other work (a 10 MiB block of short lines takes most of a second).
DEFER_SPLIT_OVER = 256 * 1024


# Found in the block lowercased (bytes: ASCII only, so positions do not move); a literal
# prefix lets ``re`` skip between candidates instead of trying every line.
_LF_CONTENT_LENGTH = re.compile(rb"\ncontent-length:[ ]*")
_CONTENT_LENGTH_NAME = re.compile(rb"content-length:[ ]*")


def command_block_content_lengths(block: bytes) -> list[str]:
    """The values of the ``content-length`` headers (any case) of a command block, in order,
    without splitting the rest: the same as filtering :func:`split_command_block`, in time
    that does not depend on the number of other lines (a multi-MiB block of short lines is
    scanned in C, not turned into a million pairs)."""
    nul = block.find(b"\x00")
    if nul >= 0:
        block = block[:nul]
    lowered = block.lower()
    if b"content-length:" not in lowered:
        return []
    values: list[str] = []
    first_cr = block.find(b"\r")
    if first_cr < 0:
        tail = block.find(b"\n")
        if tail < 0:
            return []
    else:
        # Lines end at CR runs (a run starts with CR and takes every CR/LF after it) up to
        # the last run; what follows that run is split at LFs (see split_command_block).
        last_cr = block.rfind(b"\r")
        run = len(block[first_cr:last_cr].rstrip(b"\r\n")) + first_cr
        run = block.find(b"\r", run) if run > first_cr else first_cr
        previous = first_cr
        for match in _CONTENT_LENGTH_NAME.finditer(lowered, first_cr, run):
            # A line starts after a CR run: the CR/LF bytes right before the name hold a CR.
            before = block[previous : match.start()]
            previous = match.end()
            if b"\r" not in before[len(before.rstrip(b"\r\n")) :]:
                continue
            end = block.find(b"\r", match.end(), run)
            values.append(block[match.end() : run if end < 0 else end].decode(_ENC, _ERR))
        tail = last_cr + 1
        while tail < len(block) and block[tail] in b"\r\n":
            tail += 1
        # The first line of the tail starts right after the run, not after an LF.
        tail -= 1
        lowered = lowered[:tail] + b"\n" + lowered[tail + 1 :]
    for match in _LF_CONTENT_LENGTH.finditer(lowered, tail):
        end = block.find(b"\n", match.end())
        values.append(block[match.end() : len(block) if end < 0 else end].decode(_ENC, _ERR))
    return values


def split_command_block_in_slices(
    block: bytes, slice_bytes: int = 128 * 1024
) -> Iterator[list[tuple[str, str]]]:
    """:func:`split_command_block` in pieces of about ``slice_bytes`` each (their
    concatenation is the same list), so that a caller can yield between them."""
    nul = block.find(b"\x00")
    text = (block if nul < 0 else block[:nul]).decode(_ENC, _ERR)
    if "\r" not in text:
        start = text.find("\n") + 1 if "\n" in text else len(text)
        while start < len(text):
            end = text.find("\n", start + slice_bytes)
            end = len(text) if end < 0 else end + 1
            yield _LF_HEADER.findall(text[start:end])
            start = end
        return
    parts = _CR_RUN.split(text)
    middle = parts[1:-1]
    index = 0
    while index < len(middle):
        batch: list[str] = []
        size = 0
        while index < len(middle) and size < slice_bytes:
            batch.append(middle[index])
            size += len(middle[index]) + 1
            index += 1
        yield _CR_HEADER.findall("\r".join(batch))
    tail = parts[-1]
    start = 0
    while start < len(tail):
        end = tail.find("\n", start + slice_bytes)
        end = len(tail) if end < 0 else end + 1
        yield _LF_HEADER.findall(tail[start:end])
        start = end


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
        "_need",
        "_pending_head",
        "_pending_headers",
        "_pending_need",
        "_pos",
        "_scan",
        "_stitched",
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
        # Server side: one growing buffer, framed from _pos. Client side: the unframed bytes
        # are either ``_fresh[_fresh_pos:]`` (framed in place, without a copy) or, while a
        # frame too large for the bytes that arrive is being gathered, ``_buf``.
        self._buf = bytearray()
        self._pos = 0
        self._fresh: bytes | None = None
        self._fresh_pos = 0
        # Client side: a frame that was split between two reads, made whole (it comes before
        # ``_fresh[_fresh_pos:]``).
        self._stitched: bytes | None = None
        # Where the terminator search resumes, relative to the start of the unfinished frame.
        self._scan = 0
        # Client side: the whole length of the unfinished frame, once its head is known.
        # Server side: the length of the last of the pending bodies.
        self._need = 0
        # Server side: a frame whose header block is complete but whose body is not.
        self._pending_head: bytes | None = None
        self._pending_headers: list[tuple[str, str]] | None = None
        self._pending_need = 0

    def feed(self, data: bytes) -> None:
        """Add received bytes."""
        if self.server_side:
            if self._pos and self._pos == len(self._buf):
                self._buf.clear()
                self._scan -= self._pos
                self._pos = 0
            self._buf += data
            return
        if not data:
            return
        buf = self._buf
        if buf:
            buf += data
            return
        fresh = self._fresh
        if fresh is None:
            self._fresh = bytes(data)
            self._fresh_pos = 0
            return
        pos = self._fresh_pos
        stitched = self._stitched
        if stitched is not None:
            # Fed twice without taking frames in between: back to one piece.
            fresh = self._fresh = stitched + fresh[pos:]
            pos = self._fresh_pos = 0
            self._stitched = None
        need = self._need
        rest = len(fresh) - pos
        if need > rest and len(data) >= need - rest:
            # The split frame's length is known: complete it alone, and frame the new
            # bytes where they are (no copy of a whole read).
            data = bytes(data)
            self._stitched = fresh[pos:] + data[: need - rest]
            self._fresh = data
            self._fresh_pos = need - rest
            self._need = 0
            return
        if len(data) >= rest:
            # Frame in place; copying the partial frame is paid for by the new bytes.
            self._fresh = (fresh[pos:] if pos else fresh) + data
            self._fresh_pos = 0
            return
        # A frame larger than the pieces that arrive: gather it without quadratic copies.
        buf += memoryview(fresh)[pos:]
        buf += data
        self._fresh = None
        self._fresh_pos = 0

    @property
    def buffered(self) -> int:
        """Bytes received but not yet returned as part of a frame."""
        fresh = 0 if self._fresh is None else len(self._fresh) - self._fresh_pos
        if self._stitched is not None:
            fresh += len(self._stitched)
        return len(self._buf) - self._pos + fresh

    @property
    def in_frame(self) -> bool:
        """True while part of a frame is buffered (FreeSWITCH then holds back events)."""
        return self._pending_head is not None or self.buffered > 0

    def next_frame(self) -> Frame | None:
        """The next complete frame, or ``None`` until more bytes arrive."""
        if not self.server_side:
            taken = self._take(1, False)
            return cast(Frame, taken[0]) if taken else None
        frame = self._next_frame()
        if frame is None and self._pos:
            self._compact()
        return frame

    def frames(self) -> list[Frame]:
        """Every complete frame now buffered."""
        if not self.server_side:
            return cast(list[Frame], self._take(-1, False))
        out: list[Frame] = []
        while True:
            frame = self.next_frame()
            if frame is None:
                return out
            out.append(frame)

    def frames_or_event_bodies(self) -> list[Frame | bytes]:
        """Every complete frame now buffered (client side), except that a
        ``text/event-plain`` frame in the usual layout (``Content-Length`` first, then
        ``Content-Type``) comes as its body alone: the bytes for
        :meth:`~eslkit.protocol.event.Event.from_plain`. The client's event path, without a
        :class:`Frame` per event."""
        if self.server_side:
            return list(self.frames())
        return self._take(-1, True)

    # ------------------------------------------------------------------ client side
    def _take(self, limit: int, bodies: bool) -> list[Frame | bytes]:
        """Frame up to ``limit`` (-1: all) frames of what the server writes; with ``bodies``,
        plain events as their body bytes."""
        stitched = self._stitched
        if stitched is not None:
            # One whole frame, framed before the rest of the read.
            self._stitched = None
            fresh, pos = self._fresh, self._fresh_pos
            self._fresh, self._fresh_pos = stitched, 0
            out = self._take(limit, bodies)
            assert self._fresh is None and len(out) == 1
            self._fresh, self._fresh_pos = fresh, pos
            if limit > 0:
                limit -= 1
                if not limit:
                    if fresh is not None and pos >= len(fresh):
                        self._fresh, self._fresh_pos = None, 0
                    return out
        else:
            out = []
        if self._buf and not self._gather():
            return out
        fresh = self._fresh
        if fresh is None:
            return out
        append = out.append
        pos = self._fresh_pos
        size = len(fresh)
        max_body = self.max_body
        scan = self._scan
        self._scan = self._need = 0
        # (A head limit below any event head would need the general path's check.)
        fast = self.max_header >= 4096
        event_head = _EVENT_HEAD.match if fast else _no_match
        plain_tail = _PLAIN_EVENT_TAIL
        plain = bodies and fast
        startswith = fresh.startswith
        while pos < size and limit:
            if plain and startswith(b"Content-Length: ", pos):
                # A plain event exactly as FreeSWITCH frames it: cheaper than the match.
                eol = fresh.find(b"\n", pos + 16, pos + 40)
                if eol > 0 and startswith(plain_tail, eol):
                    digits = fresh[pos + 16 : eol]
                    if digits.isdigit():
                        length = int(digits)
                        if length > max_body:
                            self._client_content_length(fresh[pos:eol])  # raises
                        term_end = eol + 33
                        end = term_end + length
                        if end > size:
                            self._need = end - pos
                            break
                        append(fresh[term_end:end])
                        pos = end
                        scan = 0
                        limit -= 1
                        continue
            match = event_head(fresh, pos)
            if match is not None:
                # The common case, in one match: Content-Length first, then Content-Type.
                term_end = match.end()
                length = int(match[1])
                if length > max_body:
                    self._client_content_length(fresh[pos : term_end - 2])  # raises
                end = term_end + length
                if end > size:
                    self._need = end - pos
                    break
                ctype = match[2]
                if bodies and ctype == b"text/event-plain":
                    append(fresh[term_end:end])
                else:
                    frame = Frame(
                        fresh[pos : term_end - 2], fresh[term_end:end] if length else None
                    )
                    if ctype is not None:
                        frame._ctype = _CONTENT_TYPES.get(ctype) or ctype.decode(_ENC, _ERR)
                    append(frame)
                pos = end
                scan = 0
                limit -= 1
                continue
            term = fresh.find(b"\n\n", pos, pos + 4096)
            if term >= 0 and fresh.find(b"\r", pos, term) < 0:
                term_end = term + 2
                if term - pos > self.max_header:
                    raise HeaderBlockTooLarge(term - pos, self.max_header)
            else:
                term, term_end = self._terminator(fresh, pos, size, scan)
                if term < 0:
                    break
            length = self._client_content_length(fresh[pos:term])
            if length:
                end = term_end + length
                if end > size:
                    self._need = end - pos
                    break
                append(Frame(fresh[pos:term], fresh[term_end:end]))
                pos = end
            else:
                append(Frame(fresh[pos:term]))
                pos = term_end
            scan = 0
            limit -= 1
        if pos >= size:
            self._fresh = None
            self._fresh_pos = 0
        else:
            self._fresh_pos = pos
        return out

    def _gather(self) -> bool:
        """While gathering a large frame in ``_buf``: True (and back to framing in place)
        once the whole frame is there."""
        buf = self._buf
        need = self._need
        if not need:
            term, term_end = self._terminator(buf, 0, len(buf), self._scan)
            if term < 0:
                return False
            need = self._need = term_end + self._client_content_length(bytes(buf[:term]))
        if len(buf) < need:
            return False
        self._fresh = bytes(buf)
        self._fresh_pos = 0
        buf.clear()
        return True

    def _terminator(
        self, data: bytes | bytearray, start: int, end: int, scan: int
    ) -> tuple[int, int]:
        """The client-side terminator (``\\n``, CRs, ``\\n``) of the head at ``start``.

        Returns ``(-1, -1)`` until it arrives, remembering where to resume. The head may be
        at most ``max_header`` bytes and its terminator at most 64 bytes more, whatever the
        split of the input.
        """
        match = _TERMINATOR_WITH_CR.search(data, start + scan)
        limit = self.max_header
        if match is not None:
            term, term_end = match.span()
            if term - start > limit or term_end - start > limit + 64:
                raise HeaderBlockTooLarge(term - start, limit)
            return term, term_end
        # Resume at the trailing run of CR/LF bytes, which may begin a terminator.
        tail = data[max(start + scan, end - 64) : end]
        run = len(tail) - len(tail.rstrip(b"\r\n"))
        resume = end - run if run < len(tail) else start + scan
        self._scan = resume - start
        if resume - start > limit or end - start > limit + 64:
            raise HeaderBlockTooLarge(end - start, limit)
        return -1, -1

    def _client_content_length(self, head: bytes) -> int:
        """The first ``Content-Length`` header (any case): spaces around digits, nothing else."""
        lowered = head.lower()
        if lowered.startswith(b"content-length:"):
            start = 15
        else:
            pos = lowered.find(b"\ncontent-length:")
            if pos < 0:
                return 0
            start = pos + 16
        eol = head.find(b"\n", start)
        raw = head[start : eol if eol >= 0 else len(head)]
        text = raw.strip(b" ")
        if not text.isdigit():
            raise BadContentLength(raw.decode(_ENC, _ERR), "not a non-negative integer")
        significant = text.lstrip(b"0")
        # (More digits than any 64-bit value: over the limit, without int() of all of them.)
        length = int(significant or b"0") if len(significant) <= 19 else self.max_body + 1
        if length > self.max_body:
            raise BadContentLength(raw.decode(_ENC, _ERR), f"over the {self.max_body}-byte limit")
        return length

    # ------------------------------------------------------------------ server side
    def _next_frame(self) -> Frame | None:
        buf = self._buf
        if self._pending_head is not None:
            return self._finish_body()
        pos = self._pos
        end = len(buf)
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
                # FreeSWITCH treats a block that reaches the limit as complete.
                term = term_end = pos + self.max_header
            else:
                term, term_end = match.start(), match.end()
        if term - pos > self.max_header:
            term = term_end = pos + self.max_header
        self._pos = term_end
        self._scan = term_end
        # The server keeps the whole raw block, terminator included, as the command.
        return self._server_frame(bytes(buf[pos:term_end]))

    def _server_frame(self, head: bytes) -> Frame | None:
        headers: list[tuple[str, str]] | None
        if len(head) > DEFER_SPLIT_OVER:
            # A large block: its header lines are split later, a slice at a time, by the
            # caller (Frame.deferred); only its content-length values are needed now.
            headers = None
            values = command_block_content_lengths(head)
        else:
            headers = split_command_block(head)
            # A header named content-length (any case) leaves "content-length" in the
            # lowercased block; most commands have none, so skip the per-header test then.
            values = (
                [value for name, value in headers if name.lower() == "content-length"]
                if b"ength" in head.lower()
                else []
            )
        need = last = 0
        for value in values:
            length = _atoi(value.encode(_ENC, _ERR))
            if length < 0:
                raise BadContentLength(value, "negative")
            if length > self.max_body:
                raise BadContentLength(value, f"over the {self.max_body}-byte limit")
            if length:
                # Each one reads its own body right away; a later body replaces the
                # earlier one, but both are consumed from the stream.
                need += length
                last = length
        if need:
            self._pending_head = head
            self._pending_headers = headers
            self._pending_need = need
            self._need = last
            return self._finish_body()
        frame = Frame(head, None, headers)
        frame.deferred = headers is None
        return frame

    def _finish_body(self) -> Frame | None:
        buf = self._buf
        need = self._pending_need
        pos = self._pos
        if len(buf) - pos < need:
            return None
        body = bytes(buf[pos + need - self._need : pos + need])
        self._pos = self._scan = pos + need
        head = self._pending_head
        assert head is not None
        headers = self._pending_headers
        self._pending_head = None
        self._pending_headers = None
        # FreeSWITCH keeps the body as a C string.
        nul = body.find(b"\x00")
        if nul >= 0:
            body = body[:nul]
        frame = Frame(head, body, headers)
        frame.deferred = headers is None
        return frame

    def _compact(self) -> None:
        if self._pos:
            del self._buf[: self._pos]
            self._scan = max(0, self._scan - self._pos)
            self._pos = 0
