"""The digit machine (``switch_ivr_dmachine_*``) and mod_dptools' digit actions
(``bind_digit_action``, ``clear_digit_action``, ``digit_action_set_realm``).

A channel with bindings gets a digit machine per target: ``self`` is fed the digits the
channel receives (``switch_core_session_recv_dtmf``: such a digit is *not* queued, so no
DTMF event fires for it), ``peer`` the digits it sends. Digits collect until they match a
binding exactly (the action runs), can match nothing any more (the no-match action: the
digits go back into the queue, skipping the machine) or the digit timeout passes with a
binding matched exactly (``1`` bound beside ``12``). A matched action queues a
CHANNEL_DATA event to the session and then runs: ``exec:APP`` as a broadcast of
``APP::VALUE``, ``api:CMD`` as an API command whose output is stored in
``bind_digit_action_api_result``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

from eslkit import pcre
from eslkit.protocol.event import Event
from eslkit.protocol.names import EventType
from eslkit.protocol.records import ApiResult
from eslkit.switch.dialplan_regex import perform_substitution

if TYPE_CHECKING:
    from eslkit.switch.channel import Channel

__all__ = [
    "MAX_DIGIT_LEN",
    "Binding",
    "DigitMachine",
    "Target",
    "bind_digit_action",
    "clear_digit_action",
    "digit_action_set_realm",
    "feed_received",
    "feed_sent",
]

MAX_DIGIT_LEN = 512
"""``DMACHINE_MAX_DIGIT_LEN``: the longest digit string a machine collects, plus one."""
MAX_BINDINGS = 1000
"""Most bindings one realm holds (FreeSWITCH has no limit; eslkit bounds everything)."""


class Target(Enum):
    """``switch_digit_action_target_t``."""

    SELF = 0
    PEER = 1
    BOTH = 2


def str2target(text: str) -> Target:
    """mod_dptools' ``str2target``: ``peer``, ``both``, anything else ``self``."""
    low = text.lower()
    return Target.PEER if low == "peer" else Target.BOTH if low == "both" else Target.SELF


class Match(Enum):
    NONE = 0
    EXACT = 1
    PARTIAL = 2
    BOTH = 3
    NEVER = 4


@dataclass(slots=True)
class Action:
    """mod_dptools' ``struct action_binding``."""

    realm: str
    string: str
    value: str
    target: Target
    channel: Channel


@dataclass(slots=True)
class Binding:
    """One bound digit string or ``~regex`` (``~regex~~replacement``)."""

    digits: str
    action: Action
    is_regex: bool = False
    first_match: bool = False
    is_priority: bool = False
    repl: str | None = None
    substituted: str | None = None
    rmatch: bool = False
    regex: pcre.Regex | None = None


@dataclass(slots=True)
class Realm:
    name: str
    bindings: list[Binding] = field(default_factory=list)
    terminators: str = ""


class DigitMachine:
    """``switch_ivr_dmachine_t`` named ``DPTOOLS`` as mod_dptools creates it."""

    __slots__ = (
        "channel",
        "digit_timeout_ms",
        "digits",
        "input_timeout_ms",
        "last_digit_time",
        "last_failed",
        "last_matching",
        "last_matching_binding",
        "max_digit_len",
        "realm",
        "realms",
        "target",
        "timer",
    )

    def __init__(self, channel: Channel, target: Target, digit_timeout_ms: int, input_timeout_ms: int) -> None:
        self.channel = channel
        self.target = target
        self.digit_timeout_ms = digit_timeout_ms
        self.input_timeout_ms = input_timeout_ms
        self.realms: dict[str, Realm] = {}
        self.realm: Realm | None = None
        self.digits = ""
        self.max_digit_len = 0
        self.last_digit_time = 0.0
        self.last_matching = ""
        self.last_failed = ""
        self.last_matching_binding: Binding | None = None
        self.timer: asyncio.TimerHandle | None = None

    # ----------------------------------------------------------------- binding
    def bind(self, realm_name: str, digits: str, is_priority: bool, action: Action) -> None:
        """``switch_ivr_dmachine_bind``: add (or re-use) a binding; its realm becomes current."""
        if len(digits) > MAX_DIGIT_LEN - 1:
            return
        realm_name = realm_name or "default"
        realm = self.realms.get(realm_name)
        if realm is None:
            realm = self.realms[realm_name] = Realm(realm_name)
        for existing in realm.bindings:
            if (existing.is_regex and existing.digits == digits[1:]) or existing.digits == digits:
                existing.action = action
                return
        if len(realm.bindings) >= MAX_BINDINGS:
            return
        text = digits
        binding = Binding("", action, is_priority=is_priority)
        if text.startswith("="):
            binding.first_match = True
            text = text[1:]
        if text.startswith("~"):
            binding.is_regex = True
            text = text[1:]
            cut = text.find("~")
            if cut >= 0 and text[cut + 1 : cut + 2] == "~":
                binding.repl = text[cut + 2 :]
                text = text[:cut]
            binding.regex = pcre.compile(text)
        binding.digits = text
        realm.bindings.append(binding)
        if self.realm is not realm:
            self.realm = realm
        if binding.is_regex:
            self.max_digit_len = MAX_DIGIT_LEN - 1
        elif len(digits) > self.max_digit_len:
            self.max_digit_len = len(digits)

    def set_realm(self, name: str) -> bool:
        realm = self.realms.get(name)
        if realm is None:
            return False
        self.realm = realm
        return True

    def clear_realm(self, name: str) -> None:
        if not name:
            return
        realm = self.realms.pop(name, None)
        if realm is not None and realm is self.realm:
            self.realm = None
        elif realm is None and self.realm is not None and self.realm.name == name:
            self.realm = None

    def destroy(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    # ----------------------------------------------------------------- matching
    def _check_match(self, is_timeout: bool) -> Match:
        best = Match.NONE
        exact: Binding | None = None
        partial: Binding | None = None
        both: Binding | None = None
        chosen: Binding | None = None
        realm = self.realm
        if self.digits and realm is not None:
            pmatches = ematches = rmatches = 0
            digits = self.digits
            for bp in realm.bindings:
                if bp.is_regex:
                    found = bp.regex.search(digits) if bp.regex is not None else None
                    bp.rmatch = found is not None
                    if bp.repl is not None:
                        size = (len(digits) + len(bp.digits) + 10) * (len(found.groups()) + 1) if found else 0
                        bp.substituted = perform_substitution(found, bp.repl, size) if found is not None else None
                    rmatches += 1
                    pmatches += 1
                    if bp.rmatch and bp.first_match:
                        break
                elif bp.digits.startswith(digits):
                    pmatches += 1
                    if len(digits) == len(bp.digits):
                        ematches += 1
            for term in realm.terminators:
                cut = self.digits.rfind(term)
                if cut >= 0:
                    self.digits = self.digits[:cut]
                    is_timeout = True
                    break
            digits = self.digits
            for bp in realm.bindings:
                if bp.is_regex:
                    if bp.rmatch:
                        if (
                            bp.first_match
                            or (bp.is_priority and not ematches)
                            or is_timeout
                            or (bp is realm.bindings[0] and len(realm.bindings) == 1)
                        ):
                            best, exact = Match.EXACT, bp
                            break
                        best = Match.PARTIAL
                    continue
                pmatch = bp.digits.startswith(digits)
                if (
                    exact is None
                    and pmatch
                    and (bp.first_match or not rmatches or bp.is_priority or is_timeout)
                    and bp.digits == digits
                ):
                    best, exact = Match.EXACT, bp
                    if bp.first_match or bp.is_priority or len(digits) == self.max_digit_len:
                        break
                if not (both is not None and partial is not None) and len(bp.digits) != len(digits) and pmatch:
                    if exact is not None:
                        best, both = Match.BOTH, bp
                    else:
                        best, partial = Match.PARTIAL, bp
                if both is not None and exact is not None and partial is not None:
                    break
            if not pmatches:
                best = Match.NEVER
        if is_timeout and both is not None:
            chosen = exact
        if best is Match.EXACT and exact is not None:
            chosen = exact
        if chosen is not None:
            self.last_matching_binding = chosen
            self.last_matching = chosen.substituted if chosen.substituted is not None else self.digits
            best = Match.EXACT
        return best

    def _timed_out(self, now: float) -> bool:
        timeout = self.digit_timeout_ms if self.digits else self.input_timeout_ms
        if not self.last_digit_time:
            self.last_digit_time = now
        return bool(timeout) and (now - self.last_digit_time) * 1000 > timeout

    def _now(self) -> float:
        return self.channel.switch.clock.elapsed()

    def ping(self) -> None:
        """``switch_ivr_dmachine_ping``: run the matched (or failed) action, if any."""
        is_timeout = self._timed_out(self._now())
        match = self._check_match(is_timeout)
        if match is Match.NEVER:
            is_timeout = True
        clear = False
        failed = False
        if not self.digits and not is_timeout:
            pass
        elif len(self.digits) > self.max_digit_len:
            failed = True
        elif match is Match.EXACT or (match is Match.BOTH and is_timeout):
            binding = self.last_matching_binding
            if binding is not None:
                _digit_action(binding.action, self.last_matching)
            clear = True
        elif is_timeout:
            failed = True
        elif match is Match.NONE and len(self.digits) == self.max_digit_len:
            failed = True
        if failed:
            self.last_failed = self.digits
            _digit_nomatch(self, self.last_failed)
            clear = True
        if clear:
            self.digits = ""
            self.last_digit_time = 0.0
        self._arm()

    def feed(self, digit: str) -> None:
        """``switch_ivr_dmachine_feed`` of one digit."""
        if len(self.digits) >= self.max_digit_len:
            return
        self.digits += digit
        self.last_digit_time = self._now()
        self.ping()

    def _arm(self) -> None:
        # FreeSWITCH pings on every frame the channel reads; eslkit pings when the digit
        # (or input) timeout can have passed.
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        timeout = self.digit_timeout_ms if self.digits else self.input_timeout_ms
        if not timeout or not self.channel.ready:
            return
        if not self.last_digit_time:
            self.last_digit_time = self._now()
        due = self.last_digit_time + timeout / 1000.0 + 0.02 - self._now()
        loop = asyncio.get_running_loop()
        self.timer = loop.call_later(self.channel.switch.clock.real_delay(max(0.0, due)), self._on_timer)

    def _on_timer(self) -> None:
        self.timer = None
        if self.channel.ready and _machines(self.channel)[self.target.value] is self:
            self.ping()


# --------------------------------------------------------------------------- sessions
def _machines(channel: Channel) -> list[DigitMachine | None]:
    if channel.dmachines is None:
        channel.dmachines = [None, None]
    return channel.dmachines


def _set_machine(channel: Channel, target: Target, machine: DigitMachine | None) -> None:
    machines = _machines(channel)
    index = 1 if target is Target.PEER else 0
    old = machines[index]
    if old is not None and old is not machine:
        old.destroy()
    machines[index] = machine
    if machines == [None, None]:
        channel.dmachines = None


def feed_received(channel: Channel, digit: str) -> bool:
    """A digit arriving at ``channel`` (not queued by an application): True when its
    ``self`` digit machine took it (then it is not queued)."""
    machines = channel.dmachines
    machine = machines[0] if machines is not None else None
    if machine is None:
        return False
    machine.feed(digit)
    return True


def feed_sent(channel: Channel, digit: str) -> bool:
    """A digit ``channel`` sends: True when its ``peer`` digit machine took it (then it is
    not sent)."""
    machines = channel.dmachines
    machine = machines[1] if machines is not None else None
    if machine is None:
        return False
    machine.feed(digit)
    return True


def _partner(channel: Channel) -> Channel | None:
    return channel.partner()


def _queue_data(channel: Channel, headers: list[tuple[str, str]]) -> None:
    channel.queue_session_event(Event(headers), EventType.CHANNEL_DATA)


def _digit_action(action: Action, digits: str) -> None:
    """mod_dptools' ``digit_action_callback``."""
    use = action.channel
    if action.target in (Target.PEER, Target.BOTH):
        use = _partner(action.channel) or action.channel
    for _ in range(2):
        string = action.string
        execute = 0
        api = False
        flags = ""
        use.set_variable("last_matching_digits", digits)
        if string[:4].lower() == "exec":
            rest = string[4:]
            if rest.startswith(":"):
                string, execute = rest[1:], 1
            elif rest.startswith("["):
                end = rest.find("]")
                if end > 0 and rest[end + 1 : end + 2] == ":":
                    flags = rest[1:end]
                    string = rest[end + 2 :]
                    execute = 2 if "i" in flags else 1
        elif string[:4].lower() == "api:":
            string, api = string[4:], True
        headers = [(string, action.value), ("digits", digits)]
        if execute:
            headers.append(("execute", "non-blocking" if execute == 1 else "blocking"))
        _queue_data(use, headers)
        if execute:
            # 'i' (inline) runs the application in FreeSWITCH's feeding thread; eslkit queues
            # it like the non-blocking form (docs/deviations.md).
            from eslkit.switch.ivr.broadcast import broadcast

            hold_bleg = action.target is not Target.BOTH and "H" not in flags
            broadcast(use, f"{string}::{action.value}", aleg=True, bleg=False, hold_bleg=hold_bleg)
        elif api:
            _run_api(use, string, action.value)
        if use is action.channel or action.target is not Target.BOTH:
            return
        use = action.channel


def _run_api(channel: Channel, command: str, argument: str) -> None:
    started = channel.switch.api.execute_nowait(command, argument)

    def store(output: str) -> None:
        if output:
            channel.set_variable("bind_digit_action_api_result", output)

    if isinstance(started, ApiResult):
        store(started.output)
        return

    async def finish(pending: Awaitable[ApiResult]) -> None:
        store((await pending).output)

    channel.switch.spawn(finish(started))


def _digit_nomatch(machine: DigitMachine, digits: str) -> None:
    """mod_dptools' ``digit_nomatch_action_callback``: the digits go back to the queue."""
    use = machine.channel
    if machine.target is Target.PEER:
        use = _partner(machine.channel) or machine.channel
    use.set_variable("last_non_matching_digits", digits)
    _queue_data(use, [("digits", digits)])
    use.queue_dtmf(digits, use.switch.dtmf_durations["default"], source="APP", process=False)


# --------------------------------------------------------------------------- apps
def _bind_to_session(channel: Channel, args: list[str], value: str, target: Target, bind_target: Target) -> None:
    machines = _machines(channel)
    index = 1 if target is Target.PEER else 0
    machine = machines[index]
    if machine is None:
        digit_timeout, input_timeout = 1500, 0
        var = channel.get_variable("bind_digit_digit_timeout")
        if var is not None:
            digit_timeout = _atoul(var)
        var = channel.get_variable("bind_digit_input_timeout")
        if var is not None:
            input_timeout = _atoul(var)
        machine = DigitMachine(channel, Target.PEER if index else Target.SELF, digit_timeout, input_timeout)
        _set_machine(channel, machine.target, machine)
    action = Action(args[0], args[2], value, bind_target, channel)
    is_priority = False
    low = action.string[:4].lower()
    if low in ("exec", "api:"):
        rest = action.string[4:]
        if rest.startswith("["):
            end = rest.find("]")
            if end > 0 and rest[end + 1 : end + 2] == ":" and "P" in rest[1:end]:
                is_priority = True
    machine.bind(action.realm, args[1], is_priority, action)
    terminators = channel.get_variable("bda_terminators")
    if terminators is not None and machine.realm is not None:
        machine.realm.terminators = terminators


def _atoul(text: str) -> int:
    digits = ""
    for ch in text.strip():
        if not ch.isdigit():
            break
        digits += ch
    return int(digits[:10]) if digits else 0


def bind_digit_action(channel: Channel, data: str) -> bool:
    """``bind_digit_action <realm>,<digits|~regex>,<string>[,<value>][,<dtmf target>][,<event
    target>]``; False on a syntax error."""
    from eslkit.switch.expand import separate_string

    if not data:
        return False
    argv = separate_string(data, ",", 6)
    if len(argv) < 3 or not argv[0] or not argv[1] or not argv[2]:
        return False
    value = argv[3] if len(argv) > 3 else ""
    target = str2target(argv[4]) if len(argv) > 4 else Target.SELF
    bind_target = str2target(argv[5]) if len(argv) > 5 else Target.SELF
    if target is Target.BOTH:
        _bind_to_session(channel, argv, value, Target.PEER, bind_target)
        _bind_to_session(channel, argv, value, Target.SELF, bind_target)
    else:
        _bind_to_session(channel, argv, value, target, bind_target)
    return True


def clear_digit_action(channel: Channel, data: str) -> None:
    """``clear_digit_action <realm>|all[,target]``."""
    realm, _, target_text = data.partition(",")
    target = str2target(target_text) if _ else Target.SELF
    for which in ((Target.PEER, Target.SELF) if target is Target.BOTH else (target,)):
        machines = channel.dmachines
        if machines is None:
            return
        machine = machines[1 if which is Target.PEER else 0]
        if machine is None:
            continue
        if not realm or realm.lower() == "all":
            _set_machine(channel, which, None)
            machine.destroy()
        else:
            machine.clear_realm(realm)


def digit_action_set_realm(channel: Channel, data: str) -> bool:
    """``digit_action_set_realm <realm>[,<target>]``; False on a syntax error."""
    if not data:
        return False
    realm, _, target_text = data.partition(",")
    target = str2target(target_text) if _ else Target.SELF
    machines = channel.dmachines
    if machines is not None and target is not Target.BOTH:
        machine = machines[1 if target is Target.PEER else 0]
        if machine is not None:
            machine.set_realm(realm)
    return True
