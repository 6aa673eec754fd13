"""``tests/conformance/import_transcripts.py``: the one command that brings new FreeSWITCH
transcripts (and, optionally, the oracle's configuration) into ``tests/conformance/data/``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conformance.harness import CONFORMANCE_DIR, load_index

SCRIPT = Path(__file__).resolve().parent / "import_transcripts.py"


def _run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _source(root: Path) -> Path:
    source = root / "conformance"
    (source / "cases").mkdir(parents=True)
    (source / "cases2" / "cases").mkdir(parents=True)
    (source / "events").mkdir()
    (source / "index.json").write_text(json.dumps([{"name": "x"}]))
    (source / "cases" / "x.json").write_text('{"name": "x"}')
    (source / "cases" / "x.raw").write_bytes(b"\x00raw bytes\r\n")
    (source / "cases2" / "cases" / "y.json").write_text('{"name": "y"}')
    (source / "events" / "e.plain").write_text("Event-Name: HEARTBEAT\n\n")
    return source


def test_imports_new_and_changed_files_and_keeps_local_ones(tmp_path: Path) -> None:
    source = _source(tmp_path)
    dest = tmp_path / "data"
    (dest / "cases").mkdir(parents=True)
    (dest / "cases" / "local.json").write_text("{}")

    result = _run(source, "--dest", dest)
    assert result.returncode == 0, result.stderr
    assert "5 new" in result.stdout and "1 only in the repository" in result.stdout
    assert (dest / "cases" / "x.raw").read_bytes() == b"\x00raw bytes\r\n"
    assert (dest / "cases2" / "cases" / "y.json").read_text() == '{"name": "y"}'
    assert (dest / "events" / "e.plain").is_file()
    assert (dest / "cases" / "local.json").is_file()

    assert _run(source, "--dest", dest, "--check").returncode == 0
    (source / "cases" / "x.json").write_text('{"name": "x", "new": true}')
    stale = _run(source, "--dest", dest, "--check")
    assert stale.returncode == 1 and "changed: cases/x.json" in stale.stdout
    assert (dest / "cases" / "x.json").read_text() == '{"name": "x"}'  # --check wrote nothing
    assert _run(source, "--dest", dest).returncode == 0
    assert (dest / "cases" / "x.json").read_text() == '{"name": "x", "new": true}'


def test_oracle_conf_is_copied_without_its_keys(tmp_path: Path) -> None:
    source = _source(tmp_path)
    conf = tmp_path / "freeswitch"
    (conf / "dialplan" / "default").mkdir(parents=True)
    (conf / "tls").mkdir()
    (conf / "freeswitch.xml").write_text("<document/>\n")
    (conf / "dialplan" / "default" / "01.xml").write_text("<include/>\n")
    (conf / "tls" / "wss.pem").write_text("PRIVATE KEY\n")
    dest = tmp_path / "data"

    result = _run(source, "--dest", dest, "--oracle-conf", conf)
    assert result.returncode == 0, result.stderr
    assert (dest / "oracle-conf" / "dialplan" / "default" / "01.xml").is_file()
    assert not (dest / "oracle-conf" / "tls").exists()
    # The oracle's copy is not "only in the repository" for the transcripts' comparison.
    assert "0 only in the repository" in result.stdout.splitlines()[0]


def test_missing_source_is_a_clear_error(tmp_path: Path) -> None:
    result = _run(tmp_path / "nowhere", "--dest", tmp_path / "data")
    assert result.returncode == 2
    assert "no index.json" in result.stderr


def test_repository_holds_every_indexed_transcript() -> None:
    """What the tests replay is in the clone: every indexed case has its .json and .raw
    (``cases/NAME.*`` at the top level, ``NAME.*`` in ``cases2/`` and ``cases3/``)."""
    for directory in (CONFORMANCE_DIR, CONFORMANCE_DIR / "cases2", CONFORMANCE_DIR / "cases3"):
        infos = load_index(directory)
        assert infos
        for info in infos:
            for suffix in ("json", "raw"):
                nested = directory / "cases" / f"{info.name}.{suffix}"
                assert nested.is_file() or (directory / f"{info.name}.{suffix}").is_file()
    assert (CONFORMANCE_DIR / "oracle-conf" / "freeswitch.xml").is_file()
