"""eslkit.client."""
