"""A switch module from outside eslkit: one API command, one dialplan application and one
endpoint, one function each (see docs/architecture.md).

Load it into a switch with ``switch.load_module(module)`` (``eslkit.testing.Switch``:
``sw.core.load_module(module)``), or let a package declare it for every switch::

    [project.entry-points."eslkit.switch"]
    hello = "examples.switch_module.hello:module"
"""

from __future__ import annotations

from eslkit.protocol.names import HangupCause
from eslkit.switch.api import ApiCall
from eslkit.switch.apps import AppContext
from eslkit.switch.channel import Channel
from eslkit.switch.endpoints import Endpoint, OutgoingRequest, make_outbound
from eslkit.switch.modules import Module
from eslkit.switch.sessions import SessionManager

module = Module("mod_hello")


@module.command("hello", "Say hello", "<name>")
def hello(call: ApiCall) -> None:
    """``api hello <name>`` -> ``+OK hello <name>``."""
    if not call.arg:
        call.write("-USAGE: <name>\n")
        return
    call.write(f"+OK hello {call.arg}\n")


@module.application("greet", "Greet the caller", "<name>")
async def greet(ctx: AppContext, data: str) -> None:
    """Answer, wait half a (switch) second, set ``greeted=<name>``."""
    ctx.channel.answer()
    if await ctx.sleep(0.5):
        ctx.channel.set_variable("greeted", data or "anonymous")


@module.endpoint("hello")
def hello_endpoint(
    endpoint: Endpoint, manager: SessionManager, request: OutgoingRequest
) -> Channel | HangupCause:
    """``hello/<name>``: a channel named ``hello/<name>``; ``hello/busy`` is refused."""
    if request.target == "busy":
        return HangupCause.USER_BUSY
    return make_outbound(manager, endpoint, f"hello/{request.target}", request)
