"""``eslkit cli``: an fs_cli-like console for any event socket (FreeSWITCH or ``eslkit serve``).

It relies on the protocol only, the way fs_cli does: ``auth``/``userauth``, ``api switchname``
for the prompt, ``log <level>`` at startup, input lines sent as ``api <line>`` with the header
``console_execute: true``, and ``/event``, ``/noevents``, ``/nixevent``, ``/filter``, ``/log``,
``/nolog`` passed through verbatim without the slash.

Threads: the connection lives on an asyncio loop in a daemon thread (a
:class:`~eslkit.client.portal.Portal` of its own); the main thread reads input (``readline``
on a terminal, so Ctrl-C lands there) and waits for each reply with a timeout. Log lines and events are printed by the loop thread as they arrive.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import queue
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from eslkit.client import (
    AuthenticationError,
    Disconnected,
    ESLError,
    EventStream,
    InboundConnection,
    connect,
    reply_text,
)
from eslkit.client.portal import Portal
from eslkit.protocol.event import Event
from eslkit.protocol.frames import Frame
from eslkit.protocol.names import LogLevel

PROG = "eslkit cli"
HISTORY_FILE = "~/.eslkit_history"
HISTORY_LENGTH = 1000
#: Seconds to wait for the loop thread to wind down on exit.
SHUTDOWN_TIMEOUT = 3.0
#: Events waiting to be printed; beyond this the oldest are dropped.
EVENT_QUEUE = 10_000
#: Lines of piped input read ahead of the command being run.
INPUT_QUEUE = 1_000
EXIT_WORDS = ("/exit", "/quit", "/bye", "...")
PASSTHROUGH = ("/event", "/noevents", "/nixevent", "/filter", "/log", "/nolog")
#: How long tab completion waits for the switch's ``console_complete``.
COMPLETE_TIMEOUT = 2.0
_COMPLETION_CELL = re.compile(r"\[\s*([^\]\s][^\]]*)\]")
_COMPLETION_WRITE = re.compile(r"write=\d+:(\S+)")

HELP = """\
Command                    Description
-----------------------------------------------
/help                      Help
/exit, /quit, /bye, ...    Exit the program.
/event, /noevents, /nixevent  Event commands.
/log, /nolog               Log commands.
/filter                    Filter commands.
Ctrl-D                     Exit; Ctrl-C clears the line, twice in a row exits.
Anything else is run as an API command (api <line>, console_execute: true).
"""


_ESC = "\033["
#: fs_cli's colors per level (CONSOLE keeps the terminal's default).
LEVEL_COLORS: dict[int, str] = {
    LogLevel.CONSOLE: "",
    LogLevel.ALERT: _ESC + "31m",
    LogLevel.CRIT: _ESC + "31m",
    LogLevel.ERR: _ESC + "31m",
    LogLevel.WARNING: _ESC + "35m",
    LogLevel.NOTICE: _ESC + "36m",
    LogLevel.INFO: _ESC + "32m",
    LogLevel.DEBUG: _ESC + "33m",
}
RESET = _ESC + "0m"


@dataclass(slots=True)
class ConsoleOptions:
    """What the command line configured."""

    host: str = "127.0.0.1"
    port: int = 8021
    password: str = "ClueCon"
    user: str | None = None
    execute: tuple[str, ...] = ()
    retry: bool = False
    retries: int = 30
    log_level: str | None = "debug"
    color: bool = True
    timeout: float = 30.0
    connect_timeout: float = 5.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``eslkit cli`` (fs_cli's names where fs_cli has one)."""
    parser.add_argument("-H", "--host", default="127.0.0.1", help="host (default 127.0.0.1)")
    parser.add_argument("-P", "--port", type=int, default=8021, help="port (default 8021)")
    parser.add_argument("-p", "--password", default="ClueCon", help="password (default ClueCon)")
    parser.add_argument("-u", "--user", help="user@domain: authenticate with userauth")
    parser.add_argument(
        "-x",
        "--execute",
        action="append",
        default=[],
        metavar="CMD",
        help="run an API command, print the result and exit (repeatable)",
    )
    parser.add_argument(
        "-r", "--retry", action="store_true", help="retry the connection (once a second)"
    )
    parser.add_argument(
        "--retries", type=int, default=30, help="give up after this many retries (default 30)"
    )
    parser.add_argument(
        "-l", "--log-level", default="debug", help="log level sent at startup (default debug)"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="do not ask for log lines")
    parser.add_argument("--no-color", action="store_true", help="do not color log lines")
    parser.add_argument(
        "-t",
        "--timeout",
        type=int,
        default=30_000,
        metavar="MS",
        help="timeout of API commands in milliseconds (default 30000)",
    )
    parser.add_argument(
        "-T",
        "--connect-timeout",
        type=int,
        default=5_000,
        metavar="MS",
        help="timeout of the connection and login in milliseconds (default 5000)",
    )


def options_from(args: argparse.Namespace) -> ConsoleOptions:
    """The :class:`ConsoleOptions` of parsed arguments."""
    return ConsoleOptions(
        host=args.host,
        port=args.port,
        password=args.password,
        user=args.user,
        execute=tuple(args.execute),
        retry=args.retry,
        retries=max(0, args.retries),
        log_level=None if args.quiet or not args.log_level else args.log_level,
        color=not args.no_color,
        timeout=max(1, args.timeout) / 1000.0,
        connect_timeout=max(1, args.connect_timeout) / 1000.0,
    )


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``cli`` subcommand."""
    parser = subparsers.add_parser(
        "cli",
        help="an fs_cli-like console for an event socket",
        description="An fs_cli-like console for FreeSWITCH's event socket or eslkit serve.",
    )
    add_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Entry point of ``eslkit cli``."""
    return Console(options_from(args), sys.stdin, sys.stdout, sys.stderr).run()


def main(
    argv: Sequence[str] | None = None,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run the console with ``argv`` (the options of ``eslkit cli``) and these streams."""
    parser = argparse.ArgumentParser(prog=PROG)
    add_arguments(parser)
    args = parser.parse_args(argv)
    return Console(
        options_from(args), stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    ).run()


def format_log(frame: Frame, color: bool) -> str:
    """A ``log/data`` frame as fs_cli prints it: its text, colored by ``Log-Level``."""
    text = (frame.body or b"").decode("utf-8", "replace")
    if not text.endswith("\n"):
        text += "\n"
    if not color:
        return text
    try:
        level = int(frame.get("Log-Level") or "0")
    except ValueError:
        level = 0
    code = LEVEL_COLORS.get(level, "")
    return f"{code}{text.rstrip(chr(10))}{RESET}\n" if code else text


def format_event(event: Event) -> str:
    """An event as readable text: ``RECV EVENT``, one ``Name: value`` line per header, body."""
    lines = ["RECV EVENT"]
    lines += [f"{name}: {value}" for name, value in event.headers]
    body = event.body
    if body:
        lines += ["", body.rstrip("\n")]
    return "\n".join(lines) + "\n\n"


class _Output:
    """Serializes writes from both threads; on a terminal, redraws the prompt and the line
    being typed after a log line or event printed in the middle of it."""

    def __init__(self, stream: TextIO, interactive: bool) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self._interactive = interactive
        self.prompt: str | None = None  # set while the main thread waits in input()

    def write(self, text: str) -> None:
        with self._lock:
            stream = self._stream
            prompt = self.prompt
            try:
                if prompt is not None and self._interactive:
                    stream.write("\r" + _ESC + "K" + text + prompt + _line_buffer())
                else:
                    stream.write(text)
                stream.flush()
            except (OSError, ValueError):
                pass  # a closed pipe must not kill the loop thread


def _line_buffer() -> str:
    try:
        import readline
    except ImportError:  # pragma: no cover - platform without readline
        return ""
    return readline.get_line_buffer()


class Console:
    """One console session: connect, then run ``-x`` commands or the interactive loop."""

    def __init__(self, options: ConsoleOptions, stdin: TextIO, stdout: TextIO, stderr: TextIO):
        self.options = options
        self.stdin = stdin
        self.stderr = stderr
        self.interactive = _isatty(stdin) and _isatty(stdout)
        self.color = options.color and _isatty(stdout)
        self.out = _Output(stdout, self.interactive)
        self.prompt = "freeswitch> "
        self.lost: str | None = None
        self._conn: InboundConnection | None = None
        self._runner: Portal | None = None
        self._exiting = False
        self._input_thread: int | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._matches: list[str] = []

    # ------------------------------------------------------------------ lifecycle
    def run(self) -> int:
        """Run the session; returns the exit status (0 ok, 1 connection or command error)."""
        self._input_thread = threading.get_ident()
        runner = self._runner = Portal("eslkit-cli")
        try:
            try:
                self._conn = self._connect(runner)
            except ESLError as exc:
                self._error(str(exc))
                return 1
            except KeyboardInterrupt:
                return 1
            if self.options.execute:
                return self._execute_all()
            return self._interactive()
        finally:
            self._exiting = True
            if self._conn is not None:
                try:
                    runner.run(self._conn.close(), SHUTDOWN_TIMEOUT)
                except (TimeoutError, ESLError, OSError, KeyboardInterrupt):
                    pass
            runner.stop(SHUTDOWN_TIMEOUT)

    def _connect(self, runner: Portal) -> InboundConnection:
        options = self.options
        attempts = 0
        while True:
            try:
                return runner.run(self._open(), options.connect_timeout + 1.0)
            except AuthenticationError as exc:
                raise AuthenticationError(
                    f"cannot log in to {options.host}:{options.port}: {exc}"
                ) from None
            except (ESLError, OSError, TimeoutError) as exc:
                reason = str(exc) or type(exc).__name__
                if not options.retry or attempts >= options.retries:
                    raise Disconnected(
                        f"cannot connect to {options.host}:{options.port}: {reason}"
                    ) from None
                attempts += 1
                self._error(f"connection failed ({reason}); retry {attempts} in 1 s")
                time.sleep(1.0)

    async def _open(self) -> InboundConnection:
        options = self.options
        conn = await connect(
            options.host,
            options.port,
            options.password,
            user=options.user,
            timeout=options.connect_timeout,
            command_timeout=options.timeout,
        )
        try:
            if not options.execute:
                await self._setup(conn)
        except BaseException:
            await conn.close(timeout=1.0)
            raise
        return conn

    async def _setup(self, conn: InboundConnection) -> None:
        """The interactive session's start: prompt name, printers, the startup log level."""
        try:
            name = (await conn.api("switchname", check=False)).strip()
        except ESLError:
            name = ""
        if name and "\n" not in name and not name.startswith("-"):
            self.prompt = f"freeswitch@{name}> "
        else:
            self.prompt = f"freeswitch@{self.options.host}> "
        conn.on_log(self._print_log)
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._print_events(conn.events(maxsize=EVENT_QUEUE))),
            loop.create_task(self._watch(conn)),
        ]
        level = self.options.log_level
        if level:
            frame = await conn.send(f"log {level}")
            text = reply_text(frame)
            if not text.startswith("+OK"):
                self.out.write(text + "\n")

    def _print_log(self, frame: Frame) -> None:
        self.out.write(format_log(frame, self.color))

    async def _print_events(self, stream: EventStream) -> None:
        try:
            async for event in stream:
                self.out.write(format_event(event))
        except ESLError:
            return  # the disconnect itself is reported by _watch

    async def _watch(self, conn: InboundConnection) -> None:
        await conn.wait_closed()
        if self._exiting:
            return
        self.lost = str(conn.error or "the connection was closed")
        self.out.write(f"\nDisconnected: {self.lost}\n")
        main = threading.main_thread().ident
        if self.interactive and main is not None and self._input_thread == main:
            # Wake the main thread out of input(): a real SIGINT interrupts the read.
            signal.pthread_kill(main, signal.SIGINT)

    def _error(self, text: str) -> None:
        try:
            self.stderr.write(f"{PROG}: {text}\n")
            self.stderr.flush()
        except (OSError, ValueError):
            pass

    # ------------------------------------------------------------------ commands
    def _execute_all(self) -> int:
        status = 0
        for command in self.options.execute:
            try:
                if self._api(command):
                    status = 1
            except ESLError as exc:
                self._error(str(exc))
                return 1
        return status

    def _api(self, line: str) -> bool:
        """Run ``api <line>`` as fs_cli does and print the result; ``True`` on a refused
        command (a ``-ERR`` command reply; an api body is printed as it is)."""
        conn, runner = self._conn, self._runner
        assert conn is not None and runner is not None
        timeout = self.options.timeout
        frame = runner.run(
            conn.send(f"api {line}", [("console_execute", "true")], timeout=timeout),
            timeout + 1.0,
        )
        text = reply_text(frame)
        if text and not text.endswith("\n"):
            text += "\n"
        self.out.write(text)
        return frame.content_type != "api/response" and text.startswith("-ERR")

    def completions(self, line: str) -> list[str]:
        """Tab completion as fs_cli does it: the words the switch's ``console_complete``
        offers for the last word of ``line`` (console commands for a ``/`` line)."""
        if line.startswith("/"):
            return [word for word in (*EXIT_WORDS, "/help", *PASSTHROUGH) if word.startswith(line)]
        conn, runner = self._conn, self._runner
        if conn is None or runner is None or "\n" in line or "\r" in line:
            return []
        try:
            reply = runner.run(
                conn.api(f"console_complete {line}", timeout=COMPLETE_TIMEOUT, check=False),
                COMPLETE_TIMEOUT + 1.0,
            )
        except (ESLError, TimeoutError, OSError):
            return []
        return parse_completions(reply)

    def _complete(self, text: str, state: int) -> str | None:
        """The ``readline`` completer."""
        if state == 0:
            import readline

            line = readline.get_line_buffer()[: readline.get_endidx()]
            self._matches = [word for word in self.completions(line) if word.startswith(text)]
        return self._matches[state] if state < len(self._matches) else None

    def _passthrough(self, line: str) -> None:
        conn, runner = self._conn, self._runner
        assert conn is not None and runner is not None
        timeout = self.options.timeout
        frame = runner.run(conn.send(line, timeout=timeout), timeout + 1.0)
        self.out.write(reply_text(frame).rstrip("\n") + "\n")

    def handle(self, line: str) -> bool:
        """Run one input line; ``False`` when the session should end."""
        line = line.strip()
        if not line:
            return True
        word = line.split(None, 1)[0].lower()
        if word in EXIT_WORDS:
            return False
        try:
            if word == "/help":
                self.out.write(HELP)
            elif word in PASSTHROUGH:
                self._passthrough(line[1:])
            elif line.startswith("/"):
                self.out.write(f"Unknown command {word}; type /help for the list.\n")
            else:
                self._api(line)
        except TimeoutError:
            self._error(f"no reply within {self.options.timeout:g} s")
        except ESLError as exc:
            self._error(str(exc))
        return self.lost is None

    # ------------------------------------------------------------------ interactive
    def _interactive(self) -> int:
        if self.interactive:
            self.out.write(
                f"eslkit cli: connected to {self.options.host}:{self.options.port}. "
                "Type /help for the commands, /exit or Ctrl-D to leave.\n\n"
            )
            return self._terminal_loop()
        return self._piped_loop()

    def _terminal_loop(self) -> int:
        history = _History.load()
        _install_completer(self._complete)
        interrupts = 0
        try:
            while self.lost is None:
                try:
                    self.out.prompt = self.prompt
                    try:
                        line = input(self.prompt)
                    finally:
                        self.out.prompt = None
                except EOFError:
                    self.out.write("\n")
                    break
                except KeyboardInterrupt:
                    if self.lost is not None:
                        break
                    interrupts += 1
                    if interrupts >= 2:
                        self.out.write("\n")
                        break
                    self.out.write("^C (Ctrl-C again or /exit to leave)\n")
                    continue
                interrupts = 0
                try:
                    if not self.handle(line):
                        break
                except KeyboardInterrupt:
                    self.out.write("^C\n")
                    interrupts = 1
        finally:
            history.save()
        return 0 if self.lost is None else 1

    def _piped_loop(self) -> int:
        lines: queue.Queue[str | None] = queue.Queue(INPUT_QUEUE)
        threading.Thread(
            target=_read_lines, args=(self.stdin, lines), name="eslkit-cli-input", daemon=True
        ).start()
        while self.lost is None:
            try:
                line = lines.get(timeout=0.2)
            except queue.Empty:
                continue
            if line is None or not self.handle(line):
                break
        return 0 if self.lost is None else 1


def _read_lines(stream: TextIO, lines: queue.Queue[str | None]) -> None:
    try:
        for line in stream:
            lines.put(line)
    except (OSError, ValueError):
        pass
    finally:
        lines.put(None)


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def parse_completions(reply: str) -> list[str]:
    """The candidate words in a ``console_complete`` reply: its ``[   name]`` cells, or the
    word of a lone ``write=<n>:<word>``."""
    found = [cell.strip() for cell in _COMPLETION_CELL.findall(reply)]
    if not found:
        found = _COMPLETION_WRITE.findall(reply)
    return found


def _install_completer(completer: Callable[[str, int], str | None]) -> None:
    try:
        import readline
    except ImportError:  # pragma: no cover - platform without readline
        return
    readline.set_completer(completer)
    readline.set_completer_delims(" \t\n")
    readline.parse_and_bind("tab: complete")


class _History:
    """``readline`` history in ``~/.eslkit_history`` (nothing when readline is missing)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path

    @classmethod
    def load(cls) -> _History:
        try:
            import readline
        except ImportError:  # pragma: no cover - platform without readline
            return cls(None)
        path = Path(os.path.expanduser(HISTORY_FILE))
        try:
            readline.read_history_file(path)
        except OSError:
            pass
        readline.set_history_length(HISTORY_LENGTH)
        return cls(path)

    def save(self) -> None:
        if self.path is None:
            return
        import readline

        try:
            readline.write_history_file(self.path)
        except OSError:
            pass
