"""Test your ESL application without a FreeSWITCH: an embedded switch and a pytest plugin.

```python
async def test_answers(esl_switch, esl_client):
    call = esl_switch.call("1000", script="answer;wait:1;hangup")
    await call.wait_answered()
    assert await call.wait_hangup() == "NORMAL_CLEARING"
```

Outside pytest: ``async with eslkit.testing.Switch(time_scale=20) as sw:`` (or ``with`` for
a blocking one running in a thread). See docs/testing.md.
"""

from __future__ import annotations

from eslkit.fsconfig.directory import EslUser
from eslkit.testing.blocking import BlockingCall, BlockingSwitch
from eslkit.testing.caller import ScriptError
from eslkit.testing.history import EventRecord, EventSpec, WaitTimeout
from eslkit.testing.switch import (
    DEFAULT_TIMEOUT,
    Call,
    ChannelInfo,
    ConferenceInfo,
    MemberInfo,
    Switch,
    load_dialplan,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "BlockingCall",
    "BlockingSwitch",
    "Call",
    "ChannelInfo",
    "ConferenceInfo",
    "EslUser",
    "EventRecord",
    "EventSpec",
    "MemberInfo",
    "ScriptError",
    "Switch",
    "WaitTimeout",
    "load_dialplan",
]
