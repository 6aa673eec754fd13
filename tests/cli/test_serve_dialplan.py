"""``eslkit serve`` runs the user's own dialplan: ``--conf-dir`` on FreeSWITCH's configuration
(the reference build's own directory, with extensions added where the vanilla layout includes
them) and ``--dialplan FILE``; and outbound mode with ``serve`` alone. Real processes, real
sockets."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from eslkit.protocol.frames import FrameReader
from eslkit.protocol.urlcode import url_decode
from tests.conformance.harness import CONFORMANCE_DIR
from tests.esl_wire import RawConnection
from tests.server_support import finish, free_port, serve, stop, wait_listening

ORACLE_CONF = CONFORMANCE_DIR / "oracle-conf"


def _extension(number: str, port: int, marker: str) -> str:
    return (
        f'<extension name="mine_{number}">\n'
        f'  <condition field="destination_number" expression="^{number}$">\n'
        f'    <action application="set" data="mine={marker}"/>\n'
        '    <action application="answer"/>\n'
        f'    <action application="socket" data="127.0.0.1:{port} async full"/>\n'
        "  </condition>\n"
        "</extension>\n"
    )


class Outbound:
    """A bare outbound-socket application: accepts the switch's connections and answers each
    with ``connect``, keeping the CHANNEL_DATA headers it got back."""

    def __init__(self) -> None:
        self.port = free_port()
        self.connected: asyncio.Queue[dict[str, str]] = asyncio.Queue()
        self.writers: list[asyncio.StreamWriter] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.append(writer)
        writer.write(b"connect\n\n")
        await writer.drain()
        frame = await RawConnection(reader, writer, FrameReader()).frame(10)
        await self.connected.put({name: url_decode(value) for name, value in frame.headers})

    async def next(self) -> dict[str, str]:
        return await asyncio.wait_for(self.connected.get(), 15)


@asynccontextmanager
async def outbound_app() -> AsyncIterator[Outbound]:
    app = Outbound()
    server = await asyncio.start_server(app.handle, "127.0.0.1", app.port)
    try:
        yield app
    finally:
        for writer in app.writers:
            writer.close()
        server.close()
        await server.wait_closed()


@asynccontextmanager
async def serving(*args: str) -> AsyncIterator[tuple[RawConnection, list[str]]]:
    """``eslkit serve ARGS`` on a free port, logged in; yields the connection and, once the
    block ends and the server stopped, its stderr lines (the list fills at exit)."""
    port = free_port()
    proc = serve("--listen-port", str(port), *args)
    lines: list[str] = []
    try:
        await asyncio.to_thread(wait_listening, port, proc)
        conn = await RawConnection.open("127.0.0.1", port)
        await conn.login()
        yield conn, lines
        await conn.close()
    finally:
        code, err = await asyncio.to_thread(stop, proc)
        lines.extend(err.splitlines())
    assert code == 0, err


async def _originate_to(
    conn: RawConnection, app: Outbound, dial: str, *, answered: bool = True
) -> dict[str, str]:
    """Originate ``dial`` (blocking api, in its own task) and return the CHANNEL_DATA the
    outbound application got once the call reached the socket action; with ``answered`` the
    originate must succeed (without, the call is hung up)."""
    reply = asyncio.create_task(conn.api(f"originate {dial}", timeout=20))
    data = await app.next()
    if answered:
        assert (await reply).startswith("+OK "), await reply
    else:
        await conn.writer.drain()
        reply.cancel()
    return data


async def test_conf_dir_runs_the_oracle_configuration_with_added_extensions(
    tmp_path: Path,
) -> None:
    conf = tmp_path / "freeswitch"
    shutil.copytree(ORACLE_CONF, conf)
    async with outbound_app() as app:
        # Where the vanilla layout includes files: dialplan/public.xml includes public/*.xml
        # inside its context; freeswitch.xml includes dialplan/*.xml (a context of our own).
        (conf / "dialplan" / "public" / "50_mine.xml").write_text(
            "<include>\n" + _extension("4242", app.port, "public") + "</include>\n"
        )
        (conf / "dialplan" / "mine.xml").write_text(
            '<include>\n<context name="mine">\n'
            + _extension("77$${default_areacode}", app.port, "$${domain}")
            + "</context>\n</include>\n"
        )
        async with serving("--conf-dir", str(conf)) as (conn, log):
            data = await _originate_to(conn, app, "loopback/4242/public &park")
            assert data["Caller-Destination-Number"] == "4242"
            assert data["Caller-Context"] == "public"
            assert data["variable_mine"] == "public"
            assert data["variable_outside_call"] == "true"  # public.xml's own extension ran
            # $${var} from vars.xml, substituted at load time as FreeSWITCH's pre-processor does
            data = await _originate_to(conn, app, "loopback/77918/mine &park")
            assert data["variable_mine"] == "127.0.0.1"
            assert (await conn.api("global_getvar default_password")) == "1234"
            # The oracle's own extensions are there too (echo on 9196), the catch-all last.
            assert (await conn.api("originate loopback/9196/default &park")).startswith("+OK ")
            assert (await conn.api("originate loopback/123/default &park")) == (
                "-ERR UNALLOCATED_NUMBER\n"
            )
            await conn.api("hupall")
    text = "\n".join(log)
    assert "dialplan: context 'public': 7 extensions" in text
    assert "dialplan: context 'mine': 1 extension (" in text
    assert "dialplan: context 'default': 25 extensions" in text
    # Applications eslkit does not simulate are start-time warnings, not failures.
    assert "unknown application 'deflect'" in text and "public.xml:" in text


async def test_bare_conf_dir_with_only_a_dialplan_folder(tmp_path: Path) -> None:
    (tmp_path / "dialplan").mkdir()
    async with outbound_app() as app:
        (tmp_path / "dialplan" / "10_mine.xml").write_text(
            '<include>\n  <context name="default">\n'
            + _extension("4242", app.port, "bare")
            + "  </context>\n</include>\n"
        )
        async with serving("--conf-dir", str(tmp_path)) as (conn, log):
            data = await _originate_to(conn, app, "loopback/4242/default &park")
            assert data["variable_mine"] == "bare"
            # Only that dialplan: the built-in extensions are gone.
            assert (await conn.api("originate loopback/9196/default &park")) == (
                "-ERR NO_ROUTE_DESTINATION\n"
            )
            await conn.api("hupall")
    assert any("context 'default': 1 extension (" in line for line in log)


async def test_dialplan_file_of_bare_extensions_goes_first_in_default(tmp_path: Path) -> None:
    async with outbound_app() as app:
        extensions = tmp_path / "mine.xml"
        extensions.write_text("<include>\n" + _extension("9196", app.port, "file") + "</include>\n")
        contexts = tmp_path / "more.xml"
        contexts.write_text(
            '<context name="other">\n' + _extension("1", app.port, "other") + "</context>\n"
        )
        async with serving("--dialplan", str(extensions), "--dialplan", str(contexts)) as (
            conn,
            log,
        ):
            # 9196 is the built-in echo; the file's extension is hunted before it.
            data = await _originate_to(conn, app, "loopback/9196/default &park")
            assert data["variable_mine"] == "file"
            data = await _originate_to(conn, app, "loopback/1/other &park")
            assert data["variable_mine"] == "other"
            # The rest of the built-in dialplan still answers.
            assert (await conn.api("originate loopback/9197/default &park")).startswith("+OK ")
            await conn.api("hupall")
    text = "\n".join(log)
    assert "context 'default': 26 extensions" in text
    assert "context 'other': 1 extension" in text


def test_malformed_dialplan_file_stops_serve_with_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text(
        '<context name="x">\n  <extension name="a">\n    <condition>\n  </extension>\n</context>\n'
    )
    code, err = finish(serve("--listen-port", str(free_port()), "--dialplan", str(bad)))
    assert code == 2
    assert f"{bad}:4: malformed XML: mismatched tag" in err


def test_malformed_conf_dir_dialplan_stops_serve_with_file_and_line(tmp_path: Path) -> None:
    conf = tmp_path / "freeswitch"
    shutil.copytree(ORACLE_CONF, conf)
    nested = conf / "dialplan" / "public" / "50_broken.xml"
    nested.write_text('<include>\n<extension name="b">\n<condition\n</extension>\n</include>\n')
    code, err = finish(serve("--listen-port", str(free_port()), "--conf-dir", str(conf)))
    assert code == 2
    assert f"{nested}:4:" in err and "configuration error" in err


def test_missing_dialplan_file_stops_serve(tmp_path: Path) -> None:
    code, err = finish(
        serve("--listen-port", str(free_port()), "--dialplan", str(tmp_path / "nope.xml"))
    )
    assert code == 2
    assert "nope.xml: dialplan file not found" in err


async def test_unknown_application_is_a_start_warning_not_a_crash(tmp_path: Path) -> None:
    async with outbound_app() as app:
        plan = tmp_path / "plan.xml"
        plan.write_text(
            "<include>\n"
            '<extension name="odd">\n'
            '  <condition field="destination_number" expression="^555$">\n'
            '    <action application="no_such_app" data="x"/>\n'
            "  </condition>\n</extension>\n" + _extension("556", app.port, "fine") + "</include>\n"
        )
        async with serving("--dialplan", str(plan)) as (conn, log):
            data = await _originate_to(conn, app, "loopback/556/default &park")
            assert data["variable_mine"] == "fine"
            # When a call reaches it, the channel hangs up as FreeSWITCH's does (recorded:
            # recorded/coverage/cov_invalid_application).
            assert (await conn.api("originate loopback/555/default &park")) == (
                "-ERR DESTINATION_OUT_OF_ORDER\n"
            )
            await conn.api("hupall")
    assert any(f"{plan}:4: unknown application 'no_such_app'" in line for line in log)


async def test_outbound_with_serve_alone_quotes_keep_socket_arguments_together() -> None:
    """docs/usage.md: ``'&socket(127.0.0.1:PORT async full)'`` in quotes gives an async, full
    socket; without the quotes originate splits at spaces and the socket is static and
    single-channel. The built-in ``sock_PORT`` extension gives async full too."""
    async with outbound_app() as app, serving() as (conn, _):
        data = await _originate_to(
            conn, app, f"loopback/9196/default '&socket(127.0.0.1:{app.port} async full)'"
        )
        assert (data["Socket-Mode"], data["Control"]) == ("async", "full")
        data = await _originate_to(
            conn, app, f"loopback/9196/default &socket(127.0.0.1:{app.port} async full)"
        )
        assert (data["Socket-Mode"], data["Control"]) == ("static", "single-channel")
        await conn.api("hupall")
    # The built-in extension runs socket on the loopback's far leg, which nobody answers: the
    # originate waits, so it goes on a connection of its own.
    async with outbound_app() as app, serving() as (conn, _):
        data = await _originate_to(
            conn, app, f"loopback/sock_{app.port}/default &park", answered=False
        )
        assert (data["Socket-Mode"], data["Control"]) == ("async", "full")
        assert data["Caller-Destination-Number"] == f"sock_{app.port}"


async def test_reloadxml_reads_the_dialplan_again(tmp_path: Path) -> None:
    """``reloadxml`` re-reads --conf-dir's dialplan and the --dialplan files; a broken file
    leaves the dialplan in use (and fires no RELOADXML), as FreeSWITCH keeps its XML."""
    (tmp_path / "dialplan").mkdir()
    plan = tmp_path / "dialplan" / "mine.xml"
    plan.write_text('<context name="default"></context>\n')
    extra = tmp_path / "extra.xml"
    extra.write_text("<include/>\n")
    async with outbound_app() as app:
        async with serving("--conf-dir", str(tmp_path), "--dialplan", str(extra)) as (conn, log):
            assert await conn.api("originate loopback/4242/default &park") == (
                "-ERR NO_ROUTE_DESTINATION\n"
            )
            plan.write_text(
                '<context name="default">\n' + _extension("4242", app.port, "v2") + "</context>\n"
            )
            extra.write_text(_extension("4343", app.port, "extra"))
            await conn.reply("event plain RELOADXML")
            assert await conn.api("reloadxml") == "+OK [Success]\n"
            assert (await conn.event()).get("Event-Name") == "RELOADXML"
            data = await _originate_to(conn, app, "loopback/4242/default &park")
            assert data["variable_mine"] == "v2"
            data = await _originate_to(conn, app, "loopback/4343/default &park")
            assert data["variable_mine"] == "extra"
            plan.write_text('<context name="default">\n<extension name="x">\n</context>\n')
            await conn.send("api reloadxml\n\n")
            reply = await conn.frame()
            assert reply.content_type == "api/response"
            assert (
                (reply.body or b"")
                .decode()
                .startswith(f"+OK [{plan}:3: malformed XML: mismatched tag")
            )
            with pytest.raises(TimeoutError):  # no RELOADXML event
                await conn.frame(timeout=0.5)
            data = await _originate_to(conn, app, "loopback/4242/default &park")
            assert data["variable_mine"] == "v2"
            await conn.api("hupall")
    assert any("reloadxml:" in line and "the dialplan in use stays" in line for line in log)
