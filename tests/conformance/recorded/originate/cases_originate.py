"""originate's variable lists: {} and [] (and <>) with quoting, escapes, ^^ delimiters, a clash
between {} and [] (with and without local_var_clobber), sequential groups; the A leg's
CHANNEL_ANSWER shows the variables in the order the channel got them; uuid_dump in every
format. Recorded with the oracle's recorder (steps.py)."""
from steps import (IN_KW, JOB, U, E, S, bye, case, cmd, flat, login, CASES)  # noqa: F401


def answered(uuid, dial, app="&park", names=()):
    """conn a watches uuid's CHANNEL_ANSWER; conn c originates `dial` with `app`; uuid_getvar
    of `names`."""
    steps = [cmd("a", "filter Unique-ID " + uuid),
             cmd("c", "api originate %s %s" % (dial, app), timeout=20),
             E("a", until={"event": "CHANNEL_ANSWER"}, timeout=10), E("a", quiet=0.3)]
    for n in names:
        steps.append(cmd("c", "api uuid_getvar %s %s" % (uuid, n)))
    steps.append(cmd("c", "api uuid_kill " + uuid))
    steps.append(cmd("a", "filter delete Unique-ID " + uuid))
    return flat(*steps)


def setup():
    return flat(login("a"), cmd("a", "event plain CHANNEL_ANSWER"), login("c"))


case("originate_var_lists_quoting",
     "originate with {} lists and quoting: single-quoted values with spaces and commas, a backslash-escaped "
     "comma, double quotes (kept), an empty value, a name without '=', a '^^:' delimiter list; each A leg's "
     "CHANNEL_ANSWER (variable_* in order) and uuid_getvar of the variables.",
     flat(setup(),
          answered(U(1501), "{origination_uuid=%s,oq_a='x y',oq_b='p,q',oq_c=r\\,s,oq_d=\"dq\",oq_e=,oq_f}"
                   "loopback/1000/default" % U(1501), names=["oq_a", "oq_b", "oq_c", "oq_d", "oq_e", "oq_f"]),
          answered(U(1502), "{^^:origination_uuid=%s:oq_g=1,2:oq_h='a:b'}loopback/1000/default" % U(1502),
                   names=["oq_g", "oq_h"]),
          bye("a"), bye("c")),
     **IN_KW)

case("originate_leg_vs_global",
     "originate with a [] per-leg list and a {} list naming the same variable: the channel gets the [] list "
     "first, then the {} list (which wins and comes last); with local_var_clobber=true the other way round; "
     "<> global list with {}; CHANNEL_ANSWER of each A leg and uuid_getvar.",
     flat(setup(),
          answered(U(1503), "{ol_x=global,ol_g=1}[origination_uuid=%s,ol_x=leg,ol_y=2]loopback/1000/default" % U(1503),
                   names=["ol_x", "ol_y", "ol_g"]),
          answered(U(1504), "{local_var_clobber=true,ol_x=global}[origination_uuid=%s,ol_x=leg]loopback/1000/default"
                   % U(1504), names=["ol_x"]),
          answered(U(1505), "<ol_z=angle>{origination_uuid=%s,ol_w=curly}loopback/1000/default" % U(1505),
                   names=["ol_z", "ol_w"]),
          bye("a"), bye("c")),
     **IN_KW)

case("originate_sequential_groups",
     "originate '[origination_uuid=<u1>]loopback/9199/default|[origination_uuid=<u2>,os_n=2]loopback/1000/default': "
     "the first group is refused (USER_BUSY), the second answers: the reply, the answered leg's CHANNEL_ANSWER "
     "and its variables; a [] list on a single leg with {} global caller id variables.",
     flat(setup(), cmd("a", "filter Unique-ID " + U(1506)),
          answered(U(1507), "[origination_uuid=%s]loopback/9199/default|[origination_uuid=%s,os_n=2]loopback/1000/default"
                   % (U(1506), U(1507)), names=["os_n"]),
          answered(U(1508), "{origination_caller_id_number=1234,origination_caller_id_name='Seq Test'}"
                   "[origination_uuid=%s,os_m=3]loopback/1000/default" % U(1508),
                   names=["os_m", "origination_caller_id_name"]),
          bye("a"), bye("c")),
     **IN_KW)

case("uuid_dump_formats",
     "uuid_dump of a parked A leg (with a variable holding spaces, '%' and a newline-free UTF-8 value) in the "
     "default (txt, URL-encoded), 'plain' (not encoded), 'json', 'xml' and an unknown format ('foo': txt); "
     "uuid_dump without arguments and of an unknown uuid.",
     flat(login("c"),
          cmd("c", "api originate {origination_uuid=%s,od_v='a b%%c'}loopback/1000/default &park" % U(1509), timeout=20),
          cmd("c", "api uuid_setvar %s od_u caf\u00e9" % U(1509)),
          cmd("c", "api uuid_dump %s" % U(1509)),
          cmd("c", "api uuid_dump %s plain" % U(1509)),
          cmd("c", "api uuid_dump %s json" % U(1509)),
          cmd("c", "api uuid_dump %s xml" % U(1509)),
          cmd("c", "api uuid_dump %s foo" % U(1509)),
          cmd("c", "api uuid_dump"),
          cmd("c", "api uuid_dump 00000000-0000-0000-0000-000000000000"),
          bye("c")),
     **IN_KW)
