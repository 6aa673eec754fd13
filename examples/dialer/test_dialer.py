"""The dialer example, tested with the eslkit pytest plugin and scripted far ends."""

from __future__ import annotations

import pytest

from eslkit.client import InboundConnection
from eslkit.testing import Switch
from examples.dialer.dialer import Dialer, Outcome, summary

ANSWERS = "sim/ring:1;answer;wait:5;hangup"
BUSY = "sim/ring:1;reject:USER_BUSY"
SILENT = "sim/ring:600"  # rings until the originate times out

pytestmark = [pytest.mark.esl_time_scale(20), pytest.mark.timeout(60)]


async def test_each_outcome_is_tracked(esl_switch: Switch, esl_client: InboundConnection) -> None:
    dialer = Dialer(esl_client, rate=50, originate_timeout=10)
    calls = await dialer.run([ANSWERS, BUSY, SILENT], timeout=20)
    assert [c.outcome for c in calls] == [Outcome.ANSWERED, Outcome.BUSY, Outcome.NO_ANSWER]
    assert [c.cause for c in calls] == ["NORMAL_CLEARING", "USER_BUSY", "NO_ANSWER"]
    esl_switch.assert_events(calls[0].uuid, ["CHANNEL_ANSWER", "CHANNEL_PARK", "CHANNEL_HANGUP"])
    assert "CHANNEL_ANSWER" not in esl_switch.event_names(calls[1].uuid)
    await esl_switch.wait_idle(timeout=5)


async def test_no_call_is_lost_under_load(
    esl_switch: Switch, esl_client: InboundConnection
) -> None:
    targets = [ANSWERS, BUSY, SILENT] * 40
    dialer = Dialer(esl_client, rate=200, originate_timeout=10, max_concurrent=200)
    calls = await dialer.run(targets, timeout=40)
    assert len({c.uuid for c in calls}) == len(targets)
    assert summary(calls) == {"answered": 40, "busy": 40, "no-answer": 40}
    for call in calls:
        assert call.completed
        # What the dialer concluded matches what the switch says happened.
        history = esl_switch.event_names(call.uuid)
        assert ("CHANNEL_ANSWER" in history) == (call.outcome is Outcome.ANSWERED)
        assert history[-1] == "CHANNEL_STATE"
