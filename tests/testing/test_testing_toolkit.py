"""The testing toolkit: the embedded switch (asyncio and blocking) and the pytest plugin."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import eslkit
from eslkit.testing import BlockingSwitch, EslUser, ScriptError, Switch, WaitTimeout

pytest_plugins = ["pytester"]

DIALPLAN = """
<include><context name="default">
  <extension name="greet">
    <condition field="destination_number" expression="^2000$">
      <action application="answer"/>
      <action application="set" data="greeted=yes"/>
      <action application="sleep" data="500"/>
      <action application="hangup" data="USER_BUSY"/>
    </condition>
  </extension>
  <extension name="hold">
    <condition field="destination_number" expression="^1000$">
      <action application="park"/>
    </condition>
  </extension>
</context></include>
"""


# ---------------------------------------------------------------------- embedding API
async def test_async_switch_runs_a_call_through_the_dialplan_and_records_it() -> None:
    async with Switch(time_scale=20, dialplan=DIALPLAN, password="secret") as sw:
        assert sw.host == "127.0.0.1" and sw.port > 0 and sw.password == "secret"
        # (No digits here: as in FreeSWITCH, a digit that arrives during sleep is not read,
        # so it makes no DTMF event; the parked caller of the next tests presses them.)
        call = sw.call("2000", "5551234", script="answer")
        await call.wait_answered(timeout=5)
        assert await call.wait_hangup(timeout=5) == "USER_BUSY"
        assert call.variable("greeted") == "yes"
        assert sw.variable(call.uuid, "hangup_cause") == "USER_BUSY"
        call.assert_events(
            [
                "CHANNEL_CREATE",
                ("CHANNEL_EXECUTE", {"Application": "answer"}),
                "CHANNEL_ANSWER",
                ("CHANNEL_HANGUP", {"Hangup-Cause": "USER_BUSY"}),
                "CHANNEL_DESTROY",
            ]
        )
        with pytest.raises(AssertionError, match="first mismatch at expected\\[1\\]"):
            call.assert_events(["CHANNEL_DESTROY", "CHANNEL_CREATE"])
        with pytest.raises(AssertionError):
            call.assert_events(["CHANNEL_CREATE"], exact=True)
        created = call.history()[call.event_names().index("CHANNEL_CREATE")]
        assert created.get("Caller-Destination-Number") == "2000"
        assert created.get("Caller-Caller-ID-Number") == "5551234"
        assert created.get("Call-Direction") == "inbound"


async def test_the_application_talks_esl_to_the_embedded_switch() -> None:
    async with Switch(time_scale=20) as sw, eslkit.connect(sw.host, sw.port, sw.password) as conn:
        call = sw.call("1000", script="answer")  # the built-in dialplan: answer, park
        await call.wait_event("CHANNEL_PARK", timeout=5)
        assert [c.uuid for c in sw.channels()] == [call.uuid]
        assert sw.channels()[0].state == "CS_EXECUTE" and sw.channels()[0].answered
        assert (await conn.api(f"uuid_getvar {call.uuid} direction")).strip() == "inbound"
        await conn.api(f"uuid_kill {call.uuid} CALL_REJECTED")
        assert await call.wait_hangup(timeout=5) == "CALL_REJECTED"
        await sw.wait_idle(timeout=5)


async def test_caller_hangs_up_and_presses_digits_on_demand() -> None:
    async with Switch(time_scale=20) as sw:
        call = sw.call("1000")
        await call.wait_state("CS_EXECUTE", timeout=5)
        assert call.press("1#x") == 2
        # The park loop reads one digit per frame; each read fires its DTMF event.
        await call.wait_event("DTMF", headers={"DTMF-Digit": "#"}, timeout=5)
        call.hangup("ORIGINATOR_CANCEL")
        assert await call.wait_hangup(timeout=5) == "ORIGINATOR_CANCEL"
        call.assert_events(
            ["DTMF", "DTMF", ("CHANNEL_HANGUP", {"Hangup-Cause": "ORIGINATOR_CANCEL"})]
        )


async def test_waits_time_out_with_the_history_and_fail_fast_on_a_dead_channel() -> None:
    async with Switch(time_scale=20) as sw:
        call = sw.call("1001")  # parks unanswered
        with pytest.raises(WaitTimeout, match="CHANNEL_BRIDGE") as info:
            await call.wait_event("CHANNEL_BRIDGE", timeout=0.2)
        assert "CHANNEL_PARK" in str(info.value)
        gone = sw.call("9199")  # hangs up USER_BUSY at once
        with pytest.raises(WaitTimeout, match="without CHANNEL_ANSWER"):
            await gone.wait_answered(timeout=5)
        with pytest.raises(WaitTimeout, match="without entering CS_PARK"):
            await gone.wait_state("park", timeout=5)
        with pytest.raises(ScriptError):
            sw.call("1000", script="answer;fly:3")


async def test_stop_hangs_up_every_channel_and_closes_connections() -> None:
    sw = Switch(time_scale=20)
    await sw.start()
    conn = await eslkit.connect(sw.host, sw.port, sw.password)
    calls = [sw.call("1000", script="answer") for _ in range(5)]
    await calls[-1].wait_event("CHANNEL_PARK", timeout=5)
    await sw.stop()
    assert all(c.hangup_cause is not None for c in calls)
    await conn.wait_closed(timeout=5)
    assert conn.closed
    with pytest.raises(RuntimeError):
        sw.call("1000")


async def test_users_and_dialplan_from_a_file(tmp_path: pytest.TempPathFactory) -> None:
    path = tmp_path / "plan.xml"  # type: ignore[operator]
    path.write_text(DIALPLAN)
    users = [EslUser("ops", "example.com", "pw")]
    async with Switch(time_scale=20, dialplan=path, users=users) as sw:
        async with eslkit.connect(sw.host, sw.port, "pw", user="ops@example.com") as conn:
            assert "UP" in await conn.api("status")
        call = sw.call("2000")
        assert await call.wait_hangup(timeout=5) == "USER_BUSY"


def test_blocking_switch_runs_in_its_own_thread() -> None:
    with Switch(time_scale=20, dialplan=DIALPLAN) as sw:
        assert isinstance(sw, BlockingSwitch)
        with eslkit.sync.connect(sw.host, sw.port, sw.password) as conn:
            assert "UP" in conn.api("status")
        call = sw.call("2000", script="answer")
        call.wait_answered(timeout=5)
        assert call.wait_hangup(timeout=5) == "USER_BUSY"
        assert call.variable("greeted") == "yes"
        parked = sw.call("1000", script="dtmf:7")  # parks unanswered
        parked.wait_state("CS_EXECUTE", timeout=5)
        parked.wait_event("DTMF", timeout=5)  # the park loop read the digit
        sw.assert_events(parked.uuid, ["CHANNEL_PARK", ("DTMF", {"DTMF-Digit": "7"})])
        assert [c.uuid for c in sw.channels()] == [parked.uuid]
    assert parked.hangup_cause is not None


# ---------------------------------------------------------------------- the plugin
PLUGIN_TESTS = """
import pytest
import eslkit


@pytest.mark.esl_time_scale(20)
async def test_async(esl_switch, esl_client):
    call = esl_switch.call("9197", script="answer")
    await call.wait_answered()
    assert await call.wait_hangup() == "NORMAL_CLEARING"
    assert "UP" in await esl_client.api("status")
    assert esl_switch.time_scale == 20


@pytest.mark.esl_dialplan('''
<include><context name="default"><extension name="x">
  <condition field="destination_number" expression="^42$">
    <action application="hangup" data="USER_BUSY"/>
  </condition></extension></context></include>''')
def test_blocking(esl_switch, esl_client):
    call = esl_switch.call("42")
    assert call.wait_hangup() == "USER_BUSY"
    assert "UP" in esl_client.api("status")
    assert esl_switch.time_scale == 1
"""


def test_plugin_fixtures_pass_in_auto_mode(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_app=PLUGIN_TESTS)
    result = pytester.runpytest_subprocess("-o", "asyncio_mode=auto", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_plugin_works_in_strict_mode_and_without_pytest_asyncio(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_strict=PLUGIN_TESTS.replace(
            "async def test_async", "@pytest.mark.asyncio\nasync def test_async"
        )
    )
    result = pytester.runpytest_subprocess("-o", "asyncio_mode=strict")
    result.assert_outcomes(passed=2)
    # Blocking fixtures need no asyncio plugin at all.
    result = pytester.runpytest_subprocess("-p", "no:asyncio", "-k", "blocking")
    result.assert_outcomes(passed=1, deselected=1)


def test_async_test_without_a_runner_gets_one_clear_line(pytester: pytest.Pytester) -> None:
    """No pytest-asyncio: one line naming what to install, not pytest's generic "async
    fixture with no plugin" error; pytest-asyncio in strict mode and the test unmarked: one
    line naming the marker."""
    pytester.makepyfile(
        test_unrun=textwrap.dedent(
            """
            async def test_switch(esl_switch):
                assert esl_switch.port

            async def test_client(esl_client):
                assert esl_client
            """
        )
    )
    result = pytester.runpytest_subprocess("-p", "no:asyncio", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [
            "eslkit: an async def test that uses esl_switch or esl_client needs an asyncio test "
            "runner: pip install pytest-asyncio (or 'eslkit?test?')*"  # ? matches the brackets
        ]
    )
    result.stdout.no_fnmatch_line("*requested an async fixture*")
    result = pytester.runpytest_subprocess("-o", "asyncio_mode=strict", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["eslkit: pytest-asyncio runs only marked tests*"])


def test_a_failing_test_shows_the_channel_event_history(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_fail=textwrap.dedent(
            """
            import pytest

            @pytest.mark.esl_time_scale(50)
            async def test_fails(esl_switch):
                call = esl_switch.call("9199", "5550000", script="answer")
                await call.wait_hangup()
                call.assert_events(["CHANNEL_ANSWER"])

            def test_fails_blocking(esl_switch):
                call = esl_switch.call("1001")
                call.wait_state("CS_EXECUTE")
                assert call.answered
            """
        )
    )
    result = pytester.runpytest_subprocess("-o", "asyncio_mode=auto")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "*- eslkit channel events -*",
            "channel * (sim/5550000):",
            "*CHANNEL_CREATE*",
            "*CHANNEL_HANGUP Hangup-Cause=USER_BUSY*",
            "*CHANNEL_DESTROY*",
        ]
    )
    assert result.stdout.str().count("- eslkit channel events -") == 2
    assert "CHANNEL_PARK" in result.stdout.str()


def test_a_passing_test_has_no_history_section(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_ok="def test_ok(esl_switch):\n    esl_switch.call('9199').wait_hangup()\n"
    )
    result = pytester.runpytest_subprocess("-rA")
    result.assert_outcomes(passed=1)
    assert "eslkit channel events" not in result.stdout.str()


def test_the_docs_first_example_works_as_a_new_project_would_run_it(
    pytester: pytest.Pytester,
) -> None:
    """docs/testing.md's lead example, copied verbatim, passes with no asyncio plugin."""
    docs = Path(__file__).resolve().parents[2] / "docs" / "testing.md"
    text = docs.read_text()
    start = text.index("```python\n") + len("```python\n")
    example = text[start : text.index("```", start)]
    pytester.makepyfile(test_switch=example)
    result = pytester.runpytest_subprocess("-p", "no:asyncio", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
