"""Run every benchmark module in this package and print its figures.

Each benchmark runs against a throwaway SQLite database in a temporary directory, so
the project database is never touched. ``python -m benchmarks [name ...] [--quick]``.
"""

# Django is set up here, before any benchmark module is loaded, so the benchmark modules
# import models at module level. A benchmark that measures in a fresh process starts it as
# ``python -m benchmarks --child <name> <argument ...>`` (see ``benchmarks.child_command``):
# Django is set up the same way, on the parent's database, and the module's
# ``child(arguments)`` runs.

import argparse
import importlib
import os
import pkgutil
import shutil
import sys
import tempfile
import time
from pathlib import Path

import django
from django.core.management import call_command
from django.db import connections
from django.test.utils import setup_test_environment

from benchmarks import CHILD

ROOT = Path(__file__).resolve().parent.parent


def discover() -> list[str]:
    package_dir = Path(__file__).resolve().parent
    return sorted(m.name for m in pkgutil.iter_modules([str(package_dir)]) if not m.name.startswith("_"))


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.test")
    sys.path.insert(0, str(ROOT))
    django.setup()


def child(name: str, arguments: list[str]) -> int:
    """In a fresh process started by a benchmark: the parent's database, already migrated."""
    _setup_django()
    # Loaded by name once Django is set up: the module imports models at module level.
    importlib.import_module(f"benchmarks.{name}").child(arguments)
    return 0


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == [CHILD]:
        return child(argv[1], argv[2:])
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("names", nargs="*", help="benchmark modules to run (default: all)")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args(argv)

    workdir = tempfile.mkdtemp(prefix="policyforms-bench-")
    os.environ["SQLITE_PATH"] = str(Path(workdir) / "bench.sqlite3")
    os.environ.pop("DATABASE_URL", None)
    _setup_django()

    setup_test_environment()
    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    print(
        f"# database: SQLite at {os.environ['SQLITE_PATH']} (migrated in {time.perf_counter() - started:.1f} s)"
    )

    names = args.names or discover()
    try:
        for name in names:
            # Loaded by name once Django is set up: each module imports models at module level.
            module = importlib.import_module(f"benchmarks.{name}")
            runner = getattr(module, "run", None)
            if runner is None:
                continue
            print(f"\n## {name}")
            runner(quick=args.quick)
    finally:
        connections.close_all()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
