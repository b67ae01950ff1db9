"""No family data gets in: a BSN in any notation, a kenmerk that is no case
reference, and dates, phone numbers, addresses, e-mail addresses and IBANs in
reasons and reports are refused with a reason, and nothing is stored.

Each attack of issue 17 (item 6) is a test here; the Hypothesis tests at the
end generate BSNs in many notations (all refused) and the case references GIs
use (all accepted).
"""

from __future__ import annotations

import json
import unicodedata

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from sqlmodel import Session, select

from storage.personal_data import kenmerk_problem, personal_data
from storage.privacy import contains_bsn
from storage.tables import ModelEscalation, Outbox, Referral, ReferralEvent
from tests.test_referrals import (
    BACKOFFICE,
    BRAM,
    CARLA,
    JEROEN,
    SASKIA,
    WILGENHOF,
    Chat,
    to_start,
)
from tests.test_referrals import chat as chat  # noqa: F401  (fixture)
from tests.test_referrals import started as started  # noqa: F401  (fixture)


def stored_text(chat: Chat) -> str:
    """Everything the bot wrote that could carry text from a person."""
    with Session(chat.engine) as s:
        return json.dumps([
            [e.detail for e in s.exec(select(ReferralEvent))],
            [o.payload for o in s.exec(select(Outbox))],
            [r.kenmerk for r in s.exec(select(Referral))],
            [(m.kenmerk, m.family_reason) for m in s.exec(select(ModelEscalation))],
        ], ensure_ascii=False)


# -- a BSN, however it is written ----------------------------------------------


@pytest.mark.parametrize("kenmerk", [
    "111/222/333", "(111) 222 333", "111,222,333", "111:222:333", "111|222|333",
    "111~222~333", "111*222*333", "111'222'333", "111 / 222 / 333", "[111]222_333",
    "111\\222\\333", "111#222#333",
])
def test_a_bsn_with_any_separator_is_refused_and_no_referral_made(chat: Chat,
                                                                  kenmerk: str) -> None:
    text = chat.refused(JEROEN, f"verwijs 301 Ede {kenmerk}", "bsn")
    assert "lijkt een BSN te bevatten" in text
    assert chat.state()["referrals"] == []


def test_a_bsn_after_a_name_is_refused(chat: Chat) -> None:
    chat.refused(JEROEN, "verwijs 301 Ede Jan 111'222'333", "bsn")
    assert "111" not in stored_text(chat)


# -- the kenmerk must look like a case reference -------------------------------


@pytest.mark.parametrize(("kenmerk", "why", "said"), [
    ("12-03-2015", "date", "lijkt een datum"),
    ("2015-03-12", "date", "lijkt een datum"),
    ("12mrt2015", "date", "lijkt een datum"),
    ("Jansen", "shape", "Dit is geen zaakkenmerk"),
    ("0612345678", "phone", "lijkt een telefoonnummer"),
    ("06-12345678", "phone", "lijkt een telefoonnummer"),
    ("+31612345678", "phone", "lijkt een telefoonnummer"),
    ("123456", "shape", "Dit is geen zaakkenmerk"),
])
def test_a_kenmerk_that_is_no_case_reference_is_refused(chat: Chat, kenmerk: str, why: str,
                                                        said: str) -> None:
    route = "315" if kenmerk == "Jansen" else "301"
    reply = chat.do(JEROEN, f"verwijs {route} Ede {kenmerk}")
    assert reply.data == {"code": "kenmerk_invalid", "why": why}  # the text is not echoed
    text = chat.refused(JEROEN, f"verwijs {route} Ede {kenmerk}", "kenmerk_invalid")
    assert said in text
    # The refusal says what a kenmerk should look like.
    assert "JBG-2026-00123, 2026/4411 of WSS.12345" in text
    assert "Nothing was stored" in chat.render(reply, "en")
    assert kenmerk not in stored_text(chat)


def test_an_email_address_is_no_kenmerk(chat: Chat) -> None:
    # (verwijs reads a trailing e-mail address as the LT worker: no kenmerk is left)
    assert kenmerk_problem("j.jansen@example.org") == "email"
    chat.refused(CARLA, "escaleer kenmerk j.jansen@example.org Ede dilemma", "kenmerk_invalid")


@pytest.mark.parametrize("kenmerk", ["JBG-2026-00123", "2026/4411", "WSS.12345", "K-1"])
def test_case_references_of_the_gis_start_a_referral(chat: Chat, kenmerk: str) -> None:
    chat.ok(JEROEN, f"verwijs 301 Ede {kenmerk}")
    assert chat.referral().kenmerk == kenmerk


def test_escaleer_kenmerk_follows_the_same_rule(chat: Chat) -> None:
    for kenmerk in ("12-03-2015", "Jansen", "0612345678"):
        chat.refused(CARLA, f"escaleer kenmerk {kenmerk} Ede samenwerking", "kenmerk_invalid")
    with Session(chat.engine) as s:
        assert s.exec(select(ModelEscalation)).all() == []
    chat.ok(CARLA, "escaleer kenmerk JBG-2026-00123 Ede samenwerking")


# -- reasons and reports --------------------------------------------------------


def test_withdrawal_reason_with_a_name_and_birth_date_is_refused(started: Chat) -> None:
    chat = started
    text = chat.refused(JEROEN, "intrekken KB-0001 moeder heet Jansen, geboren 12-03-2015",
                        "personal_data")
    assert "lijkt een datum te bevatten" in text and "niets opgeslagen" in text
    assert chat.referral().status == "open"
    assert "moeder" not in stored_text(chat)  # (Jansen: also a professional in the sample)


@pytest.mark.parametrize(("reason", "kind"), [
    ("bel moeder op 06-12345678", "phone"),
    ("bel +31 6 1234 5678", "phone"),
    ("mail naar moeder@example.com", "email"),
    ("woont Dorpsstraat 12, 6711 AB Ede", "address"),
    ("woont op 6711AB 12", "address"),
    ("kosten naar NL91 ABNA 0417 1643 00", "iban"),
    ("geboren 3 maart 2015", "date"),
    ("gesprek 2026-03-12", "date"),
])
def test_reasons_refuse_personal_data_saying_why(started: Chat, reason: str, kind: str) -> None:
    chat = started
    reply = chat.do(JEROEN, f"intrekken KB-0001 {reason}")
    assert reply.data == {"code": "personal_data", "field": "reden", "kind": kind}
    chat.refused(JEROEN, f"intrekken KB-0001 {reason}", "personal_data")
    en = chat.render(reply, "en")
    assert en.startswith("The reason seems to contain") and "nothing was stored" in en


@pytest.mark.parametrize("reason", [
    "geen plek binnen 8 weken", "wachtlijst van 12 weken", "in 2026 en 2027 vol",
    "zie JBG-2026-00123", "gesprek op 12 maart", "3 werkdagen over de termijn",
])
def test_ordinary_reasons_pass(reason: str) -> None:
    assert personal_data(reason) is None


def test_escalation_report_and_family_reason_refuse_personal_data(chat: Chat) -> None:
    chat.ok(JEROEN, "verwijs 301 Ede K-1")
    chat.ok(JEROEN, "escaleer KB-0001 samenwerking")
    chat.refused(JEROEN, "verslag ES-0001 moeder bereikbaar op 0318-123456", "personal_data")
    chat.refused(JEROEN, "gezin ES-0001 later vader woont 6711 AB 3", "personal_data")
    chat.ok(JEROEN, "gezin ES-0001 later moeder is opgenomen")
    assert "0318" not in stored_text(chat) and "6711" not in stored_text(chat)


# -- afwijzing: a fixed choice first --------------------------------------------


def test_afwijzing_takes_a_fixed_choice_and_a_short_toelichting(started: Chat) -> None:
    chat = started
    to_start(chat)
    chat.ok(JEROEN, f"aanbieder KB-0001 {WILGENHOF}")
    text = chat.refused(SASKIA, "afwijzing KB-0001 moeder wil niet", "afwijzing_reason")
    assert "geen plek" in text and "wachtlijst" in text and "past niet" in text \
        and "anders" in text
    chat.refused(SASKIA, "afwijzing KB-0001 anders " + "x" * 81, "field_too_long")
    chat.refused(SASKIA, "afwijzing KB-0001 anders bel 06-12345678", "personal_data")
    chat.ok(SASKIA, "afwijzing KB-0001 Past niet  zwaardere zorg nodig")
    action, _, _, detail = chat.events()[-2]
    assert action == "afwijzing"
    assert detail == {"reden": "past niet", "toelichting": "zwaardere zorg nodig",
                      "number": "4"}
    assert [o.template for o in chat.notices_to(BACKOFFICE)][-1:] == ["afwijzing"]


def test_afwijzing_in_english_and_without_a_reason(started: Chat) -> None:
    chat = started
    to_start(chat)
    chat.ok(JEROEN, f"aanbieder KB-0001 {WILGENHOF}")
    chat.ok(SASKIA, "afwijzing KB-0001 waiting list", "en")
    assert chat.events()[-2][3] == {"reden": "wachtlijst", "number": "4"}
    assert BRAM  # the LT worker is told either way (see test_referrals)


# -- the directory import is unaffected ------------------------------------------


def test_the_sample_directory_still_imports(chat: Chat) -> None:
    """The `chat` fixture imported the shipped sample: every phone number and
    name in it passes the wider BSN guard."""
    assert chat.person(JEROEN).phone


# -- Hypothesis ---------------------------------------------------------------------


@st.composite
def bsns(draw: st.DrawFn) -> str:
    digits = draw(st.lists(st.integers(0, 9), min_size=8, max_size=8))
    check = sum(d * w for d, w in zip(digits, range(9, 1, -1), strict=True)) % 11
    assume(check != 10 and (digits, check) != ([0] * 8, 0))
    return "".join(map(str, digits)) + str(check)


# Anything that is neither a letter, nor a digit, nor the + of a phone number
# (also once NFKC has read it: "℀" is "a/c", "⑴" is "(1)").
separators = st.text(st.characters(exclude_categories=("L", "N", "Cs", "Co", "Cn"),
                                   exclude_characters="+"), min_size=1, max_size=3).filter(
    lambda s: not any(c.isalnum() or c == "+" for c in unicodedata.normalize("NFKC", s)))


@st.composite
def notations(draw: st.DrawFn) -> str:
    bsn = draw(bsns())
    cuts = sorted(draw(st.sets(st.integers(1, 8), max_size=8)))
    groups = [bsn[a:b] for a, b in zip([0, *cuts], [*cuts, 9], strict=True)]
    seps = [draw(separators) for _ in groups[1:]]
    # The one shape read as a case number (a year, one mark, five digits) is
    # not how anyone writes a BSN; see storage.privacy.
    assume(not (len(groups) == 2 and len(groups[0]) == 4 and groups[0][:2] in ("19", "20")
                and seps[0] in ("-", "/", ".", "_")))
    written = groups[0] + "".join(s + g for s, g in zip(seps, groups[1:], strict=True))
    before = draw(st.sampled_from(["", "bsn ", "Jan ", "kind: ", "(", "verwijs 301 Ede "]))
    after = draw(st.sampled_from(["", " graag", ")", ".", " bellen"]))
    return before + written + after


@given(notations())
def test_generated_bsns_in_generated_notations_are_all_refused(text: str) -> None:
    assert contains_bsn(text), repr(text)


letters = st.text(st.sampled_from("ABCDEFGHJKLMNPRSTUVWXYZ"), min_size=2, max_size=4)


@st.composite
def case_references(draw: st.DrawFn) -> str:
    year = str(draw(st.integers(2000, 2099)))
    number = draw(st.integers(0, 99999))
    form = draw(st.sampled_from(["prefix-year-number", "year/number", "prefix.number",
                                 "prefix-number", "prefix/year/number"]))
    if form == "prefix-year-number":
        return f"{draw(letters)}-{year}-{number:0{draw(st.integers(3, 6))}d}"
    if form == "year/number":
        return f"{year}/{number:0{draw(st.integers(3, 5))}d}"
    if form == "prefix.number":
        return f"{draw(letters)}.{number:0{draw(st.integers(4, 6))}d}"
    if form == "prefix-number":
        return f"{draw(letters)}-{draw(st.integers(1, 9999999))}"
    return f"{draw(letters)}/{year}/{number:0{draw(st.integers(3, 6))}d}"


@given(case_references())
def test_generated_case_references_are_all_accepted(kenmerk: str) -> None:
    assert kenmerk_problem(kenmerk) is None, kenmerk
    assert not contains_bsn(f"verwijs 301 Ede {kenmerk}"), kenmerk
