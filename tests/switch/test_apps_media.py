"""Media applications and API commands on real simulated calls (scaled clock)."""

from __future__ import annotations

import asyncio
import wave
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from eslkit.protocol.event import Event
from eslkit.switch.core import Switch
from eslkit.switch.ivr.sources import tone_stream_samples, wav_info
from tests.switch_support import api, running_switch

A = "c0ffee00-0000-4000-8000-0000000000a1"


@pytest.fixture
async def switch() -> AsyncIterator[Switch]:
    async with running_switch(50.0) as sw:
        yield sw


def collect(sw: Switch, uuid: str = A) -> list[Event]:
    events: list[Event] = []
    sw.subscribe_events(lambda e: events.append(e) if e.get("Unique-ID") == uuid or (e.get("Event-Subclass") or "").startswith("filestring") else None)
    return events


async def until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    async def poll() -> None:
        while not predicate():
            await asyncio.sleep(0.005)

    await asyncio.wait_for(poll(), timeout)


def named(events: list[Event], name: str) -> list[Event]:
    return [e for e in events if e.get("Event-Name") == name]


def destroyed(events: list[Event]) -> bool:
    return bool(named(events, "CHANNEL_DESTROY"))


def last_var(events: list[Event], name: str) -> str | None:
    return named(events, "CHANNEL_HANGUP_COMPLETE")[-1].get(f"variable_{name}")


def write_wav(path: Path, seconds: float, rate: int) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(int(seconds * rate) * 2))


def test_tone_stream_and_wav_lengths(tmp_path: Path) -> None:
    assert tone_stream_samples("%(200,0,440)") == 1600
    assert tone_stream_samples("%(100,50,440,480);loops=3") == 3 * 1200
    assert tone_stream_samples("L=2;%(100,100,350)") == 2 * 1600
    assert tone_stream_samples("l=3;%(100,0,350);%(100,0,440)") == 4 * 800
    assert tone_stream_samples("1") == 2500  # DTMF key: default 2000 + 500 samples
    assert tone_stream_samples("%(100,0,440);loops=-1") is None
    assert tone_stream_samples("%(100,0,0)") == 0  # empty map is skipped
    write_wav(tmp_path / "a.wav", 0.25, 16000)
    info = wav_info(str(tmp_path / "a.wav"))
    assert info is not None and (info.rate, info.frames) == (16000, 4000)
    (tmp_path / "b.wav").write_bytes(b"not a wav")
    assert wav_info(str(tmp_path / "b.wav")) is None


async def test_playback_tone_stream_events_and_variables(switch: Switch) -> None:
    events = collect(switch)
    # (originate's "&app(args)" ends the args at the first ')', as FreeSWITCH does)
    assert await api(switch, "originate", f"{{origination_uuid={A}}}null/1 &park") == f"+OK {A}\n"
    assert await api(switch, "uuid_broadcast", f"{A} tone_stream://%(200,0,440)") == "+OK Message sent\n"
    await until(lambda: any(e.get("Application") == "playback" for e in named(events, "CHANNEL_EXECUTE_COMPLETE")))
    kinds = [e.get("Event-Name") for e in events
             if (e.get("Event-Name") or "").startswith("PLAYBACK") or e.get("Application") == "playback"]  # fmt: skip
    assert kinds == ["CHANNEL_EXECUTE", "PLAYBACK_START", "PLAYBACK_STOP", "CHANNEL_EXECUTE_COMPLETE"]
    start, stop = named(events, "PLAYBACK_START")[0], named(events, "PLAYBACK_STOP")[0]
    assert start.get("Playback-File-Type") == "tone_stream"
    assert start.get("Playback-File-Path") == "tone_stream://%(200,0,440)"
    assert start.get("variable_current_application") == "playback"
    assert [h for h, _ in stop.headers][-3:] == ["Playback-File-Type", "Playback-File-Path", "Playback-Status"]
    assert stop.get("Playback-Status") == "done"
    complete = next(e for e in named(events, "CHANNEL_EXECUTE_COMPLETE") if e.get("Application") == "playback")
    assert complete.get("Application-Response") == "FILE PLAYED"
    for name, value in (("playback_last_offset_pos", "1600"), ("playback_seconds", "0"), ("playback_ms", "200"), ("playback_samples", "1600")):
        assert complete.get(f"variable_{name}") == value
    await api(switch, "uuid_kill", A)
    await until(lambda: destroyed(events))


async def test_playback_wav_missing_file_and_file_string(switch: Switch, tmp_path: Path) -> None:
    write_wav(tmp_path / "hello.wav", 0.5, 16000)
    events = collect(switch)
    data = f"{tmp_path}/hello"  # no extension: <codec> then .wav are tried
    await api(switch, "originate", f"{{origination_uuid={A}}}null/1 &playback({data})")
    await until(lambda: destroyed(events))
    stop = named(events, "PLAYBACK_STOP")[0]
    assert stop.get("Playback-File-Path") == f"{tmp_path}/hello.wav" and stop.get("Playback-File-Type") is None
    assert stop.get("variable_playback_samples") == "8000" and stop.get("variable_playback_ms") == "500"
    assert stop.get("variable_playback_last_offset_pos") == "4000"

    events.clear()
    await api(switch, "originate", f"{{origination_uuid={A}}}null/1 &playback({tmp_path}/nope.wav)")
    await until(lambda: destroyed(events))
    assert not named(events, "PLAYBACK_START")
    assert named(events, "CHANNEL_EXECUTE_COMPLETE")[0].get("Application-Response") == "FILE NOT FOUND"

    events.clear()
    spec = f"file_string://{tmp_path}/nope.wav!{tmp_path}/hello.wav!silence_stream://100"
    await api(switch, "originate", f"{{origination_uuid={A}}}null/1 &playback({spec})")
    await until(lambda: destroyed(events))
    flow = [(e.get("Event-Name"), e.get("Event-Subclass"), e.get("File")) for e in events
            if e.get("Event-Name") in ("CUSTOM", "PLAYBACK_START", "PLAYBACK_STOP")]  # fmt: skip
    assert flow == [
        ("CUSTOM", "filestring::fail", f"{tmp_path}/nope.wav"),
        ("CUSTOM", "filestring::open", f"{tmp_path}/hello.wav"),
        ("PLAYBACK_START", None, None),
        ("CUSTOM", "filestring::close", f"{tmp_path}/hello.wav"),
        ("CUSTOM", "filestring::open", "silence_stream://100"),
        ("PLAYBACK_STOP", None, None),
    ]
    assert named(events, "PLAYBACK_STOP")[0].get("variable_playback_samples") == str(4000 + 800)


async def test_playback_terminator_and_uuid_break(switch: Switch) -> None:
    events = collect(switch)
    script = "answer;wait:0.5;dtmf:1@0.1;dtmf:*"
    await api(switch, "originate", f"{{origination_uuid={A}}}sim/{script} &playback(silence_stream://60000)")
    await until(lambda: destroyed(events))
    stop = named(events, "PLAYBACK_STOP")[0]
    assert stop.get("Playback-Status") == "break"
    assert stop.get("variable_playback_terminator_used") == "*"
    assert 0 < int(stop.get("variable_playback_ms") or "0") < 60000
    assert named(events, "CHANNEL_EXECUTE_COMPLETE")[0].get("Application-Response") == "FILE PLAYED"

    events.clear()
    await api(switch, "originate", f"{{origination_uuid={A}}}null/1 &playback(silence_stream://-1)")
    await until(lambda: bool(named(events, "PLAYBACK_START")))
    assert await api(switch, "uuid_break", A) == "+OK\n"
    await until(lambda: destroyed(events))
    assert named(events, "PLAYBACK_STOP")[0].get("Playback-Status") == "break"


async def test_record_limit_silence_and_wav(switch: Switch, tmp_path: Path) -> None:
    events = collect(switch)
    path = tmp_path / "rec.wav"
    await api(switch, "originate", f"{{origination_uuid={A}}}null/1 '&record({path} 2)'")
    await until(lambda: destroyed(events))
    start, stop = named(events, "RECORD_START")[0], named(events, "RECORD_STOP")[0]
    assert start.get("Record-File-Path") == str(path) == stop.get("Record-File-Path")
    ms = int(stop.get("variable_record_ms") or "0")
    assert 2000 <= ms <= 3100
    info = wav_info(str(path))
    assert info is not None and info.frames == int(stop.get("variable_record_samples") or "-1")
    assert stop.get("variable_record_seconds") == str(info.frames // 8000)

    events.clear()
    await api(switch, "originate", f"{{origination_uuid={A}}}null/1 '&record({path} 30 200 1)'")
    await until(lambda: destroyed(events))
    stop = named(events, "RECORD_STOP")[0]
    assert stop.get("variable_silence_hits_exhausted") == "true"
    assert 900 <= int(stop.get("variable_record_ms") or "0") <= 1500

    events.clear()
    await api(switch, "originate", f"{{origination_uuid={A}}}null/1 &record({tmp_path}/no/such/dir/x.wav)")
    await until(lambda: destroyed(events))
    assert not named(events, "RECORD_START")
    assert named(events, "CHANNEL_HANGUP")[0].get("Hangup-Cause") == "DESTINATION_OUT_OF_ORDER"


async def test_read_digits_terminator_and_failure(switch: Switch) -> None:
    events = collect(switch)
    script = "answer;wait:0.5;dtmf:123#@0.05;wait:60"
    await api(switch, "originate", f"{{origination_uuid={A}}}sim/{script} '&read(1 5 silence_stream://100 got 5000 #)'")
    await until(lambda: bool(named(events, "CHANNEL_EXECUTE_COMPLETE")))
    await api(switch, "uuid_kill", A)
    await until(lambda: destroyed(events))
    assert last_var(events, "got") == "123"
    assert last_var(events, "read_result") == "success"
    assert last_var(events, "read_terminator_used") == "#"
    assert [e.get("DTMF-Digit") for e in named(events, "DTMF")] == ["1", "2", "3", "#"]

    events.clear()
    await api(switch, "originate", f"{{origination_uuid={A}}}null/1 '&read(2 4 silence got 1500 #)'")
    await until(lambda: destroyed(events))
    assert last_var(events, "read_result") == "failure" and last_var(events, "got") is None


async def test_play_and_get_digits_regex_retry(switch: Switch) -> None:
    events = collect(switch)
    script = "answer;wait:0.5;dtmf:95@0.05;wait:1.5;dtmf:12@0.05;wait:60"
    args = "2 2 3 4000 # silence_stream://200 silence_stream://200 choice ^1[0-9]$"
    await api(switch, "originate", f"{{origination_uuid={A}}}sim/{script} \'&play_and_get_digits({args})\'")
    await until(lambda: bool(named(events, "CHANNEL_EXECUTE_COMPLETE")))
    await api(switch, "uuid_kill", A)
    await until(lambda: destroyed(events))
    assert last_var(events, "choice") == "12"
    assert last_var(events, "choice_invalid") == "95"
    assert last_var(events, "read_result") == "success"
    assert len(named(events, "PLAYBACK_START")) >= 3  # prompt, invalid file, prompt again


async def test_play_and_get_digits_gives_up_and_transfers(switch: Switch) -> None:
    events = collect(switch)
    args = "1 1 2 1000 # silence_stream://100 silence_stream://100 choice [0-9] 0 nowhere XML nocontext"
    await api(switch, "originate", f"{{origination_uuid={A}}}null/1 \'&play_and_get_digits({args})\'")
    await until(lambda: destroyed(events))
    assert len(named(events, "PLAYBACK_START")) == 4
    assert last_var(events, "choice") is None
    assert named(events, "CHANNEL_HANGUP")[0].get("Caller-Context") == "nocontext"


async def test_uuid_send_dtmf_feeds_read(switch: Switch) -> None:
    events = collect(switch)
    await api(switch, "originate", f"{{origination_uuid={A}}}null/1 '&read(2 2 silence got 20000 #)'")
    assert await api(switch, "uuid_send_dtmf", f"{A} 42") == f"+OK {A} sent DTMF 42.\n"
    await until(lambda: destroyed(events))
    assert last_var(events, "got") == "42"
    assert {e.get("DTMF-Source") for e in named(events, "DTMF")} == {"UNKNOWN"}
    assert await api(switch, "uuid_send_dtmf", f"{A} 1") == "-ERR Cannot locate session!\n"
    assert await api(switch, "uuid_send_dtmf", A) == "-USAGE: <uuid> <dtmf_data>\n"


async def test_uuid_broadcast_plays_on_parked_channel(switch: Switch) -> None:
    events = collect(switch)
    await api(switch, "originate", f"{{origination_uuid={A}}}null/1 &park")
    assert await api(switch, "uuid_broadcast", f"{A} tone_stream://%(100,0,440)") == "+OK Message sent\n"
    await until(lambda: bool(named(events, "PLAYBACK_STOP")))
    assert await api(switch, "uuid_broadcast", f"{A} sleep::100 aleg") == "+OK Message sent\n"
    await until(lambda: any(e.get("Application") == "sleep" for e in named(events, "CHANNEL_EXECUTE_COMPLETE")))
    assert named(events, "PLAYBACK_STOP")[0].get("Playback-Status") == "done"
    assert any(e.get("execute-app-name") == "playback" for e in named(events, "PRIVATE_COMMAND"))
    assert await api(switch, "uuid_broadcast", "nope x") == "-ERR invalid uuid\n"
    assert await api(switch, "uuid_broadcast", A) == "-USAGE: <uuid> <path> [aleg|bleg|holdb|both]\n"
    await api(switch, "uuid_kill", A)
    await until(lambda: destroyed(events))


async def test_uuid_record_start_stop(switch: Switch, tmp_path: Path) -> None:
    events = collect(switch)
    await api(switch, "originate", f"{{origination_uuid={A}}}null/1 &park")
    path = tmp_path / "s.wav"
    assert await api(switch, "uuid_record", f"{A} start {path} 0 {{who=me}}") == "+OK Success\n"
    await asyncio.sleep(0.02)
    assert await api(switch, "uuid_record", f"{A} stop {path}") == "+OK Success\n"
    assert await api(switch, "uuid_record", f"{A} stop {path}") == "-ERR Cannot stop record session!\n"
    stop = named(events, "RECORD_STOP")[0]
    assert named(events, "RECORD_START")[0].get("Recording-Variable-who") == "me"
    info = wav_info(str(path))
    assert info is not None and info.frames == int(stop.get("variable_record_samples") or "-1") > 0
    assert await api(switch, "uuid_record", f"nope start {path}") == "-ERR Cannot locate session!\n"
    assert await api(switch, "uuid_record", f"{A} start") == (
        "-USAGE: <uuid> [start|stop|mask|unmask] <path> [<limit>] [<recording_vars>]\n"
    )
    await api(switch, "uuid_kill", A)
    await until(lambda: destroyed(events))
