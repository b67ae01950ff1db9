"""Tables of the web overview (issue 12): sign-in links, sessions, access log, digest opt-outs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from storage.tables import UTCDateTime


class WebLogin(SQLModel, table=True):
    """A one-time sign-in link: only the sha256 of the token is stored."""

    __tablename__ = "web_login"
    token_hash: str = Field(primary_key=True, max_length=64)
    person_id: int = Field(foreign_key="person.id", index=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class WebSessionRow(SQLModel, table=True):
    """A signed-in browser: the cookie carries a random id, only its sha256 is here.

    Deleting the row ends the session (sign-out, `verwijder`, `ontkoppel`); the
    role and team it was opened under end it too when they change.
    """

    __tablename__ = "web_session"
    id_hash: str = Field(primary_key=True, max_length=64)
    person_id: int = Field(foreign_key="person.id", index=True)
    role: str = Field(max_length=32)
    team_id: int
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    lang: str | None = Field(default=None, max_length=2)


class WebAccess(SQLModel, table=True):
    """Every page view of a signed-in person: who, what, when (and whether it
    was allowed). Requests without a session are one row per route, status and
    minute, with how many there were in `count` (bot/web/tally.py)."""

    __tablename__ = "web_access"
    id: int | None = Field(default=None, primary_key=True)
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    path: str = Field(max_length=200)  # the route's path, never a query string
    referral_id: int | None = Field(default=None, foreign_key="referral.id")
    status: int = 200
    count: int = Field(default=1, sa_column_kwargs={"server_default": "1"})


class DigestOptOut(SQLModel, table=True):
    """People who asked not to get the scheduled digests (`samenvatting uit`)."""

    __tablename__ = "digest_optout"
    person_id: int = Field(foreign_key="person.id", primary_key=True)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
