"""Scheduled API cases (mod_commands): sched_hangup, sched_transfer, sched_broadcast, sched_api,
sched_del, unsched_api, with +N, absolute (past: repeating; far future) times; the ADD_SCHEDULE and
DEL_SCHEDULE events; usage and error replies. Recorded with the oracle's recorder (steps.py)."""
from steps import (IN_KW, JOB, U, E, S, SL, bye, case, cmd, flat, login, originate, CASES)  # noqa: F401

PARK_EXEC = {"event": "CHANNEL_EXECUTE", "ev_header": {"Application": "park"}}
FUTURE = "4102444800"  # 2100-01-01: never reached while recording


def two_parked(u1, u2, events="CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE CHANNEL_HANGUP"):
    return flat(login("a"), cmd("a", "filter Unique-ID " + u1), cmd("a", "filter Unique-ID " + u2),
                cmd("a", "event plain " + events),
                login("c"), originate("c", u1), originate("c", u2),
                E("a", until=PARK_EXEC, until_count=2, timeout=10), E("a", quiet=0.5))


def sched_watch(conn="b"):
    """conn b: the scheduler's events, none other (no filter: tasks have no Unique-ID)."""
    return flat(login(conn), cmd(conn, "event plain ADD_SCHEDULE DEL_SCHEDULE"))


case("sched_hangup_causes",
     "Two parked loopback A legs. 'sched_hangup +1 <u1>' (no cause: ALLOTTED_TIMEOUT) and 'sched_hangup +0 <u2> "
     "USER_BUSY' (0 s: hung up at once, no task): replies, CHANNEL_HANGUP of each (u1 1-2 s later, compare 'at'), "
     "the ADD_SCHEDULE/DEL_SCHEDULE events (Task-Desc switch_ivr_schedule_hangup, Task-Group the uuid); usage "
     "and error replies.",
     flat(two_parked(U(1401), U(1402)), sched_watch(),
          cmd("c", "api sched_hangup +1 %s" % U(1401)),
          E("b", n=1),
          cmd("c", "api sched_hangup +0 %s USER_BUSY" % U(1402)),
          E("a", until={"event": "CHANNEL_HANGUP", "ev_header": {"Unique-ID": U(1402)}}, timeout=5),
          E("a", until={"event": "CHANNEL_HANGUP", "ev_header": {"Unique-ID": U(1401)}}, timeout=5),
          E("a", quiet=0.5),
          E("b", n=1, timeout=5), E("b", quiet=0.5),
          cmd("c", "api sched_hangup"),
          cmd("c", "api sched_hangup +1"),
          cmd("c", "api sched_hangup +1 nosuch"),
          cmd("c", "api sched_hangup +1 %s NO_SUCH_CAUSE" % U(1401)),
          bye("a"), bye("b"), bye("c")),
     **IN_KW)

case("sched_hangup_del",
     "Two parked loopback A legs: 'sched_hangup %s <u1> NORMAL_CLEARING' (far-future absolute time): ADD_SCHEDULE "
     "with that Task-Runtime; 'sched_del <u1>' (the task group is the uuid): '+OK Deleted: 1', DEL_SCHEDULE; again: "
     "'Deleted: 0'; 'sched_hangup 2 <u2> CALL_REJECTED': mod_commands reads the seconds after the first character, "
     "so '2' is 0 s: hung up at once, no task; 'sched_hangup 01 <u1> CALL_REJECTED' (absolute time 1, in the "
     "past: the scheduler repeats it every 1 s from now): hung up 1-2 s later; sched_del <u1> removes the "
     "repeating task." % FUTURE,
     flat(two_parked(U(1403), U(1404)), sched_watch(),
          cmd("c", "api sched_hangup %s %s NORMAL_CLEARING" % (FUTURE, U(1403))),
          E("b", n=1),
          cmd("c", "api sched_del %s" % U(1403)),
          E("b", n=1, timeout=5),
          cmd("c", "api sched_del %s" % U(1403)),
          cmd("c", "api uuid_exists %s" % U(1403)),
          cmd("c", "api sched_hangup 2 %s CALL_REJECTED" % U(1404)),
          E("a", until={"event": "CHANNEL_HANGUP"}, timeout=6), E("a", quiet=0.5),
          E("b", quiet=0.3),
          cmd("c", "api sched_hangup 01 %s CALL_REJECTED" % U(1403)),
          E("b", n=1),
          E("a", until={"event": "CHANNEL_HANGUP"}, timeout=6), E("a", quiet=0.5),
          cmd("c", "api sched_del %s" % U(1403)),
          E("b", n=1, timeout=5), E("b", quiet=0.5),
          bye("a"), bye("b"), bye("c")),
     **IN_KW)

case("sched_transfer_cases",
     "Two parked loopback A legs. 'sched_transfer +1 <u1> 2002 XML default' (1-2 s later the park ends, 2002 runs: "
     "set, hangup CALL_REJECTED), 'sched_transfer %s <u2> 2002' (far future) then 'sched_del <u2>'; "
     "ADD_SCHEDULE/DEL_SCHEDULE (Task-Desc switch_ivr_schedule_transfer); usage and error replies." % FUTURE,
     flat(two_parked(U(1405), U(1406)), sched_watch(),
          cmd("c", "api sched_transfer +1 %s 2002 XML default" % U(1405)),
          E("b", n=1),
          cmd("c", "api sched_transfer %s %s 2002" % (FUTURE, U(1406))),
          E("b", n=1),
          E("a", until={"event": "CHANNEL_HANGUP"}, timeout=5), E("a", quiet=0.7),
          E("b", n=1, timeout=5),
          cmd("c", "api sched_del %s" % U(1406)),
          E("b", n=1, timeout=5), E("b", quiet=0.5),
          cmd("c", "api sched_transfer"),
          cmd("c", "api sched_transfer +1"),
          cmd("c", "api sched_transfer +1 nosuch 2002"),
          cmd("c", "api sched_transfer +1 a b c d e f"),
          bye("a"), bye("b"), bye("c")),
     **IN_KW)

case("sched_broadcast_cases",
     "A parked loopback A leg. 'sched_broadcast +1 <u> set::cc_sb=1 aleg' (an application broadcast: 1-2 s later "
     "the park loop runs set with event-lock), 'sched_broadcast @%s <u> set::cc_sb=2' (far future) then "
     "'sched_del <u>'; ADD_SCHEDULE/DEL_SCHEDULE (Task-Desc switch_ivr_schedule_broadcast); sched_broadcast to an "
     "unknown uuid ('+OK Message scheduled' all the same); usage; uuid_getvar cc_sb." % FUTURE,
     flat(login("a"), cmd("a", "filter Unique-ID " + U(1407)),
          cmd("a", "event plain CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE"),
          login("c"), originate("c", U(1407)),
          E("a", until=PARK_EXEC, timeout=10), E("a", quiet=0.5),
          sched_watch(),
          cmd("c", "api sched_broadcast +1 %s set::cc_sb=1 aleg" % U(1407)),
          E("b", n=1),
          E("a", until={"event": "CHANNEL_EXECUTE_COMPLETE", "ev_header": {"Application": "set"}}, timeout=5),
          E("a", quiet=0.5),
          E("b", n=1, timeout=5),
          cmd("c", "api uuid_getvar %s cc_sb" % U(1407)),
          cmd("c", "api sched_broadcast @%s %s set::cc_sb=2" % (FUTURE, U(1407))),
          E("b", n=1),
          cmd("c", "api sched_del %s" % U(1407)),
          E("b", n=1, timeout=5),
          cmd("c", "api sched_broadcast +1 nosuch set::cc_sb=3"),
          E("b", n=1, timeout=5),
          E("b", n=1, timeout=5), E("b", quiet=0.5),
          cmd("c", "api sched_broadcast"),
          cmd("c", "api sched_broadcast +1 %s" % U(1407)),
          bye("a"), bye("b"), bye("c")),
     **IN_KW)

case("sched_api_del",
     "sched_api: '+1 cc_grp uuid_setvar <u> cc_sa 1' (one shot), '@1 cc_rep uuid_setvar <u> cc_rep x' (repeats "
     "every second), '%s cc_far status&' (own thread, far future); the ADD_SCHEDULE events (their Task-ID "
     "captured); sched_del by group (cc_rep), by id (the far one), unknown id and group ('Deleted: 0'), no "
     "argument; unsched_api of an id (+OK / -ERR No such id); sched_api without a command." % FUTURE,
     flat(login("c"), originate("c", U(1408)), sched_watch(),
          cmd("c", "api sched_api +1 cc_grp uuid_setvar %s cc_sa 1" % U(1408)),
          E("b", n=1),
          cmd("c", "api sched_api @1 cc_rep uuid_setvar %s cc_rep x" % U(1408)),
          E("b", n=1),
          cmd("c", "api sched_api %s cc_far status&" % FUTURE),
          E("b", n=1, capture={"tid": "Task-ID"}),
          SL(2.5),
          E("b", n=1, timeout=5), E("b", quiet=0.3),
          cmd("c", "api uuid_getvar %s cc_sa" % U(1408)),
          cmd("c", "api uuid_getvar %s cc_rep" % U(1408)),
          cmd("c", "api sched_del cc_rep"),
          E("b", n=1, timeout=5),
          cmd("c", "api sched_del {{tid}}"),
          E("b", n=1, timeout=5),
          cmd("c", "api sched_del 999999"),
          cmd("c", "api sched_del no_such_group"),
          cmd("c", "api sched_del"),
          cmd("c", "api sched_api +100 cc_un status"),
          E("b", n=1, capture={"tid": "Task-ID"}),
          cmd("c", "api unsched_api {{tid}}"),
          E("b", n=1, timeout=5),
          cmd("c", "api unsched_api {{tid}}"),
          cmd("c", "api unsched_api"),
          cmd("c", "api sched_api +1 grp"),
          cmd("c", "api sched_api"),
          E("b", quiet=0.5),
          bye("b"), bye("c")),
     **IN_KW)
