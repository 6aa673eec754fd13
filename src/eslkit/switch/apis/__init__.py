"""The simulated switch's built-in API commands, one :class:`~eslkit.switch.modules.Module`
per file: ``core_commands`` (identity and status, strings, expansion, global variables,
logging, aliases), ``fsctl`` (fsctl, hupall, shutdown), ``sched_commands`` (sched_api,
sched_del, unsched_api, bgapi), ``show``, ``channel_commands`` (originate, uuid_*),
``call_commands`` (uuid_pre_answer, deflect, displace, ...), ``media_commands``
(uuid_bridge, uuid_broadcast, uuid_record, uuid_send_dtmf), ``conference_commands``
(mod_conference).

They are listed in :func:`eslkit.switch.modules.builtin_modules`; a new file here is added
to that list. The media and bridge work is done by :mod:`eslkit.switch.ivr`.
"""
