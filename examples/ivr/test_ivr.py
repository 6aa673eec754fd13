"""The IVR example, tested with the eslkit pytest plugin: no FreeSWITCH needed."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from eslkit.testing import Switch
from examples.ivr.ivr import Ivr

# The switch hands calls to 5000 to the IVR; its port is a global variable set per test.
DIALPLAN = """
<include><context name="default">
  <extension name="ivr">
    <condition field="destination_number" expression="^5000$">
      <action application="socket" data="127.0.0.1:$${ivr_port} async full"/>
    </condition>
  </extension>
</context></include>
"""
SALES_AGENT = "{sim_answer_delay=1,sim_hangup_after=4}sim/sales"
BUSY_AGENT = "{sim_answer_delay=1,sim_reject=USER_BUSY}sim/support"

pytestmark = [
    pytest.mark.esl_time_scale(20),
    pytest.mark.esl_dialplan(DIALPLAN),
    pytest.mark.timeout(60),
]


@pytest.fixture
async def ivr(esl_switch: Switch) -> AsyncIterator[Ivr]:
    """The IVR application, listening on a free port the dialplan points to."""
    app = Ivr({"1": ("sales", SALES_AGENT), "2": ("support", BUSY_AGENT)})
    server = await app.serve(port=0)
    esl_switch.set_global("ivr_port", str(server.port))
    async with server:
        yield app


async def test_press_1_reaches_a_sales_agent(esl_switch: Switch, ivr: Ivr) -> None:
    call = esl_switch.call("5000", "5551234", script="answer;wait:1;dtmf:1;wait:30")
    await call.wait_event("CHANNEL_BRIDGE", timeout=10)
    await call.wait_hangup(timeout=10)
    assert await ivr.outcome(call.uuid) == "bridged:sales"
    assert call.variable("ivr_department") == "sales"
    call.assert_events(
        [
            ("CHANNEL_EXECUTE", {"Application": "socket"}),
            "CHANNEL_ANSWER",
            ("CHANNEL_EXECUTE", {"Application": "play_and_get_digits"}),
            ("DTMF", {"DTMF-Digit": "1"}),
            ("CHANNEL_EXECUTE", {"Application": "bridge"}),
            "CHANNEL_BRIDGE",
            "CHANNEL_UNBRIDGE",
            "CHANNEL_HANGUP_COMPLETE",
        ]
    )


async def test_busy_agent_gets_a_goodbye(esl_switch: Switch, ivr: Ivr) -> None:
    call = esl_switch.call("5000", script="answer;wait:1;dtmf:2;wait:30")
    await call.wait_hangup(timeout=10)
    assert await ivr.outcome(call.uuid) == "agent-unavailable:support"
    call.assert_events([("CHANNEL_EXECUTE", {"Application": "bridge"}), "CHANNEL_HANGUP"])


async def test_no_choice_hangs_up_politely(esl_switch: Switch, ivr: Ivr) -> None:
    call = esl_switch.call("5000", script="answer;wait:1;dtmf:9;wait:60")
    assert await call.wait_hangup(timeout=10) == "NORMAL_CLEARING"
    assert await ivr.outcome(call.uuid) == "no-choice"
    assert "CHANNEL_BRIDGE" not in call.event_names()


@pytest.mark.parametrize("hang_up_after", ["0.1", "1", "2.5"])
async def test_caller_hanging_up_at_any_point(
    esl_switch: Switch, ivr: Ivr, hang_up_after: str
) -> None:
    call = esl_switch.call("5000", script=f"answer;wait:{hang_up_after};dtmf:1;hangup")
    assert await call.wait_hangup(timeout=10) == "NORMAL_CLEARING"
    await esl_switch.wait_idle(timeout=10)  # the agent leg too, if one was called
    assert await ivr.outcome(call.uuid) in ("caller-hung-up", "no-choice")
