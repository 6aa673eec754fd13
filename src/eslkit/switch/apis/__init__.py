"""The simulated switch's built-in API commands, one registry per module.

The channel layer adds its own (``originate``, ``uuid_*``) by registering more commands on
``switch.api.registry`` or by adding a module here.
"""

from __future__ import annotations

from eslkit.switch.api import ApiRegistry

__all__ = ["builtin_registry"]


def builtin_registry() -> ApiRegistry:
    """A fresh registry holding every built-in command."""
    from eslkit.switch.apis import core_commands, media_commands, show

    registry = ApiRegistry()
    registry.include(core_commands.commands)
    registry.include(show.commands)
    registry.include(media_commands.commands)
    return registry
