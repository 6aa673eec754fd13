"""The ``socket`` dialplan application (mod_event_socket's ``socket_function``).

``socket host[:port][/path][|host2...] [async] [full]`` (spec §6) connects to the first
host that accepts and hands the channel to an outbound listener of the event socket server
(reached through the switch's ``outbound_connector``, which
:meth:`eslkit.switch.backend.SwitchBackend.serve_outbound` sets):

- **Sync** (the default): the application waits for the listener to finish, as FreeSWITCH
  runs ``listener_run`` in the session thread; ``sendmsg`` runs applications inline.
- **async**: the application waits for ``connect`` (or the listener's end, or a hang-up),
  then parks the channel; queued ``sendmsg`` commands run in the park loop. When the park
  ends, ``resume`` sends the channel on with the next dialplan action.

If no host connects it logs ``Socket Error!`` and returns: the dialplan continues.
"""

from __future__ import annotations

import asyncio
import errno
import os

from eslkit.protocol.names import ChannelState
from eslkit.switch.apps import AppContext
from eslkit.switch.backend import ChannelControl, resume_wanted
from eslkit.switch.dialstring import parse_socket_app_data
from eslkit.switch.modules import Module

__all__ = ["CONNECT_TIMEOUT", "MAX_TRAILING_MESSAGES", "module", "socket_app"]

#: mod_event_socket's dialplan application, loaded into a switch when a server serves it
#: (:meth:`eslkit.switch.backend.SwitchBackend.serve_outbound`).
module = Module("mod_event_socket")

#: Bound on one TCP connect attempt (FreeSWITCH uses the OS default).
CONNECT_TIMEOUT = 10.0
#: How many queued private events the async socket app handles after its park.
MAX_TRAILING_MESSAGES = 1000
#: How often the application re-checks its wait (it is also woken).
_POLL = 1.0


def _log(ctx: AppContext, level: int, text: str, line: int) -> None:
    ctx.switch.log(
        level, text, file="mod_event_socket.c", function="socket_function", line=line,
        session_uuid=ctx.channel.uuid,
    )  # fmt: skip


async def _wait_changed(control: ChannelControl) -> None:
    control.changed.clear()
    try:
        await asyncio.wait_for(control.changed.wait(), _POLL)
    except TimeoutError:
        pass


@module.application("socket", "Connect to a socket", "<ip>[:<port>]")
async def socket_app(ctx: AppContext, data: str) -> None:
    """The ``socket`` dialplan application (``socket_function``)."""
    connector = ctx.switch.outbound_connector
    target = parse_socket_app_data(data)
    if not target.hosts:
        _log(ctx, 3, "Parse Error!\n", 440)
        return
    if connector is None:
        _log(ctx, 3, "Socket Error!\n", 486)
        return
    channel = ctx.channel
    control: ChannelControl | None = None
    for host in target.hosts:
        if not host.host:
            _log(ctx, 3, "Missing Host!\n", 449)
            continue
        _log(ctx, 5, f"Trying host: {host.host}\n", 453)
        if host.path is not None:
            channel.set_variable("socket_path", host.path)
        channel.set_variable("socket_host", host.host)
        attempt = ChannelControl(ctx.switch, channel)
        try:
            await asyncio.wait_for(
                connector(attempt, host.host, host.port, target.async_, target.full),
                CONNECT_TIMEOUT,
            )
        except (OSError, TimeoutError) as exc:
            attempt.detach()
            code = getattr(exc, "errno", None) or errno.ETIMEDOUT
            _log(ctx, 3, f"Socket Error: {os.strerror(code)}\n", 481)
            continue
        control = attempt
        break
    if control is None:
        _log(ctx, 3, "Socket Error!\n", 486)
        return
    if not target.async_:
        # Sync: the listener is this session's "thread"; wait for it to end.
        while not control.finished:
            await _wait_changed(control)
        return
    while channel.ready and not control.finished and not control.connected:
        await _wait_changed(control)
    if channel.state != ChannelState.CS_RESET:
        await ctx.park()
    runner = ctx.switch.sessions.runner
    for _ in range(MAX_TRAILING_MESSAGES):
        if not channel.ready or not channel.has_private_messages:
            break
        await runner.process_queues(channel)
    if resume_wanted(control.resume, channel):
        channel.set_state(ChannelState.CS_EXECUTE)
