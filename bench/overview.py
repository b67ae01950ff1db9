"""The overview and figures pages at 10,000 referrals, next to the bare SQL they run.

The Gelderland sample directory is loaded, then N referrals (default 10,000),
all in the gemeenten of one region, are bulk-inserted with their histories in
the shared vocabulary (aangemaakt, contact, stap, acceptatie, zorg_gestart,
ret, stap6, ingetrokken) and step deadlines (met, lapsed, pending), spread over
the past twelve months: 70 % done, 20 % open, 10 % withdrawn; plus 300
escalation-model cases. The region's contact person is signed in.

Timed in one run on the same database:
* GET /overzicht/ (open referrals, lapsed first) and GET /overzicht/cijfers
  (twelve months of figures), through the ASGI app (Starlette test client);
* the baseline: exactly the SQL statements those requests executed (captured
  from the engine), replayed on a raw DBAPI cursor.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, insert, text

import bench
from bot.app import KetenBot
from bot.config import Settings
from handlers.overview.sign_in import WebSettings, new_link_token
from storage.db import session_scope
from storage.directory.importer import import_doc
from storage.directory.read import load
from storage.tables import Deadline, ModelEscalation, Referral, ReferralEvent

SAMPLE = Path(__file__).resolve().parent.parent / "storage" / "sample" / "gelderland.yaml"
TARGET_MS = 1000.0  # "well under a second"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("overview")
    group.add_argument("--overview-referrals", type=int, default=10_000, metavar="N")
    group.add_argument("--overview-reps", type=int, default=30, metavar="N",
                       help="requests per page (default: 30)")


def populate(engine: Engine, n: int, now: Any, rng: random.Random) -> int:
    """Returns the person id of the region's contact person."""
    with session_scope(engine) as session:
        result = import_doc(load(SAMPLE), session)
    if not result.ok:
        raise RuntimeError(f"import failed: {result.problems[:3]}")
    with engine.begin() as conn:
        region, rcp = conn.execute(text(
            "SELECT o.region_id, p.id FROM person p JOIN team t ON t.id = p.team_id "
            "JOIN organisation o ON o.id = t.organisation_id "
            "WHERE p.role = 'regionale_contactpersoon' AND o.region_id = ("
            " SELECT region_id FROM gemeente GROUP BY region_id ORDER BY count(*) DESC LIMIT 1)"
            " ORDER BY p.id LIMIT 1")).one()
        lts = {g: p for g, p in conn.execute(text(
            "SELECT tg.gemeente_id, min(p.id) FROM person p JOIN team t ON t.id = p.team_id "
            "JOIN organisation o ON o.id = t.organisation_id "
            "JOIN team_gemeente tg ON tg.team_id = t.id JOIN gemeente g ON g.id = tg.gemeente_id "
            "WHERE o.kind = 'lokaal_team' AND p.role = 'medewerker' AND g.region_id = :r "
            "GROUP BY tg.gemeente_id"), {"r": region})}
        jbs = [r[0] for r in conn.execute(text(
            "SELECT p.id FROM person p JOIN team t ON t.id = p.team_id JOIN organisation o "
            "ON o.id = t.organisation_id WHERE o.kind = 'gi' AND p.role = 'medewerker'"))]
        refs, events, deadlines = [], [], []
        gemeenten = sorted(lts)
        for i in range(n):
            gid = rng.choice(gemeenten)
            start = now - timedelta(days=rng.randrange(1, 365), hours=rng.randrange(0, 8))
            kind = rng.random()
            status = "closed" if kind < 0.7 else "open" if kind < 0.9 else "withdrawn"
            acc = start + timedelta(days=rng.randrange(2, 40))
            care = acc + timedelta(days=rng.randrange(1, 20))
            refs.append({"id": i + 1, "ref": f"KB-{i + 1:05d}", "route": "301",
                         "kenmerk": f"K-{i}", "gemeente_id": gid, "status": status,
                         "step": "start" if status != "open" else rng.choice(
                             ["contact", "bepaling", "toewijzing", "start"]),
                         "step_started_at": start, "jb_id": rng.choice(jbs), "lt_id": lts[gid],
                         "lt_backup_id": None, "zorgaanbieder_id": None, "created_at": start,
                         "closed_at": care if status == "closed" else None})
            hist = [("aangemaakt", start, "contact"), ("stap", start, "contact"),
                    ("contact", start + timedelta(days=1), "contact"),
                    ("stap", start + timedelta(days=2), "bepaling")]
            if status == "closed":
                hist += [("acceptatie", acc, "start"), ("zorg_gestart", care, "start")]
            if status == "withdrawn":
                hist.append(("ingetrokken", acc, "start"))
            if i % 20 == 0:
                hist.append(("ret", start + timedelta(days=3), "alternatief"))
            if i % 50 == 0:
                hist.append(("stap6", start + timedelta(days=4), "escalatie"))
            events += [{"referral_id": i + 1, "at": at, "actor_id": None, "platform": "bench",
                        "action": a, "step": s, "detail": {}} for a, at, s in hist]
            due = start + timedelta(days=rng.randrange(1, 10))
            open_now = status == "open"
            deadlines.append({"referral_id": i + 1, "key": f"step:{refs[-1]['step']}",
                              "step": refs[-1]["step"], "due_at": due,
                              "status": "pending" if open_now and due > now else
                              "lapsed" if rng.random() < 0.3 else "met",
                              "next_check_at": None, "tier": 0, "reminded": False,
                              "remind_at": None})
            deadlines.append({"referral_id": i + 1, "key": "step:contact", "step": "contact",
                              "due_at": start + timedelta(days=4),
                              "status": "lapsed" if rng.random() < 0.2 else "met",
                              "next_check_at": None, "tier": 0, "reminded": False,
                              "remind_at": None})
        models = [{"situation": rng.choice(["dilemma", "samenwerking", "zorgelijk"]),
                   "tier": rng.randrange(0, 4), "status": "closed" if j % 3 else "open",
                   "started_by_id": jbs[0], "gemeente_id": rng.choice(gemeenten),
                   "created_at": now - timedelta(days=rng.randrange(10, 300)),
                   "closed_at": now - timedelta(days=rng.randrange(1, 9)) if j % 3 else None}
                  for j in range(300)]
        for table, rows in ((Referral, refs), (ReferralEvent, events), (Deadline, deadlines),
                            (ModelEscalation, models)):
            for k in range(0, len(rows), 5000):
                conn.execute(insert(table.__table__), rows[k:k + 5000])  # type: ignore[union-attr]
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT setval('referral_id_seq', :n)"), {"n": n})
            conn.execute(text("ANALYZE"))
    return int(rcp)


def _time(fn: Callable[[], object], reps: int) -> bench.Stats:
    fn()  # warm caches and plans
    samples = []
    for _ in range(reps):
        t0 = time.perf_counter_ns()
        fn()
        samples.append(time.perf_counter_ns() - t0)
    return bench.stats(samples)


def run(args: argparse.Namespace) -> None:
    from starlette.applications import Starlette
    from starlette.routing import Mount
    from starlette.testclient import TestClient

    from bot.web.app import web_app

    with bench.fresh_database(args.database_url) as engine:
        settings = Settings(_env_file=None)  # type: ignore[call-arg]
        kb = KetenBot(settings, engine, lambda: _now(settings))
        now = kb.clock()
        t0 = time.perf_counter()
        rcp = populate(engine, args.overview_referrals, now, random.Random(12))
        load_s = time.perf_counter() - t0
        app = Starlette(routes=[Mount("/overzicht", app=web_app(
            kb, WebSettings(secret="bench", base_url="http://bench")))])
        client = TestClient(app, base_url="http://bench")
        token = new_link_token(engine, rcp, now)
        assert client.post("/overzicht/login", data={"token": token},
                           follow_redirects=False).status_code == 303
        pages = {"overview  GET /overzicht/": "/overzicht/",
                 "figures   GET /overzicht/cijfers": "/overzicht/cijfers"}
        print(f"bench overview: {args.overview_referrals:,} referrals on "
              f"{engine.dialect.name} (loaded in {load_s:.1f} s), {args.overview_reps} "
              "requests per page\n")
        print(f"  {'':40} {'median ms':>10} {'p99 ms':>10}")
        ok = True
        for label, path in pages.items():
            captured: list[tuple[str, Any]] = []

            def capture(conn, cursor, statement, params, context, executemany,  # type: ignore[no-untyped-def]
                        captured: list[tuple[str, Any]] = captured):
                if not statement.lstrip().upper().startswith(("INSERT", "BEGIN", "COMMIT")):
                    captured.append((statement, params))

            event.listen(engine, "before_cursor_execute", capture)
            assert client.get(path).status_code == 200
            event.remove(engine, "before_cursor_execute", capture)
            page = _time(partial(client.get, path), args.overview_reps)

            def bare(stmts: list[tuple[str, Any]] = captured) -> None:
                raw = engine.raw_connection()
                try:
                    cur = raw.cursor()
                    for statement, params in stmts:
                        cur.execute(statement, params)
                        cur.fetchall()
                    raw.rollback()
                finally:
                    raw.close()

            sql = _time(bare, args.overview_reps)
            print(f"  {label:40} {page.median_ms:10.1f} {page.p99_ms:10.1f}")
            print(f"  {'  bare SQL (' + str(len(captured)) + ' statements)':40} "
                  f"{sql.median_ms:10.1f} {sql.p99_ms:10.1f}")
            print(f"  {'  ratio page / SQL':40} {page.median_ms / sql.median_ms:9.1f}x "
                  f"{page.p99_ms / sql.p99_ms:9.1f}x")
            ok = ok and page.p99_ms < TARGET_MS
        print(f"\npages answer in under {TARGET_MS:g} ms at p99: {'PASS' if ok else 'FAIL'}")


def _now(settings: Settings) -> Any:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo(settings.timezone))
