# ruff: noqa  (input of the oracle's recorder, written with its steps.py; not project code)
"""Outbound (controlling) sockets as real outbound ESL applications use them (issue #13): the
socket application between other dialplan actions (context outbound2 of
src/eslkit/switch/data/contexts/outbound2.xml, also in the oracle's dialplan), connect data of
early and answered channels, resume and socket_resume, a socket that cannot connect, sync
sockets, myevents formats, filters, divert_events, loops/event-lock/body in sendmsg, api and
bgapi from a session, the far end hanging up mid-execute. See ../README.md."""
from steps import (CASES, OUT_KW, JOB, U, E, S, SL, A, bye, case, close, cmd, flat, login, outbound)  # noqa: F401

WATCH = "CHANNEL_EXECUTE_COMPLETE CHANNEL_HANGUP"


def ob2_call(ext, uuid, job, watch=WATCH):
    """conn c watches the B leg of loopback/<ext>_{{port}}/outbound2 (filter on its channel
    name), originates it by bgapi with a fixed A-leg uuid; accept FreeSWITCH's connection as
    conn o (nothing sent yet)."""
    steps = [login("c")]
    if watch:
        steps += [cmd("c", "filter Channel-Name loopback/%s_{{port}}-b" % ext),
                  cmd("c", "event plain " + watch)]
    # The originate runs on its own connection (g, never closed): an inbound listener's exit
    # waits for its running bgapi jobs, and the originate of a leg that never answers runs on.
    steps += [login("g"),
              S("g", "bgapi originate {origination_uuid=%s}loopback/%s_{{port}}/outbound2 &park\n"
                     "Job-UUID: %s\n\n" % (uuid, ext, job)),
              E("g", n=1),
              A("o")]
    return flat(*steps)


def connect(conn="o", capture=True):
    """connect, then a pause as an application's start-up takes (the async socket application
    parks once it sees the connect)."""
    return [S(conn, "connect\n\n"),
            E(conn, n=1, capture={"buuid": "Unique-ID"} if capture else None),
            SL(0.3), E(conn, quiet=0.2)]


def execute(app, arg=None, extra=""):
    text = "sendmsg\ncall-command: execute\nexecute-app-name: %s\n" % app
    if arg is not None:
        text += "execute-app-arg: %s\n" % arg
    return text + extra + "\n"


# -- the socket application between dialplan actions ------------------------------------------

case("ob2_two_sockets_early_answered",
     "Dialplan pre_answer, set, socket (async full), set, answer, socket (async full), set, hangup: "
     "the first connect's channel data of an early channel, getvar, resume, exit; the dialplan goes "
     "on to the second socket, whose connect shows the answered channel; exit there without resume; "
     "what the watcher of the leg sees (execute completes and hang-up).",
     flat(ob2_call("ob2_seq", U(1300), JOB(1300)),
          connect("o"),
          cmd("o", "getvar ob2_stage"), cmd("o", "resume"),
          S("o", "exit\n\n"), E("o", closed=True),
          A("o2"), connect("o2", capture=False),
          cmd("o2", "getvar ob2_stage"),
          S("o2", "exit\n\n"), E("o2", closed=True),
          E("c", quiet=1.5, timeout=10),
          bye("c")),
     **OUT_KW)

case("ob2_connect_fails_continues",
     "socket to a port nobody listens on (127.0.0.1:9): the application fails and the dialplan goes "
     "on (set, then a socket that connects); getvar of the variable set after the failure and of "
     "socket_host; exit without resume; what the watcher sees.",
     flat(ob2_call("ob2_fail", U(1301), JOB(1301)),
          connect("o"),
          cmd("o", "getvar ob2_after_fail"), cmd("o", "getvar socket_host"),
          S("o", "exit\n\n"), E("o", closed=True),
          E("c", quiet=1.5, timeout=10),
          bye("c")),
     **OUT_KW)

case("ob2_sync_exit_continues",
     "Answered sync socket (full, no async): connect (Socket-Mode static), myevents, sendmsg set "
     "runs inline, exit without resume: the dialplan goes on (set) to an async socket: connect, "
     "getvar of both variables, exit without resume; what the watcher sees up to the hang-up.",
     flat(ob2_call("ob2_sync", U(1302), JOB(1302)),
          connect("o"),
          cmd("o", "myevents"),
          S("o", execute("set", "ob2_in_sync=1")), E("o", n=1), E("o", quiet=0.7),
          S("o", "exit\n\n"), E("o", closed=True),
          A("o2"), connect("o2", capture=False),
          cmd("o2", "getvar ob2_after_sync"), cmd("o2", "getvar ob2_in_sync"),
          S("o2", "exit\n\n"), E("o2", closed=True),
          E("c", quiet=1.5, timeout=10),
          bye("c")),
     **OUT_KW)

case("ob2_socket_resume_variable",
     "socket_resume=true set in the dialplan before an async socket: connect, getvar socket_resume, "
     "exit without the resume command: the dialplan goes on (set, park), seen by the watcher and by "
     "uuid_getvar.",
     flat(ob2_call("ob2_rvar", U(1303), JOB(1303), watch="CHANNEL_EXECUTE_COMPLETE CHANNEL_PARK"),
          connect("o"),
          cmd("o", "getvar socket_resume"),
          S("o", "exit\n\n"), E("o", closed=True),
          E("c", quiet=1.0, timeout=10),
          cmd("c", "api uuid_getvar {{buuid}} ob2_resumed"),
          bye("c")),
     **OUT_KW)

case("ob2_exit_mid_execute",
     "Async socket followed by set and hangup in the dialplan: myevents, sendmsg execute sleep 1500 "
     "('+OK' at once), the app sends exit while the sleep runs: what the socket receives until it "
     "closes, and whether the sleep completes and the dialplan goes on (watcher).",
     flat(ob2_call("ob2_exit", U(1304), JOB(1304)),
          connect("o"),
          cmd("o", "myevents"),
          S("o", execute("sleep", "1500")), E("o", n=1),
          E("o", until={"event": "CHANNEL_EXECUTE"}, timeout=5),
          S("o", "exit\n\n"), E("o", closed=True),
          E("c", quiet=2.5, timeout=10),
          bye("c")),
     **OUT_KW)

# -- event formats, filters, divert ------------------------------------------------------------

case("ob2_myevents_json",
     "Async full socket: 'myevents json'; sendmsg execute answer with Event-UUID: the controlled "
     "leg's events as text/event-json; then sendmsg execute set on the answered channel; exit.",
     flat(outbound("sock", U(1305), JOB(1305)),
          cmd("o", "myevents json"),
          S("o", execute("answer", extra="Event-UUID: %s\n" % JOB(1405))), E("o", n=1),
          E("o", until={"event": "CHANNEL_EXECUTE_COMPLETE"}, timeout=5), E("o", quiet=0.7),
          S("o", execute("set", "ob2_json=1")), E("o", n=1), E("o", quiet=0.7),
          S("o", "exit\n\n"), E("o", closed=True)),
     **OUT_KW)

case("ob2_myevents_xml_filter",
     "Async full socket: 'myevents xml' and 'filter Event-Name CHANNEL_EXECUTE_COMPLETE': a sendmsg "
     "set brings only its EXECUTE_COMPLETE (XML); 'filter delete Event-Name "
     "CHANNEL_EXECUTE_COMPLETE' then another set brings EXECUTE and EXECUTE_COMPLETE; exit.",
     flat(outbound("sock", U(1306), JOB(1306)),
          cmd("o", "myevents xml"),
          cmd("o", "filter Event-Name CHANNEL_EXECUTE_COMPLETE"),
          S("o", execute("set", "ob2_x=1")), E("o", n=1), E("o", quiet=0.7),
          cmd("o", "filter delete Event-Name CHANNEL_EXECUTE_COMPLETE"),
          S("o", execute("set", "ob2_x=2")), E("o", n=1), E("o", quiet=0.7),
          S("o", "exit\n\n"), E("o", closed=True)),
     **OUT_KW)

case("ob2_myevents_api_bgapi",
     "Async full socket with myevents: api uuid_getvar of its own leg; bgapi (Job-UUID) before "
     "'event plain BACKGROUND_JOB' (no job event reaches it) and after (the job event carries "
     "Job-Owner-UUID and passes the myevents uuid check); exit.",
     flat(outbound("sock", U(1307), JOB(1307)),
          cmd("o", "myevents"),
          cmd("o", "api uuid_getvar {{buuid}} socket_host"),
          cmd("o", "bgapi uuid_getvar {{buuid}} channel_name\nJob-UUID: %s" % JOB(1407)),
          E("o", quiet=1.0),
          cmd("o", "event plain BACKGROUND_JOB"),
          cmd("o", "bgapi uuid_getvar {{buuid}} direction\nJob-UUID: %s" % JOB(1507)),
          E("o", quiet=1.0),
          S("o", "exit\n\n"), E("o", closed=True)),
     **OUT_KW)

SENDEV = ("sendevent CUSTOM\nEvent-Subclass: ob2::%s\nunique-id: {{buuid}}\nob2-note: %s\n\n")

case("ob2_divert_events",
     "Async full socket with myevents: a CUSTOM event sent (inbound sendevent with unique-id) to the "
     "controlled leg is queued to the session and nothing reaches the socket; after 'divert_events "
     "on' the next one is delivered to the socket; after 'divert_events off' not again; "
     "'divert_events' without a value; exit.",
     flat(outbound("sock", U(1308), JOB(1308)),
          cmd("o", "myevents"),
          login("c2"),
          S("c2", SENDEV % ("one", "before")), E("c2", n=1), E("o", quiet=1.0),
          cmd("o", "divert_events on"),
          S("c2", SENDEV % ("two", "diverted")), E("c2", n=1), E("o", quiet=1.0),
          cmd("o", "divert_events off"),
          S("c2", SENDEV % ("three", "after")), E("c2", n=1), E("o", quiet=1.0),
          cmd("o", "divert_events"),
          S("o", "exit\n\n"), E("o", closed=True),
          bye("c2")),
     **OUT_KW)

# -- sendmsg forms -----------------------------------------------------------------------------

BODY = "ob2_body=hello world"

case("ob2_sendmsg_loops_body",
     "Async full socket with myevents: sendmsg execute set with loops: 3, event-lock: true, "
     "Event-UUID and the argument in a text/plain body: the reply and each loop's events; getvar "
     "of the variable; exit.",
     flat(outbound("sock", U(1309), JOB(1309)),
          cmd("o", "myevents"),
          S("o", "sendmsg\ncall-command: execute\nexecute-app-name: set\nloops: 3\nevent-lock: true\n"
                 "Event-UUID: %s\ncontent-type: text/plain\ncontent-length: %d\n\n%s"
                 % (JOB(1409), len(BODY), BODY)),
          E("o", n=1), E("o", quiet=1.0),
          cmd("o", "getvar ob2_body"),
          S("o", "exit\n\n"), E("o", closed=True)),
     **OUT_KW)

case("ob2_event_filter_hangup_cause",
     "Async full socket without myevents: 'event plain CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE' "
     "with 'filter Unique-ID <own uuid>', linger (forever); sendmsg hangup with hangup-cause "
     "CALL_REJECTED: the events and the linger notice; exit.",
     flat(outbound("sock", U(1310), JOB(1310)),
          cmd("o", "event plain CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE"),
          cmd("o", "filter Unique-ID {{buuid}}"),
          cmd("o", "linger"),
          S("o", "sendmsg\ncall-command: hangup\nhangup-cause: CALL_REJECTED\n\n"), E("o", n=1),
          E("o", quiet=1.0, unordered=True, timeout=10),
          S("o", "exit\n\n"), E("o", closed=True)),
     **OUT_KW)

# -- the far end hangs up mid-execute ----------------------------------------------------------

case("ob2_far_hangup_mid_execute_linger",
     "Async full socket with myevents and 'linger 1': sendmsg execute answer, then sleep 5000; the "
     "A leg (the far end of loopback) is killed while the sleep runs: the sleep's completion, the "
     "hang-up events and the linger notice, then the goodbye about 1 s later.",
     flat(outbound("sock", U(1311), JOB(1311)),
          cmd("o", "myevents"), cmd("o", "linger 1"),
          S("o", execute("answer")), E("o", n=1),
          E("o", until={"event": "CHANNEL_EXECUTE_COMPLETE"}, timeout=5), E("o", quiet=0.5),
          S("o", execute("sleep", "5000", "Event-UUID: %s\n" % JOB(1411))), E("o", n=1),
          E("o", until={"event": "CHANNEL_EXECUTE"}, timeout=5),
          SL(0.3),
          cmd("c", "api uuid_kill %s" % U(1311)),
          E("o", closed=True, unordered=True, timeout=10),
          bye("c")),
     **OUT_KW)

case("ob2_caller_hangup_sync_inline",
     "Sync full socket with myevents (no linger): sendmsg execute answer runs inline; sendmsg "
     "execute sleep 5000 runs inline and the controlled leg is killed (uuid_kill USER_BUSY) "
     "while it runs: whether the sendmsg still gets its '+OK', the events, the goodbye notice.",
     flat(outbound("socksync", U(1312), JOB(1312)),
          cmd("o", "myevents"),
          S("o", execute("answer")), E("o", until={"ct": "command/reply"}, timeout=5),
          E("o", quiet=0.5),
          S("o", execute("sleep", "5000")),
          SL(0.8),
          cmd("c", "api uuid_kill {{buuid}} USER_BUSY"),
          E("o", closed=True, unordered=True, timeout=10),
          bye("c")),
     **OUT_KW)

# -- second batch ------------------------------------------------------------------------------

case("ob2_socket_host_failover",
     "socket with a host list '127.0.0.1:9|127.0.0.1:PORT async full': the first host refuses, the "
     "second connects; getvar socket_host; the app closes its TCP connection without exit: what "
     "the dialplan does next (set, hangup NO_ANSWER), seen by the watcher.",
     flat(ob2_call("ob2_multi", U(1320), JOB(1320)),
          connect("o"),
          cmd("o", "getvar socket_host"),
          close("o"),
          E("c", quiet=1.5, timeout=10),
          bye("c")),
     **OUT_KW)

case("ob2_app_closes_tcp_sync_then_async",
     "The app drops the TCP connection without exit, first on an answered sync socket (the dialplan "
     "goes on: set, then an async socket), then on that async socket (dialplan: hangup USER_BUSY); "
     "what the watcher sees.",
     flat(ob2_call("ob2_sync", U(1321), JOB(1321)),
          connect("o"),
          close("o"),
          A("o2"), connect("o2", capture=False),
          cmd("o2", "getvar ob2_after_sync"),
          close("o2"),
          E("c", quiet=1.5, timeout=10),
          bye("c")),
     **OUT_KW)

case("ob2_far_hangup_before_connect",
     "FreeSWITCH connected (async full, sock_PORT) but the app has not sent connect yet when the "
     "far end (the A leg) is killed: what the socket gets; then the app sends connect: what "
     "follows until FreeSWITCH closes.",
     flat(login("c"),
          S("c", "bgapi originate {origination_uuid=%s}loopback/sock_{{port}}/default &park\n"
                 "Job-UUID: %s\n\n" % (U(1322), JOB(1322))),
          E("c", n=1),
          A("o"),
          SL(0.5),
          cmd("c", "api uuid_kill %s" % U(1322)),
          E("o", quiet=1.5),
          S("o", "connect\n\n"), E("o", closed=True, timeout=5),
          bye("c")),
     **OUT_KW)

case("ob2_getvar_profile_fields",
     "Async full socket on an unanswered leg: getvar of caller-profile fields (caller_id_number, "
     "destination_number, context, ani, uuid, dialplan, chan_name), of a global (hostname), of "
     "channel variables (channel_name, DP_MATCH, direction) and of names that are none of these "
     "(variable_socket_host, Caller-Destination-Number); exit.",
     flat(outbound("sock", U(1323), JOB(1323)),
          cmd("o", "getvar caller_id_number"), cmd("o", "getvar destination_number"),
          cmd("o", "getvar context"), cmd("o", "getvar ani"), cmd("o", "getvar uuid"),
          cmd("o", "getvar dialplan"), cmd("o", "getvar chan_name"),
          cmd("o", "getvar hostname"), cmd("o", "getvar channel_name"),
          cmd("o", "getvar DP_MATCH"), cmd("o", "getvar direction"),
          cmd("o", "getvar variable_socket_host"),
          cmd("o", "getvar Caller-Destination-Number"),
          S("o", "exit\n\n"), E("o", closed=True)),
     **OUT_KW)

case("ob2_myevents_nixevent_noevents",
     "Async full socket: myevents, then 'nixevent CHANNEL_EXECUTE': a sendmsg set brings only its "
     "EXECUTE_COMPLETE; noevents: the next set brings nothing; myevents again; 'event plain "
     "CHANNEL_EXECUTE': the next set; exit.",
     flat(outbound("sock", U(1324), JOB(1324)),
          cmd("o", "myevents"),
          cmd("o", "nixevent CHANNEL_EXECUTE"),
          S("o", execute("set", "ob2_n=1")), E("o", n=1), E("o", quiet=0.7),
          cmd("o", "noevents"),
          S("o", execute("set", "ob2_n=2")), E("o", n=1), E("o", quiet=0.7),
          cmd("o", "myevents"),
          cmd("o", "event plain CHANNEL_EXECUTE"),
          S("o", execute("set", "ob2_n=3")), E("o", n=1), E("o", quiet=0.7),
          S("o", "exit\n\n"), E("o", closed=True)),
     **OUT_KW)

case("ob2_event_answer_both_legs",
     "Async full socket without myevents: 'event plain CHANNEL_ANSWER' (a global subscription, no "
     "session filter); sendmsg execute answer on the controlled leg: the answer events of both "
     "loopback legs reach the socket; exit.",
     flat(outbound("sock", U(1325), JOB(1325)),
          cmd("o", "event plain CHANNEL_ANSWER"),
          S("o", execute("answer")), E("o", n=1),
          E("o", n=2, timeout=5, unordered=True), E("o", quiet=0.7),
          S("o", "exit\n\n"), E("o", closed=True)),
     **OUT_KW)

case("ob2_async_burst",
     "Async full socket with myevents on an unanswered leg: three sendmsg sent in one write (set, "
     "sleep 300, set, each with Event-UUID): three '+OK' at once, then each one's EXECUTE and "
     "EXECUTE_COMPLETE in order; getvar of both variables; exit.",
     flat(outbound("sock", U(1326), JOB(1326)),
          cmd("o", "myevents"),
          S("o", execute("set", "ob2_b1=1", "Event-UUID: %s\n" % JOB(1426))
                 + execute("sleep", "300", "Event-UUID: %s\n" % JOB(1526))
                 + execute("set", "ob2_b2=2", "Event-UUID: %s\n" % JOB(1626))),
          E("o", n=3), E("o", quiet=1.0, timeout=5),
          cmd("o", "getvar ob2_b1"), cmd("o", "getvar ob2_b2"),
          S("o", "exit\n\n"), E("o", closed=True)),
     **OUT_KW)

case("ob2_bridge_from_app",
     "Async full socket with myevents (a call-center app): sendmsg execute answer, then execute "
     "bridge {origination_uuid=...}loopback/9197/default (answers, hangs up after 2 s): the "
     "controlled leg's bridge events, the unbridge when the far leg hangs up, the bridge's "
     "EXECUTE_COMPLETE; the leg stays (parked socket); getvar of the bridge variables; exit.",
     flat(outbound("sock", U(1327), JOB(1327)),
          cmd("o", "myevents"),
          S("o", execute("answer")), E("o", n=1),
          E("o", until={"event": "CHANNEL_EXECUTE_COMPLETE"}, timeout=5), E("o", quiet=0.5),
          S("o", execute("bridge", "{origination_uuid=%s}loopback/9197/default" % U(1427))),
          E("o", n=1),
          E("o", until={"event": "CHANNEL_EXECUTE_COMPLETE"}, timeout=10), E("o", quiet=1.0),
          cmd("o", "getvar last_bridge_hangup_cause"), cmd("o", "getvar bridge_hangup_cause"),
          cmd("o", "getvar originate_disposition"),
          S("o", "exit\n\n"), E("o", closed=True)),
     **OUT_KW)

# -- third batch: the socket application on an originated (outbound) leg ------------------------

case("ob2_originate_app_socket_async",
     "originate {origination_uuid=...}loopback/9197/default '&socket(127.0.0.1:PORT async full)': "
     "the originated A leg (outbound direction, answered) connects: its connect data; myevents; "
     "the far end (9197) hangs up after 2 s: the events and the goodbye (no linger).",
     flat(login("c"),
          S("c", "bgapi originate {origination_uuid=%s}loopback/9197/default "
                 "'&socket(127.0.0.1:{{port}} async full)'\nJob-UUID: %s\n\n" % (U(1330), JOB(1330))),
          E("c", n=1),
          A("o"), connect("o"),
          cmd("o", "myevents"),
          E("o", closed=True, unordered=True, timeout=10),
          bye("c")),
     **OUT_KW)

case("ob2_originate_app_socket_sync_linger",
     "originate loopback/9197/default '&socket(127.0.0.1:PORT full)' (sync, on the answered A "
     "leg): connect, myevents, linger; the far end hangs up after 2 s: the events and the linger "
     "notice; getvar still answers; exit.",
     flat(login("c"),
          S("c", "bgapi originate {origination_uuid=%s}loopback/9197/default "
                 "'&socket(127.0.0.1:{{port}} full)'\nJob-UUID: %s\n\n" % (U(1331), JOB(1331))),
          E("c", n=1),
          A("o"), connect("o"),
          cmd("o", "myevents"), cmd("o", "linger"),
          E("o", until={"ct": "text/disconnect-notice"}, unordered=True, timeout=10),
          E("o", quiet=1.0),
          cmd("o", "getvar hangup_cause"),
          S("o", "exit\n\n"), E("o", closed=True),
          bye("c")),
     **OUT_KW)

case("ob2_sendmsg_other_uuid",
     "Async full socket with myevents: sendmsg <the A leg's uuid> execute set (another channel): "
     "'+OK', no event reaches the socket (myevents is the own leg only); the variable is on the A "
     "leg (api uuid_getvar), not on the own one (getvar); exit.",
     flat(outbound("sock", U(1332), JOB(1332)),
          cmd("o", "myevents"),
          S("o", "sendmsg %s\ncall-command: execute\nexecute-app-name: set\n"
                 "execute-app-arg: ob2_other=yes\n\n" % U(1332)), E("o", n=1), E("o", quiet=1.0),
          cmd("o", "api uuid_getvar %s ob2_other" % U(1332)),
          cmd("o", "getvar ob2_other"),
          S("o", "exit\n\n"), E("o", closed=True)),
     **OUT_KW)

case("ob2_outbound_log",
     "Async full socket: 'log 3'; sendmsg execute log 'ERR ob2 hello': the log/data frame the "
     "socket gets (User-Data = the leg); 'nolog'; another log execute brings nothing; exit.",
     flat(outbound("sock", U(1333), JOB(1333)),
          cmd("o", "log 3"),
          S("o", execute("log", "ERR ob2 hello")), E("o", n=1), E("o", quiet=1.0),
          cmd("o", "nolog"),
          S("o", execute("log", "ERR ob2 again")), E("o", n=1), E("o", quiet=1.0),
          S("o", "exit\n\n"), E("o", closed=True)),
     **OUT_KW)

# -- fourth batch: hang-ups from elsewhere without linger ---------------------------------------

case("ob2_far_hangup_mid_sleep_nolinger",
     "Async full socket with myevents, no linger: sendmsg execute answer, then sleep 5000; the A "
     "leg (far end) is killed while the sleep runs: what reaches the socket before its goodbye.",
     flat(outbound("sock", U(1340), JOB(1340)),
          cmd("o", "myevents"),
          S("o", execute("answer")), E("o", n=1),
          E("o", until={"event": "CHANNEL_EXECUTE_COMPLETE"}, timeout=5), E("o", quiet=0.5),
          S("o", execute("sleep", "5000")), E("o", n=1),
          E("o", until={"event": "CHANNEL_EXECUTE"}, timeout=5),
          SL(0.3),
          cmd("c", "api uuid_kill %s" % U(1340)),
          E("o", closed=True, unordered=True, timeout=10),
          bye("c")),
     **OUT_KW)

case("ob2_kill_parked_unanswered_nolinger",
     "Async full socket with myevents, no linger, on an unanswered leg (park without media): the "
     "controlled leg itself is killed (uuid_kill ... CALL_REJECTED from an inbound connection): "
     "what reaches the socket before its goodbye.",
     flat(outbound("sock", U(1341), JOB(1341)),
          cmd("o", "myevents"),
          SL(0.3),
          cmd("c", "api uuid_kill {{buuid}} CALL_REJECTED"),
          E("o", closed=True, unordered=True, timeout=10),
          bye("c")),
     **OUT_KW)

case("ob2_kill_mid_sleep_unanswered_nolinger",
     "Async full socket with myevents, no linger, unanswered leg (no media): sendmsg execute sleep "
     "5000; the controlled leg is killed (uuid_kill) while the sleep runs: the socket's goodbye comes "
     "after a prefix of the hang-up events (a race in FreeSWITCH: all 7 in one of 3 runs, only "
     "CHANNEL_HANGUP in the others).",
     flat(outbound("sock", U(1342), JOB(1342)),
          cmd("o", "myevents"),
          S("o", execute("sleep", "5000")), E("o", n=1),
          E("o", until={"event": "CHANNEL_EXECUTE"}, timeout=5),
          SL(0.3),
          cmd("c", "api uuid_kill {{buuid}}"),
          E("o", closed=True, optional_prefix=True, timeout=10),
          bye("c")),
     **OUT_KW)

case("ob2_far_hangup_mid_playback_nolinger",
     "Async full socket with myevents, no linger: answer, then playback of a 5 s tone; the A leg "
     "(far end) is killed while it plays: what reaches the socket before its goodbye.",
     flat(outbound("sock", U(1343), JOB(1343)),
          cmd("o", "myevents"),
          S("o", execute("answer")), E("o", n=1),
          E("o", until={"event": "CHANNEL_EXECUTE_COMPLETE"}, timeout=5), E("o", quiet=0.5),
          S("o", execute("playback", "tone_stream://%(5000,0,440)")), E("o", n=1),
          E("o", until={"event": "CHANNEL_EXECUTE"}, timeout=5),
          SL(0.3),
          cmd("c", "api uuid_kill %s" % U(1343)),
          E("o", closed=True, unordered=True, timeout=10),
          bye("c")),
     **OUT_KW)
