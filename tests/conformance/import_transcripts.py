"""Bring recorded FreeSWITCH transcripts into the repository (``tests/conformance/data/``).

The transcripts are recorded facts (the bytes FreeSWITCH sent), so the tests read them from
the repository and never from outside it. When new recordings arrive in the shared folder,
one command copies them in::

    .venv/bin/python tests/conformance/import_transcripts.py                 # ../shared/conformance
    .venv/bin/python tests/conformance/import_transcripts.py /path/to/conformance
    .venv/bin/python tests/conformance/import_transcripts.py --check         # exit 1 if out of date
    .venv/bin/python tests/conformance/import_transcripts.py --oracle-conf   # + /opt/fsref's config

Every file of the source tree (``index.json``, ``cases*/``, ``events/``, the dialplans and
README) is copied to the same relative path under ``data/``; files that exist only in
``data/`` are kept and listed. ``--oracle-conf [DIR]`` also copies the reference
FreeSWITCH's configuration directory (default ``/opt/fsref/fs/etc/freeswitch``) to
``data/oracle-conf/``, minus its ``tls/`` folder (generated keys, not configuration), so that
tests can serve it with ``eslkit serve --conf-dir``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA_DIR = HERE / "data"
REPO = HERE.parents[1]
DEFAULT_ORACLE_CONF = Path("/opt/fsref/fs/etc/freeswitch")
ORACLE_CONF_NAME = "oracle-conf"
#: Never copied from a source tree: caches, editor droppings, and private keys.
SKIP_DIRS = frozenset({"__pycache__", ".git", "tls"})
SKIP_SUFFIXES = (".pyc", ".swp", "~")


def default_source() -> Path:
    """``../shared/conformance`` beside the clone (the project's own machines have it); from a
    git worktree, beside the main clone."""
    candidates = [REPO.parent / "shared" / "conformance"]
    try:
        common = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--path-format=absolute", "--git-common-dir"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        common = ""
    if common:
        candidates.append(Path(common).parent.parent / "shared" / "conformance")
    for candidate in candidates:
        if (candidate / "index.json").is_file():
            return candidate
    return candidates[0]


def _files(root: Path) -> Iterator[Path]:
    """Every regular file under ``root``, relative to it, in a stable order."""
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part in SKIP_DIRS for part in relative.parts[:-1]):
            continue
        if path.is_file() and not path.name.endswith(SKIP_SUFFIXES):
            yield relative


def sync_tree(
    source: Path, dest: Path, *, check: bool = False, exclude: str = ""
) -> dict[str, list[str]]:
    """Copy every file of ``source`` to ``dest`` (same relative paths).

    Returns the relative paths per outcome: ``new``, ``changed``, ``same`` and ``only_dest``
    (files in ``dest`` that ``source`` lacks; left alone). ``exclude`` names a top-level folder
    of ``dest`` that is not compared (the oracle configuration inside ``data/``). With
    ``check``, nothing is written.
    """
    report: dict[str, list[str]] = {"new": [], "changed": [], "same": [], "only_dest": []}
    seen: set[Path] = set()
    for relative in _files(source):
        seen.add(relative)
        target = dest / relative
        data = (source / relative).read_bytes()
        if not target.is_file():
            outcome = "new"
        elif target.read_bytes() != data:
            outcome = "changed"
        else:
            report["same"].append(str(relative))
            continue
        report[outcome].append(str(relative))
        if not check:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            shutil.copymode(source / relative, target)
    if dest.is_dir():
        for relative in _files(dest):
            if relative in seen or (exclude and relative.parts[0] == exclude):
                continue
            report["only_dest"].append(str(relative))
    return report


def _print(label: str, report: dict[str, list[str]], *, check: bool) -> None:
    verb = "would copy" if check else "copied"
    print(
        f"{label}: {len(report['new'])} new, {len(report['changed'])} changed "
        f"({verb}), {len(report['same'])} unchanged, {len(report['only_dest'])} only in the "
        "repository (kept)"
    )
    for outcome in ("new", "changed"):
        for name in report[outcome]:
            print(f"  {outcome}: {name}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Copy FreeSWITCH transcripts into tests/conformance/data/.",
    )
    parser.add_argument(
        "source",
        nargs="?",
        type=Path,
        help="the recorded transcripts (default: ../shared/conformance beside the clone)",
    )
    parser.add_argument(
        "--dest", type=Path, default=DATA_DIR, help=f"where they go (default {DATA_DIR})"
    )
    parser.add_argument(
        "--oracle-conf",
        nargs="?",
        type=Path,
        const=DEFAULT_ORACLE_CONF,
        metavar="DIR",
        help=(
            "also copy the reference FreeSWITCH's configuration directory to "
            f"DEST/{ORACLE_CONF_NAME}/ (default DIR {DEFAULT_ORACLE_CONF})"
        ),
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="copy nothing; exit 1 if a file is new or differs",
    )
    args = parser.parse_args(argv)
    source: Path = args.source if args.source is not None else default_source()
    if not (source / "index.json").is_file():
        print(f"import_transcripts: no index.json in {source}", file=sys.stderr)
        return 2
    report = sync_tree(source, args.dest, check=args.check, exclude=ORACLE_CONF_NAME)
    _print(f"transcripts from {source}", report, check=args.check)
    stale = bool(report["new"] or report["changed"])
    if args.oracle_conf is not None:
        conf: Path = args.oracle_conf
        if not (conf / "freeswitch.xml").is_file():
            print(f"import_transcripts: no freeswitch.xml in {conf}", file=sys.stderr)
            return 2
        conf_report = sync_tree(conf, args.dest / ORACLE_CONF_NAME, check=args.check)
        _print(f"oracle configuration from {conf}", conf_report, check=args.check)
        stale = stale or bool(conf_report["new"] or conf_report["changed"])
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
