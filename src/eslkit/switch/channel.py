"""A simulated channel: state machine, call state, caller profile, variables and queues.

A :class:`Channel` is the data and the synchronous operations of ``switch_channel_t`` plus
the per-session queues of ``switch_core_session_t``. The session's "thread" that drives it
through CS_INIT ... CS_DESTROY is an asyncio task in :mod:`eslkit.switch.execution`;
applications in :mod:`eslkit.switch.apps` act on the channel through the methods here.

Two states, as in FreeSWITCH: :attr:`Channel.state` is the state *asked for*
(``switch_channel_set_state``; ``Channel-State-Number``) and :attr:`Channel.running_state`
the state the session thread has *entered* (``Channel-State``). CHANNEL_STATE fires when
the running state changes.

Everything here runs on the switch's event loop; nothing blocks. Every wait has a timeout,
every queue a bound.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, fields
from enum import Enum, IntEnum, StrEnum
from typing import TYPE_CHECKING

from eslkit.fsutil import new_uuid
from eslkit.protocol.event import Event
from eslkit.protocol.names import ChannelState, EventType, HangupCause
from eslkit.protocol.records import CallingSite
from eslkit.switch.execute_on import run_hooks
from eslkit.switch.expand import expand_variables

if TYPE_CHECKING:
    from eslkit.switch.core import Switch
    from eslkit.switch.ivr.dmachine import DigitMachine

__all__ = [
    "MAX_DTMF_QUEUE",
    "MAX_PRIVATE_MESSAGES",
    "MAX_SESSION_EVENTS",
    "MAX_VARIABLES",
    "CallState",
    "CallerProfile",
    "Channel",
    "ChannelChange",
    "Codec",
    "Direction",
    "Dtmf",
    "ProfileTimes",
    "SessionEvent",
]

MAX_PRIVATE_MESSAGES = 1000
"""Bound on a channel's private (sendmsg) queue; FreeSWITCH's is 1000 too."""
MAX_SESSION_EVENTS = 1000
"""Bound on a channel's session event queue (sendevent to a session)."""
MAX_DTMF_QUEUE = 128
"""Bound on queued DTMF digits (FreeSWITCH's ``SWITCH_DTMF_LOG_LEN``-ish size)."""
MAX_VARIABLES = 10_000
"""Bound on channel variables."""


class CallState(IntEnum):
    """``switch_channel_callstate_t`` (``Channel-Call-State``)."""

    DOWN = 0
    DIALING = 1
    RINGING = 2
    EARLY = 3
    ACTIVE = 4
    HELD = 5
    RING_WAIT = 6
    HANGUP = 7
    UNHELD = 8


class Direction(StrEnum):
    """``Call-Direction``."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"


class ChannelChange(Enum):
    """What changed, for :meth:`Channel.add_listener` callbacks."""

    STATE = "state"  # running state entered (CHANNEL_STATE)
    CALLSTATE = "callstate"
    PROGRESS = "progress"  # ring_ready / pre_answer
    ANSWER = "answer"
    HANGUP = "hangup"  # hangup() accepted: cause set, CS_HANGUP asked
    REPORTING = "reporting"  # CS_REPORTING done: CHANNEL_HANGUP_COMPLETE is next
    DESTROY = "destroy"  # CS_DESTROY reached; the channel is gone


@dataclass(slots=True)
class Codec:
    """A read or write codec as the channel events report it."""

    name: str = "L16"
    rate: int = 8000
    bit_rate: int = 128000


@dataclass(slots=True)
class ProfileTimes:
    """``switch_channel_timetable_t``: microseconds since the epoch, 0 when not reached."""

    profile_created: int = 0
    created: int = 0
    answered: int = 0
    progress: int = 0
    progress_media: int = 0
    hungup: int = 0
    transferred: int = 0
    resurrected: int = 0
    bridged: int = 0
    last_hold: int = 0
    hold_accum: int = 0
    #: Bumped on every change, so event builders can reuse what they made from it.
    _version: int = field(default=0, compare=False, repr=False)

    def __setattr__(self, name: str, value: object) -> None:
        object.__setattr__(self, name, value)
        if name != "_version":
            object.__setattr__(self, "_version", getattr(self, "_version", 0) + 1)


@dataclass(slots=True)
class CallerProfile:
    """``switch_caller_profile_t``: who calls whom; ``Caller-*`` / ``Other-Leg-*`` headers."""

    direction: Direction = Direction.INBOUND
    logical_direction: Direction = Direction.INBOUND
    username: str = ""
    dialplan: str = ""
    caller_id_name: str = ""
    caller_id_number: str = ""
    orig_caller_id_name: str = ""
    orig_caller_id_number: str = ""
    callee_id_name: str = ""
    callee_id_number: str = ""
    network_addr: str = ""
    ani: str = ""
    aniii: str = ""
    destination_number: str = ""
    uuid: str = ""
    source: str = ""
    transfer_source: str = ""
    context: str = ""
    rdnis: str = ""
    chan_name: str = ""
    profile_index: str = "1"
    times: ProfileTimes = field(default_factory=ProfileTimes)
    screen_bit: bool = True
    privacy_hide_name: bool = False
    privacy_hide_number: bool = False
    #: Snapshots of the other leg's profile (``Other-Leg-*``), kept on this profile as
    #: FreeSWITCH keeps them: a new profile (transfer) starts without them.
    _originator: CallerProfile | None = field(default=None, compare=False, repr=False)
    _originatee: CallerProfile | None = field(default=None, compare=False, repr=False)
    #: Bumped on every change (see ProfileTimes._version); and the header cache it keys.
    _version: int = field(default=0, compare=False, repr=False)
    _headers: dict[str, tuple[tuple[int, int], list[tuple[str, str]]]] | None = field(
        default=None, compare=False, repr=False
    )

    def __setattr__(self, name: str, value: object) -> None:
        object.__setattr__(self, name, value)
        if name != "_version" and name != "_headers":
            object.__setattr__(self, "_version", getattr(self, "_version", 0) + 1)

    def field(self, name: str) -> str | None:
        """``switch_caller_get_field_by_name`` for the dialplan (``None`` when unknown)."""
        if name in _PROFILE_FIELDS:
            value = getattr(self, name)
            return value.value if isinstance(value, Direction) else str(value)
        return None

    def clone(self) -> CallerProfile:
        """An independent copy (``switch_caller_profile_clone``)."""
        copy = CallerProfile(
            **{f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}
        )
        copy.times = ProfileTimes(
            **{
                f.name: getattr(self.times, f.name)
                for f in fields(self.times)
                if not f.name.startswith("_")
            }
        )
        return copy

    def snapshot(self) -> CallerProfile:
        """The copy ``switch_caller_profile_clone`` makes for the other leg's
        ``Other-Leg-*``: the fields it copies (not the logical direction, which reads
        inbound, nor the profile index or transfer source) and the timetable as it is now."""
        copy = self.clone()
        copy.logical_direction = Direction.INBOUND
        copy.profile_index = ""
        copy.transfer_source = ""
        return copy

    @property
    def originator(self) -> CallerProfile | None:
        """The originator's profile snapshot (``Other-Type: originator``), if any."""
        return self._originator

    @property
    def originatee(self) -> CallerProfile | None:
        """The originatee's profile snapshot (``Other-Type: originatee``), if any."""
        return self._originatee


_PROFILE_FIELDS = frozenset(
    f.name
    for f in fields(CallerProfile)
    if f.name not in ("times", "screen_bit", "privacy_hide_name", "privacy_hide_number")
    and not f.name.startswith("_")
)


@dataclass(frozen=True, slots=True)
class Dtmf:
    """One DTMF digit with its duration in samples (8 kHz), as FreeSWITCH counts it, and
    where it came from (``DTMF-Source``)."""

    digit: str
    duration: int = 2000
    source: str = "UNKNOWN"


@dataclass(frozen=True, slots=True)
class SessionEvent:
    """An event queued to a session (``switch_core_session_queue_event``): the event keeps
    its type and subclass, which decide its channel data and who receives it when fired."""

    event: Event
    event_type: EventType = EventType.CUSTOM
    subclass: str | None = None


ChangeListener = Callable[["Channel", ChannelChange], None]

# The sites FreeSWITCH's channel log lines name when the caller is not known.
_CALLSTATE_SITE = CallingSite("switch_channel.c", "switch_channel_perform_set_callstate", 296)
_CALLSTATE_SITES = {
    CallState.ACTIVE: CallingSite("switch_channel.c", "switch_channel_perform_mark_answered", 3914),
    CallState.EARLY: CallingSite("switch_channel.c", "switch_channel_perform_mark_pre_answered", 3587),
    CallState.RINGING: CallingSite("switch_channel.c", "switch_channel_perform_mark_ring_ready_value", 3515),
    CallState.HANGUP: CallingSite("switch_core_state_machine.c", "switch_core_session_hangup_state", 844),
}
_RUNNING_RINGING_SITE = CallingSite("switch_channel.c", "switch_channel_perform_set_running_state", 2400)
_RUNNING_ACTIVE_SITE = CallingSite("switch_channel.c", "switch_channel_perform_set_running_state", 2402)
_RUNNING_EARLY_SITE = CallingSite("switch_channel.c", "switch_channel_perform_set_running_state", 2404)
_ANSWERED_SITE = CallingSite("switch_channel.c", "switch_channel_perform_mark_answered", 3885)
_HANGUP_SITE = CallingSite("switch_channel.c", "switch_channel_perform_hangup", 3426)
_RECV_DTMF_SITE = CallingSite("switch_channel.c", "switch_channel_queue_dtmf", 529)
_DTMF_DIGITS = frozenset("0123456789*#ABCDabcdwWF")


class Channel:
    """One simulated channel (``switch_core_session_t`` + ``switch_channel_t``).

    Create channels through the session manager (``switch.sessions.create_channel``), which
    registers them and starts their session task. Attributes meant for reading:

    - ``uuid``, ``name``, ``direction``, ``state``, ``running_state``, ``call_state``;
    - ``caller_profile``, ``other`` (the other leg, if any) and ``other_type``;
    - ``hangup_cause`` (None until hung up), ``answered``, ``early_media``;
    - ``current_application`` / ``current_application_data`` while an app runs;
    - ``flags``: a free set of names (``"CF_PARK"``, ``"outbound_socket"`` ...).
    """

    __slots__ = (
        "__weakref__",
        "_break_event",
        "_dtmf",
        "_dtmf_waiters",
        "_listeners",
        "_private",
        "_session_events",
        "_wake",
        "answered",
        "before_answer",
        "call_state",
        "caller_profile",
        "created_us",
        "current_application",
        "current_application_data",
        "direction",
        "dmachines",
        "early_media",
        "endpoint",
        "endpoint_state",
        "event_diverter",
        "external_id",
        "far_end_talking",
        "flags",
        "hangup_cause",
        "hit_dialplan",
        "hunt_profile",
        "last_profile_type",
        "loglevel",
        "media_bugs",
        "name",
        "other",
        "other_type",
        "plan",
        "presence_count",
        "presence_data",
        "presence_id",
        "read_codec",
        "running_state",
        "session_id",
        "soft_execute",
        "state",
        "switch",
        "uuid",
        "variables",
        "verbose_events",
        "write_codec",
    )

    def __init__(
        self,
        switch: Switch,
        *,
        name: str,
        direction: Direction,
        uuid: str | None = None,
        profile: CallerProfile | None = None,
        endpoint: str = "",
    ) -> None:
        self.switch = switch
        self.uuid: str = uuid or new_uuid()
        self.name = name
        self.direction = direction
        self.endpoint = endpoint
        self.state = ChannelState.CS_NEW
        self.running_state = ChannelState.CS_NONE
        self.call_state = CallState.DOWN
        self.answered = False
        self.early_media = False
        self.hit_dialplan = direction is Direction.INBOUND
        #: The far end is speaking (a sim/ script's ``talk`` step); conferences detect it.
        self.far_end_talking = False
        #: ``bind_digit_action``'s digit machines (self, peer), None without bindings.
        self.dmachines: list[DigitMachine | None] | None = None
        self.hangup_cause: HangupCause | None = None
        self.caller_profile: CallerProfile | None = profile
        #: ``execute_extension``'s profile while it runs (``switch_channel_set_hunt_caller_
        #: profile``): fields and ``${...}`` read it, events keep ``caller_profile``.
        self.hunt_profile: CallerProfile | None = None
        self.other: Channel | None = None
        self.other_type = ""
        #: Which snapshot of the profile ``Other-Leg-*`` shows (``last_profile_type``).
        self.last_profile_type = ""
        self.external_id = ""
        self.presence_id = ""
        self.presence_data = ""
        self.read_codec: Codec | None = None
        self.write_codec: Codec | None = None
        self.variables: dict[str, str] = {}
        self.verbose_events = False
        self.flags: set[str] = set()
        self.current_application = ""
        self.current_application_data = ""
        self.session_id = 0
        #: What the session task runs when it enters CS_SOFT_EXECUTE, once (a state handler
        #: such as uuid_bridge's ``uuid_bridge_on_soft_execute``); None: it just waits.
        self.soft_execute: Callable[[], Awaitable[None]] | None = None
        #: The session's own log level (``uuid_loglevel``): raises the core's level for
        #: this session's SESSION-channel lines.
        self.loglevel = 0
        #: The endpoint's own per-channel data (e.g. the loopback peer).
        self.endpoint_state: object = None
        #: Called with each queued session event before the park loop fires it; returning
        #: True consumes it (``divert_events on``). Set by the event socket's session side.
        self.event_diverter: Callable[[Event], bool] | None = None
        #: Media bugs without a home of their own (e.g. ``inband_dtmf``), by function name.
        self.media_bugs: set[str] = set()
        #: PRESENCE_IN events fired for this channel (their ``event_count``).
        self.presence_count = 0
        #: What CS_EXECUTE runs: (application, data) pairs; set by the dialplan hunt or
        #: by originate's ``&app(args)``.
        self.plan: list[tuple[str, str]] = []
        #: Endpoint hook run by :meth:`answer`/:meth:`pre_answer` (and :meth:`ring_ready` of an
        #: inbound channel) before the channel marks itself (loopback signals its peer first);
        #: gets the channel and "answer"/"pre_answer"/"ring_ready".
        self.before_answer: Callable[[Channel, str], None] | None = None
        self.created_us = switch.clock.wall_us()
        self._listeners: list[ChangeListener] = []
        self._wake: asyncio.Event | None = None
        self._private: deque[Event] = deque()
        self._session_events: deque[SessionEvent] = deque()
        self._dtmf: deque[Dtmf] = deque()
        self._dtmf_waiters: list[asyncio.Future[None]] = []
        self._break_event: asyncio.Event | None = None

    def __repr__(self) -> str:
        return f"<Channel {self.name} {self.uuid} {self.running_state.name}>"

    # ------------------------------------------------------------------ variables
    def get_variable(self, name: str) -> str | None:
        """``switch_channel_get_variable``: the channel variable, else None (no globals)."""
        return self.variables.get(name)

    def set_variable(self, name: str, value: str | None) -> None:
        """``switch_channel_set_variable``: None or ``""`` unsets; a set moves it to the end
        (the order ``variable_*`` headers appear in)."""
        variables = self.variables
        variables.pop(name, None)
        if value:
            if len(variables) < MAX_VARIABLES:
                variables[name] = value

    def add_variable(self, name: str, value: str | None, *, front: bool = False) -> None:
        """``switch_channel_add_variable_var_check`` with SWITCH_STACK_PUSH (or UNSHIFT when
        ``front``): the value joins an existing variable in place, which becomes an array
        (``ARRAY::a|:b``) once it holds two; a new variable is added at the end; None or
        ``""`` unsets."""
        variables = self.variables
        if not value:
            variables.pop(name, None)
            return
        old = variables.get(name)
        if old is None:
            if len(variables) < MAX_VARIABLES:
                variables[name] = value
            return
        items = old[7:].split("|:") if old.startswith("ARRAY::") else [old]
        if front:
            items.insert(0, value)
        else:
            items.append(value)
        variables[name] = "ARRAY::" + "|:".join(items)

    def partner(self) -> Channel | None:
        """``switch_channel_get_partner_uuid``: the channel ``signal_bond`` (else
        ``originate_signal_bond``) names, if it exists and is not hung up."""
        variables = self.variables
        uuid = variables.get("signal_bond") or variables.get("originate_signal_bond")
        if not uuid:
            return None
        found = self.switch.sessions.find_session(uuid)
        # switch_core_session_locate finds no session that is hung up.
        return found if found is not None and found.state < ChannelState.CS_HANGUP else None

    def set_variable_partner(self, name: str, value: str | None) -> bool:
        """Set a variable on the other leg; False when there is none."""
        if self.other is None:
            return False
        self.other.set_variable(name, value)
        return True

    def lookup(self, name: str) -> str | None:
        """What ``${name}`` finds on this channel: a variable, else a caller-profile field
        (``switch_channel_get_variable_dup`` with profile fallback), else None."""
        value = self.variables.get(name)
        if value is not None:
            return value
        if name == "uuid":
            return self.uuid
        profile = self.hunt_profile or self.caller_profile
        if profile is not None:
            found = profile.field(name)
            if found:
                return found
        return None

    def expand(self, text: str) -> str:
        """``switch_channel_expand_variables``: ``${var}`` from the channel, ``$${var}`` and
        unknown names from the globals, ``${api args}`` through the switch's API (sync
        commands only; see ``ApiEngine``)."""
        if "$" not in text and "\\" not in text:
            return text
        switch = self.switch
        return expand_variables(text, self._expand_lookup, global_lookup=switch.get_global)

    def _expand_lookup(self, name: str) -> str | None:
        return self.lookup(name)

    # ------------------------------------------------------------------ profile
    def profile(self) -> CallerProfile:
        """The caller profile, created empty on first use."""
        if self.caller_profile is None:
            self.caller_profile = CallerProfile(
                direction=self.direction, logical_direction=self.direction, uuid=self.uuid, chan_name=self.name
            )
        return self.caller_profile

    def field(self, name: str) -> str | None:
        """Dialplan field source: a caller-profile field."""
        profile = self.hunt_profile or self.caller_profile
        return profile.field(name) if profile is not None else None

    def variable(self, name: str) -> str | None:
        """Dialplan field source: a channel variable."""
        return self.variables.get(name)

    def delete_variable_prefix(self, prefix: str) -> None:
        """Unset every variable whose name starts with ``prefix``."""
        for name in [n for n in self.variables if n.startswith(prefix)]:
            del self.variables[name]

    # ------------------------------------------------------------------ state
    @property
    def answer_state(self) -> str:
        """``Answer-State``: hangup, answered, early or ringing."""
        if self.state >= ChannelState.CS_HANGUP:
            return "hangup"
        if self.answered:
            return "answered"
        if self.early_media:
            return "early"
        return "ringing"

    def is_hungup(self) -> bool:
        """True once hangup was accepted (the state asked for is CS_HANGUP or later)."""
        return self.state >= ChannelState.CS_HANGUP

    @property
    def ready(self) -> bool:
        """``switch_channel_ready``: not hung up and not yet being destroyed."""
        return self.state < ChannelState.CS_HANGUP

    @property
    def up(self) -> bool:
        """``switch_channel_up``: below CS_HANGUP."""
        return self.state < ChannelState.CS_HANGUP

    def set_state(self, state: ChannelState) -> None:
        """``switch_channel_set_state``: ask the session task for ``state``.

        A hung-up channel only moves forward (CS_HANGUP → CS_REPORTING → CS_DESTROY)."""
        if self.state >= ChannelState.CS_HANGUP and state < self.state:
            return
        self.state = state
        self._notify(None)

    def set_running_state(self, state: ChannelState) -> None:
        """Mark ``state`` entered and fire CHANNEL_STATE (used by the session task)."""
        from eslkit.switch.channel_events import fire_channel_state

        self.running_state = state
        if self.direction is Direction.INBOUND and state < ChannelState.CS_HANGUP:
            if state == ChannelState.CS_ROUTING:
                self.set_call_state(CallState.RINGING, _RUNNING_RINGING_SITE)
            elif self.answered:
                self.set_call_state(CallState.ACTIVE, _RUNNING_ACTIVE_SITE)
            elif self.early_media:
                self.set_call_state(CallState.EARLY, _RUNNING_EARLY_SITE)
        fire_channel_state(self)
        self._notify(ChannelChange.STATE)

    def set_call_state(self, call_state: CallState, site: CallingSite | None = None) -> None:
        """``switch_channel_set_callstate``: fire CHANNEL_CALLSTATE on a change (and log
        it at ``site``, the caller's place in FreeSWITCH's source)."""
        from eslkit.switch.channel_events import fire_callstate

        old = self.call_state
        if old == call_state:
            return
        if self.switch.logs.listen >= 0:
            from eslkit.switch import calllog

            calllog.callstate_change(
                self, old.name, call_state.name, site or _CALLSTATE_SITES.get(call_state, _CALLSTATE_SITE)
            )
        self.call_state = call_state
        fire_callstate(self, old)
        self._notify(ChannelChange.CALLSTATE)

    def add_listener(self, callback: ChangeListener) -> Callable[[], None]:
        """Call ``callback(channel, change)`` on every change; returns an unsubscriber.

        Callbacks run synchronously inside the change and must not raise (errors are
        reported to the switch and swallowed)."""
        self._listeners.append(callback)

        def remove() -> None:
            with contextlib.suppress(ValueError):
                self._listeners.remove(callback)

        return remove

    def _notify(self, change: ChannelChange | None) -> None:
        wake = self._wake
        if wake is not None:
            wake.set()
            self._wake = None
        if change is None:
            return
        for callback in tuple(self._listeners):
            try:
                callback(self, change)
            except Exception as exc:
                self.switch.report_error(exc)

    def restore_read_codec(self) -> bool:
        """``switch_core_session_set_read_codec(session, NULL)`` with a temporary read codec
        installed (flag ``CF_TEMP_READ_CODEC``, e.g. a conference member's): the session's
        own codec is back and ``read_codec``/``read_rate`` are set again. False (nothing
        done) without one."""
        if "CF_TEMP_READ_CODEC" not in self.flags:
            return False
        self.flags.discard("CF_TEMP_READ_CODEC")
        for name in ("read_codec", "read_rate"):
            value = self.variables.get(name)
            if value is not None:
                self.set_variable(name, value)
        return True

    def poke(self) -> None:
        """Make every :meth:`wait_for` re-check its predicate now (state kept outside the
        channel changed, e.g. a conference member's flags)."""
        self._notify(None)

    async def wait_for(self, predicate: Callable[[Channel], bool], timeout: float | None) -> bool:
        """Wait until ``predicate(channel)`` holds; False on timeout (switch seconds).

        Re-checked after every change and every queued message. ``None`` waits until the
        channel is destroyed at the latest."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + self.switch.clock.real_delay(timeout)
        while not predicate(self):
            if self.running_state == ChannelState.CS_DESTROY:
                return predicate(self)
            if self._wake is None:
                self._wake = asyncio.Event()
            wake = self._wake
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                return False
            try:
                await asyncio.wait_for(wake.wait(), remaining)
            except TimeoutError:
                return predicate(self)
        return True

    async def wait_for_state(self, state: ChannelState, timeout: float | None) -> bool:
        """Wait until the running state is ``state`` or later; False on timeout."""
        return await self.wait_for(lambda ch: _state_order(ch.running_state) >= _state_order(state), timeout)

    async def wait_answered(self, timeout: float | None) -> bool:
        """Wait until answered; False on timeout or if the channel hung up first."""
        await self.wait_for(lambda ch: ch.answered or ch.is_hungup(), timeout)
        return self.answered and not self.is_hungup()

    async def wait_hangup(self, timeout: float | None) -> bool:
        """Wait until hangup was accepted; False on timeout."""
        return await self.wait_for(lambda ch: ch.is_hungup(), timeout)

    async def wait_destroyed(self, timeout: float | None) -> bool:
        """Wait until CS_DESTROY; False on timeout."""
        return await self.wait_for(lambda ch: ch.running_state == ChannelState.CS_DESTROY, timeout)

    # ------------------------------------------------------------------ answer / hangup
    def ring_ready(self) -> bool:
        """``switch_channel_ring_ready``: CHANNEL_PROGRESS once, call state RINGING."""
        from eslkit.switch.channel_events import PROGRESS_SITE, fire_channel_event

        if not self.ready or self.answered:
            return False
        if self.early_media:
            return True  # already past ringing: nothing to signal
        profile = self.caller_profile
        if "CF_RING_READY" not in self.flags:
            if self.before_answer is not None and self.direction is Direction.INBOUND:
                self.before_answer(self, "ring_ready")
                if not self.ready or self.answered or self.early_media:
                    return self.ready
            self.flags.add("CF_RING_READY")
            if profile is not None and not profile.times.progress:
                now = profile.times.progress = self.switch.clock.wall_us()
                self._share_time_with_originator("progress", now)
            fire_channel_event(self, EventType.CHANNEL_PROGRESS, PROGRESS_SITE)
            run_hooks(self, "ring")
            self.set_call_state(CallState.RINGING)
            self._notify(ChannelChange.PROGRESS)
        return True

    def _share_time_with_originator(self, name: str, value: int) -> None:
        """Ring-ready and pre-answer of an originated leg also stamp its originator (the
        bridge's caller, when that has no such time yet) and the originator's snapshot."""
        profile = self.caller_profile
        snapshot = profile.originator if profile is not None else None
        if snapshot is None:
            return
        other = self.switch.sessions.find_session(snapshot.uuid)
        if other is not None and other.caller_profile is not None:
            times = other.caller_profile.times
            if not getattr(times, name):
                setattr(times, name, value)
        setattr(snapshot.times, name, value)

    def pre_answer(self) -> bool:
        """``switch_channel_mark_pre_answered``: early media, CHANNEL_PROGRESS_MEDIA,
        call state EARLY. True if the channel is up (already early or answered is fine)."""
        from eslkit.switch.channel_events import PROGRESS_MEDIA_SITE, fire_channel_event

        if not self.ready:
            return False
        if self.answered or self.early_media:
            return True
        if self.before_answer is not None:
            self.before_answer(self, "pre_answer")
            if self.early_media or not self.ready:
                return self.early_media
        self.early_media = True
        self.set_variable("endpoint_disposition", "EARLY MEDIA")
        if self.caller_profile is not None:
            now = self.caller_profile.times.progress_media = self.switch.clock.wall_us()
            self._share_time_with_originator("progress_media", now)
        fire_channel_event(self, EventType.CHANNEL_PROGRESS_MEDIA, PROGRESS_MEDIA_SITE)
        run_hooks(self, "pre_answer")
        self.set_call_state(CallState.EARLY)
        self._notify(ChannelChange.PROGRESS)
        return True

    def answer(self, site: CallingSite | None = None) -> bool:
        """``switch_channel_mark_answered``: CHANNEL_ANSWER, call state ACTIVE.

        True if the channel is (now) answered; False when it is hung up. An outbound leg's
        originator learns of it through its listeners (originate waits for it). ``site``
        is where FreeSWITCH's ``has been answered`` line says the answer came from."""
        from eslkit.switch.channel_events import ANSWER_SITE, fire_channel_event

        if not self.ready:
            return False
        if self.answered:
            return True
        if self.before_answer is not None:
            self.before_answer(self, "answer")
            if self.answered or not self.ready:
                return self.answered
        self.answered = True
        if self.caller_profile is not None:
            self.caller_profile.times.answered = self.switch.clock.wall_us()
        fire_channel_event(self, EventType.CHANNEL_ANSWER, ANSWER_SITE)
        if self.switch.logs.listen >= 0:
            from eslkit.switch import calllog

            calllog.channel_line(self, 5, site or _ANSWERED_SITE, f"Channel [{self.name}] has been answered\n")
        self.set_variable("endpoint_disposition", "ANSWER")
        run_hooks(self, "answer_after_early" if self.early_media else "answer")
        if "presence_id" in self.variables:
            from eslkit.switch.channel_events import ANSWER_PRESENCE_SITE, fire_presence

            fire_presence(self, "answered", ANSWER_PRESENCE_SITE)
        self.set_call_state(CallState.ACTIVE)
        self._notify(ChannelChange.ANSWER)
        return True

    def hangup(
        self, cause: HangupCause | int = HangupCause.NORMAL_CLEARING, site: CallingSite | None = None
    ) -> bool:
        """``switch_channel_hangup``: set the cause, fire CHANNEL_HANGUP, ask for CS_HANGUP.

        Running applications are interrupted; the session task takes the channel through
        CS_HANGUP, CS_REPORTING and CS_DESTROY. False if it was already hung up. ``site``
        is who asked, as FreeSWITCH's ``Hangup`` log line names it."""
        from eslkit.switch.channel_events import HANGUP_SITE, fire_channel_event

        if self.state >= ChannelState.CS_HANGUP:
            return False
        try:
            hcause = HangupCause(int(cause))
        except ValueError:
            hcause = HangupCause.NORMAL_CLEARING
        self.hangup_cause = hcause
        partner = self.partner()
        if partner is not None:
            partner.set_variable("last_bridge_hangup_cause", hcause.name)
        flags = self.flags
        if "CF_BRIDGE_ORIGINATOR" in flags:
            self.set_variable("last_bridge_role", "originator")
        elif "CF_BRIDGED" in flags:
            self.set_variable("last_bridge_role", "originatee")
        if self.caller_profile is not None:
            self.caller_profile.times.hungup = self.switch.clock.wall_us()
        endpoint = self.switch.sessions.endpoint_of(self)
        if self.switch.logs.listen >= 0:
            from eslkit.switch import calllog

            calllog.hangup_line(self, self.state, site or _HANGUP_SITE)
            if endpoint is not None:
                endpoint.log_kill(self)
        if endpoint is not None:
            endpoint.on_kill(self)
        self.state = ChannelState.CS_HANGUP
        fire_channel_event(self, EventType.CHANNEL_HANGUP, HANGUP_SITE)
        self.interrupt(all_=True)
        self._notify(ChannelChange.HANGUP)
        for waiter in self._dtmf_waiters:
            if not waiter.done():
                waiter.set_result(None)
        return True

    # ------------------------------------------------------------------ interrupt (uuid_break)
    def interrupt(self, *, all_: bool = False) -> None:
        """``uuid_break``: make the running application's interruptible waits return early.

        Like FreeSWITCH's ``CF_BREAK`` the break persists until it is checked: when no wait
        holds the current break event, the next :meth:`break_event` comes back already set
        (and is consumed by that caller). Starting an application clears it
        (:meth:`clear_break`, as ``switch_core_session_exec`` does). ``all_`` also drops
        queued playbacks (the media layer reads ``"CF_BREAK_ALL"``)."""
        if all_:
            self.flags.add("CF_BREAK_ALL")
        event = self._break_event
        if event is None or event.is_set():
            pending = asyncio.Event()
            pending.set()
            self._break_event = pending
        else:
            event.set()
            self._break_event = None
        self._notify(None)

    def break_event(self) -> asyncio.Event:
        """The event the next :meth:`interrupt` sets (a fresh one after each interrupt).

        A break that arrived while nobody waited is returned set, once."""
        event = self._break_event
        if event is None:
            event = self._break_event = asyncio.Event()
        elif event.is_set():
            self._break_event = None
        return event

    def clear_break(self) -> None:
        """Forget a pending break (an application starts: ``CF_BREAK`` is cleared)."""
        event = self._break_event
        if event is not None and event.is_set():
            self._break_event = None

    def notify_waiters(self) -> None:
        """Wake every :meth:`wait_for` so it re-checks its condition (a flag changed)."""
        self._notify(None)

    # ------------------------------------------------------------------ queues
    def queue_private_message(self, message: Event) -> bool:
        """Queue a ``sendmsg`` (``call-command: execute|hangup|...``) for the session task.

        Processed by the park loop and by interruptible waits (``ctx.sleep``). False when
        the channel is hung up or the queue is full (1000)."""
        if self.state >= ChannelState.CS_HANGUP or len(self._private) >= MAX_PRIVATE_MESSAGES:
            return False
        self._private.append(message)
        self._notify(None)
        return True

    def pop_private_message(self) -> Event | None:
        """The next queued private message, or None (also while ``CF_EVENT_LOCK`` is set:
        ``switch_core_session_dequeue_private_event`` holds the queue for a locked command)."""
        if not self._private or "CF_EVENT_LOCK" in self.flags:
            return None
        return self._private.popleft()

    def flush_private_messages(self) -> int:
        """``switch_core_session_flush_private_events``: drop the queued private messages;
        returns how many."""
        count = len(self._private)
        self._private.clear()
        return count

    @property
    def has_private_messages(self) -> bool:
        """True when private messages wait and may be taken now (no ``CF_EVENT_LOCK``)."""
        return bool(self._private) and "CF_EVENT_LOCK" not in self.flags

    def queue_session_event(
        self,
        event: Event,
        event_type: EventType = EventType.CUSTOM,
        subclass: str | None = None,
    ) -> bool:
        """Queue an event for this session (``sendevent`` with its ``Unique-ID``), with its
        type and subclass.

        The park loop fires it with channel data appended and no standard headers (Finding
        10), unless the session side diverts it. False when hung up or full."""
        if self.state >= ChannelState.CS_HANGUP or len(self._session_events) >= MAX_SESSION_EVENTS:
            return False
        self._session_events.append(SessionEvent(event, event_type, subclass))
        self._notify(None)
        return True

    def next_session_event(self) -> SessionEvent | None:
        """The next queued session event with its type, or None."""
        return self._session_events.popleft() if self._session_events else None

    def pop_session_event(self) -> Event | None:
        """The next queued session event, or None (the socket side's divert uses this)."""
        queued = self.next_session_event()
        return queued.event if queued is not None else None

    @property
    def has_session_events(self) -> bool:
        """True when session events wait."""
        return bool(self._session_events)

    # ------------------------------------------------------------------ DTMF
    def queue_dtmf(self, digits: str, duration: int = 2000, source: str = "APP", *, process: bool = True) -> int:
        """``switch_channel_queue_dtmf``: queue digits.

        Unknown characters are skipped; ``duration`` is in samples. Returns how many were
        queued (the queue keeps at most 128). The DTMF event is fired when a reader takes
        the digit (:meth:`dequeue_dtmf`), as ``switch_channel_dequeue_dtmf`` does. With
        ``process`` (a digit received, not one an application queues) a digit machine of
        ``bind_digit_action`` takes the digit instead."""
        count = 0
        for ch in digits:
            if ch not in _DTMF_DIGITS or len(self._dtmf) >= MAX_DTMF_QUEUE:
                continue
            if process and self.dmachines is not None:
                from eslkit.switch.ivr.dmachine import feed_received

                if feed_received(self, ch.upper() if ch in "abcd" else ch):
                    continue
            dtmf = Dtmf(ch.upper() if ch in "abcd" else ch, duration, source)
            self._dtmf.append(dtmf)
            count += 1
            if self.switch.logs.listen >= 6:
                from eslkit.switch import calllog

                calllog.session_line(self, 6, _RECV_DTMF_SITE, f"RECV DTMF {dtmf.digit}:{duration}\n")
        if count:
            for waiter in self._dtmf_waiters:
                if not waiter.done():
                    waiter.set_result(None)
            self._notify(None)
        return count

    def has_dtmf(self) -> bool:
        """``switch_channel_has_dtmf``."""
        return bool(self._dtmf)

    def dequeue_dtmf(self) -> Dtmf | None:
        """``switch_channel_dequeue_dtmf``: the next queued digit (firing its DTMF event),
        or None."""
        from eslkit.switch.channel_events import fire_dtmf

        if not self._dtmf:
            return None
        dtmf = self._dtmf.popleft()
        fire_dtmf(self, dtmf, dtmf.source)
        return dtmf

    def flush_dtmf(self) -> int:
        """Drop queued digits; returns how many."""
        count = len(self._dtmf)
        self._dtmf.clear()
        return count

    async def get_dtmf(self, timeout: float | None) -> Dtmf | None:
        """Wait up to ``timeout`` switch seconds for a digit; None on timeout, hang-up or
        :meth:`interrupt`."""
        if self._dtmf:
            return self.dequeue_dtmf()
        if not self.ready:
            return None
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        self._dtmf_waiters.append(waiter)
        brk = self.break_event()
        brk_task: asyncio.Future[None] = asyncio.ensure_future(_wait_event(brk))
        try:
            real = None if timeout is None else self.switch.clock.real_delay(timeout)
            await asyncio.wait({waiter, brk_task}, timeout=real, return_when=asyncio.FIRST_COMPLETED)
        finally:
            brk_task.cancel()
            with contextlib.suppress(ValueError):
                self._dtmf_waiters.remove(waiter)
        return self.dequeue_dtmf()

    # ------------------------------------------------------------------ events
    def event_set_data(self, event: Event) -> None:
        """``switch_channel_event_set_data``: append basic data, caller profile(s) and —
        for the event types that carry them — the ``variable_*`` headers."""
        from eslkit.switch.channel_events import event_set_data

        event_set_data(self, event)

    def new_event(self, event_type: EventType, calling: CallingSite, subclass: str | None = None) -> Event:
        """A new event of ``event_type`` with this channel's data appended."""
        event = self.switch.new_event(event_type, calling, subclass)
        self.event_set_data(event)
        return event

    def set_originator_profile(self, snapshot: CallerProfile) -> None:
        """``switch_channel_set_originator_caller_profile``: ``Other-Leg-*`` of this
        channel's events shows ``snapshot`` as the originator from now on."""
        self.profile()._originator = snapshot
        self.last_profile_type = "originator"

    def set_originatee_profile(self, snapshot: CallerProfile) -> None:
        """``switch_channel_set_originatee_caller_profile``."""
        self.profile()._originatee = snapshot
        self.last_profile_type = "originatee"

    def set_other(self, other: Channel | None, other_type: str = "") -> None:
        """Link the other leg (``Other-Type: originator|originatee``)."""
        self.other = other
        self.other_type = other_type if other is not None else ""


_STATE_ORDER = {s: int(s) for s in ChannelState}
_STATE_ORDER[ChannelState.CS_NONE] = -1


def _state_order(state: ChannelState) -> int:
    return _STATE_ORDER[state]


async def _wait_event(event: asyncio.Event) -> None:
    await event.wait()
