"""Numbers as FreeSWITCH reads them: C atoi on a 64-bit glibc ((int) strtol: a value past
32 bits wraps) and switch_log_str2level (switch_is_number, then atoi, clamped to 0..63; names
case-insensitive; anything else invalid), in the event socket's log command, fsctl, and the
log application. Record with the oracle (see ../README.md)."""

from steps import CASES, IN_KW, E, U, bye, case, cmd, flat, login, originate  # noqa: F401

case("numbers_esl_log_levels",
     "The event socket's log command: 4294967303 wraps to 7; '.' and '+' are numbers (0); "
     "'1-2' is neither a number nor a name (invalid); a huge number clamps to 63; -5 to 0; "
     "64 is invalid, 63 is not; names are case-insensitive; nolog.",
     flat(login(),
          cmd("a", "log 4294967303"), cmd("a", "log ."), cmd("a", "log 1-2"), cmd("a", "log +"),
          cmd("a", "log 99999999999999"), cmd("a", "log -5"), cmd("a", "log 64"),
          cmd("a", "log 63"), cmd("a", "log DisAble"), cmd("a", "nolog"), bye()))

case("numbers_fsctl_atoi",
     "fsctl reads its numbers with atoi: debug_level 4294967299 is 3, max_sessions 4294967306 "
     "is 10, sps 4294967306 is 10 (each restored after).",
     flat(login(),
          cmd("a", "api fsctl debug_level 4294967299"), cmd("a", "api fsctl debug_level 0"),
          cmd("a", "api fsctl max_sessions 4294967306"), cmd("a", "api fsctl max_sessions 20000"),
          cmd("a", "api fsctl sps 4294967306"), cmd("a", "api fsctl sps 5000"),
          bye()))

case("numbers_log_app_levels",
     "The log application's level is switch_log_str2level's: '3 three' logs 'three' at ERR "
     "(a listener at log 7; the core at WARNING).",
     flat(login(), cmd("a", "log 7"),
          login("c"),
          originate("c", U(701), app="'&log(3 three)'"),
          E("a", quiet=1.0),
          bye("a"), bye("c")),
     **IN_KW)
