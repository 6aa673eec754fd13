"""Call control, reconnect, backpressure and safety of the inbound client."""

from __future__ import annotations

import asyncio
import logging

import pytest

import eslkit
from eslkit.client import Reconnect, Subscription, is_gap
from tests.client_support import PASSWORD, AutoSwitch, FakeESL, Peer, handshake, make_event, run


@run()
async def test_execute_sends_sendmsg_and_resolves_on_its_application_uuid() -> None:
    switch = AutoSwitch()
    async with FakeESL(switch) as fake, eslkit.connect(port=fake.port) as conn:
        event = await conn.execute(
            "playback", "/tmp/a.wav", uuid="chan-1", event_lock=True, loops=2
        )
        assert event is not None and event.get("Application") == "playback"
        peer = switch.peers[0]
        assert switch.event_commands == [
            "event plain CHANNEL_EXECUTE_COMPLETE CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE"
        ]
        sendmsg = peer.commands[-1]
        assert sendmsg.line == "sendmsg chan-1"
        assert sendmsg.header("call-command") == "execute"
        assert sendmsg.header("execute-app-name") == "playback"
        assert sendmsg.header("execute-app-arg") == "/tmp/a.wav"
        assert sendmsg.header("event-lock") == "true"
        assert sendmsg.header("loops") == "2"
        assert sendmsg.header("Event-UUID") == event.get("Application-UUID")


@run()
async def test_execute_multiline_arg_goes_as_a_byte_counted_body() -> None:
    switch = AutoSwitch()
    arg = "line one é\nline two ✓"
    async with FakeESL(switch) as fake, eslkit.connect(port=fake.port) as conn:
        event = await conn.execute("set", arg, uuid="chan-1")
        assert event is not None
        sendmsg = switch.peers[0].commands[-1]
        assert sendmsg.header("execute-app-arg") is None
        assert sendmsg.header("content-type") == "text/plain"
        assert sendmsg.header("content-length") == str(len(arg.encode()))
        assert sendmsg.body_text == arg


@run()
async def test_execute_ignores_other_completions_and_fails_on_hangup() -> None:
    switch = AutoSwitch()
    switch.hold_execute = True
    async with FakeESL(switch) as fake, eslkit.connect(port=fake.port) as conn:
        task = asyncio.ensure_future(conn.execute("playback", "x.wav", uuid="chan-1"))
        for _ in range(200):
            if switch.peers and switch.peers[0].commands[-1].line.startswith("sendmsg"):
                break
            await asyncio.sleep(0.01)
        peer = switch.peers[0]
        # Another app's completion, on the same channel, does not resolve it.
        peer.event(
            make_event("CHANNEL_EXECUTE_COMPLETE", Unique_ID="chan-1", Application_UUID="other")
        )
        peer.event(make_event("CHANNEL_HANGUP", Unique_ID="chan-2", Hangup_Cause="X"))
        await asyncio.sleep(0.05)
        assert not task.done()
        peer.event(make_event("CHANNEL_HANGUP", Unique_ID="chan-1", Hangup_Cause="USER_BUSY"))
        with pytest.raises(eslkit.ChannelHangup) as info:
            await task
        assert info.value.uuid == "chan-1" and info.value.cause == "USER_BUSY"


@run()
async def test_execute_timeout_and_disconnect() -> None:
    switch = AutoSwitch()
    switch.hold_execute = True
    async with FakeESL(switch) as fake:
        conn = await eslkit.connect(port=fake.port)
        with pytest.raises(eslkit.Timeout):
            await conn.execute("conference", "room", uuid="c", timeout=0.2)
        task = asyncio.ensure_future(conn.execute("park", uuid="c"))
        await asyncio.sleep(0.1)
        switch.peers[0].goodbye()
        with pytest.raises(eslkit.Disconnected):
            await task


@run()
async def test_execute_refused_sendmsg_raises_command_error() -> None:
    async def script(peer: Peer) -> None:
        await handshake(peer)
        await peer.read_command()
        peer.reply("+OK event listener enabled plain")
        await peer.read_command()
        peer.reply("-ERR invalid session id [nope]")
        await peer.expect_eof()

    async with FakeESL(script) as fake, eslkit.connect(port=fake.port) as conn:
        with pytest.raises(eslkit.CommandError, match="invalid session id"):
            await conn.execute("answer", uuid="nope")


@run()
async def test_helpers_hangup_and_play_and_get_digits() -> None:
    switch = AutoSwitch()
    original = switch.complete
    switch.complete = lambda peer, command, **extra: original(  # type: ignore[method-assign]
        peer, command, variable_eslkit_digits="42"
    )
    async with FakeESL(switch) as fake, eslkit.connect(port=fake.port) as conn:
        digits = await conn.play_and_get_digits("ask.wav", max_digits=4, uuid="c")
        assert digits == "42"
        peer = switch.peers[0]
        assert peer.commands[-1].header("execute-app-arg") == (
            "1 4 3 5000 # ask.wav silence_stream://250 eslkit_digits \\d+"
        )
        await conn.hangup("USER_BUSY", uuid="c")
        assert peer.commands[-1].header("call-command") == "hangup"
        assert peer.commands[-1].header("hangup-cause") == "USER_BUSY"


@run()
async def test_user_subscription_merged_with_tracking_and_reapplied() -> None:
    switch = AutoSwitch()
    async with FakeESL(switch) as fake, eslkit.connect(port=fake.port) as conn:
        await conn.subscribe("CHANNEL_ANSWER", "CUSTOM my::sub", format="json")
        await conn.execute("answer", uuid="c")
        await conn.subscribe("DTMF")
        assert switch.event_commands == [
            "event json CHANNEL_ANSWER CUSTOM my::sub",
            "event json CHANNEL_EXECUTE_COMPLETE CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE",
            "event json CHANNEL_ANSWER DTMF CHANNEL_EXECUTE_COMPLETE CHANNEL_HANGUP "
            "CHANNEL_HANGUP_COMPLETE CUSTOM my::sub",
        ]


@run()
async def test_custom_then_a_subclass_as_separate_arguments() -> None:
    """``subscribe("CUSTOM", "my::sub")`` is the subclass my::sub (it used to become an
    event called MY::SUB); a plain event name after CUSTOM stays an event name."""
    switch = AutoSwitch()
    async with FakeESL(switch) as fake, eslkit.connect(port=fake.port) as conn:
        await conn.subscribe("CUSTOM", "my::sub", "DTMF")
        assert switch.event_commands == ["event plain DTMF CUSTOM my::sub"]
        assert conn.subscription.custom == ["my::sub"]
        assert conn.subscription.events == ["DTMF"]


@run(60)
async def test_reconnect_reauths_resubscribes_emits_gap_and_fails_inflight() -> None:
    switch = AutoSwitch()
    async with FakeESL(switch) as fake:
        conn = await eslkit.connect(
            port=fake.port,
            subscription=Subscription(["CHANNEL_ANSWER"], filters=[("Unique-ID", "abc")]),
            reconnect=Reconnect(initial=0.01, maximum=0.05),
        )
        stream = conn.events()
        gaps: list[eslkit.Event] = []
        conn.on("eslkit::gap", gaps.append)
        switch.hold_execute = True
        inflight = asyncio.ensure_future(conn.execute("park", uuid="c"))
        await asyncio.sleep(0.1)
        switch.peers[0].goodbye()
        with pytest.raises(eslkit.Disconnected):
            await inflight
        gap = await stream.get(10)
        assert is_gap(gap) and gap.get("Gap-Reconnects") == "1"
        assert conn.reconnects == 1 and fake.connections == 2
        second = switch.peers[1]
        # Re-auth, then the user's subscription merged with execute tracking, then the filter.
        lines = [c.line for c in second.commands]
        assert lines == [
            f"auth {PASSWORD}",
            "event plain CHANNEL_ANSWER CHANNEL_EXECUTE_COMPLETE CHANNEL_HANGUP "
            "CHANNEL_HANGUP_COMPLETE",
            "filter Unique-ID abc",
        ]
        assert await conn.api("echo back") == "back"
        await asyncio.sleep(0.05)
        assert len(gaps) == 1
        await conn.close()


@run(60)
async def test_reconnect_never_loops_on_authentication_failure() -> None:
    attempts = 0

    async def script(peer: Peer) -> None:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            await handshake(peer)
            await asyncio.sleep(0.2)
            peer.goodbye()
            return
        await handshake(peer, password="changed")

    async with FakeESL(script) as fake:
        conn = await eslkit.connect(port=fake.port, reconnect=Reconnect(initial=0.01))
        stream = conn.events()
        await conn.wait_closed(10)
        assert isinstance(conn.error, eslkit.AuthenticationError)
        with pytest.raises(eslkit.AuthenticationError):
            await stream.get(1)
        with pytest.raises(eslkit.AuthenticationError):
            await conn.api("status")
        await asyncio.sleep(0.2)
        assert attempts == 2


@pytest.mark.parametrize("policy", ["drop_oldest", "drop_newest", "disconnect"])
def test_backpressure_policies(policy: str) -> None:
    @run()
    async def body() -> None:
        async def script(peer: Peer) -> None:
            await handshake(peer)
            await peer.read_command()
            for i in range(10):
                peer.event(make_event("DTMF", Seq=str(i)))
            peer.api("done")
            await peer.expect_eof()

        async with FakeESL(script) as fake:
            conn = await eslkit.connect(port=fake.port)
            stream = conn.events(maxsize=3, overflow=policy)
            other = conn.events(maxsize=100)
            if policy == "disconnect":
                with pytest.raises(eslkit.Disconnected):
                    await conn.api("go")
                with pytest.raises(eslkit.EventOverflow):
                    await stream.get(1)
                await conn.wait_closed(5)
                return
            assert await conn.api("go") == "done"
            assert stream.received == 10 and stream.dropped == 7
            seqs = [(await stream.get(1)).get("Seq") for _ in range(3)]
            assert seqs == (["7", "8", "9"] if policy == "drop_oldest" else ["0", "1", "2"])
            assert other.dropped == 0 and other.pending == 10
            await conn.close()

    body()


@run()
async def test_crlf_injection_is_refused_before_sending() -> None:
    switch = AutoSwitch()
    async with FakeESL(switch) as fake, eslkit.connect(port=fake.port) as conn:
        sent_before = len(switch.peers[0].commands)
        bad = [
            conn.api("status\n\nexit"),
            conn.api("status\rx"),
            conn.bgapi("originate x\nJob-UUID: y"),
            conn.send("event plain ALL", [("X", "a\nb")]),
            conn.send("x", [("Bad\nName", "v")]),
            conn.execute("playback\n", uuid="c"),
            conn.execute("playback", "x", uuid="c\nexit"),
            conn.filter("Unique-ID", "x\n\nexit"),
            conn.subscribe("CHANNEL_ANSWER\nexit"),
            conn.hangup("NORMAL\n", uuid="c"),
        ]
        for call in bad:
            with pytest.raises(ValueError):
                await call
        with pytest.raises(eslkit.UnsafeValue):
            await conn.api("a\x00b")
        await asyncio.sleep(0.05)
        assert len(switch.peers[0].commands) == sent_before
        assert await conn.api("echo ok") == "ok"


@run()
async def test_password_is_never_logged_or_shown(caplog: pytest.LogCaptureFixture) -> None:
    secret = "Sup3r-S3cret"
    switch = AutoSwitch(password=secret)

    async def slow_auth(peer: Peer) -> None:
        peer.write(b"Content-Type: auth/request\n\n")
        await asyncio.sleep(5)

    with caplog.at_level(logging.DEBUG):
        async with FakeESL(switch) as fake:
            conn = await eslkit.connect(port=fake.port, password=secret)
            texts = [
                repr(conn),
                str(conn),
                repr(conn.__dict__ if hasattr(conn, "__dict__") else ""),
            ]
            await conn.close()
        async with FakeESL(slow_auth) as fake:
            with pytest.raises(eslkit.Timeout) as timeout:
                await eslkit.connect(port=fake.port, password=secret, timeout=0.3)
            texts.append(str(timeout.value))
        with pytest.raises(eslkit.UnsafeValue) as unsafe:
            eslkit.connect(password=secret + "\n")
        texts.append(str(unsafe.value))
    texts.append(caplog.text)
    for text in texts:
        assert secret not in text
