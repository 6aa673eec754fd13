"""Benchmark of ``eslkit serve``: api round trips, event throughput, latency, memory.

Runs the server in its own process (so the load generator does not share its core), drives
it over loopback with raw sockets, and prints eslkit's numbers next to FreeSWITCH's as
measured on a 2-core machine of this kind (quoted from the project's issue tracker; no
FreeSWITCH is started here).

    python bench/server.py [--quick] [--uvloop] [--idle 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from eslkit.protocol.frames import FrameReader

FREESWITCH = {
    "api echo round trips/s (1 connection, one at a time)": "8,800",
    "  same client vs a canned-reply asyncio server": "",
    "  same client vs a canned-reply blocking server": "",
    "api echo round trips/s (1 connection, 16 in flight)": "",
    "events/s, sendevent -> 1 subscriber": "4,300",
    "events/s, sendevent -> 4 subscribers (aggregate)": "15,500",
    "idle event latency p50": "10 ms",
    "idle event latency p99": "~20 ms (20 ms poll)",
    "  with --event-poll-ms 0, p50": "",
    "  with --event-poll-ms 0, p99": "",
    "memory per idle connection": "n/a",
    "idle connections held": "n/a",
}
TARGETS = {
    "api echo round trips/s (1 connection, one at a time)": ">= 13,000",
    "  same client vs a canned-reply asyncio server": "(ceiling)",
    "  same client vs a canned-reply blocking server": "(ceiling)",
    "api echo round trips/s (1 connection, 16 in flight)": "",
    "events/s, sendevent -> 1 subscriber": ">= 43,000",
    "events/s, sendevent -> 4 subscribers (aggregate)": ">= 78,000",
    "idle event latency p50": "(poll)",
    "idle event latency p99": "~20 ms",
    "  with --event-poll-ms 0, p50": "",
    "  with --event-poll-ms 0, p99": "< 1 ms",
    "memory per idle connection": "<= 20 KB",
    "idle connections held": "10,000",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Client:
    """A raw ESL connection with a frame reader."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.frames = FrameReader()

    @classmethod
    async def open(cls, port: int) -> Client:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 22)
        client = cls(reader, writer)
        await client.next_frame()
        client.writer.write(b"auth ClueCon\n\n")
        await client.next_frame()
        return client

    async def next_frame(self):  # type: ignore[no-untyped-def]
        while True:
            frame = self.frames.next_frame()
            if frame is not None:
                return frame
            data = await self.reader.read(1 << 20)
            if not data:
                raise ConnectionError("closed")
            self.frames.feed(data)

    async def count_frames(self, n: int) -> None:
        seen = 0
        while seen < n:
            data = await self.reader.read(1 << 20)
            if not data:
                raise ConnectionError("closed")
            self.frames.feed(data)
            seen += len(self.frames.frames())


def blocking_api(port: int, seconds: float, depth: int = 1) -> float:
    """``api echo hello`` round trips per second on one connection, from a plain blocking
    socket (the leanest Python client, so the number is the server's): one request at a
    time with ``depth`` 1, else ``depth`` requests kept in flight."""
    request = b"api echo hello\n\n"
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        frames = FrameReader()

        def wait_frames() -> int:
            while True:
                got = len(frames.frames())
                if got:
                    return got
                data = sock.recv(1 << 16)
                if not data:
                    raise ConnectionError("closed")
                frames.feed(data)

        wait_frames()  # the greeting
        sock.sendall(b"auth ClueCon\n\n")
        wait_frames()
        done = 0
        start = time.perf_counter()
        deadline = start + seconds
        sock.sendall(request * depth)
        while True:
            got = wait_frames()
            done += got
            if time.perf_counter() > deadline:
                break
            sock.sendall(request * got)
        elapsed = time.perf_counter() - start
    return done / elapsed


async def bench_events(port: int, subscribers: int, total: int) -> float:
    subs = [await Client.open(port) for _ in range(subscribers)]
    for sub in subs:
        sub.writer.write(b"event plain CUSTOM bench::event\n\n")
        await sub.next_frame()
    sender = await Client.open(port)
    command = b"sendevent CUSTOM\nEvent-Subclass: bench::event\nX-Bench: 1\n\n"
    window = 2000
    start = time.perf_counter()

    async def send() -> None:
        sent = 0
        acked = 0
        while acked < total:
            burst = min(window - (sent - acked), total - sent)
            if burst > 0:
                sender.writer.write(command * burst)
                sent += burst
            data = await sender.reader.read(1 << 20)
            if not data:
                raise ConnectionError("closed")
            sender.frames.feed(data)
            acked += len(sender.frames.frames())

    await asyncio.gather(send(), *(sub.count_frames(total) for sub in subs))
    elapsed = time.perf_counter() - start
    for client in [*subs, sender]:
        client.writer.close()
    return total * subscribers / elapsed


async def bench_latency(port: int, samples: int) -> tuple[float, float]:
    sub = await Client.open(port)
    sub.writer.write(b"event plain CUSTOM bench::lat\n\n")
    await sub.next_frame()
    sender = await Client.open(port)
    latencies: list[float] = []
    for _ in range(samples):
        await asyncio.sleep(0.002)
        sent = time.perf_counter()
        sender.writer.write(b"sendevent CUSTOM\nEvent-Subclass: bench::lat\n\n")
        while True:
            frame = await sub.next_frame()
            if (frame.content_type or "").startswith("text/event"):
                break
        latencies.append(time.perf_counter() - sent)
        await sender.next_frame()
    latencies.sort()
    p50 = statistics.median(latencies)
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    return p50 * 1000, p99 * 1000


async def latency_without_poll(use_uvloop: bool, samples: int) -> tuple[float, float]:
    """bench_latency against a fresh server started with ``--event-poll-ms 0``."""
    port = free_port()
    proc = start_server(port, use_uvloop, ("--event-poll-ms", "0"))
    try:
        return await bench_latency(port, samples)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def bench_idle(port: int, pid: int, count: int) -> tuple[float, int]:
    base = rss_kib(pid)
    clients = []
    for index in range(count):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"auth ClueCon\n\n")
        clients.append((reader, writer))
        if index % 500 == 499:
            await asyncio.sleep(0.05)
    # Make sure every connection is authenticated and idle.
    for reader, _ in clients:
        data = b""
        while data.count(b"\n\n") < 2:
            chunk = await reader.read(4096)
            if not chunk:
                break
            data += chunk
    await asyncio.sleep(1.0)
    held = 0
    probe = await Client.open(port)
    probe.writer.write(b"api echo alive\n\n")
    await probe.next_frame()
    after = rss_kib(pid)
    for reader, writer in clients:
        if not reader.at_eof():
            held += 1
        writer.close()
    per_conn = (after - base) * 1024 / max(count, 1)
    return per_conn, held


ECHO_SERVER = """
import asyncio, sys
class P(asyncio.Protocol):
    def connection_made(self, t):
        self.t = t
        t.write(b"Content-Type: auth/request\\n\\n")
    def data_received(self, d):
        if d.startswith(b"auth"):
            self.t.write(b"Content-Type: command/reply\\nReply-Text: +OK accepted\\n\\n")
        else:
            self.t.write(b"Content-Type: api/response\\nContent-Length: 5\\n\\nhello")
async def main():
    await asyncio.get_running_loop().create_server(P, "127.0.0.1", int(sys.argv[1]))
    await asyncio.sleep(3600)
asyncio.run(main())
"""


BLOCKING_ECHO_SERVER = """
import socket, sys
listener = socket.create_server(("127.0.0.1", int(sys.argv[1])))
conn, _ = listener.accept()
conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
conn.sendall(b"Content-Type: auth/request\\n\\n")
while True:
    data = conn.recv(65536)
    if not data:
        break
    if data.startswith(b"auth"):
        conn.sendall(b"Content-Type: command/reply\\nReply-Text: +OK accepted\\n\\n")
    else:
        conn.sendall(b"Content-Type: api/response\\nContent-Length: 5\\n\\nhello" * data.count(b"\\n\\n"))
"""


def echo_ceiling(source: str, seconds: float) -> float:
    """The same round trips against a few-line server that answers every packet with a
    canned api/response: the ceiling this client and machine allow."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", source, str(port)])
    try:
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                # The blocking server takes one connection: probe by connecting for real.
                return blocking_api(port, seconds)
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("echo server did not start")
    finally:
        proc.kill()
        proc.wait()


def start_server(port: int, use_uvloop: bool, extra: tuple[str, ...] = ()) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "eslkit", "serve", "--listen-port", str(port), "--log-level", "WARNING", *extra]
    # The idle-connection test holds 10,000 connections from one address, past the default caps.
    cmd += ["--max-connections", "20000", "--max-connections-per-address", "20000"]
    if use_uvloop:
        cmd.append("--uvloop")
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1] / "src"))
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE)
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start")


async def main_async(args: argparse.Namespace) -> None:
    port = free_port()
    proc = start_server(port, args.uvloop)
    try:
        seconds = 1.0 if args.quick else 3.0
        events = 20_000 if args.quick else 100_000
        results: dict[str, str] = {}
        # The load generator is a blocking socket in a thread (the event loop is idle).
        api = await asyncio.to_thread(blocking_api, port, seconds)
        results["api echo round trips/s (1 connection, one at a time)"] = f"{api:,.0f}"
        ceiling = await asyncio.to_thread(echo_ceiling, ECHO_SERVER, seconds)
        results["  same client vs a canned-reply asyncio server"] = f"{ceiling:,.0f}"
        ceiling = await asyncio.to_thread(echo_ceiling, BLOCKING_ECHO_SERVER, seconds)
        results["  same client vs a canned-reply blocking server"] = f"{ceiling:,.0f}"
        pipelined = await asyncio.to_thread(blocking_api, port, seconds, 16)
        results["api echo round trips/s (1 connection, 16 in flight)"] = f"{pipelined:,.0f}"
        results["events/s, sendevent -> 1 subscriber"] = f"{await bench_events(port, 1, events):,.0f}"
        results["events/s, sendevent -> 4 subscribers (aggregate)"] = (
            f"{await bench_events(port, 4, events // 2):,.0f}"
        )
        samples = 300 if args.quick else 2000
        # By default the server polls like FreeSWITCH (an idle subscriber gets an event when
        # its 20 ms poll ends); the server's own latency is measured without the poll.
        p50, p99 = await bench_latency(port, samples)
        results["idle event latency p50"] = f"{p50:.3f} ms"
        results["idle event latency p99"] = f"{p99:.3f} ms"
        p50, p99 = await latency_without_poll(args.uvloop, samples)
        results["  with --event-poll-ms 0, p50"] = f"{p50:.3f} ms"
        results["  with --event-poll-ms 0, p99"] = f"{p99:.3f} ms"
        idle = 1000 if args.quick else args.idle
        per_conn, held = await bench_idle(port, proc.pid, idle)
        results["memory per idle connection"] = f"{per_conn / 1024:.1f} KB"
        results["idle connections held"] = f"{held:,} of {idle:,}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    loop_name = "uvloop" if args.uvloop else "asyncio"
    print(f"eslkit serve ({loop_name}, Python {sys.version.split()[0]}) vs FreeSWITCH 1.11 mod_event_socket")
    width = max(len(k) for k in results)
    print(f"{'metric':<{width}}  {'eslkit':>18}  {'FreeSWITCH':>22}  {'target':>10}")
    for key, value in results.items():
        print(f"{key:<{width}}  {value:>18}  {FREESWITCH[key]:>22}  {TARGETS[key]:>10}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short run (CI smoke)")
    parser.add_argument("--uvloop", action="store_true", help="run the server on uvloop")
    parser.add_argument("--idle", type=int, default=10_000, help="idle connections to hold")
    args = parser.parse_args()
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
