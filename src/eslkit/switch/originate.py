"""``originate``: create outbound legs from a dial string and wait for one to answer.

``,`` legs ring together (the first to answer wins, the others hang up LOSE_RACE); ``|``
groups are tried in turn. As in FreeSWITCH, a leg with early media wins too unless
``ignore_early_media`` (or ``bridge_early_media``, ``monitor_early_media_*``) says
otherwise: the originate completes with that leg still unanswered. ``originate_timeout`` (or the API's timeout argument) is counted
in whole epoch seconds like ``switch_ivr_originate`` (Finding 13): the call fails with
NO_ANSWER between ``timeout - 1`` and ``timeout`` seconds after it started.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from eslkit.fsutil import c_atoi, switch_true
from eslkit.protocol.names import ChannelState, EventType, HangupCause
from eslkit.protocol.records import CallingSite
from eslkit.switch import calllog
from eslkit.switch import channel_events as ce
from eslkit.switch.channel import CallState, Channel, ChannelChange
from eslkit.switch.dialstring import DialString, DialStringError, parse_dial_string
from eslkit.switch.endpoints import OutgoingRequest
from eslkit.switch.execute_on import run_hooks
from eslkit.switch.ivr.transfer import push_variable, session_transfer
from eslkit.switch.logging import TextChannel

if TYPE_CHECKING:
    from eslkit.switch.sessions import SessionManager

__all__ = [
    "INHERITED_VARIABLES",
    "OriginateResult",
    "early_media_wins",
    "flip_cid",
    "originate",
    "start_after_originate",
]

_ORIGINATE_FILE = "switch_ivr_originate.c"
_LOOPBACK_FROM_SITE = CallingSite("mod_loopback.c", "channel_outgoing_channel", 1191)
_RING_WAIT_SITE = CallingSite("switch_channel.c", "switch_channel_set_flag_value", 1974)
_RING_WAIT_END_SITE = CallingSite("switch_channel.c", "switch_channel_clear_flag", 2198)
_FLIP_SITE = CallingSite("switch_channel.c", "switch_channel_flip_cid", 3291)
_ORIGINATE_EXECUTE_SITE = CallingSite("mod_commands.c", "originate_function", 5191)

#: The caller's variables a bridge's originate reads (FreeSWITCH copies these into its
#: variable event), besides the dial string's ``{...}``.
INHERITED_VARIABLES = (
    "ignore_early_media",
    "bridge_early_media",
    "ignore_ring_ready",
    "monitor_early_media_ring",
    "monitor_early_media_fail",
)


def early_media_wins(variables: Mapping[str, str]) -> bool:
    """FreeSWITCH's ``early_ok``: whether a leg in early media completes the originate."""
    ignore = variables.get("ignore_early_media", "")
    return not (
        switch_true(ignore)
        or ignore in ("consume", "ring_ready")
        or switch_true(variables.get("bridge_early_media"))
        or switch_true(variables.get("monitor_early_media_ring"))
        or switch_true(variables.get("monitor_early_media_fail"))
    )


@dataclass(frozen=True, slots=True)
class OriginateResult:
    """The answered channel, or the cause of failure."""

    channel: Channel | None
    cause: HangupCause


async def originate(
    manager: SessionManager,
    dial_string: str,
    *,
    timeout: int = 60,
    cid_name: str | None = None,
    cid_num: str | None = None,
    inherited: Mapping[str, str] | None = None,
    on_progress: Callable[[Channel], None] | None = None,
    caller: Channel | None = None,
    var_event: Sequence[tuple[str, str]] | None = None,
) -> OriginateResult:
    """Originate ``dial_string``; on success the winning leg is answered (or in early
    media) and left in CS_CONSUME_MEDIA (see :func:`start_after_originate`).

    ``inherited`` are the calling channel's variables of :data:`INHERITED_VARIABLES` (the
    dial string's ``{...}`` override them); ``on_progress(leg)`` is called when a leg rings
    or gets early media. ``caller`` is the session originating (``bridge``): the legs and
    the caller get what FreeSWITCH's originate with a session sets (see :func:`_session_leg`,
    :func:`_caller_result`). ``var_event`` is an event whose headers the legs get as
    variables before the dial string's ``{...}`` (``switch_ivr_originate``'s ``ovars``)."""
    switch = manager.switch
    if switch.logs.listen >= 7:
        # SWITCH_CHANNEL_SESSION_LOG(session): the originating session's uuid, if any.
        switch.log(7, "Parsing global variables\n", file=_ORIGINATE_FILE, function="switch_ivr_originate",
                   line=2301, channel=TextChannel.SESSION,
                   session_uuid=caller.uuid if caller is not None else "")  # fmt: skip
    try:
        parsed = parse_dial_string(dial_string)
    except DialStringError:
        return OriginateResult(None, HangupCause.INVALID_URL)
    if var_event is not None:
        merged = dict(var_event)
        for key, text in parsed.global_vars.items():
            merged.pop(key, None)
            merged[key] = text
        parsed = DialString(merged, parsed.groups)
    if caller is None:
        # Without a session the ids are the caller's overrides (the originate API's cid_name
        # / cid_num): they join the {} list unless it names them, so every leg has them as
        # variables. (A bridge's ids come from its caller's profile, not as overrides.)
        for name, value in (("origination_caller_id_name", cid_name), ("origination_caller_id_number", cid_num)):
            if value is not None and name not in parsed.global_vars:
                parsed.global_vars[name] = value
    early_ok = early_media_wins({**(inherited or {}), **parsed.global_vars})
    if caller is not None and caller.answered and caller.ready:
        caller.set_call_state(CallState.RING_WAIT, _RING_WAIT_SITE)  # CF_ORIGINATOR on an answered channel
    try:
        return await _originate_groups(
            manager, parsed, timeout, cid_name, cid_num, early_ok, on_progress, caller
        )
    finally:
        if caller is not None and caller.call_state == CallState.RING_WAIT and caller.ready:
            caller.set_call_state(CallState.ACTIVE, _RING_WAIT_END_SITE)


async def _originate_groups(
    manager: SessionManager,
    parsed: DialString,
    timeout: int,
    cid_name: str | None,
    cid_num: str | None,
    early_ok: bool,
    on_progress: Callable[[Channel], None] | None,
    caller: Channel | None,
) -> OriginateResult:
    cause = HangupCause.NORMAL_CLEARING
    for group in parsed.groups:
        legs: list[Channel] = []
        group_timeout = timeout
        clobber = switch_true(parsed.global_vars.get("local_var_clobber"))
        for leg in group:
            # Options read the {} and [] lists merged, [] taking precedence ...
            variables = dict(parsed.global_vars)
            variables.update(leg.variables)
            # ... while the channel gets the [] list first and then the {} list, which so
            # wins a clash and comes last (local_var_clobber=true: the other way round). The
            # {} list ends with originate_early_media, which FreeSWITCH adds to it per leg.
            global_vars = {k: v for k, v in parsed.global_vars.items() if k != "originate_early_media"}
            global_vars["originate_early_media"] = "true" if early_ok else "false"
            first, then = (global_vars, leg.variables) if clobber else (leg.variables, global_vars)
            channel_vars = dict(first)
            for name, value in then.items():
                channel_vars.pop(name, None)
                channel_vars[name] = value
            if "originate_timeout" in variables:
                group_timeout = c_atoi(variables["originate_timeout"])
            request = OutgoingRequest(
                endpoint=leg.endpoint,
                target=leg.target or "",
                variables=channel_vars,
                uuid=variables.get("origination_uuid"),
                cid_name=variables.get("origination_caller_id_name") or cid_name or "",
                cid_num=variables.get("origination_caller_id_number") or cid_num or "0000000000",
            )
            made = manager.outgoing(request)
            if isinstance(made, HangupCause):
                cause = made
                continue
            if caller is not None:
                _session_leg(caller, made, variables)
                made.set_variable("originating_leg_uuid", caller.uuid)
                profile = made.profile()
                push_variable(
                    caller,
                    "originated_legs",
                    f"{made.uuid};{profile.callee_id_name};{profile.callee_id_number}",
                )
            made.set_variable("originate_endpoint", leg.endpoint)
            ce.fire_channel_event(made, EventType.CHANNEL_OUTGOING, ce.OUTGOING_SITE)
            run_hooks(made, "originate")
            legs.append(made)
        if not legs:
            if caller is not None:
                _caller_result(caller, legs, None, cause)
            continue
        for leg_channel in legs:
            manager.start(leg_channel)
        progress = on_progress
        if caller is not None and len(legs) == 1:
            progress = _callee_id_on_ring(caller, on_progress)
        limits = {
            leg_channel: limit
            for leg_channel in legs
            if (limit := c_atoi(leg_channel.variables.get("leg_timeout") or "0")) > 0
        }
        single_reject = parsed.global_vars.get("fail_on_single_reject")
        if single_reject is None and switch_true(parsed.global_vars.get("hangup_on_single_reject")):
            single_reject = ""
        winner, cause, timed_out = await _race(
            manager, legs, group_timeout, early_ok, progress, limits, single_reject
        )
        if caller is not None:
            _caller_result(caller, legs, winner, cause)
        if winner is not None:
            switch = manager.switch
            if switch.logs.listen >= 7:
                switch.log(
                    7, f"Originate Resulted in Success: [{winner.name}] Peer UUID: {winner.uuid}\n",
                    file=_ORIGINATE_FILE, function="switch_ivr_originate", line=3913,
                    channel=TextChannel.SESSION, session_uuid=caller.uuid if caller is not None else "",
                )  # fmt: skip
            return OriginateResult(winner, HangupCause.SUCCESS)
        if timed_out and not switch_true(parsed.global_vars.get("originate_continue_on_timeout")):
            break  # a group that timed out ends the originate (originate_continue_on_timeout)
    return OriginateResult(None, cause)


_DIALSTATUS = {
    HangupCause.ORIGINATOR_CANCEL: "CANCEL",
    HangupCause.USER_BUSY: "BUSY",
    HangupCause.NO_ANSWER: "NOANSWER",
    HangupCause.DESTINATION_OUT_OF_ORDER: "INVALIDARGS",
    HangupCause.INVALID_PROFILE: "INVALIDARGS",
    HangupCause.CALL_REJECTED: "DONTCALL",
}


def _callee_id_on_ring(
    caller: Channel, on_progress: Callable[[Channel], None] | None
) -> Callable[[Channel], None]:
    """With a single leg, the first ring passes the leg's callee id to the caller
    (``switch_channel_pass_callee_id``) before the caller rings."""
    sent = False

    def progress(leg: Channel) -> None:
        nonlocal sent
        if not sent and "CF_RING_READY" in leg.flags:
            sent = True
            if not switch_true(leg.variables.get("ignore_ring_ready")):
                theirs, mine = leg.profile(), caller.profile()
                if theirs.callee_id_name:
                    mine.callee_id_name = theirs.callee_id_name
                if theirs.callee_id_number:
                    mine.callee_id_number = theirs.callee_id_number
        if on_progress is not None:
            on_progress(leg)

    return progress


def _session_leg(caller: Channel, leg: Channel, variables: Mapping[str, str]) -> None:
    """What a leg created by a session gets (``switch_core_session_outgoing_channel`` and
    the originate): a profile whose original caller id and ANI are the originate's own
    (the caller's id is only displayed), the caller's profile as ``Other-Leg``
    (originator), ``max_forwards``, ``originator_codec``, ``originator``, ``signal_bond``
    and the caller's ``call_uuid`` before the dial string's variables; the caller gets
    ``originate_signal_bond``."""
    profile = leg.profile()
    profile.orig_caller_id_name = variables.get("origination_caller_id_name", "")
    profile.orig_caller_id_number = variables.get("origination_caller_id_number", "0000000000")
    profile.ani = variables.get("origination_ani", profile.orig_caller_id_number)
    leg.set_originator_profile(caller.profile().snapshot())
    forwards = caller.variables.get("max_forwards")
    codec = caller.read_codec
    session_vars = {
        "max_forwards": str(c_atoi(forwards) - 1) if forwards else "70",
        "originator_codec": f"{codec.name}@{codec.rate}h@20i" if codec else "",
        "originator": caller.uuid,
        "signal_bond": caller.uuid,
        "call_uuid": caller.variables.get("call_uuid") or caller.uuid,
    }
    old = leg.variables
    ordered: dict[str, str] = {}
    # They follow channel_name, or uuid when an origination uuid moved it after that.
    names = list(old)
    anchor = max(("channel_name", "uuid"), key=lambda n: names.index(n) if n in old else -1)
    for name, value in old.items():
        if name == "channel_name" and leg.endpoint == "loopback":
            ordered["loopback_from_uuid"] = caller.uuid
            calllog.session_line(leg, 7, _LOOPBACK_FROM_SITE, f"setting loopback_from_uuid to {caller.uuid}\n")
        if name == "call_uuid":
            continue
        ordered[name] = value
        if name == anchor:
            ordered.update((k, v) for k, v in session_vars.items() if v)
    old.clear()
    old.update(ordered)
    caller.set_variable("originate_signal_bond", leg.uuid)


def _caller_result(caller: Channel, legs: list[Channel], winner: Channel | None, cause: HangupCause) -> None:
    """The end of one ``|`` group of an originate with a session: the caller's
    ``originate_disposition``, ``DIALSTATUS``, one ``originate_causes`` entry per leg and,
    on success, the winner as ``Other-Leg`` (originatee) and ``signal_bond``."""
    if winner is not None and (winner.answered or winner.early_media):
        theirs, mine = winner.profile(), caller.profile()
        if theirs.callee_id_name:
            mine.callee_id_name = theirs.callee_id_name
        if theirs.callee_id_number:
            mine.callee_id_number = theirs.callee_id_number
        if winner.answered:
            caller.answer()
        else:
            caller.pre_answer()
    result = HangupCause.SUCCESS if winner is not None else cause
    caller.set_variable("originate_disposition", result.name)
    caller.set_variable("DIALSTATUS", _DIALSTATUS.get(result, result.name))
    for leg in legs:
        leg_cause = "NONE" if leg is winner or leg.hangup_cause is None else leg.hangup_cause.name
        push_variable(caller, "originate_causes", f"{leg.uuid};{leg_cause}")
    if winner is not None:
        caller.set_originatee_profile(winner.profile().snapshot())
        caller.set_variable("signal_bond", winner.uuid)
        caller.set_variable("originate_signal_bond", None)


async def _race(
    manager: SessionManager,
    legs: list[Channel],
    timeout: int,
    early_ok: bool = False,
    on_progress: Callable[[Channel], None] | None = None,
    leg_limits: Mapping[Channel, int] | None = None,
    single_reject: str | None = None,
) -> tuple[Channel | None, HangupCause, bool]:
    """Wait for a winner; also says whether the originate's timeout ended the wait.
    ``leg_limits`` are the legs' ``leg_timeout``s: a leg still up once more than that many
    whole seconds have passed is hung up ALLOTTED_TIMEOUT (``check_per_channel_timeouts``);
    the originate's own timeout hangs up NO_ANSWER.

    ``single_reject`` is ``fail_on_single_reject`` ("" for ``hangup_on_single_reject``):
    once a leg is down, a fatal refusal (any, for true/""; else a cause whose name contains
    the value, ``!`` negating) ends the wait as a timeout would (NO_ANSWER). With a cause
    list and no fatal refusal, the timeout does not end the wait: FreeSWITCH's progress
    timeout (the same limit, passed by a whole second) does, PROGRESS_TIMEOUT."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()
    clock = manager.switch.clock

    def won(leg: Channel) -> bool:
        return leg.ready and (leg.answered or (early_ok and leg.early_media))

    # The leg that won when it answered: FreeSWITCH's originate thread returns with it at
    # once, even if the leg's own thread hangs it up right after (a dialplan that answers
    # and then fails); here that thread may run on before this coroutine resumes.
    first: list[Channel] = []
    rejected: list[bool] = []

    def check(channel: Channel | None = None, change: ChannelChange | None = None) -> None:
        if done.done():
            return
        if on_progress is not None and channel is not None and change is ChannelChange.PROGRESS:
            on_progress(channel)
        winner = next((leg for leg in legs if won(leg)), None)
        if winner is not None:
            first.append(winner)
            done.set_result(None)
        elif all(not leg.ready for leg in legs):
            done.set_result(None)
        elif single_reject is not None and _rejected(legs, single_reject):
            rejected.append(True)
            done.set_result(None)

    removers = [leg.add_listener(check) for leg in legs]
    timers: list[asyncio.TimerHandle] = []
    progress_timeout = False
    try:
        check()
        start = math.floor(clock.epoch())
        for leg, limit in (leg_limits or {}).items():
            expire = max(0.0, (start + limit + 1) - clock.epoch())
            timers.append(loop.call_later(clock.real_delay(expire), _expire_leg, leg, won))
        limit = max(1, timeout)
        timed_out = False
        wait = max(0.0, (start + limit) - clock.epoch())
        try:
            await asyncio.wait_for(asyncio.shield(done), clock.real_delay(wait))
        except TimeoutError:
            timed_out = True
        if timed_out and single_reject is not None and not _rejected(legs, single_reject, timeout=True):
            wait = max(0.0, (start + limit + 1) - clock.epoch())
            try:
                await asyncio.wait_for(asyncio.shield(done), clock.real_delay(wait))
                timed_out = False
            except TimeoutError:
                progress_timeout = True
    finally:
        for timer in timers:
            timer.cancel()
        for remove in removers:
            remove()
    winner = next((leg for leg in legs if won(leg)), None) or (first[0] if first else None)
    if winner is not None:
        for leg in legs:
            if leg is not winner and leg.ready:
                leg.set_variable("group_dial_status", "loser")
                leg.hangup(HangupCause.LOSE_RACE)
        return winner, HangupCause.SUCCESS, False
    if progress_timeout:
        for leg in legs:
            leg.hangup(HangupCause.PROGRESS_TIMEOUT)
        return None, HangupCause.PROGRESS_TIMEOUT, True
    causes = [leg.hangup_cause for leg in legs if leg.hangup_cause is not None]
    if len(causes) == len(legs) and not rejected:
        # Every leg failed: FreeSWITCH reports the first leg's cause (in dial order).
        return None, causes[0], False
    for leg in legs:
        leg.hangup(HangupCause.NO_ANSWER if leg.ready else leg.hangup_cause or HangupCause.NO_ANSWER)
    return None, HangupCause.NO_ANSWER, timed_out


def _rejected(legs: list[Channel], single_reject: str, *, timeout: bool = False) -> bool:
    """Whether the legs that are down make a ``fail_on_single_reject`` fatal (checked once
    a leg is down, or at the timeout)."""
    if not timeout and all(leg.ready for leg in legs):
        return False
    if not single_reject or switch_true(single_reject):
        return True
    neg = single_reject.startswith("!")
    wanted = single_reject.lower()
    for leg in legs:
        if not leg.ready and leg.hangup_cause is not None:
            if (wanted in leg.hangup_cause.name.lower()) != neg:
                return True
    return False


def _expire_leg(leg: Channel, won: Callable[[Channel], bool]) -> None:
    if leg.ready and not won(leg):
        leg.hangup(HangupCause.ALLOTTED_TIMEOUT)


def flip_cid(channel: Channel) -> None:
    """``switch_channel_flip_cid``: the callee id becomes the caller id (the old one kept in
    ``pre_transfer_caller_id_*``), ``channel_cid_flipped``, the channel has hit the dialplan,
    CALL_UPDATE."""
    profile = channel.profile()
    old_name, old_num = profile.caller_id_name, profile.caller_id_number
    profile.caller_id_name, profile.caller_id_number = profile.callee_id_name, profile.callee_id_number
    profile.callee_id_name, profile.callee_id_number = old_name, old_num
    if old_name:
        channel.set_variable("pre_transfer_caller_id_name", old_name)
    if old_num:
        channel.set_variable("pre_transfer_caller_id_number", old_num)
    channel.set_variable("channel_cid_flipped", "yes")
    if channel.switch.logs.listen >= 6:
        v = channel.get_variable
        calllog.session_line(
            channel, 6, _FLIP_SITE,
            f'{channel.name} Flipping CID from "{v("pre_transfer_caller_id_name") or ""}" '
            f'<{v("pre_transfer_caller_id_number") or ""}> to "{profile.caller_id_name}" '
            f"<{profile.caller_id_number}>\n",
        )  # fmt: skip
    channel.hit_dialplan = True
    ce.fire_call_update(channel)


def start_after_originate(
    channel: Channel,
    *,
    application: str | None,
    app_args: str | None,
    exten: str,
    dialplan: str,
    context: str,
) -> None:
    """What the ``originate`` API does with the answered leg: run ``&app(args)`` (setting
    the caller extension flips the caller id: CALL_UPDATE), or ``switch_ivr_session_transfer``
    to ``exten`` (a new caller profile; the id flips only if the dialplan finds an extension)."""
    if application is None:
        channel.flags.discard("CF_ORIGINATING")
        if channel.ready:
            session_transfer(channel, exten, dialplan, context)
        return
    flip_cid(channel)
    channel.flags.discard("CF_ORIGINATING")
    if not channel.ready:
        return
    channel.plan = [(application, app_args or "")]
    old_state = channel.state
    channel.set_state(ChannelState.CS_EXECUTE)
    calllog.state_change(channel, old_state, ChannelState.CS_EXECUTE, _ORIGINATE_EXECUTE_SITE)
