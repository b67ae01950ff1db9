"""naming convention: every constraint named as storage.NAMING_CONVENTION says

Databases made before this revision have the names each database picked
itself: PostgreSQL's `outbox_pkey`, `outbox_dedupe_key_key`, `…_fkey`; SQLite
none at all. From here on both have pk_/fk_/uq_ names (new databases get them
from the start: Alembic's op.create_table uses the metadata's convention).

- PostgreSQL: every primary key, foreign key and unique constraint in the
  schema is renamed (read from the catalog, so whatever tables exist here).
- SQLite cannot rename a constraint: the tables with a unique constraint are
  rebuilt (batch mode, named by the convention while they are reflected).
  Two of them are parents (outbox of outbox_delivery, freshness_round of
  freshness_ask); with foreign keys on, dropping a parent that still has
  children fails, so their children's rows are set aside and put back.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from sqlalchemy.sql.elements import conv

from storage import NAMING_CONVENTION

# revision identifiers, used by Alembic.
revision: str = '0011'
down_revision: Union[str, Sequence[str], None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# SQLite: tables with unique constraints, and the children that reference them.
SQLITE_REBUILD = ("chat_identity", "freshness_round", "outbox", "referral_thread")
SQLITE_CHILDREN = ("outbox_delivery", "freshness_ask")

_CATALOG = sa.text("""
    SELECT c.conname, c.contype, t.relname,
           array(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY AS k(num, ord)
                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.num
                 ORDER BY k.ord) AS columns,
           r.relname AS referred
    FROM pg_constraint c
    JOIN pg_class t ON t.oid = c.conrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
    LEFT JOIN pg_class r ON r.oid = c.confrelid
    WHERE n.nspname = current_schema() AND c.contype IN ('p', 'f', 'u')
      AND t.relname <> 'alembic_version'
""")


def _convention(kind: str, table: str, columns: list[str], referred: str | None) -> str:
    values = {"table_name": table, "column_0_name": columns[0],
              "column_0_N_name": "_".join(columns), "referred_table_name": referred or ""}
    return NAMING_CONVENTION[{"p": "pk", "f": "fk", "u": "uq"}[kind]] % values


def _postgres_default(kind: str, table: str, columns: list[str], referred: str | None) -> str:
    suffix = {"p": "pkey", "f": "fkey", "u": "key"}[kind]
    return f"{table}_{suffix}" if kind == "p" else f"{table}_{'_'.join(columns)}_{suffix}"


def _rename_postgres(name_for) -> None:  # type: ignore[no-untyped-def]
    bind = op.get_bind()
    prep = bind.dialect.identifier_preparer
    for name, kind, table, columns, referred in bind.execute(_CATALOG).all():
        # Longer than PostgreSQL's 63 characters: SQLAlchemy's own truncation,
        # so the name is the one the metadata renders.
        wanted = prep.truncate_and_render_constraint_name(
            conv(name_for(kind, table, list(columns), referred)), _alembic_quote=False)
        if wanted != name:
            op.execute(f"ALTER TABLE {prep.quote(table)} "
                       f"RENAME CONSTRAINT {prep.quote(name)} TO {prep.quote(wanted)}")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _rename_postgres(_convention)
        return
    if op.get_bind().dialect.name != "sqlite":
        return
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    children = [c for c in SQLITE_CHILDREN if c in existing]
    for child in children:
        op.execute(f"CREATE TEMP TABLE _keep_{child} AS SELECT * FROM {child}")
        op.execute(f"DELETE FROM {child}")
    for table in SQLITE_REBUILD:
        if table in existing:
            with op.batch_alter_table(table, recreate="always",
                                      naming_convention=NAMING_CONVENTION):
                pass
    for child in children:
        op.execute(f"INSERT INTO {child} SELECT * FROM _keep_{child}")
        op.execute(f"DROP TABLE _keep_{child}")


def downgrade() -> None:
    # PostgreSQL gets its own default names back; on SQLite the names stay
    # (harmless to the older code, which never refers to them).
    if op.get_bind().dialect.name == "postgresql":
        _rename_postgres(_postgres_default)
