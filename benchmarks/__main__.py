"""Run the national-scale benchmarks: `make bench` (DEBUG=1 .venv/bin/python -m benchmarks).

Prints measured figures and their ratio to a baseline measured in the same process; it never
asserts on time. The data go to a temporary SQLite file, never to db.sqlite3; set
BENCH_DATABASE_URL to run against another database (it must be empty and throwaway: the run
leaves its data there). Results are also written to benchmarks/results/latest.json.
"""

import os
import platform
import shutil
import sys
import tempfile
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.measure import Measurement, Progress, format_table, write_json

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"


def configure(tmp: Path) -> str:
    """Point Django at the benchmark database, set it up and migrate; return the database's kind."""
    custom = os.environ.get("BENCH_DATABASE_URL")
    os.environ["DATABASE_URL"] = custom or f"sqlite:///{tmp / 'bench.sqlite3'}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "cchc_portal.settings"
    os.environ.setdefault("DEBUG", "1")

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from django.db import connection

    return f"{connection.vendor} ({'BENCH_DATABASE_URL' if custom else 'temporary file'})"


def close_connections() -> None:
    if "django.db" in sys.modules:
        from django.db import connections

        connections.close_all()


def report(measurements: list[Measurement], meta: dict) -> None:
    print()
    print(format_table(measurements))
    print()
    print(f"total run time: {meta['total_seconds']:.1f} s on {meta['database']}")
    write_json(RESULTS, measurements, meta)
    print(f"written: {RESULTS}")


def main() -> int:
    progress = Progress()
    tmp = Path(tempfile.mkdtemp(prefix="cchc-bench-"))
    try:
        progress(f"setting up Django and migrating (work directory {tmp})")
        database = configure(tmp)
        from benchmarks import suite

        measurements = suite.run_all(tmp, progress)
    except Exception as exc:
        traceback.print_exc()
        print(f"\nbenchmarks FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        close_connections()
        shutil.rmtree(tmp, ignore_errors=True)
    meta = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "database": database,
        "total_seconds": round(time.perf_counter() - progress.started, 1),
    }
    report(measurements, meta)
    return 0


if __name__ == "__main__":
    sys.exit(main())
