"""Synthetic contact directories: the Gelderland sample and a country-sized benchmark.

Everything here is pure: functions return the YAML directory format (see
`storage.directory_format`) as plain dicts and touch no database. Output is
deterministic: every random choice comes from a seeded `random.Random`.

The gemeenten, CBS codes and jeugdhulpregio's of Gelderland follow DOMAIN.md.
The people are fictional: names drawn from common Dutch first names and
surnames, e-mail addresses at *.example.org, phones "+31 6 0000 NNNN".

Regenerate the shipped sample with:
    .venv/bin/python -m storage.synthetic > storage/sample/gelderland.yaml
"""

from __future__ import annotations

import random
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from storage.directory_export import dump
from storage.models import OrgKind, Role

SAMPLE_DAY = date(2026, 11, 20)

Doc = dict[str, Any]

# --- Gelderland: regions and gemeenten, as DOMAIN.md lists them ---------------

# (region code, region name, [(CBS digits, gemeente name), ...])
GELDERLAND: list[tuple[str, str, list[tuple[str, str]]]] = [
    ("achterhoek", "Achterhoek", [
        ("0197", "Aalten"), ("1859", "Berkelland"), ("1876", "Bronckhorst"),
        ("0222", "Doetinchem"), ("1955", "Montferland"), ("1586", "Oost Gelre"),
        ("1509", "Oude IJsselstreek"), ("0294", "Winterswijk"),
    ]),
    ("centraal-gelderland", "Centraal Gelderland", [
        ("0202", "Arnhem"), ("0221", "Doesburg"), ("0226", "Duiven"),
        ("1705", "Lingewaard"), ("1734", "Overbetuwe"), ("0274", "Renkum"),
        ("0275", "Rheden"), ("0277", "Rozendaal"), ("0289", "Wageningen"),
        ("0293", "Westervoort"), ("0299", "Zevenaar"),
    ]),
    ("food-valley", "Food Valley", [
        ("0203", "Barneveld"), ("0228", "Ede"), ("0267", "Nijkerk"), ("0279", "Scherpenzeel"),
    ]),
    ("midden-ijssel-oost-veluwe", "Midden-IJssel/Oost-Veluwe", [
        ("0200", "Apeldoorn"), ("0213", "Brummen"), ("0232", "Epe"), ("0244", "Hattem"),
        ("0246", "Heerde"), ("0262", "Lochem"), ("0285", "Voorst"), ("0301", "Zutphen"),
    ]),
    ("noord-veluwe", "Noord-Veluwe", [
        ("0230", "Elburg"), ("0233", "Ermelo"), ("0243", "Harderwijk"),
        ("0302", "Nunspeet"), ("0269", "Oldebroek"), ("0273", "Putten"),
    ]),
    ("rijk-van-nijmegen", "Rijk van Nijmegen", [
        ("1945", "Berg en Dal"), ("0209", "Beuningen"), ("0225", "Druten"),
        ("0252", "Heumen"), ("0268", "Nijmegen"), ("0296", "Wijchen"),
    ]),
    ("rivierenland", "Rivierenland", [
        ("0214", "Buren"), ("0216", "Culemborg"), ("0263", "Maasdriel"),
        ("1740", "Neder-Betuwe"), ("0281", "Tiel"), ("1960", "West Betuwe"),
        ("0668", "West Maas en Waal"), ("0297", "Zaltbommel"),
    ]),
]

# Former municipalities and common short forms people type.
ALIASES: dict[str, list[str]] = {
    "Berg en Dal": ["Groesbeek", "Ubbergen"],
    "Berkelland": ["Borculo", "Eibergen"],
    "Bronckhorst": ["Vorden", "Hengelo (Gld)"],
    "Lingewaard": ["Bemmel", "Huissen"],
    "Lochem": ["Gorssel"],
    "Montferland": ["Didam", "Bergh"],
    "Neder-Betuwe": ["Kesteren", "Dodewaard"],
    "Oost Gelre": ["Groenlo", "Lichtenvoorde"],
    "Oude IJsselstreek": ["Gendringen", "Wisch"],
    "Overbetuwe": ["Elst"],
    "West Betuwe": ["Geldermalsen", "Lingewaal", "Neerijnen"],
    "West Maas en Waal": ["WMW"],
    "Zevenaar": ["Rijnwaarden"],
}

# Lokaal team names: (name template, e-mail domain prefix).
LT_STYLES: list[tuple[str, str]] = [
    ("Sociaal Team {}", "sociaalteam"),
    ("Wijkteam {}", "wijkteam"),
    ("Jeugd- en Gezinsteam {}", "jgt"),
    ("Buurtteam {}", "buurtteam"),
    ("Sociaal Wijkteam {}", "sociaalwijkteam"),
    ("Toegangsteam Jeugd {}", "toegangjeugd"),
    ("Gebiedsteam {}", "gebiedsteam"),
    ("Centrum voor Jeugd en Gezin {}", "cjg"),
]
LT_STYLE_OF = {"Ede": 0, "Nijmegen": 1, "Apeldoorn": 2, "Arnhem": 3}
# Medewerker pairs (koppelgenoten) per lokaal team; one pair elsewhere.
LT_PAIRS = {"Arnhem": 3, "Nijmegen": 3, "Apeldoorn": 2, "Ede": 2, "Doetinchem": 2}

ZORGAANBIEDERS = [
    "Kompas Jeugdzorg", "Windroos Gezinshulp", "De Vuurtoren Jeugdhulp",
    "Stapsteen Ambulante Zorg", "Boomgaard Jeugd & Gezin", "Klaproos Jeugdzorg",
    "Wilgenhof Orthopedagogisch Centrum", "Zandloper Gezinsbegeleiding",
    "De Waterlelie Jeugdhulp", "Rivierduin Zorg", "Lantaarn Jeugd & Opvoeding",
    "Heidebloem Gezinshuizen", "Zonnedauw Jeugdzorg", "De Speelwei Jeugdhulp",
    "Regenboogbrug Gezinszorg", "Vlierbes Ambulant", "Eikelhof Jeugdbehandeling",
    "De Schakelaar Jeugd", "Kievit Gezinsondersteuning", "Hoeksteen Jeugdhulp",
]
ZA_PER_REGION = [3, 3, 2, 3, 2, 3, 2]

# (key, name, serves these region codes, e-mail domain)
VEILIG_THUIS = [
    ("vt-noord-oost-gelderland", "Veilig Thuis Noord- en Oost-Gelderland",
     ["achterhoek", "midden-ijssel-oost-veluwe", "noord-veluwe"], "vtnog.example.org"),
    ("vt-gelderland-midden", "Veilig Thuis Gelderland-Midden",
     ["centraal-gelderland", "food-valley"], "vtgm.example.org"),
    ("vt-gelderland-zuid", "Veilig Thuis Gelderland-Zuid",
     ["rijk-van-nijmegen", "rivierenland"], "vtgz.example.org"),
]

# Further GIs: (key, name, e-mail domain, regions with a team)
OTHER_GIS = [
    ("wss", "William Schrikker Stichting", "wss.example.org",
     ["centraal-gelderland", "midden-ijssel-oost-veluwe", "rijk-van-nijmegen"]),
    ("ldh-jr", "Leger des Heils Jeugdbescherming & Reclassering", "ldh-jr.example.org",
     ["achterhoek", "food-valley", "rivierenland"]),
]

# --- Names -----------------------------------------------------------------------

FIRST_NAMES = [
    "Anouk", "Bram", "Carla", "Daan", "Eva", "Femke", "Gert", "Hanneke", "Ilse", "Jeroen",
    "Karin", "Lars", "Marieke", "Niels", "Olga", "Pieter", "Quinten", "Roos", "Sander",
    "Tess", "Ursula", "Vera", "Wouter", "Yvonne", "Zoë", "Annemieke", "Bas", "Charlotte",
    "Dennis", "Esther", "Frank", "Gerda", "Hans", "Iris", "Joost", "Kim", "Lieke", "Mark",
    "Nadia", "Ozan", "Petra", "Rik", "Sanne", "Thijs", "Wendy", "Youssef", "Astrid",
    "Bart", "Daniëlle", "Emre", "Fleur", "Guus", "Hester", "Inge", "Jasper", "Kees",
    "Linda", "Maarten", "Nicole", "Rob", "Saskia", "Tim", "Vincent", "Willemijn", "Fatima",
    "Monique", "Sevda", "Koen", "Lotte", "Ruben",
]
SURNAMES = [
    "Jansen", "de Vries", "Smit", "Bakker", "Visser", "Peters", "de Jong", "van den Berg",
    "van Dijk", "Janssen", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Hendriks",
    "van Leeuwen", "Dekker", "Brouwer", "de Wit", "Dijkstra", "Smits", "de Graaf",
    "van der Meer", "van der Linden", "Kok", "Jacobs", "de Haan", "Vermeulen", "van den Heuvel",
    "van der Veen", "van den Broek", "de Bruijn", "de Bruin", "van der Heijden", "Schouten",
    "van Beek", "Willems", "van Vliet", "van de Ven", "Hoekstra", "Maas", "Verhoeven",
    "Koster", "van Dam", "van der Wal", "Prins", "Blom", "Huisman", "Peeters", "de Lange",
    "Kuipers", "van Wijk", "Postma", "Kramer", "van 't Hof", "Yilmaz", "El Amrani",
    "Hermans", "Wolters", "Gerritsen", "Lammers", "Evers", "Timmermans", "Arslan",
]

# People the demo and the docs refer to by name: (e-mail, name).
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
    return finish(regions, orgs)


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


# --- The whole country, for benchmarks -----------------------------------------------

COUNTRY_REGIONS = 25
# People per region outside the lokaal teams: GI 5 + 2nd GI 4 + regio 2 + backoffice 2
# + RET 2 + Veilig Thuis 3 + Raad 3 + three zorgaanbieders of 3.
REGION_PEOPLE = 5 + 4 + 2 + 2 + 2 + 3 + 3 + 3 * 3


def country(n_gemeenten: int = 342, people_target: int = 4000, seed: int = 1) -> Doc:
    """A fictional directory the size of the Netherlands: ~25 regions, `n_gemeenten` gemeenten.

    Lokaal teams are sized so the whole adds up to about `people_target` people.
    """
    rng = random.Random(f"ketenbot:country:{seed}")
    gen = People(rng, SAMPLE_DAY)
    n_regions = max(1, min(COUNTRY_REGIONS, n_gemeenten))
    codes = [f"jr-{i:02d}" for i in range(1, n_regions + 1)]
    members = _spread(n_gemeenten, n_regions)
    regions = [
        {"code": code, "name": f"Jeugdregio {i:02d}",
         "gemeenten": [{"cbs": f"GM{g:04d}", "name": country_gemeente_name(g)} for g in gms]}
        for i, (code, gms) in enumerate(zip(codes, members, strict=True), start=1)
    ]
    budget = max(0, people_target - REGION_PEOPLE * n_regions)
    pairs = _lt_pairs(rng, n_gemeenten, budget)
    orgs: list[Doc] = []
    for code, gms in zip(codes, members, strict=True):
        orgs += [_country_lt(gen, code, g, pairs[g - 1]) for g in gms]
    for i, code in enumerate(codes, start=1):
        orgs += _country_region_orgs(gen, code, i)
    orgs.append(_country_gi(gen, codes))
    orgs.append(_country_raad(gen, codes))
    return finish(regions, orgs)


def country_gemeente_name(n: int) -> str:
    """'Gemeente 0001', with now and then a hyphen, spaces or an "'s-" prefix."""
    match n % 10:
        case 3:
            return f"'s-Gravenveld {n:04d}"
        case 5:
            return f"Noord-Brakel {n:04d}"
        case 7:
            return f"Beek en Donk aan de Maas {n:04d}"
        case _:
            return f"Gemeente {n:04d}"


def _spread(n: int, parts: int) -> list[list[int]]:
    """Numbers 1..n in `parts` consecutive runs of near-equal length."""
    bounds = [round(i * n / parts) for i in range(parts + 1)]
    return [list(range(bounds[i] + 1, bounds[i + 1] + 1)) for i in range(parts)]


def _lt_pairs(rng: random.Random, n: int, budget: int) -> list[int]:
    """Medewerker pairs per lokaal team, uneven like real gemeenten, about `budget` people."""
    weights = [rng.lognormvariate(0, 0.7) for _ in range(n)]
    total = sum(weights) or 1.0
    return [max(1, round((budget * w / total - 1) / 2)) for w in weights]


def _country_lt(gen: People, region: str, n: int, pairs: int) -> Doc:
    key = f"lt-{n:04d}"
    name = f"Sociaal Team {country_gemeente_name(n)}"
    people = gen.team(f"{key}.example.org", [MW] * (2 * pairs) + [TL])
    pair_up(people)
    return org(key, name, OrgKind.LOKAAL_TEAM, [team(key, name, [f"GM{n:04d}"], people)], region)


def _country_region_orgs(gen: People, code: str, i: int) -> list[Doc]:
    serves = [regio(code)]

    def single(key: str, name: str, kind: OrgKind, roles: list[str]) -> Doc:
        people = gen.team(f"{key}.example.org", roles)
        return org(key, name, kind, [team(key, name, serves, people)], code)

    out = [
        single(f"gi-{code}", f"Jeugdbescherming Jeugdregio {i:02d}", OrgKind.GI,
               [MW, MW, MW, TL, GW]),
        single(f"regio-{code}", f"Jeugdregio {i:02d}", OrgKind.REGIO, [RCP, CB]),
        single(f"backoffice-{code}", f"Backoffice Jeugd {i:02d}", OrgKind.BACKOFFICE, [BO, BO]),
        single(f"ret-{code}", f"Regionaal Expertteam {i:02d}", OrgKind.RET, [MW, GW]),
        single(f"vt-{code}", f"Veilig Thuis Jeugdregio {i:02d}", OrgKind.VEILIG_THUIS,
               [TL, MW, MW]),
    ]
    for z in range(1, 4):
        out.append(single(f"za-{code}-{z}", f"{ZORGAANBIEDERS[(i * 3 + z) % 20]} {i:02d}",
                          OrgKind.ZORGAANBIEDER, [MW, MW, TL]))
    return out


def _country_gi(gen: People, codes: list[str]) -> Doc:
    """A landelijk werkende GI with a team in every region."""
    teams = [team(f"lgi-{code}", f"Landelijke GI team {code}", [regio(code)],
                  gen.team("landelijke-gi.example.org", [MW, MW, TL, GW]))
             for code in codes]
    return org("lgi", "Landelijke GI", OrgKind.GI, teams)


def _country_raad(gen: People, codes: list[str]) -> Doc:
    teams = [team(f"rvdk-{code}", f"Raad voor de Kinderbescherming {code}", [regio(code)],
                  gen.team("rvdk.example.org", [TL, MW, MW]))
             for code in codes]
    return org("rvdk", "Raad voor de Kinderbescherming", OrgKind.RAAD, teams)


# --- Output ---------------------------------------------------------------------------

SAMPLE_HEADER = """\
# Fictional sample directory for Gelderland: 51 gemeenten in 7 jeugdhulpregio's.
# Gemeenten, CBS codes and regions follow the spec (DOMAIN.md); every person,
# e-mail address (*.example.org) and phone number in it is made up.
# Generated: do not edit by hand. Regenerate with
#   .venv/bin/python -m storage.synthetic > storage/sample/gelderland.yaml
"""


def dump_yaml(doc: Doc) -> str:
    # One YAML dialect for the sample, the export and the benchmark directory.
    return dump(doc)


def sample_text(today: date = SAMPLE_DAY) -> str:
    """The shipped storage/sample/gelderland.yaml, byte for byte."""
    return SAMPLE_HEADER + dump_yaml(gelderland(today))


if __name__ == "__main__":
    sys.stdout.write(sample_text())
