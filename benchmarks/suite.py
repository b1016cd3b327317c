"""The four benchmarks; each returns Measurements and checks that the work it timed was done."""

import csv
import dataclasses
import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from io import BytesIO
from pathlib import Path

from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from benchmarks import data
from benchmarks.measure import Measurement, Progress, best_of, peak_memory
from scoring import ranking
from scoring.imports.results import read_result_rows, results_import
from scoring.models import Criterion, Method, Period, Score
from scoring.services import period_publish
from units.models import Block, Unit

N = data.COMMUNES
SMALL = data.SMALL_UNITS


class BenchmarkError(Exception):
    """The benchmark could not measure what it meant to (wrong data, an HTTP error, a failed check)."""


def check(condition: bool, message: str) -> None:
    if not condition:
        raise BenchmarkError(message)


def run_all(tmp: Path, progress: Progress) -> list[Measurement]:
    check(not Unit.objects.exists(), "the database already has units: use an empty, throwaway database")
    progress(f"building data: {N:,} communes x {data.LEAVES} leaves = {N * data.LEAVES:,} scores")
    large = data.make_scores(data.commune_names(N), "xa")
    small = data.make_scores(data.department_names(), "so")
    large_period = data.build_scored_period("xa", large, data.YEAR)
    small_period = data.build_scored_period("so", small, data.YEAR)
    check(Score.objects.filter(period=large_period).count() == N * data.LEAVES, "Score rows were not all created")
    progress("data built")
    measurements: list[Measurement] = []
    for name, bench in (
        ("engine", lambda: bench_engine(large)),
        ("period_publish", lambda: bench_publish(large_period, small_period)),
        ("import", lambda: bench_import(tmp)),
        ("public pages", lambda: bench_pages()),
        ("score sheet import and detailed report", lambda: bench_score_sheet(tmp, small_period)),
    ):
        progress(f"{name}: running")
        reset_queries()
        measurements.extend(bench())
        progress(f"{name}: done")
    return measurements


# --- 1. Engine --------------------------------------------------------------------------------


def bench_engine(scores: data.Scores) -> list[Measurement]:
    leaf_lists = [scores.leaves(i) for i in range(len(scores.names))]
    point_lists = scores.points
    t_total, totals = best_of(lambda: [ranking.compute_total(leaves).total for leaves in leaf_lists], 3)
    t_sum, sums = best_of(lambda: [sum(points, Decimal(0)) for points in point_lists], 3)
    # Every leaf is applicable and the maxima sum to 100, so the index is the plain sum.
    check(totals == sums, "compute_total disagrees with the plain sum of the points")
    named = enumerate(zip(scores.names, totals, strict=True))
    entries = [ranking.Entry(key=i, name=name, total=total) for i, (name, total) in named]
    pairs = [(entry.total, entry.name) for entry in entries]
    t_rank, table = best_of(lambda: ranking.rank_entries(entries, decimals=3), 5)
    t_sorted, _ = best_of(lambda: sorted(pairs), 5)
    check(len(table) == N, "rank_entries lost rows")
    leaves = N * data.LEAVES
    return [
        Measurement(f"engine: rank_entries, {N:,} entries (baseline sorted())", t_rank * 1e3, "ms", t_sorted * 1e3),
        Measurement("engine: rank_entries per entry", t_rank / N * 1e6, "us/entry"),
        Measurement(f"engine: compute_total, {N:,} units x 100 leaves (baseline sum())", t_total, "s", t_sum),
        Measurement("engine: compute_total per leaf", t_total / leaves * 1e6, "us/leaf", t_sum / leaves * 1e6),
    ]


# --- 2. period_publish ------------------------------------------------------------------------


def bench_publish(period: Period, small_period: Period) -> list[Measurement]:
    def read():
        return list(Score.objects.filter(period=period).values_list("unit_id", "criterion_id", "appraised_points"))

    t_read, rows = best_of(read, 3)
    check(len(rows) == N * data.LEAVES, "the baseline read did not see every Score row")
    t_publish, queries = _publish_timed(period, N)
    t_small, small_queries = _publish_timed(small_period, SMALL)
    data.unpublish(period)
    mem_read, _ = peak_memory(read)
    mem_publish, _ = peak_memory(lambda: _publish(period))
    label = f"{N:,} units x 100 leaves"
    return [
        Measurement(f"publish: period_publish, {label} (baseline read scores)", t_publish, "s", t_read),
        Measurement(f"publish: queries, {label} (baseline {SMALL} units)", queries, "queries", small_queries),
        Measurement(f"publish: time per unit (baseline {SMALL}-unit publish)", t_publish / N * 1e3, "ms/unit",
                    t_small / SMALL * 1e3),
        Measurement("publish: peak memory (baseline read scores)", mem_publish, "MiB", mem_read),
    ]  # fmt: skip


def _publish(period: Period):
    version = period_publish(
        period=period, decision_number="123/QĐ-BENCH", decision_date=date(data.YEAR + 1, 2, 1), by=data.bench_admin()
    )
    written = version.results.count()
    check(written == period.block.units.count(), f"period_publish wrote {written} results")
    return version


def _publish_timed(period: Period, units: int) -> tuple[float, int]:
    admin = data.bench_admin()
    with CaptureQueriesContext(connection) as captured:
        start = time.perf_counter()
        version = period_publish(
            period=period, decision_number="123/QĐ-BENCH", decision_date=date(data.YEAR + 1, 2, 1), by=admin
        )
        elapsed = time.perf_counter() - start
    written = version.results.count()
    check(written == units, f"period_publish wrote {written} results, expected {units}")
    return elapsed, len(captured.captured_queries)


# --- 3. Import of published results -----------------------------------------------------------


def bench_import(tmp: Path) -> list[Measurement]:
    path = tmp / "ket-qua-xa.csv"
    data.write_results_csv(path, N, data.IMPORT_YEAR)
    blocks = list(Block.objects.all())
    t_csv, records = best_of(lambda: _csv_records(path), 5)
    check(len(records) == N + 1, "the CSV does not have one row per unit")
    t_read, rows = best_of(lambda: read_result_rows(path, blocks), 3)
    check(len(rows) == N, "read_result_rows lost rows")
    t_first, q_first, summary = _import_timed(path, blocks)
    check(summary.units_created == N, f"the first import created {summary.units_created} units, expected {N}")
    # A published table is never replaced: each later run publishes a correction (a new version).
    t_again, (q_again, summary) = best_of(lambda: _import_timed(path, blocks, correction="đo hiệu năng")[1:], 3)
    check(summary.units_created == 0 and summary.results == N, "the correction did not publish the table again")
    mem_import, _ = peak_memory(lambda: results_import(rows=read_result_rows(path, blocks), correction="đo hiệu năng"))
    mem_csv, _ = peak_memory(lambda: _csv_records(path))
    return [
        Measurement(f"import: read_result_rows, {N:,} rows (baseline csv.reader)", t_read * 1e3, "ms", t_csv * 1e3),
        Measurement("import: first run, creates units (baseline csv.reader)", t_first * 1e3, "ms", t_csv * 1e3),
        Measurement("import: correction run, new version (baseline csv.reader)", t_again * 1e3, "ms", t_csv * 1e3),
        Measurement("import: queries, first run (baseline correction run)", q_first, "queries", q_again),
        Measurement("import: peak memory, correction run (baseline csv.reader)", mem_import, "MiB", mem_csv),
    ]


def _csv_records(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def _import_timed(path: Path, blocks: list[Block], correction: str = ""):
    """read_result_rows + results_import: seconds, queries, summary."""
    with CaptureQueriesContext(connection) as captured:
        start = time.perf_counter()
        summary = results_import(rows=read_result_rows(path, blocks), correction=correction)
        elapsed = time.perf_counter() - start
    return elapsed, len(captured.captured_queries), summary


# --- 4. Public pages --------------------------------------------------------------------------

PAGES = (
    ("html", "/xep-hang/{year}/{block}/"),
    ("xlsx", "/xep-hang/{year}/{block}.xlsx"),
    ("json", "/api/v1/results/{year}/{block}/"),
)


@dataclass(frozen=True)
class PageRun:
    seconds: float
    size: int
    queries: int
    peak_mib: float


def bench_pages() -> list[Measurement]:
    client = Client()
    measurements = []
    for kind, pattern in PAGES:
        small = _page(client, pattern.format(year=data.YEAR, block="so"), runs=5)
        large = _page(client, pattern.format(year=data.YEAR, block="xa"), runs=3)
        per_row = (large.seconds - small.seconds) / (N - SMALL)
        label = f"page {kind}: {N:,} rows"
        base = f"(baseline {SMALL} rows)"
        measurements += [
            Measurement(f"{label}, time {base}", large.seconds * 1e3, "ms", small.seconds * 1e3),
            Measurement(f"page {kind}: extra cost per row", per_row * 1e3, "ms/row"),
            Measurement(f"{label}, size {base}", large.size / 1024, "KiB", small.size / 1024),
            Measurement(f"{label}, queries {base}", large.queries, "queries", small.queries),
            Measurement(f"{label}, peak memory {base}", large.peak_mib, "MiB", small.peak_mib),
        ]
    return measurements


def _page(client: Client, url: str, runs: int) -> PageRun:
    def fetch():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, HTTP_HOST="localhost")
        check(response.status_code == 200, f"GET {url}: HTTP {response.status_code}")
        return response, len(captured.captured_queries)

    seconds, (response, queries) = best_of(fetch, runs)
    peak, _ = peak_memory(fetch)
    return PageRun(seconds=seconds, size=len(response.content), queries=queries, peak_mib=peak)


# --- 5. Score sheet import ------------------------------------------------------------------------

SHEET_UNITS = 200


def bench_score_sheet(tmp: Path, small_period: Period) -> list[Measurement]:
    """A 200-unit x 100-criteria appraisal sheet, filled in Excel and imported through the real path."""
    from openpyxl import load_workbook

    from scoring.imports.score_sheets import KINDS, run_check, score_template, scores_import

    kind = KINDS["tham-dinh"]
    generated = data.make_scores(data.commune_names(SHEET_UNITS), "huyen")
    # Every criterion appraised (no survey area), so the sheet has all 100 criteria columns.
    scores = dataclasses.replace(generated, methods=[Method.SELF] * data.LEAVES)
    period = data.build_scored_period("huyen", scores, data.YEAR)
    Score.objects.filter(period=period).delete()
    Period.objects.filter(pk=period.pk).update(status=Period.Status.APPRAISAL)
    period.refresh_from_db()
    admin = data.bench_admin()
    path = tmp / "bang-diem-tham-dinh.xlsx"
    wb = load_workbook(BytesIO(score_template(period, kind, admin)))
    ws = wb.active
    by_code = {u.code: i for i, u in enumerate(Unit.objects.filter(block__code="huyen").order_by("code"))}
    leaf_index = {
        code: i
        for i, code in enumerate(
            Criterion.objects.filter(criteria_set_id=period.criteria_set_id, parent__isnull=False)
            .order_by("position")
            .values_list("code", flat=True)
        )
    }
    columns = [(cell.column - 1, leaf_index[cell.value]) for cell in ws[4][2:]]
    for row in ws.iter_rows(min_row=6):
        points = scores.points[by_code[row[0].value]]
        for column, leaf in columns:
            row[column].value = float(points[leaf])
    wb.save(path)
    values = SHEET_UNITS * len(columns)
    t_load, _ = best_of(lambda: load_workbook(path), 3)

    def first_import():
        with path.open("rb") as handle:
            check = run_check(handle, path.name, period, kind, admin)
        return check, scores_import(check=check, period=period, file_name=path.name, by=admin)

    queries = []

    def count(execute, sql, params, many, context):
        queries.append(1)
        return execute(sql, params, many, context)

    # As in production: no query log (DEBUG off); a light wrapper only counts the queries.
    with override_settings(DEBUG=False), connection.execute_wrapper(count):
        start = time.perf_counter()
        check_result, written = first_import()
        t_first = time.perf_counter() - start
    check(check_result.ok and written == values, f"the sheet import wrote {written} values, expected {values}")

    def recheck():
        with path.open("rb") as handle:
            return run_check(handle, path.name, period, kind, admin)

    t_again, again = best_of(recheck, 3)
    check(again.counts["unchanged"] == values, "re-reading the imported sheet found changes")
    cells = f"{SHEET_UNITS} units x {len(columns)} criteria ({values:,} values)"
    return bench_detailed(period, small_period) + [
        Measurement(f"score sheet: check + write, {cells} (baseline openpyxl load)", t_first, "s", t_load),
        Measurement("score sheet: queries for the import", len(queries), "queries"),
        Measurement("score sheet: check only, nothing to change (baseline openpyxl load)", t_again, "s", t_load),
    ]


# --- 6. Detailed report (write-only workbook) ------------------------------------------------------


def bench_detailed(period: Period, small_period: Period) -> list[Measurement]:
    """The detailed report of a province-sized period (200 units x 100 leaves) against 21 units."""
    from reports.detailed import detailed_workbook

    units = SHEET_UNITS
    t_large, large = best_of(lambda: detailed_workbook(period), 1)
    t_small, small = best_of(lambda: detailed_workbook(small_period), 3)
    check(len(large) > len(small) > 0, "the detailed report was not written")
    mem_large, _ = peak_memory(lambda: detailed_workbook(period))
    mem_small, _ = peak_memory(lambda: detailed_workbook(small_period))
    return [
        Measurement(f"detailed report: {units} units x 100 leaves (baseline {SMALL} units)", t_large, "s", t_small),
        Measurement(
            f"detailed report: peak memory, {units} units (baseline {SMALL} units)", mem_large, "MiB", mem_small
        ),
        Measurement(
            "detailed report: extra peak memory per unit", (mem_large - mem_small) / (units - SMALL) * 1024, "KiB/unit"
        ),
        Measurement("detailed report: file size", len(large) / 1024, "KiB", len(small) / 1024),
    ]
