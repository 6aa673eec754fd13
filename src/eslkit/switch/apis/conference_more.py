"""The rest of mod_conference's command table on an audio-only conference, answered as the
reference FreeSWITCH (built without video or text-to-speech) answers them
(tests/conformance/recorded/conference/conf_other_commands): the video commands, the
video mute/blind family, hold, the energy automation, say, moh, pins, sounds, get/set...

Two of them crash FreeSWITCH when the conference has no video canvas (``vid-layer``,
``canvas-auto-clear``); eslkit answers them with an error instead (docs/deviations.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from eslkit.fsutil import c_atoi
from eslkit.switch.conference import events

if TYPE_CHECKING:
    from eslkit.switch.conference import ConferenceManager
    from eslkit.switch.conference.model import Conference, Member

__all__ = ["CONFERENCE_COMMANDS", "CRASHES", "MEMBER_COMMANDS"]

MemberCommand = Callable[["ConferenceManager", "Member", "str | None"], str]
#: A conference command: (conference, argv) -> (output, succeeded); a failure adds the usage.
ConferenceCommand = Callable[["Conference", "list[str]"], "tuple[str, bool]"]

NOT_MIXING = "-ERR Conference is not in mixing mode\n"

#: Commands that crash FreeSWITCH on a conference without a video canvas.
CRASHES = frozenset({"vid-layer", "canvas-auto-clear"})


def _reply(text: str) -> MemberCommand:
    def command(mgr: ConferenceManager, member: Member, data: str | None) -> str:
        return text.replace("{id}", str(member.id))

    return command


def _video_flag(kind: str, on: bool | None) -> MemberCommand:
    """vmute/unvmute/tvmute (the member is not seen: ``can_be_seen`` cleared) and
    vblind/unvblind/tvblind (the member sees nothing: ``blind``); t* toggles."""

    def command(mgr: ConferenceManager, member: Member, data: str | None) -> str:
        current = (not member.can_be_seen) if kind == "vmute" else member.blind
        turn_on = (not current) if on is None else on
        if kind == "vmute":
            member.can_be_seen = not turn_on
        else:
            member.blind = turn_on
        action = f"{'' if turn_on else 'un'}{kind}"
        events.fire(member.conference, f"{action}-member", member=member)
        return f"+OK {action} {member.id}\n"

    return command


def _hold(on: bool) -> MemberCommand:
    def command(mgr: ConferenceManager, member: Member, data: str | None) -> str:
        member.hold = on
        events.fire(member.conference, "hold-member" if on else "unhold-member", member=member)
        return f"+OK {'hold' if on else 'unhold'} {member.id}\n"

    return command


def _auto_energy(mgr: ConferenceManager, member: Member, data: str | None) -> str:
    if data:
        member.auto_energy_level = c_atoi(data)
        events.fire(
            member.conference,
            "auto-energy-level-member",
            member=member,
            after=[
                ("Auto-Energy-Level", str(member.auto_energy_level)),
                ("Energy-Level", str(member.energy_level)),
            ],
        )
    return f"{member.id} = Auto-Energy: {member.auto_energy_level} Energy: {member.energy_level}\n"


def _max_energy(mgr: ConferenceManager, member: Member, data: str | None) -> str:
    if data:
        member.max_energy_level = c_atoi(data)
        events.fire(
            member.conference,
            "max-energy-level-member",
            member=member,
            after=[
                ("Max-Energy-Level", str(member.max_energy_level)),
                ("Max-Energy-Mute", "0"),
                ("Max-Energy-Hit-Trigger", "5"),
                ("Energy-Level", str(member.energy_level)),
            ],
        )
    return (
        f"{member.id} = Max-Energy: {member.max_energy_level} Energy: {member.energy_level} "
        "Max-Energy-Mute: 0ms Max-Energy-Hit-Trigger 5\n"
    )


def _agc(mgr: ConferenceManager, member: Member, data: str | None) -> str:
    if data:
        member.agc_level = c_atoi(data)
        events.fire(
            member.conference,
            "agc-level-member",
            member=member,
            after=[("Agc-Level", str(member.agc_level))],
        )
    return f"Agc {member.id} = {member.agc_level}\n"


MEMBER_COMMANDS: dict[str, MemberCommand] = {
    "vid-flip": _reply("+OK flipped {id}\n"),
    "vid-border": _reply("-ERR No text supplied\n"),
    "vid-filter": _reply("+OK\n"),
    "vid-banner": _reply("+OK\n"),
    "vid-canvas": _reply("-ERR Invalid DATA\n"),
    "vid-watching-canvas": _reply("-ERR Invalid DATA\n"),
    "vid-floor": _reply(""),
    "vid-mute-img": _reply(""),
    "vid-logo-img": _reply(""),
    "vid-codec-group": _reply(""),
    "vid-role-id": _reply(""),
    "vmute-snap": _reply(NOT_MIXING),
    "position": _reply("-ERR not supported\n"),
    "vmute": _video_flag("vmute", True),
    "unvmute": _video_flag("vmute", False),
    "tvmute": _video_flag("vmute", None),
    "vblind": _video_flag("vblind", True),
    "unvblind": _video_flag("vblind", False),
    "tvblind": _video_flag("vblind", None),
    "hold": _hold(True),
    "unhold": _hold(False),
    "auto-energy": _auto_energy,
    "max-energy": _max_energy,
    "agc": _agc,
}


# ----------------------------------------------------------------------------- conference-wide
def _fixed(text: str, ok: bool = True) -> ConferenceCommand:
    return lambda conference, argv: (text, ok)


def _say(conference: Conference, argv: list[str]) -> tuple[str, bool]:
    if len(argv) < 3:
        return "-ERR (say) Error! No text.\n", False
    return "-ERR (say) Error!\n", False  # no text-to-speech engine


def _saymember(conference: Conference, argv: list[str]) -> tuple[str, bool]:
    if len(argv) < 4:
        return "-ERR (saymember) Error! No text.\n", False
    member = conference.member(c_atoi(argv[2]))
    if member is None:
        return f"-ERR (saymember) Unknown Member {argv[2]}!\n", False
    # (Spoken to the member alone; with no TTS engine nothing is heard.)
    text = member.channel.expand(" ".join(argv[3:]))
    events.fire(conference, "speak-text-member", member=member, after=[("Text", text)])
    return "+OK (saymember) OK\n", True


def _moh(conference: Conference, argv: list[str]) -> tuple[str, bool]:
    if len(argv) < 3:
        return "-ERR invalid moh param\n", True
    return "+OK moh\n", True


def _pin(conference: Conference, argv: list[str]) -> tuple[str, bool]:
    if argv[1].lower() == "nopin":
        conference.pin = ""
        return f"+OK Pin for conference {argv[0]} deleted\n", True
    if len(argv) < 3:
        return "-ERR Invalid parameters:\n", False
    conference.pin = argv[2]
    return f"+OK Pin for conference {argv[0]} set: {argv[2]}\n", True


#: conference_relationship_t flags.
_CAN_HEAR, _CAN_SPEAK, _CAN_SEND_VIDEO = 1, 2, 4


def _relate(conference: Conference, argv: list[str]) -> tuple[str, bool]:
    """``relate <id>[,<id>] <other>[,<other>] nospeak|nohear|sendvideo|clear``
    (conference_api_sub_relate); with only member ids it shows their relationships."""
    if len(argv) == 4:
        return "", False
    if len(argv) < 4:
        if not conference.relationship_total:
            return "+OK No relationships\n", True
        if len(argv) < 3:
            return "", True
        out = []
        for wanted in _id_list(argv[2]):
            for listed in conference.members:
                if wanted > 0 and listed.id != wanted:
                    continue
                for oid, flags in listed.relationships:
                    out.append(
                        f"{listed.id} -> {oid} {'SPEAK ' if flags & _CAN_SPEAK else 'NOSPEAK '}"
                        f"{'HEAR ' if flags & _CAN_HEAR else 'NOHEAR '}"
                        f"{'SENDVIDEO ' if flags & _CAN_SEND_VIDEO else 'NOSENDVIDEO '}\n"
                    )
        return "".join(out), True
    action = argv[4]
    nospeak, nohear, sendvideo = "nospeak" in action, "nohear" in action, "sendvideo" in action
    clear = action.lower() == "clear"
    if not (clear or nospeak or nohear or sendvideo):
        return "", False
    out = []
    for mid in _id_list(argv[2]):
        for oid in _id_list(argv[3]):
            member = conference.member(mid)
            if clear:
                if member is None:
                    out.append(f"-ERR relationship {mid}->{oid} not found.\n")
                else:
                    kept = [rel for rel in member.relationships if oid and rel[0] != oid]
                    conference.relationship_total -= len(member.relationships) - len(kept)
                    member.relationships = kept
                    out.append(f"+OK relationship {mid}->{oid} cleared.\n")
            if nospeak or nohear or sendvideo:
                other = conference.member(oid) if member is not None else None
                if member is None or other is None:
                    out.append(f"-ERR relationship {mid}->{oid} not found.\n")
                    continue
                rel = next((r for r in member.relationships if r[0] == oid), None)
                if rel is None:
                    if not oid:
                        out.append("-ERR error!\n")
                        continue
                    rel = [oid, 0]
                    member.relationships.insert(0, rel)
                    conference.relationship_total += 1
                rel[1] = _CAN_SPEAK | _CAN_HEAR
                if nospeak:
                    rel[1] &= ~_CAN_SPEAK
                    member.talking = False
                if nohear:
                    rel[1] &= ~_CAN_HEAR
                if sendvideo:
                    rel[1] |= _CAN_SEND_VIDEO
                out.append(f"+OK {mid}->{oid} {action} set\n")
    return "".join(out), True


def _id_list(text: str) -> list[int]:
    """A comma-separated member list, each as atoi reads it (at most 100, as FreeSWITCH)."""
    return [c_atoi(part) for part in text.split(",")[:100]]


def _check_record(conference: Conference, argv: list[str]) -> tuple[str, bool]:
    if not conference.recordings:
        return "-ERR Conference is not being recorded.\n", True
    return "".join(f"+OK Record file {r.path}\n" for r in conference.recordings), True


def _recording(conference: Conference, argv: list[str]) -> tuple[str, bool]:
    if len(argv) > 2 and argv[2].lower() == "check":
        return _check_record(conference, argv)
    return "", False


def _pauserec(conference: Conference, argv: list[str]) -> tuple[str, bool]:
    if len(argv) < 3:
        return "", False
    verb = "Pause" if argv[1].lower() == "pause" else "Resume"
    text = f"+OK {verb} recording file {argv[2]}\n"
    if not any(r.path == argv[2] for r in conference.recordings):
        text += f"-ERR non-existant recording '{argv[2]}'\n"
    return text, True


def _sound(kind: str) -> ConferenceCommand:
    def command(conference: Conference, argv: list[str]) -> tuple[str, bool]:
        if len(argv) < 3 or argv[2].lower() not in ("on", "off"):
            return "", False
        state = argv[2].lower()
        setattr(conference, f"{kind}_sound", state == "on")
        events.fire(conference, f"{kind}-sounds-{state}")
        return f"+OK {argv[0]} {kind} sounds {state} ()\n", True

    return command


def _get(conference: Conference, argv: list[str]) -> tuple[str, bool]:
    if len(argv) != 3:
        return "", False
    key = argv[2].lower()
    values = {
        "run_time": str(int(time.time() - conference.run_time)),
        "count": str(conference.count),
        "count_ghosts": str(conference.count_ghosts),
        "max_members": str(conference.max_members),
        "rate": str(conference.profile.rate),
        "profile_name": conference.profile.name,
        "sound_prefix": conference.sound_prefix or "(null)",
        "caller_id_name": conference.caller_id_name,
        "caller_id_number": conference.caller_id_number,
        "is_locked": "locked" if conference.locked else "",
        "endconference_grace_time": str(conference.endconference_grace_time),
        "uuid": conference.uuid,
        "wait_mod": "",
    }
    if key not in values:
        return "", False
    return values[key], True


def _set(conference: Conference, argv: list[str]) -> tuple[str, bool]:
    """``set <max_members|sound_prefix|caller_id_name|caller_id_number|
    endconference_grace_time> <value>``: the old value is the reply."""
    if len(argv) != 4 or not argv[3]:
        return "", False
    key, value = argv[2].lower(), argv[3]
    if key in ("max_members", "endconference_grace_time"):
        number = c_atoi(value)
        if number < 0:
            return "", False
        attr = "max_members" if key == "max_members" else "endconference_grace_time"
        old = getattr(conference, attr)
        setattr(conference, attr, number)
        return str(old), True
    if key in ("sound_prefix", "caller_id_name", "caller_id_number"):
        old_text = getattr(conference, key) or "(null)"
        setattr(conference, key, value)
        return old_text, True
    return "", False


def _file_vol(conference: Conference, argv: list[str]) -> tuple[str, bool]:
    if not conference.files:
        return "-ERR File not playing\n", False
    return f"+OK file {conference.files[0].path} volume {c_atoi(argv[2]) if len(argv) > 2 else 0}\n", True


def _play_status(conference: Conference, argv: list[str]) -> tuple[str, bool]:
    if not conference.files and not conference.async_files:
        return "-ERR Nothing is playing\n", True
    return "", True


def _vid_res_id(conference: Conference, argv: list[str]) -> tuple[str, bool]:
    member = conference.member(c_atoi(argv[2])) if len(argv) > 3 else None
    return ("", True) if member is not None else ("", False)


def _transfer(conference: Conference, argv: list[str]) -> tuple[str, bool]:
    """``transfer <conference> <member id> [...]``: member IDs only (not last/all)."""
    if len(argv) < 4:
        return "", False
    manager = conference.switch.conferences
    out = []
    for word in argv[3:]:
        member = conference.member(c_atoi(word))
        if member is None:
            out.append(f"-ERR No Member {word} in conference {conference.name}.\n")
            continue
        manager.transfer(member, argv[2])
        out.append(f"+OK Member '{member.id}' sent to conference {argv[2]}.\n")
    return "".join(out), True


CONFERENCE_COMMANDS: dict[str, ConferenceCommand] = {
    "transfer": _transfer,
    "vid-layout": _fixed(NOT_MIXING),
    "vid-write-png": _fixed(NOT_MIXING),
    "vid-fps": _fixed(NOT_MIXING),
    "vid-res": _fixed(NOT_MIXING),
    "cam": _fixed(NOT_MIXING),
    "vid-personal": _fixed("-ERR conference is not in mixing mode\n"),
    "vid-fgimg": _fixed("-ERR Invalid canvas\n"),
    "vid-bgimg": _fixed("-ERR Invalid canvas\n"),
    "vid-bandwidth": _fixed("-ERR Bandwidth not set\n"),
    "vid-res-id": _vid_res_id,
    "clear-vid-floor": _fixed("+OK floor Cleared\n"),
    "auto-3d-position": _fixed("-ERR not supported\n"),
    "say": _say,
    "saymember": _saymember,
    "moh": _moh,
    "pin": _pin,
    "nopin": _pin,
    "relate": _relate,
    "chkrecord": _check_record,
    "recording": _recording,
    "pause": _pauserec,
    "resume": _pauserec,
    "exit_sound": _sound("exit"),
    "enter_sound": _sound("enter"),
    "get": _get,
    "set": _set,
    "file-vol": _file_vol,
    "play_status": _play_status,
    "file_seek": _fixed(""),
    "pause_play": _fixed(""),
}
