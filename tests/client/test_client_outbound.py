"""The outbound server end to end against a fake switch playing FreeSWITCH's side."""

from __future__ import annotations

import asyncio

import pytest

import eslkit
from eslkit.client import OutboundSession
from eslkit.protocol import disconnect_notice
from tests.client_support import (
    AutoSwitch,
    Peer,
    connect_reply,
    dial,
    linger,
    make_event,
    recorded_connect_reply,
    run,
    switch_side_connect,
)

UUID = "b1a75c17-0000-4000-8000-000000000001"


def test_connect_reply_fixture_is_the_recorded_bare_event() -> None:
    raw = recorded_connect_reply()
    assert raw.startswith(b"Event-Name: CHANNEL_DATA\n") and raw.endswith(b"Control: full\n\n")
    assert b"Content-Length" not in raw
    assert connect_reply(UUID, control="single-channel").endswith(b"Control: single-channel\n\n")


@run()
async def test_outbound_handshake_channel_data_and_execute() -> None:
    sessions: list[OutboundSession] = []
    results: list[object] = []

    async def handler(session: OutboundSession) -> None:
        sessions.append(session)
        results.append(await session.execute("answer"))
        results.append(await session.getvar("socket_host"))

    async with await eslkit.serve_outbound(handler, port=0) as server:
        peer = await dial(server.port)
        await switch_side_connect(peer, UUID)
        myevents = await peer.read_command()
        assert myevents.line == "myevents"
        peer.reply("+OK Events Enabled")
        assert (await peer.read_command()).line == "linger"
        peer.reply("+OK will linger")
        execute = await peer.read_command()
        assert execute.line == "sendmsg"
        assert execute.header("execute-app-name") == "answer"
        peer.reply("+OK")
        switch = AutoSwitch()
        switch.complete(peer, execute)
        getvar = await peer.read_command()
        assert getvar.line == "getvar socket_host"
        peer.reply("127.0.0.1")
        assert (await peer.read_command()).line == "exit"
        peer.reply("+OK bye")
        peer.goodbye(UUID)
    session = sessions[0]
    assert session.uuid == UUID
    assert session.socket_mode == "async" and session.control == "full" and session.full
    assert session.channel_data.get("Channel-Name") == "loopback/sock_18084-b"
    assert (
        session.channel_data.get("variable_current_application_data")
        == "127.0.0.1:18084 async full"
    )
    assert session.channel_data.get("Reply-Text") == "+OK\n"
    assert isinstance(results[0], eslkit.Event) and results[1] == "127.0.0.1"
    assert server.handled == 1 and server.handshake_failures == 0


@run()
async def test_hangup_before_connect_reply_never_calls_handler_and_never_sends_exit() -> None:
    called = False

    async def handler(session: OutboundSession) -> None:
        nonlocal called
        called = True

    async with await eslkit.serve_outbound(handler, port=0) as server:
        peer = await dial(server.port)
        assert (await peer.read_command()).line == "connect"
        peer.write(disconnect_notice(session_uuid=UUID))
        peer.close()
        for _ in range(200):
            if server.handshake_failures:
                break
            await asyncio.sleep(0.01)
        # EOF right away, as the client must not send anything (exit) after the notice.
        with pytest.raises(EOFError):
            await peer.read_command(timeout=5)
        assert [c.line for c in peer.commands] == ["connect"]
    assert not called and server.handshake_failures == 1


@run()
async def test_hangup_during_handshake_is_counted() -> None:
    async def handler(session: OutboundSession) -> None:
        raise AssertionError("handler must not run")

    async with await eslkit.serve_outbound(handler, port=0) as server:
        peer = await dial(server.port)
        await switch_side_connect(peer, UUID)
        assert (await peer.read_command()).line == "myevents"
        peer.reply("+OK Events Enabled")
        peer.event(make_event("CHANNEL_HANGUP", Unique_ID=UUID))
        peer.goodbye(UUID)
        for _ in range(200):
            if server.handshake_failures:
                break
            await asyncio.sleep(0.01)
    assert server.handshake_failures == 1 and server.handled == 0


@run()
async def test_linger_notice_is_not_fatal_and_hangup_fails_execute() -> None:
    outcome: dict[str, object] = {}

    async def handler(session: OutboundSession) -> None:
        stream = session.events()
        try:
            await session.playback("long.wav")
        except eslkit.ChannelHangup as exc:
            outcome["error"] = exc
        await session.wait_hangup(5)
        outcome["hung_up"] = session.hung_up
        outcome["linger"] = session.linger_notice is not None
        # Events keep arriving after the linger notice, until the goodbye.
        outcome["after"] = (await stream.get(5)).name
        with pytest.raises(eslkit.ChannelHangup):
            await session.execute("answer")

    async with await eslkit.serve_outbound(handler, port=0) as server:
        peer = await dial(server.port)
        await switch_side_connect(peer, UUID)
        await peer.read_command()
        peer.reply("+OK Events Enabled")
        await peer.read_command()
        peer.reply("+OK will linger")
        await peer.read_command()  # playback
        peer.reply("+OK")
        peer.event(make_event("CHANNEL_HANGUP", Unique_ID=UUID, Hangup_Cause="NORMAL_CLEARING"))
        linger(peer, UUID)
        peer.event(make_event("CHANNEL_HANGUP_COMPLETE", Unique_ID=UUID))
        assert (await peer.read_command()).line == "exit"
        peer.reply("+OK bye")
        peer.goodbye(UUID)
    error = outcome["error"]
    assert isinstance(error, eslkit.ChannelHangup) and error.cause == "NORMAL_CLEARING"
    assert outcome["hung_up"] is True and outcome["linger"] is True
    assert outcome["after"] in ("CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE")


@run()
async def test_non_full_socket_gates_commands_with_a_clear_error() -> None:
    errors: list[Exception] = []

    async def handler(session: OutboundSession) -> None:
        assert not session.full
        for call in (
            session.api("status"),
            session.bgapi("status"),
            session.linger(),
            session.subscribe("ALL"),
            session.send("event plain ALL"),
            session.send("nolog"),
        ):
            try:
                await call
            except eslkit.NotFullSocket as exc:
                errors.append(exc)
        await session.filter("Event-Name", "CHANNEL_EXECUTE")

    async with await eslkit.serve_outbound(handler, port=0) as server:
        peer = await dial(server.port)
        await switch_side_connect(peer, UUID, control="single-channel")
        assert (await peer.read_command()).line == "myevents"
        peer.reply("+OK Events Enabled")
        # No linger on a non-full socket: the next command is the allowed filter.
        command = await peer.read_command()
        assert command.line == "filter Event-Name CHANNEL_EXECUTE"
        peer.reply("+OK filter added. [Event-Name]=[CHANNEL_EXECUTE]")
        assert (await peer.read_command()).line == "exit"
        peer.reply("+OK bye")
        peer.goodbye(UUID)
    assert len(errors) == 6
    assert all("async full" in str(e) for e in errors)


@run()
async def test_every_split_of_the_connect_reply() -> None:
    data = connect_reply(UUID)
    uuids: list[str] = []

    async def handler(session: OutboundSession) -> None:
        uuids.append(session.uuid)

    async with await eslkit.serve_outbound(handler, port=0, myevents=False, linger=False) as server:
        step = max(1, len(data) // 300)
        for cut in range(1, len(data), step):
            peer = await dial(server.port)
            assert (await peer.read_command()).line == "connect"
            await peer.write_split(data, [cut])
            assert (await peer.read_command()).line == "exit"
            peer.reply("+OK bye")
            peer.goodbye(UUID)
    assert uuids and set(uuids) == {UUID}


@run()
async def test_bgapi_in_outbound_full_matches_job_owner() -> None:
    async def handler(session: OutboundSession) -> None:
        assert await session.bgapi("echo hi") == "hi"

    async with await eslkit.serve_outbound(handler, port=0, linger=False) as server:
        peer: Peer = await dial(server.port)
        await switch_side_connect(peer, UUID)
        await peer.read_command()
        peer.reply("+OK Events Enabled")
        sub = await peer.read_command()
        assert sub.line == "event plain BACKGROUND_JOB"
        peer.reply("+OK event listener enabled plain")
        bgapi = await peer.read_command()
        job = bgapi.header("Job-UUID") or ""
        peer.write(
            f"Content-Type: command/reply\nReply-Text: +OK Job-UUID: {job}\nJob-UUID: {job}\n\n".encode()
        )
        # Another owner's job with the same id is ignored; ours resolves.
        peer.event(make_event("BACKGROUND_JOB", "no\n", Job_UUID=job, Job_Owner_UUID="other"))
        peer.event(make_event("BACKGROUND_JOB", "hi", Job_UUID=job, Job_Owner_UUID=UUID))
        assert (await peer.read_command()).line == "exit"
        peer.reply("+OK bye")
        peer.goodbye(UUID)
    assert server.handled == 1
