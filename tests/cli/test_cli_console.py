"""``eslkit cli``, the fs_cli-like console, against a real in-process eslkit server."""

from __future__ import annotations

import asyncio
import io
import os
import sys
import threading
from collections.abc import AsyncIterator
from typing import TextIO

import pytest

import eslkit
from eslkit.cli import console
from eslkit.cli.main import build_parser
from eslkit.client import InboundConnection
from eslkit.client.portal import Portal
from eslkit.protocol.event import Event
from eslkit.protocol.frames import Frame
from tests.server_support import EslServer

WAIT = 10.0


class Capture(io.StringIO):
    """A thread-safe, non-tty text sink whose content can be awaited."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        with self._lock:
            return super().write(text)

    def text(self) -> str:
        with self._lock:
            return self.getvalue()

    async def wait_for(self, needle: str, timeout: float = WAIT) -> str:
        async with asyncio.timeout(timeout):
            while needle not in self.text():
                await asyncio.sleep(0.02)
        return self.text()


async def run_console(argv: list[str], stdin: TextIO | None = None) -> tuple[int, Capture, Capture]:
    out, err = Capture(), Capture()
    status = await asyncio.wait_for(
        asyncio.to_thread(
            console.main, argv, stdin=stdin or io.StringIO(""), stdout=out, stderr=err
        ),
        WAIT,
    )
    return status, out, err


def base_args(server: EslServer) -> list[str]:
    return ["-H", server.host, "-P", str(server.port), "-p", server.password]


@pytest.fixture
async def other(esl_server: EslServer) -> AsyncIterator[InboundConnection]:
    """A second client connection, to trigger logs and events."""
    async with eslkit.connect(esl_server.host, esl_server.port, esl_server.password) as conn:
        yield conn


async def test_execute_prints_status(esl_server: EslServer) -> None:
    status, out, err = await run_console([*base_args(esl_server), "-x", "status"])
    assert status == 0, err.text()
    assert "is ready" in out.text()
    assert "session(s) since startup" in out.text()


async def test_execute_several_commands_in_order(esl_server: EslServer) -> None:
    argv = [*base_args(esl_server), "-x", "switchname", "-x", "echo hello-eslkit", "-x", "nosuch"]
    status, out, _ = await run_console(argv)
    assert status == 0
    text = out.text()
    switchname = text.split("\n", 1)[0]
    assert switchname  # the switch's name, first
    assert text.index("hello-eslkit") > text.index(switchname)
    assert "-ERR nosuch Command not found!" in text
    assert text.index("-ERR nosuch") > text.index("hello-eslkit")


async def test_wrong_password_is_a_clear_error(esl_server: EslServer) -> None:
    argv = ["-H", esl_server.host, "-P", str(esl_server.port), "-p", "wrong", "-x", "status"]
    status, out, err = await run_console(argv)
    assert status == 1
    assert "cannot log in" in err.text()
    assert "-ERR invalid" in err.text()
    assert out.text() == ""


async def test_unreachable_port_is_a_clear_error() -> None:
    # Bind a port, then close it: nothing listens there any more.
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    status, out, err = await run_console(["-P", str(port), "-T", "2000", "-x", "status"])
    assert status == 1
    assert f"cannot connect to 127.0.0.1:{port}" in err.text()
    assert out.text() == ""


async def test_interactive_session_logs_events_and_exit(
    esl_server: EslServer, other: InboundConnection
) -> None:
    read_fd, write_fd = os.pipe()
    stdin = os.fdopen(read_fd, "r")
    writer = os.fdopen(write_fd, "w")
    out, err = Capture(), Capture()
    session = asyncio.ensure_future(
        asyncio.to_thread(
            console.main, [*base_args(esl_server), "-q"], stdin=stdin, stdout=out, stderr=err
        )
    )

    def feed(line: str) -> None:
        writer.write(line + "\n")
        writer.flush()

    try:
        feed("/log debug")
        await out.wait_for("+OK log level debug [7]")
        await other.api("log WARNING console-log-line-42", check=False)
        await out.wait_for("console-log-line-42")

        feed("/event plain CUSTOM x::y")
        await out.wait_for("+OK event listener enabled plain")
        await other.send("sendevent CUSTOM", [("Event-Subclass", "x::y"), ("Cli-Test", "yes")])
        text = await out.wait_for("Cli-Test: yes")
        assert "RECV EVENT" in text
        assert "Event-Subclass: x::y" in text

        feed("echo typed-line")
        await out.wait_for("typed-line")
        feed("/exit")
        status = await asyncio.wait_for(session, WAIT)
    finally:
        writer.close()
        if not session.done():
            await asyncio.wait_for(session, WAIT)
        stdin.close()
    assert status == 0, err.text()
    text = out.text()
    # The log line is printed as sent (no color: not a terminal), one line.
    assert "[WARNING] mod_commands.c" in text
    assert "\033[" not in text


async def test_interactive_sends_log_level_at_startup_and_ends_on_eof(
    esl_server: EslServer, other: InboundConnection
) -> None:
    # Default log level (debug, as fs_cli) is requested at startup: a WARNING arrives
    # without any /log command. The input is only "status" then EOF (Ctrl-D).
    read_fd, write_fd = os.pipe()
    stdin = os.fdopen(read_fd, "r")
    writer = os.fdopen(write_fd, "w")
    out, err = Capture(), Capture()
    session = asyncio.ensure_future(
        asyncio.to_thread(console.main, base_args(esl_server), stdin=stdin, stdout=out, stderr=err)
    )
    try:
        writer.write("status\n")
        writer.flush()
        await out.wait_for("is ready")
        await other.api("log CRIT startup-level-works", check=False)
        await out.wait_for("startup-level-works")
    finally:
        writer.close()  # EOF
        status = await asyncio.wait_for(session, WAIT)
        stdin.close()
    assert status == 0, err.text()


async def test_console_ends_when_server_disconnects(esl_server: EslServer) -> None:
    read_fd, write_fd = os.pipe()
    stdin = os.fdopen(read_fd, "r")
    writer = os.fdopen(write_fd, "w")
    out, err = Capture(), Capture()
    session = asyncio.ensure_future(
        asyncio.to_thread(
            console.main, [*base_args(esl_server), "-q"], stdin=stdin, stdout=out, stderr=err
        )
    )
    try:
        writer.write("exit\n")  # the api command "exit" is refused; the real one is below
        writer.flush()
        await out.wait_for("\n")
        await esl_server.running.stop()
        status = await asyncio.wait_for(session, WAIT)
    finally:
        writer.close()
        stdin.close()
    assert status == 1
    assert "Disconnected" in out.text()


def test_log_lines_are_colored_like_fs_cli() -> None:
    def frame(level: int, text: str) -> Frame:
        head = f"Content-Type: log/data\nLog-Level: {level}\n".encode()
        return Frame(head, text.encode())

    assert console.format_log(frame(3, "bad\n"), True) == "\033[31mbad\033[0m\n"
    assert console.format_log(frame(4, "warn\n"), True) == "\033[35mwarn\033[0m\n"
    assert console.format_log(frame(5, "note\n"), True) == "\033[36mnote\033[0m\n"
    assert console.format_log(frame(6, "info\n"), True) == "\033[32minfo\033[0m\n"
    assert console.format_log(frame(7, "dbg"), True) == "\033[33mdbg\033[0m\n"
    assert console.format_log(frame(0, "plain\n"), True) == "plain\n"
    assert console.format_log(frame(3, "bad\n"), False) == "bad\n"


def test_event_is_printed_readably() -> None:
    event = Event([("Event-Name", "CUSTOM"), ("Event-Subclass", "x::y")])
    event.body = "hello"
    assert console.format_event(event) == (
        "RECV EVENT\nEvent-Name: CUSTOM\nEvent-Subclass: x::y\n\nhello\n\n"
    )


def test_options_follow_fs_cli() -> None:
    args = build_parser().parse_args(
        [
            "cli",
            "-H",
            "h",
            "-P",
            "1",
            "-p",
            "pw",
            "-u",
            "1000@d",
            "-x",
            "a",
            "-x",
            "b",
            "-r",
            "-l",
            "err",
            "--no-color",
            "-t",
            "1500",
        ]
    )
    options = console.options_from(args)
    assert options == console.ConsoleOptions(
        host="h",
        port=1,
        password="pw",
        user="1000@d",
        execute=("a", "b"),
        retry=True,
        log_level="err",
        color=False,
        timeout=1.5,
    )
    quiet = console.options_from(build_parser().parse_args(["cli", "-q"]))
    assert quiet.log_level is None


async def test_entry_point_runs_as_a_subprocess(esl_server: EslServer) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "eslkit",
        "cli",
        *base_args(esl_server),
        "-x",
        "version",
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, stderr
    assert b"FreeSWITCH Version" in stdout


async def test_tab_completion_asks_the_switch_like_fs_cli(esl_server: EslServer) -> None:
    args = build_parser().parse_args(["cli", *base_args(esl_server)])
    session = console.Console(console.options_from(args), io.StringIO(""), Capture(), Capture())

    def complete(lines: list[str]) -> list[list[str]]:
        runner = session._runner = Portal("eslkit-cli")
        try:
            session._conn = session._connect(runner)
            return [session.completions(line) for line in lines]
        finally:
            if session._conn is not None:
                runner.run(session._conn.close(), WAIT)
            runner.stop()

    stat, one, none, slash = await asyncio.wait_for(
        asyncio.to_thread(complete, ["sta", "uptim", "zzz", "/no"]), WAIT
    )
    assert "status" in stat and all(word.startswith("sta") for word in stat)
    assert one == ["uptime"]
    assert none == []
    assert slash == ["/noevents", "/nolog"]
    assert console.parse_completions("\n\n[              status]\t\n\nwrite=3:status ") == ["status"]
