"""The session "thread": one asyncio task per channel driving its state machine.

``run_session`` follows ``switch_core_session_run``: CS_INIT (CHANNEL_STATE, the endpoint's
init, CHANNEL_CREATE and, for originated legs, CHANNEL_ORIGINATE), CS_ROUTING (a dialplan
hunt, or CS_CONSUME_MEDIA for a leg being originated), CS_EXECUTE (the applications in
order, each with CHANNEL_EXECUTE / CHANNEL_EXECUTE_COMPLETE), then CS_HANGUP,
CS_REPORTING (CHANNEL_HANGUP_COMPLETE with the billing variables) and CS_DESTROY
(CHANNEL_DESTROY). The park loop handles queued private messages (sendmsg) and session
events.
"""

from __future__ import annotations

import asyncio
import uuid as uuid_module
from typing import TYPE_CHECKING

from eslkit.protocol.event import Event
from eslkit.protocol.names import ChannelState, EventType, HangupCause, hangup_cause_from_string
from eslkit.switch import channel_events as ce
from eslkit.switch.apps import AppContext, AppRunner, get_application, interruptible_wait
from eslkit.switch.channel import CallState, Channel
from eslkit.switch.expand import c_atoi
from eslkit.switch.interface import CallingSite

if TYPE_CHECKING:
    from eslkit.switch.sessions import SessionManager

__all__ = ["PRIVATE_COMMAND_SITE", "SessionRunner"]

PRIVATE_COMMAND_SITE = CallingSite("switch_ivr.c", "switch_ivr_parse_next_event", 804)
_MAX_LOOPS = 1000
_MAX_TRANSFERS = 100


class SessionRunner(AppRunner):
    """Runs channels' session tasks and implements the helpers applications use."""

    def __init__(self, manager: SessionManager) -> None:
        self.manager = manager
        self.switch = manager.switch
        self._transfers: dict[str, int] = {}

    # ------------------------------------------------------------------ the session task
    async def run_session(self, channel: Channel) -> None:
        """Drive ``channel`` from CS_INIT to CS_DESTROY (never raises)."""
        try:
            await self._run(channel)
        except asyncio.CancelledError:
            channel.hangup(HangupCause.SYSTEM_SHUTDOWN)
            self._finish(channel)
            raise
        except Exception as exc:
            self.switch.report_error(exc)
            channel.hangup(HangupCause.CRASH)
            self._finish(channel)

    async def _run(self, channel: Channel) -> None:
        endpoint = self.manager.endpoint_of(channel)
        if channel.state < ChannelState.CS_INIT:
            channel.state = ChannelState.CS_INIT
        channel.set_running_state(ChannelState.CS_INIT)
        if endpoint is not None:
            endpoint.on_init(channel)
        if channel.state == ChannelState.CS_INIT:
            channel.state = ChannelState.CS_ROUTING
        ce.fire_channel_event(channel, EventType.CHANNEL_CREATE, ce.CREATE_SITE)
        if "CF_ORIGINATING" in channel.flags:
            ce.fire_channel_event(channel, EventType.CHANNEL_ORIGINATE, ce.ORIGINATE_SITE)
        if endpoint is not None:
            endpoint.on_created(channel)
        executed_once = False
        while channel.state < ChannelState.CS_HANGUP:
            state = channel.state
            if state == ChannelState.CS_ROUTING:
                channel.set_running_state(ChannelState.CS_ROUTING)
                if channel.state != ChannelState.CS_ROUTING:
                    continue
                if "CF_ORIGINATING" in channel.flags:
                    channel.set_state(ChannelState.CS_CONSUME_MEDIA)
                else:
                    self._hunt(channel)
            elif state == ChannelState.CS_EXECUTE:
                if channel.running_state != ChannelState.CS_EXECUTE:
                    channel.set_running_state(ChannelState.CS_EXECUTE)
                if not executed_once:
                    executed_once = True
                    channel.set_variable("call_uuid", channel.variables.get("call_uuid") or channel.uuid)
                await self._execute_plan(channel)
            elif state == ChannelState.CS_PARK:
                channel.set_running_state(ChannelState.CS_PARK)
                await self.park(channel)
                if channel.state == ChannelState.CS_PARK:
                    await channel.wait_for(lambda ch: ch.state != ChannelState.CS_PARK, None)
            else:
                # CS_CONSUME_MEDIA, CS_RESET, CS_HIBERNATE...: wait for someone to move it.
                channel.set_running_state(state)
                await channel.wait_for(lambda ch, s=state: ch.state != s, None)  # type: ignore[misc]
        self._finish(channel)

    def _finish(self, channel: Channel) -> None:
        """CS_HANGUP → CS_REPORTING → CS_DESTROY, once."""
        if "CF_FINISHED" in channel.flags:
            return
        channel.flags.add("CF_FINISHED")
        endpoint = self.manager.endpoint_of(channel)
        if channel.hangup_cause is None:
            channel.hangup(HangupCause.NORMAL_CLEARING)
        channel.set_running_state(ChannelState.CS_HANGUP)
        channel.set_call_state(CallState.HANGUP)
        cause = channel.hangup_cause or HangupCause.NORMAL_CLEARING
        channel.set_variable("hangup_cause", cause.name)
        channel.set_variable("hangup_cause_q850", str(int(cause) if int(cause) < 128 else 0))
        if endpoint is not None:
            endpoint.on_hangup(channel)
        channel.state = ChannelState.CS_REPORTING
        channel.set_running_state(ChannelState.CS_REPORTING)
        ce.stamp_times(channel)
        if endpoint is not None:
            endpoint.on_reporting(channel)
        ce.fire_hangup_complete(channel)
        channel.state = ChannelState.CS_DESTROY
        ce.fire_channel_event(channel, EventType.CHANNEL_DESTROY, ce.DESTROY_SITE)
        channel.set_running_state(ChannelState.CS_DESTROY)
        self.manager.remove(channel)
        if endpoint is not None:
            endpoint.on_destroy(channel)

    # ------------------------------------------------------------------ routing
    def _hunt(self, channel: Channel) -> None:
        profile = channel.profile()
        if not profile.dialplan:
            profile.dialplan = "XML"
        if not profile.context:
            profile.context = "default"
        channel.hit_dialplan = True

        def run_inline(app: str, data: str) -> None:
            # Inline actions are set/unset-like: run the synchronous subset now.
            if app == "set":
                name, _, value = channel.expand(data).partition("=")
                channel.set_variable(name, value or None)
            elif app == "unset":
                channel.set_variable(channel.expand(data), None)

        actions = self.manager.dialplan.hunt(profile.context, channel, run_inline=run_inline)
        if actions is None:
            channel.hangup(HangupCause.NO_ROUTE_DESTINATION)
            return
        channel.plan = [(a.application, a.data) for a in actions]
        channel.set_state(ChannelState.CS_EXECUTE)

    async def _execute_plan(self, channel: Channel) -> None:
        plan, channel.plan = channel.plan, []
        for app, data in plan:
            if channel.state != ChannelState.CS_EXECUTE or "CF_REPLAN" in channel.flags:
                break
            await self.execute(channel, app, data, event_uuid=None)
        if "CF_REPLAN" in channel.flags:
            channel.flags.discard("CF_REPLAN")
            return
        if channel.state == ChannelState.CS_EXECUTE:
            # Out of applications: FreeSWITCH hangs up NORMAL_CLEARING.
            channel.hangup(HangupCause.NORMAL_CLEARING)

    # ------------------------------------------------------------------ AppRunner
    async def execute(
        self,
        channel: Channel,
        application: str,
        data: str,
        *,
        event_uuid: str | None,
        event_uuid_name: str | None = None,
    ) -> bool:
        """``switch_core_session_execute_application``: EXECUTE, run, EXECUTE_COMPLETE."""
        app = get_application(application)
        if app is None:
            self.switch.log(
                3,
                f"Invalid Application {application}\n",
                file="switch_core_session.c",
                function="switch_core_session_execute_application_get_flags",
                line=2733,
                session_uuid=channel.uuid,
            )
            return False
        expanded = channel.expand(data) if data else ""
        app_uuid = event_uuid or str(uuid_module.uuid4())
        channel.set_variable("current_application", app.name)
        channel.set_variable("current_application_data", expanded)
        channel.set_variable("current_application_response", None)
        previous = (channel.current_application, channel.current_application_data)
        channel.current_application, channel.current_application_data = app.name, expanded
        ce.fire_execute(channel, False, app.name, expanded, app_uuid, event_uuid_name)
        channel.flags.discard("CF_BREAK_ALL")
        channel.set_variable("current_application", app.name)
        try:
            await app.function(AppContext(channel, app.name, expanded, self), expanded)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.switch.report_error(exc)
        finally:
            channel.current_application, channel.current_application_data = previous
        ce.fire_execute(channel, True, app.name, expanded, app_uuid, event_uuid_name)
        return True

    async def sleep(self, channel: Channel, seconds: float, process_messages: bool) -> bool:
        """Sleep on the scaled clock; handles private messages meanwhile if asked."""
        if not process_messages:
            return await interruptible_wait(channel, seconds)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.switch.clock.real_delay(seconds)
        while channel.ready:
            if channel.has_private_messages or channel.has_session_events:
                await self.process_queues(channel)
                continue
            remaining = deadline - loop.time()
            if remaining <= 0:
                return True
            brk = channel.break_event()
            got = await channel.wait_for(
                lambda ch, brk=brk: brk.is_set() or ch.has_private_messages or ch.has_session_events or not ch.ready,  # type: ignore[misc]
                remaining * self.switch.clock.scale,
            )
            if brk.is_set():
                return False
            if not got and loop.time() >= deadline:
                return channel.ready
        return False

    async def park(self, channel: Channel) -> None:
        """``switch_ivr_park``: CHANNEL_PARK, message loop, CHANNEL_UNPARK."""
        if not channel.ready:
            return
        channel.flags.add("CF_PARK")
        ce.fire_channel_event(channel, EventType.CHANNEL_PARK, ce.PARK_SITE)
        state = channel.state
        while channel.ready and "CF_PARK" in channel.flags and channel.state == state:
            if channel.has_private_messages or channel.has_session_events:
                await self.process_queues(channel)
                continue
            await channel.wait_for(
                lambda ch: ch.has_private_messages
                or ch.has_session_events
                or not ch.ready
                or "CF_PARK" not in ch.flags
                or ch.state != state,
                None,
            )
        channel.flags.discard("CF_PARK")
        ce.fire_channel_event(channel, EventType.CHANNEL_UNPARK, ce.UNPARK_SITE)

    def transfer(self, channel: Channel, destination: str, dialplan: str, context: str) -> None:
        """``switch_ivr_session_transfer``: new destination/context, back to CS_ROUTING."""
        count = self._transfers.get(channel.uuid, 0) + 1
        self._transfers[channel.uuid] = count
        if count > _MAX_TRANSFERS or not channel.ready:
            channel.hangup(HangupCause.EXCHANGE_ROUTING_ERROR)
            return
        profile = channel.profile()
        profile.destination_number = destination
        profile.dialplan = dialplan or "XML"
        profile.context = context or "default"
        profile.times.transferred = self.switch.clock.wall_us()
        channel.flags.discard("CF_ORIGINATING")
        channel.flags.discard("CF_PARK")
        channel.plan = []
        channel.set_state(ChannelState.CS_ROUTING)
        channel.interrupt()

    def replan(self, channel: Channel, plan: list[tuple[str, str]]) -> None:
        """Abandon the current applications and run ``plan`` instead (``uuid_park``)."""
        if not channel.ready:
            return
        channel.plan = list(plan)
        channel.flags.discard("CF_ORIGINATING")
        channel.flags.discard("CF_PARK")
        if channel.running_state == ChannelState.CS_EXECUTE:
            channel.flags.add("CF_REPLAN")
        channel.set_state(ChannelState.CS_EXECUTE)
        channel.interrupt()

    # ------------------------------------------------------------------ queues
    async def process_queues(self, channel: Channel) -> None:
        """Handle one queued private message and every queued session event."""
        message = channel.pop_private_message()
        if message is not None:
            media = channel.answered
            await self.parse_event(channel, message)
            if media:
                self._fire_private_command(channel, message)
        while True:
            event = channel.pop_session_event()
            if event is None:
                break
            diverter = channel.event_diverter
            if diverter is not None and diverter(event):
                continue
            ce.event_set_data(channel, event)
            self.switch.fire(event)

    def _fire_private_command(self, channel: Channel, message: Event) -> None:
        event = message.copy()
        self.switch.stamp_standard_headers(event, PRIVATE_COMMAND_SITE, EventType.PRIVATE_COMMAND)
        out: list[tuple[str, str]] = []
        ce.basic_data(channel, out)
        for name, value in out:
            event.add_header(name, value)
        self.switch.fire(event)

    async def parse_event(self, channel: Channel, message: Event) -> None:
        """``switch_ivr_parse_event``: act on one sendmsg (execute, hangup, ...)."""
        command = (message.get("call-command") or "").lower()
        if command == "execute":
            app = message.get("execute-app-name") or ""
            arg = message.get("execute-app-arg")
            if arg is None:
                arg = message.body or ""
            loops = max(1, min(_MAX_LOOPS, c_atoi(message.get("loops") or "1")))
            for _ in range(loops):
                if not channel.ready:
                    break
                await self.execute(
                    channel,
                    app,
                    arg,
                    event_uuid=message.get("Event-UUID"),
                    event_uuid_name=message.get("Event-UUID-Name"),
                )
        elif command == "hangup":
            cause_text = message.get("hangup-cause")
            cause = hangup_cause_from_string(cause_text) if cause_text else HangupCause.NORMAL_CLEARING
            channel.hangup(cause)
