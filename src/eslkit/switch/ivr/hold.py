"""Hold and unhold (``switch_ivr_hold`` / ``switch_ivr_unhold``).

Holding a channel sends it the hold indication, which a SIP channel answers with a re-INVITE
and FreeSWITCH's media layer turns into the call state HELD (``CF_LEG_HOLDING``). A loopback
channel, like every simulated one, ignores the indication: the call state stays ACTIVE, so
each ``uuid_hold`` fires CHANNEL_HOLD again and ``uuid_hold off`` fails (recorded:
recorded/hold/hold_toggle_sequence). The hold music (``hold_music``, a channel variable or a
global) is broadcast to the partner (``signal_bond``) as ``playback``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eslkit.protocol.event import Event
from eslkit.protocol.names import EventType
from eslkit.protocol.records import CallingSite
from eslkit.switch import calllog
from eslkit.switch import channel_events as ce

if TYPE_CHECKING:
    from eslkit.switch.channel import Channel

__all__ = ["HOLD_SITE", "UNHOLD_SITE", "hold", "unhold"]

HOLD_SITE = CallingSite("switch_ivr.c", "switch_ivr_hold", 1558)
UNHOLD_SITE = CallingSite("switch_ivr.c", "switch_ivr_unhold", 1638)
_NOT_HELD_SITE = CallingSite("switch_ivr.c", "switch_ivr_unhold", 1616)


def _hold_music(channel: Channel) -> str:
    music = channel.lookup("temp_hold_music") or channel.lookup("hold_music")
    if not music:
        music = channel.switch.get_global("hold_music") or ""
    return channel.expand(music) if music else ""


def hold(channel: Channel, *, moh: bool = True) -> bool:
    """Put ``channel`` on hold: False if its call state is already HELD."""
    if channel.call_state.name == "HELD":
        return False
    channel.flags.update(("CF_HOLD", "CF_SUSPEND"))
    music = _hold_music(channel) if moh else ""
    other = channel.partner() if music else None
    if other is not None:
        other.queue_private_message(
            Event(
                [
                    ("call-command", "execute"),
                    ("execute-app-name", "playback"),
                    ("execute-app-arg", music),
                    ("event-lock", "true"),
                    ("loops", "-1"),
                    ("lead-frames", "5"),
                ]
            )
        )
    ce.fire_channel_event(channel, EventType.CHANNEL_HOLD, HOLD_SITE)
    return True


def unhold(channel: Channel) -> bool:
    """Take ``channel`` off hold: False unless its call state is HELD."""
    if channel.call_state.name != "HELD":
        calllog.session_line(channel, 4, _NOT_HELD_SITE, "Call is not on hold. No need to unhold.\n")
        return False
    channel.flags.difference_update(("CF_HOLD", "CF_SUSPEND"))
    other = channel.partner()
    if other is not None:
        other.interrupt(all_=True)
    ce.fire_channel_event(channel, EventType.CHANNEL_UNHOLD, UNHOLD_SITE)
    return True
