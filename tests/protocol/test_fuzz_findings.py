"""Inputs the fuzzer (tests/fuzz/fuzz_protocol.py) found, kept as tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from eslkit.protocol.event import Event


@pytest.mark.parametrize("entity", ["&#x110000;", "&#1114112;", "&#99999999999999999999999;"])
def test_an_xml_character_reference_out_of_range_is_kept_as_written(entity: str) -> None:
    # Found by the "events" target: chr() raised ValueError/OverflowError out of the parser.
    data = f"<event>\n  <headers>\n    <A>x{entity}</A>\n  </headers>\n</event>\n".encode()
    assert Event.from_xml(data).headers == [("A", "x" + entity)]
    body = (
        "<event>\n  <headers></headers>\n  <Content-Length>1</Content-Length>\n"
        f"  <body>{entity}</body>\n</event>\n"
    )
    assert Event.from_xml(body).body == entity


def test_the_fuzz_entry_point_runs() -> None:
    # The developer's hour-long run, for two seconds (no coverage engine needed).
    script = Path(__file__).resolve().parents[1] / "fuzz" / "fuzz_protocol.py"
    done = subprocess.run(
        [sys.executable, str(script), "--seconds", "2", "--engine", "hypothesis", "--seed", "1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "no failure" in done.stdout
