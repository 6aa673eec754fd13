"""Conference profiles (``conference.conf``'s ``<profiles>``): the few parameters whose
effect an ESL application can see; every other parameter is accepted and kept."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING

from eslkit.fsutil import c_atoi

if TYPE_CHECKING:
    from eslkit.fsconfig.parser import XmlElement

__all__ = [
    "DEFAULT_PROFILE",
    "Profile",
    "builtin_profiles",
    "max_members_value",
    "profiles_from_config",
]

DEFAULT_PROFILE = "default"


@dataclass(slots=True)
class Profile:
    """One profile's parameters."""

    name: str
    params: dict[str, str] = field(default_factory=dict)
    #: The switch's domain, used when the profile names none.
    default_domain: str = ""

    @property
    def domain(self) -> str:
        return self.params.get("domain") or self.default_domain

    @property
    def rate(self) -> int:
        rate = c_atoi(self.params.get("rate", "8000"))
        return rate if rate in (8000, 12000, 16000, 24000, 32000, 44100, 48000) else 8000

    @property
    def interval(self) -> int:
        interval = c_atoi(self.params.get("interval", "20"))
        return interval if interval in (10, 20, 30, 40, 60, 80, 100, 120) else 20

    @property
    def energy_level(self) -> int:
        return c_atoi(self.params.get("energy-level", "100"))

    @property
    def max_members(self) -> int:
        """``max-members`` (base 0 as strtol; negative or 1 means no limit)."""
        return max_members_value(self.params.get("max-members", "")) or 0

    @property
    def pin_retries(self) -> int:
        value = self.params.get("pin-retries")
        if value:
            number = c_atoi(value)
            if number >= 0:
                return number
        return 3

    def text(self, name: str, default: str = "") -> str:
        """A parameter whose empty value counts as unset."""
        return self.params.get(name) or default


def max_members_value(text: str) -> int | None:
    """A ``max-members``/``conference_max_members`` value as mod_conference reads it
    (``strtol`` base 0), or None when it is invalid (negative, 1, not a number)."""
    body = text.strip()
    sign = -1 if body.startswith("-") else 1
    body = body.lstrip("+-")
    digits = ""
    base = 10
    if body[:2].lower() == "0x":
        base, body = 16, body[2:]
    elif body.startswith("0") and len(body) > 1:
        base, body = 8, body[1:]
    allowed = "0123456789abcdef"[:base]
    for ch in body.lower():
        if ch not in allowed:
            break
        digits += ch
    value = sign * int(digits, base) if digits else 0
    if value < 0 or value == 1 or value >= 2**31:
        return None
    return value


def _from_pairs(profiles: list[tuple[str, list[tuple[str, str]]]]) -> dict[str, Profile]:
    out: dict[str, Profile] = {}
    for name, params in profiles:
        profile = out.setdefault(name, Profile(name))
        for key, value in params:
            profile.params[key] = value
    return out


def builtin_profiles() -> dict[str, Profile]:
    """The reference build's ``conference.conf.xml`` (what the transcripts were recorded with)."""
    text = resources.files("eslkit.switch").joinpath("data/conference.conf.xml").read_text("utf-8")
    root = ET.fromstring(text)
    pairs = [
        (
            p.get("name", ""),
            [(q.get("name", ""), q.get("value", "")) for q in p.iter("param")],
        )
        for p in root.iter("profile")
    ]
    return _from_pairs(pairs)


def profiles_from_config(configuration: XmlElement | None) -> dict[str, Profile]:
    """Profiles of a ``<configuration name="conference.conf">`` read by eslkit.fsconfig."""
    if configuration is None:
        return {}
    pairs: list[tuple[str, list[tuple[str, str]]]] = []
    for section in configuration.children:
        if section.tag != "profiles":
            continue
        for profile in section.children:
            if profile.tag != "profile":
                continue
            params = [
                (param.attrib.get("name", ""), param.attrib.get("value", ""))
                for param in profile.children
                if param.tag == "param"
            ]
            pairs.append((profile.attrib.get("name", ""), params))
    return _from_pairs(pairs)
