"""``eslkit serve``: the event socket server with the simulated switch behind it."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import signal
import sys
from pathlib import Path

from eslkit.bootstrap import ServeOptions, start
from eslkit.fsconfig.parser import ConfigError
from eslkit.server.socket_server import (
    DEFAULT_EVENT_POLL_MS,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_PER_ADDRESS,
    MAX_EVENT_POLL_MS,
    BindError,
    ServerOptions,
)

#: The cyclic GC's thresholds while serving. Every event makes a handful of short-lived
#: containers (none of them in cycles), so CPython's default of a young collection every 700
#: allocations spends ~20% of a busy server in the collector; 50,000 keeps that under 3%
#: and bounds uncollected cyclic garbage to a few MB. (Only the ``serve`` process sets
#: this: the library never touches global GC settings.)
GC_THRESHOLDS = (50_000, 20, 20)

log = logging.getLogger("eslkit.serve")

OUTBOUND_HELP = """\
outbound mode (the switch connects to your application, one call per connection):
  1. a dialplan file with a socket action, e.g. outbound.xml:
       <extension name="to_my_app">
         <condition field="destination_number" expression="^5000$">
           <action application="socket" data="127.0.0.1:8084 async full"/>
         </condition>
       </extension>
     eslkit serve --dialplan outbound.xml
     then: api originate loopback/5000/default &park
  2. or no file: the built-in dialplan routes sock_PORT (async full), socksync_PORT
     (full) and sockbare_PORT (async) to a socket on 127.0.0.1:PORT:
       api originate loopback/sock_8084/default &park
  3. or the application itself, quoted so that it stays one argument:
       api originate loopback/9196/default '&socket(127.0.0.1:8084 async full)'
     Without the quotes originate splits on spaces, as FreeSWITCH does, and runs
     socket(127.0.0.1:8084 (a synchronous, single-channel socket) with "async" and
     "full" taken as the dialplan and context.
See docs/usage.md, "Outbound mode with eslkit serve alone".
"""


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``serve`` subcommand."""
    parser = subparsers.add_parser(
        "serve",
        help="run the event socket server with the simulated switch",
        description=(
            "Listen like FreeSWITCH's mod_event_socket (default 127.0.0.1:8021, password "
            "ClueCon) with eslkit's simulated switch behind it. The dialplan is the built-in "
            "one, or the one of --conf-dir, with --dialplan files hunted first; every context "
            "and its extension count is logged at start."
        ),
        epilog=OUTBOUND_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--listen-ip", help="address to bind (default 127.0.0.1; '::' = dual stack)")
    parser.add_argument("--listen-port", type=int, help="port to bind (default 8021)")
    parser.add_argument("--password", help="password for 'auth' (default ClueCon)")
    parser.add_argument(
        "--apply-inbound-acl",
        action="append",
        default=[],
        metavar="ACL",
        help="ACL list name or CIDR a client must match (repeatable; all must match)",
    )
    parser.add_argument(
        "--conf-dir",
        type=Path,
        help=(
            "a FreeSWITCH configuration directory, read as FreeSWITCH reads it: freeswitch.xml "
            "(or a bare directory of autoload_configs/, directory/*.xml, dialplan/*.xml), "
            "vars.xml, event_socket.conf, acl.conf, the user directory and the dialplan"
        ),
    )
    parser.add_argument(
        "--dialplan",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        help=(
            "an XML file of <context name=...> or bare <extension> elements (these go to "
            "context default); its extensions are hunted before the others (repeatable)"
        ),
    )
    parser.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        help="run every switch timer this many times faster (default 1)",
    )
    parser.add_argument(
        "--heartbeat-interval",
        type=int,
        default=20,
        metavar="SECONDS",
        help="HEARTBEAT interval (FreeSWITCH's event-heartbeat-interval; default 20)",
    )
    parser.add_argument(
        "--event-poll-ms",
        type=_poll_ms,
        default=DEFAULT_EVENT_POLL_MS,
        metavar="MS",
        help=(
            "how long an idle connection polls before it gets the events queued meanwhile, "
            "as FreeSWITCH's listener (default 20: up to 20 ms per event; 0 = at once)"
        ),
    )
    parser.add_argument(
        "--max-connections",
        type=int,
        default=DEFAULT_MAX_CONNECTIONS,
        metavar="N",
        help=f"inbound connections open at once; more are rudely rejected (default {DEFAULT_MAX_CONNECTIONS})",
    )
    parser.add_argument(
        "--max-connections-per-address",
        type=int,
        default=DEFAULT_MAX_PER_ADDRESS,
        metavar="N",
        help=f"inbound connections from one address (default {DEFAULT_MAX_PER_ADDRESS})",
    )
    parser.add_argument(
        "--strict-userauth",
        action="store_true",
        help=(
            "make userauth allow-lists a boundary: also check sendevent, filter on event "
            "names, console_execute ;; chains and API calls nested in expansions "
            "(FreeSWITCH does not; see docs/security.md)"
        ),
    )
    parser.add_argument("--log-level", default="INFO", help="eslkit's own log level (default INFO)")
    parser.add_argument(
        "--uvloop", action="store_true", help="run on uvloop (pip install uvloop)"
    )
    parser.set_defaults(func=run)


def _poll_ms(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= value <= MAX_EVENT_POLL_MS:
        raise argparse.ArgumentTypeError(f"must be between 0 and {MAX_EVENT_POLL_MS:g}")
    return value


def run(args: argparse.Namespace) -> int:
    """Entry point of ``eslkit serve``."""
    logging.basicConfig(
        level=getattr(logging, str(args.log_level).upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.uvloop:
        try:
            import uvloop  # type: ignore[import-not-found,unused-ignore]
        except ImportError:
            print("eslkit serve: --uvloop needs uvloop (pip install uvloop)", file=sys.stderr)
            return 2
        uvloop.install()
    try:
        return asyncio.run(_serve(args))
    except KeyboardInterrupt:
        return 0


async def _serve(args: argparse.Namespace) -> int:
    from eslkit.switch.core import SwitchConfig

    options = ServeOptions(
        conf_dir=args.conf_dir,
        dialplan_files=list(args.dialplan),
        listen_ip=args.listen_ip,
        listen_port=args.listen_port,
        password=args.password,
        apply_inbound_acl=list(args.apply_inbound_acl),
        switch=SwitchConfig(
            time_scale=args.time_scale, heartbeat_interval=args.heartbeat_interval
        ),
        server=ServerOptions(
            event_poll_ms=args.event_poll_ms,
            max_connections=args.max_connections,
            max_connections_per_address=args.max_connections_per_address,
            strict_userauth=args.strict_userauth,
        ),
    )
    try:
        running = await start(options)
    except ConfigError as exc:
        print(f"eslkit serve: configuration error: {exc}", file=sys.stderr)
        return 2
    except BindError as exc:
        print(f"eslkit serve: {exc}", file=sys.stderr)
        return 1
    # Everything built so far lives as long as the server: keep it out of the cyclic GC's
    # generations so collections stay short under load.
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, stop.set)
        except (NotImplementedError, RuntimeError):  # pragma: no cover - non-Unix
            pass
    server = running.server
    print(
        f"eslkit: event socket listening on {server.host}:{server.port} "
        f"(simulated switch {running.switch.config.switchname})",
        file=sys.stderr,
        flush=True,
    )
    await stop.wait()
    log.info("shutting down")
    await running.stop()
    return 0
