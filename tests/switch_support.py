"""A switch (no socket) for tests that drive it directly, and a shorthand for its API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from eslkit.switch.core import Switch, SwitchConfig


@asynccontextmanager
async def running_switch(time_scale: float) -> AsyncIterator[Switch]:
    """A started switch with the recording's environment, ``time_scale`` times faster; on
    exit it is stopped and must have reported no internal error."""
    config = SwitchConfig.recording()
    config.time_scale = time_scale
    switch = Switch(config)
    await switch.start()
    try:
        yield switch
    finally:
        await switch.stop()
    assert switch.errors == []


async def api(switch: Switch, command: str, argument: str = "") -> str:
    """Run an API command (10 s at most) and return its output."""
    return (await asyncio.wait_for(switch.execute_api(command, argument), 10)).output
