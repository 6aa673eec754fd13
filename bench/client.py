"""Client throughput over a real socket: eslkit versus greenswitch and genesis.

    python bench/client.py [--events N] [--peer-events M] [--repeat R] [--bgapi K] [--no-peers]

**Events.** A replay server (asyncio, 127.0.0.1, a free port, in its own process so that it
does not share the client's CPU) greets, accepts ``auth`` and any ``event ...`` command, then
writes N copies of the recorded CHANNEL_EXECUTE_COMPLETE event in its
``Content-Length``/``Content-Type: text/event-plain`` frame as fast as the socket takes them.
Each library subscribes with ``event plain CHANNEL_EXECUTE_COMPLETE`` and counts the events in
a handler registered for that name that reads ``Unique-ID``; the clock runs from just before
the subscription until the handler has seen the N-th event. Best of R runs. Two reference
rows that are not clients: the *floor* only counts the bytes an asyncio Protocol receives
(what the replay server and the kernel deliver), the *ceiling* adds eslkit's FrameReader (a
``Frame`` per event, no ``Event``, no dispatch).

**bgapi.** ``bgapi status`` round trips, one after the other, against ``eslkit serve`` (a
subprocess): eslkit's ``conn.bgapi()``; the peers have no bgapi call, so they send
``bgapi status`` with a ``Job-UUID`` header and wait for the matching BACKGROUND_JOB through
their event handlers. eslkit also runs 32 in flight (``asyncio.gather``).

Every wait has a timeout; a library that times out is reported with what it counted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from peers import Peers, load_peers

import eslkit

CONFORMANCE_DIR = Path(
    os.environ.get("ESLKIT_CONFORMANCE_DIR")
    or Path(__file__).resolve().parents[1].parent / "shared" / "conformance"
)
EVENT_FILE = CONFORMANCE_DIR / "events" / "channel_execute_complete.plain"
EXPECTED_UUID = "65404400-8239-417b-91a9-bcd7759621bc"
EVENT_NAME = "CHANNEL_EXECUTE_COMPLETE"
PASSWORD = "ClueCon"
#: Events per write of the replay server (each write then waits for the socket to drain).
BATCH = 256
RUN_TIMEOUT = 300.0
START_TIMEOUT = 30.0


# ----------------------------------------------------------------------------- replay server
def make_frame() -> bytes:
    """The recorded event in the frame FreeSWITCH writes around it."""
    body = EVENT_FILE.read_bytes()
    return b"Content-Length: %d\nContent-Type: text/event-plain\n\n" % len(body) + body


def _reply(text: str) -> bytes:
    return f"Content-Type: command/reply\nReply-Text: {text}\n\n".encode()


async def _replay_client(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    block: bytes,
    blocks: int,
    rest: bytes,
) -> None:
    writer.write(b"Content-Type: auth/request\n\n")
    blaster: asyncio.Task[None] | None = None

    async def blast() -> None:
        for _ in range(blocks):
            writer.write(block)
            await writer.drain()
        if rest:
            writer.write(rest)
            await writer.drain()

    try:
        while True:
            head = await asyncio.wait_for(reader.readuntil(b"\n\n"), RUN_TIMEOUT)
            line = head.split(b"\n", 1)[0].decode("utf-8", "replace").strip()
            word = line.split(" ", 1)[0].lower()
            if word == "auth":
                writer.write(_reply("+OK accepted"))
            elif word == "event":
                writer.write(_reply("+OK event listener enabled plain"))
                if blaster is None:
                    blaster = asyncio.get_running_loop().create_task(blast())
            elif word == "exit":
                if blaster is not None:
                    blaster.cancel()
                writer.write(_reply("+OK bye"))
                await writer.drain()
                break
            else:
                writer.write(_reply("-ERR command not found"))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, TimeoutError):
        pass
    finally:
        if blaster is not None:
            blaster.cancel()
        writer.close()


async def serve_replay(events: int) -> None:
    """Run the replay server; print its port on stdout; serve until stdin closes."""
    frame = make_frame()
    block = frame * BATCH
    blocks, extra = divmod(events, BATCH)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _replay_client(reader, writer, block, blocks, frame * extra)

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # the parent closes our stdin to stop us
    server.close()


class Subprocess:
    """A helper process that reports its port on its first line of output."""

    def __init__(
        self, argv: list[str], port_from: Callable[[str], int | None], stream: str
    ) -> None:
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        source = self.proc.stdout if stream == "stdout" else self.proc.stderr
        assert source is not None
        deadline = time.monotonic() + START_TIMEOUT
        self.port: int | None = None
        while self.port is None and time.monotonic() < deadline:
            line = source.readline()
            if not line:
                break
            self.port = port_from(line)
        if self.port is None:
            self.close()
            raise RuntimeError(f"{argv[1:]} did not start")

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


def start_replay(events: int) -> Subprocess:
    """The replay server for ``events`` events per connection, in a child process."""
    return Subprocess(
        [sys.executable, __file__, "--serve", "--events", str(events)],
        lambda line: int(line) if line.strip().isdigit() else None,
        "stdout",
    )


def start_eslkit_serve() -> Subprocess:
    """``eslkit serve`` on a free port, in a child process."""

    def port(line: str) -> int | None:
        if "listening on" not in line:
            return None
        return int(line.split("listening on", 1)[1].split()[0].rsplit(":", 1)[1])

    return Subprocess(
        [sys.executable, "-m", "eslkit", "serve", "--listen-port", "0", "--log-level", "WARNING"],
        port,
        "stderr",
    )


# ----------------------------------------------------------------------------- results
@dataclass(slots=True)
class Result:
    """One library's measurement."""

    library: str
    count: int = 0
    expected: int = 0
    seconds: float = 0.0
    error: str | None = None

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds and self.error is None else 0.0


def best(results: list[Result]) -> Result:
    """The fastest complete run (or the last failure)."""
    good = [r for r in results if r.error is None]
    return max(good, key=lambda r: r.rate) if good else results[-1]


# ----------------------------------------------------------------------------- event drivers
async def eslkit_events(port: int, n: int) -> Result:
    """eslkit: ``conn.on(EVENT_NAME, handler)``; the handler reads ``Unique-ID``."""
    result = Result("eslkit", expected=n)
    done = asyncio.get_running_loop().create_future()
    last: list[str | None] = [None]

    def handler(event: eslkit.Event) -> None:
        last[0] = event.get("Unique-ID")
        result.count += 1
        if result.count == n and not done.done():
            done.set_result(None)

    async with eslkit.connect("127.0.0.1", port, PASSWORD, timeout=START_TIMEOUT) as conn:
        conn.on(EVENT_NAME, handler)
        start = time.perf_counter()
        await conn.send(f"event plain {EVENT_NAME}")
        try:
            await asyncio.wait_for(done, RUN_TIMEOUT)
        except TimeoutError:
            result.error = f"timeout after {result.count} events"
        result.seconds = time.perf_counter() - start
    if last[0] != EXPECTED_UUID and result.error is None:
        result.error = f"wrong Unique-ID {last[0]!r}"
    return result


async def _raw_client(port: int, n: int, name: str, count_frames: bool) -> Result:
    """Not a client: an asyncio Protocol on the socket (as eslkit's connection uses) that only
    counts events, by framing them with eslkit's FrameReader or by counting bytes."""
    from eslkit.protocol.frames import FrameReader

    result = Result(name, expected=n)
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    frames = FrameReader()
    size = len(make_frame())
    received = 0

    class Counter(asyncio.Protocol):
        def data_received(self, data: bytes) -> None:
            nonlocal received
            if count_frames:
                frames.feed(data)
                for frame in frames.frames():
                    if frame.content_type == "text/event-plain":
                        result.count += 1
            else:
                received += len(data)
                # (The greeting and two replies, < 200 bytes, end this a frame early at most.)
                result.count = min(n, received // size)
            if result.count >= n and not done.done():
                done.set_result(None)

        def connection_lost(self, exc: Exception | None) -> None:
            if not done.done():
                done.set_result(None)

    transport, _ = await loop.create_connection(Counter, "127.0.0.1", port)
    try:
        async with asyncio.timeout(RUN_TIMEOUT):
            transport.write(f"auth {PASSWORD}\n\n".encode())
            start = time.perf_counter()
            transport.write(f"event plain {EVENT_NAME}\n\n".encode())
            await done
            result.seconds = time.perf_counter() - start
        if result.count < n:
            result.error = f"connection lost after {result.count} events"
    except TimeoutError:
        result.error = f"timeout after {result.count} events"
    finally:
        transport.close()
    return result


async def raw_floor(port: int, n: int) -> Result:
    """Socket reads only: what the replay server and the kernel deliver."""
    return await _raw_client(port, n, "floor: socket reads only", False)


async def raw_ceiling(port: int, n: int) -> Result:
    """Socket reads + eslkit's FrameReader, a Frame per event (no Event, no dispatch)."""
    return await _raw_client(port, n, "ceiling: recv + FrameReader only", True)


async def eslkit_stream_events(port: int, n: int) -> Result:
    """eslkit: ``async for event in conn.events()`` (no handler dispatch)."""
    result = Result("eslkit (events() stream)", expected=n)
    async with eslkit.connect("127.0.0.1", port, PASSWORD, timeout=START_TIMEOUT) as conn:
        stream = conn.events(maxsize=n + 10)
        start = time.perf_counter()
        await conn.send(f"event plain {EVENT_NAME}")
        last = None
        try:
            async with asyncio.timeout(RUN_TIMEOUT):
                async for event in stream:
                    last = event.get("Unique-ID")
                    result.count += 1
                    if result.count == n:
                        break
        except TimeoutError:
            result.error = f"timeout after {result.count} events"
        result.seconds = time.perf_counter() - start
        if last != EXPECTED_UUID and result.error is None:
            result.error = f"wrong Unique-ID {last!r}"
    return result


async def genesis_events(genesis: Any, port: int, n: int) -> Result:
    """genesis: ``Inbound.on(EVENT_NAME, async handler)`` (it makes a task per event)."""
    result = Result("genesis", expected=n)
    done = asyncio.get_running_loop().create_future()

    async def handler(event: Any) -> None:
        event.get("Unique-ID")
        result.count += 1
        if result.count == n and not done.done():
            done.set_result(None)

    client = genesis.Inbound("127.0.0.1", port, PASSWORD)
    await client.start()
    try:
        client.on(EVENT_NAME, handler)
        start = time.perf_counter()
        await client.send(f"event plain {EVENT_NAME}")
        try:
            await asyncio.wait_for(done, RUN_TIMEOUT)
        except TimeoutError:
            result.error = f"timeout after {result.count} events"
        result.seconds = time.perf_counter() - start
    finally:
        await asyncio.wait_for(client.stop(), 30)
    return result


def greenswitch_events(greenswitch: Any, port: int, n: int) -> Result:
    """greenswitch: ``register_handle(EVENT_NAME, handler)`` (gevent, in this process)."""
    import gevent.event  # type: ignore[import-untyped]

    result = Result("greenswitch", expected=n)
    done = gevent.event.Event()

    def handler(event: Any) -> None:
        event.headers.get("Unique-ID")
        result.count += 1
        if result.count == n:
            done.set()

    client = greenswitch.InboundESL("127.0.0.1", port, PASSWORD, timeout=START_TIMEOUT)
    client.connect()
    try:
        client.register_handle(EVENT_NAME, handler)
        start = time.perf_counter()
        client.send(f"event plain {EVENT_NAME}")
        if not done.wait(RUN_TIMEOUT):
            result.error = f"timeout after {result.count} events"
        result.seconds = time.perf_counter() - start
    finally:
        client.stop()
    return result


# ----------------------------------------------------------------------------- bgapi drivers
async def eslkit_bgapi(port: int, k: int, concurrency: int = 1) -> Result:
    """eslkit: ``await conn.bgapi("status")``, ``concurrency`` callers."""
    name = "eslkit" if concurrency == 1 else f"eslkit ({concurrency} in flight)"
    result = Result(name, expected=k)
    async with eslkit.connect("127.0.0.1", port, PASSWORD, timeout=START_TIMEOUT) as conn:
        await conn.bgapi("status", timeout=30)  # warm-up: the BACKGROUND_JOB subscription

        async def worker(count: int) -> None:
            for _ in range(count):
                body = await conn.bgapi("status", timeout=30)
                if "UP " in body:
                    result.count += 1

        start = time.perf_counter()
        share, extra = divmod(k, concurrency)
        try:
            async with asyncio.timeout(RUN_TIMEOUT):
                await asyncio.gather(
                    *(worker(share + (1 if i < extra else 0)) for i in range(concurrency))
                )
        except TimeoutError:
            result.error = f"timeout after {result.count} jobs"
        result.seconds = time.perf_counter() - start
    return result


async def genesis_bgapi(genesis: Any, port: int, k: int) -> Result:
    """genesis: ``send("bgapi status\\nJob-UUID: …")`` + a BACKGROUND_JOB handler."""
    result = Result("genesis", expected=k)
    loop = asyncio.get_running_loop()
    waiting: dict[str, asyncio.Future[None]] = {}

    async def on_job(event: Any) -> None:
        future = waiting.pop(event.get("Job-UUID"), None)
        if future is not None and not future.done():
            future.set_result(None)

    client = genesis.Inbound("127.0.0.1", port, PASSWORD)
    await client.start()
    try:
        client.on("BACKGROUND_JOB", on_job)
        await client.send("event plain BACKGROUND_JOB")
        start = time.perf_counter()
        try:
            for _ in range(k):
                job = str(uuid.uuid4())
                future = waiting[job] = loop.create_future()
                await client.send(f"bgapi status\nJob-UUID: {job}")
                await asyncio.wait_for(future, 30)
                result.count += 1
        except TimeoutError:
            result.error = f"timeout after {result.count} jobs"
        result.seconds = time.perf_counter() - start
    finally:
        await asyncio.wait_for(client.stop(), 30)
    return result


def greenswitch_bgapi(greenswitch: Any, port: int, k: int) -> Result:
    """greenswitch: ``send("bgapi status\\nJob-UUID: …")`` + a BACKGROUND_JOB handler."""
    import gevent.event

    result = Result("greenswitch", expected=k)
    waiting: dict[str, Any] = {}

    def on_job(event: Any) -> None:
        done = waiting.pop(event.headers.get("Job-UUID"), None)
        if done is not None:
            done.set()

    client = greenswitch.InboundESL("127.0.0.1", port, PASSWORD, timeout=START_TIMEOUT)
    client.connect()
    try:
        client.register_handle("BACKGROUND_JOB", on_job)
        client.send("event plain BACKGROUND_JOB")
        start = time.perf_counter()
        for _ in range(k):
            job = str(uuid.uuid4())
            done = waiting[job] = gevent.event.Event()
            client.send(f"bgapi status\nJob-UUID: {job}")
            if not done.wait(30):
                result.error = f"timeout after {result.count} jobs"
                break
            result.count += 1
        result.seconds = time.perf_counter() - start
    finally:
        client.stop()
    return result


# ----------------------------------------------------------------------------- running
def guarded(name: str, expected: int, run: Callable[[], Result]) -> Result:
    """Run one measurement; any failure becomes a reported error, not a crash."""
    try:
        return run()
    except Exception as exc:
        return Result(name, expected=expected, error=f"{type(exc).__name__}: {exc}")


def measure_events(name: str, n: int, repeat: int, drive: Callable[[int], Result]) -> Result:
    """Best of ``repeat`` runs, each against a fresh replay server."""
    results = []
    for _ in range(repeat):
        server = start_replay(n)
        try:
            port = server.port or 0
            results.append(guarded(name, n, lambda: drive(port)))  # noqa: B023 - called at once
        finally:
            server.close()
    return best(results)


def print_table(title: str, unit: str, results: list[Result], baseline: str) -> None:
    """A table of rates with eslkit's ratio to each library."""
    print(f"\n{title}")
    ref = next((r.rate for r in results if r.library == baseline), 0.0)
    print(f"| library | {unit} | count | eslkit is |")
    print("|---|---:|---:|---:|")
    for r in results:
        if r.error is not None:
            print(f"| {r.library} | failed: {r.error} | {r.count}/{r.expected} | |")
            continue
        ratio = f"{ref / r.rate:.1f}x" if r.rate and ref and r.library != baseline else "1x"
        print(f"| {r.library} | {r.rate:,.0f} | {r.count:,} | {ratio} |")


def main() -> int:
    """Run the benchmark (or, with ``--serve``, be the replay server)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--events", type=int, default=100_000, help="events per eslkit run")
    parser.add_argument("--peer-events", type=int, help="events per peer run (default N/5)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per library (best counts)")
    parser.add_argument("--bgapi", type=int, default=2_000, help="bgapi round trips (0: skip)")
    parser.add_argument("--no-peers", action="store_true", help="measure eslkit only")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve_replay(args.events))
        return 0

    n = args.events
    peer_n = args.peer_events or max(1, n // 5)
    peers = Peers() if args.no_peers else load_peers()
    print(
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; {n:,} events for eslkit, "
        f"{peer_n:,} for the peers, best of {args.repeat}"
    )
    for dist in ("greenswitch", "genesis"):
        if args.no_peers:
            continue
        if getattr(peers, dist) is None:
            print(f"{dist}: missing ({peers.missing[dist]})")
        else:
            print(f"{dist} {peers.versions[dist]}")

    results = [
        measure_events(
            "floor: socket reads only",
            n,
            args.repeat,
            lambda p: asyncio.run(raw_floor(p, n)),
        ),
        measure_events(
            "ceiling: recv + FrameReader only",
            n,
            args.repeat,
            lambda p: asyncio.run(raw_ceiling(p, n)),
        ),
        measure_events("eslkit", n, args.repeat, lambda p: asyncio.run(eslkit_events(p, n))),
        measure_events(
            "eslkit (events() stream)",
            n,
            args.repeat,
            lambda p: asyncio.run(eslkit_stream_events(p, n)),
        ),
    ]
    if peers.greenswitch is not None:
        gs = peers.greenswitch
        results.append(
            measure_events(
                "greenswitch", peer_n, args.repeat, lambda p: greenswitch_events(gs, p, peer_n)
            )
        )
    if peers.genesis is not None:
        gn = peers.genesis
        results.append(
            measure_events(
                "genesis", peer_n, args.repeat, lambda p: asyncio.run(genesis_events(gn, p, peer_n))
            )
        )
    print_table("Events received and handled (events/s)", "events/s", results, "eslkit")

    if args.bgapi > 0:
        k = args.bgapi
        server = start_eslkit_serve()
        port = server.port or 0
        try:
            bg = [
                guarded("eslkit", k, lambda: asyncio.run(eslkit_bgapi(port, k))),
                guarded("eslkit (32 in flight)", k, lambda: asyncio.run(eslkit_bgapi(port, k, 32))),
            ]
            peer_k = max(1, k // 4)
            if peers.greenswitch is not None:
                gs = peers.greenswitch
                bg.append(
                    guarded("greenswitch", peer_k, lambda: greenswitch_bgapi(gs, port, peer_k))
                )
            if peers.genesis is not None:
                gn = peers.genesis
                bg.append(
                    guarded("genesis", peer_k, lambda: asyncio.run(genesis_bgapi(gn, port, peer_k)))
                )
        finally:
            server.close()
        print_table(
            "bgapi status round trips against eslkit serve (jobs/s)", "jobs/s", bg, "eslkit"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
