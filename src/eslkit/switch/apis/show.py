"""``show`` and ``help``: mod_commands' SQL-backed reports, rendered from rows.

FreeSWITCH answers ``show`` from its core database; here each report is a list of columns
and rows. Channel reports (``channels``, ``calls``, …) come from the switch's ``show_rows``
hook, which the channel layer provides; the rest (``api``, ``aliases``, ``tasks``, interface
listings) come from the core. Rendering reproduces the three formats: CSV with a title line
and ``\\n<N> total.\\n``, ``as json`` (cJSON unformatted) and ``as xml``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from eslkit.protocol.event import _xml_escape
from eslkit.switch.api import ApiCall
from eslkit.switch.expand import separate_string
from eslkit.switch.modules import Module

__all__ = ["CALL_COLUMNS", "CHANNEL_COLUMNS", "SHOW_SYNTAX", "module", "render"]

module = Module("mod_commands")

SHOW_SYNTAX = (
    "codec|endpoint|application|api|dialplan|file|timer|calls [count]|channels [count|like <match string>]"
    "|calls|detailed_calls|bridged_calls|detailed_bridged_calls|aliases|complete|chat|management|modules"
    "|nat_map|say|interfaces|interface_types|tasks|limits|status"
)

#: The ``channels`` table's columns, in order.
CHANNEL_COLUMNS: tuple[str, ...] = (
    "uuid", "direction", "created", "created_epoch", "name", "state", "cid_name", "cid_num",
    "ip_addr", "dest", "application", "application_data", "dialplan", "context", "read_codec",
    "read_rate", "read_bit_rate", "write_codec", "write_rate", "write_bit_rate", "secure",
    "hostname", "presence_id", "presence_data", "accountcode", "callstate", "callee_name",
    "callee_num", "callee_direction", "call_uuid", "sent_callee_name", "sent_callee_num",
    "initial_cid_name", "initial_cid_num", "initial_ip_addr", "initial_dest", "initial_dialplan",
    "initial_context",
)  # fmt: skip

#: The ``basic_calls`` view's columns (``show calls``), in order.
CALL_COLUMNS: tuple[str, ...] = (
    "uuid", "direction", "created", "created_epoch", "name", "state", "cid_name", "cid_num",
    "ip_addr", "dest", "presence_id", "presence_data", "accountcode", "callstate", "callee_name",
    "callee_num", "callee_direction", "call_uuid", "hostname", "sent_callee_name",
    "sent_callee_num", "b_uuid", "b_direction", "b_created", "b_created_epoch", "b_name",
    "b_state", "b_cid_name", "b_cid_num", "b_ip_addr", "b_dest", "b_presence_id",
    "b_presence_data", "b_accountcode", "b_callstate", "b_callee_name", "b_callee_num",
    "b_callee_direction", "b_sent_callee_name", "b_sent_callee_num", "call_created_epoch",
)  # fmt: skip

#: Interfaces the simulated switch claims (type, name, module).
INTERFACES: tuple[tuple[str, str, str], ...] = (
    ("application", "park", "mod_dptools"),
    ("application", "socket", "mod_event_socket"),
    ("dialplan", "XML", "mod_dialplan_xml"),
    ("dialplan", "inline", "mod_dptools"),
    ("endpoint", "error", "mod_dptools"),
    ("endpoint", "group", "mod_dptools"),
    ("endpoint", "loopback", "mod_loopback"),
    ("endpoint", "null", "mod_loopback"),
    ("endpoint", "user", "mod_dptools"),
    ("management", "mod_event_socket", "mod_event_socket"),
    ("timer", "soft", "CORE_SOFTTIMER_MODULE"),
)

_CHANNEL_TABLES = (
    "calls",
    "channels",
    "detailed_calls",
    "bridged_calls",
    "detailed_bridged_calls",
    "registrations",
)


def _like(pattern: str) -> re.Pattern[str]:
    """An SQLite ``LIKE`` pattern (``%``, ``_``; ASCII case-insensitive) as a regex."""
    parts = ["." if ch == "_" else ".*" if ch == "%" else re.escape(ch) for ch in pattern]
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def _xml_text(value: str) -> str:
    return _xml_escape(value.encode("utf-8", "surrogateescape")).decode("utf-8", "surrogateescape")


def render(
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    fmt: str,
    *,
    delim: str = ",",
    justcount: bool = False,
    title: bool = True,
    help_mode: bool = False,
) -> str:
    """Render rows as ``show`` does: ``delim``/``csv``, ``json`` or ``xml``.

    With ``justcount``, ``rows`` holds the one row of ``select count(*)``.
    """
    lowered = fmt.lower()
    if lowered in ("delim", "csv"):
        out: list[str] = []
        count = 0
        if justcount:
            count = int(rows[0][0]) if rows and rows[0] and rows[0][0] else 0
        else:
            for row in rows:
                if title and count == 0:
                    out.append(delim.join(columns) + "\n")
                out.append(delim.join(row) + "\n")
                count += 1
        if help_mode:
            if count == 0:
                out.append("-ERR No such command\n")
        else:
            out.append(f"\n{count} total.\n")
        return "".join(out)
    if lowered == "xml":
        if justcount:
            # The count(*) row makes the (empty) result element: FreeSWITCH's XML writer
            # then closes it with a tag (recorded: bridge_show_reports).
            count = int(rows[0][0]) if rows and rows[0] and rows[0][0] else 0
            return f'<result row_count="{count}"></result>\n'
        if not rows:
            return '<result row_count="0"/>\n'
        parts = [f'<result row_count="{len(rows)}">\n']
        for number, row in enumerate(rows, 1):
            parts.append(f'  <row row_id="{number}">\n')
            for name, value in zip(columns, row, strict=False):
                parts.append(f"    <{name}>{_xml_text(value)}</{name}>\n")
            parts.append("  </row>\n")
        parts.append("</result>\n")
        return "".join(parts)
    if lowered == "json":
        if not rows:
            return '{"row_count": 0}\n'
        if justcount:
            count = int(rows[0][0]) if rows[0] and rows[0][0] else 0
            return f'{{"row_count":{count},"rows":[]}}'
        body = ",".join(
            "{"
            + ",".join(
                f"{_json(name)}:{_json(value)}" for name, value in zip(columns, row, strict=False)
            )
            + "}"
            for row in rows
        )
        return f'{{"row_count":{len(rows)},"rows":[{body}]}}'
    return f"-ERR Cannot find format {fmt}\n"


def _json(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _channel_rows(call: ApiCall, table: str) -> tuple[Sequence[str], Sequence[Sequence[str]]]:
    columns, rows = call.switch.sessions.show_rows(table)
    return columns, [[value if value is not None else "" for value in row] for row in rows]


@module.command("show", "Show various reports", SHOW_SYNTAX)
async def show(call: ApiCall) -> None:
    """``show <what> [count|like <x>] [as json|xml|delim <d>]``."""
    await _show(call, call.arg)


async def _show(call: ApiCall, arg: str, *, help_mode: bool = False) -> None:
    argv = separate_string(arg, " ", 6) if arg else []
    argv += [""] * (6 - len(argv))
    command = argv[0]
    as_fmt = argv[2] if argv[2] and argv[1].lower() == "as" else ""
    if not command:
        call.write(f"-USAGE: {SHOW_SYNTAX}\n")
        return
    lowered = command.lower()
    switch = call.switch
    columns: Sequence[str] = ()
    rows: Sequence[Sequence[str]] = ()
    justcount = False
    title = True
    if lowered.startswith("status"):
        await call.execute(command, as_fmt or argv[1], same_stream=True)
        return
    if lowered.startswith(
        ("codec", "dialplan", "file", "timer", "chat", "limit", "say", "management", "endpoint")
    ):
        kind = lowered[:-1] if lowered.endswith("s") else lowered
        columns = ("type", "name", "ikey")
        rows = [list(i) for i in INTERFACES if i[0] == kind]
    elif lowered.startswith("module"):
        columns = ("type", "name", "ikey", "filename")
        found = [(t, n, k, f"/usr/lib/freeswitch/mod/{k}.so") for t, n, k in _all_interfaces(call)]
        if argv[1] and argv[1].lower() != "as":
            found = [r for r in found if r[2] == argv[1]]
        rows = [list(r) for r in found]
    elif lowered == "interfaces":
        columns = ("type", "name", "ikey")
        rows = [list(r) for r in _all_interfaces(call)]
    elif lowered == "interface_types":
        columns = ("type", "total")
        totals: dict[str, int] = {}
        for kind, _, _ in _all_interfaces(call):
            totals[kind] = totals.get(kind, 0) + 1
        rows = [[k, str(v)] for k, v in sorted(totals.items())]
    elif lowered == "tasks":
        columns = (
            "task_id",
            "task_desc",
            "task_group",
            "task_runtime",
            "task_sql_manager",
            "hostname",
        )
        rows = [
            [str(t.task_id), t.desc, t.group, str(t.runtime), "0", switch.config.hostname]
            for t in switch.scheduler.tasks
        ]
    elif lowered in ("application", "api") or lowered.startswith("help"):
        help_mode = help_mode or lowered.startswith("help")
        if help_mode:
            title = False
            columns = ("name", "syntax", "description", "ikey")
        else:
            columns = ("name", "description", "syntax", "ikey")
        entries = []
        if lowered == "api" or help_mode:
            for api in switch.api.registry:
                if not api.description and not help_mode:
                    continue
                if help_mode:
                    entries.append([api.name, api.syntax, api.description, api.module])
                else:
                    entries.append([api.name, api.description, api.syntax, api.module])
        if argv[1] and argv[1].lower() != "as" and not help_mode:
            entries = [e for e in entries if e[0] == argv[1]]
        rows = entries
    elif lowered == "aliases":
        columns = ("sticky", "alias", "command", "hostname")
        rows = [
            ["1" if a.sticky else "0", a.alias, a.command, switch.config.switchname]
            for a in sorted(switch.api.aliases.values(), key=lambda a: a.alias)
        ]
    elif lowered == "complete":
        columns = (
            "sticky",
            "a1",
            "a2",
            "a3",
            "a4",
            "a5",
            "a6",
            "a7",
            "a8",
            "a9",
            "a10",
            "hostname",
        )
        rows = []
    elif lowered == "nat_map":
        columns = ("port", "proto", "proto_num", "sticky")
        rows = []
    elif lowered in _CHANNEL_TABLES:
        if lowered in ("calls", "registrations", "channels") and argv[1].lower() == "count":
            justcount = True
            if argv[3] and argv[2].lower() == "as":
                as_fmt = argv[3]
            _, found_rows = _channel_rows(call, lowered)
            columns, rows = ("count(*)",), [[str(len(found_rows))]]
        elif lowered == "channels" and argv[1].lower() == "like":
            columns, rows = _channel_rows(call, lowered)
            if argv[2]:
                needle = argv[2].replace("'", " ").replace(";", " ")
                pattern = _like(needle if "%" in needle else f"%{needle}%")
                keys = ("uuid", "name", "cid_name", "cid_num", "presence_data", "accountcode")
                index = [i for i, c in enumerate(columns) if c in keys]
                rows = [
                    r for r in rows if any(pattern.fullmatch(r[i]) for i in index if i < len(r))
                ]
                as_fmt = argv[4] if argv[4] and argv[3].lower() == "as" else ""
        else:
            columns, rows = _channel_rows(call, lowered)
    else:
        call.write(f"-USAGE: {SHOW_SYNTAX}\n")
        return

    fmt = as_fmt or "delim"
    delim = ","
    if fmt.lower() in ("delim", "csv") and as_fmt:
        delim = argv[3] or ","
    call.write(
        render(
            columns, rows, fmt, delim=delim, justcount=justcount, title=title, help_mode=help_mode
        )
    )


def _all_interfaces(call: ApiCall) -> list[tuple[str, str, str]]:
    found = list(INTERFACES)
    found += [("api", api.name, api.module) for api in call.switch.api.registry]
    return sorted(found)


@module.command("help", "Show help for all the api commands", "")
async def help_command(call: ApiCall) -> None:
    """``help``: every API command as ``name,syntax,description,module``."""
    if not call.arg:
        call.write("\nValid Commands:\n\n")
        await _show(call, "help", help_mode=True)
    else:
        await _show(call, f"help {call.arg}", help_mode=True)
