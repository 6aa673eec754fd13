"""The event socket server: listening sockets, the listener list, event and log fan-out.

:class:`EventSocketServer` is mod_event_socket's module half: it binds the configured
address, applies the inbound ACL, keeps the list of live listeners, and is the single event
and log consumer of its :class:`~eslkit.server.backend.Backend` that fans out to them
(``event_handler``, spec §5.1). It also opens the outbound connections of the backend's
``socket`` application (:meth:`EventSocketServer.connect_outbound`).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from eslkit.fsconfig.acl import AclSet, NetworkLists
from eslkit.fsconfig.directory import Directory
from eslkit.fsconfig.event_socket import EventSocketSettings
from eslkit.protocol import builders
from eslkit.protocol.event import Event
from eslkit.protocol.names import EventType, event_type_by_name
from eslkit.server.backend import Backend, CallingSite, LogRecord, SessionControl
from eslkit.server.listener import AUTH_TIMEOUT, MAX_QUEUE_LEN, Listener

log = logging.getLogger("eslkit.server")

CUSTOM = int(EventType.CUSTOM)


#: How long an idle listener polls its socket before it delivers what was queued meanwhile
#: (FreeSWITCH's read loop: ``switch_poll(..., 20000)``; 0 = deliver at once).
DEFAULT_EVENT_POLL_MS = 20.0
MAX_EVENT_POLL_MS = 1000.0

#: ``--max-connections`` and the per-address cap by default.
DEFAULT_MAX_CONNECTIONS = 10_000
DEFAULT_MAX_PER_ADDRESS = 2_000


class BindError(OSError):
    """The server could not listen on the configured address."""


@dataclass
class ServerOptions:
    """Knobs that FreeSWITCH hard-codes, exposed for tests and the embedding API."""

    #: Seconds allowed for the first packet (FreeSWITCH: 25, whole epoch seconds).
    auth_timeout: float = AUTH_TIMEOUT
    #: Upper bound on how long a closing connection waits for its bgapi jobs (FreeSWITCH
    #: waits forever; see docs/deviations.md).
    max_job_wait: float = 600.0
    #: Per-listener event and log queue length (FreeSWITCH: 100,000).
    max_queue: int = MAX_QUEUE_LEN
    #: Milliseconds an idle listener polls before delivering the events and log lines queued
    #: meanwhile, as FreeSWITCH's listener thread does (``--event-poll-ms``; 0: at once, an
    #: event is then written as soon as the event loop runs).
    event_poll_ms: float = DEFAULT_EVENT_POLL_MS
    #: listen() backlog (FreeSWITCH uses 5; a larger one lets bursts of clients in).
    backlog: int = 1024
    #: Inbound connections open at once, and from one address (FreeSWITCH has no cap; past
    #: these a new connection gets the ACL's rude rejection). Sized for a 2-core machine:
    #: every connection costs the event fan-out a check per event, and an idle one ~8 KB.
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    max_connections_per_address: int = DEFAULT_MAX_PER_ADDRESS
    #: ``--strict-userauth``: every userauth user's allow-lists also cover ``sendevent``,
    #: ``filter`` on event names, ``console_execute`` chains and nested API calls (a user's
    #: ``esl-strict-userauth`` param does the same for that user).
    strict_userauth: bool = False
    #: Extra notes to log at start (from the config loaders).
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not 0 <= self.event_poll_ms <= MAX_EVENT_POLL_MS:
            raise ValueError(f"event_poll_ms must be between 0 and {MAX_EVENT_POLL_MS:g}")


_EVENT_TYPE_CACHE: dict[str, int] = {}


def _event_type_of(event: Event) -> tuple[int, str | None]:
    """Type and subclass of an event fired by the switch (from its headers)."""
    name = event.get("Event-Name")
    if name is None:
        return CUSTOM, event.get("Event-Subclass")
    event_type = _EVENT_TYPE_CACHE.get(name)
    if event_type is None:
        found = event_type_by_name(name)
        event_type = int(found) if found is not None else CUSTOM
        if len(_EVENT_TYPE_CACHE) < 4096:
            _EVENT_TYPE_CACHE[name] = event_type
    subclass = event.get("Event-Subclass") if event_type == CUSTOM else None
    return event_type, subclass


def delivery_copy(event: Event, subclass: str | None) -> Event:
    """The copy a listener receives: with a subclass, ``Event-Subclass`` comes first
    (``switch_event_dup``, spec §5.2)."""
    if subclass is None:
        return event
    headers = [("Event-Subclass", subclass)]
    headers += [item for item in event.headers if item[0] != "Event-Subclass"]
    return Event(headers, event.body)


_EVENT_TYPES: dict[int, EventType] = {int(member): member for member in EventType}


class EventSocketServer:
    """mod_event_socket: inbound listener, listener registry, fan-out."""

    def __init__(
        self,
        backend: Backend,
        settings: EventSocketSettings | None = None,
        *,
        network_lists: NetworkLists | None = None,
        directory: Directory | None = None,
        options: ServerOptions | None = None,
    ) -> None:
        #: What this server serves: a switch, simulated or real.
        self.backend = backend
        self.settings = settings or EventSocketSettings()
        self.options = options or ServerOptions()
        entries = self.settings.apply_inbound_acl
        self.acl: AclSet | None = AclSet(entries, network_lists) if entries else None
        self.directory = directory or Directory()
        self.auth_timeout = self.options.auth_timeout
        self.max_job_wait = self.options.max_job_wait
        self.clock: Callable[[], float] = time.time
        self.listeners: list[Listener] = []
        # Listeners with events enabled (the fan-out's candidates), in registration order;
        # the tuple the fan-out walks is rebuilt after a change.
        self._event_listeners: dict[Listener, None] = {}
        self._event_targets: tuple[Listener, ...] | None = ()
        self._servers: list[asyncio.Server] = []
        self._unsubscribe: list[Callable[[], None]] = []
        self._stopping = False
        # Open inbound connections, in all and per peer address (the connection caps).
        self._open = 0
        self._open_by_address: dict[str, int] = {}

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Bind and listen; subscribe to the backend's events and logs; serve its
        ``socket`` application."""
        for note in self.settings.notes + self.options.notes:
            log.info("%s", note)
        loop = asyncio.get_running_loop()
        host = self.settings.listen_ip or "127.0.0.1"
        port = self.settings.listen_port
        try:
            infos = await loop.getaddrinfo(
                host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
            )
        except OSError as exc:
            raise BindError(f"Cannot get information about IP address {host}: {exc}") from None
        family, _, _, _, address = infos[0]
        # proto=IPPROTO_TCP: asyncio only turns on TCP_NODELAY for sockets that say so.
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6 and host == "::":
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            sock.bind(address)
            sock.listen(self.options.backlog)
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            raise BindError(f"Socket Error! Could not listen on {host}:{port}: {exc}") from None
        server = await loop.create_server(
            lambda: Listener(self), sock=sock, backlog=self.options.backlog
        )
        self._servers.append(server)
        self.backend.serve_outbound(self.connect_outbound)
        self._unsubscribe.append(self.backend.subscribe_events(self._on_event))
        self._unsubscribe.append(self.backend.subscribe_logs(self._on_log))
        self.update_log_interest()

    async def connect_outbound(
        self, control: SessionControl, host: str, port: int, async_mode: bool, full: bool
    ) -> None:
        """The ``socket`` application's connection: connect to ``host:port`` and run an
        outbound listener that controls ``control``'s channel (spec §6). Raises OSError
        when the host does not accept."""
        loop = asyncio.get_running_loop()

        def factory() -> Listener:
            return Listener(self, control=control, full=full, async_mode=async_mode)

        await loop.create_connection(factory, host, port)

    @property
    def port(self) -> int:
        """The port actually bound (useful with ``listen_port=0``)."""
        for server in self._servers:
            for sock in server.sockets:
                return int(sock.getsockname()[1])
        return self.settings.listen_port

    @property
    def host(self) -> str:
        for server in self._servers:
            for sock in server.sockets:
                return str(sock.getsockname()[0])
        return self.settings.listen_ip

    async def stop(self) -> None:
        """Shut down: every listener gets the shutdown notice, then the sockets close."""
        if self._stopping:
            return
        self._stopping = True
        for server in self._servers:
            server.close()
        for listener in list(self.listeners):
            # FreeSWITCH reaches its listeners long after the SHUTDOWN event (it hangs up
            # every call first): the polls under way have ended and delivered by then.
            listener.end_poll()
            message = builders.GOODBYE if listener.session is not None else builders.SHUTTING_DOWN
            listener.kill(message)
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        for server in self._servers:
            try:
                await asyncio.wait_for(server.wait_closed(), 2.0)
            except TimeoutError:
                pass
        self._servers.clear()

    def admit(self, listener: Listener, address: str) -> bool:
        """Count a new inbound connection from `address`; False when a cap is reached (the
        connection is then rejected and not counted)."""
        options = self.options
        here = self._open_by_address.get(address, 0)
        if self._open >= options.max_connections or here >= options.max_connections_per_address:
            return False
        self._open += 1
        self._open_by_address[address] = here + 1
        return True

    def release(self, address: str) -> None:
        """Uncount a connection :meth:`admit` counted."""
        self._open -= 1
        left = self._open_by_address.get(address, 1) - 1
        if left > 0:
            self._open_by_address[address] = left
        else:
            self._open_by_address.pop(address, None)

    @property
    def open_connections(self) -> int:
        """Inbound connections open now (counted against ``max_connections``)."""
        return self._open

    def listener_gone(self, listener: Listener) -> None:
        """The listener's socket is closed: take it out of the event fan-out at once."""
        if self._event_listeners.pop(listener, 0) is None:
            self._event_targets = None

    def add_listener(self, listener: Listener) -> None:
        self.listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        try:
            self.listeners.remove(listener)
        except ValueError:
            pass
        if self._event_listeners.pop(listener, 0) is None:
            self._event_targets = None
        if listener.log_enabled:
            self.update_log_interest()

    def update_log_interest(self) -> None:
        """Tell the switch the highest log level any connection takes (``log N``), so that
        no line is built while nobody logs."""
        setter = getattr(self.backend, "set_log_interest", None)
        if setter is None:
            return
        level = -1
        for listener in self.listeners:
            if listener.log_enabled and listener.log_level > level:
                level = listener.log_level
        setter(level)

    def events_toggled(self, listener: Listener) -> None:
        """Called when ``listener.events_enabled`` changes: keep the fan-out's list."""
        if listener.events_enabled and listener.running and not listener.gone:
            if listener not in self._event_listeners:
                self._event_listeners[listener] = None
                self._event_targets = None
        elif self._event_listeners.pop(listener, 0) is None:
            self._event_targets = None

    # ------------------------------------------------------------------ fan-out
    def fire(
        self,
        event: Event,
        event_type: int,
        subclass: str | None,
        type_name: str,
        calling: CallingSite,
    ) -> None:
        """Stamp the standard headers on a client's event and fire it with its type (a
        client's event may carry its own ``Event-Name``, or none at all)."""
        typed = _EVENT_TYPES.get(event_type)
        if typed is None:
            typed = EventType(event_type)  # raises ValueError, as before
        self.backend.stamp_standard_headers(event, calling, typed)
        self.backend.fire(event, event_type, subclass)

    def _on_event(self, event: Event, event_type: int | None, subclass: str | None) -> None:
        if event_type is None:
            event_type, subclass = _event_type_of(event)
        delivered: Event | None = None
        targets = self._event_targets
        if targets is None:
            targets = self._event_targets = tuple(self._event_listeners)
        for listener in targets:
            if (
                listener.events_enabled
                and listener.running
                and listener.subscription.accepts(event, event_type, subclass)
            ):
                if listener.control is not None and listener.blocks(event):
                    continue
                if delivered is None:
                    delivered = delivery_copy(event, subclass)
                listener.enqueue_event(delivered)

    def _on_log(self, record: LogRecord) -> None:
        for listener in self.listeners:
            if (
                listener.log_enabled
                and listener.running
                and listener.log_level >= record.level
                and not listener.gone
            ):
                listener.enqueue_log(record)

    def custom_subclasses(self) -> Iterable[str]:
        """Every CUSTOM subclass the backend has registered (``event ALL`` adds them)."""
        return self.backend.custom_subclasses()
