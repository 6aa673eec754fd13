"""Benchmark of the simulated switch: call setup rate through the event socket.

Runs ``eslkit serve`` in its own process and drives it over loopback:

- calls/s for ``bgapi originate null/1234 &hangup()`` with 50 calls in flight, while one
  other connection is subscribed to ``event plain ALL`` and counts what it receives;
- events per call and events/s delivered to that subscriber;
- memory per active (parked) channel.

FreeSWITCH's numbers (same scenario, 2-core machine of this kind) are quoted for comparison;
no FreeSWITCH is started here.

    python bench/calls.py [--calls 5000] [--in-flight 50] [--parked 1000] [--uvloop]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from server import Client, free_port, rss_kib, start_server


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

FREESWITCH_CALLS = 765
FREESWITCH_EVENTS_PER_CALL = 23
FREESWITCH_EVENTS = 17_600


async def run_calls(port: int, calls: int, in_flight: int) -> tuple[float, int, float]:
    """Returns (calls/s, events received by the ALL subscriber, elapsed seconds)."""
    watcher = await Client.open(port)
    watcher.writer.write(b"event plain ALL\n\n")
    await watcher.next_frame()
    control = await Client.open(port)
    control.writer.write(b"event plain BACKGROUND_JOB\n\n")
    await control.next_frame()

    received = 0
    stop = asyncio.Event()

    async def watch() -> None:
        nonlocal received
        while not stop.is_set():
            try:
                data = await asyncio.wait_for(watcher.reader.read(1 << 20), 0.5)
            except TimeoutError:
                continue
            if not data:
                return
            watcher.frames.feed(data)
            received += len(watcher.frames.frames())

    watch_task = asyncio.create_task(watch())
    started = 0
    finished = 0
    failures = 0
    start = time.perf_counter()

    def launch(count: int) -> None:
        nonlocal started
        chunk = []
        for _ in range(count):
            job = uuid.uuid4()
            chunk.append(b"bgapi originate null/1234 &hangup()\nJob-UUID: %s\n\n" % str(job).encode())
        control.writer.write(b"".join(chunk))
        started += count

    launch(min(in_flight, calls))
    while finished < calls:
        data = await asyncio.wait_for(control.reader.read(1 << 20), 60)
        if not data:
            raise ConnectionError("server closed the control connection")
        control.frames.feed(data)
        for frame in control.frames.frames():
            if frame.content_type == "text/event-plain":
                finished += 1
                if b"+OK" not in (frame.body or b"")[-60:]:
                    failures += 1
        more = min(calls - started, in_flight - (started - finished))
        if more > 0:
            launch(more)
    elapsed = time.perf_counter() - start
    # Let the subscriber catch up with the last calls' events.
    await asyncio.sleep(1.0)
    stop.set()
    await watch_task
    if failures:
        print(f"warning: {failures} originates did not return +OK", file=sys.stderr)
    # The watcher also saw the API and BACKGROUND_JOB events of each bgapi.
    return calls / elapsed, received, elapsed


async def memory_per_channel(port: int, pid: int, count: int) -> float:
    control = await Client.open(port)
    base = rss_kib(pid)
    for start in range(0, count, 100):
        batch = min(100, count - start)
        control.writer.write(b"bgapi originate null/1234 &park()\n\n" * batch)
        for _ in range(batch):
            await control.next_frame()
    # Wait until every channel exists.
    deadline = time.time() + 60
    while time.time() < deadline:
        control.writer.write(b"api show channels count\n\n")
        frame = await control.next_frame()
        text = (frame.body or b"").decode()
        if f"{count} total" in text:
            break
        await asyncio.sleep(0.2)
    after = rss_kib(pid)
    control.writer.write(b"api hupall\n\n")
    await control.next_frame()
    # The hang-ups finish after hupall's reply: let them end before the call phase's
    # subscriber starts counting events per call.
    deadline = time.time() + 60
    while time.time() < deadline:
        control.writer.write(b"api show channels count\n\n")
        frame = await control.next_frame()
        if any(line.startswith("0 total") for line in (frame.body or b"").decode().split("\n")):
            break
        await asyncio.sleep(0.2)
    return (after - base) * 1024 / count


async def main_async(args: argparse.Namespace) -> None:
    port = free_port()
    proc = start_server(port, args.uvloop)
    try:
        # Memory first, on a fresh process (freed memory would be reused afterwards).
        per_channel = await memory_per_channel(port, proc.pid, args.parked)
        cpu_before = cpu_seconds(proc.pid)
        rate, events, elapsed = await run_calls(port, args.calls, args.in_flight)
        # The run's last second is the subscriber catching up; count CPU over the calls only.
        cpu = cpu_seconds(proc.pid) - cpu_before
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except Exception:
            proc.kill()
    events_per_call = events / args.calls
    loop = "uvloop" if args.uvloop else "asyncio"
    print(f"eslkit serve ({loop}): bgapi originate null/1234 &hangup(), {args.in_flight} in flight,")
    print("one 'event plain ALL' subscriber; FreeSWITCH 1.11 on a 2-core machine for comparison")
    rows = [
        ("calls/s", f"{rate:,.0f}", f"{FREESWITCH_CALLS:,}", ">= 765"),
        ("events per call (subscriber)", f"{events_per_call:.1f}", f"{FREESWITCH_EVENTS_PER_CALL}", "same"),
        ("events/s to the subscriber", f"{events / elapsed:,.0f}", f"{FREESWITCH_EVENTS:,}", ""),
        ("server CPU per call", f"{cpu / args.calls * 1000:.2f} ms", "", ""),
        ("calls/s per busy server core", f"{args.calls / cpu:,.0f}", "", ""),
        ("memory per parked channel", f"{per_channel / 1024:.1f} KB", "n/a", ""),
    ]
    print(f"{'metric':<32}{'eslkit':>14}{'FreeSWITCH':>14}{'target':>10}")
    for name, ours, theirs, target in rows:
        print(f"{name:<32}{ours:>14}{theirs:>14}{target:>10}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--in-flight", type=int, default=50)
    parser.add_argument("--parked", type=int, default=1000)
    parser.add_argument("--uvloop", action="store_true")
    args = parser.parse_args()
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
