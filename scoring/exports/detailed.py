"""Sở Nội vụ's detailed report of one period: every unit's points on every leaf, in any status.

Written in openpyxl's write-only mode, and read from the database in two streams, so memory does not grow with
the rows (a national commune period has 3,321 units and about 100 leaves: 332,100 scores):
- the first reads the scores in unit order through a server-side cursor (`iterator`), one unit at a time, and keeps
  of each unit only its line of the summary (area subtotals, total) — enough to rank;
- the second, once the units are ranked, reads them again in the report's order, UNITS_PER_READ units per query,
  and writes their rows of both detail sheets before reading the next ones.

The first sheet is a one-page summary (areas, total, grade, rank per unit). The second, the detail, is also
an input format, in the layout the score import reads (`SHEET_LAYOUT` of `scoring.imports.score_sheets`,
which picks the sheet by its name): the header row found by the "Mã đơn vị" cell in column A, the "Điểm
tối đa" row, the leaf-code columns, and "Cộng …", "Tổng điểm", "Xếp loại", "Vị thứ" read past.
Exporting the sheet and importing it back changes nothing, so keep that layout: merged cells only above
the header row, leaf codes as text, "KAD" for a leaf that does not apply. The detail prints across as many
A4 pages as its columns need, at a readable size, the unit code and name repeated on each.
"""

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from cchc_portal.lib.xlsx_write import HEADER_FILL, ColumnCells, StreamedSheet, cell, number_format, print_setup
from scoring import ranking
from scoring.figures import NO_POINTS, Figures, Points, standings, unit_figures
from scoring.imports.score_sheets import SHEET_LAYOUT
from scoring.models import Criterion, Method, Period, Score
from scoring.results import corrections_of, rules_of
from units.models import Unit

SUMMARY_SHEET = "Tóm tắt"
RESULTS_SHEET = SHEET_LAYOUT.report_sheet
SCORES_SHEET = "Tự đánh giá - Thẩm định"
CRITERIA_SHEET = "Bộ tiêu chí"

TITLE = "Kết quả chấm điểm chi tiết công tác cải cách hành chính của {phrase} năm {year}"
STATUS_NOTE = "Trạng thái kỳ đánh giá: {status}."
DEMO_NOTE = "Dữ liệu minh họa."
INCOMPLETE_NOTE = "Đơn vị còn thiếu điểm thẩm định thì chưa có tổng điểm, xếp loại và vị thứ."
UNIT_CODE = SHEET_LAYOUT.unit_code
UNIT_NAME = SHEET_LAYOUT.unit_name
MAX_ROW = SHEET_LAYOUT.max_row
SUBTOTAL = "Cộng {code}"
TOTAL, GRADE, RANK = "Tổng điểm", "Xếp loại", "Vị thứ"
NOT_APPLICABLE = SHEET_LAYOUT.not_applicable
YES = "có"

SCORES_TITLE = "Điểm tự đánh giá và điểm thẩm định — {block} năm {year}"
SCORES_HEADERS = (
    UNIT_CODE,
    UNIT_NAME,
    "Mã tiêu chí",
    "Nội dung tiêu chí",
    MAX_ROW,
    "Điểm tự đánh giá",
    "Điểm thẩm định",
    "Chênh lệch (thẩm định − tự đánh giá)",
    "Không áp dụng",
)
SCORES_WIDTHS = (14, 40, 11, 60, 10, 12, 12, 14, 10)

CRITERIA_TITLE = "Bộ tiêu chí — {block} năm {year}"
CRITERIA_HEADERS = ("Mã", "Nội dung", MAX_ROW, "Cách chấm", "Cấp (1: lĩnh vực, 2: tiêu chí, 3: tiêu chí thành phần)")
CRITERIA_WIDTHS = (10, 80, 11, 24, 16)

POINTS_FORMAT = "0.000"
TEXT_FORMAT = "@"
HUNDRED = Decimal(100)

# Row numbers of the results sheet.
AREA_ROW, HEADER_ROW, MAX_POINTS_ROW = 3, 4, 5


@dataclass(frozen=True)
class Node:
    """A criterion in tree order, with its depth (1 area, 2 criterion, 3 sub-criterion)."""

    pk: int
    code: str
    title: str
    max_points: Decimal
    method: str
    level: int


@dataclass(frozen=True)
class Area:
    """An area (lĩnh vực) and its leaves in tree order; an area scored directly is its own leaf."""

    node: Node
    leaves: tuple[Node, ...]


@dataclass(frozen=True)
class UnitLine:
    """A unit as the report lists it: its area subtotals (in the order of the areas) and, once its total is complete,
    its grade and rank (`ranked` is None while its total waits for points). What is kept of a unit between the two
    reads; its points on each leaf are not."""

    pk: int
    code: str
    name: str
    ranked: ranking.Ranked | None
    subtotals: tuple[Decimal | str | None, ...]


@dataclass(frozen=True)
class _Totalled:
    """What ranking needs of a unit's figures (scoring.figures.standings reads `.total`)."""

    total: ranking.Total | None


UNITS_PER_READ = 200  # units whose points the second read holds at once (× leaves: 20,000 scores at 100 leaves)


@dataclass(frozen=True)
class DetailedReport:
    """Everything the sheets show but the points of each leaf, which `points_in_order` reads in chunks."""

    period: Period
    nodes: list[Node]
    areas: list[Area]
    units: list[UnitLine]
    corrections: dict[int, dict[int, Points]]  # unit id -> leaf id -> a published correction's points

    @property
    def leaves(self) -> list[Node]:
        return [leaf for area in self.areas for leaf in area.leaves]

    def points_in_order(self):
        """(unit line, leaf id -> Points) for every unit in the report's order: one query per UNITS_PER_READ units,
        never more of them held at once."""
        for start in range(0, len(self.units), UNITS_PER_READ):
            chunk = self.units[start : start + UNITS_PER_READ]
            found: dict[int, dict[int, Points]] = {}
            for unit_id, leaf, own, appraised, na in _rows(
                Score.objects.filter(period=self.period, unit_id__in=[line.pk for line in chunk])
            ):
                found.setdefault(unit_id, {})[leaf] = Points(own, appraised, na)
            for line in chunk:
                yield line, _corrected(found.pop(line.pk, {}), self.corrections.get(line.pk))


def _rows(scores):
    return scores.order_by().values_list("unit_id", "criterion_id", "self_points", "appraised_points", "not_applicable")


def _corrected(points: dict[int, Points], corrections: dict[int, Points] | None) -> dict[int, Points]:
    """A unit's points with its published corrections laid over them (as scoring.results.points_of does)."""
    for leaf, corrected in (corrections or {}).items():
        points[leaf] = Points(points.get(leaf, NO_POINTS).self_points, corrected.appraised, corrected.not_applicable)
    return points


def _corrections(period: Period) -> dict[int, dict[int, Points]]:
    """unit id -> leaf id -> the appraised points of the published correction that counts (one query, none for a
    period never published)."""
    found: dict[int, dict[int, Points]] = {}
    for (unit_id, leaf), c in corrections_of(period).items():
        found.setdefault(unit_id, {})[leaf] = Points(None, c.appraised_points, c.not_applicable)
    return found


def _points_by_unit(period: Period, corrections: dict[int, dict[int, Points]]):
    """(unit id, leaf id -> Points) for every unit with a score, in unit order, read through a server-side cursor:
    one unit's points in memory at a time."""
    rows = _rows(Score.objects.filter(period=period)).order_by("unit_id")
    current, points = None, {}
    for unit_id, leaf, own, appraised, na in rows.iterator(chunk_size=5000):
        if unit_id != current:
            if current is not None:
                yield current, _corrected(points, corrections.get(current))
            current, points = unit_id, {}
        points[leaf] = Points(own, appraised, na)
    if current is not None:
        yield current, _corrected(points, corrections.get(current))


def detailed_workbook(period: Period, progress: Callable[[int, int], None] | None = None) -> bytes:
    """The four-sheet detailed report of a period as xlsx bytes (any status; callers guard access): for a report
    small enough to send from the request. A large one is written to a file by its job (`write_detailed_workbook`).

    `progress(done, total)` is told of each unit row written (twice per unit: two sheets have one).
    """
    # Zipped on disk, then read once: in a BytesIO the file would be in memory twice (the buffer and its copy).
    with tempfile.TemporaryFile() as file:
        write_detailed_workbook(period, file, progress)
        file.seek(0)
        return file.read()


def write_detailed_workbook(period: Period, file, progress: Callable[[int, int], None] | None = None) -> None:
    """Write the detailed report of a period into `file` (a binary file open for writing): nothing of it is held in
    memory but the units' summary lines and UNITS_PER_READ units' points."""
    report = detailed_report(period)
    step = _steps(progress, 2 * len(report.units))
    workbook = Workbook(write_only=True)
    _write_summary(StreamedSheet(workbook, SUMMARY_SHEET), report)
    results, scores = StreamedSheet(workbook, RESULTS_SHEET), StreamedSheet(workbook, SCORES_SHEET)
    _start_results(results, report)
    score_columns = _start_scores(scores, report)
    # Both detail sheets take their rows from one read of the points (each write-only sheet streams to a file).
    for unit, points in report.points_in_order():
        _results_row(results, report, unit, points)
        step()
        _scores_rows(scores, score_columns, report, unit, points)
        step()
    _write_criteria(StreamedSheet(workbook, CRITERIA_SHEET), report)
    workbook.save(file)


def _steps(progress: Callable[[int, int], None] | None, total: int) -> Callable[[], None]:
    done = 0

    def step() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    return step


def cells(period: Period) -> int:
    """How many unit × leaf cells the detailed report of `period` holds (what its time grows with)."""
    units = Unit.objects.filter(block_id=period.block_id).active_in(period.year).count()
    leaves = Criterion.objects.filter(criteria_set_id=period.criteria_set_id, children__isnull=True).count()
    return units * leaves


def detailed_report(period: Period) -> DetailedReport:
    """Criteria, units, their summary lines ranked, in five queries whatever the number of units: the criteria, the
    units, the corrections, the scores (streamed, one unit at a time) and the grade bands."""
    tree = Criterion.objects.tree_of(period.criteria_set_id)
    as_node = {n.pk: Node(n.pk, n.code, n.title, n.max_points, n.method, tree.depth(n) + 1) for n in tree}
    nodes = list(as_node.values())
    areas = [Area(as_node[a.pk], tuple(as_node[leaf.pk] for leaf in tree.leaves_under(a))) for a in tree.areas]
    units = {
        pk: (code, name)
        for pk, code, name in Unit.objects.filter(block_id=period.block_id)
        .active_in(period.year)
        .order_by()
        .values_list("pk", "code", "name")
    }
    # What counts: the scores, with the corrections of published versions laid over them (scoring/results.py).
    corrections = _corrections(period)
    # Totals and area subtotals as every other page has them: the figures of scoring/figures.py, unit by unit.
    kept: dict[int, tuple] = {}
    for unit_id, points in _points_by_unit(period, corrections):
        if unit_id in units:
            kept[unit_id] = _summary(unit_figures(tree, points), areas)
    for unit_id in units.keys() - kept.keys():  # no score stored yet: its corrections alone, if any
        kept[unit_id] = _summary(unit_figures(tree, _corrected({}, corrections.get(unit_id))), areas)
    standing = standings(
        [(pk, name, _Totalled(kept[pk][0])) for pk, (_code, name) in units.items()], **rules_of(period)
    )
    lines = [UnitLine(pk, code, name, standing[pk].ranked, kept[pk][1]) for pk, (code, name) in units.items()]
    del kept, standing
    lines.sort(
        key=lambda line: (
            line.ranked is None,
            line.ranked.position if line.ranked else 0,
            ranking.vietnamese_sort_key(line.name),
            line.code,
        )
    )
    return DetailedReport(period=period, nodes=nodes, areas=areas, units=lines, corrections=corrections)


def _summary(figures: Figures, areas: list[Area]) -> tuple[ranking.Total | None, tuple]:
    """What the report keeps of a unit's figures: its total, and each area's subtotal as the sheets print it."""
    missing = {leaf.pk for leaf in figures.missing}
    return figures.total, tuple(_subtotal(figures, missing, area) for area in areas)


def _subtotal(figures: Figures, missing: set[int], area: Area) -> Decimal | str | None:
    """The area's appraised points as the unit's figures have them; blank while one it waits for is missing, KAD if
    none of its leaves applies."""
    area_figures = figures.area(area.node.code)
    if not area_figures.applicable:
        return NOT_APPLICABLE
    if any(leaf.pk in missing for leaf in area.leaves):
        return None
    return area_figures.appraised or Decimal(0)


# --- Sheet 1: the summary, one row per unit, one column per area ----------------------------------

SUMMARY_HEADERS = ("TT", UNIT_NAME)
SUMMARY_ONE_PAGE = 45  # units that still fit one A4 page at a readable size
GRADE_COUNTS = "Số đơn vị theo xếp loại: {counts}."


def _write_summary(ws, report: DetailedReport) -> None:
    period = report.period
    total_format = number_format(period.published_decimals)
    widths = [5, 38] + [14] * len(report.areas) + [11, 12, 8]
    for column, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(column)].width = width
    ws.freeze_panes = "C5"
    ws.row_dimensions[3].height = 80  # area titles wrap over up to six lines
    print_setup(ws, landscape=True, title_rows="3:4")
    if len(report.units) <= SUMMARY_ONE_PAGE:
        ws.page_setup.fitToHeight = 1  # the whole table on one sheet of paper
    title = TITLE.format(phrase=period.block.title_phrase, year=period.year)
    notes = [STATUS_NOTE.format(status=period.get_status_display()), INCOMPLETE_NOTE]
    if period.is_demo:
        notes.insert(1, DEMO_NOTE)
    ws.append([cell(ws, f"Tóm tắt — {title}", bold=True, size=14, border=False)])
    ws.append([cell(ws, " ".join(notes), size=11, border=False)])
    ws.append(
        [_header(ws, text) for text in SUMMARY_HEADERS]
        + [_header(ws, f"{area.node.code}. {area.node.title}") for area in report.areas]
        + [_header(ws, text) for text in (TOTAL, GRADE, RANK)]
    )
    ws.append(
        [cell(ws, None, background=HEADER_FILL), cell(ws, MAX_ROW, bold=True, size=11, background=HEADER_FILL)]
        + [_points(ws, area.node.max_points) for area in report.areas]
        + [_points(ws, HUNDRED, total_format), cell(ws, None), cell(ws, None)]
    )
    grades: dict[str, int] = {}
    for number, unit in enumerate(report.units, start=1):
        ranked = unit.ranked
        if ranked:
            grades[ranked.band.label] = grades.get(ranked.band.label, 0) + 1
        ws.append(
            [cell(ws, number, size=11, align="center"), cell(ws, unit.name, size=11, wrap=True)]
            + [_points(ws, subtotal) for subtotal in unit.subtotals]
            + [
                _points(ws, ranked.shown if ranked else None, total_format),
                cell(ws, ranked.band.label if ranked else None, size=11, align="center"),
                cell(ws, ranked.rank if ranked else None, size=11, align="center"),
            ]
        )
    if grades:
        counts = "; ".join(f"{label} {count}" for label, count in grades.items())
        ws.append([])
        ws.append([cell(ws, GRADE_COUNTS.format(counts=counts), size=11, border=False)])


# --- Sheet 2: one row per unit, one column per leaf -------------------------------------------------


def _header(ws, text):
    return cell(ws, text, bold=True, size=11, align="center", background=HEADER_FILL, wrap=True, number_format="@")


def _points(ws, value, fmt=POINTS_FORMAT):
    if value == NOT_APPLICABLE:
        return cell(ws, value, size=11, align="center")
    return cell(ws, value, size=11, align="right", number_format=fmt)


def _start_results(ws, report: DetailedReport) -> None:
    period = report.period
    total_format = number_format(period.published_decimals)
    widths = [14, 40]
    area_row: list = [None, None]
    header = [_header(ws, UNIT_CODE), _header(ws, UNIT_NAME)]
    maxima = [cell(ws, MAX_ROW, bold=True, size=11, background=HEADER_FILL), cell(ws, None, background=HEADER_FILL)]
    for area in report.areas:
        first = len(header) + 1
        area_row.append(_header(ws, f"{area.node.code}. {area.node.title}"))
        area_row.extend(_header(ws, None) for _ in area.leaves)
        for leaf in area.leaves:
            header.append(_header(ws, leaf.code))
            maxima.append(_points(ws, leaf.max_points))
            widths.append(9)
        header.append(_header(ws, SUBTOTAL.format(code=area.node.code)))
        maxima.append(_points(ws, area.node.max_points))
        widths.append(10)
        ws.merged_cells.add(f"{get_column_letter(first)}{AREA_ROW}:{get_column_letter(len(header))}{AREA_ROW}")
    header.extend(_header(ws, text) for text in (TOTAL, GRADE, RANK))
    maxima.extend([_points(ws, HUNDRED, total_format), cell(ws, None), cell(ws, None)])
    widths.extend([11, 12, 8])

    # Column widths, panes and page set-up must be in place before the first row is streamed.
    for column, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(column)].width = width
    ws.freeze_panes = f"C{MAX_POINTS_ROW + 1}"
    ws.row_dimensions[AREA_ROW].height = 32
    print_setup(
        ws, landscape=True, title_rows=f"{AREA_ROW}:{MAX_POINTS_ROW}", title_cols="A:B", fit_width=False, scale=80
    )

    title = TITLE.format(phrase=period.block.title_phrase, year=period.year)
    notes = [STATUS_NOTE.format(status=period.get_status_display()), INCOMPLETE_NOTE]
    if period.is_demo:
        notes.insert(1, DEMO_NOTE)
    ws.append([cell(ws, title, bold=True, size=14, border=False)])
    ws.append([cell(ws, " ".join(notes), size=11, border=False)])
    ws.append(area_row)
    ws.append(header)
    ws.append(maxima)


def _results_row(ws, report: DetailedReport, unit: UnitLine, points: dict[int, Points]) -> None:
    total_format = number_format(report.period.published_decimals)
    row = [cell(ws, unit.code, size=11, number_format=TEXT_FORMAT), cell(ws, unit.name, size=11)]
    for area, subtotal in zip(report.areas, unit.subtotals, strict=True):
        for leaf in area.leaves:
            p = points.get(leaf.pk, NO_POINTS)
            row.append(_points(ws, NOT_APPLICABLE if p.not_applicable else p.appraised))
        row.append(_points(ws, subtotal))
    ranked = unit.ranked
    row.append(_points(ws, ranked.shown if ranked else None, total_format))
    row.append(cell(ws, ranked.band.label if ranked else None, size=11, align="center"))
    row.append(cell(ws, ranked.rank if ranked else None, size=11, align="center"))
    ws.append(row)


# --- Sheet 3: one row per unit and leaf -------------------------------------------------------------


def _start_scores(ws, report: DetailedReport) -> ColumnCells:
    """The sheet's title and header; the cells its rows are written through, one per column (most of the report's
    cells are in this sheet: a row costs its values alone)."""
    _start_list(ws, report, SCORES_WIDTHS, "C3", SCORES_TITLE, SCORES_HEADERS)
    text, plain = {"size": 11, "number_format": TEXT_FORMAT}, {"size": 11}
    points = {"size": 11, "align": "right", "number_format": POINTS_FORMAT}  # `_points` of a number or None
    return ColumnCells(ws, [text, plain, text, plain, points, points, points, points, {"size": 11, "align": "center"}])


def _start_list(ws, report: DetailedReport, widths, freeze: str, title: str, headers) -> None:
    """A sheet that lists rows under a title and a header row: widths, frozen panes, print setup, title, header."""
    for column, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(column)].width = width
    ws.freeze_panes = freeze
    print_setup(ws, landscape=True, title_rows="2:2")
    ws.append([cell(ws, title.format(block=report.period.block.name, year=report.period.year), bold=True, size=13,
                    border=False)])  # fmt: skip
    ws.append([_header(ws, text) for text in headers])


def _scores_rows(ws, columns: ColumnCells, report: DetailedReport, unit: UnitLine, points: dict[int, Points]) -> None:
    for area in report.areas:
        for leaf in area.leaves:
            p = points.get(leaf.pk, NO_POINTS)
            self_points, appraised = p.self_points, p.appraised
            difference = appraised - self_points if appraised is not None and self_points is not None else None
            ws.append(
                columns.row(
                    (unit.code, unit.name, leaf.code, leaf.title, leaf.max_points, self_points, appraised, difference,
                     YES if p.not_applicable else "")
                )
            )  # fmt: skip


# --- Sheet 4: the criteria set ----------------------------------------------------------------------


def _write_criteria(ws, report: DetailedReport) -> None:
    _start_list(ws, report, CRITERIA_WIDTHS, "A3", CRITERIA_TITLE, CRITERIA_HEADERS)
    for node in report.nodes:
        ws.append(
            [
                cell(ws, node.code, size=11, bold=node.level == 1, number_format=TEXT_FORMAT),
                cell(ws, node.title, size=11, bold=node.level == 1, wrap=True),
                _points(ws, node.max_points),
                cell(ws, str(Method(node.method).label), size=11),
                cell(ws, node.level, size=11, align="center"),
            ]
        )
