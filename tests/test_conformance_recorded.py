"""Replays the transcripts eslkit's developers recorded from the reference FreeSWITCH
(``tests/conformance/recorded/AREA/``) against a fresh eslkit server per case."""

from __future__ import annotations

import dataclasses
import functools
import json
from pathlib import Path

import pytest

from eslkit.fsconfig.parser import FreeSwitchConfig, core_variables
from eslkit.switch.core import SwitchConfig
from eslkit.switch.ivr.sources import write_silence_wav
from tests.conformance.harness import CONFORMANCE_DIR, load_case
from tests.server_support import replay_case
from tests.switch.test_conference import first_member_id

RECORDED = Path(__file__).resolve().parent / "conformance" / "recorded"


def _params() -> list[object]:
    params: list[object] = []
    for index in sorted(RECORDED.glob("*/index.json")):
        for item in json.loads(index.read_text(encoding="utf-8")):
            marks: list[pytest.MarkDecorator] = []
            if item.get("not_yet"):
                marks.append(pytest.mark.xfail(strict=True, reason="not reproduced yet"))
            if item.get("long"):
                marks.append(pytest.mark.slow)
            params.append(
                pytest.param(index.parent, item["name"], marks=marks, id=item["name"])
            )
    return params


PARAMS = _params()


def test_recorded_cases_have_their_files() -> None:
    for index in sorted(RECORDED.glob("*/index.json")):
        for item in json.loads(index.read_text(encoding="utf-8")):
            assert (index.parent / f"{item['name']}.json").exists(), item["name"]
            assert (index.parent / f"{item['name']}.raw").exists(), item["name"]


@functools.cache
def _recording_switch() -> SwitchConfig:
    """The recording environment with the reference build's global variables (its vars.xml,
    e.g. hold_music), which every recorded call saw; the dialplan stays the built-in one
    (with the developers' contexts of src/eslkit/switch/data/contexts/)."""
    conf = CONFORMANCE_DIR / "oracle-conf"
    base = SwitchConfig.recording()
    seeds = core_variables(conf, hostname=base.hostname)
    # The reference build's sounds_dir: vars.xml derives sound_prefix from it, and the say
    # application puts that on the channel (recorded/apps); nothing is read from there.
    seeds["sounds_dir"] = "/opt/fsref/fs/share/freeswitch/sounds"
    found = FreeSwitchConfig(conf, seeds).variables.as_dict()
    extra = {name: value for name, value in found.items() if seeds.get(name) != value}
    return dataclasses.replace(base, global_variables={**extra, **base.global_variables})


def _make_files(directory: Path, name: str) -> None:
    """The files a case's index entry says existed while it was recorded ("files": path ->
    {"silence_samples": N, "rate": R}: a WAV of N samples of silence, as eslkit writes one)."""
    files = _index_entry(directory, name).get("files") or {}
    assert isinstance(files, dict)
    for path, spec in files.items():
        assert path.startswith("/tmp/"), path
        assert write_silence_wav(path, int(spec["silence_samples"]), int(spec["rate"]))


def _index_entry(directory: Path, name: str) -> dict[str, object]:
    for item in json.loads((directory / "index.json").read_text(encoding="utf-8")):
        if item["name"] == name:
            return dict(item)
    raise KeyError(name)


async def _replay(directory: Path, name: str) -> None:
    _make_files(directory, name)
    # FreeSWITCH's conference member IDs count on over a whole run of cases; a case whose
    # events name no member (only a reply does) says where it started in its index entry.
    member_id = first_member_id(directory, name)
    given = _index_entry(directory, name).get("first_member_id")
    if member_id is None and isinstance(given, int):
        member_id = given
    await replay_case(
        load_case(name, directory=directory),
        member_id=member_id,
        switch=_recording_switch(),
    )


if PARAMS:  # (an empty parametrize would show as a skip)

    @pytest.mark.parametrize(("directory", "name"), PARAMS)
    async def test_recorded_case(directory: Path, name: str) -> None:
        await _replay(directory, name)
