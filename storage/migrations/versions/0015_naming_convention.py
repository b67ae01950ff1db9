"""naming convention: every constraint named as storage.NAMING_CONVENTION says

Databases made before this revision have the names each database picked
itself: PostgreSQL's `outbox_pkey`, `outbox_dedupe_key_key`, `…_fkey`; SQLite
none at all. From here on both have pk_/fk_/uq_ names (new databases get them
from the start: Alembic's op.create_table uses the metadata's convention).

- PostgreSQL: every primary key, foreign key and unique constraint in the
  schema is renamed (read from the catalog, so whatever tables exist here).
- SQLite cannot rename a constraint: the tables with a unique constraint are
  rebuilt (batch mode, named by the convention while they are reflected).
  Some are parents (outbox of outbox_delivery, freshness_round of
  freshness_ask); with foreign keys on, dropping a parent that still has
  children fails, so their children's rows are set aside and put back.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from sqlalchemy.sql.elements import conv

from storage import NAMING_CONVENTION

# revision identifiers, used by Alembic.
revision: str = '0015'
down_revision: Union[str, Sequence[str], None] = '0014'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


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


def _rename_postgres(name_from, name_for) -> None:  # type: ignore[no-untyped-def]
    """Rename the constraints named by `name_from` to `name_for`'s names; a
    constraint a migration named itself (e.g. 0011's fk_referral_zorgaanbieder_contact,
    dropped by that name in its downgrade) keeps its name."""
    bind = op.get_bind()
    prep = bind.dialect.identifier_preparer
    for name, kind, table, columns, referred in bind.execute(_CATALOG).all():
        if name != name_from(kind, table, list(columns), referred):
            continue
        # Longer than PostgreSQL's 63 characters: SQLAlchemy's own truncation,
        # so the name is the one the metadata renders.
        wanted = prep.truncate_and_render_constraint_name(
            conv(name_for(kind, table, list(columns), referred)), _alembic_quote=False)
        if wanted != name:
            op.execute(f"ALTER TABLE {prep.quote(table)} "
                       f"RENAME CONSTRAINT {prep.quote(name)} TO {prep.quote(wanted)}")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _rename_postgres(_postgres_default, _convention)
        return
    if op.get_bind().dialect.name != "sqlite":
        return
    insp = sa.inspect(op.get_bind())
    tables = insp.get_table_names()
    # Tables with a unique constraint (read here, so whatever exists at this revision),
    # and the tables whose rows reference them.
    rebuild = [t for t in tables if insp.get_unique_constraints(t)]
    children = [c for c in tables if c not in rebuild
                and any(fk["referred_table"] in rebuild for fk in insp.get_foreign_keys(c))]
    for child in children:
        op.execute(f"CREATE TEMP TABLE _keep_{child} AS SELECT * FROM {child}")
        op.execute(f"DELETE FROM {child}")
    for table in rebuild:
        with op.batch_alter_table(table, recreate="always",
                                  naming_convention=NAMING_CONVENTION):
            pass
    for child in children:
        op.execute(f"INSERT INTO {child} SELECT * FROM _keep_{child}")
        op.execute(f"DROP TABLE _keep_{child}")


def downgrade() -> None:
    # The names stay, on both databases: older code never refers to them, and
    # renaming back could not tell a default name from one a migration chose
    # (0013 names uq_chat_identity_person_id_platform itself and drops it by that name).
    pass
