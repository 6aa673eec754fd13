"""Parsers for what callers hand the switch as text: dial strings, the ``originate`` API
line, and the ``socket`` application's data.

Each follows FreeSWITCH's own parsing (switch_ivr_originate.c, mod_commands.c,
mod_event_socket.c), quirks included; see each function's docstring.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from eslkit.fsutil import c_atoi
from eslkit.switch.expand import separate_string

__all__ = [
    "DEFAULT_SOCKET_PORT",
    "MAX_PEERS",
    "ORIGINATE_SYNTAX",
    "ORIGINATE_USAGE",
    "DialString",
    "DialStringError",
    "LegSpec",
    "OriginateArgs",
    "OriginateUsageError",
    "SocketHost",
    "SocketTarget",
    "parse_dial_string",
    "parse_originate_args",
    "parse_socket_app_data",
]

MAX_PEERS = 128
"""FreeSWITCH's limit on legs per group and on sequential groups."""
DEFAULT_SOCKET_PORT = 8084
ORIGINATE_SYNTAX = (
    "<call url> <exten>|&<application_name>(<app_args>) [<dialplan>] [<context>] "
    "[<cid_name>] [<cid_num>] [<timeout_sec>]"
)
ORIGINATE_USAGE = f"-USAGE: {ORIGINATE_SYNTAX}\n"
"""The whole ``api originate`` reply for bad arguments."""

_QUOTED_COMMA = "\x01"
_UNQUOTED_COMMA = "\x02"


class DialStringError(ValueError):
    """The dial string cannot be parsed (FreeSWITCH logs ``Parse Error!`` and fails)."""


class OriginateUsageError(ValueError):
    """Bad ``originate`` arguments: the API replies `ORIGINATE_USAGE`."""


# --- dial strings -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LegSpec:
    """One leg: ``[vars]endpoint/target``. `target` is None when there is no ``/``."""

    endpoint: str
    target: str | None
    variables: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DialString:
    """A parsed dial string.

    `global_vars` (from ``<...>`` and ``{...}``) apply to every leg; a leg's own
    `variables` override them. `groups` are tried in turn (``|``, sequential), and the legs
    of a group ring at once (``,``, simultaneous).
    """

    global_vars: dict[str, str]
    groups: list[list[LegSpec]]


def _find_end_paren(text: str, start: int, open_: str, close: str) -> int | None:
    """``switch_find_end_paren``: index of the bracket closing the one at `start`."""
    i = start
    while i < len(text) and text[i] == " ":
        i += 1
    if i >= len(text) or text[i] != open_:
        return None
    depth = 1
    for j in range(i + 1, len(text)):
        ch = text[j]
        if ch == open_ and open_ != close:
            depth += 1
        elif ch == close:
            depth -= 1
            if not depth:
                return j
    return None


def _parse_brackets(text: str, open_: str, close: str, delim: str, into: dict[str, str]) -> str:
    """``switch_event_create_brackets``: read ``{a=1,b=2}`` at the start of `text` into
    `into`; return the text after the closing bracket."""
    end = _find_end_paren(text, 0, open_, close)
    if end is None:
        raise DialStringError("Parse Error!")
    body = text[text.index(open_) + 1 : end]
    if body.startswith("^^") and len(body) >= 3:
        delim = body[2]
        body = body[3:]
    for item in separate_string(body, delim, 1024):
        parts = separate_string(item, "=", 2)
        if len(parts) == 2 and parts[0]:
            into[parts[0]] = parts[1]
    return text[end + 1 :]


def _mark_leg_commas(group: str) -> str:
    """Protect commas inside ``[...]`` from the leg split, as FreeSWITCH does before it."""
    chars = list(group)
    end: int | None = None
    quoted = alt = False
    for i, ch in enumerate(chars):
        if end is None and ch == "[":
            end = _find_end_paren(group, i, "[", "]")
            alt = group[i + 1 : i + 3] == "^^"
            quoted = False
        if ch == "'":
            quoted = not quoted
        if end is not None and i < end and ch == "," and (i == 0 or group[i - 1] != "\\"):
            chars[i] = _QUOTED_COMMA if quoted or alt else _UNQUOTED_COMMA
        if i == end:
            end = None
    return "".join(chars)


def _parse_leg(text: str) -> LegSpec:
    text = text.lstrip(" ")
    variables: dict[str, str] = {}
    while text.startswith("["):
        close = _find_end_paren(text, 0, "[", "]")
        if close is not None:
            text = text[:close].replace(_QUOTED_COMMA, ",") + text[close:]
        rest = _parse_brackets(text, "[", "]", _UNQUOTED_COMMA, variables)
        if rest == text:
            raise DialStringError("Parse Error!")
        text = rest
    text = text.lstrip(" ")
    endpoint, slash, target = text.partition("/")
    return LegSpec(endpoint, target if slash else None, variables)


def parse_dial_string(data: str) -> DialString:
    """Parse an originate/bridge dial string the way ``switch_ivr_originate`` does.

    - Leading ``<a=1,b=2>`` and ``{a=1,b=2}`` blocks (any number) set variables for every
      leg. Inside, items are split on ``,`` (``^^X`` at the start picks another
      delimiter), ``'...'`` quotes a value and ``\\,`` escapes a comma; each item splits
      at its first ``=``; items without ``=`` are ignored. A later duplicate wins.
    - The rest splits on ``|`` into groups tried in turn, each group on ``,`` into legs
      that ring together. Commas inside a leg's ``[...]`` do not split legs.
    - A leg is ``[vars][more vars]endpoint/target``; the target is everything after the
      first ``/``.

    Raises `DialStringError` for an unclosed bracket block or when no leg is left
    (FreeSWITCH: ``Parse Error!`` / ``No origination URL specified!``).
    """
    text = data.lstrip(" ")
    global_vars: dict[str, str] = {}
    while text.startswith("<"):
        text = _parse_brackets(text, "<", ">", ",", global_vars)
    while text.startswith("{"):
        text = _parse_brackets(text, "{", "}", ",", global_vars)
    text = text.lstrip(" ")
    if not text:
        raise DialStringError("No origination URL specified!")
    groups: list[list[LegSpec]] = []
    for group in separate_string(text, "|", MAX_PEERS):
        legs = separate_string(_mark_leg_commas(group), ",", MAX_PEERS)
        groups.append([_parse_leg(leg) for leg in legs])
    if not any(groups):
        raise DialStringError("Nothing to do")
    return DialString(global_vars, groups)


# --- the originate API line -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OriginateArgs:
    """The arguments of ``api originate``.

    `application` is set for the ``&app(args)`` form (`app_args` None without
    parentheses); otherwise the new channel is transferred to `exten` in
    `dialplan`/`context`. `timeout` is in seconds.
    """

    url: str
    exten: str
    application: str | None
    app_args: str | None
    dialplan: str = "XML"
    context: str = "default"
    cid_name: str | None = None
    cid_num: str | None = None
    timeout: int = 60


def parse_originate_args(cmd: str) -> OriginateArgs:
    """Parse ``<url> <exten>|&app(args) [dialplan] [context] [cid_name] [cid_num] [timeout]``.

    Arguments split on spaces with FreeSWITCH's quoting rules (`separate_string`); 2 to 7
    of them are allowed; ``undef`` (any case) stands for an omitted one. In ``&app(args)``
    the text is cut at the first ``)`` and split at the first ``(``. The timeout is read
    with ``atoi``.

    Raises `OriginateUsageError` (reply `ORIGINATE_USAGE`) for a wrong argument count, and
    also when the url or exten is ``undef``, where FreeSWITCH itself would crash.
    """
    argv = separate_string(cmd, " ", 10) if cmd else []
    if len(argv) < 2 or len(argv) > 7:
        raise OriginateUsageError(ORIGINATE_USAGE)
    args: list[str | None] = [None if a.lower() == "undef" else a for a in argv]
    args += [None] * (7 - len(args))
    url, exten, dialplan, context, cid_name, cid_num, timeout = args
    if url is None or exten is None:
        raise OriginateUsageError(ORIGINATE_USAGE)
    application: str | None = None
    app_args: str | None = None
    if exten.startswith("&") and len(exten) > 1:
        app = exten[1:]
        close = app.find(")")
        if close >= 0:
            app = app[:close]
        application, paren, rest = app.partition("(")
        app_args = rest if paren else None
    return OriginateArgs(
        url=url,
        exten=exten,
        application=application,
        app_args=app_args,
        dialplan=dialplan or "XML",
        context=context or "default",
        cid_name=cid_name,
        cid_num=cid_num,
        timeout=60 if timeout is None else c_atoi(timeout),
    )


# --- the socket application -------------------------------------------------------------


class SocketHost(NamedTuple):
    """One host of the socket app's failover list; `path` sets ``socket_path``."""

    host: str
    port: int
    path: str | None


@dataclass(frozen=True, slots=True)
class SocketTarget:
    """The socket application's parsed data: hosts to try in order, and the mode flags."""

    hosts: list[SocketHost]
    async_: bool
    full: bool


def parse_socket_app_data(data: str) -> SocketTarget:
    """Parse ``host[:port][/path][|host2...] [async] [full]`` (spec §6.1).

    Arguments split on spaces; the first lists hosts separated by ``|`` (empty entries are
    skipped). The port is split off at the last ``:`` (so ``::1:8021`` is host ``::1``) and
    read with ``atoi`` into 16 bits; it defaults to 8084 and, as in FreeSWITCH, is not
    reset between hosts: a host without a port reuses the previous host's. The path is
    whatever follows the first ``/`` of the port text (or of the host, without a port).
    ``async`` and ``full`` match case-insensitively; other words are ignored. Empty data
    gives no hosts (FreeSWITCH: ``Parse Error!``; the dialplan continues).
    """
    argv = separate_string(data, " ", 80) if data else []
    if not argv:
        return SocketTarget([], False, False)
    hosts: list[SocketHost] = []
    port = DEFAULT_SOCKET_PORT
    for entry in separate_string(argv[0], "|", 50):
        if not entry:
            continue
        host = entry
        colon = entry.rfind(":")
        path_source = host
        if colon >= 0:
            host, path_source = entry[:colon], entry[colon + 1 :]
            port = c_atoi(path_source) & 0xFFFF
        path: str | None = None
        slash = path_source.find("/")
        if slash >= 0:
            path = path_source[slash + 1 :]
            if colon < 0:
                host = host[:slash]
        hosts.append(SocketHost(host, port, path))
    words = [a.lower() for a in argv[1:]]
    return SocketTarget(hosts, async_="async" in words, full="full" in words)
