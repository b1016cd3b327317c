"""Sở Nội vụ's detailed report of one period: every unit's points on every leaf, in any status.

Written in openpyxl's write-only mode: a national commune period has 3,321 units and about 100
leaves, so the workbook is streamed row by row and memory does not grow with the rows.

The first sheet is a one-page summary (areas, total, grade, rank per unit). The second, the detail, is also
an input format, in the layout the score import reads (`SHEET_LAYOUT` of `scoring.imports.score_sheets`,
which picks the sheet by its name): the header row found by the "Mã đơn vị" cell in column A, the "Điểm
tối đa" row, the leaf-code columns, and "Cộng …", "Tổng điểm", "Xếp loại", "Vị thứ" read past.
Exporting the sheet and importing it back changes nothing, so keep that layout: merged cells only above
the header row, leaf codes as text, "KAD" for a leaf that does not apply. The detail prints across as many
A4 pages as its columns need, at a readable size, the unit code and name repeated on each.
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from io import BytesIO

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from cchc_portal.lib.xlsx_write import HEADER_FILL, cell, number_format, print_setup
from scoring import ranking
from scoring.figures import Figures
from scoring.imports.score_sheets import SHEET_LAYOUT
from scoring.models import Criterion, Method, Period
from scoring.results import period_standings, points_of
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
_NO_SCORE = (None, None, False)

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
    """A unit as the report lists it, with its figures; `ranked` is None while its total waits for points."""

    pk: int
    code: str
    name: str
    ranked: ranking.Ranked | None
    figures: Figures


@dataclass(frozen=True)
class DetailedReport:
    """Everything the three sheets show, read with a fixed number of queries."""

    period: Period
    nodes: list[Node]
    areas: list[Area]
    units: list[UnitLine]
    # (unit id, criterion id) -> (self points, appraised points, not applicable)
    scores: dict[tuple[int, int], tuple[Decimal | None, Decimal | None, bool]]

    @property
    def leaves(self) -> list[Node]:
        return [leaf for area in self.areas for leaf in area.leaves]


def detailed_workbook(period: Period, progress: Callable[[int, int], None] | None = None) -> bytes:
    """The four-sheet detailed report of a period as xlsx bytes (any status; callers guard access).

    `progress(done, total)` is told of each unit row written (twice per unit: two sheets have one).
    """
    report = detailed_report(period)
    step = _steps(progress, 2 * len(report.units))
    workbook = Workbook(write_only=True)
    _write_summary(workbook.create_sheet(SUMMARY_SHEET), report)
    _write_results(workbook.create_sheet(RESULTS_SHEET), report, step)
    _write_scores(workbook.create_sheet(SCORES_SHEET), report, step)
    _write_criteria(workbook.create_sheet(CRITERIA_SHEET), report)
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


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
    """Criteria, units, scores and grade bands in four queries, whatever the number of units."""
    tree = Criterion.objects.tree_of(period.criteria_set_id)
    as_node = {n.pk: Node(n.pk, n.code, n.title, n.max_points, n.method, tree.depth(n) + 1) for n in tree}
    nodes = list(as_node.values())
    units = list(
        Unit.objects.filter(block_id=period.block_id)
        .active_in(period.year)
        .order_by()
        .values_list("pk", "code", "name")
    )
    # What counts: the scores, with the corrections of published versions laid over them (scoring/results.py).
    points = points_of(period)
    scores = {
        (unit_id, criterion_id): (p.self_points, p.appraised, p.not_applicable)
        for unit_id, leaves in points.items()
        for criterion_id, p in leaves.items()
    }
    areas = [Area(as_node[a.pk], tuple(as_node[leaf.pk] for leaf in tree.leaves_under(a))) for a in tree.areas]
    # Totals, grades and ranks as every other page has them: the figures of scoring/figures.py.
    standing = period_standings(period, [(pk, name) for pk, _code, name in units], tree, points)
    lines = [UnitLine(pk, code, name, standing[pk].ranked, standing[pk].figures) for pk, code, name in units]
    lines.sort(
        key=lambda line: (
            line.ranked is None,
            line.ranked.position if line.ranked else 0,
            ranking.vietnamese_sort_key(line.name),
            line.code,
        )
    )
    return DetailedReport(period=period, nodes=nodes, areas=areas, units=lines, scores=scores)


def _subtotal(unit: "UnitLine", area: Area) -> Decimal | str | None:
    """The area's appraised points as the unit's figures have them; blank while one it waits for is missing, KAD if
    none of its leaves applies."""
    figures = unit.figures.area(area.node.code)
    if not figures.applicable:
        return NOT_APPLICABLE
    missing = {leaf.pk for leaf in unit.figures.missing}
    if any(leaf.pk in missing for leaf in area.leaves):
        return None
    return figures.appraised or Decimal(0)


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
            + [_points(ws, _subtotal(unit, area)) for area in report.areas]
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


def _write_results(ws, report: DetailedReport, step: Callable[[], None]) -> None:
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
    for unit in report.units:
        row = [cell(ws, unit.code, size=11, number_format=TEXT_FORMAT), cell(ws, unit.name, size=11)]
        for area in report.areas:
            for leaf in area.leaves:
                _self_points, appraised, not_applicable = report.scores.get((unit.pk, leaf.pk), _NO_SCORE)
                row.append(_points(ws, NOT_APPLICABLE if not_applicable else appraised))
            row.append(_points(ws, _subtotal(unit, area)))
        ranked = unit.ranked
        row.append(_points(ws, ranked.shown if ranked else None, total_format))
        row.append(cell(ws, ranked.band.label if ranked else None, size=11, align="center"))
        row.append(cell(ws, ranked.rank if ranked else None, size=11, align="center"))
        ws.append(row)
        step()


# --- Sheet 3: one row per unit and leaf -------------------------------------------------------------


def _write_scores(ws, report: DetailedReport, step: Callable[[], None]) -> None:
    for column, width in enumerate(SCORES_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(column)].width = width
    ws.freeze_panes = "C3"
    print_setup(ws, landscape=True, title_rows="2:2")
    title = SCORES_TITLE.format(block=report.period.block.name, year=report.period.year)
    ws.append([cell(ws, title, bold=True, size=13, border=False)])
    ws.append([_header(ws, text) for text in SCORES_HEADERS])
    leaves = report.leaves
    for unit in report.units:
        for leaf in leaves:
            self_points, appraised, not_applicable = report.scores.get((unit.pk, leaf.pk), _NO_SCORE)
            difference = appraised - self_points if appraised is not None and self_points is not None else None
            ws.append(
                [
                    cell(ws, unit.code, size=11, number_format=TEXT_FORMAT),
                    cell(ws, unit.name, size=11),
                    cell(ws, leaf.code, size=11, number_format=TEXT_FORMAT),
                    cell(ws, leaf.title, size=11),
                    _points(ws, leaf.max_points),
                    _points(ws, self_points),
                    _points(ws, appraised),
                    _points(ws, difference),
                    cell(ws, YES if not_applicable else "", size=11, align="center"),
                ]
            )
        step()


# --- Sheet 4: the criteria set ----------------------------------------------------------------------


def _write_criteria(ws, report: DetailedReport) -> None:
    for column, width in enumerate(CRITERIA_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(column)].width = width
    ws.freeze_panes = "A3"
    print_setup(ws, landscape=True, title_rows="2:2")
    title = CRITERIA_TITLE.format(block=report.period.block.name, year=report.period.year)
    ws.append([cell(ws, title, bold=True, size=13, border=False)])
    ws.append([_header(ws, text) for text in CRITERIA_HEADERS])
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
