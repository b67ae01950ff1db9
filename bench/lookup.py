"""Latency of `wie <gemeente>` against the national directory, next to a bare indexed query.

Both are timed in the same run, on the same database, for the same gemeenten,
interleaved, so the ratio says how much the handler costs on top of the one
round trip it cannot avoid. The baseline checks a connection out of the same
engine for every query, as a handler would, and runs one indexed SELECT.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import datetime

from sqlalchemy import Engine, text

import bench
from bench.directories.synthetic import SAMPLE_DAY
from handlers.contacts.lookup import lookup
from handlers.core import Context

TARGET_P99_MS = 5.0
BASELINE_SQL = text("SELECT id, name FROM gemeente WHERE cbs_code = :c")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("lookup")
    group.add_argument("-n", "--lookups", type=int, default=2000, metavar="N",
                       help="timed lookups (default: 2000)")
    group.add_argument("--warmup", type=int, default=200, metavar="N",
                       help="untimed lookups first (default: 200)")
    group.add_argument("--seed", type=int, default=1, help="seed for the query mix")


def queries(gemeenten: list[tuple[str, str]], n: int, rng: random.Random) -> list[tuple[str, str]]:
    """(what the user types, the CBS code it must find): names, codes, and sloppy typing."""
    out = []
    for _ in range(n):
        cbs, name = rng.choice(gemeenten)
        digits = cbs[2:]
        kind = rng.random()
        if kind < 0.5:
            typed = name
        elif kind < 0.8:
            typed = rng.choice([cbs, digits, f"gm{int(digits)}"])
        else:
            typed = rng.choice([
                name.lower(),
                name.upper(),
                name.replace("e", "é", 1).replace("a", "á", 1),
                name.replace("'s-", "s ", 1),
            ])
        out.append((typed, cbs))
    return out


def run(args: argparse.Namespace) -> None:
    if args.lookups < 1 or args.warmup < 0:
        raise SystemExit("bench lookup: needs --lookups >= 1 and --warmup >= 0")
    with bench.fresh_database(args.database_url) as engine:
        dialect = engine.dialect.name
        loaded = bench.load_country(engine)
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT cbs_code, name FROM gemeente ORDER BY cbs_code"))
            gemeenten = [(r.cbs_code, r.name) for r in rows]
        rng = random.Random(args.seed)
        warm = queries(gemeenten, args.warmup, rng)
        timed = queries(gemeenten, args.lookups, rng)
        ctx = Context(engine, clock=lambda: datetime.combine(SAMPLE_DAY, datetime.min.time()),
                      platform="console")
        measure(ctx, engine, warm)
        lookup_ns, baseline_ns = measure(ctx, engine, timed)

    hand, base = bench.stats(lookup_ns), bench.stats(baseline_ns)
    print(f"\nlookup benchmark on {dialect}")
    print(f"  directory: {loaded.gemeenten} gemeenten, {loaded.people} people; "
          f"generate+parse {loaded.parse_s:.2f} s, import {loaded.import_s:.2f} s")
    print(f"  {len(timed)} lookups after {len(warm)} warm-up, seed {args.seed}\n")
    print(f"  {'':32} {'median ms':>10} {'p99 ms':>10}")
    print(f"  {'lookup(ctx, query)':32} {hand.median_ms:10.3f} {hand.p99_ms:10.3f}")
    print(f"  {'baseline: SELECT by cbs_code':32} {base.median_ms:10.3f} {base.p99_ms:10.3f}")
    print(f"  {'ratio lookup / baseline':32} {hand.median_ms / base.median_ms:9.1f}x "
          f"{hand.p99_ms / base.p99_ms:9.1f}x\n")
    if dialect == "sqlite":
        verdict = "PASS" if hand.p99_ms < TARGET_P99_MS else "FAIL"
    else:
        verdict = f"n/a (this run used {dialect})"
    print(f"target p99 < {TARGET_P99_MS:g} ms on SQLite: {verdict}")


def measure(ctx: Context, engine: Engine,
            work: list[tuple[str, str]]) -> tuple[list[int], list[int]]:
    """Time each lookup and its baseline back to back; check both found the right gemeente."""
    clock = time.perf_counter_ns
    lookup_ns, baseline_ns = [], []
    for typed, cbs in work:
        t0 = clock()
        reply = lookup(ctx, typed)
        t1 = clock()
        with engine.connect() as conn:
            row = conn.execute(BASELINE_SQL, {"c": cbs}).one()
        t2 = clock()
        if not reply.ok or reply.data["cbs_code"] != cbs or row.name != reply.data["gemeente"]:
            raise RuntimeError(f"lookup {typed!r} did not find {cbs}: {reply.data}")
        lookup_ns.append(t1 - t0)
        baseline_ns.append(t2 - t1)
    return lookup_ns, baseline_ns
