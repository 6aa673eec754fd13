"""Bridging two channels (``switch_ivr_multi_threaded_bridge``, ``switch_ivr_uuid_bridge``)
and originating a bridge's peer (the originate part of mod_dptools' ``audio_bridge_function``).

The peer is created by :func:`eslkit.switch.originate.originate`; this module adds what a
bridge's originate has and the API's does not (minimal adapter, kept here): the caller id
and ``call_timeout`` of the calling channel, ``originating_leg_uuid`` on the peers, and
cancelling the peers (ORIGINATOR_CANCEL) when the caller hangs up first.

While bridged, the caller's application waits (handling queued private messages such as
``uuid_broadcast``); the peer sits in CS_EXCHANGE_MEDIA. CHANNEL_BRIDGE / CHANNEL_UNBRIDGE
carry ``Bridge-A-Unique-ID`` / ``Bridge-B-Unique-ID`` before the caller's channel data.
DTMF received on either leg is sent out of the other (to its far end), as the bridge's two
audio threads do, unless the receiving leg has ``bridge_filter_dtmf`` set.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from eslkit.fsutil import c_atoi, new_uuid, switch_true
from eslkit.protocol.names import ChannelState, EventType, HangupCause
from eslkit.protocol.records import CallingSite
from eslkit.switch import calllog
from eslkit.switch import channel_events as ce
from eslkit.switch.channel import Channel, ChannelChange, Direction, Dtmf
from eslkit.switch.expand import separate_string
from eslkit.switch.ivr.dtmf import channel_far_end
from eslkit.switch.ivr.wait import FRAME, Wake, media_wait
from eslkit.switch.originate import INHERITED_VARIABLES, originate

if TYPE_CHECKING:
    from eslkit.switch.core import Switch

__all__ = [
    "bridge_channels",
    "bridge_originate",
    "end_of_bridge",
    "find_bridged_uuid",
    "handle_cause",
    "intercept_session",
    "pass_callee_id",
    "uuid_bridge",
]

BRIDGE_SITE = CallingSite("switch_ivr_bridge.c", "switch_ivr_multi_threaded_bridge", 1689)
UNBRIDGE_SITE = CallingSite("switch_ivr_bridge.c", "switch_ivr_multi_threaded_bridge", 1879)
DEFAULT_CALL_TIMEOUT = 60
_CANCEL_GRACE = 30.0
UUID_BRIDGE_SITE = CallingSite("switch_ivr_bridge.c", "uuid_bridge_on_soft_execute", 1236)
UUID_BRIDGE_OTHER_SITE = CallingSite("switch_ivr_bridge.c", "uuid_bridge_on_soft_execute", 1243)
#: Bound on each wait of a uuid_bridge for a leg to reach a state or to answer (switch
#: seconds; FreeSWITCH's soft execute loop gives up after 1000 polls of 20 ms).
_UUID_BRIDGE_WAIT = 60.0


_EXCHANGE_SITE = CallingSite("switch_ivr_bridge.c", "switch_ivr_multi_threaded_bridge", 1791)
_THREAD_DONE_SITE = CallingSite("switch_ivr_bridge.c", "audio_bridge_thread", 911)
_WRITE_END_SITE = CallingSite("switch_ivr_bridge.c", "audio_bridge_thread", 819)
_UNBRIDGE_SKIP_SITE = CallingSite("switch_ivr_bridge.c", "switch_ivr_multi_threaded_bridge", 1893)
#: Where FreeSWITCH hangs up the bridged leg when its partner went (its ``Hangup`` log line).
_PEER_HANGUP_SITE = CallingSite("switch_ivr_bridge.c", "audio_bridge_on_exchange_media", 1027)

def _fire_bridge(caller: Channel, peer: Channel, unbridge: bool) -> None:
    event_type = EventType.CHANNEL_UNBRIDGE if unbridge else EventType.CHANNEL_BRIDGE
    event = caller.switch.new_event(event_type, UNBRIDGE_SITE if unbridge else BRIDGE_SITE)
    event.add_header("Bridge-A-Unique-ID", caller.uuid)
    event.add_header("Bridge-B-Unique-ID", peer.uuid)
    caller.event_set_data(event)
    caller.switch.fire(event)
    db = caller.switch.sessions.coredb
    if unbridge:
        db.unbridge(caller)
    else:
        db.bridge(caller, caller.uuid, peer.uuid)


async def bridge_originate(caller: Channel, dial_string: str) -> tuple[Channel | None, HangupCause]:
    """Originate ``dial_string`` for ``caller``; the peers are hung up ORIGINATOR_CANCEL if
    the caller hangs up first. Returns the answered peer or the failure cause."""
    manager = caller.switch.sessions
    v = caller.get_variable
    timeout = c_atoi(v("call_timeout") or "0") or DEFAULT_CALL_TIMEOUT
    answer_timeout = c_atoi(v("bridge_answer_timeout") or "0")
    if answer_timeout > 0:
        timeout = min(timeout, answer_timeout)
    profile = caller.profile()
    cid_name = v("effective_caller_id_name") or profile.caller_id_name
    cid_num = v("effective_caller_id_number") or profile.caller_id_number
    inherited = {name: value for name in INHERITED_VARIABLES if (value := v(name)) is not None}
    task = asyncio.ensure_future(
        originate(
            manager,
            dial_string,
            timeout=timeout,
            cid_name=cid_name,
            cid_num=cid_num,
            inherited=inherited,
            on_progress=_ring_caller(caller, inherited),
            caller=caller,
        )
    )
    hangup_task = asyncio.ensure_future(caller.wait_hangup(None))
    try:
        await asyncio.wait({task, hangup_task}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        hangup_task.cancel()
    if not task.done():
        for channel in list(manager.channels.values()):
            if channel.get_variable("originating_leg_uuid") == caller.uuid and "CF_ORIGINATING" in channel.flags:
                channel.hangup(HangupCause.ORIGINATOR_CANCEL)
        try:
            await asyncio.wait_for(task, caller.switch.clock.real_delay(_CANCEL_GRACE))
        except TimeoutError:
            return None, HangupCause.ORIGINATOR_CANCEL
    result = task.result()
    peer = result.channel
    if peer is not None and not caller.ready:
        peer.hangup(HangupCause.ORIGINATOR_CANCEL)
        return None, HangupCause.ORIGINATOR_CANCEL
    if peer is not None and (peer.answered or peer.early_media):
        pass_callee_id(peer, caller)
        if not peer.answered:
            caller.pre_answer()  # the peer's early media reaches the caller
    return peer, result.cause


def pass_callee_id(source: Channel, dest: Channel) -> None:
    """``switch_channel_pass_callee_id``: ``dest`` takes ``source``'s callee id name and
    number (each only when set), as the caller of a bridge does from its peer."""
    theirs, mine = source.profile(), dest.profile()
    if theirs.callee_id_name:
        mine.callee_id_name = theirs.callee_id_name
    if theirs.callee_id_number:
        mine.callee_id_number = theirs.callee_id_number


def _ring_caller(caller: Channel, inherited: dict[str, str]) -> Callable[[Channel], None]:
    """While the peers are dialled: the first one that rings makes the caller ring too
    (CHANNEL_PROGRESS), unless ``ignore_ring_ready``; with ``ignore_early_media=ring_ready``
    early media counts as ringing."""
    if switch_true(inherited.get("ignore_ring_ready")):
        return lambda _leg: None
    early_rings = inherited.get("ignore_early_media") == "ring_ready"
    sent = False

    def on_progress(leg: Channel) -> None:
        nonlocal sent
        ringing = "CF_RING_READY" in leg.flags or (early_rings and leg.early_media)
        if ringing and not sent and caller.ready:
            sent = True
            caller.ring_ready()

    return on_progress


def handle_cause(channel: Channel, cause: HangupCause) -> None:
    """``switch_channel_handle_cause``: hang up the caller after a failed bridge unless
    ``continue_on_fail`` (true, or a list of cause names/numbers) / ``failure_causes`` say
    to go on; NO_ANSWER, NO_USER_RESPONSE and ORIGINATOR_CANCEL always go on when neither is
    set. ``transfer_on_fail`` is not simulated."""
    if not channel.ready or cause == HangupCause.ATTENDED_TRANSFER:
        if channel.ready:
            channel.hangup(cause)
        return
    continue_on_fail = channel.get_variable("continue_on_fail")
    failure_causes = channel.get_variable("failure_causes")
    names = {cause.name.lower(), str(int(cause))}
    if continue_on_fail is not None or failure_causes is not None:
        if failure_causes is not None:
            listed = {c.strip().lower() for c in separate_string(failure_causes, ",", 256)}
            if not names & listed:
                return
        if continue_on_fail is not None:
            if switch_true(continue_on_fail):
                return
            listed = {c.strip().lower() for c in separate_string(continue_on_fail, ",", 256)}
            if names & listed:
                return
    elif cause in (HangupCause.NO_ANSWER, HangupCause.NO_USER_RESPONSE, HangupCause.ORIGINATOR_CANCEL):
        return
    channel.hangup(cause)


async def bridge_channels(caller: Channel, peer: Channel) -> None:
    """Bridge two up channels until one hangs up or leaves (transfer, park): link them,
    CHANNEL_BRIDGE, the bridge variables, wait, CHANNEL_UNBRIDGE, ``last_bridge_hangup_cause``.

    The peer is moved to CS_EXCHANGE_MEDIA; the caller waits in its current state."""
    clock = caller.switch.clock
    if peer.answered and not caller.answered:
        caller.answer()
    caller.set_other(peer, "originatee")
    peer.set_other(caller, "originator")
    peer.flags.discard("CF_ORIGINATING")
    peer.flags.discard("CF_PARK")
    if peer.state != ChannelState.CS_CONSUME_MEDIA:
        # A peer that was doing something else (uuid_bridge) consumes media first, as
        # recorded; a freshly originated one is there already.
        peer.set_state(ChannelState.CS_CONSUME_MEDIA)
        peer.interrupt()
        await peer.wait_for(
            lambda ch: ch.running_state == ChannelState.CS_CONSUME_MEDIA
            or ch.state != ChannelState.CS_CONSUME_MEDIA,
            _UUID_BRIDGE_WAIT,
        )
    before = peer.state
    peer.set_state(ChannelState.CS_EXCHANGE_MEDIA)
    calllog.state_change(peer, before, ChannelState.CS_EXCHANGE_MEDIA, _EXCHANGE_SITE)
    peer.interrupt()
    peer.set_variable("call_uuid", caller.uuid)
    now = clock.wall_us()
    for channel in (caller, peer):
        channel.profile().times.bridged = now
    _fire_bridge(caller, peer, False)
    for a, b in ((caller, peer), (peer, caller)):
        a.set_variable("bridge_to", b.uuid)
        a.set_variable("last_bridge_to", b.uuid)
    for a, b in ((caller, peer), (peer, caller)):
        a.set_variable("bridge_channel", b.name)
        a.set_variable("bridge_uuid", b.uuid)
        a.set_variable("signal_bond", b.uuid)
    caller.flags.add("CF_BRIDGE_ORIGINATOR")
    caller.flags.add("CF_BRIDGED")
    peer.flags.add("CF_BRIDGED")
    _send_display(caller, peer)
    _send_display(peer, caller)
    entry_state = caller.state

    def poke(_channel: Channel, change: ChannelChange) -> None:
        if change is ChannelChange.HANGUP:
            # The peer's own bridge thread ends with its hang-up, before it reports.
            peer.set_variable("bridge_to", None)
            peer.flags.discard("CF_BRIDGED")
            peer.set_variable("call_uuid", peer.uuid)
        if change in (ChannelChange.HANGUP, ChannelChange.STATE, ChannelChange.ANSWER):
            caller.interrupt()

    remove = peer.add_listener(poke)

    def ended(ch: Channel) -> bool:
        return not peer.ready or peer.state != ChannelState.CS_EXCHANGE_MEDIA or ch.state != entry_state

    # The peer's direction of the bridge: its received digits go out of the caller.
    peer_side = asyncio.ensure_future(_relay_digits(peer, _relay(peer, caller)))
    try:
        for _ in range(1_000_000):
            wake, _ = await media_wait(caller, None, on_digit=_relay(caller, peer), stop=ended)
            if peer.answered and not caller.answered and caller.ready:
                pass_callee_id(peer, caller)
                caller.answer()  # bridged in early media, the peer has now answered
            if wake in (Wake.HANGUP, Wake.STOP):
                break
    finally:
        remove()
        peer_side.cancel()
        await asyncio.gather(peer_side, return_exceptions=True)
    hung_up = not caller.ready
    if hung_up:
        # The caller's audio thread sees its failed read at the next tick; the peer's
        # thread notices one tick later, when it writes to the caller.
        await caller.switch.clock.sleep(FRAME)
    calllog.session_line(caller, 7, _THREAD_DONE_SITE, f"BRIDGE THREAD DONE [{caller.name}]\n")
    if hung_up:
        await caller.switch.clock.sleep(FRAME)
        calllog.session_line(
            peer, 7, _WRITE_END_SITE, f"{caller.name} ending bridge by request from write function\n"
        )
    calllog.session_line(peer, 7, _THREAD_DONE_SITE, f"BRIDGE THREAD DONE [{peer.name}]\n")
    # Each leg's audio thread ends: bridge_to goes, the bridge flags are cleared.
    for channel in (caller, peer):
        channel.set_variable("bridge_to", None)
        channel.flags.discard("CF_BRIDGED")
    caller.flags.discard("CF_BRIDGE_ORIGINATOR")
    left = False
    if not caller.ready and peer.ready:
        # audio_bridge_on_exchange_media: the peer's own end of the bridge
        if not peer.answered:
            peer.hangup(HangupCause.ORIGINATOR_CANCEL)
        else:
            _after(peer, answered=True, cause=None)
    elif caller.state != entry_state and peer.ready and peer.state == ChannelState.CS_EXCHANGE_MEDIA:
        # The caller left (uuid_park, a transfer): the peer's side of the bridge ends first
        # (keeping the caller's call_uuid) and the caller's UNBRIDGE carries its cause.
        left = _after(peer, answered=True, cause=None)
    if caller.hangup_cause is not None and peer.running_state < ChannelState.CS_REPORTING:
        # The peer's thread reports while this one (the caller's) finishes the bridge: as
        # recorded, what it sets on the peer lands after the peer's own reporting data.
        cause = caller.hangup_cause.name

        def late(channel: Channel, change: ChannelChange) -> None:
            if change is ChannelChange.REPORTING:
                channel.set_variable("bridge_hangup_cause", cause)
                if channel.variables.get("call_uuid") != channel.uuid:
                    channel.set_variable("call_uuid", channel.uuid)

        peer.add_listener(late)
    elif caller.hangup_cause is not None:
        peer.set_variable("bridge_hangup_cause", caller.hangup_cause.name)
    if peer.hangup_cause is not None:
        caller.set_variable("bridge_hangup_cause", peer.hangup_cause.name)
    if peer.variables.get("call_uuid") != peer.uuid and not caller.hangup_cause and not left:
        peer.set_variable("call_uuid", peer.uuid)
    if not caller.ready:
        calllog.channel_line(
            caller, 7, _UNBRIDGE_SKIP_SITE,
            f"{caller.name} skip receive message [UNBRIDGE] (channel is hungup already)\n",
        )  # fmt: skip
    _fire_bridge(caller, peer, True)


def _send_display(channel: Channel, peer: Channel) -> None:
    """``send_display``: ``peer`` learns who it is connected to (the INDICATE_DISPLAY a
    channel records as ``last_sent_callee_id_name`` / ``_number``): the bridge's
    originator shows ``peer``'s caller id, the other side its own callee id."""
    mine, theirs = channel.profile(), peer.profile()
    if "CF_BRIDGE_ORIGINATOR" in channel.flags:
        name = theirs.caller_id_name or mine.caller_id_name
        number = theirs.caller_id_number or mine.caller_id_number or "UNKNOWN"
    else:
        name = mine.callee_id_name
        number = mine.callee_id_number or mine.destination_number
    name = name or number
    number = number.rpartition("/")[2]
    name = name.rpartition("/")[2]
    peer.set_variable("last_sent_callee_id_name", name)
    peer.set_variable("last_sent_callee_id_number", number)


def _relay(source: Channel, dest: Channel) -> Callable[[Dtmf], bool]:
    """One direction of a bridge's DTMF (``audio_bridge_thread``): a digit received on
    ``source`` is sent out of ``dest``, i.e. queued on ``dest``'s far-end channel (a
    loopback partner; a simulated remote party just hears it), unless ``source`` has
    ``bridge_filter_dtmf`` set. Never ends the wait."""
    filtered = switch_true(source.get_variable("bridge_filter_dtmf"))

    def on_digit(dtmf: Dtmf) -> bool:
        target = channel_far_end(dest)
        if not filtered and dest.ready and target is not None and target.ready:
            target.queue_dtmf(dtmf.digit, dtmf.duration, source=dtmf.source)
        return False

    return on_digit


async def _relay_digits(channel: Channel, on_digit: Callable[[Dtmf], bool]) -> None:
    """Hand every digit ``channel`` receives to ``on_digit`` until cancelled or it is gone."""
    while channel.ready:
        while channel.has_dtmf():
            dtmf = channel.dequeue_dtmf()
            if dtmf is not None:
                on_digit(dtmf)
        await channel.wait_for(lambda ch: ch.has_dtmf() or not ch.ready, None)


def _transfer_after(channel: Channel, where: str) -> None:
    """``transfer_after_bridge()``: the variable goes, then ``exten[:dialplan[:context]]``."""
    channel.set_variable("transfer_after_bridge", None)
    argv = separate_string(where, ":", 4)
    if argv and argv[0]:
        channel.switch.sessions.runner.transfer(
            channel, argv[0], argv[1] if len(argv) > 1 else None, argv[2] if len(argv) > 2 else None
        )


def end_of_bridge(caller: Channel, peer: Channel, *, resume: bool, caller_state: ChannelState) -> None:
    """What happens once a bridge ended: the peer, if still waiting in the bridge, parks
    (``park_after_bridge``), transfers (``transfer_after_bridge``) or hangs up
    NORMAL_CLEARING; the caller, if the peer answered, parks, transfers, or hangs up with
    the peer's cause (``hangup_after_bridge``); otherwise it goes on (``resume``: back to
    CS_EXECUTE, as after ``uuid_bridge``). A caller that left ``caller_state`` (transferred,
    parked) is left alone."""
    if peer.ready and peer.state == ChannelState.CS_EXCHANGE_MEDIA:
        _after(peer, answered=True, cause=None)
    if caller.ready and caller.state == caller_state:
        cause = peer.hangup_cause or HangupCause.NORMAL_CLEARING
        hup = caller.get_variable("hangup_after_bridge")
        if hup is not None and hup.lower() == "explicit":
            caller.hangup(cause)
            return
        if not _after(caller, answered=peer.answered, cause=cause if switch_true(hup) else None) and resume:
            if caller.ready and caller.state == ChannelState.CS_EXCHANGE_MEDIA:
                caller.plan = []
                caller.set_state(ChannelState.CS_EXECUTE)


def _after(channel: Channel, *, answered: bool, cause: HangupCause | None) -> bool:
    v = channel.get_variable
    if (answered and switch_true(v("park_after_bridge"))) or switch_true(v("park_after_early_bridge")):
        channel.plan = []
        channel.set_state(ChannelState.CS_PARK)
        channel.interrupt()
        return True
    where = v("transfer_after_bridge") if answered else None
    where = where or v("transfer_after_early_bridge")
    if where:
        _transfer_after(channel, where)
        return True
    if cause is not None and answered:
        channel.hangup(cause)
        return True
    if channel.state == ChannelState.CS_EXCHANGE_MEDIA and channel.other is not None and channel.other_type == "originator":
        channel.hangup(HangupCause.NORMAL_CLEARING, _PEER_HANGUP_SITE)
        return True
    return False


def uuid_bridge(switch: Switch, a_uuid: str, b_uuid: str) -> bool:
    """``switch_ivr_uuid_bridge``: the two channels leave what they run (their park
    completes) and are bridged from the originator's CS_SOFT_EXECUTE.

    Now: the bridge variables, a new caller profile each (``transfer_source``
    ``<epoch>:<uuid>:uuid_br:<other>``, ``transfer_history``), each other's profile as
    ``Other-Leg``, and both asked for CS_HIBERNATE. Then (:func:`_uuid_bridge_run`): each
    goes CS_HIBERNATE → CS_RESET, the originator CS_SOFT_EXECUTE, the other CS_SOFT_EXECUTE
    when the originator asks, the pseudo-application ``uuid_bridge`` fires on both and the
    bridge runs; after it the originator goes back to CS_EXECUTE (the rest of its
    dialplan). False when a channel is missing or neither has media."""
    from eslkit.switch.ivr.transfer import push_variable, set_caller_profile

    a = switch.sessions.find_session(a_uuid)
    b = switch.sessions.find_session(b_uuid)
    if a is None or b is None or a is b or not a.ready or not b.ready:
        return False
    if not (a.answered or a.early_media):
        if not (b.answered or b.early_media):
            return False
        a, b = b, a  # "reversing order of channels so this will work!"
    a.hit_dialplan = True  # CF_DIALPLAN on the originator
    if b.direction is Direction.OUTBOUND:
        b.hit_dialplan = False
    a.set_variable("uuid_bridge", b.uuid)
    for x, y in ((a, b), (b, a)):
        x.set_variable("bridge_channel", y.name)
        x.set_variable("bridge_uuid", y.uuid)
        x.set_variable("signal_bond", y.uuid)
    # The displays: a channel that shows the far end's id swaps its caller and callee ids.
    if (a.direction is Direction.INBOUND and "CF_BLEG" in a.flags) or (
        a.direction is Direction.OUTBOUND and not a.hit_dialplan
    ):
        _invert_cid(a)
        if a.direction is Direction.INBOUND:
            b.flags.discard("CF_BLEG")
    if (b.direction is Direction.INBOUND and "CF_BLEG" not in b.flags) or (
        b.direction is Direction.OUTBOUND and b.hit_dialplan
    ):
        _invert_cid(b)
        if b.direction is Direction.INBOUND:
            b.flags.add("CF_BLEG")
    for channel in (b, a):
        profile = channel.profile()
        channel.set_variable("original_destination_number", profile.destination_number)
        channel.set_variable("original_caller_id_name", profile.caller_id_name)
        channel.set_variable("original_caller_id_number", profile.caller_id_number)
    for channel in (b, a):
        step = channel.profile().clone()
        step.transfer_source = ""
        set_caller_profile(channel, step)
    a_profile, b_profile = a.profile(), b.profile()
    b.set_originator_profile(a_profile.snapshot())
    a.set_originatee_profile(b_profile.snapshot())
    a_profile.callee_id_name = b_profile.callee_id_name
    a_profile.callee_id_number = b_profile.callee_id_number
    b_profile.caller_id_name = a_profile.caller_id_name
    b_profile.caller_id_number = a_profile.caller_id_number
    epoch = int(switch.clock.epoch())
    for x, y in ((a, b), (b, a)):
        x.flags.add("CF_TRANSFER")
        x.flags.discard("CF_ORIGINATING")
        source = f"{epoch}:{new_uuid()}:uuid_br:{y.uuid}"
        x.profile().transfer_source = source
        push_variable(x, "transfer_history", source)
        x.set_variable("transfer_source", source)
    for channel in (a, b):
        channel.flags.discard("CF_PARK")
        channel.plan = []
        state = channel.state
        channel.set_state(
            ChannelState.CS_CONSUME_MEDIA if state == ChannelState.CS_HIBERNATE else ChannelState.CS_HIBERNATE
        )
        channel.interrupt()
    a.flags.add("CF_UUID_BRIDGE_ORIGINATOR")
    switch.spawn(_uuid_bridge_run(a, b))
    return True


def _invert_cid(channel: Channel) -> None:
    """``switch_channel_invert_cid``: caller and callee ids swap (an empty one reads
    ``Unknown``)."""
    p = channel.profile()
    name, number = p.caller_id_name, p.caller_id_number
    p.caller_id_name = p.callee_id_name or "Unknown"
    p.caller_id_number = p.callee_id_number or "Unknown"
    p.callee_id_name = name
    p.callee_id_number = number


async def _uuid_bridge_run(a: Channel, b: Channel) -> None:
    """The uuid_bridge state handlers: hibernate → reset on both, the originator's soft
    execute waits for the other's reset, moves it to soft execute and bridges."""
    try:
        await _uuid_bridge_states(a, b)
    finally:
        if a.soft_execute is None:
            a.flags.discard("CF_UUID_BRIDGE_ORIGINATOR")


async def _uuid_bridge_states(a: Channel, b: Channel) -> None:

    async def enter(channel: Channel, state: ChannelState) -> bool:
        if not channel.ready:
            return False
        channel.set_state(state)
        return await channel.wait_for(
            lambda ch: ch.running_state == state or not ch.ready, _UUID_BRIDGE_WAIT
        ) and channel.ready

    async def parked_out(channel: Channel) -> bool:
        return await channel.wait_for(
            lambda ch: ch.running_state in (ChannelState.CS_HIBERNATE, ChannelState.CS_CONSUME_MEDIA)
            or not ch.ready,
            _UUID_BRIDGE_WAIT,
        ) and channel.ready

    if not (await parked_out(a) and await enter(a, ChannelState.CS_RESET)):
        return
    ready_b = await parked_out(b) and await enter(b, ChannelState.CS_RESET)

    async def soft_execute() -> None:
        try:
            await _uuid_bridge_soft_execute(a, b, ready_b, enter)
        finally:
            a.flags.discard("CF_UUID_BRIDGE_ORIGINATOR")

    # The rest runs in the originator's own session, as its soft execute state handler: a
    # hang-up of the originator finishes the bridge (UNBRIDGE) before the channel reports.
    a.soft_execute = soft_execute
    if a.ready:
        a.set_state(ChannelState.CS_SOFT_EXECUTE)


async def _uuid_bridge_soft_execute(
    a: Channel, b: Channel, ready_b: bool, enter: Callable[[Channel, ChannelState], Awaitable[bool]]
) -> None:
    """``uuid_bridge_on_soft_execute`` of the originator ``a``."""
    if not ready_b or not await enter(b, ChannelState.CS_SOFT_EXECUTE):
        if a.ready:
            a.hangup(HangupCause.DESTINATION_OUT_OF_ORDER)
        return
    for channel in (a, b):
        channel.flags.discard("CF_TRANSFER")
    a.set_variable("uuid_bridge", None)
    if not (b.answered or b.early_media):
        # switch_ivr_wait_for_answer gives up at once on a leg without media (recorded:
        # uuid_bridge_ringing_leg_then_answer): that leg goes (DESTINATION_OUT_OF_ORDER),
        # then the originator goes on, parks or is cancelled.
        if b.ready:
            b.hangup(HangupCause.DESTINATION_OUT_OF_ORDER)
        if switch_true(a.get_variable("uuid_bridge_continue_on_cancel")):
            a.set_state(ChannelState.CS_EXECUTE)
        elif switch_true(a.get_variable("uuid_bridge_park_on_cancel")):
            a.set_state(ChannelState.CS_PARK)
        elif a.ready:
            a.hangup(HangupCause.ORIGINATOR_CANCEL)
        return
    if not a.ready or not b.ready:
        if not a.ready and b.ready:
            b.hangup(HangupCause.DESTINATION_OUT_OF_ORDER)
        elif a.ready:
            a.hangup(HangupCause.DESTINATION_OUT_OF_ORDER)
        return
    for x, y, site in ((a, b, UUID_BRIDGE_SITE), (b, a, UUID_BRIDGE_OTHER_SITE)):
        extra = [("Application", "uuid_bridge"), ("Application-Data", y.uuid)]
        ce.fire_channel_event(x, EventType.CHANNEL_EXECUTE, site, extra)
    await bridge_channels(a, b)
    # The state change cleared CF_REDIRECT: the caller's after-bridge rules apply
    # (park_after_bridge, hangup_after_bridge, ...); otherwise back to CS_EXECUTE.
    end_of_bridge(a, b, resume=False, caller_state=ChannelState.CS_SOFT_EXECUTE)
    if a.ready and a.state == ChannelState.CS_SOFT_EXECUTE:
        a.set_state(ChannelState.CS_EXECUTE)


def find_bridged_uuid(channel: Channel) -> str | None:
    """``switch_ivr_find_bridged_uuid``: ``originate_signal_bond``, else the partner's
    uuid (``signal_bond``)."""
    v = channel.variables.get
    return v("originate_signal_bond") or v("signal_bond") or None


def intercept_session(channel: Channel, uuid: str, *, bleg: bool = False) -> bool:
    """``switch_ivr_intercept_session``: ``channel`` takes over ``uuid`` (with ``bleg``: the
    channel bridged to ``uuid``): that one is answered if it rings, marked intercepted,
    its partner (if any) told to park after the bridge, and it is uuid_bridged to
    ``channel``, the originator. False when there is nothing to intercept."""
    switch = channel.switch
    sessions = switch.sessions
    if bleg:
        holder = sessions.find_session(uuid)
        found = find_bridged_uuid(holder) if holder is not None else None
        if not found:
            return False
        uuid = found
    target = sessions.find_session(uuid) if uuid else None
    if target is None or target.state >= ChannelState.CS_HANGUP:
        return False
    partner_uuid = target.variables.get("signal_bond") or target.variables.get("originate_signal_bond")
    if partner_uuid == channel.uuid:
        partner_uuid = None
    if switch_true(channel.get_variable("intercept_unbridged_only")) and "CF_BRIDGED" in target.flags:
        return False
    if switch_true(channel.get_variable("intercept_unanswered_only")) and target.answered:
        return False
    channel.answer()
    partner = sessions.find_session(partner_uuid) if partner_uuid else None
    if partner is not None:
        partner.flags.add("CF_INTERCEPT")
    if not target.answered:
        target.answer()
    target.flags.add("CF_TRANSFER")
    target.set_state(ChannelState.CS_PARK)
    if partner is not None:
        partner.set_variable("park_after_bridge", "true")
    if switch_true(channel.get_variable("intercept_pre_bond")):
        channel.set_variable("signal_bond", uuid)
        target.set_variable("signal_bond", channel.uuid)
    target.flags.add("CF_INTERCEPTED")
    return uuid_bridge(switch, channel.uuid, uuid)
