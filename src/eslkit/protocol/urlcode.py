"""FreeSWITCH's URL encoding (``switch_url_encode``) and decoding.

The encoder works on the UTF-8 bytes of the value. It writes ``%XX`` with uppercase hex for
bytes below 0x20, above 0x7E, and for the characters ``\\r\\n #%&+:;<=>?@[\\]^`{|}"``, with
one quirk: a ``%`` that is followed by two characters of ``0123456789ABCDEF`` (uppercase only)
is left as it is, so values that already contain ``%XX`` pass through unchanged. Plain-format
serialization is therefore lossy for such values: decoding gives back a different string.

Strings in eslkit hold bytes that are not valid UTF-8 as surrogate escapes, so every byte
survives a round trip.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

# Everything that is not left alone, except the pass-through %XX sequences.
_NEEDS_ENCODING = re.compile(r"%(?![0-9A-F]{2})|[^A-Za-z0-9!$'()*,\-./_~%]")

_ENCODED_CHAR_CACHE: dict[str, str] = {}


def _encode_char(match: re.Match[str]) -> str:
    char = match.group()
    cached = _ENCODED_CHAR_CACHE.get(char)
    if cached is None:
        cached = "".join(f"%{byte:02X}" for byte in char.encode("utf-8", "surrogateescape"))
        if len(_ENCODED_CHAR_CACHE) < 4096:
            _ENCODED_CHAR_CACHE[char] = cached
    return cached


_ENCODED_CACHE: dict[str, str] = {}
_ENCODED_CACHE_LIMIT = 8192


def url_encode(value: str) -> str:
    """Encode ``value`` exactly as FreeSWITCH's ``switch_url_encode`` does."""
    cached = _ENCODED_CACHE.get(value)
    if cached is not None:
        return cached
    encoded = _NEEDS_ENCODING.sub(_encode_char, value)
    if len(value) <= 128:
        # Header values repeat a lot (host names, dates within a second, states).
        if len(_ENCODED_CACHE) >= _ENCODED_CACHE_LIMIT:
            _ENCODED_CACHE.clear()
        _ENCODED_CACHE[value] = encoded
    return encoded


def url_decode(value: str) -> str:
    """Decode ``%XX`` sequences (either case of hex). ``+`` is left alone, as in FreeSWITCH.

    Invalid UTF-8 after decoding is kept as surrogate escapes.
    """
    if "%" not in value:
        return value
    return unquote(value, errors="surrogateescape")


def url_encode_many(values: list[str]) -> list[str]:
    """:func:`url_encode` of every value (cached per value: header values repeat a lot)."""
    cache = _ENCODED_CACHE
    out: list[str] = []
    append = out.append
    for value in values:
        cached = cache.get(value)
        append(cached if cached is not None else url_encode(value))
    return out
