"""Scheduled channel actions (``switch_ivr_schedule_hangup``, ``_transfer``, ``_broadcast``)
and ``switch_ivr_broadcast``.

Each is a task of the switch's scheduler (so on the switch clock: ``--time-scale`` applies)
whose group is the channel's uuid (``sched_del <uuid>`` removes them) and whose description
is the FreeSWITCH function's name, as the ADD_SCHEDULE / DEL_SCHEDULE events show. The task
looks the channel up when it runs; a channel that is gone by then is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from eslkit.protocol.event import Event
from eslkit.protocol.names import HangupCause

if TYPE_CHECKING:
    from eslkit.switch.channel import Channel
    from eslkit.switch.clock import ScheduledTask
    from eslkit.switch.core import Switch

__all__ = [
    "broadcast",
    "partner_uuid",
    "schedule_broadcast",
    "schedule_hangup",
    "schedule_transfer",
]


def partner_uuid(channel: Channel) -> str | None:
    """``switch_channel_get_partner_uuid``: ``signal_bond``, else ``originate_signal_bond``."""
    return channel.variables.get("signal_bond") or channel.variables.get("originate_signal_bond")


@dataclass(frozen=True, slots=True)
class _HangupJob:
    switch: Switch
    uuid: str
    cause: HangupCause
    bleg: bool


@dataclass(frozen=True, slots=True)
class _TransferJob:
    switch: Switch
    uuid: str
    extension: str | None
    dialplan: str | None
    context: str | None


@dataclass(frozen=True, slots=True)
class _BroadcastJob:
    switch: Switch
    uuid: str
    path: str
    aleg: bool
    bleg: bool


def _hangup_task(task: ScheduledTask) -> None:
    job = task.data
    assert isinstance(job, _HangupJob)
    channel = job.switch.sessions.find_session(job.uuid)
    if channel is None:
        return
    if job.bleg:
        partner = partner_uuid(channel)
        other = job.switch.sessions.find_session(partner) if partner else None
        if other is None:
            job.switch.log(
                4, "No channel to hangup\n", file="switch_ivr_async.c", function="sch_hangup_callback",
                line=5524, session_uuid=channel.uuid,
            )  # fmt: skip
            return
        channel = other
    channel.hangup(job.cause)


def _transfer_task(task: ScheduledTask) -> None:
    job = task.data
    assert isinstance(job, _TransferJob)
    channel = job.switch.sessions.find_session(job.uuid)
    if channel is not None:
        job.switch.sessions.runner.transfer(channel, job.extension, job.dialplan, job.context)


def _broadcast_task(task: ScheduledTask) -> None:
    job = task.data
    assert isinstance(job, _BroadcastJob)
    broadcast(job.switch, job.uuid, job.path, aleg=job.aleg, bleg=job.bleg)


def schedule_hangup(switch: Switch, runtime: int, uuid: str, cause: HangupCause, *, bleg: bool = False) -> int:
    """``switch_ivr_schedule_hangup``: hang ``uuid`` (or its partner) up at ``runtime``."""
    return switch.scheduler.add(
        runtime, _hangup_task, "switch_ivr_schedule_hangup", uuid, data=_HangupJob(switch, uuid, cause, bleg)
    )


def schedule_transfer(
    switch: Switch, runtime: int, uuid: str, extension: str | None, dialplan: str | None, context: str | None
) -> int:
    """``switch_ivr_schedule_transfer``: transfer ``uuid`` at ``runtime``."""
    return switch.scheduler.add(
        runtime,
        _transfer_task,
        "switch_ivr_schedule_transfer",
        uuid,
        data=_TransferJob(switch, uuid, extension, dialplan, context),
    )


def schedule_broadcast(switch: Switch, runtime: int, uuid: str, path: str, *, aleg: bool, bleg: bool) -> int:
    """``switch_ivr_schedule_broadcast``: :func:`broadcast` at ``runtime``."""
    return switch.scheduler.add(
        runtime,
        _broadcast_task,
        "switch_ivr_schedule_broadcast",
        uuid,
        data=_BroadcastJob(switch, uuid, path, aleg, bleg),
    )


def _execute_message(app: str, arg: str) -> Event:
    return Event(
        [
            ("call-command", "execute"),
            ("execute-app-name", app),
            ("execute-app-arg", arg),
            ("event-lock", "true"),
            ("lead-frames", "5"),
        ]
    )


def broadcast(switch: Switch, uuid: str, path: str, *, aleg: bool, bleg: bool) -> bool:
    """``switch_ivr_broadcast`` without hold or loop flags: queue ``playback <path>`` (or
    ``app::args``) as a locked execute message on the channel and/or its partner;
    ``app!cause`` queues a hangup with that cause (``normal_clearing`` when empty) after it.
    False when the channel is gone."""
    channel = switch.sessions.find_session(uuid)
    if channel is None:
        return False
    app, arg = "playback", path
    sep = path.find("::")
    if sep >= 0:
        app, arg = path[:sep], path[sep + 2 :]
    app, bang, cause = app.partition("!")
    if bang and not cause:
        cause = "normal_clearing"
    if bleg:
        partner = partner_uuid(channel)
        other = switch.sessions.find_session(partner) if partner else None
        if other is not None:
            other.queue_private_message(_execute_message(app, arg))
    if aleg:
        channel.queue_private_message(_execute_message(app, arg))
    if cause:
        hangup = Event(
            [
                ("call-command", "execute"),
                ("execute-app-name", "hangup"),
                ("execute-app-arg", cause),
                ("event-lock", "true"),
            ]
        )
        channel.queue_private_message(hangup)
    return True
