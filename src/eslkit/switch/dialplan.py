"""The XML dialplan (mod_dialplan_xml): load contexts, hunt a destination to its actions.

A hunt walks the context's extensions in order and evaluates each one's conditions the way
``parse_exten`` does: ``field``/``expression`` regexes (PCRE syntax, :mod:`eslkit.pcre`),
``regex="all|any|xor"`` with ``<regex>`` children, the time attributes (``wday``, ``hour``,
``time-of-day``...), ``break`` modes, nested conditions with ``require-nested``, actions and
anti-actions (with ``loop``), and ``continue="true"``. Captures ``$1``..``$N`` are substituted
into action data at hunt time; ``${...}`` is left for execute time. Inline actions run during
the hunt through a callback, so later conditions see their effect.

Not supported: the ``hunt`` XML-curl bindings, ``$${var}`` substitution at load time (the
expander resolves ``$${var}`` from globals at execute time instead), and PCRE-only regex
syntax that :mod:`eslkit.pcre` cannot translate for ``re`` (recursion, callouts: such an
expression never matches, as a compile error does in FreeSWITCH).

The parts: :mod:`~eslkit.switch.dialplan_model` (the parsed form),
:mod:`~eslkit.switch.dialplan_xml` (reading XML), :mod:`~eslkit.switch.dialplan_regex` and
:mod:`~eslkit.switch.dialplan_time` (what a condition tests); this module hunts and holds
the loaded :class:`Dialplan`. Every public name of the parts can be imported from here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from eslkit.fsutil import c_atoi, switch_true
from eslkit.switch.dialplan_model import (
    CALLER_PROFILE_FIELDS,
    MAX_FIELD_LENGTH,
    MAX_INCLUDE_DEPTH,
    MAX_RECURSION,
    Action,
    BreakMode,
    Condition,
    Context,
    DialplanError,
    Extension,
    FieldSource,
    RegexMode,
    RegexRule,
    SimpleFieldSource,
    TimeSpec,
    XmlAction,
)
from eslkit.switch.dialplan_regex import capture_value, perform_substitution, regex_match
from eslkit.switch.dialplan_time import switch_true_number, time_match
from eslkit.switch.dialplan_xml import DialplanLoader, DialplanNode, parse_extension

__all__ = [
    "CALLER_PROFILE_FIELDS",
    "MAX_FIELD_LENGTH",
    "MAX_INCLUDE_DEPTH",
    "MAX_RECURSION",
    "Action",
    "BreakMode",
    "Condition",
    "Context",
    "Dialplan",
    "DialplanError",
    "DialplanNode",
    "Extension",
    "FieldSource",
    "RegexMode",
    "RegexRule",
    "SimpleFieldSource",
    "TimeSpec",
    "XmlAction",
    "parse_extension",
    "perform_substitution",
    "regex_match",
    "switch_true",
]


# --- the hunt ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Capture:
    """The regex result the actions of a condition substitute from."""

    field: str | None
    expression: str | None
    field_data: str
    match: re.Match[str] | None
    count: int


#: The dialplan's log lines: ``trace(function, line, text)`` (DEBUG, clean channel).
DialplanTrace = Callable[[str, int, str], None]


class _Hunt:
    __slots__ = ("actions", "created", "fields", "now", "run_inline", "trace", "trace_name", "tz_offset")

    def __init__(
        self,
        fields: FieldSource,
        run_inline: Callable[[str, str], None] | None,
        now: datetime,
        tz_offset: int | None,
        trace: DialplanTrace | None = None,
        trace_name: str = "",
    ) -> None:
        self.fields = fields
        self.run_inline = run_inline
        self.now = now
        self.tz_offset = tz_offset
        self.actions: list[Action] = []
        self.created = False
        self.trace = trace
        self.trace_name = trace_name

    def field_data(self, name: str) -> str:
        if "$" in name:
            return self.fields.expand(name)
        value = self.fields.field(name.lower())
        return "" if value is None else value

    def add(self, action: XmlAction, data: str, exten_name: str, anti: bool = False, space: str = "") -> None:
        self.created = True
        trace = self.trace
        if trace is not None:
            tail = "INLINE" if action.inline else ""
            if anti:
                trace("parse_exten", 500, f"{space}Dialplan: {self.trace_name} ANTI-Action {action.application}({data}) {tail}\n")
            else:
                for _ in range(action.loop):
                    trace("parse_exten", 566, f"{space}Dialplan: {self.trace_name} Action {action.application}({data}) {tail}\n")
        for _ in range(action.loop):
            if action.inline and self.run_inline is not None:
                self.run_inline(action.application, data)
            else:
                self.actions.append(Action(action.application, data, action.inline, exten_name))

    def time_match(self, spec: TimeSpec | None) -> int:
        return time_match(spec, self.now, self.tz_offset)

    def parse(
        self,
        conditions: Iterable[Condition],
        name: str,
        recur: int,
        require_nested: str | None,
    ) -> int:
        """``parse_exten``: returns the final "proceed" (nonzero when the extension matched)."""
        if recur > MAX_RECURSION:
            return 0
        exten_name = f"{name}_recur_{recur}" if recur else name
        req_nest = True
        if recur and require_nested is not None:
            req_nest = switch_true(require_nested)
        proceed = 0
        for cond in conditions:
            time_match = self.time_match(cond.time)
            anti = True
            if time_match == 1:
                anti = False
                proceed = 1
            elif time_match == 0:
                proceed = 0
            if cond.regex_mode is not None:
                anti, proceed, capture = self.eval_regexes(cond, anti, proceed)
            else:
                expression = self.fields.expand(cond.expression)
                field_data = ""
                match: re.Match[str] | None = None
                if cond.field is not None:
                    field_data = self.field_data(cond.field)
                    match, proceed = regex_match(field_data, expression)
                    if proceed:
                        anti = False
                    if self.trace is not None:
                        self.trace(
                            "parse_exten", 419 if proceed else 430,
                            f"{_space(recur)}Dialplan: {self.trace_name} Regex ({'PASS' if proceed else 'FAIL'}) "
                            f"[{exten_name}] {cond.field}({field_data}) =~ /{expression}/ "
                            f"break={cond.break_mode.value}\n",
                        )  # fmt: skip
                elif time_match == -1:
                    anti = False
                    proceed = 1
                    if self.trace is not None:
                        self.trace(
                            "parse_exten", 442,
                            f"{_space(recur)}Dialplan: {self.trace_name} Absolute Condition [{exten_name}]\n",
                        )  # fmt: skip
                capture = _Capture(cond.field, expression, field_data, match, proceed)

            if anti:
                for action in cond.anti_actions:
                    self.add(action, action.data, exten_name, True, _space(recur))
                    proceed = 1
            else:
                substitute = (
                    capture.field is not None
                    and capture.expression is not None
                    and "(" in capture.expression
                )
                if substitute:
                    self.fields.set_variable("DP_MATCH", None)
                    value = capture_value(capture.match, proceed)
                    if value is not None:
                        self.fields.set_variable("DP_MATCH", value)
                for action in cond.actions:
                    data = action.data
                    if substitute:
                        limit = (len(data) + len(capture.field_data) + 10) * proceed
                        data = perform_substitution(capture.match, data, limit)
                    self.add(action, data, exten_name, False, _space(recur))

            mode = cond.break_mode
            if (
                (not anti and mode is BreakMode.ON_TRUE)
                or (anti and mode is BreakMode.ON_FALSE)
                or mode is BreakMode.ALWAYS
            ):
                break
            if proceed and cond.conditions:
                proceed = self.parse(cond.conditions, name, recur + 1, cond.require_nested)
                if not proceed:
                    if mode is BreakMode.NEVER:
                        continue
                    break
        if not req_nest:
            proceed = 1
        return proceed

    def eval_regexes(self, cond: Condition, anti: bool, proceed: int) -> tuple[bool, int, _Capture]:
        mode = cond.regex_mode
        is_all, is_xor = mode is RegexMode.ALL, mode is RegexMode.XOR
        passed = failed = total = 0
        self.fields.delete_variable_prefix("DP_REGEX_MATCH")
        saved: _Capture | None = None
        last = _Capture(cond.field, None, "", None, 0)
        for rule in cond.regexes:
            rule_time = self.time_match(rule.time)
            expression = self.fields.expand(rule.expression)
            # FreeSWITCH drops an expanded expression before the actions see it.
            kept = expression if expression == rule.expression else None
            total += 1
            stop = False
            match: re.Match[str] | None = None
            field_data = ""
            if rule.field is not None:
                field_data = self.field_data(rule.field)
                match, proceed = regex_match(field_data, expression)
                if proceed:
                    passed += 1
                    stop = not is_all and not is_xor
                else:
                    failed += 1
                    stop = is_all and not is_xor
            elif rule_time in (-1, 1):
                passed += 1
                proceed = 1
                stop = not is_all and not is_xor
            else:
                failed += 1
                stop = is_all
            last = _Capture(rule.field, kept, field_data, match if stop else None, proceed)
            if stop:
                break
            if rule.field is not None and "(" in expression:
                var = f"DP_REGEX_MATCH_{total}"
                self.fields.set_variable(var, None)
                value = capture_value(match, proceed)
                if value is not None:
                    self.fields.set_variable(var, value)
                saved = _Capture("", expression, field_data, match, proceed) if match else None
        if is_xor:
            if passed == 1:
                anti = False
        elif (is_all and not failed) or (not is_all and passed):
            anti = False
        if saved is not None:
            return anti, saved.count, saved
        return anti, proceed, last


class Dialplan:
    """A loaded XML dialplan: contexts of extensions, ready to hunt."""

    __slots__ = ("contexts", "preprocess_vars")

    def __init__(
        self, contexts: Mapping[str, Context], preprocess_vars: Mapping[str, str] | None = None
    ) -> None:
        self.contexts: dict[str, Context] = dict(contexts)
        # Variables from <X-PRE-PROCESS cmd="set">, for the caller to make global.
        self.preprocess_vars: dict[str, str] = dict(preprocess_vars or {})

    @classmethod
    def from_xml(cls, text: str, *, base_dir: str | Path | None = None) -> Dialplan:
        """Parse one XML document: ``<document>``, ``<section name="dialplan">``,
        ``<include>`` or ``<context>`` at the root. `base_dir` resolves relative
        ``X-PRE-PROCESS include`` paths (without it they include nothing)."""
        loader = DialplanLoader(Path(base_dir) if base_dir is not None else None)
        loader.parse_text(text, "<string>", 0)
        return cls(loader.contexts, loader.preprocess_vars)

    @classmethod
    def load(cls, conf_dir: str | Path | None = None) -> Dialplan:
        """Load ``<conf_dir>/dialplan/*.xml`` in name order, or the built-in default dialplan
        when `conf_dir` is None. Raises `DialplanError` when the directory is missing or a
        file is not well-formed XML."""
        if conf_dir is None:
            return cls.default()
        base = Path(conf_dir)
        directory = base / "dialplan"
        if not directory.is_dir():
            raise DialplanError(f"{directory}: no such directory")
        loader = DialplanLoader(base)
        for path in sorted(directory.glob("*.xml")):
            loader.parse_file(path, 0)
        return cls(loader.contexts, loader.preprocess_vars)

    @classmethod
    def default(cls) -> Dialplan:
        """The built-in dialplan: the reference switch's context "default", plus the contexts
        of ``data/contexts/*.xml`` (one file per context, as added to the reference build for
        the transcripts recorded from it)."""
        data = resources.files("eslkit.switch").joinpath("data")
        loader = DialplanLoader(None)
        loader.parse_text(
            data.joinpath("default_dialplan.xml").read_text(encoding="utf-8"),
            "default_dialplan.xml",
            0,
        )
        contexts = data.joinpath("contexts")
        if contexts.is_dir():
            for item in sorted(contexts.iterdir(), key=lambda entry: entry.name):
                if item.name.endswith(".xml"):
                    loader.parse_text(item.read_text(encoding="utf-8"), item.name, 0)
        return cls(loader.contexts, loader.preprocess_vars)

    def hunt(
        self,
        context: str,
        fields: FieldSource,
        *,
        run_inline: Callable[[str, str], None] | None = None,
        now: datetime | None = None,
        trace: DialplanTrace | None = None,
        trace_name: str = "",
    ) -> list[Action] | None:
        """Hunt `context` (falling back to a context named "global") for `fields`' channel.

        Returns the actions of the matching extension(s) in order, with ``$N`` captures
        substituted and ``${...}`` left unexpanded, or None when no extension matched
        (FreeSWITCH then hangs up with NO_ROUTE_DESTINATION). Inline actions are passed to
        `run_inline(application, data)` as they are met and are not returned (without
        `run_inline` they are returned with ``inline=True``); an extension whose only actions
        ran inline gives an empty list. `now` (default: the current local time) drives the
        time conditions; the channel variables ``tod_tz_offset`` and ``timezone`` shift it.
        """
        ctx = self.contexts.get(context) or self.contexts.get("global")
        if ctx is None:
            return None
        current, tz_offset = _local_time(now, fields)
        hunt = _Hunt(fields, run_inline, current, tz_offset, trace, trace_name)
        extensions = list(ctx.extensions)
        if switch_true(fields.variable("auto_hunt")):
            destination = fields.field("destination_number")
            for index, ext in enumerate(extensions):
                if ext.name is not None and ext.name == destination:
                    extensions = extensions[index:]
                    break
        for ext in extensions:
            name = ext.name if ext.name is not None else "UNKNOWN"
            if trace is not None:
                trace(
                    "dialplan_hunt", 705,
                    f"Dialplan: {trace_name} parsing [{context}->{name}] continue={ext.continue_ or 'false'}\n",
                )  # fmt: skip
            proceed = hunt.parse(ext.conditions, name, 0, None)
            if proceed and not switch_true(ext.continue_):
                break
        return hunt.actions if hunt.created else None


def _space(recur: int) -> str:
    """The indentation of a nested condition's log lines: ``|``, then 4 characters per
    level, all ``-`` except a final blank."""
    if not recur:
        return ""
    return "|" + "-" * (4 * recur - 1) + " "


def _local_time(now: datetime | None, fields: FieldSource) -> tuple[datetime, int | None]:
    current = now if now is not None else datetime.now().astimezone()
    if current.tzinfo is None:
        current = current.astimezone()
    offset = fields.variable("tod_tz_offset")
    if offset and switch_true_number(offset):
        hours = c_atoi(offset)
        if -24 < hours < 24:
            return current.astimezone(timezone(timedelta(hours=hours))), hours
    zone = fields.variable("timezone")
    if zone:
        try:
            return current.astimezone(ZoneInfo(zone)), None
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return current, None
