"""Retention: the clock moves over each term, and table by table no personal
data outlives it, while the audit trail (who did what, when) stays."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlmodel import Session, col, select

from bot.app import choose_sender
from handlers.accounts.linking import new_code
from handlers.overview.sign_in import new_link_token
from scheduling.delivery.contract import Outgoing, Sender
from scheduling.delivery.dispatch import dispatch
from storage import inbox, throttle
from storage.contact_tables import DirectoryChange
from storage.db import session_scope
from storage.outbox import CREDENTIAL_REPLY, STRANGER_REPLY, enqueue_reply
from storage.retention import Terms, run_retention
from storage.tables import (
    LinkCode,
    ModelEscalation,
    ModelEscalationEvent,
    ModelEscalationFamily,
    Outbox,
    Referral,
    ReferralEvent,
    Throttle,
)
from storage.web_tables import WebAccess, WebLogin
from tests.test_referrals import CARLA, JEROEN, Chat
from tests.test_referrals import chat as chat  # noqa: F401  (fixture)


class Accepts:
    """A platform that takes every message."""

    platform = "console"

    def deliver(self, message: Outgoing) -> None:
        pass


def deliver_all(chat: Chat) -> None:
    senders: list[Sender] = [Accepts()]
    dispatch(chat.engine, chat.clock(), senders, choose_sender(senders))


def everything(chat: Chat) -> str:
    """Every table that could hold text from or about a person, as one string."""
    with Session(chat.engine) as s:
        return json.dumps([
            [(o.payload, o.last_error) for o in s.exec(select(Outbox))],
            [(r.kenmerk,) for r in s.exec(select(Referral))],
            [e.detail for e in s.exec(select(ReferralEvent))],
            [(m.kenmerk, m.family_reason) for m in s.exec(select(ModelEscalation))],
            [e.detail for e in s.exec(select(ModelEscalationEvent))],
            [c.detail for c in s.exec(select(DirectoryChange))],
            [f.reason for f in s.exec(select(ModelEscalationFamily))],
            [t.key_hash for t in s.exec(select(Throttle))],
        ], ensure_ascii=False)


def audit(chat: Chat) -> list[tuple[object, ...]]:
    with Session(chat.engine) as s:
        return ([(e.referral_id, e.at, e.actor_id, e.action, e.step)
                 for e in s.exec(select(ReferralEvent).order_by(col(ReferralEvent.id)))]
                + [(e.escalation_id, e.at, e.actor_id, e.action)
                   for e in s.exec(select(ModelEscalationEvent)
                                   .order_by(col(ModelEscalationEvent.id)))]
                + [(o.id, o.status, o.created_at, o.sent_at)
                   for o in s.exec(select(Outbox).order_by(col(Outbox.id)))])


def test_credentials_and_strangers_answers_are_purged_at_delivery(chat: Chat) -> None:
    now = chat.clock()
    with session_scope(chat.engine) as s:
        enqueue_reply(s, platform="telegram", chat_id="555001", text="https://x/login/SECRET",
                      now=now, hold_until=now, purge=CREDENTIAL_REPLY)
        enqueue_reply(s, platform="telegram", chat_id="555002", text="Koppel eerst",
                      now=now, hold_until=now, purge=STRANGER_REPLY)
        enqueue_reply(s, platform="telegram", chat_id="555003", text="Ede: Bram",
                      now=now, hold_until=now)
    deliver_all(chat)
    with Session(chat.engine) as s:
        rows = {o.template: o for o in s.exec(select(Outbox))}
    assert rows[CREDENTIAL_REPLY].payload == {} and rows[CREDENTIAL_REPLY].status == "sent"
    assert rows[STRANGER_REPLY].payload == {} and rows[STRANGER_REPLY].purged_at is not None
    assert rows["reply"].payload["chat_id"] == "555003"  # an ordinary answer: 7 days
    assert "SECRET" not in everything(chat) and "555002" not in everything(chat)
    chat.clock.set(now + timedelta(days=8))
    run_retention(chat.engine, chat.clock())
    assert "555003" not in everything(chat)


def test_every_term_table_by_table(chat: Chat) -> None:
    start = chat.clock()
    jeroen, carla = chat.person(JEROEN), chat.person(CARLA)
    assert jeroen.id and carla.id
    # A referral, withdrawn with a reason; an escalation with a family reason and a report.
    chat.ok(JEROEN, "verwijs 301 Ede JBG-2026-00123")
    chat.ok(JEROEN, "intrekken KB-0001 dubbel aangemeld door collega")
    chat.ok(CARLA, "escaleer kenmerk LT-77 Ede samenwerking")
    chat.ok(CARLA, "gezin ES-0001 later moeder is opgenomen")
    chat.ok(CARLA, "verslag ES-0001 wachtlijst doorbroken, plek gevonden")
    chat.ok(CARLA, "sluit ES-0001 afspraken gemaakt")  # a leidinggevende closes it
    chat.ok(JEROEN, "ik telefoon +31 6 0000 9999")  # a directory change with old/new values
    throttle.hit(chat.engine, "link:telegram:777123", start, 5, timedelta(minutes=15))
    new_code(chat.engine, jeroen.id, start)
    new_link_token(chat.engine, jeroen.id, start)
    with session_scope(chat.engine) as s:
        s.add(WebAccess(person_id=carla.id, at=start, path="/overzicht/", status=200))
    deliver_all(chat)
    trail = audit(chat)
    for personal in ("dubbel aangemeld", "JBG-2026-00123", "LT-77", "moeder is opgenomen",
                     "wachtlijst doorbroken", "afspraken gemaakt", "0000 9999"):
        assert personal in everything(chat), personal

    # A Telegram update no process got to handle (no worker with Telegram).
    inbox.store(chat.engine, "telegram", [("9001", '{"text": "/wie Ede", "first_name": "X"}')],
                start)

    # A day on: the (hashed) throttle of the stranger's wrong code is gone, and
    # the unhandled update with the sender's name.
    with Session(chat.engine) as s:
        assert len(s.exec(select(Throttle)).all()) == 1
    chat.clock.set(start + timedelta(hours=23))
    run_retention(chat.engine, chat.clock())
    assert inbox.waiting(chat.engine, "telegram") == 1
    chat.clock.set(start + timedelta(days=2))
    run_retention(chat.engine, chat.clock())
    with Session(chat.engine) as s:
        assert s.exec(select(Throttle)).all() == []
    assert inbox.waiting(chat.engine, "telegram") == 0
    assert "JBG-2026-00123" in everything(chat)

    # Past the outbox term: every delivered message's payload is empty; codes and tokens gone.
    chat.clock.set(start + timedelta(days=10))
    dry = run_retention(chat.engine, chat.clock(), dry_run=True)
    assert dry.counts["outbox (delivered)"] > 0
    assert audit(chat) == trail  # a dry run changes nothing
    run_retention(chat.engine, chat.clock())
    with Session(chat.engine) as s:
        assert all(o.payload == {} and o.purged_at is not None
                   for o in s.exec(select(Outbox)) if o.status != "pending")
        assert s.exec(select(LinkCode)).all() == [] and s.exec(select(WebLogin)).all() == []
        assert len(s.exec(select(WebAccess)).all()) == 1  # the access log: the long term
    assert "JBG-2026-00123" in everything(chat)  # closed, but not yet a year

    # Past the retention term: the closed cases are anonymised, the audit trail stays.
    chat.clock.set(start + timedelta(days=366))
    report = run_retention(chat.engine, chat.clock(), Terms())
    assert report.counts["referral (anonymised)"] == 1
    assert report.counts["model_escalation (anonymised)"] == 1
    text = everything(chat)
    for personal in ("dubbel aangemeld", "JBG-2026-00123", "LT-77", "moeder is opgenomen",
                     "wachtlijst doorbroken", "afspraken gemaakt", "0000 9999"):
        assert personal not in text, personal
    after = audit(chat)
    # Who did what, when: every history row is still there, unchanged but for payloads.
    assert [row[:4] for row in after] == [row[:4] for row in trail]
    with Session(chat.engine) as s:
        assert s.exec(select(WebAccess)).all() == []
        ref = s.exec(select(Referral)).one()
        assert (ref.ref, ref.status, ref.kenmerk) == ("KB-0001", "withdrawn", "")
        assert ref.anonymised_at is not None
        esc = s.exec(select(ModelEscalation)).one()
        assert (esc.family_informed, esc.situation, esc.status) == ("later", "samenwerking",
                                                                   "closed")
        change = s.exec(select(DirectoryChange).where(DirectoryChange.subject == JEROEN)
                        .order_by(col(DirectoryChange.id).desc())).first()
        assert change is not None and change.detail == {"phone": None}  # which field, not what
    # The second run finds nothing left to do.
    assert run_retention(chat.engine, chat.clock()).total == 0


def test_a_region_keeps_its_closed_cases_for_its_own_term(chat: Chat, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from storage.directory.importer import import_doc
    from storage.directory.read import load
    from storage.models import Region
    from storage.retention import region_terms
    from tests.conftest import SAMPLE
    from tests.test_referrals import OLGA

    # Food Valley agrees two years in its directory file; the Achterhoek keeps the default.
    own = SAMPLE.read_text(encoding="utf-8").replace(
        "- code: food-valley\n  name: Food Valley\n",
        "- code: food-valley\n  name: Food Valley\n  retention_days: 730\n")
    assert "retention_days: 730" in own
    path = tmp_path / "gelderland.yaml"
    path.write_text(own, encoding="utf-8")
    with session_scope(chat.engine) as s:
        assert import_doc(load(path), s).ok
    assert region_terms(chat.engine, 365)["Food Valley"] == 730
    assert region_terms(chat.engine, 365)["Achterhoek"] == 365
    start = chat.clock()
    chat.ok(JEROEN, "verwijs 301 Ede JBG-2026-00123")  # Food Valley
    chat.ok(OLGA, "verwijs 301 Doetinchem JBG-2026-00456")  # Achterhoek
    chat.ok(JEROEN, "intrekken KB-0001 dubbel")
    chat.ok(OLGA, "intrekken KB-0002 dubbel")
    chat.ok(CARLA, "escaleer kenmerk LT-77 Ede samenwerking")
    chat.ok(CARLA, "sluit ES-0001 afspraken gemaakt")

    chat.clock.set(start + timedelta(days=366))
    report = run_retention(chat.engine, chat.clock())
    assert report.counts["referral (anonymised)"] == 1
    assert "model_escalation (anonymised)" not in report.counts
    text = everything(chat)
    assert "JBG-2026-00456" not in text  # the Achterhoek's year is up
    assert "JBG-2026-00123" in text and "LT-77" in text  # Food Valley's two years are not

    chat.clock.set(start + timedelta(days=731))
    report = run_retention(chat.engine, chat.clock())
    assert (report.counts["referral (anonymised)"],
            report.counts["model_escalation (anonymised)"]) == (1, 1)
    assert "JBG-2026-00123" not in everything(chat) and "LT-77" not in everything(chat)

    # A file without the field leaves the term alone; one with another term changes it.
    with session_scope(chat.engine) as s:
        assert import_doc(load(SAMPLE), s).ok
    assert region_terms(chat.engine, 365)["Food Valley"] == 730
    path.write_text(own.replace("retention_days: 730", "retention_days: 400"), encoding="utf-8")
    with session_scope(chat.engine) as s:
        assert import_doc(load(path), s).ok
        assert {r.name: r.retention_days for r in s.exec(select(Region))
                if r.retention_days} == {"Food Valley": 400}


def test_a_region_term_in_the_directory_file_is_checked(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from storage.directory.read import load
    from tests.conftest import SAMPLE

    for bad in ("0", "36500", "een jaar", "true"):
        path = tmp_path / "bad.yaml"
        path.write_text(SAMPLE.read_text(encoding="utf-8").replace(
            "  name: Food Valley\n", f"  name: Food Valley\n  retention_days: {bad}\n"),
            encoding="utf-8")
        [problem] = load(path).problems
        assert problem.field == "retention_days", bad
        assert "verwacht een getal van 1 tot 3650" in problem.message, bad


def test_retention_terms_come_from_the_settings(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from bot.config import Settings

    monkeypatch.setenv("KETENBOT_OUTBOX_KEEP_DAYS", "3")
    monkeypatch.setenv("KETENBOT_RETENTION_DAYS", "730")
    assert Settings().retention_terms() == Terms(outbox_keep_days=3, retention_days=730)
    monkeypatch.setenv("KETENBOT_RETENTION_DAYS", "0")
    import pydantic
    try:
        Settings()
    except pydantic.ValidationError as exc:
        assert "retention_days" in str(exc)
    else:
        raise AssertionError("a retention term of 0 days is refused")


def test_the_worker_schedules_retention_nightly() -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from scheduling.retention_job import retention_trigger

    ams = ZoneInfo("Europe/Amsterdam")
    fire = retention_trigger().get_next_fire_time(None, datetime(2026, 12, 4, 12, 0, tzinfo=ams))
    assert fire == datetime(2026, 12, 5, 3, 15, tzinfo=ams)
