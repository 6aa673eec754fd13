"""Conference cases (mod_conference): member levels and flags, floor, variables, listings,
inbound members and locking, members leaving by hang-up, dial/bgdial, play/stop, record.
Extensions: src/eslkit/switch/data/contexts/conference.xml (the oracle's
dialplan/conference.xml). Member IDs count on from earlier cases of the same run."""
from steps import (IN_KW, U, E, S, SL, bye, case, cmd, flat, login, originate, CASES)  # noqa: F401

MAINT = "CUSTOM conference::maintenance"
ACTION = lambda a: {"event": "CUSTOM", "ev_header": {"Action": a}}  # noqa: E731


def watch():
    return flat(login("a"), cmd("a", "event plain " + MAINT), login("c"))


def join(uuid, conf, dest="1000"):
    """an A leg joins ``conf``; collect its events until its add-member, then quiet"""
    return flat(originate("c", uuid, dest=dest, app="&conference(%s)" % conf),
                E("a", until=ACTION("add-member"), timeout=10), E("a", quiet=0.6))


def api(text, quiet=0.5):
    return flat(cmd("c", "api " + text), E("a", quiet=quiet))


def end(conf):
    return flat(cmd("c", "api conference %s hup all" % conf),
                E("a", until=ACTION("conference-destroy"), unordered=True, timeout=10), E("a", quiet=0.5),
                bye("a"), bye("c"))


case("conf_member_levels",
     "Two members in cc6a: energy (set, query, all up), volume_in/volume_out (set, up, negative), tmute twice, "
     "floor (held by another: error; release; take), dtmf, get-uuid, setvar/getvar, list delim, summary, "
     "count, json_list compact: every reply and maintenance event; then hup all.",
     flat(watch(), join(U(601), "cc6a"), join(U(602), "cc6a", dest="park"),
          api("conference cc6a energy last 500"), api("conference cc6a energy last"),
          api("conference cc6a energy all up"),
          api("conference cc6a volume_in last 2"), api("conference cc6a volume_out all -1"),
          api("conference cc6a volume_in last up"), api("conference cc6a volume_in last 9"),
          api("conference cc6a tmute last"), api("conference cc6a tmute last"),
          api("conference cc6a floor last"),
          api("conference cc6a list delim |"),
          api("conference cc6a dtmf last 12#"), api("conference cc6a dtmf last"),
          api("conference cc6a setvar cc_v one"), api("conference cc6a getvar cc_v"),
          api("conference cc6a getvar cc_none"),
          api("conference list summary"), api("conference count"), api("conference cc6a list summary"),
          api("conference cc6a json_list compact"),
          api("conference cc6a kick"), api("conference cc6a energy"),
          end("cc6a")),
     **IN_KW)

case("conf_floor_moves_on_hangup",
     "Three members in cc6c; the floor holder (the first) hangs up (uuid_kill): del-member, floor-change to none, "
     "then the conference gives the floor to the newest running member; 'floor' of a member when another holds it; "
     "the others hang up: destroy.",
     flat(watch(), join(U(611), "cc6c"), join(U(612), "cc6c", dest="park"), join(U(613), "cc6c"),
          cmd("c", "api uuid_kill " + U(611)),
          E("a", until=ACTION("floor-change"), until_count=2, timeout=10), E("a", quiet=0.6),
          api("conference cc6c list"),
          api("conference cc6c floor non_moderator"),
          cmd("c", "api uuid_kill " + U(613)), E("a", quiet=0.8),
          cmd("c", "api uuid_kill " + U(612)),
          E("a", until=ACTION("conference-destroy"), timeout=10), E("a", quiet=0.5),
          bye("a"), bye("c")),
     **IN_KW)

case("conf_inbound_locked",
     "An inbound leg (B leg of loopback/5001/conference) joins cc6b; an A leg joins; lock; a second inbound leg "
     "is refused (no add-member; its dialplan goes on: set cc6_after, park); unlock; the muted moderator of "
     "extension 5002 joins (flags{mute|moderator}): list and xml_list; kick non_moderator; hup all.",
     flat(watch(),
          cmd("c", "api originate {origination_uuid=%s}loopback/5001/conference &park" % U(621), timeout=20),
          E("a", until=ACTION("add-member"), timeout=10), E("a", quiet=0.6),
          join(U(622), "cc6b"),
          api("conference cc6b lock"),
          cmd("c", "api originate {origination_uuid=%s}loopback/5001/conference &park" % U(623), timeout=20),
          SL(0.5), E("a", quiet=0.5),
          api("conference cc6b list count"),
          api("conference cc6b unlock"),
          cmd("c", "api originate {origination_uuid=%s}loopback/5002/conference &park" % U(624), timeout=20),
          E("a", until=ACTION("add-member"), timeout=10), E("a", quiet=0.6),
          api("conference cc6b list"), api("conference cc6b xml_list"),
          cmd("c", "api conference cc6b kick non_moderator"),
          E("a", until=ACTION("del-member"), until_count=2, unordered=True, timeout=10), E("a", quiet=0.6),
          end("cc6b")),
     **IN_KW)

case("conf_dial_play_record",
     "conference cc6d dial into a conference that does not exist yet (created by the call), bgdial a second "
     "member; play of a 300 ms tone (play-file, play-file-done), play async of 5 s of silence then stop all; "
     "record to /tmp/cc6d.wav then norecord all; hup all.",
     flat(watch(),
          cmd("c", "api conference cc6d dial loopback/1000 1234 Alice", timeout=20),
          E("a", until=ACTION("add-member"), timeout=10), E("a", quiet=0.6),
          cmd("c", "api conference cc6d bgdial loopback/park 5678 Bob", timeout=20),
          E("a", until=ACTION("add-member"), timeout=10), E("a", quiet=0.6),
          api("conference cc6d list"),
          cmd("c", "api conference cc6d play tone_stream://%(300,0,440)"),
          E("a", until=ACTION("play-file-done"), timeout=10), E("a", quiet=0.5),
          api("conference cc6d play silence_stream://5000 async"),
          api("conference cc6d stop all", quiet=0.7),
          api("conference cc6d record /tmp/cc6d.wav", quiet=0.7),
          api("conference cc6d norecord all", quiet=0.7),
          api("conference cc6d play"),
          end("cc6d")),
     **IN_KW)

case("conf_talking",
     "The member A leg of loopback/5003/conference hears its B leg play 1 s of 440 Hz, 1.5 s of silence and "
     "0.6 s of tone: start-talking and stop-talking (with the talking-* statistics) twice; mute while "
     "silent; then hup all.",
     flat(watch(),
          cmd("c", "api originate {origination_uuid=%s}loopback/5003/conference &conference(cc6t)" % U(631), timeout=20),
          E("a", until=ACTION("stop-talking"), timeout=10),
          E("a", until=ACTION("stop-talking"), timeout=10), E("a", quiet=0.8),
          end("cc6t")),
     **IN_KW)

OTHER = ["vid-floor 1", "vid-layout 1x1", "vid-res-id 1 x", "vid-role-id 1 x", "vid-canvas 1 2",
         "vid-watching-canvas 1 1", "vid-banner 1 hi", "vid-mute-img 1 clear", "vid-logo-img 1 clear",
         "vid-codec-group 1 clear", "vid-write-png /tmp/cc6x.png", "vid-fps 15", "vid-res 640x480",
         "vid-fgimg clear", "vid-bgimg clear", "vid-bandwidth 1mb", "vid-personal on", "vid-flip last",
         "vid-border last", "clear-vid-floor", "vmute last", "unvmute last", "tvmute last", "tvmute last",
         "vblind last", "unvblind last", "tvblind last", "vmute-snap last", "vid-filter last x", "cam",
         "say hello", "say", "saymember last hi", "moh on", "moh", "hold last", "unhold last",
         "pin 1234", "nopin", "pin", "relate", "recording check", "chkrecord cc6x",
         "pause /tmp/cc6x.wav", "resume /tmp/cc6x.wav", "exit_sound off", "enter_sound on", "get count",
         "get", "set max_members 5", "set", "file-vol 1", "position last 1:1:1", "position",
         "auto-3d-position on", "play_status", "file_seek +1", "pause_play", "auto-energy last 100",
         "max-energy last 100", "agc last 100", "stop current last", "transfer"]

case("conf_other_commands",
     "The rest of mod_conference's command table on a one-member audio conference cc6x (no video, no TTS): "
     "the vid-* commands (those that do not crash FreeSWITCH without video: vid-layer and canvas-auto-clear "
     "do), vmute/vblind family, say/saymember, moh, hold/unhold, pin/nopin, relate, recording checks, "
     "exit/enter sounds, get/set, file-vol, position, play_status, file_seek, energy automation, stop for a "
     "member, and usages; every reply and maintenance event; then hup all.",
     flat(watch(), join(U(641), "cc6x"),
          *[cmd("c", "api conference cc6x " + c) for c in OTHER],
          SL(1.0), E("a", quiet=1.0, unordered=True),
          end("cc6x")),
     **IN_KW)

case("conf_transfer_member",
     "Two members in cc6y (14, 15), one in cc6z (16): 'transfer cc6z last' (IDs only), 'transfer cc6z 15' "
     "moves member 15 to cc6z, a missing member, 'cc6z transfer cc6n 16' to a conference that does not exist "
     "yet; the lists; every maintenance event; then hup all in each.",
     flat(watch(), join(U(651), "cc6y"), join(U(652), "cc6y", dest="park"), join(U(653), "cc6z"),
          cmd("c", "api conference cc6y transfer cc6z last"),
          cmd("c", "api conference cc6y transfer cc6z 15"),
          SL(0.5), E("a", quiet=0.8, unordered=True),
          cmd("c", "api conference cc6y list"),
          cmd("c", "api conference cc6y transfer cc6n 999"),
          cmd("c", "api conference cc6z transfer cc6n 16"),
          SL(0.5), E("a", quiet=0.8, unordered=True),
          cmd("c", "api conference cc6n list"),
          cmd("c", "api conference cc6z list"),
          cmd("c", "api conference cc6y list count"),
          SL(0.3), E("a", quiet=0.8, unordered=True),
          cmd("c", "api conference cc6y hup all"),
          E("a", until=ACTION("conference-destroy"), unordered=True, timeout=10), E("a", quiet=0.5),
          cmd("c", "api conference cc6z hup all"),
          E("a", until=ACTION("conference-destroy"), unordered=True, timeout=10), E("a", quiet=0.5),
          cmd("c", "api conference cc6n hup all"),
          E("a", until=ACTION("conference-destroy"), unordered=True, timeout=10), E("a", quiet=0.5),
          bye("a"), bye("c")),
     **IN_KW)
