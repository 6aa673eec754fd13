"""mod_dptools' basic applications: answer, park, sleep, set, hangup, transfer, ..."""

from __future__ import annotations

from eslkit.fsutil import LOG_INVALID, c_atoi, c_atol, parse_log_level, switch_true
from eslkit.protocol.names import (
    EventType,
    HangupCause,
    event_type_by_name,
    hangup_cause_from_string,
)
from eslkit.protocol.records import CallingSite
from eslkit.switch import calllog
from eslkit.switch import channel_events as ce
from eslkit.switch.apps import AppContext
from eslkit.switch.channel import Dtmf
from eslkit.switch.expand import parse_set_assignment, separate_string, split_multiset
from eslkit.switch.modules import Module

__all__: list[str] = []

module = Module("mod_dptools")

_EVENT_APP_SITE = CallingSite("mod_dptools.c", "event_function", 1902)
_ANSWER_SITE = CallingSite("mod_dptools.c", "answer_function", 1406)
_HANGUP_SITE = CallingSite("mod_dptools.c", "hangup_function", 1374)
_SET_SITE = CallingSite("mod_dptools.c", "base_set", 1671)
_UNSET_SITE = CallingSite("mod_dptools.c", "unset_function", 1816)
_LOG_SITE = CallingSite("mod_dptools.c", "log_function", 1865)
_INFO_SITE = CallingSite("mod_dptools.c", "info_function", 1884)


@module.application("answer", "Answer the call")
async def answer(ctx: AppContext, data: str) -> None:
    """Answer."""
    ctx.channel.answer(_ANSWER_SITE)


@module.application("pre_answer", "Pre-Answer the call")
async def pre_answer(ctx: AppContext, data: str) -> None:
    """Early media."""
    ctx.channel.pre_answer()


@module.application("ring_ready", "Indicate Ring_Ready")
async def ring_ready(ctx: AppContext, data: str) -> None:
    """Ringing."""
    ctx.channel.ring_ready()


@module.application("hangup", "Hangup the current channel", "[<cause>]")
async def hangup(ctx: AppContext, data: str) -> None:
    """Hang up with ``data`` as the cause (NORMAL_CLEARING by default)."""
    ctx.channel.hangup(hangup_cause_from_string(data) if data else HangupCause.NORMAL_CLEARING, _HANGUP_SITE)


@module.application("park", "Park")
async def park(ctx: AppContext, data: str) -> None:
    """Park until hang-up or transfer."""
    await ctx.park()


@module.application("sleep", "Pause a channel", "<pausetime>")
async def sleep(ctx: AppContext, data: str) -> None:
    """Sleep ``data`` milliseconds (interruptible), as mod_dptools' sleep does with digits
    (recorded: tests/conformance/recorded/sleep): on a channel with media, a digit that
    arrives ends the sleep and stays queued for whoever reads next (no DTMF event); with
    ``sleep_eat_digits=true`` the digits are read (their DTMF events fire) and one of
    ``playback_terminators`` (default ``*``; ``any``, ``none``) ends the sleep."""
    ms = c_atoi(data)
    if ms <= 0:
        return
    channel = ctx.channel
    if not switch_true(channel.variables.get("sleep_eat_digits")):
        await ctx.sleep(ms / 1000.0, stop_on_digit=True)
        return
    channel.set_variable("playback_terminator_used", None)
    terminators = channel.variables.get("playback_terminators") or "*"
    if terminators.lower() == "any":
        terminators = "1234567890*#"
    elif terminators.lower() == "none":
        terminators = ""

    def on_digit(dtmf: Dtmf) -> bool:
        if dtmf.digit and dtmf.digit in terminators:
            channel.set_variable("playback_terminator_used", dtmf.digit)
            return True
        return False

    await ctx.sleep(ms / 1000.0, on_digit=on_digit)


@module.application("set", "Set a channel variable", "<varname>=<value>", zombie_exec=True)
async def set_(ctx: AppContext, data: str) -> None:
    """Set (or, without a value, unset) a variable."""
    name, value = parse_set_assignment(data)
    if name:
        calllog.session_line(
            ctx.channel, 7, _SET_SITE, f"SET {ctx.channel.name} [{name}]=[{value if value else 'UNDEF'}]\n"
        )
        ctx.channel.set_variable(name, value)


@module.application("export", "Set and export a channel variable for the channel calling the application", "<varname>=<value>", zombie_exec=True)
async def export(ctx: AppContext, data: str) -> None:
    """``switch_channel_export_variable``: set the variable here (the name as written, even
    with a ``nolocal:`` prefix) and, when it has a value, append the name to ``export_vars``
    (legs this channel originates later get the exported variables)."""
    if not data:
        return
    name, _, value = data.partition("=")
    channel = ctx.channel
    channel.set_variable(name, value or None)
    if name and value:
        exports = channel.get_variable("export_vars")
        channel.set_variable("export_vars", f"{exports},{name}" if exports else name)


@module.application("unset", "Unset a channel variable", "<varname>", zombie_exec=True)
async def unset(ctx: AppContext, data: str) -> None:
    """Unset a variable."""
    if data:
        calllog.session_line(ctx.channel, 7, _UNSET_SITE, f"UNSET [{data}]\n")
        ctx.channel.set_variable(data, None)


@module.application("multiset", "Set many channel variables", "[^^<delim>]<varname>=<value> <var2>=<val2>", zombie_exec=True)
async def multiset(ctx: AppContext, data: str) -> None:
    """Set several variables."""
    for name, value in split_multiset(data):
        if name:
            ctx.channel.set_variable(name, value)


def _stack_set(ctx: AppContext, data: str, what: str) -> None:
    """mod_dptools' base_set with SWITCH_STACK_PUSH / SWITCH_STACK_UNSHIFT."""
    if not data:
        return
    name, value = parse_set_assignment(data)
    channel = ctx.channel
    expanded = channel.expand(value) if value else None
    calllog.session_line(
        channel, 7, _SET_SITE, f"{what} {channel.name} [{name}]=[{expanded if expanded else 'UNDEF'}]\n"
    )
    if name:
        channel.add_variable(name, expanded, front=what == "UNSHIFT")


@module.application("push", "Set a channel variable", "<varname>=<value>", zombie_exec=True)
async def push(ctx: AppContext, data: str) -> None:
    """Add a value at the end of a variable (an array once it holds two)."""
    _stack_set(ctx, data, "PUSH")


@module.application("unshift", "Set a channel variable", "<varname>=<value>", zombie_exec=True)
async def unshift(ctx: AppContext, data: str) -> None:
    """Add a value at the front of a variable (an array once it holds two)."""
    _stack_set(ctx, data, "UNSHIFT")


@module.application("info", "Display Call Info", zombie_exec=True)
async def info(ctx: AppContext, data: str) -> None:
    """Log the channel data at INFO."""
    event = ce.channel_data_event(ctx.channel)
    text = "".join(f"{k}: [{v}]\n" for k, v in event.headers)
    calllog.session_line(ctx.channel, 6, _INFO_SITE, f"CHANNEL_DATA:\n{text}\n")


@module.application("log", "Logs to the logger", "<log_level> <log_string>", zombie_exec=True)
async def log(ctx: AppContext, data: str) -> None:
    """Log ``data``: ``<level> <text>`` logs the text at that level (a number or a name,
    ``switch_log_str2level``; DEBUG when it is neither); without a space, all of ``data``
    at DEBUG."""
    level_text, sep, message = data.partition(" ")
    level = 7
    if sep:
        level = parse_log_level(level_text)
        if level == LOG_INVALID:
            level = 7
    else:
        message = data
    calllog.session_line(ctx.channel, level, _LOG_SITE, f"{message}\n")


@module.application("event", "Fire an event", "<header>=<value>[,<header>=<value>]", zombie_exec=True)
async def event(ctx: AppContext, data: str) -> None:
    """``event_function``: a CHANNEL_APPLICATION event, each ``name=value`` (at most 25,
    comma-separated) added in order, ``Event-Name`` renaming it (its header moves to the
    end), ``Event-Subclass`` naming its subclass; then the channel's data. Delivered as
    FreeSWITCH delivers a copy (``switch_event_dup``): an event with a subclass carries its
    ``Event-Subclass`` first (recorded: cov_sendmsg_event_app)."""
    event_type = EventType.CHANNEL_APPLICATION
    subclass: str | None = None
    new = ctx.switch.new_event(event_type, _EVENT_APP_SITE)
    for item in separate_string(data, ",", 25) if data else []:
        name, sep, value = item.lstrip(" ").partition("=")
        if not sep:
            continue
        name, value = name.rstrip(" "), value.lstrip(" ")
        folded = name.lower()
        if folded == "event-name":
            named = event_type_by_name(value)
            if named is not None:
                event_type = named
            new.del_header(name)
        elif folded == "event-subclass":
            subclass = value
        new.add_header(name, value)
    ctx.channel.event_set_data(new)
    if subclass is not None:
        new.del_header("Event-Subclass")
        new.prepend_header("Event-Subclass", subclass)
    ctx.switch.fire_typed(new, int(event_type), subclass)


@module.application("echo", "Echo audio")
async def echo(ctx: AppContext, data: str) -> None:
    """Echo: hold the call like park does, without CHANNEL_PARK."""
    while ctx.channel.ready:
        if not await ctx.sleep(3600):
            if not ctx.channel.ready:
                return
            break


@module.application("transfer", "Transfer a channel", "<exten> [<dialplan> <context>]")
async def transfer(ctx: AppContext, data: str) -> None:
    """``transfer [-bleg|-both] <exten> [<dialplan> [<context>]]``: a missing dialplan or
    context comes from the caller profile; ``-bleg``/``-both`` also transfer the partner
    (``signal_bond``, else ``originate_signal_bond``)."""
    argv = separate_string(data, " ", 4) if data else []
    if not argv:
        return
    while len(argv) < 4:
        argv.append("")
    flag = argv[0].lower()
    if flag in ("-bleg", "-both"):
        channel = ctx.channel
        partner = channel.get_variable("signal_bond") or channel.get_variable("originate_signal_bond")
        other = ctx.switch.sessions.find_session(partner) if partner else None
        if other is not None:
            ctx.runner.transfer(other, argv[1] or None, argv[2] or None, argv[3] or None)
        elif partner is None:
            ctx.switch.log(
                4, "No B-leg present.\n", file="mod_dptools.c", function="transfer_function",
                line=1210, session_uuid=channel.uuid,
            )  # fmt: skip
        if flag == "-both":
            ctx.transfer(argv[1] or None, argv[2] or None, argv[3] or None)
        return
    ctx.transfer(argv[0], argv[1] or None, argv[2] or None)


@module.application("execute_extension", "Execute an extension", "<extension> <dialplan> <context>")
async def execute_extension(ctx: AppContext, data: str) -> None:
    """``switch_core_session_execute_exten``: run another extension's applications here and
    come back (see :func:`eslkit.switch.ivr.transfer.execute_extension`)."""
    from eslkit.switch.ivr.transfer import execute_extension as run_extension

    argv = separate_string(data, " ", 4) if data else []
    if not argv:
        ctx.switch.log(
            3, "Usage: <extension> <dialplan> <context>\n", file="mod_dptools.c", function="exe_function",
            line=656, session_uuid=ctx.channel.uuid,
        )  # fmt: skip
        return
    await run_extension(
        ctx.runner, ctx.channel, argv[0], argv[1] if len(argv) > 1 else None, argv[2] if len(argv) > 2 else None
    )


@module.application("sched_hangup", "Schedule a hangup in the future", "[+]<time> [<cause>] [bleg]")
async def sched_hangup(ctx: AppContext, data: str) -> None:
    """``sched_hangup [+]<time> [<cause>] [bleg]``: a scheduler task (``switch_ivr_schedule_
    hangup``, group = the uuid) on the switch clock; the seconds are read after the first
    character whatever it is, and 0 of them hangs up at once."""
    from eslkit.switch.ivr.schedule import schedule_hangup

    argv = separate_string(data, " ", 5) if data else []
    if not argv:
        return
    seconds = c_atoi(argv[0][1:])  # "int sec = atol(argv[0] + 1)"
    when = _when(ctx, argv[0])
    cause = hangup_cause_from_string(argv[1]) if len(argv) > 1 else HangupCause.ALLOTTED_TIMEOUT
    bleg = len(argv) > 2 and argv[2].lower() == "bleg"
    if seconds == 0:
        ctx.channel.hangup(cause)
    else:
        schedule_hangup(ctx.switch, when, ctx.channel.uuid, cause, bleg=bleg)


@module.application("sched_transfer", "Schedule a transfer in the future", "[+]<time> <extension> <dialplan> <context>")
async def sched_transfer(ctx: AppContext, data: str) -> None:
    """``sched_transfer [+]<time> <extension> [<dialplan>] [<context>]``: a scheduler task
    (``switch_ivr_schedule_transfer``); its id goes to ``last_sched_id``."""
    from eslkit.switch.ivr.schedule import schedule_transfer

    argv = separate_string(data, " ", 4) if data else []
    if len(argv) < 2:
        return
    argv += [""] * (4 - len(argv))
    task_id = schedule_transfer(
        ctx.switch, _when(ctx, argv[0]), ctx.channel.uuid, argv[1] or None, argv[2] or None, argv[3] or None
    )
    ctx.channel.set_variable("last_sched_id", str(task_id))


@module.application("sched_broadcast", "Enqueue media in the future", "[+]<time> <path> [aleg|bleg|both]")
async def sched_broadcast(ctx: AppContext, data: str) -> None:
    """``sched_broadcast [[+]<time>|@<epoch>] <path> [aleg|bleg|both]``: a scheduler task
    (``switch_ivr_schedule_broadcast``); its id goes to ``last_sched_id``."""
    from eslkit.switch.ivr.schedule import schedule_broadcast

    argv = separate_string(data, " ", 6) if data else []
    if len(argv) < 2:
        return
    when = c_atol(argv[0][1:]) if argv[0].startswith("@") else _when(ctx, argv[0])
    legs = argv[2] if len(argv) > 2 else "aleg"
    task_id = schedule_broadcast(
        ctx.switch, when, ctx.channel.uuid, argv[1], aleg=legs in ("aleg", "both"), bleg=legs in ("bleg", "both")
    )
    ctx.channel.set_variable("last_sched_id", str(task_id))


def _when(ctx: AppContext, text: str) -> int:
    """The epoch second of ``+<secs>`` (from now, switch clock) or ``<epoch>``, read with
    ``atol`` as mod_dptools does."""
    if text.startswith("+"):
        return ctx.switch.scheduler.now() + c_atol(text[1:])
    return c_atol(text)
