"""Persistence: SQLModel tables, sessions, migrations, directory import/export."""
