"""The simulated switch's core: configuration, event bus, clock, scheduler, logs, API.

:class:`Switch` is the simulated FreeSWITCH core on one asyncio event loop, without
threads. It is composed in :meth:`Switch.__init__`, in this order: the core services; the channel layer (:class:`~eslkit.switch.sessions.SessionManager`,
``switch.sessions``, which the core asks for session lookup, counts, ``show`` rows,
``hupall`` and channel data); then the loadable modules (``switch.modules``: API commands,
dialplan applications, endpoints; see :mod:`eslkit.switch.modules`). What comes from the
configuration rather than from the switch (the directory, ``reloadxml``) is plugged in
through :class:`SwitchHooks`.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import sys
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from eslkit.protocol.event import Event
from eslkit.protocol.names import EventType, HangupCause, event_type_by_name
from eslkit.protocol.records import ApiResult, CallingSite, LogRecord
from eslkit.switch.api import ApiEngine, ApiRegistry
from eslkit.switch.clock import Clock, ScheduledTask, Scheduler
from eslkit.switch.config import SwitchConfig, guess_local_ip
from eslkit.switch.events import EventBus, SwitchIdentity, add_header
from eslkit.switch.logging import LogHub, TextChannel, format_log_text

if TYPE_CHECKING:
    from eslkit.switch.backend import OutboundConnector
    from eslkit.switch.channel import Channel
    from eslkit.switch.conference import ConferenceManager
    from eslkit.switch.modules import Module

__all__ = [
    "HEARTBEAT_SITE",
    "SHUTDOWN_SITE",
    "SessionStats",
    "ShowRows",
    "Switch",
    "SwitchConfig",
    "SwitchHooks",
    "guess_local_ip",
    "uptime_text",
]

HEARTBEAT_SITE = CallingSite("switch_core.c", "send_heartbeat", 95)
SHUTDOWN_SITE = CallingSite("switch_core.c", "switch_core_destroy", 3033)
STARTUP_SITE = CallingSite("switch_core.c", "switch_core_init_and_modload", 2485)
LOG_EVENT_SITE = CallingSite("switch_log.c", "switch_log_meta_vprintf", 652)
_SCHEDULE_SITES = {
    "ADD_SCHEDULE": CallingSite("switch_scheduler.c", "switch_scheduler_add_task_ex", 266),
    "DEL_SCHEDULE": CallingSite("switch_scheduler.c", "task_thread_loop", 151),
    "RE_SCHEDULE": CallingSite("switch_scheduler.c", "switch_scheduler_execute", 73),
}

@dataclass(slots=True)
class SessionStats:
    """Session counters for ``status`` and HEARTBEAT (the channel layer reports them)."""

    count: int = 0
    since_startup: int = 0
    peak: int = 0
    peak_fivemin: int = 0
    sps_last: int = 0
    sps_peak: int = 0
    sps_peak_fivemin: int = 0


#: ``show`` rows for a table (``channels``, ``calls``, ``detailed_calls``,
#: ``bridged_calls``, ``detailed_bridged_calls``, ``registrations``): (columns, rows).
ShowRows = Callable[[str], tuple[Sequence[str], Sequence[Sequence[str]]]]


async def _nothing_to_reload() -> str:
    return "Success"


def _no_users(user: str, domain: str) -> tuple[str, dict[str, str], dict[str, str]] | None:
    return None


@dataclass(slots=True)
class SwitchHooks:
    """What the configuration provides (``eslkit.bootstrap`` sets them); the defaults are a
    switch without one: nothing to reload, no users."""

    #: ``switch_xml_reload``: returns the error text, ``"Success"`` when fine (awaited: a
    #: configuration is parsed off the loop).
    reloadxml: Callable[[], Awaitable[str]] = _nothing_to_reload
    #: ``switch_xml_locate_user_merged``: (user id, params, variables) or None.
    locate_user: Callable[[str, str], tuple[str, dict[str, str], dict[str, str]] | None] = (
        _no_users
    )


ShutdownHook = Callable[[], "Awaitable[None] | None"]


def uptime_text(micros: int) -> str:
    """``switch_core_measure_time`` as HEARTBEAT's Up-Time and ``status`` line 1 print it."""
    mms = micros % 1000
    rest = micros // 1000
    ms = rest % 1000
    rest //= 1000
    sec = rest % 60
    rest //= 60
    minutes = rest % 60
    rest //= 60
    hours = rest % 24
    rest //= 24
    days = rest % 365
    years = rest // 365
    parts = (
        (years, "year"),
        (days, "day"),
        (hours, "hour"),
        (minutes, "minute"),
        (sec, "second"),
        (ms, "millisecond"),
        (mms, "microsecond"),
    )
    return ", ".join(f"{n} {unit}{'' if n == 1 else 's'}" for n, unit in parts)


class _IdleCpu:
    """The machine's idle CPU percentage, sampled from /proc/stat at most once a second."""

    __slots__ = ("_at", "_last", "_value")

    def __init__(self) -> None:
        self._at = 0.0
        self._last: tuple[int, int] | None = None
        self._value = 100.0

    def read(self) -> float:
        now = time.monotonic()
        if now - self._at < 1.0:
            return self._value
        self._at = now
        try:
            with open("/proc/stat", "rb") as handle:
                line = handle.readline()
            fields = [int(x) for x in line.split()[1:9]]
        except (OSError, ValueError):
            return self._value
        if len(fields) < 4:
            return self._value
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
        total = sum(fields)
        last = self._last
        self._last = (idle, total)
        if last is not None and total > last[1]:
            self._value = max(0.0, min(100.0, 100.0 * (idle - last[0]) / (total - last[1])))
        return self._value


def _var_check(value: str) -> str:
    """``switch_string_var_check(v, SWITCH_TRUE)``: a ``$`` that starts ``${`` becomes ``%``."""
    if "$" not in value:
        return value
    chars = list(value)
    dollar: int | None = None
    for i, ch in enumerate(chars):
        if ch == "$":
            dollar = i
        elif dollar is not None:
            if ch == "{":
                chars[dollar] = "%"
                dollar = None
            elif ch != "\\":
                dollar = None
    return "".join(chars)


class Switch:
    """The simulated switch's core services (served to the event socket server through
    :class:`eslkit.switch.backend.SwitchBackend`)."""

    def __init__(
        self,
        config: SwitchConfig | None = None,
        *,
        modules: Iterable[Module] = (),
        builtins: bool = True,
        entry_points: bool = True,
    ) -> None:
        """Compose a switch: core services, the channel layer, then the modules: the
        built-in ones (unless ``builtins`` is False), those of the ``eslkit.switch``
        entry-point group (unless ``entry_points`` is False), then ``modules``."""
        from eslkit.switch.modules import Modules, builtin_modules, entry_point_modules
        from eslkit.switch.sessions import SessionManager

        self.config = config if config is not None else SwitchConfig()
        cfg = self.config
        self.clock = Clock(cfg.time_scale)
        self.identity = SwitchIdentity(
            cfg.core_uuid, cfg.hostname, cfg.switchname, cfg.ipv4, cfg.ipv6
        )
        self.bus = EventBus(self.identity, on_error=self.report_error)
        self.logs = LogHub(cfg.loglevel, cfg.debug_level)
        self.hooks = SwitchHooks()
        self.api = ApiEngine(self, ApiRegistry())
        #: The loaded modules and what they provide (applications, endpoints).
        self.modules = Modules(self.api.registry)
        for alias, command in cfg.aliases.items():
            self.api.set_alias(f"add {alias} {command}")
        self.scheduler = Scheduler(self.clock, self._schedule_event, self.report_error)
        self.global_vars: dict[str, str] = {}
        self.max_sessions = cfg.max_sessions
        self.sessions_per_second = cfg.sessions_per_second
        self.min_idle_cpu = 0.0
        self.api_expansion = True
        self.verbose_events = False
        self.no_new_sessions = False
        self.no_new_inbound = False
        self.no_new_outbound = False
        self.shutdown_requested = False
        self.dtmf_durations = {"min": 400, "max": 192000, "default": 2000}
        self.errors: list[BaseException] = []
        self._idle = _IdleCpu()
        self._running = False
        self._shutting_down = False
        self._stopped = asyncio.Event()
        self._start_elapsed = 0.0
        self._shutdown_hooks: list[ShutdownHook] = []
        self._jobs: set[asyncio.Task[None]] = set()
        self._stopper: asyncio.Task[None] | None = None
        self._conferences: ConferenceManager | None = None
        #: While :meth:`fire_typed` delivers an event: (id of the event, type, subclass).
        self.typed_route: tuple[int, int, str | None] | None = None
        #: How the ``socket`` application reaches an event socket server (set by
        #: :meth:`eslkit.switch.backend.SwitchBackend.serve_outbound`; None: no server).
        self.outbound_connector: OutboundConnector | None = None
        self._seed_globals()
        #: The channel layer: creates, runs, finds and counts channels.
        self.sessions = SessionManager(self)
        if builtins:
            for module in builtin_modules():
                self.load_module(module)
        if entry_points:
            for module in entry_point_modules():
                self.load_module(module)
        for module in modules:
            self.load_module(module)

    def load_module(self, module: Module) -> None:
        """Add ``module``'s API commands, applications and endpoints to this switch (a
        same-named earlier one is replaced)."""
        self.modules.load(module)

    @property
    def conferences(self) -> ConferenceManager:
        """The switch's conferences (mod_conference), made on first use."""
        manager = self._conferences
        if manager is None:
            from eslkit.switch.conference import ConferenceManager

            manager = self._conferences = ConferenceManager(self)
        return manager

    def _seed_globals(self) -> None:
        cfg = self.config
        self.set_global("hostname", cfg.hostname)
        self.set_global("local_ip_v4", cfg.ipv4 or "127.0.0.1")
        self.set_global("local_mask_v4", "255.255.255.0")
        self.set_global("local_ip_v6", cfg.ipv6 or "::1")
        for name, value in cfg.global_variables.items():
            self.set_global(name, value)
        self.set_global("core_uuid", cfg.core_uuid)

    # ------------------------------------------------------------------ lifecycle
    @property
    def core_uuid(self) -> str:
        """The per-process UUID (``Core-UUID``)."""
        return self.identity.core_uuid

    @property
    def running(self) -> bool:
        """True between :meth:`start` and :meth:`stop`."""
        return self._running

    @property
    def ready(self) -> bool:
        """``switch_core_ready``: running, not shutting down, accepting sessions."""
        return self._running and not self._shutting_down and not self.no_new_sessions

    async def start(self) -> None:
        """Start the clock-driven services: the scheduler, heartbeat and check_ip tasks."""
        if self._running:
            return
        self._running = True
        self._stopped.clear()
        self._start_elapsed = self.clock.elapsed()
        self.scheduler.start()
        now = self.scheduler.now()
        self.scheduler.add(now, self._heartbeat_task, "heartbeat", "core", no_delete=True)
        self.scheduler.add(
            now, self._check_ip_task, "check_ip", "core", no_delete=True, own_thread=True
        )
        # mod_hash's limit cleanup: the third task of a fresh FreeSWITCH (ids line up).
        self.scheduler.add(now + 900, self._limit_hash_task, "limit_hash_cleanup", "mod_hash")
        event = self.new_event(EventType.STARTUP, STARTUP_SITE)
        event.add_header("Event-Info", "System Ready")
        self.fire(event)

    async def stop(self) -> None:
        """Orderly shutdown (``switch_core_destroy``): SHUTDOWN, hang up, then close listeners."""
        if not self._running or self._shutting_down:
            await self.wait_stopped()
            return
        event = self.new_event(EventType.SHUTDOWN, SHUTDOWN_SITE)
        event.add_header("Event-Info", "System Shutting Down")
        self.fire(event)
        self.no_new_sessions = True
        self._shutting_down = True
        self.log(
            0,
            "End existing sessions\n",
            file="switch_core.c",
            function="switch_core_destroy",
            line=3041,
        )
        try:
            self.sessions.hupall(HangupCause.SYSTEM_SHUTDOWN, ())
        except Exception as exc:
            self.report_error(exc)
        self.log(
            0,
            "Clean up modules.\n",
            file="switch_core.c",
            function="switch_core_destroy",
            line=3043,
        )
        for hook in list(self._shutdown_hooks):
            try:
                result = hook()
                if inspect.isawaitable(result):
                    await asyncio.wait_for(result, 30.0)
            except Exception as exc:
                self.report_error(exc)
        await self.scheduler.stop()
        jobs = list(self._jobs)
        for job in jobs:
            job.cancel()
        if jobs:
            await asyncio.wait(jobs, timeout=5.0)
        self._jobs.clear()
        self._running = False
        self._stopped.set()

    async def wait_stopped(self, timeout: float | None = None) -> bool:
        """Wait until the switch has stopped; False on timeout."""
        try:
            await asyncio.wait_for(self._stopped.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def add_shutdown_hook(self, hook: ShutdownHook) -> Callable[[], None]:
        """Run ``hook`` during :meth:`stop`, after SHUTDOWN (e.g. to close listeners)."""
        self._shutdown_hooks.append(hook)

        def remove() -> None:
            with contextlib.suppress(ValueError):
                self._shutdown_hooks.remove(hook)

        return remove

    def request_shutdown(self) -> None:
        """Stop the switch soon, from inside a command (``fsctl shutdown``, ``shutdown``)."""
        self.shutdown_requested = True
        if self._running and not self._shutting_down and self._stopper is None:
            # Not a switch job: stop() cancels those, and must not cancel itself.
            self._stopper = asyncio.get_running_loop().create_task(self.stop())

    def spawn(self, coro: Awaitable[None]) -> asyncio.Task[None]:
        """Run a background job owned by the switch (cancelled at :meth:`stop`)."""

        async def run() -> None:
            try:
                await coro
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.report_error(exc)

        task = asyncio.get_running_loop().create_task(run())
        self._jobs.add(task)
        task.add_done_callback(self._jobs.discard)
        return task

    def report_error(self, exc: BaseException) -> None:
        """An internal failure that must not crash anything: keep it and log it."""
        if len(self.errors) < 100:
            self.errors.append(exc)
        print(f"eslkit switch: internal error: {exc!r}", file=sys.stderr)

    # ------------------------------------------------------------------ time
    def uptime_us(self) -> int:
        """Microseconds of switch time since :meth:`start`."""
        if not self._running and not self._shutting_down:
            return 0
        return int((self.clock.elapsed() - self._start_elapsed) * 1_000_000)

    def idle_cpu(self) -> float:
        """``switch_core_idle_cpu``: the machine's idle CPU percentage."""
        return self._idle.read()

    def session_stats(self) -> SessionStats:
        """Session counters from the channel layer."""
        return self.sessions.stats()

    # ------------------------------------------------------------------ events
    def subscribe_events(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        """Call ``callback`` synchronously for every fired event; returns an unsubscriber."""
        return self.bus.subscribe(callback)

    def new_event(
        self, event_type: EventType, calling: CallingSite, subclass: str | None = None
    ) -> Event:
        """A new event with the standard headers of §5.8 stamped (and Event-Sequence taken)."""
        return self.bus.new_event(event_type, calling, subclass)

    def stamp_standard_headers(
        self, event: Event, calling: CallingSite, event_type: EventType | None = None
    ) -> None:
        """Append the standard headers to an existing event (``sendevent``).

        ``Event-Name`` is ``event_type``'s name; without it, the event's own first
        ``Event-Name`` if that names a type, else CUSTOM.
        """
        if event_type is None:
            named = event.get("Event-Name")
            event_type = (event_type_by_name(named) if named else None) or EventType.CUSTOM
        self.bus.stamp(event, event_type.name, calling)

    def fire(self, event: Event) -> None:
        """Deliver ``event`` to every subscriber, in firing order."""
        self.bus.fire(event)

    def fire_typed(self, event: Event, event_type: int, subclass: str | None) -> None:
        """:meth:`fire` an event that is routed by ``event_type`` and ``subclass`` rather
        than by its headers (a session event or a client's ``sendevent`` may carry its own
        ``Event-Name``, or none at all). Subscribers that route events read
        :attr:`typed_route` while it is delivered."""
        previous = self.typed_route
        self.typed_route = (id(event), event_type, subclass)
        try:
            self.bus.fire(event)
        finally:
            self.typed_route = previous

    def _schedule_event(self, name: str, task: ScheduledTask) -> None:
        event = self.new_event(EventType[name], _SCHEDULE_SITES[name])
        event.add_header("Task-ID", str(task.task_id))
        add_header(event, "Task-Desc", task.desc)
        add_header(event, "Task-Group", task.group)
        event.add_header("Task-Runtime", str(task.runtime))
        # FreeSWITCH queues these to its task thread, which fires them just after.
        try:
            asyncio.get_running_loop().call_soon(self._fire_if_running, event)
        except RuntimeError:
            self.fire(event)

    def _fire_if_running(self, event: Event) -> None:
        if self._running:
            self.fire(event)

    def _heartbeat_task(self, task: ScheduledTask) -> None:
        self.send_heartbeat()
        task.runtime = self.scheduler.now() + max(1, self.config.heartbeat_interval)

    def _limit_hash_task(self, task: ScheduledTask) -> None:
        task.runtime = self.scheduler.now() + 900

    def _check_ip_task(self, task: ScheduledTask) -> None:
        task.runtime = self.scheduler.now() + 60

    def send_heartbeat(self) -> None:
        """Fire one HEARTBEAT (``send_heartbeat``)."""
        micros = self.uptime_us()
        stats = self.session_stats()
        event = self.new_event(EventType.HEARTBEAT, HEARTBEAT_SITE)
        add = event.add_header
        add("Event-Info", "System Ready")
        add("Up-Time", uptime_text(micros))
        add("FreeSWITCH-Version", self.config.version_full)
        add("Uptime-msec", str(micros // 1000))
        add("Session-Count", str(stats.count))
        add("Max-Sessions", str(self.max_sessions))
        add("Session-Per-Sec", str(self.sessions_per_second))
        add("Session-Per-Sec-Last", str(stats.sps_last))
        add("Session-Per-Sec-Max", str(stats.sps_peak))
        add("Session-Per-Sec-FiveMin", str(stats.sps_peak_fivemin))
        add("Session-Since-Startup", str(stats.since_startup))
        add("Session-Peak-Max", str(stats.peak))
        add("Session-Peak-FiveMin", str(stats.peak_fivemin))
        add("Idle-CPU", f"{self.idle_cpu():f}")
        self.fire(event)

    # ------------------------------------------------------------------ logs
    def subscribe_logs(
        self, callback: Callable[[LogRecord], None], *, managed: bool = False
    ) -> Callable[[], None]:
        """Call ``callback`` for every log line generated; returns an unsubscriber.

        A ``managed`` subscriber tells the switch which levels it wants through
        :meth:`set_log_interest`; until then no line is built for it."""
        return self.logs.subscribe(callback, managed=managed)

    def set_log_interest(self, level: int) -> None:
        """The highest log level a managed subscriber takes now (-1: none)."""
        self.logs.set_interest(level)

    @property
    def loglevel(self) -> int:
        """The core's global log level."""
        return self.logs.level

    @loglevel.setter
    def loglevel(self, level: int) -> None:
        self.logs.level = level

    def log(
        self,
        level: int,
        text: str,
        *,
        file: str,
        function: str,
        line: int,
        session_uuid: str = "",
        channel: int | None = None,
        session_level: int = 0,
    ) -> None:
        """Generate a log line (subject to the core's global log level).

        ``text`` is the message as FreeSWITCH's format string produces it, usually ending
        in a newline. ``channel`` defaults to SESSION when ``session_uuid`` is given, else
        LOG. ``session_level`` is the session's own level (``uuid_loglevel``): it raises
        the limit for lines on the SESSION channel.
        """
        if (level if level <= 100 else 1) > self.logs.listen and channel != TextChannel.EVENT:
            return
        if channel is None:
            channel = TextChannel.SESSION if session_uuid else TextChannel.LOG
        effective = self.logs.effective_level(
            level, session_level if channel == TextChannel.SESSION else 0
        )
        if effective is None:
            return
        if channel != TextChannel.LOG_CLEAN:
            text = format_log_text(text, effective, file, line, self.idle_cpu())
        if channel == TextChannel.EVENT:
            event = self.new_event(EventType.LOG, LOG_EVENT_SITE)
            add_header(event, "Log-Data", text)
            add_header(event, "Log-File", file)
            add_header(event, "Log-Function", function)
            event.add_header("Log-Line", str(line))
            event.add_header("Log-Level", str(effective))
            add_header(event, "User-Data", session_uuid)
            self.fire(event)
            return
        self.logs.deliver(
            LogRecord(effective, int(channel), file, function, line, text, session_uuid)
        )

    # ------------------------------------------------------------------ globals
    def get_global(self, name: str) -> str | None:
        """``switch_core_get_variable``."""
        return self.global_vars.get(name)

    def set_global(self, name: str, value: str | None) -> None:
        """``switch_core_set_variable``: ``None`` or ``""`` unsets; ``${`` is defused."""
        self.global_vars.pop(name, None)
        if value:
            self.global_vars[name] = _var_check(value)

    def set_global_conditional(self, name: str, value: str | None, expected: str | None) -> bool:
        """``switch_core_set_var_conditional``: set only if the current value is ``expected``."""
        current = self.global_vars.get(name)
        if current is not None:
            if expected is None or current != expected:
                return False
        elif expected:
            return False
        self.set_global(name, value)
        return True

    # ------------------------------------------------------------------ api
    async def execute_api(
        self, command: str, argument: str, *, session_uuid: str | None = None
    ) -> ApiResult:
        """Run an API command (``switch_api_execute``) and fire its API event afterwards."""
        return await self.api.execute(command, argument, session_uuid=session_uuid)

    def execute_api_nowait(
        self, command: str, argument: str, *, session_uuid: str | None = None
    ) -> ApiResult | Awaitable[ApiResult]:
        """:meth:`execute_api` without a coroutine for commands that finish without waiting
        (the result), or an awaitable for the others."""
        return self.api.execute_nowait(command, argument, session_uuid=session_uuid)

    async def execute_console(self, line: str) -> ApiResult:
        """Run a console line (``console_execute: true``): ``;;`` chains, aliases."""
        return await self.api.execute_console(line)

    def find_session(self, uuid: str) -> Channel | None:
        """A live channel by UUID, or None."""
        return self.sessions.find_session(uuid)

    async def expand(
        self, text: str, event: Event | None = None, session: Channel | None = None
    ) -> str:
        """``switch_event_expand_headers``: expand ``text`` against ``event``'s headers.

        Unknown names fall back to global variables; with a ``session`` whose data is not on
        the event, ``variable_<name>`` reads the channel.
        """

        def lookup(name: str) -> str | None:
            if event is not None:
                found = event.get(name)
                if found is not None:
                    return found
            if session is not None:
                if name.startswith("variable_"):
                    return session.get_variable(name[9:])
                if name == "Unique-ID":
                    return session.uuid
            return None

        return await self.api.expand(text, lookup, session_uuid=session.uuid if session else None)
