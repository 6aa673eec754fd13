"""eslkit.protocol."""
