"""Synthetic contact directories: the Gelderland sample and a country-sized benchmark.

Everything here is pure: functions return the YAML directory format (see
`storage.directory.records`) as plain dicts and touch no database. Output is
deterministic: every random choice comes from a seeded `random.Random`.

The gemeenten, CBS codes and jeugdhulpregio's of Gelderland follow DOMAIN.md.
The people are fictional: names drawn from common Dutch first names and
surnames, e-mail addresses at *.example.org, phones "+31 6 0000 NNNN".

Regenerate the shipped sample with:
    .venv/bin/python -m bench.directories.synthetic > storage/sample/gelderland.yaml
"""

from __future__ import annotations

import random
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from storage.directory.export import dump
from storage.models import OrgKind, Role

SAMPLE_DAY = date(2026, 11, 20)

Doc = dict[str, Any]

# --- Gelderland: regions and gemeenten, as DOMAIN.md lists them ---------------

# (region code, region name, [(CBS digits, gemeente name), ...])
from bench.directories.gelderland_data import (  # noqa: E402  (data lists, kept apart)
    ALIASES,
    FIRST_NAMES,
    GELDERLAND,
    LT_PAIRS,
    LT_STYLE_OF,
    LT_STYLES,
    OTHER_GIS,
    SURNAMES,
    VEILIG_THUIS,
    ZA_PER_REGION,
    ZORGAANBIEDERS,
)

ANOUK = ("anouk.jansen@sociaalteam-ede.example.org", "Anouk Jansen")
BRAM = ("bram.devries@sociaalteam-ede.example.org", "Bram de Vries")
CARLA = ("carla.smit@sociaalteam-ede.example.org", "Carla Smit")
JEROEN = ("jeroen.bakker@jbgld.example.org", "Jeroen Bakker")
TESS = ("tess.visser@jbgld.example.org", "Tess Visser")
MONIQUE = ("monique.peters@regio-foodvalley.example.org", "Monique Peters")
PREDICTABLE = [ANOUK, BRAM, CARLA, JEROEN, TESS, MONIQUE]
EDE_ABSENT_UNTIL = date(2027, 1, 15)

MW = Role.MEDEWERKER.value
TL = Role.TEAMLEIDER.value
RCP = Role.REGIONALE_CONTACTPERSOON.value
GW = Role.GEDRAGSWETENSCHAPPER.value
BO = Role.BACKOFFICE.value
CB = Role.CONTACTBEHEERDER.value


def slug(text: str) -> str:
    """'Oude IJsselstreek' -> 'oude-ijsselstreek', "van 't Hof" -> 'van-t-hof'."""
    return re.sub(r"[^a-z0-9]+", "-", _fold(text)).strip("-")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def email_local(name: str) -> str:
    """'Bram de Vries' -> 'bram.devries'."""
    first, _, rest = name.partition(" ")
    return f"{re.sub('[^a-z]', '', _fold(first))}.{re.sub('[^a-z]', '', _fold(rest))}"


def phone(n: int) -> str:
    """The n-th fictional mobile number; unique for every n, '+31 6 0000 NNNN' below 10,000."""
    return f"+31 6 {n // 10_000:04d} {(n * 7919 + 4231) % 10_000:04d}"


# --- Building blocks ---------------------------------------------------------------


@dataclass
class People:
    """Makes fictional people: unique e-mails and phones, mostly fresh verified_on dates."""

    rng: random.Random
    today: date
    stale_share: float = 0.05
    reserved: set[str] = field(default_factory=set)  # e-mails only handed out by name
    emails: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    count: int = 0

    def person(self, domain: str, role: str, name: str | None = None) -> Doc:
        name = name or self._new_name(domain)
        email = self._email(name, domain)
        self.emails.add(email)
        self.names.add(name)
        self.count += 1
        return {"email": email, "name": name, "role": role, "phone": phone(self.count),
                "verified_on": self._verified_on()}

    def fixed(self, who: tuple[str, str], role: str) -> Doc:
        """A predictable person: the e-mail and name the demo expects, always fresh."""
        email, name = who
        p = self.person(email.split("@")[1], role, name)
        assert p["email"] == email, (p["email"], email)
        p["verified_on"] = self.today - timedelta(days=7 + len(name) % 20)
        return p

    def team(self, domain: str, roles: list[str]) -> list[Doc]:
        return [self.person(domain, role) for role in roles]

    def _new_name(self, domain: str) -> str:
        for _ in range(50):
            name = f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(SURNAMES)}"
            if name not in self.names and self._free(f"{email_local(name)}@{domain}"):
                return name
        return name

    def _free(self, email: str) -> bool:
        return email not in self.emails and email not in self.reserved

    def _email(self, name: str, domain: str) -> str:
        email, n = f"{email_local(name)}@{domain}", 1
        while email in self.emails:
            n += 1
            email = f"{email_local(name)}{n}@{domain}"
        return email

    def _verified_on(self) -> date:
        if self.rng.random() < self.stale_share:
            return self.today - timedelta(days=self.rng.randint(91, 400))
        return self.today - timedelta(days=self.rng.randint(0, 60))


def pair_up(people: list[Doc]) -> None:
    """Make consecutive medewerkers each other's koppelgenoot: (1, 2), (3, 4), ..."""
    workers = [p for p in people if p["role"] == MW]
    for a, b in zip(workers[::2], workers[1::2], strict=False):
        a["koppelgenoot"], b["koppelgenoot"] = b["email"], a["email"]


def org(key: str, name: str, kind: OrgKind, teams: list[Doc], region: str | None = None) -> Doc:
    out: Doc = {"key": key, "name": name, "kind": kind.value}
    if region:
        out["region"] = region
    out["teams"] = teams
    return out


def team(key: str, name: str, serves: list[str], people: list[Doc]) -> Doc:
    return {"key": key, "name": name, "serves": serves, "people": people}


def regio(code: str) -> str:
    return f"regio:{code}"


def _compact(p: Doc) -> Doc:
    """The person in the documented key order, optional keys only when set."""
    order = ["email", "name", "role", "phone", "koppelgenoot", "verified_on", "absent_until"]
    return {k: p[k] for k in order if p.get(k) is not None}


def finish(regions: list[Doc], orgs: list[Doc]) -> Doc:
    for o in orgs:
        for t in o["teams"]:
            t["people"] = [_compact(p) for p in t["people"]]
    return {"regions": regions, "organisations": orgs}


# --- Gelderland ----------------------------------------------------------------------


def gelderland(today: date) -> Doc:
    """The 51 Gelderland gemeenten in 7 regions, with fictional contacts verified near `today`."""
    gen = People(random.Random("ketenbot:gelderland"), today,
                 reserved={email for email, _ in PREDICTABLE})
    style_rng = random.Random("ketenbot:gelderland:lt-styles")
    regions = [_gld_region(code, name, gemeenten) for code, name, gemeenten in GELDERLAND]
    orgs: list[Doc] = []
    for code, _, gemeenten in GELDERLAND:
        orgs += [_lokaal_team(gen, code, name, style_rng) for _, name in gemeenten]
    orgs.append(_jbgld(gen))
    orgs += [_other_gi(gen, *gi) for gi in OTHER_GIS]
    for code, name, _ in GELDERLAND:
        orgs += _region_orgs(gen, code, name)
    orgs += _zorgaanbieders(gen)
    orgs += [_veilig_thuis(gen, *vt) for vt in VEILIG_THUIS]
    orgs.append(_raad(gen))
    _steunstructuur(gen, regions, orgs)
    # Drawn after everyone else, so adding them left every other person as they were.
    orgs += [_tafel(gen, code, name) for code, name, _ in GELDERLAND]
    orgs += [_gemeente(gen, code, name) for code, _, gemeenten in GELDERLAND
             for _, name in gemeenten]
    return finish(regions, orgs)


# Bouwsteen 4: one Jeugdbeschermingstafel per region; Food Valley and Centraal
# Gelderland take each other's families when one is full.
TAFEL_NEIGHBOURS = {"food-valley": ["centraal-gelderland"],
                    "centraal-gelderland": ["food-valley"]}
JBT_VZ = Role.JBT_VOORZITTER.value
JBT_AP = Role.JBT_AANSPREEKPERSOON.value


def _fresh(gen: People, p: Doc) -> Doc:
    """Confirmed recently (within every region's frequency): the tafel's people
    and the gemeenten's first contacts are no noise in the freshness rounds."""
    p["verified_on"] = gen.today - timedelta(days=5 + gen.count % 40)
    return p


def _tafel(gen: People, code: str, name: str) -> Doc:
    """The region's tafel: two independent voorzitters, each other's koppelgenoot."""
    domain = f"jbt-{code.replace('-', '')}.example.org"
    people = [_fresh(gen, gen.person(domain, JBT_VZ)) for _ in range(2)]
    people[0]["koppelgenoot"], people[1]["koppelgenoot"] = people[1]["email"], people[0]["email"]
    key = f"jbt-{code}"
    out = org(key, f"Jeugdbeschermingstafel {name}", OrgKind.JBT,
              [team(key, f"Jeugdbeschermingstafel {name}", [regio(code)], people)], code)
    if code in TAFEL_NEIGHBOURS:
        teams = out.pop("teams")
        out["neighbours"] = [f"jbt-{c}" for c in TAFEL_NEIGHBOURS[code]]
        out["teams"] = teams
    return out


def _gemeente(gen: People, region: str, gemeente: str) -> Doc:
    """The gemeente's own organisation, with the tafel's eerste aanspreekpersoon."""
    key = f"gemeente-{slug(gemeente)}"
    people = [_fresh(gen, gen.person(f"{key}.example.org", JBT_AP))]
    return org(key, f"Gemeente {gemeente}", OrgKind.GEMEENTE,
               [team(key, f"Gemeente {gemeente}", [_cbs(gemeente)], people)], region)


# Bouwsteen 2, stap 1: who keeps each region's contact list current. Veilig Thuis
# in the three regions of Noord- en Oost-Gelderland, the central gemeente elsewhere.
CENTRAL_GEMEENTE = {"rivierenland": "Tiel", "rijk-van-nijmegen": "Nijmegen",
                    "food-valley": "Ede", "centraal-gelderland": "Arnhem"}
VT_NOG = "vt-noord-oost-gelderland"
FIRST_ROUNDS = {"food-valley": date(2026, 12, 7)}


def _steunstructuur(gen: People, regions: list[Doc], orgs: list[Doc]) -> None:
    by_key = {o["key"]: o for o in orgs}
    vt = by_key[VT_NOG]
    # Drawn last, so adding it left every other generated person as it was.
    vt_beheerder = gen.person(vt["teams"][0]["people"][0]["email"].split("@")[1], CB)
    vt["teams"][0]["people"].append(vt_beheerder)
    vt_regions = next(r for k, _, r, _ in VEILIG_THUIS if k == VT_NOG)
    for region in regions:
        code = region["code"]
        if code in vt_regions:
            steun: Doc = {"responsible": vt["name"], "organisation": VT_NOG,
                          "contactbeheerders": [vt_beheerder["email"]]}
        else:
            office = by_key[f"regio-{code}"]
            steun = {"responsible": f"Gemeente {CENTRAL_GEMEENTE[code]}",
                     "organisation": office["key"],
                     "contactbeheerders": [p["email"] for p in office["teams"][0]["people"]
                                           if p["role"] == CB]}
        # Each region keeps its own rhythm: Food Valley starts first.
        steun |= {"frequency_days": 90, "answer_werkdagen": 5,
                  "first_round": FIRST_ROUNDS.get(code, date(2027, 1, 4))}
        gemeenten = region.pop("gemeenten")
        region["steunstructuur"] = steun
        region["gemeenten"] = gemeenten


def _gld_region(code: str, name: str, gemeenten: list[tuple[str, str]]) -> Doc:
    rows: list[Doc] = []
    for digits, gname in gemeenten:
        row: Doc = {"cbs": f"GM{digits}", "name": gname}
        if gname in ALIASES:
            row["aliases"] = ALIASES[gname]
        rows.append(row)
    return {"code": code, "name": name, "gemeenten": rows}


def _cbs(gemeente: str) -> str:
    for _, _, gemeenten in GELDERLAND:
        for digits, name in gemeenten:
            if name == gemeente:
                return f"GM{digits}"
    raise KeyError(gemeente)


def _lokaal_team(gen: People, region: str, gemeente: str, style_rng: random.Random) -> Doc:
    pick = style_rng.randrange(len(LT_STYLES))  # drawn for every gemeente: stable order
    template, prefix = LT_STYLES[LT_STYLE_OF.get(gemeente, pick)]
    name = template.format(gemeente)
    domain = f"{prefix}-{slug(gemeente)}.example.org"
    workers = 2 * LT_PAIRS.get(gemeente, 1)
    if gemeente == "Ede":
        people = [gen.fixed(ANOUK, MW), gen.fixed(BRAM, MW)]
        people += gen.team(domain, [MW] * (workers - 2)) + [gen.fixed(CARLA, TL)]
        people[0]["absent_until"] = EDE_ABSENT_UNTIL
    else:
        people = gen.team(domain, [MW] * workers + [TL])
    pair_up(people)
    key = f"lt-{slug(gemeente)}"
    return org(key, name, OrgKind.LOKAAL_TEAM,
               [team(key, name, [_cbs(gemeente)], people)], region)


def _jbgld(gen: People) -> Doc:
    teams = []
    for code, name, _ in GELDERLAND:
        if code == "food-valley":
            people = [gen.fixed(JEROEN, MW)] + gen.team("jbgld.example.org", [MW, MW])
            people += [gen.fixed(TESS, TL)] + gen.team("jbgld.example.org", [GW])
        else:
            people = gen.team("jbgld.example.org", [MW, MW, MW, TL, GW])
        teams.append(team(f"jbgld-{code}", f"Jeugdbescherming Gelderland team {name}",
                          [regio(code)], people))
    return org("jbgld", "Jeugdbescherming Gelderland", OrgKind.GI, teams)


def _region_name(code: str) -> str:
    return next(name for c, name, _ in GELDERLAND if c == code)


def _other_gi(gen: People, key: str, name: str, domain: str, regions: list[str]) -> Doc:
    teams = [
        team(f"{key}-{code}", f"{name} team {_region_name(code)}", [regio(code)],
             gen.team(domain, [MW, MW, TL, GW]))
        for code in regions
    ]
    return org(key, name, OrgKind.GI, teams)


def _region_orgs(gen: People, code: str, name: str) -> list[Doc]:
    """The region's own office, its gemeentelijke backoffice and its RET."""
    dom = code.replace("-", "")
    serves = [regio(code)]
    if code == "food-valley":
        office = [gen.fixed(MONIQUE, RCP)] + gen.team(f"regio-{dom}.example.org", [CB])
    else:
        office = gen.team(f"regio-{dom}.example.org", [RCP, CB])
    key_bo, key_ret = f"backoffice-{code}", f"ret-{code}"
    return [
        org(f"regio-{code}", f"Jeugdhulpregio {name}", OrgKind.REGIO,
            [team(f"regio-{code}", f"Jeugdhulpregio {name}", serves, office)], code),
        org(key_bo, f"Backoffice Jeugd {name}", OrgKind.BACKOFFICE,
            [team(key_bo, f"Backoffice iJw {name}", serves,
                  gen.team(f"backoffice-{dom}.example.org", [BO, BO]))], code),
        org(key_ret, f"Regionaal Expertteam {name}", OrgKind.RET,
            [team(key_ret, f"RET {name}", serves,
                  gen.team(f"ret-{dom}.example.org", [MW, GW]))], code),
    ]


def _zorgaanbieders(gen: People) -> list[Doc]:
    names = iter(ZORGAANBIEDERS)
    out = []
    for (code, _, _), count in zip(GELDERLAND, ZA_PER_REGION, strict=True):
        for name in [next(names) for _ in range(count)]:
            key = slug(name)
            domain = f"{key.replace('-', '')}.example.org"
            people = gen.team(domain, [MW, MW, TL])
            out.append(org(key, name, OrgKind.ZORGAANBIEDER,
                           [team(key, name, [regio(code)], people)], code))
    return out


def _veilig_thuis(gen: People, key: str, name: str, regions: list[str], domain: str) -> Doc:
    people = gen.team(domain, [TL, MW, MW])
    return org(key, name, OrgKind.VEILIG_THUIS,
               [team(key, name, [regio(c) for c in regions], people)])


def _raad(gen: People) -> Doc:
    people = gen.team("rvdk.example.org", [TL, MW, MW])
    name = "Raad voor de Kinderbescherming Gelderland"
    return org("rvdk", "Raad voor de Kinderbescherming", OrgKind.RAAD,
               [team("rvdk-gelderland", name, [regio(c) for c, _, _ in GELDERLAND], people)])


# --- Output ---------------------------------------------------------------------------

SAMPLE_HEADER = """\
# Fictional sample directory for Gelderland: 51 gemeenten in 7 jeugdhulpregio's.
# Gemeenten, CBS codes and regions follow the spec (DOMAIN.md); every person,
# e-mail address (*.example.org) and phone number in it is made up.
# Generated: do not edit by hand. Regenerate with
#   .venv/bin/python -m bench.directories.synthetic > storage/sample/gelderland.yaml
"""


def dump_yaml(doc: Doc) -> str:
    # One YAML dialect for the sample, the export and the benchmark directory.
    return dump(doc)


def sample_text(today: date = SAMPLE_DAY) -> str:
    """The shipped storage/sample/gelderland.yaml, byte for byte."""
    return SAMPLE_HEADER + dump_yaml(gelderland(today))


if __name__ == "__main__":
    sys.stdout.write(sample_text())
