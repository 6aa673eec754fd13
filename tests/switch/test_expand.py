"""Tests for eslkit.switch.expand: FreeSWITCH variable expansion and string splitting."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eslkit.fsutil import c_atoi
from eslkit.switch.expand import (
    MAX_DEPTH,
    expand_variables,
    needs_expansion,
    parse_set_assignment,
    separate_string,
    split_multiset,
    split_var_assignments,
)

VARS = {
    "a": "hello",
    "b": "a",
    "n": "1",
    "x_1": "X1",
    "arr": "ARRAY::p|:q|:r",
    "ref": "${a} world",
    "self": "${self}",
    "twice": "${twice}${twice}",
    "cid": "+15551234567",
}
GLOBALS = {"domain": "example.com", "a": "global-a", "only_global": "G"}


def expand(text: str, **kwargs: object) -> str:
    return expand_variables(text, VARS.get, global_lookup=GLOBALS.get, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${a}", "hello"),
        ("pre ${a} post", "pre hello post"),
        ("${a}${a}", "hellohello"),
        ("${${b}}", "hello"),
        ("${x_${n}}", "X1"),
        ("${ref}", "hello world"),  # values are expanded too
        ("${missing}", ""),
        ("x${missing}y", "xy"),
        ("${only_global}", "G"),  # channel lookup falls back to globals
        ("$${domain}", "example.com"),
        ("$${a}", "global-a"),  # $${} reads globals only
        ("$${missing}", ""),
        ("${a:1}", "ello"),
        ("${a:1:3}", "ell"),
        ("${a:-3}", "llo"),
        ("${a:-3:2}", "ll"),
        ("${a:-10}", "hello"),  # a negative offset longer than the value is ignored
        ("${a:5}", ""),
        ("${a:6}", ""),
        ("${a:0:2}", "he"),
        ("${a:0:0}", "hello"),  # a zero length means "to the end"
        ("${a:2:-1}", "llo"),  # a negative length is ignored
        ("${cid:-10}", "5551234567"),
        ("${arr[0]}", "p"),
        ("${arr[2]}", "r"),
        ("${arr[3]}", ""),
        ("${n[0]}", ""),  # not an array: no element
        ("${a[0]}", "global-a"),  # ...and the lookup falls back to the global
        ("\\${a}", "${a}"),
        ("\\$${a}", "${a}"),
        ("\\\\${a}", "\\hello"),
        ("a\\'b${a}", "abhello"),
        ("$5 ${a}", "$5 hello"),
        ("$$x ${a}", "$x hello"),
        ("${a}$", "hello$"),
        ("${a}\\$", "hello\\$"),  # the character after "}" is copied raw
        ("${unterminated", ""),  # FreeSWITCH reads the rest as the name
        ("x ${a", "x hello"),
        ("${{a}}", "}"),  # "{" right after "${" does not nest
        ("", ""),
    ],
)
def test_expansion(text: str, expected: str) -> None:
    assert expand(text) == expected


@pytest.mark.parametrize(
    "text",
    ["plain text", "back\\xslash", "50$", "$a", "a\\,b", "\\x"],
)
def test_text_without_references_is_returned_unchanged(text: str) -> None:
    assert not needs_expansion(text)
    assert expand(text) == text


def test_escapes_only_apply_when_expansion_runs() -> None:
    # "\\n" counts as escaped data: the expander runs, but keeps "\n" as it is.
    assert needs_expansion("a\\nb")
    assert expand("a\\nb") == "a\\nb"
    assert expand("a\\\\b") == "a\\b"


def test_api_calls() -> None:
    seen: list[tuple[str, str]] = []

    def api(cmd: str, args: str) -> str:
        seen.append((cmd, args))
        return f"<{cmd}:{args}>"

    assert expand("${expr(1+${n})}", api=api) == "<expr:1+1>"
    assert expand("${strftime %Y-%m}!", api=api) == "<strftime:%Y-%m>!"
    assert expand("${f(a(b)c)}", api=api) == "<f:a(b)c>"
    assert expand("${f(x)ignored}", api=api) == "<f:x>"
    assert expand("${${b}fn(z)}", api=api) == "<afn:z>"
    assert seen[-1] == ("afn", "z")
    # Without an api callback, API references expand to nothing.
    assert expand("[${expr(1+1)}]") == "[]"


def test_self_reference_stops_at_depth_limit() -> None:
    assert expand("${self}") == "${self}"
    assert MAX_DEPTH == 100


def test_exponential_reference_is_bounded() -> None:
    out = expand("${twice}", max_output=10_000, max_expansions=500)
    assert len(out) <= 10_000
    assert out.startswith("${twice}")


def test_output_limit() -> None:
    big = {"big": "x" * 1000}
    out = expand_variables("${big}" * 50, big.get, global_lookup=lambda _: None, max_output=5000)
    assert out == "x" * 5000


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="${}()\\:'[]-0123456789abn ", max_size=60))
def test_never_raises_and_stays_bounded(text: str) -> None:
    def api(cmd: str, args: str) -> str:
        return cmd + args

    out = expand_variables(
        text, VARS.get, global_lookup=GLOBALS.get, api=api, max_output=2000, max_expansions=200
    )
    assert isinstance(out, str)
    assert len(out) <= 2000


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_characters="$\\"), max_size=40))
def test_text_without_dollar_or_backslash_is_identity(text: str) -> None:
    assert expand(text) == text


@pytest.mark.parametrize(
    ("text", "value"),
    [("12", 12), ("  -7x", -7), ("+3", 3), ("x", 0), ("", 0), ("99999999999999", 276447231), ("4294967303", 7), ("1" * 5000, -1), ("-" + "9" * 5000, 0)],
)
def test_c_atoi(text: str, value: int) -> None:
    assert c_atoi(text) == value


@pytest.mark.parametrize(
    ("buf", "delim", "limit", "expected"),
    [
        ("a;b;c", ";", 64, ["a", "b", "c"]),
        ("a;;c", ";", 64, ["a", "", "c"]),
        ("a;b;", ";", 64, ["a", "b"]),
        (";a", ";", 64, ["", "a"]),
        ("", ";", 64, []),
        ("a;b;c", ";", 2, ["a", "b;c"]),
        ("a=1;b='x;y';c", ";", 64, ["a=1", "b=x;y", "c"]),
        ("a\\;b;c", ";", 64, ["a;b", "c"]),
        ("it's;x", ";", 64, ["it's", "x"]),  # an unmatched quote is kept
        ("  a  ;  b ", ";", 64, ["a", "b"]),
        ("^^:a:b;c", ";", 64, ["a", "b;c"]),
        ("one   two  'three four'", " ", 64, ["one", "two", "three four"]),
        ("  lead", " ", 64, ["lead"]),
        ("a b c d", " ", 2, ["a", "b c d"]),
        ("a\\sb\\tc", ";", 64, ["a b\tc"]),
    ],
)
def test_separate_string(buf: str, delim: str, limit: int, expected: list[str]) -> None:
    assert separate_string(buf, delim, limit) == expected


def test_split_var_assignments() -> None:
    assert split_var_assignments("a=1;b=2") == [("a", "1"), ("b", "2")]
    assert split_var_assignments("a=x=y;b;=3") == [("a", "x=y"), ("b", None), ("", "3")]
    assert split_var_assignments("^^,a=1,b=2;3") == [("a", "1"), ("b", "2;3")]
    assert split_var_assignments("a='1;2';b=") == [("a", "1;2"), ("b", "")]


def test_multiset_and_set() -> None:
    assert split_multiset("a=1 b=2") == [("a", "1"), ("b", "2")]
    assert split_multiset("^^;a=1 1;b=2") == [("a", "1 1"), ("b", "2")]
    assert split_multiset("x=") == [("x", None)]
    assert parse_set_assignment("a=b=c") == ("a", "b=c")
    assert parse_set_assignment("a,b") == ("a", "b")
    assert parse_set_assignment("a") == ("a", None)


def test_hostile_input_stops_at_the_work_cap() -> None:
    # Past MAX_WORK scanning steps the rest of the text is left as it is, instead of
    # holding the event loop (nesting rescans at every level; "$$" costs a step each).
    calls: list[str] = []

    def api(func: str, args: str) -> str:
        calls.append(func)
        return args

    nested = "${a" * 5000 + "}" * 5000 + "${echo tail}"
    assert expand_variables(nested, {}.get, global_lookup={}.get, api=api).endswith("${echo tail}")
    dollars = "$$" * 100_000 + "${echo tail}"
    out = expand_variables(dollars, {}.get, global_lookup={}.get, api=api)
    assert out.endswith("${echo tail}") and out.startswith("$" * 1000)
    assert calls == []
    # Within the cap the same shapes expand.
    assert expand_variables("$$" * 1000 + "${echo tail}", {}.get, global_lookup={}.get, api=api) == "$" * 1000 + "tail"
    assert calls == ["echo"]
