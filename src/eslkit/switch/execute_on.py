"""``switch_channel_execute_on`` / ``switch_channel_api_on``: the ``execute_on_<when>`` and
``api_on_<when>`` variables (answer, pre_answer, media, ring, originate, ...).

Every variable whose name starts with the prefix (any case; ``execute_on_answer_1`` too)
runs, in the order the channel has them (the global variables first for ``execute_on``).
``execute_on`` values are ``app args`` or ``app:args`` (``app::args`` runs the application
asynchronously, as a queued broadcast would); ``api_on`` values are ``command args``.
FreeSWITCH runs them synchronously in the thread that marks the channel; here an
application runs at once up to its first wait and goes on as a task of its own."""

from __future__ import annotations

import types
from collections.abc import Coroutine, Generator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eslkit.switch.channel import Channel

__all__ = ["api_on", "execute_on", "has_prefix"]


def has_prefix(channel: Channel, prefix: str) -> bool:
    """Whether any channel variable's name starts with ``prefix`` (any case)."""
    n = len(prefix)
    return any(name[:n].lower() == prefix for name in channel.variables)


def _values(channel: Channel, prefix: str, globals_too: bool) -> list[str]:
    n = len(prefix)
    found: list[str] = []
    sources: list[dict[str, str]] = []
    if globals_too:
        sources.append(channel.switch.global_vars)
    sources.append(channel.variables)
    for variables in sources:
        for name, value in variables.items():
            if name[:n].lower() == prefix:
                if value.startswith("ARRAY::"):
                    found.extend(value[7:].split("|:"))
                else:
                    found.append(value)
    return found


def execute_on(channel: Channel, prefix: str) -> bool:
    """Run the applications of the variables named ``prefix*``; True if there was any."""
    values = _values(channel, prefix, True)
    for value in values:
        _execute_on_value(channel, value)
    return bool(values)


def _execute_on_value(channel: Channel, value: str) -> None:
    app, arg, background = value, "", False
    for i, ch in enumerate(value):
        if ch == " " or (ch == ":" and value[i + 1 : i + 2] != ":"):
            app, arg = value[:i], value[i + 1 :]
            break
        if ch == ":":
            # "app::args": async (the args keep their leading ':')
            app, arg, background = value[:i], value[i + 1 :], True
            break
    if app[:4].lower() == "perl":
        background = True
    runner = channel.switch.sessions.runner
    if background:
        arg = arg[1:] if arg.startswith(":") else arg
        channel.switch.spawn(_await(runner.execute(channel, app, arg, event_uuid=None)))
        return
    run_now(channel, runner.execute(channel, app, arg, event_uuid=None))


def api_on(channel: Channel, prefix: str) -> bool:
    """Run the API commands of the variables named ``prefix*``; True if there was any."""
    values = _values(channel, prefix, False)
    for value in values:
        command, _, arg = value.partition(" ")
        if arg:
            arg = channel.expand(arg)
        started = channel.switch.api.execute_nowait(command, arg)
        if not hasattr(started, "ok"):
            channel.switch.spawn(_await(started))
    return bool(values)


async def _await(pending: Any) -> None:
    await pending


def run_now(channel: Channel, coro: Coroutine[Any, Any, Any]) -> None:
    """Run ``coro`` at once until it first waits; the rest goes on as a switch task."""
    try:
        pending = coro.send(None)
    except StopIteration:
        return
    channel.switch.spawn(_resume(coro, pending))


async def _resume(coro: Coroutine[Any, Any, Any], pending: Any) -> None:
    await _continue(coro, pending)


@types.coroutine
def _continue(coro: Coroutine[Any, Any, Any], pending: Any) -> Generator[Any, Any, None]:
    while True:
        try:
            try:
                sent = yield pending
            except BaseException as exc:  # passed on to the suspended coroutine
                pending = coro.throw(exc)
            else:
                pending = coro.send(sent)
        except StopIteration:
            return



_HOOKS = {
    "answer": (("execute_on_answer", True), ("execute_on_media", True), ("api_on_media", False),
               ("api_on_answer", False)),
    "answer_after_early": (("execute_on_answer", True), ("api_on_answer", False)),
    "pre_answer": (("execute_on_pre_answer", True), ("execute_on_media", True),
                   ("api_on_pre_answer", False), ("api_on_media", False)),
    "ring": (("execute_on_ring", True), ("api_on_ring", False)),
    "originate": (("execute_on_originate", True), ("api_on_originate", False)),
}  # fmt: skip

_ANY = ("execute_on_", "api_on_")


def run_hooks(channel: Channel, when: str) -> None:
    """What ``switch_channel_mark_answered`` (``answer``, or ``answer_after_early`` for a
    channel that had early media), ``mark_pre_answered`` (``pre_answer``),
    ``mark_ring_ready`` (``ring``) and the originate (``originate``) run."""
    if not _wanted(channel):
        return
    for prefix, is_app in _HOOKS[when]:
        if is_app:
            execute_on(channel, prefix)
        else:
            api_on(channel, prefix)


def _wanted(channel: Channel) -> bool:
    for variables in (channel.variables, channel.switch.global_vars):
        for name in variables:
            if name[:1] in "eEaA" and (
                name.startswith(_ANY) or name[:11].lower() == "execute_on_" or name[:7].lower() == "api_on_"
            ):
                return True
    return False
