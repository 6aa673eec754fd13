# ruff: noqa  (input of the oracle's recorder, written with its steps.py; not project code)
"""The listener's 20 ms poll (mod_event_socket read_packet): an idle listener delivers what was
queued during its poll when the poll times out; input that arrives first ends the poll, the
command is read and run, and what is pending goes out after its reply (never, after exit).
Each case first delivers one event to the watcher (a), which starts its poll at a known moment;
what follows happens within a few milliseconds of it. See ../README.md."""
from steps import (CASES, IN_KW, E, S, SL, bye, case, cmd, flat, login)  # noqa: F401


def ev(n, subclass="poll::test"):
    return "sendevent CUSTOM\nEvent-Subclass: %s\nPoll-Seq: %d\n\n" % (subclass, n)


def fire(n):
    """c fires CUSTOM poll::test number n and reads its reply."""
    return [S("c", ev(n)), E("c", n=1)]


def watcher(what="event plain CUSTOM poll::test"):
    """a subscribes, c logs in; event 1 reaches a (its poll begins right after)."""
    return flat(login("a"), cmd("a", what), login("c"), fire(1), E("a", n=1))


case("poll_command_during_poll",
     "An event queued while the watcher polls, then a command from the watcher 1 ms later: "
     "the api reply comes first, the event right after it; an event queued while it is idle "
     "arrives when its poll ends (up to 20 ms later).",
     flat(watcher(),
          fire(2), S("a", "api echo during\n\n"), E("a", n=2, quiet=0.5),
          fire(3), E("a", n=1, quiet=0.3),
          bye("a"), bye("c")),
     **IN_KW)

case("poll_pipelined_commands",
     "An event queued while the watcher polls, then two pipelined commands from it: both replies, "
     "then the event. Then an event and a command followed by half of another: the first reply, "
     "nothing while the second is incomplete, then its reply and the event.",
     flat(watcher(),
          fire(2), S("a", "api echo one\n\napi echo two\n\n"), E("a", n=3, quiet=0.5),
          fire(3), S("a", "api echo three\n\napi ec"), E("a", n=1, quiet=0.3),
          S("a", "ho four\n\n"), E("a", n=2, quiet=0.5),
          bye("a"), bye("c")),
     **IN_KW)

case("poll_exit_discards_pending",
     "An event queued while the watcher polls, then its exit 1 ms later: +OK bye and the "
     "disconnect notice, the event is never sent.",
     flat(watcher(), fire(2), bye("a"), bye("c")),
     **IN_KW)

case("poll_log_during_poll",
     "Log lines (api log ERR, the core at warning) to a 'log 4' watcher: one line arrives; a line "
     "queued while it polls comes after the reply of its next command; three lines queued at once "
     "arrive together.",
     flat(login("a"), cmd("a", "log 4"), login("c"),
          cmd("c", "api log ERR poll-one"), E("a", n=1),
          cmd("c", "api log ERR poll-two"), S("a", "api echo during\n\n"), E("a", n=2, quiet=0.5),
          S("c", "api log ERR poll-three\n\napi log ERR poll-four\n\napi log ERR poll-five\n\n"),
          E("c", n=3), E("a", n=3, quiet=0.5),
          cmd("a", "nolog"), bye("a"), bye("c")),
     **IN_KW)
