"""The sans-IO core against the recorded transcripts (tests/conformance/data), no server.

- every byte stream FreeSWITCH sent frames into exactly the recorded frames;
- every recorded frame of a kind the builders make is rebuilt byte for byte;
- what the recorded clients sent, read in server mode, gives one command per reply.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from eslkit.protocol import (
    GREETING,
    BadContentLength,
    Command,
    Frame,
    FrameReader,
    api_response,
    command_reply,
    disconnect_notice,
    event_frame,
    log_frame,
)

CONFORMANCE = Path(__file__).resolve().parents[1] / "conformance" / "data"
CASES = sorted(p.stem for p in (CONFORMANCE / "cases").glob("*.json"))
EVENT_FORMATS = {"text/event-plain": "plain", "text/event-json": "json", "text/event-xml": "xml"}


def load(case: str) -> tuple[dict[str, Any], dict[str, Any]]:
    folder = CONFORMANCE / "cases"
    return (
        json.loads((folder / f"{case}.json").read_text()),
        json.loads((folder / f"{case}.raw").read_text()),
    )


def recorded_frames(case: dict[str, Any], conn: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for step in case["steps"]:
        if step.get("conn") == conn and "expect" in step:
            out += step["expect"]
    return out


def wire_bytes(frame: dict[str, Any]) -> bytes:
    head = "".join(f"{k}: {v}\n" for k, v in frame["headers"]).encode()
    return head + b"\n" + (frame["body"] or "").encode()


@pytest.mark.parametrize("name", CASES)
def test_received_bytes_frame_into_the_recorded_frames(name: str) -> None:
    case, raw = load(name)
    ignored = set(case.get("ignore_events", []))
    for conn, stream in raw.items():
        data = base64.b64decode(stream["received_b64"])
        reader = FrameReader()
        frames: list[Frame] = []
        chunks = [e for _, e in stream.get("received_chunks", [])] or [len(data)]
        last = 0
        for end in chunks:  # as the bytes arrived
            reader.feed(data[last:end])
            frames += reader.frames()
            last = end
        assert reader.buffered == 0
        got = [
            (f.headers, None if f.body is None else f.body.decode())
            for f in frames
            if not (f.body and f.content_type in EVENT_FORMATS and _event_name(f) in ignored)
        ]
        want = [
            ([tuple(h) for h in fr["headers"]], fr["body"]) for fr in recorded_frames(case, conn)
        ]
        assert got == want


def _event_name(frame: Frame) -> str | None:
    from eslkit.protocol import Event

    assert frame.body is not None
    return Event.parse(frame.body, EVENT_FORMATS[frame.content_type or ""]).name  # type: ignore[arg-type]


def all_recorded_frames() -> list[Any]:
    out = []
    for name in CASES:
        case, _ = load(name)
        for step in case["steps"]:
            for i, frame in enumerate(step.get("expect") or []):
                out.append(pytest.param(frame, id=f"{name}-{step['conn']}-{i}"))
    return out


def rebuild(frame: dict[str, Any]) -> bytes | None:
    """The builder output for a recorded frame, or None for kinds no builder makes."""
    headers = frame["headers"]
    ctype = dict(headers).get("Content-Type")
    body = frame["body"]
    if headers[0][0] not in ("Content-Type", "Content-Length"):
        return None  # the outbound connect reply: a bare event (test_event_formats)
    if headers == [["Content-Type", "auth/request"]]:
        return GREETING
    if ctype == "command/reply" and body is not None:
        return None  # bgapi_long_job_uuid: a capped ~ reply glued to the next frame
    if ctype == "command/reply":
        if len(headers) == 2:
            return command_reply(headers[1][1])
        return command_reply("~" + "".join(f"{k}: {v}\n" for k, v in headers[1:]) + "\n")
    if ctype == "api/response":
        return api_response(body or "")
    if ctype in EVENT_FORMATS:
        return event_frame(body.encode(), EVENT_FORMATS[ctype])  # type: ignore[arg-type]
    if ctype == "text/disconnect-notice":
        fields = dict(headers)
        if fields.get("Content-Disposition") == "linger":
            return None  # checked in test_builders (not recorded with a body)
        return disconnect_notice(body, session_uuid=fields.get("Controlled-Session-UUID"))
    if ctype == "log/data":
        f = dict(headers)
        return log_frame(
            body,
            level=int(f["Log-Level"]),
            channel=int(f["Text-Channel"]),
            file=f["Log-File"],
            func=f["Log-Func"],
            line=int(f["Log-Line"]),
            user_data=f["User-Data"],
        )
    return None


@pytest.mark.parametrize(
    "frame", [p for p in all_recorded_frames() if rebuild(p.values[0]) is not None]
)
def test_builders_reproduce_recorded_frames(frame: dict[str, Any]) -> None:
    """Every recorded frame a builder makes (all but the bare connect replies and the one
    glued bgapi reply, which other tests cover) comes out byte for byte."""
    built = rebuild(frame)
    assert built is not None
    assert built == wire_bytes(frame)


def test_most_recorded_frames_have_a_builder() -> None:
    built = sum(rebuild(p.values[0]) is not None for p in all_recorded_frames())
    assert built >= 1000


def sent_bytes(case: dict[str, Any], conn: str) -> bytes:
    out = b""
    for step in case["steps"]:
        if step.get("conn") != conn:
            continue
        if "send_b64" in step:
            out += base64.b64decode(step["send_b64"])
        elif "send" in step:
            out += step.get("sent", step["send"]).encode()
    return out


@pytest.mark.parametrize(
    "name",
    ["framing_line_endings", "framing_pipelined", "framing_nul_byte", "framing_large_command_line"],
)
def test_sent_commands_one_reply_each(name: str) -> None:
    case, _ = load(name)
    reader = FrameReader(server_side=True)
    reader.feed(sent_bytes(case, "a"))
    commands = [Command.from_frame(f) for f in reader.frames()]
    replies = [
        fr
        for fr in recorded_frames(case, "a")
        if dict(fr["headers"]).get("Content-Type") in ("command/reply", "api/response")
    ]
    assert len(commands) == len(replies)
    for command, reply in zip(commands, replies, strict=True):
        if command.line.startswith("api echo "):
            assert reply["body"] == command.line[len("api echo ") :].strip()


@pytest.mark.parametrize("name", ["framing_negative_content_length", "framing_huge_content_length"])
def test_out_of_range_content_length_drops_the_connection(name: str) -> None:
    case, _ = load(name)
    reader = FrameReader(server_side=True)
    reader.feed(sent_bytes(case, "a"))
    with pytest.raises(BadContentLength):
        reader.frames()


def test_capped_tilde_reply_glues_onto_the_next_frame() -> None:
    # bgapi with a 300-character Job-UUID (kept to 256 by the server): "+OK Job-UUID: <uuid>"
    # plus the Job-UUID line overflows the 511-byte reply buffer, so the ~ reply loses its
    # blank line and the next frame's head is glued onto it, exactly as recorded.
    case, raw = load("bgapi_long_job_uuid")
    sent = next(s["send"] for s in case["steps"] if s.get("send", "").startswith("bgapi"))
    job_uuid = sent.split("Job-UUID: ", 1)[1].rstrip("\n")[:256]
    reply = command_reply(f"~Reply-Text: +OK Job-UUID: {job_uuid}\nJob-UUID: {job_uuid}\n\n")
    assert not reply.endswith(b"\n\n")
    expected = reply + api_response("after")
    assert expected in base64.b64decode(raw["a"]["received_b64"])
