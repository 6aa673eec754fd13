# ruff: noqa  (input of the oracle's recorder, written with its steps.py; not project code)
"""Bridging cases (issue #13 item 2): the bridge application to loopback targets of the
"bridge" context (src/eslkit/switch/data/contexts/bridge.xml, also in the oracle's
dialplan/), uuid_bridge, hang-up of either side, show calls/bridged_calls/channels.

Record with the oracle's recorder (see ../README.md)."""
from steps import (CASES, IN_KW, JOB, U, NOCHAN, bye, case, cmd, login, S, E, SL)  # noqa: F401


def flat(*parts):
    """steps.flat, to any depth (lists of cmd() lists)."""
    out = []
    for p in parts:
        if isinstance(p, list):
            out.extend(flat(*p))
        else:
            out.append(p)
    return out

BR_EVENTS = ("CHANNEL_BRIDGE CHANNEL_UNBRIDGE CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE "
             "CHANNEL_ANSWER CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE CHANNEL_PROGRESS CHANNEL_PROGRESS_MEDIA")


WATCHERS = ("a", "b", "d")


def watch(uuids, events=BR_EVENTS):
    """One watcher connection per leg (a, b, d), so that each one's order is FreeSWITCH's
    per-channel order (the legs run in their own threads)."""
    steps = []
    for conn, u in zip(WATCHERS, uuids):
        steps += login(conn) + cmd(conn, "filter Unique-ID " + u) + cmd(conn, "event plain " + events)
    return steps


def drain(n, quiet=1.0, timeout=10):
    """After a moment (the recorder measures quiet from the last frame received), collect
    each of the first n watchers' events until quiet."""
    return [SL(0.4)] + [E(conn, quiet=quiet, timeout=timeout) for conn in WATCHERS[:n]]


def orig(conn, text, timeout=20):
    return cmd(conn, "api originate " + text, timeout=timeout)


def bridged(a, b, target="br_answer"):
    """A leg a (loopback/br_answer, answered by its B leg) runs &bridge to [b]loopback/target."""
    return "{origination_uuid=%s}loopback/br_answer/bridge &bridge({origination_uuid=%s}loopback/%s/bridge)" % (a, b, target)


case("bridge_app_answered_kill_caller",
     "A leg (loopback/br_answer/bridge, uuid 300) runs &bridge({origination_uuid=301}loopback/br_answer/bridge): "
     "EXECUTE bridge, the peer's answer, CHANNEL_BRIDGE; uuid_getvar of the bridge variables on both legs; "
     "uuid_kill of the caller: who gets HANGUP/UNBRIDGE/HANGUP_COMPLETE in which order, and the variables "
     "(bridge_hangup_cause, last_bridge_role, ...) in HANGUP_COMPLETE.",
     flat(watch([U(300), U(301)]), login("c"),
          S("c", "api originate %s\n\n" % bridged(U(300), U(301))), E("c", n=1, timeout=20),
          drain(2, quiet=1.0),
          [cmd("c", "api uuid_getvar %s %s" % (u, v)) for u in (U(300), U(301))
           for v in ("signal_bond", "bridge_uuid", "bridge_channel", "bridge_to", "last_bridge_to",
                     "last_bridge_role", "originated_legs", "originate_causes", "originating_leg_uuid",
                     "call_uuid", "DIALSTATUS", "originate_disposition", "bridge_hangup_cause")],
          cmd("c", "api uuid_kill " + U(300)),
          drain(2, quiet=1.5), bye("a"), bye("b"), bye("c")),
     **IN_KW)

case("bridge_app_answered_kill_callee",
     "As bridge_app_answered_kill_caller, but the peer (301) is killed: UNBRIDGE, the caller's bridge "
     "completes and its dialplan ends (HANGUP NORMAL_CLEARING), bridge_hangup_cause / last_bridge_hangup_cause.",
     flat(watch([U(302), U(303)]), login("c"),
          S("c", "api originate %s\n\n" % bridged(U(302), U(303))), E("c", n=1, timeout=20),
          drain(2, quiet=1.0),
          cmd("c", "api uuid_kill %s USER_BUSY" % U(303)),
          drain(2, quiet=1.5), bye("a"), bye("b"), bye("c")),
     **IN_KW)

case("bridge_app_callee_hangs_up",
     "&bridge to loopback/br_short (answers, hangs up NORMAL_CLEARING after 600 ms): the whole sequence of "
     "the caller (304) and the peer (305) until both are gone.",
     flat(watch([U(304), U(305)]), login("c"),
          S("c", "api originate %s\n\n" % bridged(U(304), U(305), "br_short")), E("c", n=1, timeout=20),
          drain(2, quiet=2.0), bye("a"), bye("b"), bye("c")),
     **IN_KW)

case("bridge_app_busy",
     "&bridge to loopback/br_busy (hangup USER_BUSY unanswered): the peer's HANGUP, the caller's "
     "EXECUTE_COMPLETE bridge (DIALSTATUS, originate_causes, ...) and its hang-up USER_BUSY.",
     flat(watch([U(306), U(307)]), login("c"),
          S("c", "api originate %s\n\n" % bridged(U(306), U(307), "br_busy")), E("c", n=1, timeout=20),
          drain(2, quiet=1.5), bye("a"), bye("b"), bye("c")),
     **IN_KW)

case("bridge_app_no_answer_timeout",
     "&bridge({leg_timeout=2,origination_uuid=309}loopback/br_ring/bridge): the peer rings (PROGRESS on both), "
     "NO_ANSWER after 2 s, EXECUTE_COMPLETE bridge, the caller's dialplan ends.",
     flat(watch([U(308), U(309)]), login("c"),
          S("c", "api originate {origination_uuid=%s}loopback/br_answer/bridge &bridge({leg_timeout=2,origination_uuid=%s}loopback/br_ring/bridge)\n\n" % (U(308), U(309))),
          E("c", n=1, timeout=20),
          drain(2, quiet=3.5, timeout=15), bye("a"), bye("b"), bye("c")),
     **IN_KW)

case("bridge_app_failover_pipe",
     "&bridge([origination_uuid=311]loopback/br_busy/bridge|[origination_uuid=312]loopback/br_answer/bridge): "
     "the first fails USER_BUSY, the second answers and is bridged; originate_causes etc. "
     "in the caller's HANGUP_COMPLETE after uuid_kill.",
     flat(watch([U(310), U(311), U(312)]), login("c"),
          S("c", "api originate {origination_uuid=%s}loopback/br_answer/bridge &bridge([origination_uuid=%s]loopback/br_busy/bridge|[origination_uuid=%s]loopback/br_answer/bridge)\n\n" % (U(310), U(311), U(312))),
          E("c", n=1, timeout=20),
          drain(3, quiet=1.5),
          cmd("c", "api uuid_kill " + U(310)),
          drain(3, quiet=1.5), bye("a"), bye("b"), bye("d"), bye("c")),
     **IN_KW)

case("bridge_app_failover_comma",
     "&bridge([origination_uuid=314]loopback/br_ring/bridge,[origination_uuid=315]loopback/br_answer/bridge): "
     "both dialled at once, the second answers, the ringing one is cancelled (LOSE_RACE, group_dial_status); "
     "uuid_kill of the answered peer (315) ends the bridge.",
     flat(watch([U(313), U(314), U(315)]), login("c"),
          S("c", "api originate {origination_uuid=%s}loopback/br_answer/bridge &bridge([origination_uuid=%s]loopback/br_ring/bridge,[origination_uuid=%s]loopback/br_answer/bridge)\n\n" % (U(313), U(314), U(315))),
          E("c", n=1, timeout=20),
          drain(3, quiet=1.5),
          cmd("c", "api uuid_kill " + U(315)),
          drain(3, quiet=1.5), bye("a"), bye("b"), bye("d"), bye("c")),
     **IN_KW)

case("bridge_show_reports",
     "One call bridged by the bridge app (316 -> 317): show calls / bridged_calls / detailed_calls / "
     "detailed_bridged_calls / channels in plain, as json and as xml, counts, like.",
     flat(login("c"),
          S("c", "api originate %s\n\n" % bridged(U(316), U(317))), E("c", n=1, timeout=20),
          SL(1.0),
          cmd("c", "api show calls"), cmd("c", "api show calls as xml"), cmd("c", "api show calls as json"),
          cmd("c", "api show calls count"), cmd("c", "api show calls count as json"),
          cmd("c", "api show calls count as xml"),
          cmd("c", "api show bridged_calls"), cmd("c", "api show bridged_calls as json"),
          cmd("c", "api show bridged_calls as xml"),
          cmd("c", "api show detailed_calls"), cmd("c", "api show detailed_bridged_calls as xml"),
          cmd("c", "api show detailed_bridged_calls as json"),
          cmd("c", "api show channels"), cmd("c", "api show channels as xml"),
          cmd("c", "api show channels count"), cmd("c", "api show channels count as json"),
          cmd("c", "api show channels count as xml"),
          cmd("c", "api show channels like br_answer"), cmd("c", "api show channels like %0317 as xml"),
          cmd("c", "api show channels like 0316 as json"),
          cmd("c", "api uuid_kill " + U(316)), SL(1.0),
          cmd("c", "api show calls"), cmd("c", "api show bridged_calls as json"),
          cmd("c", "api show channels as json"), cmd("c", "api show calls as xml"),
          bye("c")),
     **IN_KW)
