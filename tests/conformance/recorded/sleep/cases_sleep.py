"""The sleep application and digits (mod_dptools sleep_function, switch_ivr_sleep): without
sleep_eat_digits a queued digit ends the sleep and stays queued (no DTMF event); with it the
digits are read (DTMF events) and a playback_terminators digit (default *) ends it."""
from steps import (IN_KW, U, E, S, SL, bye, case, cmd, flat, login, CASES)  # noqa: F401

EV = "CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE DTMF"


def watch(uuid):
    """conn a watches the A leg; conn b catches its B leg's uuid as {{buuid}}."""
    return flat(login("a"), cmd("a", "filter Unique-ID " + uuid), cmd("a", "event plain " + EV),
                login("b"), cmd("b", "filter Channel-Name loopback/park-b"),
                cmd("b", "event plain CHANNEL_CREATE"), login("c"))


def bleg():
    return E("b", until={"event": "CHANNEL_CREATE"}, capture={"buuid": "Unique-ID"}, timeout=10)


case("sleep_reads_digits",
     "A leg of loopback/park runs sleep 1500; its B leg sends '12' (uuid_send_dtmf to the B leg): the first "
     "digit ends the sleep at once, unread (no DTMF event; the channel then hangs up).",
     flat(watch(U(701)),
          S("c", "bgapi originate {origination_uuid=%s}loopback/park/default &sleep(1500)\n\n" % U(701)),
          E("c", n=1), bleg(), SL(0.5),
          E("a", until={"event": "CHANNEL_EXECUTE", "ev_header": {"Application": "sleep"}}, timeout=10),
          cmd("c", "api uuid_send_dtmf {{buuid}} 12"),
          E("a", until={"event": "CHANNEL_EXECUTE_COMPLETE"}, timeout=10), E("a", quiet=0.5),
          cmd("c", "api uuid_kill " + U(701)), E("a", quiet=0.5),
          bye("a"), bye("b"), bye("c")),
     **IN_KW)

case("sleep_terminator",
     "With playback_terminators=2 (and no sleep_eat_digits) the sleep ends at the first digit too, unread.",
     flat(watch(U(702)),
          S("c", "bgapi originate {origination_uuid=%s,playback_terminators=2}loopback/park/default &sleep(5000)\n\n" % U(702)),
          E("c", n=1), bleg(), SL(0.5),
          E("a", until={"event": "CHANNEL_EXECUTE", "ev_header": {"Application": "sleep"}}, timeout=10),
          cmd("c", "api uuid_send_dtmf {{buuid}} 12"),
          E("a", until={"event": "CHANNEL_EXECUTE_COMPLETE"}, timeout=10), E("a", quiet=0.5),
          cmd("c", "api uuid_getvar %s playback_terminator_used" % U(702)),
          cmd("c", "api uuid_kill " + U(702)), E("a", quiet=0.5),
          bye("a"), bye("b"), bye("c")),
     **IN_KW)


for n, extra, desc in (
        (703, "sleep_eat_digits=true", "the digits are read (DTMF 1, DTMF 2) and the sleep runs to its end"),
        (704, "sleep_eat_digits=true,playback_terminators=2", "DTMF 1, DTMF 2, and the sleep ends at the 2"),
        (705, "sleep_eat_digits=true,playback_terminators=none", "both read, the sleep runs to its end")):
    case("sleep_eat_digits_%d" % n,
         "{%s} sleep 1500 on the A leg of loopback/park, its B leg sends '12': %s; then park; "
         "uuid_getvar playback_terminator_used." % (extra, desc),
         flat(watch(U(n)),
              S("c", "bgapi originate {origination_uuid=%s,%s}loopback/park/default &sleep(1500)\n\n" % (U(n), extra)),
              E("c", n=1), bleg(), SL(0.5),
              E("a", until={"event": "CHANNEL_EXECUTE", "ev_header": {"Application": "sleep"}}, timeout=10),
              cmd("c", "api uuid_send_dtmf {{buuid}} 12"),
              E("a", until={"event": "CHANNEL_EXECUTE_COMPLETE"}, timeout=10), E("a", quiet=0.5),
              bye("a"), bye("b"), bye("c")),
         **IN_KW)
