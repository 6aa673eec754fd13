"""mod_conference's outcalls (``conference_outcall``/``conference_outcall_bg``): a call whose
answered leg runs the conference application; used by ``conference dial``/``bgdial`` and by
``conference_set_auto_outcall``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from eslkit.switch.conference import events

if TYPE_CHECKING:
    from eslkit.switch.core import Switch

__all__ = ["outcall", "outcall_bg"]


async def outcall(
    switch: Switch,
    name: str,
    url: str,
    cid_num: str | None,
    cid_name: str | None,
    *,
    flags: str | None = None,
    profile: str | None = None,
    var_event: Sequence[tuple[str, str]] | None = None,
) -> tuple[str, str]:
    """``conference_outcall``: originate ``url`` with the given caller ID, then run the
    conference application (``name[@profile][+flags{...}]``) on the answered leg (its
    caller ID flipped as the originate API's). Returns (cause name, leg UUID or "")."""
    from eslkit.switch.originate import originate, start_after_originate

    conference = switch.conferences.find(name)
    if conference is not None:
        # (A call into a conference that exists has its caller ID at least.)
        cid_name = cid_name or conference.caller_id_name
        cid_num = cid_num or conference.caller_id_number
    parts = url.split("/")
    dest = parts[1] if len(parts) > 1 else url
    result = await originate(
        switch.sessions, url, cid_name=cid_name, cid_num=cid_num, var_event=var_event
    )
    leg = result.channel
    if leg is None:
        return result.cause.name, ""
    outcall_flags = leg.get_variable("outcall_flags")
    if outcall_flags:
        flags = outcall_flags
    app_args = name + (f"@{profile}" if profile else "")
    if flags is not None and flags.lower() != "none":
        app_args += f"+flags{{{flags}}}"
    start_after_originate(
        leg, application="conference", app_args=app_args, exten=dest, dialplan="XML", context="default"
    )
    return "SUCCESS", leg.uuid


def outcall_bg(
    switch: Switch,
    name: str,
    url: str,
    cid_num: str | None,
    cid_name: str | None,
    *,
    job: str | None = None,
    flags: str | None = None,
    profile: str | None = None,
    var_event: Sequence[tuple[str, str]] | None = None,
) -> None:
    """``conference_outcall_bg``: :func:`outcall` in the background, then the bgdial-result
    of the conference it was asked for (none when it did not exist yet, or is gone).
    Returns the job UUID."""
    manager = switch.conferences
    conference = manager.find(name)
    if conference is not None:
        conference.originating += 1

    async def run() -> None:
        try:
            cause, peer = await outcall(
                switch, name, url, cid_num, cid_name, flags=flags, profile=profile,
                var_event=var_event,
            )
        finally:
            if conference is not None:
                conference.originating -= 1
        if conference is None or conference.destroyed:
            return
        after = [("Result", cause)]
        if job:
            after.append(("Job-UUID", job))
        if peer:
            after.append(("Peer-UUID", peer))
        events.fire(conference, "bgdial-result", after=after)

    switch.spawn(run())
