"""Log line generation: ``switch_log_printf`` and the level rules of ``switch_log.c``.

A log line passes the core's global level (``loglevel`` in switch.conf, ``fsctl loglevel``)
or is dropped before anyone sees it. Lines on every text channel except LOG_CLEAN get
FreeSWITCH's prefix: ``YYYY-MM-DD HH:MM:SS.uuuuuu NN.NN% [LEVEL] file.c:123 `` followed by the
message. Lines on the EVENT channel become LOG events instead of log records.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import IntEnum

from eslkit.fsutil import LOG_INVALID, LOG_LEVEL_NAMES
from eslkit.protocol.records import LogRecord

__all__ = [
    "LOG_DISABLE",
    "LogHub",
    "TextChannel",
    "format_log_text",
    "level_name",
]

LOG_DISABLE = -1
"""``SWITCH_LOG_DISABLE``: a core level that drops every line."""
class TextChannel(IntEnum):
    """``switch_text_channel_t``: where a log line goes."""

    LOG = 0
    LOG_CLEAN = 1
    EVENT = 2
    SESSION = 3


def level_name(level: int) -> str:
    """``switch_log_level2str``: levels above DEBUG read DEBUG."""
    level = min(level, 7)
    return LOG_LEVEL_NAMES[max(level, -1) + 1]


def format_log_text(
    message: str, level: int, file: str, line: int, idle_cpu: float, now: float | None = None
) -> str:
    """The text of a non-clean log line, as ``switch_log_meta_vprintf`` builds it."""
    stamp = time.time() if now is None else now
    local = time.localtime(stamp)
    micros = int((stamp - int(stamp)) * 1_000_000)
    date = time.strftime("%Y-%m-%d %H:%M:%S", local)
    return f"{date}.{micros:06d} {idle_cpu:0.2f}% [{level_name(level)}] {file}:{line} {message}"


class LogHub:
    """Fans log records out to subscribers, honouring the core's global log level.

    ``listen`` is the highest level anyone wants to receive (-1: nobody). Every producer
    checks it (:meth:`wants`) before it formats a line, so log lines cost nothing while no
    one listens. A subscriber added with ``managed=True`` (the event socket server) declares
    its interest itself through :meth:`set_interest`; any other subscriber wants everything.
    """

    __slots__ = ("_always", "_managed", "_subscribers", "debug_level", "level", "listen")

    def __init__(self, level: int, debug_level: int = 0) -> None:
        #: The core's hard log level (``runtime.hard_log_level``).
        self.level = level
        #: The DEBUG1..DEBUG10 threshold (``fsctl debug_level``).
        self.debug_level = debug_level
        self._subscribers: list[Callable[[LogRecord], None]] = []
        self._always = 0
        self._managed = LOG_DISABLE
        #: The highest level any subscriber takes; -1 when nobody listens.
        self.listen = LOG_DISABLE

    def subscribe(self, callback: Callable[[LogRecord], None], *, managed: bool = False) -> Callable[[], None]:
        """Call ``callback`` for every record; returns an unsubscriber.

        ``managed`` subscribers report what they want through :meth:`set_interest`."""
        self._subscribers.append(callback)
        if not managed:
            self._always += 1
            self._update()

        def unsubscribe() -> None:
            try:
                self._subscribers.remove(callback)
            except ValueError:
                return
            if not managed:
                self._always -= 1
                self._update()

        return unsubscribe

    def set_interest(self, level: int) -> None:
        """The highest level the managed subscribers take now (-1: none of them logs)."""
        self._managed = level
        self._update()

    def _update(self) -> None:
        self.listen = LOG_INVALID if self._always > 0 else self._managed

    def wants(self, level: int, session_level: int = 0) -> bool:
        """Whether a line at ``level`` would reach anyone: someone listens at that level and
        the core's level (raised to ``session_level`` for a session's own lines, as
        ``uuid_loglevel`` does) lets it through."""
        if self.level == LOG_DISABLE:
            return False
        if level > 100:
            return 1 <= self.listen and level - 100 <= self.debug_level
        if level > self.listen:
            return False
        limit = self.level if self.level >= session_level else session_level
        return level <= limit

    def effective_level(self, level: int, session_level: int = 0) -> int | None:
        """The level a line is emitted with, or None when the core level drops it."""
        if self.level == LOG_DISABLE:
            return None
        if level > 100:
            if level - 100 > self.debug_level:
                return None
            level = 1
        limit = self.level if self.level >= session_level else session_level
        if level > limit:
            return None
        return level

    def deliver(self, record: LogRecord) -> None:
        """Hand ``record`` to every subscriber, in subscription order."""
        for callback in tuple(self._subscribers):
            callback(record)
