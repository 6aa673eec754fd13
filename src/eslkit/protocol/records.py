"""Plain records that cross the line between the event socket server and what is behind it.

``CallingSite`` is where an event says it was fired (``Event-Calling-*`` headers),
``LogRecord`` the content of one log frame, ``ApiResult`` the outcome of an API command.
They carry no behaviour, so every layer may import them. ``API_PERMISSION`` is the one piece
of context that crosses the same line: the API allow-list a command runs under.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

__all__ = ["API_PERMISSION", "ApiResult", "CallingSite", "LogRecord"]

#: While set (by the event socket, for a ``--strict-userauth`` user), every API command run in
#: this context, nested ones included (``${api(...)}`` in an expansion, ``expand``/``bgapi``
#: running their command, console ``;;`` chains), must pass ``check(command, argument)``;
#: the switch answers ``-ERR permission denied`` otherwise.
API_PERMISSION: ContextVar[Callable[[str, str | None], bool] | None] = ContextVar(
    "eslkit_api_permission", default=None
)


@dataclass(frozen=True, slots=True)
class CallingSite:
    """Where FreeSWITCH's C source fires an event: ``Event-Calling-File/-Function/-Line-Number``."""

    file: str
    function: str
    line: int


@dataclass(frozen=True, slots=True)
class LogRecord:
    """One log line, as mod_event_socket's log queue receives it (spec §3.2 "Log frames")."""

    level: int
    #: Text channel: 0 = LOG, 1 = LOG_CLEAN, 2 = EVENT, 3 = SESSION.
    channel: int
    file: str
    function: str
    line: int
    #: The formatted text that goes into the frame body.
    text: str
    #: The session UUID for session logs, else "".
    user_data: str = ""


@dataclass(frozen=True, slots=True)
class ApiResult:
    """The outcome of an API command: ``ok`` is FreeSWITCH's status, ``output`` the stream."""

    ok: bool
    output: str
