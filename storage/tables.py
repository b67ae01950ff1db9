"""Referrals, their history, their deadlines, and the outbox.

The database is the source of truth for what is due: every deadline is a row
with the next moment the sweep must look at it (`next_check_at`), and every
message to a person is an outbox row with a unique dedupe key, written in the
same transaction as the state change that caused it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Dialect,
    Index,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every database.

    SQLite has no time zones: without this it would store Amsterdam wall-clock
    time and hand back naive values that compare wrongly with aware ones.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware one")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _ts(nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


class Referral(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    ref: str | None = Field(default=None, unique=True, index=True, max_length=16)
    route: str = Field(max_length=8)  # "301" or "315"
    kenmerk: str = Field(max_length=40)  # the case reference: no family data
    gemeente_id: int = Field(foreign_key="gemeente.id")
    status: str = Field(default="open", max_length=16, index=True)  # open|closed|withdrawn
    step: str = Field(max_length=32)
    step_started_at: datetime = _ts(nullable=False)
    jb_id: int = Field(foreign_key="person.id", index=True)
    lt_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    lt_backup_id: int | None = Field(default=None, foreign_key="person.id")
    zorgaanbieder_id: int | None = Field(default=None, foreign_key="organisation.id")
    # The provider's contact person for this referral (named, or the first of
    # the provider to act on it): told instead of everyone who works there.
    zorgaanbieder_contact_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = _ts(nullable=False)
    closed_at: datetime | None = _ts()
    # Set by the retention job: the kenmerk and free text are gone, the history stays.
    anonymised_at: datetime | None = _ts()


class ReferralEvent(SQLModel, table=True):
    """The referral's history: append-only, who did what, when, and where."""

    __tablename__ = "referral_event"
    __table_args__ = (
        # The figures: how often, and when, each step happened (0009).
        Index("ix_referral_event_action", "action", "referral_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    referral_id: int = Field(foreign_key="referral.id", index=True)
    at: datetime = _ts(nullable=False)
    actor_id: int | None = Field(default=None, foreign_key="person.id")  # None: the bot
    platform: str = Field(max_length=16)
    action: str = Field(max_length=32)
    step: str | None = Field(default=None, max_length=32)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Deadline(SQLModel, table=True):
    __table_args__ = (
        # The sweep's only query: pending rows whose next check has come.
        Index("ix_deadline_due", "next_check_at", postgresql_where=text("status = 'pending'"),
              sqlite_where=text("status = 'pending'")),
        # The figures: terms met or lapsed per step (0009).
        Index("ix_deadline_key_status", "key", "status"),
    )
    id: int | None = Field(default=None, primary_key=True)
    referral_id: int = Field(foreign_key="referral.id", index=True)
    key: str = Field(max_length=48)  # "step:contact", "span:2-4", "model:1"
    step: str = Field(max_length=32)
    due_at: datetime = _ts(nullable=False)
    remind_at: datetime | None = _ts()
    next_check_at: datetime | None = _ts()
    status: str = Field(default="pending", max_length=16)  # pending|met|lapsed|cancelled
    tier: int = 0  # escalation tiers already sent
    reminded: bool = False


class Outbox(SQLModel, table=True):
    __table_args__ = (
        Index("ix_outbox_pending", "deliver_after", postgresql_where=text("status = 'pending'"),
              sqlite_where=text("status = 'pending'")),
    )
    id: int | None = Field(default=None, primary_key=True)
    # Unique: the same reminder or escalation can never be queued twice, however
    # many sweepers run or how often one restarts.
    dedupe_key: str = Field(unique=True, max_length=120)
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    referral_id: int | None = Field(default=None, foreign_key="referral.id", index=True)
    kind: str = Field(max_length=24)  # reminder|escalation|notice|thread
    template: str = Field(max_length=48)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = _ts(nullable=False)
    deliver_after: datetime = _ts(nullable=False)
    status: str = Field(default="pending", max_length=16)  # pending|sent|dropped|dead
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=500)
    sent_at: datetime | None = _ts()
    # When the payload (names, phones, text, chat id) was emptied: at delivery
    # for a credential or a stranger's answer, else after KETENBOT_OUTBOX_KEEP_DAYS.
    purged_at: datetime | None = _ts()


class ReferralThread(SQLModel, table=True):
    """Where a referral lives on a platform: its root message (and forum topic)."""

    __tablename__ = "referral_thread"
    __table_args__ = (UniqueConstraint("referral_id", "platform"),)
    id: int | None = Field(default=None, primary_key=True)
    referral_id: int = Field(foreign_key="referral.id", index=True)
    platform: str = Field(max_length=16)
    channel: str = Field(max_length=64)  # Slack channel id, Telegram chat id
    root_id: str = Field(max_length=64)  # Slack ts, Telegram message_id
    topic_id: str | None = Field(default=None, max_length=64)  # Telegram forum topic
    # A digest of what the root shows now: an edit that would change nothing is skipped.
    root_hash: str | None = Field(default=None, max_length=64)


class OutboxDelivery(SQLModel, table=True):
    """A thread line goes to every platform the referral lives on; this records
    which already have it, so a retry never posts it twice on the others.

    `platform` is a platform ("slack": the row is delivered there) or a part of
    a delivery that takes several calls ("slack:line": the thread line is
    posted, only the root's update is left)."""

    __tablename__ = "outbox_delivery"
    outbox_id: int = Field(foreign_key="outbox.id", primary_key=True)
    platform: str = Field(primary_key=True, max_length=16)
    delivered_at: datetime = _ts(nullable=False)


class ProcessedEvent(SQLModel, table=True):
    """Platform events already handled (Slack event_id, Telegram update_id)."""

    __tablename__ = "processed_event"
    platform: str = Field(primary_key=True, max_length=16)
    event_id: str = Field(primary_key=True, max_length=64)
    received_at: datetime = _ts(nullable=False)


class InboxUpdate(SQLModel, table=True):
    """An update a platform delivered that is not handled yet: stored (and
    committed) before the webhook answers, so once the platform has its 200
    the update cannot be lost; deleted as soon as it has been handled.

    `claimed_until`: the process that stored or took it handles it until then;
    afterwards (that process died) any worker may take it. `body` is the
    update as the platform sent it; it lives seconds, not the retention term.
    """

    __tablename__ = "inbox"
    __table_args__ = (UniqueConstraint("platform", "event_id"),)
    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    event_id: str = Field(max_length=64)
    body: str
    received_at: datetime = _ts(nullable=False)
    claimed_until: datetime = _ts(nullable=False, index=True)


class RateLimit(SQLModel, table=True):
    """When the next call may go out, shared by every process of the fleet.

    One row per platform, account (a Slack workspace, a Telegram bot) and
    scope: a Web API method a 429 paused (`chat.postMessage`, `*` for the
    whole bot), or a throttle ahead of the platform's published limits (a
    chat, a channel, the bot as a whole). `paused_until` only ever moves later.
    """

    __tablename__ = "rate_limit"
    platform: str = Field(primary_key=True, max_length=16)
    account: str = Field(primary_key=True, max_length=64)
    scope: str = Field(primary_key=True, max_length=128)
    paused_until: datetime = _ts(nullable=False)


class LinkCode(SQLModel, table=True):
    """One-time code that links a chat account to a directory person."""

    __tablename__ = "link_code"
    code_hash: str = Field(primary_key=True, max_length=64)  # sha256: codes are secrets
    person_id: int = Field(foreign_key="person.id", index=True)
    expires_at: datetime = _ts(nullable=False)
    used_at: datetime | None = _ts()


class Throttle(SQLModel, table=True):
    """Hits per key in a fixed window (storage/throttle.py): wrong link codes per
    chat account, sign-in links per person, answers to unlinked accounts. The key
    is a sha256, so no chat id of a stranger is kept in the clear."""

    key_hash: str = Field(primary_key=True, max_length=64)
    window_start: datetime = _ts(nullable=False)
    hits: int = 0


class ModelEscalation(SQLModel, table=True):
    """A Bouwsteen 6 escalation: separate from the routes, no terms, no automatic tiers.

    It may concern a referral or only a case reference (kenmerk) in a gemeente.
    `tier` is the highest tier people have taken (0: started, none taken yet).
    """

    __tablename__ = "model_escalation"
    id: int | None = Field(default=None, primary_key=True)
    ref: str | None = Field(default=None, unique=True, index=True, max_length=16)  # "ES-0001"
    referral_id: int | None = Field(default=None, foreign_key="referral.id", index=True)
    kenmerk: str | None = Field(default=None, max_length=40)
    gemeente_id: int | None = Field(default=None, foreign_key="gemeente.id", index=True)
    situation: str = Field(max_length=16)  # dilemma|samenwerking|zorgelijk
    tier: int = 0
    status: str = Field(default="open", max_length=16, index=True)  # open|closed
    started_by_id: int = Field(foreign_key="person.id", index=True)
    # The family's position at the latest answer: ja (informed beforehand) |
    # nee | later (told afterwards). Every answer, per tier, with who and when:
    # ModelEscalationFamily.
    family_informed: str | None = Field(default=None, max_length=8)
    family_reason: str | None = Field(default=None, max_length=300)
    created_at: datetime = _ts(nullable=False)
    closed_at: datetime | None = _ts()
    anonymised_at: datetime | None = _ts()  # by the retention job


class ModelEscalationParty(SQLModel, table=True):
    """An organisation involved in an escalation-model case."""

    __tablename__ = "model_escalation_party"
    escalation_id: int = Field(foreign_key="model_escalation.id", primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", primary_key=True)


class ModelEscalationEvent(SQLModel, table=True):
    """The escalation's history: append-only, who did what, when, and where."""

    __tablename__ = "model_escalation_event"
    id: int | None = Field(default=None, primary_key=True)
    escalation_id: int = Field(foreign_key="model_escalation.id", index=True)
    at: datetime = _ts(nullable=False)
    actor_id: int | None = Field(default=None, foreign_key="person.id")
    platform: str = Field(max_length=16)
    action: str = Field(max_length=32)  # gestart|trede|familie|verslag|goedgekeurd|gesloten
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class ModelEscalationFamily(SQLModel, table=True):
    """The family's position as asked at one tier: who answered, when, and why
    not (never family data). One answer per tier, never overwritten: a tier
    brings in new people, and the question is asked again."""

    __tablename__ = "model_escalation_family"
    __table_args__ = (UniqueConstraint("escalation_id", "tier"),)
    id: int | None = Field(default=None, primary_key=True)
    escalation_id: int = Field(foreign_key="model_escalation.id", index=True)
    tier: int
    answer: str = Field(max_length=8)  # ja | nee | later
    reason: str | None = Field(default=None, max_length=300)
    actor_id: int | None = Field(default=None, foreign_key="person.id")
    platform: str = Field(max_length=16)
    at: datetime = _ts(nullable=False)
