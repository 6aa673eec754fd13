"""eslkit.pcre: PCRE syntax on ``re``, and a match budget like PCRE's match limit."""

from __future__ import annotations

import asyncio
import logging
import re
import signal
import subprocess
import sys
import threading

import pytest

from eslkit import pcre

UUID = "0123abcd-4567-89ef-0123-456789abcdef"


@pytest.mark.parametrize(
    "expression",
    [
        r"^(\d+)$",
        r"^1?(\d{10})$",
        r"^\+?1?(\d{10})$",
        r"(?i)^bob$",
        r"^CHANNEL_",
        r"^(?:\+|00)(\d+)$",
        r"^(?<num>\d+)$",
        r"^(a|b)*$",
        r"foo",
        r"^(.*)$",
    ],
)
def test_the_patterns_real_dialplans_use_run_unguarded(expression: str) -> None:
    compiled = pcre.compile(expression)
    assert compiled is not None and not compiled.guarded


@pytest.mark.parametrize(
    "expression",
    [
        r"^([0-9a-f-]+)+X",  # nested quantifier
        r"(a|a)*b",  # quantified alternation
        r"^(\w)\1$",  # backreference
        r"\d+X",  # unanchored unbounded repeat: quadratic in a search
        r"^sip:(.*)@(.*)$",  # two unbounded repeats
        r"(?m)^\d+X",  # ^ per line is not an anchor
    ],
)
def test_patterns_that_can_backtrack_are_guarded(expression: str) -> None:
    compiled = pcre.compile(expression)
    assert compiled is not None and compiled.guarded


def test_pcre_syntax_is_translated() -> None:
    def match(expression: str, subject: str) -> re.Match[str] | None:
        compiled = pcre.compile(expression)
        assert compiled is not None, expression
        return compiled.search(subject)

    named = match(r"^(?<num>\d+)$", "42")
    assert named is not None and named.group("num") == "42"
    assert match(r"^(?'n'\d)\k<n>$", "11") and not match(r"^(?'n'\d)\k{n}$", "12")
    assert match(r"^\Qa.b*\E$", "a.b*") and not match(r"^\Qa.b\E$", "axb")
    assert match(r"a\z", "a") and not match(r"a\z", "a\n") and match(r"a\Z", "a\n")
    assert match(r"^a\hb$", "a\tb") and match(r"^\x{41}$", "A")
    # An inline flag after the start covers the rest of its group, alternatives included.
    assert match(r"a(?i)b|c", "C") and match(r"a(?i)b|c", "aB") and not match(r"a(?i)b|c", "AB")
    assert match(r"^(x(?i)y)z$", "xYz") and not match(r"^(x(?i)y)z$", "xYZ")
    assert match(r"[]a]", "]")
    # PCRE without UTF-8: \d is ASCII only.
    assert not match(r"^\d$", "\u0663")
    assert pcre.compile("(unclosed") is None and pcre.compile("(?R)") is None


def test_a_catastrophic_pattern_is_a_non_match_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    pcre.compile.cache_clear()
    compiled = pcre.compile(r"^([0-9a-f-]+)+X")
    assert compiled is not None
    with caplog.at_level(logging.WARNING, logger="eslkit.pcre"):
        assert compiled.search(UUID) is None
        assert compiled.search(UUID) is None
    assert len([r for r in caplog.records if "match budget" in r.message]) == 1
    # Within budget it still matches.
    assert compiled.search("abc-X") is not None


def test_guarded_matching_works_outside_the_main_thread() -> None:
    # The blocking test server runs its loop in a thread: the worker process guards it.
    results: list[object] = []

    def run() -> None:
        slow = pcre.compile(r"(x+x+)+y")
        fine = pcre.compile(r"^sip:(.*)@(.*)$")
        assert slow is not None and fine is not None
        results.append(slow.search("x" * 64))
        found = fine.search("sip:bob@example.com")
        results.append(found.groups() if found else None)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(60)
    assert results == [None, ("bob", "example.com")]


async def test_the_guard_leaves_sigalrm_as_it_found_it() -> None:
    # (Under pytest-timeout SIGALRM is taken: the guard then uses the worker process.)
    before = signal.getsignal(signal.SIGALRM)
    armed = signal.getitimer(signal.ITIMER_REAL)[0] > 0
    compiled = pcre.compile(r"(a|a)*b")
    assert compiled is not None
    assert compiled.search("a" * 40) is None
    assert signal.getsignal(signal.SIGALRM) == before
    assert (signal.getitimer(signal.ITIMER_REAL)[0] > 0) == armed
    await asyncio.sleep(0)


def test_the_alarm_guard_in_a_process_without_other_alarms() -> None:
    # What ``eslkit serve`` does: the main thread, SIGALRM free.
    code = (
        "import signal, time\n"
        "from eslkit import pcre\n"
        "assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)\n"
        "c = pcre.compile(r'^([0-9a-f-]+)+X')\n"
        "start = time.monotonic()\n"
        "assert c.search('" + UUID + "') is None\n"
        "assert c.search('ab-X') is not None\n"
        "assert signal.getsignal(signal.SIGALRM) is signal.SIG_DFL\n"
        "assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "ok", done.stderr


def test_a_pattern_that_overran_fails_at_once_on_the_same_subject(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A hostile filter sees the same Core-UUID in every event: after the first overrun it
    # must not cost each later event another budget.
    compiled = pcre.Regex(re.compile(r"^([0-9a-f-]+)+X"), "hostile", guarded=True)
    assert compiled.search(UUID) is None

    def must_not_run(*args: object) -> object:
        raise AssertionError("matched again")

    monkeypatch.setattr(pcre, "_search_with_alarm", must_not_run)
    monkeypatch.setattr(pcre._WORKER, "finishes", must_not_run)
    assert compiled.search(UUID) is None
