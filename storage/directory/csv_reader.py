"""Reading directory CSV files: one for gemeenten, one for people.

People rows carry their team and organisation, so a contact list kept in a
spreadsheet imports as it is.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from storage.directory.records import (
    DirectoryDoc,
    OrgRec,
    RegionRec,
    Row,
    TeamRec,
    add_gemeente,
    add_person,
    check_fields,
    clean_text,
    short,
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
    delimiter = _sniff(text)
    columns = [c.strip() for c in text.split("\n", 1)[0].split(delimiter)]

    def field_of(line: int, before: str) -> str:
        i = before.count(delimiter)
        if line == 1:
            return "kopregel"
        return (columns[i] if i < len(columns) else "") or f"kolom {i + 1}"

    clean = clean_text(doc, text, field_of)
    if clean is None:
        return doc
    lines = _Lines(clean)
    reader = csv.DictReader(lines, delimiter=delimiter)
    try:
        names = [h.strip() for h in reader.fieldnames or []]
        twice = sorted({h for h in names if names.count(h) > 1 and h})
        if twice:
            doc.problem(1, twice[0], "kolom staat meer dan eens in de kopregel")
            return doc
        header = set(names)
        if header >= GEMEENTE_COLUMNS:
            _csv_gemeenten(doc, reader)
        elif header >= PEOPLE_COLUMNS:
            _csv_people(doc, reader)
        else:
            doc.problem(1, "kopregel", "verwacht kolommen "
                        f"{sorted(GEMEENTE_COLUMNS)} of {sorted(PEOPLE_COLUMNS)}")
    except csv.Error as exc:
        # e.g. a field beyond the csv module's limit (128 kB): far beyond any column.
        message = str(exc)
        if "field larger than field limit" in message:
            message = f"een veld is te lang (meer dan {csv.field_size_limit()} tekens)"
        doc.problem(max(lines.read, 1), "rij", f"onleesbare CSV: {message}")
        return doc
    check_fields(doc)
    return doc


class _Lines:
    """The file's lines for the csv module, counting how many it took: on a
    csv error that is the line the error is on."""

    def __init__(self, text: str) -> None:
        # newline="": line breaks inside quoted fields are the csv module's to read.
        self._lines = io.StringIO(text, newline="")
        self.read = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.read += 1
        return line


def _sniff(text: str) -> str:
    first = text.split("\n", 1)[0]
    return ";" if first.count(";") > first.count(",") else ","


def _csv_rows(doc: DirectoryDoc, reader: csv.DictReader[str]) -> list[Row]:
    rows = []
    for i, raw in enumerate(reader, start=2):
        line = reader.line_num or i
        if None in raw:  # more fields than the header has columns
            doc.problem(line, "rij", f"meer velden dan kolommen: {short(raw[None])}")
        data: dict[str, Any] = {k.strip(): (v or "").strip() for k, v in raw.items()
                                if isinstance(k, str) and k and isinstance(v, str | None)}
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
    # Without the column a CSV says nothing about neighbours: they stay as they are.
    neighbours = "neighbours" in {h.strip() for h in reader.fieldnames or []}
    teams: dict[str, TeamRec] = {}
    for row in _csv_rows(doc, reader):
        team_key = row.text("team")
        org_key = row.text("organisation", False)
        if org_key:
            # `neighbours` like `serves`: keys separated by ";" (a tafel's only).
            org = OrgRec(row.line, org_key, row.text("organisation_name") or "",
                         row.text("kind") or "", row.text("region", False),
                         neighbours=row.texts("neighbours") if neighbours else None)
            _same(doc, orgs, org_key, org, row, ("name", "kind", "region", "neighbours"))
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
            doc.problem(row.line, f, f"wijkt af van regel {first.line} voor {short(key)}")


