"""FreeSWITCH XML configuration files, read the way FreeSWITCH reads them.

FreeSWITCH runs a *line-based* pre-processor over its XML before parsing it (``preprocess`` in
src/switch_xml.c). This module reproduces it:

- ``$${name}`` is replaced on every line, before anything else, by the global variable set so far
  (document order); an unknown name gives the empty string. Names match case-insensitively.
- A line containing ``<include>``, ``</include>`` or ``<?`` is dropped whole. That is how
  included files may be wrapped in ``<include>...</include>``, and how ``<?xml ...?>`` goes away.
- A line containing ``<X-PRE-PROCESS`` (any case) is a directive and is dropped whole; comments
  do not hide it. ``cmd="set" data="name=value"`` sets a global variable (spaces around ``=``
  are trimmed; a ``${`` in the value is defused to ``%{``), ``cmd="include" data="pattern"``
  inserts the files a glob matches (relative to the including file's directory unless
  absolute), ``cmd="env-set" data="name=$ENVVAR"`` copies an environment variable. ``exec``,
  ``exec-set`` and ``stun-set`` would run programs or use the network: they are skipped with a
  note. The same commands in the ``<!--#cmd arg-->`` form are honoured too.
- Includes nest at most 100 deep, as in FreeSWITCH.

The result is parsed with expat into :class:`XmlElement` nodes that remember the file and line
they came from, so :class:`ConfigError` can say ``file:line``.
"""

from __future__ import annotations

import glob
import os
import re
import socket
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

__all__ = [
    "MAX_INCLUDE_DEPTH",
    "MAX_OUTPUT_BYTES",
    "ConfigError",
    "FreeSwitchConfig",
    "GlobalVariables",
    "XmlDocument",
    "XmlElement",
    "core_variables",
    "find_child",
    "load_file",
    "parse_text",
]

#: FreeSWITCH gives up on an include more than 100 levels deep.
MAX_INCLUDE_DEPTH = 100
#: Bound on the pre-processed text (a file including itself twice would otherwise explode).
MAX_OUTPUT_BYTES = 64 * 1024 * 1024

_WRAPPER = "eslkit-document"


class ConfigError(Exception):
    """A configuration file is unreadable, malformed or holds a bad value.

    ``path`` and ``line`` locate the problem when known; ``str()`` gives ``path:line: message``.
    """

    def __init__(self, message: str, path: Path | str | None = None, line: int | None = None):
        self.message = message
        self.path = Path(path) if path is not None else None
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.path is None:
            return self.message
        if self.line is None:
            return f"{self.path}: {self.message}"
        return f"{self.path}:{self.line}: {self.message}"


class XmlElement:
    """One XML element, with the file and line where its start tag was written.

    A small ElementTree-like node: ``tag``, ``attrib``, ``text`` (all character data directly
    inside it, concatenated), ``children`` in document order.
    """

    __slots__ = ("attrib", "children", "line", "path", "tag", "text")

    def __init__(
        self,
        tag: str,
        attrib: dict[str, str] | None = None,
        path: Path | None = None,
        line: int = 0,
    ) -> None:
        self.tag = tag
        self.attrib: dict[str, str] = dict(attrib or {})
        self.children: list[XmlElement] = []
        self.text = ""
        self.path = path
        self.line = line

    def __repr__(self) -> str:
        return f"<XmlElement {self.tag} {self.attrib!r} at {self.where}>"

    def __iter__(self) -> Iterator[XmlElement]:
        return iter(self.children)

    def __len__(self) -> int:
        return len(self.children)

    @property
    def where(self) -> str:
        """``path:line`` of the start tag (``<string>:line`` when not from a file)."""
        return f"{self.path if self.path is not None else '<string>'}:{self.line}"

    def get(self, name: str, default: str | None = None) -> str | None:
        """The attribute ``name`` (exact case), or ``default``."""
        return self.attrib.get(name, default)

    def get_soft(self, name: str) -> str:
        """The attribute ``name`` or ``""`` (FreeSWITCH's ``switch_xml_attr_soft``)."""
        return self.attrib.get(name, "")

    def find(self, tag: str) -> XmlElement | None:
        """The first direct child named ``tag`` (case-sensitive, like ``switch_xml_child``)."""
        for child in self.children:
            if child.tag == tag:
                return child
        return None

    def findall(self, tag: str) -> list[XmlElement]:
        """All direct children named ``tag``, in document order."""
        return [child for child in self.children if child.tag == tag]

    def iter(self, tag: str | None = None) -> Iterator[XmlElement]:
        """This element and its descendants in document order, optionally only ``tag``."""
        if tag is None or self.tag == tag:
            yield self
        for child in self.children:
            yield from child.iter(tag)

    def error(self, message: str) -> ConfigError:
        """A :class:`ConfigError` located at this element."""
        return ConfigError(message, self.path, self.line if self.path is not None else None)


def find_child(node: XmlElement | None, tag: str, attr: str, value: str) -> XmlElement | None:
    """First child ``tag`` whose attribute ``attr`` equals ``value`` case-insensitively.

    This is ``switch_xml_find_child``: the tag name is case-sensitive, the value is not.
    """
    if node is None:
        return None
    wanted = value.casefold()
    for child in node.children:
        if child.tag == tag:
            found = child.attrib.get(attr)
            if found is not None and found.casefold() == wanted:
                return child
    return None


class GlobalVariables:
    """FreeSWITCH's global variables: case-insensitive names, kept in the order they were set."""

    __slots__ = ("_items",)

    def __init__(self, initial: Mapping[str, str] | None = None) -> None:
        self._items: dict[str, tuple[str, str]] = {}
        for name, value in (initial or {}).items():
            self.set(name, value)

    def set(self, name: str, value: str) -> None:
        """Set ``name``; a value set again moves to the end, as FreeSWITCH re-adds the header."""
        key = name.casefold()
        self._items.pop(key, None)
        self._items[key] = (name, value)

    def get(self, name: str) -> str | None:
        """The value of ``name`` (any case), or None."""
        item = self._items.get(name.casefold())
        return item[1] if item is not None else None

    def as_dict(self) -> dict[str, str]:
        """Name (as spelled when set) to value, in setting order."""
        return dict(self._items.values())


@dataclass(slots=True)
class XmlDocument:
    """A pre-processed, parsed file: its top-level elements, the variables, and notes."""

    elements: list[XmlElement]
    variables: GlobalVariables
    notes: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    @property
    def root(self) -> XmlElement:
        """The first top-level element (a complete document has exactly one)."""
        if not self.elements:
            where = self.files[0] if self.files else None
            raise ConfigError("no XML element in file", where)
        return self.elements[0]


# --------------------------------------------------------------------------------------------
# Pre-processor


@dataclass(slots=True)
class _Output:
    """Pre-processed text, with the origin of every output line."""

    chunks: list[str] = field(default_factory=list)
    origins: list[tuple[Path, int]] = field(default_factory=list)
    at_line_start: bool = True
    size: int = 0

    def write(self, text: str, path: Path, line: int) -> None:
        if not text:
            return
        if self.at_line_start:
            self.origins.append((path, line))
        self.size += len(text)
        if self.size > MAX_OUTPUT_BYTES:
            raise ConfigError(
                f"pre-processed configuration exceeds {MAX_OUTPUT_BYTES} bytes", path, line
            )
        self.chunks.append(text)
        # A file whose last line has no newline runs into the next line written, as in C.
        self.at_line_start = text.endswith("\n")
        self.origins.extend([(path, line)] * text.count("\n", 0, len(text) - 1))


_DEFUSE = re.compile(r"\$(?=\\*\{)")


def _find_end_brace(text: str, start: int) -> int:
    """Index of the ``}`` closing the ``{`` at ``start`` (nesting counted), or -1."""
    depth = 0
    for i in range(start, len(text)):
        char = text[i]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return i
    return -1


def _expand(line: str, variables: GlobalVariables) -> tuple[str, bool]:
    """Replace ``$${name}`` in one line; the flag is True if a ``$${`` was unterminated."""
    if "$${" not in line:
        return line, False
    out: list[str] = []
    i = 0
    unterminated = False
    while i < len(line):
        if line.startswith("$${", i):
            end = _find_end_brace(line, i + 2)
            if end >= 0:
                out.append(variables.get(line[i + 3 : end]) or "")
                i = end + 1
                continue
            unterminated = True
        out.append(line[i])
        i += 1
    return "".join(out), unterminated


def _split_set(data: str) -> tuple[str, str] | None:
    """``name=value`` with spaces around ``=`` trimmed; None without ``=``."""
    if "=" not in data:
        return None
    name, value = data.split("=", 1)
    return name.rstrip(" "), value.lstrip(" ")


class _Preprocessor:
    def __init__(self, variables: GlobalVariables, notes: list[str]) -> None:
        self.variables = variables
        self.notes = notes
        self.out = _Output()
        self.files: list[Path] = []

    def run_file(self, path: Path, depth: int) -> None:
        if depth > MAX_INCLUDE_DEPTH:
            self.notes.append(f"{path}: not included (maximum include depth reached)")
            return
        try:
            if path.stat().st_size > MAX_OUTPUT_BYTES:
                raise ConfigError(f"file larger than {MAX_OUTPUT_BYTES} bytes", path)
            raw = path.read_bytes()
        except OSError as exc:
            raise ConfigError(f"cannot read file: {exc.strerror or exc}", path) from None
        self.files.append(path)
        self.run_text(raw.decode("utf-8", "surrogateescape"), path, depth)

    def run_text(self, text: str, path: Path, depth: int) -> None:
        cwd = path.parent
        in_comment = False
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        for index, raw_line in enumerate(lines):
            line_no = index + 1
            ended = index < len(lines) - 1 or text.endswith("\n")
            line = raw_line + "\n" if ended else raw_line
            line, unterminated = _expand(line, self.variables)
            if unterminated:
                self.notes.append(f"{path}:{line_no}: unterminated $${{var}}")
            if "<include>" in line or "</include>" in line or "<?" in line:
                continue
            body = line
            if in_comment:
                end = body.find("-->")
                if end < 0:
                    continue
                in_comment = False
                body = body[end + 3 :]
            at = body.casefold().find("x-pre-process")
            if at >= 0:
                if at > 0 and body[at - 1] == "<":
                    self._directive_tag(body[at:], cwd, path, line_no, depth)
                continue
            start = body.find("<!--#")
            if start >= 0:
                self.out.write(body[:start], path, line_no)
                close = body.find("-->", start)
                if close >= 0:
                    self.out.write(body[close + 3 :], path, line_no)
                    command = body[start + 5 : close]
                else:
                    in_comment = True
                    command = body[start + 5 :]
                self._directive_comment(command, cwd, path, line_no, depth)
                continue
            self.out.write(body, path, line_no)

    def _directive_tag(self, tag: str, cwd: Path, path: Path, line_no: int, depth: int) -> None:
        # Mirrors the C scanner: cmd, '=', '"' ... '"', then data, '=', '"' ... '"'.
        lower = tag.casefold()
        i = lower.find("cmd")
        if i < 0 or (i := tag.find("=", i)) < 0 or (i := tag.find('"', i)) < 0:
            return
        end = tag.find('"', i + 1)
        command = tag[i + 1 : end] if end >= 0 else tag[i + 1 :]
        rest_at = end + 1 if end >= 0 else len(tag)
        lower = tag.casefold()
        j = lower.find("data", rest_at)
        if j < 0 or (j := tag.find("=", j)) < 0 or (j := tag.find('"', j)) < 0:
            return
        end = tag.find('"', j + 1)
        data = tag[j + 1 : end] if end >= 0 else tag[j + 1 :]
        self._command(command, data, cwd, path, line_no, depth)

    def _directive_comment(
        self, command: str, cwd: Path, path: Path, line_no: int, depth: int
    ) -> None:
        command = command.split("\r", 1)[0].split("\n", 1)[0]
        if " " not in command:
            return
        name, arg = command.split(" ", 1)
        first = arg.find('"')
        if first >= 0:
            second = arg.find('"', first + 1)
            if second >= 0:
                arg = arg[first + 1 : second]
        if name.casefold() == "env-set":
            return  # FreeSWITCH's comment form does not know env-set
        self._command(name, arg, cwd, path, line_no, depth)

    def _command(
        self, command: str, data: str, cwd: Path, path: Path, line_no: int, depth: int
    ) -> None:
        kind = command.casefold()
        if kind == "set":
            pair = _split_set(data)
            if pair is not None:
                self.variables.set(pair[0], _DEFUSE.sub("%", pair[1]))
        elif kind == "env-set":
            name, sep, value = data.partition("=")
            if sep and value.startswith("$"):
                env = os.environ.get(value[1:])
                if env is not None:
                    self.variables.set(name, _DEFUSE.sub("%", env))
        elif kind == "include":
            self._include(data, cwd, depth + 1)
        elif kind in ("exec", "exec-set", "stun-set"):
            self.notes.append(f"{path}:{line_no}: pre-processor command {command!r} ignored")

    def _include(self, pattern: str, cwd: Path, depth: int) -> None:
        full = pattern if pattern.startswith("/") else f"{cwd}{os.sep}{pattern}"
        matches = sorted(glob.glob(full))
        if not matches:
            self.notes.append(f"no files to include at {full}")
            return
        for match in matches:
            target = Path(match)
            if target.is_file():
                self.run_file(target, depth)


# --------------------------------------------------------------------------------------------
# Parser


class _TreeBuilder:
    def __init__(self, origins: list[tuple[Path, int]], fallback: Path | None) -> None:
        self.origins = origins
        self.fallback = fallback
        self.stack: list[XmlElement] = []
        self.top = XmlElement(_WRAPPER)
        self.parser = expat.ParserCreate()
        self.parser.buffer_text = True
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.CharacterDataHandler = self.data

    def origin(self, line: int) -> tuple[Path | None, int | None]:
        if 1 <= line <= len(self.origins):
            return self.origins[line - 1]
        if self.origins:
            return self.origins[-1]
        return self.fallback, None

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        if self.parser.CurrentByteIndex == 0:  # the wrapper
            self.stack.append(self.top)
            return
        path, line = self.origin(self.parser.CurrentLineNumber)
        element = XmlElement(tag, attrib, path, line or 0)
        self.stack[-1].children.append(element)
        self.stack.append(element)

    def end(self, tag: str) -> None:
        self.stack.pop()

    def data(self, text: str) -> None:
        if len(self.stack) > 1:
            self.stack[-1].text += text

    def parse(self, text: str) -> list[XmlElement]:
        # The wrapper sits on the first line so that expat's line numbers stay aligned.
        payload = f"<{_WRAPPER}>{text}</{_WRAPPER}>".encode("utf-8", "surrogateescape")
        try:
            self.parser.Parse(payload, True)
        except expat.ExpatError as exc:
            path, line = self.origin(exc.lineno)
            message = expat.errors.messages.get(exc.code, str(exc))
            raise ConfigError(f"malformed XML: {message}", path, line) from None
        return self.top.children


def parse_text(
    text: str,
    path: Path | None = None,
    variables: Mapping[str, str] | GlobalVariables | None = None,
) -> XmlDocument:
    """Pre-process and parse XML given as text; includes resolve against ``path``'s directory.

    Without ``path``, relative includes resolve against the current directory.
    """
    source = path if path is not None else Path("<string>")
    store = variables if isinstance(variables, GlobalVariables) else GlobalVariables(variables)
    notes: list[str] = []
    pre = _Preprocessor(store, notes)
    pre.files.append(source)
    pre.run_text(text, source, 0)
    elements = _TreeBuilder(pre.out.origins, source).parse("".join(pre.out.chunks))
    return XmlDocument(elements, store, notes, pre.files)


def load_file(
    path: Path | str,
    variables: Mapping[str, str] | GlobalVariables | None = None,
) -> XmlDocument:
    """Pre-process and parse one FreeSWITCH XML file (and everything it includes).

    ``variables`` seeds the global variables (FreeSWITCH sets ``hostname``, ``local_ip_v4``,
    ``conf_dir``... before reading its XML); pass a :class:`GlobalVariables` to keep
    accumulating into it. Raises :class:`ConfigError` for unreadable or malformed files.
    """
    source = Path(path)
    store = variables if isinstance(variables, GlobalVariables) else GlobalVariables(variables)
    notes: list[str] = []
    pre = _Preprocessor(store, notes)
    pre.run_file(source, 0)
    elements = _TreeBuilder(pre.out.origins, source).parse("".join(pre.out.chunks))
    return XmlDocument(elements, store, notes, pre.files)


def core_variables(
    conf_dir: Path | str,
    *,
    hostname: str | None = None,
    local_ip_v4: str = "127.0.0.1",
    local_mask_v4: str = "255.0.0.0",
    local_ip_v6: str = "::1",
) -> dict[str, str]:
    """The global variables FreeSWITCH sets before it reads its XML (a useful subset).

    ``vars.xml`` of the vanilla config derives ``domain`` from ``local_ip_v4``, so pass the
    machine's address to get FreeSWITCH's domain; the loopback defaults keep tests hermetic.
    """
    conf = Path(conf_dir)
    return {
        "hostname": hostname if hostname is not None else socket.gethostname(),
        "local_ip_v4": local_ip_v4,
        "local_mask_v4": local_mask_v4,
        "local_ip_v6": local_ip_v6,
        "base_dir": str(conf.parent),
        "conf_dir": str(conf),
    }


class FreeSwitchConfig:
    """A FreeSWITCH configuration directory, reached as FreeSWITCH reaches it.

    With a ``freeswitch.xml`` the whole tree is pre-processed and parsed once, and sections are
    found in it (``switch_xml_locate``: the first ``<section>`` with that name). Without one
    (the *standalone* layout) ``vars.xml`` is read if present, a configuration named ``X`` comes
    from ``autoload_configs/X.xml`` and the directory from ``directory/*.xml``.
    """

    def __init__(
        self,
        conf_dir: Path | str,
        variables: Mapping[str, str] | GlobalVariables | None = None,
    ) -> None:
        self.conf_dir = Path(conf_dir)
        self.variables = (
            variables if isinstance(variables, GlobalVariables) else GlobalVariables(variables)
        )
        self.notes: list[str] = []
        self.root: XmlElement | None = None
        self._sections: dict[str, XmlElement | None] = {}
        self._configurations: dict[str, XmlElement | None] = {}
        main = self.conf_dir / "freeswitch.xml"
        if main.is_file():
            document = load_file(main, self.variables)
            self.notes.extend(document.notes)
            self.root = document.root
        elif (self.conf_dir / "vars.xml").is_file():
            self.notes.extend(load_file(self.conf_dir / "vars.xml", self.variables).notes)

    @property
    def standalone(self) -> bool:
        """True when there is no ``freeswitch.xml``."""
        return self.root is None

    def section(self, name: str) -> XmlElement | None:
        """The ``<section name=...>`` (case-insensitive), or a synthetic one when standalone.

        Standalone, only the ``directory`` section can be assembled (from ``directory/*.xml``);
        configurations are reached through :meth:`configuration`.
        """
        if self.root is not None:
            return find_child(self.root, "section", "name", name)
        key = name.casefold()
        if key not in self._sections:
            self._sections[key] = self._standalone_section(key)
        return self._sections[key]

    def configuration(self, name: str) -> XmlElement | None:
        """``<configuration name=...>`` as ``switch_xml_open_cfg`` finds it, or None."""
        if self.root is not None:
            return find_child(self.section("configuration"), "configuration", "name", name)
        key = name.casefold()
        if key not in self._configurations:
            found: XmlElement | None = None
            path = self.conf_dir / "autoload_configs" / f"{name}.xml"
            if path.is_file():
                document = load_file(path, self.variables)
                self.notes.extend(document.notes)
                holder = XmlElement("section", {"name": "configuration"}, path, 1)
                holder.children = document.elements
                found = find_child(holder, "configuration", "name", name)
                if found is None:
                    self.notes.append(f'{path}: no <configuration name="{name}">')
            self._configurations[key] = found
        return self._configurations[key]

    def _standalone_section(self, key: str) -> XmlElement | None:
        if key != "directory":
            return None
        folder = self.conf_dir / "directory"
        holder = XmlElement("section", {"name": "directory"}, folder, 0)
        for match in sorted(glob.glob(str(folder / "*.xml"))):
            document = load_file(match, self.variables)
            self.notes.extend(document.notes)
            holder.children.extend(document.elements)
        return holder
