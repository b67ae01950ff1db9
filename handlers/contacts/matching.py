"""Suggestions for a gemeente name that matched nothing."""

from __future__ import annotations

import difflib

from storage.search_keys import cbs_code, cbs_digits, search_key

__all__ = ["cbs_code", "cbs_digits", "search_key", "suggestions"]


def suggestions(key: str, candidates: dict[str, str], limit: int = 3) -> list[str]:
    """Display names whose keys are closest to `key` (`candidates`: key -> name)."""
    if not key:
        return []
    close = difflib.get_close_matches(key, list(candidates), n=limit * 3, cutoff=0.6)
    # Prefixes help with half-typed names ("apel" -> Apeldoorn).
    prefixed = [k for k in candidates if len(key) >= 3 and k.startswith(key)]
    names: list[str] = []
    for k in prefixed + close:
        name = candidates[k]
        if name not in names:
            names.append(name)
    return names[:limit]
