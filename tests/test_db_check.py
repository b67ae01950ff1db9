"""Models and migrations agree: `ketenbot db check` after `db upgrade`, on
SQLite and PostgreSQL, and it fails when a model changes without a migration.

A database made before the naming convention (0015) has the names its engine
picked; the upgrade renames them (PostgreSQL) or rebuilds the tables that need
it (SQLite), keeping every row.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import Column, Integer, String, Table, inspect, text
from sqlmodel import SQLModel
from typer.testing import CliRunner

from bot.cli.main import app
from storage import db

runner = CliRunner()


def test_db_check_passes_at_head(env_db: str) -> None:
    result = runner.invoke(app, ["db", "check"])
    assert result.exit_code == 0, result.output
    assert f"matches the models ({db.head_revision()})" in result.stdout


@pytest.fixture
def a_model_change() -> Iterator[Table]:
    """A table and a column in the models that no migration creates."""
    table = Table("not_migrated", SQLModel.metadata, Column("id", Integer, primary_key=True))
    outbox = SQLModel.metadata.tables["outbox"]
    column = Column("not_migrated_col", String(10))
    outbox.append_column(column)
    yield table
    SQLModel.metadata.remove(table)
    outbox._columns.remove(column)  # noqa: SLF001  (undo append_column: no public way)


def test_db_check_fails_on_a_model_change_without_a_migration(
        env_db: str, a_model_change: Table) -> None:
    result = runner.invoke(app, ["db", "check"])
    assert result.exit_code == 1
    assert "add_table not_migrated" in result.stderr
    assert "add_column outbox.not_migrated_col" in result.stderr


def test_db_check_on_a_database_behind_says_to_upgrade(env_db: str) -> None:
    command.downgrade(db.alembic_config(env_db), "-1")
    result = runner.invoke(app, ["db", "check"])
    assert result.exit_code == 1 and "ketenbot db upgrade" in result.stderr


def _constraint_names(url: str, table: str) -> set[str | None]:
    engine = db.make_engine(url)
    try:
        insp = inspect(engine)
        names = {insp.get_pk_constraint(table).get("name")}
        names |= {u["name"] for u in insp.get_unique_constraints(table)}
        names |= {f["name"] for f in insp.get_foreign_keys(table)}
        return names
    finally:
        engine.dispose()


def test_a_database_from_before_the_convention_is_named_and_keeps_its_rows(
        db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    command.downgrade(db.alembic_config(db_url), "base")
    with monkeypatch.context() as m:
        m.setattr(SQLModel.metadata, "naming_convention", {"ix": "ix_%(column_0_label)s"})
        command.upgrade(db.alembic_config(db_url), "0014")
    assert "uq_outbox_dedupe_key" not in _constraint_names(db_url, "outbox")
    engine = db.make_engine(db_url)
    now = datetime(2026, 12, 1, 9, tzinfo=UTC)
    with engine.begin() as conn:  # an outbox row with a delivery: a parent with a child
        conn.execute(text(
            "INSERT INTO outbox (id, dedupe_key, kind, template, payload, created_at, "
            "deliver_after, status, attempts) VALUES (1, 'k1', 'notice', 't', '{}', :now, "
            ":now, 'sent', 1)"), {"now": now})
        conn.execute(text(
            "INSERT INTO outbox_delivery (outbox_id, platform, delivered_at) "
            "VALUES (1, 'slack', :now)"), {"now": now})
    engine.dispose()

    db.upgrade(db_url)

    names = _constraint_names(db_url, "outbox")
    assert {"pk_outbox", "uq_outbox_dedupe_key", "fk_outbox_person_id_person"} <= names
    engine = db.make_engine(db_url)
    try:
        assert db.schema_differences(engine) == []
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM outbox_delivery")).scalar() == 1
            assert conn.execute(text("SELECT dedupe_key FROM outbox")).scalar() == "k1"
    finally:
        engine.dispose()
    # And back and up again: the names stay, the round trip still works.
    command.downgrade(db.alembic_config(db_url), "0014")
    db.upgrade(db_url)
    assert "uq_outbox_dedupe_key" in _constraint_names(db_url, "outbox")
