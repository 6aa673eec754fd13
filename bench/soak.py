"""Soak ``eslkit serve``: calls and connections for N minutes, RSS and loop lag over time.

Runs ``eslkit serve`` in its own process and, for ``--minutes`` (default 10):

- keeps ``--in-flight`` calls going (``bgapi originate null/1234 &hangup()``), counted by
  their BACKGROUND_JOB events, with one ``event plain ALL`` subscriber reading everything;
- opens and closes connections (auth, a command, exit; some dropped without ``exit``, some
  never authenticating), ``--churn`` per second;
- with ``--hostile``, also sends the inputs of issue #11 now and then (a catastrophic filter,
  a CR header block, nested expansion, an unauthenticated partial packet, a client gone
  during ``api msleep``).

Every ``--every`` seconds it prints the server's RSS, the loop lag (the longest and the
median round trip of an ``api echo`` sent every 50 ms by an idle bystander), calls/s and
connections/s. Flat RSS and a lag that stays in milliseconds are the pass criteria; the
CREATE/DESTROY balance is checked at the end.

    python bench/soak.py [--minutes 10] [--in-flight 50] [--churn 20] [--hostile]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from server import Client, free_port, rss_kib


def start(port: int, log: IO[bytes]) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1] / "src"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "eslkit", "serve", "--listen-port", str(port), "--log-level", "WARNING"],
        env=env,
        stderr=log,
    )
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start")


class Stats:
    def __init__(self) -> None:
        self.calls = 0
        self.connections = 0
        self.lags: list[float] = []
        self.creates = 0
        self.destroys = 0
        self.hostile = 0


async def calls(port: int, in_flight: int, stats: Stats, stop: asyncio.Event) -> None:
    control = await Client.open(port)
    control.writer.write(b"event plain BACKGROUND_JOB\n\n")
    await control.next_frame()
    pending = 0
    while not stop.is_set():
        if pending < in_flight:
            more = in_flight - pending
            control.writer.write(b"bgapi originate null/1234 &hangup()\n\n" * more)
            pending += more
        try:
            data = await asyncio.wait_for(control.reader.read(1 << 20), 1.0)
        except TimeoutError:
            continue
        if not data:
            raise ConnectionError("the server closed the call connection")
        control.frames.feed(data)
        for frame in control.frames.frames():
            if frame.content_type == "text/event-plain":
                pending -= 1
                stats.calls += 1
    control.writer.close()


async def subscriber(port: int, stats: Stats, stop: asyncio.Event) -> None:
    watcher = await Client.open(port)
    watcher.writer.write(b"event plain CHANNEL_CREATE CHANNEL_DESTROY\n\n")
    await watcher.next_frame()
    while not stop.is_set():
        try:
            data = await asyncio.wait_for(watcher.reader.read(1 << 20), 1.0)
        except TimeoutError:
            continue
        if not data:
            raise ConnectionError("the server closed the subscriber")
        watcher.frames.feed(data)
        for frame in watcher.frames.frames():
            body = frame.body or b""
            if b"Event-Name: CHANNEL_CREATE\n" in body:
                stats.creates += 1
            elif b"Event-Name: CHANNEL_DESTROY\n" in body:
                stats.destroys += 1
    # Let the last calls finish, then read what is left.
    deadline = time.time() + 10
    while stats.destroys < stats.creates and time.time() < deadline:
        try:
            data = await asyncio.wait_for(watcher.reader.read(1 << 20), 1.0)
        except TimeoutError:
            continue
        watcher.frames.feed(data)
        for frame in watcher.frames.frames():
            if b"Event-Name: CHANNEL_DESTROY\n" in (frame.body or b""):
                stats.destroys += 1
    watcher.writer.close()


async def bystander(port: int, stats: Stats, stop: asyncio.Event) -> None:
    client = await Client.open(port)
    while not stop.is_set():
        start = time.perf_counter()
        client.writer.write(b"api echo lag\n\n")
        await client.next_frame()
        stats.lags.append(time.perf_counter() - start)
        await asyncio.sleep(0.05)
    client.writer.close()


async def churn(port: int, per_second: int, stats: Stats, stop: asyncio.Event) -> None:
    rng = random.Random(1)
    while not stop.is_set():
        began = time.perf_counter()
        for _ in range(per_second):
            kind = rng.random()
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            await reader.readuntil(b"\n\n")
            if kind < 0.1:
                writer.write(b"api status\n\n")  # never authenticates: the server ends it
            elif kind < 0.3:
                writer.write(b"auth ClueCon\n\napi status\n\n")
                await reader.read(4096)
                writer.transport.abort()  # gone without exit
                stats.connections += 1
                continue
            else:
                writer.write(b"auth ClueCon\n\napi echo x\n\nexit\n\n")
                with contextlib.suppress(ConnectionError):
                    while await reader.read(65536):
                        pass
            writer.close()
            stats.connections += 1
        await asyncio.sleep(max(0.0, 1.0 - (time.perf_counter() - began)))


async def hostile(port: int, stats: Stats, stop: asyncio.Event) -> None:
    rng = random.Random(2)
    while not stop.is_set():
        await asyncio.sleep(5)
        client = await Client.open(port)
        choice = rng.randrange(5)
        if choice == 0:
            client.writer.write(b"event plain ALL\n\nfilter Core-UUID /^([0-9a-f-]+)+X/\n\n")
        elif choice == 1:
            client.writer.write(b"api echo big\r\n" + b"a:b\n" * 100_000 + b"\n")
        elif choice == 2:
            text = "x"
            for _ in range(300):
                text = "${expand(eval " + text + ")}"
            client.writer.write(f"api eval {text}\n\n".encode())
        elif choice == 3:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            with contextlib.suppress(ConnectionError):
                writer.write(b"x" * 200_000)
                await writer.drain()
            writer.close()
        else:
            client.writer.write(b"event plain ALL\n\napi msleep 3000\n\n")
            await asyncio.sleep(0.1)
            client.writer.transport.abort()
            stats.hostile += 1
            continue
        await asyncio.sleep(1.0)
        client.writer.close()
        stats.hostile += 1


async def main_async(args: argparse.Namespace) -> int:
    port = free_port()
    log = tempfile.TemporaryFile()
    proc = start(port, log)
    stats = Stats()
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(subscriber(port, stats, stop)),
        asyncio.create_task(calls(port, args.in_flight, stats, stop)),
        asyncio.create_task(bystander(port, stats, stop)),
        asyncio.create_task(churn(port, args.churn, stats, stop)),
    ]
    if args.hostile:
        tasks.append(asyncio.create_task(hostile(port, stats, stop)))
    print(f"{'time':>6} {'RSS MB':>8} {'lag max ms':>11} {'lag p50 ms':>11} {'calls/s':>8} {'conns/s':>8}")
    begin = time.perf_counter()
    end = begin + args.minutes * 60
    last_calls = last_conns = 0
    try:
        while time.perf_counter() < end:
            await asyncio.sleep(args.every)
            for task in tasks:
                if task.done() and task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
            lags, stats.lags = stats.lags, []
            rss = rss_kib(proc.pid) / 1024
            print(
                f"{time.perf_counter() - begin:6.0f} {rss:8.1f} "
                f"{max(lags, default=0) * 1000:11.1f} {statistics.median(lags or [0]) * 1000:11.2f} "
                f"{(stats.calls - last_calls) / args.every:8.0f} "
                f"{(stats.connections - last_conns) / args.every:8.1f}",
                flush=True,
            )
            last_calls, last_conns = stats.calls, stats.connections
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            print("the server ignored SIGTERM")
    log.seek(0)
    text = log.read().decode(errors="replace")
    print(
        f"calls {stats.calls}, CHANNEL_CREATE {stats.creates}, CHANNEL_DESTROY {stats.destroys}, "
        f"connections {stats.connections}, hostile inputs {stats.hostile}, "
        f"traceback in the server log: {'YES' if 'Traceback' in text else 'no'}"
    )
    return 0 if stats.creates == stats.destroys and "Traceback" not in text else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--in-flight", type=int, default=50)
    parser.add_argument("--churn", type=int, default=20, help="connections opened per second")
    parser.add_argument("--every", type=float, default=10.0, help="seconds between report lines")
    parser.add_argument("--hostile", action="store_true", help="mix in the hostile inputs")
    args = parser.parse_args()
    sys.exit(asyncio.run(main_async(args)))


if __name__ == "__main__":
    main()
