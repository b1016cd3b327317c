"""What a publication costs after it has committed (issue 20, points 4 and 5), apart from the HTTP rounds of load.py:

- the detailed report of a national period: peak resident memory of a fresh process (VmHWM) and time, at the
  national size (`communes` units × `leaves` criteria: 3,321 × 100) and at three times as many units — memory must
  not grow with the rows (≤ 100 MiB at 1×);
- the national table served from Redis, against the trivial view of the same gunicorn (≥ 0.5×);
- a publication's pages rendered by its job (`reports.freshness.prerender`) into that Redis, and the first visitor
  afterwards: served what the job kept (its time beside a plain hit's), where without the job it pays a render.

The Redis: BENCH_REDIS_URL, else REDIS_URL, else redis://127.0.0.1:6379/0; its keys are under a prefix of the run's
own, deleted at the end. Without a Redis answering, the Redis lines are left out (and say so).
"""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import data, load
from benchmarks.measure import Measurement

ROOT = Path(__file__).resolve().parents[1]
DETAILED_GOAL_MIB = 100
GROWTH = 3
GROWTH_YEAR = 2027  # a year no other benchmark uses: the 3× period's units exist in it only
REDIS_RATIO_MIN = 0.5

CHILD = """
import sys, time
import django
django.setup()
import tempfile
from scoring.exports.detailed import write_detailed_workbook
from scoring.models import Period

def peak_kib():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))

period = Period.objects.get(pk=int(sys.argv[1]))
before, started = peak_kib(), time.perf_counter()
with tempfile.TemporaryFile() as file:  # as its job writes it (reports/jobs.py)
    write_detailed_workbook(period, file)
    size = file.tell()
print((peak_kib() - before) / 1024, time.perf_counter() - started, size)
"""


def _report_in_child(period_pk: int) -> tuple[float, float, int]:
    """(peak resident memory growth in MiB, seconds, bytes) of the detailed report written by a fresh process."""
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    command = [sys.executable, "-c", CHILD, str(period_pk)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"the detailed report failed in a child process:\n{done.stderr[-2000:]}")
    mib, seconds, size = done.stdout.strip().splitlines()[-1].split()
    return float(mib), float(seconds), int(size)


def bench_detailed_growth(built, progress) -> list[Measurement]:
    """The detailed report of the national period (1×) and of a period with GROWTH times its units."""
    from benchmarks.suite import analyze

    n, leaves = built.size.communes, built.size.leaves
    progress(f"detailed report growth: building {GROWTH * n:,} units x {leaves} criteria")
    names = data.commune_names(n + GROWTH * n)[n:]  # after the national period's: names are unique in a block
    grown = data.build_scored_period("xa", data.make_scores(names, "growth", leaves), GROWTH_YEAR, tag="grow",
                                     only_year=True)  # fmt: skip
    analyze()
    progress("detailed report growth: writing at 1x")
    mib_1, seconds_1, bytes_1 = _report_in_child(built.large_period.pk)
    progress(f"detailed report growth: {mib_1:.1f} MiB, {seconds_1:.1f} s at 1x; writing at {GROWTH}x")
    mib_3, seconds_3, bytes_3 = _report_in_child(grown.pk)
    progress(f"detailed report growth: {mib_3:.1f} MiB, {seconds_3:.1f} s at {GROWTH}x")
    one, three = f"{n:,} units x {leaves} criteria", f"{GROWTH * n:,} units x {leaves} criteria"
    return [
        Measurement(
            f"detailed report {one} ({bytes_1 / 2**20:.1f} MB): peak resident memory growth of a fresh process",
            mib_1, "MiB", goal_value_max=DETAILED_GOAL_MIB,
        ),
        Measurement(
            f"detailed report {three} ({bytes_3 / 2**20:.1f} MB): peak memory (baseline the same at 1x)",
            mib_3, "MiB", mib_1, goal_value_max=DETAILED_GOAL_MIB,
        ),
        Measurement(f"detailed report {one}: time in that process", seconds_1, "s"),
        Measurement(f"detailed report {three}: time (baseline the same at 1x; rows {GROWTH}x)", seconds_3, "s",
                    seconds_1),
    ]  # fmt: skip


# --- Redis ------------------------------------------------------------------------------------------------------


def _redis_url() -> str:
    return os.environ.get("BENCH_REDIS_URL") or os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


def _redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def _forget(url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    for key in client.scan_iter(match=f"{prefix}:*"):
        client.delete(key)


PRERENDER_CHILD = """
import sys, time
import django
django.setup()
from cchc_portal.public_cache import _renew
from reports.freshness import prerender

_renew()  # what a publication's commit does: every kept page stale
started = time.perf_counter()
kept = prerender(sys.argv[1:])
print(time.perf_counter() - started, kept)
"""


def _publication_in_child(env: dict, paths: list[str], render: bool) -> tuple[float, int]:
    """A new generation in the gunicorn's Redis, as a publication starts one, and (with `render`) the job's work."""
    script = PRERENDER_CHILD if render else PRERENDER_CHILD.replace("prerender(sys.argv[1:])", "0")
    done = subprocess.run([sys.executable, "-c", script, *paths], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"the prerendering failed in a child process:\n{done.stderr[-2000:]}")
    seconds, kept = done.stdout.strip().splitlines()[-1].split()
    return float(seconds), int(kept)


def _one_request_ms(port: int, path: str) -> float:
    started = time.perf_counter()
    status, _ = load.get(port, path)
    if status != 200:
        raise RuntimeError(f"GET {path}: HTTP {status}")
    return (time.perf_counter() - started) * 1000


def bench_redis_table(size, progress) -> list[Measurement]:
    """The national table from Redis against the trivial view — worker CPU per request and req/s, rounds interleaved
    as load.bench_http makes them, medians — and the first request after a publication with and without the job's
    prerendering."""
    url = _redis_url()
    if not _redis_answers(url):
        progress(f"redis: nothing answers at {url}; its measurements are left out")
        return []
    tool, tool_name = load.load_tool()
    prefix = f"cchc-bench-{os.getpid()}-redis"
    table = f"/xep-hang/{data.YEAR}/xa/"
    saved = {name: os.environ.get(name) for name in ("REDIS_URL", "CACHE_PREFIX", "CACHE_REDIS_URL")}
    os.environ.update({"REDIS_URL": url, "CACHE_PREFIX": prefix})
    os.environ.pop("CACHE_REDIS_URL", None)
    port = load.free_port()
    child_env = {**load.server_env(port), "PRERENDER_ADDRESSES": "http://127.0.0.1"}
    work = Path(tempfile.mkdtemp(prefix="cchc-bench-redis-"))
    pages = {"trivial": load.Page("trivial view", load.TRIVIAL), "table": load.Page("national table", table)}
    series = {name: load.Series() for name in pages}
    measurements: list[Measurement] = []
    try:
        progress(f"redis: gunicorn on {url} (prefix {prefix}), {tool_name}, rounds of {size.http_seconds:g} s")
        load.collect_static()
        with load.gunicorn(port, work) as server:
            # Every worker warm, as they are when a publication comes: each has served the views and templates.
            for page in pages.values():
                tool(port, page.path, min(size.http_seconds, 1.0), False, work)
            # The first visitor after a publication: without the job's pages (a render), then with them.
            _publication_in_child(child_env, [table], render=False)
            missed = _one_request_ms(port, table)
            seconds, kept = _publication_in_child(child_env, [table], render=True)
            if kept != 1:
                raise RuntimeError(f"the prerendering kept {kept} pages of 1")
            prerendered = _one_request_ms(port, table)
            hits = [_one_request_ms(port, table) for _ in range(5)]
            for page in pages.values():
                tool(port, page.path, min(size.http_seconds, 1.0), False, work)  # warm: every worker
            number = 0
            trivial = series["trivial"]
            while number < size.http_rounds or (trivial.spread() >= load.SPREAD_MAX and number < size.http_max_rounds):
                number += 1
                for name in ("trivial", "table") if number % 2 else ("table", "trivial"):
                    measured = load.measure_round(tool, server, pages[name], size.http_seconds, work)
                    if measured.failed:
                        raise RuntimeError(f"{pages[name].path}: {measured.failed} failed requests under load")
                    series[name].rounds.append(measured)
                progress(f"redis: round {number}, worker CPU ms/request: trivial {trivial.rounds[-1].cpu_ms:.2f}, "
                         f"table {series['table'].rounds[-1].cpu_ms:.2f}")  # fmt: skip
        base, hit_series = series["trivial"], series["table"]
        hit = statistics.median(hits)
        n = size.communes
        measurements = [
            Measurement(f"redis: trivial view {load.TRIVIAL}, gunicorn caching in Redis, worker CPU per request",
                        base.median("cpu_ms"), "ms"),
            Measurement(f"redis: ranking page, {n:,} rows, hit, worker CPU per request (baseline trivial view)",
                        hit_series.median("cpu_ms"), "ms", base.median("cpu_ms"), goal_ratio_max=1 / REDIS_RATIO_MIN),
            Measurement(f"redis: ranking page, {n:,} rows, hit, req/s (baseline trivial view)",
                        hit_series.median("rate"), "req/s", base.median("rate"), goal_ratio_min=REDIS_RATIO_MIN),
            Measurement(f"publication job: {n:,}-row table rendered and kept in Redis", seconds, "s"),
            Measurement(f"first request after a publication, job's page (baseline a hit, {n:,} rows)", prerendered,
                        "ms", hit, goal_ratio_max=3),
            Measurement(f"first request after a publication, no job: a render (baseline a hit, {n:,} rows)", missed,
                        "ms", hit),
        ]  # fmt: skip
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        _forget(url, prefix)
        shutil.rmtree(work, ignore_errors=True)
    return measurements
