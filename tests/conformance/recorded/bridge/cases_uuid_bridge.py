# ruff: noqa  (input of the oracle's recorder, written with its steps.py; not project code)
"""uuid_bridge cases (issue #13 item 2): parked loopback A legs joined by uuid_bridge, with
their state changes; hang-up of the originatee; uuid_bridge errors. See ../README.md."""
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

UB_EVENTS = ("CHANNEL_STATE CHANNEL_BRIDGE CHANNEL_UNBRIDGE CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE "
             "CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE CHANNEL_CALLSTATE")


WATCHERS = ("a", "b", "d")


def watch(uuids, events=UB_EVENTS):
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


def park(conn, u, dest="1000"):
    return cmd(conn, "api originate {origination_uuid=%s}loopback/%s/default &park" % (u, dest), timeout=20)


case("uuid_bridge_states_kill_originatee",
     "Two parked loopback A legs (320, 321) joined by uuid_bridge, watchers (subscribed once both are parked) with CHANNEL_STATE and CALLSTATE: "
     "the park ends, CS_HIBERNATE / CS_RESET / CS_SOFT_EXECUTE / CS_EXCHANGE_MEDIA, EXECUTE uuid_bridge, "
     "BRIDGE; uuid_getvar of bridge variables; uuid_kill of the originatee (321): what the originator does.",
     flat(login("c"), park("c", U(320)), park("c", U(321)), SL(0.7),
          watch([U(320), U(321)]),
          cmd("c", "api uuid_bridge %s %s" % (U(320), U(321))),
          drain(2, quiet=1.0),
          [cmd("c", "api uuid_getvar %s %s" % (u, v)) for u in (U(320), U(321))
           for v in ("signal_bond", "bridge_uuid", "bridge_to", "last_bridge_to", "last_bridge_role",
                     "uuid_bridge", "transfer_history", "call_uuid")],
          cmd("c", "api uuid_kill " + U(321)),
          drain(2, quiet=1.5), bye("a"), bye("b"), bye("c")),
     **IN_KW)

case("uuid_bridge_errors",
     "uuid_bridge usage and errors: no argument, one argument, a missing first / second channel, the same "
     "channel twice, and with a third (fallback) argument.",
     flat(login("c"), park("c", U(322)), SL(0.5),
          cmd("c", "api uuid_bridge"), cmd("c", "api uuid_bridge " + U(322)),
          cmd("c", "api uuid_bridge %s %s" % (NOCHAN, U(322))),
          cmd("c", "api uuid_bridge %s %s" % (U(322), NOCHAN)),
          cmd("c", "api uuid_bridge %s %s %s" % (U(322), NOCHAN, NOCHAN)),
          bye("c")),
     **IN_KW)

case("uuid_bridge_kill_originator_unbridge_order",
     "uuid_bridge of two parked legs (323, 324) with plain-event watchers on BRIDGE/UNBRIDGE/HANGUP/EXECUTE_COMPLETE "
     "only (the peer's HANGUP_COMPLETE races with the originator's end of the bridge in FreeSWITCH); "
     "'show bridged_calls' while bridged; uuid_kill of the originator.",
     flat(watch([U(323), U(324)], events="CHANNEL_BRIDGE CHANNEL_UNBRIDGE CHANNEL_HANGUP CHANNEL_EXECUTE_COMPLETE"),
          login("c"), park("c", U(323)), park("c", U(324)), SL(0.5),
          cmd("c", "api uuid_bridge %s %s" % (U(323), U(324))),
          drain(2, quiet=1.0),
          cmd("c", "api show bridged_calls"), cmd("c", "api show channels like 0324"),
          cmd("c", "api uuid_kill %s CALL_REJECTED" % U(323)),
          drain(2, quiet=1.5), bye("a"), bye("b"), bye("c")),
     **IN_KW)

case("uuid_bridge_ringing_leg_then_answer",
     "uuid_bridge of an answered parked A leg (350, loopback/1000) with a ringing unanswered leg "
     "(loopback/3008-b: ring_ready, park; its originate 'bgapi originate {351}loopback/3008/default &park' "
     "still waits): the originator waits in CS_SOFT_EXECUTE for the answer; 'uuid_answer' of the ringing "
     "leg 1 s later completes the bridge; then uuid_kill of 350.",
     flat(login("c"),
          cmd("c", "api originate {origination_uuid=%s}loopback/1000/default &park" % U(350), timeout=20),
          login("a"), cmd("a", "filter Unique-ID " + U(350)), cmd("a", "event plain " + UB_EVENTS + " CHANNEL_ANSWER"),
          login("b"), cmd("b", "filter Channel-Name loopback/3008-b"),
          cmd("b", "event plain " + UB_EVENTS + " CHANNEL_ANSWER CHANNEL_PROGRESS"),
          S("c", "bgapi originate {origination_uuid=%s}loopback/3008/default &park\nJob-UUID: %s\n\n" % (U(351), JOB(351))),
          E("c", n=1),
          E("b", until={"event": "CHANNEL_PROGRESS"}, capture={"buuid": "Unique-ID"}),
          SL(0.7), E("b", quiet=0.5),
          cmd("c", "api uuid_bridge %s {{buuid}}" % U(350)),
          drain(2, quiet=1.0),
          cmd("c", "api uuid_answer {{buuid}}"),
          drain(2, quiet=1.0),
          cmd("c", "api uuid_kill " + U(350)),
          drain(2, quiet=1.5), bye("a"), bye("b"), bye("c")),
     **IN_KW)
