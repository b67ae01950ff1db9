"""The directory's audit trail, and imports that respect newer chat edits.

Every change to a person's entry is one `DirectoryChange` row: who, what (the
fields with old and new value), when, and from where (a chat platform or an
import). An import compares each person in the file with the database: where a
field was changed in chat on or after the file's own date (`as_of:`; a file
without one is older than any chat edit) and the file says otherwise, that is a
conflict. Conflicts are reported per row and nothing is written, unless
`prefer` says which side wins ("file" or "chat").

`verified_on` never conflicts: the later confirmation simply stands.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, or_, select

from storage.contact_tables import DirectoryChange
from storage.directory.records import DirectoryDoc
from storage.models import Person, Team

AMS = ZoneInfo("Europe/Amsterdam")
FIELDS = ("name", "role", "team", "phone", "koppelgenoot", "absent_until", "verified_on",
          "preferred_platform", "language")
PREFER = ("file", "chat")


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def record(session: Session, *, at: datetime, actor: Person | None, platform: str,
           action: str, subject: str, team: str | None,
           changes: dict[str, tuple[Any, Any]] | None = None,
           actor_label: str | None = None, **extra: Any) -> None:
    detail: dict[str, Any] = {k: [_plain(a), _plain(b)] for k, (a, b) in (changes or {}).items()}
    session.add(DirectoryChange(
        at=at, actor_id=actor.id if actor else None,
        actor=actor_label or (actor.email if actor else "ketenbot"), platform=platform,
        action=action, subject=subject, team=team, detail=detail | extra))


@dataclass(frozen=True)
class Conflict:
    file: str
    line: int
    email: str
    field: str
    in_file: Any
    in_chat: Any
    changed_at: datetime
    by: str

    def __str__(self) -> str:
        when = self.changed_at.astimezone(AMS).strftime("%Y-%m-%d %H:%M")
        return (f"{self.file}:{self.line}: {self.email}: {self.field}: bestand "
                f"{_plain(self.in_file)!r}, chat {_plain(self.in_chat)!r} "
                f"(gewijzigd {when} door {self.by})")


def _current(session: Session) -> dict[str, dict[str, Any]]:
    people = session.exec(select(Person, Team.key).join(Team, col(Team.id) == Person.team_id)
                          ).all()
    email = {p.id: p.email for p, _ in people}
    return {p.email: {
        "name": p.name, "role": p.role, "team": key, "phone": p.phone,
        "koppelgenoot": email.get(p.koppelgenoot_id) if p.koppelgenoot_id else None,
        "absent_until": p.absent_until, "verified_on": p.verified_on,
        "preferred_platform": p.preferred_platform, "language": p.language,
    } for p, key in people}


def _chat_edits(session: Session, emails: set[str], as_of: date | None
                ) -> dict[tuple[str, str], DirectoryChange]:
    """(email, field) -> the latest chat change of that field on or after `as_of`."""
    stmt = select(DirectoryChange).where(DirectoryChange.platform != "import")
    if as_of is not None:
        start = datetime.combine(as_of, datetime.min.time(), tzinfo=AMS)
        stmt = stmt.where(col(DirectoryChange.at) >= start)
    out: dict[tuple[str, str], DirectoryChange] = {}
    for change in session.exec(stmt.order_by(col(DirectoryChange.at))).all():
        if change.subject in emails:
            for fld in change.detail:
                if fld in FIELDS:
                    out[(change.subject, fld)] = change
    return out


def reconcile(doc: DirectoryDoc, session: Session, prefer: str | None,
              now: datetime | None = None) -> list[Conflict]:
    """Resolve the file against chat edits, audit what the import will change.

    Returns the conflicts when `prefer` is None (then nothing may be written);
    otherwise adjusts the file's records where chat wins, records one audit row
    per created or changed person, and returns [].
    """
    now = now or datetime.now(UTC)
    current = _current(session)
    edits = _chat_edits(session, {p.email for p in doc.people if p.email in current},
                        doc.as_of)
    conflicts: list[Conflict] = []
    for rec in doc.people:
        have = current.get(rec.email)
        if have is None:
            continue
        if have["verified_on"] and (rec.verified_on is None
                                     or rec.verified_on < have["verified_on"]):
            rec.verified_on = have["verified_on"]  # the later confirmation stands
        for fld in FIELDS:
            change = edits.get((rec.email, fld))
            if change is None or getattr(rec, fld) == have[fld] or fld == "verified_on":
                continue
            if prefer == "chat":
                setattr(rec, fld, have[fld])
            elif prefer is None:
                conflicts.append(Conflict(doc.file, rec.at(fld), rec.email, fld,
                                          getattr(rec, fld), have[fld], change.at, change.actor))
    if conflicts:
        return conflicts
    label = f"import {doc.file}"
    for rec in doc.people:
        have = current.get(rec.email)
        if have is None:
            record(session, at=now, actor=None, actor_label=label, platform="import",
                   action="aangemaakt", subject=rec.email, team=rec.team,
                   changes={f: (None, getattr(rec, f)) for f in FIELDS
                            if getattr(rec, f) is not None})
            continue
        changes = {f: (have[f], getattr(rec, f)) for f in FIELDS if getattr(rec, f) != have[f]}
        if changes:
            record(session, at=now, actor=None, actor_label=label, platform="import",
                   action="gewijzigd", subject=rec.email, team=rec.team, changes=changes)
    return []


def history(session: Session, key: str | None = None, limit: int = 500
            ) -> list[DirectoryChange]:
    """The audit trail, oldest first; of one person (e-mail) or one team (key)."""
    stmt = select(DirectoryChange)
    if key:
        k = key.strip().lower()
        stmt = stmt.where(or_(col(DirectoryChange.subject) == k, col(DirectoryChange.team) == k))
    rows = session.exec(stmt.order_by(col(DirectoryChange.at).desc(),
                                      col(DirectoryChange.id).desc()).limit(limit)).all()
    return list(reversed(rows))


def history_rows(session: Session) -> list[dict[str, Any]]:
    """The whole trail for the export, as plain values."""
    return [{"at": c.at.isoformat(), "actor": c.actor, "platform": c.platform,
             "action": c.action, "subject": c.subject, "team": c.team, "detail": c.detail}
            for c in session.exec(select(DirectoryChange).order_by(col(DirectoryChange.id))).all()]
