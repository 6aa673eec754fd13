"""The XML user directory and ``userauth`` permissions (spec §2.2).

Lookup follows ``switch_xml_locate_user("id", ...)`` in src/switch_xml.c:

- The domain is the first ``<domain>`` of the directory section whose ``name`` matches
  case-insensitively.
- If the domain has ``<groups>``, each ``<group>``'s first ``<users>`` is searched in order;
  otherwise (or if no group holds the user) the domain's ``<users>``, or the domain itself when
  it has no ``<users>``.
- Within a ``<users>``, the first ``<user>`` matches for which **any** of these holds (the C
  test is an OR): ``id`` equals the name, ``number-alias`` equals it (both case-insensitive), or
  the user has a ``type`` attribute other than ``pointer``. A ``type="pointer"`` entry whose id
  matches is therefore found too (and usually carries no params).
- ``<params>`` are then read from the domain, the group the user was found in, and the user,
  later overriding earlier: ``esl-password``, ``esl-allowed-log``, ``esl-allowed-events``,
  ``esl-allowed-api``, and eslkit's own ``esl-strict-userauth`` (names case-insensitive).

Permissions follow mes.c (``userauth`` in ``parse_command``, ``auth_api_command`` and the
``event`` command); see :class:`UserPermissions`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from eslkit.fsconfig.parser import FreeSwitchConfig, XmlElement
from eslkit.fsutil import switch_true
from eslkit.protocol.names import EventType, event_type_by_name

__all__ = [
    "REPLY_BUFFER_SIZE",
    "SNEAKY_API_COMMANDS",
    "Directory",
    "DirectoryDomain",
    "DirectoryGroup",
    "DirectoryUser",
    "EslUser",
    "UserPermissions",
    "load_directory",
    "parse_userauth_argument",
    "userauth_reply_body",
    "userauth_reply_text",
]

#: mod_event_socket builds the ``userauth`` reply and each of its lines in buffers this big.
REPLY_BUFFER_SIZE = 512
#: API commands whose argument starts another command, which must be allowed too.
SNEAKY_API_COMMANDS = frozenset({"bgapi", "sched_api", "eval", "expand", "xml_wrap"})


def _strip_cr(text: str) -> str:
    # mes.c strip_cr: cut at the first CR if there is one, else at the first LF.
    cut = text.find("\r")
    if cut < 0:
        cut = text.find("\n")
    return text if cut < 0 else text[:cut]


def parse_userauth_argument(arg: str) -> tuple[str, str, str] | None:
    """Split the argument of ``userauth`` into (user, domain, password).

    ``user@domain:pass`` and ``user:pass@domain`` both work: the text is split at the first
    ``@``, the domain part at its first ``:``, then the user part at its first ``:`` (which
    wins). Text from the first CR (else LF) on is dropped. None when the user or the domain is
    empty (the server replies ``-ERR invalid`` and disconnects). A missing password is ``""``,
    which never authenticates.
    """
    user, at, domain = _strip_cr(arg).partition("@")
    if not at:
        return None
    domain, colon, password = domain.partition(":")
    if not colon:
        password = ""
    if ":" in user:
        user, _, password = user.partition(":")
    if not user or not domain:
        return None
    return user, domain, password


def _split_list(text: str) -> list[str]:
    # Comma-separated, unless the list contains a space: then space-separated.
    return text.split(" " if " " in text else ",")


def _truncate(data: bytes) -> bytes:
    # snprintf into a REPLY_BUFFER_SIZE buffer keeps at most size - 1 bytes.
    return data[: REPLY_BUFFER_SIZE - 1]


@dataclass(frozen=True, slots=True)
class UserPermissions:
    """What a ``userauth`` user may do; :meth:`full` is what plain ``auth`` grants.

    ``allowed_events_text``/``allowed_api_text`` are the param values verbatim, or ``"all"``
    when the param is absent. The parsed forms:

    - ``allowed_events``: event types named in the list (FreeSWITCH's ``allowed_event_list``);
      None when ``esl-allowed-events`` is absent (no restriction). ``ALL`` in the list sets
      ``all_events``, which allows every event type.
    - ``allowed_custom``: the tokens after ``CUSTOM`` in the list, taken as subclass names;
      None when ``esl-allowed-events`` is absent. Note that a list such as ``ALL`` still gives
      an empty set here: ``event CUSTOM foo`` is then denied, exactly as in FreeSWITCH.
    - ``allowed_api``: the command names (case-sensitive); None when ``esl-allowed-api`` is
      absent. ``all`` is just a name, not a wildcard.
    """

    allowed_events_text: str = "all"
    allowed_api_text: str = "all"
    allowed_log: bool = True
    allowed_events: frozenset[EventType] | None = None
    all_events: bool = False
    allowed_custom: frozenset[str] | None = None
    allowed_api: frozenset[str] | None = None
    #: ``esl-strict-userauth`` (an eslkit extension; ``eslkit serve --strict-userauth`` sets
    #: it for everyone): the allow-lists also cover ``sendevent``, ``filter`` on event names,
    #: ``console_execute`` chains and API calls reached through expansion or run by another
    #: API command. Without it, as in FreeSWITCH, they do not (docs/security.md).
    strict: bool = False

    @classmethod
    def full(cls) -> UserPermissions:
        """No restriction at all (plain ``auth``)."""
        return cls()

    @classmethod
    def from_params(
        cls,
        allowed_events: str | None,
        allowed_api: str | None,
        allowed_log: bool = True,
        strict: bool = False,
    ) -> UserPermissions:
        """Build permissions from the ``esl-allowed-*`` param values (None: param absent)."""
        types: set[EventType] | None = None
        custom: set[str] | None = None
        all_events = False
        if allowed_events is not None:
            types, custom = set(), set()
            in_custom = False
            for token in _split_list(allowed_events):
                if in_custom:
                    custom.add(token)
                    continue
                event = event_type_by_name(token)
                if event is None:
                    continue  # unknown names are ignored
                if event is EventType.ALL:
                    all_events = True
                types.add(event)
                if event is EventType.CUSTOM:
                    in_custom = True
        api = frozenset(_split_list(allowed_api)) if allowed_api is not None else None
        return cls(
            allowed_events_text=allowed_events if allowed_events is not None else "all",
            allowed_api_text=allowed_api if allowed_api is not None else "all",
            allowed_log=allowed_log,
            allowed_events=frozenset(types) if types is not None else None,
            all_events=all_events,
            allowed_custom=frozenset(custom) if custom is not None else None,
            allowed_api=api,
            strict=strict,
        )

    @property
    def restricts_events(self) -> bool:
        """True when ``esl-allowed-events`` was given (FreeSWITCH's ``LFLAG_AUTH_EVENTS``)."""
        return self.allowed_events is not None

    def event_type_allowed(self, event: EventType) -> bool:
        """May ``event <NAME>`` subscribe to this type? (``ALL`` needs ``ALL`` in the list.)"""
        if self.allowed_events is None or self.all_events:
            return True
        return event in self.allowed_events

    def custom_allowed(self, subclass: str) -> bool:
        """May ``event CUSTOM <subclass>`` subscribe to this subclass? (case-sensitive)"""
        return self.allowed_custom is None or subclass in self.allowed_custom

    def event_allowed(self, token: str, *, custom: bool = False) -> bool:
        """One token of the ``event`` command, as mes.c checks it.

        With ``custom`` (a token after ``CUSTOM``) the token is a subclass name. Otherwise it
        is looked up as an event name; a token that names no event is not a permission
        matter (FreeSWITCH ignores it) and is allowed here.

        The ``event`` command walks its tokens in order, applying each, and at the first
        denied token replies ``-ERR permission denied``: the tokens before it stay applied.
        """
        if custom:
            return self.custom_allowed(token)
        event = event_type_by_name(token)
        return event is None or self.event_type_allowed(event)

    def api_allowed(self, command: str, arg: str | None = None) -> bool:
        """May ``api``/``bgapi`` run ``command`` with argument ``arg``? (``auth_api_command``)

        ``command`` is the first word and ``arg`` the rest after the first space (None when
        there is no space). The command must be in the list; for ``bgapi``, ``sched_api``,
        ``eval``, ``expand`` and ``xml_wrap`` (any case) the first word of the argument must be
        allowed too, and so on down the chain. Deviation: where FreeSWITCH spins forever (a
        chained sneaky command with nothing after it, e.g. ``bgapi eval``) this returns True,
        every word having been allowed.
        """
        allowed = self.allowed_api
        if allowed is None:
            return True
        check = command
        first = True
        head = ""
        rest: str | None = None
        while True:
            if check not in allowed:
                return False
            if check.casefold() not in SNEAKY_API_COMMANDS:
                return True
            if first:
                if arg is None:
                    return True
                first = False
                head, space, tail = arg.partition(" ")
                check, rest = head, (tail if space else None)
            elif rest is None:
                return True  # FreeSWITCH loops forever on the same word here
            else:
                check, space, tail = rest.partition(" ")
                rest = tail if space else None

    def log_allowed(self) -> bool:
        """May the ``log`` command be used?"""
        return self.allowed_log


def userauth_reply_body(perms: UserPermissions) -> bytes:
    """The bytes after ``Content-Type: command/reply\\n`` in a successful ``userauth`` reply.

    ``Reply-Text: +OK accepted``, ``Allowed-Events:``, ``Allowed-API:``, ``Allowed-LOG:`` lines
    and a blank line, built as FreeSWITCH builds them: each ``Allowed-*`` line in a 512-byte
    buffer (so at most 511 bytes, its newline lost when cut), then the whole ``~``-prefixed reply
    in a 512-byte buffer, so the body is at most 510 bytes and a long list loses the lines after
    it and the terminating blank line. The cut is on bytes and may split a UTF-8 character.
    """
    events = _truncate(f"Allowed-Events: {perms.allowed_events_text}\n".encode())
    api = _truncate(f"Allowed-API: {perms.allowed_api_text}\n".encode())
    log = f"Allowed-LOG: {'true' if perms.allowed_log else 'false'}\n".encode()
    reply = _truncate(b"~Reply-Text: +OK accepted\n" + events + api + log + b"\n")
    return reply[1:]


def userauth_reply_text(perms: UserPermissions) -> str:
    """:func:`userauth_reply_body` as text (``surrogateescape``, so encoding gives the bytes)."""
    return userauth_reply_body(perms).decode("utf-8", "surrogateescape")


@dataclass(slots=True)
class DirectoryUser:
    """A ``<user>``: its attributes and its ``<params>`` in order."""

    attrib: dict[str, str]
    params: list[tuple[str, str]] = field(default_factory=list)
    variables: list[tuple[str, str]] = field(default_factory=list)

    def matches(self, name: str) -> bool:
        """``find_user_in_tag`` with key ``id``: id, number-alias, or a non-pointer ``type``."""
        wanted = name.casefold()
        for attr in ("id", "number-alias"):
            value = self.attrib.get(attr)
            if value is not None and value.casefold() == wanted:
                return True
        kind = self.attrib.get("type")
        return kind is not None and kind.casefold() != "pointer"


@dataclass(slots=True)
class DirectoryGroup:
    """A ``<group>``: params, and its first ``<users>`` (None when it has none)."""

    name: str
    params: list[tuple[str, str]] = field(default_factory=list)
    users: list[DirectoryUser] | None = None
    variables: list[tuple[str, str]] = field(default_factory=list)


@dataclass(slots=True)
class DirectoryDomain:
    """A ``<domain>``: params, its first ``<groups>`` (None when absent) and its users."""

    name: str
    params: list[tuple[str, str]] = field(default_factory=list)
    groups: list[DirectoryGroup] | None = None
    #: The users of the domain's first ``<users>``, or its direct ``<user>`` children.
    users: list[DirectoryUser] = field(default_factory=list)
    variables: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class EslUser:
    """A user given programmatically; ``None`` leaves a param out."""

    user: str
    domain: str
    password: str
    allowed_events: str | None = None
    allowed_api: str | None = None
    allowed_log: bool | None = None
    #: ``esl-strict-userauth``: the allow-lists are a boundary (see UserPermissions.strict).
    strict: bool | None = None
    #: What ``originate user/<user>@<domain>`` dials (the directory's ``dial-string``).
    dial_string: str | None = None
    #: Channel variables the user's calls get (the directory's ``<variables>``).
    variables: tuple[tuple[str, str], ...] = ()


def _params(element: XmlElement | None) -> list[tuple[str, str]]:
    holder = element.find("params") if element is not None else None
    if holder is None:
        return []
    return [(p.get_soft("name"), p.get_soft("value")) for p in holder.findall("param")]


def _variables(element: XmlElement | None) -> list[tuple[str, str]]:
    holder = element.find("variables") if element is not None else None
    if holder is None:
        return []
    return [(v.get_soft("name"), v.get_soft("value")) for v in holder.findall("variable")]


def _user(element: XmlElement) -> DirectoryUser:
    return DirectoryUser(dict(element.attrib), _params(element), _variables(element))


def _domain_from_xml(element: XmlElement) -> DirectoryDomain:
    domain = DirectoryDomain(element.get_soft("name"), _params(element), None, [], _variables(element))
    x_groups = element.find("groups")
    if x_groups is not None:
        domain.groups = []
        for x_group in x_groups.findall("group"):
            x_users = x_group.find("users")
            users = [_user(u) for u in x_users.findall("user")] if x_users is not None else None
            domain.groups.append(
                DirectoryGroup(x_group.get_soft("name"), _params(x_group), users, _variables(x_group))
            )
    x_users = element.find("users")
    source = x_users if x_users is not None else element
    domain.users = [_user(u) for u in source.findall("user")]
    return domain


class Directory:
    """The user directory: domains in document order."""

    def __init__(self, domains: Iterable[DirectoryDomain] = ()) -> None:
        self.domains: list[DirectoryDomain] = list(domains)

    @classmethod
    def from_xml(cls, section: XmlElement | None) -> Directory:
        """From a ``<section name="directory">`` (its direct ``<domain>`` children)."""
        if section is None:
            return cls()
        return cls(_domain_from_xml(d) for d in section.findall("domain"))

    @classmethod
    def from_users(cls, users: Iterable[EslUser]) -> Directory:
        """Users given in code: one domain per distinct domain name, users directly in it."""
        directory = cls()
        for spec in users:
            domain = directory.find_domain(spec.domain)
            if domain is None:
                domain = DirectoryDomain(spec.domain)
                directory.domains.append(domain)
            params = [("esl-password", spec.password)]
            if spec.allowed_events is not None:
                params.append(("esl-allowed-events", spec.allowed_events))
            if spec.allowed_api is not None:
                params.append(("esl-allowed-api", spec.allowed_api))
            if spec.strict is not None:
                params.append(("esl-strict-userauth", "true" if spec.strict else "false"))
            if spec.allowed_log is not None:
                params.append(("esl-allowed-log", "true" if spec.allowed_log else "false"))
            if spec.dial_string is not None:
                params.append(("dial-string", spec.dial_string))
            domain.users.append(DirectoryUser({"id": spec.user}, params, list(spec.variables)))
        return directory

    def find_domain(self, name: str) -> DirectoryDomain | None:
        """The first domain whose name matches case-insensitively."""
        wanted = name.casefold()
        for domain in self.domains:
            if domain.name.casefold() == wanted:
                return domain
        return None

    def locate(
        self, user: str, domain_name: str
    ) -> tuple[DirectoryDomain, DirectoryGroup | None, DirectoryUser] | None:
        """Find a user as ``switch_xml_locate_user("id", ...)`` does (see the module docs)."""
        domain = self.find_domain(domain_name)
        if domain is None:
            return None
        for group in domain.groups or []:
            if group.users is None:
                continue
            for candidate in group.users:
                if candidate.matches(user):
                    return domain, group, candidate
        for candidate in domain.users:
            if candidate.matches(user):
                return domain, None, candidate
        return None

    def user_record(
        self, user: str, domain_name: str
    ) -> tuple[str, dict[str, str], dict[str, str]] | None:
        """A user's id and its params and variables merged domain → group → user (later ones
        win), as ``switch_xml_locate_user_merged`` gives them; None when there is no such
        user. The ``user/`` endpoint dials with this."""
        found = self.locate(user, domain_name)
        if found is None:
            return None
        domain, group, entry = found
        params: dict[str, str] = {}
        variables: dict[str, str] = {}
        for holder in (domain, group, entry):
            if holder is None:
                continue
            params.update((name.lower(), value) for name, value in holder.params)
            variables.update(holder.variables)
        return entry.attrib.get("id", user), params, variables

    def authenticate(self, user: str, domain: str, password: str) -> UserPermissions | None:
        """Check ``userauth`` credentials; the user's permissions on success, else None.

        Success needs a non-empty ``esl-password`` equal to ``password`` (case-sensitive).
        """
        found = self.locate(user, domain)
        if found is None:
            return None
        x_domain, x_group, x_user = found
        secret: str | None = None
        allowed_log = True
        allowed_events: str | None = None
        allowed_api: str | None = None
        strict = False
        layers = [x_domain.params, x_group.params if x_group else [], x_user.params]
        for name, value in (item for layer in layers for item in layer):
            key = name.casefold()
            if key == "esl-password":
                secret = value
            elif key == "esl-allowed-log":
                allowed_log = switch_true(value)
            elif key == "esl-allowed-events":
                allowed_events = value
            elif key == "esl-allowed-api":
                allowed_api = value
            elif key == "esl-strict-userauth":
                strict = switch_true(value)
        if not secret or not password or secret != password:
            return None
        return UserPermissions.from_params(allowed_events, allowed_api, allowed_log, strict)


def load_directory(conf_dir: Path | FreeSwitchConfig | None) -> Directory:
    """The directory of a configuration directory.

    With ``freeswitch.xml``: its ``<section name="directory">`` (the vanilla layout includes
    ``directory/*.xml``, and ``directory/default.xml`` includes ``default/*.xml``). Without:
    every ``directory/*.xml``. Raises :class:`~eslkit.fsconfig.parser.ConfigError` on bad XML.
    """
    if conf_dir is None:
        return Directory()
    config = conf_dir if isinstance(conf_dir, FreeSwitchConfig) else FreeSwitchConfig(conf_dir)
    return Directory.from_xml(config.section("directory"))
