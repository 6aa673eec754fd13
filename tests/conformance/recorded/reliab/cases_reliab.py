# ruff: noqa  (an input of the oracle's recorder, written with its steps.py; not imported by the tests)
"""Regex filters as FreeSWITCH's PCRE runs them (issue #11): a catastrophic pattern is a failed
match (PCRE's match limit) and the server answers on; PCRE syntax that Python's re spells
otherwise (named groups, \\z, an inline (?i)) works in a filter.
Written with the oracle's steps.py (see ../README.md)."""
from steps import (IN_KW, JOB, U, E, S, SL, bye, case, cmd, flat, login,  # noqa: F401
                   CASES)

PROBE = "sendevent CUSTOM\nEvent-Subclass: reliab::probe\nProbe: %d"

case("reliab_catastrophic_filter",
     "event plain CUSTOM reliab::probe, then filter Core-UUID /^([0-9a-f-]+)+X/ (2^36 backtracking "
     "steps against a UUID): two probes are sent and none is delivered (the match fails); another "
     "connection is answered meanwhile; a filter that matches (Event-Subclass reliab::probe) then lets "
     "the next probe through.",
     flat(login("a"), login("c"),
          cmd("a", "event plain CUSTOM reliab::probe"),
          cmd("a", "filter Core-UUID /^([0-9a-f-]+)+X/"),
          cmd("c", PROBE % 1), cmd("c", PROBE % 2),
          cmd("c", "api echo alive"),
          E("a", quiet=0.7),
          cmd("a", "filter Event-Subclass reliab::probe"),
          cmd("c", PROBE % 3),
          E("a", n=1), E("a", quiet=0.5),
          bye("a"), bye("c")),
     **IN_KW)

case("reliab_filter_pcre_syntax",
     "Filters with PCRE syntax: /^(?<area>reliab)::probe\\z/ (named group, \\z), /^RELIAB::(?i)PROBE$/ "
     "(inline (?i) after the start: only the rest is caseless, so it fails), /^reliab::(?i)PROBE$/ "
     "(matches); one probe after each filter set (filter delete all between).",
     flat(login("a"), login("c"),
          cmd("a", "event plain CUSTOM reliab::probe"),
          cmd("a", "filter Event-Subclass /^(?<area>reliab)::probe\\z/"),
          cmd("c", PROBE % 1), E("a", n=1), E("a", quiet=0.5),
          cmd("a", "filter delete all"),
          cmd("a", "filter Event-Subclass /^RELIAB::(?i)PROBE$/"),
          cmd("c", PROBE % 2), E("a", quiet=0.7),
          cmd("a", "filter delete all"),
          cmd("a", "filter Event-Subclass /^reliab::(?i)PROBE$/"),
          cmd("c", PROBE % 3), E("a", n=1), E("a", quiet=0.5),
          bye("a"), bye("c")),
     **IN_KW)
