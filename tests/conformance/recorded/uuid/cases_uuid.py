"""API commands and applications ESL applications run on live calls (issue #13, area 'uuid'):
uuid_record start/stop/limit (RECORD_START/RECORD_STOP), uuid_buglist, uuid_media on a loopback,
uuid_dual_transfer, uuid_session_heartbeat and enable_heartbeat (SESSION_HEARTBEAT),
uuid_early_ok, uuid_limit / the limit application with the hash backend (limit_usage,
over-limit transfer), the hash and db APIs and applications, user/ and group/ dial strings
with the oracle's empty directory (user_exists, group_call, in_group)."""
from steps import (IN_KW, U, E, S, SL, NOCHAN, bye, case, cmd, flat, login, CASES)  # noqa: F401


def watch(uuids, events, conns=("a", "b")):
    steps = []
    for conn, u in zip(conns, uuids, strict=False):
        steps += login(conn) + cmd(conn, "filter Unique-ID " + u) + cmd(conn, "event plain " + events)
    return steps


def orig(text, timeout=20):
    return cmd("c", "api originate " + text, timeout=timeout)


def parked(u):
    return orig("{origination_uuid=%s}loopback/1000/default &park" % u)


REC = "RECORD_START RECORD_STOP"

case("uuid_rec_start_stop",
     "A parked loopback call (901): uuid_record start a file: RECORD_START; uuid_buglist lists the bug; "
     "after 1.2 s uuid_record stop: RECORD_STOP; record_seconds/record_ms/record_samples; buglist again.",
     flat(watch([U(901)], REC), login("c"), parked(U(901)), SL(0.3),
          cmd("c", "api uuid_record %s start /tmp/fid_uuid_901.wav" % U(901)),
          E("a", until={"event": "RECORD_START"}, timeout=5),
          cmd("c", "api uuid_buglist " + U(901)),
          SL(1.2),
          cmd("c", "api uuid_record %s stop /tmp/fid_uuid_901.wav" % U(901)),
          E("a", until={"event": "RECORD_STOP"}, timeout=5), E("a", quiet=0.5),
          cmd("c", "api uuid_getvar %s record_seconds" % U(901)),
          cmd("c", "api uuid_getvar %s record_samples" % U(901)),
          cmd("c", "api uuid_buglist " + U(901)),
          cmd("c", "api uuid_kill " + U(901)), E("a", quiet=0.5),
          bye("a"), bye("c")),
     **IN_KW)

case("uuid_rec_errors",
     "uuid_record usage and errors: no args, unknown uuid, bad action, stop of a file not recorded, "
     "stop all with nothing recording, start without a path, mask of a file not recorded.",
     flat(watch([U(902)], REC), login("c"), parked(U(902)),
          cmd("c", "api uuid_record"),
          cmd("c", "api uuid_record " + U(902)),
          cmd("c", "api uuid_record %s start" % U(902)),
          cmd("c", "api uuid_record %s start /tmp/a.wav" % NOCHAN),
          cmd("c", "api uuid_record %s bogus /tmp/fid_uuid_902.wav" % U(902)),
          cmd("c", "api uuid_record %s stop /tmp/fid_uuid_902.wav" % U(902)),
          cmd("c", "api uuid_record %s stop all" % U(902)),
          cmd("c", "api uuid_record %s mask /tmp/fid_uuid_902.wav" % U(902)),
          cmd("c", "api uuid_buglist"),
          cmd("c", "api uuid_buglist " + NOCHAN),
          cmd("c", "api uuid_buglist " + U(902)),
          E("a", quiet=0.5),
          cmd("c", "api uuid_kill " + U(902)), E("a", quiet=0.5),
          bye("a"), bye("c")),
     **IN_KW)

case("uuid_rec_limit_stop_all_hangup",
     "uuid_record start with a 1 s limit: RECORD_STOP by itself; two recordings then stop all: two "
     "RECORD_STOPs; one more recording then uuid_kill: RECORD_STOP before the hang-up events.",
     flat(watch([U(903)], REC + " CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE"), login("c"), parked(U(903)), SL(0.3),
          cmd("c", "api uuid_record %s start /tmp/fid_uuid_903a.wav 1" % U(903)),
          E("a", until={"event": "RECORD_STOP"}, timeout=5), E("a", quiet=0.5),
          cmd("c", "api uuid_getvar %s record_seconds" % U(903)),
          cmd("c", "api uuid_record %s start /tmp/fid_uuid_903b.wav" % U(903)),
          cmd("c", "api uuid_record %s start /tmp/fid_uuid_903c.wav" % U(903)),
          E("a", until={"event": "RECORD_START"}, until_count=2, timeout=5), SL(0.3),
          cmd("c", "api uuid_record %s stop all" % U(903)),
          E("a", until={"event": "RECORD_STOP"}, until_count=2, timeout=5), E("a", quiet=0.5),
          cmd("c", "api uuid_record %s start /tmp/fid_uuid_903d.wav" % U(903)),
          E("a", until={"event": "RECORD_START"}, timeout=5), SL(0.3),
          cmd("c", "api uuid_kill " + U(903)),
          E("a", until={"event": "CHANNEL_HANGUP_COMPLETE"}, timeout=5), E("a", quiet=0.5),
          bye("a"), bye("c")),
     **IN_KW)

case("uuid_media_loopback",
     "uuid_media and uuid_media off on a parked loopback A leg, usage and an unknown uuid; the channel "
     "events (CALL_UPDATE, CHANNEL_CALLSTATE, EXECUTE_COMPLETE) after; uuid_early_ok.",
     flat(watch([U(904)], "CHANNEL_EXECUTE_COMPLETE CALL_UPDATE CHANNEL_CALLSTATE"),
          login("c"), parked(U(904)), E("a", quiet=0.5),
          cmd("c", "api uuid_media"),
          cmd("c", "api uuid_media " + NOCHAN),
          cmd("c", "api uuid_media off " + NOCHAN),
          cmd("c", "api uuid_media off " + U(904)), E("a", quiet=0.5),
          cmd("c", "api uuid_media " + U(904)), E("a", quiet=0.5),
          cmd("c", "api uuid_early_ok"),
          cmd("c", "api uuid_early_ok " + NOCHAN),
          cmd("c", "api uuid_early_ok " + U(904)),
          cmd("c", "api uuid_kill " + U(904)), E("a", quiet=0.5),
          bye("a"), bye("c")),
     **IN_KW)

case("uuid_dual_transfer_bridged",
     "A bridged pair (loopback/br_answer/bridge 905 bridging 906): uuid_dual_transfer 905 to 1000/XML/default "
     "and its partner to 1001/XML/default: both legs' events (UNBRIDGE, EXECUTE, ...); usage and errors.",
     flat(watch([U(905), U(906)], "CHANNEL_BRIDGE CHANNEL_UNBRIDGE CHANNEL_EXECUTE CHANNEL_HANGUP"),
          login("c"),
          orig("{origination_uuid=%s}loopback/br_answer/bridge &bridge({origination_uuid=%s}loopback/br_answer/bridge)"
               % (U(905), U(906))),
          E("a", until={"event": "CHANNEL_BRIDGE"}, timeout=10), E("a", quiet=0.5), E("b", quiet=0.3),
          cmd("c", "api uuid_dual_transfer"),
          cmd("c", "api uuid_dual_transfer " + U(905)),
          cmd("c", "api uuid_dual_transfer %s 1000" % U(905)),
          cmd("c", "api uuid_dual_transfer %s 1000 1001" % NOCHAN),
          cmd("c", "api uuid_dual_transfer %s 1000/XML/default 1001/XML/default" % U(905)),
          SL(0.5), E("a", quiet=0.7), E("b", quiet=0.3),
          cmd("c", "api uuid_getvar %s bridge_hangup_cause" % U(905)),
          cmd("c", "api uuid_getvar %s destination_number" % U(906)),
          bye("a"), bye("b"), bye("c")),
     **IN_KW)

case("uuid_heartbeat_api",
     "uuid_session_heartbeat on a parked call: usage, unknown uuid, 1 s heartbeat (two SESSION_HEARTBEAT "
     "events); '0' is not off (it means the 60 s default); 'off' stops it; heartbeat_fire_on_set fires at "
     "once; heartbeat_use_scheduler with fire_on_set fires from the scheduler.",
     flat(watch([U(907)], "SESSION_HEARTBEAT"), login("c"), parked(U(907)),
          cmd("c", "api uuid_session_heartbeat"),
          cmd("c", "api uuid_session_heartbeat " + NOCHAN),
          cmd("c", "api uuid_session_heartbeat %s 1" % NOCHAN),
          cmd("c", "api uuid_session_heartbeat %s 1" % U(907)),
          E("a", until={"event": "SESSION_HEARTBEAT"}, until_count=2, timeout=5),
          cmd("c", "api uuid_session_heartbeat %s 0" % U(907)),
          E("a", quiet=1.6),
          cmd("c", "api uuid_session_heartbeat %s off" % U(907)),
          cmd("c", "api uuid_setvar %s heartbeat_fire_on_set true" % U(907)),
          cmd("c", "api uuid_session_heartbeat %s 1" % U(907)),
          E("a", until={"event": "SESSION_HEARTBEAT"}, until_count=2, timeout=5),
          cmd("c", "api uuid_session_heartbeat %s off" % U(907)),
          E("a", quiet=1.3),
          cmd("c", "api uuid_session_heartbeat %s sched 1" % U(907)),
          E("a", until={"event": "SESSION_HEARTBEAT"}, timeout=5),
          cmd("c", "api uuid_session_heartbeat %s false" % U(907)),
          E("a", quiet=1.3),
          cmd("c", "api uuid_kill " + U(907)), E("a", quiet=0.5),
          bye("a"), bye("c")),
     **IN_KW)

case("app_enable_heartbeat",
     "originate loopback/1000 with the inline apps enable_heartbeat:1,park: SESSION_HEARTBEAT events every "
     "second (two seen); enable_heartbeat without argument is logged and does nothing (a second call).",
     flat(watch([U(908), U(909)], "SESSION_HEARTBEAT CHANNEL_EXECUTE_COMPLETE"), login("c"),
          orig("{origination_uuid=%s}loopback/1000/default enable_heartbeat:1,park inline" % U(908)),
          E("a", until={"event": "SESSION_HEARTBEAT"}, until_count=2, timeout=5),
          cmd("c", "api uuid_kill " + U(908)), E("a", quiet=0.5),
          orig("{origination_uuid=%s}loopback/1000/default enable_heartbeat,park inline" % U(909)),
          E("b", quiet=1.5),
          cmd("c", "api uuid_kill " + U(909)), E("b", quiet=0.5),
          bye("a"), bye("b"), bye("c")),
     **IN_KW)

case("limit_hash_app",
     "Two calls run the inline limit:hash fidu lines 1 then park: the first gets in (limit_usage 1), the "
     "second is over the limit (no transfer destination: what happens to it); usage after hang-ups.",
     flat(watch([U(910), U(911)], "CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE CHANNEL_HANGUP"), login("c"),
          cmd("c", "api limit_usage hash fidu lines"),
          orig("{origination_uuid=%s}loopback/1000/default 'limit:hash fidu lines 1,park' inline" % U(910)),
          E("a", until={"event": "CHANNEL_EXECUTE", "ev_header": {"Application": "park"}}, timeout=10),
          cmd("c", "api limit_usage hash fidu lines"),
          cmd("c", "api uuid_getvar %s limit_usage" % U(910)),
          cmd("c", "api uuid_getvar %s limit_usage_fidu_lines" % U(910)),
          orig("{origination_uuid=%s}loopback/1000/default 'limit:hash fidu lines 1,park' inline" % U(911)),
          SL(0.5), E("b", quiet=0.7),
          cmd("c", "api limit_usage hash fidu lines"),
          cmd("c", "api uuid_kill " + U(910)), E("a", quiet=0.5),
          cmd("c", "api limit_usage hash fidu lines"),
          bye("a"), bye("b"), bye("c")),
     **IN_KW)

case("limit_hash_transfer_uuid_limit",
     "limit over its max with a transfer destination (limit:hash fidu t 0 1001 XML default): the call is "
     "transferred; uuid_limit on a parked call: usage, errors, limit_usage counts, release on hang-up.",
     flat(watch([U(912), U(913)], "CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE CHANNEL_HANGUP"), login("c"),
          orig("{origination_uuid=%s}loopback/1000/default 'limit:hash fidu t 0 1001 XML default' inline" % U(912)),
          SL(0.5), E("a", quiet=0.7),
          cmd("c", "api uuid_getvar %s destination_number" % U(912)),
          cmd("c", "api limit_usage hash fidu t"),
          parked(U(913)),
          cmd("c", "api uuid_limit"),
          cmd("c", "api uuid_limit " + U(913)),
          cmd("c", "api uuid_limit %s hash fidu r" % NOCHAN),
          cmd("c", "api uuid_limit %s hash fidu r 5" % U(913)),
          cmd("c", "api uuid_limit %s hash fidu r2" % U(913)),
          cmd("c", "api limit_usage hash fidu r"),
          cmd("c", "api limit_usage hash fidu r2"),
          cmd("c", "api limit_usage"),
          cmd("c", "api limit_usage hash fidu"),
          cmd("c", "api limit_usage nosuch fidu r"),
          cmd("c", "api uuid_kill " + U(913)), E("b", quiet=0.5),
          cmd("c", "api limit_usage hash fidu r"),
          cmd("c", "api uuid_kill " + U(912)), E("a", quiet=0.5),
          bye("a"), bye("b"), bye("c")),
     **IN_KW)

case("hash_api_app",
     "The hash API: insert, select, insert_ifempty, delete_ifmatch, delete, usage and bad forms; the hash "
     "application on a call (hash:insert/fidu/k2/...) seen by the API.",
     flat(watch([U(914)], "CHANNEL_EXECUTE_COMPLETE"), login("c"),
          cmd("c", "api hash"),
          cmd("c", "api hash insert/fidu/k1/v1"),
          cmd("c", "api hash select/fidu/k1"),
          cmd("c", "api hash insert_ifempty/fidu/k1/v2"),
          cmd("c", "api hash select/fidu/k1"),
          cmd("c", "api hash delete_ifmatch/fidu/k1/nope"),
          cmd("c", "api hash delete_ifmatch/fidu/k1/v1"),
          cmd("c", "api hash select/fidu/k1"),
          cmd("c", "api hash insert/fidu/k1/a/b"),
          cmd("c", "api hash select/fidu/k1"),
          cmd("c", "api hash delete/fidu/k1"),
          cmd("c", "api hash delete/fidu/k1"),
          cmd("c", "api hash select/fidu/nope"),
          cmd("c", "api hash bogus/fidu/k1"),
          cmd("c", "api hash insert/fidu"),
          orig("{origination_uuid=%s}loopback/1000/default 'hash:insert/fidu/k2/${uuid},park' inline" % U(914)),
          E("a", until={"event": "CHANNEL_EXECUTE_COMPLETE"}, timeout=10),
          cmd("c", "api hash select/fidu/k2"),
          cmd("c", "api uuid_kill " + U(914)), E("a", quiet=0.5),
          bye("a"), bye("c")),
     **IN_KW)

case("db_api_app",
     "The db API (mod_db): insert, select, exists, count, list, delete, usage and bad forms; the db "
     "application on a call (db:insert/fidu/k2/...) seen by the API.",
     flat(watch([U(915)], "CHANNEL_EXECUTE_COMPLETE"), login("c"),
          cmd("c", "api db"),
          cmd("c", "api db insert/fidu/k1/v1"),
          cmd("c", "api db select/fidu/k1"),
          cmd("c", "api db exists/fidu/k1"),
          cmd("c", "api db exists/fidu/nope"),
          cmd("c", "api db insert/fidu/k1/v2"),
          cmd("c", "api db select/fidu/k1"),
          cmd("c", "api db count/fidu"),
          cmd("c", "api db list/fidu"),
          cmd("c", "api db delete/fidu/k1"),
          cmd("c", "api db select/fidu/k1"),
          cmd("c", "api db exists/fidu/k1"),
          cmd("c", "api db bogus/fidu/k1"),
          cmd("c", "api db insert/fidu"),
          orig("{origination_uuid=%s}loopback/1000/default 'db:insert/fidu/k2/${uuid},park' inline" % U(915)),
          E("a", until={"event": "CHANNEL_EXECUTE_COMPLETE"}, timeout=10),
          cmd("c", "api db select/fidu/k2"),
          cmd("c", "api db delete/fidu/k2"),
          cmd("c", "api uuid_kill " + U(915)), E("a", quiet=0.5),
          bye("a"), bye("c")),
     **IN_KW)

case("user_group_dial",
     "user/ and group/ dial strings with the oracle's empty directory: originate user/1000, "
     "user/1000@example.com, group/sales; user_exists, group_call, in_group answers.",
     flat(login("c"),
          orig("user/1000 &park"),
          orig("user/1000@example.com &park"),
          orig("{origination_uuid=%s}user/1000 &park" % U(916)),
          orig("group/sales &park"),
          orig("group/sales@example.com &park"),
          cmd("c", "api user_exists"),
          cmd("c", "api user_exists id 1000"),
          cmd("c", "api user_exists id 1000 example.com"),
          cmd("c", "api group_call sales"),
          cmd("c", "api group_call sales@example.com"),
          cmd("c", "api in_group 1000 sales"),
          bye("c")),
     **IN_KW)

case("user_bridge_absent",
     "bridge to user/1000 (empty directory) from a loopback call with continue_on_fail=true: the bridge fails "
     "at once (SUBSCRIBER_ABSENT), the A leg's EXECUTE_COMPLETE bridge variables, then it parks (DIALSTATUS); "
     "a second call bridging group/sales without continue_on_fail hangs up with the bridge's cause.",
     flat(watch([U(917), U(918)], "CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE CHANNEL_HANGUP"), login("c"),
          orig("{origination_uuid=%s,continue_on_fail=true}loopback/1000/default bridge:user/1000,park inline" % U(917)),
          E("a", until={"event": "CHANNEL_EXECUTE", "ev_header": {"Application": "park"}}, timeout=10),
          cmd("c", "api uuid_getvar %s DIALSTATUS" % U(917)),
          cmd("c", "api uuid_getvar %s originate_disposition" % U(917)),
          cmd("c", "api uuid_getvar %s bridge_hangup_cause" % U(917)),
          orig("{origination_uuid=%s}loopback/1000/default bridge:group/sales,park inline" % U(918)),
          E("b", until={"event": "CHANNEL_EXECUTE_COMPLETE"}, timeout=10), E("b", quiet=0.5),
          cmd("c", "api uuid_kill " + U(917)), E("a", quiet=0.5),
          bye("a"), bye("b"), bye("c")),
     **IN_KW)
