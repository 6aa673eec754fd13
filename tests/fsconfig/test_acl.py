"""Network lists, the .auto lists and the inbound ACL AND (spec §1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from eslkit.fsconfig.acl import (
    AUTO_LIST_NAMES,
    AclSet,
    NetworkList,
    NetworkLists,
    builtin_lists,
    load_network_lists,
    parse_cidr,
)
from eslkit.fsconfig.parser import FreeSwitchConfig

ACL_CONF = """<configuration name="acl.conf" description="Network Lists">
  <network-lists>
    <list name="lan" default="allow">
      <node type="deny" cidr="192.168.42.0/24"/>
      <node type="allow" cidr="192.168.42.42/32"/>
    </list>
    <list name="domains" default="deny">
      <node type="allow" domain="$${domain}"/>
    </list>
    <list name="hosts" default="deny">
      <node type="allow" host="10.1.0.0" mask="255.255.0.0"/>
      <node type="deny" host="10.1.2.0" mask="255.255.255.0"/>
    </list>
    <list name="multi">
      <node type="deny" cidr="10.0.0.0/8,172.16.0.0/12"/>
      <node cidr="::ffff:10.9.9.9/32"/>
      <node type="allow" cidr="bogus/8"/>
    </list>
    <list name="ties" default="deny">
      <node type="allow" cidr="10.0.0.0/8"/>
      <node type="deny" cidr="10.1.0.0/8"/>
    </list>
    <list name="loopback.auto" default="deny">
      <node type="allow" cidr="127.0.0.2/32"/>
    </list>
    <list default="allow"><node type="deny" cidr="0.0.0.0/0"/></list>
  </network-lists>
</configuration>
"""


@pytest.fixture
def lists(tmp_path: Path) -> NetworkLists:
    path = tmp_path / "autoload_configs" / "acl.conf.xml"
    path.parent.mkdir(parents=True)
    path.write_text(ACL_CONF)
    return load_network_lists(tmp_path)


def test_most_specific_node_wins(lists: NetworkLists) -> None:
    assert lists.check("192.168.42.42", "lan")  # /32 allow beats /24 deny
    assert not lists.check("192.168.42.1", "lan")
    assert lists.check("8.8.8.8", "lan")  # list default


def test_equal_prefix_first_written_wins(lists: NetworkLists) -> None:
    # 10.1.0.0/8 acts as 10.0.0.0/8; the allow node, written first, wins the tie.
    assert lists.check("10.200.0.1", "ties")


def test_host_mask_nodes(lists: NetworkLists) -> None:
    assert lists.check("10.1.9.9", "hosts")
    assert not lists.check("10.1.2.3", "hosts")
    assert not lists.check("10.2.0.1", "hosts")


def test_comma_cidrs_default_type_and_mapped_cidr(lists: NetworkLists) -> None:
    multi = lists["multi"]
    assert multi.default_allow  # no default attribute: allow
    assert not lists.check("10.1.1.1", "multi")
    assert not lists.check("172.20.0.1", "multi")
    assert lists.check("10.9.9.9", "multi")  # node without type takes the list default (allow)
    assert lists.check("8.8.8.8", "multi")
    assert any("bogus" in note for note in lists.notes)


def test_domain_nodes_are_ignored_with_note(lists: NetworkLists) -> None:
    assert not lists.check("10.0.0.1", "domains")
    assert any("domain=" in note for note in lists.notes)


def test_config_list_replaces_builtin_and_nameless_skipped(lists: NetworkLists) -> None:
    assert lists.check("127.0.0.2", "loopback.auto")
    assert not lists.check("127.0.0.1", "loopback.auto")
    assert "" not in lists


def test_acl_set_is_a_logical_and(lists: NetworkLists) -> None:
    both = AclSet(["rfc1918.auto", "lan"], lists)
    assert both.allows("10.0.0.1")
    assert not both.allows("192.168.42.7")  # rfc1918 allows, lan denies
    assert not both.allows("8.8.8.8")  # lan allows, rfc1918 denies
    assert both.denying_entry("8.8.8.8") == "rfc1918.auto"
    assert both.denying_entry("10.0.0.1") is None
    assert AclSet([], lists).allows("8.8.8.8")


def test_unknown_name_matches_nothing_and_names_are_case_sensitive() -> None:
    acl = AclSet(["no-such-list"])
    assert not acl.allows("127.0.0.1")
    assert not AclSet(["Loopback.auto"]).allows("127.0.0.1")


def test_cidr_entries() -> None:
    acl = AclSet(["10.0.0.0/8,192.168.0.0/16"])
    assert acl.allows("10.2.3.4")
    assert acl.allows("192.168.1.1")
    assert not acl.allows("172.16.0.1")
    assert AclSet(["::1/128"]).allows("::1")
    assert not AclSet(["::1/128"]).allows("127.0.0.1")  # other family never matches
    assert AclSet(["2001:db8::/32"]).allows("2001:db8::5")
    assert not AclSet(["garbage/x,also"]).allows("0.0.0.0")


def test_ipv4_mapped_peer_is_checked_as_ipv4() -> None:
    acl = AclSet(["loopback.auto"])
    assert acl.allows("::ffff:127.0.0.1")
    assert acl.allows("::FFFF:127.1.2.3")
    assert not acl.allows("::ffff:10.0.0.1")
    assert AclSet(["127.0.0.0/8"]).allows("::ffff:127.0.0.1")
    assert not AclSet(["loopback.auto"]).allows("not-an-ip")


def test_empty_mask_quirks() -> None:
    # /32 and /0 have an empty mask in FreeSWITCH: zero address = everything, else exact.
    assert AclSet(["0.0.0.0/32"]).allows("8.8.8.8")
    assert AclSet(["10.0.0.0/0"]).allows("10.0.0.0")
    assert not AclSet(["10.0.0.0/0"]).allows("10.0.0.1")
    assert AclSet(["10.0.0.5/32"]).allows("10.0.0.5")
    assert not AclSet(["10.0.0.5/32"]).allows("10.0.0.6")
    node = parse_cidr("10.1.2.3/8")
    assert node is not None and node.bits == 8 and node.mask == 0xFF000000
    assert parse_cidr("10.0.0.0/33") is None
    assert parse_cidr("::/129") is None
    assert parse_cidr("10.0.0.0") is None


# -- the .auto lists ---------------------------------------------------------------------------

AUTO = builtin_lists(["192.168.1.10/24"])


def allows(name: str, peer: str) -> bool:
    return AUTO[name].validate(peer)


def test_all_auto_lists_exist() -> None:
    assert set(AUTO) == set(AUTO_LIST_NAMES)


def test_loopback_auto() -> None:
    assert allows("loopback.auto", "127.0.0.1")
    assert allows("loopback.auto", "127.255.0.9")
    assert allows("loopback.auto", "::1")
    assert not allows("loopback.auto", "128.0.0.1")
    assert not allows("loopback.auto", "::2")


def test_rfc1918_auto() -> None:
    for peer in ("10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.0.1", "fe80::1"):
        assert allows("rfc1918.auto", peer), peer
    for peer in ("172.32.0.1", "100.64.0.1", "8.8.8.8", "2001:db8::1", "127.0.0.1"):
        assert not allows("rfc1918.auto", peer), peer


def test_rfc6598_auto() -> None:
    assert allows("rfc6598.auto", "100.64.0.1")
    assert allows("rfc6598.auto", "100.127.255.255")
    assert not allows("rfc6598.auto", "100.128.0.0")


def test_nat_auto_excludes_local_lan() -> None:
    assert allows("nat.auto", "10.1.1.1")
    assert allows("nat.auto", "192.168.2.1")
    assert allows("nat.auto", "100.64.1.1")
    assert not allows("nat.auto", "192.168.1.77")  # the local /24 is denied
    assert not allows("nat.auto", "8.8.8.8")


def test_localnet_auto() -> None:
    assert allows("localnet.auto", "192.168.1.77")
    assert not allows("localnet.auto", "192.168.2.1")
    empty = builtin_lists()
    assert not empty["localnet.auto"].validate("192.168.1.77")
    v6 = builtin_lists(["2001:db8:1::5/64"])
    assert v6["localnet.auto"].validate("2001:db8:1::99")
    assert not v6["nat.auto"].validate("2001:db8:1::99")


def test_wan_auto() -> None:
    assert allows("wan.auto", "8.8.8.8")
    assert allows("wan.auto", "2001:db8::1")
    for peer in ("0.1.2.3", "10.0.0.1", "172.16.0.1", "192.168.0.1", "169.254.1.1", "100.64.0.1"):
        assert not allows("wan.auto", peer), peer
    assert not allows("wan.auto", "fe80::1")


def test_wan_v4_auto() -> None:
    assert allows("wan_v4.auto", "8.8.8.8")
    assert not allows("wan_v4.auto", "10.0.0.1")
    assert not allows("wan_v4.auto", "2001:db8::1")  # all IPv6 denied


def test_wan_v6_auto() -> None:
    assert allows("wan_v6.auto", "2001:db8::1")
    assert not allows("wan_v6.auto", "fe80::1")
    assert not allows("wan_v6.auto", "8.8.8.8")  # all IPv4 denied


def test_any_v4_and_any_v6_auto() -> None:
    assert allows("any_v4.auto", "8.8.8.8")
    assert allows("any_v4.auto", "10.0.0.1")
    assert not allows("any_v4.auto", "::1")
    assert allows("any_v6.auto", "::1")
    assert not allows("any_v6.auto", "127.0.0.1")


def test_network_list_directly() -> None:
    nl = NetworkList("x", default_allow=False)
    assert nl.add_cidr("10.0.0.0/8", True) == []
    assert nl.add_cidr("nope", True) == ["nope"]
    assert not nl.add_host_mask("10.0.0.1", "bad", True)
    assert nl.validate("10.5.5.5")
    assert not nl.validate("11.0.0.1")


def test_vanilla_like_conf_through_freeswitch_xml(tmp_path: Path) -> None:
    (tmp_path / "autoload_configs").mkdir()
    (tmp_path / "autoload_configs" / "acl.conf.xml").write_text(ACL_CONF)
    (tmp_path / "freeswitch.xml").write_text(
        '<document type="freeswitch/xml">\n'
        '  <X-PRE-PROCESS cmd="set" data="domain=example.org"/>\n'
        '  <section name="configuration">\n'
        '    <X-PRE-PROCESS cmd="include" data="autoload_configs/*.xml"/>\n'
        "  </section>\n"
        "</document>\n"
    )
    config = FreeSwitchConfig(tmp_path)
    lists = load_network_lists(config, ["192.168.1.10/24"])
    assert AclSet(["lan", "loopback.auto"], lists).allows("127.0.0.2") is True
    assert lists.check("192.168.1.50", "localnet.auto")
    assert any("acl.conf.xml:8" in note for note in lists.notes)
    assert load_network_lists(None)["loopback.auto"].validate("::1")
