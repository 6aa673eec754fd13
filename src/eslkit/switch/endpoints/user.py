"""``user/<id>[@domain]``: a user of the directory, dialed through its ``dial-string``.

As FreeSWITCH's mod_dptools ``user`` endpoint does: the user is looked up in the directory
(params and variables merged domain → group → user); an unknown user is SUBSCRIBER_ABSENT, a
user without a ``dial-string`` MANDATORY_IE_MISSING, a dial string that dials the same user
again INVALID_IE_CONTENTS. Otherwise the dial string is expanded (``${dialed_user}``,
``${dialed_domain}``, the user's variables, globals) and dialed, with the user's variables
on the new leg. The simulated switch has no SIP registrations, so FreeSWITCH's usual
``${sofia_contact(...)}`` expands to ``error/user_not_registered``, as on a real switch where
nobody is registered. Deviation: only the first leg of a multi-leg dial string is dialed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eslkit.protocol.names import HangupCause
from eslkit.switch.dialstring import DialStringError, parse_dial_string
from eslkit.switch.endpoints import Endpoint, OutgoingRequest
from eslkit.switch.expand import expand_variables
from eslkit.switch.modules import Module

if TYPE_CHECKING:
    from eslkit.switch.channel import Channel
    from eslkit.switch.sessions import SessionManager

__all__ = ["ENDPOINT", "UserEndpoint", "module"]

#: What ``sofia_contact`` gives for a user with no registration.
NOT_REGISTERED = "error/user_not_registered"


def _expansion_api(command: str, argument: str) -> str:
    """API calls inside a dial string: only ``sofia_contact`` means something here."""
    return NOT_REGISTERED if command == "sofia_contact" else ""


class UserEndpoint(Endpoint):
    """The ``user`` endpoint."""

    name = "user"

    def outgoing(self, manager: SessionManager, request: OutgoingRequest) -> Channel | HangupCause:
        """Dial the user's ``dial-string`` (see the module docs for the failures)."""
        switch = manager.switch
        user, _, domain = request.target.partition("@")
        if not domain:
            domain = switch.get_global("domain") or switch.config.hostname
        record = switch.hooks.locate_user(user, domain) if user else None
        if record is None:
            return HangupCause.SUBSCRIBER_ABSENT
        dialed_user, params, user_variables = record
        dial_string = params.get("dial-string")
        if not dial_string:
            return HangupCause.MANDATORY_IE_MISSING
        variables = {**request.variables, **user_variables}
        variables["dialed_user"] = dialed_user
        variables["dialed_domain"] = domain
        variables.setdefault("presence_id", f"{dialed_user}@{domain}")
        expanded = expand_variables(
            dial_string,
            variables.get,
            global_lookup=switch.get_global,
            api=_expansion_api,
        )
        if f"user/{dialed_user}" in expanded:
            return HangupCause.INVALID_IE_CONTENTS
        try:
            parsed = parse_dial_string(expanded)
        except DialStringError:
            return HangupCause.INVALID_IE_CONTENTS
        if not parsed.groups or not parsed.groups[0]:
            return HangupCause.INVALID_IE_CONTENTS
        leg = parsed.groups[0][0]
        return manager.outgoing(
            OutgoingRequest(
                endpoint=leg.endpoint,
                target=leg.target or "",
                variables={**variables, **parsed.global_vars, **leg.variables},
                uuid=request.uuid,
                cid_name=request.cid_name,
                cid_num=request.cid_num,
                dialplan=request.dialplan,
                context=request.context,
            )
        )


ENDPOINT = UserEndpoint()
module = Module("mod_dptools")
module.add_endpoint(ENDPOINT)
