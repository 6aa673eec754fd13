"""Fuzz the parsers any peer reaches: a developer runs this for as long as they like.

    python tests/fuzz/fuzz_protocol.py [TARGET ...] [--seconds N] [--engine atheris|hypothesis]

Targets (default: all, round robin):

- ``server-frames``: the server's frame reader over any bytes, fed in random splits; every
  frame goes through the command parser. It may refuse the stream (ProtocolError) but must
  give the same frames whatever the split.
- ``split``: ``split_command_block`` against FreeSWITCH's ``read_packet`` line loop.
- ``client-frames``: the client's frame reader over any bytes.
- ``events``: plain/json/xml event parsing of any bytes (EventFormatError only), and every
  parsed event serializes to something each format parses again.
- ``expand``: the expander over any text: never raises, bounded output, bounded API calls.

With ``--engine atheris`` (``pip install atheris``: a coverage-guided libFuzzer engine) the
input is driven by coverage; otherwise hypothesis's ``fuzz_one_input`` is fed random buffers
(hypothesis shapes them; no coverage guidance). A failure prints the input and exits 1:
turn it into a test (tests/protocol/test_fuzz_findings.py holds the ones found so far).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from eslkit.protocol.command import Command  # noqa: E402
from eslkit.protocol.errors import EventFormatError, ProtocolError  # noqa: E402
from eslkit.protocol.event import Event  # noqa: E402
from eslkit.protocol.frames import FrameReader, split_command_block  # noqa: E402
from eslkit.switch.expand import MAX_EXPANSIONS, expand_variables  # noqa: E402
from tests.protocol.test_properties import reference_split  # noqa: E402


def _server_frames(data: bytes, split: int) -> list[tuple[bytes, bytes | None]]:
    reader = FrameReader(server_side=True)
    out: list[tuple[bytes, bytes | None]] = []
    for start in range(0, len(data), split):
        reader.feed(data[start : start + split])
        while (frame := reader.next_frame()) is not None:
            out.append((frame.head, frame.body))
            Command.from_frame(frame)
    return out


def check_server_frames(data: bytes) -> None:
    try:
        whole = _server_frames(data, max(len(data), 1))
    except ProtocolError:
        return
    for split in (1, 2, 7, 64):
        assert _server_frames(data, split) == whole, split


def check_split(data: bytes) -> None:
    assert split_command_block(data) == reference_split(data)


def check_client_frames(data: bytes) -> None:
    reader = FrameReader()
    try:
        for start in range(0, len(data), 5):
            reader.feed(data[start : start + 5])
            while (frame := reader.next_frame()) is not None:
                _ = frame.headers, frame.content_type
    except ProtocolError:
        pass


def check_events(data: bytes) -> None:
    for fmt in ("plain", "json", "xml"):
        try:
            event = Event.parse(data, fmt)  # type: ignore[arg-type]
            headers = list(event.headers)
            body = event.body
        except EventFormatError:
            continue
        again = Event(headers, body)
        for out in ("plain", "json", "xml"):
            Event.parse(again.serialize(out), out)  # type: ignore[arg-type]


def check_expand(data: bytes) -> None:
    text = data.decode("utf-8", "surrogateescape")
    calls = 0

    def api(func: str, args: str) -> str:
        nonlocal calls
        calls += 1
        return f"<{func}>"

    out = expand_variables(
        text, {"a": "A", "b": "${a}${b}"}.get, global_lookup={}.get, api=api, max_output=4096
    )
    assert len(out) <= 4096
    assert calls <= MAX_EXPANSIONS


TARGETS: dict[str, Callable[[bytes], None]] = {
    "server-frames": check_server_frames,
    "split": check_split,
    "client-frames": check_client_frames,
    "events": check_events,
    "expand": check_expand,
}

# Bytes that matter to ESL framing, so random inputs hit the interesting paths.
_INTERESTING = [
    b"\n", b"\r", b"\n\n", b"\r\n", b":", b" ", b"\x00", b"Content-Length: ", b"12",
    b"-1", b"api ", b"auth ", b"event ", b"${", b"}", b"(", b")", b"$$", b"\\", b"<", b">",
    b"&", b"<!", b"%", b"\xff", b"\xc3\xa9", b'"', b"{", b"[", b"]", b"Content-Type: ",
]  # fmt: skip


def _hypothesis_driver(check: Callable[[bytes], None]) -> Callable[[bytes], None]:
    pieces = st.lists(st.one_of(st.sampled_from(_INTERESTING), st.binary(max_size=8)), max_size=40)

    @settings(database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(pieces.map(b"".join))
    def run(data: bytes) -> None:
        check(data)

    fuzz = run.hypothesis.fuzz_one_input
    return lambda buffer: fuzz(buffer)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("targets", nargs="*", metavar="TARGET", help=", ".join(TARGETS))
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--engine", choices=("atheris", "hypothesis"), default=None)
    parser.add_argument("--seed", type=int, default=None)
    args, rest = parser.parse_known_args()
    names = args.targets or list(TARGETS)
    unknown = [name for name in names if name not in TARGETS]
    if unknown:
        parser.error(f"unknown target(s): {', '.join(unknown)}")
    engine = args.engine
    if engine is None:
        try:
            import atheris  # type: ignore[import-not-found]

            engine = "atheris"
        except ImportError:
            engine = "hypothesis"
    if engine == "atheris":
        import atheris

        checks = [TARGETS[name] for name in names]

        def one_input(data: bytes) -> None:
            if not data:
                return
            checks[data[0] % len(checks)](data[1:])

        atheris.instrument_all()
        atheris.Setup([sys.argv[0], f"-max_total_time={int(args.seconds)}", *rest], one_input)
        atheris.Fuzz()
        return 0
    rng = random.Random(args.seed if args.seed is not None else os.getpid())
    drivers = {name: _hypothesis_driver(TARGETS[name]) for name in names}
    deadline = time.monotonic() + args.seconds
    runs = 0
    while time.monotonic() < deadline:
        for name, drive in drivers.items():
            buffer = rng.randbytes(rng.randrange(1, 2048))
            try:
                drive(buffer)
            except Exception:
                print(f"FAILED target {name} on buffer {buffer!r}", file=sys.stderr)
                raise
            runs += 1
    print(f"{runs} inputs, {len(drivers)} targets, no failure ({engine})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
