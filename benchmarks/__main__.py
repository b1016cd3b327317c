"""Run the benchmarks: `make bench` (national size) or `make bench-smoke` (BENCH_SIZE=tiny).

Each figure is printed with a baseline measured in the same run, their ratio, the goal of the performance work
and whether it was met; it never asserts on time. Results go to benchmarks/results/latest.json (a tiny run to
benchmarks/results/tiny.json; BENCH_RESULTS=path writes elsewhere).

The database: the run fills a database with hundreds of thousands of rows and leaves them there, so it never
uses a database it did not create. DATABASE_URL (or its older alias BENCH_DATABASE_URL, which wins) says which
server: on PostgreSQL the run creates a database of its own beside the configured one, named
`<name>_bench_<process id>`, and drops it at the end (the configured database is only connected to, never read
or written); otherwise — SQLite, or no DATABASE_URL — it uses a SQLite file in a temporary directory. Before
filling it, the run still refuses a database that has units.

Both the run and the gunicorn of the HTTP benchmark use production settings (DEBUG off) on plain HTTP. This
process caches in its own memory (it empties its cache before each cold render); the gunicorn caches as the
environment says: in each worker's memory, or with REDIS_URL set in that Redis, under a key prefix of the run's
own whose keys are deleted at the end.
"""

import os
import platform
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

from benchmarks.measure import Measurement, Progress, format_table, goals_summary, write_json
from benchmarks.sizes import size_from_env

RESULTS_DIR = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parents[1]

PRODUCTION_ON_PLAIN_HTTP = {
    "DJANGO_SETTINGS_MODULE": "cchc_portal.settings",
    "DEBUG": "0",
    "SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "0",
    "SECURE_HSTS_SECONDS": "0",
    "SESSION_COOKIE_SECURE": "0",
    "CSRF_COOKIE_SECURE": "0",
    "STATIC_MANIFEST": "0",
    "LOG_LEVEL": "ERROR",
    "JOBS_EAGER": "1",
    # A publication is timed alone: the job that renders its pages afterwards is measured apart (publication.py).
    "PRERENDER_ON_PUBLISH": "0",
}


class Database:
    """The benchmark's own database: a temporary SQLite file, or a PostgreSQL database created and dropped here."""

    def __init__(self, tmp: Path):
        configured = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL") or ""
        self.admin_url, self.name = None, None
        scheme = urlparse(configured).scheme
        if scheme in ("postgres", "postgresql", "pgsql", "postgis"):
            parsed = urlparse(configured)
            configured_name = parsed.path.lstrip("/") or "postgres"
            self.name = f"{configured_name[:40]}_bench_{os.getpid()}"  # PostgreSQL names have at most 63 bytes
            self.admin_url = configured
            self.url = parsed._replace(path=f"/{self.name}").geturl()
            self.kind = f"PostgreSQL, database {self.name} created for the run"
        elif scheme in ("", "sqlite"):
            self.url = f"sqlite:///{tmp / 'bench.sqlite3'}"
            self.kind = "SQLite, temporary file"
        else:
            raise SystemExit(f"the benchmarks run on SQLite or PostgreSQL, not {scheme}")

    def _execute(self, statement) -> None:
        import psycopg2

        # Any database of the server takes CREATE/DROP DATABASE: the configured one if it exists, else postgres.
        try:
            connection = psycopg2.connect(self.admin_url)
        except psycopg2.OperationalError:
            connection = psycopg2.connect(urlparse(self.admin_url)._replace(path="/postgres").geturl())
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(statement)
        finally:
            connection.close()

    def create(self) -> None:
        if self.name:
            from psycopg2 import sql

            # Fails if a database of that name exists: the run never takes over a database it did not create.
            self._execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))

    def drop(self) -> None:
        if self.name:
            from psycopg2 import sql

            self._execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name)))


def configure(database: Database) -> None:
    """Production settings on plain HTTP, pointed at the benchmark's database; migrate it."""
    os.environ.update(PRODUCTION_ON_PLAIN_HTTP)
    os.environ["DATABASE_URL"] = database.url
    os.environ.pop("BENCH_DATABASE_URL", None)
    os.environ.pop("DATABASE_REPLICA_URL", None)
    if os.environ.get("REDIS_URL"):
        os.environ["CACHE_PREFIX"] = f"cchc-bench-{os.getpid()}"
    import django
    from django.core.management import call_command

    redis_url = os.environ.pop("REDIS_URL", None)
    django.setup()
    if redis_url:
        os.environ["REDIS_URL"] = redis_url
    call_command("migrate", verbosity=0)


CHILD_PEAK = """
import sys
import django
django.setup()
from scoring.exports.detailed import detailed_workbook
from scoring.models import Period

def peak_kib():
    # VmHWM: this process's peak resident memory. ru_maxrss would do elsewhere, but Linux carries it over from the
    # parent through fork and exec, so a child of a large process would show no growth at all.
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))

period = Period.objects.get(pk=int(sys.argv[1]))
before = peak_kib()
detailed_workbook(period)
print((peak_kib() - before) / 1024)
"""


def child_peak(period_pk: int) -> float:
    """How much a fresh process's peak resident memory grows (MiB) while it writes the detailed report."""
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    done = subprocess.run(
        [sys.executable, "-c", CHILD_PEAK, str(period_pk)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode:
        raise RuntimeError(f"the detailed report failed in a child process:\n{done.stderr[-2000:]}")
    return float(done.stdout.strip().splitlines()[-1])


def run(size, tmp: Path, progress: Progress) -> tuple[list[Measurement], dict]:
    from benchmarks import load, suite

    built = suite.build(size, progress)
    progress("data built")
    measurements: list[Measurement] = []
    meta: dict = {}

    def commas(text: str) -> str:
        return "," + ",".join(part.strip() for part in text.split(",")) + ","

    # BENCH_ONLY=name,name: those sections alone, while working on them. A section's name may hold a comma
    # ("published pages, cache empty"): it is chosen when its parts stand in the list in a row.
    only = commas(os.environ.get("BENCH_ONLY", "")) if os.environ.get("BENCH_ONLY", "").strip() else ""

    def section(name: str, bench: Callable[[], list[Measurement]]) -> None:
        if only and commas(name) not in only:
            return
        progress(f"{name}: running")
        measurements.extend(bench())
        progress(f"{name}: done")

    def http() -> list[Measurement]:
        from units.models import Unit

        unit = Unit.objects.filter(block__code="xa").order_by("code").values_list("code", flat=True).first()
        year, n = suite.data.YEAR, size.communes
        page21, api21 = f"/xep-hang/{year}/so/", f"/api/v1/results/{year}/so/"
        # A hit's worker CPU against the trivial view's: the old goals of 0.7x and 0.8x its requests per second.
        pages = [
            load.Page(f"ranking page, {suite.SMALL} rows", page21, goal_cpu_ratio_max=round(1 / 0.7, 2)),
            load.Page(f"API, {suite.SMALL} rows", api21, goal_cpu_ratio_max=round(1 / 0.8, 2)),
            load.Page(f"xlsx, {suite.SMALL} rows", f"/xep-hang/{year}/so.xlsx"),
            load.Page("home page", "/"),
            load.Page("unit page", f"/don-vi/{unit}/"),
            load.Page(f"ranking page, {n:,} rows", f"/xep-hang/{year}/xa/"),
            load.Page(f"ranking page, {suite.SMALL} rows", page21, miss=True),
            load.Page(f"API, {suite.SMALL} rows", api21, miss=True),
            load.Page("home page", "/", miss=True),
            load.Page("unit page", f"/don-vi/{unit}/", miss=True),
        ]
        found, info = load.bench_http(pages, size.http_seconds, size.http_rounds, size.http_max_rounds, progress, tmp)
        meta.update(info)
        return found

    section("engine", lambda: suite.bench_engine(built))
    # Before publication: the period is approved, so the page projects totals, grades, ranks and the table to publish.
    section("period page", lambda: suite.bench_period_page(built))
    section("publication", lambda: suite.bench_publish(built))
    section("published pages, cache empty", lambda: suite.bench_cold_pages(built))
    section("published pages over HTTP", http)

    def mixed() -> list[Measurement]:
        from benchmarks import mixed
        from benchmarks.nginx import NGINX

        if not NGINX:
            progress("readers beside writers: SKIPPED, nginx is not installed (apt-get install nginx-light)")
            return []
        staff = mixed.build_staff(size.staff)
        think = float(os.environ.get("BENCH_STAFF_THINK", "2"))
        meta["staff_think_seconds"] = think
        paths = [f"/xep-hang/{suite.data.YEAR}/so/", f"/xep-hang/{suite.data.YEAR}/xa/"]
        return mixed.bench_readers_beside_writers(staff, paths, size.mixed_seconds, think, tmp / "mixed", progress)

    section("readers beside writers", mixed)
    section("search", lambda: suite.bench_search(built))
    section("import of published results", lambda: suite.bench_import(built, tmp))
    section("score sheet import", lambda: suite.bench_score_sheet(built, tmp))
    progress(f"entry sheet: building one unit x {suite.ENTRY_LEAVES} criteria")
    entry = suite.build_entry()
    section("entry sheet and its save", lambda: suite.bench_save(entry, size.runs + 2))
    section("entry sheet page", lambda: suite.bench_entry_sheet(entry, size.runs + 2))
    progress(f"detailed report: building {size.detailed_units} units x {size.detailed_leaves} criteria")
    detailed = suite.build_detailed(size)
    section("detailed report", lambda: suite.bench_detailed(size, detailed, child_peak))
    from benchmarks import publication

    section("national table from Redis, after a publication", lambda: publication.bench_redis_table(size, progress))
    section("detailed report at 1x and 3x national size", lambda: publication.bench_detailed_growth(built, progress))

    def growth() -> list[Measurement]:
        from benchmarks.growth import bench_growth

        return bench_growth(size.communes, size.growth_leaves, size.runs, progress)

    section("growth", growth)
    return measurements, meta


def machine() -> dict:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    except (ValueError, OSError):
        memory = None
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model or platform.processor(),
        "ram_gib": round(memory, 1) if memory else None,
        "python": platform.python_version(),
        "machine": platform.machine(),
    }


def database_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0]}"
        cursor.execute("SELECT sqlite_version()")
        return f"SQLite {cursor.fetchone()[0]}"


def forget_cache() -> None:
    """Delete what the gunicorn left in Redis under the run's prefix (the public generation never expires)."""
    if os.environ.get("REDIS_URL") and os.environ.get("CACHE_PREFIX"):
        import redis

        client = redis.Redis.from_url(os.environ["REDIS_URL"])
        for key in client.scan_iter(match=f"{os.environ['CACHE_PREFIX']}:*"):
            client.delete(key)


def close_connections() -> None:
    if "django.db" in sys.modules:
        from django.db import connections

        connections.close_all()


def results_path(size) -> Path:
    if os.environ.get("BENCH_RESULTS"):
        return Path(os.environ["BENCH_RESULTS"])
    return RESULTS_DIR / ("latest.json" if size.name == "full" else f"{size.name}.json")


def main() -> int:
    # A stopped run (a CI timeout sends SIGTERM) still drops its database and stops its gunicorn.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    progress = Progress()
    size = size_from_env()
    tmp = Path(tempfile.mkdtemp(prefix="cchc-bench-"))
    database = Database(tmp)
    try:
        progress(f"size {size.name}; database: {database.kind}; work directory {tmp}")
        database.create()
        configure(database)
        versions = database_version()
        measurements, meta = run(size, tmp, progress)
    except Exception as exc:
        traceback.print_exc()
        print(f"\nbenchmarks FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        close_connections()
        try:
            forget_cache()
            database.drop()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    meta = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "size": size.name,
        **machine(),
        "database": f"{versions} ({database.kind})",
        "cache": "Redis (gunicorn), local memory (this process)" if os.environ.get("REDIS_URL") else "local memory",
        **meta,
        "max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "total_seconds": round(time.perf_counter() - progress.started, 1),
    }
    path = results_path(size)
    print()
    print(format_table(measurements))
    print()
    print(goals_summary(measurements))
    print(
        f"HTTP load: {meta.get('load_tool')}, {meta.get('http_rounds')} rounds of {meta.get('http_round_seconds')} s; "
        f"gunicorn.conf.py: {meta.get('gunicorn_workers')} workers, {meta.get('gunicorn_workers_recycled')} recycled "
        f"during the rounds; cache: {meta['cache']}"
    )
    print(f"machine: {meta['cpus']} cores, {meta['cpu_model']}, {meta['ram_gib']} GiB RAM, Python {meta['python']}")
    print(f"total run time: {meta['total_seconds']:.1f} s on {meta['database']}, size {size.name}")
    write_json(path, measurements, meta)
    print(f"written: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
