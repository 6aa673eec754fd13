"""Loadable modules: the one way API commands, dialplan applications and endpoints get
into a switch (FreeSWITCH's ``switch_loadable_module``).

A :class:`Module` is a named set of the three, declared with decorators in one file::

    from eslkit.switch.modules import Module

    module = Module("mod_example")

    @module.command("hello", "Say hello", "<name>")
    def hello(call: ApiCall) -> None:
        call.write(f"+OK hello {call.arg}\\n")

    @module.application("beep", "Set beeped")
    async def beep(ctx: AppContext, data: str) -> None:
        ctx.channel.set_variable("beeped", data or "true")

    @module.endpoint("busy")
    def busy(endpoint: Endpoint, manager: SessionManager, request: OutgoingRequest) -> Channel | HangupCause:
        return HangupCause.USER_BUSY

Every :class:`~eslkit.switch.core.Switch` has its own :class:`Modules` (``switch.modules``)
and loads, in this order: the built-in modules listed in :func:`builtin_modules`, the
modules that installed packages declare in the :data:`ENTRY_POINT_GROUP` entry-point
group, and the ones passed as ``Switch(modules=[...])``. Adding one to a running switch
is one call: ``switch.load_module(module)``. A later module replaces an earlier one's
command, application or endpoint of the same name. Nothing is imported behind the
caller's back and no import error is swallowed: a module that cannot be imported, or an
entry point that is not a module, stops the switch from being built
(:class:`ModuleLoadError`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING

from eslkit.switch.api import ApiFunction, ApiRegistry
from eslkit.switch.apps import Application, ApplicationFunction
from eslkit.switch.endpoints import Endpoint, OutgoingRequest

if TYPE_CHECKING:
    from eslkit.protocol.names import HangupCause
    from eslkit.switch.channel import Channel
    from eslkit.switch.sessions import SessionManager

__all__ = [
    "ENTRY_POINT_GROUP",
    "EndpointFunction",
    "Module",
    "ModuleLoadError",
    "Modules",
    "builtin_modules",
    "entry_point_modules",
]

ENTRY_POINT_GROUP = "eslkit.switch"
"""The entry-point group a package declares its modules in (``pyproject.toml``:
``[project.entry-points."eslkit.switch"] example = "example_pkg.switch:module"``). An entry
point names a :class:`Module`, or a function without arguments returning one."""

EndpointFunction = Callable[["Endpoint", "SessionManager", OutgoingRequest], "Channel | HangupCause"]
"""An endpoint written as one function: :meth:`Endpoint.outgoing` with the endpoint first."""

class ModuleLoadError(RuntimeError):
    """A module could not be loaded (an import error, or an entry point that is not one)."""


class _FunctionEndpoint(Endpoint):
    """An endpoint whose :meth:`outgoing` is a plain function (:meth:`Module.endpoint`)."""

    def __init__(self, name: str, function: EndpointFunction) -> None:
        self.name = name
        self.function = function

    def outgoing(self, manager: SessionManager, request: OutgoingRequest) -> Channel | HangupCause:
        """Call the function."""
        return self.function(self, manager, request)


class Module:
    """A named set of API commands, dialplan applications and endpoints
    (``switch_loadable_module_interface_t``)."""

    __slots__ = ("applications", "commands", "endpoints", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        #: API commands (``show api`` lists them under this module's name).
        self.commands = ApiRegistry()
        self.applications: dict[str, Application] = {}
        self.endpoints: dict[str, Endpoint] = {}

    def __repr__(self) -> str:
        return (
            f"Module({self.name!r}: {len(self.commands)} commands, "
            f"{len(self.applications)} applications, {len(self.endpoints)} endpoints)"
        )

    def command(
        self, name: str, description: str = "", syntax: str = "", *, module: str | None = None
    ) -> Callable[[ApiFunction], ApiFunction]:
        """Decorator: the function (``ApiCall -> None | bool``, may be async) is API
        command ``name`` (see :mod:`eslkit.switch.api`)."""
        return self.commands.command(name, description, syntax, module=module or self.name)

    def application(
        self,
        name: str,
        description: str = "",
        syntax: str = "",
        *,
        zombie_exec: bool = False,
        needs_media: bool = False,
    ) -> Callable[[ApplicationFunction], ApplicationFunction]:
        """Decorator: the coroutine ``(ctx: AppContext, data: str)`` is dialplan
        application ``name`` (case-sensitive, as FreeSWITCH; see :mod:`eslkit.switch.apps`).
        ``zombie_exec``: it also runs on a hung-up channel (FreeSWITCH's SAF_ZOMBIE_EXEC).
        ``needs_media``: the channel is pre-answered before it runs (an application without
        FreeSWITCH's SAF_SUPPORT_NOMEDIA)."""

        def register(function: ApplicationFunction) -> ApplicationFunction:
            self.applications[name] = Application(
                name,
                function,
                description,
                syntax,
                zombie_exec=zombie_exec,
                needs_media=needs_media,
            )
            return function

        return register

    def endpoint(self, name: str) -> Callable[[EndpointFunction], EndpointFunction]:
        """Decorator: the function ``(endpoint, manager, request) -> Channel | HangupCause``
        is the ``outgoing`` of endpoint ``name`` (dial strings ``name/<target>``).

        For the lifecycle hooks (``on_created``, ``on_hangup``, ...) subclass
        :class:`~eslkit.switch.endpoints.Endpoint` and use :meth:`add_endpoint`."""

        def register(function: EndpointFunction) -> EndpointFunction:
            self.add_endpoint(_FunctionEndpoint(name, function))
            return function

        return register

    def add_endpoint(self, endpoint: Endpoint) -> Endpoint:
        """Add an endpoint object under its ``name``."""
        if not endpoint.name:
            raise ValueError(f"endpoint {endpoint!r} has no name")
        self.endpoints[endpoint.name] = endpoint
        return endpoint


class Modules:
    """The modules loaded into one switch, and what they provide (``switch.modules``)."""

    __slots__ = ("_applications", "_endpoints", "api", "loaded")

    def __init__(self, api: ApiRegistry) -> None:
        #: The switch's API command table (the engine's registry).
        self.api = api
        self._applications: dict[str, Application] = {}
        self._endpoints: dict[str, Endpoint] = {}
        #: The modules loaded, in order.
        self.loaded: list[Module] = []

    def load(self, module: Module) -> None:
        """Add everything ``module`` provides (replacing same-named earlier entries)."""
        if not isinstance(module, Module):
            raise ModuleLoadError(f"not an eslkit.switch.modules.Module: {module!r}")
        self.api.include(module.commands)
        self._applications.update(module.applications)
        self._endpoints.update(module.endpoints)
        self.loaded.append(module)

    def application(self, name: str) -> Application | None:
        """The dialplan application ``name`` (case-sensitive), or None."""
        return self._applications.get(name)

    def applications(self) -> list[Application]:
        """Every application, sorted by name."""
        return sorted(self._applications.values(), key=lambda app: app.name)

    def endpoint(self, name: str) -> Endpoint | None:
        """The endpoint ``name``, or None."""
        return self._endpoints.get(name)

    def endpoints(self) -> list[Endpoint]:
        """Every endpoint, sorted by name."""
        return sorted(self._endpoints.values(), key=lambda endpoint: endpoint.name)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.loaded)


def builtin_modules() -> list[Module]:
    """The simulated switch's own modules, in load order (listed here, imported here)."""
    from eslkit.switch.apis import (
        call_commands,
        channel_commands,
        conference_commands,
        core_commands,
        fsctl,
        hashdb,
        media_commands,
        sched_commands,
        show,
        uuid_more,
    )
    from eslkit.switch.apps import basic, bridge, conference, extra, media
    from eslkit.switch.endpoints import error, loopback, null, sim, user

    return [
        core_commands.module,
        fsctl.module,
        sched_commands.module,
        show.module,
        media_commands.module,
        channel_commands.module,
        call_commands.module,
        basic.module,
        media.module,
        bridge.module,
        conference.module,
        conference_commands.module,
        extra.module,
        hashdb.hash_module,
        hashdb.db_module,
        hashdb.limit_commands,
        hashdb.limit_dptools,
        uuid_more.commands,
        uuid_more.dptools,
        error.module,
        loopback.module,
        null.module,
        sim.module,
        user.module,
    ]


def _from_entry_point(entry: EntryPoint) -> Module:
    where = f"{entry.group} entry point {entry.name!r} ({entry.value})"
    try:
        loaded = entry.load()
        module = loaded() if callable(loaded) and not isinstance(loaded, Module) else loaded
    except Exception as exc:
        raise ModuleLoadError(f"{where}: {exc!r}") from exc
    if not isinstance(module, Module):
        raise ModuleLoadError(f"{where} is not a Module: {module!r}")
    return module


def entry_point_modules(group: str = ENTRY_POINT_GROUP) -> list[Module]:
    """The modules installed packages declare in ``group``, sorted by entry-point name."""
    found = sorted(entry_points(group=group), key=lambda entry: entry.name)
    return [_from_entry_point(entry) for entry in found]
