"""eslkit.cli."""
