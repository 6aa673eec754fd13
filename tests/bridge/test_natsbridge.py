"""eslkit bridge against real servers: eslkit serve (the switch) and nats-server (JetStream),
both on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import nats
import nats.js.errors
import pytest

import eslkit
from eslkit.bootstrap import Running
from eslkit.bridge import (
    Bridge,
    BridgeCommandError,
    BridgeOptions,
    SwitchTarget,
    api,
    bgapi,
    consume,
    consume_blocking,
    event_subject,
    expand_events,
    sendmsg,
)
from eslkit.bridge.reader import fields_of
from tests.nats_support import NatsServer, bridge_command, child_env, cluster, free_port
from tests.server_support import start_test_server

pytestmark = pytest.mark.timeout(180)


# ----------------------------------------------------------------------------- pure parts
def test_subjects() -> None:
    assert event_subject("fs1", "CHANNEL_CREATE") == "esl.fs1.channel_create"
    assert (
        event_subject("fs1", "CUSTOM", "conference::maintenance")
        == "esl.fs1.custom.conference.maintenance"
    )
    # No value can add a token or a wildcard.
    assert event_subject("fs1", "CUSTOM", "a.b::*>x y") == "esl.fs1.custom.a_b.__x_y"
    with pytest.raises(ValueError):
        SwitchTarget(name="a.b")


def test_switch_target_parse() -> None:
    t = SwitchTarget.parse("fs1=10.0.0.5:8021", "pw")
    assert (t.name, t.host, t.port, t.password) == ("fs1", "10.0.0.5", 8021, "pw")
    t = SwitchTarget.parse("127.0.0.1:9000", "pw")
    assert (t.name, t.port) == ("127_0_0_1", 9000)
    t = SwitchTarget.parse("v6=[::1]:8021", "pw")
    assert (t.host, t.port) == ("::1", 8021)


def test_expand_events() -> None:
    expanded = expand_events("CHANNEL_* BACKGROUND_JOB CUSTOM conference::maintenance my::sub")
    words = expanded.split()
    assert "CHANNEL_CREATE" in words and "CHANNEL_HANGUP_COMPLETE" in words
    assert words[-3:] == ["CUSTOM", "conference::maintenance", "my::sub"]
    assert expand_events("") == "ALL"
    with pytest.raises(ValueError):
        expand_events("NOPE_*")


def test_fields_of_reads_only_keys() -> None:
    compact = eslkit.Event(
        [
            ("Event-Name", "CHANNEL_CREATE"),
            ("Core-UUID", "c"),
            ("Fake", '"Unique-ID":"no'),
            ("Event-Sequence", "7"),
            ("Unique-ID", "u1"),
            ("Event-Date-Timestamp", "123"),
            ("Unique-ID", "u2"),
        ]
    ).to_json()
    event = fields_of(compact)
    assert (event.name, event.sequence, event.unique_id, event.subclass, event.job_uuid) == (
        "CHANNEL_CREATE",
        7,
        "u1",
        None,
        None,
    )
    assert event.timestamp_us == 123 and event.payload is compact
    escaped = eslkit.Event([("Event-Name", "CUSTOM"), ("Event-Sequence", "1"), ("Job-UUID", 'j"1')])
    assert fields_of(escaped.to_json()).job_uuid == 'j"1'
    payload = json.dumps(
        {
            "Event-Name": "CUSTOM",
            "Core-UUID": "c",
            "Fake": 'x"Event-Sequence":"999',
            "Event-Sequence": "42",
            "Event-Subclass": "my::sub",
        }
    ).encode()
    event = fields_of(payload)
    assert (event.name, event.sequence, event.subclass, event.core_uuid) == (
        "CUSTOM",
        42,
        "my::sub",
        "c",
    )


# ----------------------------------------------------------------------------- helpers
@pytest.fixture
async def nats_server(tmp_path: Path) -> AsyncIterator[NatsServer]:
    server = NatsServer(store=tmp_path / "nats").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def switch() -> AsyncIterator[Running]:
    running = await start_test_server()
    try:
        yield running
    finally:
        await running.stop()


async def fire(port: int, first: int, count: int, subclass: str = "bridge::test") -> None:
    """``count`` CUSTOM events numbered ``first``... through ``sendevent``."""
    async with eslkit.connect(port=port) as conn:
        for n in range(first, first + count):
            await conn.send(
                "sendevent CUSTOM",
                [("Event-Subclass", subclass), ("Bridge-Test-N", str(n))],
            )


async def collect(
    url: str | list[str], subjects: str, until: int, timeout: float = 30.0
) -> list[eslkit.Event]:
    """Events of the stream on ``subjects`` until ``until`` of them numbered, or quiet."""
    got: list[eslkit.Event] = []
    numbered = 0

    async def run() -> None:
        nonlocal numbered
        async with consume(url, subjects, idle_timeout=3.0) as events:
            async for event in events:
                got.append(event)
                if event.get("Bridge-Test-N") is not None:
                    numbered += 1
                    if numbered >= until:
                        return

    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(run(), timeout)
    return got


@contextlib.asynccontextmanager
async def running_bridge(options: BridgeOptions) -> AsyncIterator[Bridge]:
    bridge = Bridge(options)
    await bridge.connect()
    task = asyncio.create_task(bridge.run())
    try:
        for s in bridge.switches:
            await asyncio.wait_for(s.connected.wait(), 10)
        yield bridge
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def numbers(events: list[eslkit.Event]) -> list[int]:
    return [int(e["Bridge-Test-N"]) for e in events if e.get("Bridge-Test-N") is not None]


# ----------------------------------------------------------------------------- in process
async def test_events_in_order_with_subjects_and_headers(
    nats_server: NatsServer, switch: Running
) -> None:
    options = BridgeOptions(
        switches=[SwitchTarget("fs1", port=switch.port)],
        nats_servers=[nats_server.url],
        events="CHANNEL_* CUSTOM bridge::test",
    )
    async with running_bridge(options):
        await fire(switch.port, 1, 50)
        async with eslkit.connect(port=switch.port) as conn:
            await conn.api(
                "originate {origination_uuid=c0ffee00-0000-4000-8000-000000000001}loopback/1000/default &park"
            )
            await conn.api("uuid_kill c0ffee00-0000-4000-8000-000000000001")
        nc = await nats.connect(nats_server.url)
        try:
            js = nc.jetstream()
            sub = await js.pull_subscribe("esl.fs1.>", stream="ESL")
            msgs = []
            for _ in range(40):
                try:
                    msgs += await sub.fetch(200, timeout=1)
                except nats.errors.TimeoutError:
                    if any(m.subject == "esl.fs1.channel_destroy" for m in msgs):
                        break
        finally:
            await nc.close()
    custom = [m for m in msgs if m.subject == "esl.fs1.custom.bridge.test"]
    assert [json.loads(m.data)["Bridge-Test-N"] for m in custom] == [str(n) for n in range(1, 51)]
    for m in msgs:
        body = json.loads(m.data)
        assert m.headers is not None
        assert m.headers["Nats-Msg-Id"] == f"{body['Core-UUID']}:{body['Event-Sequence']}"
        assert m.headers["Esl-Sequence"] == body["Event-Sequence"]
    channel = [m for m in msgs if m.subject.startswith("esl.fs1.channel_")]
    assert {m.subject for m in channel} >= {
        "esl.fs1.channel_create",
        "esl.fs1.channel_answer",
        "esl.fs1.channel_park",
        "esl.fs1.channel_hangup",
        "esl.fs1.channel_destroy",
    }
    a_leg = [
        m
        for m in channel
        if json.loads(m.data).get("Unique-ID") == "c0ffee00-0000-4000-8000-000000000001"
    ]
    assert a_leg and all(
        m.headers and m.headers["Esl-Unique-ID"] == "c0ffee00-0000-4000-8000-000000000001"
        for m in a_leg
    )
    # Nothing outside the subscription, not the bridge's own probe job.
    assert not any(m.subject.startswith("esl.fs1.background_job") for m in msgs)
    sequences = [int(m.headers["Esl-Sequence"]) for m in msgs if m.headers]
    assert sequences == sorted(sequences)


async def test_consume_yields_events_and_acks_after_the_handler(
    nats_server: NatsServer, switch: Running
) -> None:
    options = BridgeOptions(
        switches=[SwitchTarget("fs1", port=switch.port)],
        nats_servers=[nats_server.url],
        events="CUSTOM bridge::test",
    )
    async with running_bridge(options):
        await fire(switch.port, 1, 10)
        seen: list[int] = []
        async with consume(nats_server.url, "esl.fs1.custom.>", durable="app") as events:
            async for event in events:
                assert isinstance(event, eslkit.Event)
                assert event.name == "CUSTOM"
                assert events.delivery is not None
                assert events.delivery.subject == "esl.fs1.custom.bridge.test"
                seen.append(int(event["Bridge-Test-N"]))
                if len(seen) == 4:
                    break  # the 4th is never acknowledged: it comes again
        again = numbers(await collect(nats_server.url, "esl.fs1.custom.>", 10))
        # The durable consumer resumes at the event that was not acknowledged.
        async with consume(
            nats_server.url, "esl.fs1.custom.>", durable="app", idle_timeout=2
        ) as events:
            resumed = [int(e["Bridge-Test-N"]) async for e in events]
        assert resumed == list(range(4, 11)), str(resumed)
        assert seen == [1, 2, 3, 4] and again[:10] == list(range(1, 11))


def test_consume_blocking(tmp_path: Path) -> None:
    server = NatsServer(store=tmp_path / "nats").start()
    try:

        async def setup() -> None:
            nc = await nats.connect(server.url)
            js = nc.jetstream()
            await js.add_stream(name="ESL", subjects=["esl.>"])
            for n in range(3):
                body = {"Event-Name": "CUSTOM", "Event-Subclass": "x::y", "N": str(n)}
                await js.publish("esl.fs1.custom.x.y", json.dumps(body).encode())
            await nc.close()

        asyncio.run(setup())
        got = []
        for event in consume_blocking(server.url, "esl.>", idle_timeout=2.0):
            got.append(event["N"])
        assert got == ["0", "1", "2"]
        # Leaving the loop early closes the consumer; the unacknowledged event comes again.
        for event in consume_blocking(server.url, "esl.>", durable="d", idle_timeout=2.0):
            assert event["N"] == "0"
            break
        again = [
            e["N"]
            for e in consume_blocking(
                server.url, "esl.>", durable="d", idle_timeout=2.0, ack_wait=1.0
            )
        ]
        assert again == ["0", "1", "2"]
    finally:
        server.stop()


async def test_consume_pulls_ahead_and_acknowledges_what_was_handled(
    nats_server: NatsServer,
) -> None:
    nc = await nats.connect(nats_server.url)
    try:
        js = nc.jetstream()
        await js.add_stream(name="ESL", subjects=["esl.>"])
        for n in range(50):
            body = {"Event-Name": "CUSTOM", "Event-Subclass": "x::y", "N": str(n)}
            await js.publish("esl.fs1.custom.x.y", json.dumps(body).encode())

        async def floor(durable: bool) -> tuple[int, int]:
            infos = [i for i in await js.consumers_info("ESL") if bool(i.config.durable_name) == durable]
            assert len(infos) == 1
            return infos[0].ack_floor.stream_seq, infos[0].num_ack_pending

        # Ephemeral (AckPolicy.ALL): pulled ahead in small batches; every handled event
        # is acknowledged by the time the iterator waits (here: until idle_timeout).
        got = []
        async with consume(nats_server.url, "esl.>", batch=8, idle_timeout=0.5) as events:
            async for event in events:
                got.append(int(event["N"]))
        assert got == list(range(50))
        assert await floor(False) == (50, 0)
        # Durable (AckPolicy.EXPLICIT): each event acknowledged when the next is asked for.
        async with consume(nats_server.url, "esl.>", durable="d", batch=8) as events:
            async for event in events:
                if event["N"] == "20":
                    await asyncio.sleep(0.2)
                    acked, pending = await floor(True)
                    assert acked == 20 and pending >= 1
                    break
    finally:
        await nc.close()


async def test_consume_raises_when_its_consumer_is_deleted(nats_server: NatsServer) -> None:
    nc = await nats.connect(nats_server.url)
    try:
        js = nc.jetstream()
        await js.add_stream(name="ESL", subjects=["esl.>"])
        await js.publish("esl.fs1.custom.x.y", b'{"Event-Name":"CUSTOM","N":"1"}')
        async with consume(nats_server.url, "esl.>", idle_timeout=20) as events:
            assert (await anext(events))["N"] == "1"
            (info,) = await js.consumers_info("ESL")
            await js.delete_consumer("ESL", info.name)
            # Its open pull request ends with a 409 "Consumer Deleted": an error, not an
            # iterator that waits forever.
            with pytest.raises(nats.js.errors.NotFoundError):
                await asyncio.wait_for(anext(events), 10)
    finally:
        await nc.close()


async def test_commands_over_nats(nats_server: NatsServer, switch: Running) -> None:
    options = BridgeOptions(
        switches=[SwitchTarget("fs1", port=switch.port)],
        nats_servers=[nats_server.url],
        events="CUSTOM bridge::none",
    )
    async with running_bridge(options):

        async def ready() -> None:
            while True:
                try:
                    await api(nats_server.url, "fs1", "status", timeout=2)
                    return
                except BridgeCommandError:
                    await asyncio.sleep(0.1)

        await asyncio.wait_for(ready(), 10)
        status = await api(nats_server.url, "fs1", "status")
        assert "is ready" in status
        assert (
            await api(nats_server.url, "fs1", "uuid_exists 00000000-0000-0000-0000-000000000000")
        ) == "false"
        with pytest.raises(BridgeCommandError) as refused:
            await api(nats_server.url, "fs1", "originate loopback/1000 &park")
        assert refused.value.code == 403
        with pytest.raises(BridgeCommandError) as nobody:
            await api(nats_server.url, "fs9", "status", timeout=2)
        assert nobody.value.code == 503
        job = await bgapi(nats_server.url, "fs1", "status")
        assert len(job) == 36
        with pytest.raises(BridgeCommandError) as no_sendmsg:
            await sendmsg(nats_server.url, "fs1", "x", [("call-command", "hangup")])
        assert no_sendmsg.value.code == 403


async def test_sendmsg_and_all_api_when_allowed(nats_server: NatsServer, switch: Running) -> None:
    options = BridgeOptions(
        switches=[SwitchTarget("fs1", port=switch.port)],
        nats_servers=[nats_server.url],
        events="CHANNEL_HANGUP",
        allow_all_api=True,
        allow_sendmsg=True,
    )
    uuid = "c0ffee00-0000-4000-8000-000000000002"
    async with running_bridge(options):
        await asyncio.sleep(0.5)
        reply = await api(
            nats_server.url,
            "fs1",
            f"originate {{origination_uuid={uuid}}}loopback/1000/default &park",
        )
        assert reply.startswith("+OK")
        text = await sendmsg(
            nats_server.url,
            "fs1",
            uuid,
            [("call-command", "hangup"), ("hangup-cause", "USER_BUSY")],
        )
        assert text.startswith("+OK")
        events = []
        async with consume(nats_server.url, "esl.fs1.channel_hangup", idle_timeout=3) as stream:
            async for event in stream:
                events.append(event)
                if event.uuid == uuid:
                    break
        assert events[-1]["Hangup-Cause"] == "USER_BUSY"


# ----------------------------------------------------------------------------- faults
async def fire_spread(port: int, first: int, count: int, seconds: float) -> None:
    """``count`` numbered events over about ``seconds``."""
    async with eslkit.connect(port=port) as conn:
        pause = seconds / max(count, 1)
        for n in range(first, first + count):
            await conn.send(
                "sendevent CUSTOM",
                [("Event-Subclass", "bridge::test"), ("Bridge-Test-N", str(n))],
            )
            if n % 10 == 0:
                await asyncio.sleep(pause * 10)


async def everything(
    url: str | list[str], expected: int, timeout: float = 60.0
) -> list[eslkit.Event]:
    """All events and markers of ``fs1`` once ``expected`` numbered ones (or quiet) arrived."""
    return await collect(url, "esl.fs1.>", expected, timeout=timeout)


def assert_once(events: list[eslkit.Event]) -> list[int]:
    got = numbers(events)
    assert len(got) == len(set(got)), (
        f"duplicates: {sorted(n for n in set(got) if got.count(n) > 1)[:10]}"
    )
    return got


async def wait_until_bridging(port: int, url: str, timeout: float = 30.0) -> None:
    """Fire probe events (not numbered) until one reaches the stream: the bridge is up."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    probe = 0
    async with eslkit.connect(port=port) as conn:
        while loop.time() < deadline:
            probe += 1
            await conn.send(
                "sendevent CUSTOM",
                [("Event-Subclass", "bridge::test"), ("Bridge-Probe", str(probe))],
            )
            try:
                async with consume(url, "esl.fs1.custom.>", idle_timeout=0.5) as events:
                    async for event in events:
                        if event.get("Bridge-Probe") is not None:
                            return
            except nats.js.errors.NotFoundError:
                pass
            await asyncio.sleep(0.2)
    raise AssertionError("the bridge published nothing")


async def test_bridge_killed_and_restarted(tmp_path: Path, nats_server: NatsServer) -> None:
    """kill -9 of the bridge under load: no event twice, and every event it could not read
    lies inside a published gap range."""
    switch = await start_test_server()
    args = bridge_command(
        "--switch",
        f"fs1=127.0.0.1:{switch.port}",
        "--nats",
        nats_server.url,
        "--events",
        "CUSTOM bridge::test",
        "--log-level",
        "WARNING",
    )
    logs = open(tmp_path / "bridge.log", "wb")
    bridge = subprocess.Popen(args, stdout=logs, stderr=subprocess.STDOUT, env=child_env())
    try:
        await wait_until_bridging(switch.port, nats_server.url)
        load = asyncio.create_task(fire_spread(switch.port, 1, 3000, 3.0))
        await asyncio.sleep(1.0)
        bridge.kill()  # SIGKILL: nothing flushed, nothing closed
        bridge.wait(timeout=10)
        await asyncio.sleep(0.5)
        bridge = subprocess.Popen(args, stdout=logs, stderr=subprocess.STDOUT, env=child_env())
        await load
        await fire(switch.port, 3001, 1)
        events = await everything(nats_server.url, 3002)
    finally:
        bridge.terminate()
        bridge.wait(timeout=10)
        logs.close()
        await switch.stop()
    got = set(assert_once(events))
    missing = sorted(set(range(1, 3002)) - got)
    assert missing, "the bridge was down for 0.5 s under load: some events must be missing"
    assert 3001 in got
    sequence = {
        int(e["Bridge-Test-N"]): int(e["Event-Sequence"]) for e in events if e.get("Bridge-Test-N")
    }
    gaps = [e for e in events if e.get("Event-Subclass") == "eslkit::gap"]
    assert gaps and gaps[0]["Gap-Reason"] == "reconnect"
    assert any(e.get("Event-Subclass") == "eslkit::snapshot" for e in events)
    # Every missing block is covered by a gap range.
    blocks: list[tuple[int, int]] = []
    for n in missing:
        if blocks and blocks[-1][1] == n - 1:
            blocks[-1] = (blocks[-1][0], n)
        else:
            blocks.append((n, n))
    for first, last in blocks:
        before, after = sequence[first - 1], sequence[last + 1]
        assert any(
            int(g["Gap-From-Sequence"]) <= before + 1 and int(g["Gap-To-Sequence"]) >= after - 1
            for g in gaps
        ), f"events {first}..{last} (after seq {before}, before seq {after}) missing without a gap"


async def test_nats_restart_loses_nothing(tmp_path: Path) -> None:
    """nats-server restarts under load: the bridge waits, the switch queues, nothing is lost
    and nothing is doubled."""
    server = NatsServer(store=tmp_path / "nats").start()
    switch = await start_test_server()
    options = BridgeOptions(
        switches=[SwitchTarget("fs1", port=switch.port)],
        nats_servers=[server.url],
        events="CUSTOM bridge::test",
        ack_timeout=1.0,
        max_inflight=64,
    )
    try:
        async with running_bridge(options) as bridge:
            load = asyncio.create_task(fire_spread(switch.port, 1, 2000, 3.0))
            await asyncio.sleep(1.0)
            server.stop()
            await asyncio.sleep(1.5)
            server.start()
            await load
            assert await bridge.switches[0].window.drain(30)
            events = await everything(server.url, 2000)
            assert bridge.switches[0].gaps == 0
            # While NATS was away the window filled and the ESL reader paused.
            assert bridge.switches[0].window.stats.stalls > 0
    finally:
        await switch.stop()
        server.stop()
    assert sorted(assert_once(events)) == list(range(1, 2001))


async def test_switch_restart_gap_and_snapshot(nats_server: NatsServer) -> None:
    port = free_port()
    switch = await start_test_server(listen_port=port)
    options = BridgeOptions(
        switches=[SwitchTarget("fs1", port=port)],
        nats_servers=[nats_server.url],
        events="CUSTOM bridge::test",
        reconnect_max=0.5,
    )
    async with running_bridge(options) as bridge:
        await fire(port, 1, 10)
        old_core = switch.switch.config.core_uuid
        await switch.stop()
        switch = await start_test_server(listen_port=port)
        try:
            await asyncio.wait_for(_reconnected(bridge), 20)
            await fire(port, 11, 10)
            events = await everything(nats_server.url, 20)
        finally:
            await switch.stop()
    assert sorted(assert_once(events)) == list(range(1, 21))
    kinds = [e.get("Event-Subclass") for e in events]
    gap = events[kinds.index("eslkit::gap")]
    assert gap["Gap-Reason"] == "switch restarted"
    assert gap["Gap-Old-Core-Uuid"] == old_core
    assert gap["Core-UUID"] == switch.switch.config.core_uuid != old_core
    snapshot = events[kinds.index("eslkit::snapshot")]
    assert kinds.index("eslkit::snapshot") > kinds.index("eslkit::gap")
    assert json.loads(snapshot.body or "{}") == {"row_count": 0}


async def _reconnected(bridge: Bridge) -> None:
    s = bridge.switches[0]
    while s.connected.is_set():
        await asyncio.sleep(0.05)
    await s.connected.wait()


async def test_two_bridges_active_active(nats_server: NatsServer, switch: Running) -> None:
    """Two bridges on one switch publish the same Msg-Ids: each event once, and either one
    can die."""

    def options(bridge_id: str) -> BridgeOptions:
        return BridgeOptions(
            switches=[SwitchTarget("fs1", port=switch.port)],
            nats_servers=[nats_server.url],
            events="CUSTOM bridge::test",
            bridge_id=bridge_id,
        )

    async with running_bridge(options("a")) as first:
        await fire(switch.port, 1, 1)
        second = Bridge(options("b"))
        await second.connect()
        task = asyncio.create_task(second.run())
        await asyncio.wait_for(second.switches[0].connected.wait(), 10)
        load = asyncio.create_task(fire_spread(switch.port, 2, 1000, 2.0))
        await asyncio.sleep(1.0)
        task.cancel()  # one bridge dies under load
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await load
        assert await first.switches[0].window.drain(20)
        assert first.switches[0].window.stats.duplicates > 0
        events = await everything(nats_server.url, 1001)
    assert sorted(assert_once(events)) == list(range(1, 1002))


async def test_cluster_node_killed_under_load(tmp_path: Path, switch: Running) -> None:
    """A 3-node JetStream cluster, stream with 3 replicas: killing the stream's leader under
    load loses nothing."""
    nodes = cluster(tmp_path)
    for node in nodes:
        node.start()
    urls = [n.url for n in nodes]
    options = BridgeOptions(
        switches=[SwitchTarget("fs1", port=switch.port)],
        nats_servers=urls,
        events="CUSTOM bridge::test",
        replicas=3,
        ack_timeout=1.0,
    )
    try:
        async with running_bridge(options) as bridge:
            nc = await nats.connect(urls)
            info = await nc.jetstream().stream_info("ESL")
            await nc.close()
            assert info.config.num_replicas == 3
            leader = info.cluster.leader if info.cluster else None
            victim = next(n for n in nodes if n.name == leader) if leader else nodes[0]
            load = asyncio.create_task(fire_spread(switch.port, 1, 2000, 3.0))
            await asyncio.sleep(1.0)
            victim.stop(kill=True)
            await load
            assert await bridge.switches[0].window.drain(60)
            survivors = [n.url for n in nodes if n is not victim]
            events = await everything(survivors, 2000, timeout=90)
    finally:
        for node in nodes:
            node.stop()
    assert sorted(assert_once(events)) == list(range(1, 2001))
