"""The switch's clock and its task scheduler.

:class:`Clock` is scaled time: with a scale of 10, ten seconds of switch time pass in one real
second, so every timer (heartbeat, ``msleep``, ``sched_api``, uptime) runs ten times faster.
Wall-clock dates on events and log lines stay real; only durations and schedules scale.

:class:`Scheduler` reproduces ``switch_scheduler.c``: tasks run when the (scaled) epoch second
reaches their runtime; a task that sets a later runtime, or that repeats, is rescheduled and
announced with RE_SCHEDULE; any other is deleted after it ran (DEL_SCHEDULE). ADD_SCHEDULE
announces new tasks. The events are created at once and fired from the event loop right after,
as FreeSWITCH queues them to its task thread. FreeSWITCH never fires EXE_SCHEDULE, and
neither does this scheduler.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

__all__ = ["MAX_TASKS", "Clock", "ScheduledTask", "Scheduler", "TaskFunction", "TaskNotifier"]

MAX_TASKS = 100_000
"""Cap on scheduled tasks (FreeSWITCH has none)."""


class Clock:
    """Scaled monotonic time for timers and uptime; real time for dates."""

    __slots__ = ("_mono_start", "_scale", "_wall_start")

    def __init__(self, time_scale: float = 1.0) -> None:
        if not time_scale > 0:
            raise ValueError("time_scale must be positive")
        self._scale = float(time_scale)
        self._mono_start = time.monotonic()
        self._wall_start = time.time()

    @property
    def scale(self) -> float:
        """How many switch seconds pass per real second."""
        return self._scale

    def elapsed(self) -> float:
        """Switch seconds since the clock was created."""
        return (time.monotonic() - self._mono_start) * self._scale

    def epoch(self) -> float:
        """The scheduler's epoch time: the real start time plus scaled elapsed time."""
        return self._wall_start + self.elapsed()

    def align_second(self, phase: float) -> None:
        """Move the scheduler's epoch forward (less than a second) so that its fractional
        second is ``phase`` now. FreeSWITCH counts scheduler runtimes, originate timeouts and
        record limits in whole epoch seconds; a replay of a recording aligned this way meets
        those second boundaries at the moments the recording did. Event dates stay real."""
        self._wall_start += (phase - self.epoch()) % 1.0

    @staticmethod
    def wall_us() -> int:
        """Real wall-clock time in microseconds since the epoch (for event dates)."""
        return time.time_ns() // 1000

    def real_delay(self, seconds: float) -> float:
        """The real duration of ``seconds`` of switch time."""
        return max(0.0, seconds) / self._scale

    async def sleep(self, seconds: float) -> None:
        """Sleep ``seconds`` of switch time."""
        await asyncio.sleep(self.real_delay(seconds))


TaskFunction = Callable[["ScheduledTask"], "Awaitable[None] | None"]
#: Called with the event name (ADD_SCHEDULE, DEL_SCHEDULE, RE_SCHEDULE) and the task.
TaskNotifier = Callable[[str, "ScheduledTask"], None]


@dataclass(slots=True, eq=False)
class ScheduledTask:
    """One scheduler task (``switch_scheduler_task_t`` plus its container flags)."""

    task_id: int
    desc: str
    group: str
    #: Epoch second (switch clock) at which the task runs next; a function may move it.
    runtime: int
    function: TaskFunction
    repeat: int = 0
    no_delete: bool = False
    own_thread: bool = False
    created: int = 0
    executed: int = 0
    running: bool = False
    destroyed: bool = False
    destroy_requested: bool = False
    data: object = None
    _handle: asyncio.Task[None] | None = field(default=None, repr=False)


class Scheduler:
    """``switch_scheduler``: timed tasks on the switch clock, run from one asyncio task."""

    def __init__(
        self, clock: Clock, notify: TaskNotifier, on_error: Callable[[BaseException], None]
    ) -> None:
        self._clock = clock
        self._notify = notify
        self._on_error = on_error
        self._tasks: list[ScheduledTask] = []
        self._last_id = 0
        self._wakeup = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------------ control
    def start(self) -> None:
        """Start the task loop (inside a running event loop)."""
        if self._runner is None:
            self._runner = asyncio.get_running_loop().create_task(
                self._run(), name="switch-scheduler"
            )

    async def stop(self) -> None:
        """Stop the loop and every running task; no DEL_SCHEDULE is fired (as in FreeSWITCH)."""
        pending = [t for t in (self._runner, *self._background) if t is not None]
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=5.0)
        for task in pending:
            if task.done() and not task.cancelled() and task.exception() is not None:
                self._on_error(task.exception())  # type: ignore[arg-type]
        self._runner = None
        self._background.clear()
        self._tasks.clear()

    @property
    def tasks(self) -> list[ScheduledTask]:
        """The live tasks, in insertion order. Do not mutate."""
        return self._tasks

    def now(self) -> int:
        """The current epoch second on the switch clock."""
        return int(self._clock.epoch())

    # ------------------------------------------------------------------ tasks
    def add(
        self,
        runtime: int,
        function: TaskFunction,
        desc: str,
        group: str,
        *,
        no_delete: bool = False,
        own_thread: bool = False,
        data: object = None,
    ) -> int:
        """``switch_scheduler_add_task``: returns the new task id (0 when the table is full).

        A ``runtime`` in the past is FreeSWITCH's "relative and repeating" form: the task
        repeats every ``runtime`` seconds, starting ``runtime`` seconds from now.
        """
        if len(self._tasks) >= MAX_TASKS:
            return 0
        now = self.now()
        repeat = 0
        if runtime < now:
            repeat = max(0, runtime)
            runtime += now
        self._last_id = (self._last_id % 0xFFFFFFFF) + 1
        task = ScheduledTask(
            task_id=self._last_id,
            desc=desc or "none",
            group=group or "none",
            runtime=runtime,
            function=function,
            repeat=repeat,
            no_delete=no_delete,
            own_thread=own_thread,
            created=now,
            data=data,
        )
        self._tasks.append(task)
        self._notify("ADD_SCHEDULE", task)
        self._wakeup.set()
        return task.task_id

    def delete_id(self, task_id: int) -> int:
        """``switch_scheduler_del_task_id``: 1 if a deletable task was marked, else 0."""
        for task in self._tasks:
            if task.task_id == task_id:
                if task.no_delete:
                    return 0
                if task.running:
                    task.destroy_requested = True
                else:
                    task.destroyed = True
                self._wakeup.set()
                return 1
        return 0

    def delete_group(self, group: str) -> int:
        """``switch_scheduler_del_task_group``: how many tasks of ``group`` were marked."""
        if not group:
            return 0
        count = 0
        lowered = group.lower()
        for task in self._tasks:
            if task.destroyed or task.group.lower() != lowered:
                continue
            if task.no_delete:
                continue
            if task.running:
                task.destroy_requested = True
            else:
                task.destroyed = True
            count += 1
        if count:
            self._wakeup.set()
        return count

    # ------------------------------------------------------------------ loop
    async def _run(self) -> None:
        while True:
            self._wakeup.clear()
            now = self.now()
            for task in list(self._tasks):
                if task.destroyed or task.running or now < task.runtime:
                    continue
                task.executed = now
                if task.own_thread:
                    task.running = True
                    handle = asyncio.get_running_loop().create_task(self._execute(task))
                    self._background.add(handle)
                    handle.add_done_callback(self._background.discard)
                else:
                    task.running = True
                    await self._execute(task)
            self._sweep()
            await self._sleep_until_due()

    async def _execute(self, task: ScheduledTask) -> None:
        try:
            result = task.function(task)
            if inspect.isawaitable(result):
                await result
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._on_error(exc)
        finally:
            task.running = False
        if task.repeat:
            task.runtime = self.now() + task.repeat
        if not task.destroy_requested and task.runtime > task.executed:
            task.executed = 0
            self._notify("RE_SCHEDULE", task)
        else:
            task.destroyed = True
        self._wakeup.set()

    def _sweep(self) -> None:
        kept: list[ScheduledTask] = []
        for task in self._tasks:
            if task.destroyed and not task.running:
                self._notify("DEL_SCHEDULE", task)
            else:
                kept.append(task)
        self._tasks[:] = kept

    async def _sleep_until_due(self) -> None:
        due = [t.runtime for t in self._tasks if not t.destroyed and not t.running]
        timeout: float | None = None
        if due:
            timeout = self._clock.real_delay(min(due) - self._clock.epoch())
        # Bounded: wake at least every 0.5 s as FreeSWITCH's task thread does.
        timeout = 0.5 if timeout is None else min(timeout, 0.5)
        # call_later rather than wait_for: wait_for can swallow a cancellation (3.11).
        handle = asyncio.get_running_loop().call_later(max(timeout, 0.0), self._wakeup.set)
        try:
            await self._wakeup.wait()
        finally:
            handle.cancel()
