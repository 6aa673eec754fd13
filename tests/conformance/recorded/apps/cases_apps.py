"""mod_dptools applications an IVR/dialer/call-center application uses first: break, queue_dtmf,
flush_dtmf, wait_for_answer, set_global, multiunset, set_name, ... run by sendmsg on a parked
loopback A leg: their CHANNEL_EXECUTE/COMPLETE, the variables they set, the events they cause and
what a following application sees. Recorded with the oracle's recorder (steps.py)."""
from steps import (IN_KW, JOB, U, E, S, SL, bye, case, cmd, flat, login, parked_call, CASES)  # noqa: F401

EVENTS = "CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE PRIVATE_COMMAND DTMF"


def ex(uuid, app, arg=None, lock=False):
    """one sendmsg execute frame (with its blank line)"""
    text = "sendmsg %s\ncall-command: execute\nexecute-app-name: %s\n" % (uuid, app)
    if arg is not None:
        text += "execute-app-arg: %s\n" % arg
    if lock:
        text += "event-lock: true\n"
    return text + "\n"


def run(uuid, app, arg=None, lock=False):
    """conn c sends one sendmsg execute; conn a reads events until its EXECUTE_COMPLETE, then quiet"""
    return flat(S("c", ex(uuid, app, arg, lock)), E("c", n=1),
                E("a", until={"event": "CHANNEL_EXECUTE_COMPLETE", "ev_header": {"Application": app}}),
                E("a", quiet=0.5))


def getvars(uuid, names):
    return flat(*[cmd("c", "api uuid_getvar %s %s" % (uuid, n)) for n in names])


def complete(app):
    return {"event": "CHANNEL_EXECUTE_COMPLETE", "ev_header": {"Application": app}}


def execute(app):
    return {"event": "CHANNEL_EXECUTE", "ev_header": {"Application": app}}


case("apps_queue_flush_dtmf",
     "A parked loopback A leg (DTMF subscribed): 'queue_dtmf 12#' (the park loop reads one digit a frame: three "
     "DTMF events, Source APP, after the EXECUTE_COMPLETE); then one write of two event-locked sendmsgs "
     "'queue_dtmf 456' and 'flush_dtmf' (run back to back: the digits are dropped, no DTMF event); then "
     "'queue_dtmf 9@400' (a duration) and 'flush_dtmf' with nothing queued.",
     flat(parked_call(U(2101), events=EVENTS),
          run(U(2101), "queue_dtmf", "12#"),
          S("c", ex(U(2101), "queue_dtmf", "456", lock=True) + ex(U(2101), "flush_dtmf", lock=True)),
          E("c", n=2),
          E("a", until=complete("flush_dtmf")), E("a", quiet=0.7),
          run(U(2101), "queue_dtmf", "9@400"),
          run(U(2101), "flush_dtmf"),
          bye("a"), bye("c")),
     **IN_KW)

case("apps_break",
     "A parked loopback A leg. 'sleep 4000' (sendmsg) then sendmsg 'break' while it sleeps: the sleep ends at once "
     "(its EXECUTE_COMPLETE right after break's); then 'sleep 4000' and one write of 'break' (no argument) + "
     "'set cc_brk1=1': break without an argument (data NULL) flushes nothing: the set runs after the sleep "
     "ended (mod_dptools flushes the private events only for an argument other than 'all'); then 'sleep 4000' and 'break all' + 'set cc_brk2=1': "
     "the set runs as well; 'break' on the parked channel (nothing to break); uuid_getvar cc_brk1 cc_brk2.",
     flat(parked_call(U(2102)),
          S("c", ex(U(2102), "sleep", "4000")), E("c", n=1),
          E("a", until=execute("sleep")), SL(0.3),
          S("c", ex(U(2102), "break")), E("c", n=1),
          E("a", until=complete("sleep")), E("a", quiet=0.5),
          S("c", ex(U(2102), "sleep", "4000")), E("c", n=1),
          E("a", until=execute("sleep")), SL(0.3),
          S("c", ex(U(2102), "break") + ex(U(2102), "set", "cc_brk1=1")), E("c", n=2),
          E("a", until=complete("sleep")), E("a", quiet=0.7),
          S("c", ex(U(2102), "sleep", "4000")), E("c", n=1),
          E("a", until=execute("sleep")), SL(0.3),
          S("c", ex(U(2102), "break", "all") + ex(U(2102), "set", "cc_brk2=1")), E("c", n=2),
          E("a", until=complete("sleep")), E("a", quiet=0.7),
          run(U(2102), "break"),
          getvars(U(2102), ["cc_brk1", "cc_brk2"]),
          bye("a"), bye("c")),
     **IN_KW)

case("apps_set_global_multiunset",
     "A parked loopback A leg. set_global cc_g1=hello (global_getvar; 'set cc_seen=${cc_g1}' sees it); "
     "'set_global cc_g1=' and 'set_global cc_g2' (no '=') unset; set_global without argument (logs an error, "
     "nothing else); multiset cc_m1..cc_m4, 'multiunset cc_m1 cc_m2', 'multiunset ^^,cc_m3,cc_m4', multiunset "
     "without argument; uuid_getvar of each.",
     flat(parked_call(U(2103)),
          run(U(2103), "set_global", "cc_g1=hello"),
          cmd("c", "api global_getvar cc_g1"),
          run(U(2103), "set", "cc_seen=${cc_g1}"),
          run(U(2103), "set_global", "cc_g1="),
          cmd("c", "api global_getvar cc_g1"),
          run(U(2103), "set_global", "cc_g2=x"),
          run(U(2103), "set_global", "cc_g2"),
          cmd("c", "api global_getvar cc_g2"),
          run(U(2103), "set_global"),
          run(U(2103), "multiset", "cc_m1=a cc_m2=b cc_m3=c cc_m4=d"),
          run(U(2103), "multiunset", "cc_m1 cc_m2"),
          getvars(U(2103), ["cc_seen", "cc_m1", "cc_m2", "cc_m3", "cc_m4"]),
          run(U(2103), "multiunset", "^^,cc_m3,cc_m4"),
          run(U(2103), "multiunset"),
          getvars(U(2103), ["cc_m3", "cc_m4"]),
          bye("a"), bye("c")),
     **IN_KW)

case("apps_wait_for_answer_set_name",
     "A parked (answered) loopback A leg: wait_for_answer returns at once; 'set_name cc_renamed_leg': the "
     "following set's CHANNEL_EXECUTE carries Channel-Name cc_renamed_leg; uuid_getvar channel_name; set_name "
     "without argument (nothing).",
     flat(parked_call(U(2104)),
          run(U(2104), "wait_for_answer"),
          run(U(2104), "set_name", "cc_renamed_leg"),
          run(U(2104), "set", "cc_after_name=1"),
          getvars(U(2104), ["channel_name"]),
          run(U(2104), "set_name"),
          bye("a"), bye("c")),
     **IN_KW)

case("apps_gentones",
     "A parked loopback A leg: 'gentones %(200,0,350)' (200 ms of tone: no PLAYBACK events, EXECUTE_COMPLETE "
     "after the tone), 'gentones %(100,100,440)|2' (loops), a 5 s tone ended by 'queue_dtmf *' sent meanwhile "
     "(playback_terminators default '*': playback_terminator_used), a 5 s tone ended by 'break', gentones "
     "without argument (an error log, nothing else).",
     flat(parked_call(U(2105), events=EVENTS + " PLAYBACK_START PLAYBACK_STOP"),
          run(U(2105), "gentones", "%(200,0,350)"),
          run(U(2105), "gentones", "%(100,100,440)|2"),
          S("c", ex(U(2105), "gentones", "%(5000,0,440)")), E("c", n=1),
          E("a", until=execute("gentones")), SL(0.3),
          S("c", ex(U(2105), "queue_dtmf", "*")), E("c", n=1),
          E("a", until=complete("gentones")), E("a", quiet=0.7),
          getvars(U(2105), ["playback_terminator_used"]),
          S("c", ex(U(2105), "gentones", "%(5000,0,440)")), E("c", n=1),
          E("a", until=execute("gentones")), SL(0.3),
          S("c", ex(U(2105), "break")), E("c", n=1),
          E("a", until=complete("gentones")), E("a", quiet=0.7),
          run(U(2105), "gentones"),
          bye("a"), bye("c")),
     **IN_KW)

case("apps_loop_playback",
     "A parked loopback A leg: 'loop_playback +2 tone_stream://%(100,0,440)' (two PLAYBACK_START/STOP pairs, "
     "Application-Response FILE PLAYED), 'loop_playback tone_stream://%(100,0,440)' (once), 'loop_playback +2 "
     "/tmp/fid_apps_no_such.wav' (FILE NOT FOUND), then 'loop_playback +' (no loop count: the channel is hung "
     "up DESTINATION_OUT_OF_ORDER).",
     flat(parked_call(U(2106), events=EVENTS + " PLAYBACK_START PLAYBACK_STOP CHANNEL_HANGUP"),
          run(U(2106), "loop_playback", "+2 tone_stream://%(100,0,440)"),
          run(U(2106), "loop_playback", "tone_stream://%(100,0,440)"),
          run(U(2106), "loop_playback", "+2 /tmp/fid_apps_no_such.wav"),
          S("c", ex(U(2106), "loop_playback", "+")), E("c", n=1),
          E("a", until={"event": "CHANNEL_HANGUP"}), E("a", quiet=0.7),
          bye("a"), bye("c")),
     **IN_KW)

case("apps_record_session",
     "A parked loopback A leg: 'record_session /tmp/fid_apps_rs1.wav' (RECORD_START), 'stop_record_session "
     "/tmp/fid_apps_rs1.wav' (RECORD_STOP); 'record_session /tmp/fid_apps_rs2.wav +1 {cc_rv=1,cc_rv2=two}' "
     "(Recording-Variable headers; stops by itself after 1 s); 'stop_record_session all' with nothing "
     "recording; two recordings then 'stop_record_session all'; record_session without argument.",
     flat(parked_call(U(2107), events=EVENTS + " RECORD_START RECORD_STOP"),
          run(U(2107), "record_session", "/tmp/fid_apps_rs1.wav"),
          run(U(2107), "stop_record_session", "/tmp/fid_apps_rs1.wav"),
          S("c", ex(U(2107), "record_session", "/tmp/fid_apps_rs2.wav +1 {cc_rv=1,cc_rv2=two}")), E("c", n=1),
          E("a", until=complete("record_session")),
          E("a", until={"event": "RECORD_STOP"}, timeout=5), E("a", quiet=0.5),
          run(U(2107), "stop_record_session", "all"),
          run(U(2107), "record_session", "/tmp/fid_apps_rs3.wav"),
          run(U(2107), "record_session", "/tmp/fid_apps_rs4.wav"),
          run(U(2107), "stop_record_session", "all"),
          run(U(2107), "record_session"),
          bye("a"), bye("c")),
     **IN_KW)

case("apps_strftime",
     "A parked loopback A leg: 'strftime cc_lit=abc%%' sets the variable to the formatted time (a format "
     "without a date field, so that the transcript does not depend on the day); 'strftime cc_none' (no '=') "
     "sets nothing; uuid_getvar.",
     flat(parked_call(U(2108)),
          run(U(2108), "strftime", "cc_lit=abc%%"),
          run(U(2108), "strftime", "cc_none"),
          getvars(U(2108), ["cc_lit", "cc_none"]),
          bye("a"), bye("c")),
     **IN_KW)

case("apps_say_redirect_respond_dtmf",
     "A parked loopback A leg (no say module loaded, no SIP): 'say en number pronounced 12', 'say en number "
     "pronounced masculine 12', say with a wrong argument count (usage), 'redirect sip:cc@127.0.0.1' and "
     "'respond 486' (messages loopback ignores), 'start_dtmf' and 'stop_dtmf' (inband DTMF detection): what "
     "each shows, and the channel still parked after (uuid_getvar playback_terminator_used).",
     flat(parked_call(U(2109), events=EVENTS + " PLAYBACK_START PLAYBACK_STOP CHANNEL_HANGUP"),
          run(U(2109), "say", "en number pronounced 12"),
          run(U(2109), "say", "en number pronounced masculine 12"),
          run(U(2109), "say", "en number 12"),
          run(U(2109), "redirect", "sip:cc@127.0.0.1"),
          run(U(2109), "respond", "486"),
          run(U(2109), "start_dtmf"),
          run(U(2109), "stop_dtmf"),
          getvars(U(2109), ["playback_terminator_used"]),
          cmd("c", "api uuid_exists %s" % U(2109)),
          bye("a"), bye("c")),
     **IN_KW)

case("apps_speak_engine",
     "A parked loopback A leg, no TTS module loaded: 'speak flite|kal|hello' (engine and voice given): what "
     "FreeSWITCH does when the speech interface is missing; uuid_exists after.",
     flat(parked_call(U(2110), events=EVENTS + " CHANNEL_HANGUP"),
          S("c", ex(U(2110), "speak", "flite|kal|hello")), E("c", n=1),
          E("a", until=complete("speak")), E("a", quiet=0.7),
          cmd("c", "api uuid_exists %s" % U(2110)),
          bye("a"), bye("c")),
     **IN_KW)

case("apps_speak_no_engine",
     "A parked loopback A leg: 'speak hello' with no tts_engine/tts_voice variables: 'Invalid Params!' and the "
     "channel is hung up DESTINATION_OUT_OF_ORDER.",
     flat(parked_call(U(2111), events=EVENTS + " CHANNEL_HANGUP"),
          S("c", ex(U(2111), "speak", "hello")), E("c", n=1),
          E("a", until=complete("speak")), E("a", quiet=0.7),
          cmd("c", "api uuid_exists %s" % U(2111)),
          bye("a"), bye("c")),
     **IN_KW)

WFA_DEST = "wait_for_answer"

case("apps_wait_for_answer_ringing",
     "bgapi originate of loopback/wait_for_answer/default/inline: its B leg (filtered on its Channel-Name) runs "
     "wait_for_answer unanswered (no event while it waits, ~0.5 s), then 'uuid_answer <b>': CHANNEL_ANSWER, "
     "wait_for_answer completes; its dialplan has nothing more: the leg hangs up.",
     flat(login("a"), cmd("a", "filter Channel-Name loopback/%s-b" % WFA_DEST),
          cmd("a", "event plain " + EVENTS + " CHANNEL_ANSWER CHANNEL_HANGUP"),
          login("c"),
          S("c", "bgapi originate {origination_uuid=%s}loopback/%s/default/inline &park\nJob-UUID: %s\n\n"
            % (U(2112), WFA_DEST, JOB(2112))), E("c", n=1),
          E("a", until=execute("wait_for_answer"), capture={"buuid": "Unique-ID"}),
          E("a", quiet=0.5),
          cmd("c", "api uuid_answer {{buuid}}"),
          E("a", until={"event": "CHANNEL_HANGUP"}), E("a", quiet=0.5),
          bye("a"), bye("c")),
     **IN_KW)
