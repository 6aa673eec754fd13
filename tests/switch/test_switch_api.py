"""API commands of the simulated switch: exact outputs (against the recorded transcripts where
they exist), the API event, console execution, expansion, sched_api and bgapi."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest

from eslkit.protocol.event import Event
from eslkit.protocol.names import HangupCause
from eslkit.protocol.records import ApiResult, LogRecord
from eslkit.switch.api import ApiCall, ApiCommand, ApiRegistry
from eslkit.switch.core import SessionStats, Switch, SwitchConfig
from eslkit.switch.modules import Module

CONFORMANCE_DIR = Path(__file__).resolve().parents[1] / "conformance" / "data"
T = TypeVar("T")
UUID_RE = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"

API_CASES = [
    "api_echo",
    "api_global_vars",
    "api_msleep",
    "api_show_channels_empty",
    "api_status_version",
    "api_unknown_command",
    "api_url_encode",
    "api_blocking_other_connection",
    "log_delivery",
    "bgapi_mod_commands_bgapi",
    "event_all_sees_own_api",
]


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(asyncio.wait_for(coro, 20))


def fast_config() -> SwitchConfig:
    config = SwitchConfig.recording()
    config.time_scale = 20.0
    return config


async def started(config: SwitchConfig | None = None) -> Switch:
    switch = Switch(config or fast_config())
    await switch.start()
    return switch


def wire_body(command: str, result: ApiResult) -> str:
    """What mod_event_socket's ``api`` puts in the api/response body (spec §7.1)."""
    if not result.ok:
        return f"-ERR {command} Command not found!\n"
    return result.output or "-ERR no reply\n"


def recorded_api_exchanges(case: str) -> list[tuple[str, str, str | None]]:
    """(api line, expected body, body regex) for every ``api`` sent in a case."""
    path = CONFORMANCE_DIR / "cases" / f"{case}.json"
    steps = json.loads(path.read_text(encoding="utf-8"))["steps"]
    found: list[tuple[str, str, str | None]] = []
    waiting: dict[str, list[str]] = {}
    for step in steps:
        if "send" in step and step["send"].startswith("api "):
            waiting.setdefault(step["conn"], []).append(step["send"].split("\n", 1)[0][4:])
        for frame in step.get("expect", []):
            if ["Content-Type", "api/response"] in frame["headers"] and waiting.get(step["conn"]):
                line = waiting[step["conn"]].pop(0)
                found.append((line, frame["body"], frame.get("volatile", {}).get("body")))
    return found


def shape(regex: str) -> str:
    """Accept singular and plural uptime units (conformance README, rule 1)."""
    return re.sub(
        r"\\ (year|day|hour|minute|second|millisecond|microsecond)s?,", r"\\ \1s?,", regex
    ).replace(r"\ microseconds\\", r"\ microseconds?\\")


@pytest.mark.parametrize("case", API_CASES)
def test_api_bodies_match_the_recording(case: str) -> None:
    exchanges = recorded_api_exchanges(case)
    assert exchanges

    async def body() -> None:
        switch = await started()
        try:
            for line, expected, volatile in exchanges:
                command, _, argument = line.partition(" ")
                result = await switch.execute_api(command, argument)
                got = wire_body(command, result)
                if volatile:
                    assert re.fullmatch(shape(volatile), got), (line, got)
                else:
                    assert got == expected, line
        finally:
            await switch.stop()

    run(body())


def test_status_shape_and_hooked_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    async def body() -> str:
        switch = await started()
        stats = SessionStats(count=1, since_startup=1, peak=2, peak_fivemin=1, sps_last=3)
        monkeypatch.setattr(switch.sessions, "stats", lambda: stats)
        result = await switch.execute_api("status", "")
        await switch.stop()
        return result.output

    out = run(body())
    lines = out.split("\n")
    assert len(lines) == 9 and lines[-1] == ""
    assert lines[1] == "FreeSWITCH (Version 1.11.3-dev  64bit) is ready"
    assert lines[2] == "1 session(s) since startup"
    assert lines[3] == "1 session(s) - peak 2, last 5min 1 "
    assert lines[4] == "3 session(s) per Sec out of max 5000, peak 0, last 5min 0 "
    assert lines[5] == "20000 session(s) max"
    assert re.fullmatch(r"min idle cpu 0\.00/\d+\.\d\d", lines[6])
    assert lines[7] == "Current Stack Size/Max 240K/8192K"


def test_api_event_after_the_command_with_stripped_values() -> None:
    async def body() -> tuple[ApiResult, list[Event]]:
        switch = Switch(SwitchConfig.recording())
        seen: list[Event] = []
        switch.subscribe_events(seen.append)
        result = await switch.execute_api(" echo ", "  spaced arg ")
        await switch.execute_api("hostname", "")
        return result, seen

    result, seen = run(body())
    assert result == ApiResult(True, "spaced arg")
    assert seen[0].headers[-2:] == [("API-Command", "echo"), ("API-Command-Argument", "spaced arg")]
    assert (seen[0]["Event-Calling-File"], seen[0]["Event-Calling-Line-Number"]) == (
        "switch_loadable_module.c",
        "3140",
    )
    assert seen[1].headers[-1] == ("API-Command", "hostname")
    assert "API-Command-Argument" not in seen[1]


def test_unknown_and_failing_commands() -> None:
    registry = Module("mod_test")

    @registry.command("fails")
    def fails(call: ApiCall) -> bool:
        call.write("partial")
        return False

    @registry.command("raises")
    def raises(call: ApiCall) -> None:
        raise RuntimeError("bug")

    async def body() -> tuple[ApiResult, ApiResult, ApiResult, int]:
        switch = Switch(SwitchConfig.recording(), builtins=False, modules=[registry])
        seen: list[Event] = []
        switch.subscribe_events(seen.append)
        a = await switch.execute_api("nosuch", "x")
        b = await switch.execute_api("fails", "")
        c = await switch.execute_api("raises", "")
        return a, b, c, len(seen)

    a, b, c, events = run(body())
    assert a == ApiResult(False, "INVALID COMMAND!\n")
    assert b == ApiResult(False, "partialCOMMAND RETURNED ERROR!\n")
    assert c == ApiResult(False, "COMMAND RETURNED ERROR!\n")
    assert events == 3


def test_command_names_are_case_insensitive_and_registry_is_extensible() -> None:
    registry = ApiRegistry()
    registry.add(ApiCommand("Greet", "Greet", "<who>", lambda call: call.write(f"hi {call.arg}")))
    assert "greet" in registry and len(registry) == 1

    async def body() -> ApiResult:
        switch = Switch(SwitchConfig.recording())
        switch.api.registry.include(registry)
        return await switch.execute_api("GREET", "you")

    assert run(body()) == ApiResult(True, "hi you")


def test_version_variants() -> None:
    async def body() -> list[str]:
        switch = Switch(SwitchConfig.recording())
        return [
            (await switch.execute_api("version", a)).output
            for a in ("", "short", "x-short-y", "other")
        ]

    assert run(body()) == [
        "FreeSWITCH Version 1.11.3-dev~64bit ( 64bit)\n",
        "1.11.3-dev\n",
        "1.11.3-dev\n",
        "FreeSWITCH Version 1.11.3-dev~64bit (1.11.3-dev  64bit)\n",
    ]


def test_small_commands() -> None:
    async def body() -> dict[str, str]:
        switch = Switch(SwitchConfig.recording())
        cases = {
            "md5 abc": "md5 abc",
            "md5": "md5",
            "module_exists mod_event_socket": "module_exists mod_event_socket",
            "module_exists mod_nope": "module_exists mod_nope",
            "module_exists": "module_exists",
            "uptime bogus": "uptime bogus",
            "reloadxml": "reloadxml",
            "hupall": "hupall",
            "hupall USER_BUSY": "hupall USER_BUSY",
            "hupall bogus a 1": "hupall bogus a 1",
            "hupall 17 a 1 b 2": "hupall 17 a 1 b 2",
            "create_uuid": "create_uuid",
            "toupper abc": "toupper abc",
            "global_setvar": "global_setvar",
            "expand": "expand",
            "log": "log",
        }
        out = {}
        for key, line in cases.items():
            command, _, arg = line.partition(" ")
            out[key] = (await switch.execute_api(command, arg)).output
        return out

    out = run(body())
    assert out["md5 abc"] == "900150983cd24fb0d6963f7d28e17f72"
    assert out["md5"] == "!err!"
    assert out["module_exists mod_event_socket"] == "true"
    assert out["module_exists mod_nope"] == "false"
    assert out["module_exists"] == ""
    assert (
        out["uptime bogus"]
        == "-USAGE: [us|ms|s|m|h|d|microseconds|milliseconds|seconds|minutes|hours|days]\n"
    )
    assert out["reloadxml"] == "+OK [Success]\n"
    assert out["hupall"] == "+OK hangup all channels with cause MANAGER_REQUEST\n"
    assert out["hupall USER_BUSY"] == "+OK hangup all channels with cause USER_BUSY\n"
    assert (
        out["hupall bogus a 1"]
        == "+OK hangup all channels matching [a]=[1] with cause: NORMAL_CLEARING\n"
    )
    assert (
        out["hupall 17 a 1 b 2"]
        == "+OK hangup all channels matching [a]=[1]... with cause: USER_BUSY\n"
    )
    assert re.fullmatch(UUID_RE, out["create_uuid"])
    assert out["toupper abc"] == "ABC"
    assert out["global_setvar"] == "-USAGE: <var>=<value> [=<value2>]\n"
    assert out["expand"] == "-ERR No input\n"
    assert out["log"] == "-ERR\n"


def test_hupall_reaches_the_channel_layer(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[HangupCause, list[tuple[str, str]]]] = []

    async def body() -> None:
        switch = Switch(SwitchConfig.recording())
        monkeypatch.setattr(
            switch.sessions, "hupall", lambda cause, pairs: calls.append((cause, list(pairs)))
        )
        await switch.execute_api("hupall", "NORMAL_CLEARING dest 1000")
        await switch.execute_api("fsctl", "hupall")

    run(body())
    assert calls == [
        (HangupCause.NORMAL_CLEARING, [("dest", "1000")]),
        (HangupCause.MANAGER_REQUEST, []),
    ]


def test_fsctl() -> None:
    async def body() -> tuple[list[str], Switch]:
        switch = await started()
        lines = [
            "loglevel debug",
            "loglevel 3",
            "loglevel bogus",
            "max_sessions",
            "max_sessions 50",
            "sps 7",
            "sps",
            "pause",
            "pause_check",
            "resume",
            "pause_check",
            "pause inbound",
            "pause_check inbound",
            "ready_check",
            "shutdown_check",
            "nonsense",
            "",
        ]
        out = [(await switch.execute_api("fsctl", line)).output for line in lines]
        await switch.stop()
        return out, switch

    out, switch = run(body())
    assert out[:7] == [
        "+OK log level: DEBUG [7]\n",
        "+OK log level: ERR [3]\n",
        "-ERR syntax error, log level not set!\n",
        "+OK max sessions: 20000\n",
        "+OK max sessions: 50\n",
        "+OK sessions per second: 7\n",
        "+OK sessions per second: 7\n",
    ]
    assert out[7:15] == ["+OK\n", "true", "+OK\n", "false", "+OK\n", "true", "true", "false"]
    assert out[15].startswith("-ERR Invalid command\nUSAGE: fsctl [api_expansion [on|off]|recover|")
    assert out[16].startswith("-USAGE: [api_expansion")
    assert switch.loglevel == 3 and switch.max_sessions == 50


def test_global_getvar_dumps_all() -> None:
    async def body() -> str:
        switch = Switch(SwitchConfig.recording())
        await switch.execute_api("global_setvar", "zz=1")
        await switch.execute_api("global_setvar", "zz=3=2")  # conditional, not applied
        return (await switch.execute_api("global_getvar", "")).output

    dump = run(body())
    lines = dump.splitlines()
    assert "hostname=vm" in lines and lines[-1] == "zz=1" and dump.endswith("\n")


def test_eval_and_expand() -> None:
    async def body() -> tuple[list[str], list[Event]]:
        switch = Switch(SwitchConfig.recording())
        seen: list[Event] = []
        switch.subscribe_events(seen.append)
        await switch.execute_api("global_setvar", "who=world")
        out = [
            (await switch.execute_api("eval", "hello ${who} $${hostname} ${Event-Name}")).output,
            (
                await switch.execute_api("eval", "${echo(${who})}-${echo(${who})}-${create_uuid()}")
            ).output,
            (await switch.execute_api("eval", "")).output,
            (await switch.execute_api("expand", "echo ${who} ${API-Command}")).output,
            (await switch.execute_api("expand", "nosuch x")).output,
            (await switch.execute_api("eval", "uuid:0000 ${who}")).output,
        ]
        return out, seen

    out, seen = run(body())
    assert out[0] == "hello world vm CHANNEL_DATA"
    assert re.fullmatch(rf"world-world-{UUID_RE}", out[1])
    assert out[2] == ""
    assert out[3] == "world expand"
    assert out[4] == "INVALID COMMAND!\n-ERR Cannot execute command\n"
    assert out[5] == "world"
    # ${api()} calls fire their own API events, before the outer one.
    names = [(e["API-Command"], e["Event-Sequence"]) for e in seen if e["Event-Name"] == "API"]
    assert [n for n, _ in names[2:6]] == ["echo", "echo", "create_uuid", "eval"]
    assert int(names[5][1]) < int(names[2][1])  # the outer event was created first
    # expand hands its API event to the inner command: one event, both commands on it.
    expand_event = next(e for e in seen if e["API-Command"] == "expand")
    assert [v for n, v in expand_event.headers if n == "API-Command"] == ["expand", "echo"]


def test_eval_with_a_session_handle(monkeypatch: pytest.MonkeyPatch) -> None:
    class Handle:
        uuid = "u-1"
        name = "loopback/1"

        def get_variable(self, name: str) -> str | None:
            return {"dest": "1000"}.get(name)

        def set_variable(self, name: str, value: str | None) -> None:
            pass

        def is_hungup(self) -> bool:
            return False

    async def body() -> str:
        switch = Switch(SwitchConfig.recording())
        monkeypatch.setattr(
            switch.sessions, "find_session", lambda uuid: Handle() if uuid == "u-1" else None
        )
        return (await switch.execute_api("eval", "uuid:u-1 ${variable_dest}/${Unique-ID}")).output

    assert run(body()) == "1000/u-1"


def test_console_execute_chains_and_aliases() -> None:
    async def body() -> list[ApiResult]:
        switch = Switch(SwitchConfig.recording())
        return [
            await switch.execute_console("  echo a;;version short"),
            await switch.execute_console("echo a;;nosuch"),
            await switch.execute_console("alias add hn hostname"),
            await switch.execute_console("hn"),
            await switch.execute_console("alias add e echo"),
            await switch.execute_console("e x y;;hn"),
            await switch.execute_console("alias add same same"),
            await switch.execute_console("alias add loop loop2"),
            await switch.execute_console("alias add loop2 loop"),
            await switch.execute_console("loop"),
            await switch.execute_console("show aliases"),
            await switch.execute_console("alias del *"),
            await switch.execute_console("hn"),
            await switch.execute_console("echo first\nsecond"),
        ]

    r = run(body())
    assert r[0] == ApiResult(True, "a1.11.3-dev\n")
    assert r[1] == ApiResult(False, "aINVALID COMMAND!\n")
    assert r[2] == ApiResult(True, "+OK\n")
    assert r[3] == ApiResult(True, "\nExpand Alias [hn]->[hostname]\n\nvm")
    assert r[5] == ApiResult(
        True, "\nExpand Alias [e]->[echo x y]\n\nx y\nExpand Alias [hn]->[hostname]\n\nvm"
    )
    assert r[6].output == "-USAGE: [add|stickyadd] <alias> <command> | del [<alias>|*]\n"
    assert r[9].ok is False and r[9].output.count("Expand Alias") == 101
    assert (
        r[10].output
        == "sticky,alias,command,hostname\n0,e,echo,vm\n0,hn,hostname,vm\n0,loop,loop2,vm\n0,loop2,loop,vm\n\n4 total.\n"
    )
    assert r[12] == ApiResult(False, "INVALID COMMAND!\n")
    assert r[13] == ApiResult(True, "first")


def test_msleep_does_not_block_other_commands() -> None:
    async def body() -> list[str]:
        switch = Switch(SwitchConfig.recording())
        order: list[str] = []

        async def call(command: str, argument: str) -> None:
            await switch.execute_api(command, argument)
            order.append(command)

        await asyncio.gather(call("msleep", "300"), call("echo", "x"))
        return order

    assert run(body()) == ["echo", "msleep"]


def test_sched_api_runs_later_and_fires_schedule_events() -> None:
    async def body() -> tuple[list[str], list[Event]]:
        switch = await started()
        seen: list[Event] = []
        switch.subscribe_events(seen.append)
        outputs = [
            (
                await switch.execute_api("sched_api", "+1 mygroup global_setvar sched_ran=yes")
            ).output,
            (await switch.execute_api("sched_api", "+1000 later echo never")).output,
            (await switch.execute_api("sched_api", "bad")).output,
            (await switch.execute_api("sched_del", "later")).output,
            (await switch.execute_api("unsched_api", "99999")).output,
        ]

        def ran() -> bool:
            return switch.get_global("sched_ran") == "yes" and any(
                e["Event-Name"] == "DEL_SCHEDULE" and e["Task-Group"] == "mygroup" for e in seen
            )

        async def poll() -> None:
            while not ran():
                await asyncio.sleep(0.01)

        await asyncio.wait_for(poll(), 5)
        await switch.stop()
        return outputs, seen

    outputs, seen = run(body())
    assert re.fullmatch(r"\+OK Added: \d+\n", outputs[0])
    assert outputs[2] == "-ERR Invalid syntax. USAGE: [+@]<time> <group_name> <command_string>[&]\n"
    assert outputs[3] == "+OK Deleted: 1\n"
    assert outputs[4] == "-ERR No such id\n"
    sched = [
        e
        for e in seen
        if e["Event-Name"] in ("ADD_SCHEDULE", "DEL_SCHEDULE") and e["Task-Group"] == "mygroup"
    ]
    assert [e["Event-Name"] for e in sched] == ["ADD_SCHEDULE", "DEL_SCHEDULE"]
    assert sched[0].headers[-4:][1] == ("Task-Desc", "sched_api_function")
    assert [n for n, _ in sched[0].headers[-4:]] == [
        "Task-ID",
        "Task-Desc",
        "Task-Group",
        "Task-Runtime",
    ]
    assert not any(e["Event-Name"] == "EXE_SCHEDULE" for e in seen)


def test_sched_api_repeats_with_at() -> None:
    async def body() -> int:
        config = fast_config()
        config.time_scale = 50.0
        switch = await started(config)
        runs: list[Event] = []
        switch.subscribe_events(lambda e: runs.append(e) if e["API-Command"] == "echo" else None)
        await switch.execute_api("sched_api", "@1 rep echo tick")

        async def poll() -> None:
            while len(runs) < 2:
                await asyncio.sleep(0.01)

        await asyncio.wait_for(poll(), 5)
        await switch.stop()
        return len(runs)

    assert run(body()) >= 2


def test_mod_commands_bgapi_event() -> None:
    async def body() -> tuple[list[str], list[Event]]:
        switch = await started()
        jobs: list[Event] = []
        switch.subscribe_events(
            lambda e: jobs.append(e) if e["Event-Name"] == "BACKGROUND_JOB" else None
        )
        outputs = [
            (await switch.execute_api("bgapi", "echo via mod_commands")).output,
            (await switch.execute_api("bgapi", "nosuchcmd")).output,
            (await switch.execute_api("bgapi", "")).output,
            (await switch.execute_api("bgapi", "uuid:b0b0 hostname")).output,
        ]

        async def poll() -> None:
            while len(jobs) < 3:
                await asyncio.sleep(0.005)

        await asyncio.wait_for(poll(), 5)
        await switch.stop()
        return outputs, jobs

    outputs, jobs = run(body())
    assert re.fullmatch(rf"\+OK Job-UUID: {UUID_RE}\n", outputs[0])
    assert outputs[2] == "-ERR Invalid syntax\n"
    assert outputs[3] == "+OK Job-UUID: b0b0\n"
    first = jobs[0]
    assert [n for n, _ in first.headers][-3:] == ["Job-UUID", "Job-Command", "Job-Command-Arg"]
    assert (
        first["Event-Calling-File"],
        first["Event-Calling-Function"],
        first["Event-Calling-Line-Number"],
    ) == (
        "mod_commands.c",
        "bgapi_exec",
        "5423",
    )
    assert first["Job-UUID"] == outputs[0][len("+OK Job-UUID: ") : -1]
    assert (first["Job-Command-Arg"], first.body) == ("via mod_commands", "via mod_commands")
    assert "Job-Command-Arg" not in jobs[1] and jobs[1].body == "nosuchcmd: Command not found!\n"
    assert (jobs[2]["Job-UUID"], jobs[2].body) == ("b0b0", "vm")


def test_log_command_goes_through_the_core_level() -> None:
    async def body() -> list[LogRecord]:
        switch = Switch(SwitchConfig.recording())
        records: list[LogRecord] = []
        switch.subscribe_logs(records.append)
        await switch.execute_api("log", "WARNING cc-log-warning")
        await switch.execute_api("log", "INFO cc-log-info")
        await switch.execute_api("log", "CRIT cc-log-crit")
        await switch.execute_api("log", "justtext")
        return records

    records = run(body())
    assert [(r.level, r.channel, r.file, r.function, r.line, r.user_data) for r in records] == [
        (4, 3, "mod_commands.c", "log_function", 7247, ""),
        (2, 3, "mod_commands.c", "log_function", 7247, ""),
    ]
    assert re.fullmatch(
        r"\d+-\d+-\d+ \d+:\d+:\d+\.\d{6} \d+\.\d\d% \[WARNING\] mod_commands\.c:7247 cc-log-warning\n",
        records[0].text,
    )


def test_show_renders_rows_from_the_channel_layer(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [["u-1", "inbound", "x&y<z>", "é"], ["u-2", "outbound", "", "b"]]

    def show_rows(table: str) -> tuple[list[str], list[list[str]]]:
        return (["uuid", "direction", "name", "cid_name"], rows if table == "channels" else [])

    async def body() -> list[str]:
        switch = Switch(SwitchConfig.recording())
        monkeypatch.setattr(switch.sessions, "show_rows", show_rows)
        lines = [
            "channels",
            "channels count",
            "channels as json",
            "channels as xml",
            "channels like u-2",
            "channels count as json",
            "calls",
            "channels as bogus",
            "nonsense",
            "status",
        ]
        return [(await switch.execute_api("show", line)).output for line in lines]

    out = run(body())
    assert (
        out[0]
        == "uuid,direction,name,cid_name\nu-1,inbound,x&y<z>,é\nu-2,outbound,,b\n\n2 total.\n"
    )
    assert out[1] == "\n2 total.\n"
    assert out[2] == (
        '{"row_count":2,"rows":[{"uuid":"u-1","direction":"inbound","name":"x&y<z>","cid_name":"é"},'
        '{"uuid":"u-2","direction":"outbound","name":"","cid_name":"b"}]}'
    )
    assert out[3] == (
        '<result row_count="2">\n  <row row_id="1">\n    <uuid>u-1</uuid>\n    <direction>inbound</direction>\n'
        "    <name>x&amp;y&lt;z&gt;</name>\n    <cid_name>&#xE9;</cid_name>\n  </row>\n"
        '  <row row_id="2">\n    <uuid>u-2</uuid>\n    <direction>outbound</direction>\n    <name></name>\n'
        "    <cid_name>b</cid_name>\n  </row>\n</result>\n"
    )
    assert out[4] == "uuid,direction,name,cid_name\nu-2,outbound,,b\n\n1 total.\n"
    assert out[5] == '{"row_count":2,"rows":[]}'
    assert out[6] == "\n0 total.\n"
    assert out[7] == "-ERR Cannot find format bogus\n"
    assert out[8].startswith("-USAGE: codec|endpoint|")
    assert out[9].startswith("UP ")


def test_help_and_console_complete() -> None:
    async def body() -> tuple[str, str, str]:
        switch = Switch(SwitchConfig.recording())
        help_text = (await switch.execute_api("help", "")).output
        one = (await switch.execute_api("console_complete", "c=3;sta")).output
        many = (await switch.execute_api("console_complete", "glo")).output
        return help_text, one, many

    help_text, one, many = run(body())
    assert help_text.startswith("\nValid Commands:\n\n")
    assert "\necho,<data>,Echo,mod_commands\n" in help_text
    assert one == "\n\n[              status]\t\n\nwrite=3:status "
    assert many == "\n\n[       global_getvar]\t[       global_setvar]\t\n\nwrite=3:global_"


def test_api_expansion_can_be_disabled() -> None:
    async def body() -> str:
        switch = Switch(SwitchConfig.recording())
        await switch.execute_api("fsctl", "api_expansion off")
        return (await switch.execute_api("eval", "${echo(x)}")).output

    assert run(body()) == "<API execute Permission Denied>"
