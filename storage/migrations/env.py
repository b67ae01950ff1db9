"""Alembic environment: runs against the URL the caller configured."""

from alembic import context
from sqlalchemy import pool
from sqlmodel import SQLModel

import storage.contact_tables  # noqa: F401
import storage.models  # noqa: F401  (tables must be on the metadata for autogenerate)
import storage.tables  # noqa: F401
import storage.web_tables  # noqa: F401

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    from storage.db import make_engine

    connectable = config.attributes.get("connection")
    if connectable is None:
        url = config.get_main_option("sqlalchemy.url") or ""
        engine = make_engine(url, poolclass=pool.NullPool)
        with engine.connect() as connection:
            _run(connection)
        engine.dispose()
    else:
        _run(connectable)


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
