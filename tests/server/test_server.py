"""The event socket server over a real loopback socket: lifecycle, hostile input, load,
ACL, userauth permissions, delivery rules. Transcript replays live in test_conformance.py."""

from __future__ import annotations

import asyncio

import pytest

from eslkit.fsconfig.directory import EslUser
from eslkit.protocol import builders
from eslkit.server.listener import MAX_MISSED, MAX_QUEUE_LEN
from eslkit.server.socket_server import ServerOptions
from tests.esl_wire import RawConnection, connect
from tests.server_support import EslServer, start_test_server

GOODBYE = builders.GOODBYE.encode()


async def test_greeting_auth_and_exit(esl_server: EslServer) -> None:
    conn = await RawConnection.open(esl_server.host, esl_server.port)
    await conn.login()
    assert await conn.api("echo hello world") == "hello world"
    assert await conn.reply("exit") == "+OK bye"
    frames = await conn.closed()
    assert [f.body for f in frames] == [GOODBYE]


async def test_bad_password_disconnects(esl_server: EslServer) -> None:
    conn = await RawConnection.open(esl_server.host, esl_server.port)
    await conn.frame()
    assert await conn.reply("auth nope") == "-ERR invalid"
    frames = await conn.closed()
    assert frames[-1].content_type == "text/disconnect-notice"


async def test_negative_and_huge_content_length_close_only_that_connection(
    esl_server: EslServer,
) -> None:
    other = await connect(esl_server.host, esl_server.port)
    for length in ("-1", "16777217", "99999999999999999999"):
        conn = await connect(esl_server.host, esl_server.port)
        await conn.send(f"sendevent CUSTOM\nContent-Length: {length}\n\n")
        frames = await conn.closed()
        assert [f.body for f in frames] == [GOODBYE]
    assert await other.api("echo still here") == "still here"


async def test_ten_mebibyte_header_block_is_cut_like_freeswitch(esl_server: EslServer) -> None:
    conn = await connect(esl_server.host, esl_server.port)
    block = b"api echo big\n" + b"X-Filler: " + b"a" * (10 * 1024 * 1024) + b"\n\n"
    await conn.send(block)
    # The first 10 MiB form one packet (api echo big); the rest is a packet of its own.
    first = await conn.frame(30)
    assert first.content_type == "api/response"
    assert first.body == b"big"
    second = await conn.frame(30)
    assert second.get("Reply-Text") == "-ERR command not found"
    assert await conn.api("echo alive") == "alive"


async def test_binary_garbage_gets_errors_and_the_server_survives(esl_server: EslServer) -> None:
    conn = await connect(esl_server.host, esl_server.port)
    await conn.send(bytes(range(1, 256)) * 4 + b"\n\n")
    reply = await conn.frame()
    assert reply.get("Reply-Text") == "-ERR command not found"
    other = await connect(esl_server.host, esl_server.port)
    assert await other.api("echo ok") == "ok"


async def test_thousand_concurrent_connections(esl_server: EslServer) -> None:
    async def one(index: int) -> str:
        conn = await connect(esl_server.host, esl_server.port)
        try:
            return await conn.api(f"echo conn-{index}", timeout=60)
        finally:
            await conn.close()

    results = await asyncio.gather(*(one(i) for i in range(1000)))
    assert results == [f"conn-{i}" for i in range(1000)]


async def test_blocking_api_does_not_block_other_connections(esl_server: EslServer) -> None:
    slow = await connect(esl_server.host, esl_server.port)
    fast = await connect(esl_server.host, esl_server.port)
    await slow.send("api msleep 1500\n\n")
    assert await fast.api("echo quick") == "quick"
    # The slow reply has not arrived by the time the fast one did.
    with pytest.raises(TimeoutError):
        await slow.frame(timeout=0.05)
    assert (await slow.frame(timeout=10)).body == b"+OK"


async def test_pipelined_commands_are_answered_in_order(esl_server: EslServer) -> None:
    conn = await connect(esl_server.host, esl_server.port)
    await conn.send("".join(f"api echo {i}\n\n" for i in range(200)))
    bodies = [(await conn.frame()).body for _ in range(200)]
    assert bodies == [str(i).encode() for i in range(200)]


async def test_a_waiting_command_keeps_its_place_among_pipelined_ones(
    esl_server: EslServer,
) -> None:
    # Commands that arrive while the connection is idle run as they are received; one that
    # has to wait (msleep) is handed to the connection's loop, and those behind it wait.
    conn = await connect(esl_server.host, esl_server.port)
    await conn.send("api echo before\n\napi msleep 200\n\napi echo after\n\nfilter bad\n\n")
    assert (await conn.frame()).body == b"before"
    assert (await conn.frame()).body == b"+OK"
    assert (await conn.frame()).body == b"after"
    assert (await conn.frame()).get("Reply-Text") == "-ERR invalid syntax"
    # And again once idle: the handed-over command ran, the connection still answers.
    assert await conn.api("echo again") == "again"


async def test_a_bug_in_a_command_ends_only_that_connection(
    esl_server: EslServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from eslkit.server.subscription import Subscription

    def broken(self: Subscription, name: str, value: str) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(Subscription, "add_filter", broken)
    victim = await connect(esl_server.host, esl_server.port)
    other = await connect(esl_server.host, esl_server.port)
    # Once while the connection is idle (run as received), once behind a waiting command
    # (run by the connection's loop).
    for first in ("", "api msleep 50\n\n"):
        conn = await connect(esl_server.host, esl_server.port)
        await conn.send(first + "filter Unique-ID x\n\n")
        frames = await conn.closed()
        assert frames[-1].content_type == "text/disconnect-notice"
    assert "a bug" in caplog.text
    assert await other.api("echo still here") == "still here"
    assert await victim.api("echo me too") == "me too"


async def test_a_pipelining_client_does_not_hold_up_another(esl_server: EslServer) -> None:
    # Every command runs synchronously, so only the listener's periodic yield lets the
    # second connection in while the first one's backlog is being worked through.
    from eslkit.switch.api import ApiCommand

    order: list[str] = []
    esl_server.running.switch.api.registry.add(
        ApiCommand("mark", "", "", lambda call: order.append(call.arg) or call.write("+OK"))
    )
    busy = await connect(esl_server.host, esl_server.port)
    other = await connect(esl_server.host, esl_server.port)
    backlog = 20_000
    await busy.send("api mark a\n\n" * backlog)
    assert await other.api("mark b") == "+OK"
    for _ in range(backlog):
        await busy.frame()
    assert order.count("a") == backlog
    assert order.index("b") < backlog // 10


async def test_console_execute_like_fs_cli(esl_server: EslServer) -> None:
    conn = await connect(esl_server.host, esl_server.port)
    await conn.send("api echo one;;echo two\nconsole_execute: true\n\n")
    frame = await conn.frame()
    assert frame.content_type == "api/response"
    assert frame.body == b"onetwo"
    await conn.send("api nosuchthing\nconsole_execute: true\n\n")
    assert (await conn.frame()).body == b"-ERR nosuchthing Command not found!\n"


async def test_custom_event_subclass_first_and_filters(esl_server: EslServer) -> None:
    listener = await connect(esl_server.host, esl_server.port)
    sender = await connect(esl_server.host, esl_server.port)
    assert await listener.reply("event plain CUSTOM my::sub") == "+OK event listener enabled plain"
    assert await listener.reply("filter X-Keep yes") == "+OK filter added. [X-Keep]=[yes]"
    for keep in ("no", "yes"):
        reply = await sender.reply(f"sendevent CUSTOM\nEvent-Subclass: my::sub\nX-Keep: {keep}")
        assert reply.startswith("+OK ")
    event = await listener.event()
    assert event.headers[0] == ("Event-Subclass", "my::sub")
    assert event.get("X-Keep") == "yes"
    assert event.get("Event-Name") == "CUSTOM"


async def test_negative_only_filters_block_everything(esl_server: EslServer) -> None:
    listener = await connect(esl_server.host, esl_server.port)
    sender = await connect(esl_server.host, esl_server.port)
    await listener.reply("event plain CUSTOM a::b")
    await listener.reply("filter X-Drop -yes")
    await sender.reply("sendevent CUSTOM\nEvent-Subclass: a::b\nX-Drop: no")
    with pytest.raises(TimeoutError):
        await listener.event(timeout=0.3)
    await listener.reply("filter delete all")
    await sender.reply("sendevent CUSTOM\nEvent-Subclass: a::b\nX-Drop: no")
    assert (await listener.event()).get("X-Drop") == "no"


async def test_regex_filter(esl_server: EslServer) -> None:
    listener = await connect(esl_server.host, esl_server.port)
    sender = await connect(esl_server.host, esl_server.port)
    await listener.reply("event plain CUSTOM r::x")
    await listener.reply("filter X-Value /^ab+c$/i")
    for value in ("abd", "ABBBC"):
        await sender.reply(f"sendevent CUSTOM\nEvent-Subclass: r::x\nX-Value: {value}")
    assert (await listener.event()).get("X-Value") == "ABBBC"


async def test_json_and_xml_delivery_share_one_event(esl_server: EslServer) -> None:
    plain = await connect(esl_server.host, esl_server.port)
    json_conn = await connect(esl_server.host, esl_server.port)
    xml_conn = await connect(esl_server.host, esl_server.port)
    sender = await connect(esl_server.host, esl_server.port)
    await plain.reply("event plain CUSTOM f::x")
    await json_conn.reply("event json CUSTOM f::x")
    await xml_conn.reply("event xml CUSTOM f::x")
    await sender.reply("sendevent CUSTOM\nEvent-Subclass: f::x\nX-Word: caf\u00e9 & <b>")
    events = [await c.event() for c in (plain, json_conn, xml_conn)]
    assert [e.get("X-Word") for e in events] == ["caf\u00e9 & <b>"] * 3
    sequences = {e.get("Event-Sequence") for e in events}
    assert len(sequences) == 1


def test_default_queue_limits_are_freeswitchs() -> None:
    assert ServerOptions().max_queue == MAX_QUEUE_LEN == 100_000
    assert MAX_MISSED == 500


async def test_reader_that_never_reads_is_killed_while_others_get_everything() -> None:
    # A small queue keeps the test short; the rule is the same as with 100,000.
    running = await start_test_server(server=ServerOptions(max_queue=2000))
    try:
        host, port = "127.0.0.1", running.port
        stalled = await connect(host, port)
        reader = await connect(host, port)
        sender = await connect(host, port)
        await stalled.reply("event plain CUSTOM flood::x")
        await reader.reply("event plain CUSTOM flood::x")
        server = running.server
        assert len(server.listeners) == 3
        # The stalled client stops reading from here on; flood until the server kills it.
        sent = 0
        received = 0

        async def drain(upto: int) -> None:
            nonlocal received
            while received < upto:
                event = await reader.event(timeout=60)
                assert event.get("X-N") == str(received)
                received += 1

        async def pump(first: int, count: int) -> None:
            await sender.send(
                "".join(
                    f"sendevent CUSTOM\nEvent-Subclass: flood::x\nX-N: {i}\n\n"
                    for i in range(first, first + count)
                )
            )
            for _ in range(count):
                frame = await sender.frame(timeout=60)
                assert (frame.get("Reply-Text") or "").startswith("+OK")

        while len(server.listeners) == 3:
            assert sent < 400_000, "the stalled listener was never killed"
            await asyncio.gather(pump(sent, 500), drain(sent + 500))
            sent += 500
        assert sent > 2000 + MAX_MISSED
        # The reader, meanwhile, received every event in order.
        assert received == sent
        assert await reader.api("echo reader-alive") == "reader-alive"
        # The stalled one gets what was already on its way, the kill notice, then EOF.
        frames = await stalled.closed(timeout=30)
        assert frames[-1].content_type == "text/disconnect-notice"
        assert frames[-1].body == builders.LOST_EVENTS.encode()
        assert all(f.content_type == "text/event-plain" for f in frames[:-1])
    finally:
        await running.stop()


async def test_acl_rejects_with_rude_rejection_then_goodbye() -> None:
    running = await start_test_server(apply_inbound_acl=["10.0.0.0/8"])
    try:
        conn = await RawConnection.open("127.0.0.1", running.port)
        frames = await conn.closed()
        assert frames[0].content_type == "text/rude-rejection"
        assert frames[0].body == b"Access Denied, go away.\n"
        assert frames[1].body == GOODBYE
    finally:
        await running.stop()


async def test_several_acls_must_all_match() -> None:
    running = await start_test_server(apply_inbound_acl=["loopback.auto", "127.0.0.2/32"])
    try:
        conn = await RawConnection.open("127.0.0.1", running.port)
        frames = await conn.closed()
        assert frames[0].content_type == "text/rude-rejection"
    finally:
        await running.stop()
    running = await start_test_server(apply_inbound_acl=["loopback.auto", "127.0.0.0/24"])
    try:
        conn = await connect("127.0.0.1", running.port)
        assert await conn.api("echo in") == "in"
    finally:
        await running.stop()


async def test_userauth_permissions() -> None:
    users = [
        EslUser(
            "1000",
            "example.org",
            "secret",
            allowed_events="BACKGROUND_JOB,CUSTOM,ok::one",
            allowed_api="echo,bgapi",
            allowed_log=False,
        ),
    ]
    running = await start_test_server(users=users)
    try:
        conn = await RawConnection.open("127.0.0.1", running.port)
        await conn.frame()
        await conn.send("userauth 1000@example.org:secret\n\n")
        frame = await conn.frame()
        assert frame.get("Reply-Text") == "+OK accepted"
        assert frame.get("Allowed-Events") == "BACKGROUND_JOB,CUSTOM,ok::one"
        assert frame.get("Allowed-API") == "echo,bgapi"
        assert frame.get("Allowed-LOG") == "false"
        assert await conn.api("echo allowed") == "allowed"
        assert await conn.reply("api status") == "-ERR permission denied"
        assert await conn.reply("bgapi status") == "-ERR permission denied"
        assert (await conn.reply("bgapi echo x")).startswith("+OK Job-UUID: ")
        assert await conn.reply("event plain HEARTBEAT") == "-ERR permission denied"
        assert await conn.reply("event plain CUSTOM ok::one") == "+OK event listener enabled plain"
        assert await conn.reply("event plain CUSTOM other::x") == "-ERR permission denied"
        assert await conn.reply("log debug") == "-ERR permission denied"
        bad = await RawConnection.open("127.0.0.1", running.port)
        await bad.frame()
        assert await bad.reply("userauth 1000@example.org:wrong") == "-ERR invalid"
        assert (await bad.closed())[-1].body == GOODBYE
    finally:
        await running.stop()


async def test_bgapi_reply_precedes_its_event_and_exit_waits_for_jobs(
    esl_server: EslServer,
) -> None:
    conn = await connect(esl_server.host, esl_server.port)
    await conn.reply("event plain BACKGROUND_JOB")
    await conn.send("bgapi msleep 300\nJob-UUID: 11111111-2222-3333-4444-555555555555\n\n")
    reply = await conn.frame()
    assert reply.get("Job-UUID") == "11111111-2222-3333-4444-555555555555"
    event = await conn.event()
    assert event.get("Job-UUID") == "11111111-2222-3333-4444-555555555555"
    assert event.body == "+OK"
    await conn.send("bgapi msleep 400\n\n")
    await conn.frame()
    assert await conn.reply("exit") == "+OK bye"
    frames = await conn.closed()
    assert frames[-1].body == GOODBYE


async def test_shutdown_notice_to_connected_clients() -> None:
    running = await start_test_server(server=ServerOptions())
    conn = await connect("127.0.0.1", running.port)
    await running.stop()
    frames = await conn.closed()
    assert frames[-1].body == builders.SHUTTING_DOWN.encode()


async def test_auth_timeout_is_configurable_and_closes_with_goodbye() -> None:
    running = await start_test_server(server=ServerOptions(auth_timeout=1))
    try:
        conn = await RawConnection.open("127.0.0.1", running.port)
        assert (await conn.frame()).content_type == "auth/request"
        frames = await conn.closed(timeout=10)
        assert [f.body for f in frames] == [GOODBYE]
    finally:
        await running.stop()


async def test_log_lines_reach_log_listeners(esl_server: EslServer) -> None:
    conn = await connect(esl_server.host, esl_server.port)
    other = await connect(esl_server.host, esl_server.port)
    assert await conn.reply("log debug") == "+OK log level debug [7]"
    await other.api("log ERR eslkit-test-line")
    frame = await conn.frame()
    assert frame.content_type == "log/data"
    assert frame.get("Log-Level") == "3"
    assert (frame.body or b"").endswith(b"eslkit-test-line\n")
    assert await conn.reply("nolog") == "+OK no longer logging"
    assert await conn.reply("nolog") == "-ERR not loging"


async def test_call_log_lines_are_built_only_for_a_log_listener(
    esl_server: EslServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import eslkit.switch.core as core

    formatted: list[str] = []
    real = core.format_log_text

    def counting(message: str, *args: object, **kwargs: object) -> str:
        formatted.append(message)
        return real(message, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(core, "format_log_text", counting)
    switch = esl_server.running.switch
    switch.loglevel = 7
    control = await connect(esl_server.host, esl_server.port)
    # Nobody logs: a whole call formats no line at all, even with the core at DEBUG.
    assert switch.logs.listen == -1
    assert (await control.api("originate loopback/1000/default &park")).startswith("+OK ")
    assert (await control.api("hupall")).startswith("+OK")
    await asyncio.sleep(0.1)
    assert formatted == []
    # 'log 5' on one connection, 'log 7' on another: the switch builds lines up to DEBUG.
    notice = await connect(esl_server.host, esl_server.port)
    debug = await connect(esl_server.host, esl_server.port)
    assert await notice.reply("log 5") == "+OK log level 5 [5]"
    assert switch.logs.listen == 5
    assert await debug.reply("log 7") == "+OK log level 7 [7]"
    assert switch.logs.listen == 7
    uuid = "c0ffee00-0000-4000-8000-000000000999"
    reply = await control.api(f"originate {{origination_uuid={uuid}}}loopback/1000/default &park")
    assert reply.strip() == f"+OK {uuid}"
    frame = await notice.frame()
    assert frame.content_type == "log/data" and int(frame.get("Log-Level") or "9") <= 5
    assert any("Running State Change" in text for text in formatted)
    # Once the DEBUG listener leaves, only what the NOTICE one takes is built.
    assert await debug.reply("nolog") == "+OK no longer logging"
    assert switch.logs.listen == 5
    await notice.close()
    for _ in range(50):
        if switch.logs.listen == -1:
            break
        await asyncio.sleep(0.02)
    assert switch.logs.listen == -1


async def test_getvar_values_never_break_the_framing(esl_server: EslServer) -> None:
    control = await connect(esl_server.host, esl_server.port)
    reply = await control.api("originate null/1234 &park()")
    assert reply.startswith("+OK ")
    uuid = reply.split()[1]
    # A variable with a newline (say, from a remote party) and one that starts with "~".
    body = b"evil=line one\nInjected: yes"
    await control.send(
        f"sendmsg {uuid}\ncall-command: execute\nexecute-app-name: set\n"
        f"content-type: text/plain\ncontent-length: {len(body)}\n\n".encode() + body
    )
    assert (await control.frame()).get("Reply-Text") == "+OK"
    for _ in range(50):
        if await control.api(f"uuid_getvar {uuid} evil") != "_undef_":
            break
        await asyncio.sleep(0.02)
    assert await control.api(f"uuid_getvar {uuid} evil") == "line one\nInjected: yes"
    assert await control.api(f"uuid_setvar {uuid} tilde ~Reply-Text: fake") == "+OK\n"
    owner = await connect(esl_server.host, esl_server.port)
    assert await owner.reply(f"myevents {uuid}") == "+OK Events Enabled"
    frame = await owner.command("getvar evil")
    assert frame.headers == [("Content-Type", "command/reply"), ("Reply-Text", "line one")]
    assert await owner.reply("getvar tilde") == "~Reply-Text: fake"
    # The next command still gets its own reply: nothing was glued or injected.
    assert await owner.reply("getvar no_such_variable") == "-ERR command not found"
    await control.api(f"uuid_setvar {uuid} multi first")
    assert await owner.reply("getvar multi") == "first"
    await control.api(f"uuid_kill {uuid}")


async def test_localnet_auto_is_the_interface_of_the_guessed_address() -> None:
    from eslkit.fsconfig.acl import local_interface
    from eslkit.switch.core import SwitchConfig

    assert local_interface("127.0.0.1") == "127.0.0.1/8"
    assert local_interface("203.0.113.77") is None  # not an address of this machine
    # The switch's address is on loopback: a loopback client is on the local network.
    running = await start_test_server(
        apply_inbound_acl=["localnet.auto"], switch=SwitchConfig(ipv4="127.0.0.1")
    )
    try:
        conn = await connect("127.0.0.1", running.port)
        assert await conn.api("echo local") == "local"
    finally:
        await running.stop()
    # An address that is no interface here: localnet.auto is empty and denies everyone.
    running = await start_test_server(
        apply_inbound_acl=["localnet.auto"], switch=SwitchConfig(ipv4="203.0.113.77")
    )
    try:
        conn = await RawConnection.open("127.0.0.1", running.port)
        frames = await conn.closed()
        assert frames[0].content_type == "text/rude-rejection"
    finally:
        await running.stop()
