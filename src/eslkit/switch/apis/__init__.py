"""The simulated switch's built-in API commands (mod_commands), one
:class:`~eslkit.switch.modules.Module` per file: ``core_commands`` (status, global
variables, events, logs, scheduling, ...), ``show``, ``channel_commands`` (originate,
uuid_*), ``media_commands`` (uuid_bridge, uuid_broadcast, uuid_record, uuid_send_dtmf).

They are listed in :func:`eslkit.switch.modules.builtin_modules`; a new file here is added
to that list. The media and bridge work is done by :mod:`eslkit.switch.ivr`.
"""
