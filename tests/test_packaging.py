"""The README's "Installing": ``python -m build`` makes a wheel that carries the package data
(the built-in dialplan and its contexts), installs into a fresh environment with nothing else,
and runs ``eslkit serve`` with the built-in dialplan working."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.esl_wire import RawConnection
from tests.server_support import free_port, stop, wait_listening

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "src" / "eslkit" / "switch" / "data"


def _source_copy(dest: Path) -> Path:
    """What a fresh clone has of the package (the build writes beside its input)."""
    dest.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, dest / name)
    shutil.copytree(
        ROOT / "src",
        dest / "src",
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc"),
    )
    return dest


def _run(*args: str | Path, timeout: float = 300) -> str:
    result = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
    return result.stdout


async def test_built_wheel_installs_alone_and_serves(tmp_path: Path) -> None:
    source = _source_copy(tmp_path / "eslkit")
    dist = tmp_path / "dist"
    await asyncio.to_thread(_run, sys.executable, "-m", "build", "--outdir", dist, source)
    wheels = list(dist.glob("eslkit-*-py3-none-any.whl"))
    assert len(wheels) == 1 and list(dist.glob("eslkit-*.tar.gz"))
    names = set(zipfile.ZipFile(wheels[0]).namelist())
    for path in DATA.rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            assert f"eslkit/switch/data/{path.relative_to(DATA).as_posix()}" in names
    assert "eslkit/py.typed" in names

    venv = tmp_path / "venv"
    await asyncio.to_thread(_run, sys.executable, "-m", "venv", venv)
    # No index needed: the core has no dependencies.
    await asyncio.to_thread(
        _run, venv / "bin" / "python", "-m", "pip", "install", "-q", "--no-index", wheels[0]
    )
    where = await asyncio.to_thread(
        _run, venv / "bin" / "python", "-c", "import eslkit; print(eslkit.__file__)"
    )
    assert Path(where.strip()).is_relative_to(venv)  # the installed copy, not this checkout
    port = free_port()
    proc = subprocess.Popen(
        [str(venv / "bin" / "eslkit"), "serve", "--listen-port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        await asyncio.to_thread(wait_listening, port, proc)
        conn = await RawConnection.open("127.0.0.1", port)
        await conn.login()
        # 9196 (echo) comes from the wheel's default_dialplan.xml.
        assert (await conn.api("originate loopback/9196/default &park")).startswith("+OK ")
        await conn.api("hupall")
        await conn.close()
    finally:
        code, err = await asyncio.to_thread(stop, proc)
    assert code == 0, err
    assert "dialplan: context 'default':" in err
