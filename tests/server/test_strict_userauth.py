"""userauth allow-lists: FreeSWITCH's gaps by default, a boundary with --strict-userauth."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from eslkit.bootstrap import Running
from eslkit.fsconfig.directory import EslUser
from eslkit.server.socket_server import ServerOptions
from tests.esl_wire import RawConnection
from tests.server_support import start_test_server

USERS = [
    EslUser("lax", "default", "pw", allowed_events="HEARTBEAT", allowed_api="expand eval echo"),
    EslUser(
        "tight",
        "default",
        "pw",
        allowed_events="HEARTBEAT BACKGROUND_JOB CUSTOM ok::sub",
        allowed_api="expand eval echo",
        strict=True,
    ),
]


@pytest.fixture(params=[False, True], ids=["default", "strict-flag"])
async def server(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Running, bool]]:
    running = await start_test_server(
        users=USERS, server=ServerOptions(strict_userauth=bool(request.param))
    )
    yield running, bool(request.param)
    await running.stop()


async def _login(running: Running, user: str) -> RawConnection:
    conn = await RawConnection.open("127.0.0.1", running.port)
    assert (await conn.frame()).content_type == "auth/request"
    assert (await conn.reply(f"userauth {user}@default:pw")).startswith("+OK")
    return conn


async def test_lax_user_has_freeswitchs_gaps_unless_the_server_is_strict(
    server: tuple[Running, bool],
) -> None:
    running, strict = server
    conn = await _login(running, "lax")
    try:
        # The allow-list names expand, eval and echo only.
        assert await conn.api("status") == "-ERR permission denied"
        nested = await conn.api("expand echo ${hostname()}")
        sent = await conn.reply("sendevent CHANNEL_CREATE\nUnique-ID: fake\n")
        name_filter = await conn.reply("filter Event-Name CHANNEL_ANSWER")
        if strict:
            assert "permission denied" in nested
            assert sent == "-ERR permission denied"
            assert name_filter == "-ERR permission denied"
        else:
            # As FreeSWITCH: the nested call runs, sendevent and filter are not checked.
            assert nested.strip() and "permission denied" not in nested
            assert sent.startswith("+OK")
            assert name_filter.startswith("+OK filter added")
        # Allowed things work either way.
        assert await conn.api("echo hi") == "hi"
        assert (await conn.reply("filter Event-Name HEARTBEAT")).startswith("+OK filter added")
    finally:
        await conn.close()


async def test_the_directory_param_makes_one_user_strict(server: tuple[Running, bool]) -> None:
    running, _ = server
    conn = await _login(running, "tight")
    try:
        assert "permission denied" in await conn.api("eval ${status()}")
        assert "permission denied" in await conn.api("expand eval ${uptime()}")
        # expand's own command is checked too (expand runs "status" here).
        assert "permission denied" in await conn.api("expand status")
        # bgapi: the job runs under the same allow-list.
        assert (await conn.reply("event plain BACKGROUND_JOB")).startswith("+OK")
        assert (await conn.reply("bgapi expand echo [${status()}]")).startswith("+OK Job-UUID")
        job = await conn.event()
        assert job.get("Event-Name") == "BACKGROUND_JOB"
        assert job.body == "[-ERR permission denied\n]"
        assert (await conn.reply("sendevent HEARTBEAT")).startswith("+OK")
        assert (await conn.reply("sendevent CUSTOM\nEvent-Subclass: ok::sub\n")).startswith("+OK")
        assert await conn.reply("sendevent CUSTOM\nEvent-Subclass: other::sub\n") == (
            "-ERR permission denied"
        )
        assert (await conn.reply("filter Event-Subclass ok::sub")).startswith("+OK")
        assert await conn.reply("filter Event-Subclass other::sub") == "-ERR permission denied"
        # A console_execute chain: every link is checked.
        reply = await conn.reply("api echo a;;status\nconsole_execute: true\n")
        assert "permission denied" in reply
    finally:
        await conn.close()
