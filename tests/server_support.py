"""Starting a real eslkit switch + event socket server on a free loopback port, for tests."""

from __future__ import annotations

from dataclasses import dataclass

from eslkit.bootstrap import Running, ServeOptions, start
from eslkit.switch.core import SwitchConfig


@dataclass
class EslServer:
    """Where the test server listens."""

    host: str
    port: int
    password: str
    running: Running


async def start_test_server(**overrides: object) -> Running:
    """A fresh switch + server on 127.0.0.1, port chosen by the OS."""
    options = ServeOptions(listen_ip="127.0.0.1", listen_port=0, password="ClueCon")
    for key, value in overrides.items():
        setattr(options, key, value)
    if options.switch is None:
        options.switch = SwitchConfig()
    return await start(options)
