"""FreeSWITCH's core database tables ``channels`` and ``calls``, as ``show`` reads them.

FreeSWITCH does not answer ``show channels`` / ``show calls`` from its live sessions: its
core event handler (``switch_core_sqldb.c``, ``core_event_handler``) turns channel events
into SQL on two tables, and ``show`` queries them (``calls`` through the ``basic_calls`` and
``detailed_calls`` views). So a row shows what the events said, when they said it: the
``state`` column is not updated for CS_HANGUP or CS_REPORTING, ``application`` is the last
CHANNEL_EXECUTE's (uuid_bridge's pseudo-execute included), ``cid_name`` and ``dest`` change
only on CS_ROUTING and CALL_UPDATE, and a call row exists from CHANNEL_BRIDGE to
CHANNEL_UNBRIDGE.

:class:`CoreDB` keeps the same tables, updated from the same events, but from the channel
that fires them (the values the event carries), so that nothing is parsed on the hot path.
``channel_events`` calls :meth:`CoreDB.on_event` for each channel event it fires.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from eslkit.protocol.names import ChannelState, EventType

if TYPE_CHECKING:
    from eslkit.switch.channel import Channel

__all__ = [
    "CALLS_VIEW_COLUMNS",
    "CHANNEL_COLUMNS",
    "DETAILED_CALLS_COLUMNS",
    "CoreDB",
]

#: The ``channels`` table's columns, in order (``create_channels_sql``).
CHANNEL_COLUMNS: tuple[str, ...] = (
    "uuid", "direction", "created", "created_epoch", "name", "state", "cid_name", "cid_num",
    "ip_addr", "dest", "application", "application_data", "dialplan", "context", "read_codec",
    "read_rate", "read_bit_rate", "write_codec", "write_rate", "write_bit_rate", "secure",
    "hostname", "presence_id", "presence_data", "accountcode", "callstate", "callee_name",
    "callee_num", "callee_direction", "call_uuid", "sent_callee_name", "sent_callee_num",
    "initial_cid_name", "initial_cid_num", "initial_ip_addr", "initial_dest", "initial_dialplan",
    "initial_context",
)  # fmt: skip

_COL = {name: i for i, name in enumerate(CHANNEL_COLUMNS)}

#: The columns of a side of the ``basic_calls`` view (``show calls``), and of
#: ``detailed_calls`` (every column but the initial_* ones).
_BASIC = (
    "uuid", "direction", "created", "created_epoch", "name", "state", "cid_name", "cid_num",
    "ip_addr", "dest", "presence_id", "presence_data", "accountcode", "callstate", "callee_name",
    "callee_num", "callee_direction", "call_uuid", "hostname", "sent_callee_name",
    "sent_callee_num",
)  # fmt: skip
_BASIC_B = tuple(c for c in _BASIC if c not in ("call_uuid", "hostname"))
_DETAILED = CHANNEL_COLUMNS[: _COL["sent_callee_num"] + 1]

CALLS_VIEW_COLUMNS: tuple[str, ...] = (
    *_BASIC, *("b_" + c for c in _BASIC_B), "call_created_epoch",
)  # fmt: skip
DETAILED_CALLS_COLUMNS: tuple[str, ...] = (
    *_DETAILED, *("b_" + c for c in _DETAILED), "call_created_epoch",
)  # fmt: skip

_BASIC_IDX = tuple(_COL[c] for c in _BASIC)
_BASIC_B_IDX = tuple(_COL[c] for c in _BASIC_B)
_DETAILED_IDX = tuple(_COL[c] for c in _DETAILED)

Row = list[str | None]

# CHANNEL_STATE updates nothing for these (CS_HANGUP: SWITCH_DEPRECATED_CORE_DB is not set).
_NO_STATE_UPDATE = frozenset(
    {ChannelState.CS_NEW, ChannelState.CS_INIT, ChannelState.CS_HANGUP,
     ChannelState.CS_REPORTING, ChannelState.CS_DESTROY}
)  # fmt: skip


class _Call:
    __slots__ = ("call_created", "call_created_epoch", "call_uuid", "callee_uuid", "caller_uuid")

    def __init__(self, call_uuid: str, created: str, epoch: str, caller: str, callee: str) -> None:
        self.call_uuid = call_uuid
        self.call_created = created
        self.call_created_epoch = epoch
        self.caller_uuid = caller
        self.callee_uuid = callee


def _local_date(seconds: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(seconds))


class CoreDB:
    """The ``channels`` and ``calls`` tables of one switch (bounded by its channels: a row
    lives from CHANNEL_CREATE to CHANNEL_DESTROY)."""

    __slots__ = ("_calls", "_channels", "_handlers", "hostname")

    def __init__(self, hostname: str) -> None:
        self.hostname = hostname
        self._channels: dict[str, Row] = {}
        self._calls: list[_Call] = []
        self._handlers = {
            EventType.CHANNEL_CREATE: self._create,
            EventType.CHANNEL_STATE: self._state,
            EventType.CHANNEL_CALLSTATE: self._callstate,
            EventType.CHANNEL_EXECUTE: self._execute,
            EventType.CHANNEL_HOLD: self._execute,
            EventType.CHANNEL_UNHOLD: self._execute,
            EventType.CHANNEL_ANSWER: self._codecs,
            EventType.CHANNEL_PROGRESS_MEDIA: self._codecs,
            EventType.CODEC: self._codecs,
            EventType.CHANNEL_ORIGINATE: self._originate,
            EventType.CALL_UPDATE: self._call_update,
            EventType.CHANNEL_DESTROY: self._destroy,
        }

    # ------------------------------------------------------------------ updates
    def on_event(
        self, event_type: EventType, channel: Channel, extra: Sequence[tuple[str, str]] | None = None
    ) -> None:
        """Apply what FreeSWITCH's core event handler does for ``event_type`` fired by
        ``channel`` (``extra``: the headers the event adds after the channel data)."""
        handler = self._handlers.get(event_type)
        if handler is not None:
            handler(channel, extra)

    def _create(self, ch: Channel, _extra: object) -> None:
        p = ch.caller_profile
        now = ch.switch.clock.wall_us() // 1_000_000
        row: Row = [None] * len(CHANNEL_COLUMNS)
        row[0] = ch.uuid
        row[1] = ch.direction.value
        row[2] = _local_date(now)
        row[3] = str(now)
        row[4] = ch.name
        row[5] = ch.running_state.name
        row[_COL["callstate"]] = ch.call_state.name
        row[_COL["hostname"]] = self.hostname
        if p is not None:
            row[_COL["dialplan"]] = p.dialplan
            row[_COL["context"]] = p.context
            row[_COL["initial_cid_name"]] = p.caller_id_name
            row[_COL["initial_cid_num"]] = p.caller_id_number
            row[_COL["initial_ip_addr"]] = p.network_addr
            row[_COL["initial_dest"]] = p.destination_number
            row[_COL["initial_dialplan"]] = p.dialplan
            row[_COL["initial_context"]] = p.context
        else:
            for name in ("dialplan", "context", "initial_cid_name", "initial_cid_num",
                         "initial_ip_addr", "initial_dest", "initial_dialplan", "initial_context"):  # fmt: skip
                row[_COL[name]] = ""
        self._channels[ch.uuid] = row

    def _state(self, ch: Channel, _extra: object) -> None:
        # Which update depends on the state asked for (Channel-State-Number); the value
        # written is the state entered (Channel-State).
        row = self._channels.get(ch.uuid)
        state = ch.state
        if row is None or state in _NO_STATE_UPDATE:
            return
        row[5] = ch.running_state.name
        if state == ChannelState.CS_ROUTING:
            p = ch.caller_profile
            v = ch.variables.get
            if p is not None:
                row[6] = p.caller_id_name
                row[7] = p.caller_id_number
                row[_COL["callee_name"]] = p.callee_id_name
                row[_COL["callee_num"]] = p.callee_id_number
                row[8] = p.network_addr
                row[9] = p.destination_number
                row[_COL["dialplan"]] = p.dialplan
                row[_COL["context"]] = p.context
            row[_COL["sent_callee_name"]] = ""
            row[_COL["sent_callee_num"]] = ""
            row[_COL["presence_id"]] = v("presence_id") or ""
            row[_COL["presence_data"]] = v("presence_data") or ""
            row[_COL["accountcode"]] = v("accountcode") or ""

    def _callstate(self, ch: Channel, _extra: object) -> None:
        row = self._channels.get(ch.uuid)
        if row is not None and ch.call_state.name not in ("DOWN", "HANGUP"):
            row[_COL["callstate"]] = ch.call_state.name

    def _execute(self, ch: Channel, extra: Sequence[tuple[str, str]] | None) -> None:
        row = self._channels.get(ch.uuid)
        if row is None:
            return
        app = data = ""
        for name, value in extra or ():
            if name == "Application":
                app = value
            elif name == "Application-Data":
                data = value
        v = ch.variables.get
        row[_COL["application"]] = app
        row[_COL["application_data"]] = data
        row[_COL["presence_id"]] = v("presence_id") or ""
        row[_COL["presence_data"]] = v("presence_data") or ""
        row[_COL["accountcode"]] = v("accountcode") or ""

    def _codecs(self, ch: Channel, _extra: object) -> None:
        row = self._channels.get(ch.uuid)
        if row is None:
            return
        i = _COL["read_codec"]
        for codec in (ch.read_codec, ch.write_codec):
            if codec is None:
                row[i : i + 3] = ["", "", ""]
            else:
                row[i : i + 3] = [codec.name, str(codec.rate), str(codec.bit_rate)]
            i += 3

    def _originate(self, ch: Channel, _extra: object) -> None:
        row = self._channels.get(ch.uuid)
        if row is None:
            return
        v = ch.variables.get
        row[_COL["presence_id"]] = v("presence_id") or ""
        row[_COL["presence_data"]] = v("presence_data") or ""
        row[_COL["accountcode"]] = v("accountcode") or ""
        row[_COL["call_uuid"]] = v("call_uuid") or ch.uuid

    def _call_update(self, ch: Channel, extra: Sequence[tuple[str, str]] | None) -> None:
        row = self._channels.get(ch.uuid)
        p = ch.caller_profile
        if row is None or p is None:
            return
        row[_COL["callee_name"]] = p.callee_id_name
        row[_COL["callee_num"]] = p.callee_id_number
        row[_COL["sent_callee_name"]] = ""
        row[_COL["sent_callee_num"]] = ""
        row[_COL["callee_direction"]] = next((v for k, v in extra or () if k == "Direction"), "")
        row[6] = p.caller_id_name
        row[7] = p.caller_id_number

    def _destroy(self, ch: Channel, _extra: object) -> None:
        uuid = ch.uuid
        self._channels.pop(uuid, None)
        if self._calls:
            self._calls = [c for c in self._calls if c.caller_uuid != uuid and c.callee_uuid != uuid]

    def bridge(self, caller: Channel, a_uuid: str, b_uuid: str) -> None:
        """CHANNEL_BRIDGE fired by ``caller``: both rows get the call uuid; a call row."""
        call_uuid = caller.variables.get("call_uuid") or caller.uuid
        for uuid in (a_uuid, b_uuid):
            row = self._channels.get(uuid)
            if row is not None:
                row[_COL["call_uuid"]] = call_uuid
        now = caller.switch.clock.wall_us() // 1_000_000
        self._calls.append(_Call(call_uuid, _local_date(now), str(now), a_uuid, b_uuid))

    def unbridge(self, caller: Channel) -> None:
        """CHANNEL_UNBRIDGE fired by ``caller``: the call rows of the caller go."""
        call_uuid = caller.variables.get("call_uuid") or caller.uuid
        for uuid, row in self._channels.items():
            if row[_COL["call_uuid"]] == call_uuid:
                row[_COL["call_uuid"]] = uuid
        cuuid = caller.uuid
        self._calls = [c for c in self._calls if c.caller_uuid != cuuid and c.callee_uuid != cuuid]

    def rename(self, old: str, new: str) -> None:
        """CHANNEL_UUID: the row follows the channel's new uuid."""
        row = self._channels.pop(old, None)
        if row is not None:
            row[0] = new
            self._channels[new] = row
        for row in self._channels.values():
            if row[_COL["call_uuid"]] == old:
                row[_COL["call_uuid"]] = new

    # ------------------------------------------------------------------ queries
    def _ordered(self) -> list[Row]:
        """The channel rows by created_epoch (ties in insertion order, as SQLite's scan)."""
        return sorted(self._channels.values(), key=lambda r: int(r[3] or 0))

    def channels(self) -> tuple[Sequence[str], list[list[str]]]:
        """``select * from channels order by created_epoch``."""
        return CHANNEL_COLUMNS, [[v or "" for v in row] for row in self._ordered()]

    def calls(self, *, detailed: bool, bridged_only: bool) -> tuple[Sequence[str], list[list[str]]]:
        """The ``basic_calls`` / ``detailed_calls`` view: each channel that is no call's
        callee, joined with the calls it placed. ``show calls`` orders by
        call_created_epoch (NULL first), the others by created_epoch."""
        callees = {c.callee_uuid for c in self._calls}
        a_idx, b_idx = (_DETAILED_IDX, _DETAILED_IDX) if detailed else (_BASIC_IDX, _BASIC_B_IDX)
        columns = DETAILED_CALLS_COLUMNS if detailed else CALLS_VIEW_COLUMNS
        out: list[tuple[list[str | None], str | None]] = []
        for row in self._ordered():
            placed = [c for c in self._calls if c.caller_uuid == row[0]]
            if not placed:
                if row[0] in callees or bridged_only:
                    continue
                none: list[str | None] = [None] * len(b_idx)
                out.append(([row[i] for i in a_idx] + none, None))
                continue
            for call in placed:
                b = self._channels.get(call.callee_uuid)
                if b is None and bridged_only:
                    continue
                b_part: list[str | None] = [b[i] for i in b_idx] if b is not None else [None] * len(b_idx)
                out.append(([row[i] for i in a_idx] + b_part, call.call_created_epoch))
        rows = [[*(v or "" for v in values), epoch or ""] for values, epoch in out]
        if not detailed and not bridged_only:
            order = sorted(range(len(out)), key=lambda i: (out[i][1] is not None, int(out[i][1] or 0)))
            rows = [rows[i] for i in order]
        return columns, rows
