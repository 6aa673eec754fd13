"""eslkit bridge: FreeSWITCH events and commands on NATS JetStream.

Needs the ``nats`` extra (``pip install 'eslkit[nats]'``). See docs/bridge.md.

- :class:`Bridge` / ``eslkit bridge``: events of one or more switches to a stream, commands
  served over request/reply;
- :func:`consume` (and :func:`consume_blocking`): the stream's events as eslkit ``Event``
  objects, acknowledged after the handler returns;
- :func:`api`, :func:`bgapi`, :func:`sendmsg`: commands to a switch through its bridge.
"""

from __future__ import annotations

try:
    import nats  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("eslkit.bridge needs nats-py: pip install 'eslkit[nats]'") from exc

from eslkit.bridge.consumer import (
    BridgeCommandError,
    EventConsumer,
    api,
    api_blocking,
    bgapi,
    consume,
    consume_blocking,
    sendmsg,
)
from eslkit.bridge.service import (
    DEFAULT_ALLOWED_API,
    Bridge,
    BridgeOptions,
    Position,
    SwitchBridge,
    SwitchTarget,
    expand_events,
)
from eslkit.bridge.subjects import command_subject, event_subject, gap_subject, snapshot_subject

__all__ = [
    "DEFAULT_ALLOWED_API",
    "Bridge",
    "BridgeCommandError",
    "BridgeOptions",
    "EventConsumer",
    "Position",
    "SwitchBridge",
    "SwitchTarget",
    "api",
    "api_blocking",
    "bgapi",
    "command_subject",
    "consume",
    "consume_blocking",
    "event_subject",
    "expand_events",
    "gap_subject",
    "sendmsg",
    "snapshot_subject",
]
