"""Closed sets of FreeSWITCH names: event types, hangup causes, channel states, log levels.

Values and spellings follow FreeSWITCH (switch_types.h / switch_event.c). The enum values are
FreeSWITCH's numeric codes.
"""

from __future__ import annotations

from enum import IntEnum


class EventType(IntEnum):
    """Event types (``Event-Name``); the value is FreeSWITCH's enum index."""

    CUSTOM = 0
    CLONE = 1
    CHANNEL_CREATE = 2
    CHANNEL_DESTROY = 3
    CHANNEL_STATE = 4
    CHANNEL_CALLSTATE = 5
    CHANNEL_ANSWER = 6
    CHANNEL_HANGUP = 7
    CHANNEL_HANGUP_COMPLETE = 8
    CHANNEL_EXECUTE = 9
    CHANNEL_EXECUTE_COMPLETE = 10
    CHANNEL_HOLD = 11
    CHANNEL_UNHOLD = 12
    CHANNEL_BRIDGE = 13
    CHANNEL_UNBRIDGE = 14
    CHANNEL_PROGRESS = 15
    CHANNEL_PROGRESS_MEDIA = 16
    CHANNEL_OUTGOING = 17
    CHANNEL_PARK = 18
    CHANNEL_UNPARK = 19
    CHANNEL_APPLICATION = 20
    CHANNEL_ORIGINATE = 21
    CHANNEL_UUID = 22
    API = 23
    LOG = 24
    INBOUND_CHAN = 25
    OUTBOUND_CHAN = 26
    STARTUP = 27
    SHUTDOWN = 28
    PUBLISH = 29
    UNPUBLISH = 30
    TALK = 31
    NOTALK = 32
    SESSION_CRASH = 33
    MODULE_LOAD = 34
    MODULE_UNLOAD = 35
    DTMF = 36
    MESSAGE = 37
    PRESENCE_IN = 38
    NOTIFY_IN = 39
    PRESENCE_OUT = 40
    PRESENCE_PROBE = 41
    MESSAGE_WAITING = 42
    MESSAGE_QUERY = 43
    ROSTER = 44
    CODEC = 45
    BACKGROUND_JOB = 46
    DETECTED_SPEECH = 47
    DETECTED_TONE = 48
    PRIVATE_COMMAND = 49
    HEARTBEAT = 50
    TRAP = 51
    ADD_SCHEDULE = 52
    DEL_SCHEDULE = 53
    EXE_SCHEDULE = 54
    RE_SCHEDULE = 55
    RELOADXML = 56
    NOTIFY = 57
    PHONE_FEATURE = 58
    PHONE_FEATURE_SUBSCRIBE = 59
    SEND_MESSAGE = 60
    RECV_MESSAGE = 61
    REQUEST_PARAMS = 62
    CHANNEL_DATA = 63
    GENERAL = 64
    COMMAND = 65
    SESSION_HEARTBEAT = 66
    CLIENT_DISCONNECTED = 67
    SERVER_DISCONNECTED = 68
    SEND_INFO = 69
    RECV_INFO = 70
    RECV_RTCP_MESSAGE = 71
    SEND_RTCP_MESSAGE = 72
    CALL_SECURE = 73
    NAT = 74
    RECORD_START = 75
    RECORD_STOP = 76
    PLAYBACK_START = 77
    PLAYBACK_STOP = 78
    CALL_UPDATE = 79
    FAILURE = 80
    SOCKET_DATA = 81
    MEDIA_BUG_START = 82
    MEDIA_BUG_STOP = 83
    CONFERENCE_DATA_QUERY = 84
    CONFERENCE_DATA = 85
    CALL_SETUP_REQ = 86
    CALL_SETUP_RESULT = 87
    CALL_DETAIL = 88
    DEVICE_STATE = 89
    TEXT = 90
    SHUTDOWN_REQUESTED = 91
    CERT_RELOAD = 92
    ALL = 93


class HangupCause(IntEnum):
    """Hangup causes with their Q.850 or internal codes."""

    NONE = 0
    UNALLOCATED_NUMBER = 1
    NO_ROUTE_TRANSIT_NET = 2
    NO_ROUTE_DESTINATION = 3
    CHANNEL_UNACCEPTABLE = 6
    CALL_AWARDED_DELIVERED = 7
    NORMAL_CLEARING = 16
    USER_BUSY = 17
    NO_USER_RESPONSE = 18
    NO_ANSWER = 19
    SUBSCRIBER_ABSENT = 20
    CALL_REJECTED = 21
    NUMBER_CHANGED = 22
    REDIRECTION_TO_NEW_DESTINATION = 23
    EXCHANGE_ROUTING_ERROR = 25
    DESTINATION_OUT_OF_ORDER = 27
    INVALID_NUMBER_FORMAT = 28
    FACILITY_REJECTED = 29
    RESPONSE_TO_STATUS_ENQUIRY = 30
    NORMAL_UNSPECIFIED = 31
    NORMAL_CIRCUIT_CONGESTION = 34
    NETWORK_OUT_OF_ORDER = 38
    NORMAL_TEMPORARY_FAILURE = 41
    SWITCH_CONGESTION = 42
    ACCESS_INFO_DISCARDED = 43
    REQUESTED_CHAN_UNAVAIL = 44
    PRE_EMPTED = 45
    FACILITY_NOT_SUBSCRIBED = 50
    OUTGOING_CALL_BARRED = 52
    INCOMING_CALL_BARRED = 54
    BEARERCAPABILITY_NOTAUTH = 57
    BEARERCAPABILITY_NOTAVAIL = 58
    SERVICE_UNAVAILABLE = 63
    BEARERCAPABILITY_NOTIMPL = 65
    CHAN_NOT_IMPLEMENTED = 66
    FACILITY_NOT_IMPLEMENTED = 69
    SERVICE_NOT_IMPLEMENTED = 79
    INVALID_CALL_REFERENCE = 81
    INCOMPATIBLE_DESTINATION = 88
    INVALID_MSG_UNSPECIFIED = 95
    MANDATORY_IE_MISSING = 96
    MESSAGE_TYPE_NONEXIST = 97
    WRONG_MESSAGE = 98
    IE_NONEXIST = 99
    INVALID_IE_CONTENTS = 100
    WRONG_CALL_STATE = 101
    RECOVERY_ON_TIMER_EXPIRE = 102
    MANDATORY_IE_LENGTH_ERROR = 103
    PROTOCOL_ERROR = 111
    INTERWORKING = 127
    SUCCESS = 142
    ORIGINATOR_CANCEL = 487
    CRASH = 700
    SYSTEM_SHUTDOWN = 701
    LOSE_RACE = 702
    MANAGER_REQUEST = 703
    BLIND_TRANSFER = 800
    ATTENDED_TRANSFER = 801
    ALLOTTED_TIMEOUT = 802
    USER_CHALLENGE = 803
    MEDIA_TIMEOUT = 804
    PICKED_OFF = 805
    USER_NOT_REGISTERED = 806
    PROGRESS_TIMEOUT = 807
    INVALID_GATEWAY = 808
    GATEWAY_DOWN = 809
    INVALID_URL = 810
    INVALID_PROFILE = 811
    NO_PICKUP = 812
    SRTP_READ_ERROR = 813
    BOWOUT = 814
    BUSY_EVERYWHERE = 815
    DECLINE = 816
    DOES_NOT_EXIST_ANYWHERE = 817
    NOT_ACCEPTABLE = 818
    UNWANTED = 819
    NO_IDENTITY = 820
    BAD_IDENTITY_INFO = 821
    UNSUPPORTED_CERTIFICATE = 822
    INVALID_IDENTITY = 823
    STALE_DATE = 824
    REJECT_ALL = 825


class ChannelState(IntEnum):
    """Channel states (``Channel-State`` / ``Channel-State-Number``)."""

    CS_NEW = 0
    CS_INIT = 1
    CS_ROUTING = 2
    CS_SOFT_EXECUTE = 3
    CS_EXECUTE = 4
    CS_EXCHANGE_MEDIA = 5
    CS_PARK = 6
    CS_CONSUME_MEDIA = 7
    CS_HIBERNATE = 8
    CS_RESET = 9
    CS_HANGUP = 10
    CS_REPORTING = 11
    CS_DESTROY = 12
    CS_NONE = 13


class LogLevel(IntEnum):
    """Log levels (``Log-Level``)."""

    CONSOLE = 0
    ALERT = 1
    CRIT = 2
    ERR = 3
    WARNING = 4
    NOTICE = 5
    INFO = 6
    DEBUG = 7


#: Event names in enum order, for ``event``/``nixevent`` name lookup.
EVENT_NAMES: tuple[str, ...] = tuple(e.name for e in EventType)
_EVENT_BY_NAME: dict[str, EventType] = {e.name: e for e in EventType}


def event_type_by_name(name: str) -> EventType | None:
    """Look an event type up as ``switch_name_event`` does.

    The match is case-insensitive, and a ``SWITCH_EVENT_`` prefix is accepted: a name longer
    than 13 characters whose tail after 13 characters matches also counts.
    """
    upper = name.upper()
    found = _EVENT_BY_NAME.get(upper)
    if found is None and len(upper) > 13:
        found = _EVENT_BY_NAME.get(upper[13:])
    return found


_CAUSE_BY_NAME: dict[str, HangupCause] = {c.name: c for c in HangupCause}
_CAUSE_BY_CODE: dict[int, HangupCause] = {int(c): c for c in HangupCause}


def hangup_cause_from_string(text: str) -> HangupCause:
    """Parse a hangup cause as FreeSWITCH does: a leading digit means a numeric code,
    otherwise a case-insensitive name; anything unknown is NORMAL_CLEARING."""
    text = text.strip()
    if text[:1].isdigit():
        digits = ""
        for ch in text:
            if not ch.isdigit():
                break
            digits += ch
        return _CAUSE_BY_CODE.get(int(digits), HangupCause.NORMAL_CLEARING)
    return _CAUSE_BY_NAME.get(text.upper(), HangupCause.NORMAL_CLEARING)


def hangup_cause_name(code: int) -> str:
    """The name FreeSWITCH writes for a cause code; ``UNKNOWN`` for codes it does not know."""
    cause = _CAUSE_BY_CODE.get(code)
    return cause.name if cause is not None else "UNKNOWN"
