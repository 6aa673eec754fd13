"""The hostile inputs of issue #11 against ``eslkit serve``: stall and memory, measured.

Runs ``eslkit serve`` in its own process. For each attack a bystander connection pings
(``api echo``) the whole time; the script prints the longest it waited, the server's RSS
growth, and whether the server's log holds a traceback afterwards.

- a catastrophic filter regex (``/^([0-9a-f-]+)+X/`` on Core-UUID), then events;
- an authenticated 4 MiB header block with a CR in its first line and 1M short lines;
- nested ``${expand(eval ...)}`` (1,500 levels, 24 KB);
- 20 unauthenticated peers, each sending a 4 MiB partial packet (target: < +30 MB);
- 20 clients gone during ``api msleep``, then 20,000 events (target: < +20 MB).

Targets: every bystander answered within 0.5 s, memory within the bounds, no traceback.

    python bench/limits.py
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import IO

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from server import Client, free_port, rss_kib

MIB = 1 << 20


def start(port: int, log: IO[bytes]) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1] / "src"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "eslkit", "serve", "--listen-port", str(port)],
        env=env,
        stderr=log,  # a file: a full pipe would block the server's logging
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


async def login(port: int) -> Client:
    client = await Client.open(port)  # greeted and authenticated
    return client


async def command(client: Client, text: str) -> bytes:
    client.writer.write(text.encode() + b"\n\n")
    await client.writer.drain()
    while True:
        frame = await asyncio.wait_for(client.next_frame(), 120)
        if frame.content_type in ("command/reply", "api/response"):
            return frame.body or (frame.get("Reply-Text") or "").encode()


async def with_bystander(port: int, attack: Callable[[], Awaitable[None]]) -> float:
    """Run `attack` while a bystander pings; the longest ping (seconds)."""
    bystander = await login(port)
    done = asyncio.Event()
    worst = 0.0

    async def ping() -> None:
        nonlocal worst
        while not done.is_set():
            start = time.perf_counter()
            await command(bystander, "api echo ping")
            worst = max(worst, time.perf_counter() - start)
            await asyncio.sleep(0.01)

    pinger = asyncio.create_task(ping())
    try:
        await attack()
        await asyncio.sleep(0.2)
    finally:
        done.set()
        await pinger
        bystander.writer.close()
    return worst


async def attack_filter(port: int) -> None:
    client = await login(port)
    await command(client, "event plain ALL")
    await command(client, "filter Core-UUID /^([0-9a-f-]+)+X/")
    for _ in range(20):
        await command(client, "sendevent CUSTOM\nEvent-Subclass: bench::probe")
    client.writer.close()


async def attack_cr_block(port: int) -> None:
    client = await login(port)
    client.writer.write(b"api echo big\r\n" + b"a:b\n" * (MIB) + b"\n")
    while True:
        frame = await asyncio.wait_for(client.next_frame(), 300)
        if frame.content_type == "api/response":
            break
    client.writer.close()


async def attack_cr_block_with_body(port: int) -> None:
    client = await login(port)
    client.writer.write(
        b"api echo big\r\n" + b"a:b\n" * (MIB) + b"content-length: 2\n\nhi"
    )
    while True:
        frame = await asyncio.wait_for(client.next_frame(), 300)
        if frame.content_type == "api/response":
            break
    client.writer.close()


async def attack_expand(port: int) -> None:
    text = "x"
    for _ in range(1500):
        text = "${expand(eval " + text + ")}"
    client = await login(port)
    await command(client, "api eval " + text)
    client.writer.close()


async def attack_unauthenticated(port: int, peers: int = 20) -> None:
    writers = []
    for _ in range(peers):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        await reader.readuntil(b"\n\n")  # the auth/request greeting
        writers.append((reader, writer))
    chunk = b"x" * 65536

    async def flood(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            for _ in range(4 * MIB // len(chunk)):
                writer.write(chunk)
                await writer.drain()
        except ConnectionError:
            pass

    await asyncio.gather(*(flood(r, w) for r, w in writers))
    for _, writer in writers:
        writer.close()


async def attack_gone_during_msleep(port: int, clients: int = 20, events: int = 20_000) -> None:
    gone = []
    for _ in range(clients):
        client = await login(port)
        await command(client, "event plain ALL")
        client.writer.write(b"api msleep 8000\n\n")
        await client.writer.drain()
        gone.append(client)
    await asyncio.sleep(0.2)
    for client in gone:
        client.writer.transport.abort()
    sender = await login(port)
    batch = b"sendevent CUSTOM\nEvent-Subclass: bench::load\n\n" * 500
    for _ in range(events // 500):
        sender.writer.write(batch)
        for _ in range(500):
            await asyncio.wait_for(sender.next_frame(), 60)
    sender.writer.close()


async def main_async() -> int:
    port = free_port()
    log_file = tempfile.TemporaryFile()
    proc = start(port, log_file)
    failures = 0
    try:
        await asyncio.sleep(0.5)
        rows: list[tuple[str, float, float, str]] = []
        attacks: list[tuple[str, Callable[[], Awaitable[None]], float | None]] = [
            ("catastrophic filter regex + events", lambda: attack_filter(port), None),
            ("4 MiB header block, CR + 1M lines", lambda: attack_cr_block(port), None),
            (
                "4 MiB header block with a content-length and a body",
                lambda: attack_cr_block_with_body(port),
                None,
            ),
            ("nested ${expand(eval ...)} x1500", lambda: attack_expand(port), None),
            ("20 unauth peers x 4 MiB partial", lambda: attack_unauthenticated(port), 30.0),
            ("20 gone in api msleep + 20k events", lambda: attack_gone_during_msleep(port), 20.0),
        ]
        for name, attack, bound in attacks:
            before = rss_kib(proc.pid)
            worst = await with_bystander(port, attack)
            await asyncio.sleep(0.5)
            grew = (rss_kib(proc.pid) - before) / 1024
            verdict = "ok"
            if worst > 0.5 or (bound is not None and grew > bound):
                verdict = "FAIL"
                failures += 1
            target = f"< +{bound:.0f} MB" if bound is not None else ""
            rows.append((name, worst * 1000, grew, f"{verdict} {target}".strip()))
        print(f"{'attack':40} {'bystander worst':>16} {'RSS growth':>11}  verdict")
        for name, worst_ms, grew, verdict in rows:
            print(f"{name:40} {worst_ms:13.1f} ms {grew:8.1f} MB  {verdict}")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            print("FAIL: the server ignored SIGTERM")
            failures += 1
    log_file.seek(0)
    log = log_file.read().decode(errors="replace")
    if "Traceback" in log:
        print("FAIL: the server log holds a traceback:\n" + log[-3000:])
        failures += 1
    else:
        print("server log: no traceback")
    return 1 if failures else 0


def main() -> None:
    sys.exit(asyncio.run(main_async()))


if __name__ == "__main__":
    main()
