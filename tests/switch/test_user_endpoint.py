"""``user/<id>@<domain>``: dialing a directory user through its dial-string."""

from __future__ import annotations

from pathlib import Path

from eslkit.bootstrap import ServeOptions
from eslkit.fsconfig.directory import EslUser
from eslkit.switch.core import SwitchConfig
from tests.esl_wire import connect
from tests.server_support import start_test_server

USERS = [
    EslUser(
        "1000",
        "example.org",
        "pw",
        dial_string="{sim_leg=yes}sim/ring:0;answer",
        variables=(("user_context", "sales"), ("effective_caller_id_name", "Alice")),
    ),
    EslUser("1001", "example.org", "pw"),
    EslUser("1002", "example.org", "pw", dial_string="${sofia_contact(*/${dialed_user}@${dialed_domain})}"),
    EslUser("1003", "example.org", "pw", dial_string="user/1003@example.org"),
]


async def test_directory_users_are_dialed_through_their_dial_string() -> None:
    running = await start_test_server(users=USERS, switch=SwitchConfig(time_scale=20))
    try:
        conn = await connect("127.0.0.1", running.port)
        reply = await conn.api("originate user/1000@example.org &park()")
        assert reply.startswith("+OK "), reply
        uuid = reply.split()[1]
        assert await conn.api(f"uuid_getvar {uuid} dialed_user") == "1000"
        assert await conn.api(f"uuid_getvar {uuid} dialed_domain") == "example.org"
        assert await conn.api(f"uuid_getvar {uuid} presence_id") == "1000@example.org"
        assert await conn.api(f"uuid_getvar {uuid} user_context") == "sales"
        assert await conn.api(f"uuid_getvar {uuid} sim_leg") == "yes"
        assert (await conn.api(f"uuid_getvar {uuid} channel_name")).startswith("sim/")
        await conn.api(f"uuid_kill {uuid}")
        assert await conn.api("originate user/9999@example.org &park()") == "-ERR SUBSCRIBER_ABSENT\n"
        assert await conn.api("originate user/1001@example.org &park()") == (
            "-ERR MANDATORY_IE_MISSING\n"
        )
        assert await conn.api("originate user/1002@example.org &park()") == (
            "-ERR USER_NOT_REGISTERED\n"
        )
        assert await conn.api("originate user/1003@example.org &park()") == (
            "-ERR INVALID_IE_CONTENTS\n"
        )
    finally:
        await running.stop()


async def test_directory_from_a_conf_dir_with_domain_params_and_variables(tmp_path: Path) -> None:
    directory = tmp_path / "directory"
    directory.mkdir()
    (directory / "default.xml").write_text(
        "<include>\n"
        '  <domain name="pbx.test">\n'
        '  <params><param name="dial-string" value="sim/answer"/></params>\n'
        '  <variables><variable name="user_context" value="default"/></variables>\n'
        '  <groups><group name="default"><users>\n'
        '    <user id="2000"><variables>'
        '<variable name="user_context" value="vip"/></variables></user>\n'
        "  </users></group></groups>\n"
        "  </domain>\n"
        "</include>\n"
    )
    running = await start_test_server(conf_dir=tmp_path, listen_ip="127.0.0.1", listen_port=0)
    try:
        conn = await connect("127.0.0.1", running.port)
        reply = await conn.api("originate user/2000@pbx.test &park()")
        assert reply.startswith("+OK "), reply
        uuid = reply.split()[1]
        assert await conn.api(f"uuid_getvar {uuid} user_context") == "vip"
        await conn.api(f"uuid_kill {uuid}")
    finally:
        await running.stop()


def test_serve_options_accept_users() -> None:
    assert ServeOptions(users=list(USERS)).users[0].dial_string is not None
