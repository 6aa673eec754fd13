"""docs/sim.md's coverage table (tests/conformance/coverage.py): current with eslkit's
registries and the transcripts, and what it says of the commands and applications eslkit
does not simulate is what eslkit does (FreeSWITCH's answers, as recorded)."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

from eslkit.switch.core import SwitchConfig
from tests.conformance import coverage
from tests.esl_wire import connect
from tests.server_support import start_test_server


def _documented() -> tuple[dict[str, set[str]], set[str]]:
    """From docs/sim.md's table: the names it marks simulated, per kind ("api"/"app"), and
    every transcript name it cites."""
    text = coverage.SIM_MD.read_text(encoding="utf-8")
    table = text.split(coverage.BEGIN, 1)[1].split(coverage.END, 1)[0]
    simulated: dict[str, set[str]] = {"api": set(), "app": set()}
    cited: set[str] = set()
    kind = ""
    for line in table.splitlines():
        if line.startswith("### "):
            kind = "api" if "API commands" in line else "app" if "Applications" in line else "?"
        elif line.startswith("| `"):
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            name = cells[0].strip("`")
            row_kind = kind
            if kind == "?":
                row_kind = "api" if cells[1] == "API" else "app"
            simulated[row_kind].add(name)
            cited |= set(re.findall(r"`([a-z0-9_]+)`", " ".join(cells[1:])))
    return simulated, cited


def test_table_claims_hold() -> None:
    """What docs/sim.md marks simulated is simulated, and the transcripts it cites exist.
    (A command or transcript added since the table was generated only makes it stale: a
    warning, not a failure, so that landing a new command does not break this test.)"""
    simulated, cited = _documented()
    apis, apps = coverage.eslkit_registries()
    assert simulated["api"] and simulated["api"] <= apis
    assert simulated["app"] and simulated["app"] <= apps
    cases = {name for _, name in coverage._case_files()}
    assert cited and cited <= cases
    text = coverage.SIM_MD.read_text(encoding="utf-8")
    if coverage.replace_table(text, coverage.current_table()) != text:
        warnings.warn(
            "docs/sim.md's coverage table is stale: run "
            ".venv/bin/python tests/conformance/coverage.py",
            stacklevel=1,
        )


def test_source_reader_finds_every_registration(tmp_path: Path) -> None:
    commands = tmp_path / coverage.MOD_COMMANDS
    dptools = tmp_path / coverage.MOD_DPTOOLS
    commands.parent.mkdir(parents=True)
    dptools.parent.mkdir(parents=True)
    commands.write_text(
        'SWITCH_ADD_API(commands_api_interface, "uuid_kill", "Kill channel", kill_function, "<uuid>");\n'
        'SWITCH_ADD_API(commands_api_interface, "...", "Shutdown", shutdown_function, "");\n'
    )
    dptools.write_text(
        'SWITCH_ADD_APP(app_interface, "bind_digit_action", "bind a key sequence",\n'
        '\t\t\t\t   "bind a key \\"sequence\\"", bind_digit_action_function, "", SAF_NONE);\n'
        'SWITCH_ADD_API(api_interface, "strepoch", "Convert a date string", f, "<string>");\n'
    )
    found = {(i.module, i.kind, i.name) for i in coverage.read_source(tmp_path)}
    assert found == {
        ("mod_commands", "api", "uuid_kill"),
        ("mod_commands", "api", "..."),
        ("mod_dptools", "app", "bind_digit_action"),
        ("mod_dptools", "api", "strepoch"),
    }


async def test_not_simulated_commands_get_freeswitchs_command_not_found() -> None:
    """Every API command the table lists as not simulated answers as FreeSWITCH answers a
    command it does not have (recorded: api_unknown_command)."""
    items = coverage.load_interfaces()
    running = await start_test_server(switch=SwitchConfig.recording())
    try:
        known = {command.name.lower() for command in running.switch.api.registry}
        missing = [i.name for i in items if i.kind == "api" and i.name.lower() not in known]
        assert len(missing) > 20
        conn = await connect("127.0.0.1", running.port)
        for name in missing:
            assert await conn.api(f"{name} some args") == f"-ERR {name} Command not found!\n"
        await conn.close()
    finally:
        await running.stop()


async def test_not_simulated_applications_are_invalid_applications() -> None:
    """An application the table lists as not simulated hangs the channel up
    DESTINATION_OUT_OF_ORDER (recorded: cov_invalid_application)."""
    items = coverage.load_interfaces()
    running = await start_test_server(switch=SwitchConfig.recording())
    try:
        missing = [
            i.name
            for i in items
            if i.kind == "app" and running.switch.modules.application(i.name) is None
        ]
        common = [name for name in missing if name in coverage.COMMON_APPS][:4]
        assert len(common) == 4
        conn = await connect("127.0.0.1", running.port)
        await conn.reply("event plain CHANNEL_HANGUP")
        for number, name in enumerate(common):
            uuid = f"c0ffee00-0000-4000-8000-{number + 1:012d}"
            await conn.reply(f"filter Unique-ID {uuid}")
            reply = await conn.api(
                f"originate {{origination_uuid={uuid}}}loopback/1000/default &{name}(x)"
            )
            assert reply == f"+OK {uuid}\n"
            hangup = await conn.event()
            assert hangup.get("Unique-ID") == uuid
            assert hangup.get("Hangup-Cause") == "DESTINATION_OUT_OF_ORDER", name
        await conn.close()
    finally:
        await running.stop()
