"""The simulated switch's core: standard headers, sequence, bus, heartbeat, scheduler, logs,
shutdown. Driven directly (no socket); the recorded transcripts are the oracle where they
exist."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest

from eslkit.fsutil import parse_log_level as parse_level
from eslkit.protocol.event import Event
from eslkit.protocol.names import EventType, LogLevel
from eslkit.protocol.records import CallingSite, LogRecord
from eslkit.server.backend import Backend
from eslkit.switch.backend import SwitchBackend
from eslkit.switch.clock import Clock
from eslkit.switch.core import Switch, SwitchConfig, uptime_text
from eslkit.switch.logging import format_log_text, level_name

CONFORMANCE_DIR = Path(__file__).resolve().parents[1] / "conformance" / "data"
SITE = CallingSite("test.c", "test_function", 42)
T = TypeVar("T")

STANDARD = [
    "Event-Name",
    "Core-UUID",
    "FreeSWITCH-Hostname",
    "FreeSWITCH-Switchname",
    "FreeSWITCH-IPv4",
    "FreeSWITCH-IPv6",
    "Event-Date-Local",
    "Event-Date-GMT",
    "Event-Date-Timestamp",
    "Event-Calling-File",
    "Event-Calling-Function",
    "Event-Calling-Line-Number",
    "Event-Sequence",
]


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(asyncio.wait_for(coro, 20))


def recorded_events(case: str) -> list[list[list[str]]]:
    path = CONFORMANCE_DIR / "cases" / f"{case}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    found = []
    for step in data["steps"]:
        for frame in step.get("expect", []):
            if frame.get("event") and frame["event"]["format"] == "plain":
                found.append(frame["event"]["headers"])
    return found


async def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    async def poll() -> None:
        while not predicate():
            await asyncio.sleep(0.005)

    await asyncio.wait_for(poll(), timeout)


def fast_config(**changes: Any) -> SwitchConfig:
    config = SwitchConfig.recording()
    config.time_scale = 40.0
    for key, value in changes.items():
        setattr(config, key, value)
    return config


def test_switch_implements_the_interface() -> None:
    switch = Switch(SwitchConfig.recording())
    backend: Backend = SwitchBackend(switch)
    assert backend.core_uuid == switch.core_uuid
    assert backend.find_session("00000000-0000-0000-0000-000000000000") is None


def test_recording_config_values() -> None:
    cfg = SwitchConfig.recording()
    assert (cfg.hostname, cfg.switchname, cfg.ipv4, cfg.ipv6) == (
        "vm",
        "vm",
        "192.0.2.2",
        "fd00::2",
    )
    assert cfg.version_full == "1.11.3-dev~64bit"
    assert cfg.version_full_human == "1.11.3-dev  64bit"
    assert cfg.version_short == "1.11.3-dev"
    assert (cfg.max_sessions, cfg.sessions_per_second, cfg.loglevel) == (20000, 5000, 4)


def test_default_config_is_plausible() -> None:
    cfg = SwitchConfig()
    assert cfg.switchname == cfg.hostname
    assert re.fullmatch(r"\d+\.\d+\.\d+\.\d+", cfg.ipv4)
    assert cfg.version_full == "1.10.12-release~64bit"
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", cfg.core_uuid
    )
    assert (cfg.max_sessions, cfg.sessions_per_second, cfg.heartbeat_interval) == (1000, 30, 20)


def test_standard_headers_order_and_formats() -> None:
    switch = Switch(SwitchConfig.recording())
    event = switch.new_event(EventType.API, SITE)
    names = [name for name, _ in event.headers]
    assert names == STANDARD
    assert event["Event-Name"] == "API"
    assert event["Core-UUID"] == switch.core_uuid
    assert event["FreeSWITCH-IPv6"] == "fd00::2"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", event["Event-Date-Local"])
    assert re.fullmatch(
        r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT",
        event["Event-Date-GMT"],
    )
    assert re.fullmatch(r"\d{16}", event["Event-Date-Timestamp"])
    assert (event["Event-Calling-File"], event["Event-Calling-Function"]) == (
        "test.c",
        "test_function",
    )
    assert event["Event-Calling-Line-Number"] == "42"


def test_standard_headers_match_the_recording() -> None:
    recorded = recorded_events("event_all_sees_own_api")[0]
    switch = Switch(SwitchConfig.recording())
    event = switch.new_event(
        EventType.API, CallingSite("switch_loadable_module.c", "switch_api_execute", 3140)
    )
    assert [n for n, _ in event.headers] == [n for n, _ in recorded[: len(STANDARD)]]
    fixed = {
        "Event-Name",
        "FreeSWITCH-Hostname",
        "FreeSWITCH-Switchname",
        "FreeSWITCH-IPv4",
        "FreeSWITCH-IPv6",
    }
    fixed |= {"Event-Calling-File", "Event-Calling-Function", "Event-Calling-Line-Number"}
    assert [(n, v) for n, v in event.headers if n in fixed] == [
        (n, v) for n, v in recorded if n in fixed
    ]


def test_ipv6_omitted_when_empty_and_custom_subclass_follows() -> None:
    switch = Switch(SwitchConfig(hostname="h", ipv4="10.0.0.1", ipv6=""))
    event = switch.new_event(EventType.CUSTOM, SITE, "my::sub")
    names = [name for name, _ in event.headers]
    assert "FreeSWITCH-IPv6" not in names
    assert names[-2:] == ["Event-Sequence", "Event-Subclass"]
    assert event["Event-Subclass"] == "my::sub"
    assert event["FreeSWITCH-Switchname"] == "h"


def test_sequence_starts_at_one_and_is_taken_at_creation() -> None:
    switch = Switch(SwitchConfig.recording())
    seen: list[Event] = []
    switch.subscribe_events(seen.append)
    first = switch.new_event(EventType.CUSTOM, SITE)
    second = switch.new_event(EventType.CUSTOM, SITE)
    switch.fire(second)
    switch.fire(first)
    assert first["Event-Sequence"] == "1"
    assert second["Event-Sequence"] == "2"
    assert seen == [second, first]


def test_stamp_standard_headers_appends_after_client_headers() -> None:
    switch = Switch(SwitchConfig.recording())
    event = Event(
        [("Command", "sendevent NOTIFY"), ("Event-Name", "NOTIFY"), ("Event-Sequence", "99")]
    )
    switch.stamp_standard_headers(event, CallingSite("mod_event_socket.c", "parse_command", 2283))
    names = [n for n, _ in event.headers]
    assert names[:3] == ["Command", "Event-Name", "Event-Sequence"]
    assert names[3:] == STANDARD
    assert event.headers[3] == ("Event-Name", "NOTIFY")
    assert event.headers[-1] == ("Event-Sequence", "1")
    unknown = Event([("Event-Name", "BOGUS")])
    switch.stamp_standard_headers(unknown, SITE)
    assert unknown.headers[1] == ("Event-Name", "CUSTOM")
    explicit = Event()
    switch.stamp_standard_headers(explicit, SITE, EventType.MESSAGE)
    assert explicit["Event-Name"] == "MESSAGE"


def test_fan_out_order_unsubscribe_and_failing_subscriber() -> None:
    switch = Switch(SwitchConfig.recording())
    calls: list[str] = []

    def broken(event: Event) -> None:
        raise RuntimeError("subscriber bug")

    switch.subscribe_events(lambda e: calls.append("a"))
    switch.subscribe_events(broken)
    unsubscribe = switch.subscribe_events(lambda e: calls.append("c"))
    switch.fire(switch.new_event(EventType.CUSTOM, SITE))
    assert calls == ["a", "c"]
    assert switch.errors and isinstance(switch.errors[0], RuntimeError)
    unsubscribe()
    unsubscribe()
    switch.fire(switch.new_event(EventType.CUSTOM, SITE))
    assert calls == ["a", "c", "a"]


def test_uptime_text_plurals() -> None:
    assert (
        uptime_text(0)
        == "0 years, 0 days, 0 hours, 0 minutes, 0 seconds, 0 milliseconds, 0 microseconds"
    )
    micros = ((((365 + 1) * 24 + 1) * 60 + 1) * 60 + 1) * 1_000_000 + 1001
    assert (
        uptime_text(micros)
        == "1 year, 1 day, 1 hour, 1 minute, 1 second, 1 millisecond, 1 microsecond"
    )


def test_clock_scales_sleep_and_elapsed() -> None:
    clock = Clock(100.0)
    assert clock.real_delay(10) == pytest.approx(0.1)
    with pytest.raises(ValueError):
        Clock(0)

    async def body() -> float:
        before = clock.elapsed()
        await clock.sleep(1.0)  # 10 ms of real time
        return clock.elapsed() - before

    assert run(body()) >= 1.0


def test_heartbeat_and_reschedule_match_the_recording() -> None:
    recorded = recorded_events("heartbeat_event")
    recorded_hb, recorded_rs = recorded[0], recorded[1]

    async def body() -> list[Event]:
        switch = Switch(fast_config(heartbeat_interval=1))
        seen: list[Event] = []
        switch.subscribe_events(seen.append)
        await switch.start()
        try:
            await wait_for(lambda: sum(e["Event-Name"] == "HEARTBEAT" for e in seen) >= 2)
            await asyncio.sleep(0.01)
        finally:
            await switch.stop()
        return seen

    seen = run(body())
    beats = [e for e in seen if e["Event-Name"] == "HEARTBEAT"]
    assert [n for n, _ in beats[0].headers] == [n for n, _ in recorded_hb]
    volatile = {
        "Core-UUID",
        "Event-Date-Local",
        "Event-Date-GMT",
        "Event-Date-Timestamp",
        "Event-Sequence",
    }
    volatile |= {"Up-Time", "Uptime-msec", "Idle-CPU"}
    assert [(n, v) for n, v in beats[0].headers if n not in volatile] == [
        (n, v) for n, v in recorded_hb if n not in volatile
    ]
    assert re.fullmatch(r"\d+\.\d{6}", beats[0]["Idle-CPU"])
    up = r"\d+ years?, \d+ days?, \d+ hours?, \d+ minutes?, \d+ seconds?, \d+ milliseconds?, \d+ microseconds?"
    assert re.fullmatch(up, beats[1]["Up-Time"])
    assert int(beats[1]["Uptime-msec"]) >= int(beats[0]["Uptime-msec"])
    # Each heartbeat is followed by its RE_SCHEDULE (task 1, heartbeat, core).
    index = seen.index(beats[0])
    follow = next(
        e
        for e in seen[index + 1 :]
        if e["Event-Name"] == "RE_SCHEDULE" and e["Task-Desc"] == "heartbeat"
    )
    assert [n for n, _ in follow.headers] == [n for n, _ in recorded_rs]
    assert (follow["Task-ID"], follow["Task-Group"]) == ("1", "core")
    assert (follow["Event-Calling-File"], follow["Event-Calling-Function"]) == (
        "switch_scheduler.c",
        "switch_scheduler_execute",
    )
    assert int(follow["Event-Sequence"]) == int(beats[0]["Event-Sequence"]) + 1
    assert int(follow["Task-Runtime"]) >= int(beats[0]["Event-Date-Timestamp"]) // 1_000_000
    # The check_ip task is scheduled too (task 2, every 60 s).
    adds = [
        (e["Task-ID"], e["Task-Desc"], e["Task-Group"])
        for e in seen
        if e["Event-Name"] == "ADD_SCHEDULE"
    ]
    assert adds[:2] == [("1", "heartbeat", "core"), ("2", "check_ip", "core")]


def test_shutdown_event_then_hooks() -> None:
    recorded = next(e for e in recorded_events("shutdown_notice") if e[0][1] == "SHUTDOWN")

    async def body() -> tuple[list[Event], list[str]]:
        switch = Switch(SwitchConfig.recording())
        seen: list[Event] = []
        order: list[str] = []

        def record(event: Event) -> None:
            seen.append(event)
            order.append(event["Event-Name"])

        switch.subscribe_events(record)
        await switch.start()

        async def close_listeners() -> None:
            order.append("hook")

        switch.add_shutdown_hook(close_listeners)
        await switch.stop()
        await switch.stop()  # idempotent
        assert not switch.running
        assert await switch.wait_stopped(1.0)
        return seen, order

    seen, order = run(body())
    shutdown = [e for e in seen if e["Event-Name"] == "SHUTDOWN"]
    assert len(shutdown) == 1
    fixed = {
        "Core-UUID",
        "Event-Date-Local",
        "Event-Date-GMT",
        "Event-Date-Timestamp",
        "Event-Sequence",
    }
    assert [(n, v) for n, v in shutdown[0].headers if n not in fixed] == [
        (n, v) for n, v in recorded if n not in fixed
    ]
    assert order.index("SHUTDOWN") < order.index("hook")


def test_fsctl_shutdown_stops_the_switch() -> None:
    async def body() -> bool:
        switch = Switch(fast_config())
        await switch.start()
        result = await switch.execute_api("fsctl", "shutdown")
        assert result.output == "+OK\n"
        return await switch.wait_stopped(5.0)

    assert run(body())


# ---------------------------------------------------------------------- logs
def test_log_levels_and_names() -> None:
    assert parse_level("WARNING") == 4
    assert parse_level("err") == 3
    assert parse_level("debug") == 7
    assert parse_level("7") == 7
    assert parse_level("99") == 63
    assert parse_level("-3") == 0
    assert parse_level("nonsense") == 64
    assert level_name(0) == "CONSOLE"
    assert level_name(9) == "DEBUG"
    assert level_name(-1) == "DISABLE"


def test_log_line_format() -> None:
    text = format_log_text("hello\n", 4, "mod_commands.c", 7247, 98.5312, now=0.25)
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.250000 98\.53% \[WARNING\] mod_commands\.c:7247 hello\n",
        text,
    )


def test_log_delivery_honours_core_level() -> None:
    switch = Switch(SwitchConfig.recording())  # core level warning
    records: list[LogRecord] = []
    unsubscribe = switch.subscribe_logs(records.append)
    switch.log(4, "warn\n", file="a.c", function="f", line=1)
    switch.log(6, "info\n", file="a.c", function="f", line=2)
    switch.log(2, "crit\n", file="a.c", function="f", line=3, session_uuid="u-1")
    assert [r.level for r in records] == [4, 2]
    assert records[0].channel == 0 and records[1].channel == 3
    assert records[1].user_data == "u-1"
    assert re.fullmatch(r".* \[CRIT\] a\.c:3 crit\n", records[1].text)
    switch.loglevel = int(LogLevel.DEBUG)
    switch.log(6, "now\n", file="a.c", function="f", line=4)
    switch.log(1, "clean\n", file="a.c", function="f", line=5, channel=1)
    assert records[-2].level == 6 and records[-1].text == "clean\n"
    switch.log(101, "debug1\n", file="a.c", function="f", line=6)  # above debug_level 0
    assert len(records) == 4
    switch.loglevel = -1
    switch.log(0, "disabled\n", file="a.c", function="f", line=7)
    assert len(records) == 4
    unsubscribe()
    switch.loglevel = 7
    switch.log(0, "gone\n", file="a.c", function="f", line=8)
    assert len(records) == 4


def test_event_channel_log_becomes_a_log_event() -> None:
    switch = Switch(SwitchConfig.recording())
    seen: list[Event] = []
    switch.subscribe_events(seen.append)
    switch.log(3, "boom\n", file="x.c", function="fn", line=9, channel=2)
    assert seen[0]["Event-Name"] == "LOG"
    assert [n for n, _ in seen[0].headers][-5:] == [
        "Log-Data",
        "Log-File",
        "Log-Function",
        "Log-Line",
        "Log-Level",
    ]


def test_global_variables() -> None:
    switch = Switch(SwitchConfig.recording())
    assert switch.get_global("hostname") == "vm"
    assert switch.get_global("core_uuid") == switch.core_uuid
    switch.set_global("x", "a${b}c")
    assert switch.get_global("x") == "a%{b}c"
    switch.set_global("x", None)
    assert switch.get_global("x") is None
    assert switch.set_global_conditional("y", "1", None)
    assert not switch.set_global_conditional("y", "2", "0")
    assert switch.set_global_conditional("y", "2", "1")
    assert switch.get_global("y") == "2"


def test_scheduler_runs_and_deletes_tasks() -> None:
    async def body() -> list[Event]:
        switch = Switch(fast_config(heartbeat_interval=1000))
        seen: list[Event] = []
        switch.subscribe_events(seen.append)
        await switch.start()
        ran: list[int] = []

        def task(t: Any) -> None:
            ran.append(t.task_id)

        now = switch.scheduler.now()
        first = switch.scheduler.add(now + 1, task, "once", "g1")
        doomed = switch.scheduler.add(now + 1000, task, "doomed", "g2")
        assert switch.scheduler.delete_id(1) == 0  # the heartbeat cannot be deleted
        assert switch.scheduler.delete_group("G2") == 1
        await wait_for(
            lambda: (
                bool(ran)
                and any(
                    e["Event-Name"] == "DEL_SCHEDULE" and e["Task-ID"] == str(first) for e in seen
                )
            )
        )
        await switch.stop()
        assert ran == [first]
        assert any(e["Event-Name"] == "DEL_SCHEDULE" and e["Task-ID"] == str(doomed) for e in seen)
        return seen

    run(body())
