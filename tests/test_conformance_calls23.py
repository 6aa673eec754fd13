"""Replays the call-flow transcripts of ``cases2/`` and ``cases3/`` (recorded from FreeSWITCH
against its dialplan with the extensions of ``dialplan-calls2.xml`` and ``dialplan-calls3.xml``)
against eslkit serve, started as ``eslkit serve --conf-dir`` on the reference FreeSWITCH's own
configuration directory (``conformance/data/oracle-conf``; its event_socket.conf port 8022 is
overridden by the free port the test binds).

``NOT_YET`` lists the cases the simulated switch does not reproduce yet: they run as strict
expected failures, so a fix that makes one pass fails here until its name is removed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from eslkit.switch.core import SwitchConfig
from tests.conformance.harness import CONFORMANCE_DIR, case_names, load_case
from tests.server_support import replay_case, start_test_server

SETS = ("cases2", "cases3")
#: The recording FreeSWITCH's configuration directory, copied by import_transcripts.py.
ORACLE_CONF = CONFORMANCE_DIR / "oracle-conf"

#: Cases the switch does not reproduce yet (issues #13 and, for calls3_conf*, #14).
NOT_YET: set[str] = set()


def _directory(set_name: str) -> Path:
    """A set's folder laid out like the top level (``index.json`` and ``cases/``)."""
    return CONFORMANCE_DIR / set_name


#: The conference transcripts need the switch's member-ID counter set as FreeSWITCH's was.
CONFERENCE_CASES = "calls3_conf"


def _params() -> list[object]:
    params: list[object] = []
    for set_name in SETS:
        for name in case_names(directory=_directory(set_name)):
            if name.startswith(CONFERENCE_CASES):
                continue  # replayed by tests/test_conference.py (member IDs carry over)
            marks = []
            if name in NOT_YET:
                marks.append(pytest.mark.xfail(strict=True, reason="not reproduced yet"))
            params.append(pytest.param(set_name, name, marks=marks, id=name))
    return params


def test_every_set_has_cases() -> None:
    assert len(_params()) >= 25  # + the four calls3_conf* of tests/test_conference.py


async def test_served_from_the_oracle_configuration() -> None:
    """The replays run on the oracle's own dialplan, on a free port rather than its 8022."""
    running = await start_test_server(switch=SwitchConfig.recording(), conf_dir=ORACLE_CONF)
    try:
        assert running.port != 8022
        summary = running.dialplan
        assert summary is not None and "freeswitch.xml" in summary.sources[0]
        default = running.switch.sessions.dialplan.contexts["default"]
        assert {"features", "public", "default"} <= set(running.switch.sessions.dialplan.contexts)
        assert [ext.name for ext in default.extensions][-1] == "catchall"
        assert running.switch.get_global("default_password") == "1234"  # from vars.xml
    finally:
        await running.stop()


@pytest.mark.parametrize(("set_name", "name"), _params())
async def test_call_flow_case(set_name: str, name: str) -> None:
    await replay_case(load_case(name, directory=_directory(set_name)), conf_dir=ORACLE_CONF)
