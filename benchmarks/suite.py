"""The in-process benchmarks; each returns Measurements and checks that the work it timed was done.

The HTTP benchmark, which needs the data built here, is in benchmarks/load.py.
"""

import csv
import dataclasses
import gc
import html
import statistics
import time
from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO
from pathlib import Path

from django.core.cache import cache
from django.db import connection, reset_queries, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from benchmarks import data
from benchmarks.measure import Measurement, best_in_turns, best_of, peak_memory
from benchmarks.sizes import Size
from cchc_portal.lib.numbers import vn_number
from scoring import ranking
from scoring.imports.results import read_result_rows, results_import
from scoring.models import Criterion, Method, Period, ResultVersion, Score
from scoring.results import unit_sums_refresh
from scoring.services import period_publish
from units.models import Block, Unit

SMALL = data.SMALL_UNITS


class BenchmarkError(Exception):
    """The benchmark could not measure what it meant to (wrong data, an HTTP error, a failed check)."""


def check(condition: bool, message: str) -> None:
    if not condition:
        raise BenchmarkError(message)


@dataclasses.dataclass(frozen=True)
class Built:
    """The data every benchmark after the build shares."""

    size: Size
    large: data.Scores
    large_period: Period
    small_period: Period


def build(size: Size, progress) -> Built:
    check(not Unit.objects.exists(), "the database already has units: use an empty, throwaway database")
    n = size.communes
    progress(f"building data: {n:,} communes x {size.leaves} criteria = {n * size.leaves:,} scores")
    large = data.make_scores(data.commune_names(n), "xa", size.leaves)
    small = data.make_scores(data.department_names(), "so", size.leaves)
    large_period = data.build_scored_period("xa", large, data.YEAR)
    small_period = data.build_scored_period("so", small, data.YEAR)
    check(Score.objects.filter(period=large_period).count() == n * size.leaves, "Score rows were not all created")
    # Each ranking page compares with the year before, as it does every year after a block's first.
    data.publish_previous_year(large_period)
    data.publish_previous_year(small_period)
    analyze()
    return Built(size, large, large_period, small_period)


def analyze() -> None:
    """Table statistics, as a database in service has them: without them PostgreSQL plans a query over 332,100 fresh
    rows as if there were a few hundred (sorting on disk what it would hash in memory)."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


# --- Engine ------------------------------------------------------------------------------------


def bench_engine(built: Built) -> list[Measurement]:
    scores, n, runs = built.large, built.size.communes, built.size.runs
    leaf_lists = [scores.leaves(i) for i in range(len(scores.names))]
    t_total, totals = best_of(lambda: [ranking.compute_total(leaves).total for leaves in leaf_lists], runs)
    t_sum, sums = best_of(lambda: [sum(points, Decimal(0)) for points in scores.points], runs)
    # Every leaf is applicable and the maxima sum to 100, so the index is the plain sum.
    check(totals == sums, "compute_total disagrees with the plain sum of the points")
    named = enumerate(zip(scores.names, totals, strict=True))
    entries = [ranking.Entry(key=i, name=name, total=total) for i, (name, total) in named]
    pairs = [(entry.total, entry.name) for entry in entries]
    t_rank, table = best_of(lambda: ranking.rank_entries(entries, decimals=3), runs + 2)
    t_sorted, _ = best_of(lambda: sorted(pairs), runs + 2)
    check(len(table) == n, "rank_entries lost rows")
    leaves = built.size.leaves
    return [
        Measurement(f"engine: rank_entries, {n:,} entries (baseline sorted())", t_rank * 1e3, "ms", t_sorted * 1e3),
        Measurement(f"engine: compute_total, {n:,} units x {leaves} criteria (baseline sum())", t_total, "s", t_sum),
    ]


# --- Publication ---------------------------------------------------------------------------------

# The lower bound of a publication: every unit's total and rank from the same Score rows, in the database.
RANK_SQL = """
SELECT unit_id, total, RANK() OVER (ORDER BY total DESC) AS unit_rank
FROM (SELECT unit_id, SUM(appraised_points) AS total FROM scoring_score WHERE period_id = %s GROUP BY unit_id) totals
ORDER BY unit_rank, unit_id
"""
PUBLISH_SECONDS_POSTGRESQL = 2.0


def _page_and_its_queries(page):
    """The page's response, how many queries it made, its SELECTs, and a function that runs them alone (the page's
    data cost, its baseline). Read at once: the next request empties the query log."""
    with CaptureQueriesContext(connection) as captured:
        response = page()
    selects = [q["sql"] for q in captured.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]

    def queries():
        with connection.cursor() as cursor:
            for sql in selects:
                cursor.execute(sql)
                cursor.fetchall()

    return response, len(captured.captured_queries), selects, queries


def _sql_rank(period: Period) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(RANK_SQL, [period.pk])
        return cursor.fetchall()


PUBLISH_RUNS = 5  # publications timed, interleaved with as many runs of the SQL baseline; the medians compare


def bench_publish(built: Built) -> list[Measurement]:
    """`period_publish` of the national table against SQL `SUM` + `RANK` on the same rows: the median of
    PUBLISH_RUNS runs of each, interleaved (the order alternating), the table unpublished again after each
    publication outside the timing. The queries are counted on a publication of their own, since counting turns
    on the debug cursor."""
    period, small_period, n = built.large_period, built.small_period, built.size.communes
    ranked = _sql_rank(period)
    check(len(ranked) == n, "the SQL baseline did not rank every unit")
    queries, version = _publish_counted(period, n)
    # Totals are sums of quarter points: exact in any number type, so the ranks must agree.
    published = dict(version.results.values_list("unit_id", "rank"))
    check(published == {unit_id: rank for unit_id, _, rank in ranked}, "period_publish and SQL rank differently")
    small_queries, _ = _publish_counted(small_period, SMALL)
    data.unpublish(period)
    runs = PUBLISH_RUNS if built.size.name == "full" else 2
    times: dict[str, list[float]] = {"publish": [], "sql": []}
    for turn in range(runs):
        for side in ("publish", "sql") if turn % 2 == 0 else ("sql", "publish"):
            gc.collect()
            start = time.perf_counter()
            if side == "publish":
                _publish(period)
            else:
                _sql_rank(period)
            times[side].append(time.perf_counter() - start)
            if side == "publish":
                data.unpublish(period)
    mem_sql, _ = peak_memory(lambda: _sql_rank(period))
    mem_publish, _ = peak_memory(lambda: _publish(period))  # leaves the table published, for the pages
    t_publish, t_sql = statistics.median(times["publish"]), statistics.median(times["sql"])
    spread = ", ".join(f"{t:.3f}" for t in times["publish"])
    on_postgresql = connection.vendor == "postgresql"
    label = f"{n:,} units x {built.size.leaves} criteria"
    return [
        Measurement(
            f"publish: period_publish, {label}, median of {runs} (baseline SQL SUM + RANK, median of {runs})",
            t_publish,
            "s",
            t_sql,
            goal_ratio_max=5,
            goal_value_max=PUBLISH_SECONDS_POSTGRESQL if on_postgresql else None,
        ),
        Measurement(f"publish: the {runs} publications, s: {spread}; slowest", max(times["publish"]), "s"),
        Measurement(f"publish: queries, {label} (baseline {SMALL} units)", queries, "queries", small_queries),
        Measurement("publish: peak memory (baseline SQL SUM + RANK)", mem_publish, "MiB", mem_sql),
    ]


def _publish(period: Period) -> ResultVersion:
    version = period_publish(
        period=period, decision_number="123/QĐ-BENCH", decision_date=date(data.YEAR + 1, 2, 1), by=data.bench_admin()
    )
    written = version.results.count()
    check(written == period.block.units.active_in(period.year).count(), f"period_publish wrote {written} results")
    return version


def _publish_counted(period: Period, units: int) -> tuple[int, ResultVersion]:
    admin = data.bench_admin()
    with CaptureQueriesContext(connection) as captured:
        version = period_publish(
            period=period, decision_number="123/QĐ-BENCH", decision_date=date(data.YEAR + 1, 2, 1), by=admin
        )
    written = version.results.count()
    check(written == units, f"period_publish wrote {written} results, expected {units}")
    return len(captured.captured_queries), version


# --- Published pages, rendered with the cache empty ----------------------------------------------

# The lower bound of the ranking page: the printed columns of this year and the year compared with, in one query.
TABLE_SQL = """
SELECT r.position, r.unit_name, u.code, r.total, r.grade, r.grade_code, r.rank, p.rank, p.total
FROM scoring_result r
JOIN units_unit u ON u.id = r.unit_id
LEFT JOIN scoring_result p ON p.version_id = %s AND p.unit_id = r.unit_id
WHERE r.version_id = %s
ORDER BY r.position
"""


def _current_version(period: Period) -> ResultVersion:
    return ResultVersion.objects.get(period=period, is_current=True)


def _previous_version(period: Period) -> ResultVersion:
    return ResultVersion.objects.get(period__block=period.block, period__year=period.year - 1, is_current=True)


def html_lower_bound(version_id: int, previous_id: int, decimals: int) -> str:
    """Raw SQL, the numbers formatted the Vietnamese way, the names escaped, one string join."""
    with connection.cursor() as cursor:
        cursor.execute(TABLE_SQL, [previous_id, version_id])
        rows = cursor.fetchall()
    parts = []
    for position, name, code, total, grade, grade_code, rank, previous_rank, previous_total in rows:
        total = Decimal(str(total))
        change = previous_rank - rank if previous_rank is not None else ""
        difference = vn_number(total - Decimal(str(previous_total)), decimals) if previous_total is not None else ""
        parts.append(
            f'<tr><td>{position}</td><td><a href="/don-vi/{code}/">{html.escape(name)}</a></td>'
            f'<td>{vn_number(total, decimals)}</td><td class="{grade_code}">{html.escape(grade)}</td><td>{rank}</td>'
            f"<td>{previous_rank or ''}</td><td>{change}</td><td>{difference}</td></tr>"
        )
    return "\n".join(parts)


def xlsx_cells(content: bytes) -> list[tuple[str, list[tuple]]]:
    """Every sheet of a workbook as (title, rows of values): what a bare writer must write to give the same cells."""
    from openpyxl import load_workbook

    workbook = load_workbook(BytesIO(content), read_only=True)
    sheets = [(ws.title, [tuple(row) for row in ws.iter_rows(values_only=True)]) for ws in workbook.worksheets]
    workbook.close()
    return sheets


def xlsx_bare(sheets: list[tuple[str, list[tuple]]]) -> bytes:
    """The same cells through openpyxl's write-only mode, unstyled: the lower bound of writing them."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for title, rows in sheets:
        ws = workbook.create_sheet(title)
        for row in rows:
            ws.append(row)
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@dataclasses.dataclass(frozen=True)
class Cold:
    """One public address requested with the page cache empty."""

    seconds: float
    queries: int
    size: int
    peak_mib: float
    content: bytes


def _get_cold(client: Client, url: str):
    cache.clear()  # this process's own cache (local memory): the next request renders afresh
    response = client.get(url)
    check(response.status_code == 200, f"GET {url}: HTTP {response.status_code}")
    return response


def _cold(client: Client, url: str, runs: int) -> Cold:
    def fetch():
        return _get_cold(client, url)

    reset_queries()  # a request empties the query log: the count must start from an empty one too
    with CaptureQueriesContext(connection) as captured:
        fetch()
    queries = len(captured.captured_queries)  # read now: the next request empties the log again
    seconds, response = best_of(fetch, runs)
    peak, _ = peak_memory(fetch)
    return Cold(seconds, queries, len(response.content), peak, response.content)


def bench_cold_pages(built: Built) -> list[Measurement]:
    """The 3,321-row commune table against its lower bound, and the number of queries against the 21-row one."""
    n, runs = built.size.communes, built.size.runs + 2
    year, period = data.YEAR, built.large_period
    for published in (period, built.small_period):  # run alone (BENCH_ONLY), no publication came before
        if not ResultVersion.objects.filter(period=published, is_current=True).exists():
            _publish(published)
    client = Client()
    measurements = []
    large = {}
    for kind, pattern in (
        ("html", "/xep-hang/{year}/{block}/"),
        ("xlsx", "/xep-hang/{year}/{block}.xlsx"),
        ("json", "/api/v1/results/{year}/{block}/"),
    ):
        small = _cold(client, pattern.format(year=year, block="so"), runs)
        large[kind] = _cold(client, pattern.format(year=year, block="xa"), runs)
        url = pattern.format(year=year, block="xa")
        label, base = f"cold {kind}: {url}, {n:,} rows", f"baseline {SMALL} rows"
        if kind == "html":
            version, previous = _current_version(period), _previous_version(period)
            decimals = period.published_decimals
            body = html_lower_bound(version.pk, previous.pk, decimals)
            check(body.count("<tr>") == n, "the lower bound did not print every row")
            # In turns with its bound, as the xlsx below: one after the other, the machine's other load moves it.
            t_page, t_bound = best_in_turns(
                [lambda: _get_cold(client, url), lambda: html_lower_bound(version.pk, previous.pk, decimals)],  # noqa: B023
                runs,
            )
            measurements.append(
                Measurement(f"{label}, time (baseline SQL + vn_number + join, in turns)", t_page * 1e3, "ms",
                            t_bound * 1e3, goal_ratio_max=3)
            )  # fmt: skip
        elif kind == "xlsx":
            sheets = xlsx_cells(large[kind].content)
            check(sum(len(rows) for _, rows in sheets) > n, "the workbook does not have a row per unit")
            # The file and its baseline in turns: measured one after the other, a burst of the machine's other
            # load on either side alone moved this ratio between 0.97x and 9.7x from one run to the next.
            t_xlsx, t_bare = best_in_turns([lambda: _get_cold(client, url), lambda: xlsx_bare(sheets)], runs)  # noqa: B023
            measurements.append(
                Measurement(f"{label}, time (baseline bare openpyxl write-only, same cells, in turns)",
                            t_xlsx * 1e3, "ms", t_bare * 1e3, goal_ratio_max=3)
            )  # fmt: skip
        else:
            measurements.append(
                Measurement(f"{label}, time ({base})", large[kind].seconds * 1e3, "ms", small.seconds * 1e3)
            )
        measurements += [
            Measurement(f"{label}, queries ({base})", large[kind].queries, "queries", small.queries, goal_same=True),
            Measurement(f"{label}, size ({base})", large[kind].size / 1024, "KiB", small.size / 1024),
            Measurement(f"{label}, peak memory ({base})", large[kind].peak_mib, "MiB", small.peak_mib),
        ]
    return measurements


# --- Search -------------------------------------------------------------------------------------------

SEARCH_MS = 20  # the public search at national scale (issue 19): at most this, every query below
SEARCHES = ("huong thuy", "phuong", "x", "ubnd xa an", "zzz")


def bench_search(built: Built) -> list[Measurement]:
    """The public search over every published name (the communes' and the departments', two years each), on its
    index: a common two-word query, a common word, one letter (every xã), a long one and one that finds nothing."""
    from reports.pages import search as public

    n, runs = built.size.communes, built.size.runs + 2
    measurements = []
    for typed in SEARCHES:
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            public.search(typed)
        seconds, found = best_of(lambda: public.search(typed), runs)  # noqa: B023
        check(typed != "x" or found, "the search for one letter found no unit")
        label = f"search {typed!r}, {n:,} communes: {len(found)} found"
        measurements += [
            Measurement(f"{label}, time", seconds * 1e3, "ms", goal_value_max=SEARCH_MS),
            Measurement(f"{label}, queries", len(captured.captured_queries), "queries", goal_value_max=3),
        ]
    return measurements


# --- Import of published results -----------------------------------------------------------------


def bench_import(built: Built, tmp: Path) -> list[Measurement]:
    n, runs = built.size.communes, built.size.runs
    path = tmp / "ket-qua-xa.csv"
    data.write_results_csv(path, n, data.IMPORT_YEAR)
    blocks = list(Block.objects.all())
    t_csv, records = best_of(lambda: _csv_records(path), runs + 2)
    check(len(records) == n + 1, "the CSV does not have one row per unit")
    t_read, rows = best_of(lambda: read_result_rows(path, blocks), runs)
    check(len(rows) == n, "read_result_rows lost rows")
    t_first, q_first, summary = _import_timed(path, blocks)
    check(summary.units_created == n, f"the first import created {summary.units_created} units, expected {n}")
    # A published table is never replaced: each later run publishes a correction (a new version).
    t_again, (q_again, summary) = best_of(lambda: _import_timed(path, blocks, correction="đo hiệu năng")[1:], runs)
    check(summary.units_created == 0 and summary.results == n, "the correction did not publish the table again")
    mem_import, _ = peak_memory(
        lambda: results_import(
            rows=read_result_rows(path, blocks), correction="đo hiệu năng", decision_number="1/QĐ-ĐO-HIỆU-NĂNG"
        )
    )
    mem_csv, _ = peak_memory(lambda: _csv_records(path))
    return [
        Measurement(f"import: read_result_rows, {n:,} rows (baseline csv.reader)", t_read * 1e3, "ms", t_csv * 1e3),
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
        decision = "1/QĐ-ĐO-HIỆU-NĂNG" if correction else ""
        summary = results_import(rows=read_result_rows(path, blocks), correction=correction, decision_number=decision)
        elapsed = time.perf_counter() - start
    return elapsed, len(captured.captured_queries), summary


# --- Score sheet import --------------------------------------------------------------------------


def bench_score_sheet(built: Built, tmp: Path) -> list[Measurement]:
    """A 200-unit x 100-criteria appraisal sheet, filled in Excel and imported through the real path."""
    from openpyxl import load_workbook

    from scoring.imports.score_sheets import CODE_ROW, FIRST_ROW, KINDS, run_check, score_template, scores_import

    units, leaves, runs = built.size.sheet_units, built.size.leaves, built.size.runs
    kind = KINDS["tham-dinh"]
    generated = data.make_scores(data.commune_names(units, salt="huyen"), "huyen", leaves)
    # Every criterion appraised (no survey area), so the sheet has every criterion's column.
    scores = dataclasses.replace(generated, methods=[Method.SELF] * leaves)
    period = data.build_scored_period("huyen", scores, data.YEAR, tag="sheet", only_year=True)
    Score.objects.filter(period=period).delete()
    Period.objects.filter(pk=period.pk).update(status=Period.Status.APPRAISAL)
    period.refresh_from_db()
    admin = data.bench_admin()
    path = tmp / "bang-diem-tham-dinh.xlsx"
    wb = load_workbook(BytesIO(score_template(period, kind, admin)))
    ws = wb.active
    by_code = {u.code: i for i, u in enumerate(Unit.objects.filter(code__startswith="huyen-sheet-").order_by("code"))}
    leaf_index = {
        code: i
        for i, code in enumerate(
            Criterion.objects.filter(criteria_set_id=period.criteria_set_id, parent__isnull=False)
            .order_by("position")
            .values_list("code", flat=True)
        )
    }
    columns = [(cell.column - 1, leaf_index[cell.value]) for cell in ws[CODE_ROW][2:]]
    for row in ws.iter_rows(min_row=FIRST_ROW):
        points = scores.points[by_code[row[0].value]]
        for column, leaf in columns:
            row[column].value = float(points[leaf])
    wb.save(path)
    values = units * len(columns)
    t_load, _ = best_of(lambda: load_workbook(path), runs)

    def first_import():
        with path.open("rb") as handle:
            checked = run_check(handle, path.name, period, kind, admin)
        return checked, scores_import(check=checked, period=period, file_name=path.name, by=admin)

    queries = []

    def count(execute, sql, params, many, context):
        queries.append(1)
        return execute(sql, params, many, context)

    # As in production: no query log; a light wrapper only counts the queries.
    with connection.execute_wrapper(count):
        start = time.perf_counter()
        check_result, written = first_import()
        t_first = time.perf_counter() - start
    check(check_result.ok and written == values, f"the sheet import wrote {written} values, expected {values}")

    def recheck():
        with path.open("rb") as handle:
            return run_check(handle, path.name, period, kind, admin)

    t_again, again = best_of(recheck, runs)
    check(again.counts["unchanged"] == values, "re-reading the imported sheet found changes")
    t_import, t_floor = _sheet_against_floor(period, path, first_import, values, runs)
    cells = f"{units} units x {len(columns)} criteria ({values:,} values)"
    return [
        Measurement(f"score sheet: check + write, {cells} (baseline openpyxl load)", t_first, "s", t_load),
        Measurement(
            "score sheet: check + write, into an empty period (baseline openpyxl read-only load + one upsert)",
            t_import, "s", t_floor, goal_ratio_max=SHEET_TIMES,
        ),
        Measurement("score sheet: queries for the import", len(queries), "queries"),
        Measurement("score sheet: check only, nothing to change (baseline openpyxl load)", t_again, "s", t_load),
    ]  # fmt: skip


def _sheet_against_floor(period: Period, path: Path, first_import, values: int, runs: int) -> tuple[float, float]:
    """The import of the sheet into a period without its scores, against the least any import must do: read every
    cell with openpyxl's read-only mode and write the values in one `INSERT … ON CONFLICT`. Round by round, each
    side starting from the same empty period."""
    from django.utils import timezone
    from openpyxl import load_workbook

    from scoring import locks
    from scoring.models import AuditEntry

    units = dict(Unit.objects.filter(block=period.block).values_list("code", "pk"))
    leaves = dict(Criterion.objects.filter(criteria_set_id=period.criteria_set_id).values_list("code", "pk"))

    def empty():
        with locks.suspended(connection):
            AuditEntry.objects.filter(period=period).delete()
            Score.objects.filter(period=period).delete()

    def floor():
        workbook = load_workbook(path, read_only=True)
        rows = workbook.active.iter_rows(values_only=True)
        header = next(row for row in rows if row[0] == "Mã đơn vị")
        criteria = [(i, leaves[code]) for i, code in enumerate(header) if code in leaves]
        unit_ids, leaf_ids, points = [], [], []
        for row in rows:
            if row[0] in units:
                for i, leaf in criteria:
                    unit_ids.append(units[row[0]])
                    leaf_ids.append(leaf)
                    points.append(Decimal(str(row[i])))
        workbook.close()
        check(len(points) == values, f"the read-only load read {len(points)} values, expected {values}")
        with transaction.atomic():
            upsert_points(period.pk, unit_ids, leaf_ids, points, "appraised_points", timezone.now())

    def imported():
        check_result, written = first_import()
        check(check_result.ok and written == values, f"the sheet import wrote {written} values, expected {values}")

    best = [float("inf")] * 2
    for _ in range(max(runs, 1)):
        for i, func in enumerate((imported, floor)):
            empty()
            start = time.perf_counter()
            func()
            best[i] = min(best[i], time.perf_counter() - start)
    check(Score.objects.filter(period=period).count() == values, "the floor did not write")
    return best[0], best[1]


# --- Detailed report (write-only workbook) -------------------------------------------------------

DETAILED_MEMORY_MIB = 300


def build_detailed(size: Size) -> Period:
    """A period of its own year in the huyện block: `detailed_units` units x `detailed_leaves` criteria."""
    units = size.detailed_units
    # Names after the score sheet's, so the two sets of huyện units never share a name.
    names = data.commune_names(size.sheet_units + units, salt="huyen")[size.sheet_units :]
    scores = data.make_scores(names, "detailed", size.detailed_leaves)
    period = data.build_scored_period("huyen", scores, data.DETAILED_YEAR, tag="detail", only_year=True)
    analyze()
    return period


def bench_detailed(size: Size, period: Period, child_peak) -> list[Measurement]:
    """`detailed_workbook` against bare openpyxl write-only writing the cells it wrote; its peak memory."""
    from scoring.exports.detailed import detailed_workbook

    runs = max(size.runs - 1, 1)
    sheets = xlsx_cells(detailed_workbook(period))
    cells = sum(len(row) for _, rows in sheets for row in rows)
    check(cells >= size.detailed_units * size.detailed_leaves * 2, "the detailed report lacks cells")
    t_report, t_bare = best_in_turns([lambda: detailed_workbook(period), lambda: xlsx_bare(sheets)], runs)
    mem_report, _ = peak_memory(lambda: detailed_workbook(period))
    mem_bare, _ = peak_memory(lambda: xlsx_bare(sheets))
    label = f"{size.detailed_units} units x {size.detailed_leaves} criteria"
    return [
        Measurement(
            f"detailed report: {label}, {cells:,} cells (baseline bare openpyxl write-only, same cells, in turns)",
            t_report, "s", t_bare, goal_ratio_max=3,
        ),
        Measurement(
            "detailed report: peak memory, tracemalloc (baseline bare openpyxl write-only)",
            mem_report, "MiB", mem_bare, goal_value_max=DETAILED_MEMORY_MIB,
        ),
        Measurement(
            "detailed report: peak resident memory growth of a fresh process (VmHWM)",
            child_peak(period.pk), "MiB", goal_value_max=DETAILED_MEMORY_MIB,
        ),
    ]  # fmt: skip


# --- Staff side: the entry sheet of one unit, and its save ---------------------------------------

ENTRY_LEAVES = 120  # the largest criteria sets in use; 105 of them self-assessed (the last area is the survey)
SAVE_MS = 50
ENTRY_TIMES = 3  # the entry sheet against the time of its own queries
SHEET_TIMES = 1.5  # the score-sheet import against a read-only load and one upsert


@dataclasses.dataclass(frozen=True)
class Entry:
    """An open huyện period of 120 criteria, one unit with its staff account, its self-assessed leaves."""

    period: Period
    unit: Unit
    staff: object
    self_leaves: list[Criterion]

    @property
    def url(self) -> str:
        return f"/cham-diem/ky/{self.period.pk}/don-vi/{self.unit.code}/"


def build_entry() -> Entry:
    """The unit's sheet as in the middle of self-assessment: every self-assessed leaf has the unit's points, the
    survey area the Department's."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db.models import F
    from django.utils import timezone

    from units.models import UNIT_STAFF, UnitMembership

    scores = data.make_scores(["UBND huyện Đo Hiệu Năng"], "entry", ENTRY_LEAVES)
    period = data.build_scored_period("huyen", scores, data.ENTRY_YEAR, tag="entry", only_year=True)
    deadline = timezone.now() + timedelta(days=30)
    Period.objects.filter(pk=period.pk).update(status=Period.Status.OPEN, deadline=deadline)
    period.refresh_from_db()
    own = Score.objects.filter(period=period, criterion__method=Method.SELF)
    own.update(self_points=F("appraised_points"), appraised_points=None)
    unit_sums_refresh(period)
    unit = Unit.objects.get(code__startswith="huyen-entry-")
    staff = get_user_model().objects.create_user("bench-staff")
    staff.groups.add(Group.objects.get(name=UNIT_STAFF))
    UnitMembership.objects.create(user=staff, unit=unit)
    leaves = list(Criterion.objects.leaves_of(period.criteria_set_id).filter(method=Method.SELF).order_by("position"))
    check(len(leaves) == 105, f"the entry sheet has {len(leaves)} self-assessed leaves, expected 105")
    analyze()
    return Entry(period, unit, staff, leaves)


def _save_values(entry: Entry, turn: int) -> list[str]:
    # Every leaf's maximum is at least 0.5: two values that are always allowed, so each turn changes all 105.
    return ["0,25" if (turn + i) % 2 else "0,5" for i in range(len(entry.self_leaves))]


def sql_save(entry: Entry, values: list[Decimal], by_id: int) -> None:
    """The data cost of a save: the same values in one upsert and their audit rows in one insert, in plain SQL."""
    from django.utils import timezone

    now, unit, period = timezone.now(), entry.unit.pk, entry.period.pk
    leaves = [leaf.pk for leaf in entry.self_leaves]
    upsert_points(period, [unit] * len(leaves), leaves, values, "self_points", now)
    rows = [[period, unit, leaf, str(value)] for leaf, value in zip(leaves, values, strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO scoring_auditentry (at, by_id, period_id, unit_id, criterion_id, action, old, new, reason) "  # noqa: S608 - own SQL, values as parameters
            f"SELECT %s, %s, v0, v1, v2, 'self_points', '', v3, '' FROM (SELECT {_row_columns(4)} "
            f"FROM {_rows_source()}) AS x",
            [now, by_id, _rows_param(rows)],
        )


def _rows_source() -> str:
    """Rows passed as one parameter: a JSON array of arrays (SQLite's json_each, PostgreSQL's jsonb)."""
    if connection.vendor == "postgresql":
        return "jsonb_array_elements(%s::jsonb) AS r(value)"
    return "json_each(%s) AS r"


def _row_columns(count: int) -> str:
    """The first `count` items of each row, named v0, v1, …"""
    if connection.vendor == "postgresql":
        casts = ["int", "int", "int", "text"]
        return ", ".join(f"(r.value->>{i})::{casts[i]} AS v{i}" for i in range(count))
    return ", ".join(f"json_extract(r.value, '$[{i}]') AS v{i}" for i in range(count))


def _rows_param(rows: list[list]) -> str:
    import json

    return json.dumps(rows)


def upsert_points(period: int, units: list[int], leaves: list[int], points: list[Decimal], column: str, now) -> None:
    """One `INSERT … ON CONFLICT (period, unit, criterion) DO UPDATE` of a points column, in plain SQL."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            source = "UNNEST(%s::int[], %s::int[], %s::numeric[]) AS t(u, c, p)"
            params = [now, period, units, leaves, points]
            select = "SELECT %s, %s, u, c, p"
        else:
            source = "json_each(%s) AS r"
            rows = [[u, c, str(p)] for u, c, p in zip(units, leaves, points, strict=True)]
            params = [now, period, _rows_param(rows)]
            select = "SELECT %s, %s, json_extract(r.value, '$[0]'), json_extract(r.value, '$[1]'), " + (
                "json_extract(r.value, '$[2]')"
            )
        cursor.execute(
            "INSERT INTO scoring_score (updated_at, period_id, unit_id, criterion_id, "
            f"{column}, not_applicable, explanation, appraiser_comment, round1_comment, response, note) "
            f"{select}, false, '', '', '', '', '' FROM {source} WHERE true "
            f"ON CONFLICT (period_id, unit_id, criterion_id) DO UPDATE SET {column} = excluded.{column}, "
            "updated_at = excluded.updated_at",
            params,
        )


def bench_save(entry: Entry, runs: int) -> list[Measurement]:
    """`scores_save` of 105 changed values, as the entry page calls it, against the SQL of the same writes."""
    from scoring.models import AuditEntry
    from scoring.scores import Change, scores_save

    leaves, turns = entry.self_leaves, iter(range(10_000))

    def save():
        values = _save_values(entry, next(turns))
        changes = [Change("self_points", leaf.pk, value) for leaf, value in zip(leaves, values, strict=True)]
        with transaction.atomic():
            return scores_save(period=entry.period, unit=entry.unit, changes=changes, by=entry.staff)

    def sql():
        values = [Decimal(v.replace(",", ".")) for v in _save_values(entry, next(turns))]
        with transaction.atomic():
            sql_save(entry, values, entry.staff.pk)

    save()  # the first save starts the unit's file (one more query, once)
    audited = AuditEntry.objects.filter(period=entry.period).count()
    with CaptureQueriesContext(connection) as captured:
        saved = save()
    count = len(captured.captured_queries)
    check(saved.changed == len(leaves), f"scores_save changed {saved.changed} values, expected {len(leaves)}")
    check(AuditEntry.objects.filter(period=entry.period).count() == audited + len(leaves), "audit rows missing")
    t_save, t_sql = interleaved([save, sql], runs)
    n = len(leaves)
    return [
        Measurement(
            f"save: scores_save, {n} values (baseline the same upsert + audit insert in SQL)",
            t_save * 1e3, "ms", t_sql * 1e3, goal_value_max=SAVE_MS,
        ),
        Measurement(f"save: queries, {n} values", count, "queries"),
    ]  # fmt: skip


def interleaved(funcs, runs: int) -> list[float]:
    """The fastest of `runs` calls of each function, called in turn round by round (so a busy moment of the
    machine falls on both sides of a ratio)."""
    import gc
    import math

    best = [math.inf] * len(funcs)
    for _ in range(max(runs, 1)):
        for i, func in enumerate(funcs):
            gc.collect()
            start = time.perf_counter()
            func()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def bench_entry_sheet(entry: Entry, runs: int) -> list[Measurement]:
    """The entry page of one unit with 120 criteria against its data cost: the SELECTs it ran, run again alone."""
    client = Client()
    client.force_login(entry.staff)

    def page():
        response = client.get(entry.url)
        check(response.status_code == 200, f"GET {entry.url}: HTTP {response.status_code}")
        return response

    reset_queries()
    response, count, selects, queries = _page_and_its_queries(page)
    check(response.content.count(b'class="points"') >= len(entry.self_leaves), "the sheet lacks its inputs")
    t_page, t_sql = interleaved([page, queries], runs)
    post_data = _entry_post(entry, response.content.decode())
    turns = iter(range(10_000))

    def post():
        turn = next(turns)
        answer = client.post(entry.url, post_data(turn))
        check(answer.status_code == 302, f"POST {entry.url}: HTTP {answer.status_code}")

    (t_post,) = interleaved([post], runs)
    return [
        Measurement(
            f"entry sheet: 1 unit x {ENTRY_LEAVES} criteria, staff (baseline its {len(selects)} queries run alone)",
            t_page * 1e3, "ms", t_sql * 1e3, goal_ratio_max=ENTRY_TIMES,
        ),
        Measurement(
            f"entry sheet: POST of {len(entry.self_leaves)} changed values (baseline the GET)",
            t_post * 1e3, "ms", t_page * 1e3,
        ),
        Measurement("entry sheet: queries of the GET", count, "queries"),
    ]  # fmt: skip


def _entry_post(entry: Entry, page: str):
    """The entry form as the page drew it (every input with the value it showed), each self-assessed point changed
    to the turn's value: what a browser posts after the person typed 105 values."""
    import re

    shown = {
        html.unescape(name): html.unescape(value)
        for name, value in re.findall(r'<input[^>]*?name="([^"]+)"[^>]*?value="([^"]*)"', page)
    }

    def data(turn: int) -> dict:
        posted = dict(shown) | {"action": "save"}
        seen = _save_values(entry, turn - 1) if turn else None
        for leaf, value in zip(entry.self_leaves, _save_values(entry, turn), strict=True):
            name = f"{leaf.pk}-self_points"
            posted[name] = value
            if seen is not None:
                posted[f"initial-{name}"] = seen[entry.self_leaves.index(leaf)]
        return posted

    return data


# --- Staff side: the administrator's period page ---------------------------------------------------

PERIOD_PAGE_MS = 1000  # the period page of a national block (issue 20): at most this, whatever the number of units


def bench_period_page(built: Built) -> list[Measurement]:
    """The administrator's page of the large period (every unit complete: counts, projected totals, grades, ranks and
    the table to be published) against its own queries run alone, beside the 21-unit period; its peak memory."""
    from django.test.utils import override_settings

    runs = built.size.runs + 2
    client = Client()

    def measured(period: Period):
        url = f"/cham-diem/ky/{period.pk}/"

        def page():
            response = client.get(url)
            check(response.status_code == 200, f"GET {url}: HTTP {response.status_code}")
            return response

        reset_queries()
        response, count, _, queries = _page_and_its_queries(page)
        t_page, t_sql = interleaved([page, queries], runs)
        peak, _ = peak_memory(page)
        return t_page, t_sql, count, peak, response.content

    # A signed-in administrator without the second factor: the page is measured, not the sign-in.
    with override_settings(ADMIN_SECOND_FACTOR=False):
        client.force_login(data.bench_admin())
        t_large, t_sql, q_large, mem_large, content = measured(built.large_period)
        t_small, _, q_small, mem_small, _ = measured(built.small_period)
    n = built.size.communes
    check(content.count(b"<tr") >= min(n, 100), "the period page does not list a page of units")
    check(b"B\xe1\xba\xa3ng s\xe1\xba\xbd \xc4\x91\xc6\xb0\xe1\xbb\xa3c c\xc3\xb4ng b\xe1\xbb\x91" in content,
          "the period page does not preview the table to publish")  # fmt: skip
    label = f"period page: {n:,} units, administrator"
    return [
        Measurement(f"{label} (baseline its queries run alone)", t_large * 1e3, "ms", t_sql * 1e3,
                    goal_value_max=PERIOD_PAGE_MS),
        Measurement(f"{label} (baseline {SMALL} units)", t_large * 1e3, "ms", t_small * 1e3),
        Measurement(f"{label}, queries (baseline {SMALL} units)", q_large, "queries", q_small),
        Measurement(f"{label}, peak memory (baseline {SMALL} units)", mem_large, "MiB", mem_small),
    ]  # fmt: skip
