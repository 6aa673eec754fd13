"""Transfer cases: the transfer application, uuid_transfer (-bleg/-both, inline dialplans),
execute_extension, repeated transfers. Extensions: src/eslkit/switch/data/contexts/transfer.xml
(copied to the oracle's dialplan/transfer.xml). Recorded with the oracle's recorder (steps.py)."""
from steps import (IN_KW, OUT_KW, JOB, U, E, S, bye, case, cmd, flat, login, originate, outbound, CASES)  # noqa: F401

EV = "CHANNEL_STATE CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE CHANNEL_PARK CHANNEL_UNPARK CHANNEL_HANGUP"
PARK_EXEC = {"event": "CHANNEL_EXECUTE", "ev_header": {"Application": "park"}}
HANGUP = {"event": "CHANNEL_HANGUP"}


def bleg_watch(ext, uuid, events=EV, until=PARK_EXEC, ctx="transfer", until_count=1, quiet=0.7):
    """conn a watches loopback/<ext>-b; conn c originates loopback/<ext>/<ctx> &park (A leg
    uuid fixed); a collects until `until` and captures the B leg's uuid as {{buuid}}."""
    steps = [login("a"), cmd("a", "filter Channel-Name loopback/%s-b" % ext), cmd("a", "event plain " + events),
             login("c"),
             cmd("c", "api originate {origination_uuid=%s}loopback/%s/%s &park" % (uuid, ext, ctx), timeout=20),
             E("a", until=until, until_count=until_count, capture={"buuid": "Unique-ID"}, timeout=10)]
    if quiet:
        steps.append(E("a", quiet=quiet))
    return flat(*steps)


def getvars(conn, uuid, names):
    out = []
    for n in names:
        out += cmd(conn, "api uuid_getvar %s %s" % (uuid, n))
    return out


def aleg_watch(uuid, events=EV):
    return flat(login("a"), cmd("a", "filter Unique-ID " + uuid), cmd("a", "event plain " + events),
                login("c"), originate("c", uuid),
                E("a", until=PARK_EXEC, timeout=10), E("a", quiet=0.5))


XVARS = ["transfer_history", "transfer_source", "max_forwards", "call_uuid"]

case("xfer_app_chain",
     "B leg of loopback/4001/transfer: answer, set, 'transfer 4002' (extension only: dialplan and context from the "
     "profile), 4002 sets ${destination_number}/${rdnis} and transfers '4003 XML transfer', 4003 parks: every "
     "STATE/EXECUTE/COMPLETE/PARK event with the new caller profile (Caller-Profile-Index 2, 3, Caller-RDNIS, "
     "Caller-Transfer-Source, logical direction) and the variables max_forwards, transfer_history, transfer_source; "
     "uuid_getvar of them; uuid_kill: CHANNEL_HANGUP and CHANNEL_HANGUP_COMPLETE of the transferred leg.",
     flat(bleg_watch("4001", U(1301), events=EV + " CHANNEL_HANGUP_COMPLETE"),
          getvars("c", "{{buuid}}", XVARS + ["xt_first", "xt_second", "xt_rdnis", "xt_landed"]),
          cmd("c", "api uuid_kill {{buuid}}"),
          E("a", until={"event": "CHANNEL_HANGUP_COMPLETE"}, timeout=10), E("a", quiet=0.5),
          bye("a"), bye("c")),
     **IN_KW)

case("xfer_app_other_context",
     "B leg of loopback/4004/transfer: answer, 'transfer 2002 XML default' (another context): 2002 sets cc_xfer_done "
     "and hangs up CALL_REJECTED; the events of the B leg until its hangup.",
     flat(bleg_watch("4004", U(1302), until=HANGUP),
          bye("a"), bye("c")),
     **IN_KW)

case("xfer_app_inline",
     "B leg of loopback/4005/transfer: answer, 'transfer set:xt_inl=${destination_number},park inline' (inline "
     "dialplan, context from the profile): Caller-Dialplan inline, Caller-Destination-Number back to the RDNIS, "
     "no Caller-RDNIS; then 'uuid_transfer <b> 4003' (one argument: the inline dialplan is not reused, XML in "
     "context transfer): Caller-Profile-Index 3; uuid_getvar of the transfer variables.",
     flat(bleg_watch("4005", U(1303)),
          getvars("c", "{{buuid}}", XVARS + ["xt_inl"]),
          cmd("c", "api uuid_transfer {{buuid}} 4003"),
          E("a", until=PARK_EXEC, timeout=10), E("a", quiet=0.7),
          getvars("c", "{{buuid}}", ["transfer_history", "xt_landed", "max_forwards"]),
          bye("a"), bye("c")),
     **IN_KW)

case("exec_ext_dialplan",
     "B leg of loopback/4006/transfer: answer, 'execute_extension 4007 XML transfer' (runs 4007's set actions inline "
     "with ${destination_number} 4007, events keep the channel's own profile), set xt_after, 'execute_extension 4999 "
     "XML transfer' (no such extension: nothing runs), 'execute_extension set:...,set:... inline', park; uuid_getvar.",
     flat(bleg_watch("4006", U(1304)),
          getvars("c", "{{buuid}}", ["xt_ee", "xt_ee_ctx", "xt_after", "xt_ei", "xt_ei2", "transfer_history",
                                     "max_forwards"]),
          bye("a"), bye("c")),
     **IN_KW)

case("xfer_max_forwards",
     "B leg of loopback/4008/transfer: answer, set max_forwards=1, 'transfer 4003 XML transfer': refused, the leg "
     "hangs up EXCHANGE_ROUTING_ERROR (the events until the hangup).",
     flat(bleg_watch("4008", U(1305), until=HANGUP),
          bye("a"), bye("c")),
     **IN_KW)

case("xfer_no_route",
     "B leg of loopback/4009/transfer: answer, 'transfer 4999 XML transfer' (no such extension): the new profile, "
     "CS_ROUTING, then the hangup (NO_ROUTE_DESTINATION).",
     flat(bleg_watch("4009", U(1306), until=HANGUP),
          bye("a"), bye("c")),
     **IN_KW)

case("xfer_empty_then_m_inline",
     "B leg of loopback/4010/transfer: answer, 'transfer' with no data (does nothing), then "
     "'transfer m:^:set:xt_m=a,b^park inline' (the m:<delim>: form of the inline dialplan); uuid_getvar xt_m.",
     flat(bleg_watch("4010", U(1307)),
          getvars("c", "{{buuid}}", ["xt_m", "transfer_history"]),
          bye("a"), bye("c")),
     **IN_KW)

case("uuid_transfer_repeat",
     "A parked loopback A leg: 'uuid_transfer <u> 4003 XML transfer' (the park ends, the new profile: index 2, "
     "logical direction inbound), then 'uuid_transfer <u> 4001' (one argument: XML and context transfer from the "
     "profile) which runs 4001 -> 4002 -> 4003 (profile index 5); every event; uuid_getvar of the transfer "
     "variables (transfer_history as an ARRAY).",
     flat(aleg_watch(U(1308)),
          cmd("c", "api uuid_transfer %s 4003 XML transfer" % U(1308)),
          E("a", until=PARK_EXEC, timeout=10), E("a", quiet=0.7),
          getvars("c", U(1308), XVARS),
          cmd("c", "api uuid_transfer %s 4001" % U(1308)),
          E("a", until=PARK_EXEC, timeout=10), E("a", quiet=0.7),
          getvars("c", U(1308), XVARS + ["xt_second", "xt_rdnis", "xt_landed"]),
          bye("a"), bye("c")),
     **IN_KW)

case("uuid_transfer_inline_apps",
     "A parked loopback A leg: 'uuid_transfer <u> set:xt_a=1,set:xt_d=${destination_number},park inline', then "
     "'uuid_transfer <u> m:^:set:xt_m=a,b^park inline', then 'uuid_transfer <u> 4003 XML transfer'; every event; "
     "uuid_getvar of the variables.",
     flat(aleg_watch(U(1309)),
          cmd("c", "api uuid_transfer %s set:xt_a=1,set:xt_d=${destination_number},park inline" % U(1309)),
          E("a", until=PARK_EXEC, timeout=10), E("a", quiet=0.7),
          cmd("c", "api uuid_transfer %s m:^:set:xt_m=a,b^park inline" % U(1309)),
          E("a", until=PARK_EXEC, timeout=10), E("a", quiet=0.7),
          cmd("c", "api uuid_transfer %s 4003 XML transfer" % U(1309)),
          E("a", until=PARK_EXEC, timeout=10), E("a", quiet=0.7),
          getvars("c", U(1309), ["xt_a", "xt_d", "xt_m", "xt_landed", "transfer_history", "max_forwards"]),
          bye("a"), bye("c")),
     **IN_KW)

BR_EV = "CHANNEL_BRIDGE CHANNEL_UNBRIDGE CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE CHANNEL_HANGUP CHANNEL_STATE"

case("uuid_transfer_both",
     "{u}loopback/1000/default &bridge(loopback/park/default): the A leg bridged to loopback/park-a; "
     "'uuid_transfer <u> -both 4003 XML transfer' transfers the bridge partner and then the A leg: UNBRIDGE, "
     "each leg's new profile, both park in 4003. Watcher on the A leg's uuid and on loopback/park-a.",
     flat(login("a"), cmd("a", "filter Unique-ID " + U(1310)), cmd("a", "filter Channel-Name loopback/park-a"),
          cmd("a", "event plain " + BR_EV),
          login("c"),
          cmd("c", "api originate {origination_uuid=%s}loopback/1000/default &bridge(loopback/park/default)" % U(1310),
              timeout=20),
          E("a", until={"event": "CHANNEL_BRIDGE"}, timeout=10), E("a", quiet=0.7),
          cmd("c", "api uuid_transfer %s -both 4003 XML transfer" % U(1310)),
          E("a", until=PARK_EXEC, until_count=2, timeout=10), E("a", quiet=1.0),
          getvars("c", U(1310), ["xt_landed", "transfer_history", "bridge_to", "signal_bond",
                                 "hangup_after_bridge"]),
          bye("a"), bye("c")),
     **IN_KW)

case("uuid_transfer_bleg_unbridged",
     "A parked, unbridged loopback A leg: 'uuid_transfer <u> -bleg 4003 XML transfer' (no B leg: the leg itself is "
     "transferred), then 'uuid_transfer <u> -both 4001' (no B leg: the leg itself); events; replies.",
     flat(aleg_watch(U(1311)),
          cmd("c", "api uuid_transfer %s -bleg 4003 XML transfer" % U(1311)),
          E("a", until=PARK_EXEC, timeout=10), E("a", quiet=0.7),
          cmd("c", "api uuid_transfer %s -both 4003 XML transfer" % U(1311)),
          E("a", until=PARK_EXEC, timeout=10), E("a", quiet=0.7),
          getvars("c", U(1311), ["transfer_history"]),
          bye("a"), bye("c")),
     **IN_KW)

case("uuid_transfer_errors",
     "uuid_transfer replies: only a uuid, an unknown uuid, six arguments, blanks; on a live parked leg an unknown "
     "-flag with a destination (the flag is ignored, the leg is transferred) and five arguments.",
     flat(aleg_watch(U(1312), events="CHANNEL_EXECUTE CHANNEL_HANGUP"),
          cmd("c", "api uuid_transfer %s" % U(1312)),
          cmd("c", "api uuid_transfer nosuch 4003"),
          cmd("c", "api uuid_transfer a b c d e f"),
          cmd("c", "api uuid_transfer   "),
          cmd("c", "api uuid_transfer %s -foo 4003 XML transfer" % U(1312)),
          E("a", until=PARK_EXEC, timeout=10), E("a", quiet=0.5),
          cmd("c", "api uuid_transfer %s 4003 XML transfer extra" % U(1312)),
          E("a", until=PARK_EXEC, timeout=10), E("a", quiet=0.5),
          bye("a"), bye("c")),
     **IN_KW)

case("sendmsg_transfer_exec_ext",
     "A parked loopback A leg: sendmsg execute execute_extension '4007 XML transfer' (runs inside the park: the "
     "set actions with ${destination_number} 4007, the leg stays parked), then sendmsg execute transfer "
     "'4003 XML transfer' (the park ends, the new profile); events; uuid_getvar.",
     flat(aleg_watch(U(1313)),
          S("c", "sendmsg %s\ncall-command: execute\nexecute-app-name: execute_extension\nexecute-app-arg: 4007 XML transfer\n"
                 "Event-UUID: %s\n\n" % (U(1313), JOB(1313))),
          E("c", n=1),
          E("a", until={"event": "CHANNEL_EXECUTE_COMPLETE", "ev_header": {"Application": "execute_extension"}},
            timeout=10), E("a", quiet=0.7),
          S("c", "sendmsg %s\ncall-command: execute\nexecute-app-name: transfer\nexecute-app-arg: 4003 XML transfer\n\n"
              % U(1313)),
          E("c", n=1),
          E("a", until=PARK_EXEC, timeout=10), E("a", quiet=0.7),
          getvars("c", U(1313), ["xt_ee", "xt_ee_ctx", "xt_landed", "transfer_history"]),
          bye("a"), bye("c")),
     **IN_KW)

case("sched_apps_dialplan",
     "B leg of loopback/4011/transfer: answer, mod_dptools' 'sched_broadcast +1 set::xt_sb=1' and 'sched_transfer +2 "
     "4003 XML transfer' (their task ids in last_sched_id), park: 1-2 s later the broadcast runs set inside the "
     "park, then the transfer ends the park and 4003 parks again; a second connection sees ADD_SCHEDULE and "
     "DEL_SCHEDULE of both tasks; uuid_getvar.",
     flat(login("b"), cmd("b", "event plain ADD_SCHEDULE DEL_SCHEDULE"),
          bleg_watch("4011", U(1314), quiet=None),
          E("b", n=2, timeout=5),
          E("a", until={"event": "CHANNEL_EXECUTE_COMPLETE", "ev_header": {"Application": "set"}}, timeout=10),
          E("a", until=PARK_EXEC, timeout=10), E("a", quiet=0.7),
          E("b", n=2, timeout=5), E("b", quiet=0.3),
          getvars("c", "{{buuid}}", ["xt_sb", "xt_sb_id", "xt_st_id", "xt_landed", "transfer_history"]),
          bye("a"), bye("b"), bye("c")),
     **IN_KW)

case("sched_hangup_app",
     "B leg of loopback/4012/transfer: answer, mod_dptools' 'sched_hangup +1 USER_BUSY', park: ADD_SCHEDULE, the "
     "B leg hangs up USER_BUSY 1-2 s later, DEL_SCHEDULE.",
     flat(login("b"), cmd("b", "event plain ADD_SCHEDULE DEL_SCHEDULE"),
          bleg_watch("4012", U(1315), quiet=None),
          E("b", n=1, timeout=5),
          E("a", until={"event": "CHANNEL_HANGUP"}, timeout=10), E("a", quiet=0.7),
          E("b", n=1, timeout=5), E("b", quiet=0.3),
          bye("a"), bye("b"), bye("c")),
     **IN_KW)

case("xfer_app_unanswered",
     "bgapi originate of loopback/4013/transfer (the B leg never answers): set, 'transfer 4003 XML transfer' on "
     "the unanswered B leg, 4003 parks; the B leg's events (new profile, no answer); then uuid_kill of the A leg.",
     flat(login("a"), cmd("a", "filter Channel-Name loopback/4013-b"), cmd("a", "event plain " + EV),
          login("c"),
          S("c", "bgapi originate {origination_uuid=%s}loopback/4013/transfer &park\nJob-UUID: %s\n\n" % (U(1316), JOB(1316))),
          E("c", n=1),
          E("a", until=PARK_EXEC, capture={"buuid": "Unique-ID"}, timeout=10), E("a", quiet=0.7),
          getvars("c", "{{buuid}}", ["xt_pre", "xt_landed", "transfer_history"]),
          cmd("c", "api uuid_kill " + U(1316)),
          E("a", until={"event": "CHANNEL_HANGUP"}, timeout=10), E("a", quiet=0.5),
          bye("a"), bye("c")),
     **IN_KW)
case("out_sendmsg_transfer",
     "Outbound socket (sock_<port>, async full) on loopback's B leg: myevents, then sendmsg execute transfer "
     "'4003 XML transfer' on the controlled leg: what the socket receives (the socket application ends, the "
     "leg routes to 4003 and parks) and whether it stays connected; then exit.",
     flat(outbound("sock", U(1320), JOB(1320)),
          cmd("o", "myevents"),
          S("o", "sendmsg\ncall-command: execute\nexecute-app-name: transfer\nexecute-app-arg: 4003 XML transfer\n\n"),
          E("o", n=1),
          E("o", until={"event": "CHANNEL_EXECUTE", "ev_header": {"Application": "park"}}, timeout=5),
          E("o", quiet=1.0, timeout=5),
          S("o", "exit\n\n"), E("o", closed=True, timeout=5),
          bye("c")),
     **OUT_KW)

case("out_uuid_transfer_inline",
     "Outbound socket (sock_<port>, async full) on loopback's B leg: myevents, then 'api uuid_transfer <b> "
     "set:xt_o=1,park inline' from an inbound connection: the socket sees the socket application end and the "
     "inline extension run (new profile, dialplan inline); then 'api uuid_transfer <b> 4003' (XML in the "
     "profile's context): profile index 3; exit.",
     flat(outbound("sock", U(1321), JOB(1321)),
          cmd("o", "myevents"),
          cmd("c", "api uuid_transfer {{buuid}} set:xt_o=1,park inline"),
          E("o", until={"event": "CHANNEL_EXECUTE", "ev_header": {"Application": "park"}}, timeout=5),
          E("o", quiet=0.7, timeout=5),
          cmd("c", "api uuid_transfer {{buuid}} 4003 XML transfer"),
          E("o", until={"event": "CHANNEL_EXECUTE", "ev_header": {"Application": "park"}}, timeout=5),
          E("o", quiet=0.7, timeout=5),
          cmd("c", "api uuid_getvar {{buuid}} transfer_history"),
          S("o", "exit\n\n"), E("o", closed=True, timeout=5),
          bye("c")),
     **OUT_KW)

ALL_CALL = ("CHANNEL_CREATE CHANNEL_STATE CHANNEL_CALLSTATE CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE CHANNEL_HANGUP "
            "CHANNEL_HANGUP_COMPLETE CHANNEL_DESTROY")

case("xfer_3003_full",
     "'api originate {uuid}loopback/3003/default &park': the B leg (never answered) sets cc3_before_xfer and runs "
     "'transfer 2002 XML default'; 2002 sets cc_xfer_done and hangs up CALL_REJECTED: the reply (-ERR "
     "CALL_REJECTED) and every event of the B leg from CHANNEL_CREATE to CHANNEL_DESTROY (HANGUP_COMPLETE with "
     "the billing variables after a transfer).",
     flat(login("a"), cmd("a", "filter Channel-Name loopback/3003-b"), cmd("a", "event plain " + ALL_CALL),
          login("c"),
          cmd("c", "api originate {origination_uuid=%s}loopback/3003/default &park" % U(1322), timeout=20),
          E("a", until={"event": "CHANNEL_DESTROY"}, timeout=10), E("a", quiet=0.7),
          bye("a"), bye("c")),
     **IN_KW)

case("uuid_transfer_full_events",
     "A parked loopback A leg (CHANNEL_CREATE to CHANNEL_DESTROY subscribed, filtered on its uuid): 'uuid_transfer "
     "<u> 2002 XML default' (set, hangup CALL_REJECTED): every event incl. CALLSTATE, HANGUP_COMPLETE and DESTROY "
     "with the transferred profile.",
     flat(login("a"), cmd("a", "filter Unique-ID " + U(1323)), cmd("a", "event plain " + ALL_CALL),
          login("c"), originate("c", U(1323)),
          E("a", until={"event": "CHANNEL_EXECUTE", "ev_header": {"Application": "park"}}, timeout=10),
          E("a", quiet=0.5),
          cmd("c", "api uuid_transfer %s 2002 XML default" % U(1323)),
          E("a", until={"event": "CHANNEL_DESTROY"}, timeout=10), E("a", quiet=0.7),
          bye("a"), bye("c")),
     **IN_KW)

case("xfer_force_vars",
     "A parked loopback A leg: uuid_setvar force_transfer_context=transfer and force_transfer_dialplan=XML, then "
     "'uuid_transfer <u> 4003' (no dialplan/context: the force_ variables decide); then max_session_transfers=2 "
     "(counted instead of max_forwards): 'uuid_transfer <u> 4003' twice (the second is refused: -ERR and the leg "
     "hangs up EXCHANGE_ROUTING_ERROR); uuid_getvar max_session_transfers/max_forwards.",
     flat(aleg_watch(U(1324)),
          cmd("c", "api uuid_setvar %s force_transfer_context transfer" % U(1324)),
          cmd("c", "api uuid_setvar %s force_transfer_dialplan XML" % U(1324)),
          cmd("c", "api uuid_transfer %s 4003" % U(1324)),
          E("a", until=PARK_EXEC, timeout=10), E("a", quiet=0.7),
          cmd("c", "api uuid_setvar %s max_session_transfers 2" % U(1324)),
          cmd("c", "api uuid_transfer %s 4003" % U(1324)),
          E("a", until=PARK_EXEC, timeout=10), E("a", quiet=0.7),
          cmd("c", "api uuid_getvar %s max_session_transfers" % U(1324)),
          cmd("c", "api uuid_getvar %s max_forwards" % U(1324)),
          cmd("c", "api uuid_transfer %s 4003" % U(1324)),
          E("a", until={"event": "CHANNEL_HANGUP"}, timeout=10), E("a", quiet=0.7),
          bye("a"), bye("c")),
     **IN_KW)
