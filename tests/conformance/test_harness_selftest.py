"""The harness judged by FreeSWITCH's own recordings: it must pass them, and fail mutants."""

from __future__ import annotations

import asyncio
import base64
import errno
import re
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.server_support import free_port

from .fake_fs import FakeFS, Mutator
from .harness import (
    Frame,
    ServerEnv,
    case_names,
    fs_url_encode,
    load_case,
    load_index,
    load_raw,
    parse_event,
    run_case,
    split_frames,
)

ALL = case_names()
LONG = case_names(long=True)


async def replay(
    name: str,
    *,
    mutate: Mutator | None = None,
    raw: dict[str, Any] | None = None,
    env: ServerEnv | None = None,
    time_scale: float = 10.0,
    base_timeout: float = 10.0,
) -> None:
    """Run the harness on ``name`` against a fake replaying its recording."""
    case = load_case(name)
    for attempt in range(3):
        fake = FakeFS(case, raw or load_raw(name), time_scale=time_scale, mutate=mutate)
        outbound = free_port(below_ephemeral=True) if case.mode == "outbound" else None
        port = await fake.start(outbound)
        try:
            await run_case(
                case,
                "127.0.0.1",
                port,
                outbound_port=outbound,
                stop_switch=fake.stop_switch,
                env=env or ServerEnv(),
                time_scale=time_scale,
                base_timeout=base_timeout,
            )
        except OSError as exc:  # the outbound port was taken after free_port() chose it
            if exc.errno != errno.EADDRINUSE or attempt == 2:
                raise
            continue
        finally:
            await fake.close()
        assert not fake.errors, fake.errors
        return


def fails(name: str, pattern: str, **kw: Any) -> str:
    """Assert the harness fails ``name`` with a message matching ``pattern``; return it."""
    with pytest.raises(AssertionError) as info:
        asyncio.run(asyncio.wait_for(replay(name, **kw), 60))
    msg = str(info.value)
    assert f"case {name!r}" in msg, msg
    assert re.search(pattern, msg, re.S), msg
    return msg


# -- mutators -----------------------------------------------------------------------------


def on_frame(conn: str, index: int, edit: Callable[[bytes], bytes]) -> Mutator:
    """Replace frame ``index`` of ``conn`` by ``edit(frame bytes)``; chunk ends follow."""

    def mutate(
        c: str, data: bytes, chunks: list[tuple[float, int]]
    ) -> tuple[bytes, list[tuple[float, int]]]:
        if c != conn:
            return data, chunks
        frames, _ = split_frames(data)
        _, start, end = frames[index]
        new = edit(data[start:end])
        assert new != data[start:end], "the mutation changed nothing"
        delta = len(new) - (end - start)
        out = [(t, e if e <= start else max(start, e + delta)) for t, e in chunks]
        return data[:start] + new + data[end:], out

    return mutate


def drop(conn: str, index: int) -> Mutator:
    """Remove one frame."""
    return on_frame(conn, index, lambda b: b"")


def swap(conn: str, i: int, j: int) -> Mutator:
    """Exchange two frames (i < j); chunk ends stay valid when both share a chunk."""

    def mutate(
        c: str, data: bytes, chunks: list[tuple[float, int]]
    ) -> tuple[bytes, list[tuple[float, int]]]:
        if c != conn:
            return data, chunks
        frames, _ = split_frames(data)
        (_, s1, e1), (_, s2, e2) = frames[i], frames[j]
        new = data[:s1] + data[s2:e2] + data[e1:s2] + data[s1:e1] + data[e2:]
        return new, chunks

    return mutate


def reframe(edit_body: Callable[[str], str]) -> Callable[[bytes], bytes]:
    """Edit a frame's body text and fix its outer Content-Length."""

    def edit(frame: bytes) -> bytes:
        head, _, body = frame.partition(b"\n\n")
        new = edit_body(body.decode()).encode()
        head = re.sub(rb"Content-Length: \d+", b"Content-Length: %d" % len(new), head)
        return head + b"\n\n" + new

    return edit


def sub(old: str, new: str, count: int = 1) -> Callable[[bytes], bytes]:
    """Replace text in a frame's bytes (same framing: use for equal lengths)."""
    return lambda b: b.replace(old.encode(), new.encode(), count)


# -- the recordings pass ------------------------------------------------------------------


def test_all_cases_pass_against_freeswitch_recordings() -> None:
    """Every case, replayed concurrently with long gaps shortened, passes the harness."""

    async def one(name: str) -> tuple[str, str | None]:
        try:
            await replay(name)
        except AssertionError as exc:
            return name, str(exc)
        return name, None

    async def all_cases() -> list[tuple[str, str | None]]:
        return await asyncio.gather(*(one(n) for n in ALL))

    start = time.monotonic()
    results = asyncio.run(asyncio.wait_for(all_cases(), 120))
    failures = [f"{n}: {e}" for n, e in results if e is not None]
    assert len(results) == 90
    assert not failures, "\n".join(failures)
    print(f"90 cases in {time.monotonic() - start:.1f} s")


@pytest.mark.slow
@pytest.mark.parametrize("name", LONG)
def test_long_cases_at_real_speed(name: str) -> None:
    """The ~25 s cases with their recorded timing, timing bounds unscaled."""
    asyncio.run(asyncio.wait_for(replay(name, time_scale=1.0), 90))


# -- the parser agrees with the recording -------------------------------------------------


def _recorded_frames() -> list[tuple[str, dict[str, Any], Frame]]:
    out = []
    for info in load_index():
        case, raw = load_case(info.name), load_raw(info.name)
        recorded: dict[str, list[dict[str, Any]]] = {}
        for step in case.steps:
            recorded.setdefault(step.get("conn", ""), []).extend(step.get("expect", ()))
        for conn, rec in raw.items():
            frames, trailing = split_frames(base64.b64decode(rec["received_b64"]))
            assert trailing == b"", (info.name, conn)
            assert len(frames) == len(recorded.get(conn, [])), (info.name, conn)
            for (frame, _, _), exp in zip(frames, recorded.get(conn, []), strict=True):
                out.append((info.name, exp, frame))
    return out


def test_frame_parser_matches_the_recorded_frames() -> None:
    """README: parsing received_b64 gives exactly the expect frames, events included."""
    frames = _recorded_frames()
    assert len(frames) == 1047
    for name, exp, frame in frames:
        assert [list(h) for h in frame.headers] == exp["headers"], name
        body = None if frame.body is None else frame.body.decode()
        assert body == exp["body"], name
        if exp["event"] is None:
            continue
        ev = parse_event(exp["event"]["format"], frame.body or b"")
        headers = [[i.name, i.value] for i in ev.items if not i.name.startswith("<")]
        assert headers == exp["event"]["headers"], name
        assert ev.body == exp["event"]["body"], name


def test_url_encoder_reproduces_every_plain_event_line() -> None:
    """The encoder used for volatile plain values agrees with FreeSWITCH on the corpus."""
    checked = 0
    for _, exp, frame in _recorded_frames():
        if exp["event"] is None or exp["event"]["format"] != "plain":
            continue
        for item in parse_event("plain", frame.body or b"").items:
            assert fs_url_encode(item.value) == item.raw, item
            checked += 1
    assert checked > 5000


# -- the harness fails wrong servers ------------------------------------------------------


def test_flipped_byte_in_api_body_fails() -> None:
    msg = fails("api_echo", r"body differs", mutate=on_frame("a", 2, sub("hello", "hellp")))
    assert "step 5" in msg and "conn 'a'" in msg and "frame 0" in msg
    assert "'hello world'" in msg and "'hellp world'" in msg


def test_changed_reply_text_fails() -> None:
    fails(
        "auth_good",
        r"header #1 'Reply-Text': expected '\+OK accepted', got '\+OK acceptee'",
        mutate=on_frame("a", 1, sub("accepted", "acceptee")),
    )


def test_changed_non_volatile_event_header_fails() -> None:
    fails(
        "bgapi_plain_job_uuid",
        r"event header #11 'Event-Calling-Line-Number'.*'1580'.*'1581'",
        mutate=on_frame("a", 4, sub("Line-Number: 1580", "Line-Number: 1581")),
    )


def test_changed_chosen_uuid_fails() -> None:
    fails(
        "bgapi_plain_job_uuid",
        r"Job-UUID",
        mutate=on_frame("a", 4, sub("000000000001", "000000000009")),
    )


def test_dropped_frame_fails() -> None:
    fails(
        "bgapi_plain_job_uuid",
        r"step 7, conn 'a', frame 1: timed out waiting for \[text/event-plain BACKGROUND_JOB\]"
        r" \(1 of 2 frames",
        mutate=drop("a", 4),
        base_timeout=0.5,
    )


def test_dropped_last_frame_fails_on_close() -> None:
    fails("auth_bad", r"server closed the connection", mutate=drop("a", 2))


def test_reordered_ordered_block_fails() -> None:
    fails("framing_pipelined", r"step 5.*body differs", mutate=swap("a", 2, 3))


def test_reordered_events_fail() -> None:
    fails(
        "call_1000_xml_one_leg",
        r"step 17, conn 'a', frame 0.*CHANNEL_UUID.*CHANNEL_OUTGOING",
        mutate=swap("a", 4, 5),
    )


def test_extra_frame_in_quiet_window_fails() -> None:
    reply = b"Content-Type: command/reply\nReply-Text: +OK bye\n\n"
    fails(
        "bgapi_not_subscribed",
        r"expected no further frame for 1\.0 s.*\+OK bye",
        mutate=on_frame("a", 2, lambda b: b + reply),
    )


def test_missing_close_fails() -> None:
    raw = load_raw("auth_good")
    del raw["a"]["eof_at"]
    fails("auth_good", r"did not close the connection", raw=raw, base_timeout=0.5)


def test_url_encoding_of_plain_value_is_checked() -> None:
    fails(
        "bgapi_plain_job_uuid",
        r"Job-Command-Arg.*raw text.*'hello%20job'.*'hello job'",
        mutate=on_frame("a", 4, reframe(lambda b: b.replace("hello%20job", "hello job"))),
    )


def test_json_escaping_is_checked() -> None:
    fails(
        "bgapi_json",
        r"Job-Command-Arg",
        mutate=on_frame("a", 4, reframe(lambda b: b.replace('\\"quoted', "\\u0022quoted"))),
    )


def test_xml_layout_is_checked() -> None:
    fails(
        "bgapi_body_newline",
        r"event \(xml\) layout differs",
        mutate=on_frame("a", 4, sub("\n  <headers>", "\n <headers> ")),
    )


def test_timing_lower_bound_fails_when_too_fast() -> None:
    raw = load_raw("api_msleep")
    chunks = raw["a"]["received_chunks"]
    chunks[2][0] = 0.002  # the msleep 300 reply, as if it did not sleep
    fails("api_msleep", r"timing of msleep 300 reply", raw=raw, time_scale=1.0)


# -- normalization: what may differ does not fail -----------------------------------------


def test_volatile_values_may_differ() -> None:
    def edit(body: str) -> str:
        body = body.replace("Event-Sequence: 742", "Event-Sequence: 1234567")
        body = body.replace(
            "b0aa446c-a730-4402-a182-56e6f65af6c7", "0" * 8 + "-1111-2222-3333-" + "4" * 12
        )
        body = re.sub(r"Thu,%2026%20Nov", "Mon,%2001%20Dec", body)
        return body

    asyncio.run(replay("bgapi_plain_no_job_uuid", mutate=on_frame("a", 4, reframe(edit))))


def test_uptime_singular_or_plural_accepted() -> None:
    asyncio.run(
        replay(
            "api_status_version",
            mutate=on_frame("a", 2, reframe(lambda b: b.replace(" 1 second,", " 2 seconds,"))),
        )
    )


def test_unordered_block_accepts_interleaving_across_channels() -> None:
    names = _event_names("call_9197_plain_all", "a")
    i = next(
        k
        for k in range(len(names) - 1)
        if None not in (names[k][1], names[k + 1][1]) and names[k][1] != names[k + 1][1]
    )
    asyncio.run(replay("call_9197_plain_all", mutate=swap("a", i, i + 1)))


def test_unordered_block_keeps_order_within_a_channel() -> None:
    names = _event_names("call_9197_plain_all", "a")
    i = next(
        k
        for k in range(len(names) - 1)
        if names[k][1] is not None
        and names[k][1] == names[k + 1][1]
        and names[k][0] != names[k + 1][0]
    )
    fails("call_9197_plain_all", r"unordered|Channel-Name", mutate=swap("a", i, i + 1))


def _event_names(case: str, conn: str) -> list[tuple[str | None, str | None]]:
    data = base64.b64decode(load_raw(case)[conn]["received_b64"])
    out: list[tuple[str | None, str | None]] = []
    for frame, _, _ in split_frames(data)[0]:
        ev = (
            parse_event("plain", frame.body)
            if frame.header("Content-Type") == "text/event-plain" and frame.body
            else None
        )
        if ev is None:
            out.append((None, None))
            continue
        values = {i.name: i.value for i in reversed(ev.items)}
        out.append((values.get("Event-Name"), values.get("Channel-Name")))
    return out


def _drop_many(conn: str, indices: list[int]) -> Mutator:
    def mutate(
        c: str, d: bytes, ch: list[tuple[float, int]]
    ) -> tuple[bytes, list[tuple[float, int]]]:
        for i in sorted(indices, reverse=True):
            d, ch = drop(conn, i)(c, d, ch)
        return d, ch

    return mutate


@pytest.mark.parametrize("kept", [0, 2, 5])
def test_optional_prefix_accepts_any_prefix(kept: int) -> None:
    # frames 3..8 are the six hang-up events, 9 the disconnect notice
    mutate = _drop_many("a", list(range(3 + kept, 9)))
    asyncio.run(replay("myevents_uuid_no_linger", mutate=mutate))


def test_optional_prefix_rejects_a_gap() -> None:
    fails("myevents_uuid_no_linger", r"optional prefix", mutate=drop("a", 4))


def _rename_host(body_too: bool) -> Mutator:
    """bgapi_unknown_command as a server whose hostname is myhost.example would send it."""

    def edit(body: str) -> str:
        body = body.replace("FreeSWITCH-Hostname: vm\n", "FreeSWITCH-Hostname: myhost.example\n")
        if body_too:  # the `bgapi hostname` job: body and inner Content-Length change
            body = body.replace("Content-Length: 2\n\nvm", "Content-Length: 14\n\nmyhost.example")
        return body

    def mutate(
        c: str, d: bytes, ch: list[tuple[float, int]]
    ) -> tuple[bytes, list[tuple[float, int]]]:
        for idx in (4, 6):
            d, ch = on_frame("a", idx, reframe(edit))(c, d, ch)
        return d, ch

    return mutate


def test_server_env_substitution_with_length_changes() -> None:
    env = ServerEnv(hostname="myhost.example")
    asyncio.run(replay("bgapi_unknown_command", mutate=_rename_host(True), env=env))
    fails(
        "bgapi_unknown_command",
        r"FreeSWITCH-Hostname.*'vm'.*'myhost.example'",
        mutate=_rename_host(True),
    )
    fails(
        "bgapi_unknown_command",
        r"event body differs: expected 'myhost.example', got 'vm'",
        mutate=_rename_host(False),
        env=env,
    )


def test_api_hostname_substitution() -> None:
    mutate = on_frame("a", 5, reframe(lambda b: "fs-test-01"))
    asyncio.run(replay("api_status_version", mutate=mutate, env=ServerEnv(hostname="fs-test-01")))
    fails(
        "api_status_version",
        r"expected \[api/response 'vm'\], got \[api/response 'fs-test-01'\]",
        mutate=mutate,
    )


def test_case_names_filters() -> None:
    assert len(case_names()) == 90
    assert case_names()[-1] == "shutdown_notice"
    free = case_names(needs_channels=False)
    assert "auth_good" in free and "call_9197_plain_all" not in free
    assert set(LONG) == {"auth_timeout", "out_connect_timeout", "heartbeat_event"}


def test_version_substitution_in_xml_and_plain_bodies() -> None:
    old, new = "FreeSWITCH Version 1.11.3-dev~64bit ( 64bit)\n", "FreeSWITCH Version 9.9 (x)\n"

    def edit(body: str) -> str:
        body = body.replace(f"<Content-Length>{len(old)}<", f"<Content-Length>{len(new)}<")
        body = body.replace(f"Content-Length: {len(old)}\n", f"Content-Length: {len(new)}\n")
        return body.replace(old, new)

    def mutate(
        c: str, d: bytes, ch: list[tuple[float, int]]
    ) -> tuple[bytes, list[tuple[float, int]]]:
        for idx in (4, 7):
            d, ch = on_frame("a", idx, reframe(edit))(c, d, ch)
        return d, ch

    asyncio.run(replay("bgapi_body_newline", mutate=mutate, env=ServerEnv(api_version=new)))
    fails(
        "bgapi_body_newline",
        r"'<Content-Length>' \(raw text\): expected '45', got '27'",
        mutate=mutate,
    )
