"""``sim/<script>``: a scriptable remote party (new in eslkit; see docs/sim.md).

The target is a ``;``-separated script of steps, run in order on the switch's scaled clock:

- ``ring`` / ``ring:<s>``: ring (CHANNEL_PROGRESS), then wait ``s`` seconds;
- ``early`` / ``early:<s>``: early media (CHANNEL_PROGRESS_MEDIA), then wait;
- ``answer``; ``wait:<s>``;
- ``dtmf:<digits>[@<gap>]``: send digits, ``gap`` seconds apart (default 0.1);
- ``talk:<s>``: TALK, ``s`` seconds of speech, NOTALK;
- ``hangup[:<CAUSE>]`` / ``reject:<CAUSE>``: end the call (NORMAL_CLEARING by default).

A target that is not a script (``sim/agent``) uses channel variables instead:
``sim_answer_delay`` (s), ``sim_reject`` (cause), ``sim_early_media`` (true), ``sim_dtmf``,
``sim_dtmf_delay`` (s after answer), ``sim_dtmf_gap`` (s), ``sim_talk`` (s),
``sim_hangup_after`` (s after answer). Without any, it answers at once and stays up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from eslkit.fsutil import switch_true
from eslkit.protocol.names import EventType, HangupCause, hangup_cause_from_string
from eslkit.protocol.records import CallingSite
from eslkit.switch import channel_events as ce
from eslkit.switch.endpoints import Endpoint, OutgoingRequest, make_outbound
from eslkit.switch.modules import Module

if TYPE_CHECKING:
    from eslkit.switch.channel import Channel
    from eslkit.switch.sessions import SessionManager

__all__ = ["ENDPOINT", "SimEndpoint", "SimStep", "module", "parse_script"]

TALK_SITE = CallingSite("switch_ivr_async.c", "speech_thread", 1)
MAX_STEPS = 256
_WORDS = frozenset({"ring", "early", "pre_answer", "answer", "wait", "sleep", "dtmf", "talk", "hangup", "reject"})


@dataclass(frozen=True, slots=True)
class SimStep:
    """One script step: an action and its argument (``""`` when none)."""

    action: str
    arg: str = ""


def parse_script(target: str) -> list[SimStep] | None:
    """The steps of a ``sim/`` target, or None when it is a plain name (not a script)."""
    steps: list[SimStep] = []
    for item in target.split(";"):
        item = item.strip()
        if not item:
            continue
        action, _, arg = item.partition(":")
        action = action.strip().lower()
        if action not in _WORDS:
            return None
        steps.append(SimStep(action, arg.strip()))
        if len(steps) >= MAX_STEPS:
            break
    return steps or None


def _seconds(text: str, default: float = 0.0) -> float:
    try:
        value = float(text)
    except ValueError:
        return default
    return value if 0 <= value < 1e7 else default


def _from_variables(channel: Channel) -> list[SimStep]:
    v = channel.get_variable
    steps = [SimStep("ring")]
    if switch_true(v("sim_early_media")):
        steps.append(SimStep("early"))
    steps.append(SimStep("wait", v("sim_answer_delay") or "0"))
    reject = v("sim_reject")
    if reject:
        return [*steps, SimStep("reject", reject)]
    steps.append(SimStep("answer"))
    digits = v("sim_dtmf")
    elapsed = 0.0
    if digits:
        delay = _seconds(v("sim_dtmf_delay") or "0")
        steps.append(SimStep("wait", str(delay)))
        elapsed += delay
        gap = v("sim_dtmf_gap") or "0.1"
        steps.append(SimStep("dtmf", f"{digits}@{gap}"))
        elapsed += _seconds(gap, 0.1) * len(digits)
    talk = v("sim_talk")
    if talk:
        steps.append(SimStep("talk", talk))
        elapsed += _seconds(talk)
    after = v("sim_hangup_after")
    if after:
        steps.append(SimStep("wait", str(max(0.0, _seconds(after) - elapsed))))
        steps.append(SimStep("hangup"))
    return steps


class SimEndpoint(Endpoint):
    """The ``sim`` endpoint."""

    name = "sim"

    def outgoing(self, manager: SessionManager, request: OutgoingRequest) -> Channel | HangupCause:
        """A channel named ``sim/<target>``."""
        return make_outbound(manager, self, f"sim/{request.target}", request)

    def on_created(self, channel: Channel) -> None:
        """Start the script."""
        target = channel.name[4:]
        steps = parse_script(target)
        if steps is None:
            steps = _from_variables(channel)
        channel.switch.spawn(run_script(channel, steps))


async def _wait(channel: Channel, seconds: float) -> bool:
    if seconds > 0:
        await channel.wait_for(lambda ch: not ch.ready, seconds)
    return channel.ready


#: How long a caller-side ``answer`` step waits for the switch to answer.
CALLER_ANSWER_WAIT = 3600.0


async def run_script(channel: Channel, steps: list[SimStep], *, caller: bool = False) -> None:
    """Play ``steps`` against ``channel`` until done or the channel hangs up.

    As the far end of an outbound call (the default) ``ring``, ``early`` and ``answer`` act
    on the channel. As the caller of an inbound call (``caller=True``, the testing toolkit)
    the switch answers, so ``answer`` waits for it and ``ring``/``early`` only wait.
    """
    for step in steps:
        if not channel.ready:
            return
        action, arg = step.action, step.arg
        if action == "ring":
            if not caller:
                channel.ring_ready()
            await _wait(channel, _seconds(arg))
        elif action in ("early", "pre_answer"):
            if not caller:
                channel.pre_answer()
            await _wait(channel, _seconds(arg))
        elif action == "answer":
            if caller:
                await channel.wait_for(lambda ch: ch.answered or not ch.ready, CALLER_ANSWER_WAIT)
            else:
                channel.answer()
        elif action in ("wait", "sleep"):
            await _wait(channel, _seconds(arg))
        elif action == "dtmf":
            digits, _, gap_text = arg.partition("@")
            gap = _seconds(gap_text, 0.1) if gap_text else 0.1
            for index, digit in enumerate(digits):
                if index and not await _wait(channel, gap):
                    return
                channel.queue_dtmf(digit, source="ENDPOINT")
        elif action == "talk":
            ce.fire_channel_event(channel, EventType.TALK, TALK_SITE)
            channel.far_end_talking = True
            channel.poke()
            await _wait(channel, _seconds(arg))
            channel.far_end_talking = False
            channel.poke()
            if channel.ready:
                ce.fire_channel_event(channel, EventType.NOTALK, TALK_SITE)
        elif action in ("hangup", "reject"):
            channel.hangup(hangup_cause_from_string(arg) if arg else HangupCause.NORMAL_CLEARING)
            return


ENDPOINT = SimEndpoint()
module = Module("mod_sim")
module.add_endpoint(ENDPOINT)
