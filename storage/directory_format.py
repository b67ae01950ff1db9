"""Reading directory files (YAML or CSV) into plain records with line numbers.

Nothing here touches the database: parsing and per-field checks first, so an
import can report every problem before it writes anything.
"""

from __future__ import annotations

import csv
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
    return load_csv(text, name) if suffix == ".csv" else load_yaml(text, name)


# The fields each YAML record may have: a typo like `koppelgenot:` is reported,
# not silently dropped.
YAML_FIELDS = {
    "regions": {"code", "name", "gemeenten"},
    "gemeenten": {"cbs", "name", "aliases", "region"},
    "organisations": {"key", "name", "kind", "region", "teams"},
    "teams": {"key", "name", "serves", "slack_channel", "telegram_chat", "people"},
    "people": {"email", "name", "role", "phone", "koppelgenoot", "absent_until",
               "verified_on", "preferred_platform", "language", "team"},
}


class _Row:
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
    top = _Row(doc, data, "bestand", 1)
    for r in top.items("regions"):
        reg = _Row(doc, r, "regions", top.at("regions"))
        code, rname = reg.text("code"), reg.text("name")
        if code and rname:
            doc.regions.append(RegionRec(reg.line, code, rname))
        for g in reg.items("gemeenten"):
            gem = _Row(doc, g, "gemeenten", reg.at("gemeenten"))
            _add_gemeente(doc, gem, code)
    for o in top.items("organisations"):
        org = _Row(doc, o, "organisations", top.at("organisations"))
        key, oname, kind = org.text("key"), org.text("name"), org.text("kind")
        if key and oname and kind:
            rec = OrgRec(org.line, key, oname, kind, org.text("region", False))
            doc.organisations.append(_located(org, rec))
        for t in org.items("teams"):
            team = _Row(doc, t, "teams", org.at("teams"))
            tkey = team.text("key")
            tname = team.text("name")
            if tkey and tname and key:
                doc.teams.append(_team(team, tkey, tname, key))
            for p in team.items("people"):
                _add_person(doc, _Row(doc, p, "people", team.at("people")), tkey)
    for key in set(top.data) - {"regions", "organisations", "__line__", "__lines__"}:
        doc.problem(top.at(key), key, "onbekend onderdeel (verwacht: regions, organisations)")
    check_fields(doc)
    return doc


def _team(row: _Row, key: str, name: str, org: str) -> TeamRec:
    return _located(row, TeamRec(
        row.line,
        key,
        name,
        org,
        serves=[str(s).strip() for s in row.items("serves")],
        slack_channel=row.text("slack_channel", False),
        telegram_chat=row.text("telegram_chat", False),
    ))


def _located(row: _Row, rec: T) -> T:
    rec.lines = row.lines  # type: ignore[attr-defined]
    return rec


def _add_gemeente(doc: DirectoryDoc, row: _Row, region: str | None) -> None:
    cbs, name = row.text("cbs"), row.text("name")
    region = region or row.text("region")
    if cbs and name and region:
        aliases = [str(a).strip() for a in row.items("aliases")]
        doc.gemeenten.append(
            _located(row, GemeenteRec(row.line, cbs.upper(), name, region, aliases))
        )


def _add_person(doc: DirectoryDoc, row: _Row, team: str | None) -> None:
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


GEMEENTE_COLUMNS = {"cbs", "name", "region", "region_name"}
PEOPLE_COLUMNS = {"email", "name", "role", "team"}


def load_csv(text: str, name: str) -> DirectoryDoc:
    """Two CSV shapes, told apart by their header: gemeenten, or people.

    People rows carry their team and organisation, so a contact list kept in a
    spreadsheet imports as it is; rows of one team must agree on its details.
    """
    doc = DirectoryDoc(name)
    reader = csv.DictReader(text.splitlines(), delimiter=_sniff(text))
    header = {h.strip() for h in reader.fieldnames or []}
    if header >= GEMEENTE_COLUMNS:
        _csv_gemeenten(doc, reader)
    elif header >= PEOPLE_COLUMNS:
        _csv_people(doc, reader)
    else:
        doc.problem(1, "kopregel", "verwacht kolommen "
                    f"{sorted(GEMEENTE_COLUMNS)} of {sorted(PEOPLE_COLUMNS)}")
    check_fields(doc)
    return doc


def _sniff(text: str) -> str:
    first = text.split("\n", 1)[0]
    return ";" if first.count(";") > first.count(",") else ","


def _csv_rows(doc: DirectoryDoc, reader: csv.DictReader[str]) -> list[_Row]:
    rows = []
    for i, raw in enumerate(reader, start=2):
        data: dict[str, Any] = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
        line = reader.line_num or i
        data["__line__"] = line
        rows.append(_Row(doc, data, "rij", line))
    return rows


def _csv_gemeenten(doc: DirectoryDoc, reader: csv.DictReader[str]) -> None:
    regions: dict[str, RegionRec] = {}
    for row in _csv_rows(doc, reader):
        code, rname = row.text("region"), row.text("region_name")
        if code and rname and code not in regions:
            regions[code] = RegionRec(row.line, code, rname)
        _add_gemeente(doc, row, code)
    doc.regions = list(regions.values())


def _csv_people(doc: DirectoryDoc, reader: csv.DictReader[str]) -> None:
    orgs: dict[str, OrgRec] = {}
    teams: dict[str, TeamRec] = {}
    for row in _csv_rows(doc, reader):
        team_key = row.text("team")
        org_key = row.text("organisation", False)
        if org_key:
            org = OrgRec(row.line, org_key, row.text("organisation_name") or "",
                         row.text("kind") or "", row.text("region", False))
            _same(doc, orgs, org_key, org, row, ("name", "kind", "region"))
        if team_key and org_key:
            team = _team(row, team_key, row.text("team_name") or team_key, org_key)
            _same(doc, teams, team_key, team, row, ("name", "organisation", "serves"))
        _add_person(doc, row, team_key)
    doc.organisations = list(orgs.values())
    doc.teams = list(teams.values())


def _same(doc: DirectoryDoc, seen: dict[str, Any], key: str, rec: Any, row: _Row,
          fields: tuple[str, ...]) -> None:
    first = seen.setdefault(key, rec)
    for f in fields:
        if getattr(first, f) != getattr(rec, f):
            doc.problem(row.line, f, f"wijkt af van regel {first.line} voor {key!r}")


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
