"""Channel API commands (mod_commands): originate and uuid_*, with FreeSWITCH's outputs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from eslkit.fsutil import LOG_INVALID, c_atoi, c_atol, parse_log_level
from eslkit.protocol.names import ChannelState, HangupCause, hangup_cause_from_string
from eslkit.protocol.records import CallingSite
from eslkit.protocol.urlcode import url_encode
from eslkit.switch import channel_events as ce
from eslkit.switch.api import ApiCall
from eslkit.switch.dialstring import OriginateUsageError, parse_originate_args
from eslkit.switch.expand import separate_string, split_var_assignments
from eslkit.switch.ivr.schedule import schedule_broadcast, schedule_hangup, schedule_transfer
from eslkit.switch.modules import Module

if TYPE_CHECKING:
    from eslkit.switch.channel import Channel
    from eslkit.switch.sessions import SessionManager

__all__ = ["module"]

module = Module("mod_commands")

NO_CHANNEL = "-ERR No such channel!\n"
_KILL_SITE = CallingSite("switch_ivr.c", "switch_ivr_kill_uuid", 4404)


def _manager(call: ApiCall) -> SessionManager:
    return call.switch.sessions


def _channel_and_args(
    call: ApiCall, max_args: int, usage: str, *, min_args: int = 1
) -> tuple[Channel, list[str]] | None:
    """The common prologue: split the argument, answer the usage error when the uuid (or a
    required argument) is missing and ``-ERR No such channel!`` when it names no channel."""
    argv = separate_string(call.arg, " ", max_args) if call.arg else []
    if len(argv) < min_args or not argv[0]:
        call.write(usage)
        return None
    channel = _find(call, argv[0])
    if channel is None:
        call.write(NO_CHANNEL)
        return None
    return channel, argv


def _find(call: ApiCall, uuid: str) -> Channel | None:
    return _manager(call).find_session(uuid)


@module.command("originate", "Originate a call", "<call url> <exten>|&<application_name>(<app_args>) [<dialplan>] [<context>] [<cid_name>] [<cid_num>] [<timeout_sec>]")
async def originate_cmd(call: ApiCall) -> None:
    """``+OK <uuid>`` / ``-ERR <CAUSE>`` / usage."""
    from eslkit.switch.originate import originate, start_after_originate

    try:
        args = parse_originate_args(call.arg)
    except OriginateUsageError as exc:
        call.write(str(exc))
        return
    result = await originate(
        _manager(call), args.url, timeout=args.timeout, cid_name=args.cid_name, cid_num=args.cid_num
    )
    channel = result.channel
    if channel is None:
        call.write(f"-ERR {result.cause.name}\n")
        return
    start_after_originate(
        channel,
        application=args.application,
        app_args=args.app_args,
        exten=args.exten,
        dialplan=args.dialplan,
        context=args.context,
    )
    call.write(f"+OK {channel.uuid}\n")


@module.command("uuid_exists", "Check if a uuid exists", "<uuid>")
def uuid_exists(call: ApiCall) -> None:
    """``true`` / ``false``."""
    call.write("true" if call.arg and _find(call, call.arg) is not None else "false")


@module.command("uuid_getvar", "Get a variable from a channel", "<uuid> <var>")
def uuid_getvar(call: ApiCall) -> None:
    """The value, ``_undef_``, or an error."""
    argv = separate_string(call.arg, " ", 3) if call.arg else []
    if len(argv) < 2 or not argv[0] or not argv[1]:
        call.write("-USAGE: <uuid> <var>\n")
        return
    channel = _find(call, argv[0])
    if channel is None:
        call.write(NO_CHANNEL)
        return
    name = argv[1]
    value: str | None
    if name.endswith("]") and "[" in name:
        base, _, idx = name[:-1].partition("[")
        raw = channel.get_variable(base)
        value = None
        if raw is not None:
            items = raw[7:].split("|:") if raw.startswith("ARRAY::") else [raw]
            index = int(idx) if idx.isdigit() else -1
            value = items[index] if 0 <= index < len(items) else None
    else:
        value = channel.lookup(name)
    call.write(value if value is not None else "_undef_")


@module.command("uuid_setvar", "Set a variable", "<uuid> <var> [value]")
def uuid_setvar(call: ApiCall) -> None:
    """``+OK`` and the usual errors."""
    found = _channel_and_args(call, 3, "-USAGE: <uuid> <var> [value]\n", min_args=2)
    if found is None:
        return
    channel, argv = found
    if not argv[1]:
        call.write("-ERR No variable specified\n")
        return
    channel.set_variable(argv[1], argv[2] if len(argv) > 2 else None)
    call.write("+OK\n")


@module.command("uuid_setvar_multi", "Set multiple variables", "<uuid> <var>=<value>;<var>=<value>...")
def uuid_setvar_multi(call: ApiCall) -> None:
    """``+OK``; an unknown channel gets the error and then the usage (FreeSWITCH falls through)."""
    usage = "-USAGE: <uuid> <var>=<value>;<var>=<value>...\n"
    argv = separate_string(call.arg, " ", 2) if call.arg else []
    if len(argv) != 2 or not argv[0]:
        call.write(usage)
        return
    channel = _find(call, argv[0])
    if channel is None:
        call.write(NO_CHANNEL)
        call.write(usage)
        return
    for name, value in split_var_assignments(argv[1]):
        if name:
            channel.set_variable(name, value)
    call.write("+OK\n")


@module.command("uuid_kill", "Kill channel", "<uuid> [cause]")
def uuid_kill(call: ApiCall) -> None:
    """Hang up (NORMAL_CLEARING by default)."""
    found = _channel_and_args(call, 2, "-USAGE: <uuid> [cause]\n")
    if found is None:
        return
    channel, argv = found
    cause = hangup_cause_from_string(argv[1]) if len(argv) > 1 else HangupCause.NORMAL_CLEARING
    channel.hangup(cause, _KILL_SITE)
    call.write("+OK\n")


@module.command("uuid_answer", "answer", "<uuid>")
def uuid_answer(call: ApiCall) -> None:
    """``+OK`` or ``-ERROR``."""
    channel = _find(call, call.arg) if call.arg else None
    call.write("+OK\n" if channel is not None and channel.answer() else "-ERROR\n")


@module.command("uuid_park", "Park channel", "<uuid>")
def uuid_park(call: ApiCall) -> None:
    """``switch_ivr_park_session``: CF_TRANSFER and CS_PARK; what the channel runs ends
    (a bridge unbridges) and it parks (CHANNEL_PARK, no park application)."""
    channel = _find(call, call.arg) if call.arg else None
    if channel is None:
        call.write(NO_CHANNEL)
        return
    if channel.ready:
        channel.flags.add("CF_TRANSFER")
        channel.flags.discard("CF_ORIGINATING")
        channel.plan = []
        channel.set_state(ChannelState.CS_PARK)
        channel.interrupt()
        if channel.other is not None:
            channel.other.notify_waiters()
    call.write("+OK\n")


@module.command("uuid_transfer", "Transfer a session", "<uuid> [-bleg|-both] <dest-exten> [<dialplan>] [<context>]")
def uuid_transfer(call: ApiCall) -> None:
    """``uuid_transfer <uuid> [-bleg|-both] <dest> [<dialplan>] [<context>]``: ``-bleg``
    transfers the bridged partner (``bridge_to``) instead, ``-both`` the partner and then
    the channel; without a partner the channel itself is transferred. ``+OK`` / ``-ERR``."""
    usage = "-USAGE: <uuid> [-bleg|-both] <dest-exten> [<dialplan>] [<context>]\n"
    argv = separate_string(call.arg, " ", 5) if call.arg else []
    if len(argv) < 2:
        call.write(usage)
        return
    target = _find(call, argv[0]) if argv[0] else None
    if target is None:
        call.write(NO_CHANNEL)
        return
    argv += [""] * (5 - len(argv))
    dest, dialplan, context = argv[1], argv[2], argv[3]
    runner = _manager(call).runner
    if dest.startswith("-"):
        flag = dest[1:].lower()
        dest, dialplan, context = argv[2], argv[3], argv[4]
        partner_uuid = target.get_variable("bridge_to")
        partner = _find(call, partner_uuid) if partner_uuid else None
        if partner is not None and flag == "bleg":
            target = partner
        elif partner is not None and flag == "both":
            partner.flags.add("CF_REDIRECT")
            target.flags.add("CF_REDIRECT")
            runner.transfer(partner, dest or None, dialplan or None, context or None)
    ok = runner.transfer(target, dest or None, dialplan or None, context or None)
    call.write("+OK\n" if ok else "-ERR\n")


# ---------------------------------------------------------------------- scheduled actions
SCHED_HANGUP_SYNTAX = "[+]<time> <uuid> [<cause>]"
SCHED_TRANSFER_SYNTAX = "[+]<time> <uuid> <extension> [<dialplan>] [<context>]"
SCHED_BROADCAST_SYNTAX = "[[+]<time>|@time] <uuid> <path> [aleg|bleg|both]"


def _when(call: ApiCall, text: str) -> int:
    """``+N``: N seconds from now on the switch clock; else an epoch second."""
    if text.startswith("+"):
        return call.switch.scheduler.now() + c_atol(text[1:])
    return c_atol(text)


@module.command("sched_hangup", "Schedule a running call to hangup", SCHED_HANGUP_SYNTAX)
def sched_hangup(call: ApiCall) -> None:
    """``sched_hangup [+]<time> <uuid> [<cause>]`` (default ALLOTTED_TIMEOUT). As in
    mod_commands, the seconds are read after the first character whatever it is, and 0 of
    them hangs up at once without a task (so ``2`` is "now", ``01`` is epoch 1)."""
    argv = separate_string(call.arg, " ", 4) if call.arg else []
    if not argv or not argv[0]:
        call.write(f"-USAGE: {SCHED_HANGUP_SYNTAX}\n")
        return
    seconds = c_atoi(argv[0][1:])  # "int sec = atol(...)": cut to an int
    when = _when(call, argv[0])
    cause = hangup_cause_from_string(argv[2]) if len(argv) > 2 else HangupCause.ALLOTTED_TIMEOUT
    channel = _find(call, argv[1]) if len(argv) > 1 and argv[1] else None
    if channel is None:
        call.write(NO_CHANNEL)
        return
    if seconds == 0:
        channel.hangup(cause)
    else:
        schedule_hangup(call.switch, when, channel.uuid, cause)
    call.write("+OK\n")


@module.command("sched_transfer", "Schedule a transfer for a running call", SCHED_TRANSFER_SYNTAX)
def sched_transfer(call: ApiCall) -> None:
    """``sched_transfer [+]<time> <uuid> <extension> [<dialplan>] [<context>]``."""
    argv = separate_string(call.arg, " ", 6) if call.arg else []
    if len(argv) < 2 or len(argv) > 5 or not argv[0]:
        call.write(f"-USAGE: {SCHED_TRANSFER_SYNTAX}\n")
        return
    argv += [""] * (5 - len(argv))
    when = _when(call, argv[0])
    channel = _find(call, argv[1]) if argv[1] else None
    if channel is None:
        call.write(NO_CHANNEL)
        return
    schedule_transfer(call.switch, when, channel.uuid, argv[2] or None, argv[3] or None, argv[4] or None)
    call.write("+OK\n")


@module.command("sched_broadcast", "Schedule a broadcast event to a running call", SCHED_BROADCAST_SYNTAX)
def sched_broadcast(call: ApiCall) -> None:
    """``sched_broadcast [[+]<time>|@<epoch>] <uuid> <path> [aleg|bleg|both]``: scheduled
    whether or not the channel exists (``+OK Message scheduled``)."""
    argv = separate_string(call.arg, " ", 4) if call.arg else []
    if len(argv) < 3 or not argv[0]:
        call.write(f"-USAGE: {SCHED_BROADCAST_SYNTAX}\n")
        return
    when = c_atol(argv[0][1:]) if argv[0].startswith("@") else _when(call, argv[0])
    legs = argv[3].lower() if len(argv) > 3 else "aleg"
    aleg = legs in ("aleg", "both")
    bleg = legs in ("bleg", "both")
    schedule_broadcast(call.switch, when, argv[1], argv[2], aleg=aleg, bleg=bleg)
    call.write("+OK Message scheduled\n")


@module.command("uuid_dump", "Dump session vars", "<uuid> [format]")
def uuid_dump(call: ApiCall) -> None:
    """A CHANNEL_DATA event: txt (URL-encoded plain), plain (raw values), json, xml."""
    found = _channel_and_args(call, 2, "-USAGE: <uuid> [format]\n")
    if found is None:
        return
    channel, argv = found
    event = ce.channel_data_event(channel)
    fmt = argv[1].lower() if len(argv) > 1 else "txt"
    if fmt == "json":
        call.write(event.to_json().decode("utf-8", "surrogateescape"))
    elif fmt == "xml":
        call.write(event.to_xml().decode("utf-8", "surrogateescape"))
    elif fmt == "plain":
        # switch_event_serialize without URL encoding: "Name: [value]", then a blank line.
        call.write("".join(f"{k}: [{v}]\n" for k, v in event.headers) + "\n")
    else:
        call.write("".join(f"{k}: {url_encode(v)}\n" for k, v in event.headers) + "\n")


@module.command("uuid_hold", "Place call on hold", "[off|toggle] <uuid> [<display>]")
def uuid_hold(call: ApiCall) -> None:
    """``switch_ivr_hold_uuid`` / ``unhold_uuid`` / ``hold_toggle_uuid``: ``+OK Success``
    or ``-ERR Operation failed`` (a missing channel succeeds; the usage is followed by the
    failure)."""
    from eslkit.switch.ivr.hold import hold, unhold

    argv = separate_string(call.arg, " ", 4) if call.arg else []
    ok = False
    if not argv or not argv[0]:
        call.write("-USAGE: [off|toggle] <uuid> [<display>]\n")
    else:
        mode = argv[0].lower()
        uuid = argv[1] if len(argv) > 1 else ""
        channel = _find(call, uuid) if mode in ("off", "toggle") else _find(call, argv[0])
        if channel is None:
            ok = True
        elif mode == "off":
            ok = unhold(channel)
        elif mode == "toggle":
            ok = True
            if channel.call_state.name in ("ACTIVE", "UNHELD"):
                ok = hold(channel)
            elif channel.call_state.name == "HELD":
                ok = unhold(channel)
        else:
            ok = hold(channel)
    call.write("+OK Success\n" if ok else "-ERR Operation failed\n")


@module.command("uuid_break", "Break out of media sent to channel", "<uuid> [all]")
def uuid_break(call: ApiCall) -> None:
    """Interrupt the running application."""
    found = _channel_and_args(call, 2, "-USAGE: <uuid> [all]\n")
    if found is None:
        return
    channel, argv = found
    # mod_commands looks for the words anywhere in the flag (strstr): "allx" is "all".
    flag = argv[1] if len(argv) > 1 else ""
    all_ = "all" in flag
    partner = channel.partner() if "both" in flag else None
    for target in (channel, partner):
        if target is None:
            continue
        if all_:
            target.flush_private_messages()
        target.interrupt(all_=all_)
    call.write("+OK\n")


@module.command("uuid_loglevel", "Set loglevel on session", "<uuid> <level>")
def uuid_loglevel(call: ApiCall) -> None:
    """The session's own log level (``-b``: its bridge partner's too)."""
    uuid, _, text = call.arg.partition(" ")
    partner = False
    if text[:2].lower() == "-b":
        partner = True
        text = text.partition(" ")[2]
    if not uuid or not text:
        call.write("-USAGE: <uuid> <level>\n")
        return
    level = parse_log_level(text)
    if level == LOG_INVALID:
        call.write("-ERR Invalid log level!\n")
        return
    channel = _find(call, uuid)
    if channel is None:
        call.write(f"-ERR No such channel {uuid}!\n")
        return
    channel.loglevel = level
    if partner and channel.other is not None:
        channel.other.loglevel = level
    call.write("+OK\n")
