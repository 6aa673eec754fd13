"""The moderator bot against the embedded switch: scripted callers join a conference from
the dialplan, one of them late; one talks."""

from __future__ import annotations

import asyncio

import pytest

from eslkit.client import InboundConnection
from eslkit.testing import Switch
from examples.conference_moderator.moderator import Moderator

SCALE = 10
DIALPLAN = """
<include>
  <context name="default">
    <extension name="room1">
      <condition field="destination_number" expression="^3000$">
        <action application="answer"/>
        <action application="conference" data="room1"/>
      </condition>
    </extension>
  </context>
</include>
"""

pytestmark = [
    pytest.mark.esl_time_scale(SCALE),
    pytest.mark.esl_dialplan(DIALPLAN),
    pytest.mark.timeout(60),
]


async def until(predicate: object, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():  # type: ignore[operator]
            await asyncio.sleep(0.01)


async def test_moderator_mutes_late_joiners_and_counts(
    esl_switch: Switch, esl_client: InboundConnection
) -> None:
    loop = asyncio.get_running_loop()
    bot = Moderator("room1", late_after=2.0, clock=lambda: loop.time() * SCALE)
    stop = asyncio.Event()
    task = asyncio.create_task(bot.run(esl_client, until=stop))
    await asyncio.sleep(0.1)  # the subscription reaches the switch
    early = esl_switch.call("3000", "1001", script="answer;talk:1;wait:60")
    await until(lambda: bot.counts == [1])
    conf = esl_switch.conference("room1")
    assert conf is not None and conf.size == 1
    first = conf.member(early.uuid)
    assert first is not None and first.can_speak
    # The first caller's talk spell is seen by the conference and the bot.
    await until(lambda: bool(bot.talking))
    await asyncio.sleep(3.0 / SCALE)  # 3 switch seconds later...
    late = esl_switch.call("3000", "1002", script="answer;wait:60")
    await until(lambda: bot.counts == [1, 2] and bot.muted)
    conf = esl_switch.conference("room1")
    assert conf is not None
    second = conf.member(late.uuid)
    assert second is not None and not second.can_speak
    assert bot.muted == [second.id]
    assert conf.member(early.uuid).can_speak  # type: ignore[union-attr]
    early.hangup()
    await until(lambda: bot.counts == [1, 2, 1])
    late.hangup()
    await until(lambda: esl_switch.conference("room1") is None)
    # The last del-member reaches the bot at its connection's next poll (up to 20 ms later,
    # as with FreeSWITCH's listener), after the conference is gone on the switch.
    await until(lambda: bot.counts == [1, 2, 1, 0])
    stop.set()
    await asyncio.wait_for(task, 5)
    assert bot.counts == [1, 2, 1, 0]
    assert "muted late joiner" in " ".join(bot.log)
