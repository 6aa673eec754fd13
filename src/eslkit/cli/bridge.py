"""``eslkit bridge``: FreeSWITCH events and commands on NATS JetStream (docs/bridge.md)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

log = logging.getLogger("eslkit.bridge")

_DURATIONS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """``90``, ``90s``, ``15m``, ``24h``, ``7d`` -> seconds (0 = unlimited)."""
    text = text.strip().lower()
    unit = text[-1:] if text[-1:] in _DURATIONS else "s"
    number = text[:-1] if text[-1:] in _DURATIONS else text
    try:
        value = float(number)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a duration: {text!r} (e.g. 90s, 15m, 24h, 7d)"
        ) from None
    if value < 0:
        raise argparse.ArgumentTypeError("a duration cannot be negative")
    return value * _DURATIONS[unit]


_SIZES = {"k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


def parse_size(text: str) -> int:
    """``-1`` (unlimited), ``500000``, ``512m``, ``10g`` -> bytes."""
    text = text.strip().lower().removesuffix("b")
    if text == "-1":
        return -1
    unit = text[-1:] if text[-1:] in _SIZES else ""
    number = text[:-1] if unit else text
    try:
        value = int(float(number) * (_SIZES[unit] if unit else 1))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 512m, 10g, -1)") from None
    return value


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``bridge`` subcommand."""
    parser = subparsers.add_parser(
        "bridge",
        help="put the events and commands of FreeSWITCH switches on NATS JetStream",
        description=(
            "Connect to each switch's event socket as a client and publish its events to a "
            "JetStream stream (subjects esl.<switch>.<event-name>[.<subclass>]), and serve "
            "api/bgapi/sendmsg requests on eslcmd.<switch>.api|bgapi|sendmsg. "
            "Needs: pip install 'eslkit[nats]'."
        ),
    )
    parser.add_argument(
        "--switch",
        action="append",
        required=True,
        metavar="[NAME=]HOST:PORT",
        help="a switch's event socket (repeatable); NAME is its subject token (default: the host)",
    )
    parser.add_argument(
        "--password", default="ClueCon", help="event socket password (default ClueCon)"
    )
    parser.add_argument("--user", help="userauth user (user@domain) instead of auth")
    parser.add_argument(
        "--nats",
        action="append",
        metavar="URL",
        help="NATS server URL (repeatable for a cluster; default nats://127.0.0.1:4222)",
    )
    parser.add_argument("--stream", default="ESL", help="JetStream stream name (default ESL)")
    parser.add_argument(
        "--events",
        default="ALL",
        help="events to bridge: names, shell patterns (CHANNEL_*), 'CUSTOM sub::class ...' "
        "(default ALL)",
    )
    parser.add_argument(
        "--max-age",
        type=parse_duration,
        default=0.0,
        help="stream retention age (e.g. 24h; default unlimited)",
    )
    parser.add_argument(
        "--max-bytes",
        type=parse_size,
        default=-1,
        help="stream size limit (e.g. 10g; default unlimited)",
    )
    parser.add_argument(
        "--replicas", type=int, default=1, help="stream replicas (1, 3 or 5; default 1)"
    )
    parser.add_argument(
        "--duplicate-window",
        type=parse_duration,
        default=120.0,
        help="JetStream deduplication window (default 2m)",
    )
    parser.add_argument(
        "--no-create-stream", action="store_true", help="fail if the stream does not exist"
    )
    parser.add_argument(
        "--max-inflight",
        type=int,
        default=4096,
        help="unacknowledged publishes per switch (default 4096)",
    )
    parser.add_argument(
        "--allow-api",
        action="append",
        default=[],
        metavar="COMMAND",
        help="also allow this API command over NATS (repeatable; '*' allows all). "
        "Default: read-only commands only",
    )
    parser.add_argument("--allow-sendmsg", action="store_true", help="serve sendmsg requests")
    parser.add_argument(
        "--status-interval",
        type=parse_duration,
        default=10.0,
        help="log the bridge's counters and lag this often (default 10s)",
    )
    parser.add_argument("--log-level", default="INFO", help="logging level (default INFO)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the bridge until SIGINT/SIGTERM."""
    logging.basicConfig(
        level=getattr(logging, str(args.log_level).upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        from eslkit.bridge import DEFAULT_ALLOWED_API, Bridge, BridgeOptions, SwitchTarget
    except ImportError as exc:
        print(f"eslkit bridge: {exc}", file=sys.stderr)
        return 2
    try:
        switches = [SwitchTarget.parse(text, args.password, args.user) for text in args.switch]
        allowed = set(DEFAULT_ALLOWED_API) | {a for a in args.allow_api if a != "*"}
        options = BridgeOptions(
            switches=switches,
            nats_servers=args.nats or ["nats://127.0.0.1:4222"],
            stream=args.stream,
            events=args.events,
            max_age=args.max_age,
            max_bytes=args.max_bytes,
            replicas=args.replicas,
            duplicate_window=args.duplicate_window,
            create_stream=not args.no_create_stream,
            max_inflight=args.max_inflight,
            allowed_api=frozenset(allowed),
            allow_all_api="*" in args.allow_api,
            allow_sendmsg=args.allow_sendmsg,
            status_interval=args.status_interval or 10.0,
        )
        bridge = Bridge(options)
        from eslkit.bridge.service import expand_events

        expand_events(options.events)
    except ValueError as exc:
        print(f"eslkit bridge: {exc}", file=sys.stderr)
        return 2

    async def main() -> None:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, task.cancel)
        await bridge.connect()
        log.info(
            "bridging %s to %s stream %s",
            ", ".join(f"{s.name}={s.host}:{s.port}" for s in switches),
            ",".join(options.nats_servers),
            options.stream,
        )
        await bridge.run()

    try:
        asyncio.run(main())
    except asyncio.CancelledError:
        pass
    except KeyboardInterrupt:
        pass
    except RuntimeError as exc:
        print(f"eslkit bridge: {exc}", file=sys.stderr)
        return 1
    return 0
