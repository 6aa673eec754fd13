"""The switch's shared media and call layer: what FreeSWITCH calls ``switch_ivr_*``.

Dialplan applications (:mod:`eslkit.switch.apps`) and API commands
(:mod:`eslkit.switch.apis`) parse their arguments and call these; neither imports the
other.

- :mod:`.wait`: waiting on a channel as a media loop does (``switch_ivr_sleep``,
  ``switch_ivr_parse_all_events``), :class:`~.wait.MediaStatus`, :class:`~.wait.Wake`.
- :mod:`.sources`: audio sources and their lengths (WAV headers, ``tone_stream://``,
  ``silence_stream://``, ``file_string://``), WAV writing.
- :mod:`.play`: ``switch_ivr_play_file``.
- :mod:`.record`: ``switch_ivr_record_file`` and session recording
  (``switch_ivr_record_session``).
- :mod:`.digits`: ``switch_ivr_collect_digits_count``, ``switch_ivr_read``,
  ``switch_play_and_get_digits``.
- :mod:`.dtmf`: sending DTMF out of a channel.
- :mod:`.bridge`: ``switch_ivr_multi_threaded_bridge``, ``switch_ivr_uuid_bridge``, a
  bridge's originate and what happens after it.
- :mod:`.transfer`: ``switch_ivr_session_transfer`` and the routing it leads to.
"""
