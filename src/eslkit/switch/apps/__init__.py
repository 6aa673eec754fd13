"""Dialplan applications: what an application gets to work with.

An application is one decorated coroutine in a :class:`~eslkit.switch.modules.Module`::

    from eslkit.switch.apps import AppContext
    from eslkit.switch.modules import Module

    module = Module("mod_example")

    @module.application("beep", "Say beep")
    async def beep(ctx: AppContext, data: str) -> None:
        if not await ctx.sleep(1.0):      # interruptible, on the scaled clock
            return                        # uuid_break or hang-up
        ctx.channel.set_variable("beeped", "true")

and the module is loaded into a switch (built-ins: :func:`eslkit.switch.modules.builtin_modules`;
others: ``switch.load_module(module)`` or the ``eslkit.switch`` entry-point group).

``data`` is the application's argument, already ``${}``-expanded. The session task fires
CHANNEL_EXECUTE before and CHANNEL_EXECUTE_COMPLETE after (``Application-Response`` is the
``current_application_response`` variable; :meth:`AppContext.set_response` sets it).
An application that raises is reported to the switch and counts as completed. The media
and bridge machinery applications share with API commands is :mod:`eslkit.switch.ivr`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from eslkit.switch.channel import Channel, Dtmf

if TYPE_CHECKING:
    from eslkit.switch.core import Switch

__all__ = ["AppContext", "AppRunner", "Application", "ApplicationFunction"]


class AppContext:
    """What a running application sees: its channel, the switch, and session helpers."""

    __slots__ = ("application", "channel", "data", "runner", "switch")

    def __init__(self, channel: Channel, application: str, data: str, runner: AppRunner) -> None:
        self.channel = channel
        self.switch: Switch = channel.switch
        self.application = application
        self.data = data
        self.runner = runner

    async def sleep(
        self,
        seconds: float,
        *,
        process_messages: bool = True,
        on_digit: Callable[[Dtmf], bool] | None = None,
        stop_on_digit: bool = False,
    ) -> bool:
        """Wait ``seconds`` of switch time (``switch_ivr_sleep``).

        Returns True when the time ran out, False when interrupted early by ``uuid_break``
        or a hang-up. With ``process_messages`` queued private messages (sendmsg) and
        session events are handled meanwhile, as FreeSWITCH's sleep does. On a channel with
        media, ``on_digit`` reads the digits that arrive (True ends the wait) and
        ``stop_on_digit`` ends it at a queued digit, unread."""
        return await self.runner.sleep(
            self.channel, seconds, process_messages, on_digit, stop_on_digit
        )

    async def park(self) -> None:
        """``switch_ivr_park``: CHANNEL_PARK, then handle private messages and session
        events until hang-up, a transfer, or :meth:`unpark`; then CHANNEL_UNPARK."""
        await self.runner.park(self.channel)

    def unpark(self) -> None:
        """Make a running :meth:`park` return (``CF_PARK`` cleared), like the socket app's
        ``exit``/``resume``."""
        self.channel.flags.discard("CF_PARK")
        self.channel.interrupt()

    async def execute(self, application: str, data: str = "", *, event_uuid: str | None = None) -> bool:
        """Run another application on this channel now (``switch_core_session_execute_
        application``), with its own EXECUTE/EXECUTE_COMPLETE. False if it is unknown."""
        return await self.runner.execute(self.channel, application, data, event_uuid=event_uuid)

    def set_response(self, text: str | None) -> None:
        """Set ``current_application_response`` (EXECUTE_COMPLETE's Application-Response)."""
        self.channel.set_variable("current_application_response", text)

    def transfer(self, destination: str | None, dialplan: str | None = None, context: str | None = None) -> bool:
        """``switch_ivr_session_transfer``: a new caller profile for ``destination`` in
        ``context`` (missing: the profile's dialplan and context), hunted again; the current
        application list is abandoned after this application returns. False if refused."""
        return self.runner.transfer(self.channel, destination, dialplan, context)

    @property
    def interrupted(self) -> bool:
        """True once the channel is hung up (apps should return promptly)."""
        return not self.channel.ready


class AppRunner:
    """What the session task offers applications (implemented by :mod:`execution`)."""

    async def sleep(
        self,
        channel: Channel,
        seconds: float,
        process_messages: bool,
        on_digit: Callable[[Dtmf], bool] | None = None,
        stop_on_digit: bool = False,
    ) -> bool:
        """See :meth:`AppContext.sleep`."""
        raise NotImplementedError

    async def park(self, channel: Channel) -> None:
        """See :meth:`AppContext.park`."""
        raise NotImplementedError

    async def execute(self, channel: Channel, application: str, data: str, *, event_uuid: str | None) -> bool:
        """See :meth:`AppContext.execute`."""
        raise NotImplementedError

    def transfer(self, channel: Channel, destination: str | None, dialplan: str | None = None, context: str | None = None) -> bool:
        """See :meth:`AppContext.transfer`."""
        raise NotImplementedError


ApplicationFunction = Callable[[AppContext, str], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Application:
    """A registered dialplan application."""

    name: str
    function: ApplicationFunction
    description: str = ""
    syntax: str = ""
    #: ``SAF_ZOMBIE_EXEC``: runs on a hung-up channel too (``set``, ``log``, ...); any
    #: other application is skipped there, without events.
    zombie_exec: bool = False
    #: Without ``SAF_SUPPORT_NOMEDIA``: the core pre-answers a channel without media before
    #: it runs the application (before its EXECUTE event).
    needs_media: bool = False
