"""Replays the recorded transcripts that need a controlled session (outbound mode, myevents,
divert_events, sendmsg, shutdown) against eslkit serve with the simulated switch's channels.

Each case gets a fresh switch and server configured like the recording, and the outbound
cases a free five-digit port for the dialplan's ``sock_<port>`` extensions to connect to.
"""

from __future__ import annotations

import pytest

from tests.conformance.harness import case_names, load_case
from tests.server_support import replay_case

#: Channel cases owned by the channel layer's own tests.
_ELSEWHERE = ("call_", "api_originate_")
SESSION_CASES = [
    name for name in case_names(needs_channels=True) if not name.startswith(_ELSEWHERE)
]
LONG = set(case_names(long=True))


def _marks(name: str) -> list[pytest.MarkDecorator]:
    return [pytest.mark.slow] if name in LONG else []


def _params(names: list[str]) -> list[object]:
    return [pytest.param(name, marks=_marks(name), id=name) for name in names]


def test_session_cases_selected() -> None:
    assert "out_connect_async_full" in SESSION_CASES
    assert "shutdown_notice" in SESSION_CASES
    assert not any(name.startswith(_ELSEWHERE) for name in SESSION_CASES)


@pytest.mark.parametrize("name", _params(SESSION_CASES))
async def test_session_case(name: str) -> None:
    await replay_case(load_case(name))
