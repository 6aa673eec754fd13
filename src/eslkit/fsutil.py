"""FreeSWITCH's small string helpers, shared by every layer, and their one home: ``atoi``
(:func:`c_atoi`), ``atol``/``strtol`` (:func:`c_atol`), ``switch_is_number``,
``switch_true``, ``switch_log_str2level`` (:func:`parse_log_level`), and the UUIDs the
switch hands out. (No imports from the rest of eslkit: everything may import this.)"""

from __future__ import annotations

import os
import random
import re

__all__ = [
    "LOG_INVALID",
    "LOG_LEVEL_NAMES",
    "c_atoi",
    "c_atol",
    "new_uuid",
    "parse_log_level",
    "switch_false",
    "switch_is_number",
    "switch_true",
]

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


def c_atol(text: str) -> int:
    """C ``atol`` / ``strtol(text, NULL, 10)`` on a 64-bit machine: leading whitespace and
    one sign, digits up to the first non-digit (0 without any), saturated at
    LONG_MIN/LONG_MAX. What mod_commands reads epoch times, ids and milliseconds with
    (``sched_api``, ``sched_hangup``, ``msleep``, ...); :func:`c_atoi` where FreeSWITCH
    says ``atoi``."""
    match = _ATOI.match(text)
    if match is None:
        return 0
    digits = match.group(1)
    # Past 19 significant digits the value saturates: int() of thousands of digits is never
    # attempted (it is slow, and Python refuses more than 4300 of them).
    negative = digits[0] == "-"
    significant = digits.lstrip("+-").lstrip("0")
    if len(significant) > 19:
        return _LONG_MIN if negative else _LONG_MAX
    value = int(significant) if significant else 0
    return max(_LONG_MIN, min(_LONG_MAX, -value if negative else value))


def c_atoi(text: str) -> int:
    """C ``atoi`` as glibc does it on a 64-bit machine: :func:`c_atol` cut to a 32-bit
    int (a value past 32 bits wraps).

    Leading whitespace and one sign are accepted, parsing stops at the first non-digit, and
    text without digits gives 0.
    """
    value = c_atol(text) & 0xFFFFFFFF
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


_FALSE_WORDS = frozenset({"no", "off", "false", "f", "disabled", "inactive", "disallow"})


def switch_false(value: str | None) -> bool:
    """FreeSWITCH's ``switch_false``: no/off/false/f/disabled/inactive/disallow (any case) or
    a number whose ``atoi`` is zero; an unset value is not false."""
    if value is None:
        return False
    if value.casefold() in _FALSE_WORDS:
        return True
    return switch_is_number(value) and c_atoi(value) == 0


LOG_INVALID = 64
"""``SWITCH_LOG_INVALID``: what :func:`parse_log_level` returns for what is not a level."""

#: ``LEVELS[]`` of switch_log.c, indexed by level + 1 (DISABLE is -1).
LOG_LEVEL_NAMES: tuple[str, ...] = (
    "DISABLE",
    "CONSOLE",
    "ALERT",
    "CRIT",
    "ERR",
    "WARNING",
    "NOTICE",
    "INFO",
    "DEBUG",
)
_LEVEL_BY_NAME = {name: index - 1 for index, name in enumerate(LOG_LEVEL_NAMES)}


def parse_log_level(text: str) -> int:
    """``switch_log_str2level``: a number (:func:`switch_is_number`, so ``""``, ``.`` and
    ``+`` too) read with :func:`c_atoi` and clamped to 0..63, with exactly 64 invalid; else a
    level name in any case (``DISABLE`` is -1); else :data:`LOG_INVALID`."""
    if switch_is_number(text):
        value = c_atoi(text)
        if value > LOG_INVALID:
            return LOG_INVALID - 1
        return max(value, 0)
    return _LEVEL_BY_NAME.get(text.upper(), LOG_INVALID) if text.isascii() else LOG_INVALID
