"""eslkit.fsutil: the one home of FreeSWITCH's small parsers (atoi, atol, switch_true,
switch_log_str2level), as glibc and switch_utils.c behave."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eslkit.fsutil import LOG_INVALID, c_atoi, c_atol, parse_log_level, switch_true
from eslkit.switch.core import Switch, SwitchConfig

LONG_MAX = 2**63 - 1


@pytest.mark.parametrize(
    ("text", "atol", "atoi"),
    [
        ("12", 12, 12),
        ("  -7x", -7, -7),
        ("+3", 3, 3),
        ("x", 0, 0),
        ("", 0, 0),
        ("-", 0, 0),
        ("4294967303", 4294967303, 7),
        ("99999999999999", 99999999999999, 276447231),
        (str(LONG_MAX), LONG_MAX, -1),
        (str(LONG_MAX + 1), LONG_MAX, -1),
        (str(-LONG_MAX - 2), -LONG_MAX - 1, 0),
        ("0" * 5000 + "12", 12, 12),
        ("1" * 5000, LONG_MAX, -1),  # past what int() accepts: saturated, as strtol
        ("-" + "9" * 5000, -LONG_MAX - 1, 0),
    ],
)
def test_atol_and_atoi(text: str, atol: int, atoi: int) -> None:
    assert c_atol(text) == atol
    assert c_atoi(text) == atoi


@given(st.integers(min_value=-(2**63), max_value=2**63 - 1), st.sampled_from(["", " ", "\t"]))
def test_atoi_is_atol_cut_to_32_bits(value: int, lead: str) -> None:
    text = f"{lead}{value}z"
    assert c_atol(text) == value
    assert c_atoi(text) == (value + 2**31) % 2**32 - 2**31


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("4294967303", 7),
        (".", 0),
        ("+", 0),
        ("", 0),
        ("1-2", LOG_INVALID),
        ("99999999999999", 63),
        ("-5", 0),
        ("64", LOG_INVALID),
        ("63", 63),
        ("DisAble", -1),
        ("err", 3),
        ("Debug", 7),
        ("ınfo", LOG_INVALID),  # dotless i: strcasecmp is ASCII-only
        ("nonsense", LOG_INVALID),
    ],
)
def test_parse_log_level(text: str, level: int) -> None:
    assert parse_log_level(text) == level


@pytest.mark.parametrize(
    ("value", "expected"),
    [("yes", True), ("ON", True), ("t", True), ("allow", True), ("1", True), ("-2", True),
     ("1.5", True), ("0", False), ("no", False), ("", False), (None, False), ("1x", False)],
)  # fmt: skip
def test_switch_true(value: str | None, expected: bool) -> None:
    assert switch_true(value) is expected


def test_api_commands_take_absurd_numbers() -> None:
    async def body() -> list[str]:
        switch = Switch(SwitchConfig.recording(), entry_points=False)
        huge = "1" * 5000
        return [
            (await switch.execute_api("unsched_api", huge)).output,
            (await switch.execute_api("fsctl", f"debug_level {huge}")).output,
            (await switch.execute_api("fsctl", "debug_level 4294967299")).output,
        ]

    assert asyncio.run(body()) == [
        "-ERR No such id\n",
        "+OK DEBUG level: 0\n",  # atoi of LONG_MAX is -1: the level is left as it was
        "+OK DEBUG level: 3\n",
    ]


async def test_sched_apps_read_epoch_times_with_atol() -> None:
    # 4102444800 (2100-01-01) is past 32 bits: read with atoi it would be negative (now).
    from tests.switch_support import api, running_switch

    async with running_switch(time_scale=20) as switch:
        uuid = "c0ffee00-0000-4000-8000-00000000a701"
        out = await api(
            switch,
            "originate",
            f"{{origination_uuid={uuid}}}null/1 'm:^:sched_hangup:4102444800^park' inline",
        )
        assert out == f"+OK {uuid}\n"
        await asyncio.sleep(0.2)
        channel = switch.find_session(uuid)
        assert channel is not None and channel.ready
        await api(switch, "uuid_kill", uuid)
