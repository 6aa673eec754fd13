"""The dialplan ``eslkit serve`` runs: a FreeSWITCH configuration's, extra files, or the built-in.

FreeSWITCH finds its XML dialplan in the ``<section name="dialplan">`` of the document that
``freeswitch.xml`` pre-processes (the vanilla configuration includes ``dialplan/*.xml`` there,
and those files include ``dialplan/default/*.xml`` and ``dialplan/public/*.xml`` inside their
contexts). :func:`load_dialplan` reads it the same way, through :mod:`eslkit.fsconfig.parser`
(``$${var}`` substituted at load time, ``X-PRE-PROCESS`` honoured, every element located by
file and line). A directory without ``freeswitch.xml`` is read as ``dialplan/*.xml`` in name
order. ``--dialplan FILE`` adds one file of ``<context>`` elements or bare ``<extension>``
elements (those go to context ``default``): its extensions are hunted before the base
dialplan's extensions of the same context, and a context the base lacks is added.

As in FreeSWITCH, the first ``<context>`` of a name wins (``switch_xml_find_child``).
Applications the switch does not know are reported as warnings, not errors: FreeSWITCH only
notices them when an extension runs them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from eslkit.fsconfig.parser import (
    ConfigError,
    FreeSwitchConfig,
    GlobalVariables,
    XmlElement,
    load_file,
)
from eslkit.switch.dialplan import Context, Dialplan, DialplanError, Extension, parse_extension

__all__ = ["DialplanSummary", "LoadedContext", "load_dialplan"]

log = logging.getLogger("eslkit.dialplan")

#: Where bare ``<extension>`` elements of a ``--dialplan`` file go.
DEFAULT_CONTEXT = "default"


@dataclass(slots=True)
class LoadedContext:
    """One context as loaded: its extensions and where it was written."""

    name: str
    extensions: list[Extension]
    where: str


@dataclass(slots=True)
class DialplanSummary:
    """The dialplan to install, with what was loaded from where and what looked wrong."""

    dialplan: Dialplan
    #: A human description of each source, in load order.
    sources: list[str] = field(default_factory=list)
    contexts: list[LoadedContext] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: Global variables set by ``X-PRE-PROCESS cmd="set"`` in ``--dialplan`` files.
    variables: dict[str, str] = field(default_factory=dict)
    #: Every application the loaded extensions name: (where first used, number of uses).
    applications: dict[str, tuple[str, int]] = field(default_factory=dict)

    def unknown_applications(self, find: Callable[[str], object | None]) -> list[str]:
        """A warning per application ``find`` (a switch's ``modules.application``) does not
        know. (Checked when asked, so that applications loaded after the dialplan, such as
        the server's ``socket``, count.)"""
        out = []
        for name, (where, count) in self.applications.items():
            if find(name) is None:
                times = "" if count == 1 else f" (and {count - 1} more uses)"
                out.append(
                    f"{where}: unknown application {name!r}{times}; a call that reaches it "
                    "hangs up DESTINATION_OUT_OF_ORDER, as in FreeSWITCH"
                )
        return out

    def log_lines(self) -> list[str]:
        """The lines ``eslkit serve`` logs at start: sources, then one per context."""
        lines = [f"dialplan: {source}" for source in self.sources]
        for ctx in self.contexts:
            count = len(self.dialplan.contexts[ctx.name].extensions)
            noun = "extension" if count == 1 else "extensions"
            lines.append(f"dialplan: context {ctx.name!r}: {count} {noun} ({ctx.where})")
        return lines

    def log(self, find: Callable[[str], object | None], logger: logging.Logger = log) -> None:
        """Log the sources and contexts at INFO and each warning at WARNING (applications
        are looked up with ``find``, see :meth:`unknown_applications`)."""
        for line in self.log_lines():
            logger.info("%s", line)
        for warning in [*self.warnings, *self.unknown_applications(find)]:
            logger.warning("dialplan: %s", warning)


class _Collector:
    """Walks parsed configuration elements into contexts, checking the applications."""

    def __init__(self) -> None:
        self.contexts: dict[str, LoadedContext] = {}
        self.order: list[str] = []
        self.loose: list[Extension] = []
        self.loose_where = ""
        self.warnings: list[str] = []
        #: Application name -> (where first used, number of uses).
        self.applications: dict[str, tuple[str, int]] = {}

    def walk(self, element: XmlElement, *, in_section: bool = False) -> None:
        tag = element.tag
        if tag == "context":
            self.context(element)
        elif tag == "extension":
            if not self.loose:
                self.loose_where = element.where
            self.loose.append(self.extension(element))
        elif tag == "section":
            if element.get_soft("name").casefold() == "dialplan":
                for child in element:
                    self.walk(child, in_section=True)
        elif tag in ("document", "include"):
            for child in element:
                self.walk(child, in_section=in_section)

    def context(self, element: XmlElement) -> None:
        name = element.get_soft("name")
        extensions = [self.extension(child) for child in element.findall("extension")]
        if name in self.contexts:
            first = self.contexts[name].where
            self.warnings.append(
                f"{element.where}: context {name!r} ignored: FreeSWITCH uses the first one "
                f"({first})"
            )
            return
        self.contexts[name] = LoadedContext(name, extensions, element.where)
        self.order.append(name)

    def extension(self, element: XmlElement) -> Extension:
        for tag in ("action", "anti-action"):
            for action in element.iter(tag):
                name = action.get_soft("application")
                if name and "$" not in name:
                    where, count = self.applications.get(name, (action.where, 0))
                    self.applications[name] = (where, count + 1)
        try:
            return parse_extension(element)
        except DialplanError as exc:
            raise element.error(str(exc)) from None


def _conf_elements(config: FreeSwitchConfig) -> tuple[list[XmlElement], str] | None:
    """The dialplan elements of a configuration directory and a description, or None."""
    if not config.standalone:
        section = config.section("dialplan")
        if section is None:
            return None
        return [section], f"{config.conf_dir / 'freeswitch.xml'} (section dialplan)"
    folder = config.conf_dir / "dialplan"
    files = sorted(p for p in folder.glob("*.xml") if p.is_file()) if folder.is_dir() else []
    if not files:
        return None
    elements: list[XmlElement] = []
    for path in files:
        document = load_file(path, config.variables)
        config.notes.extend(document.notes)
        elements.extend(document.elements)
    return elements, f"{folder}/*.xml ({len(files)} files)"


def _collect(elements: Iterable[XmlElement]) -> _Collector:
    collector = _Collector()
    for element in elements:
        collector.walk(element)
    return collector


def load_dialplan(
    config: FreeSwitchConfig | None,
    files: Sequence[Path] = (),
    variables: GlobalVariables | None = None,
) -> DialplanSummary:
    """The dialplan of ``config`` (or the built-in one when it has none), with ``files``
    hunted first. ``variables`` seeds ``$${var}`` in the files when there is no ``config``.

    Raises :class:`ConfigError` (``file:line: ...``) for an unreadable or malformed file, a
    missing ``--dialplan`` file, or conditions nested too deeply.
    """
    sources: list[str] = []
    warnings: list[str] = []
    order: list[str] = []
    contexts: dict[str, list[Extension]] = {}
    wheres: dict[str, str] = {}
    applications: dict[str, tuple[str, int]] = {}
    found = _conf_elements(config) if config is not None else None
    if found is not None:
        elements, description = found
        collector = _collect(elements)
        applications.update(collector.applications)
        sources.append(f"from {description}")
        warnings.extend(collector.warnings)
        if collector.loose:
            warnings.append(
                f"{collector.loose_where}: {len(collector.loose)} extension(s) outside any "
                "<context> ignored (FreeSWITCH only hunts extensions inside a context)"
            )
        for name in collector.order:
            loaded = collector.contexts[name]
            contexts[name] = list(loaded.extensions)
            wheres[name] = loaded.where
            order.append(name)
        base_vars: dict[str, str] = {}
    else:
        builtin = Dialplan.default()
        sources.append(
            "built-in (the reference FreeSWITCH's context default and eslkit's contexts)"
            + (f"; {config.conf_dir} has no dialplan" if config is not None else "")
        )
        for name, ctx in builtin.contexts.items():
            contexts[name] = list(ctx.extensions)
            wheres[name] = "built-in"
            order.append(name)
        base_vars = dict(builtin.preprocess_vars)
    store = config.variables if config is not None else (variables or GlobalVariables())
    before = store.as_dict()
    prefix: dict[str, list[Extension]] = {}
    prefix_where: dict[str, str] = {}
    for path in files:
        if not Path(path).is_file():
            raise ConfigError("dialplan file not found", path)
        document = load_file(path, store)
        collector = _collect(document.elements)
        for name, (where, count) in collector.applications.items():
            first, before_count = applications.get(name, (where, 0))
            applications[name] = (first, before_count + count)
        warnings.extend(document.notes)
        warnings.extend(collector.warnings)
        added = [(name, collector.contexts[name]) for name in collector.order]
        if collector.loose:
            added.append(
                (
                    DEFAULT_CONTEXT,
                    LoadedContext(DEFAULT_CONTEXT, collector.loose, collector.loose_where),
                )
            )
        for name, loaded in added:
            prefix.setdefault(name, []).extend(loaded.extensions)
            prefix_where.setdefault(name, loaded.where)
    for name, extensions in prefix.items():
        if name in contexts:
            contexts[name] = extensions + contexts[name]
            wheres[name] = f"{prefix_where[name]} first, then {wheres[name]}"
        else:
            contexts[name] = list(extensions)
            wheres[name] = prefix_where[name]
            order.append(name)
    for path in files:
        sources.append(f"from {path}, hunted before the extensions above")
    after = store.as_dict()
    file_vars = {k: v for k, v in after.items() if before.get(k) != v}
    dialplan = Dialplan(
        {name: Context(name, tuple(contexts[name])) for name in order},
        {**base_vars, **file_vars},
    )
    return DialplanSummary(
        dialplan,
        sources,
        [LoadedContext(name, contexts[name], wheres[name]) for name in order],
        warnings,
        file_vars,
        applications,
    )
