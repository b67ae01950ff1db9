"""Benchmarks: `python -m bench` runs them all, `python -m bench lookup` one.

Each benchmark is a module `bench/<name>.py` with `run(args) -> None` and,
optionally, `add_arguments(parser)` for its own options. This package holds
what they share: a throwaway database filled with the national directory, and
latency statistics.
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import URL, Engine, create_engine, make_url, text

from bench.directories.country import country
from bench.directories.synthetic import dump_yaml
from storage.db import make_engine, session_scope, upgrade
from storage.directory.importer import import_doc
from storage.directory.yaml_reader import load_yaml


@contextmanager
def fresh_database(url: str | None) -> Iterator[Engine]:
    """A new, migrated, empty database, removed again afterwards.

    None: SQLite in a temporary directory. `sqlite:///path`: a file that must
    not exist yet. `postgresql+...://.../db`: a database of its own is created
    next to `db` (which is only used to run CREATE/DROP DATABASE).
    """
    with _provision(url) as bench_url:
        upgrade(bench_url)
        engine = make_engine(bench_url)
        try:
            yield engine
        finally:
            engine.dispose()


@contextmanager
def _provision(url: str | None) -> Iterator[str]:
    if url is None:
        with tempfile.TemporaryDirectory(prefix="ketenbot-bench-") as tmp:
            yield f"sqlite:///{tmp}/bench.db"
        return
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        if not parsed.database or path.exists():
            raise SystemExit(f"bench: needs a new SQLite file, not {url!r}")
        try:
            yield url
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    if parsed.get_backend_name() == "postgresql":
        with _postgres_database(parsed) as bench_url:
            yield bench_url
        return
    raise SystemExit(f"bench: only SQLite and PostgreSQL are supported, not {url!r}")


@contextmanager
def _postgres_database(admin_url: URL) -> Iterator[str]:
    # The pid keeps concurrent runs (other engineers, CI) out of each other's way.
    name = f"ketenbot_bench_{os.getpid()}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield admin_url.set(database=name).render_as_string(hide_password=False)
        finally:
            # FORCE (PostgreSQL 13+) ends any connection a failed run left behind.
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@dataclass
class Loaded:
    gemeenten: int
    people: int
    parse_s: float  # generating the YAML and parsing it back
    import_s: float  # import_doc, one transaction


def load_country(engine: Engine) -> Loaded:
    """Import the synthetic national directory (342 gemeenten, ~4,000 people)."""
    start = time.perf_counter_ns()
    doc = load_yaml(dump_yaml(country()), "country.yaml")
    parsed = time.perf_counter_ns()
    with session_scope(engine) as session:
        result = import_doc(doc, session)
    done = time.perf_counter_ns()
    if not result.ok:
        raise RuntimeError(f"import failed: {result.problems[:3]}")
    if engine.dialect.name == "postgresql":
        # Planner statistics, as autovacuum would gather shortly after a real import;
        # without them PostgreSQL plans the team query with sequential scans.
        with engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
    return Loaded(len(doc.gemeenten), len(doc.people),
                  (parsed - start) / 1e9, (done - parsed) / 1e9)


@dataclass
class Stats:
    median_ms: float
    p99_ms: float


def stats(samples_ns: list[int]) -> Stats:
    """Median and nearest-rank p99 of latencies in nanoseconds."""
    s = sorted(samples_ns)
    n = len(s)
    median = s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2
    p99 = s[math.ceil(0.99 * n) - 1]
    return Stats(median / 1e6, p99 / 1e6)
