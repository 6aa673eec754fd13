"""Splitting an incoming command packet as mod_event_socket does (spec §3.1, §4).

The server reads a packet with :class:`~eslkit.protocol.frames.FrameReader` in server mode;
this module turns that frame into a :class:`Command`: the first line (cut the way
FreeSWITCH's ``strip_cr`` cuts it), the word-level split handlers use, the header lines and
the body.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from eslkit.protocol.frames import Frame


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
        for key, value in self.headers:
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
