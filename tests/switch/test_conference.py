"""mod_conference in the simulated switch: the shared conference transcripts (cases3/
calls3_conf*) replayed against eslkit serve, and the profiles of --conf-dir."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eslkit.switch.core import SwitchConfig
from tests.conformance.harness import CONFORMANCE_DIR, load_case, run_case
from tests.server_support import start_test_server

SHARED = CONFORMANCE_DIR / "cases3"


def first_member_id(directory: Path, name: str) -> int | None:
    """The first ``Member-ID`` a transcript shows: FreeSWITCH's member counter is one for the
    whole process, so a case recorded after others starts where they left it."""
    data = json.loads((directory / f"{name}.json").read_text(encoding="utf-8"))
    for step in data["steps"]:
        for frame in step.get("expect") or []:
            event = frame.get("event") or {}
            for header, value in event.get("headers") or []:
                if header == "Member-ID" and str(value).isdigit():
                    return int(value)
    return None


def _cases() -> list[object]:
    params: list[object] = []
    # (The conference transcripts recorded for eslkit, tests/conformance/recorded/conference,
    # are replayed by test_conformance_recorded.py with the same member-ID rule.)
    for name in sorted(p.stem for p in SHARED.glob("calls3_conf*.json")):
        params.append(pytest.param(SHARED, name, id=name))
    return params


@pytest.mark.parametrize(("directory", "name"), _cases())
async def test_conference_case(directory: Path, name: str) -> None:
    case = load_case(name, directory=directory)
    running = await start_test_server(switch=SwitchConfig.recording())
    start = first_member_id(directory, name)
    if start is not None:
        running.switch.conferences.next_member_id = start
    try:
        await run_case(case, "127.0.0.1", running.port, outbound_port=None, stop_switch=running.stop)
    finally:
        await running.stop()


async def test_profiles_from_the_conf_dir(tmp_path: Path) -> None:
    """--conf-dir: conference.conf's profiles replace the built-in ones."""
    import shutil

    conf = tmp_path / "conf"
    shutil.copytree(CONFORMANCE_DIR / "oracle-conf", conf)
    path = conf / "autoload_configs" / "conference.conf.xml"
    path.write_text(path.read_text().replace("cc3.example", "elsewhere.example"))
    running = await start_test_server(conf_dir=conf, listen_port=0)
    try:
        profile = running.switch.conferences.profile("default")
        assert profile.domain == "elsewhere.example"
        assert profile.rate == 8000
        assert running.switch.conferences.profile("nosuch").params == {}
    finally:
        await running.stop()
