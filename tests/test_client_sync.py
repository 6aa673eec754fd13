"""The blocking facade, against the fake server running in its own thread's loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest

import eslkit
import eslkit.sync
from client_support import AutoSwitch, FakeESL, make_event


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
