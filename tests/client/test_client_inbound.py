"""Inbound client against the scriptable fake server: commands, replies, errors, routing."""

from __future__ import annotations

import asyncio
import logging

import pytest

import eslkit
from eslkit.client import reply_text
from eslkit.protocol import GREETING, api_response, command_reply, event_frame_for
from tests.client_support import PASSWORD, AutoSwitch, FakeESL, Peer, handshake, make_event, run


@run()
async def test_api_returns_body_and_auth_is_sent_first() -> None:
    switch = AutoSwitch()
    async with FakeESL(switch) as fake, eslkit.connect(port=fake.port) as conn:
        assert await conn.api("echo hello") == "hello"
        peer = switch.peers[0]
        assert peer.commands[0].line == f"auth {PASSWORD}"
        assert peer.commands[1].raw == "api echo hello\n\n"


@run()
async def test_api_error_body_raises_or_is_returned() -> None:
    switch = AutoSwitch()
    async with FakeESL(switch) as fake, eslkit.connect(port=fake.port) as conn:
        with pytest.raises(eslkit.CommandError) as info:
            await conn.api("nosuch thing")
        assert info.value.reply == "-ERR nosuch Command not found!\n"
        assert await conn.api("nosuch", check=False) == "-ERR nosuch Command not found!\n"


@run()
async def test_userauth_and_permission_denied() -> None:
    async def script(peer: Peer) -> None:
        command = await handshake(peer)
        assert command.line == f"userauth 1000@default:{PASSWORD}"
        command = await peer.read_command()
        peer.reply("-ERR permission denied")
        await peer.expect_eof()

    async with FakeESL(script) as fake:
        conn = await eslkit.connect(port=fake.port, user="1000@default")
        with pytest.raises(eslkit.PermissionDenied):
            await conn.api("status")
        await conn.close()


@run()
async def test_bad_password_raises_authentication_error_without_the_password() -> None:
    switch = AutoSwitch(password="other")
    async with FakeESL(switch) as fake:
        with pytest.raises(eslkit.AuthenticationError) as info:
            await eslkit.connect(port=fake.port, password="s3cret-pw")
        assert "s3cret-pw" not in str(info.value)
        assert "s3cret-pw" not in repr(info.value)


@run()
async def test_rude_rejection_is_an_authentication_error() -> None:
    async def script(peer: Peer) -> None:
        peer.write(
            b"Content-Type: text/rude-rejection\nContent-Length: 24\n\nAccess Denied, go away.\n"
        )
        peer.goodbye()

    async with FakeESL(script) as fake:
        with pytest.raises(eslkit.AuthenticationError, match="ACL"):
            await eslkit.connect(port=fake.port)


@run()
async def test_connect_timeout_when_no_greeting() -> None:
    async def script(peer: Peer) -> None:
        await asyncio.sleep(30)

    async with FakeESL(script) as fake:
        with pytest.raises(eslkit.Timeout) as info:
            await eslkit.connect(port=fake.port, timeout=0.3)
        assert isinstance(info.value, TimeoutError)


@run(60)
async def test_ten_thousand_concurrent_api_calls_each_get_their_own_reply() -> None:
    switch = AutoSwitch()
    async with FakeESL(switch) as fake, eslkit.connect(port=fake.port) as conn:
        results = await asyncio.gather(*(conn.api(f"echo {i}") for i in range(10_000)))
        assert results == [str(i) for i in range(10_000)]
        # FIFO: the commands reached the server in call order.
        sent = [c.line for c in switch.peers[0].commands[1:]]
        assert sent == [f"api echo {i}" for i in range(10_000)]


@run()
async def test_disconnect_mid_command_fails_every_pending_call() -> None:
    async def script(peer: Peer) -> None:
        await handshake(peer)
        await peer.read_command()
        peer.goodbye()

    async with FakeESL(script) as fake:
        conn = await eslkit.connect(port=fake.port)
        calls = [asyncio.ensure_future(conn.api(f"echo {i}")) for i in range(50)]
        done = await asyncio.gather(*calls, return_exceptions=True)
        assert all(isinstance(r, eslkit.Disconnected) for r in done)
        with pytest.raises(eslkit.Disconnected):
            await conn.api("echo late")
        await conn.wait_closed(5)
        assert conn.closed


@run()
async def test_eof_without_notice_fails_pending_calls() -> None:
    async def script(peer: Peer) -> None:
        await handshake(peer)
        await peer.read_command()
        peer.close()

    async with FakeESL(script) as fake:
        conn = await eslkit.connect(port=fake.port)
        with pytest.raises(eslkit.Disconnected):
            await conn.api("echo x")


@run()
async def test_timeout_does_not_desynchronize_replies() -> None:
    release = asyncio.Event()

    async def script(peer: Peer) -> None:
        await handshake(peer)
        first = await peer.read_command()
        assert first.line == "api slow"
        second = await peer.read_command()  # sent after the first timed out
        await release.wait()
        peer.api("slow result")
        assert second.line == "api echo next"
        peer.api("next")
        await peer.expect_eof()

    async with FakeESL(script) as fake, eslkit.connect(port=fake.port) as conn:
        with pytest.raises(eslkit.Timeout):
            await conn.api("slow", timeout=0.2)
        nxt = asyncio.ensure_future(conn.api("echo next"))
        await asyncio.sleep(0.05)
        release.set()
        assert await nxt == "next"
        assert conn.late_replies == 1


@run()
async def test_events_before_a_reply_are_delivered_as_events() -> None:
    async def script(peer: Peer) -> None:
        await handshake(peer)
        await peer.read_command()  # event plain ALL
        peer.reply("+OK event listener enabled plain")
        await peer.read_command()  # api
        for i in range(3):
            peer.event(make_event("CUSTOM", Event_Subclass="x::y", Seq=str(i)))
        peer.api("the reply")
        await peer.expect_eof()

    async with FakeESL(script) as fake, eslkit.connect(port=fake.port) as conn:
        await conn.subscribe("ALL")
        stream = conn.events()
        assert await conn.api("whatever") == "the reply"
        seqs = [(await stream.get(5)).get("Seq") for _ in range(3)]
        assert seqs == ["0", "1", "2"]


@run()
async def test_events_in_all_formats_are_parsed() -> None:
    async def script(peer: Peer) -> None:
        await handshake(peer)
        await peer.read_command()
        peer.reply("+OK event listener enabled plain")
        for fmt in ("plain", "json", "xml"):
            event = make_event(
                "CHANNEL_ANSWER", f"body {fmt}\n", Unique_ID="u-1", Caller="a b&c<é>"
            )
            peer.event(event, fmt)  # type: ignore[arg-type]
        await peer.expect_eof()

    async with FakeESL(script) as fake, eslkit.connect(port=fake.port) as conn:
        stream = conn.events()
        await conn.subscribe("CHANNEL_ANSWER")
        for fmt in ("plain", "json", "xml"):
            event = await stream.get(5)
            assert event.name == "CHANNEL_ANSWER"
            assert event.uuid == "u-1"
            assert event.get("caller") == "a b&c<é>"
            assert event.body == f"body {fmt}\n"


@run()
async def test_bgapi_matched_by_job_uuid_interleaved_with_other_replies() -> None:
    async def script(peer: Peer) -> None:
        await handshake(peer)
        sub = await peer.read_command()
        assert sub.line == "event plain BACKGROUND_JOB"
        peer.reply("+OK event listener enabled plain")
        jobs = []
        for _ in range(2):
            command = await peer.read_command()
            job = command.header("Job-UUID")
            assert job
            jobs.append((command.line, job))
            peer.write(command_reply(f"+OK Job-UUID: {job}")[:-1] + f"Job-UUID: {job}\n\n".encode())
        api = await peer.read_command()
        # Results in reverse order, around the api reply.
        peer.event(make_event("BACKGROUND_JOB", "second\n", Job_UUID=jobs[1][1]))
        peer.write(api_response("api reply"))
        peer.event(make_event("BACKGROUND_JOB", "first\n", Job_UUID=jobs[0][1]))
        assert api.line == "api echo x"
        await peer.expect_eof()

    async with FakeESL(script) as fake, eslkit.connect(port=fake.port) as conn:
        first = asyncio.ensure_future(conn.bgapi("one"))
        await asyncio.sleep(0.05)
        second = asyncio.ensure_future(conn.bgapi("two"))
        await asyncio.sleep(0.05)
        assert await conn.api("echo x") == "api reply"
        assert await first == "first\n"
        assert await second == "second\n"


@run()
async def test_bgapi_tracking_events_are_not_delivered_to_the_user() -> None:
    switch = AutoSwitch()
    async with FakeESL(switch) as fake, eslkit.connect(port=fake.port) as conn:
        stream = conn.events()
        seen: list[str] = []
        conn.on("*", lambda e: seen.append(e.name or ""))
        assert await conn.bgapi("echo hi") == "hi"
        assert stream.received == 0 and seen == []
        await conn.subscribe("BACKGROUND_JOB")
        assert await conn.bgapi("echo again") == "again"
        assert (await stream.get(5)).body == "again"


@run()
async def test_handlers_sync_async_custom_and_errors_do_not_kill_the_connection(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def script(peer: Peer) -> None:
        await handshake(peer)
        await peer.read_command()
        peer.reply("+OK event listener enabled plain")
        peer.event(make_event("CHANNEL_ANSWER", Unique_ID="a"))
        peer.event(make_event("CUSTOM", Event_Subclass="my::sub", Unique_ID="a"))
        peer.event(make_event("CHANNEL_HANGUP", Unique_ID="a"))
        while True:
            command = await peer.read_command()
            peer.api(command.line[9:])

    got: list[str] = []
    done = asyncio.Event()

    def boom(event: eslkit.Event) -> None:
        got.append("boom")
        raise RuntimeError("handler failure")

    async def custom(event: eslkit.Event) -> None:
        await asyncio.sleep(0.01)
        got.append("custom " + (event.subclass or ""))

    def hangup(event: eslkit.Event) -> None:
        got.append("hangup")
        done.set()

    async with FakeESL(script) as fake, eslkit.connect(port=fake.port) as conn:
        conn.on("CHANNEL_ANSWER", boom)
        conn.on("CUSTOM my::sub", custom)
        conn.on("channel_hangup", hangup)
        with caplog.at_level(logging.ERROR, logger="eslkit.client"):
            await conn.subscribe("CHANNEL_ANSWER CHANNEL_HANGUP CUSTOM my::sub")
            await asyncio.wait_for(done.wait(), 5)
        assert got == ["boom", "custom my::sub", "hangup"]
        assert "handler failure" in caplog.text
        assert await conn.api("echo still alive") == "still alive"


@run()
async def test_per_channel_order_with_slow_handlers() -> None:
    async def script(peer: Peer) -> None:
        await handshake(peer)
        await peer.read_command()
        peer.reply("+OK event listener enabled plain")
        for i in range(200):
            peer.event(make_event("DTMF", Unique_ID=f"ch-{i % 7}", Seq=str(i)))
        await peer.expect_eof()

    seen: dict[str, list[int]] = {}
    count = 0
    all_in = asyncio.Event()

    async def handler(event: eslkit.Event) -> None:
        nonlocal count
        if int(event["Seq"]) % 3 == 0:
            await asyncio.sleep(0.001)
        seen.setdefault(event["Unique-ID"], []).append(int(event["Seq"]))
        count += 1
        if count == 200:
            all_in.set()

    async with FakeESL(script) as fake, eslkit.connect(port=fake.port) as conn:
        conn.on("DTMF", handler)
        await conn.subscribe("DTMF")
        await asyncio.wait_for(all_in.wait(), 10)
    assert len(seen) == 7
    for values in seen.values():
        assert values == sorted(values)


@run(120)
async def test_every_split_of_greeting_auth_reply_events_and_api_response() -> None:
    auth_reply = command_reply("+OK accepted")
    cuts = [(g, 0) for g in range(1, len(GREETING))] + [(0, a) for a in range(1, len(auth_reply))]
    for g, a in cuts:

        async def script(peer: Peer, g: int = g, a: int = a) -> None:
            await peer.write_split(GREETING, [g] if g else [])
            await peer.read_command()
            await peer.write_split(auth_reply, [a] if a else [])
            await peer.expect_eof()

        async with FakeESL(script) as fake:
            conn = await eslkit.connect(port=fake.port)
            assert conn.connected
            await conn.close()

    event = make_event("CHANNEL_ANSWER", "bodé\n", Unique_ID="x", Name="ü ñ")
    data = event_frame_for(event, "plain") + event_frame_for(event, "json")
    data += event_frame_for(event, "xml") + api_response("réponse")

    async def stream_script(peer: Peer) -> None:
        await handshake(peer)
        for cut in range(1, len(data)):
            await peer.read_command()
            await peer.write_split(data, [cut])
        await peer.expect_eof()

    async with FakeESL(stream_script) as fake, eslkit.connect(port=fake.port) as conn:
        stream = conn.events(maxsize=10)
        for cut in range(1, len(data)):
            assert await conn.api(f"cut {cut}") == "réponse"
            for _ in range(3):
                got = await stream.get(5)
                assert got.get("Name") == "ü ñ" and got.body == "bodé\n"
        assert stream.dropped == 0


@run()
async def test_disconnect_notice_with_linger_disposition_is_not_fatal() -> None:
    async def script(peer: Peer) -> None:
        await handshake(peer)
        await peer.read_command()
        peer.write(
            b"Content-Type: text/disconnect-notice\nControlled-Session-UUID: u\n"
            b"Content-Disposition: linger\nChannel-Name: x\nLinger-Time: -1\nContent-Length: 0\n\n"
        )
        peer.api("after linger")
        await peer.expect_eof()

    async with FakeESL(script) as fake, eslkit.connect(port=fake.port) as conn:
        assert await conn.api("a") == "after linger"


@run()
async def test_close_sends_exit_and_ends_streams() -> None:
    switch = AutoSwitch()
    async with FakeESL(switch) as fake:
        conn = await eslkit.connect(port=fake.port)
        stream = conn.events()
        await conn.close()
        assert switch.peers[0].commands[-1].line == "exit"
        with pytest.raises(StopAsyncIteration):
            await stream.get(1)
        with pytest.raises(eslkit.Disconnected):
            await conn.api("echo")


@run()
async def test_send_returns_the_reply_frame() -> None:
    switch = AutoSwitch()
    async with FakeESL(switch) as fake, eslkit.connect(port=fake.port) as conn:
        frame = await conn.send("filter", [("X-Header", "v")])
        assert reply_text(frame) == "-ERR command not found"
        assert switch.peers[0].commands[-1].raw == "filter\nX-Header: v\n\n"
        with pytest.raises(eslkit.CommandError):
            await conn.command("bogus")


@run()
async def test_event_stream_get_after_a_timeout_still_works() -> None:
    async def script(peer: Peer) -> None:
        await handshake(peer)
        await peer.read_command()  # event plain ALL
        peer.reply("+OK event listener enabled plain")
        await peer.read_command()  # api: the moment to send the event
        peer.api("go")
        peer.event(make_event("CUSTOM", Event_Subclass="x::y", Seq="1"))
        await peer.expect_eof()

    async with FakeESL(script) as fake, eslkit.connect(port=fake.port) as conn:
        await conn.subscribe("ALL")
        stream = conn.events()
        with pytest.raises(eslkit.Timeout):
            await stream.get(0.05)
        with pytest.raises(eslkit.Timeout):
            await stream.get(0.05)
        assert await conn.api("now") == "go"
        assert (await stream.get(5)).get("Seq") == "1"


@run()
async def test_plain_handler_returning_a_coroutine_is_awaited_in_order() -> None:
    async def script(peer: Peer) -> None:
        await handshake(peer)
        await peer.read_command()  # event plain ALL
        peer.reply("+OK event listener enabled plain")
        await peer.read_command()
        for i in range(5):
            peer.event(make_event("CUSTOM", Event_Subclass="x::y", Unique_ID="u-1", Seq=str(i)))
        peer.api("sent")
        await peer.expect_eof()

    seen: list[str] = []
    done = asyncio.Event()

    async def record(seq: str) -> None:
        await asyncio.sleep(0.01 if seq == "0" else 0)  # the first one is slow
        seen.append(seq)
        if len(seen) == 5:
            done.set()

    async with FakeESL(script) as fake, eslkit.connect(port=fake.port) as conn:
        await conn.subscribe("ALL")
        # Not an async def, but returns a coroutine: eslkit must await it, in channel order.
        conn.on("x::y", lambda event: record(event.get("Seq") or ""))
        assert await conn.api("go") == "sent"
        await asyncio.wait_for(done.wait(), 5)
    assert seen == ["0", "1", "2", "3", "4"]
