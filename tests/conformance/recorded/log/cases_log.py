# ruff: noqa  (an input of the oracle's recorder, written with its steps.py; not imported by the tests)
"""Log-line cases (issue #13 item 8): call-progress log lines delivered as log/data frames at
the core's level (warning / notice / info / debug) and the connection's level, nolog, uuid_loglevel,
log lines on json/xml-subscribed connections, and the replies of the log command.
Written with the oracle's steps.py (see ../README.md)."""
from steps import (IN_KW, JOB, U, E, S, SL, bye, case, cmd, flat, login, originate,  # noqa: F401
                   CASES)


def logged_call(level_cmd, core, uuid, dest, app="&park", kill=False, fmt_cmds=(), settle=1.0):
    steps = [login("a"), login("c")]
    for c in fmt_cmds:
        steps.append(cmd("a", c))
    steps += [cmd("a", level_cmd), cmd("c", "api fsctl loglevel " + core),
              cmd("c", "api originate {origination_uuid=%s}loopback/%s/default %s" % (uuid, dest, app), timeout=20),
              SL(0.3), E("a", quiet=settle, unordered=True)]
    if kill:
        steps += [cmd("c", "api uuid_kill " + uuid), SL(0.3), E("a", quiet=1.0, unordered=True)]
    steps += [cmd("c", "api fsctl loglevel warning"), cmd("a", "nolog"), bye("a"), bye("c")]
    return flat(*steps)


case("log_commands",
     "Replies of the log command: 'log' (no level: 7? or usage), 'log 0', 'log 3', 'log debug', 'log INFO', "
     "'log foo', 'log 9', 'log -1', and 'nolog' twice; no call.",
     flat(login("a"), cmd("a", "log"), cmd("a", "log 0"), cmd("a", "log 3"), cmd("a", "log debug"),
          cmd("a", "log INFO"), cmd("a", "log foo"), cmd("a", "log 9"), cmd("a", "log -1"),
          cmd("a", "nolog"), cmd("a", "nolog"), bye("a")),
     **IN_KW)

case("log_core_info_3001",
     "'log 7' with the core at info: the call to 3001 (answer, set, log NOTICE, sleep 200, hangup) gives "
     "only the lines at INFO and above (New/Rename Channel, Processing, EXECUTE, answered, the log line, "
     "Flipping CID, Hangup, Session Ended, Close Channel).",
     logged_call("log 7", "info", U(700), "3001"),
     **IN_KW)

case("log_conn_notice_core_debug",
     "Core at debug, the connection asks 'log 5' (NOTICE): the call to 3001 gives only NOTICE lines and above.",
     logged_call("log 5", "debug", U(701), "3001"),
     **IN_KW)

case("log_conn_info_park_kill",
     "Core at debug, 'log 6': originate loopback/1000 &park, then uuid_kill: INFO and NOTICE lines of both legs "
     "(Processing, EXECUTE, answered, Hangup from switch_ivr_kill_uuid, Close Channel).",
     logged_call("log 6", "debug", U(702), "1000", kill=True),
     **IN_KW)

case("log_debug_park_kill",
     "Core at debug, 'log 7': originate loopback/1000 &park, then uuid_kill: every line of both legs "
     "(unordered blocks).",
     logged_call("log 7", "debug", U(703), "1000", kill=True),
     **IN_KW)

case("log_json_events_and_logs",
     "A connection with 'event json CHANNEL_ANSWER' and 'log 5', core at notice: the call to loopback/1000 "
     "&park gives the json CHANNEL_ANSWER events and the log/data frames (log frames are not json).",
     logged_call("log 5", "notice", U(704), "1000", kill=True, fmt_cmds=("event json CHANNEL_ANSWER",)),
     **IN_KW)

case("log_xml_events_and_logs",
     "A connection with 'event xml CHANNEL_HANGUP' and 'log 5', core at notice: the call to 3001 gives the xml "
     "CHANNEL_HANGUP events and the log/data frames.",
     logged_call("log 5", "notice", U(705), "3001", fmt_cmds=("event xml CHANNEL_HANGUP",)),
     **IN_KW)

case("log_core_warning_nothing",
     "'log 7' with the core at its configured warning: a call to 3001 gives no log line at all.",
     logged_call("log 7", "warning", U(706), "3001"),
     **IN_KW)

case("log_uuid_loglevel_info",
     "Core at warning, 'log 7': 'uuid_loglevel <A leg> info' on a parked call; sendmsg execute set on the A leg "
     "gives only its INFO-level session lines (none at DEBUG); uuid_kill; 'uuid_loglevel' errors (missing "
     "channel, bad level, no args).",
     flat(login("a"), login("c"), cmd("a", "log 7"),
          cmd("c", "api originate {origination_uuid=%s}loopback/1000/default &park" % U(707), timeout=20),
          SL(0.3), E("a", quiet=0.7),
          cmd("c", "api uuid_loglevel %s info" % U(707)),
          S("c", "sendmsg %s\ncall-command: execute\nexecute-app-name: set\nexecute-app-arg: fm_ll=1\n"
                 "Event-UUID: %s\n\n" % (U(707), JOB(700))), E("c", n=1),
          SL(0.3), E("a", quiet=0.7),
          cmd("c", "api uuid_loglevel 00000000-0000-0000-0000-000000000000 debug"),
          cmd("c", "api uuid_loglevel %s nosuchlevel" % U(707)),
          cmd("c", "api uuid_loglevel"),
          cmd("c", "api uuid_kill " + U(707)),
          SL(0.3), E("a", quiet=1.0, unordered=True),
          cmd("a", "nolog"), bye("a"), bye("c")),
     **IN_KW)

case("log_transfer_info",
     "Core at info, 'log 6': a parked loopback A leg is transferred with 'uuid_transfer <uuid> 2002' "
     "(set, hangup CALL_REJECTED): the transfer and hang-up lines at INFO and above.",
     flat(login("a"), login("c"),
          cmd("c", "api originate {origination_uuid=%s}loopback/1000/default &park" % U(708), timeout=20),
          SL(0.3), cmd("a", "log 6"), cmd("c", "api fsctl loglevel info"),
          cmd("c", "api uuid_transfer %s 2002" % U(708)),
          SL(0.5), E("a", quiet=1.0, unordered=True),
          cmd("c", "api fsctl loglevel warning"), cmd("a", "nolog"), bye("a"), bye("c")),
     **IN_KW)

case("log_bridge_notice",
     "Core at notice, 'log 5': originate {uuid}loopback/1000/default &bridge(loopback/park/default), then "
     "uuid_kill of the A leg: the NOTICE lines of the four legs (new channels, answers, hang-ups, close).",
     flat(login("a"), login("c"), cmd("a", "log 5"), cmd("c", "api fsctl loglevel notice"),
          cmd("c", "api originate {origination_uuid=%s}loopback/1000/default &bridge(loopback/park/default)" % U(709),
              timeout=20),
          SL(0.5), E("a", quiet=1.0, unordered=True),
          cmd("c", "api uuid_kill " + U(709)),
          SL(0.5), E("a", quiet=1.0, unordered=True),
          cmd("c", "api fsctl loglevel warning"), cmd("a", "nolog"), bye("a"), bye("c")),
     **IN_KW)

case("log_debug_pagd_dtmf",
     "Core at debug, 'log 7': originate {uuid}loopback/2010/default &park (the B leg answers and runs "
     "play_and_get_digits), uuid_send_dtmf <A leg> 12# after the prompt: every line (RECV DTMF, the "
     "application's lines), then uuid_kill.",
     flat(login("a"), login("c"), cmd("a", "log 7"), cmd("c", "api fsctl loglevel debug"),
          cmd("c", "api originate {origination_uuid=%s}loopback/2010/default &park" % U(710), timeout=20),
          SL(0.8), E("a", quiet=0.5, unordered=True),
          cmd("c", "api uuid_send_dtmf %s 12#" % U(710)),
          SL(0.5), E("a", quiet=0.7, unordered=True),
          cmd("c", "api uuid_kill " + U(710)),
          SL(0.5), E("a", quiet=1.0, unordered=True),
          cmd("c", "api fsctl loglevel warning"), cmd("a", "nolog"), bye("a"), bye("c")),
     **IN_KW)

case("log_debug_bridge",
     "Core at debug, 'log 7': originate {uuid}loopback/1000/default &bridge(loopback/park/default), then "
     "uuid_kill of the A leg: every line of the four legs (originate of the bridge, CS_EXCHANGE_MEDIA, "
     "hang-ups).",
     flat(login("a"), login("c"), cmd("a", "log 7"), cmd("c", "api fsctl loglevel debug"),
          cmd("c", "api originate {origination_uuid=%s}loopback/1000/default &bridge(loopback/park/default)" % U(711),
              timeout=20),
          SL(0.5), E("a", quiet=1.0, unordered=True),
          cmd("c", "api uuid_kill " + U(711)),
          SL(0.5), E("a", quiet=1.0, unordered=True),
          cmd("c", "api fsctl loglevel warning"), cmd("a", "nolog"), bye("a"), bye("c")),
     **IN_KW)
