"""Run every benchmark module in this package and print its figures.

Each benchmark runs against a throwaway SQLite database in a temporary directory, so
the project database is never touched. ``python -m benchmarks [name ...] [--quick]``.
"""

import argparse
import importlib
import os
import pkgutil
import shutil
import sys
import tempfile
import time
from pathlib import Path


def discover() -> list[str]:
    package_dir = Path(__file__).resolve().parent
    return sorted(m.name for m in pkgutil.iter_modules([str(package_dir)]) if not m.name.startswith("_"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("names", nargs="*", help="benchmark modules to run (default: all)")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args(argv)

    workdir = tempfile.mkdtemp(prefix="policyforms-bench-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.test")
    os.environ["SQLITE_PATH"] = str(Path(workdir) / "bench.sqlite3")
    os.environ.pop("DATABASE_URL", None)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

    import django

    django.setup()
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    setup_test_environment()
    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    print(
        f"# database: SQLite at {os.environ['SQLITE_PATH']} (migrated in {time.perf_counter() - started:.1f} s)"
    )

    names = args.names or discover()
    try:
        for name in names:
            module = importlib.import_module(f"benchmarks.{name}")
            runner = getattr(module, "run", None)
            if runner is None:
                continue
            print(f"\n## {name}")
            runner(quick=args.quick)
    finally:
        from django.db import connections

        connections.close_all()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
