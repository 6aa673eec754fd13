"""Errors raised by the sans-IO protocol layer."""

from __future__ import annotations


class ESLError(Exception):
    """Base class of every error the eslkit client raises (:mod:`eslkit.client.errors`
    holds the others; this one lives here because building a command can raise it)."""


class UnsafeValue(ESLError, ValueError):
    """A command argument or header value contains CR, LF or NUL, which would let it inject
    extra lines or commands. Nothing was sent."""


class ProtocolError(Exception):
    """The byte stream cannot be framed: the peer broke the protocol.

    A connection that raises this cannot continue, since the frame boundary is lost.
    """


class BadContentLength(ProtocolError):
    """A ``Content-Length`` header that is negative, not a number, or over the body limit."""

    def __init__(self, value: str, reason: str) -> None:
        super().__init__(f"bad Content-Length {value!r}: {reason}")
        self.value = value
        self.reason = reason


class HeaderBlockTooLarge(ProtocolError):
    """A header block grew past the limit without its terminating blank line."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"header block of {size} bytes exceeds the limit of {limit} bytes")
        self.size = size
        self.limit = limit


class EventFormatError(ValueError):
    """A serialized event (plain, JSON or XML) is malformed."""
