"""API commands: the registry, ``switch_api_execute`` and ``switch_console_execute``.

Adding a command is one decorated function::

    commands = ApiRegistry()

    @commands.command("echo", "Echo", "<data>")
    def echo(call: ApiCall) -> None:
        call.write(call.arg)

A function may be ``async`` (``msleep`` sleeps without blocking other connections). It
returns ``None`` (or True) for success and ``False`` for FreeSWITCH's non-success status;
ordinary errors are written into the output (``-ERR …``, ``-USAGE: …``) with success status,
as mod_commands does.

:class:`ApiEngine` runs commands the way ``switch_api_execute`` does: command and argument
stripped of surrounding whitespace (except for ``console_complete``), the API event created
*before* the function runs (so its Event-Sequence and date come first) and fired after it
returns, with ``API-Command`` and ``API-Command-Argument`` (each only when non-empty). An
unknown command writes ``INVALID COMMAND!\\n`` and fails; a function that fails gets
``COMMAND RETURNED ERROR!\\n`` appended. Callers such as the event socket replace the output
of a failed command with their own error text.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from eslkit.protocol.event import Event
from eslkit.protocol.names import EventType
from eslkit.protocol.records import API_PERMISSION, ApiResult, CallingSite
from eslkit.switch.expand import expand_variables, separate_string

if TYPE_CHECKING:
    from eslkit.switch.core import Switch

__all__ = [
    "API_EVENT_SITE",
    "EXPANSION_SLICE",
    "MAX_ALIAS_RECURSION",
    "MAX_EXPANSION_CALLS",
    "MAX_EXPANSION_NESTING",
    "MAX_EXPANSION_PASSES",
    "MAX_OUTPUT",
    "ApiCall",
    "ApiCommand",
    "ApiEngine",
    "ApiFunction",
    "ApiHost",
    "ApiRegistry",
    "ApiStream",
    "strip_whitespace",
]

MAX_OUTPUT = 16 * 1024 * 1024
"""Cap on one command's output, in characters (FreeSWITCH streams are unbounded)."""
MAX_ALIAS_RECURSION = 100
"""``switch_console_execute``'s recursion limit for aliases."""
MAX_EXPANSION_CALLS = 256
#: API calls reached through expansion nest at most this deep (``${expand(eval ${...})}``:
#: each level is an API call whose arguments are expanded again); deeper calls expand to
#: nothing. FreeSWITCH has no limit; here each level multiplies the work of the ones below.
MAX_EXPANSION_NESTING = 16
#: An expansion that has run this long (seconds) yields to the event loop before its next
#: pass, so a long one never holds up the other connections.
EXPANSION_SLICE = 0.005
#: Expansion passes (each a linear scan of the text) one expansion may make in all, its
#: nested API calls' own expansions included.
MAX_EXPANSION_PASSES = 1024
# (depth, [passes left]) of the expansion this task is inside (the list is shared by the
# whole tree of nested expansions).
_NESTING: ContextVar[tuple[int, list[int]] | None] = ContextVar(
    "eslkit_expansion_nesting", default=None
)
"""Cap on ``${api(...)}`` calls made while expanding one string."""
MAX_ALIASES = 10_000
"""Cap on console aliases."""

#: Where FreeSWITCH creates the API event (switch_loadable_module.c).
API_EVENT_SITE = CallingSite("switch_loadable_module.c", "switch_api_execute", 3140)

_WHITESPACE = " \t\r\n\v\f"


def strip_whitespace(text: str) -> str:
    """``switch_strip_whitespace``: leading and trailing blanks removed."""
    return text.strip(_WHITESPACE)


class ApiStream:
    """``switch_stream_handle_t``: the output of a command, plus its API event."""

    __slots__ = ("_parts", "_size", "param_event", "truncated")

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._size = 0
        #: The API event being built; the innermost ``switch_api_execute`` fires it.
        self.param_event: Event | None = None
        self.truncated = False

    def write(self, text: str) -> None:
        """Append ``text`` (silently cut at MAX_OUTPUT)."""
        if not text:
            return
        room = MAX_OUTPUT - self._size
        if room <= 0:
            self.truncated = True
            return
        if len(text) > room:
            text = text[:room]
            self.truncated = True
        self._parts.append(text)
        self._size += len(text)

    def getvalue(self) -> str:
        """Everything written so far."""
        if len(self._parts) > 1:
            self._parts[:] = ["".join(self._parts)]
        return self._parts[0] if self._parts else ""

    def __len__(self) -> int:
        return self._size


@dataclass(slots=True)
class ApiCall:
    """What an API function gets: the switch, its argument, and the output stream."""

    switch: Switch
    #: The command name as looked up (stripped).
    command: str
    #: The argument, stripped; ``""`` when absent.
    arg: str
    stream: ApiStream
    session_uuid: str | None = None

    def write(self, text: str) -> None:
        """Write to the command's output."""
        self.stream.write(text)

    @property
    def event(self) -> Event | None:
        """The API event being built (``stream->param_event``), if not fired yet."""
        return self.stream.param_event

    async def execute(
        self, command: str, argument: str, *, same_stream: bool = False
    ) -> tuple[bool, str]:
        """Run another API command (firing its own API event).

        With ``same_stream`` the nested command writes into this command's output and
        takes over its API event, as ``expand`` does in FreeSWITCH.
        """
        engine = self.switch.api
        if same_stream:
            ok = await engine.run(command, argument, self.stream, session_uuid=self.session_uuid)
            return ok, ""
        stream = ApiStream()
        ok = await engine.run(command, argument, stream, session_uuid=self.session_uuid)
        return ok, stream.getvalue()


ApiFunction = Callable[[ApiCall], "Awaitable[bool | None] | bool | None"]


@dataclass(frozen=True, slots=True)
class ApiCommand:
    """One registered command (``switch_api_interface_t``)."""

    name: str
    description: str
    syntax: str
    function: ApiFunction
    #: The module FreeSWITCH's command lives in (``show api``'s ikey).
    module: str = "mod_commands"


@dataclass(slots=True)
class ApiRegistry:
    """A set of API commands; names are case-insensitive, as FreeSWITCH's core hash."""

    _commands: dict[str, ApiCommand] = field(default_factory=dict)

    def command(
        self, name: str, description: str = "", syntax: str = "", *, module: str = "mod_commands"
    ) -> Callable[[ApiFunction], ApiFunction]:
        """Decorator: register the function as the API command ``name``."""

        def register(function: ApiFunction) -> ApiFunction:
            self.add(ApiCommand(name, description, syntax, function, module))
            return function

        return register

    def add(self, command: ApiCommand) -> None:
        """Register (or replace) a command."""
        self._commands[command.name.lower()] = command

    def include(self, other: ApiRegistry) -> None:
        """Register every command of ``other``."""
        for command in other:
            self.add(command)

    def remove(self, name: str) -> bool:
        """Unregister ``name``; True if it existed."""
        return self._commands.pop(name.lower(), None) is not None

    def get(self, name: str) -> ApiCommand | None:
        """The command called ``name`` (any case), or None."""
        return self._commands.get(name.lower())

    def __iter__(self) -> Iterator[ApiCommand]:
        return iter(sorted(self._commands.values(), key=lambda c: c.name))

    def __len__(self) -> int:
        return len(self._commands)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._commands


class ApiHost(Protocol):
    """What the engine needs from the switch."""

    def new_event(
        self, event_type: EventType, calling: CallingSite, subclass: str | None = None
    ) -> Event: ...

    def fire(self, event: Event) -> None: ...

    def report_error(self, exc: BaseException) -> None: ...

    def log(
        self, level: int, text: str, *, file: str, function: str, line: int, session_uuid: str = ""
    ) -> None: ...


@dataclass(slots=True)
class Alias:
    """A console alias (a row of FreeSWITCH's ``aliases`` table)."""

    alias: str
    command: str
    sticky: bool = False


class ApiEngine:
    """Runs API commands and console lines against a registry."""

    def __init__(self, switch: Switch, registry: ApiRegistry) -> None:
        self._switch = switch
        self.registry = registry
        #: Console aliases by name, in insertion order.
        self.aliases: dict[str, Alias] = {}

    # ------------------------------------------------------------------ api
    async def run(
        self, command: str, argument: str, stream: ApiStream, *, session_uuid: str | None = None
    ) -> bool:
        """``switch_api_execute`` into ``stream``; returns the status."""
        started = self.run_nowait(command, argument, stream, session_uuid=session_uuid)
        if type(started) is bool:
            return started
        return await started

    def run_nowait(
        self, command: str, argument: str, stream: ApiStream, *, session_uuid: str | None = None
    ) -> bool | Awaitable[bool]:
        """:meth:`run` without a coroutine when the command finishes without waiting: the
        status, or (the command waits) an awaitable that finishes the run."""
        switch = self._switch
        if command.lower() != "console_complete":
            command = strip_whitespace(command)
            argument = strip_whitespace(argument)
        if stream.param_event is None:
            stream.param_event = switch.new_event(EventType.API, API_EVENT_SITE)
        event = stream.param_event
        if command:
            event.add_header("API-Command", command)
        if argument:
            event.add_header("API-Command-Argument", argument)

        check = API_PERMISSION.get()
        if check is not None and not check(command, argument if argument else None):
            # The denial is the command's output (a console chain goes on to the next link).
            stream.write("-ERR permission denied\n")
            return self._end(stream, True)
        api = self.registry.get(command) if command else None
        if api is None:
            stream.write("INVALID COMMAND!\n")
            return self._end(stream, False)
        call = ApiCall(switch, command, argument, stream, session_uuid)
        try:
            result = api.function(call)
        except Exception as exc:
            switch.report_error(exc)
            result = False
        # A command returns a bool, None, or an awaitable.
        if result is not None and result is not True and result is not False:
            return self._finish(stream, result)
        if result is False:
            stream.write("COMMAND RETURNED ERROR!\n")
        return self._end(stream, result is not False)

    async def _finish(self, stream: ApiStream, pending: Awaitable[bool | None]) -> bool:
        try:
            ok = await pending is not False
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._switch.report_error(exc)
            ok = False
        if not ok:
            stream.write("COMMAND RETURNED ERROR!\n")
        return self._end(stream, ok)

    def _end(self, stream: ApiStream, ok: bool) -> bool:
        """Fire the command's API event (unless a nested command took it over)."""
        if stream.param_event is not None:
            fired, stream.param_event = stream.param_event, None
            self._switch.fire(fired)
        return ok

    def execute_nowait(
        self, command: str, argument: str, *, session_uuid: str | None = None
    ) -> ApiResult | Awaitable[ApiResult]:
        """:meth:`execute` without a coroutine when the command finishes without waiting."""
        stream = ApiStream()
        started = self.run_nowait(command, argument, stream, session_uuid=session_uuid)
        if type(started) is bool:
            return ApiResult(started, stream.getvalue())
        return self._result(stream, started)

    @staticmethod
    async def _result(stream: ApiStream, pending: Awaitable[bool]) -> ApiResult:
        ok = await pending
        return ApiResult(ok, stream.getvalue())

    async def execute(
        self, command: str, argument: str, *, session_uuid: str | None = None
    ) -> ApiResult:
        """Run one command with a fresh stream."""
        started = self.execute_nowait(command, argument, session_uuid=session_uuid)
        if isinstance(started, ApiResult):
            return started
        return await started

    # ------------------------------------------------------------------ console
    async def execute_console(self, line: str) -> ApiResult:
        """``switch_console_execute`` with a fresh stream."""
        stream = ApiStream()
        ok = await self._console(line, 0, stream)
        return ApiResult(ok, stream.getvalue())

    async def _console(self, line: str, rec: int, stream: ApiStream) -> bool:
        if rec > MAX_ALIAS_RECURSION:
            self._switch.log(
                2,
                "Too much recursion!\n",
                file="switch_console.c",
                function="switch_console_execute",
                line=360,
            )
            return False
        line = line.lstrip(" ")
        if line[:5].lower() == "alias":
            pieces = [line]
        else:
            pieces = line.split(";;", 127)
        ok = False
        for piece in pieces:
            cut = piece.find("\r")
            if cut < 0:
                cut = piece.find("\n")
            if cut >= 0:
                piece = piece[:cut]
            cmd, sep, arg_text = piece.partition(" ")
            arg = arg_text if sep else None
            alias = self.expand_alias(cmd, arg)
            if alias is not None and alias != cmd:
                stream.write(f"\nExpand Alias [{cmd}]->[{alias}]\n\n")
                rec += 1
                ok = await self._console(alias, rec, stream)
                continue
            ok = await self.run(cmd, arg or "", stream)
        return ok

    def expand_alias(self, cmd: str, arg: str | None) -> str | None:
        """``switch_console_expand_alias``: the line an alias stands for, or None."""
        found = self.aliases.get(cmd)
        if found is not None:
            return f"{found.command} {arg}" if arg is not None else found.command
        if arg is not None:
            full = self.aliases.get(f"{cmd} {arg}")
            if full is not None:
                return full.command
        return None

    def set_alias(self, text: str) -> bool:
        """``switch_console_set_alias``: ``add|stickyadd <alias> <command>`` or ``del <alias>|*``."""
        argv = separate_string(text, " ", 3) if text else []
        if len(argv) < 2:
            return False
        if len(argv) > 2 and argv[1] == argv[2]:
            self._switch.log(
                3,
                "Alias and command cannot be the same, this will cause loop!\n",
                file="switch_console.c",
                function="switch_console_set_alias",
                line=1930,
            )
            return False
        verb = argv[0].lower()
        if verb in ("add", "stickyadd") and len(argv) == 3:
            if argv[1] not in self.aliases and len(self.aliases) >= MAX_ALIASES:
                return False
            self.aliases.pop(argv[1], None)
            self.aliases[argv[1]] = Alias(argv[1], argv[2], verb == "stickyadd")
            return True
        if verb == "del" and len(argv) == 2:
            if argv[1] == "*":
                self.aliases.clear()
            else:
                self.aliases.pop(argv[1], None)
            return True
        return False

    # ------------------------------------------------------------------ expansion
    async def expand(
        self,
        text: str,
        lookup: Callable[[str], str | None],
        *,
        session_uuid: str | None = None,
    ) -> str:
        """Expand ``${...}`` in ``text``; ``${api(args)}`` calls run here, in FreeSWITCH's order.

        The expander is synchronous, so API calls are resolved in passes: a pass stops
        recording at the first call whose result is not known yet, that call is awaited, and
        the text is expanded again. Each call runs exactly once, in the order FreeSWITCH
        would run it (inner calls first, left to right).
        """
        switch = self._switch
        results: dict[tuple[str, str, int], str] = {}
        made = 0
        outer = _NESTING.get()
        depth, passes = (0, [MAX_EXPANSION_PASSES]) if outer is None else outer
        too_deep = depth >= MAX_EXPANSION_NESTING
        token = _NESTING.set((depth + 1, passes))
        started = time.monotonic()
        try:
            while True:
                passes[0] -= 1
                recorder = _CallRecorder(results, switch.api_expansion, too_deep or passes[0] <= 0)
                expanded = expand_variables(
                    text, lookup, global_lookup=switch.get_global, api=recorder
                )
                if recorder.pending is None or made >= MAX_EXPANSION_CALLS:
                    return expanded
                if time.monotonic() - started > EXPANSION_SLICE:
                    await asyncio.sleep(0)
                    started = time.monotonic()
                func, args, nth = recorder.pending
                stream = ApiStream()
                ok = await self.run(func, args, stream, session_uuid=session_uuid)
                results[(func, args, nth)] = stream.getvalue() if ok else ""
                made += 1
        finally:
            _NESTING.reset(token)


class _CallRecorder:
    """The expander's API callback during one pass: known results, or the next call to make."""

    __slots__ = ("allowed", "pending", "results", "seen", "too_deep")

    def __init__(
        self, results: dict[tuple[str, str, int], str], allowed: bool, too_deep: bool = False
    ) -> None:
        self.results = results
        self.allowed = allowed
        self.too_deep = too_deep
        self.seen: dict[tuple[str, str], int] = {}
        self.pending: tuple[str, str, int] | None = None

    def __call__(self, func: str, args: str) -> str:
        if not self.allowed:
            return "<API execute Permission Denied>"
        if self.too_deep:
            return ""
        nth = self.seen.get((func, args), 0)
        self.seen[(func, args)] = nth + 1
        found = self.results.get((func, args, nth))
        if found is not None:
            return found
        if self.pending is None:
            self.pending = (func, args, nth)
        return ""
