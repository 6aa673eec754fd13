"""The blocking facade, against the fake server running in its own thread's loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest

import eslkit
import eslkit.sync
from tests.client_support import AutoSwitch, FakeESL, make_event


@pytest.fixture
def fake_server() -> Iterator[tuple[int, AutoSwitch]]:
    """A FakeESL with AutoSwitch, served from a dedicated thread."""
    switch = AutoSwitch()
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    stop: asyncio.Event | None = None
    port = 0

    async def main() -> None:
        nonlocal stop, port
        stop = asyncio.Event()
        async with FakeESL(switch) as fake:
            port = fake.port
            ready.set()
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    assert ready.wait(10)
    try:
        yield port, switch
    finally:
        assert stop is not None
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)


def test_sync_api_bgapi_and_close(fake_server: tuple[int, AutoSwitch]) -> None:
    port, switch = fake_server
    with eslkit.sync.connect(port=port) as conn:
        assert conn.api("echo hi") == "hi"
        assert conn.bgapi("echo job") == "job"
        with pytest.raises(eslkit.CommandError):
            conn.api("nosuch")
        with pytest.raises(ValueError):
            conn.api("x\nexit")
    assert conn.closed
    assert switch.peers[0].commands[-1].line == "exit"


def test_sync_from_many_threads(fake_server: tuple[int, AutoSwitch]) -> None:
    port, _ = fake_server
    results: dict[int, str] = {}
    with eslkit.sync.connect(port=port) as conn:

        def worker(n: int) -> None:
            for i in range(20):
                results[n * 100 + i] = conn.api(f"echo {n}-{i}")

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert len(results) == 160
    assert all(v == f"{k // 100}-{k % 100}" for k, v in results.items())


def test_sync_handler_may_call_the_connection_without_deadlock(
    fake_server: tuple[int, AutoSwitch],
) -> None:
    port, switch = fake_server
    answers: list[str] = []
    done = threading.Event()
    with eslkit.sync.connect(port=port) as conn:

        def handler(event: eslkit.Event) -> None:
            answers.append(conn.api(f"echo seen {event.get('Seq')}"))
            if len(answers) == 3:
                done.set()

        conn.on("DTMF", handler)
        stream = conn.events(maxsize=10)
        conn.subscribe("DTMF")
        peer = switch.peers[0]
        fake_loop = peer.writer._loop  # type: ignore[attr-defined]
        for i in range(3):
            fake_loop.call_soon_threadsafe(peer.event, make_event("DTMF", Seq=str(i)))
        assert done.wait(10)
        assert answers == ["seen 0", "seen 1", "seen 2"]
        assert [stream.get(5).get("Seq") for _ in range(3)] == ["0", "1", "2"]
        with pytest.raises(eslkit.Timeout):
            stream.get(0.05)


def test_sync_reports_the_calls_own_timeout(fake_server: tuple[int, AutoSwitch]) -> None:
    """A timeout raised by the coroutine itself reaches the caller unchanged (it used to be
    caught as the facade's own wait and reported as "no result within <timeout + 5> s")."""
    port, switch = fake_server
    switch.hold_execute = True
    with eslkit.sync.connect(port=port) as conn:
        with pytest.raises(eslkit.Timeout, match=r"execute park: not complete within 0\.3 s"):
            conn.execute("park", uuid="c1", timeout=0.3)
        with pytest.raises(eslkit.Timeout, match=r"no CHANNEL_ANSWER within 0\.2 s"):
            conn.wait_for("CHANNEL_ANSWER", timeout=0.2)
        assert conn.api("echo still fine") == "still fine"


def test_sync_calls_the_async_call_control(fake_server: tuple[int, AutoSwitch]) -> None:
    """answer/playback/bridge/set/hangup run the asyncio methods (same packets)."""
    port, switch = fake_server
    with eslkit.sync.connect(port=port) as conn:
        assert conn.answer(uuid="c1").get("Application") == "answer"
        assert conn.playback("/tmp/a.wav", uuid="c1").get("Application-Data") == "/tmp/a.wav"
        assert conn.set("x", "1", uuid="c1").get("Application-Data") == "x=1"
        assert conn.bridge("user/1000", uuid="c1").get("Application") == "bridge"
        conn.hangup("USER_BUSY", uuid="c1")
    commands = [c for c in switch.peers[0].commands if c.line.startswith("sendmsg")]
    assert [c.header("execute-app-name") for c in commands[:4]] == [
        "answer",
        "playback",
        "set",
        "bridge",
    ]
    assert all(c.header("Event-UUID") for c in commands[:4])
    assert commands[4].header("hangup-cause") == "USER_BUSY"


def test_sync_filters_apply_off_on_log_and_wait_closed(
    fake_server: tuple[int, AutoSwitch],
) -> None:
    port, switch = fake_server
    seen: list[str] = []
    logs: list[bytes] = []
    got = threading.Event()
    conn = eslkit.sync.connect(port=port)
    try:
        conn.filter("Unique-ID", "c1")
        conn.filter_delete("Unique-ID", "c1")
        assert conn.subscription.filters == []
        subscription = eslkit.Subscription()
        subscription.add("DTMF")
        conn.apply(subscription)
        assert "DTMF" in switch.subscribed

        def handler(event: eslkit.Event) -> None:
            seen.append(event.get("Seq") or "")
            got.set()

        conn.on("DTMF", handler)
        conn.on_log(lambda frame: (logs.append(frame.body or b""), got.set()))
        peer = switch.peers[0]
        fake_loop = peer.writer._loop  # type: ignore[attr-defined]
        fake_loop.call_soon_threadsafe(peer.event, make_event("DTMF", Seq="1"))
        assert got.wait(10)
        got.clear()
        conn.off("DTMF", handler)
        body = b"a log line\n"
        frame = b"Content-Type: log/data\nContent-Length: %d\nLog-Level: 7\n\n" % len(body)
        fake_loop.call_soon_threadsafe(peer.write, frame + body)
        fake_loop.call_soon_threadsafe(peer.event, make_event("DTMF", Seq="2"))
        assert got.wait(10)
        assert conn.api("echo sync") == "sync"  # both frames were read before this reply
        assert logs == [body]
        assert seen == ["1"]
        with pytest.raises(eslkit.Timeout):
            conn.wait_closed(0.1)
    finally:
        conn.close()
    conn.wait_closed(1.0)
    assert conn.closed and isinstance(conn.error, eslkit.Disconnected)
