"""Call-progress log lines: what FreeSWITCH logs while a call runs, at its levels.

Each function writes one kind of line exactly as FreeSWITCH's ``switch_log_printf`` call
does: its text channel (``SESSION`` lines carry the session's own level, raised by
``uuid_loglevel``; ``LOG`` lines name the channel's uuid as user data; ``LOG_CLEAN`` lines
have no date prefix), its level and the C file, function and line it names. Every function
returns at once when nobody listens at that level (``LogHub.wants``), before any text is
formatted, so a call costs nothing extra without a log listener.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eslkit.protocol.names import ChannelState
from eslkit.protocol.records import CallingSite
from eslkit.switch.logging import TextChannel

if TYPE_CHECKING:
    from eslkit.switch.channel import Channel
    from eslkit.switch.core import Switch

__all__ = [
    "SSM",
    "callstate_change",
    "channel_line",
    "close_channel",
    "execute_line",
    "hangup_line",
    "new_channel",
    "rename_channel",
    "running_state",
    "session_line",
    "set_uuid_line",
    "skip_exec_complete",
    "standard_line",
    "state_change",
    "state_line",
]

DEBUG = 7
INFO = 6
NOTICE = 5

SSM = "switch_core_state_machine.c"
_RUN = CallingSite(SSM, "switch_core_session_run", 581)
_DESTROY_RUN = CallingSite(SSM, "switch_core_session_destroy_state", 735)

#: The line of each state's ``STATE_MACRO`` and the function it expands in.
_STATE_MACRO: dict[ChannelState, tuple[str, int]] = {
    ChannelState.CS_INIT: ("switch_core_session_run", 624),
    ChannelState.CS_ROUTING: ("switch_core_session_run", 640),
    ChannelState.CS_RESET: ("switch_core_session_run", 643),
    ChannelState.CS_EXECUTE: ("switch_core_session_run", 647),
    ChannelState.CS_EXCHANGE_MEDIA: ("switch_core_session_run", 650),
    ChannelState.CS_SOFT_EXECUTE: ("switch_core_session_run", 653),
    ChannelState.CS_PARK: ("switch_core_session_run", 656),
    ChannelState.CS_CONSUME_MEDIA: ("switch_core_session_run", 659),
    ChannelState.CS_HIBERNATE: ("switch_core_session_run", 662),
    ChannelState.CS_HANGUP: ("switch_core_session_hangup_state", 846),
    ChannelState.CS_REPORTING: ("switch_core_session_reporting_state", 932),
    ChannelState.CS_DESTROY: ("switch_core_session_destroy_state", 745),
}

#: ``switch_core_standard_on_<state>``: its log line.
_STANDARD: dict[ChannelState, tuple[str, int]] = {
    ChannelState.CS_INIT: ("switch_core_standard_on_init", 40),
    ChannelState.CS_HANGUP: ("switch_core_standard_on_hangup", 59),
    ChannelState.CS_REPORTING: ("switch_core_standard_on_reporting", 168),
    ChannelState.CS_DESTROY: ("switch_core_standard_on_destroy", 175),
    ChannelState.CS_RESET: ("switch_core_standard_on_reset", 182),
    ChannelState.CS_ROUTING: ("switch_core_standard_on_routing", 230),
    ChannelState.CS_EXECUTE: ("switch_core_standard_on_execute", 323),
    ChannelState.CS_EXCHANGE_MEDIA: ("switch_core_standard_on_exchange_media", 391),
    ChannelState.CS_SOFT_EXECUTE: ("switch_core_standard_on_soft_execute", 397),
    ChannelState.CS_PARK: ("switch_core_standard_on_park", 403),
    ChannelState.CS_CONSUME_MEDIA: ("switch_core_standard_on_consume_media", 411),
    ChannelState.CS_HIBERNATE: ("switch_core_standard_on_hibernate", 417),
}


def _wants(switch: Switch, level: int, channel: Channel | None = None) -> bool:
    logs = switch.logs
    if level > logs.listen:
        return False
    return logs.wants(level, channel.loglevel if channel is not None else 0)


def session_line(channel: Channel, level: int, site: CallingSite, text: str, user_data: str | None = None) -> None:
    """A ``SWITCH_CHANNEL_SESSION_LOG(session)`` line (the session's level applies)."""
    switch = channel.switch
    if level > switch.logs.listen:
        return
    switch.log(
        level, text, file=site.file, function=site.function, line=site.line,
        session_uuid=channel.uuid if user_data is None else user_data,
        channel=TextChannel.SESSION, session_level=channel.loglevel,
    )  # fmt: skip


def channel_line(channel: Channel, level: int, site: CallingSite, text: str) -> None:
    """A ``SWITCH_CHANNEL_CHANNEL_LOG(channel)`` line: the LOG channel with the uuid."""
    switch = channel.switch
    if level > switch.logs.listen:
        return
    switch.log(
        level, text, file=site.file, function=site.function, line=site.line,
        session_uuid=channel.uuid, channel=TextChannel.LOG,
    )  # fmt: skip


def running_state(channel: Channel, state: ChannelState) -> None:
    """``switch_channel_perform_set_running_state``'s line, then the state's ``State X``."""
    if not _wants(channel.switch, DEBUG, channel):
        return
    sessions = channel.switch.sessions
    site = _DESTROY_RUN if state == ChannelState.CS_DESTROY else _RUN
    channel_line(
        channel, DEBUG, site,
        f"({channel.name}) Running State Change {state.name} "
        f"(Cur {len(sessions.channels)} Tot {sessions.since_startup})\n",
    )  # fmt: skip


def state_line(channel: Channel, state: ChannelState, sleeping: bool = False) -> None:
    """``STATE_MACRO``'s ``(name) State X`` line, or its ``... going to sleep``."""
    if not _wants(channel.switch, DEBUG, channel):
        return
    macro = _STATE_MACRO.get(state)
    if macro is None:
        return
    word = state.name[3:]
    tail = " going to sleep" if sleeping else ""
    session_line(channel, DEBUG, CallingSite(SSM, macro[0], macro[1]), f"({channel.name}) State {word}{tail}\n")


def standard_line(channel: Channel, state: ChannelState) -> None:
    """``switch_core_standard_on_<state>``'s ``name Standard X`` line."""
    if not _wants(channel.switch, DEBUG, channel):
        return
    std = _STANDARD.get(state)
    if std is None:
        return
    text = f"{channel.name} Standard {state.name[3:]}"
    if state in (ChannelState.CS_HANGUP, ChannelState.CS_REPORTING):
        cause = channel.hangup_cause
        text += f", cause: {cause.name if cause is not None else 'NONE'}"
    session_line(channel, DEBUG, CallingSite(SSM, std[0], std[1]), text + "\n")


def state_change(channel: Channel, old: ChannelState, new: ChannelState, site: CallingSite | None) -> None:
    """``switch_channel_perform_set_state``'s line, at its caller's site."""
    if site is None or not _wants(channel.switch, DEBUG, channel):
        return
    channel_line(channel, DEBUG, site, f"({channel.name}) State Change {old.name} -> {new.name}\n")


def callstate_change(channel: Channel, old: str, new: str, site: CallingSite) -> None:
    """``switch_channel_perform_set_callstate``'s line, at its caller's site."""
    if not _wants(channel.switch, DEBUG, channel):
        return
    channel_line(channel, DEBUG, site, f"({channel.name}) Callstate Change {old} -> {new}\n")


_SET_NAME_NEW = CallingSite("switch_channel.c", "switch_channel_set_name", 1143)
_SET_NAME_RENAME = CallingSite("switch_channel.c", "switch_channel_set_name", 1141)


def new_channel(channel: Channel) -> None:
    """``New Channel <name> [<uuid>]`` (the first name a session gets)."""
    if not _wants(channel.switch, NOTICE, channel):
        return
    session_line(channel, NOTICE, _SET_NAME_NEW, f"New Channel {channel.name} [{channel.uuid}]\n")


def rename_channel(channel: Channel, old: str, new: str) -> None:
    """``Rename Channel <old>-><new> [<uuid>]``."""
    if not _wants(channel.switch, NOTICE, channel):
        return
    session_line(channel, NOTICE, _SET_NAME_RENAME, f"Rename Channel {old}->{new} [{channel.uuid}]\n")


_EXEC = CallingSite("switch_core_session.c", "switch_core_session_exec", 2907)
_SKIP = CallingSite("switch_core_session.c", "switch_core_session_exec", 2984)


def execute_line(channel: Channel, application: str, data: str, depth: int = 0) -> None:
    """``EXECUTE [depth=N] <name> app(data)``: INFO on the clean channel (no prefix)."""
    switch = channel.switch
    if not _wants(switch, INFO, channel):
        return
    switch.log(
        INFO, f"EXECUTE [depth={depth}] {channel.name} {application}({data})\n",
        file=_EXEC.file, function=_EXEC.function, line=_EXEC.line,
        session_uuid=channel.uuid, channel=TextChannel.LOG_CLEAN,
    )  # fmt: skip


def skip_exec_complete(channel: Channel) -> None:
    """An application ended on a hung-up channel: its APPLICATION_EXEC_COMPLETE message is
    not delivered."""
    if not _wants(channel.switch, DEBUG, channel):
        return
    channel_line(
        channel, DEBUG, _SKIP,
        f"{channel.name} skip receive message [APPLICATION_EXEC_COMPLETE] (channel is hungup already)\n",
    )  # fmt: skip


def hangup_line(channel: Channel, state: ChannelState, site: CallingSite) -> None:
    """``switch_channel_perform_hangup``'s ``Hangup <name> [<state>] [<cause>]`` line, at
    the site that asked for the hang-up."""
    if not _wants(channel.switch, NOTICE, channel):
        return
    cause = channel.hangup_cause
    channel_line(
        channel, NOTICE, site,
        f"Hangup {channel.name} [{state.name}] [{cause.name if cause is not None else 'NONE'}]\n",
    )  # fmt: skip


_THREAD = "switch_core_session_thread"


def close_channel(channel: Channel) -> None:
    """The session thread's end: ``Locked``, ``Ended`` and ``Close Channel`` lines."""
    switch = channel.switch
    if not _wants(switch, NOTICE, channel):
        return
    label = f"Session {channel.session_id} ({channel.name})"
    session_line(channel, DEBUG, CallingSite("switch_core_session.c", _THREAD, 1748), f"{label} Locked, Waiting on external entities\n")
    session_line(channel, NOTICE, CallingSite("switch_core_session.c", _THREAD, 1766), f"{label} Ended\n")
    channel_line(
        channel, NOTICE, CallingSite("switch_core_session.c", _THREAD, 1770),
        f"Close Channel {channel.name} [{ChannelState.CS_DESTROY.name}]\n",
    )  # fmt: skip


_SET_UUID = CallingSite("switch_core_session.c", "switch_core_session_outgoing_channel", 641)


def set_uuid_line(channel: Channel) -> None:
    """``<name> set UUID=<uuid>``: an originate's ``origination_uuid`` was applied."""
    if not _wants(channel.switch, DEBUG, channel):
        return
    session_line(channel, DEBUG, _SET_UUID, f"{channel.name} set UUID={channel.uuid}\n")
