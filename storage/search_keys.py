"""Search keys for gemeente names: forgiving matching starts at storage time.

People type "den bosch", "'s-Hertogenbosch", "s hertogenbosch", "GM0228",
"0228" or "Súdwest". Everything is reduced to one search key: lower case,
accents stripped, "'s-"/"s " prefixes dropped, and every non-letter/digit
removed. CBS codes are reduced to their four digits.
"""

from __future__ import annotations

import re
import unicodedata

_CBS = re.compile(r"^(?:gm)?\s*(\d{1,4})$", re.IGNORECASE)
_S_PREFIX = re.compile(r"^(?:'s|s)[\s\-']+")


def search_key(text: str) -> str:
    """The normalised key a name, alias or code is stored and looked up under."""
    text = text.strip()
    code = cbs_digits(text)
    if code:
        return code
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    folded = folded.replace("\u2019", "'")
    folded = _S_PREFIX.sub("", folded)
    return re.sub(r"[^a-z0-9]", "", folded)


def cbs_digits(text: str) -> str | None:
    """'GM0228', 'gm228', '0228' -> '0228'; anything else -> None."""
    m = _CBS.match(text.strip())
    return m.group(1).zfill(4) if m else None


def cbs_code(text: str) -> str | None:
    digits = cbs_digits(text)
    return f"GM{digits}" if digits else None


