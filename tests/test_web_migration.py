"""Migration 0009 (web overview tables) goes down and up again on both databases."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from storage import db

TABLES = {"web_login", "web_access", "digest_optout"}


def test_0009_down_and_up(db_url: str) -> None:
    engine = db.make_engine(db_url)
    try:
        assert set(inspect(engine).get_table_names()) >= TABLES
        cfg = db.alembic_config(db_url)
        command.downgrade(cfg, "0009-1")
        engine.dispose()
        assert not TABLES & set(inspect(engine).get_table_names())
        command.upgrade(cfg, "head")
        engine.dispose()
        assert set(inspect(engine).get_table_names()) >= TABLES
        indexes = {i["name"] for i in inspect(engine).get_indexes("referral_event")}
        assert "ix_referral_event_action" in indexes
    finally:
        engine.dispose()
