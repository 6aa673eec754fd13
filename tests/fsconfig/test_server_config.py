"""FreeSWITCH XML pre-processing and event_socket.conf parsing (spec §1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from eslkit.fsconfig.event_socket import (
    EventSocketSettings,
    c_atoi,
    load_event_socket_settings,
    switch_true,
)
from eslkit.fsconfig.parser import ConfigError, FreeSwitchConfig, load_file, parse_text


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def es_conf(*params: tuple[str, str]) -> str:
    lines = "\n".join(f'    <param name="{n}" value="{v}"/>' for n, v in params)
    return (
        '<configuration name="event_socket.conf" description="Socket Client">\n'
        f"  <settings>\n{lines}\n  </settings>\n</configuration>\n"
    )


def standalone(tmp_path: Path, *params: tuple[str, str]) -> EventSocketSettings:
    write(tmp_path / "autoload_configs" / "event_socket.conf.xml", es_conf(*params))
    return load_event_socket_settings(tmp_path)


@pytest.fixture
def vanilla(tmp_path: Path) -> Path:
    """freeswitch.xml + vars.xml + autoload_configs includes, like conf/vanilla."""
    write(
        tmp_path / "freeswitch.xml",
        '<?xml version="1.0"?>\n'
        '<document type="freeswitch/xml">\n'
        "  <!--#comment\n"
        "      a multi-line comment directive\n"
        "  -->\n"
        '  <X-PRE-PROCESS cmd="include" data="vars.xml"/>\n'
        '  <section name="configuration" description="Various Configuration">\n'
        '    <X-PRE-PROCESS cmd="include" data="autoload_configs/*.xml"/>\n'
        "  </section>\n"
        '  <section name="directory" description="User Directory">\n'
        '    <X-PRE-PROCESS cmd="include" data="directory/*.xml"/>\n'
        "  </section>\n"
        "</document>\n",
    )
    write(
        tmp_path / "vars.xml",
        "<include>\n"
        '  <X-PRE-PROCESS cmd="set" data="esl_port = 8123"/>\n'
        '  <X-PRE-PROCESS cmd="set" data="esl_pw=Secret$${esl_port}"/>\n'
        '  <X-PRE-PROCESS cmd="set" data="domain=$${local_ip_v4}"/>\n'
        '  <X-PRE-PROCESS cmd="set" data="defused=${not_expanded}"/>\n'
        '  <X-PRE-PROCESS cmd="exec-set" data="x=uname"/>\n'
        "</include>\n",
    )
    write(
        tmp_path / "autoload_configs" / "event_socket.conf.xml",
        es_conf(
            ("nat-map", "false"),
            ("listen-ip", "::"),
            ("listen-port", "$${esl_port}"),
            ("password", "$${esl_pw}"),
        ),
    )
    write(
        tmp_path / "autoload_configs" / "other.conf.xml",
        '<configuration name="other.conf"><settings/></configuration>\n',
    )
    return tmp_path


# -- pre-processor -----------------------------------------------------------------------------


def test_vanilla_layout_through_freeswitch_xml(vanilla: Path) -> None:
    config = FreeSwitchConfig(vanilla, {"local_ip_v4": "10.0.0.7"})
    settings = load_event_socket_settings(config)
    assert settings.listen_ip == "::"
    assert settings.listen_port == 8123
    assert settings.password == "Secret8123"
    assert settings.apply_inbound_acl == ["loopback.auto"]
    assert not config.standalone
    assert config.variables.get("DOMAIN") == "10.0.0.7"  # names are case-insensitive
    assert config.variables.get("defused") == "%{not_expanded}"
    assert list(config.variables.as_dict())[-3:] == ["esl_pw", "domain", "defused"]
    assert any("exec-set" in note for note in config.notes)


def test_elements_know_file_and_line(vanilla: Path) -> None:
    config = FreeSwitchConfig(vanilla)
    es = config.configuration("EVENT_SOCKET.CONF")  # name matches case-insensitively
    assert es is not None
    params = es.find("settings")
    assert params is not None
    port = params.findall("param")[2]
    assert port.get("name") == "listen-port"
    assert port.path == vanilla / "autoload_configs" / "event_socket.conf.xml"
    assert port.line == 5
    assert port.where.endswith("event_socket.conf.xml:5")
    assert config.root is not None and config.root.path == vanilla / "freeswitch.xml"
    assert config.root.line == 2


def test_set_is_in_document_order(tmp_path: Path) -> None:
    doc = parse_text(
        "<a>\n"
        '<b v="[$${x}]"/>\n'
        '<X-PRE-PROCESS cmd="set" data="x=1"/>\n'
        '<b v="[$${x}]"/>\n'
        '<!--#set "x=2"-->\n'
        '<b v="[$${x}]">$${x}</b>\n'
        "</a>\n",
        tmp_path / "t.xml",
    )
    assert [b.get("v") for b in doc.root.findall("b")] == ["[]", "[1]", "[2]"]
    assert doc.root.findall("b")[2].text == "2"
    assert doc.variables.as_dict() == {"x": "2"}


def test_include_relative_absolute_and_wrapped(tmp_path: Path) -> None:
    write(tmp_path / "sub" / "one.xml", "<include>\n  <item n='1'/>\n</include>\n")
    write(tmp_path / "sub" / "two.xml", "<include>\n  <item n='2'/>\n  <item n='3'/>\n</include>\n")
    write(tmp_path / "abs.xml", "<item n='abs'/>\n")
    main = write(
        tmp_path / "main.xml",
        "<root>\n"
        '  <X-PRE-PROCESS cmd="include" data="sub/*.xml"/>\n'
        f'  <X-pre-process cmd="include" data="{tmp_path / "abs.xml"}"/>\n'
        '  <X-PRE-PROCESS cmd="include" data="missing/*.xml"/>\n'
        "</root>\n",
    )
    doc = load_file(main)
    items = doc.root.findall("item")
    assert [i.get("n") for i in items] == ["1", "2", "3", "abs"]
    assert (items[2].path, items[2].line) == (tmp_path / "sub" / "two.xml", 3)
    assert any("missing" in note for note in doc.notes)


def test_commented_out_directive_still_runs(tmp_path: Path) -> None:
    # FreeSWITCH's pre-processor is line-based: XML comments do not hide directives.
    doc = parse_text('<a>\n<!-- <X-PRE-PROCESS cmd="set" data="y=on"/> -->\n<b v="$${y}"/>\n</a>\n')
    b = doc.root.find("b")
    assert b is not None and b.get("v") == "on"


def test_include_recursion_is_bounded(tmp_path: Path) -> None:
    write(tmp_path / "loop.xml", '<X-PRE-PROCESS cmd="include" data="loop.xml"/>\n<x/>\n')
    doc = load_file(tmp_path / "loop.xml")
    assert len(doc.elements) == 101
    assert any("depth" in note for note in doc.notes)


def test_malformed_xml_names_file_and_line(vanilla: Path) -> None:
    write(
        vanilla / "autoload_configs" / "broken.conf.xml",
        '<configuration name="broken.conf">\n  <settings>\n    <param name="a">\n'
        "  </settings>\n</configuration>\n",
    )
    with pytest.raises(ConfigError) as info:
        FreeSwitchConfig(vanilla)
    err = info.value
    assert err.path == vanilla / "autoload_configs" / "broken.conf.xml"
    assert err.line == 4
    assert str(err).startswith(f"{err.path}:4: malformed XML")


def test_malformed_standalone_file(tmp_path: Path) -> None:
    write(tmp_path / "autoload_configs" / "event_socket.conf.xml", "<configuration>\n<a b=1/>\n")
    with pytest.raises(ConfigError) as info:
        load_event_socket_settings(tmp_path)
    assert info.value.line == 2
    assert info.value.path == tmp_path / "autoload_configs" / "event_socket.conf.xml"


def test_missing_conf_dir_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        load_event_socket_settings(tmp_path / "nope")


# -- event_socket.conf rules -------------------------------------------------------------------


def test_defaults() -> None:
    assert load_event_socket_settings(None) == EventSocketSettings()
    settings = EventSocketSettings()
    assert (settings.listen_ip, settings.listen_port, settings.password) == (
        "127.0.0.1",
        8021,
        "ClueCon",
    )
    assert settings.apply_inbound_acl == ["loopback.auto"]


def test_missing_configuration_gives_defaults_with_note(tmp_path: Path) -> None:
    settings = load_event_socket_settings(tmp_path)
    assert settings.listen_port == 8021
    assert any("event_socket.conf" in note for note in settings.notes)


@pytest.mark.parametrize(
    ("value", "port"),
    [
        ("8022", 8022),
        ("0", 8021),
        ("abc", 8021),
        ("", 8021),
        ("65536", 8021),
        ("70000", 4464),
        ("-1", 65535),
        ("  9000x", 9000),
        ("99999999999999999999", 65535),
    ],
)
def test_listen_port_atoi_uint16(tmp_path: Path, value: str, port: int) -> None:
    assert standalone(tmp_path, ("listen-port", value)).listen_port == port


def test_case_sensitive_and_insensitive_names(tmp_path: Path) -> None:
    settings = standalone(
        tmp_path,
        ("Listen-Port", "9999"),
        ("PASSWORD", "x"),
        ("Listen-IP", "0.0.0.0"),
        ("DEBUG", "3"),
        ("Apply-Inbound-ACL", "lan"),
        ("STOP-ON-BIND-ERROR", "yes"),
        ("bogus", "1"),
    )
    assert settings.listen_port == 8021
    assert settings.password == "ClueCon"
    assert settings.listen_ip == "127.0.0.1"
    assert settings.debug == 0
    assert settings.apply_inbound_acl == ["lan"]
    assert settings.stop_on_bind_error is True


def test_empty_values_fall_back_and_last_wins(tmp_path: Path) -> None:
    settings = standalone(
        tmp_path,
        ("listen-ip", "10.0.0.1"),
        ("listen-ip", ""),
        ("password", "one"),
        ("password", "two"),
        ("listen-port", "9000"),
        ("listen-port", "0"),
        ("debug", "2"),
    )
    assert settings.listen_ip == "127.0.0.1"
    assert settings.password == "two"
    assert settings.listen_port == 8021
    assert settings.debug == 2


def test_acl_entries_skip_empty_and_cap_at_100(tmp_path: Path) -> None:
    params = [("apply-inbound-acl", "")] + [("apply-inbound-acl", f"l{i}") for i in range(105)]
    settings = standalone(tmp_path, *params)
    assert settings.apply_inbound_acl == [f"l{i}" for i in range(100)]
    assert any("max acl" in note for note in settings.notes)


def test_nat_map_is_forced_off(tmp_path: Path) -> None:
    settings = standalone(tmp_path, ("nat-map", "true"))
    assert settings.nat_map is False
    assert any("nat-map ignored" in note for note in settings.notes)
    assert not standalone(tmp_path, ("nat-map", "false")).notes


@pytest.mark.parametrize(
    "value", ["yes", "ON", "true", "T", "enabled", "Active", "allow", "1", "-2", "+3", "1.5"]
)
def test_switch_true(value: str) -> None:
    assert switch_true(value)


@pytest.mark.parametrize(
    "value", ["", "no", "false", "off", "deny", "0", "0.9", "2x", " 1", "truee", "-0"]
)
def test_switch_false(value: str) -> None:
    assert not switch_true(value)


def test_stop_on_bind_error(tmp_path: Path) -> None:
    assert standalone(tmp_path, ("stop-on-bind-error", "1")).stop_on_bind_error
    assert not standalone(tmp_path, ("stop-on-bind-error", "nope")).stop_on_bind_error


def test_c_atoi() -> None:
    assert c_atoi(" -12abc") == -12
    assert c_atoi("x1") == 0
    assert c_atoi("4294967297") == 1
