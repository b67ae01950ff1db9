"""The contact directory: regions, gemeenten, organisations, teams, people.

Natural keys (region code, CBS code, organisation/team key, e-mail) make the
directory import idempotent: a row is found by its key and updated in place.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, Session, SQLModel


class OrgKind(StrEnum):
    GI = "gi"
    LOKAAL_TEAM = "lokaal_team"
    VEILIG_THUIS = "veilig_thuis"
    RAAD = "raad"
    ZORGAANBIEDER = "zorgaanbieder"
    RET = "ret"
    BACKOFFICE = "backoffice"
    REGIO = "regio"  # the region's own office: regionale contactpersoon, contactbeheer
    # The gemeente's own people: wethouder (bestuur) and the ambtelijke laag
    # (Bouwsteen 6, tier 3).
    GEMEENTE = "gemeente"
    # A region's Jeugdbeschermingstafel (Bouwsteen 4): its voorzitter(s), employed
    # by the gemeenten and independent of every youth-care organisation.
    JBT = "jbt"


class Role(StrEnum):
    MEDEWERKER = "medewerker"  # in a GI team this is the jeugdbeschermer
    TEAMLEIDER = "teamleider"
    REGIONALE_CONTACTPERSOON = "regionale_contactpersoon"
    GEDRAGSWETENSCHAPPER = "gedragswetenschapper"
    BACKOFFICE = "backoffice"
    CONTACTBEHEERDER = "contactbeheerder"
    # Bouwsteen 6: leidinggevenden (tier 2) are teamleider, manager, directeur;
    # tier 3 brings in bestuurders of organisations and wethouders of the
    # gemeente, with the ambtelijke laag (beleidsmedewerker) and, where the
    # region has them, regional advisers or chairs as mediators.
    MANAGER = "manager"
    DIRECTEUR = "directeur"
    BESTUURDER = "bestuurder"
    WETHOUDER = "wethouder"
    BELEIDSMEDEWERKER = "beleidsmedewerker"
    REGIONAAL_ADVISEUR = "regionaal_adviseur"
    # Bouwsteen 4: the tafel's voorzitter, and per gemeente the voorzitter's
    # eerste aanspreekpersoon (told when the tafel cannot be held within two weeks).
    JBT_VOORZITTER = "jbt_voorzitter"
    JBT_AANSPREEKPERSOON = "jbt_aanspreekpersoon"


class Region(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True, max_length=64)
    name: str = Field(max_length=200)
    # Days a closed referral or escalation of this region keeps its details;
    # None: KETENBOT_RETENTION_DAYS. Set in the directory file (`retention_days`).
    retention_days: int | None = None


class Gemeente(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    cbs_code: str = Field(unique=True, index=True, max_length=6)  # "GM0228"
    name: str = Field(max_length=200)
    region_id: int = Field(foreign_key="region.id", index=True)


class GemeenteKey(SQLModel, table=True):
    """Normalised search keys (name, aliases, code) pointing at a gemeente."""

    __tablename__ = "gemeente_key"
    # (key, gemeente) is the key: one alias may point at two gemeenten, which
    # makes a lookup ambiguous instead of silently picking one.
    key: str = Field(primary_key=True, max_length=200)
    gemeente_id: int = Field(foreign_key="gemeente.id", primary_key=True, index=True)
    is_alias: bool = False


class Organisation(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, index=True, max_length=64)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=32)
    region_id: int | None = Field(default=None, foreign_key="region.id")


class Team(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, index=True, max_length=64)
    name: str = Field(max_length=200)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    # Where this team's referral threads are posted, per platform ("C0123", "-100…",
    # a Teams channel's id "19:…@thread.tacv2").
    slack_channel: str | None = Field(default=None, max_length=64)
    telegram_chat: str | None = Field(default=None, max_length=64)
    teams_channel: str | None = Field(default=None, max_length=128)


class TeamGemeente(SQLModel, table=True):
    __tablename__ = "team_gemeente"
    team_id: int = Field(foreign_key="team.id", primary_key=True)
    gemeente_id: int = Field(foreign_key="gemeente.id", primary_key=True, index=True)


# Where `verwijder` puts a person: a team that serves no gemeente. Nobody in it
# is active: no chat link, no web session, no linking by e-mail.
ARCHIVE_TEAM = "uit-dienst"


class Person(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, index=True, max_length=254)
    name: str = Field(max_length=200)
    role: str = Field(max_length=32)
    team_id: int = Field(foreign_key="team.id", index=True)
    phone: str | None = Field(default=None, max_length=32)
    koppelgenoot_id: int | None = Field(default=None, foreign_key="person.id")
    absent_until: date | None = None
    verified_on: date | None = None
    preferred_platform: str | None = Field(default=None, max_length=16)
    language: str | None = Field(default=None, max_length=2)


class ChatIdentity(SQLModel, table=True):
    __tablename__ = "chat_identity"
    # One person per account, and at most one account per person per platform
    # (a new link replaces the old one: handlers/accounts/linking.py).
    __table_args__ = (UniqueConstraint("platform", "external_id"),
                      UniqueConstraint("person_id", "platform",
                                       name="uq_chat_identity_person_id_platform"))
    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    external_id: str = Field(max_length=64)
    person_id: int = Field(foreign_key="person.id", index=True)
    # Where the platform lets the bot write to this account first (Teams: the
    # personal chat's service URL and conversation id, from the person's last
    # message or the app's installation); None where the account id is enough.
    # Goes with the account when it is unlinked.
    address: dict[str, Any] | None = Field(default=None,
                                           sa_column=Column(JSON, nullable=True))


class DirectoryVersion(SQLModel, table=True):
    """Bumped by every import that changes the directory, so processes that
    keep the directory in memory know when to read it again."""

    __tablename__ = "directory_version"
    id: int = Field(default=1, primary_key=True)
    n: int = 0


def is_active(session: Session, person: Person) -> bool:
    """In the directory and not removed (`verwijder` moves people to the archive team)."""
    team = session.get(Team, person.team_id)
    return team is not None and team.key != ARCHIVE_TEAM


def still_active(session: Session, person_id: int) -> bool:
    """`is_active` as the database has it now (the caller's copy may be older)."""
    person = session.get(Person, person_id)
    return person is not None and is_active(session, person)
