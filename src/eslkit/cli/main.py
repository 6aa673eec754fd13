"""The ``eslkit`` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from eslkit import __version__


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``eslkit`` command and its subcommands."""
    parser = argparse.ArgumentParser(
        prog="eslkit",
        description="FreeSWITCH's event socket in Python: server, simulated switch and client.",
    )
    parser.add_argument("--version", action="version", version=f"eslkit {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    from eslkit.cli import serve

    serve.add_parser(subparsers)
    from eslkit.cli import console

    console.add_parser(subparsers)
    from eslkit.cli import bridge

    bridge.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``eslkit`` command; returns the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
