"""Retention (AVG, data minimisation): what the bot keeps, and for how long.

`run_retention` is the whole rule, table by table; the worker runs it daily
(`scheduling.retention_job`), `ketenbot retention run [--dry-run]` by hand.
What it keeps is the audit trail: who did what, when, on which referral or
escalation (ids, actions, steps, timestamps, statuses). What it takes away is
what points at a family or carries a secret: message payloads, kenmerken,
free text, chat ids, link codes and sign-in tokens, access records.

- outbox: a delivered, dropped or dead row's payload after `outbox_keep_days`
  (a credential's or a stranger's answer already at delivery, in the dispatcher);
- referral / model_escalation (closed or withdrawn longer than
  `retention_days`): kenmerk, family reason and the free text of their history
  (reden, toelichting, tekst) are removed; the rest of the history stays, so the
  figures still count them;
- web_access: deleted after `retention_days`;
- web_login, link_code: deleted `outbox_keep_days` after they expired;
- throttle (hashed keys: wrong codes per chat account, answers to strangers):
  deleted a day after their window opened (the longest window is an hour);
- web_session: deleted a day after it was opened (a session lasts 8 hours);
- processed_event: deleted after a week (platforms retry within minutes);
- directory_change: old and new values removed after `retention_days` (who
  changed which field, when, stays);
- koppel_proposal (answered) after `outbox_keep_days`; freshness_ask after
  `retention_days`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, func, or_, update
from sqlmodel import Session, col, select

from storage.contact_tables import DirectoryChange, FreshnessAsk, FreshnessRound, KoppelProposal
from storage.db import write_lock
from storage.outbox import PURGE_ON_DELIVERY
from storage.tables import (
    LinkCode,
    ModelEscalation,
    ModelEscalationEvent,
    ModelEscalationFamily,
    Outbox,
    ProcessedEvent,
    Referral,
    ReferralEvent,
    Throttle,
)
from storage.web_tables import WebAccess, WebLogin, WebSessionRow

DEFAULT_OUTBOX_KEEP_DAYS = 7
# A closed referral's details a year after it closed: long enough for the
# region's yearly evaluation of lead times, no longer. A region sets its own
# with KETENBOT_RETENTION_DAYS.
DEFAULT_RETENTION_DAYS = 365
THROTTLE_KEEP = timedelta(days=1)  # the longest throttle window is an hour
SESSION_KEEP = timedelta(days=1)  # a web session lasts 8 hours at most
PROCESSED_EVENT_KEEP = timedelta(days=7)
# History detail keys that hold free text typed by people.
FREE_TEXT_KEYS = ("reden", "toelichting", "tekst")
ANONYMISED = ""  # the kenmerk of an anonymised referral


@dataclass(frozen=True)
class Terms:
    outbox_keep_days: int = DEFAULT_OUTBOX_KEEP_DAYS
    retention_days: int = DEFAULT_RETENTION_DAYS


@dataclass
class RetentionReport:
    """What went (or, in a dry run, would go), per table: a count of rows."""

    dry_run: bool = False
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, what: str, n: int) -> None:
        self.counts[what] = self.counts.get(what, 0) + n

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def run_retention(engine: Engine, now: datetime, terms: Terms = Terms(), *,
                  dry_run: bool = False) -> RetentionReport:
    """Apply every retention term at `now`, in one transaction (rolled back for
    a dry run, so its counts are exactly what a real run would do)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    report = RetentionReport(dry_run=dry_run)
    keep = now - timedelta(days=terms.outbox_keep_days)
    term = now - timedelta(days=terms.retention_days)
    with write_lock(engine), Session(engine.execution_options(sqlite_begin="IMMEDIATE")) \
            as session:
        transaction = session.begin()
        try:
            _outbox(session, report, now, keep)
            _referrals(session, report, now, term)
            _escalations(session, report, now, term)
            _small_tables(session, report, now, keep, term)
            _directory_changes(session, report, term)
        except BaseException:
            transaction.rollback()
            raise
        if dry_run:
            transaction.rollback()
        else:
            transaction.commit()
    return report


def _rows(session: Session, stmt: Any) -> int:
    return int(session.connection().execute(stmt).rowcount or 0)


def _outbox(session: Session, report: RetentionReport, now: datetime, keep: datetime) -> None:
    done = (col(Outbox.status) != "pending") & col(Outbox.purged_at).is_(None)
    # A safety net behind the dispatcher: credentials and strangers' answers at once.
    report.add("outbox (credential or stranger, delivered)", _rows(session, update(Outbox).where(
        done, col(Outbox.template).in_(PURGE_ON_DELIVERY)).values(payload={}, purged_at=now)))
    report.add("outbox (delivered)", _rows(session, update(Outbox).where(
        done, func.coalesce(col(Outbox.sent_at), col(Outbox.created_at)) < keep)
        .values(payload={}, purged_at=now)))


def _strip(detail: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in detail.items() if k not in FREE_TEXT_KEYS}


def _referrals(session: Session, report: RetentionReport, now: datetime, term: datetime) -> None:
    ids = list(session.exec(select(Referral.id).where(
        col(Referral.status).in_(("closed", "withdrawn")), col(Referral.closed_at) < term,
        col(Referral.anonymised_at).is_(None))).all())
    if not ids:
        return
    report.add("referral (anonymised)", _rows(session, update(Referral).where(
        col(Referral.id).in_(ids)).values(kenmerk=ANONYMISED, anonymised_at=now)))
    for event in session.exec(select(ReferralEvent).where(col(ReferralEvent.referral_id).in_(ids))):
        if any(k in event.detail for k in FREE_TEXT_KEYS):
            event.detail = _strip(event.detail)
            session.add(event)
            report.add("referral_event (free text)", 1)
    # Whatever of theirs is still in the outbox: nothing more is to go out.
    session.connection().execute(update(Outbox).where(
        col(Outbox.referral_id).in_(ids), col(Outbox.status) == "pending")
        .values(status="dropped"))
    report.add("outbox (closed referral)", _rows(session, update(Outbox).where(
        col(Outbox.referral_id).in_(ids), col(Outbox.purged_at).is_(None))
        .values(payload={}, purged_at=now)))
    session.flush()


def _escalations(session: Session, report: RetentionReport, now: datetime,
                 term: datetime) -> None:
    # Closed longer than the term, or about a referral anonymised just now or before.
    anonymised = select(Referral.id).where(col(Referral.anonymised_at).is_not(None))
    escalations = session.exec(select(ModelEscalation).where(
        col(ModelEscalation.anonymised_at).is_(None),
        or_((col(ModelEscalation.status) == "closed") & (col(ModelEscalation.closed_at) < term),
            col(ModelEscalation.referral_id).in_(anonymised)))).all()
    for esc in escalations:
        esc.kenmerk, esc.family_reason, esc.anonymised_at = None, None, now
        session.add(esc)
        report.add("model_escalation (anonymised)", 1)
        report.add("model_escalation_family (reason)", _rows(session, update(
            ModelEscalationFamily).where(col(ModelEscalationFamily.escalation_id) == esc.id,
                                         col(ModelEscalationFamily.reason).is_not(None))
            .values(reason=None)))
        for event in session.exec(select(ModelEscalationEvent).where(
                ModelEscalationEvent.escalation_id == esc.id)):
            if any(k in event.detail for k in FREE_TEXT_KEYS):
                event.detail = _strip(event.detail)
                session.add(event)
                report.add("model_escalation_event (free text)", 1)
    session.flush()


def _small_tables(session: Session, report: RetentionReport, now: datetime, keep: datetime,
                  term: datetime) -> None:
    report.add("web_access", _rows(session, delete(WebAccess).where(col(WebAccess.at) < term)))
    report.add("web_login", _rows(session, delete(WebLogin).where(
        col(WebLogin.expires_at) < keep)))
    report.add("link_code", _rows(session, delete(LinkCode).where(
        col(LinkCode.expires_at) < keep)))
    report.add("throttle", _rows(session, delete(Throttle).where(
        col(Throttle.window_start) < now - THROTTLE_KEEP)))
    report.add("web_session", _rows(session, delete(WebSessionRow).where(
        col(WebSessionRow.created_at) < now - SESSION_KEEP)))
    report.add("processed_event", _rows(session, delete(ProcessedEvent).where(
        col(ProcessedEvent.received_at) < now - PROCESSED_EVENT_KEEP)))
    report.add("koppel_proposal", _rows(session, delete(KoppelProposal).where(
        col(KoppelProposal.status) != "open", col(KoppelProposal.created_at) < keep)))
    old_rounds = select(FreshnessRound.id).where(col(FreshnessRound.started_at) < term)
    report.add("freshness_ask", _rows(session, delete(FreshnessAsk).where(
        col(FreshnessAsk.round_id).in_(old_rounds))))


def _directory_changes(session: Session, report: RetentionReport, term: datetime) -> None:
    """Old and new values (names, phones) go; who changed which field, when, stays."""
    for change in session.exec(select(DirectoryChange).where(col(DirectoryChange.at) < term)):
        if any(v is not None for v in change.detail.values()):
            change.detail = {k: None for k in change.detail}
            session.add(change)
            report.add("directory_change (values)", 1)
    session.flush()
