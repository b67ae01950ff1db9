"""The BSN guard: a message that looks like it holds a BSN is never processed."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from bot.app import KetenBot
from bot.config import Settings
from bot.console import ConsoleSession
from handlers.core import Context
from handlers.registry import build_registry
from storage.privacy import contains_bsn, elfproef
from tests.conftest import SAMPLE, FakeClock


@pytest.mark.parametrize("digits", ["111222333", "123456782", "999999990", "010000008"])
def test_elfproef_accepts_valid_bsns(digits: str) -> None:
    assert elfproef(digits)


@pytest.mark.parametrize("digits", [
    "123456789",   # fails the 11-test
    "111222334",
    "000000000",   # passes the arithmetic, but is no BSN
    "12345678",    # too short
    "1234567820",  # too long
    "12345678a",
    "",
])
def test_elfproef_rejects(digits: str) -> None:
    assert not elfproef(digits)


@pytest.mark.parametrize("text", [
    "111222333",
    "123456782",
    "bsn 123456782 graag bellen",
    "1234.56.782",
    "123 456 782",
    "123-456-782",
    "kind (111.222.333)",
    "wie Ede 111222333",
    "bel +31 6 0000 1271 over 123456782",  # a phone number does not hide a BSN after it
    "+31 6 0000 1271 111222333",
])
def test_bsn_is_found(text: str) -> None:
    assert contains_bsn(text)


@pytest.mark.parametrize("text", [
    "123456789",            # nine digits, not elfproef
    "kenmerk 987654321",    # idem
    "1234567820",           # ten digits, although its first nine pass the 11-test
    "0123456782",           # ten digits, although its last nine pass the 11-test
    "1234.56.7820",
    "+31 6 0000 0001",      # a phone number from the directory
    "+31 6 0000 1271",      # its last nine digits, 600001271, pass the 11-test
    "bel Bram: +31 (0)6 0000 1271",
    "+31-6-00001271",
    "06 1234 5678",
    "2026-11-24",
    "wie GM0228",
    "000000000",
    "12345678",
    "",
])
def test_other_numbers_are_not_flagged(text: str) -> None:
    assert not contains_bsn(text)


def test_no_phone_number_in_the_sample_directory_looks_like_a_bsn() -> None:
    """People paste the numbers the bot gave them; none of those may be refused."""
    phones = re.findall(r"^ +phone: (.+)$", SAMPLE.read_text(), flags=re.MULTILINE)
    assert len(phones) > 300
    assert [p for p in phones if contains_bsn(p)] == []
    assert [p for p in phones if contains_bsn(f"bel {p} aub")] == []


def test_registry_refuses_before_parsing(engine: Engine, clock: FakeClock) -> None:
    ctx = Context(engine=engine, clock=clock, platform="console")
    registry = build_registry()
    for line in ("wie Ede 123456782", "onzin 1234.56.782", "help 123 456 782"):
        reply = registry.dispatch(ctx, line)
        assert not reply.ok
        assert reply.data == {"code": "bsn"}  # the number is not carried into the reply
    assert registry.dispatch(ctx, "help").ok


@pytest.fixture
def session(sample_engine: Engine, db_url: str, clock: FakeClock) -> Iterator[ConsoleSession]:
    kb = KetenBot.start(Settings(database_url=db_url), clock=clock)
    jeroen = kb.person_by_email("jeroen.bakker@jbgld.example.org")
    yield ConsoleSession(kb, jeroen, None, io.StringIO())
    kb.engine.dispose()


def test_console_line_with_bsn_is_refused_with_the_explanation(
    session: ConsoleSession,
) -> None:
    out = session.handle("wie Ede 1234.56.782")
    assert out == (
        "Uw bericht lijkt een BSN te bevatten. Zet geen gegevens van het gezin in de chat: "
        "gebruik alleen het kenmerk van de zaak. Het bericht is niet verwerkt en niet bewaard."
    )
    assert "Ede (GM0228)" in session.handle("wie Ede")  # without the number it works


def test_console_line_with_bsn_in_english(session: ConsoleSession) -> None:
    session.lang = "en"
    out = session.handle("wie Ede 111 222 333")
    assert out.startswith("Your message seems to contain a BSN.")
    assert "111" not in out


def test_phone_number_in_a_line_is_not_mistaken_for_a_bsn(session: ConsoleSession) -> None:
    out = session.handle("wie +31 6 0000 0001")
    assert "BSN" not in out
    assert "ken ik niet" in out
