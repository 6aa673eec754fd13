"""Network access lists (``acl.conf``) and the inbound ACL check of mod_event_socket.

How FreeSWITCH decides (src/switch_utils.c ``switch_network_list_validate_ip_token``, src/
switch_core.c ``switch_check_network_list_ip_token``):

- A list has a default (allow or deny) and nodes, each a network with a verdict.
- **The most specific matching node wins; between equally specific nodes, the one written first
  in the file wins; with no matching node the list default applies.** (Nodes are prepended, and
  the scan keeps a match whose prefix length is ``>=`` the best so far, so the last one scanned,
  which is the first one added, wins ties.)
- Only nodes of the peer's family are considered: an IPv4 peer never matches an IPv6 node.
- A prefix of length 0, or an IPv4 ``/32`` (C shifts by 32 and the mask becomes 0), has an
  empty mask: it then matches everything when its address is all zeros, and only that exact
  address otherwise. So ``0.0.0.0/32`` matches every IPv4 peer and ``10.0.0.0/0`` matches only
  ``10.0.0.0``, as in FreeSWITCH.
- A node's network keeps its host bits, which the mask then ignores (``10.1.2.3/8`` acts as
  ``10.0.0.0/8``). A CIDR starting with ``::ffff:`` is read as the IPv4 address after it.

An ``apply-inbound-acl`` entry is a list name (case-sensitive), else, when it contains a ``/``,
one CIDR or several joined by commas (any one matching allows), else it matches nothing. An
:class:`AclSet` allows a peer only if **every** entry allows it. A peer written
``::ffff:a.b.c.d`` is checked as ``a.b.c.d``.

eslkit departs from FreeSWITCH only where C reads uninitialised memory: an unparsable address,
or an ad-hoc CIDR of the other family than the peer, never matches.
"""

from __future__ import annotations

import ipaddress
import socket
import struct
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from eslkit.fsconfig.parser import FreeSwitchConfig
from eslkit.fsutil import c_atoi, switch_true

__all__ = [
    "AUTO_LIST_NAMES",
    "AclNode",
    "AclSet",
    "NetworkList",
    "NetworkLists",
    "builtin_lists",
    "load_network_lists",
    "parse_cidr",
]

AUTO_LIST_NAMES: tuple[str, ...] = (
    "rfc6598.auto",
    "rfc1918.auto",
    "wan.auto",
    "wan_v6.auto",
    "wan_v4.auto",
    "any_v6.auto",
    "any_v4.auto",
    "nat.auto",
    "loopback.auto",
    "localnet.auto",
)

_V4_ALL = 0xFFFFFFFF
_V6_ALL = (1 << 128) - 1


@dataclass(frozen=True, slots=True)
class AclNode:
    """One node: a network (address, mask, prefix length, family) and its verdict."""

    version: int  # 4 or 6
    address: int
    mask: int
    bits: int
    allow: bool
    text: str = ""

    def matches(self, version: int, address: int) -> bool:
        """True if ``address`` (of IP ``version``) falls in this node (FreeSWITCH's test)."""
        if version != self.version:
            return False
        if self.mask:
            return (self.address & self.mask) == (address & self.mask)
        return address == self.address if self.address else True


def _parse_address(text: str, version: int) -> int | None:
    if "%" in text:
        return None
    try:
        if version == 4:
            return int(ipaddress.IPv4Address(text))
        return int(ipaddress.IPv6Address(text))
    except ValueError:
        return None


def parse_cidr(text: str, allow: bool = True) -> AclNode | None:
    """Parse ``address/bits`` as ``switch_parse_cidr`` does; None when FreeSWITCH would fail.

    The family is IPv6 when the text contains ``:``. ``bits`` is C ``atoi`` and must be within
    0-32 (IPv4) or 0-128 (IPv6).
    """
    host, slash, bits_text = text.partition("/")
    if not slash:
        return None
    bits = c_atoi(bits_text)
    if ":" in text:
        if not 0 <= bits <= 128:
            return None
        address = _parse_address(host, 6)
        if address is None:
            return None
        mask = (_V6_ALL << (128 - bits)) & _V6_ALL
        return AclNode(6, address, mask, bits, allow, text)
    if not 0 <= bits <= 32:
        return None
    address = _parse_address(host, 4)
    if address is None:
        return None
    # C computes ~(0xFFFFFFFF >> bits); x86 shifts by (bits mod 32), so /32 gets an empty mask.
    mask = (~(_V4_ALL >> (bits % 32))) & _V4_ALL
    return AclNode(4, address, mask, bits, allow, text)


def _host_mask_node(host: str, mask_text: str, allow: bool) -> AclNode | None:
    address = _parse_address(host, 4)
    mask = _parse_address(mask_text, 4)
    if address is None or mask is None:
        return None
    return AclNode(4, address, mask, mask.bit_count(), allow, f"{host}:{mask_text}")


def _peer(peer_ip: str) -> tuple[int, int] | None:
    """(version, address) of a peer, IPv4-mapped IPv6 turned into IPv4; None if unparsable."""
    text = peer_ip.strip()
    if text[:7].casefold() == "::ffff:":
        text = text[7:]
    text = text.split("%", 1)[0]
    try:
        parsed = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        parsed = parsed.ipv4_mapped
    return parsed.version, int(parsed)


@dataclass(slots=True)
class NetworkList:
    """A named list: a default verdict and nodes in the order they were added."""

    name: str
    default_allow: bool
    nodes: list[AclNode] = field(default_factory=list)

    def add_cidr(self, cidr: str, allow: bool) -> list[str]:
        """Add one CIDR or several joined by commas; returns the parts that failed to parse."""
        failed: list[str] = []
        for part in cidr.split(",") if "," in cidr else [cidr]:
            item = part.strip()
            if item[:7].casefold() == "::ffff:":
                item = item[7:]
            node = parse_cidr(item, allow)
            if node is None:
                failed.append(part)
            else:
                self.nodes.append(node)
        return failed

    def add_host_mask(self, host: str, mask: str, allow: bool) -> bool:
        """Add an IPv4 ``host``/``mask`` node (dotted mask); False if either is unparsable."""
        node = _host_mask_node(host, mask, allow)
        if node is not None:
            self.nodes.append(node)
        return node is not None

    def validate(self, peer_ip: str) -> bool:
        """The list's verdict for ``peer_ip`` (most specific node wins; see module docs)."""
        peer = _peer(peer_ip)
        if peer is None:
            return False
        return self._validate(*peer)

    def _validate(self, version: int, address: int) -> bool:
        verdict = self.default_allow
        best = 0
        # FreeSWITCH scans newest first and lets a later equal-length match win.
        for node in reversed(self.nodes):
            if node.bits >= best and node.matches(version, address):
                verdict = node.allow
                best = node.bits
        return verdict


def builtin_lists(local_interfaces: Iterable[str] = ()) -> dict[str, NetworkList]:
    """The ``.auto`` lists FreeSWITCH creates at start-up (``switch_load_network_lists``).

    ``local_interfaces`` are the machine's own networks as ``address/prefix`` (for example
    ``192.168.1.10/24``). FreeSWITCH uses the one IPv4 interface it guesses; each IPv4 entry
    given here becomes an allow node in ``localnet.auto`` and a deny node in ``nat.auto``
    (IPv6 entries are added to ``localnet.auto`` only, an eslkit extension).
    """
    lists: dict[str, NetworkList] = {}

    def make(name: str, default_allow: bool, entries: Sequence[tuple[str, bool]]) -> NetworkList:
        network_list = NetworkList(name, default_allow)
        for cidr, allow in entries:
            network_list.add_cidr(cidr, allow)
        lists[name] = network_list
        return network_list

    private = [("10.0.0.0/8", False), ("172.16.0.0/12", False), ("192.168.0.0/16", False)]
    make("rfc6598.auto", False, [("100.64.0.0/10", True)])
    make("rfc1918.auto", False, [(c, True) for c, _ in private] + [("fe80::/10", True)])
    wan_v4_denies = [
        ("0.0.0.0/8", False),
        *private,
        ("169.254.0.0/16", False),
        ("100.64.0.0/10", False),
    ]
    make("wan.auto", True, [*wan_v4_denies, ("fe80::/10", False)])
    make("wan_v6.auto", True, [("0.0.0.0/0", False), ("fe80::/10", False)])
    make("wan_v4.auto", True, [*wan_v4_denies, ("::/0", False)])
    make("any_v6.auto", True, [("0.0.0.0/0", False)])
    make("any_v4.auto", True, [("::/0", False)])
    interfaces = [ipaddress.ip_interface(item) for item in local_interfaces]
    nat = make("nat.auto", False, [])
    for interface in interfaces:
        if interface.version == 4:
            nat.add_host_mask(str(interface.ip), str(interface.netmask), False)
    for cidr in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"):
        nat.add_cidr(cidr, True)
    make("loopback.auto", False, [("127.0.0.0/8", True), ("::1/128", True)])
    localnet = make("localnet.auto", False, [])
    for interface in interfaces:
        if interface.version == 4:
            localnet.add_host_mask(str(interface.ip), str(interface.netmask), True)
        else:
            localnet.add_cidr(f"{interface.ip}/{interface.network.prefixlen}", True)
    return lists


def local_interface(address: str) -> str | None:
    """``address/prefix`` of the local IPv4 interface holding ``address`` (FreeSWITCH's
    guessed address), for ``localnet.auto``/``nat.auto``; None when it cannot be found.

    Linux only (``SIOCGIFADDR``/``SIOCGIFNETMASK`` on each interface); elsewhere None.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not Linux
        return None
    siocgifaddr, siocgifnetmask = 0x8915, 0x891B
    try:
        names = [name for _, name in socket.if_nameindex()]
    except OSError:
        return None
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        for name in names:
            request = struct.pack("256s", name.encode()[:15])
            try:
                found = socket.inet_ntoa(fcntl.ioctl(probe.fileno(), siocgifaddr, request)[20:24])
                if found != address:
                    continue
                mask = socket.inet_ntoa(
                    fcntl.ioctl(probe.fileno(), siocgifnetmask, request)[20:24]
                )
            except OSError:
                continue
            return str(ipaddress.IPv4Interface(f"{found}/{mask}"))
    return None


class NetworkLists(Mapping[str, NetworkList]):
    """All named lists (built-in ``.auto`` ones and those of ``acl.conf``), by exact name."""

    def __init__(self, lists: Mapping[str, NetworkList], notes: Sequence[str] = ()) -> None:
        self._lists = dict(lists)
        self.notes: list[str] = list(notes)

    def __getitem__(self, name: str) -> NetworkList:
        return self._lists[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._lists)

    def __len__(self) -> int:
        return len(self._lists)

    def check(self, peer_ip: str, entry: str) -> bool:
        """``switch_check_network_list_ip``: one ``apply-inbound-acl`` entry against a peer."""
        peer = _peer(peer_ip)
        if peer is None:
            return False
        network_list = self._lists.get(entry)
        if network_list is not None:
            return network_list._validate(*peer)
        if "/" not in entry:
            return False
        for part in entry.split(","):
            node = parse_cidr(part, True)
            if node is not None and node.matches(*peer):
                return True
        return False


def load_network_lists(
    conf_dir: Path | FreeSwitchConfig | None,
    local_interfaces: Iterable[str] = (),
) -> NetworkLists:
    """The built-in lists plus ``acl.conf``'s ``<network-lists>`` (a list may replace one).

    A ``<list>`` without ``name`` is skipped; ``default`` is ``switch_true`` (absent: allow); a
    node's ``type`` is ``switch_true`` (absent: the list default). Nodes give ``cidr=``
    (commas allowed) or ``host=`` and ``mask=``; ``domain=`` nodes (users' ``cidr`` from the
    directory) are ignored with a note. Port attributes do not matter to the event socket.
    """
    lists = builtin_lists(local_interfaces)
    notes: list[str] = []
    if conf_dir is None:
        return NetworkLists(lists, notes)
    config = conf_dir if isinstance(conf_dir, FreeSwitchConfig) else FreeSwitchConfig(conf_dir)
    configuration = config.configuration("acl.conf")
    network_lists = configuration.find("network-lists") if configuration is not None else None
    for x_list in network_lists.findall("list") if network_lists is not None else []:
        name = x_list.get("name")
        if not name:
            continue
        default = x_list.get("default")
        network_list = NetworkList(name, switch_true(default) if default is not None else True)
        for x_node in x_list.findall("node"):
            node_type = x_node.get("type")
            allow = switch_true(node_type) if node_type is not None else network_list.default_allow
            cidr = x_node.get("cidr")
            host = x_node.get("host")
            mask = x_node.get("mask")
            if x_node.get("domain") is not None:
                notes.append(f"{x_node.where}: domain= node ignored in list {name}")
            elif cidr is not None:
                for bad in network_list.add_cidr(cidr, allow):
                    notes.append(f"{x_node.where}: cannot add {bad!r} to list {name}")
            elif host is not None and mask is not None:
                if not network_list.add_host_mask(host, mask, allow):
                    notes.append(f"{x_node.where}: cannot add {host}/{mask} to list {name}")
        lists[name] = network_list
    return NetworkLists(lists, notes)


class AclSet:
    """The ``apply-inbound-acl`` entries of a listener: a peer must pass every one of them."""

    def __init__(self, entries: Sequence[str], lists: NetworkLists | None = None) -> None:
        self.entries: tuple[str, ...] = tuple(entries)
        self.lists = lists if lists is not None else NetworkLists(builtin_lists())

    def allows(self, peer_ip: str) -> bool:
        """True if every entry allows ``peer_ip`` (logical AND; no entries allows all)."""
        return all(self.lists.check(peer_ip, entry) for entry in self.entries)

    def denying_entry(self, peer_ip: str) -> str | None:
        """The first entry that rejects ``peer_ip``, for logging; None if allowed."""
        for entry in self.entries:
            if not self.lists.check(peer_ip, entry):
                return entry
        return None
