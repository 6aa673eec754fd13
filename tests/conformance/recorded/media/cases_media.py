# ruff: noqa  (an input of the oracle's recorder, written with its steps.py; not imported by the tests)
"""Media cases (issue #13 item 6): playback of tone and silence streams of several lengths,
playback ended by DTMF / uuid_break / hang-up, play_and_get_digits, read, record, uuid_broadcast,
uuid_send_dtmf. Written with the oracle's steps.py (see ../README.md)."""
from steps import (IN_KW, JOB, U, E, S, SL, bye, case, cmd, flat, login, originate,  # noqa: F401
                   CASES)

MEDIA_EVENTS = ("CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE DTMF PLAYBACK_START PLAYBACK_STOP "
                "RECORD_START RECORD_STOP")


def parked(uuid, events=MEDIA_EVENTS):
    """conn a watches the A leg (filter Unique-ID), conn c originates loopback/1000 &park;
    the B leg's uuid is captured as {{buuid}}."""
    return flat(login("a"), cmd("a", "filter Unique-ID " + uuid), cmd("a", "event plain " + events),
                login("c"), originate("c", uuid),
                E("a", until={"event": "CHANNEL_EXECUTE", "ev_header": {"Application": "park"}}, timeout=10,
                  capture={"buuid": "variable_other_loopback_leg_uuid"}))


def execute(conn, uuid, app, arg, job):
    return S(conn, "sendmsg %s\ncall-command: execute\nexecute-app-name: %s\nexecute-app-arg: %s\n"
                   "Event-UUID: %s\n\n" % (uuid, app, arg, job))


def play_to_end(uuid, arg, job):
    return [execute("a", uuid, "playback", arg, job), E("a", n=1),
            E("a", until={"event": "CHANNEL_EXECUTE_COMPLETE", "ev_header": {"Application": "playback"}},
              timeout=10), E("a", quiet=0.3)]


def watch_ext(ext, uuid, events=MEDIA_EVENTS):
    """conn a watches the B leg of loopback/<ext> (it runs the extension), c originates it."""
    return flat(login("a"), cmd("a", "filter Channel-Name loopback/%s-b" % ext), cmd("a", "event plain " + events),
                login("c"), originate("c", uuid, dest=ext))


case("media_playback_lengths",
     "Playback to the end on a parked loopback A leg (sendmsg execute, Event-UUID): tone_stream of 100 ms and "
     "1 s, a tone with a gap (%(200,100,440)), a two-tone sequence, silence_stream of 250 ms and 1 s: "
     "EXECUTE, PLAYBACK_START, PLAYBACK_STOP, EXECUTE_COMPLETE with playback_* variables each time.",
     flat(parked(U(600)),
          play_to_end(U(600), "tone_stream://%(100,0,440)", JOB(600)),
          play_to_end(U(600), "tone_stream://%(1000,0,440)", JOB(601)),
          play_to_end(U(600), "tone_stream://%(200,100,440)", JOB(602)),
          play_to_end(U(600), "tone_stream://%(200,0,440);%(300,0,880)", JOB(603)),
          play_to_end(U(600), "silence_stream://250", JOB(604)),
          play_to_end(U(600), "silence_stream://1000", JOB(605)),
          cmd("c", "api uuid_getvar %s playback_samples" % U(600)),
          cmd("c", "api uuid_getvar %s playback_last_offset_pos" % U(600)),
          bye("a"), bye("c")),
     **IN_KW)

case("media_playback_hangup",
     "A 5 s tone_stream playback on a parked loopback A leg ended by uuid_kill after ~0.5 s: PLAYBACK_STOP, "
     "EXECUTE_COMPLETE of playback (playback_* counted in 20 ms frames), then the park's completion.",
     flat(parked(U(601)),
          execute("a", U(601), "playback", "tone_stream://%(5000,0,440)", JOB(610)), E("a", n=1),
          E("a", until={"event": "PLAYBACK_START"}), SL(0.5), E("a", quiet=0.1),
          cmd("c", "api uuid_kill " + U(601)),
          E("a", until={"event": "CHANNEL_EXECUTE_COMPLETE", "ev_header": {"Application": "park"}}, timeout=5),
          E("a", quiet=0.5),
          bye("a"), bye("c")),
     **IN_KW)

case("media_playback_terminators",
     "playback_terminators=# set on a parked loopback A leg; a 5 s tone playback; the B leg sends '1*#' "
     "(uuid_send_dtmf <B leg>): DTMF events as the playback reads each digit, '*' is no longer a terminator, "
     "'#' ends it (playback_terminator_used #); then playback_terminators=none and '*' does not end "
     "a 600 ms tone.",
     flat(parked(U(602)),
          execute("a", U(602), "set", "playback_terminators=#", JOB(620)), E("a", n=1),
          E("a", until={"event": "CHANNEL_EXECUTE_COMPLETE", "ev_header": {"Application": "set"}}),
          execute("a", U(602), "playback", "tone_stream://%(5000,0,440)", JOB(621)), E("a", n=1),
          E("a", until={"event": "PLAYBACK_START"}), SL(0.5), E("a", quiet=0.1),
          cmd("c", "api uuid_send_dtmf {{buuid}} 1*#"),
          E("a", until={"event": "CHANNEL_EXECUTE_COMPLETE", "ev_header": {"Application": "playback"}}, timeout=5),
          E("a", quiet=0.5),
          execute("a", U(602), "set", "playback_terminators=none", JOB(622)), E("a", n=1),
          E("a", until={"event": "CHANNEL_EXECUTE_COMPLETE", "ev_header": {"Application": "set"}}),
          execute("a", U(602), "playback", "tone_stream://%(600,0,440)", JOB(623)), E("a", n=1),
          E("a", until={"event": "PLAYBACK_START"}), SL(0.2), E("a", quiet=0.05),
          cmd("c", "api uuid_send_dtmf {{buuid}} *"),
          E("a", until={"event": "CHANNEL_EXECUTE_COMPLETE", "ev_header": {"Application": "playback"}}, timeout=5),
          E("a", quiet=0.5),
          cmd("c", "api uuid_getvar %s playback_terminator_used" % U(602)),
          bye("a"), bye("c")),
     **IN_KW)

case("media_break_all",
     "Two uuid_broadcasts of a 5 s tone queued on a parked A leg; 'uuid_break <uuid>' ends the first "
     "(the second starts), 'uuid_break <uuid> all' ends the second; replies and the playback events.",
     flat(parked(U(603)),
          cmd("c", "api uuid_broadcast %s tone_stream://%%(5000,0,440) aleg" % U(603)),
          cmd("c", "api uuid_broadcast %s tone_stream://%%(5000,0,880) aleg" % U(603)),
          E("a", until={"event": "PLAYBACK_START"}), SL(0.3), E("a", quiet=0.1),
          cmd("c", "api uuid_break " + U(603)),
          E("a", until={"event": "PLAYBACK_START"}, timeout=5), SL(0.3), E("a", quiet=0.1),
          cmd("c", "api uuid_break %s all" % U(603)),
          SL(0.3), E("a", quiet=0.7),
          bye("a"), bye("c")),
     **IN_KW)

case("media_broadcast_both_bleg",
     "uuid_broadcast with 'both' and 'bleg' on a parked loopback A leg (its loopback partner is not a "
     "bridge partner), watcher on both legs (Channel-Name loopback/1000-a and -b): which leg plays; "
     "then uuid_broadcast of a missing channel and without arguments.",
     flat(login("a"), cmd("a", "filter Channel-Name loopback/1000-a"), cmd("a", "filter Channel-Name loopback/1000-b"),
          cmd("a", "event plain CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE PLAYBACK_START PLAYBACK_STOP"),
          login("c"), originate("c", U(604)),
          E("a", until={"event": "CHANNEL_EXECUTE", "ev_header": {"Application": "park"}}, until_count=2, timeout=10),
          E("a", quiet=0.3),
          cmd("c", "api uuid_broadcast %s tone_stream://%%(300,0,440) both" % U(604)),
          SL(0.6), E("a", quiet=1.0),
          cmd("c", "api uuid_broadcast %s tone_stream://%%(300,0,440) bleg" % U(604)),
          SL(0.6), E("a", quiet=1.0),
          cmd("c", "api uuid_broadcast 00000000-0000-0000-0000-000000000000 tone_stream://%(300,0,440)"),
          cmd("c", "api uuid_broadcast"),
          bye("a"), bye("c")),
     **IN_KW)

case("media_pagd_timeout",
     "Extension 2011 (B leg): play_and_get_digits with 2 tries of 1 s and no input: the prompts play "
     "twice, EXECUTE_COMPLETE after both timeouts, cc_digits unset; the channel parks.",
     flat(watch_ext("2011", U(605)),
          E("a", until={"event": "CHANNEL_EXECUTE", "ev_header": {"Application": "park"}}, timeout=10),
          E("a", quiet=0.3),
          bye("a"), bye("c")),
     **IN_KW)

case("media_pagd_invalid",
     "Extension 2012 (B leg): play_and_get_digits (1 try, regex ^1\\d+$); the A leg sends '23#' after the "
     "prompt: DTMF events, the invalid-prompt playback, EXECUTE_COMPLETE, park.",
     flat(watch_ext("2012", U(606)),
          E("a", until={"event": "CHANNEL_EXECUTE", "ev_header": {"Application": "play_and_get_digits"}}),
          SL(0.8), E("a", quiet=0.1),
          cmd("c", "api uuid_send_dtmf %s 23#" % U(606)),
          E("a", until={"event": "CHANNEL_EXECUTE", "ev_header": {"Application": "park"}}, timeout=10),
          E("a", quiet=0.3),
          bye("a"), bye("c")),
     **IN_KW)

case("media_pagd_max_digits",
     "Extension 2010 (B leg): play_and_get_digits 2-5 digits; the A leg sends '12345' (max digits, no "
     "terminator) after the prompt: DTMF events, EXECUTE_COMPLETE (cc_digits 12345), park.",
     flat(watch_ext("2010", U(607)),
          E("a", until={"event": "CHANNEL_EXECUTE", "ev_header": {"Application": "play_and_get_digits"}}),
          SL(0.8), E("a", quiet=0.1),
          cmd("c", "api uuid_send_dtmf %s 12345" % U(607)),
          E("a", until={"event": "CHANNEL_EXECUTE", "ev_header": {"Application": "park"}}, timeout=10),
          E("a", quiet=0.3),
          bye("a"), bye("c")),
     **IN_KW)

case("media_read_digits",
     "Extension 3004 (B leg): read 1-3 digits into cc3_read (2 s, #); the A leg sends '42#': DTMF events, "
     "EXECUTE_COMPLETE of read (cc3_read 42, read_result), park.",
     flat(watch_ext("3004", U(608)),
          E("a", until={"event": "CHANNEL_EXECUTE", "ev_header": {"Application": "read"}}),
          SL(0.5), E("a", quiet=0.1),
          cmd("c", "api uuid_send_dtmf %s 42#" % U(608)),
          E("a", until={"event": "CHANNEL_EXECUTE", "ev_header": {"Application": "park"}}, timeout=10),
          E("a", quiet=0.3),
          bye("a"), bye("c")),
     **IN_KW)

case("media_read_timeout",
     "Extension 3004 (B leg): read with no input: EXECUTE_COMPLETE after the 2 s timeout (read_result), park.",
     flat(watch_ext("3004", U(609)),
          E("a", until={"event": "CHANNEL_EXECUTE", "ev_header": {"Application": "park"}}, timeout=10),
          E("a", quiet=0.3),
          bye("a"), bye("c")),
     **IN_KW)

case("media_record_terminator",
     "sendmsg execute record /tmp/fm_rec.wav 5 on a parked loopback A leg, ended after ~0.5 s by '*' from "
     "the B leg (uuid_send_dtmf): RECORD_START, DTMF, RECORD_STOP, EXECUTE_COMPLETE (record_* variables); "
     "then a record with a 1 s limit runs out; then playback of the file.",
     flat(parked(U(610)),
          execute("a", U(610), "record", "/tmp/fm_rec.wav 5", JOB(630)), E("a", n=1),
          E("a", until={"event": "RECORD_START"}), SL(0.5), E("a", quiet=0.1),
          cmd("c", "api uuid_send_dtmf {{buuid}} *"),
          E("a", until={"event": "CHANNEL_EXECUTE_COMPLETE", "ev_header": {"Application": "record"}}, timeout=5),
          E("a", quiet=0.3),
          execute("a", U(610), "record", "/tmp/fm_rec2.wav 1", JOB(631)), E("a", n=1),
          E("a", until={"event": "CHANNEL_EXECUTE_COMPLETE", "ev_header": {"Application": "record"}}, timeout=5),
          E("a", quiet=0.3),
          play_to_end(U(610), "/tmp/fm_rec.wav", JOB(632)),
          cmd("c", "api uuid_getvar %s record_ms" % U(610)),
          bye("a"), bye("c")),
     **IN_KW)

case("media_send_dtmf_park",
     "uuid_send_dtmf to a parked loopback call: 'uuid_send_dtmf <A leg> 12' (the A leg sends, the parked B "
     "leg reads them: DTMF events on loopback/1000-b) and 'uuid_send_dtmf <B leg> 3@500' (duration); watcher "
     "on both legs' DTMF and execute events; replies, and uuid_send_dtmf of a missing channel.",
     flat(login("a"), cmd("a", "filter Channel-Name loopback/1000-a"), cmd("a", "filter Channel-Name loopback/1000-b"),
          cmd("a", "event plain DTMF CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE"),
          login("c"), originate("c", U(611)),
          E("a", until={"event": "CHANNEL_EXECUTE", "ev_header": {"Application": "park"}}, until_count=2, timeout=10,
            capture={"buuid": "variable_other_loopback_leg_uuid"}),
          E("a", quiet=0.3),
          cmd("c", "api uuid_send_dtmf %s 12" % U(611)),
          SL(0.3), E("a", quiet=0.7),
          cmd("c", "api uuid_send_dtmf {{buuid}} 3@500"),
          SL(0.3), E("a", quiet=0.7),
          cmd("c", "api uuid_send_dtmf 00000000-0000-0000-0000-000000000000 1"),
          cmd("c", "api uuid_send_dtmf"),
          bye("a"), bye("c")),
     **IN_KW)

case("media_originate_ignore_early_media",
     "originate with ignore_early_media=true, then with ignore_early_media=ring_ready, then plain: the A leg's "
     "CHANNEL_ANSWER carries variable_originate_early_media false / false / true; uuid_getvar of it.",
     flat(login("a"), cmd("a", "filter Unique-ID " + U(612)), cmd("a", "filter Unique-ID " + U(613)),
          cmd("a", "filter Unique-ID " + U(614)), cmd("a", "event plain CHANNEL_ANSWER"),
          login("c"),
          originate("c", U(612), extra=",ignore_early_media=true"),
          E("a", until={"event": "CHANNEL_ANSWER"}, timeout=10),
          cmd("c", "api uuid_getvar %s originate_early_media" % U(612)),
          originate("c", U(613), extra=",ignore_early_media=ring_ready"),
          E("a", until={"event": "CHANNEL_ANSWER"}, timeout=10),
          cmd("c", "api uuid_getvar %s originate_early_media" % U(613)),
          originate("c", U(614)),
          E("a", until={"event": "CHANNEL_ANSWER"}, timeout=10),
          cmd("c", "api uuid_getvar %s originate_early_media" % U(614)),
          SL(0.3), E("a", quiet=0.3),
          bye("a"), bye("c")),
     **IN_KW)
