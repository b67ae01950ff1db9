"""Reading the YAML directory format into records (storage.directory.records).

The steunstructuur block of a region is read by storage.directory.steun; this
module sits above both, so records never need to know about contactbeheer.
"""

from __future__ import annotations

import re

import yaml

from storage.directory import yaml_parser as directory_yaml
from storage.directory.records import (
    DirectoryDoc,
    OrgRec,
    RegionRec,
    Row,
    add_gemeente,
    add_person,
    check_fields,
    clean_text,
    located,
    team_rec,
)
from storage.directory.steun import read_steun
from storage.retention import REGION_TERM_RANGE

_YAML_KEY = re.compile(r"^\s*(?:-\s+)?([^\s:#'\"][^:#]*?)\s*:")


def _yaml_field(_line: int, before: str) -> str:
    m = _YAML_KEY.match(before)
    return m.group(1) if m else "tekst"


def load_yaml(text: str, name: str) -> DirectoryDoc:
    doc = DirectoryDoc(name)
    clean = clean_text(doc, text, _yaml_field)
    if clean is None:
        return doc
    try:
        data, loader_problems = directory_yaml.parse(clean)
    except yaml.YAMLError as exc:
        doc.problem(directory_yaml.error_line(exc, clean), "yaml",
                    str(exc).splitlines()[0][:200])
        return doc
    for line, fld, message in loader_problems:
        doc.problem(line, fld, message)
    top = Row(doc, data, "bestand", 1)
    for r in top.items("regions"):
        reg = Row(doc, r, "regions", top.at("regions"))
        code, rname = reg.text("code"), reg.text("name")
        if code and rname:
            doc.regions.append(located(reg, RegionRec(
                reg.line, code, rname, reg.number("retention_days", *REGION_TERM_RANGE))))
        for g in reg.items("gemeenten"):
            gem = Row(doc, g, "gemeenten", reg.at("gemeenten"))
            add_gemeente(doc, gem, code)
        if reg.data.get("steunstructuur") is not None:
            read_steun(doc, reg.data["steunstructuur"], code, reg.at("steunstructuur"))
    doc.as_of = top.date("as_of")
    for o in top.items("organisations"):
        org = Row(doc, o, "organisations", top.at("organisations"))
        key, oname, kind = org.text("key"), org.text("name"), org.text("kind")
        if key and oname and kind:
            rec = OrgRec(org.line, key, oname, kind, org.text("region", False),
                         neighbours=org.texts("neighbours"))
            doc.organisations.append(located(org, rec))
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
