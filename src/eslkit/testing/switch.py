"""An embedded eslkit switch + event socket server for tests, scriptable from the test.

``async with Switch(...) as sw:`` runs in the caller's event loop; ``with Switch(...) as
sw:`` runs it in its own loop in a thread and gives a :class:`~eslkit.testing.blocking.
BlockingSwitch` with the same methods, blocking. Either way the application under test
talks ESL to ``sw.host:sw.port`` with ``sw.password``; the test drives the far ends of calls
(:meth:`Switch.call`) and asserts on what each channel went through (:meth:`Switch.history`,
:meth:`Switch.assert_events`).

Timeouts given to the toolkit's waits are real seconds; script delays and application
timers are switch seconds (divided by ``time_scale``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from eslkit.bootstrap import Running, ServeOptions, start
from eslkit.fsconfig.directory import EslUser
from eslkit.protocol.names import ChannelState, HangupCause, hangup_cause_from_string
from eslkit.server.socket_server import ServerOptions
from eslkit.switch.channel import Channel
from eslkit.switch.core import Switch as CoreSwitch
from eslkit.switch.core import SwitchConfig
from eslkit.switch.dialplan import Dialplan
from eslkit.switch.modules import Module
from eslkit.testing.caller import place_call
from eslkit.testing.history import (
    EventRecord,
    EventRecorder,
    EventSpec,
    WaitTimeout,
    format_history,
    match_events,
)

if TYPE_CHECKING:
    from types import TracebackType

    from eslkit.testing.blocking import BlockingSwitch

__all__ = [
    "DEFAULT_TIMEOUT",
    "Call",
    "ChannelInfo",
    "ConferenceInfo",
    "MemberInfo",
    "Switch",
    "load_dialplan",
]

#: Real seconds a wait lasts unless told otherwise.
DEFAULT_TIMEOUT = 5.0
#: Real seconds teardown waits for hung-up channels to finish.
_DRAIN_TIMEOUT = 5.0

DialplanSource = str | Path | Dialplan


def load_dialplan(source: DialplanSource) -> Dialplan:
    """A dialplan from XML text, a file, a FreeSWITCH conf dir (``<dir>/dialplan/*.xml``)
    or a directory of XML files. Text is recognised by its leading ``<``."""
    if isinstance(source, Dialplan):
        return source
    if isinstance(source, str) and source.lstrip().startswith("<"):
        return Dialplan.from_xml(source)
    path = Path(source)
    if path.is_file():
        return Dialplan.from_xml(path.read_text(encoding="utf-8"), base_dir=path.parent)
    if (path / "dialplan").is_dir():
        return Dialplan.load(path)
    if path.is_dir():
        texts = [p.read_text(encoding="utf-8") for p in sorted(path.glob("*.xml"))]
        merged = Dialplan({})
        for text in texts:
            part = Dialplan.from_xml(text, base_dir=path)
            merged.contexts.update(part.contexts)
            merged.preprocess_vars.update(part.preprocess_vars)
        return merged
    raise FileNotFoundError(f"dialplan: no such file or directory: {path}")


def _state(state: str | ChannelState) -> ChannelState:
    if isinstance(state, ChannelState):
        return state
    name = state.upper()
    if not name.startswith("CS_"):
        name = "CS_" + name
    try:
        return ChannelState[name]
    except KeyError:
        raise ValueError(f"unknown channel state {state!r}") from None


@dataclass(frozen=True, slots=True)
class ChannelInfo:
    """A snapshot of one live channel."""

    uuid: str
    name: str
    direction: str
    state: str
    call_state: str
    answered: bool
    destination: str
    caller_id: str
    application: str


@dataclass(frozen=True, slots=True)
class MemberInfo:
    """A snapshot of one conference member."""

    id: int
    uuid: str
    channel_name: str
    caller_id_name: str
    caller_id_number: str
    can_hear: bool
    can_speak: bool
    talking: bool
    moderator: bool
    ghost: bool
    floor: bool
    energy_level: int
    volume_in: int
    volume_out: int


@dataclass(frozen=True, slots=True)
class ConferenceInfo:
    """A snapshot of one conference: its flags and members (newest first, as FreeSWITCH
    lists them)."""

    name: str
    uuid: str
    profile: str
    locked: bool
    recording: bool
    floor: int
    members: tuple[MemberInfo, ...]

    def member(self, key: int | str) -> MemberInfo | None:
        """The member with this ID, or whose channel has this UUID."""
        for m in self.members:
            if m.id == key or m.uuid == key:
                return m
        return None

    @property
    def size(self) -> int:
        """Members that are not ghosts (``Conference-Size``)."""
        return sum(1 for m in self.members if not m.ghost)


class Switch:
    """An eslkit switch and event socket server on a free loopback port, for one test.

    Arguments: ``password`` of the event socket; ``dialplan`` (XML text, a path, or None
    for eslkit's built-in one); ``users`` for ``userauth``; ``time_scale`` (switch seconds
    per real second); ``host``/``port``; ``acl`` (``apply-inbound-acl`` lists, default
    none); ``global_vars``; ``switch_config`` and ``server_options`` for everything else;
    ``conf_dir`` to load a FreeSWITCH-style configuration directory; ``modules``
    (:class:`eslkit.switch.modules.Module`) to add API commands, applications, endpoints;
    ``event_poll_ms``: how long an idle connection polls before it gets the events queued
    meanwhile (default: ``server_options``', FreeSWITCH's 20 ms; 0 = at once).
    """

    def __init__(
        self,
        *,
        password: str = "ClueCon",
        dialplan: DialplanSource | None = None,
        users: Iterable[EslUser] = (),
        time_scale: float = 1.0,
        host: str = "127.0.0.1",
        port: int = 0,
        acl: Sequence[str] = (),
        global_vars: Mapping[str, str] | None = None,
        switch_config: SwitchConfig | None = None,
        server_options: ServerOptions | None = None,
        conf_dir: str | Path | None = None,
        modules: Iterable[Module] = (),
        event_poll_ms: float | None = None,
    ) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        self.password = password
        self.host = host
        self._port = port
        self._dialplan = load_dialplan(dialplan) if dialplan is not None else None
        self._users = list(users)
        self._acl = list(acl)
        self._config = switch_config if switch_config is not None else SwitchConfig()
        self._config.time_scale = time_scale
        if global_vars:
            self._config.global_variables.update(global_vars)
        self._server_options = server_options
        self._event_poll_ms = event_poll_ms
        self._conf_dir = Path(conf_dir) if conf_dir is not None else None
        self._modules = list(modules)
        self._running: Running | None = None
        self._unsubscribe: object = None
        #: Every event the switch fired, per channel.
        self.recorder = EventRecorder()
        self._blocking: BlockingSwitch | None = None

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> Switch:
        """Start the switch and bind the server (in the running event loop)."""
        if self._running is not None:
            return self
        options = ServeOptions(
            conf_dir=self._conf_dir,
            listen_ip=self.host,
            listen_port=self._port,
            password=self.password,
            apply_inbound_acl=list(self._acl),
            users=list(self._users),
            switch=self._config,
            server=self._server_options,
            modules=self._modules,
            event_poll_ms=self._event_poll_ms,
        )
        running = await start(options)
        self._running = running
        self._unsubscribe = running.switch.subscribe_events(self.recorder.record)
        if self._dialplan is not None:
            self._install_dialplan(self._dialplan)
        return self

    async def stop(self) -> None:
        """Hang up every channel, wait (bounded) for them to finish, close every connection
        and the listening socket."""
        running = self._running
        if running is None:
            return
        try:
            self.hangup_all("NORMAL_CLEARING")
            await self.wait_idle(timeout=_DRAIN_TIMEOUT, check=False)
        finally:
            self._running = None
            await running.stop()

    async def __aenter__(self) -> Switch:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def __enter__(self) -> BlockingSwitch:
        from eslkit.testing.blocking import BlockingSwitch

        blocking = BlockingSwitch(self)
        blocking.start()
        self._blocking = blocking
        return blocking

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        blocking, self._blocking = self._blocking, None
        if blocking is not None:
            blocking.stop()

    # ------------------------------------------------------------------ properties
    @property
    def running(self) -> Running:
        """The started switch and server (raises before :meth:`start`)."""
        if self._running is None:
            raise RuntimeError("the switch is not running")
        return self._running

    @property
    def core(self) -> CoreSwitch:
        """The simulated switch itself (``sw.core.sessions`` holds the channels)."""
        return self.running.switch

    @property
    def port(self) -> int:
        """The event socket's TCP port."""
        return self.running.port

    @property
    def address(self) -> tuple[str, int]:
        """``(host, port)`` of the event socket."""
        return self.host, self.port

    @property
    def time_scale(self) -> float:
        """Switch seconds per real second."""
        return self._config.time_scale

    # ------------------------------------------------------------------ configuration
    def _install_dialplan(self, dialplan: Dialplan) -> None:
        core = self.core
        core.sessions.dialplan = dialplan
        for name, value in dialplan.preprocess_vars.items():
            core.set_global(name, value)

    def set_dialplan(self, source: DialplanSource) -> None:
        """Replace the dialplan (XML text, a path...); calls already routed keep theirs."""
        self._install_dialplan(load_dialplan(source))

    def set_global(self, name: str, value: str | None) -> None:
        """Set a global variable (``$${name}`` in the dialplan)."""
        self.core.set_global(name, value)

    # ------------------------------------------------------------------ calls
    def call(
        self,
        dest: str,
        caller_id: str = "0000000000",
        *,
        caller_name: str | None = None,
        script: str | None = None,
        context: str = "default",
        variables: Mapping[str, str] | None = None,
    ) -> Call:
        """Place an inbound call to ``dest`` in ``context``: the dialplan routes it and its
        applications run. ``script`` is what the caller does, in the ``sim/`` syntax
        (``"answer;wait:1;dtmf:1;wait:5;hangup"``, see :mod:`eslkit.testing.caller`);
        without one the caller stays until the switch hangs up."""
        channel = place_call(
            self.core.sessions,
            dest=dest,
            caller_id=caller_id,
            caller_name=caller_name if caller_name is not None else caller_id,
            script=script,
            context=context,
            variables=variables or {},
        )
        return Call(self, channel, dest)

    def channel(self, uuid: str) -> Channel | None:
        """The live channel ``uuid`` (the switch's own object), or None."""
        return self.core.sessions.get(uuid)

    def channels(self) -> list[ChannelInfo]:
        """Every live channel, oldest first."""
        live = sorted(self.core.sessions.channels.values(), key=lambda ch: ch.created_us)
        out: list[ChannelInfo] = []
        for ch in live:
            profile = ch.profile()
            out.append(
                ChannelInfo(
                    uuid=ch.uuid,
                    name=ch.name,
                    direction=ch.direction.value,
                    state=ch.running_state.name,
                    call_state=ch.call_state.name,
                    answered=ch.answered,
                    destination=profile.destination_number,
                    caller_id=profile.caller_id_number,
                    application=ch.current_application,
                )
            )
        return out

    def conference(self, name: str) -> ConferenceInfo | None:
        """The running conference ``name`` (case-insensitive), or None."""
        conf = self.core.conferences.find(name)
        if conf is None:
            return None
        members = []
        for m in conf.members:
            profile = m.channel.caller_profile
            members.append(
                MemberInfo(
                    id=m.id,
                    uuid=m.channel.uuid,
                    channel_name=m.channel.name,
                    caller_id_name=profile.caller_id_name if profile else "",
                    caller_id_number=profile.caller_id_number if profile else "",
                    can_hear=m.can_hear,
                    can_speak=m.can_speak,
                    talking=m.talking,
                    moderator=m.moderator,
                    ghost=m.ghost,
                    floor=m.has_floor,
                    energy_level=m.energy_level,
                    volume_in=m.volume_in,
                    volume_out=m.volume_out,
                )
            )
        return ConferenceInfo(
            name=conf.name,
            uuid=conf.uuid,
            profile=conf.profile.name,
            locked=conf.locked,
            recording=bool(conf.recordings),
            floor=conf.floor_holder,
            members=tuple(members),
        )

    def conferences(self) -> list[str]:
        """The names of the running conferences."""
        return [conf.name for conf in self.core.conferences]

    def hangup_all(self, cause: str = "NORMAL_CLEARING") -> None:
        """Hang up every live channel with ``cause``."""
        self.core.sessions.hupall(hangup_cause_from_string(cause), ())

    def variables(self, uuid: str) -> dict[str, str]:
        """The channel's variables: live, or as its last event carrying them showed them."""
        channel = self.channel(uuid)
        if channel is not None:
            return dict(channel.variables)
        for record in reversed(self.recorder.history(uuid)):
            found = {k[9:]: v for k, v in record.event.headers if k.startswith("variable_")}
            if found:
                return found
        return {}

    def variable(self, uuid: str, name: str) -> str | None:
        """One channel variable (see :meth:`variables`)."""
        return self.variables(uuid).get(name)

    # ------------------------------------------------------------------ history
    def history(self, uuid: str) -> list[EventRecord]:
        """Every event channel ``uuid`` went through, in order."""
        return self.recorder.history(uuid)

    def event_names(self, uuid: str) -> list[str]:
        """The names of :meth:`history`."""
        return [record.name for record in self.recorder.history(uuid)]

    def describe(self, uuid: str) -> str:
        """The channel's history as text."""
        return format_history(uuid, self.history(uuid), self.recorder.channel_name(uuid))

    def report(self) -> str:
        """The history of every channel seen, as text (what the pytest plugin prints)."""
        return self.recorder.report()

    def assert_events(
        self, uuid: str, expected: Sequence[EventSpec], *, exact: bool = False
    ) -> None:
        """Assert the channel went through ``expected`` in this order (other events may come
        in between unless ``exact``). An entry is a name (``"CHANNEL_ANSWER"``, ``"CUSTOM
        my::sub"``) or ``(name, {header: value})``."""
        records = self.history(uuid)
        missing = match_events(records, expected, exact=exact)
        if missing is None:
            return
        wanted = expected[missing] if missing < len(expected) else "(end of history)"
        mode = "exactly" if exact else "in order"
        raise AssertionError(
            f"channel {uuid} did not go through the expected events {mode}; "
            f"first mismatch at expected[{missing}] = {wanted!r}\n"
            f"expected: {list(expected)!r}\n{self.describe(uuid)}"
        )

    # ------------------------------------------------------------------ waits
    async def wait_event(
        self,
        name: str | None = None,
        *,
        uuid: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        past: bool = True,
    ) -> EventRecord:
        """The first event called ``name`` (any if None), of channel ``uuid`` if given, with
        ``headers``; already fired ones count unless ``past=False``. Raises
        :class:`WaitTimeout` (an AssertionError) after ``timeout`` real seconds."""
        wanted = dict(headers or {})

        def predicate(record: EventRecord) -> bool:
            if uuid is not None and record.uuid != uuid:
                return False
            if name is not None and not record.matches((name, wanted)):
                return False
            return all(record.get(k) == v for k, v in wanted.items())

        what = f"{name or 'event'}{' on ' + uuid if uuid else ''}{' with ' + str(wanted) if wanted else ''}"
        if uuid is not None and past:
            found = next((r for r in self.history(uuid) if predicate(r)), None)
            if found is not None:
                return found
        return await self.recorder.wait(
            predicate,
            timeout=timeout,
            past=past and uuid is None,
            what=what,
            describe=(lambda: self.describe(uuid)) if uuid is not None else None,
        )

    async def wait_state(
        self, uuid: str, state: str | ChannelState, *, timeout: float = DEFAULT_TIMEOUT
    ) -> EventRecord:
        """The CHANNEL_STATE event of channel ``uuid`` entering ``state`` (``"CS_PARK"`` or
        ``"park"``). Fails at once if the channel is destroyed without reaching it."""
        target = _state(state).name

        def predicate(record: EventRecord) -> bool:
            if record.uuid != uuid:
                return False
            if record.name == "CHANNEL_DESTROY":
                return True
            return record.name == "CHANNEL_STATE" and record.get("Channel-State") == target

        found = next((r for r in self.history(uuid) if predicate(r)), None)
        if found is None:
            found = await self.recorder.wait(
                predicate,
                timeout=timeout,
                past=False,
                what=f"{target} on {uuid}",
                describe=lambda: self.describe(uuid),
            )
        if found.name == "CHANNEL_DESTROY" and target != "CS_DESTROY":
            raise WaitTimeout(
                f"channel {uuid} ended without entering {target}\n{self.describe(uuid)}"
            )
        return found

    async def wait_idle(self, *, timeout: float = DEFAULT_TIMEOUT, check: bool = True) -> bool:
        """Wait until no channel is left; False (or WaitTimeout with ``check``) on timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        sessions = self.core.sessions
        while sessions.channels:
            if loop.time() >= deadline:
                if check:
                    raise WaitTimeout(f"channels still up after {timeout} s: {self.channels()}")
                return False
            await asyncio.sleep(0.01)
        return True


class Call:
    """A call placed with :meth:`Switch.call`: the inbound channel and its scripted caller."""

    def __init__(self, switch: Switch, channel: Channel, dest: str) -> None:
        self.switch = switch
        #: The switch's channel object (still readable after the call ended).
        self.channel = channel
        self.uuid = channel.uuid
        self.dest = dest

    def __repr__(self) -> str:
        return f"<Call {self.uuid} to {self.dest}>"

    @property
    def answered(self) -> bool:
        """True once the switch answered the call."""
        return self.channel.answered

    @property
    def hangup_cause(self) -> str | None:
        """The hang-up cause's name once hung up, else None."""
        cause = self.channel.hangup_cause
        return cause.name if cause is not None else None

    @property
    def state(self) -> str:
        """The channel state it is in (``CS_EXECUTE``...)."""
        return self.channel.running_state.name

    def variable(self, name: str) -> str | None:
        """A channel variable (also after the call ended)."""
        return self.channel.get_variable(name)

    @property
    def variables(self) -> dict[str, str]:
        """A copy of the channel's variables."""
        return dict(self.channel.variables)

    def press(self, digits: str) -> int:
        """The caller presses ``digits`` now; returns how many were queued."""
        return self.channel.queue_dtmf(digits, source="ENDPOINT")

    def hangup(self, cause: str = "NORMAL_CLEARING") -> bool:
        """The caller hangs up; False if the call had already ended."""
        return self.channel.hangup(
            hangup_cause_from_string(cause) if cause else HangupCause.NORMAL_CLEARING
        )

    def history(self) -> list[EventRecord]:
        """Every event of this channel, in order."""
        return self.switch.history(self.uuid)

    def event_names(self) -> list[str]:
        """The names of :meth:`history`."""
        return self.switch.event_names(self.uuid)

    def assert_events(self, expected: Sequence[EventSpec], *, exact: bool = False) -> None:
        """:meth:`Switch.assert_events` for this channel."""
        self.switch.assert_events(self.uuid, expected, exact=exact)

    async def wait_event(
        self,
        name: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> EventRecord:
        """The first event ``name`` of this channel (past ones count)."""
        return await self.switch.wait_event(name, uuid=self.uuid, headers=headers, timeout=timeout)

    async def wait_state(
        self, state: str | ChannelState, *, timeout: float = DEFAULT_TIMEOUT
    ) -> EventRecord:
        """:meth:`Switch.wait_state` for this channel."""
        return await self.switch.wait_state(self.uuid, state, timeout=timeout)

    async def wait_answered(self, *, timeout: float = DEFAULT_TIMEOUT) -> EventRecord:
        """Wait for CHANNEL_ANSWER; fails if the call ends unanswered."""
        return await self._first_of("CHANNEL_ANSWER", timeout)

    async def _first_of(self, name: str, timeout: float) -> EventRecord:
        def predicate(record: EventRecord) -> bool:
            return record.uuid == self.uuid and record.name in (name, "CHANNEL_DESTROY")

        found = next((r for r in self.history() if predicate(r)), None)
        if found is None:
            found = await self.switch.recorder.wait(
                predicate,
                timeout=timeout,
                past=False,
                what=f"{name} on {self.uuid}",
                describe=lambda: self.switch.describe(self.uuid),
            )
        if found.name != name:
            raise WaitTimeout(
                f"call {self.uuid} ended without {name}\n{self.switch.describe(self.uuid)}"
            )
        return found

    async def wait_hangup(self, *, timeout: float = DEFAULT_TIMEOUT) -> str:
        """Wait until the channel is gone (CHANNEL_DESTROY); returns the hang-up cause."""
        await self.switch.wait_event("CHANNEL_DESTROY", uuid=self.uuid, timeout=timeout)
        return self.hangup_cause or "NORMAL_CLEARING"
