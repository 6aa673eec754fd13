# ruff: noqa  (an input of the oracle's recorder, written with its steps.py; not imported by the tests)
"""IVR applications and DTMF as ESL-driven IVRs use them (issue #13): play_and_get_digits'
failure paths (invalid digits and retries, digit_timeout, transfer on failure, min 0 with a
terminator), read (terminators, too few digits, max digits with a digit left queued,
digit_timeout), playback of file_string:// and delimited lists, playback_terminators=any,
playback_timeout_sec, uuid_broadcast's app!cause form and a bridged call with both/bleg,
the send_dtmf application (w pauses, @duration), bind_digit_action / clear_digit_action,
displace_session. Every case drives a parked loopback A leg with sendmsg execute (as an ESL
IVR does); its B leg, parked, sends digits to it (uuid_send_dtmf <B leg>).
Written with the oracle's steps.py (see ../README.md)."""
from steps import (IN_KW, JOB, U, E, S, SL, bye, case, cmd, flat, login, originate,  # noqa: F401
                   CASES)

EVENTS = ("CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE DTMF PLAYBACK_START PLAYBACK_STOP "
          "CHANNEL_HANGUP CHANNEL_DATA")
PROMPT = "tone_stream://%(2000,0,440)"
BAD = "tone_stream://%(200,0,880)"


def parked(uuid, events=EVENTS, first=True):
    """conn a watches the A leg (filter Unique-ID), conn c (logged in when ``first``) originates
    loopback/1000 &park; the B leg's uuid is captured as {{buuid}}."""
    return flat(login("a"), cmd("a", "filter Unique-ID " + uuid), cmd("a", "event plain " + events),
                login("c") if first else [], originate("c", uuid),
                E("a", until={"event": "CHANNEL_EXECUTE", "ev_header": {"Application": "park"}}, timeout=10,
                  capture={"buuid": "variable_other_loopback_leg_uuid"}))


def execute(conn, uuid, app, arg, job):
    return S(conn, "sendmsg %s\ncall-command: execute\nexecute-app-name: %s\nexecute-app-arg: %s\n"
                   "Event-UUID: %s\n\n" % (uuid, app, arg, job))


def run(uuid, app, arg, job):
    """execute and wait for its EXECUTE_COMPLETE, then quiet."""
    return [execute("a", uuid, app, arg, job), E("a", n=1),
            E("a", until={"event": "CHANNEL_EXECUTE_COMPLETE", "ev_header": {"Application": app}}, timeout=10),
            E("a", quiet=0.3)]


def prompt_then(digits, count=1, path=PROMPT):
    """wait for the count-th PLAYBACK_START of the prompt, then the B leg sends digits."""
    until = {"event": "PLAYBACK_START"}
    if path:
        until["ev_header"] = {"Playback-File-Path": path}
    return flat(E("a", until=until, until_count=count, timeout=10),
                SL(0.3), E("a", quiet=0.1),
                cmd("c", "api uuid_send_dtmf {{buuid}} " + digits))


def complete(app, timeout=10):
    return [E("a", until={"event": "CHANNEL_EXECUTE_COMPLETE", "ev_header": {"Application": app}}, timeout=timeout),
            E("a", quiet=0.3)]


def getvars(uuid, *names):
    return flat(*[cmd("c", "api uuid_getvar %s %s" % (uuid, n)) for n in names])


case("ivr_pagd_invalid_retries",
     "play_and_get_digits '1 1 3 3000 # <2 s prompt> <invalid tone> cc_v ^[12]$' on a parked A leg: the B "
     "leg sends '9' during the first prompt (the digit ends it; regex fails: the invalid file plays, "
     "cc_v_invalid 9), '8' during the second, '1' during the third (success). Events of each try; "
     "uuid_getvar cc_v, cc_v_invalid, read_result, read_terminator_used.",
     flat(parked(U(800)),
          execute("a", U(800), "play_and_get_digits", "1 1 3 3000 # %s %s cc_v ^[12]$" % (PROMPT, BAD), JOB(800)),
          E("a", n=1),
          prompt_then("9", 1), prompt_then("8", 1), prompt_then("1", 1),
          complete("play_and_get_digits"),
          getvars(U(800), "cc_v", "cc_v_invalid", "read_result", "read_terminator_used"),
          bye("a"), bye("c")),
     **IN_KW)

case("ivr_pagd_all_invalid",
     "play_and_get_digits '2 3 2 2000 # <prompt> <invalid> cc_w ^1\\d+$ 500': both tries get an entry "
     "the regex rejects ('55#' then '66#' during the prompt): the invalid file after each, EXECUTE_COMPLETE "
     "(failure); uuid_getvar cc_w (unset), cc_w_invalid, read_result, read_terminator_used.",
     flat(parked(U(801)),
          execute("a", U(801), "play_and_get_digits", "2 3 2 2000 # %s %s cc_w ^1\\d+$ 500" % (PROMPT, BAD), JOB(801)),
          E("a", n=1),
          prompt_then("55#", 1), prompt_then("66#", 1),
          complete("play_and_get_digits"),
          getvars(U(801), "cc_w", "cc_w_invalid", "read_result", "read_terminator_used"),
          bye("a"), bye("c")),
     **IN_KW)

case("ivr_pagd_transfer_on_failure",
     "play_and_get_digits '1 2 1 1000 # silence_stream://300 <invalid> cc_x ^\\d+$ 0 set:cc_failed=1,park inline' "
     "with no input: after the timeout the invalid file plays, then the leg is transferred to the inline "
     "dialplan (set, park); uuid_getvar cc_failed, cc_x.",
     flat(parked(U(802)),
          execute("a", U(802), "play_and_get_digits",
                  "1 2 1 1000 # silence_stream://300 %s cc_x ^\\d+$ 0 set:cc_failed=1,park inline" % BAD, JOB(802)),
          E("a", n=1),
          E("a", until={"event": "CHANNEL_EXECUTE", "ev_header": {"Application": "park"}}, timeout=10),
          E("a", quiet=0.5),
          getvars(U(802), "cc_failed", "cc_x"),
          bye("a"), bye("c")),
     **IN_KW)

case("ivr_pagd_digit_timeout",
     "play_and_get_digits '2 4 1 3000 # <prompt> <invalid> cc_d ^\\d+$ 600' with '12' during the prompt "
     "and nothing more: the 600 ms digit timeout ends it with cc_d 12 (enough digits); then "
     "'3 4 1 3000 # ... cc_e ^\\d+$ 600' with '12': too few digits, the invalid file plays, failure. "
     "uuid_getvar cc_d, cc_e, cc_e_invalid, read_result.",
     flat(parked(U(803)),
          execute("a", U(803), "play_and_get_digits", "2 4 1 3000 # %s %s cc_d ^\\d+$ 600" % (PROMPT, BAD), JOB(803)),
          E("a", n=1), prompt_then("12", 1), complete("play_and_get_digits"),
          getvars(U(803), "cc_d", "read_result"),
          execute("a", U(803), "play_and_get_digits", "3 4 1 3000 # %s %s cc_e ^\\d+$ 600" % (PROMPT, BAD), JOB(804)),
          E("a", n=1), prompt_then("12", 1), complete("play_and_get_digits"),
          getvars(U(803), "cc_e", "cc_e_invalid", "read_result"),
          bye("a"), bye("c")),
     **IN_KW)

case("ivr_pagd_min0_terminator",
     "play_and_get_digits '0 3 2 2000 # <prompt> <invalid> cc_z ^\\d*$' and the caller presses only '#' "
     "during the prompt: success with no digits at once (read_terminator_used #); uuid_getvar cc_z, "
     "read_terminator_used, read_result.",
     flat(parked(U(805)),
          execute("a", U(805), "play_and_get_digits", "0 3 2 2000 # %s %s cc_z ^\\d*$" % (PROMPT, BAD), JOB(805)),
          E("a", n=1), prompt_then("#", 1), complete("play_and_get_digits"),
          getvars(U(805), "cc_z", "read_terminator_used", "read_result"),
          bye("a"), bye("c")),
     **IN_KW)

case("ivr_read_terminators",
     "read on a parked A leg: '1 4 <prompt> cc_r 3000 *#' with '5*' (the * terminates: cc_r 5, "
     "read_terminator_used *); '3 5 <prompt> cc_r2 2000 #' with '1#' (too few: read_result failure); "
     "'1 2 <prompt> cc_r3 2000 #' with '789' (max digits at 78; the 9 is left to the park loop); then "
     "'1 1 silence cc_r4 1000 #' with no input. uuid_getvar after each.",
     flat(parked(U(806)),
          execute("a", U(806), "read", "1 4 %s cc_r 3000 *#" % PROMPT, JOB(806)),
          E("a", n=1), prompt_then("5*", 1), complete("read"),
          getvars(U(806), "cc_r", "read_terminator_used", "read_result"),
          execute("a", U(806), "read", "3 5 %s cc_r2 2000 #" % PROMPT, JOB(807)),
          E("a", n=1), prompt_then("1#", 1), complete("read"),
          getvars(U(806), "cc_r2", "read_terminator_used", "read_result"),
          execute("a", U(806), "read", "1 2 %s cc_r3 2000 #" % PROMPT, JOB(808)),
          E("a", n=1), prompt_then("789", 1), complete("read"),
          getvars(U(806), "cc_r3", "read_result"),
          run(U(806), "read", "1 1 silence cc_r4 1000 #", JOB(809)),
          getvars(U(806), "cc_r4", "read_result"),
          bye("a"), bye("c")),
     **IN_KW)

case("ivr_read_digit_timeout",
     "read '1 5 <prompt> cc_t 3000 # 500' with '12' during the prompt and nothing more: the 500 ms digit "
     "timeout ends it (cc_t 12, read_result timeout); then read '2 3 <prompt> cc_t2 1000 #' with no input "
     "(timeout: read_result timeout, cc_t2 unset).",
     flat(parked(U(810)),
          execute("a", U(810), "read", "1 5 %s cc_t 3000 # 500" % PROMPT, JOB(810)),
          E("a", n=1), prompt_then("12", 1), complete("read"),
          getvars(U(810), "cc_t", "read_result", "read_terminator_used"),
          run(U(810), "read", "2 3 silence_stream://200 cc_t2 1000 #", JOB(811)),
          getvars(U(810), "cc_t2", "read_result"),
          bye("a"), bye("c")),
     **IN_KW)

case("ivr_playback_file_string",
     "playback of file_string://<300 ms tone>!/tmp/ivr_no_such.wav!<300 ms tone> to its end on a parked A "
     "leg (conn b sees the CUSTOM filestring::open/close/fail events); then file_string:// of two 2 s tones "
     "ended by '*' from the B leg during the first (the whole list ends; playback_terminator_used).",
     flat(login("b"), cmd("b", "event plain CUSTOM filestring::open filestring::close filestring::fail"),
          parked(U(812)),
          run(U(812), "playback",
              "file_string://tone_stream://%(300,0,440)!/tmp/ivr_no_such.wav!tone_stream://%(300,0,880)", JOB(812)),
          E("b", quiet=0.3),
          execute("a", U(812), "playback",
                  "file_string://tone_stream://%(2000,0,440)!tone_stream://%(2000,0,880)", JOB(813)),
          E("a", n=1), prompt_then("*", 1, None), complete("playback"),
          E("b", quiet=0.3),
          getvars(U(812), "playback_terminator_used", "playback_ms"),
          bye("a"), bye("b"), bye("c")),
     **IN_KW)

case("ivr_playback_any_delimiter",
     "playback_terminators=any on a parked A leg: a 5 s tone ended by '7' from the B leg "
     "(playback_terminator_used 7); then playback_delimiter=! and playback_sleep_val=200: playback of "
     "'<300 ms tone>!<300 ms tone>' plays two files (two PLAYBACK_START/STOP pairs, one EXECUTE).",
     flat(parked(U(814)),
          run(U(814), "set", "playback_terminators=any", JOB(814)),
          execute("a", U(814), "playback", "tone_stream://%(5000,0,440)", JOB(815)),
          E("a", n=1), prompt_then("7", 1, "tone_stream://%(5000,0,440)"), complete("playback"),
          getvars(U(814), "playback_terminator_used"),
          run(U(814), "set", "playback_delimiter=!", JOB(816)),
          run(U(814), "set", "playback_sleep_val=200", JOB(817)),
          run(U(814), "playback", "tone_stream://%(300,0,440)!tone_stream://%(300,0,880)", JOB(818)),
          bye("a"), bye("c")),
     **IN_KW)

case("ivr_playback_timeout",
     "playback_timeout_sec=2 on a parked A leg: a 5 s tone stops after 2 s (Application-Response, "
     "playback_* variables); then playback_timeout_as_success=true and the same again.",
     flat(parked(U(819)),
          run(U(819), "set", "playback_timeout_sec=2", JOB(819)),
          run(U(819), "playback", "tone_stream://%(5000,0,440)", JOB(820)),
          run(U(819), "set", "playback_timeout_as_success=true", JOB(821)),
          run(U(819), "playback", "tone_stream://%(5000,0,440)", JOB(822)),
          getvars(U(819), "playback_ms"),
          bye("a"), bye("c")),
     **IN_KW)

case("ivr_broadcast_app_cause",
     "uuid_broadcast's app!cause::arg form on a parked A leg: 'playback!user_busy::<300 ms tone> aleg' "
     "plays, then the leg hangs up USER_BUSY; on a second call 'playback!::<tone> bleg' (no bridge "
     "partner: nothing plays, the empty cause is NORMAL_CLEARING and still hangs up the A leg); on a "
     "third 'sleep::300' (app form, no cause) and 'playback!::' with aleg.",
     flat(parked(U(823)),
          cmd("c", "api uuid_broadcast %s playback!user_busy::tone_stream://%%(300,0,440) aleg" % U(823)),
          E("a", until={"event": "CHANNEL_HANGUP"}, timeout=10), E("a", quiet=0.5),
          bye("a"),
          parked(U(824), first=False),
          cmd("c", "api uuid_broadcast %s playback!::tone_stream://%%(300,0,440) bleg" % U(824)),
          E("a", until={"event": "CHANNEL_HANGUP"}, timeout=10), E("a", quiet=0.5),
          bye("a"),
          parked(U(825), first=False),
          cmd("c", "api uuid_broadcast %s sleep::300" % U(825)),
          E("a", until={"event": "CHANNEL_EXECUTE_COMPLETE", "ev_header": {"Application": "sleep"}}, timeout=10),
          E("a", quiet=0.3),
          cmd("c", "api uuid_broadcast %s playback!::silence_stream://200 aleg" % U(825)),
          E("a", until={"event": "CHANNEL_HANGUP"}, timeout=10), E("a", quiet=0.5),
          bye("a"), bye("c")),
     **IN_KW)

case("ivr_broadcast_bridged",
     "A bridged call: originate loopback/1000 &bridge(loopback/park); watcher on the A leg (loopback/1000-a) "
     "and its bridge partner (loopback/park-a). uuid_broadcast <A> <300 ms tone> both: both legs play; "
     "then bleg: only the partner plays; then holdb (the A leg plays, hold-bleg).",
     flat(login("a"), cmd("a", "filter Channel-Name loopback/1000-a"), cmd("a", "filter Channel-Name loopback/park-a"),
          cmd("a", "event plain CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE PLAYBACK_START PLAYBACK_STOP"),
          login("c"), originate("c", U(826), app="&bridge(loopback/park)"),
          E("a", until={"event": "CHANNEL_EXECUTE", "ev_header": {"Application": "bridge"}}, timeout=10),
          SL(0.5), E("a", quiet=0.5),
          cmd("c", "api uuid_broadcast %s tone_stream://%%(300,0,440) both" % U(826)),
          SL(0.6), E("a", quiet=1.0),
          cmd("c", "api uuid_broadcast %s tone_stream://%%(300,0,440) bleg" % U(826)),
          SL(0.6), E("a", quiet=1.0),
          cmd("c", "api uuid_broadcast %s tone_stream://%%(300,0,440) holdb" % U(826)),
          SL(0.6), E("a", quiet=1.0),
          bye("a"), bye("c")),
     **IN_KW)

case("ivr_send_dtmf_app",
     "The send_dtmf application on a parked loopback A leg (watcher on both legs): 'send_dtmf 1w2@400' "
     "(the parked B leg reads 1, then after the 0.5 s pause 2 with a 400 ms duration: DTMF events on "
     "loopback/1000-b); then uuid_send_dtmf <A> 3W4 (W: 1 s pause); send_dtmf without argument.",
     flat(login("a"), cmd("a", "filter Channel-Name loopback/1000-a"), cmd("a", "filter Channel-Name loopback/1000-b"),
          cmd("a", "event plain DTMF CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE"),
          login("c"), originate("c", U(827)),
          E("a", until={"event": "CHANNEL_EXECUTE", "ev_header": {"Application": "park"}}, until_count=2, timeout=10),
          E("a", quiet=0.3),
          execute("a", U(827), "send_dtmf", "1w2@400", JOB(827)), E("a", n=1),
          E("a", until={"event": "CHANNEL_EXECUTE_COMPLETE", "ev_header": {"Application": "send_dtmf"}}, timeout=10),
          E("a", quiet=0.7),
          cmd("c", "api uuid_send_dtmf %s 3W4" % U(827)),
          SL(1.3), E("a", quiet=0.7),
          execute("a", U(827), "send_dtmf", "", JOB(828)), E("a", n=1),
          E("a", until={"event": "CHANNEL_EXECUTE_COMPLETE", "ev_header": {"Application": "send_dtmf"}}, timeout=10),
          E("a", quiet=0.5),
          bye("a"), bye("c")),
     **IN_KW)

case("ivr_bind_digit_action",
     "bind_digit_action on a parked A leg: 'cc,12,exec:set,cc_bda=yes' and 'cc,3,api:uuid_getvar,<A> cc_bda'; "
     "the B leg sends '12' (uuid_send_dtmf digits skip the digit machine: plain DTMF events), then '~12' "
     "(processed: matched, CHANNEL_DATA, the set runs as a broadcast), then '~3' (api: "
     "bind_digit_action_api_result), then '~5' (no match: CHANNEL_DATA, last_non_matching_digits, the digit "
     "comes back as a DTMF event); clear_digit_action all; '~12' again are plain DTMF events. uuid_getvar of the variables.",
     flat(parked(U(829)),
          run(U(829), "bind_digit_action", "cc,12,exec:set,cc_bda=yes", JOB(829)),
          run(U(829), "bind_digit_action", "cc,3,api:uuid_getvar,%s cc_bda" % U(829), JOB(830)),
          cmd("c", "api uuid_send_dtmf {{buuid}} 12"), SL(0.5), E("a", quiet=0.5),
          cmd("c", "api uuid_send_dtmf {{buuid}} ~12"), SL(0.5), E("a", quiet=0.5),
          cmd("c", "api uuid_send_dtmf {{buuid}} ~3"), SL(0.5), E("a", quiet=0.5),
          cmd("c", "api uuid_send_dtmf {{buuid}} ~5"), SL(2.0), E("a", quiet=0.5),
          getvars(U(829), "cc_bda", "last_matching_digits", "bind_digit_action_api_result",
                  "last_non_matching_digits"),
          run(U(829), "clear_digit_action", "all", JOB(831)),
          cmd("c", "api uuid_send_dtmf {{buuid}} ~12"), SL(0.5), E("a", quiet=0.5),
          bye("a"), bye("c")),
     **IN_KW)

case("ivr_displace_session",
     "displace_session on a parked A leg: 'displace_session tone_stream://%(5000,0,440) mux' (returns at "
     "once; the file runs as a media bug), stop_displace_session of it, stop_displace_session of a file "
     "not displacing, displace_session of a missing file, displace_session without argument; the "
     "leg still parked after (uuid_exists).",
     flat(parked(U(832)),
          run(U(832), "displace_session", "tone_stream://%(5000,0,440) mux", JOB(832)),
          run(U(832), "stop_displace_session", "tone_stream://%(5000,0,440)", JOB(833)),
          run(U(832), "stop_displace_session", "tone_stream://%(5000,0,440)", JOB(834)),
          run(U(832), "displace_session", "/tmp/ivr_no_such.wav", JOB(835)),
          run(U(832), "displace_session", "", JOB(836)),
          cmd("c", "api uuid_exists " + U(832)),
          bye("a"), bye("c")),
     **IN_KW)

case("ivr_bind_digit_timeouts",
     "bind_digit_action with bind_digit_digit_timeout=500 on a parked A leg: 'cc,1,exec:set,cc_one=1' and "
     "'cc,12,exec:set,cc_twelve=1'; '~1' (1 matches but 12 could follow: the action runs after the digit "
     "timeout), '~12' (matched at once); then 'cc2,~^4\\d\\d$,api:uuid_getvar,<A> cc_one' (realm cc2 becomes "
     "current): '~456' (the regex matches at the third digit), '~9' (no match after the digit timeout: back "
     "as a DTMF event); digit_action_set_realm cc and '~12' again; uuid_getvar of the variables.",
     flat(parked(U(840)),
          run(U(840), "set", "bind_digit_digit_timeout=500", JOB(840)),
          run(U(840), "bind_digit_action", "cc,1,exec:set,cc_one=1", JOB(841)),
          run(U(840), "bind_digit_action", "cc,12,exec:set,cc_twelve=1", JOB(842)),
          cmd("c", "api uuid_send_dtmf {{buuid}} ~1"), SL(1.0), E("a", quiet=0.5),
          cmd("c", "api uuid_send_dtmf {{buuid}} ~12"), SL(0.5), E("a", quiet=0.5),
          run(U(840), "bind_digit_action", "cc2,~^4\\d\\d$,api:uuid_getvar,%s cc_one" % U(840), JOB(843)),
          cmd("c", "api uuid_send_dtmf {{buuid}} ~456"), SL(0.5), E("a", quiet=0.5),
          cmd("c", "api uuid_send_dtmf {{buuid}} ~9"), SL(1.0), E("a", quiet=0.5),
          run(U(840), "digit_action_set_realm", "cc", JOB(844)),
          cmd("c", "api uuid_send_dtmf {{buuid}} ~12"), SL(0.5), E("a", quiet=0.5),
          getvars(U(840), "cc_one", "cc_twelve", "last_matching_digits", "bind_digit_action_api_result",
                  "last_non_matching_digits"),
          bye("a"), bye("c")),
     **IN_KW)
