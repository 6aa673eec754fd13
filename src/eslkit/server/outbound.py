"""Outbound mode: the ``socket`` dialplan application and the outbound listener's run.

``socket host[:port][/path][|host2...] [async] [full]`` (spec §6) connects to the first
host that accepts, then runs a :class:`~eslkit.server.listener.Listener` in outbound mode
over that connection: no greeting, a 25 s first-packet timeout, the first packet's reply
swallowed (only ``connect`` writes its own), ``full`` gating (in the command table).

- **Sync** (the default): the application waits for the listener to finish, as FreeSWITCH
  runs ``listener_run`` in the session thread; ``sendmsg`` runs applications inline.
- **async**: the application waits for ``connect`` (or the listener's end, or a hang-up),
  then parks the channel; queued ``sendmsg`` commands run in the park loop. When the park
  ends, ``resume`` sends the channel on with the next dialplan action.

The application is loaded into the switch by the server (:func:`register`),
so the switch never imports the server. If no host connects it logs ``Socket Error!`` and
returns: the dialplan continues.
"""

from __future__ import annotations

import asyncio
import errno
import os
import weakref
from typing import TYPE_CHECKING

from eslkit.protocol.command import Command
from eslkit.protocol.names import ChannelState
from eslkit.server.listener import Listener
from eslkit.server.sessions import resume_wanted
from eslkit.switch.apps import AppContext
from eslkit.switch.dialstring import parse_socket_app_data
from eslkit.switch.modules import Module

if TYPE_CHECKING:
    from eslkit.server.sessions import SessionSupport
    from eslkit.server.socket_server import EventSocketServer
    from eslkit.switch.core import Switch

__all__ = ["CONNECT_TIMEOUT", "register", "run_outbound", "socket_app"]

#: Bound on one TCP connect attempt (FreeSWITCH uses the OS default).
CONNECT_TIMEOUT = 10.0
#: How often the async app re-checks its wait for ``connect`` (it is also woken).
_POLL = 1.0

_SERVERS: weakref.WeakKeyDictionary[Switch, tuple[EventSocketServer, SessionSupport]] = (
    weakref.WeakKeyDictionary()
)

#: mod_event_socket's dialplan application, loaded into a switch when a server serves it.
module = Module("mod_event_socket")


def register(server: EventSocketServer, support: SessionSupport) -> None:
    """Load the ``socket`` application into ``server``'s switch and route it to ``server``."""
    _SERVERS[support.switch] = (server, support)
    if module not in support.switch.modules.loaded:
        support.switch.load_module(module)


def _log(ctx: AppContext, level: int, text: str, line: int) -> None:
    ctx.switch.log(
        level, text, file="mod_event_socket.c", function="socket_function", line=line,
        session_uuid=ctx.channel.uuid,
    )  # fmt: skip


@module.application("socket", "Connect to a socket", "<ip>[:<port>]")
async def socket_app(ctx: AppContext, data: str) -> None:
    """The ``socket`` dialplan application (``socket_function``)."""
    found = _SERVERS.get(ctx.switch)
    target = parse_socket_app_data(data)
    if not target.hosts:
        _log(ctx, 3, "Parse Error!\n", 440)
        return
    if found is None:
        _log(ctx, 3, "Socket Error!\n", 486)
        return
    server, support = found
    channel = ctx.channel
    loop = asyncio.get_running_loop()
    listener: Listener | None = None
    for host in target.hosts:
        if not host.host:
            _log(ctx, 3, "Missing Host!\n", 449)
            continue
        _log(ctx, 5, f"Trying host: {host.host}\n", 453)
        if host.path is not None:
            channel.set_variable("socket_path", host.path)
        channel.set_variable("socket_host", host.host)

        def factory() -> Listener:
            made = Listener(server, outbound=True)
            made.session = channel
            made.full = target.full
            made.async_mode = target.async_
            support.attach(made, channel)
            return made

        try:
            _transport, listener = await asyncio.wait_for(
                loop.create_connection(factory, host.host, host.port), CONNECT_TIMEOUT
            )
        except (OSError, TimeoutError) as exc:
            code = getattr(exc, "errno", None) or errno.ETIMEDOUT
            _log(ctx, 3, f"Socket Error: {os.strerror(code)}\n", 481)
            continue
        break
    if listener is None:
        _log(ctx, 3, "Socket Error!\n", 486)
        return
    state = support.state_of(listener)
    if state is None:  # pragma: no cover - attach always succeeds for a Channel
        return
    if not target.async_:
        # Sync: the listener is this session's "thread"; wait for it to end.
        while not state.finished:
            state.changed.clear()
            if state.finished:
                break
            try:
                await asyncio.wait_for(state.changed.wait(), _POLL)
            except TimeoutError:
                pass
        return
    while channel.ready and not state.finished and not listener.connected:
        state.changed.clear()
        if listener.connected or state.finished:
            break
        try:
            await asyncio.wait_for(state.changed.wait(), _POLL)
        except TimeoutError:
            pass
    if channel.state != ChannelState.CS_RESET:
        await ctx.park()
    runner = support.runner
    for _ in range(1000):
        if not channel.ready or not channel.has_private_messages:
            break
        await runner.process_queues(channel)
    if resume_wanted(listener.resume, channel):
        channel.set_state(ChannelState.CS_EXECUTE)


async def run_outbound(listener: Listener) -> None:
    """An outbound listener's life: the first packet (reply swallowed), then the loop.

    The first packet must come within the server's auth timeout (FreeSWITCH: 25 whole
    epoch seconds); otherwise ``Socket Error!`` is logged and the listener ends."""
    server = listener.server
    commands = server.commands
    frame = await listener.read_packet(timeout=server.auth_timeout)
    if frame is None:
        channel_uuid = listener.session_uuid or ""
        server.switch.log(
            2, "Socket Error!\n", file="mod_event_socket.c", function="listener_run",
            line=2692, session_uuid=channel_uuid,
        )  # fmt: skip
        listener.running = False
        return
    # Only ``connect`` answers the first packet (it writes its own reply).
    await commands.dispatch(listener, Command.from_frame(frame))
    await commands.loop(listener)
