"""The user directory, userauth parsing, permissions and the userauth reply (spec §2.2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from eslkit.fsconfig.directory import (
    Directory,
    EslUser,
    UserPermissions,
    load_directory,
    parse_userauth_argument,
    userauth_reply_body,
    userauth_reply_text,
)
from eslkit.fsconfig.parser import ConfigError, FreeSwitchConfig
from eslkit.protocol.names import EventType

DOMAIN_XML = """<include>
  <domain name="$${domain}">
    <params>
      <param name="esl-allowed-log" value="false"/>
      <param name="esl-allowed-api" value="status"/>
    </params>
    <groups>
      <group name="ops">
        <params>
          <param name="esl-allowed-events" value="CHANNEL_CREATE,HEARTBEAT"/>
        </params>
        <users>
          <X-PRE-PROCESS cmd="include" data="default/*.xml"/>
        </users>
      </group>
      <group name="sales">
        <users>
          <user id="1001" type="pointer"/>
          <user id="2000">
            <params><param name="esl-password" value="in-sales"/></params>
          </user>
        </users>
      </group>
    </groups>
  </domain>
  <domain name="other.example">
    <users>
      <user id="solo" number-alias="77">
        <params><param name="ESL-Password" value="pw"/></params>
      </user>
    </users>
  </domain>
</include>
"""

USER_1001 = """<include>
  <user id="1001">
    <params>
      <param name="password" value="sip-only"/>
      <param name="esl-password" value="s3cret"/>
      <param name="esl-allowed-log" value="yes"/>
    </params>
  </user>
</include>
"""

USER_1002 = """<include>
  <user id="1002">
    <params><param name="password" value="no-esl"/></params>
  </user>
</include>
"""


def build_tree(root: Path, with_freeswitch_xml: bool) -> None:
    (root / "directory" / "default").mkdir(parents=True)
    (root / "directory" / "default.xml").write_text(DOMAIN_XML)
    (root / "directory" / "default" / "1001.xml").write_text(USER_1001)
    (root / "directory" / "default" / "1002.xml").write_text(USER_1002)
    (root / "vars.xml").write_text(
        '<include>\n  <X-PRE-PROCESS cmd="set" data="domain=pbx.example"/>\n</include>\n'
    )
    if with_freeswitch_xml:
        (root / "freeswitch.xml").write_text(
            '<?xml version="1.0"?>\n<document type="freeswitch/xml">\n'
            '  <X-PRE-PROCESS cmd="include" data="vars.xml"/>\n'
            '  <section name="directory" description="User Directory">\n'
            '    <X-PRE-PROCESS cmd="include" data="directory/*.xml"/>\n'
            "  </section>\n</document>\n"
        )


@pytest.fixture(params=[True, False], ids=["vanilla", "standalone"])
def directory(request: pytest.FixtureRequest, tmp_path: Path) -> Directory:
    build_tree(tmp_path, request.param)
    return load_directory(tmp_path)


# -- userauth argument ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arg", "expected"),
    [
        ("1001@pbx:s3cret", ("1001", "pbx", "s3cret")),
        ("1001:s3cret@pbx", ("1001", "pbx", "s3cret")),
        ("1001@pbx", ("1001", "pbx", "")),
        ("u:p1@d:p2", ("u", "d", "p1")),  # the user-side password wins
        ("u@d:pa:ss", ("u", "d", "pa:ss")),
        ("u@d:pw\r\nrest", ("u", "d", "pw")),
        ("u@d:p\nw\rx", ("u", "d", "p\nw")),  # cut at the first CR when there is one
        ("1001", None),
        ("@pbx:pw", None),
        ("1001@:pw", None),
        (":pw@pbx", None),
        ("", None),
    ],
)
def test_parse_userauth_argument(arg: str, expected: tuple[str, str, str] | None) -> None:
    assert parse_userauth_argument(arg) == expected


# -- lookup and precedence -----------------------------------------------------------------------


def test_params_domain_then_group_then_user(directory: Directory) -> None:
    perms = directory.authenticate("1001", "PBX.example", "s3cret")
    assert perms is not None
    assert perms.allowed_log is True  # user overrides the domain's false
    assert perms.allowed_api_text == "status"  # from the domain
    assert perms.allowed_events_text == "CHANNEL_CREATE,HEARTBEAT"  # from the group
    assert perms.allowed_events == frozenset({EventType.CHANNEL_CREATE, EventType.HEARTBEAT})


def test_group_searched_before_pointer_entries(directory: Directory) -> None:
    found = directory.locate("1001", "pbx.example")
    assert found is not None and found[1] is not None
    assert found[1].name == "ops"


def test_user_in_later_group_gets_that_group(directory: Directory) -> None:
    perms = directory.authenticate("2000", "pbx.example", "in-sales")
    assert perms is not None
    assert perms.allowed_events is None  # the ops group's param does not apply
    assert perms.allowed_log is False


def test_failures(directory: Directory) -> None:
    assert directory.authenticate("1001", "pbx.example", "wrong") is None
    assert directory.authenticate("1001", "pbx.example", "S3CRET") is None
    assert directory.authenticate("1001", "pbx.example", "") is None
    assert directory.authenticate("1002", "pbx.example", "no-esl") is None  # no esl-password
    assert directory.authenticate("9999", "pbx.example", "s3cret") is None
    assert directory.authenticate("1001", "nowhere", "s3cret") is None


def test_users_directly_in_domain_id_and_number_alias(directory: Directory) -> None:
    assert directory.authenticate("SOLO", "other.example", "pw") is not None
    assert directory.authenticate("77", "other.example", "pw") is not None


def test_non_pointer_type_matches_any_id() -> None:
    # FreeSWITCH's OR of conditions: a user with type other than "pointer" matches any name.
    from eslkit.fsconfig.parser import parse_text

    doc = parse_text(
        '<section name="directory"><domain name="d"><users>'
        '<user id="x" type="virtual"><params><param name="esl-password" value="v"/></params>'
        "</user></users></domain></section>"
    )
    assert Directory.from_xml(doc.root).authenticate("anyone", "d", "v") is not None


def test_through_freeswitch_config_object(tmp_path: Path) -> None:
    build_tree(tmp_path, True)
    config = FreeSwitchConfig(tmp_path)
    assert load_directory(config).authenticate("1001", "pbx.example", "s3cret") is not None
    assert load_directory(None).authenticate("1001", "pbx.example", "s3cret") is None


def test_malformed_directory_file(tmp_path: Path) -> None:
    (tmp_path / "directory").mkdir()
    (tmp_path / "directory" / "bad.xml").write_text('<domain name="d">\n<user id="1"\n</domain>\n')
    with pytest.raises(ConfigError) as info:
        load_directory(tmp_path)
    assert info.value.path == tmp_path / "directory" / "bad.xml"
    assert info.value.line == 3


def test_from_users() -> None:
    directory = Directory.from_users(
        [
            EslUser("alice", "example.com", "pw", allowed_api="status uptime", allowed_log=False),
            EslUser("bob", "EXAMPLE.com", "pw2"),
        ]
    )
    assert len(directory.domains) == 1
    alice = directory.authenticate("alice", "example.com", "pw")
    assert alice is not None
    assert alice.allowed_api == frozenset({"status", "uptime"})
    assert not alice.log_allowed()
    assert directory.authenticate("bob", "example.com", "pw2") == UserPermissions.full()


# -- permissions ---------------------------------------------------------------------------------


def test_full_permissions_allow_everything() -> None:
    perms = UserPermissions.full()
    assert perms.event_allowed("ALL")
    assert perms.event_allowed("anything", custom=True)
    assert perms.api_allowed("shutdown")
    assert perms.log_allowed()
    assert not perms.restricts_events


def test_event_list_parsing_and_checks() -> None:
    perms = UserPermissions.from_params("CHANNEL_ANSWER,bogus,CUSTOM,sofia::register,DTMF", None)
    assert perms.allowed_events == frozenset({EventType.CHANNEL_ANSWER, EventType.CUSTOM})
    assert perms.allowed_custom == frozenset(
        {"sofia::register", "DTMF"}
    )  # after CUSTOM: subclasses
    assert perms.event_allowed("channel_answer")  # event names are case-insensitive
    assert perms.event_allowed("SWITCH_EVENT_CHANNEL_ANSWER")
    assert not perms.event_allowed("DTMF")
    assert not perms.event_allowed("ALL")
    assert perms.event_allowed("CUSTOM")
    assert perms.event_allowed("sofia::register", custom=True)
    assert not perms.event_allowed("Sofia::Register", custom=True)  # case-sensitive
    assert perms.event_allowed("not_an_event")  # ignored by FreeSWITCH, not denied


def test_space_delimiter_when_list_has_a_space() -> None:
    perms = UserPermissions.from_params("HEARTBEAT,API DTMF", "status,uptime version")
    assert perms.allowed_events == frozenset({EventType.DTMF})  # "HEARTBEAT,API" is one bad token
    assert perms.allowed_api == frozenset({"status,uptime", "version"})


def test_all_allows_every_type_but_not_unlisted_subclasses() -> None:
    perms = UserPermissions.from_params("ALL", None)
    assert perms.all_events
    assert perms.event_allowed("CHANNEL_CREATE")
    assert perms.event_allowed("ALL")
    assert perms.allowed_custom == frozenset()
    assert not perms.event_allowed("conference::maintenance", custom=True)


def test_empty_event_list_allows_nothing() -> None:
    perms = UserPermissions.from_params("", None)
    assert perms.restricts_events
    assert not perms.event_allowed("HEARTBEAT")


def test_api_checks() -> None:
    perms = UserPermissions.from_params(None, "status,bgapi,eval,all")
    assert perms.api_allowed("status")
    assert not perms.api_allowed("Status")  # case-sensitive
    assert not perms.api_allowed("uptime")  # "all" is not a wildcard
    assert perms.api_allowed("bgapi", "status")
    assert not perms.api_allowed("bgapi", "uptime")
    assert perms.api_allowed("BGAPI".lower(), None)
    assert perms.api_allowed("bgapi", "eval status extra")
    assert not perms.api_allowed("bgapi", "eval uptime")
    assert not perms.api_allowed("bgapi", " status")  # an empty first word is checked
    assert perms.api_allowed("bgapi", "eval")  # FreeSWITCH spins here; eslkit allows
    assert perms.api_allowed("status", "anything at all")
    none = UserPermissions.from_params(None, "")
    assert not none.api_allowed("status")


# -- the userauth reply --------------------------------------------------------------------------


def test_reply_plain() -> None:
    body = userauth_reply_text(UserPermissions.full())
    assert body == (
        "Reply-Text: +OK accepted\nAllowed-Events: all\nAllowed-API: all\nAllowed-LOG: true\n\n"
    )
    restricted = UserPermissions.from_params("CHANNEL_CREATE", "status", False)
    assert userauth_reply_text(restricted) == (
        "Reply-Text: +OK accepted\n"
        "Allowed-Events: CHANNEL_CREATE\n"
        "Allowed-API: status\n"
        "Allowed-LOG: false\n"
        "\n"
    )


def test_reply_truncated_to_512_byte_buffer() -> None:
    events = ",".join(["CHANNEL_CREATE"] * 40)  # 599 characters
    body = userauth_reply_body(UserPermissions.from_params(events, "status"))
    assert len(body) == 510  # '~' + 510 bytes + NUL fill the 512-byte reply buffer
    assert body.startswith(b"Reply-Text: +OK accepted\nAllowed-Events: CHANNEL_CREATE,")
    assert b"Allowed-API" not in body
    assert not body.endswith(b"\n\n")  # the terminating blank line is lost


def test_reply_long_api_list_loses_log_line_and_blank_line() -> None:
    api = ",".join(f"cmd{i}" for i in range(100))
    body = userauth_reply_body(UserPermissions.from_params(None, api))
    assert len(body) == 510
    assert body.count(b"\n") == 2
    assert b"Allowed-LOG" not in body


def test_reply_fits_exactly_at_boundary() -> None:
    fixed = len(
        "Reply-Text: +OK accepted\nAllowed-Events: \nAllowed-API: all\nAllowed-LOG: true\n\n"
    )
    events = "A" * (510 - fixed)
    body = userauth_reply_body(UserPermissions.from_params(events, None))
    assert len(body) == 510 and body.endswith(b"true\n\n")
    longer = userauth_reply_body(UserPermissions.from_params(events + "A", None))
    assert len(longer) == 510 and longer.endswith(b"true\n")


def test_reply_cut_is_on_bytes() -> None:
    events = "é" * 300  # 600 bytes in UTF-8
    body = userauth_reply_body(UserPermissions.from_params(events, None))
    assert len(body) == 510
    text = userauth_reply_text(UserPermissions.from_params(events, None))
    assert text.encode("utf-8", "surrogateescape") == body
