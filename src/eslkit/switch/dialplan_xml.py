"""Reading the dialplan's XML: ``<extension>`` elements into the data model
(:func:`parse_extension`), and documents with ``<section>``/``<include>``/``X-PRE-PROCESS``
into contexts (:class:`DialplanLoader`)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Protocol

from eslkit.fsutil import c_atoi, switch_true
from eslkit.switch.dialplan_model import (
    MAX_INCLUDE_DEPTH,
    MAX_RECURSION,
    BreakMode,
    Condition,
    Context,
    DialplanError,
    Extension,
    RegexMode,
    RegexRule,
    TimeSpec,
    XmlAction,
)
from eslkit.switch.dialplan_time import TIME_ATTRS

__all__ = ["DialplanLoader", "DialplanNode", "parse_extension"]

class DialplanNode(Protocol):
    """An XML element as the dialplan reads it: ``xml.etree`` elements and the
    configuration parser's elements (which know their file and line) both fit."""

    @property
    def tag(self) -> str: ...

    @property
    def text(self) -> str | None: ...

    def get(self, key: str, /) -> str | None: ...

    def find(self, path: str, /) -> DialplanNode | None: ...

    def findall(self, path: str, /) -> Iterable[DialplanNode]: ...


def _time_spec(element: DialplanNode) -> TimeSpec | None:
    attrs = tuple((n, v) for n in TIME_ATTRS if (v := element.get(n)) is not None)
    return TimeSpec(attrs) if attrs else None


def _expression(element: DialplanNode) -> str:
    child = element.find("expression")
    if child is not None:
        return child.text or ""
    return element.get("expression") or ""


def _xml_action(element: DialplanNode) -> XmlAction:
    text = element.text
    data = text if text else element.get("data") or ""
    loop = element.get("loop")
    return XmlAction(
        application=element.get("application") or "",
        data=data,
        inline=switch_true(element.get("inline") or ""),
        loop=1 if loop is None else c_atoi(loop),
    )


def _break_mode(value: str | None) -> BreakMode:
    if value is not None:
        for mode in BreakMode:
            if mode.value == value.lower():
                return mode
    return BreakMode.ON_FALSE


def _condition(element: DialplanNode, depth: int) -> Condition:
    if depth > MAX_RECURSION:
        raise DialplanError("conditions nested too deeply")
    regex_attr = element.get("regex")
    regex_mode: RegexMode | None = None
    if regex_attr is not None:
        lowered = regex_attr.lower()
        regex_mode = (
            RegexMode.ALL
            if lowered == "all"
            else RegexMode.XOR
            if lowered == "xor"
            else RegexMode.ANY
        )
    return Condition(
        field=element.get("field"),
        expression=_expression(element),
        break_mode=_break_mode(element.get("break")),
        regex_mode=regex_mode,
        regexes=tuple(
            RegexRule(r.get("field"), _expression(r), _time_spec(r))
            for r in element.findall("regex")
        ),
        time=_time_spec(element),
        actions=tuple(_xml_action(a) for a in element.findall("action")),
        anti_actions=tuple(_xml_action(a) for a in element.findall("anti-action")),
        conditions=tuple(_condition(c, depth + 1) for c in element.findall("condition")),
        require_nested=element.get("require-nested"),
    )


def parse_extension(element: DialplanNode) -> Extension:
    """An ``<extension>`` element as the hunt uses it. Raises `DialplanError` when its
    conditions nest deeper than FreeSWITCH allows."""
    return Extension(
        name=element.get("name"),
        continue_=element.get("continue"),
        conditions=tuple(_condition(c, 1) for c in element.findall("condition")),
    )


_extension = parse_extension


class DialplanLoader:
    """Flattens ``<document>``/``<section>``/``<include>`` and ``X-PRE-PROCESS`` into contexts."""

    def __init__(self, base_dir: Path | None) -> None:
        self.base_dir = base_dir
        self.contexts: dict[str, Context] = {}
        self.preprocess_vars: dict[str, str] = {}

    def parse_text(self, text: str, origin: str, depth: int) -> None:
        try:
            root = ET.fromstring(text)
        except ET.ParseError as exc:
            raise DialplanError(f"{origin}: {exc}") from exc
        self.walk(root, depth)

    def parse_file(self, path: Path, depth: int) -> None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise DialplanError(f"{path}: {exc}") from exc
        self.parse_text(text, str(path), depth)

    def walk(self, element: ET.Element, depth: int) -> None:
        tag = element.tag
        if tag == "context":
            name = element.get("name", "")
            extensions: list[Extension] = []
            self.collect_extensions(element, extensions, depth)
            # FreeSWITCH looks a context up by name and takes the first one.
            self.contexts.setdefault(name, Context(name, tuple(extensions)))
            return
        if tag == "X-PRE-PROCESS":
            self.preprocess(element, depth, self.walk)
            return
        if tag == "section" and element.get("name") not in (None, "dialplan"):
            return
        for child in element:
            self.walk(child, depth)

    def collect_extensions(self, element: ET.Element, out: list[Extension], depth: int) -> None:
        for child in element:
            if child.tag == "extension":
                out.append(_extension(child))
            elif child.tag == "include":
                self.collect_extensions(child, out, depth)
            elif child.tag == "X-PRE-PROCESS":

                def into_context(node: ET.Element, d: int) -> None:
                    if node.tag == "extension":
                        out.append(_extension(node))
                    else:
                        self.collect_extensions(node, out, d)

                self.preprocess(child, depth, into_context)

    def preprocess(
        self, element: ET.Element, depth: int, sink: Callable[[ET.Element, int], None]
    ) -> None:
        command = (element.get("cmd") or "").lower()
        data = element.get("data") or ""
        if command == "set":
            name, sep, value = data.partition("=")
            if sep and name:
                self.preprocess_vars[name.strip()] = value
        elif command == "include":
            if depth >= MAX_INCLUDE_DEPTH:
                raise DialplanError(f"include nested too deeply: {data}")
            for path in self.include_paths(data):
                try:
                    root = ET.fromstring(path.read_text(encoding="utf-8"))
                except (OSError, UnicodeDecodeError, ET.ParseError) as exc:
                    raise DialplanError(f"{path}: {exc}") from exc
                sink(root, depth + 1)

    def include_paths(self, pattern: str) -> list[Path]:
        path = Path(pattern)
        if not path.is_absolute():
            if self.base_dir is None:
                return []
            path = self.base_dir / path
        if any(ch in path.name for ch in "*?["):
            return sorted(p for p in path.parent.glob(path.name) if p.is_file())
        return [path] if path.is_file() else []
