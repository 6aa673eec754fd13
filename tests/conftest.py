"""Shared fixtures: a real eslkit switch + event socket server on a free loopback port."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.server_support import EslServer, start_test_server


@pytest.fixture
async def esl_server() -> AsyncIterator[EslServer]:
    """An eslkit server (simulated switch behind it) for one test."""
    running = await start_test_server()
    try:
        yield EslServer("127.0.0.1", running.port, "ClueCon", running)
    finally:
        await running.stop()
