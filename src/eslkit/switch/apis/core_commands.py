"""mod_commands' channel-free API commands, with FreeSWITCH's exact output: identity and
status, strings, expansion, global variables, modules and XML, logging, the console's
aliases (``fsctl``/``hupall``/``shutdown``: :mod:`.fsctl`; ``sched_*``/``bgapi``:
:mod:`.sched_commands`).

Outputs, error texts and usage strings follow ``mod_commands.c``; where the real output
depends on the machine (CPU, stack), plausible values are produced.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from eslkit.fsutil import LOG_INVALID, c_atoi, c_atol, new_uuid, parse_log_level
from eslkit.protocol.names import (
    EventType,
)
from eslkit.protocol.records import CallingSite
from eslkit.protocol.urlcode import url_decode, url_encode
from eslkit.switch.api import ApiCall
from eslkit.switch.expand import separate_string
from eslkit.switch.modules import Module

if TYPE_CHECKING:
    pass

__all__ = ["MODULES", "module", "split_uuid_prefix"]

module = Module("mod_commands")

UPTIME_SYNTAX = "[us|ms|s|m|h|d|microseconds|milliseconds|seconds|minutes|hours|days]"
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
def split_uuid_prefix(text: str) -> tuple[str, str]:
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
        split_uuid_prefix(call.arg) if call.arg[:5].lower() == "uuid:" else ("", call.arg)
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
        split_uuid_prefix(call.arg) if call.arg[:5].lower() == "uuid:" else ("", call.arg)
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
