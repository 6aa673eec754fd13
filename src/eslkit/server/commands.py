"""mod_event_socket's command set (spec §4): the table of handlers in dispatch order, the
handlers, and :func:`match`, which picks the rule for a command block.

Each handler gets the listener and the parsed command and returns the reply text: a string
to send as a ``command/reply`` (the raw form when it starts with ``~``), ``""`` for
FreeSWITCH's ``-ERR command not found``, or ``None`` when the handler wrote its own answer
(``api``, ``connect``) or nothing must be written; or, when it has to wait, an awaitable of
that reply. The loop that reads commands and runs them is the listener's
(:meth:`eslkit.server.listener.Listener.serve`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from eslkit.fsconfig.directory import (
    UserPermissions,
    parse_userauth_argument,
    userauth_reply_text,
)
from eslkit.fsutil import LOG_INVALID, c_atoi, new_uuid, parse_log_level, switch_true
from eslkit.protocol import builders
from eslkit.protocol.command import Command, strip_cr
from eslkit.protocol.event import Event
from eslkit.protocol.names import EventType, event_type_by_name
from eslkit.protocol.records import API_PERMISSION
from eslkit.server.backend import ApiResult, CallingSite, SessionControl
from eslkit.server.subscription import ALL, CUSTOM, MYEVENTS_TYPES

if TYPE_CHECKING:
    from eslkit.server.listener import Listener

log = logging.getLogger("eslkit.server")

Reply = str | None
Handler = Callable[["Listener", Command], "Reply | Awaitable[Reply]"]
Condition = Callable[["Listener", Command], bool]

UNLOAD_CHEAT = "api bgapi unload mod_event_socket"
RELOAD_CHEAT = "api bgapi reload mod_event_socket"
NOT_FOUND = ""
JOB_UUID_LIMIT = 256

# Version 4 and the RFC 4122 variant stamped into 128 random bits (what uuid.uuid4 does).
#: Enum ``.name`` is a descriptor call; sendevent asks for it on every event.
_TYPE_NAMES: dict[EventType, str] = {member: member.name for member in EventType}

BACKGROUND_JOB_SITE = CallingSite("mod_event_socket.c", "api_exec", 1580)
SENDEVENT_SITE = CallingSite("mod_event_socket.c", "parse_command", 2283)
#: The outbound ``connect`` reply's calling site (conformance README, rule 5).
CONNECT_SITE = CallingSite("mod_event_socket.c", "parse_command", 2029)

@dataclass(frozen=True, slots=True)
class Rule:
    """One dispatch rule: a case-insensitive prefix, a condition, a handler.

    A handler returns its reply (None: it wrote its own, or nothing), or, when it has to
    wait (``api`` of a waiting command, ``sendmsg``), an awaitable of the reply. Most
    commands thus run without a coroutine.
    """

    prefix: str
    handler: Handler
    condition: Condition | None = None


# ---------------------------------------------------------------------- handlers
def cmd_exit(listener: Listener, command: Command) -> Reply:
    listener.running = False
    return "+OK bye"


def cmd_auth(listener: Listener, command: Command) -> Reply:
    password = strip_cr(command.raw)[5:]
    if password == listener.server.settings.password:
        listener.authed = True
        return "+OK accepted"
    listener.running = False
    return "-ERR invalid"


def cmd_userauth(listener: Listener, command: Command) -> Reply:
    listener.allow_log = False
    parsed = parse_userauth_argument(strip_cr(command.raw)[9:])
    permissions = None
    if parsed is not None:
        user, domain, password = parsed
        permissions = listener.server.directory.authenticate(user, domain, password)
    if permissions is None:
        listener.running = False
        return "-ERR invalid"
    listener.authed = True
    listener.permissions = permissions
    listener.allow_log = permissions.allowed_log
    return "~" + userauth_reply_text(permissions)


def strict_permissions(listener: Listener) -> UserPermissions | None:
    """The userauth permissions of `listener` when they are a boundary (``--strict-userauth``
    or the user's ``esl-strict-userauth``), else None."""
    permissions = listener.permissions
    if permissions is None:
        return None
    if permissions.strict or listener.server.options.strict_userauth:
        return permissions
    return None


def _filter_allowed(permissions: UserPermissions, name: str, value: str) -> bool:
    """Strict userauth: a filter on the event name or subclass must name an allowed one."""
    if not permissions.restricts_events:
        return True
    lowered = name.lower()
    if lowered == "event-name":
        found = event_type_by_name(value)
        return found is not None and permissions.event_type_allowed(found)
    if lowered == "event-subclass":
        return permissions.custom_allowed(value)
    return True


def cmd_filter(listener: Listener, command: Command) -> Reply:
    text = strip_cr(command.raw)[7:].lstrip(" ")
    name, space, value = text.partition(" ")
    header_value: str | None = value if space else None
    subscription = listener.subscription
    if name.lower() == "delete" and header_value is not None:
        name, space, rest = header_value.partition(" ")
        header_value = rest if space else None
        if name.lower() == "all":
            subscription.filters.clear()
        else:
            subscription.delete_filters(name, header_value or None)
        return f"+OK filter deleted. [{name}][{header_value or ''}]"
    if header_value is not None:
        if name.lower() == "add":
            name, space, rest = header_value.partition(" ")
            header_value = rest if space else None
        if header_value is not None:
            strict = strict_permissions(listener)
            if strict is not None and not _filter_allowed(strict, name, header_value):
                return "-ERR permission denied"
            subscription.add_filter(name, header_value)
        shown = "(null)" if header_value is None else header_value
        return f"+OK filter added. [{name}]=[{shown}]"
    return "-ERR invalid syntax"


def cmd_resume(listener: Listener, command: Command) -> Reply:
    listener.resume = True
    if listener.session is not None:
        listener.session.set_variable("socket_resume", "true")
    return "+OK"


def cmd_connect(listener: Listener, command: Command) -> Reply:
    listener.connected = True
    control = listener.control
    if control is not None:
        listener.write(_connect_reply(listener, control))
    return None


def _connect_reply(listener: Listener, control: SessionControl) -> bytes:
    """The outbound ``connect`` reply: a bare CHANNEL_DATA serialization (spec §6.3)."""
    event = listener.server.backend.new_event(EventType.CHANNEL_DATA, CONNECT_SITE)
    pairs = control.connect()
    pairs.extend(
        (
            ("Content-Type", "command/reply"),
            ("Reply-Text", "+OK\n"),
            ("Socket-Mode", "async" if listener.async_mode else "static"),
            ("Control", "full" if listener.full else "single-channel"),
        )
    )
    for name, value in pairs:
        # CHANNEL_DATA keeps header names unique: a repeated name moves to the end.
        event.set_header(name, value)
    return event.to_plain()


def cmd_getvar(listener: Listener, command: Command) -> Reply:
    line = strip_cr(command.raw)
    _, space, name = line.partition(" ")
    value = ""
    session = listener.session
    if space and session is not None:
        control = listener.control
        found = control.get_variable(name) if control is not None else session.get_variable(name)
        # The reply buffer holds 511 bytes.
        value = (found or "").encode("utf-8", "surrogateescape")[:511].decode("utf-8", "ignore")
    # Deviation (docs/deviations.md): FreeSWITCH writes the value raw, so a newline in it
    # ends the reply early and injects lines, and a leading "~" switches to the raw reply
    # form. A channel variable can come from a remote party, so eslkit cuts the value at
    # its first CR/LF and never sends a getvar value in the raw form.
    cut = min((i for i in (value.find("\r"), value.find("\n")) if i >= 0), default=-1)
    if cut >= 0:
        value = value[:cut]
    if value.startswith("~"):
        listener.send_reply_text(value)
        return None
    return value


def cmd_myevents(listener: Listener, command: Command) -> Reply:
    subscription = listener.subscription
    if subscription.myevents:
        return "-ERR aready enabled."
    raw = command.raw
    if listener.session is None:
        target = strip_cr(raw[9:])
        uuid, space, _fmt = target.partition(" ")
        session = listener.server.backend.find_session(uuid)
        if session is None and space:
            return "-ERR invalid uuid"
        listener.session = session
        # The format word was cut off above, so FreeSWITCH never sees it here.
        listener.session_flag = True
        listener.async_mode = True
        if session is not None:
            listener.take_control(listener.server.backend.take_control(session))
        raw = "myevents " + uuid
    for event_type in MYEVENTS_TYPES:
        subscription.types[event_type] = 1
    subscription.myevents = True
    subscription.lock_session = listener.session_uuid
    listener.events_enabled = True
    if "xml" in raw or "XML" in raw:
        listener.format = "xml"
    if "json" in raw or "JSON" in raw:
        listener.format = "json"
    return "+OK Events Enabled"


def cmd_divert_events(listener: Listener, command: Command) -> Reply:
    if listener.session is None:
        return "-ERR not controlling a session."
    rest = command.raw[13:].lstrip(" ")
    if rest[:1] in ("\r", "\n"):
        rest = ""
    else:
        rest = strip_cr(rest)
    if not rest:
        return "-ERR missing value."
    on = rest.lower() == "on"
    listener.set_divert(on)
    return "+OK events diverted" if on else "+OK events not diverted"


async def cmd_sendmsg(listener: Listener, command: Command) -> Reply:
    target = command.raw[7:].lstrip(" ")
    if target[:1] in ("\r", "\n"):
        target = ""
    else:
        target = strip_cr(target)
    uuid: str | None = target
    if not uuid:
        uuid = command.header("session-id")
    if uuid and listener.session is not None and uuid == listener.session.uuid:
        uuid = None
    if not uuid and listener.session is not None:
        control = listener.control
        if control is None:
            return "+OK"
        message = sendmsg_event(command)
        if listener.async_mode or switch_true(command.header("async")):
            return _queued(listener, control.queue_message(message))
        await control.run_message(message)
        return "+OK"
    if uuid:
        queued = listener.server.backend.queue_message(uuid, sendmsg_event(command))
        if queued is not None:
            return _queued(listener, queued)
    return f"-ERR invalid session id [{uuid or ''}]"


def _queued(listener: Listener, queued: bool) -> Reply:
    if queued:
        return "+OK"
    # "-ERR memory error" is never sent: FreeSWITCH stops the listener instead.
    listener.running = False
    return None


def sendmsg_event(command: Command) -> Event:
    """The event a ``sendmsg`` packet becomes (its ``Command`` header as FreeSWITCH leaves
    it: cut at the line end when a target follows, else the whole raw block)."""
    raw = command.raw
    rest = raw[7:].lstrip(" ")
    line = raw if rest[:1] in ("\r", "\n") else strip_cr(raw)
    headers = [("Command", line)]
    headers.extend((name, value) for name, value in command.headers if value)
    return Event(headers, command.body_text)


def cmd_gate(listener: Listener, command: Command) -> Reply:
    """Non-full outbound sockets: everything below this rule is not found."""
    return NOT_FOUND


def cmd_sendevent(listener: Listener, command: Command) -> Reply:
    server = listener.server
    event_uuid = new_uuid()
    line = command.line
    # One pass over the client's header lines: header lines with empty values are never
    # added to a FreeSWITCH event; note the first Event-Subclass and Unique-ID (any case).
    client_headers: list[tuple[str, str]] = []
    given: str | None = None
    target: str | None = None
    for pair in command.headers:
        if pair[1]:
            client_headers.append(pair)
            lowered = pair[0].lower()
            if lowered == "event-subclass":
                if given is None:
                    given = pair[1]
            elif lowered == "unique-id" and target is None:
                target = pair[1]
    name = line[9:].lstrip(" \t")
    event_type = CUSTOM
    subclass: str | None = None
    found = event_type_by_name(name) if name else None
    strict = strict_permissions(listener)
    if strict is not None and strict.restricts_events:
        sent = found if found is not None else EventType.CUSTOM
        if not strict.event_type_allowed(sent) or (
            sent is EventType.CUSTOM and given is not None and not strict.custom_allowed(given)
        ):
            return "-ERR permission denied"
    if found is not None:
        event_type = int(found)
        if event_type == CUSTOM and given is not None:
            # FreeSWITCH deletes every Event-Subclass header and adds it back at the end.
            subclass = given
            client_headers = [
                pair for pair in client_headers if pair[0].lower() != "event-subclass"
            ]
            headers = [("Command", line), *client_headers, ("Event-UUID", event_uuid)]
            headers.append(("Event-Subclass", given))
        else:
            headers = [("Command", line), *client_headers, ("Event-UUID", event_uuid)]
    else:
        headers = [("Command", line), *client_headers, ("Event-UUID", event_uuid)]
    event = Event(headers, command.body_text)
    if target is not None and server.backend.queue_session_event(
        target, event, event_type, subclass
    ):
        return f"+OK {event_uuid}"
    type_name = _TYPE_NAMES[found] if found is not None else "CUSTOM"
    server.fire(event, event_type, subclass, type_name, SENDEVENT_SITE)
    return f"+OK {event_uuid}"


def _api_split(line: str) -> tuple[str, str | None]:
    name, space, arg = line.partition(" ")
    return name, (arg if space else None)


def _api_check(listener: Listener) -> Callable[[str, str | None], bool] | None:
    """The API allow-list every command (nested ones too) must pass, under strict userauth."""
    strict = strict_permissions(listener)
    if strict is None or strict.allowed_api is None:
        return None
    return strict.api_allowed


async def _under(check: Callable[[str, str | None], bool], pending: Awaitable[Reply]) -> Reply:
    token = API_PERMISSION.set(check)
    try:
        return await pending
    finally:
        API_PERMISSION.reset(token)


def cmd_api(listener: Listener, command: Command) -> Reply | Awaitable[Reply]:
    line = strip_cr(command.raw)[4:]
    permissions = listener.permissions
    if permissions is not None and permissions.allowed_api is not None:
        name, arg = _api_split(line)
        if not permissions.api_allowed(name, arg):
            return "-ERR permission denied"
    check = _api_check(listener)
    if check is None:
        return _run_api(listener, command, line)
    token = API_PERMISSION.set(check)
    try:
        reply = _run_api(listener, command, line)
    finally:
        API_PERMISSION.reset(token)
    if reply is None or isinstance(reply, str):
        return reply
    return _under(check, reply)


def _run_api(listener: Listener, command: Command, line: str) -> Reply | Awaitable[Reply]:
    server = listener.server
    console = command.header("console_execute")
    if console is not None and switch_true(console):
        return _api_reply_later(listener, server.backend.execute_console(line), line)
    name, arg = _api_split(line)
    # Most commands finish at once: no coroutine then.
    result = server.backend.execute_api_nowait(name, arg or "", session_uuid=listener.session_uuid)
    if isinstance(result, ApiResult):
        _api_reply(listener, result, name)
        return None
    return _api_reply_later(listener, result, name)


def _api_reply(listener: Listener, result: ApiResult, failed_name: str) -> None:
    if result.ok:
        output = result.output or "-ERR no reply\n"
    else:
        output = f"-ERR {failed_name} Command not found!\n"
    listener.write_reply(builders.api_response(output))


async def _api_reply_later(
    listener: Listener, pending: Awaitable[ApiResult], failed_name: str
) -> Reply:
    _api_reply(listener, await pending, failed_name)
    return None


def cmd_bgapi(listener: Listener, command: Command) -> Reply:
    server = listener.server
    line = strip_cr(command.raw)[6:]
    name, arg = _api_split(line)
    permissions = listener.permissions
    if (
        permissions is not None
        and permissions.allowed_api is not None
        and not permissions.api_allowed(name, arg)
    ):
        return "-ERR permission denied"
    given = command.header("job-uuid")
    job_uuid = given[:JOB_UUID_LIMIT] if given is not None else new_uuid()
    owner = listener.session_uuid

    async def job() -> None:
        result = await server.backend.execute_api(name, arg or "", session_uuid=owner)
        output = result.output if result.ok else f"-ERR {name} Command not found!\n"
        event = server.backend.new_event(EventType.BACKGROUND_JOB, BACKGROUND_JOB_SITE)
        event.add_header("Job-UUID", job_uuid)
        if owner:
            event.add_header("Job-Owner-UUID", owner)
        event.add_header("Job-Command", name)
        if arg:
            event.add_header("Job-Command-Arg", arg)
        event.body = output
        server.backend.fire(event)

    check = _api_check(listener)
    token = API_PERMISSION.set(check) if check is not None else None
    try:
        listener.track_job(job())  # the job's task copies the context, allow-list included
    finally:
        if token is not None:
            API_PERMISSION.reset(token)
    return f"~Reply-Text: +OK Job-UUID: {job_uuid}\nJob-UUID: {job_uuid}\n\n"


def cmd_log(listener: Listener, command: Command) -> Reply:
    if not listener.allow_log:
        return "-ERR permission denied"
    word = strip_cr(command.raw)[3:].lstrip(" ").partition(" ")[0]
    level = parse_log_level(word) if word else 7
    if level == LOG_INVALID:
        return "-ERR invalid log level"
    listener.log_level = level
    listener.log_enabled = True
    listener.server.update_log_interest()
    return f"+OK log level {word} [{level}]"


def cmd_linger(listener: Listener, command: Command) -> Reply:
    if listener.session is None:
        return "-ERR not controlling a session"
    raw = command.raw  # FreeSWITCH looks at the raw block here, not the cut line
    if raw[6:7] == " " and raw[7:8]:
        seconds = c_atoi(raw[7:])
        listener.linger_timeout = seconds
        listener.linger = True
        return f"+OK will linger {seconds} seconds"
    listener.linger_timeout = -1
    listener.linger = True
    return "+OK will linger"


def cmd_nolinger(listener: Listener, command: Command) -> Reply:
    if listener.session is None:
        return "-ERR not controlling a session"
    listener.linger = False
    return "+OK will not linger"


def cmd_nolog(listener: Listener, command: Command) -> Reply:
    listener.logs.clear()
    if listener.log_enabled:
        listener.log_enabled = False
        listener.server.update_log_interest()
        return "+OK no longer logging"
    return "-ERR not loging"


def cmd_event(listener: Listener, command: Command) -> Reply:
    line = strip_cr(command.raw)
    space = line.find(" ", 5)
    key_count = 0
    custom = False
    subscription = listener.subscription
    permissions = listener.permissions
    if space >= 0:
        for index, token in enumerate(line[space + 1 :].split(" ")):
            if index == 0:
                lowered = token.lower()
                if lowered in ("xml", "plain", "json"):
                    listener.format = lowered  # type: ignore[assignment]
                    continue
            if custom:
                if permissions is not None and permissions.allowed_custom is not None:
                    if not permissions.custom_allowed(token):
                        return "-ERR permission denied"
                subscription.custom.add(token)
                continue
            found = event_type_by_name(token) if token else None
            if found is None:
                continue
            if (
                permissions is not None
                and permissions.restricts_events
                and not permissions.event_type_allowed(found)
            ):
                return "-ERR permission denied"
            key_count += 1
            if found == EventType.ALL:
                subscription.set_all()
                if permissions is None or permissions.allowed_custom is None:
                    subscription.custom.update(listener.server.custom_subclasses())
                else:
                    subscription.custom.update(permissions.allowed_custom)
            else:
                subscription.types[int(found)] = 1
            if found == EventType.CUSTOM:
                custom = True
    if not key_count:
        return "-ERR no keywords supplied"
    listener.events_enabled = True
    return f"+OK event listener enabled {listener.format}"


def cmd_nixevent(listener: Listener, command: Command) -> Reply:
    line = strip_cr(command.raw)
    space = line.find(" ", 8)
    key_count = 0
    custom = False
    subscription = listener.subscription
    if space >= 0:
        for token in line[space + 1 :].split(" "):
            if custom:
                subscription.custom.discard(token)
                continue
            found = event_type_by_name(token) if token else None
            if found is None:
                continue
            key_count += 1
            if found == EventType.CUSTOM:
                custom = True
            else:
                subscription.nix(int(found))
    if not key_count:
        return "-ERR no keywords supplied"
    listener.events_enabled = True
    return "+OK events nixed"


def cmd_noevents(listener: Listener, command: Command) -> Reply:
    listener.events.clear()
    if listener.events_enabled:
        listener.events_enabled = False
        listener.subscription.clear()
        return "+OK no longer listening for events"
    return "-ERR not listening for events"


def _has_session(listener: Listener, command: Command) -> bool:
    return listener.session is not None


def _session_block(listener: Listener, command: Command) -> bool:
    return listener.session is not None or command.raw[:9].lower() == "myevents "


def _not_full_outbound(listener: Listener, command: Command) -> bool:
    return listener.outbound and not listener.full


#: The command table after the auth gate, in FreeSWITCH's dispatch order (spec §4.0).
COMMANDS: tuple[Rule, ...] = (
    Rule("filter ", cmd_filter),
    Rule("resume", cmd_resume, _has_session),
    Rule("connect", cmd_connect, _session_block),
    Rule("getvar", cmd_getvar, _session_block),
    Rule("myevents", cmd_myevents, _session_block),
    Rule("divert_events", cmd_divert_events),
    Rule("sendmsg", cmd_sendmsg),
    Rule("", cmd_gate, _not_full_outbound),
    Rule("sendevent", cmd_sendevent),
    Rule("api ", cmd_api),
    Rule("bgapi ", cmd_bgapi),
    Rule("log", cmd_log),
    Rule("linger", cmd_linger),
    Rule("nolinger", cmd_nolinger),
    Rule("nolog", cmd_nolog),
    Rule("event", cmd_event),
    Rule("nixevent", cmd_nixevent),
    Rule("noevents", cmd_noevents),
)

#: Honoured before authentication (after ``exit``/``...``, which always are).
PRE_AUTH: tuple[Rule, ...] = (
    Rule("auth ", cmd_auth),
    Rule("userauth ", cmd_userauth),
)


#: ``exit`` and ``...``, honoured before everything else, authenticated or not.
EXIT_RULE = Rule("exit", cmd_exit)

def _first_letter_index(rules: tuple[Rule, ...]) -> dict[str, tuple[Rule, ...]]:
    """For each ASCII first letter (lowercase), the rules a block starting with it can
    match, in table order; ``""`` gives the rules with an empty prefix.

    A block whose first character is ASCII can only match a prefix that starts with that
    character lowercased (or an empty prefix), so scanning these rules with the original
    test decides exactly as scanning the whole table does.
    """
    index: dict[str, tuple[Rule, ...]] = {}
    for code in range(128):
        letter = chr(code).lower()
        index[chr(code)] = tuple(
            rule for rule in rules if not rule.prefix or rule.prefix[0] == letter
        )
    index[""] = tuple(rule for rule in rules if not rule.prefix)
    return index


_COMMANDS_BY_LETTER = _first_letter_index(COMMANDS)
_PRE_AUTH_BY_LETTER = _first_letter_index(PRE_AUTH)


def match(listener: Listener, command: Command) -> tuple[Rule | None, Command]:
    """The rule that handles ``command`` on ``listener`` (None: not found), and the command
    as that rule sees it (the unload/reload cheat rewrites it)."""
    raw = command.raw
    # Lowercasing never makes a "_", so blocks without one cannot name the module.
    if "_" in raw:
        lowered = raw.lower()
        if "unload" in lowered and "mod_event_socket" in lowered:
            command = Command(UNLOAD_CHEAT, UNLOAD_CHEAT, command.headers, command.body)
        elif "reload" in lowered and "mod_event_socket" in lowered:
            command = Command(RELOAD_CHEAT, RELOAD_CHEAT, command.headers, command.body)
        raw = command.raw
    if raw[:4].lower() == "exit" or raw[:3] == "...":
        return EXIT_RULE, command
    if listener.authed:
        rules = _COMMANDS_BY_LETTER.get(raw[:1])
        if rules is None:  # a non-ASCII first character: scan the whole table
            rules = COMMANDS
    else:
        rules = _PRE_AUTH_BY_LETTER.get(raw[:1])
        if rules is None:
            rules = PRE_AUTH
    for rule in rules:
        if raw[: len(rule.prefix)].lower() == rule.prefix and (
            rule.condition is None or rule.condition(listener, command)
        ):
            return rule, command
    return None, command


__all__ = ["ALL", "COMMANDS", "CUSTOM", "Reply", "Rule", "match", "sendmsg_event"]
