"""FreeSWITCH's URL encoding (switch_url_encode) and decoding (spec §5.7)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eslkit.protocol import url_decode, url_encode

CONFORMANCE = Path(__file__).resolve().parents[1] / "conformance" / "data"

UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!$'()*,-./_~"
ENCODED = '\r\n #%&+:;<=>?@[\\]^`{|}"'


def test_exact_ascii_character_set() -> None:
    for code in range(128):
        char = chr(code)
        if char == "%":
            continue  # depends on what follows; below
        expected = char if char in UNRESERVED else f"%{code:02X}"
        assert url_encode(char) == expected, repr(char)
    # Everything below 0x20, DEL, and the listed punctuation are encoded.
    assert all(url_encode(c) != c for c in ENCODED if c != "%")
    assert url_encode("\x7f") == "%7F"


def test_percent_pass_through_rule() -> None:
    assert url_encode("%20") == "%20"  # uppercase hex pair: left alone
    assert url_encode("%2F") == "%2F"
    assert url_encode("%2f") == "%252f"  # lowercase hex: the % is encoded
    assert url_encode("%2") == "%252"  # fewer than two characters follow
    assert url_encode("%") == "%25"
    assert url_encode("%%20") == "%25%20"
    assert url_encode("%G0") == "%25G0"
    assert url_encode("100%") == "100%25"


def test_non_ascii_bytes_are_encoded_uppercase() -> None:
    assert url_encode("é") == "%C3%A9"
    assert url_encode("€") == "%E2%82%AC"
    invalid = b"a\xff".decode("utf-8", "surrogateescape")
    assert url_encode(invalid) == "a%FF"


def test_decode_both_hex_cases_and_plus_left_alone() -> None:
    assert url_decode("a%2Fb%2fc") == "a/b/c"
    assert url_decode("a+b%2Bc") == "a+b+c"
    assert url_decode("%C3%A9") == "é"
    assert url_decode("%c3%a9") == "é"
    assert url_decode("no escapes") == "no escapes"
    assert url_decode("%FF") == b"\xff".decode("utf-8", "surrogateescape")
    assert url_decode("%2") == "%2"  # incomplete: kept


def _api_exchange(command: str) -> tuple[str, str]:
    case = json.loads((CONFORMANCE / "cases" / "api_url_encode.json").read_text())
    steps = case["steps"]
    for i, step in enumerate(steps):
        if step.get("send", "").startswith(f"api {command} "):
            argument = step["send"][len(f"api {command} ") : -2]
            return argument, steps[i + 1]["expect"][0]["body"]
    raise AssertionError(command)


def test_matches_recorded_api_url_encode() -> None:
    argument, recorded = _api_exchange("url_encode")
    assert url_encode(argument) == recorded
    assert recorded == "a%20b%20c%252fd%3Ae%2Bf%26g%3Dh%3Bi%3Fj%40k%20%C3%A9"


def test_matches_recorded_api_url_decode() -> None:
    argument, recorded = _api_exchange("url_decode")
    assert url_decode(argument) == recorded == "a b+c+d"


@given(st.text(st.characters(exclude_categories=("Cs",))))
def test_round_trip_without_pass_through(text: str) -> None:
    # Only values with an uppercase %XX are lossy (the pass-through quirk).
    lossy = re.search(r"%[0-9A-F]{2}", text) is not None
    encoded = url_encode(text)
    assert set(encoded) <= set(UNRESERVED + "%")
    if not lossy:
        assert url_decode(encoded) == text


@given(st.binary())
def test_every_byte_survives(data: bytes) -> None:
    text = data.decode("utf-8", "surrogateescape")
    if "%" not in text:
        assert url_decode(url_encode(text)) == text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-01-02 03:04:05", "2024-01-02%2003%3A04%3A05"),
        ("Mon, 01 Jan 2024", "Mon,%2001%20Jan%202024"),
        ("+OK\n", "%2BOK%0A"),
    ],
)
def test_spec_examples(value: str, expected: str) -> None:
    assert url_encode(value) == expected
