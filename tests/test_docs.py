"""The README and docs work as written: the test command CI runs is the README's, nothing
promises an install from the package index, the tour's commands can run after the README's
two commands, ``eslkit serve --help`` explains outbound mode, and docs/sim.md's warning about
a blocking ``api originate`` holds. (The wheel the README builds: test_packaging.py.)"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from eslkit.switch.core import SwitchConfig
from tests.esl_wire import connect
from tests.server_support import start_test_server

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = {path.name: path.read_text(encoding="utf-8") for path in (ROOT / "docs").glob("*.md")}


def _sh_blocks(text: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)```", text, flags=re.S)


def test_ci_runs_exactly_the_readme_test_command() -> None:
    test_command = next(
        line for block in _sh_blocks(README) for line in block.splitlines() if "pytest" in line
    )
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    # (.ci/run may pick another Python 3.11+ interpreter through $PYTHON)
    assert test_command in ci.replace('"$PYTHON"', "python3.11").splitlines()
    # ...from a copy of the committed tree with nothing beside it, and no test may be skipped.
    assert 'git archive --format=tar HEAD | tar -x -C "$work/eslkit"' in ci
    assert '.ci/no_skips.py "$work/junit.xml"' in ci


def test_ci_fails_on_a_skipped_test_but_not_on_an_expected_failure(tmp_path: Path) -> None:
    (tmp_path / "test_x.py").write_text(
        "import pytest\n"
        "def test_ok(): pass\n"
        "@pytest.mark.xfail(strict=True)\n"
        "def test_xfail(): assert False\n"
        "def test_needs_file(): pytest.skip('no such file: ../shared/x')\n"
    )

    def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(a) for a in args], capture_output=True, text=True, timeout=60, check=False
        )

    junit = tmp_path / "junit.xml"
    run(
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        f"--junitxml={junit}",
        tmp_path / "test_x.py",
    )
    result = run(sys.executable, ROOT / ".ci" / "no_skips.py", junit)
    assert result.returncode == 1
    assert "test_x::test_needs_file: no such file: ../shared/x" in result.stderr
    assert "test_xfail" not in result.stderr
    run(
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        f"--junitxml={junit}",
        "-k",
        "not needs_file",
        tmp_path / "test_x.py",
    )
    assert run(sys.executable, ROOT / ".ci" / "no_skips.py", junit).returncode == 0


def test_nothing_promises_an_install_from_the_package_index() -> None:
    from_index = re.compile(r"pip install (-\S+ )*['\"]?eslkit\b(?!/)")
    for name, text in {"README.md": README, **DOCS}.items():
        assert not from_index.search(text), name


def test_tour_commands_run_after_the_two_readme_commands() -> None:
    """A bare ``eslkit`` only after ``source .venv/bin/activate`` in the same block."""
    for block in _sh_blocks(README):
        activated = False
        for line in block.splitlines():
            command = line.split("#", 1)[0].strip()
            if command.startswith("source .venv/bin/activate"):
                activated = True
            if re.match(r"eslkit\b", command):
                assert activated, line


def test_serve_help_explains_outbound_mode_with_serve_alone() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "eslkit", "serve", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    text = result.stdout
    assert "--dialplan FILE" in text
    assert '<action application="socket" data="127.0.0.1:8084 async full"/>' in text
    assert "sock_PORT" in text
    assert "'&socket(127.0.0.1:8084 async full)'" in text and "Without the quotes" in text
    usage = DOCS["usage.md"]
    assert "### Outbound mode with `eslkit serve` alone" in usage
    assert "'&socket(127.0.0.1:8084 async full)'" in usage


async def test_own_events_come_after_a_blocking_api_originate_and_bgapi_shows_progress() -> None:
    """docs/sim.md: a connection's own events arrive after its ``api originate`` returns;
    with ``bgapi`` they arrive as the call progresses, before the BACKGROUND_JOB."""
    assert "## Watching a call's progress: `bgapi originate`" in DOCS["sim.md"]
    running = await start_test_server(switch=SwitchConfig(time_scale=10))
    try:
        conn = await connect("127.0.0.1", running.port)
        await conn.reply(
            "event plain CHANNEL_CREATE CHANNEL_PROGRESS CHANNEL_ANSWER BACKGROUND_JOB"
        )
        uuid = "c0ffee00-0000-4000-8000-000000000001"
        await conn.send(f"api originate {{origination_uuid={uuid}}}sim/ring:2;answer &park\n\n")
        first = await conn.frame()
        assert first.content_type == "api/response" and first.body == f"+OK {uuid}\n".encode()
        names = [(await conn.event()).get("Event-Name") for _ in range(3)]
        assert names == ["CHANNEL_CREATE", "CHANNEL_PROGRESS", "CHANNEL_ANSWER"]

        uuid = "c0ffee00-0000-4000-8000-000000000002"
        await conn.send(f"bgapi originate {{origination_uuid={uuid}}}sim/ring:2;answer &park\n\n")
        reply = await conn.frame()
        assert (reply.get("Reply-Text") or "").startswith("+OK Job-UUID: ")
        events = [await conn.event() for _ in range(4)]
        assert [e.get("Event-Name") for e in events] == [
            "CHANNEL_CREATE",
            "CHANNEL_PROGRESS",
            "CHANNEL_ANSWER",
            "BACKGROUND_JOB",
        ]
        assert events[-1].body == f"+OK {uuid}\n"
        await conn.close()
    finally:
        await running.stop()
