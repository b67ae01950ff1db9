"""Contactbeheer (Bouwsteen 2, stap 1): who keeps each region's directory current.

- `Steunstructuur`: per jeugdhulpregio the responsible organisation, the agreed
  update frequency and how many werkdagen people get to answer a freshness round.
- `Contactbeheerder`: the people of that steunstructuur (they get the round's list).
- `DirectoryChange`: the audit trail of every change to a person's entry, by
  chat or by import. The subject is kept as text (e-mail, team key), so the
  history outlives the entry it describes.
- `FreshnessRound` / `FreshnessAsk`: one round per region and period, claimed by
  a unique key so two workers never run it twice; who was asked in it.
- `KoppelProposal`: a proposed koppelgenoot, waiting for the other to confirm.
- `TafelNeighbour`: which neighbouring Jeugdbeschermingstafel may take a
  tafel's families when it is full (Bouwsteen 4; the directory file's
  `neighbours:` on an organisation of kind jbt).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.tables import _ts

DEFAULT_FREQUENCY_DAYS = 90
DEFAULT_ANSWER_WERKDAGEN = 5


class Steunstructuur(SQLModel, table=True):
    region_id: int = Field(foreign_key="region.id", primary_key=True)
    responsible: str = Field(max_length=200)  # "Veilig Thuis Noord- en Oost-Gelderland"
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    frequency_days: int = DEFAULT_FREQUENCY_DAYS
    answer_werkdagen: int = DEFAULT_ANSWER_WERKDAGEN
    # The first round's day; then one every `frequency_days`. None: from the start.
    first_round: date | None = None


class Contactbeheerder(SQLModel, table=True):
    region_id: int = Field(foreign_key="region.id", primary_key=True)
    person_id: int = Field(foreign_key="person.id", primary_key=True, index=True)


class DirectoryChange(SQLModel, table=True):
    __tablename__ = "directory_change"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts(nullable=False, index=True)
    actor_id: int | None = Field(default=None, foreign_key="person.id")
    actor: str = Field(max_length=254)  # e-mail, or "import <file>"
    platform: str = Field(max_length=16)  # slack|telegram|console|web|import
    action: str = Field(max_length=32)
    subject: str = Field(max_length=254, index=True)  # the person's e-mail
    team: str | None = Field(default=None, max_length=64, index=True)  # team key at the time
    # {field: [old, new]} for changed fields, or other particulars.
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class FreshnessRound(SQLModel, table=True):
    __tablename__ = "freshness_round"
    __table_args__ = (UniqueConstraint("region_id", "period_start"),)
    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="region.id", index=True)
    period_start: date  # the first day of the period this round belongs to
    started_at: datetime = _ts(nullable=False)
    report_at: datetime = _ts(nullable=False)
    reported_at: datetime | None = _ts()


class FreshnessAsk(SQLModel, table=True):
    __tablename__ = "freshness_ask"
    round_id: int = Field(foreign_key="freshness_round.id", primary_key=True)
    person_id: int = Field(foreign_key="person.id", primary_key=True, index=True)
    asked_at: datetime = _ts(nullable=False)


class KoppelProposal(SQLModel, table=True):
    __tablename__ = "koppel_proposal"
    id: int | None = Field(default=None, primary_key=True)
    from_id: int = Field(foreign_key="person.id", index=True)
    to_id: int = Field(foreign_key="person.id", index=True)
    created_at: datetime = _ts(nullable=False)
    status: str = Field(default="open", max_length=16)  # open|accepted|declined


class TafelNeighbour(SQLModel, table=True):
    """One tafel (an organisation of kind jbt) naming a neighbour that may take over."""

    __tablename__ = "tafel_neighbour"
    organisation_id: int = Field(foreign_key="organisation.id", primary_key=True)
    neighbour_id: int = Field(foreign_key="organisation.id", primary_key=True, index=True)
