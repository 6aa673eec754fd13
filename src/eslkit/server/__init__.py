"""eslkit.server."""
