"""Other Python ESL libraries to benchmark eslkit against: greenswitch and genesis.

They are installed from PyPI into a separate virtual environment, ``bench/.peers/``, never
into eslkit's own environment and never as eslkit dependencies. :func:`load_peers` creates
that environment on first use (``pip install``), then makes its ``site-packages`` importable
by *this* interpreter (appended to ``sys.path``, so eslkit's environment still wins on any
shared package) and imports each peer. The venv is created with the running interpreter, so
compiled wheels (gevent) match it.

Reusable by every benchmark::

    from peers import load_peers
    peers = load_peers()
    if peers.greenswitch is None:
        print("greenswitch missing:", peers.missing["greenswitch"])

Nothing here touches the network except ``pip install`` on the first run.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import sysconfig
import venv
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

PEERS_DIR = Path(__file__).resolve().parent / ".peers"

#: PyPI distribution name -> module imported to use it.
PEER_PACKAGES: dict[str, str] = {"greenswitch": "greenswitch", "genesis": "genesis"}

INSTALL_TIMEOUT = 600.0  # seconds


@dataclass(slots=True)
class Peers:
    """The imported peer libraries; a missing one is ``None`` with its reason in ``missing``."""

    greenswitch: ModuleType | None = None
    genesis: ModuleType | None = None
    missing: dict[str, str] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)


def _venv_python(root: Path) -> Path:
    return root / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def _site_packages(python: Path) -> Path:
    out = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return Path(out.stdout.strip())


def ensure_venv(root: Path = PEERS_DIR, packages: tuple[str, ...] = tuple(PEER_PACKAGES)) -> Path:
    """Create ``root`` as a venv with ``packages`` installed (once); return its site-packages.

    Raises ``RuntimeError`` with pip's output when the install fails (no network, say).
    """
    python = _venv_python(root)
    marker = root / ".installed"
    wanted = " ".join(sorted(packages))
    if not python.exists():
        venv.EnvBuilder(with_pip=True, clear=True).create(root)
    if not marker.exists() or marker.read_text() != wanted:
        result = subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                *packages,
            ],
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT,
        )
        if result.returncode != 0:
            tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
            raise RuntimeError("pip install failed: " + " | ".join(tail))
        marker.write_text(wanted)
    return _site_packages(python)


def _version(site: Path, dist: str) -> str:
    for meta in site.glob(f"{dist}-*.dist-info"):
        return meta.name[len(dist) + 1 : -len(".dist-info")]
    return "?"


def load_peers(root: Path = PEERS_DIR) -> Peers:
    """Install (first run) and import every peer; never raises, reports what is missing."""
    peers = Peers()
    try:
        site = ensure_venv(root)
    except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
        for dist in PEER_PACKAGES:
            peers.missing[dist] = f"cannot install into {root}: {exc}"
        return peers
    if str(site) not in sys.path:
        sys.path.append(str(site))  # appended: eslkit's own environment keeps precedence
    own = sysconfig.get_paths()["purelib"]
    for dist, module_name in PEER_PACKAGES.items():
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:  # any import-time failure just makes the peer missing
            peers.missing[dist] = f"import failed: {type(exc).__name__}: {exc}"
            continue
        setattr(peers, dist, module)
        peers.versions[dist] = _version(site, dist)
        if module.__file__ and module.__file__.startswith(own):
            peers.versions[dist] += " (from eslkit's venv!)"
    return peers


if __name__ == "__main__":
    loaded = load_peers()
    for name in PEER_PACKAGES:
        if getattr(loaded, name) is None:
            print(f"{name}: missing ({loaded.missing[name]})")
        else:
            print(f"{name} {loaded.versions[name]}: {getattr(loaded, name).__file__}")
