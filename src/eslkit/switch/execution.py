"""The session "thread": one asyncio task per channel driving its state machine.

``run_session`` follows ``switch_core_session_run``: CS_INIT (CHANNEL_STATE, the endpoint's
init, CHANNEL_CREATE and, for originated legs, CHANNEL_ORIGINATE), CS_ROUTING (a dialplan
hunt, or CS_CONSUME_MEDIA for a leg being originated), CS_EXECUTE (the applications in
order, each with CHANNEL_EXECUTE / CHANNEL_EXECUTE_COMPLETE), then CS_HANGUP,
CS_REPORTING (CHANNEL_HANGUP_COMPLETE with the billing variables) and CS_DESTROY
(CHANNEL_DESTROY). CS_RESET re-sets ``call_uuid`` (``switch_core_standard_on_reset``); the
states that only wait (CS_RESET, CS_CONSUME_MEDIA, ...) still handle queued private
messages when woken, as the session thread's ``switch_ivr_parse_all_events`` does.

The park loop (``switch_ivr_park``) handles queued private messages (sendmsg) and session
events on the channel's 20 ms frame cadence: without media it yields a frame, then handles
one private message silently; with media (answered or early) the frame read comes first.
Either way ``switch_ivr_parse_all_events`` follows, handling the remaining messages with a
PRIVATE_COMMAND each, and then one session event. An idle park loop arms no timer.

:meth:`SessionRunner.parse_event` is ``switch_ivr_parse_event`` for every caller (the park
loop, media loops and the event socket's inline sync ``sendmsg``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from eslkit.fsutil import c_atoi, new_uuid, switch_true
from eslkit.protocol.event import Event
from eslkit.protocol.names import ChannelState, EventType, HangupCause, hangup_cause_from_string
from eslkit.protocol.records import CallingSite
from eslkit.switch import calllog as cl
from eslkit.switch import channel_events as ce
from eslkit.switch.apps import AppContext, AppRunner
from eslkit.switch.channel import CallState, Channel, ChannelChange, Dtmf, SessionEvent
from eslkit.switch.ivr.record import stop_recordings_at_hangup
from eslkit.switch.ivr.transfer import route, session_transfer
from eslkit.switch.ivr.wait import interruptible_wait

if TYPE_CHECKING:
    from eslkit.switch.endpoints import Endpoint
    from eslkit.switch.sessions import SessionManager

__all__ = [
    "FAST_LOOP_SECONDS",
    "FRAME_SECONDS",
    "MAX_LOOPS",
    "PRIVATE_COMMAND_SITE",
    "SessionRunner",
]

PRIVATE_COMMAND_SITE = CallingSite("switch_ivr.c", "switch_ivr_parse_next_event", 804)
# Where FreeSWITCH's state-machine log lines say they come from.
_ORIGINATE_ROUTING_SITE = CallingSite("switch_ivr_originate.c", "originate_on_routing", 67)
_HANGUP_REPORTING_SITE = CallingSite(cl.SSM, "switch_core_session_run", 616)
_REPORTING_DESTROY_SITE = CallingSite(cl.SSM, "switch_core_session_run", 607)
_LAST_INSTRUCTION_SITE = CallingSite(cl.SSM, "switch_core_standard_on_execute", 382)
_LAST_INSTRUCTION_HANGUP_SITE = CallingSite(cl.SSM, "switch_core_standard_on_execute", 384)
_PARSE_EVENT_HANGUP_SITE = CallingSite("switch_ivr.c", "switch_ivr_parse_event", 773)
_COMMAND_EXECUTE_SITE = CallingSite("switch_ivr.c", "switch_ivr_parse_event", 632)
#: One media frame (switch seconds): the park loop's read_frame / ``switch_yield(20000)``.
FRAME_SECONDS = 0.02
#: ``loops``: an iteration faster than this ends the loop (switch_ivr_parse_event).
FAST_LOOP_SECONDS = 0.5
#: Upper bound on ``loops`` (FreeSWITCH has none; a negative value repeats "forever").
MAX_LOOPS = 100_000
#: Bound on private messages one ``parse_all_events`` pass handles.
_MAX_PARSE_ALL = 1000


class SessionRunner(AppRunner):
    """Runs channels' session tasks and implements the helpers applications use."""

    def __init__(self, manager: SessionManager) -> None:
        self.manager = manager
        self.switch = manager.switch
        #: Applications running per channel (``switch_core_session_stack_count``).
        self._depth: dict[str, int] = {}

    def fire_session_event(self, event: Event, event_type: EventType, subclass: str | None) -> None:
        """Fire a session event the session dequeued, routed by its own type and subclass:
        it has no ``Event-Name`` to route it by (Finding 10)."""
        self.switch.fire_typed(event, int(event_type), subclass)

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
        cl.running_state(channel, ChannelState.CS_INIT)
        cl.state_line(channel, ChannelState.CS_INIT)
        if endpoint is not None:
            endpoint.on_init(channel)
        if channel.state == ChannelState.CS_INIT:
            channel.state = ChannelState.CS_ROUTING
            if endpoint is not None:
                cl.state_change(channel, ChannelState.CS_INIT, ChannelState.CS_ROUTING, endpoint.init_site)
        cl.state_line(channel, ChannelState.CS_INIT, sleeping=True)
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
                self._enter_log(channel, state, endpoint)
                if channel.state != ChannelState.CS_ROUTING:
                    cl.state_line(channel, state, sleeping=True)
                    continue
                if "CF_ORIGINATING" in channel.flags:
                    channel.set_state(ChannelState.CS_CONSUME_MEDIA)
                    cl.state_change(channel, state, ChannelState.CS_CONSUME_MEDIA, _ORIGINATE_ROUTING_SITE)
                else:
                    cl.standard_line(channel, state)
                    # switch_core_standard_on_routing (first routing or a transfer's)
                    channel.set_variable("call_uuid", channel.uuid)
                    self._hunt(channel)
                cl.state_line(channel, state, sleeping=True)
                ce.check_presence(channel, state)
            elif state == ChannelState.CS_EXECUTE:
                if channel.running_state != ChannelState.CS_EXECUTE:
                    channel.set_running_state(ChannelState.CS_EXECUTE)
                    self._enter_log(channel, state, endpoint)
                    cl.standard_line(channel, state)
                    if executed_once:
                        # switch_core_standard_on_execute, entered again (after uuid_bridge)
                        channel.set_variable("call_uuid", channel.uuid)
                if not executed_once:
                    executed_once = True
                    channel.set_variable("call_uuid", channel.variables.get("call_uuid") or channel.uuid)
                await self._execute_plan(channel)
                if channel.state != ChannelState.CS_EXECUTE:
                    cl.state_line(channel, state, sleeping=True)
            elif state == ChannelState.CS_PARK:
                channel.set_running_state(ChannelState.CS_PARK)
                self._enter_log(channel, state, endpoint)
                cl.standard_line(channel, state)
                await self.park(channel)
                cl.state_line(channel, state, sleeping=True)
                if channel.state == ChannelState.CS_PARK:
                    await channel.wait_for(lambda ch: ch.state != ChannelState.CS_PARK, None)
            else:
                # CS_CONSUME_MEDIA, CS_RESET, CS_HIBERNATE...: wait for someone to move it.
                channel.set_running_state(state)
                self._enter_log(channel, state, endpoint)
                if state == ChannelState.CS_RESET and "CF_UUID_BRIDGE_ORIGINATOR" not in channel.flags:
                    # switch_core_standard_on_reset (not run for a uuid_bridge's originator,
                    # whose own reset handler moves it on to CS_SOFT_EXECUTE)
                    cl.standard_line(channel, state)
                    channel.set_variable("call_uuid", channel.uuid)
                # A bridged leg's exchange-media handler (audio_bridge_on_exchange_media)
                # runs the bridge: its state "goes to sleep" only once that ends.
                bridged = state == ChannelState.CS_EXCHANGE_MEDIA and channel.other is not None
                if not bridged:
                    cl.state_line(channel, state, sleeping=True)
                handler = channel.soft_execute if state == ChannelState.CS_SOFT_EXECUTE else None
                if handler is not None:
                    # A state handler installed for this session (uuid_bridge's soft execute).
                    channel.soft_execute = None
                    await handler()
                    continue
                await self._wait_in_state(channel, state)
                if bridged:
                    cl.state_line(channel, state, sleeping=True)
                if (
                    state == ChannelState.CS_EXCHANGE_MEDIA
                    and channel.other is not None
                    and ChannelState.CS_ROUTING <= channel.state < ChannelState.CS_HANGUP
                ):
                    # A bridged leg moved on (transferred, parked) sees it at its bridge
                    # thread's next frame: the other side's bridge ends first (UNBRIDGE).
                    await channel.wait_for(lambda ch: not ch.ready, FRAME_SECONDS)
        self._finish(channel)

    @staticmethod
    def _enter_log(channel: Channel, state: ChannelState, endpoint: Endpoint | None) -> None:
        """The lines of a state's entry: Running State Change, State X, the endpoint's."""
        if channel.switch.logs.listen < 0:
            return
        cl.running_state(channel, state)
        cl.state_line(channel, state)
        if endpoint is not None:
            endpoint.log_state(channel, state)

    async def _wait_in_state(self, channel: Channel, state: ChannelState) -> None:
        """The session thread asleep in ``state``: woken by a state change, or by a queued
        private message, which it handles (``switch_ivr_parse_all_events``)."""
        while channel.state == state:
            if channel.has_private_messages:
                await self.parse_all_events(channel)
                continue
            await channel.wait_for(
                lambda ch: ch.state != state or ch.has_private_messages, None
            )
            if channel.running_state == ChannelState.CS_DESTROY:
                return

    def _finish(self, channel: Channel) -> None:
        """CS_HANGUP → CS_REPORTING → CS_DESTROY, once."""
        if "CF_FINISHED" in channel.flags:
            return
        channel.flags.add("CF_FINISHED")
        endpoint = self.manager.endpoint_of(channel)
        if channel.hangup_cause is None:
            channel.hangup(HangupCause.NORMAL_CLEARING)
        channel.set_running_state(ChannelState.CS_HANGUP)
        logging = channel.switch.logs.listen >= 0
        if logging:
            cl.running_state(channel, ChannelState.CS_HANGUP)
        stop_recordings_at_hangup(channel)
        channel.set_call_state(CallState.HANGUP)
        cause = channel.hangup_cause or HangupCause.NORMAL_CLEARING
        channel.set_variable("hangup_cause", cause.name)
        channel.set_variable("hangup_cause_q850", str(int(cause) if int(cause) <= 127 else 16))
        if logging:
            cl.state_line(channel, ChannelState.CS_HANGUP)
            if endpoint is not None:
                endpoint.log_state(channel, ChannelState.CS_HANGUP)
        if endpoint is not None:
            endpoint.on_hangup(channel)
        if logging:
            cl.standard_line(channel, ChannelState.CS_HANGUP)
            cl.state_line(channel, ChannelState.CS_HANGUP, sleeping=True)
            cl.state_change(channel, ChannelState.CS_HANGUP, ChannelState.CS_REPORTING, _HANGUP_REPORTING_SITE)
        channel.state = ChannelState.CS_REPORTING
        ce.check_presence(channel, ChannelState.CS_HANGUP)
        channel.set_running_state(ChannelState.CS_REPORTING)
        if logging:
            cl.running_state(channel, ChannelState.CS_REPORTING)
            cl.state_line(channel, ChannelState.CS_REPORTING)
            cl.standard_line(channel, ChannelState.CS_REPORTING)
        ce.stamp_times(channel)
        if endpoint is not None:
            endpoint.on_reporting(channel)
        channel._notify(ChannelChange.REPORTING)
        ce.fire_hangup_complete(channel)
        if logging:
            cl.state_line(channel, ChannelState.CS_REPORTING, sleeping=True)
            cl.state_change(channel, ChannelState.CS_REPORTING, ChannelState.CS_DESTROY, _REPORTING_DESTROY_SITE)
        channel.state = ChannelState.CS_DESTROY
        ce.fire_channel_event(channel, EventType.CHANNEL_DESTROY, ce.DESTROY_SITE)
        channel.set_running_state(ChannelState.CS_DESTROY)
        if logging:
            cl.close_channel(channel)
        self.manager.remove(channel)
        # switch_core_session_perform_destroy: the session's scheduled tasks (group = uuid) go.
        self.switch.scheduler.delete_group(channel.uuid)
        if logging:
            cl.running_state(channel, ChannelState.CS_DESTROY)
            cl.state_line(channel, ChannelState.CS_DESTROY)
            cl.standard_line(channel, ChannelState.CS_DESTROY)
            cl.state_line(channel, ChannelState.CS_DESTROY, sleeping=True)
        if endpoint is not None:
            endpoint.on_destroy(channel)

    # ------------------------------------------------------------------ routing
    def _hunt(self, channel: Channel) -> None:
        route(channel, self.manager.dialplan)

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
            if channel.ready:
                cl.session_line(
                    channel, 5, _LAST_INSTRUCTION_SITE,
                    f"{channel.name} has executed the last dialplan instruction, hanging up.\n",
                )  # fmt: skip
            channel.hangup(HangupCause.NORMAL_CLEARING, _LAST_INSTRUCTION_HANGUP_SITE)

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
        app = self.switch.modules.application(application)
        if channel.state >= ChannelState.CS_HANGUP:
            # A hung-up channel runs only SAF_ZOMBIE_EXEC applications (set, log, ...); the
            # others are skipped without events, an unknown one without a word.
            if app is None:
                return False
            if not app.zombie_exec:
                self._log_debug(
                    channel,
                    f"{channel.name} Channel is hungup and application '{application}' does not "
                    "have the zombie_exec flag.\n",
                    2759,
                )
                return False
            self._log_debug(
                channel, f"{channel.name} ZOMBIE EXEC {application}({data or '(null)'})\n", 2754
            )
        if app is None:
            self.switch.log(
                3,
                f"Invalid Application {application}\n",
                file="switch_core_session.c",
                function="switch_core_session_execute_application_get_flags",
                line=2733,
                session_uuid=channel.uuid,
            )
            # As FreeSWITCH: the channel hangs up (dialplan, originate &app, sendmsg alike).
            channel.hangup(HangupCause.DESTINATION_OUT_OF_ORDER)
            return False
        if app.needs_media and channel.state < ChannelState.CS_HANGUP and not channel.pre_answer():
            return False
        expanded = channel.expand(data) if data else ""
        depth = self._depth.get(channel.uuid, 0)
        cl.execute_line(channel, app.name, expanded, depth)
        if "verbose_presence" in channel.variables and switch_true(channel.variables["verbose_presence"]):
            ce.fire_presence(channel, f"{app.name}({expanded})", ce.EXEC_PRESENCE_SITE)
        app_uuid = event_uuid or new_uuid()
        channel.set_variable("current_application", app.name)
        channel.set_variable("current_application_data", expanded)
        channel.set_variable("current_application_response", None)
        previous = (channel.current_application, channel.current_application_data)
        channel.current_application, channel.current_application_data = app.name, expanded
        ce.fire_execute(channel, False, app.name, expanded, app_uuid, event_uuid_name)
        channel.flags.discard("CF_BREAK_ALL")
        channel.clear_break()
        channel.set_variable("current_application", app.name)
        self._depth[channel.uuid] = depth + 1
        try:
            await app.function(AppContext(channel, app.name, expanded, self), expanded)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.switch.report_error(exc)
        finally:
            channel.current_application, channel.current_application_data = previous
            if depth:
                self._depth[channel.uuid] = depth
            else:
                self._depth.pop(channel.uuid, None)
        if not channel.ready:
            cl.skip_exec_complete(channel)
        ce.fire_execute(channel, True, app.name, expanded, app_uuid, event_uuid_name)
        return True

    def _log_debug(self, channel: Channel, text: str, line: int) -> None:
        self.switch.log(
            7, text, file="switch_core_session.c",
            function="switch_core_session_execute_application_get_flags", line=line,
            session_uuid=channel.uuid,
        )  # fmt: skip

    async def sleep(
        self,
        channel: Channel,
        seconds: float,
        process_messages: bool,
        on_digit: Callable[[Dtmf], bool] | None = None,
        stop_on_digit: bool = False,
    ) -> bool:
        """Sleep on the scaled clock; handles private messages meanwhile if asked and the
        channel has media (``switch_ivr_sleep`` without media only waits). With media,
        ``on_digit`` reads each digit that arrives (its DTMF event fires; True ends the
        sleep) and ``stop_on_digit`` ends the sleep at a queued digit, leaving it queued."""
        if not process_messages or not media_ready(channel):
            return await interruptible_wait(channel, seconds)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.switch.clock.real_delay(seconds)
        brk = channel.break_event()
        digits = on_digit is not None or stop_on_digit
        while channel.ready:
            if brk.is_set():
                return False
            if digits and channel.has_dtmf():
                if on_digit is None:
                    return False
                dtmf = channel.dequeue_dtmf()
                if dtmf is not None and on_digit(dtmf):
                    return False
                continue
            if channel.has_private_messages or channel.has_session_events:
                # A message run here may break the sleep (the break application):
                # CF_BREAK is checked before the next message is taken.
                await self.process_queues(channel)
                continue
            remaining = deadline - loop.time()
            if remaining <= 0:
                return True
            brk = channel.break_event()
            got = await channel.wait_for(
                lambda ch, brk=brk: brk.is_set() or ch.has_private_messages or ch.has_session_events or not ch.ready or (digits and ch.has_dtmf()),  # type: ignore[misc]
                remaining * self.switch.clock.scale,
            )
            if brk.is_set():
                return False
            if not got and loop.time() >= deadline:
                return channel.ready
        return False

    async def park(self, channel: Channel) -> None:
        """``switch_ivr_park``: CHANNEL_PARK, message loop, CHANNEL_UNPARK.

        Queued work is handled at the end of the frame in progress, never at once: a reply
        to a pipelined command therefore overtakes the PRIVATE_COMMAND of the message
        before it, as in FreeSWITCH. The loop's frames come from the channel's timer, whose
        phase has nothing to do with when work arrives: work that wakes an idle loop waits
        half a frame (10 ms of switch time, the mean), work still queued after a frame
        waits a whole one. While idle the loop just waits (no timer)."""
        if not channel.ready:
            return
        if "CF_UNLINKED" not in channel.flags:  # (a loopback leg whose peer is gone: no read)
            channel.flags.add("CF_PARK")
        ce.fire_channel_event(channel, EventType.CHANNEL_PARK, ce.PARK_SITE)
        state = channel.state

        def parked(ch: Channel) -> bool:
            return ch.ready and "CF_PARK" in ch.flags and ch.state == state

        def woken(ch: Channel) -> bool:
            return not parked(ch) or ch.has_private_messages or ch.has_session_events or ch.has_dtmf()

        frame = FRAME_SECONDS / 2
        while parked(channel):
            if not (channel.has_private_messages or channel.has_session_events or channel.has_dtmf()):
                await channel.wait_for(woken, None)
                frame = FRAME_SECONDS / 2
                if not channel.ready:
                    # Hung up by another thread (the far end, uuid_kill): the parked thread
                    # sees it when its frame read ends. A controlling socket without linger
                    # has seen the hang-up and gone by then (recorded/outbound2).
                    await channel.wait_for(lambda ch: False, FRAME_SECONDS)
                continue
            # The frame in progress: read_frame's 20 ms, or the no-media switch_yield.
            await channel.wait_for(lambda ch: not parked(ch), frame)
            frame = FRAME_SECONDS
            if not parked(channel):
                break
            await self._park_frame(channel)
        channel.flags.discard("CF_PARK")
        ce.fire_channel_event(channel, EventType.CHANNEL_UNPARK, ce.UNPARK_SITE)

    async def _park_frame(self, channel: Channel) -> None:
        """One iteration of switch_ivr_park's loop after its frame."""
        if not media_ready(channel):
            # No media (rate == 0): one private message, parsed directly, no PRIVATE_COMMAND
            # (Finding 1).
            message = channel.pop_private_message()
            if message is not None:
                await self.parse_event(channel, message)
        await self.parse_all_events(channel)
        if channel.has_dtmf():
            # One digit per frame, read and dropped (its DTMF event fires on the dequeue).
            channel.dequeue_dtmf()
        queued = channel.next_session_event()
        if queued is not None:
            self._fire_session_event(channel, queued)

    def transfer(self, channel: Channel, destination: str | None, dialplan: str | None = None, context: str | None = None) -> bool:
        """``switch_ivr_session_transfer`` (see :func:`eslkit.switch.ivr.transfer.session_transfer`):
        a new caller profile, back to CS_ROUTING. False when refused (max_forwards)."""
        if not channel.ready:
            return False
        return session_transfer(channel, destination, dialplan, context)

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
    async def parse_all_events(self, channel: Channel) -> None:
        """``switch_ivr_parse_all_events``: every queued private message, each followed by
        its PRIVATE_COMMAND (``switch_ivr_parse_next_event``), until one fails or breaks."""
        for _ in range(_MAX_PARSE_ALL):
            message = channel.pop_private_message()
            if message is None:
                return
            ok = await self.parse_event(channel, message)
            self._fire_private_command(channel, message)
            if not ok:
                return

    async def process_queues(self, channel: Channel) -> None:
        """What a media loop does per frame: handle one queued private message (with its
        PRIVATE_COMMAND when the channel has media, Finding 1) and every queued session
        event (each fired with its type, or diverted)."""
        message = channel.pop_private_message()
        if message is not None:
            media = media_ready(channel)
            await self.parse_event(channel, message)
            if media:
                self._fire_private_command(channel, message)
        while True:
            queued = channel.next_session_event()
            if queued is None:
                break
            self._fire_session_event(channel, queued)

    def _fire_session_event(self, channel: Channel, queued: SessionEvent) -> None:
        """A dequeued session event: diverted to the controlling listener, or fired with the
        channel's data (variables where its type carries them) and no standard headers."""
        event = queued.event
        diverter = channel.event_diverter
        if diverter is not None and diverter(event):
            return
        ce.event_set_data(channel, event, queued.event_type.name)
        self.fire_session_event(event, queued.event_type, queued.subclass)

    def _fire_private_command(self, channel: Channel, message: Event) -> None:
        event = message.copy()
        self.switch.stamp_standard_headers(event, PRIVATE_COMMAND_SITE, EventType.PRIVATE_COMMAND)
        out: list[tuple[str, str]] = []
        ce.basic_data(channel, out)
        for name, value in out:
            event.add_header(name, value)
        self.switch.fire(event)

    async def _lead_frames(self, channel: Channel, count: int) -> bool:
        """``lead-frames: N`` (uuid_broadcast's 5): read until N frames that are not CNG, at
        most 2N-1 reads; a loopback leg nobody plays to reads only CNG, so 2N-1 frames (as
        recorded: a broadcast to a parked loopback leg starts 200 ms later). False if the
        channel hung up meanwhile (the command is dropped)."""
        if count <= 0:
            return True
        audio = _sends_audio(channel, self.manager.endpoint_of(channel))
        reads = count if audio else 2 * count - 1
        await channel.wait_for(lambda ch: not ch.ready, FRAME_SECONDS * reads)
        return channel.ready

    async def parse_event(self, channel: Channel, message: Event) -> bool:
        """``switch_ivr_parse_event``: act on one sendmsg (spec §6.4). False (and nothing
        done) for a message without ``call-command``.

        ``call-command`` is compared case-sensitively; ``execute`` honours ``loops`` (stopping
        after any iteration shorter than 0.5 s), the ``content-type: text/plain`` body as the
        argument, ``event-uuid``/``event-uuid-name``; ``hangup`` takes a cause name or number;
        ``xferext`` runs the ``application`` headers as a new extension; ``event-lock: true``
        holds the private queue until the command is done. ``unicast`` and ``nomedia`` need
        media the simulated switch does not carry and do nothing."""
        command = message.get("call-command")
        if not command:
            self.switch.log(
                3, "Invalid Command!\n", file="switch_ivr.c", function="switch_ivr_parse_event",
                line=527, session_uuid=channel.uuid,
            )  # fmt: skip
            return False
        event_lock = switch_true(message.get("event-lock"))
        if event_lock:
            channel.flags.add("CF_EVENT_LOCK")
        try:
            lead = message.get("lead-frames")
            if lead and media_ready(channel) and not await self._lead_frames(channel, c_atoi(lead)):
                return True
            if command == "execute":
                await self._execute_message(channel, message)
            elif command == "hangup":
                cause_text = message.get("hangup-cause")
                cause = hangup_cause_from_string(cause_text) if cause_text else HangupCause.NORMAL_CLEARING
                channel.hangup(cause, _PARSE_EVENT_HANGUP_SITE)
            elif command == "xferext":
                plan: list[tuple[str, str]] = []
                for name, value in message.headers:
                    if name.lower() == "application":
                        app, _, data = value.partition(" ")
                        plan.append((app, data))
                self.replan(channel, plan)
        finally:
            if event_lock:
                channel.flags.discard("CF_EVENT_LOCK")
                channel.notify_waiters()
        return True

    async def _execute_message(self, channel: Channel, message: Event) -> None:
        app = message.get("execute-app-name")
        if not app:
            return
        arg = message.get("execute-app-arg")
        content_type = message.get("content-type")
        if not arg and content_type and content_type.lower() == "text/plain":
            arg = message.body
        loops_text = message.get("loops")
        loops = min(c_atoi(loops_text) if loops_text is not None else 1, MAX_LOOPS)
        scale = self.switch.clock.scale
        count = 0
        while count < loops or (loops < 0 and count < MAX_LOOPS):
            channel.set_variable("current_loop", str(count + 1))
            channel.set_variable("total_loops", str(loops))
            before = time.monotonic()
            if self.switch.logs.listen >= 0:
                cl.session_line(
                    channel, 7, _COMMAND_EXECUTE_SITE,
                    f"{channel.name} Command Execute [depth={self._depth.get(channel.uuid, 0)}] "
                    f"{app}({arg or ''})\n",
                )  # fmt: skip
            ok = await self.execute(
                channel,
                app,
                arg or "",
                event_uuid=message.get("event-uuid"),
                event_uuid_name=message.get("event-uuid-name"),
            )
            if not ok or not channel.ready:
                break
            if (time.monotonic() - before) * scale < FAST_LOOP_SECONDS:
                break
            count += 1
        channel.set_variable("current_loop", None)
        channel.set_variable("total_loops", None)


def _sends_audio(channel: Channel, endpoint: Endpoint | None) -> bool:
    """Whether the frames this channel reads carry audio (not CNG): its endpoint sends
    frames, or its loopback partner is playing something."""
    return (endpoint is not None and endpoint.sends_frames) or channel.far_end_talking


def media_ready(channel: Channel) -> bool:
    """``switch_channel_media_ready``: answered or early media, not hung up."""
    return channel.ready and (channel.answered or channel.early_media)
