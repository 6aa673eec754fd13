"""FreeSWITCH's small string helpers, shared by every layer: ``atoi``, ``switch_is_number``,
``switch_true``, and the UUIDs the switch hands out. (No imports from the rest of eslkit:
everything may import this.)"""

from __future__ import annotations

import os
import random
import re

__all__ = ["c_atoi", "new_uuid", "switch_is_number", "switch_true"]

_UUID4_MASK = 0xFFFFFFFF_FFFF_0FFF_3FFF_FFFFFFFFFFFF
_UUID4_BITS = 0x00000000_0000_4000_8000_000000000000
# Seeded from os.urandom; reseeded in a forked child so parent and child never share a
# sequence. One ``getrandbits`` call is atomic under the GIL, so threads are safe too.
_RNG = random.Random()
os.register_at_fork(after_in_child=_RNG.seed)
_getrandbits = _RNG.getrandbits


def new_uuid() -> str:
    """A fresh lowercase version-4 UUID string, as ``str(uuid.uuid4())`` looks.

    The switch makes one per event, channel and job, so this avoids a system call each time:
    the bits come from a generator seeded from the OS. They are unique, not secret:
    FreeSWITCH's own UUIDs (time and node based) are not secret either, and nothing in the
    event socket treats them as credentials.
    """
    h = f"{(_getrandbits(128) & _UUID4_MASK) | _UUID4_BITS:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

_TRUE_WORDS = frozenset({"yes", "on", "true", "t", "enabled", "active", "allow"})
_ATOI = re.compile(r"[ \t\n\v\f\r]*([+-]?[0-9]+)")
_LONG_MAX = 2**63 - 1
_LONG_MIN = -(2**63)


def c_atoi(text: str) -> int:
    """C ``atoi`` as glibc does it on a 64-bit machine (strtol, then cut to a 32-bit int).

    Leading whitespace and one sign are accepted, parsing stops at the first non-digit, and
    text without digits gives 0.
    """
    match = _ATOI.match(text)
    if match is None:
        return 0
    value = max(_LONG_MIN, min(_LONG_MAX, int(match.group(1))))
    value &= 0xFFFFFFFF
    return value - 2**32 if value >= 2**31 else value


def switch_is_number(text: str) -> bool:
    """FreeSWITCH's ``switch_is_number``: optional sign, then only digits and dots (``""`` too)."""
    body = text[1:] if text[:1] in ("+", "-") else text
    return all(ch == "." or "0" <= ch <= "9" for ch in body)


def switch_true(value: str | None) -> bool:
    """FreeSWITCH's ``switch_true``.

    True for yes/on/true/t/enabled/active/allow (any case), or a number (``switch_is_number``)
    whose ``atoi`` is non-zero, such as ``1``, ``-2`` or ``1.5``.
    """
    if value is None:
        return False
    if value.casefold() in _TRUE_WORDS:
        return True
    return switch_is_number(value) and c_atoi(value) != 0
