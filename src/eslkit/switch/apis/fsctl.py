"""mod_commands' switch control: ``fsctl`` (its every verb, with FreeSWITCH's outputs),
``hupall``, ``shutdown``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from eslkit.fsutil import LOG_INVALID, c_atoi, parse_log_level
from eslkit.protocol.names import (
    HangupCause,
    hangup_cause_from_string,
    hangup_cause_name,
)
from eslkit.switch.api import ApiCall
from eslkit.switch.expand import separate_string
from eslkit.switch.logging import level_name
from eslkit.switch.modules import Module

if TYPE_CHECKING:
    pass

__all__ = ["CTL_SYNTAX", "module"]

module = Module("mod_commands")

CTL_SYNTAX = (
    "[api_expansion [on|off]|recover|send_sighup|hupall|pause [inbound|outbound]|resume [inbound|outbound]"
    "|shutdown [cancel|elegant|asap|now|restart]|uuid_version [4|7]|sps|sps_peak_reset|sync_clock"
    "|sync_clock_when_idle|reclaim_mem|max_sessions|min_dtmf_duration [num]|max_dtmf_duration [num]"
    "|default_dtmf_duration [num]|min_idle_cpu|loglevel [level]|debug_level [level]|mdns_resolve [enable|disable]]"
)


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
