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

from eslkit.fsutil import LOG_LEVEL_NAMES
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
    """Fans log records out to subscribers, honouring the core's global log level."""

    __slots__ = ("_subscribers", "debug_level", "level")

    def __init__(self, level: int, debug_level: int = 0) -> None:
        #: The core's hard log level (``runtime.hard_log_level``).
        self.level = level
        #: The DEBUG1..DEBUG10 threshold (``fsctl debug_level``).
        self.debug_level = debug_level
        self._subscribers: list[Callable[[LogRecord], None]] = []

    def subscribe(self, callback: Callable[[LogRecord], None]) -> Callable[[], None]:
        """Call ``callback`` for every record; returns an unsubscriber."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            try:
                self._subscribers.remove(callback)
            except ValueError:
                pass

        return unsubscribe

    def effective_level(self, level: int) -> int | None:
        """The level a line is emitted with, or None when the core level drops it."""
        if self.level == LOG_DISABLE:
            return None
        if level > 100:
            if level - 100 > self.debug_level:
                return None
            level = 1
        if level > self.level:
            return None
        return level

    def deliver(self, record: LogRecord) -> None:
        """Hand ``record`` to every subscriber, in subscription order."""
        for callback in tuple(self._subscribers):
            callback(record)
