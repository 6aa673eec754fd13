# ruff: noqa  (input of the oracle's recorder, written with its steps.py; not project code)
"""Hold, intercept and uuid_* odds and ends (issue #13 items 2 and 3). See ../README.md.
Bridge targets are in the "bridge" context (src/eslkit/switch/data/contexts/bridge.xml)."""
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

HOLD_EVENTS = "CHANNEL_HOLD CHANNEL_UNHOLD CHANNEL_CALLSTATE CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE"


WATCHERS = ("a", "b", "d")


def watch(uuids, events):
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


case("hold_toggle_sequence",
     "uuid_hold on a parked answered loopback A leg (330), watcher on HOLD/UNHOLD/CALLSTATE/EXECUTE: "
     "hold, hold again, toggle, toggle, off, off, each reply and the events after it.",
     flat(watch([U(330)], HOLD_EVENTS), login("c"),
          cmd("c", "api originate {origination_uuid=%s}loopback/1000/default &park" % U(330), timeout=20),
          drain(1, quiet=0.7),
          [[cmd("c", "api uuid_hold %s%s" % (mode, U(330))), drain(1, quiet=0.5)]
           for mode in ("", "", "toggle ", "toggle ", "off ", "off ")],
          bye("a"), bye("c")),
     **IN_KW)

case("hold_bridged_call",
     "uuid_hold of the caller (331) of a call bridged by the bridge app to 332 (loopback/br_answer/bridge), "
     "both with hold_music set to a missing file (the reference build has no mod_local_stream for vars.xml's "
     "local_stream://moh): the partner plays it (EXECUTE/EXECUTE_COMPLETE playback, FILE NOT FOUND, loops -1), "
     "then uuid_hold off and toggle of the other leg.",
     flat(watch([U(331), U(332)], HOLD_EVENTS), login("c"),
          cmd("c", "api originate {origination_uuid=%s,hold_music=/tmp/br_no_such_moh.wav}loopback/br_answer/bridge &bridge({origination_uuid=%s,hold_music=/tmp/br_no_such_moh.wav}loopback/br_answer/bridge)" % (U(331), U(332)), timeout=20),
          drain(2, quiet=1.0),
          cmd("c", "api uuid_hold " + U(331)), drain(2, quiet=1.0),
          cmd("c", "api uuid_hold off " + U(331)), drain(2, quiet=1.0),
          cmd("c", "api uuid_hold toggle " + U(332)), drain(2, quiet=1.0),
          bye("a"), bye("b"), bye("c")),
     **IN_KW)

case("hold_usage",
     "uuid_hold argument errors: no argument, 'off' / 'toggle' without uuid, missing channels, a display argument.",
     flat(login("c"),
          cmd("c", "api uuid_hold"), cmd("c", "api uuid_hold off"), cmd("c", "api uuid_hold toggle"),
          cmd("c", "api uuid_hold off " + NOCHAN), cmd("c", "api uuid_hold toggle " + NOCHAN),
          cmd("c", "api uuid_hold %s hello" % NOCHAN),
          bye("c")),
     **IN_KW)

case("intercept_answered_parked",
     "intercept of an answered parked A leg (333): originate {334}loopback/park/default &intercept(333): "
     "EXECUTE intercept, the park of 333 ends, uuid_bridge, BRIDGE; uuid_kill 334.",
     flat(watch([U(333), U(334)], "CHANNEL_BRIDGE CHANNEL_UNBRIDGE CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE CHANNEL_ANSWER CHANNEL_HANGUP"),
          login("c"),
          cmd("c", "api originate {origination_uuid=%s}loopback/1000/default &park" % U(333), timeout=20),
          drain(2, quiet=0.7),
          cmd("c", "api originate {origination_uuid=%s}loopback/park/default &intercept(%s)" % (U(334), U(333)), timeout=20),
          drain(2, quiet=1.0),
          cmd("c", "api uuid_kill " + U(334)),
          drain(2, quiet=1.5), bye("a"), bye("b"), bye("c")),
     **IN_KW)

case("intercept_bleg",
     "intercept -bleg: 335 bridged by the bridge app to 336 (br_answer); "
     "originate {337}loopback/park/default &intercept(-bleg 335) takes 336; 335 parks (park_after_bridge); "
     "uuid_kill 337 and 335.",
     flat(watch([U(335), U(336), U(337)], "CHANNEL_BRIDGE CHANNEL_UNBRIDGE CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE CHANNEL_HANGUP"),
          login("c"),
          cmd("c", "api originate {origination_uuid=%s}loopback/br_answer/bridge &bridge({origination_uuid=%s}loopback/br_answer/bridge)" % (U(335), U(336)), timeout=20),
          drain(3, quiet=1.0),
          cmd("c", "api originate {origination_uuid=%s}loopback/park/default &intercept(-bleg %s)" % (U(337), U(335)), timeout=20),
          drain(3, quiet=1.0),
          cmd("c", "api uuid_getvar %s park_after_bridge" % U(335)),
          cmd("c", "api uuid_kill " + U(337)), drain(3, quiet=1.0),
          cmd("c", "api uuid_kill " + U(335)), drain(3, quiet=1.0),
          bye("a"), bye("b"), bye("d"), bye("c")),
     **IN_KW)

case("intercept_missing",
     "&intercept of a missing channel, and intercept -bleg of a parked channel that is not bridged: "
     "EXECUTE/EXECUTE_COMPLETE intercept and the interceptor's hang-up.",
     flat(watch([U(338), U(339), U(340)], "CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE CHANNEL_ANSWER CHANNEL_HANGUP"),
          login("c"),
          cmd("c", "api originate {origination_uuid=%s}loopback/park/default &intercept(%s)" % (U(338), NOCHAN), timeout=20),
          drain(3, quiet=1.0),
          cmd("c", "api originate {origination_uuid=%s}loopback/1000/default &park" % U(339), timeout=20),
          drain(3, quiet=0.7),
          cmd("c", "api originate {origination_uuid=%s}loopback/park/default &intercept(-bleg %s)" % (U(340), U(339)), timeout=20),
          drain(3, quiet=1.0),
          bye("a"), bye("b"), bye("d"), bye("c")),
     **IN_KW)

case("uuid_misc_usage",
     "uuid_* odds and ends: uuid_pre_answer / uuid_answer without argument and of an answered channel, "
     "uuid_simplify, uuid_phone_event (hold/talk/none), uuid_exists without argument, uuid_kill of a "
     "missing channel and without argument, uuid_park usage.",
     flat(login("c"),
          cmd("c", "api originate {origination_uuid=%s}loopback/1000/default &park" % U(341), timeout=20),
          SL(0.5),
          cmd("c", "api uuid_pre_answer"), cmd("c", "api uuid_answer"),
          cmd("c", "api uuid_pre_answer " + U(341)), cmd("c", "api uuid_answer " + U(341)),
          cmd("c", "api uuid_simplify"), cmd("c", "api uuid_simplify " + U(341)),
          cmd("c", "api uuid_simplify " + NOCHAN),
          cmd("c", "api uuid_phone_event"), cmd("c", "api uuid_phone_event " + U(341)),
          cmd("c", "api uuid_phone_event %s hold" % U(341)), cmd("c", "api uuid_phone_event %s talk" % U(341)),
          cmd("c", "api uuid_phone_event %s hold" % NOCHAN),
          cmd("c", "api uuid_exists"), cmd("c", "api uuid_kill"), cmd("c", "api uuid_kill " + NOCHAN),
          cmd("c", "api uuid_park"), cmd("c", "api uuid_park " + NOCHAN),
          bye("c")),
     **IN_KW)

case("hold_replica_calls2",
     "The steps of the shared transcript calls2_uuid_hold, exactly (no pause before the quiet waits): "
     "whether the CHANNEL_HOLD of 'uuid_hold toggle' reaches the watcher before its 'exit' is a race in "
     "FreeSWITCH (the event is fired; the listener may be closed first).",
     flat(login("c"),
          cmd("c", "api originate {origination_uuid=%s}loopback/1000/default &park" % U(342), timeout=20),
          SL(0.5), login("a"), cmd("a", "filter Unique-ID " + U(342)),
          cmd("a", "event plain CHANNEL_HOLD CHANNEL_UNHOLD CHANNEL_CALLSTATE"),
          cmd("c", "api uuid_hold " + U(342)), E("a", quiet=0.7),
          cmd("c", "api uuid_hold off " + U(342)), E("a", quiet=0.7),
          cmd("c", "api uuid_hold toggle " + U(342)), E("a", quiet=0.7),
          cmd("c", "api uuid_hold " + NOCHAN),
          bye("a"), bye("c")),
     **IN_KW)
