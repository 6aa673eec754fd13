"""FreeSWITCH's XML configuration files, read as FreeSWITCH reads them.

``parser`` (the XML reader with ``X-PRE-PROCESS`` and the loader of a conf directory),
``event_socket`` (``event_socket.conf``), ``acl`` (``acl.conf`` network lists and the
inbound ACL), ``directory`` (users and their event socket permissions). The event socket
server and the simulated switch both use them; they use nothing above ``protocol``.
"""
