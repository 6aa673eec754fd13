"""mod_commands' channel-free API commands, with FreeSWITCH's exact output.

Outputs, error texts and usage strings follow ``mod_commands.c``; where the real output
depends on the machine (CPU, stack), plausible values are produced.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from eslkit.fsutil import LOG_INVALID, c_atoi, c_atol, new_uuid, parse_log_level
from eslkit.protocol.names import (
    EventType,
    HangupCause,
    hangup_cause_from_string,
    hangup_cause_name,
)
from eslkit.protocol.records import CallingSite
from eslkit.protocol.urlcode import url_decode, url_encode
from eslkit.switch.api import ApiCall
from eslkit.switch.clock import ScheduledTask
from eslkit.switch.events import add_header
from eslkit.switch.expand import separate_string
from eslkit.switch.logging import level_name
from eslkit.switch.modules import Module

if TYPE_CHECKING:
    from eslkit.switch.core import Switch

__all__ = ["CTL_SYNTAX", "MODULES", "module"]

module = Module("mod_commands")

UPTIME_SYNTAX = "[us|ms|s|m|h|d|microseconds|milliseconds|seconds|minutes|hours|days]"
CTL_SYNTAX = (
    "[api_expansion [on|off]|recover|send_sighup|hupall|pause [inbound|outbound]|resume [inbound|outbound]"
    "|shutdown [cancel|elegant|asap|now|restart]|uuid_version [4|7]|sps|sps_peak_reset|sync_clock"
    "|sync_clock_when_idle|reclaim_mem|max_sessions|min_dtmf_duration [num]|max_dtmf_duration [num]"
    "|default_dtmf_duration [num]|min_idle_cpu|loglevel [level]|debug_level [level]|mdns_resolve [enable|disable]]"
)
SCHED_SYNTAX = "[+@]<time> <group_name> <command_string>[&]"
UNSCHED_SYNTAX = "<task_id>"
GLOBAL_SETVAR_SYNTAX = "<var>=<value> [=<value2>]"
ALIAS_SYNTAX = "[add|stickyadd] <alias> <command> | del [<alias>|*]"
LOG_SYNTAX = "<level> <message>"

#: Modules ``module_exists`` reports as loaded (a minimal FreeSWITCH plus what eslkit emulates).
MODULES: frozenset[str] = frozenset(
    {
        "mod_commands",
        "mod_console",
        "mod_dialplan_xml",
        "mod_dptools",
        "mod_event_socket",
        "mod_logfile",
        "mod_loopback",
        "mod_sndfile",
        "mod_native_file",
        "mod_tone_stream",
        "mod_expr",
        "mod_hash",
        "mod_db",
    }
)

EVAL_SITE = CallingSite("mod_commands.c", "eval_function", 1696)
BGAPI_SITE = CallingSite("mod_commands.c", "bgapi_exec", 5423)
RELOADXML_SITE = CallingSite("switch_xml.c", "switch_xml_open_root", 2423)


# ---------------------------------------------------------------------- identity
@module.command("hostname", "Return the system hostname", "")
def hostname(call: ApiCall) -> None:
    """The switch's hostname (no newline)."""
    call.write(call.switch.config.hostname)


@module.command("switchname", "Return the switch name", "")
def switchname(call: ApiCall) -> None:
    """The switch name (no newline)."""
    call.write(call.switch.config.switchname)


@module.command("version", "Version", "[short]")
def version(call: ApiCall) -> None:
    """``FreeSWITCH Version <full> (<human>)``, or ``<major>.<minor>.<micro>`` for ``short``."""
    cfg = call.switch.config
    if not call.arg:
        call.write(f"FreeSWITCH Version {cfg.version_full} ({cfg.version_revision_human_full})\n")
        return
    argv = separate_string(call.arg, " ", 2)
    if argv and "short" in argv[0].lower():
        call.write(f"{cfg.version_short}\n")
    else:
        call.write(f"FreeSWITCH Version {cfg.version_full} ({cfg.version_full_human})\n")


@module.command("status", "Show current status", "")
def status(call: ApiCall) -> None:
    """The eight-line status report."""
    from eslkit.switch.core import uptime_text

    switch = call.switch
    stats = switch.session_stats()
    cfg = switch.config
    lines = (
        f"UP {uptime_text(switch.uptime_us())}\n",
        f"FreeSWITCH (Version {cfg.version_full_human}) is {'ready' if switch.ready else 'not ready'}\n",
        f"{stats.since_startup} session(s) since startup\n",
        f"{stats.count} session(s) - peak {stats.peak}, last 5min {stats.peak_fivemin} \n",
        f"{stats.sps_last} session(s) per Sec out of max {switch.sessions_per_second}, "
        f"peak {stats.sps_peak}, last 5min {stats.sps_peak_fivemin} \n",
        f"{switch.max_sessions} session(s) max\n",
        f"min idle cpu {switch.min_idle_cpu:0.2f}/{switch.idle_cpu():0.2f}\n",
        f"Current Stack Size/Max {cfg.stack_size_kb}K/{cfg.stack_max_kb}K\n",
    )
    call.write("".join(lines))


_UPTIME_UNITS = {
    "": 1_000_000,
    "microseconds": 1,
    "us": 1,
    "milliseconds": 1000,
    "ms": 1000,
    "seconds": 1_000_000,
    "s": 1_000_000,
    "minutes": 60_000_000,
    "m": 60_000_000,
    "hours": 3_600_000_000,
    "h": 3_600_000_000,
    "days": 86_400_000_000,
    "d": 86_400_000_000,
}


@module.command("uptime", "Show uptime", UPTIME_SYNTAX)
def uptime(call: ApiCall) -> None:
    """Uptime in the given unit (seconds by default)."""
    scale = _UPTIME_UNITS.get(call.arg.lower())
    if scale is None:
        call.write(f"-USAGE: {UPTIME_SYNTAX}\n")
        return
    call.write(f"{(call.switch.uptime_us() // scale) & 0xFFFFFFFF}\n")


# ---------------------------------------------------------------------- strings
@module.command("create_uuid", "Create a uuid", "")
def create_uuid(call: ApiCall) -> None:
    """A new lowercase UUID (no newline)."""
    call.write(new_uuid())


@module.command("echo", "Echo", "<data>")
def echo(call: ApiCall) -> None:
    """The argument, as is."""
    call.write(call.arg)


@module.command("md5", "Return md5 hash", "<data>")
def md5(call: ApiCall) -> None:
    """The hex MD5 of the argument, or ``!err!`` for none."""
    if not call.arg:
        call.write("!err!")
    else:
        call.write(
            hashlib.md5(
                call.arg.encode("utf-8", "surrogateescape"), usedforsecurity=False
            ).hexdigest()
        )


@module.command("url_encode", "Url encode a string", "<string>")
def url_encode_command(call: ApiCall) -> None:
    """``switch_url_encode`` of the argument."""
    call.write(url_encode(call.arg))


@module.command("url_decode", "Url decode a string", "<string>")
def url_decode_command(call: ApiCall) -> None:
    """``switch_url_decode`` of the argument (``+`` stays ``+``)."""
    call.write(url_decode(call.arg))


@module.command("toupper", "Upper Case a string", "<string>")
def toupper(call: ApiCall) -> None:
    """The argument in upper case (ASCII)."""
    call.write("".join(ch.upper() if ch.isascii() else ch for ch in call.arg))


@module.command("tolower", "Lower Case a string", "<string>")
def tolower(call: ApiCall) -> None:
    """The argument in lower case (ASCII)."""
    call.write("".join(ch.lower() if ch.isascii() else ch for ch in call.arg))


@module.command("msleep", "Sleep N milliseconds", "<milliseconds>")
async def msleep(call: ApiCall) -> None:
    """Sleep (on the switch clock), then ``+OK``."""
    ms = c_atol(call.arg)
    if ms > 0:
        await call.switch.clock.sleep(min(ms, 2**31) / 1000.0)
    call.write("+OK")


# ---------------------------------------------------------------------- expansion
def _uuid_prefix(text: str) -> tuple[str, str]:
    """Split ``uuid:<uuid> <rest>`` into (uuid, rest); ``("", text)`` without the prefix."""
    if text[:5].lower() != "uuid:":
        return "", text
    rest = text[5:]
    space = rest.find(" ")
    if space < 0:
        return "", ""
    return rest[:space][:79], rest[space + 1 :]


@module.command("eval", "eval (noop)", "[uuid:<uuid> ]<expression>")
async def eval_command(call: ApiCall) -> None:
    """Expand variables in the expression (against a channel with ``uuid:``)."""
    if not call.arg:
        return
    session_uuid, text = (
        _uuid_prefix(call.arg) if call.arg[:5].lower() == "uuid:" else ("", call.arg)
    )
    if not text:
        return
    switch = call.switch
    event = switch.new_event(EventType.CHANNEL_DATA, EVAL_SITE)
    session = switch.find_session(session_uuid) if session_uuid else None
    if session is not None:
        switch.sessions.channel_data(session, event)
    call.write(await switch.expand(text, event, session))


@module.command("expand", "Execute an api with variable expansion", "[uuid:<uuid> ]<cmd> <args>")
async def expand_command(call: ApiCall) -> None:
    """Expand the arguments (against the API event, plus a channel with ``uuid:``), then run."""
    if not call.arg:
        call.write("-ERR No input\n")
        return
    session_uuid, text = (
        _uuid_prefix(call.arg) if call.arg[:5].lower() == "uuid:" else ("", call.arg)
    )
    if not text:
        call.write("-ERR No input\n")
        return
    switch = call.switch
    session = switch.find_session(session_uuid) if session_uuid else None
    event = call.event
    if session is not None and event is not None:
        switch.sessions.channel_data(session, event)
    command, sep, arg = text.partition(" ")
    expanded = await switch.expand(arg, event, session) if sep else ""
    ok, _ = await call.execute(command, expanded, same_stream=True)
    if not ok:
        call.write("-ERR Cannot execute command\n")


# ---------------------------------------------------------------------- globals
@module.command("global_getvar", "Get global var", "<var>")
def global_getvar(call: ApiCall) -> None:
    """A global variable's value; with no name, every global as ``name=value``."""
    switch = call.switch
    if not call.arg:
        call.write("".join(f"{k}={v}\n" for k, v in switch.global_vars.items()))
        return
    call.write(switch.get_global(call.arg) or "")


@module.command("global_setvar", "Set global var", GLOBAL_SETVAR_SYNTAX)
def global_setvar(call: ApiCall) -> None:
    """``name=value`` sets, ``name`` or ``name=`` unsets, ``name=value=expected`` is conditional."""
    if call.arg:
        argv = separate_string(call.arg, "=", 3)
        if argv and argv[0]:
            value = argv[1] if len(argv) > 1 and argv[1] else None
            expected = argv[2] if len(argv) > 2 and argv[2] else None
            if expected is not None:
                call.switch.set_global_conditional(argv[0], value, expected)
            else:
                call.switch.set_global(argv[0], value)
            call.write("+OK")
            return
    call.write(f"-USAGE: {GLOBAL_SETVAR_SYNTAX}\n")


# ---------------------------------------------------------------------- modules, xml
@module.command("module_exists", "Check if module exists", "<module>")
def module_exists(call: ApiCall) -> None:
    """``true``/``false``; nothing for no argument."""
    if call.arg:
        call.write("true" if call.arg in MODULES else "false")


@module.command("reloadxml", "Reload XML", "")
async def reloadxml(call: ApiCall) -> None:
    """Reload the XML (through the switch's hook) and fire RELOADXML; as
    ``switch_xml_open_root``, a reload that fails fires nothing and keeps the old XML."""
    switch = call.switch
    error = "Success"
    if switch.hooks.reloadxml is not None:
        error = await switch.hooks.reloadxml()
    if error == "Success":
        switch.fire(switch.new_event(EventType.RELOADXML, RELOADXML_SITE))
    call.write(f"+OK [{error}]\n")


# ---------------------------------------------------------------------- logging
@module.command("log", "Log", LOG_SYNTAX)
def log(call: ApiCall) -> None:
    """``log <level> <message>``: one line on the session log channel."""
    if not call.arg:
        call.write("-ERR\n")
        return
    level_text, sep, message = call.arg.partition(" ")
    level = parse_log_level(level_text) if sep else 7
    if not sep:
        message = level_text
    if level == LOG_INVALID:
        level = 7
    call.switch.log(
        level,
        f"{message}\n",
        file="mod_commands.c",
        function="log_function",
        line=7247,
        session_uuid=call.session_uuid or "",
        channel=3,
    )
    call.write("+OK\n")


# ---------------------------------------------------------------------- hupall
@module.command("hupall", "hupall", "<cause> [<var> <value>] [<var2> <value2>]")
def hupall(call: ApiCall) -> None:
    """Hang up every channel (optionally those matching variables) with a cause."""
    cause = HangupCause.MANAGER_REQUEST
    pairs: list[tuple[str, str]] = []
    argv: list[str] = []
    if call.arg:
        argv = separate_string(call.arg, " ", 11)
        cause = hangup_cause_from_string(argv[0]) if argv else HangupCause.MANAGER_REQUEST
        if cause is HangupCause.NONE:
            cause = HangupCause.MANAGER_REQUEST
        for i in range(1, len(argv) - 1, 2):
            if argv[i] and argv[i + 1]:
                pairs.append((argv[i], argv[i + 1]))
    switch = call.switch
    switch.sessions.hupall(cause, pairs)
    name = hangup_cause_name(int(cause))
    if not pairs:
        call.write(f"+OK hangup all channels with cause {name}\n")
    elif len(pairs) == 1:
        call.write(f"+OK hangup all channels matching [{argv[1]}]=[{argv[2]}] with cause: {name}\n")
    else:
        call.write(
            f"+OK hangup all channels matching [{argv[1]}]=[{argv[2]}]... with cause: {name}\n"
        )


# ---------------------------------------------------------------------- fsctl
def _arg(argv: list[str], index: int) -> str | None:
    return argv[index] if index < len(argv) else None


def _signed32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


@module.command("fsctl", "FS control messages", CTL_SYNTAX)
def fsctl(call: ApiCall) -> None:
    """Core controls: loglevel, max_sessions, sps, pause/resume, shutdown, checks, …"""
    if not call.arg:
        call.write(f"-USAGE: {CTL_SYNTAX}\n")
        return
    switch = call.switch
    argv = separate_string(call.arg, " ", 6)
    verb = argv[0].lower() if argv else ""
    arg1 = _arg(argv, 1)
    write = call.write
    if verb == "hupall":
        switch.sessions.hupall(HangupCause.MANAGER_REQUEST, ())
        write("+OK\n")
    elif verb in ("pause", "resume"):
        flag = verb == "pause"
        which = (arg1 or "").lower()
        if which == "inbound":
            switch.no_new_inbound = flag
        elif which == "outbound":
            switch.no_new_outbound = flag
        else:
            switch.no_new_sessions = flag
        write("+OK\n")
    elif verb in (
        "send_sighup",
        "calibrate_clock",
        "flush_db_handles",
        "save_history",
        "reclaim_mem",
    ):
        write("+OK\n")
    elif verb == "recover":
        write("+OK 0 session(s) recovered in total\n")
    elif verb in ("verbose_events", "api_expansion", "threaded_system_exec"):
        if arg1 is not None:
            enabled = arg1.lower() in ("yes", "on", "true", "t", "enabled", "active", "allow") or (
                arg1.isdigit() and int(arg1) > 0
            )
            if verb == "verbose_events":
                switch.verbose_events = enabled
            elif verb == "api_expansion":
                switch.api_expansion = enabled
        if verb == "verbose_events":
            write(
                f"+OK verbose_events is {'on' if arg1 is None or switch.verbose_events else 'off'} \n"
            )
        elif verb == "api_expansion":
            write(
                f"+OK api_expansion is {'on' if arg1 is None or switch.api_expansion else 'off'} \n"
            )
        else:
            write(f"+OK threaded_system_exec is {'true' if arg1 is None else 'false'} \n")
    elif verb == "pause_check":
        which = (arg1 or "").lower()
        if which == "inbound":
            paused = switch.no_new_inbound
        elif which == "outbound":
            paused = switch.no_new_outbound
        else:
            paused = switch.no_new_sessions
        write("true" if paused else "false")
    elif verb == "ready_check":
        write("true" if switch.ready else "false")
    elif verb == "shutdown_check":
        write("true" if switch.shutdown_requested else "false")
    elif verb == "shutdown":
        words = [w.lower() for w in argv[1:5]]
        if "cancel" in words:
            switch.shutdown_requested = False
        else:
            switch.request_shutdown()
        write("+OK\n")
    elif verb == "max_sessions":
        value = c_atoi(arg1) if arg1 is not None else 0
        if value:
            switch.max_sessions = value & 0xFFFFFFFF
        write(f"+OK max sessions: {_signed32(switch.max_sessions)}\n")
    elif verb == "min_idle_cpu":
        if arg1 is not None:
            try:
                switch.min_idle_cpu = max(0.0, min(100.0, float(arg1)))
            except ValueError:
                switch.min_idle_cpu = 0.0
        if switch.min_idle_cpu:
            write(f"+OK min idle cpu: {switch.min_idle_cpu:0.2f}%\n")
        else:
            write("+OK min idle cpu: DISABLED\n")
    elif verb in ("max_dtmf_duration", "min_dtmf_duration", "default_dtmf_duration"):
        key = verb.split("_", 1)[0]
        value = c_atoi(arg1) if arg1 is not None else 0
        if value > 0:
            switch.dtmf_durations[key] = value
        write(f"+OK {key} dtmf duration: {switch.dtmf_durations[key]}\n")
    elif verb == "loglevel":
        if arg1 is not None:
            level = c_atoi(arg1) if "0" <= arg1[:1] <= "9" else parse_log_level(arg1)
        else:
            level = -1
        if level == LOG_INVALID:
            write("-ERR syntax error, log level not set!\n")
        else:
            if level >= -1:
                switch.loglevel = min(level, 7)
            write(f"+OK log level: {level_name(switch.loglevel)} [{switch.loglevel}]\n")
    elif verb == "debug_level":
        level = c_atoi(arg1) if arg1 is not None else -1
        if level > -1:
            switch.logs.debug_level = min(level, 10)
        write(f"+OK DEBUG level: {switch.logs.debug_level}\n")
    elif verb == "sps_peak_reset":
        write("+OK max sessions per second counter reset\n")
    elif verb == "last_sps":
        write(f"+OK last sessions per second: {switch.session_stats().sps_last}\n")
    elif verb == "sps":
        value = c_atoi(arg1) if arg1 is not None else 0
        if value > 0:
            switch.sessions_per_second = value
        write(f"+OK sessions per second: {switch.sessions_per_second}\n")
    elif verb == "uuid_version":
        value = c_atoi(arg1) if arg1 is not None else 0
        write(f"+OK set uuid version: {value if value > 0 else 4}\n")
    elif verb == "sync_clock":
        write("+OK clock synchronized\n")
    elif verb == "sync_clock_when_idle":
        if switch.session_stats().count == 0:
            write("+OK clock synchronized\n")
        else:
            write("+OK clock will synchronize when there are no more calls\n")
    elif verb == "debug_sql":
        write("+OK SQL DEBUG [on]\n")
    elif verb == "sql":
        if arg1 is not None:
            write("+OK\n")
    elif verb == "mdns_resolve" and (arg1 or "").lower() in ("enable", "disable"):
        write("+OK\n")
    else:
        write(f"-ERR Invalid command\nUSAGE: fsctl {CTL_SYNTAX}\n")


@module.command("shutdown", "Shutdown", "")
def shutdown(call: ApiCall) -> None:
    """Stop the switch."""
    call.write("+OK\n")
    call.switch.request_shutdown()


# ---------------------------------------------------------------------- scheduler
@dataclass(frozen=True, slots=True)
class _ScheduledApi:
    """``struct api_task``: what a sched_api task runs."""

    switch: Switch
    command_line: str
    recur: int


async def _run_scheduled(task: ScheduledTask) -> None:
    job = task.data
    assert isinstance(job, _ScheduledApi)
    switch, recur = job.switch, job.recur
    command, _, arg = job.command_line.partition(" ")
    result = await switch.api.execute(command, arg)
    switch.log(
        7,
        f"Command {command}({arg if _ else '(null)'}):\n{result.output}\n",
        file="mod_commands.c",
        function="sch_api_callback",
        line=5297,
    )
    if recur:
        task.runtime = switch.scheduler.now() + recur


@module.command("sched_api", "Schedule an api command", SCHED_SYNTAX)
def sched_api(call: ApiCall) -> None:
    """``sched_api +<secs>|@<every>|<epoch> <group> <command>[&]``: run a command later."""
    time_text, sep, rest = call.arg.partition(" ")
    group, sep2, command_line = rest.partition(" ")
    if not (call.arg and sep and sep2):
        call.write(f"-ERR Invalid syntax. USAGE: {SCHED_SYNTAX}\n")
        return
    scheduler = call.switch.scheduler
    recur = 0
    if time_text.startswith("+"):
        when = scheduler.now() + c_atol(time_text[1:])
    elif time_text.startswith("@"):
        recur = c_atol(time_text[1:]) & 0xFFFFFFFF
        when = scheduler.now() + recur
    else:
        when = c_atol(time_text)
    own_thread = command_line.endswith("&")
    if own_thread:
        command_line = command_line[:-1]
    task_id = scheduler.add(
        when,
        _run_scheduled,
        "sched_api_function",
        group,
        own_thread=own_thread,
        data=_ScheduledApi(call.switch, command_line, recur),
    )
    if not task_id:
        call.write("-ERR Too many scheduled tasks\n")
        return
    call.write(f"+OK Added: {task_id}\n")


@module.command("sched_del", "Delete a scheduled task", "<task_id>|<group_id>")
def sched_del(call: ApiCall) -> None:
    """Delete a task by id, or every task of a group."""
    arg = call.arg
    if arg.isdigit() and arg.isascii():
        task_id = c_atoi(arg) & 0xFFFFFFFF
        count = call.switch.scheduler.delete_id(task_id) if task_id > 0 else 0
    else:
        count = call.switch.scheduler.delete_group(arg)
    call.write(f"+OK Deleted: {count}\n")


@module.command("unsched_api", "Unschedule an api command", UNSCHED_SYNTAX)
def unsched_api(call: ApiCall) -> None:
    """Delete one task by id."""
    task_id = c_atol(call.arg) & 0xFFFFFFFF
    if task_id:
        call.write("+OK\n" if call.switch.scheduler.delete_id(task_id) else "-ERR No such id\n")


# ---------------------------------------------------------------------- bgapi
@module.command("bgapi", "Execute an api command in a thread", "<command>[ <arg>]")
def bgapi(call: ApiCall) -> None:
    """Run a command in the background; a BACKGROUND_JOB carries its output."""
    job_uuid, text = _uuid_prefix(call.arg) if call.arg[:5].lower() == "uuid:" else ("", call.arg)
    if not text:
        call.write("-ERR Invalid syntax\n")
        return
    job_uuid = job_uuid or new_uuid()
    switch = call.switch
    call.write(f"+OK Job-UUID: {job_uuid}\n")

    async def job() -> None:
        command, sep, arg = text.partition(" ")
        result = await switch.api.execute(command, arg)
        body = result.output if result.ok else f"{command}: Command not found!\n"
        event = switch.new_event(EventType.BACKGROUND_JOB, BGAPI_SITE)
        add_header(event, "Job-UUID", job_uuid)
        add_header(event, "Job-Command", command)
        if sep:
            add_header(event, "Job-Command-Arg", arg)
        event.body = body
        switch.fire(event)

    switch.spawn(job())


# ---------------------------------------------------------------------- console
@module.command("alias", "Alias", ALIAS_SYNTAX)
def alias(call: ApiCall) -> None:
    """Add or delete console aliases."""
    if call.switch.api.set_alias(call.arg):
        call.write("+OK\n")
    else:
        call.write(f"-USAGE: {ALIAS_SYNTAX}\n")


@module.command("console_complete", "", "<line>")
def console_complete(call: ApiCall) -> None:
    """Complete the first word of a console line against the API commands (fs_cli's tab)."""
    line = call.arg or " "
    cursor: int | None = None
    marker = line.find("c=")
    if marker >= 0:
        semicolon = line.find(";", marker + 2)
        if semicolon >= 0:
            position = c_atoi(line[marker + 2 :])
            line = line[semicolon + 1 :]
            cursor = position
    if cursor is not None and cursor > 0:
        line = line[:cursor]
    for stop in ("\r", "\n"):
        cut = line.find(stop)
        if cut >= 0:
            line = line[:cut]
    buf = line.lstrip(" ")
    words = 0
    last_space = -1
    i = 0
    while i < len(buf):
        if buf[i] == " ":
            last_space = i
            words += 1
            while i < len(buf) and buf[i] == " ":
                i += 1
            if i >= len(buf):
                break
            continue
        i += 1
    word = buf[last_space + 1 :] if last_space >= 0 else buf
    out = ["\n\n"]
    hits: list[str] = []
    if words == 0:
        hits = [api.name for api in call.switch.api.registry if api.name.startswith(word)]
    for number, name in enumerate(hits, 1):
        out.append(f"[{name:>20}]\t")
        if number % 4 == 0:
            out.append("\n")
    out.append("\n\n")
    if len(hits) == 1:
        out.append(f"write={len(word)}:{hits[0]} ")
    elif len(hits) > 1:
        common = hits[0]
        for name in hits[1:]:
            while not name.startswith(common):
                common = common[:-1]
        if common:
            out.append(f"write={len(word)}:{common}")
    call.write("".join(out))
