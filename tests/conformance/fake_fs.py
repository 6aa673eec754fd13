"""A fake FreeSWITCH that replays a recorded case's bytes, to test the harness itself.

It accepts the harness's inbound connections (the n-th accepted socket is the n-th ``connect``
step's conn), connects to the harness's outbound port for ``accept`` steps, and sends each
connection's recorded ``received_b64`` in its recorded chunks. Each chunk waits for the
harness's sends that preceded it in the recording (any connection), then for the recorded
delay after the latest of them, and never comes sooner after the previous chunk than it did
in the recording. Gaps longer than ``long_gap`` are shortened (divided by ``time_scale``, but
never below ``long_gap``), so the ~25 s cases run in seconds while every quiet window, all of
which are shorter than ``long_gap``, still holds.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .harness import RECORDED_PORT, Case, split_frames

ROUNDING = 0.0005  # recorded send times are rounded to milliseconds
GAP_MARGIN = 0.005  # extra delay on each replayed gap, so quiet windows keep a margin


@dataclass(slots=True)
class _Chunk:
    data: bytes
    t: float  # recorded time
    prereqs: list[int]  # indices into FakeFS.sends
    external: bool  # waits for stop_switch
    close: bool = False  # EOF instead of data


@dataclass(slots=True)
class _Send:
    conn: str
    step: int
    t: float
    end: int  # cumulative byte count on the conn once this send is complete
    done: asyncio.Event = field(default_factory=asyncio.Event)
    at: float = 0.0  # monotonic time the fake received it


Mutator = Callable[[str, bytes, list[tuple[float, int]]], tuple[bytes, list[tuple[float, int]]]]


class FakeFS:
    """Replays ``case`` (with its ``.raw``) on a real socket bound to 127.0.0.1."""

    def __init__(
        self,
        case: Case,
        raw: dict[str, Any],
        *,
        time_scale: float = 10.0,
        long_gap: float = 3.0,
        mutate: Mutator | None = None,
    ) -> None:
        self.case = case
        self.raw = raw
        self.time_scale = time_scale
        self.long_gap = long_gap
        self.port = 0
        self.outbound_port: int | None = None
        self.sends: list[_Send] = []
        self.chunks: dict[str, list[_Chunk]] = {}
        self.inbound_order: list[str] = []
        self.outbound_names: list[tuple[str, int]] = []  # (conn, accept step)
        self.stopped = asyncio.Event()
        self.stopped_at = 0.0
        self.t_ext = 0.0
        self.errors: list[str] = []
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: list[asyncio.StreamWriter] = []
        self._plan(mutate)

    # -- planning ------------------------------------------------------------------------

    def _plan(self, mutate: Mutator | None) -> None:
        steps = self.case.steps
        sends_by_conn: dict[str, list[int]] = {}
        block_of_frame: dict[str, list[int]] = {}
        closed_step: dict[str, int] = {}
        ext_step: int | None = None
        for idx, s in enumerate(steps):
            c: str = s.get("conn", "")
            if s.get("connect"):
                self.inbound_order.append(c)
            elif s.get("accept"):
                self.outbound_names.append((c, idx))
            elif "send" in s or "send_b64" in s:
                sends_by_conn.setdefault(c, []).append(idx)
            elif "expect" in s:
                block_of_frame.setdefault(c, []).extend([idx] * len(s["expect"]))
            elif s.get("expect_closed"):
                closed_step[c] = idx
            elif s.get("external"):
                ext_step = idx
        for conn, rec in self.raw.items():
            cum = 0
            steps_here = sends_by_conn.get(conn, [])
            if len(steps_here) != len(rec["sent"]):
                raise ValueError(f"{conn}: {len(steps_here)} send steps, {len(rec['sent'])} sent")
            for step, (t, b64) in zip(steps_here, rec["sent"], strict=True):
                cum += len(self._send_bytes(steps[step], base64.b64decode(b64)))
                self.sends.append(_Send(conn, step, float(t), cum))
        last_send_before_ext = max(
            (s.t for s in self.sends if ext_step is not None and s.step < ext_step), default=0.0
        )
        plans: dict[str, list[tuple[float, int, int]]] = {}  # (t, start, block step)
        for conn, rec in self.raw.items():
            data = base64.b64decode(rec["received_b64"])
            frames, _ = split_frames(data)
            blocks = block_of_frame.get(conn, [])
            start = 0
            out = []
            for t, end in rec["received_chunks"]:
                fi = next((i for i, (_, s, e) in enumerate(frames) if s <= start < e), None)
                block = blocks[fi] if fi is not None and fi < len(blocks) else len(steps)
                out.append((float(t), start, block))
                start = end
            if rec.get("eof_at") is not None:
                out.append((float(rec["eof_at"]), -1, closed_step.get(conn, len(steps))))
            plans[conn] = out
        if ext_step is not None:
            after = [
                t
                for plan in plans.values()
                for t, _, block in plan
                if block > ext_step and t > last_send_before_ext
            ]
            self.t_ext = min(after, default=last_send_before_ext)
        for conn, rec in self.raw.items():
            data = base64.b64decode(rec["received_b64"])
            bounds = [(float(t), int(e)) for t, e in rec["received_chunks"]]
            if mutate is not None:
                data, bounds = mutate(conn, data, bounds)
            chunks: list[_Chunk] = []
            start = 0
            plan = plans[conn]
            for i, (t, start_block_step) in enumerate((p[0], p[2]) for p in plan):
                is_eof = plan[i][1] == -1
                pre = [
                    j
                    for j, s in enumerate(self.sends)
                    if s.step < start_block_step and s.t <= t + ROUNDING
                ]
                ext = ext_step is not None and start_block_step > ext_step and t >= self.t_ext
                if is_eof:
                    chunks.append(_Chunk(b"", t, pre, ext, close=True))
                else:
                    end = bounds[i][1] if i < len(bounds) else len(data)
                    chunks.append(_Chunk(data[start:end], t, pre, ext))
                    start = end
            if start < len(data) and chunks:
                # a mutation made the stream longer: the rest goes with the last data chunk
                last = next(c for c in reversed(chunks) if not c.close)
                last.data += data[start:]
            self.chunks[conn] = chunks

    def _send_bytes(self, step: dict[str, Any], recorded: bytes) -> bytes:
        if "{{port}}" in step.get("send", "") and self.outbound_port is not None:
            return recorded.replace(str(RECORDED_PORT).encode(), str(self.outbound_port).encode())
        return recorded

    def _compress(self, gap: float) -> float:
        gap = max(0.0, gap)
        if gap <= self.long_gap:
            return gap
        return max(self.long_gap, gap / self.time_scale)

    # -- running -------------------------------------------------------------------------

    async def start(self, outbound_port: int | None = None) -> int:
        """Listen on a free port; return it. ``outbound_port``: the harness's listen port."""
        if outbound_port is not None and len(str(outbound_port)) != len(str(RECORDED_PORT)):
            raise ValueError("the fake rewrites the port in place: use a 5-digit port")
        self.outbound_port = outbound_port
        if outbound_port is not None and self.case.mode == "outbound":
            old, new = str(RECORDED_PORT).encode(), str(outbound_port).encode()
            for chunks in self.chunks.values():
                for ch in chunks:
                    ch.data = ch.data.replace(old, new)
        self._server = await asyncio.start_server(self._on_accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        for conn, step in self.outbound_names:
            self._spawn(self._outbound(conn, step))
        return self.port

    async def stop_switch(self) -> None:
        """The ``external: stop_switch`` step."""
        self.stopped_at = time.monotonic()
        self.stopped.set()

    async def close(self) -> None:
        """Stop everything."""
        for t in list(self._tasks):
            t.cancel()
        for t in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        for w in self._writers:
            w.close()
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._server.wait_closed(), 2.0)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _on_accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.append(writer)
        if not self.inbound_order:
            self.errors.append("unexpected extra inbound connection")
            writer.close()
            return
        conn = self.inbound_order.pop(0)
        self._spawn(self._serve(conn, reader, writer))

    async def _outbound(self, conn: str, accept_step: int) -> None:
        pre = [s for s in self.sends if s.step < accept_step]
        for s in pre:
            await s.done.wait()
        assert self.outbound_port is not None
        reader, writer = await asyncio.open_connection("127.0.0.1", self.outbound_port)
        self._writers.append(writer)
        await self._serve(conn, reader, writer)

    async def _serve(
        self, conn: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self._spawn(self._read(conn, reader))
        prev_release: float | None = None
        prev_t = 0.0
        for ch in self.chunks.get(conn, []):
            release = time.monotonic() if prev_release is None else 0.0
            if prev_release is not None:
                release = prev_release + self._compress(ch.t - prev_t) + GAP_MARGIN
            for j in ch.prereqs:
                s = self.sends[j]
                await s.done.wait()
                release = max(release, s.at + self._compress(ch.t - s.t))
            if ch.external:
                await self.stopped.wait()
                release = max(release, self.stopped_at + self._compress(ch.t - self.t_ext))
            delay = release - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if ch.close:
                writer.close()
                return
            writer.write(ch.data)
            await writer.drain()
            prev_release, prev_t = time.monotonic(), ch.t

    async def _read(self, conn: str, reader: asyncio.StreamReader) -> None:
        total = 0
        mine = [s for s in self.sends if s.conn == conn]
        while True:
            data = await reader.read(65536)
            if not data:
                return
            total += len(data)
            now = time.monotonic()
            for s in mine:
                if not s.done.is_set() and total >= s.end:
                    s.at = now
                    s.done.set()
