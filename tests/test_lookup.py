"""`wie <gemeente> [rol]`: forgiving matching, and who to call first."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from handlers.contacts.lookup import lookup
from handlers.core import Context, Reply
from handlers.registry import build_registry
from messages import Renderer
from storage.search_keys import cbs_code, search_key
from tests.conftest import AMS, FakeClock, import_file

DATA = Path(__file__).parent / "data"

EXTRA = """\
regions:
  - code: meierij
    name: Meierij
    gemeenten:
      - cbs: GM0796
        name: "'s-Hertogenbosch"
        aliases: [Den Bosch]
      - cbs: GM1945
        name: Berg en Dal
        aliases: [Beek, Groesbeek]
      - cbs: GM1955
        name: Montferland
        aliases: [Beek]
      - cbs: GM1507
        name: Súdwest-Fryslân
"""


@pytest.fixture
def small_engine(engine: Engine, tmp_path: Path) -> Engine:
    import_file(engine, DATA / "small.yaml")
    extra = tmp_path / "extra.yaml"
    extra.write_text(EXTRA, encoding="utf-8")
    import_file(engine, extra)
    return engine


def ask(engine: Engine, clock: FakeClock, text: str, lang: str = "nl") -> tuple[Reply, str]:
    """What the user gets: the reply through the registry, and its rendered text."""
    ctx = Context(engine=engine, clock=clock, platform="console", lang=lang)
    reply = build_registry().dispatch(ctx, text)
    return reply, Renderer("text").render(reply, lang)


def gemeente_of(engine: Engine, clock: FakeClock, query: str) -> str | None:
    ctx = Context(engine=engine, clock=clock, platform="console")
    reply = lookup(ctx, query)
    return reply.data["gemeente"] if reply.ok else None


# --- search keys ---------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "key"), [
    ("Ede", "ede"),
    ("  EDE ", "ede"),
    ("édé", "ede"),
    ("'s-Hertogenbosch", "hertogenbosch"),
    ("\u2019s-Hertogenbosch", "hertogenbosch"),
    ("s Hertogenbosch", "hertogenbosch"),
    ("Den Bosch", "denbosch"),
    ("Súdwest-Fryslân", "sudwestfryslan"),
    ("Berg en Dal", "bergendal"),
    ("GM0228", "0228"),
    ("gm228", "0228"),
    ("0228", "0228"),
    ("Sint-Michielsgestel", "sintmichielsgestel"),  # 's' starting a word is no prefix
    ("Scherpenzeel", "scherpenzeel"),
])
def test_search_key(typed: str, key: str) -> None:
    assert search_key(typed) == key


def test_cbs_code_normalises() -> None:
    assert cbs_code("gm 228") == "GM0228"
    assert cbs_code("Ede") is None


# --- matching through the lookup --------------------------------------------------------


# One database per backend for many spellings: each case is reported on failure.
SPELLINGS = {
    "Ede": ["Ede", "ede", "EDE", "édé", " Ede ", "Bennekom", "bennekom",
            "GM0228", "gm228", "0228", "228"],
    "'s-Hertogenbosch": ["'s-Hertogenbosch", "s hertogenbosch", "S-HERTOGENBOSCH",
                         "\u2019s-Hertogenbosch", "hertogenbosch", "den bosch", "Den-Bosch",
                         "DENBOSCH", "GM0796"],
    "Súdwest-Fryslân": ["Sudwest Fryslan", "súdwest-fryslân", "SUDWESTFRYSLAN",
                        "Súdwest Fryslân"],
    "Berg en Dal": ["berg-en-dal", "BergEnDal", "Groesbeek"],
}


@pytest.mark.parametrize("name", sorted(SPELLINGS))
def test_gemeente_is_found_however_it_is_typed(small_engine: Engine, clock: FakeClock,
                                               name: str) -> None:
    found = {typed: gemeente_of(small_engine, clock, typed) for typed in SPELLINGS[name]}
    assert found == dict.fromkeys(SPELLINGS[name], name)


def test_multiword_name_with_role_word(small_engine: Engine, clock: FakeClock) -> None:
    reply, _ = ask(small_engine, clock, "wie berg en dal alle")
    assert reply.ok and reply.data["gemeente"] == "Berg en Dal"


def test_lookup_shows_gemeente_region_and_contacts(small_engine: Engine,
                                                   clock: FakeClock) -> None:
    reply, out = ask(small_engine, clock, "wie Bennekom")
    assert reply.ok
    assert out.splitlines()[0] == "Ede (GM0228) — jeugdhulpregio Food Valley"
    assert "Lokaal team: Sociaal Team Ede" in out
    assert "contactpersoon: Anna Aalders" in out
    assert "koppelgenoot: Bert Bos" in out
    assert "teamleider: Carla Claes" in out
    assert "+31 6 0000 0001 · anna@lt-ede.example.org" in out
    assert "Gecertificeerde instelling: JBG team Food Valley (Jeugdbescherming Gelderland)" in out
    # Anna is named before her koppelgenoot, and both before the teamleider.
    assert out.index("Anna Aalders") < out.index("Bert Bos") < out.index("Carla Claes")


def test_unknown_gemeente_gives_suggestions(sample_engine: Engine, clock: FakeClock) -> None:
    reply, out = ask(sample_engine, clock, "wie Arnhm")
    assert not reply.ok
    assert reply.data["code"] == "gemeente_unknown"
    assert reply.data["suggestions"][0] == "Arnhem"
    assert out.startswith('Gemeente "Arnhm" ken ik niet. Bedoelde u: Arnhem')


def test_half_typed_name_is_suggested(sample_engine: Engine, clock: FakeClock) -> None:
    reply, _ = ask(sample_engine, clock, "wie apel")
    assert "Apeldoorn" in reply.data["suggestions"]


def test_nothing_close_gives_a_hint_instead(sample_engine: Engine, clock: FakeClock) -> None:
    reply, out = ask(sample_engine, clock, "wie 's-Hertogenbosch")
    assert reply.data == {"code": "gemeente_unknown", "query": "'s-Hertogenbosch",
                          "suggestions": []}
    assert out == ('Gemeente "\'s-Hertogenbosch" ken ik niet. '
                   "Probeer de naam of de CBS-code (bijv. GM0228).")


def test_shared_alias_is_ambiguous_and_lists_both(small_engine: Engine,
                                                  clock: FakeClock) -> None:
    reply, out = ask(small_engine, clock, "wie Beek")
    assert not reply.ok
    assert reply.data["code"] == "gemeente_ambiguous"
    assert reply.data["suggestions"] == ["Berg en Dal", "Montferland"]
    assert "Berg en Dal, Montferland" in out
    # The alias that is not shared still finds its one gemeente.
    assert gemeente_of(small_engine, clock, "groesbeek") == "Berg en Dal"


def test_empty_query_gives_usage(small_engine: Engine, clock: FakeClock) -> None:
    for text in ("wie", "wie   ", "who"):
        reply, out = ask(small_engine, clock, text)
        assert reply.data["code"] == "lookup_usage"
        assert out.startswith("Gebruik: `wie <gemeente> [rol]`")
    _, out = ask(small_engine, clock, "wie", lang="en")
    assert out.startswith("Usage: `who <municipality> [role]`")


def test_gemeente_without_contacts_says_so(small_engine: Engine, clock: FakeClock) -> None:
    reply, out = ask(small_engine, clock, "wie Montferland")
    assert reply.ok and reply.data["teams"] == []
    assert "Geen contacten gevonden" in out


# --- sample directory: role filter, absence, staleness ------------------------------------


def test_role_filter_shows_only_gi(sample_engine: Engine, clock: FakeClock) -> None:
    reply, out = ask(sample_engine, clock, "wie Ede gi")
    assert reply.ok
    assert reply.data["teams"] and {t.kind for t in reply.data["teams"]} == {"gi"}
    assert "Gecertificeerde instelling:" in out
    assert "Lokaal team" not in out and "Jeugdhulpregio:" not in out
    assert "Anouk Jansen" not in out


def test_role_filter_lt_shows_only_lokaal_team(sample_engine: Engine,
                                               clock: FakeClock) -> None:
    reply, _ = ask(sample_engine, clock, "wie ede LT")
    assert [t.team for t in reply.data["teams"]] == ["Sociaal Team Ede"]


def test_default_lookup_covers_lt_gi_and_region(sample_engine: Engine,
                                                clock: FakeClock) -> None:
    reply, _ = ask(sample_engine, clock, "wie Ede")
    kinds = [t.kind for t in reply.data["teams"]]
    assert kinds[0] == "lokaal_team"
    assert set(kinds) == {"lokaal_team", "gi", "regio"}


def test_absent_worker_comes_after_the_koppelgenoot(sample_engine: Engine,
                                                    clock: FakeClock) -> None:
    reply, out = ask(sample_engine, clock, "wie Ede")
    lt = reply.data["teams"][0]
    assert [(c.name, c.label) for c in lt.contacts] == [
        ("Bram de Vries", "vervanger"),
        ("Anouk Jansen", "contact"),
        ("Carla Smit", "teamleider"),
    ]
    assert out.index("Bram de Vries") < out.index("Anouk Jansen") < out.index("Carla Smit")
    assert "Anouk Jansen — AFWEZIG t/m vr 15 jan 2027" in out
    assert "Bram de Vries — AFWEZIG" not in out


def test_absence_is_inclusive_and_ends(sample_engine: Engine, clock: FakeClock) -> None:
    clock.set(datetime(2027, 1, 15, 16, 0, tzinfo=AMS))  # "t/m": still away on the last day
    reply, _ = ask(sample_engine, clock, "wie Ede lt")
    assert reply.data["teams"][0].contacts[0].name == "Bram de Vries"

    clock.set(datetime(2027, 1, 18, 9, 0, tzinfo=AMS))
    reply, out = ask(sample_engine, clock, "wie Ede lt")
    first, second = reply.data["teams"][0].contacts[:2]
    assert (first.name, first.label) == ("Anouk Jansen", "contact")
    assert (second.name, second.label) == ("Bram de Vries", "koppelgenoot")
    assert "AFWEZIG" not in out


def test_absent_worker_in_english(sample_engine: Engine, clock: FakeClock) -> None:
    _, out = ask(sample_engine, clock, "wie Ede", lang="en")
    assert "Anouk Jansen — ABSENT until Fri 15 Jan 2027" in out
    assert "stands in (koppelgenoot): Bram de Vries" in out
    assert "team leader: Carla Smit" in out


def test_recent_entries_are_not_flagged(sample_engine: Engine, clock: FakeClock) -> None:
    reply, out = ask(sample_engine, clock, "wie Ede lt")
    bram = reply.data["teams"][0].contacts[0]
    assert bram.age_days == 24 and not bram.stale
    assert "24 dagen geleden gecontroleerd\n" in out + "\n"
    assert "mogelijk verouderd" not in out


def test_stale_entries_are_flagged(sample_engine: Engine, clock: FakeClock) -> None:
    clock.set(datetime(2030, 6, 1, 9, 0, tzinfo=AMS))
    reply, out = ask(sample_engine, clock, "wie Ede")
    contacts = [c for t in reply.data["teams"] for c in t.contacts]
    assert contacts and all(c.stale for c in contacts)
    contact_lines = [ln for ln in out.splitlines()
                     if "@" in ln and not ln.startswith("Contactbeheer")]
    assert contact_lines and all(ln.endswith("⚠ mogelijk verouderd") for ln in contact_lines)


def test_staleness_follows_the_setting(sample_engine: Engine, clock: FakeClock) -> None:
    ctx = Context(engine=sample_engine, clock=clock, platform="console", stale_after_days=10)
    reply = lookup(ctx, "Ede lt")
    assert all(c.stale for c in reply.data["teams"][0].contacts)  # all older than 10 days


def test_a_new_import_shows_in_the_next_lookup(small_engine: Engine, clock: FakeClock,
                                                tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The in-memory directory is read again once an import changed it (in
    production within CHECK_EVERY, a second; here at once)."""
    monkeypatch.setattr("handlers.contacts.directory_cache.CHECK_EVERY", 0.0)
    _, before = ask(small_engine, clock, "wie Ede")
    assert "+31 6 0000 0001" in before
    data = Path(__file__).parent / "data" / "small.yaml"
    changed = tmp_path / "changed.yaml"
    changed.write_text(data.read_text(encoding="utf-8").replace(
        '"+31 6 0000 0001"', '"+31 6 0000 0999"').replace("[Bennekom]", "[Bennekom, Lunteren]"),
        encoding="utf-8")
    import_file(small_engine, changed)
    _, after = ask(small_engine, clock, "wie Lunteren")  # the new alias, too
    assert after.startswith("Ede (GM0228)")
    assert "+31 6 0000 0999" in after and "+31 6 0000 0001" not in after


def test_readme_lists_every_role_word_of_wie() -> None:
    from pathlib import Path

    from handlers.contacts.lookup import ROLE_FILTERS, ROLE_WORDS, ROLES_EN, ROLES_NL

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    row = next(line for line in readme.splitlines() if line.startswith("| `wie <gemeente>"))
    listed = {w.strip(" ,.()|") for w in row.split("`rol`:", 1)[1].replace("English:", "").split()}
    words = set(ROLES_NL) | set(ROLES_EN) | set(ROLE_FILTERS) | set(ROLE_WORDS)
    assert sorted(words - listed) == []
