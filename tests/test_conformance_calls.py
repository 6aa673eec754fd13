"""Replays the recorded calls (originate, loopback two-leg call, one leg in XML) against a
real eslkit server with channels."""

from __future__ import annotations

import pytest

from eslkit.switch.core import SwitchConfig
from tests.conformance.harness import load_case, run_case
from tests.server_support import start_test_server

CASES = ["api_originate_success", "api_originate_errors", "call_9197_plain_all", "call_1000_xml_one_leg"]


@pytest.mark.parametrize("name", CASES)
async def test_call_case(name: str) -> None:
    case = load_case(name)
    running = await start_test_server(switch=SwitchConfig.recording())
    try:
        await run_case(case, "127.0.0.1", running.port, outbound_port=None, stop_switch=running.stop)
    finally:
        await running.stop()
