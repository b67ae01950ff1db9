"""Engine, sessions and the schema check that guards every start."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, event
from sqlmodel import Session, create_engine

MIGRATIONS = Path(__file__).parent / "migrations"


class SchemaNotCurrent(RuntimeError):
    """The database is missing or behind the code's migrations."""


def make_engine(url: str, **kw: object) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kw)
        _sqlite_pragmas(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kw)


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        # pysqlite's own transaction handling is turned off so that we can issue
        # BEGIN IMMEDIATE ourselves (the sweep's single-writer claim).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        # `engine.execution_options(sqlite_begin="IMMEDIATE")` takes the write
        # lock up front, so concurrent sweepers queue instead of deadlocking.
        mode = conn.get_execution_options().get("sqlite_begin", "")
        conn.exec_driver_sql(f"BEGIN {mode}".strip())


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str) -> None:
    command.upgrade(alembic_config(url), "head")


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def history() -> list[tuple[str, str | None, str]]:
    """(revision, down_revision, message) from the newest to the first."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return [(s.revision, s.down_revision if isinstance(s.down_revision, str) else None,
             s.doc or "") for s in script.walk_revisions()]


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def check_schema(engine: Engine) -> None:
    current = current_revision(engine)
    head = head_revision()
    if current != head:
        state = "is leeg" if current is None else f"staat op versie {current}"
        raise SchemaNotCurrent(
            f"De database {state}, de code verwacht {head}. "
            "Voer eerst `ketenbot db upgrade` uit."
        )


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error.

    On SQLite the write lock is taken up front (BEGIN IMMEDIATE): a deferred
    transaction that reads and then writes while the sweeper commits fails at
    once with "database is locked", which busy_timeout cannot help.
    """
    if engine.dialect.name == "sqlite":
        engine = engine.execution_options(sqlite_begin="IMMEDIATE")
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
