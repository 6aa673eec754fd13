"""Channel-variable expansion and FreeSWITCH's string-splitting rules.

`expand_variables` reproduces ``switch_channel_expand_variables_check``: ``${var}``, nested
``${${a}}`` and ``${var_${b}}``, ``$${global}``, ``${var:offset[:length]}``, ``${var[idx]}``,
``${api(args)}`` / ``${api args}``, and the backslash escapes ``\\$``, ``\\\\`` and ``\\'``.

`separate_string` reproduces ``switch_separate_string`` (quotes, escapes, ``^^X`` delimiter
override); the assignment helpers build on it for ``uuid_setvar_multi`` and ``multiset``.

Deviations, all deliberate: offsets count characters, not UTF-8 bytes; the total work
(expansions performed, :data:`MAX_WORK` scanning steps) and the output size are capped so
hostile input stays cheap: one call is linear in its text and holds the event loop a few
tens of milliseconds at most.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from eslkit.fsutil import c_atoi

__all__ = [
    "MAX_DEPTH",
    "MAX_EXPANSIONS",
    "MAX_OUTPUT",
    "MAX_WORK",
    "ApiCall",
    "Lookup",
    "expand_variables",
    "needs_expansion",
    "parse_set_assignment",
    "separate_string",
    "split_multiset",
    "split_var_assignments",
]

Lookup = Callable[[str], "str | None"]
ApiCall = Callable[[str, str], str]

MAX_DEPTH = 100
"""FreeSWITCH's recursion limit: deeper text is returned unexpanded."""
MAX_EXPANSIONS = 10_000
"""Cap on expansion passes per call (FreeSWITCH has none; `${a}` with a=`${a}${a}` is exponential)."""
MAX_OUTPUT = 1 << 20
"""Cap on the length of any expanded string, in characters."""
MAX_WORK = 50_000
"""Cap on the scanning work of one call, in steps: a ``$``, backslash, brace or parenthesis
looked at, or 1024 characters scanned or copied. Past it the rest of the text is left as it
is, so one expansion holds the event loop a few tens of milliseconds at most (FreeSWITCH has
no cap; nested ``${expand(...)}`` rescans the text at every level)."""

_ESCAPED_DATA = frozenset("\\nst'")
_UNESCAPE = {"n": "\n", "r": "\r", "t": "\t", "s": " "}
_ARRAY_PREFIX = "ARRAY::"
_ARRAY_SEPARATOR = "|:"
# The scans below jump between the characters that matter with these (in C): the work per
# expansion pass is then linear in its text, not a Python step per character.
_NEEDS_EXPANSION = re.compile(r"\$\\*\{|\\[\\nst']")
_SPECIAL = re.compile(r"[$\\]")
_BRACE = re.compile(r"[{}]")
_PAREN = re.compile(r"[()]")
_CALL_SPLIT = re.compile(r"[ (]")


def needs_expansion(text: str) -> bool:
    """True when FreeSWITCH would run the expander at all (it returns other text untouched).

    That is: a ``$`` followed (after any backslashes) by ``{``, or escaped data
    (a backslash before ``\\``, ``n``, ``s``, ``t`` or ``'``).
    """
    return _NEEDS_EXPANSION.search(text) is not None


def _apply_offsets(value: str, offset: int, length: int) -> str:
    if offset >= 0:
        value = "" if offset > len(value) else value[offset:]
    elif -offset <= len(value):
        value = value[len(value) + offset :]
    if 0 < length < len(value):
        value = value[:length]
    return value


def _array_item(value: str, idx: int) -> str | None:
    if not value.startswith(_ARRAY_PREFIX):
        return None
    items = value[len(_ARRAY_PREFIX) :].split(_ARRAY_SEPARATOR)
    return items[idx] if idx < len(items) else None


class _Expander:
    """One expansion run: the callbacks plus the shared work budget."""

    __slots__ = ("api", "budget", "global_lookup", "lookup", "max_output", "work")

    def __init__(
        self,
        lookup: Lookup,
        global_lookup: Lookup,
        api: ApiCall | None,
        max_output: int,
        max_expansions: int,
    ) -> None:
        self.lookup = lookup
        self.global_lookup = global_lookup
        self.api = api
        self.max_output = max_output
        self.budget = max_expansions
        self.work = MAX_WORK

    def resolve(self, name: str, idx: int, global_only: bool) -> str | None:
        value: str | None = None
        if not global_only and name:
            value = self.lookup(name)
            if value is not None and idx >= 0:
                value = _array_item(value, idx)
        if value is None and name:
            value = self.global_lookup(name)
        return value

    def expand(self, text: str, depth: int) -> str:
        if depth > MAX_DEPTH or not text or not needs_expansion(text):
            return text
        if self.budget <= 0:
            return text
        self.budget -= 1
        out: list[str] = []
        size = 0
        i, n = 0, len(text)
        special = _SPECIAL.search
        while i < n:
            if size > self.max_output:
                break
            self.work -= 1
            if self.work <= 0:
                self._exhausted()
                out.append(text[i:])
                break
            # Plain text up to the next "$" or backslash goes out in one piece.
            found = special(text, i)
            j = found.start() if found is not None else n
            if j > i:
                out.append(text[i:j])
                size += j - i
                self.work -= (j - i) >> 10
                i = j
                continue
            literal = False
            if text[i] == "\\" and i + 1 < n:
                nxt = text[i + 1]
                if nxt == "$":
                    literal = True
                    i += 1
                    if i + 1 < n and text[i + 1] == "$":
                        i += 1
                elif nxt == "'":
                    i += 2
                    continue
                elif nxt == "\\":
                    out.append("\\")
                    size += 1
                    i += 2
                    continue
            kind = 0  # 1: ${var}, 3: $${var}
            if text[i] == "$" and not literal:
                is_global = False
                if i + 1 < n and text[i + 1] == "$":
                    i += 1
                    is_global = True
                if i + 1 < n and text[i + 1] == "{":
                    kind = 3 if is_global else 1
                else:
                    literal = True
            if literal or not kind:
                out.append(text[i])
                size += 1
                i += 1
                continue
            piece, i = self._substitute(text, i, kind == 3, depth)
            out.append(piece)
            size += len(piece)
            if i < n:
                if text[i] != "$":
                    out.append(text[i])
                    size += 1
                    i += 1
        result = "".join(out)
        return result[: self.max_output]

    def _substitute(self, text: str, i: int, global_only: bool, depth: int) -> tuple[str, int]:
        """Expand the ``${...}`` starting at ``text[i] == '$'``; return it and the next index."""
        n = len(text)
        start = i + 2
        braces = 1
        e = start
        end: int | None = None
        work = self.work
        for brace in _BRACE.finditer(text, start):
            e = brace.start()
            work -= 1
            if work <= 0:
                break
            ch = text[e]
            if braces == 1 and ch == "}":
                braces = 0
                end = e
                break
            if e != start and ch == "{":
                braces += 1
            elif braces > 1 and ch == "}":
                braces -= 1
        self.work = work - ((e - start) >> 10)
        if self.work <= 0:
            self._exhausted()
            return text[i:], n
        if end is None:
            # An unterminated "${name" runs to the end of the text, as in FreeSWITCH.
            name = text[start:]
            e = n
        else:
            name = text[start:end]
            e = end + 1

        found = _CALL_SPLIT.search(name)
        if found is not None:
            split = found.start()
            if name[split] == "(":
                braces = 1
            func = name[:split].rstrip(" ")
            rest = name[split + 1 :]
            cut = len(rest)
            work = self.work
            for paren in _PAREN.finditer(rest):
                work -= 1
                if work <= 0:
                    break
                k = paren.start()
                if rest[k] == "(":
                    braces += 1
                elif braces > 1:
                    braces -= 1
                elif braces == 1:
                    cut = k
                    break
            self.work = work
            if work <= 0:
                self._exhausted()
                return text[i:], n
            return self._call_api(func, rest[:cut], depth), e

        name = self.expand(name, depth + 1)
        offset = length = 0
        colon = name.find(":")
        if colon >= 0:
            tail = name[colon + 1 :]
            name = name[:colon]
            offset = c_atoi(tail)
            second = tail.find(":")
            if second >= 0:
                length = c_atoi(tail[second + 1 :])
        idx = -1
        bracket = name.find("[")
        if bracket >= 0 and "]" in name[bracket:]:
            idx = c_atoi(name[bracket + 1 :])
            name = name[:bracket]
        value = self.resolve(name, idx, global_only)
        if value is None:
            return "", e
        value = self.expand(value, depth + 1)
        if offset or length:
            value = _apply_offsets(value, offset, length)
        return value, e

    def _exhausted(self) -> None:
        """Out of work: every expansion still to come returns its text as it is."""
        self.work = 0
        self.budget = 0

    def _call_api(self, func: str, args: str, depth: int) -> str:
        func = self.expand(func, depth + 1)
        args = self.expand(args, depth + 1)
        if self.api is None:
            return ""
        return self.api(func, args)[: self.max_output]


def expand_variables(
    text: str,
    lookup: Lookup,
    *,
    global_lookup: Lookup,
    api: ApiCall | None = None,
    max_output: int = MAX_OUTPUT,
    max_expansions: int = MAX_EXPANSIONS,
) -> str:
    """Expand FreeSWITCH channel-variable references in `text`.

    - ``${name}``: ``lookup(name)``, falling back to ``global_lookup(name)``; the value found
      is itself expanded. Unknown names expand to nothing.
    - ``$${name}``: ``global_lookup(name)`` only (FreeSWITCH resolves these at XML load time).
    - ``${name:offset}``, ``${name:offset:length}``: a negative offset counts from the end,
      and is ignored when longer than the value; an offset past the end gives nothing.
    - ``${name[idx]}``: element `idx` of an ``ARRAY::a|:b`` value.
    - A name with a space or ``(`` is an API call: ``${cmd(args)}`` or ``${cmd args}`` calls
      ``api(cmd, args)`` (both expanded first); with no `api` it expands to nothing.
    - ``\\$`` gives a literal ``$``, ``\\\\`` a backslash, ``\\'`` disappears; text with no
      ``${`` and no escaped data is returned unchanged, backslashes included.
    - An unterminated ``${name`` expands `name` running to the end of the text.
    - A ``$`` not followed by ``{`` is literal; ``$$x`` gives ``$x``.

    Never raises on any `text` (callbacks' own exceptions propagate). Depth is limited to
    `MAX_DEPTH` (deeper text stays unexpanded), work to `max_expansions` passes, and every
    result to `max_output` characters.
    """
    return _Expander(lookup, global_lookup, api, max_output, max_expansions).expand(text, 0)


# --- switch_separate_string -------------------------------------------------------------


def _cleanup(item: str, delim: str | None) -> str:
    """Strip surrounding spaces and balanced single quotes, and unescape, like FreeSWITCH."""
    i, n = 0, len(item)
    while i < n and item[i] == " ":
        i += 1
    out: list[str] = []
    end: int | None = None
    inside_quotes = False
    while i < n:
        ch = item[i]
        if ch == "\\" and i + 1 < n:
            nxt = item[i + 1]
            if nxt in ("'", '"', "\\") or (delim is not None and nxt == delim):
                out.append(nxt)
                end = len(out)
                i += 2
                continue
            if nxt in _UNESCAPE:
                out.append(_UNESCAPE[nxt])
                end = len(out)
                i += 2
                continue
        if ch == "'" and (inside_quotes or "'" in item[i + 1 :]):
            inside_quotes = not inside_quotes
            if inside_quotes:
                end = len(out)
        else:
            out.append(ch)
            if ch != " " or inside_quotes:
                end = len(out)
        i += 1
    if end is not None:
        del out[end:]
    return "".join(out)


def _split_on_char(buf: str, delim: str, limit: int) -> list[str]:
    items: list[str] = []
    start: int | None = None
    inside_quotes = False
    i, n = 0, len(buf)
    while i < n and len(items) < limit:
        if start is None:
            start = i
            items.append("")
            continue
        ch = buf[i]
        if ch == "\\":
            i += 1
        elif ch == "'" and (inside_quotes or "'" in buf[i + 1 :]):
            inside_quotes = not inside_quotes
        elif ch == delim and not inside_quotes:
            items[-1] = buf[start:i]
            start = None
        i += 1
    if start is not None:
        items[-1] = buf[start:]
    return [_cleanup(item, delim) for item in items]


def _split_on_blank(buf: str, limit: int) -> list[str]:
    # A port of FreeSWITCH's tokenizer states: item start, leading spaces, body, gap.
    starts: list[int] = []
    ends: list[int] = []
    state = 0
    inside_quotes = False
    i, n = 0, len(buf)
    while i < n and len(starts) < limit:
        ch = buf[i]
        if state == 0:
            starts.append(i)
            ends.append(n)
            state = 1
        elif state == 1:
            if ch == " ":
                i += 1
            else:
                state = 2
        elif state == 2:
            if ch == "\\":
                i += 1
            elif ch == "'":
                inside_quotes = not inside_quotes
            elif ch == " " and not inside_quotes:
                ends[-1] = i
                state = 3
            i += 1
        elif ch == " ":
            i += 1
        else:
            state = 0
    return [_cleanup(buf[a:b], None) for a, b in zip(starts, ends, strict=True)]


def separate_string(buf: str, delim: str, limit: int = 1024) -> list[str]:
    """Split `buf` on the one-character `delim` exactly as ``switch_separate_string`` does.

    - ``^^X`` at the start replaces the delimiter with ``X`` (when something follows it).
    - A backslash protects the next character from splitting; single quotes group text
      (for a non-space delimiter only when a closing quote follows).
    - Each item then loses leading and trailing spaces and its quotes, and ``\\'``,
      ``\\"``, ``\\\\``, ``\\<delim>``, ``\\n``, ``\\r``, ``\\t``, ``\\s`` are unescaped.
    - A space delimiter collapses runs of spaces; other delimiters keep empty items, but an
      empty string, or a trailing delimiter, adds no item.
    - At most `limit` items: the last one keeps the unsplit remainder.
    """
    if limit <= 0:
        return []
    if buf.startswith("^^") and len(buf) >= 4:
        delim = buf[2]
        buf = buf[3:]
    if delim == " ":
        return _split_on_blank(buf, limit)
    return _split_on_char(buf, delim, limit)


def split_var_assignments(
    data: str, delim: str = ";", limit: int = 64
) -> list[tuple[str, str | None]]:
    """Split ``a=1;b=2`` into ``[("a", "1"), ("b", "2")]`` as ``uuid_setvar_multi`` does.

    Items are split with `separate_string` (so ``^^X`` overrides the delimiter and quotes and
    escapes apply); each item splits at its first ``=``. An item without ``=`` gives
    ``(name, None)`` (unset); an item with an empty name gives ``("", value)``, for which
    FreeSWITCH answers ``-ERR No variable specified``.
    """
    pairs: list[tuple[str, str | None]] = []
    for item in separate_string(data, delim, limit):
        name, sep, value = item.partition("=")
        pairs.append((name, value if sep else None))
    return pairs


def parse_set_assignment(data: str) -> tuple[str, str | None]:
    """Split a ``set`` application argument: at the first ``=``, else the first ``,``.

    An empty or missing value gives None (FreeSWITCH then unsets the variable).
    """
    cut = data.find("=")
    if cut < 0:
        cut = data.find(",")
    if cut < 0:
        return data, None
    return data[:cut], data[cut + 1 :] or None


def split_multiset(data: str) -> list[tuple[str, str | None]]:
    """Split a ``multiset`` argument: space-separated ``var=value`` items, ``^^X`` for another
    delimiter (``^^;a=1;b=2``); each item parsed by `parse_set_assignment`."""
    delim = " "
    if data.startswith("^^") and len(data) >= 3:
        delim = data[2]
        data = data[3:]
    return [parse_set_assignment(item) for item in separate_string(data, delim, 256)]
