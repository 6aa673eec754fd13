"""Replays FreeSWITCH's recorded transcripts (tests/conformance/data) against eslkit serve.

Every case whose index entry says ``needs_channels: false`` runs against a fresh switch and
server configured with the recording's environment (hostname ``vm``, its addresses and
version strings), so values compare exactly; the harness applies the README's normalization
rules for the volatile ones.
"""

from __future__ import annotations

import pytest

from eslkit.switch.core import SwitchConfig
from tests.conformance.harness import case_names, load_case, run_case
from tests.server_support import start_test_server

CHANNEL_FREE = case_names(needs_channels=False)
LONG = set(case_names(long=True))


def _params(names: list[str]) -> list[object]:
    return [
        pytest.param(name, marks=[pytest.mark.slow] if name in LONG else [], id=name)
        for name in names
    ]


@pytest.mark.parametrize("name", _params(CHANNEL_FREE))
async def test_channel_free_case(name: str) -> None:
    case = load_case(name)
    running = await start_test_server(switch=SwitchConfig.recording())
    try:
        await run_case(
            case,
            "127.0.0.1",
            running.port,
            outbound_port=None,
            stop_switch=running.stop,
        )
    finally:
        await running.stop()
