"""Loadable modules: per-switch registries of API commands, applications and endpoints;
a module from outside the package (examples/switch_module/hello.py) adds one of each."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from examples.switch_module import hello

import eslkit
from eslkit.protocol.names import HangupCause
from eslkit.switch.core import Switch as CoreSwitch
from eslkit.switch.core import SwitchConfig
from eslkit.switch.modules import ENTRY_POINT_GROUP, Module, ModuleLoadError, builtin_modules
from eslkit.testing import Switch

#: The repository's root (this file may move within tests/).
ROOT = next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").exists())
ENTRY_POINTS = ROOT / "tests" / "data" / "entry_points"
NEW_UUID = "c0ffee00-0000-4000-8000-00000000be11"


async def test_a_module_from_outside_adds_a_command_an_application_and_an_endpoint() -> None:
    async with (
        Switch(time_scale=20) as sw,
        eslkit.connect(sw.host, sw.port, sw.password) as conn,
        eslkit.connect(sw.host, sw.port, sw.password) as other,
    ):
        assert (await conn.api("hello world", check=False)).startswith("-ERR")  # not loaded yet
        sw.core.load_module(hello.module)
        # the API command
        assert await conn.api("hello world") == "+OK hello world\n"
        assert await conn.api("hello", check=False) == "-USAGE: <name>\n"
        # the endpoint refusing, then creating a channel; the application runs on it
        assert await conn.api("originate hello/busy &park()", check=False) == "-ERR USER_BUSY\n"
        job = asyncio.ensure_future(
            conn.api(f"originate {{origination_uuid={NEW_UUID}}}hello/alice &greet(alice)")
        )
        created = await sw.wait_event("CHANNEL_CREATE", uuid=NEW_UUID, timeout=5)
        assert created.get("Channel-Name") == "hello/alice"
        assert created.get("Caller-Source") == "mod_hello"
        await other.api(f"uuid_answer {NEW_UUID}")
        assert await asyncio.wait_for(job, 5) == f"+OK {NEW_UUID}\n"
        done = await sw.wait_event(
            "CHANNEL_EXECUTE_COMPLETE", uuid=NEW_UUID, headers={"Application": "greet"}, timeout=5
        )
        assert done.get("Application-Data") == "alice"
        await sw.wait_event("CHANNEL_DESTROY", uuid=NEW_UUID, timeout=5)  # nothing left to run
        assert sw.variable(NEW_UUID, "greeted") == "alice"
        await sw.wait_idle(timeout=5)


async def test_the_testing_switch_takes_modules() -> None:
    async with (
        Switch(time_scale=20, modules=[hello.module]) as sw,
        eslkit.connect(sw.host, sw.port, sw.password) as conn,
    ):
        assert await conn.api("hello there") == "+OK hello there\n"


async def test_each_switch_has_its_own_modules() -> None:
    with_hello = CoreSwitch(SwitchConfig.recording(), modules=[hello.module])
    without = CoreSwitch(SwitchConfig.recording())
    assert (await with_hello.execute_api("hello", "x")).output == "+OK hello x\n"
    assert (await without.execute_api("hello", "x")).output == "INVALID COMMAND!\n"
    assert with_hello.modules.application("greet") is not None
    assert without.modules.application("greet") is None
    assert with_hello.modules.endpoint("hello") is not None
    assert without.modules.endpoint("hello") is None
    # A module added before the switch ever created a channel leaves the built-ins in place
    # (the old process-wide endpoint table stopped loading them).
    names = [endpoint.name for endpoint in with_hello.modules.endpoints()]
    assert names == ["error", "group", "hello", "loopback", "null", "sim", "user"]


async def test_built_ins_are_an_explicit_list_and_can_be_left_out() -> None:
    bare = CoreSwitch(SwitchConfig.recording(), builtins=False, entry_points=False)
    assert len(bare.api.registry) == 0
    assert bare.modules.applications() == [] and bare.modules.endpoints() == []
    full = CoreSwitch(SwitchConfig.recording(), entry_points=False)
    assert [m.name for m in full.modules] == [m.name for m in builtin_modules()]
    assert full.modules.application("playback") is not None
    assert full.api.registry.get("originate") is not None
    assert full.modules.endpoint("loopback") is not None
    # the channel layer is there without any module: originate is a module's command
    assert (await bare.execute_api("originate", "null/1 &park()")).output == "INVALID COMMAND!\n"
    assert bare.find_session("nosuch") is None


async def test_a_later_module_replaces_a_same_named_entry() -> None:
    override = Module("mod_override")

    @override.command("hostname", "Hostname")
    def hostname(call: object) -> None:
        call.write("overridden")  # type: ignore[attr-defined]

    @override.endpoint("null")
    def null(endpoint: object, manager: object, request: object) -> HangupCause:
        return HangupCause.CALL_REJECTED

    switch = CoreSwitch(SwitchConfig.recording(), modules=[override])
    await switch.start()
    try:
        assert (await switch.execute_api("hostname", "")).output == "overridden"
        out = (await switch.execute_api("originate", "null/1 &park()")).output
        assert out == "-ERR CALL_REJECTED\n"
        listed = (await switch.execute_api("show", "api as json")).output
        assert '"name":"hostname"' in listed.replace(" ", "")
    finally:
        await switch.stop()


def test_entry_point_modules_load_for_every_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ENTRY_POINTS / "good"))
    switch = CoreSwitch(SwitchConfig.recording())
    assert "mod_hello" in [m.name for m in switch.modules]
    assert switch.api.registry.get("hello") is not None
    assert CoreSwitch(SwitchConfig.recording(), entry_points=False).api.registry.get("hello") is None


def test_a_broken_entry_point_is_loud(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ENTRY_POINTS / "bad"))
    with pytest.raises(ModuleLoadError, match=f"{ENTRY_POINT_GROUP} entry point 'broken'.*No module"):
        CoreSwitch(SwitchConfig.recording())


def test_loading_something_that_is_not_a_module_is_loud() -> None:
    switch = CoreSwitch(SwitchConfig.recording(), entry_points=False)
    with pytest.raises(ModuleLoadError, match=r"not an eslkit\.switch\.modules\.Module"):
        switch.load_module(hello.hello)  # type: ignore[arg-type]


def test_the_worked_example_in_docs_is_the_tested_file() -> None:
    docs = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = docs.split("```python\nfrom eslkit.protocol.names import HangupCause\n", 1)[1]
    block = "from eslkit.protocol.names import HangupCause\n" + block.split("```", 1)[0]
    source = Path(hello.__file__).read_text(encoding="utf-8")
    assert source.endswith(block)


def test_applications_and_api_commands_share_ivr_not_each_other() -> None:
    import ast

    switch_dir = ROOT / "src" / "eslkit" / "switch"

    def imported(path: Path) -> set[str]:
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
        return names

    for path in sorted((switch_dir / "apps").glob("*.py")):
        bad = {m for m in imported(path) if m.startswith("eslkit.switch.apis")}
        assert not bad, f"{path.name} imports {bad}"
    for path in sorted((switch_dir / "apis").glob("*.py")):
        # (the package itself is fine: AppContext and friends are types)
        bad = {m for m in imported(path) if m.startswith("eslkit.switch.apps.")}
        assert not bad, f"{path.name} imports {bad}"
