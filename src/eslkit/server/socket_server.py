"""The event socket server: listening sockets, the listener list, event and log fan-out.

:class:`EventSocketServer` is mod_event_socket's module half: it binds the configured
address, applies the inbound ACL, keeps the list of live listeners, and is the single event
and log consumer on the switch's bus that fans out to them (``event_handler``, spec §5.1).
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
from eslkit.server.backend import CallingSite, LogRecord, SwitchInterface
from eslkit.server.channel_layer import ChannelLayer
from eslkit.server.commands import AUTH_TIMEOUT, CommandProcessor
from eslkit.server.listener import MAX_QUEUE_LEN, Listener

log = logging.getLogger("eslkit.server")

CUSTOM = int(EventType.CUSTOM)


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
    #: listen() backlog (FreeSWITCH uses 5; a larger one lets bursts of clients in).
    backlog: int = 1024
    #: Inbound connections open at once, and from one address (FreeSWITCH has no cap; past
    #: these a new connection gets the ACL's rude rejection). Sized for a 2-core machine:
    #: every connection costs the event fan-out a check per event, and an idle one ~8 KB.
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    max_connections_per_address: int = DEFAULT_MAX_PER_ADDRESS
    #: Extra notes to log at start (from the config loaders).
    notes: list[str] = field(default_factory=list)


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
        switch: SwitchInterface,
        settings: EventSocketSettings | None = None,
        *,
        network_lists: NetworkLists | None = None,
        directory: Directory | None = None,
        options: ServerOptions | None = None,
    ) -> None:
        self.switch = switch
        self.settings = settings or EventSocketSettings()
        self.options = options or ServerOptions()
        entries = self.settings.apply_inbound_acl
        self.acl: AclSet | None = AclSet(entries, network_lists) if entries else None
        self.directory = directory or Directory()
        self.commands = CommandProcessor(self)
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
        self._meta: tuple[int, int, str | None] | None = None
        self._stopping = False
        # Open inbound connections, in all and per peer address (the connection caps).
        self._open = 0
        self._open_by_address: dict[str, int] = {}
        #: The channel side (set at start by :func:`eslkit.server.sessions.install` when the
        #: switch has channels; None: every listener is channel-free).
        self.channel_layer: ChannelLayer | None = None

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Bind and listen; subscribe to the switch's events and logs."""
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
        if self.channel_layer is None:
            from eslkit.server.sessions import install

            install(self)
        self._unsubscribe.append(self.switch.subscribe_events(self._on_event))
        self._unsubscribe.append(self.switch.subscribe_logs(self._on_log))

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
        """Stamp the standard headers on a client's event and fire it with its type."""
        typed = _EVENT_TYPES.get(event_type)
        if typed is None:
            typed = EventType(event_type)  # raises ValueError, as before
        self.switch.stamp_standard_headers(event, calling, typed)
        self.fire_typed(event, event_type, subclass)

    def fire_typed(self, event: Event, event_type: int, subclass: str | None) -> None:
        """Fire ``event`` on the switch's bus, routed to listeners by the given type and
        subclass rather than by its headers (a client's event may carry its own
        ``Event-Name``, or none at all)."""
        self._meta = (id(event), event_type, subclass)
        try:
            self.switch.fire(event)
        finally:
            self._meta = None

    def _on_event(self, event: Event) -> None:
        meta = self._meta
        if meta is not None and meta[0] == id(event):
            event_type, subclass = meta[1], meta[2]
        else:
            event_type, subclass = _event_type_of(event)
        delivered: Event | None = None
        layer = self.channel_layer
        block = layer.blocks if layer is not None else None
        targets = self._event_targets
        if targets is None:
            targets = self._event_targets = tuple(self._event_listeners)
        for listener in targets:
            if (
                listener.events_enabled
                and listener.running
                and listener.subscription.accepts(event, event_type, subclass)
            ):
                if block is not None and listener.session is not None and block(listener, event):
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
        """Every CUSTOM subclass the switch has registered (``event ALL`` adds them)."""
        subclasses = getattr(self.switch, "custom_subclasses", None)
        if callable(subclasses):
            result: Iterable[str] = subclasses()
            return result
        return ()
