"""Every database test runs on SQLite, and on PostgreSQL when one is configured.

Set TEST_DATABASE_URL (or DATABASE_URL) to a PostgreSQL URL to include it;
`.ci/run` points it at the machine's PostgreSQL so both run on every submission.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, text

from bot.config import normalise_db_url
from storage import db

AMS = ZoneInfo("Europe/Amsterdam")
SAMPLE = Path(__file__).parent.parent / "storage" / "sample" / "gelderland.yaml"


def _pg_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if url and url.startswith(("postgres://", "postgresql")):
        return normalise_db_url(url)
    return None


PG_URL = _pg_url()
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
_pg_migrated = False


def _reset_pg(url: str) -> None:
    """Migrate once per run, then empty every table between tests."""
    global _pg_migrated
    engine = db.make_engine(url)
    with engine.begin() as conn:
        if not _pg_migrated:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    if not _pg_migrated:
        db.upgrade(url)
        _pg_migrated = True
    with engine.begin() as conn:
        tables = conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname='public' "
            "AND tablename <> 'alembic_version'"
        )).scalars().all()
        if tables:
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'ketenbot.sqlite'}"
        db.upgrade(url)
        return url
    assert PG_URL
    _reset_pg(PG_URL)
    return PG_URL


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = db.make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def env_db(db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """Point the command line (Settings) at the test database."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("KETENBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)  # no stray .env from the project root
    return db_url


def import_file(engine: Engine, path: Path) -> None:
    from storage.directory_format import load
    from storage.directory_import import import_doc

    with db.session_scope(engine) as session:
        result = import_doc(load(path), session)
        assert result.ok, result.problems


@pytest.fixture
def sample_engine(engine: Engine) -> Engine:
    import_file(engine, SAMPLE)
    return engine


class FakeClock:
    """A clock tests move by hand: time travel instead of sleeping."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def set(self, value: datetime) -> None:
        self.now = value


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 24, 10, 0, tzinfo=AMS))
