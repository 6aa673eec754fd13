# ruff: noqa  (input of the oracle's recorder, written with its steps.py; not project code)
"""Call lifecycle as dialers and call-center apps drive it, FAILURE paths first: originate to a
missing extension, ringing legs that time out, refused legs (USER_BUSY, CALL_REJECTED, numeric
causes), failover '|' and simultaneous ',' dial strings, variable scopes over several legs,
execute_on_answer & co, bridge with continue_on_fail / park_ / transfer_ / hangup_after_bridge,
uuid_kill / uuid_park / hupall / the hangup app with their causes. Targets are in the "calls"
context (src/eslkit/switch/data/contexts/calls.xml, also in the oracle's dialplan/).

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


HUP = "CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE"
LIFE = "CHANNEL_PROGRESS CHANNEL_ANSWER " + HUP
EXEC = "CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE"


def watch(conn, header, value, events):
    return flat(login(conn), cmd(conn, "filter %s %s" % (header, value)), cmd(conn, "event plain " + events))


def drain(conns, quiet=1.0, timeout=10):
    return [SL(0.4)] + [E(c, quiet=quiet, timeout=timeout) for c in conns]


def api(conn, text, timeout=20):
    return cmd(conn, "api " + text, timeout=timeout)


def bgapi(conn, text, job):
    return [S(conn, "bgapi %s\nJob-UUID: %s\n\n" % (text, job)), E(conn, n=1)]


case("calls_orig_no_route",
     "originate to an extension that does not exist: 'originate {uuid}loopback/nosuch/calls &park' (the loopback "
     "B leg finds no route: the reply, both legs' HANGUP/HANGUP_COMPLETE), the same by bgapi (BACKGROUND_JOB body), "
     "a context that does not exist, and 'originate {uuid}loopback/call_answer/calls nosuch XML calls' (the answered "
     "A leg itself routed to a missing extension: +OK, then its NO_ROUTE_DESTINATION hang-up).",
     flat(watch("a", "Unique-ID", U(1601), HUP), watch("b", "Channel-Name", "loopback/nosuch-b", HUP),
          login("c"), cmd("c", "event plain BACKGROUND_JOB"),
          api("c", "originate {origination_uuid=%s}loopback/nosuch/calls &park" % U(1601)),
          drain(["a", "b"]),
          bgapi("c", "originate {origination_uuid=%s}loopback/nosuch/calls &park" % U(1602), JOB(1602)),
          E("c", until={"event": "BACKGROUND_JOB"}, timeout=10), drain(["b"]),
          api("c", "originate {origination_uuid=%s}loopback/nosuch/nosuchcontext &park" % U(1603)),
          drain(["b"]),
          cmd("a", "filter Unique-ID " + U(1604)),
          api("c", "originate {origination_uuid=%s}loopback/call_answer/calls nosuch XML calls" % U(1604)),
          drain(["a"], quiet=1.5),
          bye("a"), bye("b"), bye("c")),
     **IN_KW)

case("calls_orig_ring_timeouts",
     "A leg that rings and never answers (loopback/call_ring: ring_ready, park): 'originate "
     "{originate_timeout=2}' -> -ERR NO_ANSWER after 2 s (the A leg's PROGRESS/HANGUP/HANGUP_COMPLETE, the ringing "
     "B leg's hang-up); 'bgapi originate {originate_timeout=1}' (BACKGROUND_JOB body); originate's own timeout "
     "argument (7th: 1 s).",
     flat(watch("a", "Unique-ID", U(1611), LIFE), watch("b", "Channel-Name", "loopback/call_ring-b", HUP),
          login("c"), cmd("c", "event plain BACKGROUND_JOB"),
          api("c", "originate {origination_uuid=%s,originate_timeout=2}loopback/call_ring/calls &park" % U(1611)),
          drain(["a", "b"]),
          bgapi("c", "originate {origination_uuid=%s,originate_timeout=1}loopback/call_ring/calls &park" % U(1612), JOB(1612)),
          E("c", until={"event": "BACKGROUND_JOB"}, timeout=10), drain(["b"]),
          api("c", "originate {origination_uuid=%s}loopback/call_ring/calls &park XML calls ot_name 5551 1" % U(1613)),
          drain(["b"]),
          bye("a"), bye("b"), bye("c")),
     **IN_KW)

case("calls_orig_refused_causes",
     "Legs refused unanswered: loopback/call_busy (hangup USER_BUSY) and loopback/call_reject (CALL_REJECTED) by api "
     "originate (replies), call_busy by bgapi (BACKGROUND_JOB body); loopback/call_hcause with {hc=41} (hangup with a "
     "numeric cause) and {hc=NOT_A_CAUSE}; the B legs' HANGUP_COMPLETE (hangup_cause, hangup_cause_q850, "
     "originate_disposition...).",
     flat(watch("a", "Unique-ID", U(1621), HUP), watch("b", "Channel-Name", "loopback/call_busy-b", HUP),
          watch("d", "Channel-Name", "loopback/call_hcause-b", HUP),
          login("c"), cmd("c", "event plain BACKGROUND_JOB"),
          api("c", "originate {origination_uuid=%s}loopback/call_busy/calls &park" % U(1621)),
          drain(["a", "b"]),
          api("c", "originate loopback/call_reject/calls &park"),
          bgapi("c", "originate loopback/call_busy/calls &park", JOB(1622)),
          E("c", until={"event": "BACKGROUND_JOB"}, timeout=10), drain(["b"]),
          api("c", "originate {hc=41}loopback/call_hcause/calls &park"), drain(["d"]),
          api("c", "originate {hc=NOT_A_CAUSE}loopback/call_hcause/calls &park"), drain(["d"]),
          bye("a"), bye("b"), bye("d"), bye("c")),
     **IN_KW)

case("calls_orig_groups_all_fail",
     "Dial strings where every leg fails: failover 'loopback/call_busy|loopback/call_reject' and simultaneous "
     "'loopback/call_busy,loopback/call_reject' (which cause the reply gives), then "
     "'{originate_timeout=2}loopback/call_ring,loopback/call_busy' (one refuses, the other rings until the timeout); "
     "each A leg's HANGUP_COMPLETE (fixed uuids in [] lists).",
     flat(login("a"), [cmd("a", "filter Unique-ID " + U(n)) for n in range(1631, 1637)], cmd("a", "event plain " + HUP),
          login("c"),
          api("c", "originate [origination_uuid=%s]loopback/call_busy/calls|[origination_uuid=%s]loopback/call_reject/calls &park"
              % (U(1631), U(1632))),
          drain(["a"]),
          api("c", "originate [origination_uuid=%s]loopback/call_busy/calls,[origination_uuid=%s]loopback/call_reject/calls &park"
              % (U(1633), U(1634))),
          [SL(0.4), E("a", quiet=1.0, unordered=True)],
          api("c", "originate {originate_timeout=2}[origination_uuid=%s]loopback/call_ring/calls,[origination_uuid=%s]loopback/call_busy/calls &park"
              % (U(1635), U(1636))),
          [SL(0.4), E("a", quiet=1.0, unordered=True)],
          bye("a"), bye("c")),
     **IN_KW)

case("calls_orig_race_scopes",
     "Simultaneous dial '<og=g>{oc=c}[uuid1,ol=1]loopback/call_ring,[uuid2,ol=2]loopback/call_answer &park': the "
     "answering leg wins (+OK uuid2), the ringing one is cancelled (its HANGUP/HANGUP_COMPLETE cause); uuid_getvar "
     "on the winner of og/oc/ol and the originate_* variables; then failover '<og=g2>[uuid3]loopback/call_busy|"
     "[uuid4,ol=4]loopback/call_answer': the winner's variables.",
     flat(watch("a", "Unique-ID", U(1641), HUP), watch("b", "Unique-ID", U(1642), "CHANNEL_ANSWER"),
          login("c"),
          api("c", "originate <og=g>{oc=c}[origination_uuid=%s,ol=1]loopback/call_ring/calls,[origination_uuid=%s,ol=2]loopback/call_answer/calls &park"
              % (U(1641), U(1642))),
          drain(["a", "b"]),
          [api("c", "uuid_getvar %s %s" % (U(1642), v)) for v in
           ("og", "oc", "ol", "originate_disposition", "originated_legs", "originate_causes", "DIALSTATUS",
            "originate_signal_bond", "group_dial_status", "call_uuid")],
          api("c", "uuid_kill " + U(1642)),
          cmd("b", "filter Unique-ID " + U(1644)),
          api("c", "originate <og=g2>[origination_uuid=%s]loopback/call_busy/calls|[origination_uuid=%s,ol=4]loopback/call_answer/calls &park"
              % (U(1643), U(1644))),
          drain(["b"]),
          [api("c", "uuid_getvar %s %s" % (U(1644), v)) for v in ("og", "ol", "originate_causes", "originated_legs")],
          bye("a"), bye("b"), bye("c")),
     **IN_KW)

case("calls_exec_on_answer",
     "originate with execute_on_answer='set eoa=yes', execute_on_originate='set eoo=yes', api_on_answer="
     "'global_setvar aoa_g=yes' (a channel variable set by api_on_answer lands at a racy place), execute_on_pre_answer and execute_on_ring on loopback/call_answer: the A leg's "
     "EXECUTE/EXECUTE_COMPLETE/ANSWER in order, uuid_getvar of the variables; then execute_on_ring on a ringing leg "
     "(loopback/call_ring, originate_timeout=1).",
     flat(watch("a", "Unique-ID", U(1651), EXEC + " CHANNEL_ANSWER CHANNEL_PROGRESS"), login("c"),
          api("c", "originate {origination_uuid=%s,execute_on_answer='set eoa=yes',execute_on_originate='set eoo=yes',"
              "api_on_answer='global_setvar aoa_g=yes',execute_on_pre_answer='set eopa=yes',execute_on_ring='set eor=yes'}"
              "loopback/call_answer/calls &park" % U(1651)),
          drain(["a"]),
          [api("c", "uuid_getvar %s %s" % (U(1651), v)) for v in ("eoa", "eoo", "eopa", "eor")],
          api("c", "global_getvar aoa_g"), api("c", "global_setvar aoa_g="),
          api("c", "uuid_kill " + U(1651)), E("a", until={"event": "CHANNEL_EXECUTE_COMPLETE"}),
          cmd("a", "filter Unique-ID " + U(1652)),
          api("c", "originate {origination_uuid=%s,originate_timeout=1,execute_on_ring='set eor=yes',"
              "execute_on_answer='set eoa=yes'}loopback/call_ring/calls &park" % U(1652)),
          drain(["a"]),
          bye("a"), bye("c")),
     **IN_KW)

case("calls_bridge_continue_on_fail",
     "B leg of loopback/call_cof/calls: answer, continue_on_fail=true, bridge to call_busy (fails, the dialplan goes "
     "on: set cof_1 from originate_disposition/originate_causes/originate_failed_cause), continue_on_fail="
     "'NO_ANSWER,CALL_REJECTED', bridge to call_reject (in the list: goes on), bridge to call_busy (not in the list: "
     "the caller hangs up USER_BUSY): every EXECUTE/COMPLETE and the HANGUP_COMPLETE variables.",
     flat(watch("a", "Channel-Name", "loopback/call_cof-b", EXEC + " " + HUP), login("c"),
          api("c", "originate {origination_uuid=%s}loopback/call_cof/calls &park" % U(1661)),
          drain(["a"], quiet=1.5),
          bye("a"), bye("c")),
     **IN_KW)

case("calls_bridge_park_hangup_after",
     "Caller (B leg of loopback/call_pab) with park_after_bridge=true bridged to call_short (the peer hangs up "
     "after 500 ms): the caller parks instead of going on; then call_hab (hangup_after_bridge=true: the caller "
     "hangs up, the next set never runs) and call_nohab (hangup_after_bridge=false: the dialplan goes on with "
     "bridge_hangup_cause, then hangup NORMAL_UNSPECIFIED). EXECUTE/COMPLETE/BRIDGE/UNBRIDGE/PARK/HANGUP of the caller.",
     flat(watch("a", "Channel-Name", "loopback/call_pab-b",
                EXEC + " CHANNEL_BRIDGE CHANNEL_UNBRIDGE CHANNEL_PARK " + HUP),
          watch("b", "Channel-Name", "loopback/call_hab-b", EXEC + " CHANNEL_BRIDGE CHANNEL_UNBRIDGE " + HUP),
          watch("d", "Channel-Name", "loopback/call_nohab-b", EXEC + " CHANNEL_BRIDGE CHANNEL_UNBRIDGE " + HUP),
          login("c"),
          api("c", "originate {origination_uuid=%s}loopback/call_pab/calls &park" % U(1671)),
          drain(["a"], quiet=1.5),
          api("c", "originate {origination_uuid=%s}loopback/call_hab/calls &park" % U(1672)),
          drain(["b"], quiet=1.5),
          api("c", "originate {origination_uuid=%s}loopback/call_nohab/calls &park" % U(1673)),
          drain(["d"], quiet=1.5),
          bye("a"), bye("b"), bye("d"), bye("c")),
     **IN_KW)

case("calls_bridge_transfer_after",
     "Caller (B leg of loopback/call_tab) with transfer_after_bridge=call_tab_dest:XML:calls bridged to call_short: "
     "after the peer hangs up the caller is transferred (new profile), call_tab_dest sets tab_dest and hangs up "
     "NORMAL_UNSPECIFIED; the events of the caller.",
     flat(watch("a", "Channel-Name", "loopback/call_tab-b", EXEC + " CHANNEL_UNBRIDGE " + HUP), login("c"),
          api("c", "originate {origination_uuid=%s}loopback/call_tab/calls &park" % U(1681)),
          drain(["a"], quiet=1.5),
          bye("a"), bye("c")),
     **IN_KW)

case("calls_uuid_kill_causes",
     "uuid_kill of parked A legs: without a cause, with USER_BUSY, with a numeric cause (21), with an unknown "
     "name (NOT_A_CAUSE); of a missing uuid and without arguments: replies and each leg's HANGUP_COMPLETE "
     "(Hangup-Cause, hangup_cause, hangup_cause_q850).",
     flat(login("a"), [cmd("a", "filter Unique-ID " + U(n)) for n in range(1691, 1695)], cmd("a", "event plain " + HUP),
          login("c"),
          [api("c", "originate {origination_uuid=%s}loopback/call_answer/calls &park" % U(n)) for n in range(1691, 1695)],
          api("c", "uuid_kill " + U(1691)), E("a", until={"event": "CHANNEL_HANGUP_COMPLETE"}),
          api("c", "uuid_kill %s USER_BUSY" % U(1692)), E("a", until={"event": "CHANNEL_HANGUP_COMPLETE"}),
          api("c", "uuid_kill %s 21" % U(1693)), E("a", until={"event": "CHANNEL_HANGUP_COMPLETE"}),
          api("c", "uuid_kill %s NOT_A_CAUSE" % U(1694)), E("a", until={"event": "CHANNEL_HANGUP_COMPLETE"}),
          api("c", "uuid_kill " + NOCHAN), api("c", "uuid_kill"),
          drain(["a"]),
          bye("a"), bye("c")),
     **IN_KW)

case("calls_uuid_park",
     "uuid_park of an A leg running sleep 20000 (the sleep ends, park), of an A leg bridged by the bridge app to "
     "loopback/call_answer (UNBRIDGE; what the peer does: its HANGUP only, its call_uuid in HANGUP_COMPLETE is racy), of a missing uuid and without arguments: replies and events.",
     flat(watch("a", "Unique-ID", U(1701), EXEC + " CHANNEL_PARK CHANNEL_UNPARK CHANNEL_UNBRIDGE " + HUP),
          watch("b", "Unique-ID", U(1703), EXEC + " CHANNEL_PARK CHANNEL_UNPARK CHANNEL_UNBRIDGE CHANNEL_HANGUP"),
          login("c"),
          api("c", "originate {origination_uuid=%s}loopback/call_answer/calls &sleep(20000)" % U(1701)),
          drain(["a"], quiet=0.5),
          api("c", "uuid_park " + U(1701)), drain(["a"]),
          cmd("a", "filter Unique-ID " + U(1702)),
          api("c", "originate {origination_uuid=%s}loopback/call_answer/calls &bridge({origination_uuid=%s}loopback/call_answer/calls)"
              % (U(1702), U(1703))),
          drain(["a", "b"], quiet=0.5),
          api("c", "uuid_park " + U(1702)), drain(["a", "b"], quiet=1.5),
          api("c", "uuid_park " + NOCHAN), api("c", "uuid_park"),
          bye("a"), bye("b"), bye("c")),
     **IN_KW)

case("calls_hupall_variants",
     "hupall variants on tagged parked A legs ({hv=1} x2, {hv=2}): 'hupall USER_BUSY hv 9' (no match), "
     "'hupall NOT_A_CAUSE hv 1', 'hupall 17 hv 2' (numeric cause), then bare 'hupall' with nothing left but "
     "the untagged leg: replies and the A legs' HANGUP causes.",
     flat(login("a"), [cmd("a", "filter Unique-ID " + U(n)) for n in range(1711, 1715)], cmd("a", "event plain CHANNEL_HANGUP"),
          login("c"),
          api("c", "originate {origination_uuid=%s,hv=1}loopback/call_answer/calls &park" % U(1711)),
          api("c", "originate {origination_uuid=%s,hv=1}loopback/call_answer/calls &park" % U(1712)),
          api("c", "originate {origination_uuid=%s,hv=2}loopback/call_answer/calls &park" % U(1713)),
          api("c", "originate {origination_uuid=%s}loopback/call_answer/calls &park" % U(1714)),
          api("c", "hupall USER_BUSY hv 9"), drain(["a"], quiet=0.5),
          api("c", "hupall NOT_A_CAUSE hv 1"), [SL(0.4), E("a", quiet=1.0, unordered=True)],
          api("c", "hupall 17 hv 2"), drain(["a"]),
          api("c", "hupall"), drain(["a"]),
          bye("a"), bye("c")),
     **IN_KW)

case("calls_hangup_app_causes",
     "The hangup application on an answered A leg: '&hangup(17)' (numeric), '&hangup(NOT_A_CAUSE)', '&hangup()' "
     "(no cause), '&hangup(ORIGINATOR_CANCEL)': each A leg's HANGUP_COMPLETE variables (hangup_cause, "
     "hangup_cause_q850, no sip disposition) and the loopback B leg's Hangup-Cause.",
     flat(login("a"), [cmd("a", "filter Unique-ID " + U(n)) for n in range(1721, 1725)], cmd("a", "event plain " + HUP),
          watch("b", "Channel-Name", "loopback/call_answer-b", "CHANNEL_HANGUP"),
          login("c"),
          api("c", "originate {origination_uuid=%s}loopback/call_answer/calls &hangup(17)" % U(1721)), drain(["a", "b"]),
          api("c", "originate {origination_uuid=%s}loopback/call_answer/calls &hangup(NOT_A_CAUSE)" % U(1722)), drain(["a", "b"]),
          api("c", "originate {origination_uuid=%s}loopback/call_answer/calls &hangup()" % U(1723)), drain(["a", "b"]),
          api("c", "originate {origination_uuid=%s}loopback/call_answer/calls &hangup(ORIGINATOR_CANCEL)" % U(1724)), drain(["a", "b"]),
          bye("a"), bye("b"), bye("c")),
     **IN_KW)

case("calls_cancel_ringing_originate",
     "A dialer cancels a ringing call: 'bgapi originate {uuid}loopback/call_ring/calls &park' (the job waits), "
     "'uuid_kill <uuid>' of the ringing A leg (BACKGROUND_JOB body, the legs' causes); again, with "
     "'uuid_kill <B leg> USER_BUSY' of the ringing B leg instead (captured from its CHANNEL_PROGRESS).",
     flat(watch("a", "Unique-ID", U(1731), LIFE), watch("b", "Channel-Name", "loopback/call_ring-b", LIFE),
          login("c"), cmd("c", "event plain BACKGROUND_JOB"),
          bgapi("c", "originate {origination_uuid=%s}loopback/call_ring/calls &park" % U(1731), JOB(1731)),
          drain(["a", "b"], quiet=0.7),
          api("c", "uuid_kill " + U(1731)),
          E("c", until={"event": "BACKGROUND_JOB"}, timeout=10), drain(["a", "b"]),
          cmd("a", "filter Unique-ID " + U(1732)),
          bgapi("c", "originate {origination_uuid=%s}loopback/call_ring/calls &park" % U(1732), JOB(1732)),
          E("b", until={"event": "CHANNEL_PROGRESS"}, capture={"bring": "Unique-ID"}),
          drain(["a", "b"], quiet=0.7),
          api("c", "uuid_kill {{bring}} USER_BUSY"),
          E("c", until={"event": "BACKGROUND_JOB"}, timeout=10), drain(["a", "b"]),
          bye("a"), bye("b"), bye("c")),
     **IN_KW)

case("calls_orig_dialer_options",
     "Dialer options of originate: '{originate_timeout=1}[u1]loopback/call_ring|[u2]loopback/call_answer' (the first "
     "group times out: does the second run?), the same with originate_continue_on_timeout=true; "
     "'{fail_on_single_reject=true,originate_timeout=4}[u5]loopback/call_ring,[u6]loopback/call_busy' (one refusal "
     "ends the attempt), and fail_on_single_reject=USER_BUSY with a CALL_REJECTED leg (not in the list: the ringing "
     "leg rings until the 2 s timeout); replies and each leg's HANGUP.",
     flat(login("a"), [cmd("a", "filter Unique-ID " + U(n)) for n in range(1741, 1749)], cmd("a", "event plain CHANNEL_HANGUP CHANNEL_ANSWER"),
          login("c"),
          api("c", "originate {originate_timeout=1}[origination_uuid=%s]loopback/call_ring/calls|[origination_uuid=%s]loopback/call_answer/calls &park"
              % (U(1741), U(1742))),
          drain(["a"]),
          api("c", "originate {originate_timeout=1,originate_continue_on_timeout=true}[origination_uuid=%s]loopback/call_ring/calls|[origination_uuid=%s]loopback/call_answer/calls &park"
              % (U(1743), U(1744))),
          drain(["a"]),
          api("c", "uuid_kill " + U(1744)), drain(["a"], quiet=0.5),
          api("c", "originate {fail_on_single_reject=true,originate_timeout=4}[origination_uuid=%s]loopback/call_ring/calls,[origination_uuid=%s]loopback/call_busy/calls &park"
              % (U(1745), U(1746))),
          [SL(0.4), E("a", quiet=1.0, unordered=True)],
          api("c", "originate {fail_on_single_reject=USER_BUSY,originate_timeout=2}[origination_uuid=%s]loopback/call_ring/calls,[origination_uuid=%s]loopback/call_reject/calls &park"
              % (U(1747), U(1748))),
          [SL(0.4), E("a", quiet=1.0, unordered=True)],
          bye("a"), bye("c")),
     **IN_KW)

case("calls_exec_on_early_media",
     "execute_on_pre_answer / execute_on_media / execute_on_answer_1 and _2 (every variable with the prefix runs) "
     "on loopback/2003/default (pre_answer, sleep 1 s, answer, park) with ignore_early_media=true (else the "
     "originate's caller id flip races the early-media applications): the A leg's PROGRESS_MEDIA with "
     "pre_answer+media applications, then at the answer only the "
     "execute_on_answer_* ones (media ran already); uuid_getvar of the variables.",
     flat(watch("a", "Unique-ID", U(1751), EXEC + " CHANNEL_ANSWER CHANNEL_PROGRESS_MEDIA"), login("c"),
          api("c", "originate {origination_uuid=%s,ignore_early_media=true,execute_on_pre_answer='set eopa=yes',execute_on_media='set eom=yes',"
              "execute_on_answer_1='set eoa1=yes',execute_on_answer_2='set eoa2=yes'}loopback/2003/default &park" % U(1751)),
          drain(["a"], quiet=1.8),
          [api("c", "uuid_getvar %s %s" % (U(1751), v)) for v in ("eopa", "eom", "eoa1", "eoa2")],
          bye("a"), bye("c")),
     **IN_KW)
