"""eslkit.switch."""
