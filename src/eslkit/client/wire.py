"""Building command packets safely: no CR, LF or NUL may reach the wire inside a value."""

from __future__ import annotations

from collections.abc import Iterable

from eslkit.client.errors import UnsafeValue

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
