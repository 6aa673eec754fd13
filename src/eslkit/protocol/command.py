"""Command packets, both ways: building one safely (the client) and splitting one as
mod_event_socket does (the server; spec §3.1, §4).

:func:`build_command` writes a packet: the line, header lines, a blank line and an optional
body, refusing any CR, LF or NUL inside a value (it would inject lines or commands).

The server reads a packet with :class:`~eslkit.protocol.frames.FrameReader` in server mode;
:class:`Command` is that frame split: the first line (cut the way FreeSWITCH's ``strip_cr``
cuts it), the word-level split handlers use, the header lines and the body.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from eslkit.protocol.errors import UnsafeValue
from eslkit.protocol.frames import Frame

_ENC = "utf-8"
_ERR = "surrogateescape"
_SECRET_WORDS = ("auth", "userauth")


def check_value(value: str, what: str, *, secret: bool = False) -> str:
    """Return ``value`` unchanged, or raise :class:`UnsafeValue` if it holds CR, LF or NUL."""
    if "\n" in value or "\r" in value or "\x00" in value:
        shown = "" if secret else f": {value[:60]!r}"
        raise UnsafeValue(f"{what} must not contain CR, LF or NUL{shown}")
    return value


def build_command(
    line: str,
    headers: Iterable[tuple[str, str]] = (),
    body: str | bytes | None = None,
    *,
    secret: bool = False,
) -> bytes:
    """One command packet: the line, header lines, a blank line, then an optional body.

    Every piece is checked for CR/LF/NUL; a body gets a byte-accurate ``content-length``.
    """
    check_value(line, "command", secret=secret)
    parts = [line, "\n"]
    for name, value in headers:
        check_value(name, "header name")
        if ":" in name:
            raise UnsafeValue(f"header name must not contain ':': {name[:60]!r}")
        check_value(value, f"header {name!r}")
        parts += [name, ": ", value, "\n"]
    raw_body: bytes | None = None
    if body is not None:
        raw_body = body.encode(_ENC, _ERR) if isinstance(body, str) else body
        if b"\x00" in raw_body:
            raise UnsafeValue("a body must not contain NUL (FreeSWITCH cuts it there)")
        if raw_body:
            parts += ["content-length: ", str(len(raw_body)), "\n"]
    parts.append("\n")
    data = "".join(parts).encode(_ENC, _ERR)
    return data + raw_body if raw_body else data


def describe(data: bytes) -> str:
    """A short, password-free description of a command packet for messages and logs."""
    line = data.split(b"\n", 1)[0].decode(_ENC, _ERR)
    word, _, rest = line.partition(" ")
    if word.lower() in _SECRET_WORDS:
        return f"{word} ***"
    if len(line) > 80:
        return line[:77] + "..."
    return line if rest or word else "(empty)"


def strip_cr(text: str) -> str:
    """Cut ``text`` at its first CR anywhere, or else at its first LF (FreeSWITCH's
    ``strip_cr``; with mixed line endings a later CR wins)."""
    cut = text.find("\r")
    if cut < 0:
        cut = text.find("\n")
    return text if cut < 0 else text[:cut]


@dataclass(slots=True)
class Command:
    """One command packet as the server sees it."""

    #: The whole raw block, header lines and terminator included (FreeSWITCH's ``Command``).
    raw: str
    #: The first line, as ``strip_cr`` leaves it.
    line: str
    #: The header lines in order (names not trimmed, values with leading spaces skipped).
    headers: list[tuple[str, str]] = field(default_factory=list)
    #: The body, if a ``content-length`` header brought one (cut at the first NUL).
    body: bytes | None = None

    @classmethod
    def from_frame(cls, frame: Frame) -> Command:
        """Build a command from a frame read in server mode."""
        head = frame.head
        nul = head.find(b"\x00")
        # Frame.command, without its split: the block up to a NUL, decoded.
        raw = (head if nul < 0 else head[:nul]).decode("utf-8", "surrogateescape")
        return cls(raw, strip_cr(raw), frame.headers, frame.body)

    def header(self, name: str) -> str | None:
        """The first header called ``name`` (case-insensitive), as sent."""
        lowered = name.lower()
        headers = self.headers
        if len(headers) > 64 and lowered.isascii() and lowered not in self.raw.lower():
            # A block of many header lines (up to 10 MiB of them): a name that is nowhere
            # in it is ruled out in C instead of a Python step per line.
            return None
        for key, value in headers:
            if key.lower() == lowered:
                return value
        return None

    @property
    def body_text(self) -> str | None:
        """The body decoded as UTF-8 (invalid bytes kept as surrogate escapes)."""
        return None if self.body is None else self.body.decode("utf-8", "surrogateescape")

    def word_is(self, prefix: str) -> bool:
        """Case-insensitive prefix match on the raw block, as ``strncasecmp`` does."""
        return self.raw[: len(prefix)].lower() == prefix.lower()

    def argument_after(self, prefix: str) -> str:
        """The first line after ``prefix`` (no stripping)."""
        return self.line[len(prefix) :]
