"""A synthetic directory the size of the whole country (342 gemeenten, about
4,000 people), for benchmarks. Fictional throughout."""

from __future__ import annotations

import random

from bench.directories.gelderland_data import ZORGAANBIEDERS
from bench.directories.synthetic import (
    BO,
    CB,
    GW,
    MW,
    RCP,
    SAMPLE_DAY,
    TL,
    Doc,
    People,
    finish,
    org,
    pair_up,
    regio,
    team,
)
from storage.models import OrgKind

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


