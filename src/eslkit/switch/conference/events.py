"""``conference::maintenance`` events, with mod_conference's headers and calling sites."""

from __future__ import annotations

from typing import TYPE_CHECKING

from eslkit.protocol.event import Event
from eslkit.protocol.names import EventType
from eslkit.protocol.records import CallingSite
from eslkit.switch.channel_events import basic_data, event_set_data

if TYPE_CHECKING:
    from eslkit.switch.conference.model import Conference, Member

__all__ = ["MAINTENANCE", "SITES", "conference_data", "fire", "member_data"]

MAINTENANCE = "conference::maintenance"

#: Where mod_conference creates each action's event (``Event-Calling-*``), as recorded.
SITES: dict[str, CallingSite] = {
    "conference-create": CallingSite("mod_conference.c", "conference_new", 3848),
    "conference-destroy": CallingSite("mod_conference.c", "conference_thread_run", 863),
    "add-member": CallingSite("conference_member.c", "conference_member_add", 962),
    "del-member": CallingSite("conference_member.c", "conference_member_del", 1355),
    "floor-change": CallingSite("conference_member.c", "conference_member_set_floor_holder", 1158),
    "mute-member": CallingSite("conference_api.c", "conference_api_sub_mute", 339),
    "unmute-member": CallingSite("conference_api.c", "conference_api_sub_unmute", 492),
    "deaf-member": CallingSite("conference_api.c", "conference_api_sub_deaf", 797),
    "undeaf-member": CallingSite("conference_api.c", "conference_api_sub_undeaf", 839),
    "hup-member": CallingSite("conference_api.c", "conference_api_sub_hup", 871),
    "kick-member": CallingSite("conference_api.c", "conference_api_sub_kick", 902),
    "dtmf-member": CallingSite("conference_api.c", "conference_api_sub_dtmf", 1049),
    "energy-level-member": CallingSite("conference_api.c", "conference_api_sub_energy", 1228),
    "volume-in-member": CallingSite("conference_api.c", "conference_api_sub_volume_in", 1574),
    "volume-out-member": CallingSite("conference_api.c", "conference_api_sub_volume_out", 1609),
    "lock": CallingSite("conference_api.c", "conference_api_sub_lock", 3474),
    "unlock": CallingSite("conference_api.c", "conference_api_sub_unlock", 3496),
    "play-file": CallingSite("conference_api.c", "conference_api_sub_play", 2817),
    "play-file-done": CallingSite("conference_file.c", "conference_file_close", 52),
    "play-file-member": CallingSite("conference_api.c", "conference_api_sub_play", 2846),
    "play-file-member-done": CallingSite("conference_file.c", "conference_file_close", 52),
    "speak-text-member": CallingSite("conference_api.c", "conference_api_sub_saymember", 2944),
    "start-recording": CallingSite("conference_record.c", "conference_record_thread_run", 319),
    "stop-recording": CallingSite("conference_record.c", "conference_record_thread_run", 427),
    "start-talking": CallingSite("conference_loop.c", "conference_loop_input", 1154),
    "stop-talking": CallingSite("conference_loop.c", "stop_talking_handler", 783),
    "exit-sounds-on": CallingSite("conference_api.c", "conference_api_sub_exit_sound", 3520),
    "exit-sounds-off": CallingSite("conference_api.c", "conference_api_sub_exit_sound", 3528),
    "enter-sounds-on": CallingSite("conference_api.c", "conference_api_sub_enter_sound", 3571),
    "enter-sounds-off": CallingSite("conference_api.c", "conference_api_sub_enter_sound", 3579),
    "vmute-member": CallingSite("conference_api.c", "conference_api_sub_vmute", 617),
    "unvmute-member": CallingSite("conference_api.c", "conference_api_sub_unvmute", 687),
    "vblind-member": CallingSite("conference_api.c", "conference_api_sub_vblind", 720),
    "unvblind-member": CallingSite("conference_api.c", "conference_api_sub_unvblind", 769),
    "hold-member": CallingSite("conference_api.c", "conference_api_sub_hold", 440),
    "unhold-member": CallingSite("conference_api.c", "conference_api_sub_unhold", 389),
    "auto-energy-level-member": CallingSite("conference_api.c", "conference_api_sub_auto_energy", 1370),
    "max-energy-level-member": CallingSite("conference_api.c", "conference_api_sub_max_energy", 1442),
    "agc-level-member": CallingSite("conference_api.c", "conference_api_sub_agc", 1324),
    "transfer": CallingSite("conference_api.c", "conference_api_sub_transfer", 3704),
    "bgdial-result": CallingSite("mod_conference.c", "conference_outcall_run", 1708),
}


def conference_data(conference: Conference, out: list[tuple[str, str]]) -> None:
    """``conference_event_add_data``."""
    out.append(("Conference-Name", conference.name))
    out.append(("Conference-Domain", conference.domain))
    out.append(("Conference-Size", str(conference.count)))
    out.append(("Conference-Ghosts", str(conference.count_ghosts)))
    out.append(("Conference-Profile-Name", conference.profile.name))
    out.append(("Conference-Unique-ID", conference.uuid))
    out.extend(conference.variables.items())


def member_data(member: Member, out: list[tuple[str, str]]) -> None:
    """``conference_member_add_event_data``: the conference, Floor, the channel's basic data,
    then the member's flags and levels."""
    conference_data(member.conference, out)
    out.append(("Floor", "true" if member.has_floor else "false"))
    channel = member.channel
    if channel.switch.verbose_events or channel.verbose_events:
        scratch = Event([])
        event_set_data(channel, scratch, "CUSTOM")
        out.extend(scratch.headers)
    else:
        basic_data(channel, out)
    out.append(("Video", "false"))
    out.append(("Hear", "true" if member.can_hear else "false"))
    out.append(("See", "true" if member.can_be_seen else "false"))
    out.append(("Speak", "true" if member.can_speak else "false"))
    out.append(("Talking", "true" if member.talking else "false"))
    out.append(("Mute-Detect", "true" if member.mute_detect else "false"))
    out.append(("Hold", "true" if member.hold else "false"))
    out.append(("Member-ID", str(member.id)))
    out.append(("Member-Type", "moderator" if member.moderator else "member"))
    out.append(("Member-Ghost", "true" if member.ghost else "false"))
    out.append(("Energy-Level", str(member.energy_level)))
    out.append(("Current-Energy", "0"))


def fire(
    conference: Conference,
    action: str,
    *,
    member: Member | None = None,
    before: list[tuple[str, str]] | None = None,
    after: list[tuple[str, str]] | None = None,
) -> None:
    """Fire one maintenance event: the conference's (or the member's) data, any ``before``
    pairs, ``Action``, then ``after`` pairs."""
    switch = conference.switch
    event = switch.new_event(EventType.CUSTOM, SITES[action], MAINTENANCE)
    pairs: list[tuple[str, str]] = []
    if member is not None:
        member_data(member, pairs)
    else:
        conference_data(conference, pairs)
    if before:
        pairs.extend(before)
    pairs.append(("Action", action))
    if after:
        pairs.extend(after)
    event.extend_headers(pairs)
    switch.fire(event)
