"""Property-based tests (hypothesis) of the parsers any peer can reach.

Each property runs a bounded number of examples so the file costs a few seconds in CI;
``tests/fuzz/fuzz_protocol.py`` drives the same targets for as long as a developer likes.
"""

from __future__ import annotations

import os
import re
from xml.etree import ElementTree

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eslkit.protocol.command import Command
from eslkit.protocol.errors import ProtocolError
from eslkit.protocol.event import Event
from eslkit.protocol.frames import (
    DEFER_SPLIT_OVER,
    FrameReader,
    command_block_content_lengths,
    split_command_block,
    split_command_block_in_slices,
)
from eslkit.switch.expand import MAX_EXPANSIONS, expand_variables, needs_expansion

# ESLKIT_PROPERTY_EXAMPLES=5000 runs more examples locally.
FAST = settings(max_examples=int(os.environ.get("ESLKIT_PROPERTY_EXAMPLES", "300")), deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Bytes that matter to the splitter, plus some that do not.
_FRAMING_BYTES = st.lists(
    st.sampled_from([b"a", b"Z", b":", b" ", b"\t", b"\r", b"\n", b"\x00", b"\xc3", b"\xa9", b"\xff"]),
    max_size=60,
).map(b"".join)


def reference_split(block: bytes) -> list[tuple[str, str]]:
    """FreeSWITCH's ``read_packet`` line loop, written the obvious (quadratic) way."""
    nul = block.find(b"\x00")
    text = block if nul < 0 else block[:nul]
    headers: list[tuple[str, str]] = []
    cur, n, first = 0, len(text), True
    while cur <= n:
        nxt = text.find(b"\r", cur)
        if nxt < 0:
            nxt = text.find(b"\n", cur)
        start = cur
        if nxt >= 0:
            while nxt < n and text[nxt] in (0x0D, 0x0A):
                nxt += 1
        if first:
            first = False
        else:
            end = text.find(b"\r", start)
            if end < 0:
                end = text.find(b"\n", start)
            line = text[start : end if end >= 0 else n]
            name, sep, value = line.partition(b":")
            if line and sep:
                headers.append(
                    (name.decode("utf-8", "surrogateescape"),
                     value.lstrip(b" ").decode("utf-8", "surrogateescape"))
                )  # fmt: skip
        if nxt < 0 or nxt >= n:
            break
        cur = nxt
    return headers


@FAST
@given(_FRAMING_BYTES)
def test_split_command_block_matches_read_packet(block: bytes) -> None:
    assert split_command_block(block) == reference_split(block)


def test_split_command_block_is_linear_for_a_cr_then_many_lines() -> None:
    # The shape that was quadratic: one CR in the first line, then short LF lines. The
    # result is checked, not the time; tests/test_reliability.py measures the stall.
    block = b"auth x\r\n" + b"a: b\n" * 200_000
    headers = split_command_block(block)
    assert len(headers) == 200_000 and headers[0] == ("a", "b")


# --- event serializers: what one listener's event becomes for every other listener -------

_HEADER_NAMES = st.one_of(
    st.sampled_from(["Event-Name", "Unique-ID", "variable_x", "Content-Length", "_body"]),
    st.text(max_size=12),
)
_VALUES = st.text(max_size=24).filter(lambda v: not v.startswith("ARRAY::"))
_EVENTS = st.builds(
    lambda headers, body: Event(list(headers), body),
    st.lists(st.tuples(_HEADER_NAMES, _VALUES), max_size=6),
    st.one_of(st.none(), st.text(max_size=40)),
)
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


@FAST
@given(_EVENTS)
def test_json_round_trips_any_header(event: Event) -> None:
    back = Event.from_json(event.to_json())
    if event.headers and event.headers[-1][0] == "_body":
        return  # FreeSWITCH's JSON form writes the body as a last "_body" key: ambiguous
    assert back.headers == event.headers
    assert back.body == event.body


@FAST
@given(_EVENTS)
def test_plain_never_lets_a_header_name_inject_lines(event: Event) -> None:
    back = Event.from_plain(event.to_plain())
    expected = [
        (name, value or "_undef_")
        for name, value in event.headers
        if not any(c in name for c in ":\r\n")
    ]
    assert back.headers == expected
    assert back.body == (event.body or None)


@FAST
@given(_EVENTS)
def test_xml_is_always_a_well_formed_document(event: Event) -> None:
    data = event.to_xml()
    ElementTree.fromstring(data)  # any XML parser can read it
    back = Event.from_xml(data)
    expected = [pair for pair in event.headers if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.\-]*", pair[0])]
    assert [name for name, _ in back.headers] == [name for name, _ in expected]
    assert [v for _, v in back.headers] == [v for _, v in expected]  # URL-encoded: exact
    body = _XML_FORBIDDEN.sub("", event.body or "")
    assert (back.body or "") == body


# --- frames and commands ------------------------------------------------------------------


@FAST
@given(st.lists(_FRAMING_BYTES, max_size=8), st.integers(min_value=1, max_value=17))
def test_the_server_frame_reader_takes_any_bytes_in_any_split(chunks: list[bytes], step: int) -> None:
    # Whatever arrives, the reader either frames it or raises ProtocolError (the connection
    # is closed); feeding the same bytes in other splits gives the same frames.
    data = b"".join(chunks) + b"\n\n"

    def frames(split: int) -> list[tuple[bytes, bytes | None]]:
        reader = FrameReader(server_side=True)
        out: list[tuple[bytes, bytes | None]] = []
        for start in range(0, len(data), split):
            reader.feed(data[start : start + split])
            while (frame := reader.next_frame()) is not None:
                out.append((frame.head, frame.body))
                Command.from_frame(frame)  # the command parser takes every frame
        return out

    try:
        whole = frames(len(data))
    except ProtocolError:
        return
    assert frames(step) == whole


@FAST
@given(st.binary(max_size=200), st.integers(min_value=1, max_value=64))
def test_the_client_frame_reader_never_fails_other_than_cleanly(data: bytes, step: int) -> None:
    reader = FrameReader()
    try:
        for start in range(0, len(data), step):
            reader.feed(data[start : start + step])
            while reader.next_frame() is not None:
                pass
    except ProtocolError:
        pass


# --- the expander ---------------------------------------------------------------------------

_EXPANSION_TEXT = st.lists(
    st.sampled_from(["${", "}", "$${", "$", "\\", "(", ")", " ", "a", "b", "x", ":", "[", "]", "1", "-", "'"]),
    max_size=40,
).map("".join)


@FAST
@given(_EXPANSION_TEXT)
def test_the_expander_takes_any_text(text: str) -> None:
    calls: list[tuple[str, str]] = []

    def api(func: str, args: str) -> str:
        calls.append((func, args))
        return f"<{func}>"

    values = {"a": "A", "b": "${a}${a}", "x": "ARRAY::p|:q"}
    out = expand_variables(text, values.get, global_lookup={"g": "G"}.get, api=api, max_output=64)
    assert len(out) <= 64
    assert len(calls) <= MAX_EXPANSIONS
    if not needs_expansion(text):
        assert out == text


@FAST
@given(_FRAMING_BYTES, st.integers(min_value=1, max_value=16))
def test_split_in_slices_is_the_same_split(block: bytes, slice_bytes: int) -> None:
    pieces = list(split_command_block_in_slices(block, slice_bytes))
    assert [pair for piece in pieces for pair in piece] == split_command_block(block)


_CONTENT_LENGTH_BYTES = st.lists(
    st.sampled_from(
        [b"a", b":", b" ", b"\r", b"\n", b"\x00", b"7", b"content-length:", b"Content-Length: ",
         b"CONTENT-LENGTH:", b"content-length :", b"xcontent-length:"]
    ),
    max_size=40,
).map(b"".join)


@FAST
@given(_CONTENT_LENGTH_BYTES)
def test_content_lengths_found_without_the_split_are_the_split_ones(block: bytes) -> None:
    assert command_block_content_lengths(block) == [
        value for name, value in split_command_block(block) if name.lower() == "content-length"
    ]


def test_a_large_block_is_handed_out_unsplit_with_its_body() -> None:
    # A multi-MiB block of short lines with a content-length line: only the content-length
    # values are found at once (its body must be read); the header lines are split later in
    # slices by the server (Listener.read_packet), the same pairs as a split at once.
    lines = b"a:b\r\n" * (DEFER_SPLIT_OVER // 5 + 1)
    block = b"sendevent CUSTOM\r\n" + lines + b"content-length: 3\r\nx:y\n\n"
    reader = FrameReader(server_side=True)
    reader.feed(block + b"abcdef")
    frame = reader.next_frame()
    assert frame is not None and frame.deferred and frame.body == b"abc"
    assert frame.headers == split_command_block(block) and not frame.deferred
    assert reader.buffered == 3


def test_a_large_block_without_content_length_is_handed_out_unsplit() -> None:
    # The server splits it in slices between other work (Listener.read_packet).
    lines = b"a:b\n" * (DEFER_SPLIT_OVER // 4 + 1)
    reader = FrameReader(server_side=True)
    reader.feed(b"api echo big\r\n" + lines + b"\n")
    frame = reader.next_frame()
    assert frame is not None and frame.deferred
    assert frame.headers[:2] == [("a", "b"), ("a", "b")] and not frame.deferred
    reader.feed(b"sendevent CUSTOM\n" + lines + b"Content-Length: 2\n\nhi")
    frame = reader.next_frame()
    assert frame is not None and frame.deferred and frame.body == b"hi"
    assert frame.get("content-length") == "2"
