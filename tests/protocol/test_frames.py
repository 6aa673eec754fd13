"""FrameReader: client mode and server mode (spec §3.1), any split of the input, limits."""

from __future__ import annotations

import base64
import itertools
import json
from pathlib import Path

import pytest

from eslkit.protocol import (
    MAX_BODY,
    MAX_HEADER_BLOCK,
    BadContentLength,
    Frame,
    FrameReader,
    HeaderBlockTooLarge,
)

CONFORMANCE = Path(__file__).resolve().parents[1] / "conformance" / "data"

FrameTuple = tuple[bytes, bytes | None, list[tuple[str, str]]]


def as_tuples(frames: list[Frame]) -> list[FrameTuple]:
    return [(f.head, f.body, f.headers) for f in frames]


def feed_all(
    data: bytes, cuts: tuple[int, ...] = (), *, server_side: bool = False, rest: int = 0
) -> list[Frame]:
    """Feed ``data`` cut at ``cuts``, collect the frames after every feed; ``rest`` bytes stay."""
    reader = FrameReader(server_side=server_side)
    out: list[Frame] = []
    last = 0
    for cut in (*cuts, len(data)):
        reader.feed(data[last:cut])
        out += reader.frames()
        last = cut
    assert reader.buffered == rest
    assert reader.in_frame == bool(rest)
    return out


def reference_client(data: bytes) -> list[FrameTuple]:
    """The conformance README's "Frame parsing" rules, written independently."""
    out: list[FrameTuple] = []
    pos = 0
    while pos < len(data):
        term = data.index(b"\n\n", pos)
        head = data[pos:term]
        headers = []
        for line in head.decode().split("\n"):
            name, _, value = line.partition(":")
            headers.append((name, value[1:] if value.startswith(" ") else value))
        length = next((int(v.strip(" ")) for n, v in headers if n.lower() == "content-length"), 0)
        pos = term + 2
        body = None
        if length > 0:
            body = data[pos : pos + length]
            pos += length
        out.append((head, body, headers))
    return out


EVENT_PLAIN = (CONFORMANCE / "events" / "channel_execute_complete.plain").read_bytes()
EVENT_FRAME = (
    b"Content-Length: %d\nContent-Type: text/event-plain\n\n" % len(EVENT_PLAIN) + EVENT_PLAIN
)

CLIENT_SHORT = (
    b"Content-Type: auth/request\n\n"
    b"Content-Type: command/reply\nReply-Text: +OK accepted\n\n"
    b"Content-Type: api/response\nContent-Length: 5\n\nhi\n\n\n"
    b"Content-Length: 14\nContent-Type: text/event-plain\n\nA: 1\nB: x%20\n\n"
    b"Content-Length: 0\nContent-Type: text/event-json\n\n"
    b"Content-Type: log/data\ncontent-length: 3\nLog-Level: 7\n\nabc"
)


def recorded_stream(case: str, conn: str = "a") -> bytes:
    raw = json.loads((CONFORMANCE / "cases" / f"{case}.raw").read_text())
    return base64.b64decode(raw[conn]["received_b64"])


CLIENT_LONG = [
    EVENT_FRAME * 3 + CLIENT_SHORT,
    recorded_stream("bgapi_json"),
    recorded_stream("api_url_encode"),
]

SERVER_SHORT = (
    b"\r\n\nauth ClueCon\n\n"
    b"api echo hi\r\n\r\n"
    b"sendevent CUSTOM\nX: 1\ncontent-length: 4\n\nbodyevent plain ALL\n\r\n"
    b"\n\nsendmsg\r\nA: b\r\nContent-Length: 2\r\n\r\nxy"
    b"exit\n \nstill\n\n"
)


# ----------------------------------------------------------------------------- client splits


def test_reference_parser_agrees_on_samples() -> None:
    for sample in [CLIENT_SHORT, *CLIENT_LONG]:
        assert as_tuples(feed_all(sample)) == reference_client(sample)


def test_every_recorded_stream_frames_like_the_reference() -> None:
    total = 0
    for path in sorted((CONFORMANCE / "cases").glob("*.raw")):
        for conn in json.loads(path.read_text()):
            data = recorded_stream(path.stem, conn)
            frames = as_tuples(feed_all(data, tuple(range(0, len(data), 1000))))
            assert frames == reference_client(data), path.stem
            total += len(frames)
    assert total == 1047  # the README's count of recorded frames


def test_client_every_pair_of_split_points() -> None:
    expected = as_tuples(feed_all(CLIENT_SHORT))
    assert len(expected) == 6
    for a, b in itertools.combinations(range(1, len(CLIENT_SHORT)), 2):
        assert as_tuples(feed_all(CLIENT_SHORT, (a, b))) == expected, (a, b)


@pytest.mark.parametrize("index", range(len(CLIENT_LONG)))
def test_client_every_split_point(index: int) -> None:
    data = CLIENT_LONG[index]
    expected = as_tuples(feed_all(data))
    for cut in range(1, len(data)):
        assert as_tuples(feed_all(data, (cut,))) == expected, cut


@pytest.mark.parametrize("server_side", [False, True])
def test_byte_at_a_time(server_side: bool) -> None:
    data = SERVER_SHORT if server_side else EVENT_FRAME + CLIENT_SHORT
    expected = as_tuples(feed_all(data, server_side=server_side))
    cuts = tuple(range(1, len(data)))
    assert as_tuples(feed_all(data, cuts, server_side=server_side)) == expected


@pytest.mark.parametrize("server_side", [False, True])
def test_next_frame_and_frames_interleaved_with_feeds(server_side: bool) -> None:
    data = SERVER_SHORT if server_side else EVENT_FRAME + CLIENT_SHORT + EVENT_FRAME
    expected = as_tuples(feed_all(data, server_side=server_side))
    for step in (1, 3, 17, 100, 1000):
        reader = FrameReader(server_side=server_side)
        out: list[Frame] = []
        for i, start in enumerate(range(0, len(data), step)):
            reader.feed(data[start : start + step])
            if i % 3 == 0:
                out += reader.frames()
            elif i % 3 == 1:
                frame = reader.next_frame()
                if frame is not None:
                    out.append(frame)
        while (frame := reader.next_frame()) is not None:
            out.append(frame)
        assert as_tuples(out) == expected, step
        assert reader.next_frame() is None and reader.frames() == []


def test_client_in_frame_and_buffered() -> None:
    reader = FrameReader()
    assert not reader.in_frame
    reader.feed(EVENT_FRAME[:100])
    assert reader.frames() == [] and reader.in_frame and reader.buffered == 100
    reader.feed(EVENT_FRAME[100:])
    assert len(reader.frames()) == 1 and not reader.in_frame and reader.buffered == 0


def test_client_frame_fields() -> None:
    frames = feed_all(CLIENT_SHORT)
    assert [f.content_type for f in frames] == [
        "auth/request",
        "command/reply",
        "api/response",
        "text/event-plain",
        "text/event-json",
        "log/data",
    ]
    assert frames[1].get("reply-text") == "+OK accepted"
    assert frames[2].body == b"hi\n\n\n"
    assert frames[3].body == b"A: 1\nB: x%20\n\n"
    assert frames[4].body is None  # Content-Length: 0 means no body
    assert frames[5].body == b"abc"  # content-length in any case


def test_client_first_content_length_wins_in_any_case() -> None:
    data = b"X: 1\ncontent-length: 2\nContent-Length: 5\n\nabcde"
    frames = feed_all(data, rest=3)
    assert [f.body for f in frames] == [b"ab"]  # "cde" then waits for its own terminator


def test_client_content_length_with_spaces() -> None:
    assert feed_all(b"Content-Length:  3 \n\nabc")[0].body == b"abc"


def test_client_cr_terminators_are_accepted() -> None:
    data = b"Content-Type: command/reply\r\nReply-Text: +OK\r\n\r\nContent-Type: auth/request\n\r\n"
    frames = feed_all(data)
    assert [f.head for f in frames] == [
        b"Content-Type: command/reply\r\nReply-Text: +OK\r",
        b"Content-Type: auth/request",
    ]
    for cut in range(1, len(data)):
        assert as_tuples(feed_all(data, (cut,))) == as_tuples(frames)


# ----------------------------------------------------------------------------- client errors


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"-1", "not a non-negative integer"),
        (b"abc", "not a non-negative integer"),
        (b"12x", "not a non-negative integer"),
        (b"", "not a non-negative integer"),
        (b"16777217", "over the 16777216-byte limit"),
        (b"1" * 5000, "over the 16777216-byte limit"),  # past what int() accepts
    ],
)
def test_client_bad_content_length(value: bytes, reason: str) -> None:
    reader = FrameReader()
    reader.feed(b"Content-Type: api/response\nContent-Length: " + value + b"\n\n")
    with pytest.raises(BadContentLength) as info:
        reader.frames()
    assert info.value.reason == reason
    assert info.value.value.strip(" ") == value.decode()
    assert f"bad Content-Length {info.value.value!r}: {reason}" == str(info.value)


def test_client_content_length_with_many_leading_zeros() -> None:
    reader = FrameReader()
    reader.feed(b"Content-Length: " + b"0" * 5000 + b"2\nContent-Type: api/response\n\nok")
    assert [frame.body for frame in reader.frames()] == [b"ok"]


def test_client_bad_content_length_on_the_fast_path() -> None:
    reader = FrameReader()
    reader.feed(b"Content-Length: 16777217\nContent-Type: text/event-plain\n\n")
    with pytest.raises(BadContentLength, match="over the 16777216-byte limit"):
        reader.frames()


def test_client_body_limit_is_inclusive() -> None:
    body = b"x" * MAX_BODY
    reader = FrameReader()
    reader.feed(b"Content-Length: %d\nContent-Type: api/response\n\n" % MAX_BODY)
    for start in range(0, MAX_BODY, 1 << 20):
        reader.feed(body[start : start + (1 << 20)])
    frames = reader.frames()
    assert len(frames) == 1 and frames[0].body is not None and len(frames[0].body) == MAX_BODY


@pytest.mark.timeout(120)
def test_client_header_block_too_large_fed_in_4k_chunks() -> None:
    reader = FrameReader()
    chunk = b"X-Long: " + b"a" * 4088
    assert len(chunk) == 4096
    fed = 0
    with pytest.raises(HeaderBlockTooLarge) as info:
        while fed <= MAX_HEADER_BLOCK + 8192:
            reader.feed(chunk)
            fed += len(chunk)
            assert reader.frames() == []
    assert fed > MAX_HEADER_BLOCK
    assert info.value.limit == MAX_HEADER_BLOCK and info.value.size > MAX_HEADER_BLOCK
    assert "exceeds the limit of 10485760 bytes" in str(info.value)


def test_client_header_block_limit_does_not_depend_on_the_split() -> None:
    limit = 64
    ok = b"a" * limit + b"\n\n"
    too_big = b"a" * (limit + 1) + b"\n\n"
    for cut in range(1, len(too_big)):
        reader = FrameReader(max_header=limit)
        reader.feed(ok[:cut])
        reader.feed(ok[cut:])
        assert [f.head for f in reader.frames()] == [b"a" * limit]
        reader = FrameReader(max_header=limit)
        with pytest.raises(HeaderBlockTooLarge):
            reader.feed(too_big[:cut])
            reader.frames()
            reader.feed(too_big[cut:])
            reader.frames()


@pytest.mark.timeout(120)
def test_client_large_head_and_body_in_small_chunks_is_linear() -> None:
    # 8 MiB of header lines then a 4 MiB body, fed 4 KiB at a time: finishes quickly only
    # when the reader neither rescans nor re-copies what it already holds.
    head = b"".join(b"X-%07d: v\n" % i for i in range(8 * 1024 * 1024 // 13))
    body = b"b" * (4 << 20)
    data = head + b"Content-Length: %d\n\n" % len(body) + body + b"Content-Type: auth/request\n\n"
    reader = FrameReader()
    frames: list[Frame] = []
    for start in range(0, len(data), 4096):
        reader.feed(data[start : start + 4096])
        frames += reader.frames()
    assert [len(f.body or b"") for f in frames] == [len(body), 0]
    assert frames[1].content_type == "auth/request"


# ----------------------------------------------------------------------------- server mode


def server_frames(data: bytes) -> list[Frame]:
    return feed_all(data, server_side=True)


def test_server_every_pair_of_split_points() -> None:
    expected = as_tuples(server_frames(SERVER_SHORT))
    assert [f[0].split(b"\n")[0] for f in expected] == [
        b"auth ClueCon",
        b"api echo hi\r",
        b"sendevent CUSTOM",
        b"event plain ALL",
        b"sendmsg\r",
        b"exit",
    ]
    for a, b in itertools.combinations(range(1, len(SERVER_SHORT)), 2):
        assert as_tuples(feed_all(SERVER_SHORT, (a, b), server_side=True)) == expected, (a, b)


def test_server_leading_cr_lf_dropped_and_raw_block_kept() -> None:
    frames = server_frames(b"\r\n\r\n\nauth x\n\n")
    assert len(frames) == 1
    assert frames[0].command == "auth x\n\n"


@pytest.mark.parametrize("terminator", [b"\n\n", b"\r\n\r\n", b"\n\r\n", b"\n\r\r\n"])
def test_server_terminators(terminator: bytes) -> None:
    frames = server_frames(b"api status" + terminator + b"exit\n\n")
    assert [f.command for f in frames] == [("api status" + terminator.decode()), "exit\n\n"]


def test_server_space_line_does_not_terminate() -> None:
    frames = server_frames(b"exit\n \nstill\n\n")
    assert [f.command for f in frames] == ["exit\n \nstill\n\n"]
    assert frames[0].headers == []  # "still" has no colon, the space-only line neither


def test_server_header_parse_rules() -> None:
    frames = server_frames(b"sendevent X\nName :  v \nTab:\tv\nnocolon\nA: 1\na: 2\n\n")
    assert frames[0].headers == [("Name ", "v "), ("Tab", "\tv"), ("A", "1"), ("a", "2")]
    assert frames[0].get("a") == "1"


def test_server_strip_cr_merges_lines_with_mixed_endings() -> None:
    # A line ends at the first CR anywhere after it (else its LF): LF-only lines before a
    # CRLF line are merged into it.
    frames = server_frames(b"sendevent X\r\nA: 1\nB: 2\r\nC: 3\r\n\r\n")
    assert frames[0].headers == [("A", "1\nB: 2"), ("C", "3")]
    # Here the command line itself swallows the two LF-only header lines.
    frames = server_frames(b"sendevent X\nA: 1\nB: 2\r\nC: 3\r\n\r\n")
    assert frames[0].headers == [("C", "3")]


def test_server_nul_truncates_the_header_parse() -> None:
    data = b"sendevent X\nA: 1\x00B: 2\ncontent-length: 3\n\nabc"
    # The content-length after the NUL is not honoured: "abc" starts the next packet.
    frames = feed_all(data, server_side=True, rest=3)
    assert frames[0].headers == [("A", "1")]
    assert frames[0].body is None
    assert frames[0].command == "sendevent X\nA: 1"


def test_server_body_cut_at_nul() -> None:
    frames = server_frames(b"sendevent X\ncontent-length: 5\n\nab\x00cdexit\n\n")
    assert frames[0].body == b"ab"
    assert frames[1].command == "exit\n\n"


@pytest.mark.parametrize(
    ("value", "body"),
    [
        (b"abc", None),
        (b" 12x", b"0123456789ab"),
        (b"0", None),
        (b"+3", b"012"),
        (b"", None),
        (b"0" * 5000 + b"3", b"012"),
    ],
)
def test_server_content_length_is_atoi(value: bytes, body: bytes | None) -> None:
    data = b"sendmsg\ncontent-length: " + value + b"\n\n0123456789ab"
    frames = feed_all(data, server_side=True, rest=12 - len(body or b""))
    assert frames[0].body == body


def test_server_two_content_length_headers_read_two_bodies() -> None:
    frames = server_frames(b"sendmsg\nContent-Length: 3\ncontent-length: 2\n\nabcdeexit\n\n")
    assert frames[0].body == b"de"  # both bodies consumed; the later one is kept
    assert frames[1].command == "exit\n\n"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"-1", "negative"),
        (b"16777217", "over the 16777216-byte limit"),
        (b"1" * 5000, "over the 16777216-byte limit"),  # past what int() accepts
        (b"-" + b"9" * 5000, "negative"),
    ],
)
def test_server_content_length_out_of_range(value: bytes, reason: str) -> None:
    reader = FrameReader(server_side=True)
    reader.feed(b"sendmsg\ncontent-length: " + value + b"\n\n")
    with pytest.raises(BadContentLength) as info:
        reader.frames()
    assert info.value.reason == reason
    assert value.decode() in str(info.value)


def test_server_body_limit_is_inclusive() -> None:
    reader = FrameReader(server_side=True)
    reader.feed(b"sendmsg\ncontent-length: 16777216\n\n")
    assert reader.frames() == [] and reader.in_frame
    reader.feed(b"x" * MAX_BODY)
    frames = reader.frames()
    assert frames[0].body is not None and len(frames[0].body) == MAX_BODY


@pytest.mark.timeout(120)
def test_server_10mib_block_is_complete_and_the_rest_starts_the_next_packet() -> None:
    reader = FrameReader(server_side=True)
    chunk = b"a" * 4096
    frames: list[Frame] = []
    for _ in range(MAX_HEADER_BLOCK // 4096):
        reader.feed(chunk)
        frames += reader.frames()
    assert len(frames) == 1  # reached the limit: complete without a terminator
    assert len(frames[0].head) == MAX_HEADER_BLOCK
    reader.feed(b"bc\n\n")
    frames = reader.frames()
    assert [f.command for f in frames] == ["bc\n\n"]


def test_server_limit_with_a_small_max_header() -> None:
    frames = feed_all(b"abcdefgh\n\n", (3, 7), server_side=True)
    reader = FrameReader(server_side=True, max_header=4)
    reader.feed(b"abcdefgh\n\n")
    assert [f.command for f in reader.frames()] == ["abcd", "efgh\n\n"]
    assert [f.command for f in frames] == ["abcdefgh\n\n"]


def _normalized(items: list[Frame | bytes]) -> list[tuple[bytes | None, bytes | None]]:
    """Frames as (head, body); event bodies handed out alone as (None, body)."""
    return [(None, item) if isinstance(item, bytes) else (item.head, item.body) for item in items]


def test_event_bodies_path_gives_the_same_stream_for_every_split() -> None:
    event = open_event_sample()
    stream = (
        b"Content-Type: auth/request\n\n"
        + b"Content-Length: %d\nContent-Type: text/event-plain\n\n" % len(event)
        + event
        + b"Content-Type: api/response\nContent-Length: 5\n\nhello"
        + b"Content-Length: %d\nContent-Type: text/event-plain\n\n" % len(event)
        + event
        + b"Content-Length: 13\nContent-Type: text/event-json\n\n{\"a\":\"json\"}\n"
    )
    whole = FrameReader()
    whole.feed(stream)
    expected = _normalized(whole.frames_or_event_bodies())
    # Plain events come as bare bodies; everything else as frames, in stream order.
    assert [head is None for head, _ in expected] == [False, True, False, True, False]
    assert expected[1][1] == event
    step = max(1, len(stream) // 97)
    for cut in [*range(0, 80), *range(80, len(stream), step), len(stream)]:
        reader = FrameReader()
        got: list[Frame | bytes] = []
        for part in (stream[:cut], stream[cut:]):
            reader.feed(part)
            got += reader.frames_or_event_bodies()
        assert _normalized(got) == expected, cut
    reader = FrameReader()
    got = []
    for index in range(0, len(stream), 7):
        reader.feed(stream[index : index + 7])
        got += reader.frames_or_event_bodies()
    assert _normalized(got) == expected


def open_event_sample() -> bytes:
    return (CONFORMANCE / "events" / "channel_execute_complete.plain").read_bytes()
