"""The one home for regexes that come from clients and configuration (PCRE syntax, bounded).

FreeSWITCH matches event filters (``filter Header /re/``), dialplan conditions and
``play_and_get_digits`` input with PCRE, whose match limit turns a catastrophic pattern into
a failed match. Python's ``re`` has no such limit: ``^([0-9a-f-]+)+X`` against a UUID, or
even ``\\d+X`` against a long run of digits, would hold the event loop for minutes. This
module gives every such regex the same bounded behaviour without a runtime dependency:

1. :func:`compile` translates the PCRE syntax real dialplans use that ``re`` spells
   differently (``(?<name>...)``, ``\\k<name>``, ``\\Q...\\E``, ``\\z``, ``\\h``,
   ``\\x{..}``, an inline ``(?i)`` in the middle of a pattern) and compiles with ``re.ASCII``
   (PCRE without UTF-8, as FreeSWITCH uses it).
2. A static check of the parsed pattern sorts it: a pattern that cannot backtrack
   catastrophically runs on plain ``re`` at full speed. "Safe" means no backreference, no
   variable repeat or alternation inside a repeat, and at most one unbounded variable
   repeat, which must then be anchored at the start (an unanchored ``\\d+X`` is quadratic in
   a search). ``^(\\d+)$``, ``^1?(\\d{10})$``, ``(?i)^bob$``, ``^CHANNEL_`` are safe.
3. Any other pattern is *guarded*: it sees at most :data:`GUARDED_SUBJECT_LIMIT` characters
   of its subject and its match may take at most :data:`MATCH_BUDGET` seconds; past that it is
   a non-match (logged once per pattern), as PCRE's match limit makes it. After that the
   pattern gets :data:`DEMOTED_BUDGET` per match, and the last subjects it overran on fail at
   once, so a hostile filter does not cost every later event a whole budget. CPython's matcher
   checks for signals every 4096 steps, so in the main thread a ``SIGALRM`` interval timer
   ends the match (a step scans at most the capped subject, which bounds the overshoot). In
   another thread (the blocking test server) the match runs first in a worker process with
   the deadline (killed when it passes it), and only a pattern that finished there is run
   here.

The guard costs about a microsecond per match; safe patterns pay nothing.
"""

from __future__ import annotations

import functools
import importlib
import json
import logging
import os
import re
import select
import signal
import subprocess
import sys
import threading
import time
from typing import Any

__all__ = [
    "DEMOTED_BUDGET",
    "GUARDED_SUBJECT_LIMIT",
    "MATCH_BUDGET",
    "Regex",
    "compile",
    "is_safe",
    "translate",
]

log = logging.getLogger("eslkit.pcre")

# re's own parser (private, typed as Any): the static check reads its parse tree.
_sre_parse: Any = importlib.import_module("re._parser")
_sre_constants: Any = importlib.import_module("re._constants")

MATCH_BUDGET = 0.02
"""Seconds one guarded match may take (PCRE's match limit, in time): within the loop budget."""
GUARDED_SUBJECT_LIMIT = 4096
"""Characters of its subject a guarded pattern sees (the dialplan's field cut, everywhere)."""
DEMOTED_BUDGET = 0.002
"""Seconds per match for a pattern that has passed its budget once: one hostile filter must
not cost every later event a whole budget (the subjects it failed on fail at once)."""
_SLOW_SUBJECTS = 16

_MAXREPEAT = _sre_constants.MAXREPEAT
_REPEATS = {_sre_constants.MAX_REPEAT, _sre_constants.MIN_REPEAT}
_POSSESSIVE = getattr(_sre_constants, "POSSESSIVE_REPEAT", None)
_BIG_RANGE = 32


class _OverBudget(Exception):
    pass


class Regex:
    """A compiled client or configuration regex; :meth:`search` is bounded."""

    __slots__ = ("_budget", "_slow", "guarded", "pattern", "source")

    def __init__(self, pattern: re.Pattern[str], source: str, guarded: bool) -> None:
        self.pattern = pattern
        #: The expression as given (before translation), for the log.
        self.source = source
        #: Whether matches run under the budget (the static check could not clear it).
        self.guarded = guarded
        self._budget = MATCH_BUDGET
        # Subjects this pattern has run out of budget on (a filter sees the same header
        # values again and again: the Core-UUID of every event).
        self._slow: dict[str, None] | None = None

    @property
    def groups(self) -> int:
        """The number of capture groups."""
        return self.pattern.groups

    def search(self, subject: str) -> re.Match[str] | None:
        """``re.search`` bounded like PCRE's match limit: over budget is no match."""
        if not self.guarded:
            return self.pattern.search(subject)
        subject = subject[:GUARDED_SUBJECT_LIMIT]
        slow = self._slow
        if slow is not None and subject in slow:
            return None
        try:
            if threading.current_thread() is threading.main_thread():
                return _search_with_alarm(self.pattern, subject, self._budget)
            if not _WORKER.finishes(self.pattern, subject, self._budget):
                raise _OverBudget
            return self.pattern.search(subject)
        except _OverBudget:
            if slow is None:
                slow = self._slow = {}
                log.warning(
                    "regex %r passed its %.0f ms match budget: treated as no match (logged once)",
                    self.source,
                    self._budget * 1000,
                )
            if len(slow) >= _SLOW_SUBJECTS:
                del slow[next(iter(slow))]
            slow[subject] = None
            self._budget = DEMOTED_BUDGET
            return None

    def __repr__(self) -> str:
        return f"<Regex {self.source!r}{' guarded' if self.guarded else ''}>"


# --- the guard in the main thread ---------------------------------------------------------

_armed = False


def _on_alarm(signum: int, frame: object) -> None:
    if _armed:
        raise _OverBudget


def _search_with_alarm(
    pattern: re.Pattern[str], subject: str, budget: float
) -> re.Match[str] | None:
    global _armed
    previous = signal.getsignal(signal.SIGALRM)
    if previous not in (signal.SIG_DFL, signal.SIG_IGN, _on_alarm, None) or signal.getitimer(
        signal.ITIMER_REAL
    ) != (0.0, 0.0):
        # The application uses SIGALRM itself: leave it alone, use the worker.
        if not _WORKER.finishes(pattern, subject, budget):
            raise _OverBudget
        return pattern.search(subject)
    signal.signal(signal.SIGALRM, _on_alarm)
    try:
        _armed = True
        signal.setitimer(signal.ITIMER_REAL, budget)
        return pattern.search(subject)
    finally:
        # Disarm before cancelling: a signal already pending then runs a harmless handler.
        _armed = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# --- the guard elsewhere: a worker process with a deadline --------------------------------


# The worker runs this with ``python -c`` (no eslkit import, no re-run of the application's
# main module): one JSON line per search in, one line out when it is done.
_WORKER_CODE = """
import json, re, sys
cache = {}
out = sys.stdout.buffer
out.write(b"ready\\n")
out.flush()
for line in sys.stdin.buffer:
    source, flags, subject = json.loads(line)
    compiled = cache.get((source, flags))
    if compiled is None:
        if len(cache) > 256:
            cache.clear()
        compiled = cache[(source, flags)] = re.compile(source, flags)
    compiled.search(subject)
    out.write(b"done\\n")
    out.flush()
"""


class _Worker:
    """One lazily started worker process; killed and replaced when a match overruns."""

    #: Starting a Python process may take this long (once, on the first guarded match).
    START_TIMEOUT = 10.0
    #: Added to the budget for the round trip through the pipe.
    SLACK = 0.02

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None

    def finishes(self, pattern: re.Pattern[str], subject: str, budget: float) -> bool:
        """Whether ``pattern.search(subject)`` finishes within the budget."""
        with self._lock:
            try:
                proc = self._proc if self._proc is not None else self._start()
                assert proc.stdin is not None
                proc.stdin.write(json.dumps([pattern.pattern, pattern.flags, subject]).encode() + b"\n")
                proc.stdin.flush()
                # The round trip to the worker is not the pattern's time: it gets slack.
                if self._answer(proc, budget + self.SLACK) == b"done\n":
                    return True
            except (OSError, ValueError):
                pass
            self._stop()
            return False

    def _start(self) -> subprocess.Popen[bytes]:
        proc = self._proc = subprocess.Popen(
            [sys.executable, "-c", _WORKER_CODE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            bufsize=0,
        )
        if self._answer(proc, self.START_TIMEOUT) != b"ready\n":
            raise OSError("the regex worker did not start")
        return proc

    @staticmethod
    def _answer(proc: subprocess.Popen[bytes], timeout: float) -> bytes:
        """One line from the worker, or b"" when none comes within `timeout`."""
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        line = b""
        deadline = time.monotonic() + timeout
        while not line.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                return b""
            chunk = os.read(fd, 64)
            if not chunk:
                return b""
            line += chunk
        return line

    def _stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.kill()
            proc.wait(1.0)
            for stream in (proc.stdin, proc.stdout):
                if stream is not None:
                    stream.close()


_WORKER = _Worker()


# --- the static check ---------------------------------------------------------------------


def is_safe(pattern: re.Pattern[str]) -> bool:
    """Whether `pattern` cannot backtrack catastrophically (see the module docstring)."""
    try:
        parsed = _sre_parse.parse(pattern.pattern, pattern.flags)
    except Exception:  # the private parser may change; then every pattern is guarded
        return False
    unbounded = [0]
    if not _walk(list(parsed), inside_repeat=False, unbounded=unbounded):
        return False
    if unbounded[0] == 0:
        return True
    if unbounded[0] > 1:
        return False
    items = list(parsed)
    return bool(
        items
        and items[0][0] is _sre_constants.AT
        and items[0][1] in (_sre_constants.AT_BEGINNING, _sre_constants.AT_BEGINNING_STRING)
        and not pattern.flags & re.MULTILINE
    )


def _walk(items: list[tuple[Any, Any]], *, inside_repeat: bool, unbounded: list[int]) -> bool:
    for op, av in items:
        if op in _REPEATS or (_POSSESSIVE is not None and op is _POSSESSIVE):
            low, high, body = av
            variable = high != low
            if inside_repeat and variable:
                return False
            if variable and (high is _MAXREPEAT or high - low > _BIG_RANGE):
                unbounded[0] += 1
            if not _walk(list(body), inside_repeat=inside_repeat or high > 1, unbounded=unbounded):
                return False
        elif op in (_sre_constants.GROUPREF, _sre_constants.GROUPREF_EXISTS):
            return False
        elif op is _sre_constants.BRANCH:
            if inside_repeat:
                return False
            for branch in av[1]:
                if not _walk(list(branch), inside_repeat=inside_repeat, unbounded=unbounded):
                    return False
        elif op is _sre_constants.SUBPATTERN:
            if not _walk(list(av[-1]), inside_repeat=inside_repeat, unbounded=unbounded):
                return False
        elif op in (_sre_constants.ASSERT, _sre_constants.ASSERT_NOT):
            if not _walk(list(av[1]), inside_repeat=inside_repeat, unbounded=unbounded):
                return False
        elif op is getattr(_sre_constants, "ATOMIC_GROUP", None):
            if not _walk(list(av), inside_repeat=inside_repeat, unbounded=unbounded):
                return False
    return True


# --- PCRE syntax --------------------------------------------------------------------------

_INLINE_FLAGS = re.compile(r"\(\?([a-zA-Z]*)(?:-([a-zA-Z]*))?\)")


def translate(expression: str) -> str:
    """PCRE syntax that ``re`` spells differently, rewritten for ``re`` (the rest as is).

    ``(?<name>`` / ``(?'name'`` name a group; ``\\k<name>``, ``\\k{name}``, ``\\k'name'``,
    ``\\g{name}`` refer to one; ``\\Q...\\E`` quotes; ``\\z`` is the very end and ``\\Z``
    the end or before a final newline; ``\\h`` is a space or tab; ``\\x{41}`` a code point;
    an inline ``(?i)`` after the start applies to the rest of its group, alternatives included.
    """
    out: list[str] = []
    # Per open group: the scoped flag groups opened in it, closed when it closes.
    scopes: list[list[str]] = [[]]
    i, n = 0, len(expression)
    in_class = False
    while i < n:
        ch = expression[i]
        if ch == "\\" and i + 1 < n:
            i = _translate_escape(expression, i, out, in_class)
            continue
        if in_class:
            in_class = ch != "]"
            out.append(ch)
            i += 1
            continue
        if ch == "[":
            in_class = True
            out.append(ch)
            i += 1
            # A "]" (after an optional "^") right at the start is a literal.
            if i < n and expression[i] == "^":
                out.append("^")
                i += 1
            if i < n and expression[i] == "]":
                out.append("\\]")
                i += 1
            continue
        if ch == "(":
            flags = _INLINE_FLAGS.match(expression, i)
            if flags is not None and (flags.group(1) or flags.group(2)):
                if not out and not flags.group(2):
                    out.append(flags.group(0))
                else:
                    off = flags.group(2)
                    prefix = f"(?{flags.group(1)}{'-' + off if off else ''}:"
                    out.append(prefix)
                    scopes[-1].append(prefix)
                i = flags.end()
                continue
            if expression.startswith("(?<", i) and expression[i + 3 : i + 4] not in ("=", "!"):
                out.append("(?P<")
                i += 3
            elif expression.startswith("(?'", i) and expression.find("'", i + 3) > 0:
                end = expression.find("'", i + 3)
                out.append(f"(?P<{expression[i + 3 : end]}>")
                i = end + 1
            else:
                out.append(ch)
                i += 1
            scopes.append([])
            continue
        if ch == ")":
            out.append(")" * len(scopes.pop() if len(scopes) > 1 else scopes[0]) + ")")
            i += 1
            continue
        if ch == "|" and scopes[-1]:
            out.append(")" * len(scopes[-1]) + "|" + "".join(scopes[-1]))
            i += 1
            continue
        out.append(ch)
        i += 1
    out.append(")" * len(scopes[0]))
    return "".join(out)


def _translate_escape(expression: str, i: int, out: list[str], in_class: bool) -> int:
    """Append the translation of the escape at ``expression[i]``; return where to go on."""
    n = len(expression)
    nxt = expression[i + 1]
    if nxt == "Q":
        end = expression.find("\\E", i + 2)
        out.append(re.escape(expression[i + 2 : end if end >= 0 else n]))
        return end + 2 if end >= 0 else n
    if nxt == "E":
        return i + 2
    if nxt == "h":
        out.append(" \\t" if in_class else "[ \\t]")
        return i + 2
    if nxt == "x" and expression[i + 2 : i + 3] == "{":
        end = expression.find("}", i + 3)
        digits = expression[i + 3 : end] if end > 0 else ""
        if digits and all(c in "0123456789abcdefABCDEF" for c in digits) and len(digits) <= 6:
            out.append(f"\\U{int(digits, 16):08x}")
            return end + 1
    if not in_class:
        if nxt == "z":
            out.append("\\Z")
            return i + 2
        if nxt == "Z":
            out.append("(?=\\n?\\Z)")
            return i + 2
        if nxt in "kg" and expression[i + 2 : i + 3] in ("<", "{", "'"):
            close = {"<": ">", "{": "}", "'": "'"}[expression[i + 2]]
            end = expression.find(close, i + 3)
            name = expression[i + 3 : end] if end > 0 else ""
            if name.isdigit():
                out.append(f"(?:\\{name})")
                return end + 1
            if name.isidentifier():
                out.append(f"(?P={name})")
                return end + 1
    out.append(expression[i : i + 2])
    return i + 2


@functools.lru_cache(maxsize=2048)
def compile(expression: str, flags: int = 0) -> Regex | None:
    """Compile a PCRE `expression` (``re`` flags such as ``re.IGNORECASE`` added); None
    when it does not compile (FreeSWITCH then never matches)."""
    try:
        pattern = re.compile(translate(expression), flags | re.ASCII)
    except (re.error, RecursionError, OverflowError, ValueError):
        return None
    return Regex(pattern, expression, not is_safe(pattern))
