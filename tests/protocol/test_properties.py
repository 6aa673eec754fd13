"""Property-based tests (hypothesis) of the parsers any peer can reach.

Each property runs a bounded number of examples so the file costs a few seconds in CI;
``tests/fuzz/fuzz_protocol.py`` drives the same targets for as long as a developer likes.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eslkit.protocol.frames import split_command_block

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

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
