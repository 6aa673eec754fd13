"""``eslkit serve`` as a user runs it: a real process, real signals, real config files."""

from __future__ import annotations

import asyncio
import signal
import socket
from pathlib import Path

from eslkit.protocol import builders
from tests.esl_wire import RawConnection, connect
from tests.server_support import finish, free_port, serve, stop, wait_listening

SHUTDOWN = builders.SHUTTING_DOWN.encode()


async def test_serve_answers_and_sigterm_sends_the_shutdown_notice() -> None:
    port = free_port()
    proc = serve("--listen-port", str(port), "--password", "s3cret")
    signalled = False
    try:
        await asyncio.to_thread(wait_listening, port, proc)
        conn = await RawConnection.open("127.0.0.1", port)
        await conn.login("s3cret")
        assert await conn.api("echo hello") == "hello"
        # fs_cli's form: the whole line through the console executor.
        await conn.send("api echo a;;echo b\nconsole_execute: true\n\n")
        assert (await conn.frame()).body == b"ab"
        proc.send_signal(signal.SIGTERM)
        signalled = True
        frames = await conn.closed(timeout=20)
        assert frames[-1].body == SHUTDOWN
    finally:
        # Once signalled, the server exits by itself: a second SIGTERM while the
        # interpreter winds down (its handlers gone with the loop) would kill it.
        code, err = await asyncio.to_thread(finish if signalled else stop, proc)
    assert code == 0
    assert f"listening on 127.0.0.1:{port}" in err


async def test_sigint_also_stops_cleanly() -> None:
    port = free_port()
    proc = serve("--listen-port", str(port))
    await asyncio.to_thread(wait_listening, port, proc)
    conn = await connect("127.0.0.1", port)
    proc.send_signal(signal.SIGINT)
    frames = await conn.closed(timeout=20)
    assert frames[-1].body == SHUTDOWN
    code, _ = await asyncio.to_thread(stop, proc)
    assert code == 0


def test_bind_failure_exits_non_zero_with_a_message() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        proc = serve("--listen-port", str(port))
        code, err = finish(proc)
    assert code != 0
    assert f"Could not listen on 127.0.0.1:{port}" in err


def test_broken_config_names_file_and_line(tmp_path: Path) -> None:
    conf = tmp_path / "autoload_configs"
    conf.mkdir()
    (conf / "event_socket.conf.xml").write_text(
        '<configuration name="event_socket.conf">\n  <settings>\n'
        '    <param name="listen-port" value="8021"\n  </settings>\n</configuration>\n'
    )
    proc = serve("--conf-dir", str(tmp_path))
    code, err = finish(proc)
    assert code != 0
    assert "event_socket.conf.xml:" in err
    assert "configuration error" in err


async def test_conf_dir_sets_port_password_and_acl(tmp_path: Path) -> None:
    port = free_port()
    conf = tmp_path / "autoload_configs"
    conf.mkdir()
    (conf / "event_socket.conf.xml").write_text(
        '<configuration name="event_socket.conf" description="Socket Client">\n'
        "  <settings>\n"
        '    <param name="nat-map" value="false"/>\n'
        '    <param name="listen-ip" value="127.0.0.1"/>\n'
        f'    <param name="listen-port" value="{port}"/>\n'
        '    <param name="password" value="fromfile"/>\n'
        '    <param name="apply-inbound-acl" value="lan"/>\n'
        "  </settings>\n</configuration>\n"
    )
    (conf / "acl.conf.xml").write_text(
        '<configuration name="acl.conf" description="Network Lists">\n'
        "  <network-lists>\n"
        '    <list name="lan" default="deny">\n'
        '      <node type="allow" cidr="127.0.0.0/8"/>\n'
        "    </list>\n"
        "  </network-lists>\n</configuration>\n"
    )
    proc = serve("--conf-dir", str(tmp_path))
    try:
        await asyncio.to_thread(wait_listening, port, proc)
        conn = await RawConnection.open("127.0.0.1", port)
        await conn.login("fromfile")
        assert await conn.api("echo from the file") == "from the file"
    finally:
        code, _ = await asyncio.to_thread(stop, proc)
    assert code == 0


async def test_heartbeat_interval_flag() -> None:
    port = free_port()
    proc = serve("--listen-port", str(port), "--heartbeat-interval", "1")
    try:
        await asyncio.to_thread(wait_listening, port, proc)
        conn = await connect("127.0.0.1", port)
        assert await conn.reply("event plain HEARTBEAT") == "+OK event listener enabled plain"
        first = await conn.event(timeout=10)
        second = await conn.event(timeout=10)
        assert first.get("Event-Name") == second.get("Event-Name") == "HEARTBEAT"
        assert first.get("Event-Info") == "System Ready"
    finally:
        code, _ = await asyncio.to_thread(stop, proc)
    assert code == 0
