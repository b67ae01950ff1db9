"""Rate limits shared by every process of the fleet, kept in the database.

Two things, one table (`storage.tables.RateLimit`):

* **Pauses.** When a platform answers 429 with Retry-After, the sender records
  a pause for that account and method (upsert, keeping the later end). Every
  process's gate reads it, so N workers and web processes take one 429, not N:
  nobody calls a paused method until the pause has passed.
* **Throttles** ahead of any 429, at the platforms' published limits: before a
  call, the sender takes a slot for each limit the call counts against (the
  bot as a whole, the chat or channel). A slot is the row's `paused_until`
  pushed one spacing ahead; taking all of a call's slots is one transaction
  (all or nothing), so two processes never both get the same one.

python-telegram-bot's AIORateLimiter and slack_sdk's RateLimitErrorRetryHandler
do this within one process, by sleeping: they cannot see the other processes,
and a sleep holds the dispatcher (and SIGTERM) while the durable outbox can
simply move the row to the slot's end. So the senders ask this gate instead.

Platform is a key, not a branch: a new platform (Microsoft Teams) brings its
own `Limit`s and keys, nothing here changes. Times are the bot's clock (the
dispatcher's `now`), so tests travel through a pause instead of sleeping.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, Connection, Engine, and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from storage.db import write_transaction
from storage.tables import RateLimit

_TABLE = RateLimit.__table__  # type: ignore[attr-defined]
_COLS = _TABLE.c
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Slots a little wider than the published rate: the call leaves a moment after
# its slot is taken, and network time varies between two calls.
MARGIN = 1.2


@dataclass(frozen=True)
class Key:
    platform: str  # "slack", "telegram", ...
    account: str  # a workspace, a bot
    scope: str  # a method ("chat.postMessage", "*": everything) or a throttle ("chat:42")


@dataclass(frozen=True)
class Limit:
    """At most `calls` per `seconds`, as the platform publishes it."""

    calls: int
    seconds: float

    @property
    def spacing(self) -> timedelta:
        return timedelta(seconds=self.seconds / self.calls * MARGIN)


# The published limits (Telegram's Bot API FAQ; Slack's chat.postMessage docs).
TELEGRAM_BOT = Limit(30, 1.0)  # messages per second, per bot
TELEGRAM_GROUP = Limit(20, 60.0)  # per group
TELEGRAM_CHAT = Limit(1, 1.0)  # per private chat
SLACK_CHANNEL = Limit(1, 1.0)  # chat.postMessage, per channel
# Teams, per bot and conversation: 7 per second, 8 per 2 s, 60 per 30 s, 1800 per
# hour; the 30-second one binds first for a steady stream.
TEAMS_CONVERSATION = Limit(60, 30.0)


class RateGate:
    """The fleet's pauses and throttles, read and written in `engine`.

    `throttle=False` keeps the pauses and takes no slots: for tests whose
    clock stands still between two messages to one chat (those that test the
    throttle travel in time instead).
    """

    throttle = True

    def __init__(self, engine: Engine, throttle: bool | None = None) -> None:
        self.engine = engine
        if throttle is not None:
            self.throttle = throttle
        self._known: dict[Key, datetime] = {}  # pauses seen: they only ever grow
        self._rows: set[Key] = set()  # keys whose row this process made sure of

    def pause(self, key: Key, now: datetime, seconds: float) -> datetime:
        """Nothing goes to `key` for `seconds` from `now` (a longer pause stays)."""
        until = now + timedelta(seconds=max(0.0, seconds))
        with self._begin() as conn:
            self._ensure(conn, [key])
            conn.execute(update(_TABLE).where(*_match(key), _COLS.paused_until < until)
                         .values(paused_until=until))
            until = self._read(conn, key)
        self._known[key] = until
        return until

    def until(self, key: Key, now: datetime) -> datetime | None:
        """The end of `key`'s pause, or None when calls may go out now."""
        known = self._known.get(key)
        if known is not None and known > now:
            return known  # a pause never shrinks: no need to ask again
        with self.engine.connect() as conn:
            found = conn.execute(select(_COLS.paused_until).where(*_match(key))).scalar()
        if found is None or found <= now:
            return None
        self._known[key] = found
        return found

    def take(self, now: datetime, pauses: list[Key],
             slots: list[tuple[Key, Limit]]) -> datetime | None:
        """None: the call may go now (its slots are taken). Else when to try
        again, and nothing was taken."""
        if not self.throttle:
            slots = []
        for key in pauses:
            if (known := self._known.get(key)) is not None and known > now:
                return known
        if not slots:  # a pause to respect, nothing to take: a read will do
            ends = [u for k in pauses if (u := self.until(k, now)) is not None]
            return max(ends) if ends else None
        with self._begin() as conn:
            return self.take_in(conn, now, pauses, slots)

    def take_in(self, conn: Connection, now: datetime, pauses: list[Key],
                slots: list[tuple[Key, Limit]]) -> datetime | None:
        """`take` inside the caller's transaction (e.g. the one queueing a reply)."""
        if not self.throttle:
            slots = []
        for key in pauses:
            if (known := self._known.get(key)) is not None and known > now:
                return known
        keys = sorted({*pauses, *(k for k, _ in slots)},
                      key=lambda k: (k.platform, k.account, k.scope))
        # Rows are made once per key and process (an insert per answer costs a
        # busy webhook dearly); one that went missing since is made again.
        if new := [k for k in keys if k not in self._rows]:
            self._ensure(conn, new)
            self._rows.update(new)
        stmt = select(_COLS.platform, _COLS.account, _COLS.scope, _COLS.paused_until).where(
            *_any(keys)).order_by(_COLS.platform, _COLS.account, _COLS.scope)
        if slots and conn.dialect.name == "postgresql":
            # In key order: two takers cannot deadlock. Only to take slots: a
            # pause alone is read, or every answer would queue on the bot's row.
            stmt = stmt.with_for_update()
        ends = {Key(p, a, s): until for p, a, s, until in conn.execute(stmt).all()}
        if len(ends) < len(keys):
            self._ensure(conn, keys)
            ends = {Key(p, a, s): until for p, a, s, until in conn.execute(stmt).all()}
        busy = [ends[k] for k in keys if ends[k] > now]
        if busy:
            return max(busy)
        for key, limit in slots:
            conn.execute(update(_TABLE).where(*_match(key))
                         .values(paused_until=now + limit.spacing))
        return None

    # -- plumbing ---------------------------------------------------------------

    def _begin(self) -> AbstractContextManager[Connection]:
        # SQLite: take the write lock first (a read then a write would fail
        # with "database is locked" beside another writer).
        return write_transaction(self.engine)

    @staticmethod
    def _ensure(conn: Connection, keys: list[Key]) -> None:
        insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        rows = [{"platform": k.platform, "account": k.account, "scope": k.scope,
                 "paused_until": EPOCH} for k in keys]
        if rows:
            conn.execute(insert(_TABLE).values(rows).on_conflict_do_nothing())

    @staticmethod
    def _read(conn: Connection, key: Key) -> datetime:
        return conn.execute(select(_COLS.paused_until).where(*_match(key))).scalar_one()


def _match(key: Key) -> tuple[ColumnElement[bool], ...]:
    return (_COLS.platform == key.platform, _COLS.account == key.account,
            _COLS.scope == key.scope)


def _any(keys: list[Key]) -> tuple[ColumnElement[bool], ...]:
    return (or_(*(and_(*_match(k)) for k in keys)),)

