"""Conference call flows as conferencing applications drive them over ESL (second set):
member flags at join, endconf/mintwo, kick/hup by member ID, transfer and the member's channel
events, member play/stop, levels by ID, get/set, pin by DTMF, max-members, auto outcall, dial.
Extensions 5011-5016 of src/eslkit/switch/data/contexts/conference.xml (the oracle's
dialplan/conference.xml) and the profile "c2" of src/eslkit/switch/data/conference.conf.xml
(the oracle's autoload_configs/conference.conf.xml). Member IDs are captured ({{m1}}...)."""
from steps import (IN_KW, U, E, S, SL, bye, case, cmd, flat, login, originate, CASES)  # noqa: F401

MAINT = "CUSTOM conference::maintenance"
ACTION = lambda a: {"event": "CUSTOM", "ev_header": {"Action": a}}  # noqa: E731
EXEC = {"event": "CHANNEL_EXECUTE"}
CHAN_EVENTS = "CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE CHANNEL_HANGUP"


def watch():
    return flat(login("a"), cmd("a", "event plain " + MAINT), login("c"))


def channels(*filters, events=CHAN_EVENTS):
    """conn b sees the channel events of the given (header, value) filters"""
    return flat(login("b"), *[cmd("b", "filter %s %s" % f) for f in filters], cmd("b", "event plain " + events))


def join(uuid, conf, dest="1000", var=None):
    """an A leg joins ``conf``; collect its events until its add-member, then quiet"""
    cap = {var: "Member-ID"} if var else None
    return flat(originate("c", uuid, dest=dest, app="&conference(%s)" % conf),
                E("a", until=ACTION("add-member"), timeout=10, capture=cap), E("a", quiet=0.6))


def join_in(uuid, dest, var=None):
    """an inbound leg (the B leg of loopback/DEST/conference) joins; until its add-member"""
    cap = {var: "Member-ID"} if var else None
    return flat(cmd("c", "api originate {origination_uuid=%s}loopback/%s/conference &park" % (uuid, dest), timeout=20),
                E("a", until=ACTION("add-member"), timeout=10, capture=cap), E("a", quiet=0.6))


def api(text, quiet=0.5):
    """an API command, then the maintenance events it caused (a short sleep first, so that
    an event fired just after the reply is not left to the next block)"""
    return flat(cmd("c", "api " + text), SL(0.2), E("a", quiet=quiet, unordered=True))


def quiet_b(t=0.6):
    return E("b", quiet=t)


def end(conf, conns=("a", "c")):
    return flat(cmd("c", "api conference %s hup all" % conf),
                E("a", until=ACTION("conference-destroy"), unordered=True, timeout=10), E("a", quiet=0.5),
                *[bye(c) for c in conns])


case("conf2_join_flags",
     "Members join c2a with flags at join: +flags{moderator}, +flags{mute|deaf}, +flags{ghost}, "
     "+flags{nomoh|mute-detect}: add-member headers (Member-Type, Hear/See/Speak/Talking/Mute-Detect), "
     "list, list count, count, xml_list; the member's channel variables (conference_member_id, conference_name, "
     "conference_moderator, conference_ghost); then hup of each member in turn.",
     flat(watch(),
          join(U(701), "c2a@default+flags{moderator}", var="m1"),
          join(U(702), "c2a@default+flags{mute|deaf}", dest="park", var="m2"),
          join(U(703), "c2a+flags{ghost}", var="m3"),
          join(U(704), "c2a@default+flags{nomoh|mute-detect}", dest="park", var="m4"),
          api("conference c2a list"), api("conference c2a list count"), api("conference c2a count"),
          api("conference c2a get count"), api("conference c2a get count_ghosts"),
          api("conference c2a xml_list"),
          *[api("uuid_getvar %s %s" % (U(u), v))
            for u in (701, 702, 703)
            for v in ("conference_member_id", "conference_name", "conference_moderator", "conference_ghost")],
          # one at a time: after 'hup all' the members' threads leave in a racy order
          api("conference c2a hup {{m4}}"), api("conference c2a hup {{m2}}"), api("conference c2a hup {{m3}}"),
          cmd("c", "api conference c2a hup {{m1}}"),
          E("a", until=ACTION("conference-destroy"), unordered=True, timeout=10), E("a", quiet=0.5),
          bye("a"), bye("c")),
     **IN_KW)

case("conf2_endconf_moderator",
     "Two plain members in c2e, then an inbound moderator with endconf (extension 5012: "
     "+flags{moderator|endconf}); the moderator hangs up (uuid_kill of its A leg): the conference ends for "
     "everyone: the maintenance events and the members' channel events (EXECUTE_COMPLETE of conference, hang-up).",
     flat(watch(), channels(("Unique-ID", U(711)), ("Unique-ID", U(712))),
          join(U(711), "c2e", var="m1"), join(U(712), "c2e", dest="park", var="m2"),
          join_in(U(713), "5012-c2e", var="m3"),
          quiet_b(0.3),
          api("conference c2e list"),
          cmd("c", "api uuid_kill " + U(713)), SL(0.3),
          E("a", until=ACTION("conference-destroy"), unordered=True, timeout=10), E("a", quiet=1.0),
          E("b", quiet=1.0),
          api("conference c2e list"),
          bye("a"), bye("b"), bye("c")),
     **IN_KW)

case("conf2_mintwo",
     "An inbound member with mintwo (extension 5013) is alone in c2m (it stays: list count); a second member "
     "joins; that one hangs up: the conference ends (count below two), the mintwo member leaves and its "
     "dialplan goes on (set c2_after, park): maintenance and its channel events.",
     flat(watch(), channels(("Channel-Name", "loopback/5013-c2m-b")),
          join_in(U(721), "5013-c2m", var="m1"),
          SL(1.0), E("a", quiet=0.5), api("conference c2m list count"),
          join(U(722), "c2m", var="m2"),
          quiet_b(0.3),
          cmd("c", "api uuid_kill " + U(722)), SL(0.3),
          E("a", until=ACTION("conference-destroy"), unordered=True, timeout=10), E("a", quiet=1.0),
          E("b", quiet=1.0),
          api("uuid_getvar %s c2_after" % U(721)),
          bye("a"), bye("b"), bye("c")),
     **IN_KW)

case("conf2_kick_hup_ids",
     "Three inbound members in c2k (extension 5011): 'kick <id>' of the first, 'hup <id>' of the second, "
     "'kick 999' and 'hup 999' (missing), 'hup last' of the third: replies, maintenance events and the "
     "members' channel events (EXECUTE_COMPLETE of conference, then their dialplan: set c2_after, park).",
     flat(watch(), channels(("Channel-Name", "loopback/5011-c2k-b")),
          join_in(U(731), "5011-c2k", var="m1"), join_in(U(732), "5011-c2k", var="m2"),
          join_in(U(733), "5011-c2k", var="m3"),
          quiet_b(0.3),
          cmd("c", "api conference c2k kick {{m1}}"), SL(0.3), E("a", quiet=0.8, unordered=True), quiet_b(0.5),
          cmd("c", "api conference c2k hup {{m2}}"), SL(0.3), E("a", quiet=0.8, unordered=True), quiet_b(0.5),
          api("conference c2k kick 999"), api("conference c2k hup 999"),
          api("conference c2k list"),
          cmd("c", "api conference c2k hup last"),
          E("a", until=ACTION("conference-destroy"), unordered=True, timeout=10), E("a", quiet=0.8),
          quiet_b(0.5),
          bye("a"), bye("b"), bye("c")),
     **IN_KW)

case("conf2_transfer_exec",
     "An A leg and an inbound member (5011) in c2t; 'transfer c2u <id>' of the inbound one, then of the A leg: "
     "their CHANNEL_EXECUTE/EXECUTE_COMPLETE (conference ends, the inline conference:c2u@default runs); "
     "the A leg's variables after it; 'kick' of the inbound member in c2u (its inline dialplan ends); hup all.",
     flat(watch(), channels(("Unique-ID", U(761)), ("Channel-Name", "loopback/5011-c2t-b")),
          join(U(761), "c2t", var="m1"), join_in(U(762), "5011-c2t", var="m2"),
          quiet_b(0.3),
          cmd("c", "api conference c2t transfer c2u {{m2}}"), SL(0.3), E("a", quiet=0.8, unordered=True), quiet_b(0.5),
          cmd("c", "api conference c2t transfer c2u {{m1}}"), SL(0.3), E("a", quiet=0.8, unordered=True), quiet_b(0.5),
          api("conference c2u list"),
          *[api("uuid_getvar %s %s" % (U(761), v))
            for v in ("conference_name", "conference_member_id", "last_transfered_conference")],
          cmd("c", "api conference c2u kick {{m2}}"), SL(0.3), E("a", quiet=0.8, unordered=True), quiet_b(0.8),
          end("c2u", conns=()),
          quiet_b(0.5),
          bye("a"), bye("b"), bye("c")),
     **IN_KW)

case("conf2_play_member",
     "Two members in c2f: 'play <tone> <id>' to one member (play-file-member, play-file-member-done), "
     "'play <5 s silence> <id>' then 'stop all <id>', 'stop current <id>' with nothing playing, a missing "
     "file to a member; 'say' and 'saymember' without TTS; then hup all.",
     flat(watch(), join(U(781), "c2f", var="m1"), join(U(782), "c2f", dest="park", var="m2"),
          cmd("c", "api conference c2f play tone_stream://%(300,0,440) {{m1}}"),
          E("a", until=ACTION("play-file-member-done"), timeout=10), E("a", quiet=0.5),
          api("conference c2f play silence_stream://5000 {{m2}}"),
          api("conference c2f stop all {{m2}}", quiet=0.7),
          api("conference c2f stop current {{m1}}"),
          api("conference c2f play /tmp/c2-no-such-file.wav {{m1}}"),
          api("conference c2f saymember {{m1}} hello"),
          api("conference c2f say hello"),
          end("c2f")),
     **IN_KW)

case("conf2_levels_by_id",
     "Two members in c2l: volume_in/volume_out/energy by member ID (set, query, up/down, out of range), "
     "mute/unmute/deaf/undeaf/tmute by ID, a missing ID; every reply and maintenance event; list; then hup all.",
     flat(watch(), join(U(791), "c2l", var="m1"), join(U(792), "c2l", dest="park", var="m2"),
          api("conference c2l volume_in {{m1}} 3"), api("conference c2l volume_in {{m1}}"),
          api("conference c2l volume_out {{m2}} -2"), api("conference c2l volume_out {{m2}} down"),
          api("conference c2l volume_out {{m2}}"),
          api("conference c2l energy {{m1}} 300"), api("conference c2l energy {{m1}}"),
          api("conference c2l energy {{m2}} down"),
          api("conference c2l volume_in 999 1"),
          api("conference c2l mute {{m1}}"), api("conference c2l unmute {{m1}}"),
          api("conference c2l deaf {{m2}}"), api("conference c2l undeaf {{m2}}"),
          api("conference c2l tmute {{m2}}"),
          api("conference c2l list"),
          end("c2l")),
     **IN_KW)

GETS = ["count", "count_ghosts", "max_members", "rate", "profile_name", "sound_prefix", "caller_id_name",
        "caller_id_number", "is_locked", "endconference_grace_time", "wait_mod", "nosuch"]

case("conf2_get_set",
     "One member in c2g (profile c2: max-members 3): 'get' of each parameter, 'set' of max_members (valid, "
     "1, negative), sound_prefix, caller_id_name, caller_id_number, endconference_grace_time and an unknown one, "
     "then the gets again; lock then get is_locked; then hup all.",
     flat(watch(), join(U(801), "c2g@c2", var="m1"),
          *[api("conference c2g get " + g, quiet=0.2) for g in GETS],
          api("conference c2g set max_members 5", quiet=0.2), api("conference c2g set max_members 1", quiet=0.2),
          api("conference c2g set max_members -3", quiet=0.2),
          api("conference c2g set sound_prefix /tmp/c2snd", quiet=0.2),
          api("conference c2g set caller_id_name C2Room", quiet=0.2),
          api("conference c2g set caller_id_number 5551212", quiet=0.2),
          api("conference c2g set endconference_grace_time 7", quiet=0.2),
          api("conference c2g set nosuch 1", quiet=0.2), api("conference c2g set max_members", quiet=0.2),
          api("conference c2g lock"),
          *[api("conference c2g get " + g, quiet=0.2) for g in GETS],
          end("c2g")),
     **IN_KW)

case("conf2_pin_dtmf",
     "c2p@c2 made by an A leg; an inbound caller of extension 5014 (c2p@c2+1234) is asked for the pin "
     "(pin-sound): it keys 9999 twice (bad-pin-sound between) and is refused after pin-retries 2, its "
     "dialplan goes on (set c2_after, park); a second caller keys 1234 and joins: channel events with DTMF, "
     "maintenance events; then hup all.",
     flat(watch(), channels(("Channel-Name", "loopback/5014-c2p-b"), events=CHAN_EVENTS + " DTMF"),
          join(U(741), "c2p@c2", var="m1"),
          cmd("c", "api originate {origination_uuid=%s}loopback/5014-c2p/conference &park" % U(742), timeout=20),
          E("b", until=EXEC, timeout=10), SL(1.2),
          cmd("c", "api uuid_send_dtmf %s 9999" % U(742)), SL(2.2),
          cmd("c", "api uuid_send_dtmf %s 9999" % U(742)), SL(1.5),
          E("b", quiet=0.8), E("a", quiet=0.3),
          api("conference c2p list count"),
          cmd("c", "api originate {origination_uuid=%s}loopback/5014-c2p/conference &park" % U(743), timeout=20),
          E("b", until=EXEC, timeout=10), SL(1.2),
          cmd("c", "api uuid_send_dtmf %s 1234" % U(743)),
          E("a", until=ACTION("add-member"), timeout=10), E("a", quiet=0.6), quiet_b(0.5),
          api("conference c2p list count"),
          end("c2p", conns=()), quiet_b(0.5),
          bye("a"), bye("b"), bye("c")),
     **IN_KW)

case("conf2_max_members",
     "Profile c2 (max-members 3): two A legs and an inbound member (5016) fill c2x; a fourth inbound caller "
     "is refused (its dialplan goes on), and so is an A leg (its call ends); 'get max_members'; then c2y made "
     "by an A leg with conference_max_members=2: a third member is refused; channel events; hup all.",
     flat(watch(), channels(("Channel-Name", "loopback/5016-c2x-b"), ("Unique-ID", U(815)), ("Unique-ID", U(818))),
          join(U(811), "c2x@c2"), join(U(812), "c2x@c2", dest="park"), join_in(U(813), "5016-c2x"),
          quiet_b(0.3),
          cmd("c", "api originate {origination_uuid=%s}loopback/5016-c2x/conference &park" % U(814), timeout=20),
          SL(0.8), E("a", quiet=0.3), quiet_b(0.5),
          cmd("c", "api originate {origination_uuid=%s}loopback/1000/default &conference(c2x@c2)" % U(815), timeout=20),
          SL(0.8), E("a", quiet=0.3), quiet_b(0.5),
          api("conference c2x list count"), api("conference c2x get max_members"),
          end("c2x", conns=()), quiet_b(0.5),
          originate("c", U(816), extra=",conference_max_members=2", app="&conference(c2y)"),
          E("a", until=ACTION("add-member"), timeout=10), E("a", quiet=0.6),
          join(U(817), "c2y", dest="park"),
          cmd("c", "api originate {origination_uuid=%s}loopback/1000/default &conference(c2y)" % U(818), timeout=20),
          SL(0.8), E("a", quiet=0.3), quiet_b(0.5),
          api("conference c2y get max_members"), api("conference c2y list count"),
          end("c2y", conns=()), quiet_b(0.5),
          bye("a"), bye("b"), bye("c")),
     **IN_KW)

case("conf2_auto_outcall",
     "An inbound caller of extension 5015 sets conference_auto_outcall_caller_id_name/number and two "
     "conference_set_auto_outcall targets (loopback/1000, loopback/park), then creates c2o: the conference "
     "calls both and they join, the caller waits for them then hears a beep (play-file-member-done); list; the outcalled channels' variables; then hup all.",
     flat(watch(), channels(("Channel-Name", "loopback/1000-a"), ("Channel-Name", "loopback/park-a"),
                            events="CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE"),
          cmd("c", "api originate {origination_uuid=%s}loopback/5015-c2o/conference &park" % U(821), timeout=20),
          E("a", until=ACTION("play-file-member-done"), unordered=True, timeout=15), E("a", quiet=1.0),
          quiet_b(0.5),
          api("conference c2o list count"), api("conference c2o list"),
          end("c2o", conns=()), quiet_b(0.8),
          bye("a"), bye("b"), bye("c")),
     **IN_KW)

case("conf2_dial_flags",
     "conference dial with per-call variables: '{conference_member_flags=mute}loopback/1000' creates "
     "c2d with a muted member; dial to a busy destination (error/user_busy) and to one that does not exist "
     "(loopback to a missing extension); bgdial with flags deaf; list; then hup all.",
     flat(watch(),
          cmd("c", "api conference c2d dial {conference_member_flags=mute}loopback/1000 1234 Alice", timeout=20),
          E("a", until=ACTION("add-member"), timeout=10), E("a", quiet=0.6),
          api("conference c2d dial error/user_busy 1235 Busy", quiet=0.8),
          api("conference c2d dial loopback/c2-no-such-ext 1236 Nobody", quiet=1.0),
          cmd("c", "api conference c2d bgdial {conference_member_flags=deaf}loopback/park 5678 Bob", timeout=20),
          E("a", until=ACTION("add-member"), timeout=10), E("a", quiet=0.6),
          api("conference c2d list"),
          end("c2d")),
     **IN_KW)

case("conf2b_join_only",
     "An A leg with +flags{join-only} when c2j does not exist: rejected-join-only (the channel's data, "
     "Conference-Name, Conference-Profile-Name) and the call ends; an A leg creates c2j; a join-only member "
     "then joins; list; then hup of each member in turn.",
     flat(watch(), channels(("Unique-ID", U(831))),
          originate("c", U(831), app="&conference(c2j+flags{join-only})"),
          SL(0.5), E("a", quiet=0.5), quiet_b(0.5),
          join(U(832), "c2j", var="m1"), join(U(833), "c2j+flags{join-only}", dest="park", var="m2"),
          api("conference c2j list"),
          api("conference c2j hup {{m2}}"),
          cmd("c", "api conference c2j hup {{m1}}"),
          E("a", until=ACTION("conference-destroy"), unordered=True, timeout=10), E("a", quiet=0.5),
          bye("a"), bye("b"), bye("c")),
     **IN_KW)

case("conf2b_moderator_pin",
     "c2q@c2 made by an A leg; an inbound caller of extension 5017 (conference_moderator_pin=4321, "
     "c2q@c2+1234) keys the moderator pin 4321 and joins as a moderator (Member-Type moderator); list; "
     "then hup of each member in turn.",
     flat(watch(), channels(("Channel-Name", "loopback/5017-c2q-b"), events=CHAN_EVENTS + " DTMF"),
          join(U(841), "c2q@c2", var="m1"),
          cmd("c", "api originate {origination_uuid=%s}loopback/5017-c2q/conference &park" % U(842), timeout=20),
          E("b", until=EXEC, timeout=10), SL(1.2),
          cmd("c", "api uuid_send_dtmf %s 4321" % U(842)),
          E("a", until=ACTION("add-member"), timeout=10, capture={"m2": "Member-ID"}), E("a", quiet=0.6),
          quiet_b(0.5),
          api("conference c2q list"),
          api("conference c2q hup {{m2}}"), quiet_b(0.5),
          cmd("c", "api conference c2q hup {{m1}}"),
          E("a", until=ACTION("conference-destroy"), unordered=True, timeout=10), E("a", quiet=0.5),
          bye("a"), bye("b"), bye("c")),
     **IN_KW)

case("conf2b_endconf_keep_channel",
     "c2h: an A leg with hangup_after_conference=false and an inbound member (5011) join; an endconf moderator "
     "A leg joins and is killed: the conference ends, the inbound member is hung up, the A leg with "
     "hangup_after_conference=false is not (its conference application ends, then its call: no more "
     "applications); channel events; maintenance events.",
     flat(watch(), channels(("Unique-ID", U(851)), ("Channel-Name", "loopback/5011-c2h-b")),
          originate("c", U(851), extra=",hangup_after_conference=false", app="&conference(c2h)"),
          E("a", until=ACTION("add-member"), timeout=10, capture={"m1": "Member-ID"}), E("a", quiet=0.6),
          join_in(U(852), "5011-c2h", var="m2"),
          join(U(853), "c2h@default+flags{moderator|endconf}", dest="park", var="m3"),
          quiet_b(0.3),
          cmd("c", "api uuid_kill " + U(853)), SL(0.3),
          E("a", until=ACTION("conference-destroy"), unordered=True, timeout=10), E("a", quiet=1.0),
          E("b", quiet=1.0),
          bye("a"), bye("b"), bye("c")),
     **IN_KW)
