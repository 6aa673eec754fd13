"""Recorder cases for what docs/sim.md and its coverage table state (issue #10/#13):
a connection's own events after its blocking api originate; the invalid-application
behaviour; the reply to API commands the build does not have.

    cd ../shared/oracle
    flock /opt/fsref/oracle.lock python3 recorder.py run --cases .../cases_coverage.py \
        --out /tmp/first-runs --runs 3 --restart --port 8022
"""
from steps import CASES, IN_KW, JOB, E, S, U, bye, case, cmd, flat, login  # noqa: F401

case("cov_api_originate_holds_own_events",
     "One connection filters on its A legs and subscribes to CHANNEL_CREATE CHANNEL_ANSWER "
     "BACKGROUND_JOB. 'api originate {uuid}loopback/1000/default &park' blocks that connection: "
     "the api/response comes first, then the A leg's CHANNEL_CREATE and CHANNEL_ANSWER. With "
     "'bgapi originate' the reply comes at once, then CREATE, ANSWER and the BACKGROUND_JOB.",
     flat(login("a"),
          cmd("a", "filter Unique-ID " + U(1001)),
          cmd("a", "filter Unique-ID " + U(1002)),
          cmd("a", "filter Job-UUID " + JOB(1002)),
          cmd("a", "event plain CHANNEL_CREATE CHANNEL_ANSWER BACKGROUND_JOB"),
          S("a", f"api originate {{origination_uuid={U(1001)}}}loopback/1000/default &park\n\n"),
          E("a", n=1, timeout=20),
          E("a", n=2),
          E("a", quiet=0.7),
          S("a", f"bgapi originate {{origination_uuid={U(1002)}}}loopback/1000/default &park\nJob-UUID: {JOB(1002)}\n\n"),
          E("a", n=1),
          E("a", until={"event": "BACKGROUND_JOB"}, timeout=20),
          E("a", quiet=0.7),
          bye("a")),
     **IN_KW)

case("cov_invalid_application",
     "An application the switch does not have: as the originate's &app on the A leg "
     "('&no_such_app(x)') and through 'sendmsg execute' on a parked A leg. A watcher filtered on the A legs "
     "sees CHANNEL_EXECUTE/COMPLETE and CHANNEL_HANGUP (with Hangup-Cause). Then an XML dialplan "
     "extension (context coverage, src/eslkit/switch/data/contexts/coverage.xml) whose first "
     "action is no_such_app, on the B leg of loopback/cov_unknown_app/coverage.",
     flat(login("a"),
          cmd("a", "filter Unique-ID " + U(1011)),
          cmd("a", "filter Unique-ID " + U(1012)),
          cmd("a", "event plain CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE CHANNEL_HANGUP"),
          login("c"),
          cmd("c", f"api originate {{origination_uuid={U(1011)}}}loopback/1000/default &no_such_app(x)",
              timeout=20),
          E("a", until={"event": "CHANNEL_HANGUP"}, timeout=10),
          E("a", quiet=0.7),
          cmd("c", f"api originate {{origination_uuid={U(1012)}}}loopback/1000/default &park", timeout=20),
          E("a", until={"event": "CHANNEL_EXECUTE", "ev_header": {"Application": "park"}}, timeout=10),
          cmd("c", f"sendmsg {U(1012)}\ncall-command: execute\nexecute-app-name: no_such_app\nexecute-app-arg: y"),
          E("a", until={"event": "CHANNEL_HANGUP"}, timeout=10),
          E("a", quiet=0.7),
          cmd("a", "filter Unique-ID " + U(1014)),
          cmd("c", f"api originate {{origination_uuid={U(1014)}}}loopback/cov_unknown_app/coverage &park",
              timeout=20),
          E("a", until={"event": "CHANNEL_HANGUP"}, timeout=10),
          E("a", quiet=0.7),
          bye("a"), bye("c")),
     **IN_KW)

case("cov_inline_dialplan_invalid_app",
     "The inline dialplan (mod_dptools): 'originate {uuid}loopback/no_such_app/default/inline "
     "&park' runs no_such_app on the B leg, which hangs up DESTINATION_OUT_OF_ORDER: the "
     "originate gets '-ERR DESTINATION_OUT_OF_ORDER'; the watcher sees the A leg's CHANNEL_HANGUP.",
     flat(login("a"),
          cmd("a", "filter Unique-ID " + U(1013)),
          cmd("a", "event plain CHANNEL_HANGUP"),
          login("c"),
          cmd("c", f"api originate {{origination_uuid={U(1013)}}}loopback/no_such_app/default/inline &park",
              timeout=20),
          E("a", until={"event": "CHANNEL_HANGUP"}, timeout=10),
          E("a", quiet=0.7),
          bye("a"), bye("c")),
     **IN_KW)

case("cov_api_misc",
     "Channel-free mod_commands APIs the simulated switch has and no transcript ran: eval, expand, "
     "md5, module_exists, tolower, toupper, uptime (s, ms), create_uuid, reloadxml (with a RELOADXML "
     "subscriber), each with and without arguments.",
     flat(login("a"),
          cmd("a", "event plain RELOADXML"),
          cmd("a", "api eval hello ${switchname} $${hostname}"),
          cmd("a", "api eval"),
          cmd("a", "api expand echo ${switchname}"),
          cmd("a", "api expand"),
          cmd("a", "api md5 hello world"),
          cmd("a", "api md5"),
          cmd("a", "api module_exists mod_commands"),
          cmd("a", "api module_exists mod_sofia"),
          cmd("a", "api module_exists"),
          cmd("a", "api tolower HeLLo WoRLD"),
          cmd("a", "api toupper HeLLo WoRLD"),
          cmd("a", "api tolower"),
          cmd("a", "api uptime"),
          cmd("a", "api uptime s"),
          cmd("a", "api uptime bogus"),
          cmd("a", "api create_uuid"),
          cmd("a", "api reloadxml"),
          E("a", n=1),
          E("a", quiet=0.5),
          bye("a")))

case("cov_sendmsg_multiset",
     "On a parked loopback A leg (filtered; CHANNEL_EXECUTE/COMPLETE subscribed): sendmsg execute "
     "multiset 'cov_a=1 cov_b=two', then uuid_getvar of both.",
     flat(login("a"),
          cmd("a", "filter Unique-ID " + U(1021)),
          cmd("a", "event plain CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE"),
          login("c"),
          cmd("c", f"api originate {{origination_uuid={U(1021)}}}loopback/1000/default &park", timeout=20),
          E("a", until={"event": "CHANNEL_EXECUTE", "ev_header": {"Application": "park"}}, timeout=10),
          cmd("c", f"sendmsg {U(1021)}\ncall-command: execute\nexecute-app-name: multiset\nexecute-app-arg: cov_a=1 cov_b=two"),
          E("a", until={"event": "CHANNEL_EXECUTE_COMPLETE", "ev_header": {"Application": "multiset"}}, timeout=10),
          E("a", quiet=0.5),
          cmd("c", f"api uuid_getvar {U(1021)} cov_a"),
          cmd("c", f"api uuid_getvar {U(1021)} cov_b"),
          bye("a"), bye("c")),
     **IN_KW)

case("cov_sendmsg_event_app",
     "On a parked loopback A leg (filtered on its Unique-ID and on Event-Subclass cov::test; "
     "CHANNEL_EXECUTE/COMPLETE and CUSTOM cov::test subscribed): sendmsg execute event "
     "'Event-Subclass=cov::test,Event-Name=CUSTOM,cov_key=v1': the CUSTOM event it fires, with the "
     "channel's data, and its header order.",
     flat(login("a"),
          cmd("a", "filter Unique-ID " + U(1022)),
          cmd("a", "filter Event-Subclass cov::test"),
          cmd("a", "event plain CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE CUSTOM cov::test"),
          login("c"),
          cmd("c", f"api originate {{origination_uuid={U(1022)}}}loopback/1000/default &park", timeout=20),
          E("a", until={"event": "CHANNEL_EXECUTE", "ev_header": {"Application": "park"}}, timeout=10),
          cmd("c", f"sendmsg {U(1022)}\ncall-command: execute\nexecute-app-name: event\nexecute-app-arg: Event-Subclass=cov::test,Event-Name=CUSTOM,cov_key=v1"),
          E("a", until={"event": "CHANNEL_EXECUTE_COMPLETE", "ev_header": {"Application": "event"}}, timeout=10),
          E("a", quiet=0.7),
          bye("a"), bye("c")),
     **IN_KW)

case("cov_api_alias",
     "alias (mod_commands): usage, 'alias add' of a new and of an existing name, the alias run "
     "through the console executor ('api cov_echo_alias hi' is not an API command; aliases "
     "apply to console lines only), 'alias del', 'alias del' of a name that is gone.",
     flat(login("a"),
          cmd("a", "api alias"),
          cmd("a", "api alias add cov_echo_alias echo"),
          cmd("a", "api alias add cov_echo_alias echo"),
          cmd("a", "api cov_echo_alias hi"),
          cmd("a", "api alias del cov_echo_alias"),
          cmd("a", "api alias del cov_echo_alias"),
          cmd("a", "api alias bogus x"),
          bye("a")))

case("cov_echo_app",
     "The echo application on the B leg of loopback/9196 (answer, echo): a watcher filtered on "
     "Channel-Name loopback/9196-b sees CHANNEL_EXECUTE echo; uuid_kill of the A leg ends it "
     "(CHANNEL_EXECUTE_COMPLETE echo, CHANNEL_HANGUP).",
     flat(login("a"),
          cmd("a", "filter Channel-Name loopback/9196-b"),
          cmd("a", "event plain CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE CHANNEL_HANGUP"),
          login("c"),
          cmd("c", f"api originate {{origination_uuid={U(1031)}}}loopback/9196/default &park", timeout=20),
          E("a", until={"event": "CHANNEL_EXECUTE", "ev_header": {"Application": "echo"}}, timeout=10),
          E("a", quiet=0.5),
          cmd("c", f"api uuid_kill {U(1031)}"),
          E("a", until={"event": "CHANNEL_HANGUP"}, timeout=10),
          E("a", quiet=0.7),
          bye("a"), bye("c")),
     **IN_KW)
