"""JSON text as FreeSWITCH's cJSON prints it (``cJSON_Print``: tabs, ``":\\t"``; or
``cJSON_PrintUnformatted``), for API outputs that are compared byte for byte."""

from __future__ import annotations

import json
import math

__all__ = ["cjson"]


def _number(value: float) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if math.isnan(value) or math.isinf(value):
        return "null"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.17g}"


def _string(text: str) -> str:
    # cJSON escapes ", \\ and control characters; everything else (UTF-8 included) is kept.
    return json.dumps(text, ensure_ascii=False)


def cjson(value: object, *, formatted: bool = True, _depth: int = 0) -> str:
    """Print ``value`` (dict, list, str, int, float, bool, None) as cJSON does."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _number(value)
    if isinstance(value, str):
        return _string(value)
    depth = _depth + 1
    if isinstance(value, dict):
        if not formatted:
            items = ",".join(
                f"{_string(str(k))}:{cjson(v, formatted=False)}" for k, v in value.items()
            )
            return "{" + items + "}"
        if not value:
            return "{\n" + "\t" * (depth - 1) + "}"
        lines = [
            "\t" * depth + f"{_string(str(k))}:\t{cjson(v, formatted=True, _depth=depth)}"
            for k, v in value.items()
        ]
        return "{\n" + ",\n".join(lines) + "\n" + "\t" * (depth - 1) + "}"
    if isinstance(value, list | tuple):
        separator = ", " if formatted else ","
        return "[" + separator.join(cjson(v, formatted=formatted, _depth=depth) for v in value) + "]"
    raise TypeError(f"cannot print {type(value).__name__} as JSON")
