"""The dialplan's time conditions (``switch_xml_std_datetime_check``): ``year``, ``mon``,
``wday``, ``hour``, ``time-of-day``, ``date-time``, ``tz-offset``, ``dst`` ... on a condition
or a ``<regex>``."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta, tzinfo

from eslkit.fsutil import c_atoi, c_atol, switch_true
from eslkit.switch.dialplan_model import TimeSpec

__all__ = ["TIME_ATTRS", "switch_true_number", "time_match"]

TIME_ATTRS = (
    "date-time", "year", "yday", "mon", "mday", "week", "mweek", "wday", "hour", "minute",
    "minute-of-day", "time-of-day", "tz-offset", "dst",
)  # fmt: skip
_DOW = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def _strtol(text: str, i: int) -> tuple[int, int]:
    j = i
    while j < len(text) and text[j] in " \t\n\v\f\r":
        j += 1
    k = j
    if k < len(text) and text[k] in "+-":
        k += 1
    d = k
    while d < len(text) and text[d].isascii() and text[d].isdigit():
        d += 1
    if d == k:
        return 0, i
    return c_atol(text[j:d]), d


def _number_cmp(expression: str, value: int) -> bool:
    i = 0
    while True:
        a, i = _strtol(expression, i)
        if i < len(expression) and expression[i] == "-":
            b, i = _strtol(expression, i + 1)
            if (a <= value <= b) if a <= b else (value >= a or value <= b):
                return True
        elif a == value:
            return True
        if i >= len(expression) or expression[i] != ",":
            return False
        i += 1


def _dow_cmp(expression: str, value: int) -> bool:
    i, prev, range_start = 0, -1, -1
    while i < len(expression):
        ch = expression[i]
        if ch == "-":
            i += 1
            range_start = prev
            cur = -3
        elif ch == ",":
            i += 1
            cur = -1
        elif "1" <= ch <= "7":
            i += 1
            cur = int(ch)
        elif expression[i : i + 3].lower() in _DOW:
            cur = _DOW.index(expression[i : i + 3].lower()) + 1
            i += 3
        else:
            return False
        if cur > 0:
            if range_start > 0:
                lo = range_start
                if (lo <= value <= cur) if lo <= cur else (value >= lo or value <= cur):
                    return True
                range_start = -1
            elif value == cur:
                return True
        prev = cur
    return False


def _tod_cmp(expression: str, value: int) -> bool:
    for item in expression.split(","):
        colon = item.find(":")
        if colon < 0:
            continue
        rest = item[colon + 1 :]
        dash = rest.find("-")
        if dash < 0:
            continue
        after = rest[dash:]
        colon2 = after.find(":")
        if colon2 < 0:
            continue
        min_m, _, min_s = rest[:dash].partition(":")
        max_m, _, max_s = after[colon2 + 1 :].partition(":")
        start = c_atoi(item[:colon]) * 3600 + c_atoi(min_m) * 60 + c_atoi(min_s or "00")
        end = c_atoi(after[1:colon2]) * 3600 + c_atoi(max_m) * 60 + c_atoi(max_s or "00")
        if (start <= value <= end) if start <= end else (value >= start or value <= end):
            return True
    return False


def _parse_when(text: str, tz: tzinfo | None) -> datetime | None:
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(text.strip(), fmt).replace(tzinfo=tz)
        except ValueError:
            continue
    return None


def _fulldate_cmp(expression: str, now: datetime) -> bool:
    for item in expression.split(","):
        start_text, tilde, end_text = item.partition("~")
        if not tilde:
            continue
        start = _parse_when(start_text, now.tzinfo)
        end = _parse_when(end_text, now.tzinfo)
        if start is None or end is None:
            return False
        if start <= now < end:
            return True
    return False


def time_match(spec: TimeSpec | None, now: datetime, tz_offset: int | None) -> int:
    """``switch_xml_std_datetime_check``: -1 without time attributes, else 1 or 0."""
    if spec is None:
        return -1
    attrs = dict(spec.attrs)
    tm = now
    offset = now.utcoffset() or timedelta(0)
    eoffset = int(offset.total_seconds() / 3600) if tz_offset is None else tz_offset
    tt = tm.timetuple()
    wday = (tm.weekday() + 1) % 7
    yday = tt.tm_yday - 1
    checks: list[tuple[str, Callable[[str], bool]]] = [
        ("tz-offset", lambda v: not switch_true_number(v) or c_atoi(v) == eoffset),
        ("dst", lambda v: bool(now.dst()) and switch_true(v)),
        ("date-time", lambda v: _fulldate_cmp(v, now)),
        ("year", lambda v: _number_cmp(v, tm.year)),
        ("yday", lambda v: _number_cmp(v, yday + 1)),
        ("mon", lambda v: _number_cmp(v, tm.month)),
        ("mday", lambda v: _number_cmp(v, tm.day)),
        ("week", lambda v: _number_cmp(v, yday // 7 + 1)),
        ("mweek", lambda v: _number_cmp(v, _week_of_month(tm.day, wday))),
        ("wday", lambda v: _dow_cmp(v, wday + 1)),
        ("hour", lambda v: _number_cmp(v, tm.hour)),
        ("minute", lambda v: _number_cmp(v, tm.minute)),
        ("minute-of-day", lambda v: _number_cmp(v, tm.hour * 60 + tm.minute + 1)),
        ("time-of-day", lambda v: _tod_cmp(v, tm.hour * 3600 + tm.minute * 60 + tm.second)),
    ]
    for name, check in checks:
        if name in attrs and not check(attrs[name]):
            return 0
    return 1


def switch_true_number(value: str) -> bool:
    """``switch_is_number``: an optional sign, digits and at most one dot."""
    return bool(re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)", value))


def _week_of_month(mday: int, wday: int) -> int:
    first_dow = (7 - (mday - (wday + 1)) % 7) % 7
    return -(-(mday + first_dow) // 7)
