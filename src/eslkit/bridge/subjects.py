"""NATS subject names of the bridge, and the JSON fields it reads from an event.

Events: ``esl.<switch>.<event-name>[.<subclass tokens>]``, lower case, the subclass split at
``::`` (``conference::maintenance`` -> ``conference.maintenance``). Every character outside
``[a-z0-9_-]`` becomes ``_`` so that no value can add a token or a wildcard. The bridge's own
markers: ``esl.<switch>.eslkit.gap`` and ``esl.<switch>.eslkit.snapshot``.

Commands: ``eslcmd.<switch>.api|bgapi|sendmsg``. They are outside the ``esl.>`` stream on
purpose: FreeSWITCH has an event named ``API`` (subject ``esl.<switch>.api``), and a request
on a subject that a stream captures is answered by JetStream's publish acknowledgement
instead of by the bridge.

Nothing here imports nats: the names are usable (and tested) without the extra.
"""

from __future__ import annotations

import re

__all__ = [
    "COMMAND_ROOT",
    "EVENT_ROOT",
    "check_switch_name",
    "command_subject",
    "event_subject",
    "gap_subject",
    "snapshot_subject",
    "token",
]

EVENT_ROOT = "esl"
COMMAND_ROOT = "eslcmd"

_NOT_TOKEN = re.compile(r"[^a-z0-9_-]")
_SWITCH_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


def token(text: str) -> str:
    """One subject token from free text: lower case, ``[a-z0-9_-]``, never empty."""
    cleaned = _NOT_TOKEN.sub("_", text.lower())
    return cleaned or "_"


def check_switch_name(name: str) -> str:
    """Return ``name`` if it can be a subject token as it is, else raise ValueError."""
    if not _SWITCH_NAME.fullmatch(name):
        raise ValueError(
            f"switch name {name!r}: use 1-64 letters, digits, '_' or '-' (it is a subject token)"
        )
    return name


def event_subject(switch: str, event_name: str, subclass: str | None = None) -> str:
    """``esl.<switch>.<event-name>[.<subclass tokens>]``."""
    subject = f"{EVENT_ROOT}.{switch}.{token(event_name)}"
    if subclass:
        subject += "." + ".".join(token(part) for part in subclass.split("::"))
    return subject


def gap_subject(switch: str) -> str:
    """Where the bridge announces events it may have missed."""
    return f"{EVENT_ROOT}.{switch}.eslkit.gap"


def snapshot_subject(switch: str) -> str:
    """Where the bridge publishes ``show channels as json`` after a gap."""
    return f"{EVENT_ROOT}.{switch}.eslkit.snapshot"


def command_subject(switch: str, kind: str) -> str:
    """``eslcmd.<switch>.<kind>`` for ``api``, ``bgapi`` and ``sendmsg`` requests."""
    if kind not in ("api", "bgapi", "sendmsg"):
        raise ValueError(f"unknown command kind {kind!r}")
    return f"{COMMAND_ROOT}.{switch}.{kind}"
