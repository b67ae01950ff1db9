"""The directory format: plain records with line numbers and their checks.

Nothing here touches the database: parsing and per-field checks first, so an
import can report every problem before it writes anything. The CSV reader
(storage/directory/csv_reader.py) and the YAML reader
(storage/directory/yaml_reader.py) build on these records; reading a file from disk
and picking its reader is storage/directory/read.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from storage.directory.text_checks import bad_chars, nfc, printable, short, value_problems
from storage.models import (
    Gemeente,
    GemeenteKey,
    Organisation,
    OrgKind,
    Person,
    Region,
    Role,
    Team,
)

T = TypeVar("T", bound="Rec")
CBS_RE = re.compile(r"^GM\d{4}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_RE = re.compile(r"^\+?[0-9 ()\-]{6,20}$")
KEY_RE = re.compile(r"^[a-z0-9][a-z0-9\-_.]{0,63}$")


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.message}"


@dataclass
class Rec:
    """Base of every record: where it stands, and where each of its fields does."""

    def at(self, fld: str) -> int:
        lines: dict[str, int] = getattr(self, "lines", {})
        return lines.get(fld, getattr(self, "line", 0))


@dataclass
class RegionRec(Rec):
    line: int
    code: str
    name: str
    # None: not in the file (a CSV never has it), so the region keeps its term.
    retention_days: int | None = None


@dataclass
class GemeenteRec(Rec):
    line: int
    cbs: str
    name: str
    region: str
    aliases: list[str] = field(default_factory=list)


@dataclass
class OrgRec(Rec):
    line: int
    key: str
    name: str
    kind: str
    region: str | None
    # A tafel's (kind jbt) neighbouring tafels, by organisation key: who may take
    # its families when it is full. None: not in the file (a CSV without the
    # column), so the links stay as they are; [] removes them.
    neighbours: list[str] | None = None


@dataclass
class TeamRec(Rec):
    line: int
    key: str
    name: str
    organisation: str
    serves: list[str] = field(default_factory=list)  # CBS codes or "regio:<code>"
    slack_channel: str | None = None
    telegram_chat: str | None = None
    teams_channel: str | None = None


@dataclass
class PersonRec(Rec):
    line: int
    email: str
    name: str
    role: str
    team: str
    phone: str | None = None
    koppelgenoot: str | None = None
    absent_until: date | None = None
    verified_on: date | None = None
    preferred_platform: str | None = None
    language: str | None = None


@dataclass
class DirectoryDoc:
    file: str
    regions: list[RegionRec] = field(default_factory=list)
    gemeenten: list[GemeenteRec] = field(default_factory=list)
    organisations: list[OrgRec] = field(default_factory=list)
    teams: list[TeamRec] = field(default_factory=list)
    people: list[PersonRec] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # Contactbeheer (storage.directory.steun): per region, and the file's own date
    # (`as_of:`), which tells an import which chat edits are newer than the file.
    steun: list[Any] = field(default_factory=list)
    as_of: date | None = None

    def problem(self, line: int, fld: str, message: str) -> None:
        # A field name comes from the file: never a control character to the terminal.
        self.problems.append(Problem(self.file, max(line, 1), printable(fld, 60) or "veld",
                                     printable(message, 300)))


# The fields each YAML record may have: a typo like `koppelgenot:` is reported,
# not silently dropped.
YAML_FIELDS = {
    "regions": {"code", "name", "gemeenten", "steunstructuur", "retention_days"},
    "gemeenten": {"cbs", "name", "aliases", "region"},
    "organisations": {"key", "name", "kind", "region", "neighbours", "teams"},
    "teams": {"key", "name", "serves", "slack_channel", "telegram_chat", "teams_channel",
              "people"},
    "people": {"email", "name", "role", "phone", "koppelgenoot", "absent_until",
               "verified_on", "preferred_platform", "language", "team"},
}


class Row:
    """One mapping with its line numbers; field access records problems."""

    def __init__(self, doc: DirectoryDoc, data: Any, where: str, line: int) -> None:
        self.doc = doc
        self.ok = isinstance(data, dict)
        self.data: dict[str, Any] = data if self.ok else {}
        self.line = self.data.get("__line__", line)
        self.lines: dict[str, int] = self.data.get("__lines__", {})
        if not self.ok:
            doc.problem(line, where, "verwacht een lijst met velden (mapping)")
        allowed = YAML_FIELDS.get(where)
        for key in sorted(set(self.data) - {"__line__", "__lines__"} - (allowed or set())):
            if allowed is not None:
                doc.problem(self.at(key), key,
                            f"onbekend veld; verwacht een van: {', '.join(sorted(allowed))}")

    def at(self, key: str) -> int:
        return self.lines.get(key, self.line)

    def text(self, key: str, required: bool = True) -> str | None:
        value = self.data.get(key)
        if value is not None and not isinstance(value, str):
            # Never str(value): a block where text belongs is no name.
            self.doc.problem(self.at(key), key, f"verwacht tekst, geen {_kind(value)}")
            return None
        if value is None or (isinstance(value, str) and not value.strip()):
            if required and self.ok:
                self.doc.problem(self.line, key, "ontbreekt")
            return None
        # NFC here as well: a YAML escape ("\u0301") is decoded after the file's
        # text was normalised.
        return nfc(value.strip())

    def date(self, key: str) -> date | None:
        value = self.data.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if not isinstance(value, str):
            self.doc.problem(self.at(key), key, f"verwacht een datum, geen {_kind(value)}")
            return None
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            self.doc.problem(self.at(key), key,
                             f"geen geldige datum (JJJJ-MM-DD): {short(value)}")
            return None

    def number(self, key: str, low: int, high: int) -> int | None:
        """A whole number from `low` to `high`, or None (absent, or a problem)."""
        value = self.data.get(key)
        if value is None:
            return None
        try:
            number = int(str(value).strip())
        except ValueError:
            number = low - 1
        if isinstance(value, bool) or not low <= number <= high:
            self.doc.problem(self.at(key), key, f"verwacht een getal van {low} tot {high}: "
                             f"{short(value)}")
            return None
        return number

    def items(self, key: str) -> list[Any]:
        value = self.data.get(key) or []
        if isinstance(value, str):
            return [v.strip() for v in value.split(";") if v.strip()]
        if not isinstance(value, list):
            self.doc.problem(self.at(key), key, "verwacht een lijst")
            return []
        return value

    def texts(self, key: str) -> list[str]:
        """A list of texts (aliases, serves); anything else in it is a problem."""
        out = []
        for v in self.items(key):
            if isinstance(v, str):
                out.append(nfc(v.strip()))
            else:
                self.doc.problem(self.at(key), key, f"verwacht tekst in de lijst, geen {_kind(v)}")
        return out


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "blok met velden (mapping)"
    if isinstance(value, list):
        return "lijst"
    return {"int": "getal", "float": "getal", "bool": "ja/nee", "date": "datum",
            "datetime": "tijdstip"}.get(type(value).__name__, type(value).__name__)


def clean_text(doc: DirectoryDoc, text: str, field_of: Any) -> str | None:
    """The file's text in NFC, or None when it holds characters that are no
    text (each reported on its line, under the field `field_of` names)."""
    found = list(bad_chars(text))
    for line, before in found:
        doc.problem(line, field_of(line, before), "bevat een teken dat geen tekst is "
                    "(een stuurteken zoals NUL, of een half Unicode-teken)")
    return None if found else nfc(text)


def team_rec(row: Row, key: str, name: str, org: str) -> TeamRec:
    return located(row, TeamRec(
        row.line,
        key,
        name,
        org,
        serves=row.texts("serves"),
        slack_channel=row.text("slack_channel", False),
        telegram_chat=row.text("telegram_chat", False),
        teams_channel=row.text("teams_channel", False),
    ))


def located(row: Row, rec: T) -> T:
    rec.lines = row.lines  # type: ignore[attr-defined]
    return rec


def add_gemeente(doc: DirectoryDoc, row: Row, region: str | None) -> None:
    cbs, name = row.text("cbs"), row.text("name")
    region = region or row.text("region")
    if cbs and name and region:
        aliases = row.texts("aliases")
        doc.gemeenten.append(
            located(row, GemeenteRec(row.line, cbs.upper(), name, region, aliases))
        )


def add_person(doc: DirectoryDoc, row: Row, team: str | None) -> None:
    email, name, role = row.text("email"), row.text("name"), row.text("role")
    team = team or row.text("team")
    if not (email and name and role and team):
        return
    doc.people.append(located(row,
        PersonRec(
            row.line,
            email.lower(),
            name,
            role,
            team,
            phone=row.text("phone", False),
            koppelgenoot=(row.text("koppelgenoot", False) or "").lower() or None,
            absent_until=row.date("absent_until"),
            verified_on=row.date("verified_on"),
            preferred_platform=row.text("preferred_platform", False),
            language=row.text("language", False),
        )
    ))


def check_fields(doc: DirectoryDoc) -> None:
    """Per-record checks that need nothing but the record itself."""
    kinds = sorted(k.value for k in OrgKind)
    roles = sorted(r.value for r in Role)

    def bad(rec: Rec, fld: str, message: str) -> None:
        doc.problem(rec.at(fld), fld, message)

    key_rule = "alleen kleine letters, cijfers en - _ ."
    for g in doc.gemeenten:
        if not CBS_RE.match(g.cbs):
            bad(g, "cbs", f"geen CBS-gemeentecode als GM0228: {short(g.cbs)}")
    for o in doc.organisations:
        if not KEY_RE.match(o.key):
            bad(o, "key", f"{key_rule}: {short(o.key)}")
        if o.kind not in kinds:
            bad(o, "kind", f"onbekend soort {short(o.kind)}; kies uit {kinds}")
    for t in doc.teams:
        if not KEY_RE.match(t.key):
            bad(t, "key", f"{key_rule}: {short(t.key)}")
    for p in doc.people:
        if not EMAIL_RE.match(p.email):
            bad(p, "email", f"geen geldig e-mailadres: {short(p.email)}")
        if p.role not in roles:
            bad(p, "role", f"onbekende rol {short(p.role)}; kies uit {roles}")
        if p.phone and not PHONE_RE.match(p.phone):
            bad(p, "phone", f"geen geldig telefoonnummer: {short(p.phone)}")
        if p.koppelgenoot and p.koppelgenoot == p.email:
            bad(p, "koppelgenoot", "iemand kan niet de eigen koppelgenoot zijn")
        if p.preferred_platform not in (None, "slack", "telegram", "teams"):
            bad(p, "preferred_platform", "kies slack, telegram of teams")
        if p.language not in (None, "nl", "en"):
            bad(p, "language", "kies nl of en")
    # Every text against its column's length (and for a BSN), before PostgreSQL sees it.
    for recs, model in ((doc.regions, Region), (doc.gemeenten, Gemeente),
                        (doc.organisations, Organisation), (doc.teams, Team),
                        (doc.people, Person)):
        for rec in recs:
            for fld, message in value_problems(rec, model, _RENAMED, _LIST_LIMITS):
                bad(rec, fld, message)


_RENAMED = {"cbs": "cbs_code"}  # record field -> column, where they differ
_LIST_LIMITS = {"aliases": GemeenteKey.__table__.c.key.type.length,  # type: ignore[attr-defined]
                "neighbours": Organisation.__table__.c.key.type.length}  # type: ignore[attr-defined]
