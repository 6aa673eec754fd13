"""Event parsing throughput: eslkit's FrameReader + Event versus greenswitch and genesis.

The stream is N copies of the recorded 2,500-byte CHANNEL_EXECUTE_COMPLETE event
(``events/channel_execute_complete.plain`` of the conformance corpus) in its
``Content-Length``/``Content-Type: text/event-plain`` frame, cut into 64 KiB chunks (what a
socket read hands a client under load). Each library frames the stream, parses each event
and reads one header (``Unique-ID``). See bench/README.md for exactly what runs per library.

    python bench/parse.py [--events N] [--repeat R] [--no-peers]

Prints events/s (best of R runs: the machine is shared, the best run is the least disturbed)
and a side-by-side table with ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import io
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from peers import Peers, load_peers

from eslkit.protocol import Event, FrameReader

CONFORMANCE_DIR = Path(os.environ.get("ESLKIT_CONFORMANCE_DIR") or Path(__file__).resolve().parents[1].parent / "shared" / "conformance")
EVENT_FILE = CONFORMANCE_DIR / "events" / "channel_execute_complete.plain"
CHUNK = 64 * 1024
EXPECTED_UUID = "65404400-8239-417b-91a9-bcd7759621bc"


def make_frame() -> bytes:
    """The recorded event in its event frame, as the server writes it."""
    body = EVENT_FILE.read_bytes()
    return b"Content-Length: %d\nContent-Type: text/event-plain\n\n" % len(body) + body


def make_chunks(frame: bytes, events: int) -> list[bytes]:
    """``events`` frames back to back, cut into 64 KiB chunks (the last one shorter)."""
    stream = frame * events
    return [stream[i : i + CHUNK] for i in range(0, len(stream), CHUNK)]


# ----------------------------------------------------------------------------- drivers
# Each driver consumes every chunk and returns how many events it read and the last Unique-ID
# value, so no driver pays for a growing list.


def run_eslkit(chunks: list[bytes]) -> tuple[int, str | None]:
    """FrameReader (client side) -> Frame -> Event.from_plain -> event.get('Unique-ID')."""
    reader = FrameReader()
    count = 0
    last: str | None = None
    from_plain = Event.from_plain
    for chunk in chunks:
        reader.feed(chunk)
        for frame in reader.frames():
            if frame.content_type == "text/event-plain" and frame.body is not None:
                last = from_plain(frame.body).get("Unique-ID")
                count += 1
    return count, last


class _ChunkedRaw(io.RawIOBase):
    """A socket stand-in: each read returns at most the next 64 KiB chunk."""

    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = iter(chunks)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if not self._pending:
            self._pending = next(self._chunks, b"")
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def make_greenswitch(peers: Peers) -> Callable[[list[bytes]], tuple[int, str | None]]:
    """greenswitch's own receive loop (ESLProtocol.receive_events) on a fake socket file."""
    gs = peers.greenswitch
    assert gs is not None
    protocol_cls = gs.esl.ESLProtocol

    def run(chunks: list[bytes]) -> tuple[int, str | None]:
        state: dict[str, Any] = {"count": 0, "last": None}

        class Sink:
            """Stands in for the gevent queue the dispatcher reads; reads one header."""

            def put(self, event: Any) -> None:
                state["last"] = event.headers["Unique-ID"]
                state["count"] += 1

        proto = protocol_cls()
        # Buffered like socket.makefile('rb'), with a buffer as large as a chunk.
        proto.sock_file = io.BufferedReader(_ChunkedRaw(chunks), buffer_size=CHUNK)
        proto.sock = None
        proto.connected = True
        proto._esl_event_queue = Sink()
        proto.receive_events()
        return state["count"], state["last"]

    return run


def make_genesis(peers: Peers) -> Callable[[list[bytes]], tuple[int, str | None]]:
    """genesis's own reader task (Protocol.handler: StreamReader + ESLReaderFSM)."""
    gen = peers.genesis
    assert gen is not None
    from genesis.protocol.base import Protocol  # type: ignore[import-not-found]

    class BenchProtocol(Protocol):  # type: ignore[misc]
        """No connection: only the reader side is driven."""

    def run(chunks: list[bytes]) -> tuple[int, str | None]:
        state: dict[str, Any] = {"count": 0, "last": None}

        class Sink:
            """Stands in for the asyncio queue the consumer reads; reads one header."""

            async def put(self, event: Any) -> None:
                if event is not None:
                    state["last"] = event["Unique-ID"]
                    state["count"] += 1

        async def main() -> None:
            proto = BenchProtocol()
            reader = asyncio.StreamReader(limit=2**20)
            proto.reader = reader
            proto.events = Sink()
            proto.is_connected = True
            proto._stopped = True  # no consumer task to stop at EOF

            async def feed() -> None:
                for chunk in chunks:
                    # Like a transport: hand over the next read once the previous is consumed.
                    while len(reader._buffer) >= CHUNK:  # type: ignore[attr-defined]
                        await asyncio.sleep(0)
                    reader.feed_data(chunk)
                reader.feed_eof()

            feeder = asyncio.create_task(feed())
            await proto.handler()
            await feeder

        asyncio.run(main())
        return state["count"], state["last"]

    return run


# ----------------------------------------------------------------------------- main


def measure(
    run: Callable[[list[bytes]], tuple[int, str | None]],
    chunks: list[bytes],
    events: int,
    repeat: int,
) -> float:
    """Best events/s over ``repeat`` runs (GC disabled during each run, as timeit does)."""
    best = 0.0
    for _ in range(repeat):
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            count, last = run(chunks)
            elapsed = time.perf_counter() - start
        finally:
            gc.enable()
        if count != events or last != EXPECTED_UUID:
            raise SystemExit(f"{run.__name__}: read {count} events, last Unique-ID {last!r}")
        best = max(best, events / elapsed)
    return best


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=40_000, help="events per run")
    parser.add_argument("--repeat", type=int, default=7, help="runs per library (best counts)")
    parser.add_argument(
        "--peer-events",
        type=int,
        default=None,
        help="events per run for the (slower) peers; default: --events / 4",
    )
    parser.add_argument("--no-peers", action="store_true", help="measure eslkit only")
    args = parser.parse_args(argv)

    frame = make_frame()
    chunks = make_chunks(frame, args.events)
    print(
        f"stream: {args.events} x {len(frame)}-byte event frames in {len(chunks)} chunks "
        f"of {CHUNK} bytes; best of {args.repeat} runs"
    )
    results: list[tuple[str, float | None, str]] = []
    eslkit_rate = measure(run_eslkit, chunks, args.events, args.repeat)
    results.append(("eslkit", eslkit_rate, ""))

    if args.no_peers:
        peers = Peers(missing={name: "--no-peers" for name in ("greenswitch", "genesis")})
    else:
        peers = load_peers()
    peer_events = args.peer_events or max(1, args.events // 4)
    peer_chunks = make_chunks(frame, peer_events)
    for name, factory in (("greenswitch", make_greenswitch), ("genesis", make_genesis)):
        if getattr(peers, name) is None:
            results.append((name, None, peers.missing.get(name, "not loaded")))
            continue
        runner = factory(peers)
        runner.__name__ = name
        peer_rate = measure(runner, peer_chunks, peer_events, max(3, args.repeat // 2))
        results.append((f"{name} {peers.versions.get(name, '')}".strip(), peer_rate, ""))

    print(f"{'library':<24} {'events/s':>12} {'eslkit is':>10}")
    for label, rate, why in results:
        if rate is None:
            print(f"{label:<24} {'-':>12} {'':>10}  missing: {why}")
        else:
            ratio = eslkit_rate / rate
            print(f"{label:<24} {rate:>12,.0f} {ratio:>9.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
