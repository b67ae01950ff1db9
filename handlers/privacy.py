"""The BSN guard: chat is not a case file.

A BSN is nine digits that pass the elfproef (11-test). Dots, spaces and
hyphens between the digits are tolerated, as people write them that way.
"""

from __future__ import annotations

import re

# Nine digits, optionally grouped with single separators (e.g. 1234.56.782).
_CANDIDATE = re.compile(r"(?<![\d])(\d(?:[ .\-]?\d){8})(?![\d])")
# An international phone number ("+31 6 0000 1271", "+31 (0)6 …") holds nine
# digits after its country code; about one in eleven would pass the elfproef.
_COUNTRY_CODE = re.compile(r"\+\d{1,3}[ .\-]?(?:\(0\)[ .\-]?)?$")


def elfproef(digits: str) -> bool:
    if len(digits) != 9 or not digits.isdigit() or digits == "000000000":
        return False
    total = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True))
    return (total - int(digits[8])) % 11 == 0


def contains_bsn(text: str) -> bool:
    return any(
        elfproef(re.sub(r"\D", "", m.group(1))) and not _COUNTRY_CODE.search(text[:m.start()])
        for m in _CANDIDATE.finditer(text)
    )
