"""Conferences and their members (mod_conference's ``conference_obj_t`` and
``conference_member_t``), without audio: what ESL applications observe of them."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from eslkit.fsutil import new_uuid

if TYPE_CHECKING:
    from eslkit.switch.channel import Channel
    from eslkit.switch.conference.media import FileNode, Recording
    from eslkit.switch.conference.profiles import Profile
    from eslkit.switch.core import Switch

__all__ = ["Conference", "Member"]


@dataclass(eq=False, slots=True)
class Member:
    """One member: a channel in a conference."""

    id: int
    channel: Channel
    conference: Conference
    join_time: float = field(default_factory=time.time)
    can_hear: bool = True
    can_speak: bool = True
    can_be_seen: bool = True
    talking: bool = False
    mute_detect: bool = False
    hold: bool = False
    moderator: bool = False
    ghost: bool = False
    end_conference: bool = False
    mandatory_member_end_conference: bool = False
    #: ``+flags{mintwo}``: the conference ends when fewer than two remain.
    mintwo: bool = False
    nomoh: bool = False
    energy_level: int = 100
    auto_energy_level: int = 0
    max_energy_level: int = 0
    agc_level: int = 0
    #: ``vblind``: the member sees no video.
    blind: bool = False
    volume_in: int = 0
    volume_out: int = 0
    #: Cleared by ``hup``/``kick`` (``MFLAG_RUNNING``): the member's loop then ends.
    running: bool = True
    kicked: bool = False
    #: Out of the member list for lookups while it is being removed (still counted).
    gone: bool = False
    #: Switch seconds the member's loop takes to notice ``running`` was cleared.
    leave_delay: float = 0.0
    last_talking: float = 0.0
    #: When the current talk spell started (time.monotonic), for stop-talking's statistics.
    talking_since: float = 0.0
    #: Waiting for its auto outcalls (the conference thread gives it no floor meanwhile).
    awaiting_outcalls: bool = False
    #: Files played to this member alone, in turn (``conference <name> play <file> <id>``).
    files: list[FileNode] = field(default_factory=list)
    #: ``relate``'s relationships to other members, newest first: [other id, RFLAG_* bits].
    relationships: list[list[int]] = field(default_factory=list)

    @property
    def has_floor(self) -> bool:
        return self.conference.floor_holder == self.id


@dataclass(eq=False, slots=True)
class Conference:
    """One conference."""

    name: str
    profile: Profile
    switch: Switch
    uuid: str = field(default_factory=new_uuid)
    run_time: float = field(default_factory=time.time)
    #: Newest first, as FreeSWITCH's member list (new members are put at its head).
    members: list[Member] = field(default_factory=list)
    floor_holder: int = 0
    locked: bool = False
    dynamic: bool = True
    running: bool = True
    destroyed: bool = False
    variables: dict[str, str] = field(default_factory=dict)
    recordings: list[Recording] = field(default_factory=list)
    pin: str = ""
    #: ``moderator-pin``: a pin that makes the caller a moderator.
    mpin: str = ""
    pin_retries: int = 3
    pin_sound: str = ""
    bad_pin_sound: str = ""
    max_members: int = 0
    #: The fewest members it may have once it had them (``min``; 2 with a mintwo member)
    #: and whether it reached that many (``CFLAG_ENFORCE_MIN``).
    min_members: int = 1
    enforce_min: bool = False
    #: ``CFLAG_DESTRUCT``: the conference thread ends it (hangs up who is left).
    destruct: bool = False
    caller_id_name: str = "conference"
    caller_id_number: str = "0000000000"
    sound_prefix: str = ""
    endconference_grace_time: int = 0
    #: Outcalls under way (``conference->originating``).
    originating: int = 0
    exit_sound: bool = True
    enter_sound: bool = True
    #: Files played in turn, and files played beside them (``play ... async``).
    files: list[FileNode] = field(default_factory=list)
    async_files: list[FileNode] = field(default_factory=list)
    #: Relationships set with ``relate`` and not cleared (``relationship_total``).
    relationship_total: int = 0

    @property
    def domain(self) -> str:
        return self.profile.domain

    @property
    def count(self) -> int:
        return sum(1 for m in self.members if not m.ghost)

    @property
    def count_ghosts(self) -> int:
        return sum(1 for m in self.members if m.ghost)

    def member(self, member_id: int) -> Member | None:
        for member in self.members:
            if member.id == member_id and not member.gone:
                return member
        return None

    def flag_names(self) -> list[str]:
        """The conference flags ``conference list`` prints, in its order."""
        names = []
        if self.locked:
            names.append("locked")
        names += ["running", "answered", "enforce_min"]
        if self.dynamic:
            names.append("dynamic")
        names += [k for k in ("exit_sound", "enter_sound") if getattr(self, k)]
        if self.recordings:
            names.append("recording")
        names.append("json_status")
        return names
