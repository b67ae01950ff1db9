"""Retention (AVG, data minimisation): what the bot keeps, and for how long.

`run_retention` is the whole rule, table by table; the worker runs it daily
(`scheduling.retention_job`), `ketenbot retention run [--dry-run]` by hand.
What it keeps is the audit trail: who did what, when, on which referral or
escalation (ids, actions, steps, timestamps, statuses). What it takes away is
what points at a family or carries a secret: message payloads, kenmerken,
free text, chat ids, link codes and sign-in tokens, access records.

- outbox: a delivered, dropped or dead row's payload after `outbox_keep_days`
  (a credential's or a stranger's answer already at delivery, in the dispatcher);
- referral / model_escalation (closed or withdrawn longer than their region's
  term, `Region.retention_days` from the directory file, else `retention_days`;
  an escalation without a gemeente takes `retention_days`): kenmerk, family
  reason and the free text of their history (reden, toelichting, tekst) are
  removed; the rest of the history stays, so the figures still count them;
- web_access: deleted after `retention_days`;
- web_login, link_code: deleted `outbox_keep_days` after they expired;
- throttle (hashed keys: wrong codes per chat account, answers to strangers):
  deleted a day after their window opened (the longest window is an hour);
- web_session: deleted a day after it was opened (a session lasts 8 hours);
- processed_event: deleted after a week (platforms retry within minutes);
- inbox (a webhook update and its sender's name, deleted once handled): one
  nothing handled in a day (no worker with Telegram configured) is deleted;
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
from storage.models import Gemeente, Region
from storage.outbox import PURGE_ON_DELIVERY
from storage.tables import (
    InboxUpdate,
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
# region's yearly evaluation of lead times, no longer. KETENBOT_RETENTION_DAYS
# changes the default; a region sets its own in the directory file.
DEFAULT_RETENTION_DAYS = 365
# A region's own term (`retention_days` in the directory file): a day to ten years.
REGION_TERM_RANGE = (1, 3650)
THROTTLE_KEEP = timedelta(days=1)  # the longest throttle window is an hour
SESSION_KEEP = timedelta(days=1)  # a web session lasts 8 hours at most
PROCESSED_EVENT_KEEP = timedelta(days=7)
INBOX_KEEP = timedelta(days=1)  # an answer a day late answers nothing
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
    term = now - timedelta(days=terms.retention_days)  # the tables without a region
    with write_lock(engine), Session(engine.execution_options(sqlite_begin="IMMEDIATE")) \
            as session:
        transaction = session.begin()
        try:
            cases = CaseTerms(session, now, terms.retention_days)
            _outbox(session, report, now, keep)
            _referrals(session, report, now, cases)
            _escalations(session, report, now, cases)
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


class CaseTerms:
    """When a closed case's details go: its region's own term (`Region.retention_days`)
    or the default (KETENBOT_RETENTION_DAYS)."""

    def __init__(self, session: Session, now: datetime, default_days: int) -> None:
        self.now, self.default_days = now, default_days
        own = [d for d in session.exec(select(Region.retention_days)).all() if d]
        # Nothing closed after this can be due under any term: the database's filter.
        self.earliest = now - timedelta(days=min([default_days, *own]))

    def expired(self, closed_at: datetime | None, region_days: int | None) -> bool:
        days = region_days or self.default_days
        return closed_at is not None and closed_at < self.now - timedelta(days=days)


def region_terms(engine: Engine, default_days: int) -> dict[str, int]:
    """Each region's term in days, by region name (for `ketenbot retention run`)."""
    with Session(engine) as session:
        return {name: days or default_days for name, days in session.exec(
            select(Region.name, Region.retention_days).order_by(col(Region.name))).all()}


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


def _referrals(session: Session, report: RetentionReport, now: datetime,
               cases: CaseTerms) -> None:
    due = session.exec(
        select(Referral.id, Referral.closed_at, Region.retention_days)
        .join(Gemeente, col(Gemeente.id) == Referral.gemeente_id)
        .join(Region, col(Region.id) == Gemeente.region_id)
        .where(col(Referral.status).in_(("closed", "withdrawn")),
               col(Referral.closed_at) < cases.earliest,
               col(Referral.anonymised_at).is_(None))).all()
    ids = [rid for rid, closed_at, days in due if cases.expired(closed_at, days)]
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
                 cases: CaseTerms) -> None:
    # Closed longer than the term, or about a referral anonymised just now or before.
    anonymised = select(Referral.id).where(col(Referral.anonymised_at).is_not(None))
    of_anonymised = col(ModelEscalation.referral_id).in_(anonymised)
    candidates = session.exec(
        select(ModelEscalation, Region.retention_days, of_anonymised)
        .outerjoin(Gemeente, col(Gemeente.id) == ModelEscalation.gemeente_id)
        .outerjoin(Region, col(Region.id) == Gemeente.region_id)
        .where(col(ModelEscalation.anonymised_at).is_(None),
               or_((col(ModelEscalation.status) == "closed")
                   & (col(ModelEscalation.closed_at) < cases.earliest),
                   of_anonymised))).all()
    escalations = [esc for esc, days, referral_gone in candidates
                   if referral_gone or (esc.status == "closed"
                                        and cases.expired(esc.closed_at, days))]
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
    report.add("inbox", _rows(session, delete(InboxUpdate).where(
        col(InboxUpdate.received_at) < now - INBOX_KEEP)))
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
