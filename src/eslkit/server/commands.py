"""mod_event_socket's command set (spec §4), as a table of handlers in dispatch order.

Each handler gets the listener and the parsed command and returns the reply text: a string
to send as a ``command/reply`` (the raw form when it starts with ``~``), ``""`` for
FreeSWITCH's ``-ERR command not found``, or ``None`` when the handler wrote its own answer
(``api``, ``connect``) or nothing must be written.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from eslkit.fsconfig.directory import parse_userauth_argument, userauth_reply_text
from eslkit.fsutil import LOG_INVALID, c_atoi, new_uuid, parse_log_level, switch_true
from eslkit.protocol import builders
from eslkit.protocol.command import Command, strip_cr
from eslkit.protocol.event import Event
from eslkit.protocol.names import EventType, event_type_by_name
from eslkit.server.backend import ApiResult, CallingSite
from eslkit.server.subscription import ALL, CUSTOM, MYEVENTS_TYPES

if TYPE_CHECKING:
    from eslkit.server.listener import Listener
    from eslkit.server.socket_server import EventSocketServer

log = logging.getLogger("eslkit.server")

Reply = str | None
Handler = Callable[["Listener", Command], "Reply | Awaitable[Reply]"]
Condition = Callable[["Listener", Command], bool]

UNLOAD_CHEAT = "api bgapi unload mod_event_socket"
RELOAD_CHEAT = "api bgapi reload mod_event_socket"
NOT_FOUND = ""
AUTH_TIMEOUT = 25
JOB_UUID_LIMIT = 256

# Version 4 and the RFC 4122 variant stamped into 128 random bits (what uuid.uuid4 does).
#: Enum ``.name`` is a descriptor call; sendevent asks for it on every event.
_TYPE_NAMES: dict[EventType, str] = {member: member.name for member in EventType}

BACKGROUND_JOB_SITE = CallingSite("mod_event_socket.c", "api_exec", 1580)
SENDEVENT_SITE = CallingSite("mod_event_socket.c", "parse_command", 2283)

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
    layer = listener.server.channel_layer
    if layer is not None:
        listener.write(layer.connect_reply(listener))
    return None


def cmd_getvar(listener: Listener, command: Command) -> Reply:
    line = strip_cr(command.raw)
    _, space, name = line.partition(" ")
    value = ""
    session = listener.session
    if space and session is not None:
        layer = listener.server.channel_layer
        found = (
            layer.get_variable(session, name) if layer is not None else session.get_variable(name)
        )
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
        session = listener.server.switch.find_session(uuid)
        if session is None and space:
            return "-ERR invalid uuid"
        listener.session = session
        # The format word was cut off above, so FreeSWITCH never sees it here.
        listener.session_flag = True
        listener.async_mode = True
        if session is not None:
            layer = listener.server.channel_layer
            if layer is not None:
                layer.attach(listener, session)
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
    layer = listener.server.channel_layer
    on = rest.lower() == "on"
    if layer is not None:
        layer.set_divert(listener, on)
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
    layer = listener.server.channel_layer
    if not uuid and listener.session is not None:
        if layer is None:
            return "+OK"
        return await layer.sendmsg(listener, None, command)
    if uuid:
        session = listener.server.switch.find_session(uuid)
        if session is not None and layer is not None:
            return await layer.sendmsg(listener, session, command)
    return f"-ERR invalid session id [{uuid or ''}]"


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
    if target is not None and server.switch.find_session(target) is not None:
        layer = server.channel_layer
        if layer is not None and layer.queue_session_event(target, event, event_type, subclass):
            return f"+OK {event_uuid}"
    type_name = _TYPE_NAMES[found] if found is not None else "CUSTOM"
    server.fire(event, event_type, subclass, type_name, SENDEVENT_SITE)
    return f"+OK {event_uuid}"


def _api_split(line: str) -> tuple[str, str | None]:
    name, space, arg = line.partition(" ")
    return name, (arg if space else None)


def cmd_api(listener: Listener, command: Command) -> Reply | Awaitable[Reply]:
    server = listener.server
    line = strip_cr(command.raw)[4:]
    permissions = listener.permissions
    if permissions is not None and permissions.allowed_api is not None:
        name, arg = _api_split(line)
        if not permissions.api_allowed(name, arg):
            return "-ERR permission denied"
    console = command.header("console_execute")
    if console is not None and switch_true(console):
        return _api_reply_later(listener, server.switch.execute_console(line), line)
    name, arg = _api_split(line)
    # Most commands finish at once: no coroutine then.
    result = server.switch.execute_api_nowait(name, arg or "", session_uuid=listener.session_uuid)
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
        result = await server.switch.execute_api(name, arg or "", session_uuid=owner)
        output = result.output if result.ok else f"-ERR {name} Command not found!\n"
        event = server.switch.new_event(EventType.BACKGROUND_JOB, BACKGROUND_JOB_SITE)
        event.add_header("Job-UUID", job_uuid)
        if owner:
            event.add_header("Job-Owner-UUID", owner)
        event.add_header("Job-Command", name)
        if arg:
            event.add_header("Job-Command-Arg", arg)
        event.body = output
        server.switch.fire(event)

    listener.track_job(job())
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

#: Buffered commands run back to back at most this many at a time before the loop yields.
YIELD_EVERY = 128

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


class CommandProcessor:
    """Reads packets for a listener and runs them through the table."""

    def __init__(self, server: EventSocketServer) -> None:
        self.server = server

    def match(self, listener: Listener, command: Command) -> tuple[Rule | None, Command]:
        """The rule that handles ``command`` (None: not found), and the command as that
        rule sees it (the unload/reload cheat rewrites it)."""
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

    async def dispatch(self, listener: Listener, command: Command) -> Reply:
        """Run one command; returns the reply text (None: nothing to write)."""
        rule, command = self.match(listener, command)
        if rule is None:
            return "-ERR command not found"
        reply = rule.handler(listener, command)
        if reply is not None and type(reply) is not str:
            reply = await cast("Awaitable[Reply]", reply)
        if reply is None:
            return None
        return reply or "-ERR command not found"

    async def run(self, listener: Listener) -> None:
        """The connection's life after the ACL check: greeting, auth packet, main loop."""
        if listener.outbound:
            layer = self.server.channel_layer
            if layer is not None:
                await layer.run_outbound(listener)
            return
        listener.write(builders.GREETING)
        frame = await listener.read_packet(timeout=self.server.auth_timeout)
        if frame is None:
            return
        pending = self.step(listener, Command.from_frame(frame))
        if pending is not None:
            await self._finish(listener, pending)
        await self.loop(listener)

    async def loop(self, listener: Listener) -> None:
        """Read and run commands until the listener stops.

        Commands already buffered run back to back, most of them without a coroutine;
        every :data:`YIELD_EVERY` of them the loop yields, so a client that pipelines a
        lot cannot hold up the other connections. While the loop sleeps for input, commands
        that arrive are run right where they are received (:meth:`run_received`).
        """
        streak = 0
        while listener.running:
            pending = listener.handoff
            if pending is not None:
                listener.handoff = None
                await self._finish(listener, pending)
                continue
            frame = listener.ready_frame()
            if frame is None:
                if not listener.running:
                    return
                listener.lane_open = True
                try:
                    frame = await listener.read_packet()
                finally:
                    listener.lane_open = False
                if frame is None:
                    if listener.handoff is not None:
                        continue
                    return
                if not listener.running:
                    return
                streak = 0
            elif streak >= YIELD_EVERY:
                listener.flush_replies()
                await asyncio.sleep(0)
                streak = 0
            streak += 1
            pending = self.step(listener, Command.from_frame(frame))
            if pending is not None:
                await self._finish(listener, pending)

    def run_received(self, listener: Listener) -> bool:
        """Run the commands just received while the loop sleeps in ``read_packet``, from
        the socket's read callback: a reply goes out without waking the loop task (one
        event-loop pass less per command). Returns True when the loop must wake: a command
        has to wait (handed to it), the listener stopped, or more is buffered than one
        pass should take."""
        for _ in range(YIELD_EVERY):
            frame = listener.ready_frame()
            if frame is None:
                return not listener.running or not listener.quiet_input()
            pending = self.step(listener, Command.from_frame(frame))
            if pending is not None:
                listener.handoff = pending
                return True
            if not listener.running or listener.session is not None:
                return True
        return True

    def step(self, listener: Listener, command: Command) -> Awaitable[Reply] | None:
        """Run one command and queue its reply; returns an awaitable instead when the
        command has to wait (the caller passes it to :meth:`_finish`)."""
        rule, command = self.match(listener, command)
        if rule is None:
            listener.send_reply("-ERR command not found")
            return None
        reply = rule.handler(listener, command)
        if reply is None:
            return None
        if type(reply) is str:
            listener.send_reply(reply or "-ERR command not found")
            return None
        return cast("Awaitable[Reply]", reply)

    async def _finish(self, listener: Listener, pending: Awaitable[Reply]) -> None:
        # Replies gathered so far must not wait behind a command that waits.
        listener.flush_replies()
        reply = await pending
        if reply is not None:
            listener.send_reply(reply or "-ERR command not found")


__all__ = ["ALL", "COMMANDS", "CUSTOM", "CommandProcessor", "Rule"]
