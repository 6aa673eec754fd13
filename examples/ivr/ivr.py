"""An outbound-mode IVR: "press 1 for sales, 2 for support".

The dialplan hands each call to this program with ``socket <host>:<port> async full``.
For each call it answers, plays the menu while collecting one digit, and bridges the caller
to the chosen department's agent; anything else gets a goodbye. A caller who hangs up at
any point ends the handler cleanly. Run it against a FreeSWITCH (or ``eslkit serve``)::

    python -m examples.ivr.ivr 8084
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field

import eslkit
from eslkit.client import OutboundServer, OutboundSession

#: The menu prompt and the goodbye (real deployments use sound files).
MENU = "silence_stream://1500"
GOODBYE = "silence_stream://500"
INVALID = "silence_stream://250"


@dataclass
class Ivr:
    """The IVR: ``departments`` maps a digit to (name, agent dial string)."""

    departments: Mapping[str, tuple[str, str]]
    #: Outcome per call UUID: ``"bridged:<department>"``, ``"no-choice"``,
    #: ``"agent-unavailable:<department>"`` or ``"caller-hung-up"``.
    outcomes: dict[str, str] = field(default_factory=dict)

    async def handle(self, session: OutboundSession) -> None:
        """One call, from answer to the end of the bridge."""
        uuid = session.uuid or "?"
        try:
            self.outcomes[uuid] = await self._run(session)
        except (eslkit.ChannelHangup, eslkit.Disconnected):
            self.outcomes[uuid] = "caller-hung-up"

    async def outcome(self, uuid: str, timeout: float = 5.0) -> str:
        """The outcome of call ``uuid`` once its handler has finished."""
        async with asyncio.timeout(timeout):
            while uuid not in self.outcomes:
                await asyncio.sleep(0.01)
        return self.outcomes[uuid]

    async def _run(self, session: OutboundSession) -> str:
        await session.answer()
        valid = "".join(self.departments)
        digit = await session.play_and_get_digits(
            MENU,
            min_digits=1,
            max_digits=1,
            tries=2,
            timeout_ms=3000,
            invalid_file=INVALID,
            var_name="ivr_choice",
            regexp=f"[{valid}]",
        )
        if digit is None or digit not in self.departments:
            await session.playback(GOODBYE)
            await session.hangup()
            return "no-choice"
        name, agent = self.departments[digit]
        await session.set("ivr_department", name)
        # Without it a failed bridge hangs the caller up with the agent's cause.
        await session.set("continue_on_fail", "true")
        event = await session.bridge(agent)
        if event.get("variable_originate_disposition") == "SUCCESS":
            # The agent hung up first (the caller hanging up raises ChannelHangup).
            await _end(session)
            return f"bridged:{name}"
        await session.playback(GOODBYE)
        await _end(session)
        return f"agent-unavailable:{name}"

    async def serve(self, host: str = "127.0.0.1", port: int = 8084) -> OutboundServer:
        """Listen for the switch's ``socket`` application."""
        return await eslkit.serve_outbound(self.handle, host, port)


async def _end(session: OutboundSession) -> None:
    """Hang up, unless the channel is already gone."""
    with contextlib.suppress(eslkit.CommandError, eslkit.Disconnected):
        await session.hangup()


async def _main(port: int) -> None:
    ivr = Ivr({"1": ("sales", "user/1001"), "2": ("support", "user/1002")})
    async with await ivr.serve(port=port):
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(_main(int(sys.argv[1]) if len(sys.argv) > 1 else 8084))
