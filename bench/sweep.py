"""One sweep tick over a large open caseload, next to a bare claim and APScheduler's job store.

The Gelderland sample directory is loaded, then N open 301 referrals at step
'contact' are bulk-inserted with three pending deadlines each, all far in the
future. Timed, in the same run and on the same database:

* `sweep(...)` with the real routes, calendar and working hours when nothing is
  due, and when 1,000 'step:contact' deadlines have just lapsed (each then
  fires its first escalation tier: history, outbox rows, next check moved on);
* the baseline: the sweep's claim as one bare SQL statement in a transaction
  (for the 1,000-due case also an UPDATE of the claimed rows' next_check_at,
  batch by batch like the sweep), so the ratio says what the sweep adds;
* APScheduler 3's own SQLAlchemyJobStore (its own table in the same database)
  holding one job per deadline: adding them, loading them all, finding due ones.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, bindparam, delete, event, insert, text, update

import bench
from scheduling.calendar import WorkCalendar
from scheduling.deadlines import Hours
from scheduling.routes import default_routes
from scheduling.sweep import SweepResult, sweep
from storage.db import session_scope
from storage.directory.importer import import_doc
from storage.directory.read import load
from storage.tables import Deadline, Outbox, Referral, ReferralEvent, UTCDateTime

AMS = ZoneInfo("Europe/Amsterdam")
SAMPLE = Path(__file__).resolve().parent.parent / "storage" / "sample" / "gelderland.yaml"
# A Tuesday inside working hours, just after the sample directory was verified.
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=AMS)
EDE = "GM0228"
DUE_COUNT = 1000  # deadlines made due for the "1,000 due" case
BATCH = 500  # the sweep's default claim size; the baseline uses the same
INSERT_CHUNK = 10_000

TARGET_IDLE_MS = 20.0  # one tick with nothing due, median
TARGET_DUE_MS = 500.0  # one tick with 1,000 due, median

_DEADLINE = Deadline.__table__  # type: ignore[attr-defined]
_REFERRAL = Referral.__table__  # type: ignore[attr-defined]
_OUTBOX = Outbox.__table__  # type: ignore[attr-defined]
_EVENT = ReferralEvent.__table__  # type: ignore[attr-defined]

CLAIM_SQL = ("SELECT id FROM deadline WHERE status = 'pending' AND next_check_at <= :now "
             "ORDER BY next_check_at LIMIT :batch")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("sweep")
    group.add_argument("--referrals", type=int, default=100_000, metavar="N",
                       help="open referrals, 3 pending deadlines each (default: 100000)")
    group.add_argument("--idle-ticks", type=int, default=50, metavar="N",
                       help="timed ticks with nothing due (default: 50)")
    group.add_argument("--due-reps", type=int, default=5, metavar="N",
                       help="timed ticks with 1,000 due, re-armed in between (default: 5)")
    group.add_argument("--apscheduler-jobs", type=int, default=None, metavar="N",
                       help="jobs in APScheduler's SQLAlchemyJobStore "
                            "(default: 30000, capped at 3 x --referrals; 0 skips it)")


def apscheduler_job(deadline_id: int) -> None:
    """The job function the APScheduler store pickles a reference to; never run."""


@dataclass
class Loaded:
    people: int
    directory_s: float
    referrals: int
    deadlines: int
    insert_s: float
    analyze_s: float


@dataclass
class DueTimes:
    sweep_ms: list[float]
    baseline_ms: list[float]
    result: SweepResult
    statements: int  # SQL statements the last sweep tick sent


@dataclass
class StoreTimes:
    jobs: int
    add_s: float
    load_s: float
    loaded: int
    due_none_ms: float
    due_ms: float
    due_found: int


def run(args: argparse.Namespace) -> None:
    if args.referrals < DUE_COUNT or args.idle_ticks < 1 or args.due_reps < 1:
        raise SystemExit(f"bench sweep: needs --referrals >= {DUE_COUNT}, "
                         "--idle-ticks >= 1 and --due-reps >= 1")
    jobs = args.apscheduler_jobs
    if jobs is None:
        jobs = min(30_000, 3 * args.referrals)
    if jobs < 0 or (0 < jobs < DUE_COUNT):
        raise SystemExit(f"bench sweep: --apscheduler-jobs is 0 or >= {DUE_COUNT}")
    started = time.perf_counter()
    with bench.fresh_database(args.database_url) as engine:
        dialect = engine.dialect.name
        loaded = populate(engine, args.referrals, random.Random(1))
        cal = WorkCalendar()
        tick = ticker(engine, cal)
        idle_sweep, idle_base = measure_idle(engine, tick, args.idle_ticks)
        due = measure_due(engine, tick, args.due_reps, random.Random(2))
        store = measure_store(engine, jobs) if jobs else None
    total_s = time.perf_counter() - started
    report(dialect, loaded, idle_sweep, idle_base, due, store, total_s)


# -- the caseload ------------------------------------------------------------------


def populate(engine: Engine, n: int, rng: random.Random) -> Loaded:
    t0 = time.perf_counter()
    with session_scope(engine) as session:
        result = import_doc(load(SAMPLE), session)
    if not result.ok:
        raise RuntimeError(f"import failed: {result.problems[:3]}")
    t1 = time.perf_counter()
    with engine.begin() as conn:
        people = conn.execute(text("SELECT count(*) FROM person")).scalar_one()
        jbs = _ids(conn, "SELECT p.id FROM person p JOIN team t ON t.id = p.team_id "
                         "JOIN organisation o ON o.id = t.organisation_id "
                         "WHERE o.kind = 'gi' AND p.role = 'medewerker' ORDER BY p.id")
        lts: dict[int, list[tuple[int, int | None]]] = {}
        for row in conn.execute(text(
                "SELECT tg.gemeente_id, p.id, p.koppelgenoot_id FROM person p "
                "JOIN team t ON t.id = p.team_id "
                "JOIN organisation o ON o.id = t.organisation_id "
                "JOIN team_gemeente tg ON tg.team_id = t.id "
                "WHERE o.kind = 'lokaal_team' AND p.role = 'medewerker' ORDER BY p.id")):
            lts.setdefault(row[0], []).append((row[1], row[2]))
        ede = conn.execute(text("SELECT id FROM gemeente WHERE cbs_code = :c"),
                           {"c": EDE}).scalar_one()
        if not jbs or ede not in lts:
            raise RuntimeError("sample directory lacks jeugdbeschermers or Ede's lokaal team")
        gemeenten = sorted(lts)
        refs = []
        for i in range(n):
            # A fifth of the caseload in Ede (the test gemeente), the rest spread out.
            gid = ede if i % 5 == 0 else rng.choice(gemeenten)
            lt, backup = rng.choice(lts[gid])
            started = NOW - timedelta(hours=rng.randrange(1, 72))
            refs.append({"ref": f"B{i:07d}", "route": "301", "kenmerk": f"K-{i}",
                         "gemeente_id": gid, "status": "open", "step": "contact",
                         "step_started_at": started, "jb_id": rng.choice(jbs), "lt_id": lt,
                         "lt_backup_id": backup, "zorgaanbieder_id": None,
                         "created_at": started, "closed_at": None, "_started": started})
        for chunk in _chunks(refs):
            conn.execute(insert(_REFERRAL), [{k: v for k, v in r.items() if k != "_started"}
                                             for r in chunk])
        ids = _ids(conn, "SELECT id FROM referral ORDER BY id")
        deadlines = []
        for rid in ids:
            # Everything far ahead: the sweep must find nothing without reading it.
            contact = NOW + timedelta(days=rng.randrange(30, 365), minutes=rng.randrange(1440))
            span = contact + timedelta(days=14 + rng.randrange(14))
            bepaling = contact + timedelta(days=7 + rng.randrange(7))
            for key, step, due in (("step:contact", "contact", contact),
                                   ("span:2-4", "bepaling", span),
                                   ("step:bepaling", "bepaling", bepaling)):
                remind = due - timedelta(days=1, hours=15, minutes=30)
                deadlines.append({"referral_id": rid, "key": key, "step": step, "due_at": due,
                                  "remind_at": remind, "next_check_at": remind,
                                  "status": "pending", "tier": 0, "reminded": False})
        for chunk in _chunks(deadlines):
            conn.execute(insert(_DEADLINE), chunk)
    t2 = time.perf_counter()
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    t3 = time.perf_counter()
    return Loaded(people, t1 - t0, len(ids), len(deadlines), t2 - t1, t3 - t2)


def _ids(conn: Connection, sql: str) -> list[int]:
    return [int(r[0]) for r in conn.execute(text(sql))]


def _chunks(rows: list[dict[str, object]]) -> Iterator[list[dict[str, object]]]:
    for i in range(0, len(rows), INSERT_CHUNK):
        yield rows[i:i + INSERT_CHUNK]


# -- the sweep and its baseline ------------------------------------------------------


def ticker(engine: Engine, cal: WorkCalendar) -> Callable[[], SweepResult]:
    routes = default_routes()
    hours = Hours(cal, clock_time(8, 30), clock_time(17, 0))
    return lambda: sweep(engine, NOW, routes=routes, calendar=cal, hours=hours, batch=BATCH)


def baseline(engine: Engine, moved_to: datetime | None = None) -> int:
    """The sweep's claim loop as bare SQL; with `moved_to`, claimed rows are moved on."""
    postgres = engine.dialect.name == "postgresql"
    claim = (text(CLAIM_SQL + (" FOR UPDATE SKIP LOCKED" if postgres else ""))
             .bindparams(bindparam("now", type_=UTCDateTime())))  # UTC, as the sweep binds it
    params = {"now": NOW, "batch": BATCH}
    claim_engine = engine.execution_options(sqlite_begin="IMMEDIATE")
    total = 0
    while True:
        with claim_engine.begin() as conn:
            ids = [r[0] for r in conn.execute(claim, params)]
            if ids and moved_to is not None:
                conn.execute(update(_DEADLINE).where(_DEADLINE.c.id.in_(ids))
                             .values(next_check_at=moved_to))
        total += len(ids)
        if len(ids) < BATCH:
            return total


def measure_idle(engine: Engine, tick: Callable[[], SweepResult],
                 n: int) -> tuple[list[int], list[int]]:
    clock = time.perf_counter_ns
    for _ in range(5):  # warm-up: connections, statement caches, routes
        tick()
        baseline(engine)
    sweep_ns, base_ns = [], []
    for _ in range(n):
        t0 = clock()
        result = tick()
        t1 = clock()
        found = baseline(engine)
        t2 = clock()
        if result.claimed or found:
            raise RuntimeError(f"nothing should be due: sweep {result}, baseline {found}")
        sweep_ns.append(t1 - t0)
        base_ns.append(t2 - t1)
    return sweep_ns, base_ns


def measure_due(engine: Engine, tick: Callable[[], SweepResult], reps: int,
                rng: random.Random) -> DueTimes:
    """Make 1,000 'step:contact' deadlines lapse an hour ago, sweep, re-arm, repeat."""
    with engine.connect() as conn:
        contact = _ids(conn, "SELECT id FROM deadline WHERE key = 'step:contact' ORDER BY id")
    chosen = rng.sample(contact, DUE_COUNT)
    lapsed = NOW - timedelta(hours=1)
    later = NOW + timedelta(days=400)
    clock = time.perf_counter_ns
    sweep_ms, base_ms = [], []
    result = SweepResult()
    sent = [0]

    def count(*_: object) -> None:
        sent[0] += 1

    for _ in range(reps):
        arm(engine, chosen, lapsed)
        t0 = clock()
        moved = baseline(engine, moved_to=later)
        t1 = clock()
        arm(engine, chosen, lapsed)
        sent[0] = 0
        event.listen(engine, "before_cursor_execute", count)
        t2 = clock()
        result = tick()
        t3 = clock()
        event.remove(engine, "before_cursor_execute", count)
        if moved != DUE_COUNT or result.claimed != DUE_COUNT or result.escalations != DUE_COUNT:
            raise RuntimeError(f"expected {DUE_COUNT} due: baseline {moved}, sweep {result}")
        base_ms.append((t1 - t0) / 1e6)
        sweep_ms.append((t3 - t2) / 1e6)
    arm(engine, chosen, None)
    return DueTimes(sweep_ms, base_ms, result, sent[0])


def arm(engine: Engine, ids: list[int], lapsed: datetime | None) -> None:
    """Lapse the deadlines (reminder already sent, no tier yet) and forget what a
    previous sweep queued; None puts them far ahead again."""
    due = lapsed or NOW + timedelta(days=400)
    with engine.begin() as conn:
        conn.execute(delete(_OUTBOX))
        conn.execute(delete(_EVENT))
        conn.execute(update(_DEADLINE).where(_DEADLINE.c.id.in_(bindparam("ids", expanding=True)))
                     .values(due_at=due, next_check_at=due, remind_at=None, reminded=True,
                             tier=0, status="pending"),
                     {"ids": ids})


# -- APScheduler 3's SQLAlchemyJobStore ---------------------------------------------------


def measure_store(engine: Engine, jobs: int) -> StoreTimes:
    from apscheduler.job import Job
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.date import DateTrigger

    scheduler = BackgroundScheduler(timezone=UTC)  # never started: only lends jobs a home
    store = SQLAlchemyJobStore(engine=engine, tablename="bench_apscheduler_jobs")
    store.start(scheduler, "default")
    rng = random.Random(3)
    lapsed = NOW - timedelta(hours=1)
    built = []
    for i in range(jobs):
        # The first 1,000 have just lapsed, like the sweep's due case; the rest lie ahead.
        at = lapsed if i < DUE_COUNT else NOW + timedelta(days=rng.randrange(30, 365),
                                                          minutes=rng.randrange(1440))
        built.append(Job(scheduler, id=f"deadline-{i}", func=apscheduler_job,
                         args=(), kwargs={"deadline_id": i}, name=None,
                         trigger=DateTrigger(at, timezone=UTC), executor="default",
                         misfire_grace_time=None, coalesce=True, max_instances=1,
                         next_run_time=at))
    t0 = time.perf_counter()
    for job in built:
        store.add_job(job)
    t1 = time.perf_counter()
    everything = store.get_all_jobs()
    t2 = time.perf_counter()
    none_due = store.get_due_jobs(NOW - timedelta(hours=2))
    t3 = time.perf_counter()
    due = store.get_due_jobs(NOW)
    t4 = time.perf_counter()
    if none_due or len(everything) != jobs:
        raise RuntimeError(f"job store: {len(everything)} loaded, {len(none_due)} due early")
    store.remove_all_jobs()
    return StoreTimes(jobs, t1 - t0, t2 - t1, len(everything), (t3 - t2) * 1e3,
                      (t4 - t3) * 1e3, len(due))


# -- the report ----------------------------------------------------------------------


def _median(xs: list[float]) -> float:
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def report(dialect: str, loaded: Loaded, idle_sweep: list[int], idle_base: list[int],
           due: DueTimes, store: StoreTimes | None, total_s: float) -> None:
    isw, ibs = bench.stats(idle_sweep), bench.stats(idle_base)
    dsw, dbs = _median(due.sweep_ms), _median(due.baseline_ms)
    print(f"\nsweep benchmark on {dialect} (whole run {total_s:.0f} s)")
    print(f"  directory: Gelderland sample, {loaded.people} people, "
          f"imported in {loaded.directory_s:.2f} s")
    print(f"  caseload: {loaded.referrals:,} open referrals (301, step 'contact'), "
          f"{loaded.deadlines:,} pending deadlines; bulk insert {loaded.insert_s:.1f} s, "
          f"{'VACUUM ANALYZE' if dialect == 'postgresql' else 'ANALYZE'} "
          f"{loaded.analyze_s:.1f} s\n")
    print(f"  nothing due, {len(idle_sweep)} ticks{'':19} {'median ms':>10} {'p99 ms':>10}")
    print(f"  {'sweep(...)':46} {isw.median_ms:10.3f} {isw.p99_ms:10.3f}")
    print(f"  {'baseline: bare claim in a transaction':46} {ibs.median_ms:10.3f} "
          f"{ibs.p99_ms:10.3f}")
    print(f"  {'ratio sweep / baseline':46} {isw.median_ms / ibs.median_ms:9.1f}x "
          f"{isw.p99_ms / ibs.p99_ms:9.1f}x\n")
    r = due.result
    print(f"  {DUE_COUNT:,} due, {len(due.sweep_ms)} re-armed ticks{'':18} "
          f"{'median ms':>10} {'max ms':>10}")
    print(f"  {'sweep(...)':46} {dsw:10.1f} {max(due.sweep_ms):10.1f}")
    print(f"  {'baseline: bare claim + UPDATE, 500 a batch':46} {dbs:10.1f} "
          f"{max(due.baseline_ms):10.1f}")
    print(f"  {'ratio sweep / baseline':46} {dsw / dbs:9.1f}x "
          f"{max(due.sweep_ms) / max(due.baseline_ms):9.1f}x")
    print(f"  (each sweep: {r.claimed} claimed, {r.escalations} escalations, "
          f"{r.reminders} reminders;\n   {due.statements:,} SQL statements: "
          f"{due.statements / DUE_COUNT:.1f} statements and {dsw / DUE_COUNT:.2f} ms "
          "a deadline)\n")
    if store is None:
        print("  APScheduler SQLAlchemyJobStore: skipped (--apscheduler-jobs 0)\n")
    else:
        note = ("one job per deadline" if store.jobs >= loaded.deadlines else
                f"NOTE: {store.jobs:,} jobs, not one per deadline ({loaded.deadlines:,}); "
                "nothing extrapolated")
        print(f"  APScheduler 3 SQLAlchemyJobStore, same database: {note}")
        print(f"  {'add_job x ' + format(store.jobs, ','):46} {store.add_s:9.1f} s "
              f"({store.add_s / store.jobs * 1e3:.2f} ms a job)")
        print(f"  {'get_all_jobs() (' + format(store.loaded, ',') + ' jobs)':46} "
              f"{store.load_s:9.2f} s")
        print(f"  {'get_due_jobs(now), none due':46} {store.due_none_ms:9.1f} ms")
        print(f"  {f'get_due_jobs(now), {store.due_found:,} due':46} {store.due_ms:9.1f} ms\n")
    idle_ok = isw.median_ms < TARGET_IDLE_MS
    due_ok = dsw < TARGET_DUE_MS
    print(f"tick with nothing due < {TARGET_IDLE_MS:g} ms: {'PASS' if idle_ok else 'FAIL'} "
          f"(median {isw.median_ms:.2f} ms, p99 {isw.p99_ms:.2f} ms)")
    print(f"tick with 1,000 due < {TARGET_DUE_MS:g} ms: {'PASS' if due_ok else 'FAIL'} "
          f"(median {dsw:.0f} ms, max {max(due.sweep_ms):.0f} ms)")
