"""The monitor example, fed by calls placed on the embedded switch."""

from __future__ import annotations

import asyncio
import io

import pytest

from eslkit.client import InboundConnection
from eslkit.testing import Switch
from examples.monitor.monitor import Monitor

pytestmark = [pytest.mark.esl_time_scale(20), pytest.mark.timeout(60)]


async def test_monitor_prints_live_call_state(
    esl_switch: Switch, esl_client: InboundConnection
) -> None:
    out = io.StringIO()
    monitor = Monitor(out)
    stop = asyncio.Event()
    task = asyncio.create_task(monitor.run(esl_client, until=stop))
    await asyncio.sleep(0.1)  # let the subscription reach the switch
    parked = esl_switch.call("1000", "5551234", script="answer")
    busy = esl_switch.call("9199")
    await parked.wait_event("CHANNEL_PARK")
    await busy.wait_hangup()
    async with asyncio.timeout(5):
        while (
            parked.uuid not in monitor.calls
            or busy.uuid in monitor.calls
            or not any(
                busy.uuid[:8] in line and "HANGUP" in line for line in out.getvalue().splitlines()
            )
        ):
            await asyncio.sleep(0.01)
    assert monitor.calls[parked.uuid].state == "ACTIVE", out.getvalue()
    assert monitor.calls[parked.uuid].destination == "1000"
    parked.hangup()
    await parked.wait_hangup()
    async with asyncio.timeout(5):
        while monitor.calls:
            await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, 5)
    lines = out.getvalue().splitlines()
    mine = [line.split(": ", 1)[1] for line in lines if line.startswith(parked.uuid[:8])]
    assert mine[0] in ("NEW", "RINGING") and "ACTIVE" in mine
    assert mine[-1] == "HANGUP NORMAL_CLEARING"
    theirs = [line for line in lines if line.startswith(busy.uuid[:8])]
    assert theirs[-1].endswith("HANGUP USER_BUSY")
    assert not any("ACTIVE" in line for line in theirs)
