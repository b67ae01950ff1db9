"""Reading directory files (YAML or CSV) into plain records with line numbers.

Nothing here touches the database: parsing and per-field checks first, so an
import can report every problem before it writes anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import yaml

from storage.models import OrgKind, Role

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


@dataclass
class TeamRec(Rec):
    line: int
    key: str
    name: str
    organisation: str
    serves: list[str] = field(default_factory=list)  # CBS codes or "regio:<code>"
    slack_channel: str | None = None
    telegram_chat: str | None = None


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
    # Contactbeheer (storage.directory_steun): per region, and the file's own date
    # (`as_of:`), which tells an import which chat edits are newer than the file.
    steun: list[Any] = field(default_factory=list)
    as_of: date | None = None

    def problem(self, line: int, fld: str, message: str) -> None:
        self.problems.append(Problem(self.file, line, fld, message))


_TEXT_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("timestamp", "int", "float", "bool")}


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that remembers the line of every mapping and of each key.

    Dates stay strings here: YAML's own timestamp parsing raises on a bad date
    like 2026-13-01 and would stop the import at the first one, where we want
    every problem reported with its line. Numbers and booleans stay strings
    too: every field is text, and `phone: +31612345678` read as an int would
    lose its plus sign.
    """

    yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag not in _TEXT_TAGS]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping: dict[str, Any] = dict(loader.construct_mapping(node, deep=True))  # type: ignore[arg-type]
    mapping["__line__"] = node.start_mark.line + 1
    mapping["__lines__"] = {k.value: k.start_mark.line + 1 for k, _ in node.value}
    return mapping


_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,  # type: ignore[arg-type]
)


def load(path: Path) -> DirectoryDoc:
    name = path.name
    doc = DirectoryDoc(name)
    suffix = path.suffix.lower()
    if not path.exists():
        doc.problem(0, "bestand", "bestaat niet")
        return doc
    # Checked before reading: an .xlsx or a folder is no text to decode.
    if not path.is_file():
        doc.problem(0, "bestand", "is geen bestand")
        return doc
    if suffix not in (".csv", ".yaml", ".yml"):
        doc.problem(0, "bestand", "onbekend formaat: gebruik .yaml, .yml of .csv")
        return doc
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        doc.problem(data[:exc.start].count(b"\n") + 1, "bestand",
                    "geen UTF-8-tekst: sla het bestand op als UTF-8 (in Excel: 'CSV UTF-8')")
        return doc
    if suffix == ".csv":
        # Imported here: the CSV reader builds on this module's records.
        from storage.directory_csv import load_csv

        return load_csv(text, name)
    return load_yaml(text, name)


# The fields each YAML record may have: a typo like `koppelgenot:` is reported,
# not silently dropped.
YAML_FIELDS = {
    "regions": {"code", "name", "gemeenten", "steunstructuur"},
    "gemeenten": {"cbs", "name", "aliases", "region"},
    "organisations": {"key", "name", "kind", "region", "teams"},
    "teams": {"key", "name", "serves", "slack_channel", "telegram_chat", "people"},
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
        if value is None or (isinstance(value, str) and not value.strip()):
            if required and self.ok:
                self.doc.problem(self.line, key, "ontbreekt")
            return None
        return str(value).strip()

    def date(self, key: str) -> date | None:
        value = self.data.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value).strip())
        except ValueError:
            self.doc.problem(self.at(key), key, f"geen geldige datum (JJJJ-MM-DD): {value!r}")
            return None

    def items(self, key: str) -> list[Any]:
        value = self.data.get(key) or []
        if isinstance(value, str):
            return [v.strip() for v in value.split(";") if v.strip()]
        if not isinstance(value, list):
            self.doc.problem(self.at(key), key, "verwacht een lijst")
            return []
        return value


def load_yaml(text: str, name: str) -> DirectoryDoc:
    doc = DirectoryDoc(name)
    try:
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        doc.problem(mark.line + 1 if mark else 0, "yaml", str(exc).splitlines()[0])
        return doc
    top = Row(doc, data, "bestand", 1)
    for r in top.items("regions"):
        reg = Row(doc, r, "regions", top.at("regions"))
        code, rname = reg.text("code"), reg.text("name")
        if code and rname:
            doc.regions.append(RegionRec(reg.line, code, rname))
        for g in reg.items("gemeenten"):
            gem = Row(doc, g, "gemeenten", reg.at("gemeenten"))
            add_gemeente(doc, gem, code)
        if reg.data.get("steunstructuur") is not None:
            from storage.directory_steun import read_steun

            read_steun(doc, reg.data["steunstructuur"], code, reg.at("steunstructuur"))
    doc.as_of = top.date("as_of")
    for o in top.items("organisations"):
        org = Row(doc, o, "organisations", top.at("organisations"))
        key, oname, kind = org.text("key"), org.text("name"), org.text("kind")
        if key and oname and kind:
            rec = OrgRec(org.line, key, oname, kind, org.text("region", False))
            doc.organisations.append(_located(org, rec))
        for t in org.items("teams"):
            team = Row(doc, t, "teams", org.at("teams"))
            tkey = team.text("key")
            tname = team.text("name")
            if tkey and tname and key:
                doc.teams.append(team_rec(team, tkey, tname, key))
            for p in team.items("people"):
                add_person(doc, Row(doc, p, "people", team.at("people")), tkey)
    # `history` is the export's audit trail: read back, it changes nothing.
    known = {"regions", "organisations", "as_of", "history", "__line__", "__lines__"}
    for key in set(top.data) - known:
        doc.problem(top.at(key), key,
                    "onbekend onderdeel (verwacht: as_of, regions, organisations)")
    check_fields(doc)
    return doc


def team_rec(row: Row, key: str, name: str, org: str) -> TeamRec:
    return _located(row, TeamRec(
        row.line,
        key,
        name,
        org,
        serves=[str(s).strip() for s in row.items("serves")],
        slack_channel=row.text("slack_channel", False),
        telegram_chat=row.text("telegram_chat", False),
    ))


def _located(row: Row, rec: T) -> T:
    rec.lines = row.lines  # type: ignore[attr-defined]
    return rec


def add_gemeente(doc: DirectoryDoc, row: Row, region: str | None) -> None:
    cbs, name = row.text("cbs"), row.text("name")
    region = region or row.text("region")
    if cbs and name and region:
        aliases = [str(a).strip() for a in row.items("aliases")]
        doc.gemeenten.append(
            _located(row, GemeenteRec(row.line, cbs.upper(), name, region, aliases))
        )


def add_person(doc: DirectoryDoc, row: Row, team: str | None) -> None:
    email, name, role = row.text("email"), row.text("name"), row.text("role")
    team = team or row.text("team")
    if not (email and name and role and team):
        return
    doc.people.append(_located(row,
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
            bad(g, "cbs", f"geen CBS-gemeentecode als GM0228: {g.cbs!r}")
    for o in doc.organisations:
        if not KEY_RE.match(o.key):
            bad(o, "key", f"{key_rule}: {o.key!r}")
        if o.kind not in kinds:
            bad(o, "kind", f"onbekend soort {o.kind!r}; kies uit {kinds}")
    for t in doc.teams:
        if not KEY_RE.match(t.key):
            bad(t, "key", f"{key_rule}: {t.key!r}")
    for p in doc.people:
        if not EMAIL_RE.match(p.email):
            bad(p, "email", f"geen geldig e-mailadres: {p.email!r}")
        if p.role not in roles:
            bad(p, "role", f"onbekende rol {p.role!r}; kies uit {roles}")
        if p.phone and not PHONE_RE.match(p.phone):
            bad(p, "phone", f"geen geldig telefoonnummer: {p.phone!r}")
        if p.koppelgenoot and p.koppelgenoot == p.email:
            bad(p, "koppelgenoot", "iemand kan niet de eigen koppelgenoot zijn")
        if p.preferred_platform not in (None, "slack", "telegram"):
            bad(p, "preferred_platform", "kies slack of telegram")
        if p.language not in (None, "nl", "en"):
            bad(p, "language", "kies nl of en")
