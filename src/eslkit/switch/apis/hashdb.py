"""Key/value stores and resource limits: mod_hash (``hash`` API and application, the
``hash`` limit backend), mod_db (``db`` API and application, its ``db`` limit backend) and
the limit commands of mod_commands/mod_dptools (``limit`` application, ``uuid_limit``,
``limit_usage``), as recorded from FreeSWITCH (``tests/conformance/recorded/uuid/``).

The stores live as long as the switch (FreeSWITCH's mod_db keeps them in its core database;
the simulated switch keeps them in memory). A channel's limits are released when it hangs
up. Deviation: FreeSWITCH also releases them when the channel is transferred (back to
CS_ROUTING) unless ``limit_ignore_transfer`` is true; the simulated switch keeps them until
the hang-up (docs/deviations.md).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from eslkit.fsutil import c_atoi
from eslkit.protocol.names import HangupCause, hangup_cause_from_string
from eslkit.switch.api import ApiCall
from eslkit.switch.apps import AppContext
from eslkit.switch.expand import separate_string
from eslkit.switch.modules import Module

if TYPE_CHECKING:
    from eslkit.switch.channel import Channel
    from eslkit.switch.core import Switch
    from eslkit.switch.endpoints import Endpoint, OutgoingRequest
    from eslkit.switch.sessions import SessionManager

__all__ = ["Stores", "db_module", "hash_module", "limit_commands", "limit_dptools", "stores"]

hash_module = Module("mod_hash")
db_module = Module("mod_db")
limit_commands = Module("mod_commands")
limit_dptools = Module("mod_dptools")

HASH_API_USAGE = "insert|insert_ifempty|select|delete|delete_ifmatch/realm/key[/value]"
LIMIT_SYNTAX = "<uuid> <backend> <realm> <resource> [<max>[/interval]] [number [dialplan [context]]]"
LIMIT_USAGE_SYNTAX = "<backend> <realm> <id> [rate]"
LIMIT_APP_USAGE = "<backend> <realm> <id> [<max>[/interval]] [number [dialplan [context]]]"
#: ``LIMIT_DEF_XFER_EXTEN``: where an over-limit call goes without a number.
LIMIT_EXCEEDED = "limit_exceeded"
#: mod_db's ``select`` and ``count`` read into a 256-byte buffer.
_DB_BUF = 255
_DB_LIST_BUF = 4095
#: Bounds on what the stores keep (nothing unbounded).
MAX_ENTRIES = 100_000
MAX_VALUE = 65_536


@dataclass(slots=True)
class _LimitItem:
    total: int = 0
    rate: int = 0
    interval: int = 0
    last_check: float = 0.0


@dataclass(slots=True)
class Stores:
    """One switch's hash table, db table and limit counters."""

    hash: dict[str, str] = field(default_factory=dict)
    db: dict[tuple[str, str], str] = field(default_factory=dict)
    #: backend -> "realm_resource" -> usage
    limits: dict[str, dict[str, _LimitItem]] = field(default_factory=dict)
    #: channel uuid -> backend -> the "realm_resource" keys it holds
    held: dict[str, dict[str, set[str]]] = field(default_factory=dict)


_STORES: weakref.WeakKeyDictionary[Switch, Stores] = weakref.WeakKeyDictionary()


def stores(switch: Switch) -> Stores:
    """The stores of ``switch`` (made on first use)."""
    found = _STORES.get(switch)
    if found is None:
        found = _STORES[switch] = Stores()
    return found


def _room(table: dict[object, str] | dict[str, str] | dict[tuple[str, str], str], value: str) -> bool:
    return len(table) < MAX_ENTRIES and len(value) <= MAX_VALUE


# ---------------------------------------------------------------------------- mod_hash
@hash_module.command("hash", "hash get/set", "[insert|delete|select]/<realm>/<key>/<value>")
def hash_api(call: ApiCall) -> None:
    """``hash_api_function``: the key is ``<realm>_<key>`` (so realm ``a_b`` key ``c`` is
    realm ``a`` key ``b_c``); ``select`` of a missing key writes nothing."""
    argv = separate_string(call.arg, "/", 4) if call.arg else []
    usage = f"-ERR Usage: hash {HASH_API_USAGE}\n"
    if len(argv) < 3 or not argv[0]:
        call.write(usage)
        return
    table = stores(call.switch).hash
    action, key = argv[0].lower(), f"{argv[1]}_{argv[2]}"
    if action in ("insert", "insert_ifempty", "delete_ifmatch") and len(argv) < 4:
        call.write(usage)
        return
    if action == "insert":
        if _room(table, argv[3]) or key in table:
            table[key] = argv[3]
        call.write("+OK\n")
    elif action == "insert_ifempty":
        if key in table:
            call.write("-ERR key already exists\n")
            return
        if _room(table, argv[3]):
            table[key] = argv[3]
        call.write("+OK\n")
    elif action == "delete":
        call.write("+OK\n" if table.pop(key, None) is not None else "-ERR Not found\n")
    elif action == "delete_ifmatch":
        value = table.get(key)
        if value is None:
            call.write("-ERR Not found\n")
        elif value != argv[3]:
            call.write("-ERR Doesn't match\n")
        else:
            del table[key]
            call.write("+OK\n")
    elif action == "select":
        value = table.get(key)
        if value is not None:
            call.write(value)
    else:
        call.write(usage)


@hash_module.application("hash", "Insert into the hashtable", "[insert|insert_ifempty|delete|delete_ifmatch]/<realm>/<key>/<val>", zombie_exec=True)
async def hash_app(ctx: AppContext, data: str) -> None:
    """``hash_function``: insert, insert_ifempty, delete, delete_ifmatch, silently."""
    argv = separate_string(data, "/", 4) if data else []
    if len(argv) < 3 or not argv[0]:
        return
    table = stores(ctx.switch).hash
    action, key = argv[0].lower(), f"{argv[1]}_{argv[2]}"
    if action in ("insert", "insert_ifempty", "delete_ifmatch") and len(argv) < 4:
        return
    if action == "insert":
        if _room(table, argv[3]) or key in table:
            table[key] = argv[3]
    elif action == "insert_ifempty":
        if key not in table and _room(table, argv[3]):
            table[key] = argv[3]
    elif action == "delete":
        table.pop(key, None)
    elif action == "delete_ifmatch":
        if table.get(key) == argv[3]:
            del table[key]


# ---------------------------------------------------------------------------- mod_db
@db_module.command("db", "db get/set", "[insert|delete|select|exists|count|list]/<realm>/<key>/<value>")
def db_api(call: ApiCall) -> None:
    """``db_api_function``: ``+OK`` (no newline) for insert/delete, the value (at most 255
    characters) for select, ``true``/``false`` for exists, counts, comma lists; ``!err!``
    for anything else."""
    argv = separate_string(call.arg, "/", 4) if call.arg else []
    table = stores(call.switch).db
    action = argv[0].lower() if argv and argv[0] else ""
    n = len(argv)
    realm = argv[1] if n > 1 else "(null)"
    key = argv[2] if n > 2 else "(null)"
    if action == "insert" and n >= 4:
        if _room(table, argv[3]) or (realm, key) in table:
            table.pop((realm, key), None)
            table[(realm, key)] = argv[3]
        call.write("+OK")
    elif action == "delete" and n >= 2:
        table.pop((realm, key), None)
        call.write("+OK")
    elif action == "select" and n >= 3:
        call.write(table.get((realm, key), "")[:_DB_BUF])
    elif action == "exists" and n >= 3:
        call.write("true" if table.get((realm, key)) else "false")
    elif action == "count" and n < 3:
        if n < 2:
            call.write(str(len({r for r, _ in table})))
        else:
            call.write(str(sum(1 for r, _ in table if r == realm)))
    elif action == "list" and n < 3:
        names = list(dict.fromkeys(r for r, _ in table)) if n < 2 else [k for r, k in table if r == realm]
        call.write(",".join(names)[:_DB_LIST_BUF])
    else:
        call.write("!err!")


@db_module.application("db", "Insert to the db", "[insert|delete]/<realm>/<key>/<val>", zombie_exec=True)
async def db_app(ctx: AppContext, data: str) -> None:
    """``db_function``: insert or delete, silently."""
    argv = separate_string(data, "/", 4) if data else []
    if len(argv) < 3 or not argv[0]:
        return
    table = stores(ctx.switch).db
    action = argv[0].lower()
    if action == "insert" and len(argv) >= 4:
        if _room(table, argv[3]) or (argv[1], argv[2]) in table:
            table.pop((argv[1], argv[2]), None)
            table[(argv[1], argv[2])] = argv[3]
    elif action == "delete":
        table.pop((argv[1], argv[2]), None)


# ---------------------------------------------------------------------------- limits
_BACKENDS = ("hash", "db")


def _parse_max(text: str | None) -> tuple[int, int]:
    """``[<max>[/interval]]``: -1 (count only) when omitted or negative."""
    if not text or text.startswith("-"):
        return -1, 0
    head, _, interval = text.partition("/")
    return max(0, c_atoi(head)), c_atoi(interval) if interval else 0


def limit_incr(channel: Channel, backend: str, realm: str, resource: str, max_: int, interval: int) -> bool:
    """``switch_limit_incr``: count ``channel`` on ``realm``/``resource`` of ``backend``
    (once per channel); False when over ``max_`` or the backend is unknown."""
    if backend not in _BACKENDS:
        return False
    data = stores(channel.switch)
    key = f"{realm}_{resource}"
    table = data.limits.setdefault(backend, {})
    item = table.get(key)
    if item is None:
        if len(table) >= MAX_ENTRIES:
            return False
        item = table[key] = _LimitItem()
    held = data.held.get(channel.uuid)
    increment = held is None or key not in held.get(backend, ())
    if interval > 0 and backend == "hash":
        now = channel.switch.clock.epoch()
        item.interval = interval
        if item.last_check <= now - interval:
            item.rate, item.last_check = 1, now
        else:
            item.rate += 1
            if max_ >= 0 and item.rate > max_:
                return False
    elif max_ >= 0 and item.total + increment > max_:
        return False
    if increment:
        item.total += 1
        if held is None:
            held = data.held[channel.uuid] = {}
            channel.switch.spawn(_release_at_hangup(channel))
        held.setdefault(backend, set()).add(key)
    channel.set_variable("limit_usage", str(item.total))
    channel.set_variable(f"limit_usage_{key}", str(item.total))
    if backend == "hash":
        channel.set_variable("limit_rate", str(item.rate))
        channel.set_variable(f"limit_rate_{key}", str(item.rate))
    backends = channel.get_variable("limit_backend")
    if not backends:
        channel.set_variable("limit_backend", backend)
    elif backend not in backends:
        channel.set_variable("limit_backend", f"{backends},{backend}")
    return True


async def _release_at_hangup(channel: Channel) -> None:
    await channel.wait_hangup(None)
    limit_release(channel)


def limit_release(channel: Channel) -> None:
    """Give back every limit ``channel`` holds."""
    data = stores(channel.switch)
    held = data.held.pop(channel.uuid, None)
    if not held:
        return
    for backend, keys in held.items():
        table = data.limits.get(backend, {})
        for key in keys:
            item = table.get(key)
            if item is not None and item.total > 0:
                item.total -= 1
    channel.set_variable("limit_backend", None)


def _over_limit(channel: Channel, exten: str, dialplan: str | None, context: str | None) -> None:
    from eslkit.switch.ivr.transfer import session_transfer

    if exten.startswith("!"):
        channel.hangup(hangup_cause_from_string(exten[1:]))
    else:
        session_transfer(channel, exten, dialplan or None, context or None)


@limit_dptools.application("limit", "Limit", LIMIT_APP_USAGE)
async def limit_app(ctx: AppContext, data: str) -> None:
    """``limit_function``: count the call; over the limit, transfer it to ``number``
    (default ``limit_exceeded``) or hang up with ``!<cause>``."""
    argv = separate_string(data, " ", 7) if data else []
    if len(argv) < 3:
        return
    max_, interval = _parse_max(argv[3] if len(argv) > 3 else None)
    if not limit_incr(ctx.channel, argv[0], argv[1], argv[2], max_, interval):
        exten = argv[4] if len(argv) > 4 else LIMIT_EXCEEDED
        _over_limit(ctx.channel, exten, argv[5] if len(argv) > 5 else None, argv[6] if len(argv) > 6 else None)


@limit_commands.command("uuid_limit", "Increase limit resource", LIMIT_SYNTAX)
def uuid_limit(call: ApiCall) -> None:
    """``uuid_limit_function``: like the application on another channel; ``+OK`` (no
    newline) whether or not it was over the limit."""
    argv = separate_string(call.arg, " ", 8) if call.arg else []
    if len(argv) < 4:
        call.write(f"USAGE: uuid_limit {LIMIT_SYNTAX}\n")
        return
    max_, interval = _parse_max(argv[4] if len(argv) > 4 else None)
    channel = call.switch.sessions.find_session(argv[0])
    if channel is None:
        call.write(f"-ERR Cannot find session with uuid {argv[0]}\n")
        return
    if not limit_incr(channel, argv[1], argv[2], argv[3], max_, interval):
        exten = argv[5] if len(argv) > 5 else LIMIT_EXCEEDED
        _over_limit(channel, exten, argv[6] if len(argv) > 6 else None, argv[7] if len(argv) > 7 else None)
    call.write("+OK")


@limit_commands.command("limit_usage", "Get the usage count of a limited resource", LIMIT_USAGE_SYNTAX)
def limit_usage(call: ApiCall) -> None:
    """``limit_usage_function``: the count (``count/rate`` with ``rate``); two arguments
    mean the db backend (the deprecated form); an unknown backend counts 0."""
    argv = separate_string(call.arg, " ", 5) if call.arg else []
    if len(argv) == 2:
        argv = ["db", *argv]
    if len(argv) < 3:
        call.write(f"USAGE: limit_usage {LIMIT_USAGE_SYNTAX}\n")
        return
    item = stores(call.switch).limits.get(argv[0], {}).get(f"{argv[1]}_{argv[2]}")
    count = item.total if item is not None else 0
    if len(argv) > 3 and argv[3].lower() == "rate":
        call.write(f"{count}/{item.rate if item is not None else 0}")
    else:
        call.write(str(count))


# ---------------------------------------------------------------------------- directory
@limit_commands.command("user_exists", "Find a user", "<key> <user> <domain>")
def user_exists(call: ApiCall) -> None:
    """``user_exists_function``: ``true`` when the directory has the user (looked up by
    ``id``), else ``false`` (also with fewer than three arguments)."""
    argv = separate_string(call.arg, " ", 3) if call.arg else []
    found = (
        len(argv) >= 3
        and argv[0] == "id"
        and call.switch.hooks.locate_user(argv[1], argv[2]) is not None
    )
    call.write("true" if found else "false")


@limit_commands.command("group_call", "Generate a dial string to call a group", "<group>[@<domain>]")
def group_call(call: ApiCall) -> None:
    """``group_call_function``: the simulated directory resolves no groups, so every group
    is FreeSWITCH's unknown group, ``error/NO_ROUTE_DESTINATION`` (docs/deviations.md)."""
    call.write("error/NO_ROUTE_DESTINATION")


@limit_commands.command("in_group", "Determine if a user is in a group", "<user>[@<domain>] <group_name>")
def in_group(call: ApiCall) -> None:
    """``in_group_function``: ``false`` (no groups; see :func:`group_call`)."""
    call.write("false")


@limit_dptools.endpoint("group")
def group_endpoint(endpoint: Endpoint, manager: SessionManager, request: OutgoingRequest) -> HangupCause:
    """``group/<name>[@domain]``: dials what ``group_call`` gives, here always
    NO_ROUTE_DESTINATION (see :func:`group_call`)."""
    return HangupCause.NO_ROUTE_DESTINATION
