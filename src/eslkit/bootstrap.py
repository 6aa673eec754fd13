"""Assembling a running switch + event socket server from configuration.

Used by ``eslkit serve``, by the test suite and by the embedding API, so that all of them
run exactly the same thing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from eslkit.fsconfig.acl import load_network_lists, local_interface
from eslkit.fsconfig.directory import Directory, EslUser, load_directory
from eslkit.fsconfig.event_socket import EventSocketSettings, load_event_socket_settings
from eslkit.fsconfig.parser import ConfigError, FreeSwitchConfig, GlobalVariables, core_variables
from eslkit.server.socket_server import EventSocketServer, ServerOptions
from eslkit.switch.backend import SwitchBackend
from eslkit.switch.core import Switch, SwitchConfig
from eslkit.switch.dialplan_conf import DialplanSummary, load_dialplan
from eslkit.switch.modules import Module

log = logging.getLogger("eslkit.serve")


@dataclass
class ServeOptions:
    """Everything ``eslkit serve`` can be told; None means "from the config or default"."""

    conf_dir: Path | None = None
    #: ``--dialplan`` files, hunted before the configuration's (or built-in) dialplan.
    dialplan_files: list[Path] = field(default_factory=list)
    listen_ip: str | None = None
    listen_port: int | None = None
    password: str | None = None
    apply_inbound_acl: list[str] = field(default_factory=list)
    users: list[EslUser] = field(default_factory=list)
    switch: SwitchConfig | None = None
    server: ServerOptions | None = None
    #: How long an idle listener polls before it delivers what was queued meanwhile, in
    #: milliseconds (FreeSWITCH: 20; 0 = at once); None: ``server``'s (default 20).
    event_poll_ms: float | None = None
    #: Modules loaded into the switch after the built-in and entry-point ones.
    modules: list[Module] = field(default_factory=list)


@dataclass
class Running:
    """A started switch and its event socket server."""

    switch: Switch
    server: EventSocketServer
    #: What dialplan was loaded from where (for logs).
    dialplan: DialplanSummary | None = None

    @property
    def port(self) -> int:
        return self.server.port

    async def stop(self) -> None:
        """Orderly shutdown: SHUTDOWN event, shutdown notices, sockets closed."""
        await self.switch.stop()
        await self.server.stop()


async def start(options: ServeOptions) -> Running:
    """Load the configuration, start the switch, bind the server.

    Raises :class:`eslkit.fsconfig.parser.ConfigError` for a bad configuration file and
    :class:`eslkit.server.socket_server.BindError` when the address cannot be bound.
    """
    switch_config = options.switch or SwitchConfig()
    config: FreeSwitchConfig | None = None
    seeds: dict[str, str] = {}
    if options.conf_dir is not None:
        seeds = core_variables(options.conf_dir, hostname=switch_config.hostname)
        config = FreeSwitchConfig(options.conf_dir, seeds)
    summary = load_dialplan(
        config,
        options.dialplan_files,
        None if config is not None else GlobalVariables({"hostname": switch_config.hostname}),
    )
    settings: EventSocketSettings = load_event_socket_settings(config)
    if options.listen_ip is not None:
        settings.listen_ip = options.listen_ip
    if options.listen_port is not None:
        settings.listen_port = options.listen_port
    if options.password is not None:
        settings.password = options.password
    if options.apply_inbound_acl:
        settings.apply_inbound_acl = list(options.apply_inbound_acl)
    # localnet.auto and nat.auto come from the interface of the switch's guessed address.
    interface = local_interface(switch_config.ipv4) if switch_config.ipv4 else None
    network_lists = load_network_lists(config, [interface] if interface else [])
    directory: Directory = load_directory(config) if config is not None else Directory()
    if options.users:
        directory = Directory.from_users(options.users)
    switch = Switch(switch_config, modules=options.modules)
    _install_dialplan(switch, config, seeds, summary)
    if config is not None or options.dialplan_files:
        switch.hooks.reloadxml = _reloader(switch, options, seeds)
    if config is not None:
        # mod_conference's profiles (the built-in ones are the reference build's).
        switch.conferences.load_profiles(config.configuration("conference.conf"))
    # The directory belongs to the configuration; the switch's user/ endpoint dials from it.
    switch.hooks.locate_user = directory.user_record
    server_options = options.server
    if options.event_poll_ms is not None:
        server_options = dataclasses.replace(
            server_options or ServerOptions(), event_poll_ms=options.event_poll_ms
        )
    server = EventSocketServer(
        SwitchBackend(switch),
        settings,
        network_lists=network_lists,
        directory=directory,
        options=server_options,
    )
    await switch.start()
    try:
        await server.start()
    except BaseException:
        await switch.stop()
        raise
    summary.log(switch.modules.application, log)
    return Running(switch, server, summary)


def _install_dialplan(
    switch: Switch,
    config: FreeSwitchConfig | None,
    seeds: dict[str, str],
    summary: DialplanSummary,
) -> None:
    # Every X-PRE-PROCESS "set" (vars.xml...) is a global variable, as in FreeSWITCH.
    if config is not None:
        for name, value in config.variables.as_dict().items():
            if seeds.get(name) != value:
                switch.set_global(name, value)
    for name, value in summary.dialplan.preprocess_vars.items():
        switch.set_global(name, value)
    switch.sessions.dialplan = summary.dialplan


def _reloader(
    switch: Switch, options: ServeOptions, seeds: dict[str, str]
) -> Callable[[], Awaitable[str]]:
    """``reloadxml``: read the configuration's dialplan and the ``--dialplan`` files again.

    The files are parsed off the loop (a whole configuration takes 50-200 ms); a broken one
    leaves the dialplan in use, as FreeSWITCH keeps its XML when the new one does not parse.
    Calls already routed keep the extensions they were given."""

    def parse() -> tuple[FreeSwitchConfig | None, DialplanSummary]:
        config = (
            FreeSwitchConfig(options.conf_dir, dict(seeds))
            if options.conf_dir is not None
            else None
        )
        hostname = GlobalVariables({"hostname": switch.config.hostname})
        return config, load_dialplan(config, options.dialplan_files, hostname)

    async def reloadxml() -> str:
        try:
            config, summary = await asyncio.to_thread(parse)
        except ConfigError as exc:
            log.warning("reloadxml: %s (the dialplan in use stays)", exc)
            return str(exc)
        _install_dialplan(switch, config, seeds, summary)
        summary.log(switch.modules.application, log)
        return "Success"

    return reloadxml
