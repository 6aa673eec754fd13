# ruff: noqa  (input of the oracle's recorder, written with its steps.py; not project code)
"""Outbound (controlling) sockets: sendmsg after hang-up on a lingering session (issue #13
item 7) and messages queued with 'async: true' on a sync socket (item 5). See ../README.md.
The extensions sock_PORT (async full) and socksync_PORT (sync full) are in the default
dialplan of the oracle and of eslkit."""
from steps import (CASES, OUT_KW, JOB, U, E, S, SL, bye, case, cmd, flat, outbound)  # noqa: F401

HANGUP = "sendmsg\ncall-command: hangup\nhangup-cause: NORMAL_CLEARING\n\n"
PLAY = ("sendmsg\ncall-command: execute\nexecute-app-name: playback\n"
        "execute-app-arg: tone_stream://%(100,0,440)\n\n")
SET = "sendmsg\ncall-command: execute\nexecute-app-name: set\nexecute-app-arg: after_hangup=yes\n\n"


def hang_up_lingering():
    """myevents, linger (forever), hang the channel up with a sendmsg; the hang-up events and
    the linger notice (unordered, until quiet)."""
    return flat(cmd("o", "myevents"), cmd("o", "linger"),
                S("o", HANGUP), E("o", n=1),
                E("o", quiet=0.7, unordered=True, timeout=10))


case("out_linger_sendmsg_after_hangup",
     "Async full outbound session lingering forever; after its channel hung up (sendmsg hangup, "
     "events + linger notice), sendmsg execute (playback) and sendmsg execute set both get '+OK' "
     "(the private event queue takes them until the session is destroyed), nothing runs them, and "
     "the socket keeps lingering (getvar still answers) until the client's exit.",
     flat(outbound("sock", U(700), JOB(700)),
          hang_up_lingering(),
          S("o", PLAY), E("o", n=1), E("o", quiet=1.0),
          S("o", SET), E("o", n=1), E("o", quiet=1.0),
          cmd("o", "getvar after_hangup"),
          SL(1.0), E("o", quiet=0.5),
          S("o", "exit\n\n"), E("o", closed=True, timeout=10)),
     **OUT_KW)

case("out_linger_sync_sendmsg_after_hangup",
     "Sync full outbound session lingering forever; after its channel hung up, sendmsg execute "
     "(run inline on the hung-up channel), sendmsg with 'async: true' (queued) and sendmsg <own "
     "uuid> all get '+OK' and the socket keeps lingering until exit.",
     flat(outbound("socksync", U(701), JOB(701)),
          hang_up_lingering(),
          S("o", PLAY), E("o", n=1), E("o", quiet=1.0),
          S("o", SET.replace("\n\n", "\nasync: true\n\n")), E("o", n=1), E("o", quiet=1.0),
          S("o", "sendmsg {{buuid}}\ncall-command: execute\nexecute-app-name: set\n"
                 "execute-app-arg: by_uuid=yes\n\n"), E("o", n=1), E("o", quiet=1.0),
          S("o", "exit\n\n"), E("o", closed=True, timeout=10)),
     **OUT_KW)

case("out_sync_async_flag_answered",
     "Sync full outbound session, channel answered inline first: sendmsg execute sleep 1000 with "
     "'async: true' is only queued ('+OK', nothing follows while the socket waits for commands); "
     "the next inline sendmsg (sleep 500, no flag): which events follow and when its '+OK' comes "
     "(switch_ivr_sleep with media parses the private events each frame).",
     flat(outbound("socksync", U(702), JOB(702)),
          cmd("o", "myevents"),
          S("o", "sendmsg\ncall-command: execute\nexecute-app-name: answer\n\n"),
          E("o", n=1), E("o", quiet=0.7),
          S("o", "sendmsg\ncall-command: execute\nexecute-app-name: sleep\nexecute-app-arg: 1000\n"
                 "async: true\n\n"), E("o", n=1), E("o", quiet=1.5),
          S("o", "sendmsg\ncall-command: execute\nexecute-app-name: sleep\nexecute-app-arg: 500\n\n"),
          E("o", until={"ct": "command/reply"}, timeout=10), E("o", quiet=1.5),
          S("o", "exit\n\n"), E("o", closed=True, timeout=10)),
     **OUT_KW)
