"""The errors the client raises. Every one derives from :class:`ESLError`.

Messages never contain a password: commands are described by their first word only, and
``auth``/``userauth`` arguments are never echoed.
"""

from __future__ import annotations

from eslkit.protocol.errors import ESLError, UnsafeValue
from eslkit.protocol.event import Event

__all__ = [
    "AuthenticationError",
    "ChannelHangup",
    "CommandError",
    "Disconnected",
    "ESLError",
    "EventOverflow",
    "NotFullSocket",
    "PermissionDenied",
    "Timeout",
    "UnsafeValue",
]


class Disconnected(ESLError, ConnectionError):
    """The connection is gone (EOF, disconnect notice, close); pending calls fail with this."""


class AuthenticationError(ESLError):
    """The server refused the password (``-ERR invalid``) or the ACL rejected the client."""


class CommandError(ESLError):
    """The server answered a command with an error (``-ERR …``, or ``-USAGE`` from ``api``).

    ``reply`` is the server's text (for ``api``: the response body).
    """

    def __init__(self, command: str, reply: str) -> None:
        super().__init__(f"{command}: {reply.strip()}")
        self.command = command
        self.reply = reply


class PermissionDenied(CommandError):
    """``-ERR permission denied``: the ``userauth`` user may not run this command or event."""


class Timeout(ESLError, TimeoutError):
    """A call did not complete within its timeout. The connection stays usable."""


class ChannelHangup(ESLError):
    """The channel hung up before the awaited application completed.

    ``event`` is the hang-up event when one was seen (``None`` after a linger notice).
    """

    def __init__(self, uuid: str, event: Event | None = None) -> None:
        cause = event.get("Hangup-Cause") if event is not None else None
        super().__init__(f"channel {uuid} hung up" + (f" ({cause})" if cause else ""))
        self.uuid = uuid
        self.cause = cause
        self.event = event


class NotFullSocket(ESLError):
    """The command needs an outbound socket in ``full`` mode (``Control: single-channel``)."""

    def __init__(self, command: str) -> None:
        super().__init__(
            f"{command!r} is not available on this outbound socket (Control: single-channel). "
            "FreeSWITCH only allows it in full mode: use the dialplan application "
            "'socket <host>:<port> async full'"
        )
        self.command = command


class EventOverflow(Disconnected):
    """An event stream with ``overflow="disconnect"`` overflowed; the connection was dropped."""
