"""Reading directory CSV files: one for gemeenten, one for people.

People rows carry their team and organisation, so a contact list kept in a
spreadsheet imports as it is.
"""

from __future__ import annotations

import csv
from typing import Any

from storage.directory_format import (
    DirectoryDoc,
    OrgRec,
    RegionRec,
    Row,
    TeamRec,
    add_gemeente,
    add_person,
    check_fields,
    team_rec,
)

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


def _csv_rows(doc: DirectoryDoc, reader: csv.DictReader[str]) -> list[Row]:
    rows = []
    for i, raw in enumerate(reader, start=2):
        data: dict[str, Any] = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
        line = reader.line_num or i
        data["__line__"] = line
        rows.append(Row(doc, data, "rij", line))
    return rows


def _csv_gemeenten(doc: DirectoryDoc, reader: csv.DictReader[str]) -> None:
    regions: dict[str, RegionRec] = {}
    for row in _csv_rows(doc, reader):
        code, rname = row.text("region"), row.text("region_name")
        if code and rname and code not in regions:
            regions[code] = RegionRec(row.line, code, rname)
        add_gemeente(doc, row, code)
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
            team = team_rec(row, team_key, row.text("team_name") or team_key, org_key)
            _same(doc, teams, team_key, team, row, ("name", "organisation", "serves"))
        add_person(doc, row, team_key)
    doc.organisations = list(orgs.values())
    doc.teams = list(teams.values())


def _same(doc: DirectoryDoc, seen: dict[str, Any], key: str, rec: Any, row: Row,
          fields: tuple[str, ...]) -> None:
    first = seen.setdefault(key, rec)
    for f in fields:
        if getattr(first, f) != getattr(rec, f):
            doc.problem(row.line, f, f"wijkt af van regel {first.line} voor {key!r}")


