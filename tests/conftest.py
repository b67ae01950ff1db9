"""Every database test runs on SQLite, and on PostgreSQL when one is configured.

Set TEST_DATABASE_URL (or DATABASE_URL) to a PostgreSQL URL to include it;
`.ci/run` points it at the machine's PostgreSQL so both run on every submission.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine, make_url, text

from bot.config import normalise_db_url
from storage import db

AMS = ZoneInfo("Europe/Amsterdam")
SAMPLE = Path(__file__).parent.parent / "storage" / "sample" / "gelderland.yaml"


def _pg_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if url and url.startswith(("postgres://", "postgresql")):
        return normalise_db_url(url)
    return None


# Property tests (Hypothesis): a moderate number of examples by default so the
# suite stays fast; HYPOTHESIS_PROFILE=ci runs more. Examples share the test's
# database on purpose (the state they leave is part of what is tested), and a
# database round trip has no fixed duration: no deadline.
hypothesis_settings.register_profile(
    "dev", max_examples=30, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
hypothesis_settings.register_profile("ci", parent=hypothesis_settings.get_profile("dev"),
                                     max_examples=150)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

PG_URL = _pg_url()
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def _import_sample(url: str) -> None:
    eng = db.make_engine(url)
    import_file(eng, SAMPLE)
    eng.dispose()


class _PgDatabases:
    """Private databases per test run, cloned from migrated templates.

    Each test gets its own database (CREATE DATABASE ... TEMPLATE), so tests
    and concurrent runs on the same server never see each other's rows, and
    the sample directory is imported once per run instead of once per test.
    """

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        self.admin = db.make_engine(url, isolation_level="AUTOCOMMIT")
        self.prefix = f"kbtest_{os.getpid()}"
        self.templates: dict[str, str] = {}
        self.count = 0

    def _url(self, name: str) -> str:
        return self.url.set(database=name).render_as_string(hide_password=False)

    def _create(self, name: str, template: str | None = None) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            extra = f' TEMPLATE "{template}"' if template else ""
            conn.execute(text(f'CREATE DATABASE "{name}"{extra}'))

    def template(self, kind: str) -> str:
        if kind not in self.templates:
            name = f"{self.prefix}_tpl_{kind}"
            self._create(name)
            db.upgrade(self._url(name))
            if kind == "sample":
                _import_sample(self._url(name))
            self.templates[kind] = name
        return self.templates[kind]

    def clone(self, kind: str) -> tuple[str, str]:
        self.count += 1
        name = f"{self.prefix}_{self.count}"
        self._create(name, self.template(kind))
        return name, self._url(name)

    def drop(self, name: str) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def close(self) -> None:
        for name in self.templates.values():
            self.drop(name)
        self.admin.dispose()


@pytest.fixture(scope="session")
def pg_databases() -> Iterator[_PgDatabases | None]:
    if not PG_URL:
        yield None
        return
    dbs = _PgDatabases(PG_URL)
    yield dbs
    dbs.close()


@pytest.fixture(scope="session")
def sqlite_templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("templates")
    paths = {}
    for kind in ("empty", "sample"):
        path = base / f"{kind}.sqlite"
        db.upgrade(f"sqlite:///{path}")
        if kind == "sample":
            _import_sample(f"sqlite:///{path}")
        paths[kind] = path
    return paths


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database of its own for this test; with the sample directory
    already in it when the test also asks for `sample_engine`."""
    kind = "sample" if "sample_engine" in request.fixturenames else "empty"
    if request.param == "sqlite":
        templates = request.getfixturevalue("sqlite_templates")
        target = tmp_path / "ketenbot.sqlite"
        shutil.copyfile(templates[kind], target)
        yield f"sqlite:///{target}"
        return
    dbs = request.getfixturevalue("pg_databases")
    name, url = dbs.clone(kind)
    yield url
    dbs.drop(name)


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
    from storage.directory.importer import import_doc
    from storage.directory.read import load

    with db.session_scope(engine) as session:
        result = import_doc(load(path), session)
        assert result.ok, result.problems


@pytest.fixture
def sample_engine(engine: Engine) -> Engine:
    """The engine of a database that already holds the Gelderland sample."""
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


@pytest.fixture(autouse=True)
def _no_throttle(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Most tests' clocks stand still between two messages to one chat, where
    the platforms' per-chat limits would defer the second: they run without
    the throttle. Tests marked `throttled` keep it (and travel in time)."""
    if request.node.get_closest_marker("throttled") is None:
        from scheduling.delivery.ratelimit import RateGate

        monkeypatch.setattr(RateGate, "throttle", False)


def _sample_at(revision: str, db_url: str, tmp_path: Path,
               request: pytest.FixtureRequest) -> Iterator[str]:
    """A database of db_url's kind with the sample directory, migrated only up to
    `revision`, for upgrade tests with data in it."""
    from alembic import command

    pg: _PgDatabases | None = None
    if db_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / f'at{revision}.sqlite'}"
    else:
        pg = request.getfixturevalue("pg_databases")
        assert pg is not None
        pg.count += 1
        name = f"{pg.prefix}_at{revision}_{pg.count}"
        pg._create(name)
        url = pg._url(name)
    # Today's importer writes today's tables: import at head, then step back.
    db.upgrade(url)
    engine = db.make_engine(url)
    import_file(engine, SAMPLE)
    engine.dispose()
    command.downgrade(db.alembic_config(url), revision)
    yield url
    if pg is not None:
        pg.drop(name)


@pytest.fixture
def sample_at_0005(db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """The schema before the routes and escalation-model migrations."""
    yield from _sample_at("0005", db_url, tmp_path, request)


@pytest.fixture
def sample_at_0018(db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """The schema before the tafels' neighbours (0019)."""
    yield from _sample_at("0018", db_url, tmp_path, request)


def old_referral(session: Any, **values: Any) -> int:
    """Insert a referral row into a database at an older revision: only the
    columns given (the ORM model has columns later revisions added)."""
    from sqlalchemy import insert

    from storage.tables import Referral

    table = Referral.__table__  # type: ignore[attr-defined]
    result = session.execute(insert(table).values(**values).returning(table.c.id))
    return int(result.scalar_one())
