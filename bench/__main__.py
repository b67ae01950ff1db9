"""`python -m bench [NAME ...]`: run the named benchmarks, or all of them."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
from types import ModuleType

import bench


def discover() -> dict[str, ModuleType]:
    """Every public module in this package is a benchmark."""
    names = sorted(m.name for m in pkgutil.iter_modules(bench.__path__)
                   if not m.name.startswith("_"))
    return {name: importlib.import_module(f"bench.{name}") for name in names}


def main(argv: list[str] | None = None) -> None:
    benchmarks = discover()
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"benchmarks to run (default: all of {', '.join(benchmarks)})")
    parser.add_argument("--database-url", metavar="URL",
                        help="SQLite file or PostgreSQL server to run on "
                             "(default: SQLite in a temporary directory)")
    for module in benchmarks.values():
        if hasattr(module, "add_arguments"):
            module.add_arguments(parser)
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in benchmarks]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)} (have: {', '.join(benchmarks)})")
    for name in args.names or benchmarks:
        benchmarks[name].run(args)


if __name__ == "__main__":
    main()
