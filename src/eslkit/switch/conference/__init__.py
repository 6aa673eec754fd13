"""mod_conference in the simulated switch: conferences, members, their maintenance events and
the ``conference`` API, as ESL applications observe them (no audio is mixed).

One :class:`ConferenceManager` per switch (``switch.conferences``). The ``conference``
dialplan application (:mod:`eslkit.switch.apps.conference`) joins a channel; the ``conference``
API command (:mod:`eslkit.switch.apis.conference_commands`) lists and controls them.

Timing follows mod_conference's threads: a member's loop notices ``hup``/``kick`` on its next
20 ms frame, and the conference thread hands the floor to the first running member (newest
first) and destroys an empty dynamic conference on its next frame.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Iterator
from typing import TYPE_CHECKING

from eslkit.fsutil import c_atoi, switch_false
from eslkit.protocol.names import HangupCause
from eslkit.switch.conference import events
from eslkit.switch.conference.model import Conference, Member
from eslkit.switch.conference.profiles import (
    DEFAULT_PROFILE,
    Profile,
    builtin_profiles,
    profiles_from_config,
)

if TYPE_CHECKING:
    from eslkit.fsconfig.parser import XmlElement
    from eslkit.switch.channel import Channel
    from eslkit.switch.core import Switch

__all__ = ["FRAME", "Conference", "ConferenceManager", "Member", "Profile"]

#: One frame of the conference and member loops (the profile's interval, 20 ms).
FRAME = 0.02


class ConferenceManager:
    """The switch's conferences, profiles and member-ID counter."""

    def __init__(self, switch: Switch) -> None:
        self.switch = switch
        self.profiles: dict[str, Profile] = builtin_profiles()
        self.conferences: dict[str, Conference] = {}
        #: The next member ID: one counter for the whole switch, as FreeSWITCH's process-wide
        #: ``next_member_id()`` (tests that replay recordings set it).
        self.next_member_id = 1
        self._ticks: dict[Conference, asyncio.TimerHandle] = {}
        self._channel_ids: weakref.WeakKeyDictionary[Channel, int] = weakref.WeakKeyDictionary()
        #: ``conference_set_auto_outcall`` targets of each channel, newest first.
        self.autocalls: weakref.WeakKeyDictionary[Channel, list[str]] = weakref.WeakKeyDictionary()

    # ------------------------------------------------------------------ configuration
    def load_profiles(self, configuration: XmlElement | None) -> None:
        """Use the profiles of a ``conference.conf`` (replacing the built-in ones)."""
        profiles = profiles_from_config(configuration)
        if profiles:
            self.profiles = profiles

    def profile(self, name: str | None) -> Profile:
        """The named profile; an unknown name gets a profile of defaults, as FreeSWITCH."""
        key = name or DEFAULT_PROFILE
        profile = self.profiles.get(key)
        if profile is None:
            profile = Profile(key)
        if not profile.default_domain:
            profile.default_domain = self.switch.get_global("domain") or ""
        return profile

    # ------------------------------------------------------------------ lookup
    def find(self, name: str) -> Conference | None:
        """The running conference called ``name`` (case-insensitive, as FreeSWITCH's hash)."""
        conference = self.conferences.get(name.lower())
        if conference is None or conference.destroyed:
            return None
        return conference

    def __iter__(self) -> Iterator[Conference]:
        return iter([c for c in self.conferences.values() if not c.destroyed])

    # ------------------------------------------------------------------ lifecycle
    def create(self, name: str, profile: Profile, channel: Channel | None = None) -> Conference:
        """``conference_new``: a new dynamic conference (its settings from the profile; the
        sound prefix from the creating channel when the profile has none), and its
        conference-create event."""
        conference = Conference(name=name, profile=profile, switch=self.switch)
        conference.max_members = profile.max_members
        conference.pin = profile.text("pin")
        conference.mpin = profile.text("moderator-pin")
        conference.pin_retries = profile.pin_retries
        conference.pin_sound = profile.text("pin-sound")
        conference.bad_pin_sound = profile.text("bad-pin-sound")
        conference.caller_id_name = profile.text("caller-id-name", "conference")
        conference.caller_id_number = profile.text("caller-id-number", "0000000000")
        conference.endconference_grace_time = c_atoi(profile.text("endconf-grace-time", "0"))
        prefix = profile.text("sound-prefix")
        if not prefix and channel is not None:
            # (switch_channel_get_variable falls back to the global variables.)
            prefix = (
                channel.get_variable("sound_prefix") or self.switch.get_global("sound_prefix") or ""
            )
        conference.sound_prefix = prefix
        self.conferences[name.lower()] = conference
        events.fire(conference, "conference-create")
        return conference

    def add_member(
        self,
        conference: Conference,
        channel: Channel,
        member_id: int,
        flags: dict[str, bool] | None = None,
    ) -> Member:
        """``conference_member_add``: the channel variables, then add-member. ``flags`` are
        the member's attributes from ``+flags{...}`` (``can_speak``, ``moderator``...)."""
        member = Member(id=member_id, channel=channel, conference=conference)
        member.join_time = time.time()
        for attr, flag in (flags or {}).items():
            setattr(member, attr, flag)
        member.energy_level = conference.profile.energy_level
        for name, low, high, attr in (
            ("conference_join_volume_in", -5, 5, "volume_in"),
            ("conference_join_volume_out", -5, 5, "volume_out"),
            ("conference_join_energy_level", -2, 1801, "energy_level"),
        ):
            value = channel.variables.get(name)
            if value is not None:
                number = c_atoi(value)
                if low < number < high:
                    setattr(member, attr, number)
        conference.members.insert(0, member)
        if member.mintwo:
            conference.min_members = 2
        if conference.min_members and conference.count >= conference.min_members:
            conference.enforce_min = True
        channel.set_variable("conference_member_id", str(member.id))
        channel.set_variable("conference_moderator", "true" if member.moderator else "false")
        channel.set_variable("conference_ghost", "true" if member.ghost else "false")
        channel.set_variable("conference_uuid", conference.uuid)
        if channel.get_variable("conference_call_key") is None:
            caller = channel.caller_profile
            cid = caller.caller_id_number if caller is not None else None
            key = f"conference_{conference.name}_{conference.domain}_{cid or '(null)'}"
            channel.set_variable("conference_call_key", key)
        events.fire(conference, "add-member", member=member)
        self.schedule_tick(conference)
        return member

    def transfer(self, member: Member, target: str) -> None:
        """``conference <from> transfer <to> <id>``, as mod_conference does it: the member's
        channel is transferred to the inline dialplan ``conference:<to>@<profile>`` (a new
        caller profile), the transfer event fires, the member leaves on its next frame and
        the channel, routed again, joins ``<to>`` with the same member ID."""
        from eslkit.switch.ivr.transfer import session_transfer

        name, _, profile = target.partition("@")
        session_transfer(member.channel, f"conference:{name}@{profile or 'default'}", "inline", None)
        member.channel.set_variable("last_transfered_conference", name)
        events.fire(
            member.conference,
            "transfer",
            member=member,
            before=[
                ("Old-Conference-Name", member.conference.name),
                ("New-Conference-Name", target),
            ],
        )
        self.stop_members([member])
        member.leave_delay = FRAME

    def member_id_for(self, channel: Channel) -> int:
        """The channel's member ID: the one it had in an earlier conference (FreeSWITCH keeps
        it on the channel), else the next one."""
        known = self._channel_ids.get(channel)
        if known is None:
            known = self._channel_ids[channel] = self.next_member_id
            self.next_member_id += 1
        return known

    def del_member(self, member: Member) -> None:
        """``conference_member_del``: leave the list, release the floor, del-member."""
        from eslkit.switch.conference.media import close_member_files

        conference = member.conference
        # Unlinked first (so the floor-change cannot name it), counted until removed.
        member.gone = True
        if member.files:
            close_member_files(member)
        if conference.floor_holder == member.id:
            self.set_floor(conference, None)
        if member in conference.members:
            conference.members.remove(member)
        member.channel.set_variable("conference_call_key", None)
        # An endconf member ends it; so does falling below the minimum it once reached.
        remaining = conference.count + conference.count_ghosts
        if member.end_conference:
            conference.destruct = True
        if (conference.enforce_min and remaining < conference.min_members) or (
            conference.dynamic and remaining == 0
        ):
            conference.destruct = True
        events.fire(conference, "del-member", member=member)
        self.schedule_tick(conference)

    def set_floor(self, conference: Conference, member: Member | None) -> None:
        """``conference_member_set_floor_holder`` and its floor-change event: the
        conference's data, ``Action``, ``Old-ID`` (``none`` when the old holder has left),
        then the new holder's data and ``New-ID`` (or ``New-ID: none``)."""
        if member is not None and conference.floor_holder == member.id:
            return
        old = conference.floor_holder
        conference.floor_holder = member.id if member is not None else 0
        after = [("Old-ID", str(old) if old and conference.member(old) is not None else "none")]
        if member is not None:
            events.member_data(member, after)
            after.append(("New-ID", str(member.id)))
        else:
            after.append(("New-ID", "none"))
        events.fire(conference, "floor-change", after=after)

    # ------------------------------------------------------------------ the conference thread
    def schedule_tick(self, conference: Conference) -> None:
        """Run the conference thread's next frame (floor, destruction) in 20 ms."""
        if conference in self._ticks or conference.destroyed:
            return
        loop = asyncio.get_running_loop()
        delay = self.switch.clock.real_delay(FRAME)
        self._ticks[conference] = loop.call_later(delay, self._tick, conference)

    def _tick(self, conference: Conference) -> None:
        self._ticks.pop(conference, None)
        if conference.destroyed:
            return
        if not conference.members:
            from eslkit.switch.conference.media import end_recordings

            end_recordings(conference)
            if conference.dynamic or conference.destruct:
                self.destroy(conference)
            return
        if conference.destruct:
            self._end(conference)
            return
        if not conference.floor_holder:
            for member in conference.members:
                if member.running and not member.awaiting_outcalls:
                    self.set_floor(conference, member)
                    break

    def _end(self, conference: Conference) -> None:
        """The conference thread's loop is over (``CFLAG_DESTRUCT``): files stop, every
        member left is hung up (unless ``hangup_after_conference`` is false) and stops
        running; the conference is destroyed once they are all out."""
        from eslkit.switch.conference.media import stop_files

        if conference.files or conference.async_files:
            stop_files(conference, "all")
        for member in list(conference.members):
            channel = member.channel
            if not switch_false(channel.get_variable("hangup_after_conference")):
                channel.hangup(HangupCause.NORMAL_CLEARING)
            member.running = False
            member.leave_delay = FRAME / 2
            channel.poke()

    def destroy(self, conference: Conference) -> None:
        """The conference thread's end: conference-destroy, and it is gone."""
        if conference.destroyed:
            return
        conference.destroyed = True
        handle = self._ticks.pop(conference, None)
        if handle is not None:
            handle.cancel()
        for node in [*conference.files, *conference.async_files]:
            node.done = True
            if node.handle is not None:
                node.handle.cancel()
        if self.conferences.get(conference.name.lower()) is conference:
            del self.conferences[conference.name.lower()]
        events.fire(conference, "conference-destroy")

    def stop_members(self, members: list[Member], *, kicked: bool = False) -> None:
        """Clear the members' running flag (``hup``/``kick``). Each member's loop notices it
        on one of its next frames; as recorded, the oldest member leaves first, one frame
        apart."""
        for rank, member in enumerate(sorted(members, key=lambda m: m.id)):
            member.running = False
            member.kicked = member.kicked or kicked
            member.leave_delay = FRAME / 2 + rank * FRAME
            member.channel.poke()
