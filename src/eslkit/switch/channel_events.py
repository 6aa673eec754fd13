"""Channel events with FreeSWITCH's exact header sets and order.

``event_set_data`` mirrors ``switch_channel_event_set_data``: the basic data
(``switch_channel_event_set_basic_data``), the caller profile as ``Caller-*``
(``switch_caller_profile_event_set_data``), ``Other-Type`` + ``Other-Leg-*``, and the
``variable_*`` headers only on the event types ``switch_channel_event_set_extended_data``
lists (or with verbose events). The per-type specifics of conformance Finding 11 are here
too (CHANNEL_CALLSTATE, CHANNEL_HANGUP_COMPLETE, CALL_UPDATE, CHANNEL_UUID, CODEC).

Headers are built as lists of pairs and appended in one go: no serialization happens here.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from eslkit.fsutil import switch_true
from eslkit.protocol.event import Event
from eslkit.protocol.names import ChannelState, EventType, HangupCause
from eslkit.protocol.records import CallingSite

if TYPE_CHECKING:
    from eslkit.switch.channel import CallerProfile, CallState, Channel, Codec, Direction, Dtmf

__all__ = [
    "ANSWER_SITE",
    "CALLSTATE_SITE",
    "CALL_UPDATE_SITE",
    "CHANNEL_DATA_SITE",
    "CREATE_SITE",
    "DESTROY_SITE",
    "EXECUTE_COMPLETE_SITE",
    "EXECUTE_SITE",
    "HANGUP_COMPLETE_SITE",
    "HANGUP_SITE",
    "ORIGINATE_SITE",
    "OUTGOING_SITE",
    "PARK_SITE",
    "PROGRESS_MEDIA_SITE",
    "PROGRESS_SITE",
    "READ_CODEC_SITE",
    "STATE_SITE",
    "UNPARK_SITE",
    "UUID_SITE",
    "VARIABLE_EVENT_TYPES",
    "WRITE_CODEC_SITE",
    "basic_data",
    "channel_data_event",
    "event_set_data",
    "fire_callstate",
    "fire_channel_event",
    "fire_channel_state",
    "fire_dtmf",
    "profile_headers",
    "variable_headers",
]

STATE_SITE = CallingSite("switch_channel.c", "switch_channel_perform_set_running_state", 2409)
CALLSTATE_SITE = CallingSite("switch_channel.c", "switch_channel_perform_set_callstate", 302)
ANSWER_SITE = CallingSite("switch_channel.c", "switch_channel_perform_mark_answered", 3848)
PROGRESS_SITE = CallingSite("switch_channel.c", "switch_channel_perform_mark_ring_ready_value", 3507)
PROGRESS_MEDIA_SITE = CallingSite("switch_channel.c", "switch_channel_perform_mark_pre_answered", 3562)
HANGUP_SITE = CallingSite("switch_channel.c", "switch_channel_perform_hangup", 3447)
CALL_UPDATE_SITE = CallingSite("switch_channel.c", "switch_channel_flip_cid", 3279)
DTMF_SITE = CallingSite("switch_channel.c", "switch_channel_dequeue_dtmf", 678)
EXECUTE_SITE = CallingSite("switch_core_session.c", "switch_core_session_exec", 2949)
EXECUTE_COMPLETE_SITE = CallingSite("switch_core_session.c", "switch_core_session_exec", 2972)
DESTROY_SITE = CallingSite("switch_core_session.c", "switch_core_session_perform_destroy", 1588)
UUID_SITE = CallingSite("switch_core_session.c", "switch_core_session_set_uuid", 2056)
OUTGOING_SITE = CallingSite("switch_core_session.c", "switch_core_session_outgoing_channel", 768)
CREATE_SITE = CallingSite("switch_core_state_machine.c", "switch_core_session_run", 626)
ORIGINATE_SITE = CallingSite("switch_core_state_machine.c", "switch_core_session_run", 632)
HANGUP_COMPLETE_SITE = CallingSite("switch_core_state_machine.c", "switch_core_session_reporting_state", 943)
PARK_SITE = CallingSite("switch_ivr.c", "switch_ivr_park", 1002)
UNPARK_SITE = CallingSite("switch_ivr.c", "switch_ivr_park", 1213)
READ_CODEC_SITE = CallingSite("switch_core_codec.c", "switch_core_session_set_read_codec", 300)
WRITE_CODEC_SITE = CallingSite("switch_core_codec.c", "switch_core_session_set_write_codec", 471)
CHANNEL_DATA_SITE = CallingSite("mod_commands.c", "uuid_dump_function", 6495)

#: Event types that carry ``variable_*`` headers (switch_channel_event_set_extended_data).
VARIABLE_EVENT_TYPES = frozenset(
    {
        "CHANNEL_CREATE", "CHANNEL_ORIGINATE", "CHANNEL_UUID", "CHANNEL_ANSWER", "CHANNEL_PARK",
        "CHANNEL_UNPARK", "CHANNEL_BRIDGE", "CHANNEL_UNBRIDGE", "CHANNEL_PROGRESS",
        "CHANNEL_PROGRESS_MEDIA", "CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE", "REQUEST_PARAMS",
        "CHANNEL_DATA", "CHANNEL_EXECUTE", "CHANNEL_EXECUTE_COMPLETE", "CHANNEL_DESTROY",
        "SESSION_HEARTBEAT", "API", "RECORD_START", "RECORD_STOP", "PLAYBACK_START",
        "PLAYBACK_STOP", "CALL_UPDATE", "MEDIA_BUG_START", "MEDIA_BUG_STOP", "CHANNEL_HOLD",
        "CHANNEL_UNHOLD", "TEXT", "CUSTOM",
    }
)  # fmt: skip

Pairs = list[tuple[str, str]]


def _extend(event: Event, pairs: Iterable[tuple[str, str]]) -> None:
    event.extend_headers(pairs)


_PROFILE_FIELDS = (
    "Direction",
    "Logical-Direction",
    "Username",
    "Dialplan",
    "Caller-ID-Name",
    "Caller-ID-Number",
    "Orig-Caller-ID-Name",
    "Orig-Caller-ID-Number",
    "Callee-ID-Name",
    "Callee-ID-Number",
    "Network-Addr",
    "ANI",
    "ANI-II",
    "Destination-Number",
    "Unique-ID",
    "Source",
    "Transfer-Source",
    "Context",
    "RDNIS",
    "Channel-Name",
    "Profile-Index",
)
_PROFILE_TIMES = (
    "Profile-Created-Time",
    "Channel-Created-Time",
    "Channel-Answered-Time",
    "Channel-Progress-Time",
    "Channel-Progress-Media-Time",
    "Channel-Hangup-Time",
    "Channel-Transfer-Time",
    "Channel-Resurrect-Time",
    "Channel-Bridged-Time",
    "Channel-Last-Hold",
    "Channel-Hold-Accum",
    "Screen-Bit",
    "Privacy-Hide-Name",
    "Privacy-Hide-Number",
)
_PREFIXED: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}


def _prefixed(prefix: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    names = _PREFIXED.get(prefix)
    if names is None:
        p = prefix + "-"
        names = (tuple(p + n for n in _PROFILE_FIELDS), tuple(p + n for n in _PROFILE_TIMES))
        _PREFIXED[prefix] = names
    return names


def profile_headers(profile: CallerProfile, prefix: str, out: Pairs) -> None:
    """``switch_caller_profile_event_set_data``: ``<prefix>-*`` headers, empty ones omitted.

    A profile rarely changes between the events of a call, so the header list is kept on the
    profile, keyed by its (and its timetable's) change counters.
    """
    stamp = (profile._version, profile.times._version)
    cache = profile._headers
    if cache is not None:
        cached = cache.get(prefix)
        if cached is not None and cached[0] == stamp:
            out.extend(cached[1])
            return
    else:
        cache = profile._headers = {}
    pairs: Pairs = []
    _build_profile_headers(profile, prefix, pairs)
    cache[prefix] = (stamp, pairs)
    out.extend(pairs)


def _build_profile_headers(profile: CallerProfile, prefix: str, out: Pairs) -> None:
    field_names, time_names = _prefixed(prefix)
    values = (
        profile.direction.value,
        profile.logical_direction.value,
        profile.username,
        profile.dialplan,
        profile.caller_id_name,
        profile.caller_id_number,
        profile.orig_caller_id_name,
        profile.orig_caller_id_number,
        profile.callee_id_name,
        profile.callee_id_number,
        profile.network_addr,
        profile.ani,
        profile.aniii,
        profile.destination_number,
        profile.uuid,
        profile.source,
        profile.transfer_source,
        profile.context,
        profile.rdnis,
        profile.chan_name,
        profile.profile_index,
    )
    out.extend([pair for pair in zip(field_names, values, strict=True) if pair[1]])
    t = profile.times
    out.extend(
        zip(
            time_names,
            (
                str(t.profile_created),
                str(t.created),
                str(t.answered),
                str(t.progress),
                str(t.progress_media),
                str(t.hungup),
                str(t.transferred),
                str(t.resurrected),
                str(t.bridged),
                str(t.last_hold),
                str(t.hold_accum),
                "true" if profile.screen_bit else "false",
                "true" if profile.privacy_hide_name else "false",
                "true" if profile.privacy_hide_number else "false",
            ),
            strict=True,
        )
    )


# Enum names and numbers as text, looked up instead of going through Enum properties.
_STATE_NAMES = {state: state.name for state in ChannelState}
_STATE_NUMBERS = {state: str(int(state)) for state in ChannelState}
_CALL_STATE_NAMES: dict[CallState, str] = {}


_DIRECTION_VALUES: dict[object, str] = {}
_CODEC_PAIRS: dict[tuple[str, str, int, int], tuple[tuple[str, str], ...]] = {}


def _direction_value(direction: Direction) -> str:
    value = _DIRECTION_VALUES.get(direction)
    if value is None:
        value = _DIRECTION_VALUES[direction] = direction.value
    return value


def _codec_pairs(codec: Codec, prefix: str) -> tuple[tuple[str, str], ...]:
    key = (prefix, codec.name, codec.rate, codec.bit_rate)
    pairs = _CODEC_PAIRS.get(key)
    if pairs is None:
        pairs = (
            (prefix + "Name", codec.name),
            (prefix + "Rate", str(codec.rate)),
            (prefix + "Bit-Rate", str(codec.bit_rate)),
        )
        if len(_CODEC_PAIRS) < 1024:
            _CODEC_PAIRS[key] = pairs
    return pairs


def _call_state_name(state: CallState) -> str:
    name = _CALL_STATE_NAMES.get(state)
    if name is None:
        name = _CALL_STATE_NAMES[state] = state.name
    return name


def basic_data(channel: Channel, out: Pairs) -> None:
    """``switch_channel_event_set_basic_data`` into ``out``."""
    variables = channel.variables
    direction = _direction_value(channel.direction)
    out.append(("Channel-State", _STATE_NAMES[channel.running_state]))
    out.append(("Channel-Call-State", _call_state_name(channel.call_state)))
    out.append(("Channel-State-Number", _STATE_NUMBERS[channel.state]))
    out.append(("Channel-Name", channel.name))
    out.append(("Unique-ID", channel.uuid))
    if channel.external_id:
        out.append(("Session-External-ID", channel.external_id))
    out.append(("Call-Direction", direction))
    out.append(("Presence-Call-Direction", direction))
    out.append(("Channel-HIT-Dialplan", "true" if channel.hit_dialplan else "false"))
    value = variables.get("presence_id")
    if value:
        out.append(("Channel-Presence-ID", value))
    value = variables.get("presence_data")
    if value:
        out.append(("Channel-Presence-Data", value))
    value = variables.get("presence_data_cols")
    if value:
        out.append(("Presence-Data-Cols", value))
    out.append(("Channel-Call-UUID", variables.get("call_uuid") or channel.uuid))
    out.append(("Answer-State", channel.answer_state))
    if channel.hangup_cause is not None:
        out.append(("Hangup-Cause", channel.hangup_cause.name))
    codec = channel.read_codec
    if codec is not None:
        out.extend(_codec_pairs(codec, "Channel-Read-Codec-"))
    codec = channel.write_codec
    if codec is not None:
        out.extend(_codec_pairs(codec, "Channel-Write-Codec-"))
    profile = channel.caller_profile
    if profile is not None:
        profile_headers(profile, "Caller", out)
        kind = channel.last_profile_type
        if kind:
            other = profile._originator if kind == "originator" else profile._originatee
            if other is not None:
                out.append(("Other-Type", kind))
                profile_headers(other, "Other-Leg", out)


_VARIABLE_NAMES: dict[str, str] = {}


def variable_headers(channel: Channel, out: Pairs) -> None:
    """The ``variable_*`` headers, in the channel's variable order."""
    variables = channel.variables
    names = list(map(_VARIABLE_NAMES.get, variables))
    if None in names:
        if len(_VARIABLE_NAMES) > 8192:
            _VARIABLE_NAMES.clear()
        for name in variables:
            _VARIABLE_NAMES.setdefault(name, "variable_" + name)
        names = list(map(_VARIABLE_NAMES.__getitem__, variables))
    out.extend(zip(names, variables.values(), strict=True))  # type: ignore[arg-type]


def event_set_data(channel: Channel, event: Event, event_name: str | None = None) -> None:
    """``switch_channel_event_set_data``: basic data, then variables where they belong."""
    out: Pairs = []
    basic_data(channel, out)
    name = event_name if event_name is not None else (event.get("Event-Name") or "")
    if channel.verbose_events or channel.switch.verbose_events or name in VARIABLE_EVENT_TYPES:
        variable_headers(channel, out)
    _extend(event, out)


def fire_channel_event(channel: Channel, event_type: EventType, calling: CallingSite, extra: Pairs | None = None) -> Event:
    """Create, fill (channel data, then ``extra``) and fire a channel event."""
    switch = channel.switch
    event = switch.new_event(event_type, calling)
    event_set_data(channel, event, event_type.name)
    if extra:
        _extend(event, extra)
    switch.fire(event)
    switch.sessions.coredb.on_event(event_type, channel, extra)
    return event


def fire_channel_state(channel: Channel) -> None:
    """CHANNEL_STATE for the running state just entered (no variables)."""
    fire_channel_event(channel, EventType.CHANNEL_STATE, STATE_SITE)


def fire_callstate(channel: Channel, old: CallState) -> None:
    """CHANNEL_CALLSTATE: ``Original-Channel-Call-State`` and ``Channel-Call-State-Number``
    come before the channel data (Finding 11)."""
    event = channel.switch.new_event(EventType.CHANNEL_CALLSTATE, CALLSTATE_SITE)
    event.add_header("Original-Channel-Call-State", old.name)
    event.add_header("Channel-Call-State-Number", str(int(channel.call_state)))
    event_set_data(channel, event, "CHANNEL_CALLSTATE")
    channel.switch.fire(event)
    channel.switch.sessions.coredb.on_event(EventType.CHANNEL_CALLSTATE, channel)


def fire_hangup_complete(channel: Channel) -> None:
    """CHANNEL_HANGUP_COMPLETE: ``Hangup-Cause`` first, then the channel data (which has
    it again)."""
    event = channel.switch.new_event(EventType.CHANNEL_HANGUP_COMPLETE, HANGUP_COMPLETE_SITE)
    cause = channel.hangup_cause
    if cause is not None:
        event.add_header("Hangup-Cause", cause.name)
    event_set_data(channel, event, "CHANNEL_HANGUP_COMPLETE")
    channel.switch.fire(event)


def fire_call_update(channel: Channel, direction: str = "RECV") -> None:
    """CALL_UPDATE: ``Direction`` first (Finding 11)."""
    event = channel.switch.new_event(EventType.CALL_UPDATE, CALL_UPDATE_SITE)
    event.add_header("Direction", direction)
    event_set_data(channel, event, "CALL_UPDATE")
    channel.switch.fire(event)
    channel.switch.sessions.coredb.on_event(EventType.CALL_UPDATE, channel, [("Direction", direction)])


def fire_channel_uuid(channel: Channel, old_uuid: str) -> None:
    """CHANNEL_UUID: ``Old-Unique-ID`` first (Finding 11)."""
    event = channel.switch.new_event(EventType.CHANNEL_UUID, UUID_SITE)
    event.add_header("Old-Unique-ID", old_uuid)
    event_set_data(channel, event, "CHANNEL_UUID")
    channel.switch.fire(event)
    channel.switch.sessions.coredb.rename(old_uuid, channel.uuid)


def fire_codec(channel: Channel, write: bool) -> None:
    """CODEC after setting the read or write codec, with the lower-case repeats of
    Finding 11 (``channel-read-codec-*``; the write one's odd ``Channel-Write-codec-bit-rate``)."""
    site = WRITE_CODEC_SITE if write else READ_CODEC_SITE
    event = channel.switch.new_event(EventType.CODEC, site)
    out: Pairs = []
    basic_data(channel, out)
    codec = channel.write_codec if write else channel.read_codec
    if codec is not None:
        if write:
            out.append(("Channel-Write-Codec-Name", codec.name))
            out.append(("Channel-Write-Codec-Rate", str(codec.rate)))
            out.append(("Channel-Write-codec-bit-rate", str(codec.bit_rate)))
        else:
            out.append(("channel-read-codec-name", codec.name))
            out.append(("channel-read-codec-rate", str(codec.rate)))
            out.append(("channel-read-codec-bit-rate", str(codec.bit_rate)))
    _extend(event, out)
    channel.switch.fire(event)
    channel.switch.sessions.coredb.on_event(EventType.CODEC, channel)


def fire_execute(
    channel: Channel,
    complete: bool,
    application: str,
    data: str,
    app_uuid: str,
    app_uuid_name: str | None = None,
) -> None:
    """CHANNEL_EXECUTE / CHANNEL_EXECUTE_COMPLETE: channel data, then ``Application``,
    ``Application-Data`` (when not empty), ``Application-Response`` (COMPLETE only),
    ``Application-UUID`` and ``Application-UUID-Name`` (when given)."""
    event_type = EventType.CHANNEL_EXECUTE_COMPLETE if complete else EventType.CHANNEL_EXECUTE
    extra: Pairs = [("Application", application)]
    if data:
        extra.append(("Application-Data", data))
    if complete:
        extra.append(("Application-Response", channel.variables.get("current_application_response") or "_none_"))
    extra.append(("Application-UUID", app_uuid))
    if app_uuid_name:
        extra.append(("Application-UUID-Name", app_uuid_name))
    fire_channel_event(channel, event_type, EXECUTE_COMPLETE_SITE if complete else EXECUTE_SITE, extra)


def fire_dtmf(channel: Channel, dtmf: Dtmf, source: str) -> None:
    """DTMF: channel data, ``DTMF-Digit``, ``DTMF-Duration``, ``DTMF-Source``. While a
    listener diverts the session's events (``divert_events on``) the event goes to the
    session's queue instead of being fired (``switch_channel_dequeue_dtmf``)."""
    extra: Pairs = [("DTMF-Digit", dtmf.digit), ("DTMF-Duration", str(dtmf.duration)), ("DTMF-Source", source)]
    if "CF_DIVERT_EVENTS" in channel.flags:
        event = channel.switch.new_event(EventType.DTMF, DTMF_SITE)
        event_set_data(channel, event, "DTMF")
        _extend(event, extra)
        channel.queue_session_event(event, EventType.DTMF)
        return
    fire_channel_event(channel, EventType.DTMF, DTMF_SITE, extra)


PRESENCE_SITE = CallingSite("switch_channel.c", "switch_channel_perform_presence", 806)
CHECK_PRESENCE_SITE = CallingSite("src/switch_core_state_machine.c", "check_presence", 521)
ANSWER_PRESENCE_SITE = CallingSite("src/switch_channel.c", "switch_channel_perform_mark_answered", 3906)
EXEC_PRESENCE_SITE = CallingSite("src/switch_core_session.c", "switch_core_session_exec", 2921)


def fire_presence(channel: Channel, status: str, site: CallingSite, rpid: str = "unknown") -> None:
    """``switch_channel_presence``: PRESENCE_IN for a channel with a ``presence_id`` (none
    without one): the channel data (no variables), then the presence headers and the
    channel's running count of them. ``site`` names the caller (its file with the ``src/``
    FreeSWITCH's build gives it)."""
    variables = channel.variables
    presence_id = variables.get("presence_id")
    if not presence_id or "CF_NO_PRESENCE" in channel.flags:
        return
    lowered = status.lower()
    if lowered == "idle" or channel.state >= ChannelState.CS_HANGUP:
        info_state = "idle"
    elif lowered == "hold-private":
        info_state = "held-private"
    elif lowered == "hold":
        info_state = "held"
    elif not channel.answered:
        info_state = "progressing" if channel.direction == "outbound" else "alerting"
    else:
        info_state = "active"
    event = channel.switch.new_event(EventType.PRESENCE_IN, PRESENCE_SITE)
    event_set_data(channel, event, "PRESENCE_IN")
    out: Pairs = [
        ("proto", "any"),
        ("login", "src/switch_channel.c"),
        ("from", presence_id),
        ("rpid", rpid),
        ("status", status),
        ("event_type", "presence"),
        ("alt_event_type", "dialog"),
        ("presence-call-info-state", info_state),
    ]
    call_info = variables.get("presence_call_info")
    if call_info:
        out.append(("presence-call-info", call_info))
    out.append(("presence-call-direction", "outbound" if channel.direction == "outbound" else "inbound"))
    out.append(("event_count", str(channel.presence_count)))
    channel.presence_count += 1
    out.append(("Presence-Calling-File", site.file))
    out.append(("Presence-Calling-Function", site.function))
    out.append(("Presence-Calling-Line", str(site.line)))
    if switch_true(variables.get("presence_privacy")):
        out.append(("Presence-Privacy", "true"))
    _extend(event, out)
    channel.switch.fire(event)


def check_presence(channel: Channel, state: ChannelState) -> None:
    """The state machine's check after the CS_ROUTING and CS_HANGUP handlers."""
    if "presence_id" in channel.variables:
        cancelled = channel.hangup_cause is HangupCause.LOSE_RACE
        fire_presence(channel, "cancelled" if cancelled else state.name, CHECK_PRESENCE_SITE)
        if cancelled:
            channel.set_variable("presence_call_info", None)


MEDIA_BUG_START_SITE = CallingSite("switch_core_media_bug.c", "switch_core_media_bug_add", 1014)
MEDIA_BUG_STOP_SITE = CallingSite("switch_core_media_bug.c", "switch_core_media_bug_destroy", 84)


def fire_media_bug(channel: Channel, start: bool, function: str, target: str | None = None) -> None:
    """MEDIA_BUG_START (a media bug added: session recording, inband DTMF detection) or
    MEDIA_BUG_STOP (removed): ``Media-Bug-Function`` and ``Media-Bug-Target`` (``N/A``
    without one) before the channel data."""
    event_type = EventType.MEDIA_BUG_START if start else EventType.MEDIA_BUG_STOP
    event = channel.switch.new_event(event_type, MEDIA_BUG_START_SITE if start else MEDIA_BUG_STOP_SITE)
    event.add_header("Media-Bug-Function", function)
    event.add_header("Media-Bug-Target", target or "N/A")
    event_set_data(channel, event, event_type.name)
    channel.switch.fire(event)


def channel_data_event(channel: Channel, calling: CallingSite = CHANNEL_DATA_SITE) -> Event:
    """A CHANNEL_DATA event for ``uuid_dump`` and the outbound connect reply (not fired)."""
    event = channel.switch.new_event(EventType.CHANNEL_DATA, calling)
    event_set_data(channel, event, "CHANNEL_DATA")
    return event


def stamp_times(channel: Channel) -> None:
    """Set the billing variables of CHANNEL_HANGUP_COMPLETE (``switch_channel_set_timestamps``)."""
    profile = channel.caller_profile
    if profile is None:
        return
    t = profile.times
    end = t.hungup or channel.switch.clock.wall_us()
    setv = channel.set_variable
    if "last_app" not in channel.variables and channel.variables.get("current_application"):
        pass
    setv("digits_dialed", channel.variables.get("digits_dialed") or "none")

    def stamp(us: int) -> str:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(us // 1_000_000))

    setv("start_stamp", stamp(t.created))
    setv("profile_start_stamp", stamp(t.profile_created))
    if t.answered:
        setv("answer_stamp", stamp(t.answered))
    if t.bridged:
        setv("bridge_stamp", stamp(t.bridged))
    if t.progress:
        setv("progress_stamp", stamp(t.progress))
    if t.progress_media:
        setv("progress_media_stamp", stamp(t.progress_media))
    setv("end_stamp", stamp(end))
    for name, us in (
        ("start", t.created),
        ("profile_start", t.profile_created),
        ("answer", t.answered),
        ("bridge", t.bridged),
        ("last_hold", t.last_hold),
    ):
        channel.variables[f"{name}_epoch"] = str(us // 1_000_000)
        channel.variables[f"{name}_uepoch"] = str(us)
    channel.variables["hold_accum_seconds"] = str(t.hold_accum // 1_000_000)
    channel.variables["hold_accum_usec"] = str(t.hold_accum)
    channel.variables["hold_accum_ms"] = str(t.hold_accum // 1000)
    for name, us in (
        ("resurrect", t.resurrected),
        ("progress", t.progress),
        ("progress_media", t.progress_media),
        ("end", end),
    ):
        channel.variables[f"{name}_epoch"] = str(us // 1_000_000)
        channel.variables[f"{name}_uepoch"] = str(us)
    last_app = channel.variables.get("current_application")
    if last_app:
        setv("last_app", last_app)
        last_arg = channel.variables.get("current_application_data")
        if last_arg:
            setv("last_arg", last_arg)
    name, number = profile.caller_id_name, profile.caller_id_number
    setv("caller_id", f'"{name}" <{number}>' if name and name != number else number)
    created = t.created
    answered = t.answered
    progress = t.progress
    progress_media = t.progress_media
    uduration = end - created
    billusec = end - answered if answered else 0
    progressusec = progress - created if progress else 0
    answerusec = answered - created if answered else 0
    waitusec = answerusec
    progress_mediausec = progress_media - created if progress_media else 0
    for unit, div in (("sec", 1_000_000), ("msec", 1000), ("usec", 1)):
        dur_name = {"sec": "duration", "msec": "mduration", "usec": "uduration"}[unit]
        channel.variables[dur_name] = str(uduration // div)
        channel.variables[f"bill{unit}"] = str(billusec // div)
        channel.variables[f"progress{unit}"] = str(progressusec // div)
        channel.variables[f"answer{unit}"] = str(answerusec // div)
        channel.variables[f"wait{unit}"] = str(waitusec // div)
        channel.variables[f"progress_media{unit}"] = str(progress_mediausec // div)
        channel.variables[f"flow_bill{unit}"] = str(billusec // div)
