"""The client's I/O-free core (:class:`eslkit.client.protocol.ClientProtocol`), driven with
plain ``concurrent.futures.Future`` waiters: no socket, no event loop."""

from __future__ import annotations

import ast
import inspect
from concurrent.futures import Future
from typing import Any

import pytest

import eslkit.client.protocol
from eslkit.client.errors import ChannelHangup, Disconnected
from eslkit.client.protocol import ClientProtocol
from eslkit.protocol.event import Event
from eslkit.protocol.frames import Frame, FrameReader


def reply(text: str) -> Frame:
    reader = FrameReader()
    reader.feed(f"Content-Type: command/reply\nReply-Text: {text}\n\n".encode())
    (frame,) = reader.frames()
    return frame


def event(name: str, **headers: str) -> Event:
    return Event([("Event-Name", name), *((k.replace("_", "-"), v) for k, v in headers.items())])


def test_the_module_does_no_io() -> None:
    tree = ast.parse(inspect.getsource(eslkit.client.protocol))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    }
    assert not imported & {"asyncio", "socket", "threading", "selectors", "time"}


def test_replies_answer_the_oldest_command_and_late_ones_are_dropped() -> None:
    protocol = ClientProtocol()
    first: Future[Frame] = Future()
    second: Future[Frame] = Future()
    protocol.expect_reply(first)
    protocol.expect_reply(second)
    first.cancel()  # its caller timed out: its reply must not go to the next caller
    protocol.reply(reply("+OK one"))
    protocol.reply(reply("+OK two"))
    assert second.result().get("Reply-Text") == "+OK two"
    assert protocol.late_replies == 1
    protocol.reply(reply("+OK nobody"))  # nothing waits: dropped
    assert protocol.late_replies == 1


def test_jobs_match_their_uuid_and_owner() -> None:
    protocol = ClientProtocol()
    assert not protocol.tracking_active
    job: Future[Event] = Future()
    protocol.add_job("j1", job)
    assert protocol.tracking_active
    protocol.session_uuid = "mine"
    protocol.track(event("BACKGROUND_JOB", Job_UUID="j1", Job_Owner_UUID="other"))
    assert not job.done()
    protocol.track(event("BACKGROUND_JOB", Job_UUID="j1", Job_Owner_UUID="mine"))
    assert job.result().get("Job-UUID") == "j1"
    protocol.drop_job("j1")
    assert not protocol.tracking_active


def test_executions_complete_or_fail_on_hangup() -> None:
    protocol = ClientProtocol()
    done: Future[Event] = Future()
    hung: Future[Event] = Future()
    protocol.add_execution("a1", "c1", done)
    protocol.add_execution("a2", "c2", hung)
    protocol.track(event("CHANNEL_EXECUTE_COMPLETE", Application_UUID="a1", Unique_ID="c1"))
    assert done.result().get("Application-UUID") == "a1"
    protocol.track(event("CHANNEL_HANGUP", Unique_ID="c2", Hangup_Cause="USER_BUSY"))
    with pytest.raises(ChannelHangup) as failure:
        hung.result()
    assert failure.value.cause == "USER_BUSY"
    lingered: Future[Event] = Future()
    protocol.add_execution("a3", "c3", lingered)
    protocol.lingering("c3")
    assert isinstance(lingered.exception(), ChannelHangup)
    assert protocol.hung_up == {"c3": None}


def test_event_waiters_and_fail_all() -> None:
    protocol = ClientProtocol()
    waiter: Future[Event] = Future()
    entry = protocol.add_waiter(waiter, "DTMF", lambda e: e.get("DTMF-Digit") == "5")
    protocol.track(event("DTMF", DTMF_Digit="1"))
    assert not waiter.done()
    protocol.track(event("DTMF", DTMF_Digit="5"))
    assert waiter.result().get("DTMF-Digit") == "5"
    protocol.drop_waiter(entry)
    pending: list[Future[Any]] = [Future() for _ in range(4)]
    protocol.expect_reply(pending[0])
    protocol.add_job("j", pending[1])
    protocol.add_execution("a", "c", pending[2])
    protocol.add_waiter(pending[3], None, None)
    protocol.fail_all(Disconnected("gone"))
    assert all(isinstance(f.exception(), Disconnected) for f in pending)
    assert not protocol.tracking_active
