"""The ``conference`` API command (mod_conference's ``conf_api_main``), with FreeSWITCH's
outputs: list/count/xml_list/json_list, the member commands (mute, unmute, tmute, deaf,
undeaf, kick, hup, energy, volume_in, volume_out, floor, dtmf, get-uuid) with ``all``,
``last``, ``non_moderator`` and ``var=value`` targets, lock/unlock, getvar/setvar, dial/bgdial,
play/stop, record/norecord.

Commands of mod_conference's table that need video, audio mixing or text-to-speech answer
``-ERR <command> is not simulated by eslkit`` (docs/sim.md lists them).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from importlib import resources
from typing import TYPE_CHECKING

from eslkit.fsutil import c_atoi, new_uuid
from eslkit.protocol.urlcode import url_encode
from eslkit.switch.api import ApiCall
from eslkit.switch.apis import conference_more
from eslkit.switch.conference import events
from eslkit.switch.conference.cjson import cjson
from eslkit.switch.conference.model import Conference, Member
from eslkit.switch.expand import separate_string
from eslkit.switch.modules import Module

if TYPE_CHECKING:
    from eslkit.switch.conference import ConferenceManager

__all__ = ["module"]

module = Module("mod_conference")

_SYNTAX_TEXT = (
    resources.files("eslkit.switch").joinpath("data/conference_api_syntax.txt").read_text("utf-8")
)
#: mod_conference's command table as its usage text shows it: (command, syntax) per line.
SYNTAX: dict[str, str] = {}
for _line in _SYNTAX_TEXT.splitlines():
    _words = _line.removeprefix("<conf name> ").split(" ", 1)
    SYNTAX.setdefault(_words[0], _words[1] if len(_words) > 1 else "")

MemberCommand = Callable[["ConferenceManager", Member, str | None], str]


def _manager(call: ApiCall) -> ConferenceManager:
    return call.switch.conferences


# ----------------------------------------------------------------------------- member commands
def _mute(mgr: ConferenceManager, member: Member, data: str | None) -> str:
    member.can_speak = False
    member.talking = False
    events.fire(member.conference, "mute-member", member=member)
    return f"+OK mute {member.id}\n"


def _unmute(mgr: ConferenceManager, member: Member, data: str | None) -> str:
    member.can_speak = True
    events.fire(member.conference, "unmute-member", member=member)
    return f"+OK unmute {member.id}\n"


def _tmute(mgr: ConferenceManager, member: Member, data: str | None) -> str:
    return _mute(mgr, member, data) if member.can_speak else _unmute(mgr, member, data)


def _deaf(mgr: ConferenceManager, member: Member, data: str | None) -> str:
    member.can_hear = False
    events.fire(member.conference, "deaf-member", member=member)
    return f"+OK deaf {member.id}\n"


def _undeaf(mgr: ConferenceManager, member: Member, data: str | None) -> str:
    member.can_hear = True
    events.fire(member.conference, "undeaf-member", member=member)
    return f"+OK undeaf {member.id}\n"


def _hup(mgr: ConferenceManager, member: Member, data: str | None) -> str:
    mgr.stop_members([member])
    events.fire(member.conference, "hup-member", member=member)
    return f"+OK hup {member.id}\n"


def _kick(mgr: ConferenceManager, member: Member, data: str | None) -> str:
    mgr.stop_members([member], kicked=True)
    member.channel.interrupt()
    events.fire(member.conference, "kick-member", member=member)
    return f"+OK kicked {member.id}\n"


def _level(value: int, data: str, step: int, low: int, high: int) -> int:
    if data.lower() == "up":
        value += step
    elif data.lower() == "down":
        value -= step
    else:
        value = c_atoi(data)
    return max(low, min(high, value))


def _energy(mgr: ConferenceManager, member: Member, data: str | None) -> str:
    if data:
        if data.lower() in ("up", "down"):
            member.energy_level = _level(member.energy_level, data, 200, 0, 1800)
        else:
            member.energy_level = c_atoi(data)
        events.fire(
            member.conference,
            "energy-level-member",
            member=member,
            after=[("Energy-Level", str(member.energy_level))],
        )
    return f"Energy {member.id} = {member.energy_level}\n"


def _volume(direction: str) -> MemberCommand:
    attr = "volume_in" if direction == "in" else "volume_out"
    action = f"volume-{direction}-member"
    label = direction.upper()

    def command(mgr: ConferenceManager, member: Member, data: str | None) -> str:
        if data:
            setattr(member, attr, _level(getattr(member, attr), data, 1, -4, 4))
        text = f"+OK Volume {label} {member.id} = {getattr(member, attr)}\n"
        if data:
            events.fire(
                member.conference,
                action,
                member=member,
                after=[("Volume-Level", str(getattr(member, attr)))],
            )
        return text

    return command


def _floor(mgr: ConferenceManager, member: Member, data: str | None) -> str:
    conference = member.conference
    if conference.floor_holder == member.id:
        mgr.set_floor(conference, None)
        return "+OK floor none\n"
    if conference.floor_holder == 0:
        mgr.set_floor(conference, member)
        return f"+OK floor {member.id}\n"
    return f"-ERR floor is held by {conference.floor_holder}\n"


def _dtmf(mgr: ConferenceManager, member: Member, data: str | None) -> str:
    if not data:
        return "-ERR Invalid input!\n"
    events.fire(member.conference, "dtmf-member", member=member, after=[("Digits", data)])
    return f"+OK sent {data} to {member.id}\n"


def _get_uuid(mgr: ConferenceManager, member: Member, data: str | None) -> str:
    return member.channel.uuid


MEMBER_COMMANDS: dict[str, MemberCommand] = {
    "mute": _mute,
    "unmute": _unmute,
    "tmute": _tmute,
    "deaf": _deaf,
    "undeaf": _undeaf,
    "hup": _hup,
    "kick": _kick,
    "energy": _energy,
    "volume_in": _volume("in"),
    "volume_out": _volume("out"),
    "floor": _floor,
    "dtmf": _dtmf,
    "get-uuid": _get_uuid,
    **conference_more.MEMBER_COMMANDS,
}


def _member_target(call: ApiCall, conference: Conference, name: str, argv: list[str]) -> None:
    """``CONF_API_SUB_MEMBER_TARGET``: an id, ``all``, ``non_moderator``, ``last`` or
    ``var=value``; the command's usage without a target."""
    mgr = _manager(call)
    command = MEMBER_COMMANDS[name]
    target = argv[2] if len(argv) > 2 else None
    data = argv[3] if len(argv) > 3 else None
    member_id = c_atoi(target) if target else 0
    if target and not member_id and target.lower() in ("all", "non_moderator"):
        non_mod = target.lower() == "non_moderator"
        chosen = [m for m in conference.members if not (non_mod and m.moderator)]
        if name in ("hup", "kick"):
            # Every member is flagged first, so they leave one frame apart, oldest first.
            mgr.stop_members(chosen, kicked=name == "kick")
        for member in conference.members:
            if member in chosen:
                call.write(command(mgr, member, data))
            else:
                call.write(f"Skipping moderator (member id {member.id}).\n")
        return
    if target and not member_id and target.lower() == "last":
        if conference.members:
            oldest = max(conference.members, key=lambda m: m.id)
            call.write(command(mgr, oldest, data))
        return
    if member_id:
        found = conference.member(member_id)
        if found is None:
            call.write(f"-ERR Non-Existant ID {member_id}\n")
        else:
            call.write(command(mgr, found, data))
        return
    if target and "=" in target:
        var, _, value = target.partition("=")
        for member in conference.members:
            if member.channel.variables.get(var) == value:
                call.write(command(mgr, member, data))
                return
        call.write("-ERR Non-Existant member\n")
        return
    call.write(f"{name} {SYNTAX.get(name, '')}")


# ----------------------------------------------------------------------------- listings
def _list_members(conference: Conference, delim: str) -> str:
    lines = []
    for member in conference.members:
        profile = member.channel.caller_profile
        cid_name = profile.caller_id_name if profile else ""
        cid_number = profile.caller_id_number if profile else ""
        flags = []
        if not member.hold and member.can_hear:
            flags.append("hear")
        if not member.hold and member.can_speak:
            flags.append("speak")
        if not member.hold and member.talking:
            flags.append("talking")
        if member.hold:
            flags.append("hold")
        if member.has_floor:
            flags.append("floor")
        if member.moderator:
            flags.append("moderator")
        if member.ghost:
            flags.append("ghost")
        lines.append(
            delim.join(
                [str(member.id), member.channel.name, member.channel.uuid, cid_name, cid_number]
            )
            + delim
            + "|".join(flags)
            + f"{delim}{member.volume_in}{delim}{member.volume_out}{delim}{member.energy_level}\n"
        )
    return "".join(lines)


def _summary_line(conference: Conference) -> str:
    count = conference.count
    locked = " locked" if conference.locked else ""
    return (
        f"+OK Conference {conference.name} ({count} member{'' if count == 1 else 's'} "
        f"rate: {conference.profile.rate}{locked} flags: {'|'.join(conference.flag_names())})\n"
    )


def _list(call: ApiCall, conference: Conference | None, argv: list[str]) -> None:
    argofs = 1 if len(argv) >= 2 and argv[1].lower() == "list" else 0
    delim = ";"
    countonly = summary = False
    option = argv[1 + argofs] if len(argv) > 1 + argofs else None
    if option is not None:
        if option.lower() == "delim" and len(argv) > 2 + argofs:
            delim = argv[2 + argofs]
            if delim.startswith('"'):
                delim = delim[1:].split('"', 1)[0] or ";"
        elif option.lower() == "summary":
            summary = True
        elif option.lower() == "count":
            countonly = True
    if conference is None:
        found = False
        for conf in _manager(call):
            found = True
            call.write(_summary_line(conf))
            if not summary:
                call.write(_list_members(conf, delim))
        if not found:
            call.write("+OK No active conferences.\n")
        return
    if countonly:
        call.write(str(conference.count))
    else:
        call.write(_list_members(conference, delim))


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _xml_conference(conference: Conference, now: float) -> list[str]:
    attrs = [
        ("name", conference.name),
        ("member-count", str(conference.count)),
        ("ghost-count", str(conference.count_ghosts)),
        ("rate", str(conference.profile.rate)),
        ("uuid", conference.uuid),
    ]
    if conference.locked:
        attrs.append(("locked", "true"))
    attrs += [("running", "true"), ("answered", "true"), ("enforce_min", "true")]
    if conference.dynamic:
        attrs.append(("dynamic", "true"))
    attrs += [(k, "true") for k in ("exit_sound", "enter_sound") if getattr(conference, k)]
    if conference.recordings:
        attrs.append(("recording", "true"))
    attrs.append(("run_time", str(int(now - conference.run_time))))
    head = " ".join(f'{k}="{_xml_escape(v)}"' for k, v in attrs)
    out = [f"  <conference {head}>"]
    if conference.variables:
        out.append("    <variables>")
        for name, value in conference.variables.items():
            out.append(f'      <variable name="{_xml_escape(name)}" value="{_xml_escape(value)}"/>')
        out.append("    </variables>")
    else:
        out.append("    <variables></variables>")
    out.append("    <members>")
    for member in conference.members:
        profile = member.channel.caller_profile
        flags = [
            ("can_hear", member.can_hear and not member.hold),
            ("can_see", member.can_be_seen),
            ("can_speak", member.can_speak and not member.hold),
            ("mute_detect", member.mute_detect),
            ("talking", member.talking),
            ("hold", member.hold),
            ("has_video", False),
            ("video_bridge", False),
            ("has_floor", member.has_floor),
            ("is_moderator", member.moderator),
            ("end_conference", member.end_conference),
            ("mandatory_member_end_conference", member.mandatory_member_end_conference),
            ("is_ghost", member.ghost),
        ]
        out.append('      <member type="caller">')
        out.append(f"        <id>{member.id}</id>")
        out.append("        <flags>")
        out += [f"          <{k}>{'true' if v else 'false'}</{k}>" for k, v in flags]
        out.append("        </flags>")
        out.append(f"        <uuid>{member.channel.uuid}</uuid>")
        name = url_encode(profile.caller_id_name) if profile else ""
        number = url_encode(profile.caller_id_number) if profile else ""
        out.append(f"        <caller_id_name>{_xml_escape(name)}</caller_id_name>")
        out.append(f"        <caller_id_number>{_xml_escape(number)}</caller_id_number>")
        out.append(f"        <join_time>{int(now - member.join_time)}</join_time>")
        last = f"{int(now - member.last_talking)}" if member.last_talking else "N/A"
        out.append(f"        <last_talking>{last}</last_talking>")
        out.append(f"        <energy>{member.energy_level}</energy>")
        out.append(f"        <volume_in>{member.volume_in}</volume_in>")
        out.append(f"        <volume_out>{member.volume_out}</volume_out>")
        out.append(f"        <output-volume>{member.volume_out}</output-volume>")
        out.append("      </member>")
    out.append("    </members>")
    out.append("  </conference>")
    return out


def _xml_list(call: ApiCall, conference: Conference | None) -> None:
    now = time.time()
    conferences = [conference] if conference is not None else list(_manager(call))
    lines = ['<?xml version="1.0"?>', "<conferences>"]
    for conf in conferences:
        lines += _xml_conference(conf, now)
    lines.append("</conferences>")
    call.write("\n".join(lines) + "\n")


def _json_conference(conference: Conference, now: float) -> dict[str, object]:
    members = []
    for member in conference.members:
        profile = member.channel.caller_profile
        members.append(
            {
                "type": "caller",
                "id": member.id,
                "flags": {
                    "can_hear": member.can_hear and not member.hold,
                    "can_see": member.can_be_seen,
                    "can_speak": member.can_speak and not member.hold,
                    "hold": member.hold,
                    "mute_detect": member.mute_detect,
                    "talking": member.talking,
                    "has_video": False,
                    "video_bridge": False,
                    "has_floor": member.has_floor,
                    "is_moderator": member.moderator,
                    "end_conference": member.end_conference,
                    "mandatory_member_end_conference": member.mandatory_member_end_conference,
                    "pass_digits": False,
                },
                "uuid": member.channel.uuid,
                "caller_id_name": profile.caller_id_name if profile else "",
                "caller_id_number": profile.caller_id_number if profile else "",
                "join_time": int(now - member.join_time),
                "last_talking": int(now - member.last_talking) if member.last_talking else 0,
                "energy": member.energy_level,
                "volume_in": member.volume_in,
                "volume_out": member.volume_out,
                "output-volume": member.volume_out,
                "input-volume": member.volume_in,
            }
        )
    return {
        "conference_name": conference.name,
        "member_count": conference.count,
        "ghost_count": conference.count_ghosts,
        "rate": conference.profile.rate,
        "run_time": int(now - conference.run_time),
        "conference_uuid": conference.uuid,
        "canvas_count": 0,
        "max_bw_in": 0,
        "force_bw_in": 0,
        "video_floor_packets": 0,
        "locked": conference.locked,
        "destruct": False,
        "wait_mod": False,
        "audio_always": False,
        "running": True,
        "answered": True,
        "enforce_min": True,
        "bridge_to": False,
        "dynamic": conference.dynamic,
        "exit_sound": conference.exit_sound,
        "enter_sound": conference.enter_sound,
        "recording": bool(conference.recordings),
        "video_bridge": False,
        "video_floor_only": False,
        "video_rfc4579": False,
        "variables": dict(conference.variables),
        "members": members,
    }


def _json_list(call: ApiCall, conference: Conference | None, argv: list[str]) -> None:
    now = time.time()
    conferences = [conference] if conference is not None else list(_manager(call))
    compact = any(a.lower() == "compact" for a in argv[1:])
    call.write(cjson([_json_conference(c, now) for c in conferences], formatted=not compact))


# ----------------------------------------------------------------------------- the command
def _lock(call: ApiCall, conference: Conference, argv: list[str], lock: bool) -> None:
    conference.locked = lock
    call.write(f"+OK {argv[0]} {'locked' if lock else 'unlocked'}\n")
    events.fire(conference, "lock" if lock else "unlock")


_NOT_SIMULATED_NOTE = "is not simulated by eslkit"


@module.command("conference", "Conference module commands", "<conference_name> <command> [<args>]")
async def conference(call: ApiCall) -> None:
    """``conference`` with FreeSWITCH's outputs (see the module docstring)."""
    argv = separate_string(call.arg, " ", 25) if call.arg else []
    if not argv:
        call.write(_SYNTAX_TEXT)
        return
    mgr = _manager(call)
    conf = mgr.find(argv[0])
    if conf is None:
        first = argv[0].lower()
        if first == "list":
            _list(call, None, argv)
        elif first == "count":
            call.write(str(sum(1 for _ in mgr)))
        elif first == "xml_list":
            _xml_list(call, None)
        elif first == "json_list":
            _json_list(call, None, argv)
        elif first in ("help", "commands"):
            call.write("<conference_name> <command> [<args>]\n")
        elif len(argv) > 1 and argv[1].lower() in ("dial", "bgdial"):
            await _dial(call, None, argv)
        else:
            call.write(f"-ERR Conference {argv[0]} not found\n")
        return
    if len(argv) < 2:
        call.write("Conference command, not specified.\nTry 'help'\n")
        return
    name = argv[1].lower()
    if name in MEMBER_COMMANDS:
        _member_target(call, conf, name, argv)
    elif name == "list":
        _list(call, conf, argv)
    elif name == "count":
        call.write(str(conf.count))
    elif name == "xml_list":
        _xml_list(call, conf)
    elif name == "json_list":
        _json_list(call, conf, argv)
    elif name in ("lock", "unlock"):
        _lock(call, conf, argv, name == "lock")
    elif name == "getvar":
        call.write(conf.variables.get(argv[2], "") if len(argv) > 2 else "")
    elif name == "setvar":
        if len(argv) > 2:
            if len(argv) > 3 and argv[3]:
                conf.variables[argv[2]] = argv[3]
            else:
                conf.variables.pop(argv[2], None)
        call.write("+OK\n")
    elif name in ("dial", "bgdial"):
        await _dial(call, conf, argv)
    elif name == "play":
        _play(call, conf, argv)
    elif name == "stop":
        _stop(call, conf, argv)
    elif name == "record":
        _record(call, conf, argv)
    elif name == "norecord":
        _norecord(call, conf, argv)
    elif name in conference_more.CRASHES:
        call.write(
            f"-ERR {argv[1]} needs a video canvas, which eslkit does not simulate "
            "(FreeSWITCH without video crashes here)\n"
        )
    elif name in conference_more.CONFERENCE_COMMANDS:
        output, ok = conference_more.CONFERENCE_COMMANDS[name](conf, argv)
        call.write(output)
        if not ok:
            _usage(call, "pause" if name == "pause_play" else name)
    elif name in SYNTAX or name == "pause_play":
        call.write(f"-ERR {argv[1]} {_NOT_SIMULATED_NOTE}\n")
    else:
        call.write(f"-ERR Conference command '{argv[1]}' not found.\n")


def _usage(call: ApiCall, name: str) -> None:
    call.write(f"{name} {SYNTAX.get(name, '')}")


def _play(call: ApiCall, conference: Conference, argv: list[str]) -> None:
    """``play <file> [async]``, or ``play <file> <member> [nomux]`` to one member."""
    from eslkit.switch.conference.media import play, play_member

    args = list(argv)
    asynchronous = False
    if (len(args) == 4 and args[3].lower() == "async") or (
        len(args) == 5 and args[4].lower() == "async"
    ):
        args.pop()
        asynchronous = True
    if len(args) == 3:
        if play(conference, args[2], asynchronous):
            call.write(f"+OK (play) Playing file {args[2]}\n")
        else:
            call.write(f"-ERR (play) File: {args[2]} not found.\n")
        return
    if len(args) >= 4:
        member = _member_by_str(conference, args[3])
        if member is None:
            # (FreeSWITCH prints the id string's address with %u here.)
            call.write(f"-ERR Member: {args[3]} not found.\n")
            _usage(call, "play")
            return
        if member.kicked or not play_member(member, _member_path(conference, member, args[2])):
            call.write(f"-ERR (play) File: {args[2]} not found.\n")
            return
        call.write(f"+OK (play) Playing file {args[2]} to member {member.id}\n")
        events.fire(conference, "play-file-member", member=member, after=[("File", args[2])])
        return
    _usage(call, "play")


def _member_by_str(conference: Conference, text: str) -> Member | None:
    """``conference_member_get_by_str``: ``var=value`` or a member ID (``atoi``)."""
    if "=" in text:
        name, _, value = text.partition("=")
        for member in conference.members:
            if not member.gone and member.channel.get_variable(name) == value:
                return member
        return None
    number = c_atoi(text)
    return conference.member(number) if number else None


def _member_path(conference: Conference, member: Member, path: str) -> str:
    path = member.channel.expand(path)
    if "://" not in path and not path.startswith("/") and conference.sound_prefix:
        return f"{conference.sound_prefix}/{path}"
    return path


def _stop(call: ApiCall, conference: Conference, argv: list[str]) -> None:
    from eslkit.switch.conference.media import stop_files, stop_member_files

    which = argv[2].lower() if len(argv) > 2 else "current"
    if which not in ("current", "all", "async", "last"):
        which = "current"
    if len(argv) == 4:
        member = _member_by_str(conference, argv[3])
        if member is None:
            call.write(f"-ERR Member: {argv[3]} not found.\n")
        else:
            stopped = stop_member_files(member, which == "all")
            call.write(f"+OK Stopped {stopped} files.\n")
        return
    call.write(f"+OK Stopped {stop_files(conference, which)} files.\n")


def _record(call: ApiCall, conference: Conference, argv: list[str]) -> None:
    from eslkit.switch.conference.media import record

    if len(argv) <= 2:
        _usage(call, "record")
        return
    if record(conference, argv[2]) is None:
        call.write(f"-ERR file [{argv[2]}] is already being used for recording.\n")
        return
    call.write(f"+OK Record file {argv[2]}\n")


def _norecord(call: ApiCall, conference: Conference, argv: list[str]) -> None:
    from eslkit.switch.conference.media import stop_recordings

    if len(argv) <= 2:
        _usage(call, "norecord")
        return
    every = argv[2].lower() == "all"
    stopped = stop_recordings(conference, None if every else argv[2])
    if not stopped and not every:
        call.write(f"-ERR non-existant recording '{argv[2]}'\n")
    call.write(f"+OK Stopped recording {stopped} file{'' if stopped == 1 else 's'}\n")


def _cid(argv: list[str]) -> tuple[str | None, str | None]:
    return (argv[3] if len(argv) > 3 else None, argv[4] if len(argv) > 4 else None)


async def _dial(call: ApiCall, conference: Conference | None, argv: list[str]) -> None:
    """``dial``/``bgdial <endpoint>/<dest> [<cid number> [<cid name>]]``: a call whose
    answered leg joins the conference (which it creates if it does not exist yet)."""
    from eslkit.switch.conference.outcall import outcall, outcall_bg

    bg = argv[1].lower() == "bgdial"
    if len(argv) <= 2:
        call.write("-ERR Bad Args\n")
        return
    name = conference.name if conference is not None else argv[0]
    if not bg:
        cause, _uuid = await outcall(call.switch, name, argv[2], *_cid(argv))
        call.write(f"+OK Call Requested: result: [{cause}]\n")
        return
    job = new_uuid()
    outcall_bg(call.switch, name, argv[2], *_cid(argv), job=job)
    call.write(f"+OK Job-UUID: {job}\n")
