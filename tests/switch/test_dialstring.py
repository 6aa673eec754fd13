"""Tests for eslkit.switch.dialstring: dial strings, originate arguments, socket app data."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eslkit.switch.dialstring import (
    ORIGINATE_USAGE,
    DialString,
    DialStringError,
    LegSpec,
    OriginateArgs,
    OriginateUsageError,
    SocketHost,
    SocketTarget,
    parse_dial_string,
    parse_originate_args,
    parse_socket_app_data,
)

# --- dial strings -----------------------------------------------------------------------


def test_conformance_dial_strings() -> None:
    parsed = parse_dial_string(
        "{origination_uuid=c0ffee00-0000-4000-8000-000000000004,originate_timeout=2}"
        "loopback/1001/default"
    )
    assert parsed == DialString(
        {"origination_uuid": "c0ffee00-0000-4000-8000-000000000004", "originate_timeout": "2"},
        [[LegSpec("loopback", "1001/default")]],
    )
    assert parse_dial_string("error/USER_BUSY").groups == [[LegSpec("error", "USER_BUSY")]]
    assert parse_dial_string("user/1000").groups == [[LegSpec("user", "1000")]]


def test_groups_and_legs() -> None:
    parsed = parse_dial_string("a/1,b/2|c/3 , d/4|e")
    assert parsed.global_vars == {}
    assert parsed.groups == [
        [LegSpec("a", "1"), LegSpec("b", "2")],
        [LegSpec("c", "3"), LegSpec("d", "4")],
        [LegSpec("e", None)],
    ]


def test_global_variable_blocks() -> None:
    parsed = parse_dial_string("  <u=1>{a=1}{b=2,a=3} x/y")
    assert parsed.global_vars == {"u": "1", "a": "3", "b": "2"}
    assert parsed.groups == [[LegSpec("x", "y")]]
    # "<...>" is only read before "{...}".
    assert parse_dial_string("{a=1}<b=2>x/y").groups == [[LegSpec("<b=2>x", "y")]]


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ("{a='x,y'}", {"a": "x,y"}),
        ("{a=x\\,y}", {"a": "x,y"}),
        ("{a=x=y}", {"a": "x=y"}),
        ("{ a = spaced value }", {"a": "spaced value"}),
        ("{noequals,b=2}", {"b": "2"}),
        ("{a=}", {}),
        ("{^^;a=1,2;b=3}", {"a": "1,2", "b": "3"}),
        ("{a={nested}}", {"a": "{nested}"}),
        ("{}", {}),
    ],
)
def test_variable_quoting(block: str, expected: dict[str, str]) -> None:
    assert parse_dial_string(block + "x/y").global_vars == expected


def test_per_leg_variables() -> None:
    parsed = parse_dial_string("{g=1}[a=1,b=2]sofia/gw/100,[c=3][d=4] user/200|[e=\\,5]x/1")
    assert parsed.global_vars == {"g": "1"}
    assert parsed.groups == [
        [
            LegSpec("sofia", "gw/100", {"a": "1", "b": "2"}),
            LegSpec("user", "200", {"c": "3", "d": "4"}),
        ],
        [LegSpec("x", "1", {"e": ",5"})],
    ]


def test_per_leg_delimiter_override_keeps_commas() -> None:
    parsed = parse_dial_string("[^^:a=x,y:b=2]loopback/1,loopback/2")
    assert parsed.groups == [
        [LegSpec("loopback", "1", {"a": "x,y", "b": "2"}), LegSpec("loopback", "2")]
    ]


def test_per_leg_escaped_quotes_keep_commas() -> None:
    # The "|" split already strips plain quotes, so FreeSWITCH needs \' here.
    assert parse_dial_string("[a=\\'x,y\\']l/1").groups == [[LegSpec("l", "1", {"a": "x,y"})]]


@pytest.mark.parametrize("text", ["", "   ", "{a=1}", "{a=1", "<a=1", "[a=1", "{a=1}  "])
def test_dial_string_errors(text: str) -> None:
    with pytest.raises(DialStringError):
        parse_dial_string(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="{}[]<>,|'\\=^:/ ab1", max_size=40))
def test_dial_string_parser_only_raises_its_error(text: str) -> None:
    try:
        parsed = parse_dial_string(text)
    except DialStringError:
        return
    assert parsed.groups
    assert all(isinstance(leg, LegSpec) for group in parsed.groups for leg in group)


# --- originate arguments ----------------------------------------------------------------


def test_originate_app_form() -> None:
    args = parse_originate_args(
        "{origination_uuid=c0ffee00-0000-4000-8000-000000000001}loopback/1000/default &park"
    )
    assert args == OriginateArgs(
        url="{origination_uuid=c0ffee00-0000-4000-8000-000000000001}loopback/1000/default",
        exten="&park",
        application="park",
        app_args=None,
    )


@pytest.mark.parametrize(
    ("exten", "app", "app_args"),
    [
        ("&echo()", "echo", ""),
        ("&playback(/tmp/x.wav)", "playback", "/tmp/x.wav"),
        ("&bridge(sofia/a(b))", "bridge", "sofia/a(b"),  # cut at the first ")"
        ("&", None, None),  # a bare "&" is an extension
        ("1000", None, None),
    ],
)
def test_originate_exten_forms(exten: str, app: str | None, app_args: str | None) -> None:
    args = parse_originate_args(f"loopback/1 {exten}")
    assert (args.exten, args.application, args.app_args) == (exten, app, app_args)


def test_originate_optional_arguments() -> None:
    args = parse_originate_args("loopback/1 9197 XML public 'Alice Smith' 555 30")
    assert (args.dialplan, args.context, args.cid_name, args.cid_num, args.timeout) == (
        "XML",
        "public",
        "Alice Smith",
        "555",
        30,
    )
    args = parse_originate_args("loopback/1 9197 undef UNDEF undef 555 undef")
    assert (args.dialplan, args.context, args.cid_name, args.cid_num, args.timeout) == (
        "XML",
        "default",
        None,
        "555",
        60,
    )
    assert parse_originate_args("loopback/1 &park XML default n 1 7s").timeout == 7


@pytest.mark.parametrize(
    "cmd", ["", "loopback/1", "a b c d e f g h", "undef &park", "loopback/1 undef"]
)
def test_originate_usage(cmd: str) -> None:
    with pytest.raises(OriginateUsageError) as info:
        parse_originate_args(cmd)
    assert str(info.value) == ORIGINATE_USAGE


def test_originate_usage_text() -> None:
    assert ORIGINATE_USAGE == (
        "-USAGE: <call url> <exten>|&<application_name>(<app_args>) [<dialplan>] "
        "[<context>] [<cid_name>] [<cid_num>] [<timeout_sec>]\n"
    )


# --- socket application data ------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            "127.0.0.1:8084 async full",
            SocketTarget([SocketHost("127.0.0.1", 8084, None)], True, True),
        ),
        ("127.0.0.1:18084 full", SocketTarget([SocketHost("127.0.0.1", 18084, None)], False, True)),
        ("127.0.0.1:5 ASYNC", SocketTarget([SocketHost("127.0.0.1", 5, None)], True, False)),
        ("host", SocketTarget([SocketHost("host", 8084, None)], False, False)),
        ("host/some/path Full", SocketTarget([SocketHost("host", 8084, "some/path")], False, True)),
        ("h:9000/p", SocketTarget([SocketHost("h", 9000, "p")], False, False)),
        ("::1:8021", SocketTarget([SocketHost("::1", 8021, None)], False, False)),
        ("::1", SocketTarget([SocketHost(":", 1, None)], False, False)),
        ("h:99999", SocketTarget([SocketHost("h", 34463, None)], False, False)),
        ("h:x", SocketTarget([SocketHost("h", 0, None)], False, False)),
        ("  h:1   async   other  full ", SocketTarget([SocketHost("h", 1, None)], True, True)),
        ("", SocketTarget([], False, False)),
        ("   ", SocketTarget([], False, False)),
    ],
)
def test_socket_app_data(data: str, expected: SocketTarget) -> None:
    assert parse_socket_app_data(data) == expected


def test_socket_failover_port_is_not_reset() -> None:
    target = parse_socket_app_data("a:9001|b|c:9002/x||d/y async")
    assert target.hosts == [
        SocketHost("a", 9001, None),
        SocketHost("b", 9001, None),  # FreeSWITCH reuses the previous port
        SocketHost("c", 9002, "x"),
        SocketHost("d", 9002, "y"),
    ]
    assert target.async_ and not target.full
    assert target.hosts[0] == ("a", 9001, None)  # plain tuples too


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=":|/ ab1.'\\FULLasync^", max_size=40))
def test_socket_app_data_never_raises(data: str) -> None:
    target = parse_socket_app_data(data)
    assert all(0 <= h.port <= 0xFFFF for h in target.hosts)
    assert len(target.hosts) <= 50
    assert isinstance(target.async_, bool) and isinstance(target.full, bool)
