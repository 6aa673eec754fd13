"""``event_socket.conf``: the listener settings, parsed as mod_event_socket's ``config()`` does.

Rules (spec §1, mes.c ``config``), applied to every ``<settings><param name= value=>`` in order,
so a repeated param's last value wins:

- ``listen-ip``, ``listen-port``, ``password``, ``debug`` and ``nat-map`` are matched
  case-sensitively; ``apply-inbound-acl`` and ``stop-on-bind-error`` case-insensitively.
  Anything else is ignored.
- ``listen-port`` is C ``atoi`` truncated to 16 bits; 0 (also from non-numeric text) gives 8021.
- An empty ``listen-ip`` or ``password`` gives ``127.0.0.1`` or ``ClueCon``.
- ``apply-inbound-acl`` may repeat; empty values are skipped; at most 100 are kept; with none,
  ``loopback.auto`` applies.
- ``stop-on-bind-error`` uses :func:`switch_true`; ``debug`` is ``atoi``.
- ``nat-map`` is parsed and then forced off (FreeSWITCH never maps); a true value leaves a note.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from eslkit.fsconfig.parser import ConfigError, FreeSwitchConfig, XmlElement
from eslkit.fsutil import c_atoi, switch_is_number, switch_true

__all__ = [
    "DEFAULT_LISTEN_IP",
    "DEFAULT_LISTEN_PORT",
    "DEFAULT_PASSWORD",
    "MAX_ACL",
    "EventSocketSettings",
    "c_atoi",
    "load_event_socket_settings",
    "settings_from_configuration",
    "switch_is_number",
    "switch_true",
]

DEFAULT_LISTEN_IP = "127.0.0.1"
DEFAULT_LISTEN_PORT = 8021
DEFAULT_PASSWORD = "ClueCon"
#: mod_event_socket keeps at most this many ``apply-inbound-acl`` entries.
MAX_ACL = 100

@dataclass(slots=True)
class EventSocketSettings:
    """The listener configuration of mod_event_socket."""

    listen_ip: str = DEFAULT_LISTEN_IP
    listen_port: int = DEFAULT_LISTEN_PORT
    password: str = DEFAULT_PASSWORD
    apply_inbound_acl: list[str] = field(default_factory=lambda: ["loopback.auto"])
    stop_on_bind_error: bool = False
    debug: int = 0
    #: Always False: FreeSWITCH parses ``nat-map`` and then forces it off.
    nat_map: bool = False
    #: Things worth logging, e.g. ``"nat-map ignored"`` or a missing configuration file.
    notes: list[str] = field(default_factory=list)


def settings_from_configuration(configuration: XmlElement | None) -> EventSocketSettings:
    """Settings from a ``<configuration name="event_socket.conf">`` element (None: defaults)."""
    listen_ip = ""
    port = 0
    password = ""
    acls: list[str] = []
    stop_on_bind_error = False
    debug = 0
    notes: list[str] = []
    settings = configuration.find("settings") if configuration is not None else None
    for param in settings.findall("param") if settings is not None else []:
        name = param.get_soft("name")
        value = param.get_soft("value")
        folded = name.casefold()
        if name == "listen-ip":
            listen_ip = value
        elif name == "debug":
            debug = c_atoi(value)
        elif name == "nat-map":
            if switch_true(value):
                notes.append(f"{param.where}: nat-map ignored (FreeSWITCH forces it off)")
        elif name == "listen-port":
            port = c_atoi(value) & 0xFFFF
        elif name == "password":
            password = value
        elif folded == "apply-inbound-acl" and value:
            if len(acls) < MAX_ACL:
                acls.append(value)
            else:
                notes.append(f"{param.where}: max acl records of {MAX_ACL} reached")
        elif folded == "stop-on-bind-error":
            stop_on_bind_error = switch_true(value)
    return EventSocketSettings(
        listen_ip=listen_ip or DEFAULT_LISTEN_IP,
        listen_port=port or DEFAULT_LISTEN_PORT,
        password=password or DEFAULT_PASSWORD,
        apply_inbound_acl=acls or ["loopback.auto"],
        stop_on_bind_error=stop_on_bind_error,
        debug=debug,
        nat_map=False,
        notes=notes,
    )


def load_event_socket_settings(
    conf_dir: Path | FreeSwitchConfig | None,
) -> EventSocketSettings:
    """Read ``event_socket.conf`` from a FreeSWITCH configuration directory.

    ``conf_dir`` may hold a ``freeswitch.xml`` (the vanilla layout: the configuration is found
    under ``<section name="configuration">``) or just ``autoload_configs/event_socket.conf.xml``.
    None, or no such configuration, gives the defaults (with a note, as FreeSWITCH logs
    ``Open of event_socket.conf failed``). Raises :class:`ConfigError` for malformed files.
    """
    if conf_dir is None:
        return EventSocketSettings()
    config = conf_dir if isinstance(conf_dir, FreeSwitchConfig) else _open(conf_dir)
    configuration = config.configuration("event_socket.conf")
    settings = settings_from_configuration(configuration)
    if configuration is None:
        settings.notes.append(f"{config.conf_dir}: open of event_socket.conf failed")
    return settings


def _open(conf_dir: Path) -> FreeSwitchConfig:
    if not Path(conf_dir).is_dir():
        raise ConfigError("configuration directory not found", conf_dir)
    return FreeSwitchConfig(conf_dir)
