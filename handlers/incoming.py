"""One normalisation of incoming text, before any handler, guard or database.

Chat text reaches the bot from Slack, Telegram and the console; all of it goes
through `clean_message` first (the registry, and the transports' own paths
such as linking). It is put in Unicode NFC, so that "é" typed two ways is one
value, and it is refused with a reason when it holds what no person types and
no database should see: NUL and other control characters, and lone
surrogates (half a UTF-16 pair, which cannot be encoded and which PostgreSQL
refuses). Line breaks and tabs are text. Free-text fields (a reason, a report)
have their own length limit: too long is refused, never cut off, so no number
is silently shortened into something else, and may hold no family data that a
pattern can find (a date, a phone number, an e-mail or postal address, an
IBAN: `storage.personal_data`).
"""

from __future__ import annotations

import unicodedata

from handlers.core import Refused, error
from storage.personal_data import personal_data
from storage.privacy import bad_char

MAX_MESSAGE = 2000  # characters in one command; a command is a line, not a document
# Free-text fields stored in a referral's history, and their limits.
# A toelichting follows a fixed choice (afwijzing): short, the choice says the rest.
FIELD_LIMITS = {"reden": 200, "verslag": 300, "toelichting": 80}


def clean_message(text: str, limit: int = MAX_MESSAGE) -> str:
    """`text` in NFC; raises Refused (nothing changed) when it cannot be text."""
    if len(text) > 2 * limit:  # before any work on it: NFC never shrinks it that much
        raise Refused(error("text_too_long", limit=limit))
    if bad_char(text) is not None:
        raise Refused(error("text_unreadable"))
    text = unicodedata.normalize("NFC", text)
    if len(text) > limit:
        raise Refused(error("text_too_long", limit=limit))
    return text


def free_text(text: str, field: str, skip: int = 1) -> str | None:
    """The words of `text` after the first `skip` (the reference), as one line,
    or None; refused when longer than the field's limit or when it seems to
    hold personal data (saying which kind)."""
    value = " ".join(text.split()[skip:])
    limit = FIELD_LIMITS[field]
    if len(value) > limit:
        raise Refused(error("field_too_long", field=field, limit=limit))
    kind = personal_data(value)
    if kind is not None:
        raise Refused(error("personal_data", field=field, kind=kind))
    return value or None
