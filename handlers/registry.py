"""Every chat command, registered explicitly in one place."""

from __future__ import annotations

from handlers import lookup
from handlers.commands import Command, Registry


def build_registry() -> Registry:
    registry = Registry()
    registry.add(Command(
        "wie", lookup.lookup, "wie <gemeente> [rol]",
        "wie bel ik in een gemeente (rol: lt, gi, vt, raad, ret, backoffice, za, regio, alle)",
        "who to call in a municipality (role: lt, gi, vt, raad, ret, backoffice, za, regio, alle)",
        aliases=("who",), needs_person=False,
    ))
    registry.add(Command(
        "help", registry.help, "help", "deze uitleg", "this help",
        aliases=("hulp", "?"), needs_person=False,
    ))
    return registry
