"""Persistence: SQLModel tables, sessions, migrations, directory import/export.

The naming convention is set here, before any table module runs: SQLAlchemy
names a constraint when it is attached to its table. With it every constraint
has a name that is the same on SQLite and PostgreSQL, so a migration can drop
or change one by name (SQLite's batch mode needs that), and Alembic's
`op.create_table` in a migration uses the same convention.
"""

from sqlmodel import SQLModel

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",  # SQLAlchemy's default: what the indexes already have
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION
