"""Shared fixtures: a real eslkit switch + event socket server on a free loopback port."""

from __future__ import annotations

from collections.abc import AsyncIterator

import hypothesis  # noqa: F401  (see below)
import pytest

from tests.server_support import EslServer, start_test_server

# hypothesis is imported up front, in the main thread, on purpose: otherwise its pytest
# plugin imports it (and pytest rewrites it with ast.parse) at the end of the session, and on
# CPython 3.11.7 an ast.parse after threaded tests can hit the interpreter bug "AST
# constructor recursion depth mismatch" (fixed in later 3.11 releases).


@pytest.fixture
async def esl_server() -> AsyncIterator[EslServer]:
    """An eslkit server (simulated switch behind it) for one test."""
    running = await start_test_server()
    try:
        yield EslServer("127.0.0.1", running.port, "ClueCon", running)
    finally:
        await running.stop()
