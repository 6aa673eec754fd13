"""An inbound-mode dialer: originate calls at a steady rate and track every outcome.

Each call is ``bgapi originate {origination_uuid=<ours>,...}<target> &park``: the UUID is
chosen here, so every event is matched to its call from the first one on. Outcomes come
from the switch: CHANNEL_ANSWER marks a call answered, CHANNEL_HANGUP_COMPLETE ends it; an
originate that fails reports its cause in the job result (USER_BUSY, NO_ANSWER...).
Run it against a FreeSWITCH (or ``eslkit serve``)::

    python -m examples.dialer.dialer 'sofia/gateway/gw/15551230001' ...
"""

from __future__ import annotations

import asyncio
import sys
import uuid as uuidlib
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import eslkit
from eslkit.client import InboundConnection

_NO_ANSWER_CAUSES = frozenset({"NO_ANSWER", "NO_USER_RESPONSE", "ORIGINATOR_CANCEL"})
_BUSY_CAUSES = frozenset({"USER_BUSY", "CALL_REJECTED"})


class Outcome(StrEnum):
    """How a call ended up."""

    ANSWERED = "answered"
    BUSY = "busy"
    NO_ANSWER = "no-answer"
    FAILED = "failed"


@dataclass
class DialedCall:
    """One call of a campaign."""

    target: str
    uuid: str
    outcome: Outcome | None = None
    cause: str | None = None
    answered: bool = False
    completed: bool = False


def classify(cause: str) -> Outcome:
    """The outcome of an unanswered call from its hang-up cause."""
    if cause in _BUSY_CAUSES:
        return Outcome.BUSY
    if cause in _NO_ANSWER_CAUSES:
        return Outcome.NO_ANSWER
    return Outcome.FAILED


class Dialer:
    """Originates calls over one inbound connection at ``rate`` calls per second."""

    def __init__(
        self,
        conn: InboundConnection,
        *,
        rate: float = 10.0,
        originate_timeout: int = 30,
        max_concurrent: int = 100,
    ) -> None:
        self.conn = conn
        self.rate = rate
        self.originate_timeout = originate_timeout
        self._slots = asyncio.Semaphore(max_concurrent)
        self.calls: dict[str, DialedCall] = {}
        self._done: dict[str, asyncio.Event] = {}

    async def run(self, targets: Sequence[str], *, timeout: float) -> list[DialedCall]:
        """Dial every target and return the calls once each has an outcome and has ended
        (or ``timeout`` seconds passed: unfinished calls keep ``outcome=None``)."""
        await self.conn.subscribe("CHANNEL_ANSWER", "CHANNEL_HANGUP_COMPLETE")
        remove = [
            self.conn.on("CHANNEL_ANSWER", self._on_answer),
            self.conn.on("CHANNEL_HANGUP_COMPLETE", self._on_hangup_complete),
        ]
        batch: list[DialedCall] = []
        try:
            async with asyncio.timeout(timeout):
                async with asyncio.TaskGroup() as group:
                    for index, target in enumerate(targets):
                        if index:
                            await asyncio.sleep(1.0 / self.rate)
                        call = DialedCall(target, str(uuidlib.uuid4()))
                        self.calls[call.uuid] = call
                        self._done[call.uuid] = asyncio.Event()
                        batch.append(call)
                        await self._slots.acquire()
                        group.create_task(self._dial(call))
        except TimeoutError:
            pass
        finally:
            for undo in remove:
                undo()
        return batch

    async def _dial(self, call: DialedCall) -> None:
        try:
            command = (
                f"originate {{origination_uuid={call.uuid},"
                f"originate_timeout={self.originate_timeout}}}{call.target} &park"
            )
            result = (await self.conn.bgapi(command, check=False)).strip()
            if result.startswith("-ERR"):
                cause = result[4:].strip() or "UNKNOWN"
                call.cause = call.cause or cause
                call.outcome = Outcome.ANSWERED if call.answered else classify(cause)
                call.completed = True
                return
            await self._done[call.uuid].wait()
        finally:
            self._slots.release()

    def _on_answer(self, event: eslkit.Event) -> None:
        call = self.calls.get(event.get("Unique-ID") or "")
        if call is not None:
            call.answered = True
            call.outcome = Outcome.ANSWERED

    def _on_hangup_complete(self, event: eslkit.Event) -> None:
        call = self.calls.get(event.get("Unique-ID") or "")
        if call is None:
            return
        call.cause = event.get("Hangup-Cause") or call.cause
        if call.outcome is None:
            call.outcome = Outcome.ANSWERED if call.answered else classify(call.cause or "")
        call.completed = True
        self._done[call.uuid].set()


def summary(calls: Sequence[DialedCall]) -> dict[str, int]:
    """How many calls ended each way (``"pending"`` for those without an outcome)."""
    counts: dict[str, int] = {}
    for call in calls:
        key = call.outcome.value if call.outcome is not None else "pending"
        counts[key] = counts.get(key, 0) + 1
    return counts


async def _main(targets: Sequence[str]) -> None:
    async with eslkit.connect() as conn:
        calls = await Dialer(conn, rate=2).run(targets, timeout=600)
    print(summary(calls))


if __name__ == "__main__":
    asyncio.run(_main(sys.argv[1:]))
