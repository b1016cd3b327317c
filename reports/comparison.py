"""The year comparison report: a block's published results side by side, year after year.

Read from published results only (`Result.objects.published()`). Rows follow the units of the
latest year's table in rank order. A unit that took over from others (Unit.predecessors: a merger or
a rename) shows, for a year before its own first result, the result of its best-ranked predecessor,
with a note saying so. Units with results in earlier years but none in the latest follow at the
bottom. Written in openpyxl's write-only mode.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from io import BytesIO

from django.db.models import Q
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from cchc_portal.lib.numbers import round_score
from cchc_portal.lib.xlsx_write import (
    HEADER_FILL,
    cell,
    number_format,
    print_setup,
    sheet_title,
    wrapped_height,
    wrapped_lines,
)
from scoring.models import Result
from units.models import Block, Unit

TITLE = "So sánh kết quả đánh giá, xếp loại công tác cải cách hành chính của {phrase} {years}"
CHANGE_NOTE = "Thay đổi vị thứ = vị thứ năm trước − vị thứ năm sau (số dương: tăng hạng)."
PARTIAL_NOTE = "Năm {year}: nguồn công bố chỉ nêu một phần bảng kết quả."
PREDECESSOR_NOTE = "{year}: số liệu của {name} (đơn vị tiền thân)"
SUCCESSOR_NOTE = "Đơn vị kế thừa: {names}"
YEAR_GROUP = "Năm {year}"
SCORE, GRADE, RANK, CHANGE = "Điểm {year}", "Xếp loại {year}", "Vị thứ {year}", "Thay đổi vị thứ"
NOTES = "Ghi chú"
CHANGE_FORMAT = "+0;-0;0"
# How far back a chain of mergers is followed (A → B → C): far beyond any real lineage.
MAX_GENERATIONS = 10

AREA_ROW, HEADER_ROW = 3, 4


@dataclass(frozen=True)
class YearCell:
    """A unit's published line in one year (a predecessor's, when the row's notes say so)."""

    total: Decimal
    grade: str
    rank: int


@dataclass
class ComparisonRow:
    unit_name: str
    cells: dict[int, YearCell] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def change(self, previous_year: int, year: int) -> int | None:
        """Previous rank − current rank: positive when the unit went up."""
        before, now = self.cells.get(previous_year), self.cells.get(year)
        return before.rank - now.rank if before and now else None


@dataclass(frozen=True)
class Comparison:
    block: Block
    years: list[int]
    decimals: dict[int, int]
    partial_years: list[int]
    rows: list[ComparisonRow]

    @property
    def title(self) -> str:
        if not self.years:
            years = ""
        elif len(self.years) == 1:
            years = f"năm {self.years[0]}"
        else:
            years = f"các năm {self.years[0]}–{self.years[-1]}"
        return TITLE.format(phrase=self.block.title_phrase, years=years).strip()


def published_years(block: Block, first: int | None = None, last: int | None = None) -> list[int]:
    """The years of the block with a published table, within [first, last] when given."""
    results = Result.objects.published().filter(period__block=block)
    if first is not None:
        results = results.filter(period__year__gte=first)
    if last is not None:
        results = results.filter(period__year__lte=last)
    return sorted(set(results.order_by().values_list("period__year", flat=True).distinct()))


def comparison_workbook(
    block: Block, years: list[int] | None = None, progress: Callable[[int, int], None] | None = None
) -> bytes:
    """The comparison of `years` (default: every published year) as xlsx bytes; `progress(done, total)` per row."""
    return _write(comparison(block, years), progress)


def comparison_size(block: Block, years: list[int]) -> int:
    """How many results the comparison of `years` reads (what its time grows with)."""
    return Result.objects.published().filter(period__block=block, period__year__in=years).count()


def comparison(block: Block, years: list[int] | None = None) -> Comparison:
    """Rows of the comparison in two queries: the published results, and the succession links."""
    results = Result.objects.published().filter(period__block=block)
    if years is not None:
        results = results.filter(period__year__in=sorted(set(years)))
    results = list(results.select_related("unit", "period").order_by("period__year", "position"))
    by_year: dict[int, list[Result]] = defaultdict(list)
    for result in results:
        by_year[result.period.year].append(result)
    shown_years = sorted(by_year)
    decimals = {year: rows[0].period.published_decimals for year, rows in by_year.items()}
    partial = [year for year in shown_years if by_year[year][0].period.is_partial]
    if not shown_years:
        return Comparison(block, [], {}, [], [])

    own = {(r.unit_id, r.period.year): r for r in results}
    first_year, last_year = _year_span(results)
    predecessors, successors = _lineage(block)
    ordered, in_latest = _units_in_order(by_year[shown_years[-1]], results, own, last_year)
    rows = []
    for unit in ordered:
        row = ComparisonRow(own[(unit.pk, last_year[unit.pk])].unit_name)
        for year in shown_years:
            result = own.get((unit.pk, year))
            if result is None and year < first_year[unit.pk]:
                result = _predecessor_result(unit.pk, year, predecessors, own)
                _note_predecessor(row, year, result)
            if result is not None:
                row.cells[year] = YearCell(round_score(result.total, decimals[year]), result.grade, result.rank)
        if unit.pk not in in_latest and successors.get(unit.pk):
            row.notes.append(SUCCESSOR_NOTE.format(names=", ".join(successors[unit.pk])))
        rows.append(row)
    return Comparison(block, shown_years, decimals, partial, rows)


def _year_span(results: list[Result]) -> tuple[dict[int, int], dict[int, int]]:
    """The first and the last year each unit has a line in (results ordered by year)."""
    first_year: dict[int, int] = {}
    last_year: dict[int, int] = {}
    for r in results:
        first_year.setdefault(r.unit_id, r.period.year)
        last_year[r.unit_id] = r.period.year
    return first_year, last_year


def _note_predecessor(row: ComparisonRow, year: int, result: Result | None) -> None:
    if result is not None:
        row.notes.append(PREDECESSOR_NOTE.format(year=year, name=result.unit_name))


def _units_in_order(latest_lines: list[Result], results, own, last_year) -> tuple[list[Unit], set[int]]:
    """The units of the latest year in its order, then the units gone since, latest year first and by their last
    rank; and the ids of the latest year's units."""
    ordered = [r.unit for r in latest_lines]
    in_latest = {unit.pk for unit in ordered}
    gone = {r.unit_id: r.unit for r in results if r.unit_id not in in_latest}
    last_lines = {unit_id: own[(unit_id, last_year[unit_id])] for unit_id in gone}
    ordered += sorted(
        gone.values(),
        key=lambda u: (-last_year[u.pk], last_lines[u.pk].rank, last_lines[u.pk].position),
    )
    return ordered, in_latest


def _lineage(block: Block) -> tuple[dict[int, list[int]], dict[int, list[str]]]:
    """Predecessor ids of each unit and successor names of each unit, for links touching the block."""
    links = (
        Unit.successors.through.objects.filter(Q(to_unit__block=block) | Q(from_unit__block=block))
        .order_by("to_unit__name")
        .values_list("from_unit_id", "to_unit_id", "to_unit__name")
    )
    predecessors: dict[int, list[int]] = defaultdict(list)
    successors: dict[int, list[str]] = defaultdict(list)
    for from_id, to_id, to_name in links:
        predecessors[to_id].append(from_id)
        successors[from_id].append(to_name)
    return predecessors, successors


def _predecessor_result(unit_id: int, year: int, predecessors, own) -> Result | None:
    """The best-ranked result in `year` among the nearest generation of predecessors that has one."""
    seen = {unit_id}
    generation = [p for p in predecessors.get(unit_id, []) if p not in seen]
    for _ in range(MAX_GENERATIONS):
        if not generation:
            return None
        found = [own[(p, year)] for p in generation if (p, year) in own]
        if found:
            return min(found, key=lambda r: (r.rank, r.position))
        seen.update(generation)
        generation = [p for unit in generation for p in predecessors.get(unit, []) if p not in seen]
    return None


# --- The workbook -----------------------------------------------------------------------------------


def _header(ws, text):
    return cell(ws, text, bold=True, size=11, align="center", background=HEADER_FILL, wrap=True)


def _write(report: Comparison, progress: Callable[[int, int], None] | None = None) -> bytes:
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet(sheet_title(f"So sánh {report.block.name}"))
    groups, header, widths = _headers(ws, report)
    for column, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(column)].width = width
    ws.freeze_panes = f"C{HEADER_ROW + 1}"
    print_setup(ws, landscape=True, title_rows=f"{AREA_ROW}:{HEADER_ROW}")
    ws.oddFooter.center.text = "Trang &P / &N"

    note = " ".join([CHANGE_NOTE, *(PARTIAL_NOTE.format(year=year) for year in report.partial_years)])
    ws.append([cell(ws, report.title, bold=True, size=14, border=False)])
    ws.append([cell(ws, note, size=11, border=False)])
    ws.append(groups)
    ws.append(header)
    score_formats = {year: number_format(decimals) for year, decimals in report.decimals.items()}
    for position, row in enumerate(report.rows, start=1):
        line = [cell(ws, position, size=11, align="center"), cell(ws, row.unit_name, size=11, wrap=True)]
        for index, year in enumerate(report.years):
            line += _year_cells(ws, report, row, index, score_formats[year])
        notes = "; ".join(row.notes)
        line.append(cell(ws, notes, size=11, wrap=True))
        wrapped = [(row.unit_name, widths[1]), (notes, widths[-1])]
        if any(wrapped_lines(text, width, 11) > 1 for text, width in wrapped):
            ws.row_dimensions[HEADER_ROW + position].height = wrapped_height(wrapped, size=11)
        ws.append(line)
        if progress is not None:
            progress(position, len(report.rows))
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _headers(ws, report: Comparison) -> tuple[list, list, list[int]]:
    """The row of year groups (merged over each year's columns), the header row, and the column widths."""
    groups: list = [None, None]
    header = [_header(ws, "TT"), _header(ws, "Tên đơn vị")]
    widths, titles = [6, 45], ["TT", "Tên đơn vị"]
    for index, year in enumerate(report.years):
        first = len(header) + 1
        texts = [SCORE.format(year=year), GRADE.format(year=year), RANK.format(year=year)]
        if index:
            texts.append(CHANGE)
        header.extend(_header(ws, text) for text in texts)
        widths.extend([11, 12, 8, 10][: len(texts)])
        titles.extend(texts)
        groups.append(_header(ws, YEAR_GROUP.format(year=year)))
        groups.extend(_header(ws, None) for _ in texts[1:])
        ws.merged_cells.add(f"{get_column_letter(first)}{AREA_ROW}:{get_column_letter(len(header))}{AREA_ROW}")
    header.append(_header(ws, NOTES))
    groups.append(_header(ws, None))
    widths.append(50)
    titles.append(NOTES)
    # Rows of wrapped text are given their height: LibreOffice printed “Vị thứ 2020” over the first unit's line.
    ws.row_dimensions[HEADER_ROW].height = wrapped_height(zip(titles, widths, strict=True), size=11, bold=True)
    return groups, header, widths


def _year_cells(ws, report: Comparison, row, index: int, score_format: str) -> list:
    """A unit's score, grade and rank in one year, and from the second year on its change of rank."""
    year = report.years[index]
    shown = row.cells.get(year)
    cells = [
        cell(ws, shown.total if shown else None, size=11, align="right", number_format=score_format),
        cell(ws, shown.grade if shown else None, size=11, align="center"),
        cell(ws, shown.rank if shown else None, size=11, align="center"),
    ]
    if index:
        change = row.change(report.years[index - 1], year)
        cells.append(cell(ws, change, size=11, align="center", number_format=CHANGE_FORMAT))
    return cells
