"""Recorder cases for what an inbound ESL application sees of calls (issue #13, area events):
'event plain|json|xml ALL' over whole loopback calls (filtered on the case's own channels),
the encodings of call events, myevents/divert_events on an inbound connection, sendevent to
subscribers, sendmsg from an inbound connection, channel data through eval/expand/uuid_getvar
of B legs, nixevent and filter changes during a call.

Extensions: context 'events' (src/eslkit/switch/data/contexts/events.xml, copied to the
oracle's etc/freeswitch/dialplan/events.xml).

    cd ../shared/oracle
    flock /opt/fsref/oracle.lock python3 recorder.py run --cases .../cases_events.py \
        --out /tmp/fid-events-runs --runs 3 --restart --port 8022
"""
from steps import (ALLNOISE, CASES, IN_KW, JOB, E, S, SL, U, bye, case, cmd, flat,  # noqa: F401
                   login)

PARK = {"event": "CHANNEL_EXECUTE", "ev_header": {"Application": "park"}}


def park_call(conn, uuid, extra="", dest="1000"):
    return cmd(conn, f"api originate {{origination_uuid={uuid}{extra}}}loopback/{dest}/default &park",
               timeout=20)


def _park_via(conn, uuid, dest):
    return cmd(conn, f"api originate {{origination_uuid={uuid}}}loopback/{dest}/events &park", timeout=20)


case("ev_json_all_special_vars",
     "'event json ALL' filtered on the A leg's Unique-ID: the whole life of a loopback/1000 &park A leg "
     "(originate with {} variables holding '%', '+' and UTF-8; then sendmsg execute set of a value with a double "
     "quote, a backslash, '<&>', '%', spaces and UTF-8) until uuid_kill: every event FreeSWITCH fires for it, in JSON (escaping, key order).",
     flat(login("a"),
          cmd("a", "filter Unique-ID " + U(1301)),
          cmd("a", "event json ALL"),
          login("c"),
          park_call("c", U(1301), extra=",ev_pct=100%,ev_plus=a+b,ev_utf=h\u00e9llo"),
          E("a", until=PARK, timeout=10),
          E("a", quiet=0.7),
          cmd("c", f"sendmsg {U(1301)}\ncall-command: execute\nexecute-app-name: set\n"
                   f'execute-app-arg: ev_q=say "hi" \\ back <a&b> 100% w\u00f6rld \u20ac\nevent-lock: true'),
          E("a", until={"event": "CHANNEL_EXECUTE_COMPLETE"}, timeout=10),
          E("a", quiet=0.7),
          cmd("c", "api uuid_kill " + U(1301)),
          E("a", until={"event": "CHANNEL_DESTROY"}, timeout=10),
          E("a", quiet=1.0),
          bye("a"), bye("c")),
     ignore_events=ALLNOISE, **IN_KW)

case("ev_plain_all_early_media",
     "'bgapi originate {uuid}loopback/ev_early/events &park' whose B leg runs ring_ready, pre_answer, "
     "sleep 200, answer, park. Watcher a: 'event plain ALL' filtered on Channel-Name loopback/ev_early-b "
     "(every event of the B leg: CHANNEL_PROGRESS, PROGRESS_MEDIA, CALLSTATE RINGING/EARLY/ACTIVE, ...); "
     "watcher b: CHANNEL_PROGRESS, CHANNEL_PROGRESS_MEDIA and CHANNEL_ANSWER of the A leg. Then uuid_kill "
     "of the A leg: the B leg's end.",
     flat(login("a"),
          cmd("a", "filter Channel-Name loopback/ev_early-b"),
          cmd("a", "event plain ALL"),
          login("b"),
          cmd("b", "filter Unique-ID " + U(1311)),
          cmd("b", "event plain CHANNEL_PROGRESS CHANNEL_PROGRESS_MEDIA CHANNEL_ANSWER"),
          login("c"),
          S("c", f"bgapi originate {{origination_uuid={U(1311)}}}loopback/ev_early/events &park\n"
                 f"Job-UUID: {JOB(1311)}\n\n"),
          E("c", n=1),
          E("a", until={"event": "CHANNEL_PARK"}, timeout=10),
          E("a", quiet=1.0),
          E("b", n=3, timeout=5),
          E("b", quiet=0.3),
          cmd("c", "api uuid_kill " + U(1311)),
          E("a", until={"event": "CHANNEL_DESTROY"}, timeout=10),
          E("a", quiet=1.0),
          bye("a"), bye("b"), bye("c")),
     ignore_events=ALLNOISE, **IN_KW)

case("ev_xml_all_bleg_vars",
     "'event xml ALL' filtered on Channel-Name loopback/ev_vars-b: the B leg of loopback/ev_vars/events "
     "answers, sets a variable with spaces, '&', '=', '%', '+', '<>' and quotes, builds an array with "
     "push/push/unshift and one with set ARRAY::x|:y z, exports a variable, parks: every event in XML "
     "(array headers as repeated elements). Then uuid_kill of the A leg: the B leg's end.",
     flat(login("a"),
          cmd("a", "filter Channel-Name loopback/ev_vars-b"),
          cmd("a", "event xml ALL"),
          login("c"),
          _park_via("c", U(1321), "ev_vars"),
          E("a", until=PARK, timeout=10),
          E("a", quiet=0.7),
          cmd("c", "api uuid_kill " + U(1321)),
          E("a", until={"event": "CHANNEL_DESTROY"}, timeout=10),
          E("a", quiet=1.0),
          bye("a"), bye("c")),
     ignore_events=ALLNOISE, **IN_KW)


case("ev_array_vars_three_formats",
     "A parked loopback A leg; three watchers filtered on its Unique-ID and subscribed to "
     "CHANNEL_EXECUTE_COMPLETE in plain, json and xml. sendmsg execute push ev_a=1, push ev_a=2, "
     "unshift ev_a=0, set ev_b=ARRAY::p|:q: each watcher's events (the array variable in each "
     "encoding); uuid_getvar ev_a, eval ${ev_a} / ${ev_a[1]}, uuid_dump json.",
     flat(login("a"), cmd("a", "filter Unique-ID " + U(1331)), cmd("a", "event plain CHANNEL_EXECUTE_COMPLETE"),
          login("b"), cmd("b", "filter Unique-ID " + U(1331)), cmd("b", "event json CHANNEL_EXECUTE_COMPLETE"),
          login("d"), cmd("d", "filter Unique-ID " + U(1331)), cmd("d", "event xml CHANNEL_EXECUTE_COMPLETE"),
          login("c"),
          park_call("c", U(1331)),
          SL(0.3),
          cmd("c", f"sendmsg {U(1331)}\ncall-command: execute\nexecute-app-name: push\nexecute-app-arg: ev_a=1\nevent-lock: true"),
          cmd("c", f"sendmsg {U(1331)}\ncall-command: execute\nexecute-app-name: push\nexecute-app-arg: ev_a=2\nevent-lock: true"),
          cmd("c", f"sendmsg {U(1331)}\ncall-command: execute\nexecute-app-name: unshift\nexecute-app-arg: ev_a=0\nevent-lock: true"),
          cmd("c", f"sendmsg {U(1331)}\ncall-command: execute\nexecute-app-name: set\nexecute-app-arg: ev_b=ARRAY::p|:q\nevent-lock: true"),
          E("a", n=4, timeout=10), E("a", quiet=0.7),
          E("b", n=4, timeout=10), E("b", quiet=0.3),
          E("d", n=4, timeout=10), E("d", quiet=0.3),
          cmd("c", f"api uuid_getvar {U(1331)} ev_a"),
          cmd("c", f"api uuid_getvar {U(1331)} ev_b"),
          cmd("c", f"api eval uuid:{U(1331)} [${{ev_a}}] [${{ev_a[1]}}] [${{ev_b[0]}}]"),
          cmd("c", f"api uuid_dump {U(1331)} json"),
          bye("a"), bye("b"), bye("d"), bye("c")),
     **IN_KW)

case("ev_myevents_json_bgapi_owner",
     "Inbound 'myevents <uuid> json' on a parked loopback A leg: '+OK Events Enabled', events arrive as "
     "JSON; sendmsg execute set from another connection (CHANNEL_EXECUTE/COMPLETE reach the myevents "
     "connection); 'bgapi uuid_getvar' from the myevents connection (BACKGROUND_JOB with "
     "Job-Owner-UUID, subscribed with 'event json BACKGROUND_JOB CUSTOM ev::probe'); a sendevent CUSTOM "
     "ev::probe carrying the channel's Unique-ID; then uuid_kill: some of the hang-up events (the listener drops what it has not sent when it sees the hang-up) and the session-form goodbye.",
     flat(login("c"),
          park_call("c", U(1341)),
          login("a"),
          cmd("a", f"myevents {U(1341)} json"),
          cmd("a", "event json BACKGROUND_JOB CUSTOM ev::probe"),
          cmd("c", f"sendmsg {U(1341)}\ncall-command: execute\nexecute-app-name: set\nexecute-app-arg: ev_m=1\nevent-lock: true"),
          E("a", until={"event": "CHANNEL_EXECUTE_COMPLETE"}, timeout=10),
          E("a", quiet=0.7),
          S("a", f"bgapi uuid_getvar {U(1341)} ev_m\nJob-UUID: {JOB(1341)}\n\n"),
          E("a", n=1),
          E("a", quiet=1.0),
          cmd("c", f"sendevent CUSTOM\nEvent-Subclass: ev::probe\nUnique-ID: {U(1341)}\nev-h: x"),
          SL(0.5),
          E("a", quiet=0.7),
          cmd("c", "api uuid_kill " + U(1341)),
          # FreeSWITCH drops the events its listener has not sent when it sees the hang-up.
          E("a", closed=True, timeout=10, optional_prefix=True),
          bye("c")),
     **IN_KW)

case("ev_divert_dtmf",
     "Inbound 'myevents <uuid>' + 'divert_events on' on a parked loopback A leg; a second watcher subscribed "
     "to DTMF (filtered on the A leg). 'uuid_send_dtmf <B leg> 12' (the B leg sends to the A leg): with the "
     "events diverted the A leg's DTMF events go to the session's queue and the myevents connection gets "
     "them; the watcher gets none. 'divert_events off', '34': fired normally (both see them). Then the "
     "watcher adds CHANNEL_EXECUTE_COMPLETE CHANNEL_HANGUP and the myevents connection exits: the listener "
     "clears CF_CONTROLLED, which ends the park (the A leg hangs up); uuid_kill then finds no channel.",
     flat(login("w"), cmd("w", "filter Unique-ID " + U(1351)), cmd("w", "event plain DTMF"),
          login("c"),
          cmd("c", "filter Channel-Name loopback/1000-b"),
          cmd("c", "event plain CHANNEL_ANSWER"),
          park_call("c", U(1351)),
          E("c", n=1, timeout=10, capture={"buuid": "Unique-ID"}),
          cmd("c", "noevents"),
          login("a"),
          cmd("a", f"myevents {U(1351)}"),
          cmd("a", "divert_events on"),
          SL(0.3),
          cmd("c", "api uuid_send_dtmf {{buuid}} 12"),
          E("a", quiet=1.5, timeout=10),
          E("w", quiet=0.3),
          cmd("a", "divert_events off"),
          cmd("c", "api uuid_send_dtmf {{buuid}} 34"),
          E("a", quiet=1.5, timeout=10),
          E("w", quiet=0.3),
          cmd("w", "event plain CHANNEL_EXECUTE_COMPLETE CHANNEL_HANGUP"),
          bye("a"),
          SL(1.0),
          E("w", quiet=0.5),
          cmd("c", "api uuid_kill " + U(1351)),
          SL(0.5),
          E("w", quiet=0.5),
          bye("w"), bye("c")),
     **IN_KW)

case("ev_nixevent_midcall",
     "A parked loopback A leg; once it is up, a watcher filtered on it subscribes 'event plain ALL': sendmsg "
     "execute set (EXECUTE/COMPLETE); mid-call 'nixevent CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE "
     "CHANNEL_STATE CHANNEL_CALLSTATE': sendmsg execute set then delivers nothing; uuid_kill: the remaining "
     "hang-up events only (HANGUP, UNPARK, HANGUP_COMPLETE, DESTROY...).",
     flat(login("a"),
          cmd("a", "filter Unique-ID " + U(1361)),
          login("c"),
          park_call("c", U(1361)),
          SL(0.5),
          cmd("a", "event plain ALL"),
          cmd("c", f"sendmsg {U(1361)}\ncall-command: execute\nexecute-app-name: set\nexecute-app-arg: ev_n=0\nevent-lock: true"),
          E("a", until={"event": "CHANNEL_EXECUTE_COMPLETE"}, timeout=10),
          E("a", quiet=0.7),
          cmd("a", "nixevent CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE CHANNEL_STATE CHANNEL_CALLSTATE"),
          cmd("c", f"sendmsg {U(1361)}\ncall-command: execute\nexecute-app-name: set\nexecute-app-arg: ev_n=1\nevent-lock: true"),
          E("a", quiet=1.0),
          cmd("c", "api uuid_kill " + U(1361)),
          E("a", until={"event": "CHANNEL_DESTROY"}, timeout=10),
          E("a", quiet=1.0),
          bye("a"), bye("c")),
     ignore_events=ALLNOISE, **IN_KW)

case("ev_filter_changes_midcall",
     "Two parked loopback A legs; a watcher filtered on both Unique-IDs, subscribed to CHANNEL_EXECUTE_COMPLETE "
     "and CHANNEL_HANGUP. sendmsg set on both (both delivered); 'filter delete Unique-ID <first>' (only the "
     "second's events); 'filter Event-Name CHANNEL_HANGUP' and the negative 'filter Application -set' "
     "added; sendmsg set on the second; uuid_kill of each: which events each filter set lets through.",
     flat(login("a"),
          cmd("a", "filter Unique-ID " + U(1371)),
          cmd("a", "filter Unique-ID " + U(1372)),
          cmd("a", "event plain CHANNEL_EXECUTE_COMPLETE CHANNEL_HANGUP"),
          login("c"),
          park_call("c", U(1371)),
          park_call("c", U(1372)),
          SL(0.3),
          cmd("c", f"sendmsg {U(1371)}\ncall-command: execute\nexecute-app-name: set\nexecute-app-arg: ev_f=1\nevent-lock: true"),
          E("a", n=1, timeout=10),
          cmd("c", f"sendmsg {U(1372)}\ncall-command: execute\nexecute-app-name: set\nexecute-app-arg: ev_f=2\nevent-lock: true"),
          E("a", n=1, timeout=10),
          cmd("a", "filter delete Unique-ID " + U(1371)),
          cmd("c", f"sendmsg {U(1371)}\ncall-command: execute\nexecute-app-name: set\nexecute-app-arg: ev_f=3\nevent-lock: true"),
          cmd("c", f"sendmsg {U(1372)}\ncall-command: execute\nexecute-app-name: set\nexecute-app-arg: ev_f=4\nevent-lock: true"),
          E("a", n=1, timeout=10),
          E("a", quiet=0.7),
          cmd("a", "filter Event-Name CHANNEL_HANGUP"),
          cmd("a", "filter Application -set"),
          cmd("c", f"sendmsg {U(1372)}\ncall-command: execute\nexecute-app-name: set\nexecute-app-arg: ev_f=5\nevent-lock: true"),
          E("a", quiet=1.0),
          cmd("c", "api uuid_kill " + U(1371)),
          SL(0.5),
          E("a", quiet=1.0, timeout=10),
          cmd("c", "api uuid_kill " + U(1372)),
          SL(0.5),
          E("a", quiet=1.0, timeout=10),
          bye("a"), bye("c")),
     **IN_KW)

case("ev_sendevent_subclass_subscribers",
     "Three subscribers: 'event json CUSTOM ev::one', 'event xml CUSTOM ev::one ev::two', 'event plain ALL' "
     "with 'filter Event-Subclass ev::two'. A fourth connection sends CUSTOM ev::one (headers with spaces, "
     "'%', UTF-8, a duplicate header, a body), CUSTOM ev::two and CUSTOM ev::three: the sendevent replies "
     "and who receives which, in which encoding.",
     flat(login("a"), cmd("a", "event json CUSTOM ev::one"),
          login("b"), cmd("b", "event xml CUSTOM ev::one ev::two"),
          login("d"), cmd("d", "filter Event-Subclass ev::two"), cmd("d", "event plain ALL"),
          login("c"),
          S("c", "sendevent CUSTOM\nEvent-Subclass: ev::one\nev-h1: a b%c\nev-h2: d\u00e9j\u00e0 vu\n"
                 "ev-dup: 1\nev-dup: 2\nContent-Length: 11\n\nline1\nline2"),
          E("c", n=1),
          S("c", "sendevent CUSTOM\nEvent-Subclass: ev::two\nev-h: <x&y>\n\n"),
          E("c", n=1),
          S("c", "sendevent CUSTOM\nEvent-Subclass: ev::three\nev-h: z\n\n"),
          E("c", n=1),
          E("a", n=1, timeout=5), E("a", quiet=0.7),
          E("b", n=2, timeout=5), E("b", quiet=0.3),
          E("d", n=1, timeout=5), E("d", quiet=0.3),
          bye("a"), bye("b"), bye("d"), bye("c")),
     ignore_events=ALLNOISE)

case("ev_sendmsg_inbound_loops_hangup",
     "From an inbound connection on a parked loopback A leg (watcher: EXECUTE/COMPLETE/HANGUP/"
     "HANGUP_COMPLETE filtered on it): sendmsg execute playback of a 100 ms tone with 'loops: 2' (it runs once: an iteration that short ends the loop) and "
     "Event-UUID; sendmsg with an unknown call-command; sendmsg hangup "
     "with hangup-cause CALL_REJECTED; then sendmsg to the gone uuid.",
     flat(login("a"),
          cmd("a", "filter Unique-ID " + U(1381)),
          cmd("a", "event plain CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE"),
          login("c"),
          park_call("c", U(1381)),
          E("a", until=PARK, timeout=10),
          cmd("c", f"sendmsg {U(1381)}\ncall-command: execute\nexecute-app-name: playback\n"
                   f"execute-app-arg: tone_stream://%(100,0,440)\nloops: 2\nEvent-UUID: {JOB(1381)}"),
          E("a", until={"event": "CHANNEL_EXECUTE_COMPLETE", "ev_header": {"Application": "playback"}},
            timeout=10),
          E("a", quiet=1.0),
          cmd("c", f"sendmsg {U(1381)}\ncall-command: frobnicate"),
          SL(0.5),
          E("a", quiet=0.7),
          cmd("c", f"sendmsg {U(1381)}\ncall-command: hangup\nhangup-cause: CALL_REJECTED"),
          E("a", until={"event": "CHANNEL_HANGUP_COMPLETE"}, timeout=10),
          E("a", quiet=0.7),
          cmd("c", f"sendmsg {U(1381)}\ncall-command: hangup"),
          bye("a"), bye("c")),
     **IN_KW)

case("ev_eval_expand_bleg_getvar",
     "A parked loopback/1000 call with originate variables: eval uuid:<A> with channel variables "
     "(${destination_number}, ${ev_o}, an unknown one, ${caller_id_name}), eval uuid:<missing>, expand "
     "uuid:<A> echo ..., and on the B leg (uuid captured from its CHANNEL_ANSWER): uuid_getvar of "
     "direction, channel_name, destination_number, caller_id_number, ev_o, loopback_leg, is_outbound, "
     "other_loopback_leg_uuid; eval uuid:<B>.",
     flat(login("c"),
          cmd("c", "filter Channel-Name loopback/1000-b"),
          cmd("c", "event plain CHANNEL_ANSWER"),
          park_call("c", U(1391), extra=",ev_o=orig_val"),
          E("c", n=1, timeout=10, capture={"buuid": "Unique-ID"}),
          cmd("c", "noevents"),
          cmd("c", f"api eval uuid:{U(1391)} [${{destination_number}}] [${{ev_o}}] [${{ev_nope}}] [${{caller_id_name}}]"),
          cmd("c", "api eval uuid:00000000-0000-0000-0000-000000000000 [${ev_o}]"),
          cmd("c", f"api eval uuid:{U(1391)}"),
          cmd("c", f"api expand uuid:{U(1391)} echo ${{ev_o}} ${{channel_name}}"),
          cmd("c", "api uuid_getvar {{buuid}} direction"),
          cmd("c", "api uuid_getvar {{buuid}} channel_name"),
          cmd("c", "api uuid_getvar {{buuid}} destination_number"),
          cmd("c", "api uuid_getvar {{buuid}} caller_id_number"),
          cmd("c", "api uuid_getvar {{buuid}} ev_o"),
          cmd("c", "api uuid_getvar {{buuid}} loopback_leg"),
          cmd("c", "api uuid_getvar {{buuid}} is_outbound"),
          cmd("c", "api uuid_getvar {{buuid}} other_loopback_leg_uuid"),
          cmd("c", "api eval uuid:{{buuid}} [${channel_name}] [${ev_o}] [${uuid}]"),
          bye("c")),
     **IN_KW)

case("ev_show_parked_formats",
     "One parked loopback call (not bridged): 'show channels as xml', 'show calls as json', 'show calls "
     "as xml', 'show channels like ev_show as json' (caller id name ev_show) and 'show calls count'.",
     flat(login("c"),
          park_call("c", U(1395), extra=",origination_caller_id_name=ev_show"),
          SL(0.3),
          cmd("c", "api show channels as xml"),
          cmd("c", "api show calls as json"),
          cmd("c", "api show calls as xml"),
          cmd("c", "api show channels like ev_show as json"),
          cmd("c", "api show calls count"),
          bye("c")),
     **IN_KW)

case("ev_json_all_bridge_app",
     "'event json ALL' filtered on the A leg (Unique-ID) and on Channel-Name loopback/park-a: "
     "'bgapi originate {uuid}loopback/1000/default &bridge(loopback/park/default)': the A leg's bridge "
     "application originates loopback/park-a (every event of both until CHANNEL_BRIDGE); then 'filter delete "
     "Channel-Name loopback/park-a' and uuid_kill of the A leg: the A leg's end (UNBRIDGE, hangup, ...).",
     flat(login("a"),
          cmd("a", "filter Unique-ID " + U(1397)),
          cmd("a", "filter Channel-Name loopback/park-a"),
          cmd("a", "event json ALL"),
          login("c"),
          S("c", f"bgapi originate {{origination_uuid={U(1397)}}}loopback/1000/default &bridge(loopback/park/default)\n"
                 f"Job-UUID: {JOB(1397)}\n\n"),
          E("c", n=1),
          E("a", until={"event": "CHANNEL_BRIDGE"}, timeout=10),
          E("a", quiet=1.0),
          cmd("a", "filter delete Channel-Name loopback/park-a"),
          cmd("c", "api uuid_kill " + U(1397)),
          E("a", until={"event": "CHANNEL_DESTROY"}, timeout=10),
          E("a", quiet=1.0),
          bye("a"), bye("c")),
     ignore_events=ALLNOISE, **IN_KW)

case("ev_busy_bleg_xml_hangup",
     "'event xml CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE CHANNEL_STATE' filtered on the A leg: "
     "'api originate {uuid}loopback/ev_busy/events &park': the B leg answers, sleeps 200 ms and hangs up "
     "USER_BUSY; the A leg's end in XML (hangup cause, variables).",
     flat(login("a"),
          cmd("a", "filter Unique-ID " + U(1399)),
          cmd("a", "event xml CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE CHANNEL_STATE"),
          login("c"),
          _park_via("c", U(1399), "ev_busy"),
          E("a", until={"event": "CHANNEL_HANGUP_COMPLETE"}, timeout=10),
          E("a", quiet=1.0),
          bye("a"), bye("c")),
     **IN_KW)

case("ev_media_bug_events",
     "A parked loopback A leg; once it is up a watcher filtered on it subscribes 'event plain ALL'. sendmsg "
     "execute record_session /tmp/ev_rs.wav (event-lock), then stop_record_session /tmp/ev_rs.wav; 'api "
     "uuid_record <uuid> start /tmp/ev_ur.wav' and 'stop'; start_dtmf and stop_dtmf (inband DTMF detection): "
     "MEDIA_BUG_START/MEDIA_BUG_STOP (Media-Bug-Function, Media-Bug-Target) around the RECORD_START/RECORD_STOP "
     "events, in order.",
     flat(login("a"),
          cmd("a", "filter Unique-ID " + U(1401)),
          login("c"),
          park_call("c", U(1401)),
          SL(0.5),
          cmd("a", "event plain ALL"),
          cmd("c", f"sendmsg {U(1401)}\ncall-command: execute\nexecute-app-name: record_session\nexecute-app-arg: /tmp/ev_rs.wav\nevent-lock: true"),
          E("a", until={"event": "CHANNEL_EXECUTE_COMPLETE"}, timeout=10),
          E("a", quiet=0.7),
          cmd("c", f"sendmsg {U(1401)}\ncall-command: execute\nexecute-app-name: stop_record_session\nexecute-app-arg: /tmp/ev_rs.wav\nevent-lock: true"),
          E("a", until={"event": "CHANNEL_EXECUTE_COMPLETE"}, timeout=10),
          E("a", quiet=0.7),
          cmd("c", f"api uuid_record {U(1401)} start /tmp/ev_ur.wav"),
          SL(0.5),
          E("a", quiet=0.5),
          cmd("c", f"api uuid_record {U(1401)} stop /tmp/ev_ur.wav"),
          SL(0.5),
          E("a", quiet=0.5),
          cmd("c", f"sendmsg {U(1401)}\ncall-command: execute\nexecute-app-name: start_dtmf\nevent-lock: true"),
          E("a", until={"event": "CHANNEL_EXECUTE_COMPLETE"}, timeout=10),
          E("a", quiet=0.7),
          cmd("c", f"sendmsg {U(1401)}\ncall-command: execute\nexecute-app-name: stop_dtmf\nevent-lock: true"),
          E("a", until={"event": "CHANNEL_EXECUTE_COMPLETE"}, timeout=10),
          E("a", quiet=0.7),
          bye("a"), bye("c")),
     ignore_events=ALLNOISE, **IN_KW)

case("ev_presence_in",
     "'api originate {presence_id=ev1000@example.com,verbose_presence=true,uuid}loopback/1000/default &park': "
     "a watcher filtered on Channel-Name loopback/1000-b (the B leg, which gets the originate's variables) "
     "subscribed to PRESENCE_IN only: the presence events of the B leg (after CS_ROUTING, each application "
     "with verbose_presence, answered); then uuid_kill of the A leg: the B leg's CS_HANGUP presence.",
     flat(login("a"),
          cmd("a", "filter Channel-Name loopback/1000-b"),
          cmd("a", "event plain PRESENCE_IN"),
          login("c"),
          park_call("c", U(1411), extra=",presence_id=ev1000@example.com,verbose_presence=true"),
          SL(0.5),
          E("a", quiet=0.7),
          cmd("c", "api uuid_kill " + U(1411)),
          SL(0.5),
          E("a", quiet=1.0),
          bye("a"), bye("c")),
     **IN_KW)

case("ev_uuid_dump_bleg",
     "A parked loopback/1000 call; the B leg's uuid captured from its CHANNEL_ANSWER; sendmsg execute push "
     "ev_d=1, push ev_d=2 on the B leg; 'uuid_dump <B> xml', 'uuid_dump <B> json' and 'uuid_dump <B>' (the "
     "B leg's variables incl. the array and the loopback ones).",
     flat(login("c"),
          cmd("c", "filter Channel-Name loopback/1000-b"),
          cmd("c", "event plain CHANNEL_ANSWER"),
          park_call("c", U(1421)),
          E("c", n=1, timeout=10, capture={"buuid": "Unique-ID"}),
          cmd("c", "noevents"),
          SL(0.3),
          cmd("c", "sendmsg {{buuid}}\ncall-command: execute\nexecute-app-name: push\nexecute-app-arg: ev_d=1\nevent-lock: true"),
          cmd("c", "sendmsg {{buuid}}\ncall-command: execute\nexecute-app-name: push\nexecute-app-arg: ev_d=2\nevent-lock: true"),
          SL(0.3),
          cmd("c", "api uuid_dump {{buuid}} xml"),
          cmd("c", "api uuid_dump {{buuid}} json"),
          cmd("c", "api uuid_dump {{buuid}}"),
          bye("c")),
     **IN_KW)
