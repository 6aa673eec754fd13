# ruff: noqa  (an input of the oracle's recorder, written with its steps.py; not imported by the tests)
"""Behaviours an earlier session implemented from FreeSWITCH's source without a recording
(issue #13): conference play to one member and relate, conference dial without a caller id, the
break application's and uuid_break's argument forms, the transfer application's -bleg/-both on a
live bridge, sched_hangup with an unknown cause name, playback counters after an interrupted
playback of silence and of a WAV file, and the log lines of record, read, play_and_get_digits,
hold and conference. Written with the oracle's steps.py (see ../README.md).

/tmp/fid_g_silence2s.wav must exist while recording (2 s of 8 kHz 16-bit mono silence, a plain
44-byte WAV header): index.json's "files" entry says so, and the replay creates it."""
from steps import (IN_KW, JOB, U, E, S, SL, bye, case, cmd, flat, login, originate, CASES)  # noqa: F401

MAINT = "CUSTOM conference::maintenance"
ACTION = lambda a: {"event": "CUSTOM", "ev_header": {"Action": a}}  # noqa: E731
PARK_EXEC = {"event": "CHANNEL_EXECUTE", "ev_header": {"Application": "park"}}
MEDIA = "CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE PLAYBACK_START PLAYBACK_STOP"
WAV = "/tmp/fid_g_silence2s.wav"


def conf_watch():
    return flat(login("a"), cmd("a", "event plain " + MAINT), login("c"))


def join(uuid, conf, var):
    """an A leg joins ``conf``; its Member-ID is captured as {{var}}"""
    return flat(originate("c", uuid, dest="1000", app="&conference(%s)" % conf),
                E("a", until=ACTION("add-member"), timeout=10, capture={var: "Member-ID"}), E("a", quiet=0.6))


def api(text, quiet=0.5):
    return flat(cmd("c", "api " + text), E("a", quiet=quiet))


def conf_end(conf):
    return flat(cmd("c", "api conference %s hup all" % conf),
                E("a", until=ACTION("conference-destroy"), unordered=True, timeout=10), E("a", quiet=0.5),
                bye("a"), bye("c"))


def parked(uuid, events=MEDIA):
    return flat(login("a"), cmd("a", "filter Unique-ID " + uuid), cmd("a", "event plain " + events),
                login("c"), originate("c", uuid), E("a", until=PARK_EXEC, timeout=10), E("a", quiet=0.3))


def execute(uuid, app, arg=None, lock=False):
    text = "sendmsg %s\ncall-command: execute\nexecute-app-name: %s\n" % (uuid, app)
    if arg is not None:
        text += "execute-app-arg: %s\n" % arg
    if lock:
        text += "event-lock: true\n"
    return cmd("c", text.rstrip("\n"))


case("guess_conf_play_member",
     "Two members in cg1 (members captured from add-member): 'conference cg1 play <tone 300 ms> <member>' "
     "(play-file-member, play-file-member-done to that member only), play to a member that does not exist, "
     "play with 'nomux' to the other member, then hup all.",
     flat(conf_watch(), join(U(2501), "cg1", "m1"), join(U(2502), "cg1", "m2"),
          api("conference cg1 play tone_stream://%(300,0,440) {{m1}}", quiet=1.0),
          api("conference cg1 play tone_stream://%(300,0,440) 9999"),
          api("conference cg1 play tone_stream://%(300,0,880) {{m2}} nomux", quiet=1.0),
          conf_end("cg1")),
     **IN_KW)

case("guess_conf_relate",
     "Two members in cg2: 'relate <m1> <m2> nospeak', 'relate <m1> <m2>' (list), 'relate <m1> <m2> nohear', "
     "'relate <m1>,<m2> <m2> clear', relate with a member that does not exist, relate with too few arguments, "
     "'list' while related; then hup all.",
     flat(conf_watch(), join(U(2511), "cg2", "m1"), join(U(2512), "cg2", "m2"),
          api("conference cg2 relate {{m1}} {{m2}} nospeak"),
          api("conference cg2 relate {{m1}} {{m2}}"),
          api("conference cg2 list"),
          api("conference cg2 relate {{m1}} {{m2}} nohear"),
          api("conference cg2 relate {{m1}} {{m2}}"),
          api("conference cg2 relate {{m1}},{{m2}} {{m2}} clear"),
          api("conference cg2 relate {{m1}} {{m2}}"),
          api("conference cg2 relate 9999 {{m2}} nospeak"),
          api("conference cg2 relate {{m1}}"),
          conf_end("cg2")),
     **IN_KW)

case("guess_conf_dial_no_cid",
     "'conference cg3 dial loopback/1000/default' with no caller id (the conference does not exist yet: it "
     "is created), then 'conference cg3 dial loopback/1000/default 5551234' (number only): the maintenance "
     "events of the dialed members (their Caller-ID headers) and the replies; then hup all.",
     flat(conf_watch(),
          cmd("c", "api conference cg3 dial loopback/1000/default", timeout=15),
          E("a", until=ACTION("add-member"), timeout=10), E("a", quiet=0.8),
          cmd("c", "api conference cg3 dial loopback/1000/default 5551234", timeout=15),
          E("a", until=ACTION("add-member"), timeout=10), E("a", quiet=0.8),
          api("conference cg3 list"),
          conf_end("cg3")),
     **IN_KW)

case("guess_break_app_forms",
     "A parked A leg plays a 5 s tone (sendmsg execute); sendmsg execute 'break' (no argument) during it; then "
     "a 5 s tone with a second playback queued behind it and 'break all' (does not flush: the queued one "
     "plays), then 'break x' with one queued (flushes it): EXECUTE/COMPLETE and PLAYBACK events.",
     flat(parked(U(2521)),
          execute(U(2521), "playback", "tone_stream://%(5000,0,440)"), SL(0.4), E("a", quiet=0.1),
          execute(U(2521), "break"), SL(0.3), E("a", quiet=0.5),
          execute(U(2521), "playback", "tone_stream://%(5000,0,440)"),
          execute(U(2521), "playback", "tone_stream://%(300,0,880)"), SL(0.4), E("a", quiet=0.1),
          execute(U(2521), "break", "all"), SL(0.8), E("a", quiet=0.5),
          execute(U(2521), "playback", "tone_stream://%(5000,0,440)"),
          execute(U(2521), "playback", "tone_stream://%(300,0,880)"), SL(0.4), E("a", quiet=0.1),
          execute(U(2521), "break", "x"), SL(0.8), E("a", quiet=0.5),
          bye("a"), bye("c")),
     **IN_KW)

case("guess_uuid_break_forms",
     "uuid_break argument forms on a parked A leg playing tones (uuid_broadcast): 'uuid_break <u> both' (no "
     "partner), 'uuid_break <u> allx' (contains 'all'), 'uuid_break <u> foo', with nothing playing, "
     "'uuid_break nosuch', 'uuid_break' (usage): replies and playback events.",
     flat(parked(U(2531)),
          cmd("c", "api uuid_broadcast %s tone_stream://%%(5000,0,440) aleg" % U(2531)), SL(0.5), E("a", quiet=0.1),
          cmd("c", "api uuid_break %s both" % U(2531)), SL(0.5), E("a", quiet=0.5),
          cmd("c", "api uuid_broadcast %s tone_stream://%%(5000,0,440) aleg" % U(2531)),
          cmd("c", "api uuid_broadcast %s tone_stream://%%(300,0,880) aleg" % U(2531)), SL(0.5), E("a", quiet=0.1),
          cmd("c", "api uuid_break %s allx" % U(2531)), SL(0.8), E("a", quiet=0.5),
          cmd("c", "api uuid_broadcast %s tone_stream://%%(5000,0,440) aleg" % U(2531)), SL(0.5), E("a", quiet=0.1),
          cmd("c", "api uuid_break %s foo" % U(2531)), SL(0.5), E("a", quiet=0.5),
          cmd("c", "api uuid_break %s" % U(2531)), SL(0.3), E("a", quiet=0.3),
          cmd("c", "api uuid_break nosuch"),
          cmd("c", "api uuid_break"),
          bye("a"), bye("c")),
     **IN_KW)


def bridged(a, b, events):
    return flat(login("a"), cmd("a", "filter Unique-ID " + a), cmd("a", "filter Unique-ID " + b),
                cmd("a", "event plain " + events), login("c"),
                cmd("c", "api originate {origination_uuid=%s}loopback/1000/default "
                         "&bridge([origination_uuid=%s]loopback/park/default)" % (a, b), timeout=20),
                E("a", until={"event": "CHANNEL_BRIDGE"}, timeout=10), E("a", quiet=0.5))


BRIDGE_EVENTS = ("CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE CHANNEL_BRIDGE CHANNEL_UNBRIDGE CHANNEL_HANGUP "
                 "CHANNEL_HANGUP_COMPLETE")

case("guess_transfer_app_bleg",
     "A loopback A leg bridged (&bridge) to a second loopback A leg (both uuids fixed); sendmsg execute "
     "'transfer -bleg 1000 XML default' on the first: the bridge ends, the peer routes to 1000 (answer, park), "
     "the first goes on after its bridge; events of both legs.",
     flat(bridged(U(2541), U(2542), BRIDGE_EVENTS),
          execute(U(2541), "transfer", "-bleg 1000 XML default"), SL(0.5), E("a", quiet=1.0, unordered=True),
          cmd("c", "api uuid_kill " + U(2542)), SL(0.3), E("a", quiet=0.8, unordered=True),
          bye("a"), bye("c")),
     **IN_KW)

case("guess_transfer_app_both",
     "As guess_transfer_app_bleg with 'transfer -both 1000 XML default': both legs leave the bridge and route to "
     "1000; events of both legs; then both are killed.",
     flat(bridged(U(2551), U(2552), BRIDGE_EVENTS),
          execute(U(2551), "transfer", "-both 1000 XML default"), SL(0.5), E("a", quiet=1.0, unordered=True),
          cmd("c", "api uuid_kill " + U(2551)), cmd("c", "api uuid_kill " + U(2552)),
          SL(0.3), E("a", quiet=0.8, unordered=True),
          bye("a"), bye("c")),
     **IN_KW)

case("guess_transfer_app_bleg_unbridged",
     "'transfer -bleg 1000 XML default' on a parked A leg with no bridge partner (the warning; nothing moves), "
     "and 'transfer' without data: events.",
     flat(parked(U(2556), events="CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE CHANNEL_HANGUP"),
          execute(U(2556), "transfer", "-bleg 1000 XML default"), SL(0.3), E("a", quiet=0.5),
          execute(U(2556), "transfer"), SL(0.3), E("a", quiet=0.5),
          bye("a"), bye("c")),
     **IN_KW)

case("guess_sched_hangup_bad_cause",
     "'sched_hangup +1 <u> NO_SUCH_CAUSE' on a parked A leg: the reply, and the cause the channel hangs up with "
     "a second later (CHANNEL_HANGUP, Hangup-Cause); 'sched_hangup +0 <u2> nonsense' likewise at once.",
     flat(login("a"), cmd("a", "filter Unique-ID " + U(2561)), cmd("a", "filter Unique-ID " + U(2562)),
          cmd("a", "event plain CHANNEL_EXECUTE CHANNEL_HANGUP"),
          login("c"), originate("c", U(2561)), originate("c", U(2562)),
          E("a", until=PARK_EXEC, until_count=2, timeout=10), E("a", quiet=0.3),
          cmd("c", "api sched_hangup +1 %s NO_SUCH_CAUSE" % U(2561)),
          cmd("c", "api sched_hangup +0 %s nonsense" % U(2562)),
          E("a", until={"event": "CHANNEL_HANGUP", "ev_header": {"Unique-ID": U(2562)}}, timeout=5),
          E("a", until={"event": "CHANNEL_HANGUP", "ev_header": {"Unique-ID": U(2561)}}, timeout=5),
          E("a", quiet=0.5),
          bye("a"), bye("c")),
     **IN_KW)

case("guess_playback_interrupted_silence",
     "sendmsg execute 'playback silence_stream://5000' on a parked A leg, uuid_break 0.5 s later: the "
     "playback_* variables (samples, last offset, ms, seconds) of PLAYBACK_STOP / EXECUTE_COMPLETE; then "
     "'playback silence_stream://3000,1400' (with a noise level) broken likewise.",
     flat(parked(U(2571)),
          execute(U(2571), "playback", "silence_stream://5000"), SL(0.5), E("a", quiet=0.1),
          cmd("c", "api uuid_break " + U(2571)), SL(0.3), E("a", quiet=0.5),
          execute(U(2571), "playback", "silence_stream://3000,1400"), SL(0.5), E("a", quiet=0.1),
          cmd("c", "api uuid_break " + U(2571)), SL(0.3), E("a", quiet=0.5),
          bye("a"), bye("c")),
     **IN_KW)

case("guess_playback_interrupted_wav",
     "A 2 s WAV of silence (" + WAV + ") played on a parked A leg: to the end, then broken by uuid_break "
     "0.5 s in, then from sample 4000 ('playback " + WAV + "@@4000') to the end: "
     "playback_* variables each time.",
     flat(parked(U(2581)),
          execute(U(2581), "playback", WAV), SL(2.3), E("a", quiet=0.3),
          execute(U(2581), "playback", WAV), SL(0.5), E("a", quiet=0.1),
          cmd("c", "api uuid_break " + U(2581)), SL(0.3), E("a", quiet=0.5),
          execute(U(2581), "playback", WAV + "@@4000"), SL(1.8), E("a", quiet=0.5),
          bye("a"), bye("c")),
     **IN_KW)


def logged_app(uuid, *app_steps, dest="1000", settle=1.0):
    """a parked A leg (core at warning: no lines), then core debug + 'log 7': the lines of the
    application(s) only; core back to warning, kill."""
    return flat(login("a"), login("c"),
                cmd("c", "api originate {origination_uuid=%s}loopback/%s/default &park" % (uuid, dest), timeout=20),
                SL(0.3), cmd("a", "log 7"), cmd("c", "api fsctl loglevel debug"),
                *app_steps, SL(0.3), E("a", quiet=settle, unordered=True),
                cmd("c", "api fsctl loglevel warning"), cmd("a", "nolog"),
                cmd("c", "api uuid_kill " + uuid), SL(0.3),
                bye("a"), bye("c"))


case("guess_log_record",
     "Core at debug, 'log 7', a parked A leg: sendmsg execute 'record /tmp/fid_g_rec.wav 1' (1 s limit): "
     "the record application's log lines (EXECUTE, codec, file, stop).",
     logged_app(U(2591), execute(U(2591), "record", "/tmp/fid_g_rec.wav 1"), SL(1.5)),
     **IN_KW)

case("guess_log_read",
     "Core at debug, 'log 7', a parked A leg: sendmsg execute 'read 1 2 tone_stream://%(200,0,440) g_digits "
     "500 #' (no digit: timeout): the read application's log lines.",
     logged_app(U(2592), execute(U(2592), "read", "1 2 tone_stream://%(200,0,440) g_digits 500 #"), SL(1.2)),
     **IN_KW)

case("guess_log_pagd",
     "Core at debug, 'log 7', a parked A leg: sendmsg execute 'play_and_get_digits 1 2 2 300 # "
     "tone_stream://%(200,0,440) silence_stream://100 g_pagd \\d+' (no digit: two tries, timeout): the "
     "application's log lines.",
     logged_app(U(2593), execute(U(2593), "play_and_get_digits",
                                 "1 2 2 300 # tone_stream://%(200,0,440) silence_stream://100 g_pagd \\d+"),
                SL(3.0)),
     **IN_KW)

case("guess_log_hold",
     "Core at debug, 'log 7', a parked A leg: 'uuid_hold <u>' then 'uuid_hold off <u>': the log lines of hold "
     "and unhold.",
     logged_app(U(2594), cmd("c", "api uuid_hold " + U(2594)), SL(0.5),
                cmd("c", "api uuid_hold off " + U(2594)), SL(0.3)),
     **IN_KW)

case("guess_log_conference",
     "Core at debug, 'log 7', a parked A leg: sendmsg execute 'conference cg9' (a new conference: it is "
     "created, the member joins), then 'conference cg9 hup all': the log lines.",
     logged_app(U(2595), execute(U(2595), "conference", "cg9"), SL(0.8),
                cmd("c", "api conference cg9 hup all"), SL(0.5)),
     **IN_KW)
