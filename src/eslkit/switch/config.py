"""How the simulated switch presents itself (:class:`SwitchConfig`): names, addresses,
version strings, limits, the time scale, global variables. (Reading FreeSWITCH's own
configuration files is :mod:`eslkit.fsconfig`'s job; this is what they are turned into.)"""

from __future__ import annotations

import socket
import uuid
from dataclasses import dataclass, field

from eslkit.protocol.names import LogLevel

__all__ = ["SwitchConfig", "guess_local_ip"]

#: Probe addresses for the route lookup (connect() on a UDP socket sends nothing).
_PROBE_V4 = "82.45.148.209"
_PROBE_V6 = "2001:503:ba3e::2:30"


def guess_local_ip(family: socket.AddressFamily) -> str:
    """``switch_find_local_ip``: the source address of the default route, without traffic.

    A UDP socket's ``connect`` only asks the kernel for a route; no packet is sent. Falls
    back to ``127.0.0.1`` / ``::1`` like FreeSWITCH.
    """
    fallback = "127.0.0.1" if family == socket.AF_INET else "::1"
    probe = _PROBE_V4 if family == socket.AF_INET else _PROBE_V6
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.connect((probe, 53))
            address = sock.getsockname()[0]
    except OSError:
        return fallback
    return str(address) if address and address not in ("0.0.0.0", "::") else fallback


def _guess_v4() -> str:
    return guess_local_ip(socket.AF_INET)


def _guess_v6() -> str:
    return guess_local_ip(socket.AF_INET6)


@dataclass(slots=True)
class SwitchConfig:
    """How the simulated switch presents itself; defaults follow a stock FreeSWITCH 1.10.12."""

    hostname: str = field(default_factory=socket.gethostname)
    #: Defaults to the hostname.
    switchname: str = ""
    ipv4: str = field(default_factory=_guess_v4)
    #: ``""`` omits the FreeSWITCH-IPv6 header.
    ipv6: str = field(default_factory=_guess_v6)
    version_major: str = "1"
    version_minor: str = "10"
    # A release built from a tarball, as FreeSWITCH's configure stamps it: the "-release"
    # suffix belongs to the micro version and there is no git revision.
    version_micro: str = "12-release"
    version_revision: str = ""
    version_revision_human: str = ""
    version_bits: str = "64bit"
    #: Random when empty.
    core_uuid: str = ""
    max_sessions: int = 1000
    sessions_per_second: int = 30
    #: ``event-heartbeat-interval`` in seconds.
    heartbeat_interval: int = 20
    #: The core's log level (a :class:`LogLevel` value).
    loglevel: int = int(LogLevel.DEBUG)
    debug_level: int = 0
    #: Switch seconds per real second.
    time_scale: float = 1.0
    #: Global variables as vars.xml would set them (after the core's own).
    global_variables: dict[str, str] = field(default_factory=dict)
    #: Console aliases (alias -> command).
    aliases: dict[str, str] = field(default_factory=dict)
    #: ``Current Stack Size/Max`` of ``status``, in KiB.
    stack_size_kb: int = 240
    stack_max_kb: int = 8192

    def __post_init__(self) -> None:
        if not self.switchname:
            self.switchname = self.hostname
        if not self.core_uuid:
            self.core_uuid = str(uuid.uuid4())

    @classmethod
    def recording(cls) -> SwitchConfig:
        """The environment of the conformance recording (conformance/README.md)."""
        return cls(
            hostname="vm",
            switchname="vm",
            ipv4="192.0.2.2",
            ipv6="fd00::2",
            version_major="1",
            version_minor="11",
            version_micro="3-dev",
            version_revision="",
            version_revision_human="",
            max_sessions=20000,
            sessions_per_second=5000,
            loglevel=int(LogLevel.WARNING),
            global_variables={"local_ip_v4": "127.0.0.1", "local_ip_v6": "::1"},
        )

    # ---------------------------------------------------------------- version strings
    @property
    def version_full(self) -> str:
        """``switch_version_full``: ``1.11.3-dev~64bit``."""
        return (
            f"{self.version_major}.{self.version_minor}.{self.version_micro}"
            f"{self.version_revision}~{self.version_bits}"
        )

    @property
    def version_revision_human_full(self) -> str:
        """``switch_version_revision_human``: `` 64bit``."""
        return f"{self.version_revision_human} {self.version_bits}"

    @property
    def version_full_human(self) -> str:
        """``switch_version_full_human``: ``1.11.3-dev  64bit``."""
        return (
            f"{self.version_major}.{self.version_minor}.{self.version_micro} "
            f"{self.version_revision_human} {self.version_bits}"
        )

    @property
    def version_short(self) -> str:
        """``<major>.<minor>.<micro>``."""
        return f"{self.version_major}.{self.version_minor}.{self.version_micro}"
