"""The dialplan's condition regexes (``switch_regex_perform``, ``switch_perform_substitution``,
``switch_capture_regex``), through :mod:`eslkit.pcre`: PCRE syntax, bounded."""

from __future__ import annotations

import functools
import re

from eslkit import pcre
from eslkit.switch.dialplan_model import MAX_FIELD_LENGTH

__all__ = ["capture_value", "perform_substitution", "regex_match"]


def _ast_to_regex(pattern: str) -> str:
    # Asterisk-style patterns: N=[2-9], X=[0-9], Z=[1-9], .=.*
    table = {"N": "[2-9]", "X": "[0-9]", "Z": "[1-9]", ".": ".*"}
    return "^" + "".join(table.get(ch, ch) for ch in pattern) + "$"


@functools.lru_cache(maxsize=1024)
def _compile(expression: str) -> pcre.Regex | None:
    flags = 0
    if expression.startswith("_"):
        expression = _ast_to_regex(expression[1:])
    if expression.startswith("/"):
        body, slash, opts = expression[1:].rpartition("/")
        if not slash:
            return None
        expression = body
        if "i" in opts:
            flags |= re.IGNORECASE
        if "s" in opts:
            flags |= re.DOTALL
    return pcre.compile(expression, flags)


def regex_match(subject: str, expression: str) -> tuple[re.Match[str] | None, int]:
    """``switch_regex_perform``: search `subject`; return the match and PCRE's match count
    (one more than the highest capture group that took part), 0 when there is no match.

    The expression runs through :mod:`eslkit.pcre` (PCRE syntax, bounded like PCRE's match
    limit: a match over budget is no match)."""
    compiled = _compile(expression)
    if compiled is None:
        return None, 0
    match = compiled.search(subject[:MAX_FIELD_LENGTH])
    if match is None:
        return None, 0
    count = 1
    for group in range(compiled.groups, 0, -1):
        if match.start(group) != -1:
            count = group + 1
            break
    return match, count


def _group(match: re.Match[str], number: int) -> str | None:
    if number < 0 or number > match.re.groups:
        return None
    return match.group(number)


def perform_substitution(match: re.Match[str] | None, data: str, limit: int) -> str:
    """``switch_perform_substitution``: replace ``$N`` and ``${N}`` in `data` with captures.

    An unset or missing group gives nothing; ``$`` not followed by a digit stays; the
    result is cut to ``limit - 1`` characters, as FreeSWITCH's buffer does.
    """
    if limit <= 0 or match is None:
        return ""
    out: list[str] = []
    digits: list[str] = []  # FreeSWITCH keeps stale digits after a bad ${N: mirrored
    x, n, size = 0, len(data), 0
    room = limit - 1
    while size < room and x < n:
        if data[x] != "$":
            out.append(data[x])
            size += 1
            x += 1
            continue
        x += 1
        brace = x < n and data[x] == "{"
        if brace:
            x += 1
        if not (x < n and data[x].isascii() and data[x].isdigit()):
            x -= int(brace)
            out.append(data[x - 1])
            size += 1
            continue
        while x < n and data[x].isascii() and data[x].isdigit() and len(digits) < 9:
            digits.append(data[x])
            x += 1
        if brace:
            if not (x < n and data[x] == "}"):
                x -= len(digits) - 1
                out.append(data[x - 1])
                size += 1
                continue
            x += 1
        number = int("".join(digits))
        digits.clear()
        value = _group(match, number if number <= 256 else -1)
        if value:
            take = value[: room - size]
            out.append(take)
            size += len(take)
    return "".join(out)


def capture_value(match: re.Match[str] | None, count: int) -> str | None:
    """The value ``switch_capture_regex`` leaves in a variable it pushes each capture onto."""
    if match is None:
        return None
    values = [v for v in (_group(match, i) for i in range(count)) if v is not None]
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return "ARRAY::" + "|:".join(values)
