"""Score sheets in Excel: the template Sở Nội vụ hands out, and reading a filled one back.

Reading is phase one of an import: the workbook is streamed through the bounded reader, every cell is
checked, every problem is reported at once with its sheet, row, column and value, and a copy of the
workbook is produced with each bad cell highlighted and commented. Nothing here writes to the database;
`scores_import` does that, all or nothing, through the same service as the entry page.

The layout (`SHEET_LAYOUT`) is shared with the detailed report (`scoring.exports.detailed`), whose first sheet
is also an input format: the header row is found by the "Mã đơn vị" cell in column A, the "Điểm tối đa"
row is skipped, leaf-code columns are read, and "Cộng …", "Tổng điểm", "Xếp loại", "Vị thứ" are read past.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from io import BytesIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from cchc_portal.lib.numbers import NumberProblem, parse_number, show, shown_input
from cchc_portal.lib.problems import Problem, Refused, grouped
from cchc_portal.lib.reading import XLSX_KIND, Cell, open_table
from cchc_portal.lib.text import TextProblem, clean_text, normalize_name, without_controls
from cchc_portal.lib.xlsx_write import (
    ERROR_FILL,
    HEADER_FILL,
    fill,
    number_format,
    plain_cell,
    print_setup,
    put,
    safe_text,
)
from scoring import entry_fields, permissions
from scoring.entry_fields import Viewer
from scoring.imports import upload_limits
from scoring.models import LONG_TEXT_LIMIT, Criterion, Period, Score, Submission
from scoring.results import points_of
from scoring.scores import Change, scores_save_many
from units.models import Unit


@dataclass(frozen=True)
class SheetLayout:
    """The words and places a score sheet and the detailed report agree on."""

    unit_code: str = "Mã đơn vị"
    unit_name: str = "Tên đơn vị"
    max_row: str = "Điểm tối đa"
    criterion_code: str = "Mã tiêu chí"
    explanation: str = "Giải trình"
    scores_sheet: str = "Bảng điểm"
    explanations_sheet: str = "Giải trình"
    report_sheet: str = "Kết quả chi tiết"  # the detailed report's sheet of points, read like a score sheet
    not_applicable: str = "KAD"  # "không áp dụng"
    # Columns an import reads past: subtotals, totals, grade, rank, notes.
    ignored_prefixes: tuple[str, ...] = ("cộng", "tổng", "xếp loại", "vị thứ", "ghi chú", "chỉ số")
    header_scan_rows: int = 15


SHEET_LAYOUT = SheetLayout()
PROGRESS_EVERY = 20

E_NO_HEADER = "Không tìm thấy dòng tiêu đề: cột A phải có ô “Mã đơn vị” trong {rows} dòng đầu."
E_UNKNOWN_CODE = "“{value}” không phải mã tiêu chí của bộ tiêu chí năm {year}."
E_CODE_AS_NUMBER = (
    "Mã tiêu chí “{value}” đang là số; hãy định dạng dòng tiêu đề là văn bản (3.1 và 3.10 là hai tiêu chí khác nhau)."
)
E_DUPLICATE_CODE = "Mã tiêu chí {value} xuất hiện hai lần (cột {first})."
E_NO_SCORE_COLUMNS = "Không có cột nào là mã tiêu chí của loại điểm “{kind}”."
E_MERGED = "Các ô {range} đang được gộp; hãy bỏ gộp ô trong vùng dữ liệu."
E_UNKNOWN_UNIT = "Không có đơn vị mã “{value}” trong khối {block} năm {year}."
E_UNIT_AS_NUMBER = "Không có đơn vị mã “{value}”; nếu mã có số 0 ở đầu, hãy định dạng cột mã đơn vị là văn bản."
E_DUPLICATE_UNIT = "Đơn vị “{value}” đã có ở dòng {first}."
E_NOT_ALLOWED = "Bạn không có quyền nhập {kind} cho đơn vị “{unit}” ở bước này của kỳ đánh giá."
E_FORMULA = "Ô chứa công thức “{value}”; hãy dán giá trị (Paste Values) thay cho công thức."
E_NO_COLUMN = "Trang tính giải trình thiếu cột {columns} ở dòng tiêu đề."
E_UNKNOWN_LEAF = "“{value}” không phải mã tiêu chí tự đánh giá của bộ tiêu chí năm {year}."
E_DUPLICATE_EXPLANATION = "Giải trình của đơn vị {unit}, tiêu chí {code} đã có ở dòng {first}."
W_TEXT_NUMBER = "Ô {cell} lưu dạng văn bản “{value}”, đã đọc là {number}."


@dataclass(frozen=True)
class SheetKind:
    """Which points a sheet carries, by who fills them (`scoring.entry_fields`): the unit's own points, the
    appraiser's, or Sở Nội vụ's (survey points and deductions). Its columns are the leaves whose field the role
    fills, so a sheet offers exactly the cells the entry page offers that role."""

    code: str
    label: str
    field: str
    role: str

    @property
    def methods(self) -> tuple[str, ...]:
        return entry_fields.methods_of(self.field, self.role)


KINDS = {
    "tu-danh-gia": SheetKind(
        "tu-danh-gia", "điểm tự đánh giá", "self_points", entry_fields.UNIT
    ),
    "tham-dinh": SheetKind("tham-dinh", "điểm thẩm định", "appraised_points", entry_fields.APPRAISER),
    "dieu-tra": SheetKind(
        "dieu-tra", "điểm điều tra xã hội học và điểm trừ", "appraised_points", entry_fields.DEPARTMENT
    ),
    # After publication, inside a correction: the detailed report's sheet of points, edited and read back.
    "dinh-chinh": SheetKind("dinh-chinh", "điểm đính chính", "appraised_points", entry_fields.CORRECTION),
}
# The command line speaks English: --kind self|appraised|survey.
KIND_ALIASES = {"self": "tu-danh-gia", "appraised": "tham-dinh", "survey": "dieu-tra"}


@dataclass
class UnitChanges:
    """What the sheet would change for one unit: new values, changed values, unchanged ones."""

    unit: Unit
    row: int
    changes: list[Change] = field(default_factory=list)
    new: list[tuple[str, Decimal]] = field(default_factory=list)
    changed: list[tuple[str, Decimal, Decimal]] = field(default_factory=list)
    explained: list[tuple[str, str]] = field(default_factory=list)  # (criterion code, new explanation)
    unchanged: int = 0


@dataclass
class SheetCheck:
    """The outcome of reading a sheet: either errors (and a marked-up copy) or a plan to write."""

    kind: SheetKind
    units: list[UnitChanges] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)  # one per cell: the marked copy comments each
    notes: list[str] = field(default_factory=list)
    error_workbook: bytes | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def lines(self) -> list[str]:
        """The errors as the page and the command say them: a mistake repeated on several rows is one line."""
        return grouped(self.errors)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "units": len(self.units),
            "new": sum(len(u.new) for u in self.units),
            "changed": sum(len(u.changed) for u in self.units),
            "explained": sum(len(u.explained) for u in self.units),
            "unchanged": sum(u.unchanged for u in self.units),
        }


def kind_or_none(code: str) -> SheetKind | None:
    return KINDS.get(KIND_ALIASES.get(code, code))


def sheet_leaves(period: Period, kind: SheetKind) -> list[Criterion]:
    return list(Criterion.objects.leaves_of(period.criteria_set_id).filter(method__in=kind.methods))


def sheet_units(period: Period, kind: SheetKind, user) -> list[Unit]:
    """The units a user may fill in on this kind of sheet (all of the block for Sở Nội vụ)."""
    units = Unit.objects.filter(block_id=period.block_id).active_in(period.year).order_by("name")
    if user is not None and kind.field == "self_points" and not permissions.is_administrator(user):
        units = units.filter(pk__in=permissions.member_unit_ids(user))
    return list(units)


# --- The template -------------------------------------------------------------------------------

# Row numbers of a score sheet as the portal writes it (a filled sheet is read by its "Mã đơn vị" cell).
AREA_ROW, TITLE_ROW, CODE_ROW, MAX_ROW, FIRST_ROW = 3, 4, 5, 6, 7


def score_template(period: Period, kind: SheetKind, user) -> bytes:
    """A row per unit, a column per leaf (area, criterion title, code and maximum in the header), current values
    filled in, a 0..maximum rule on every cell, the header locked against editing; for self-assessment, a
    second sheet with one explanation per unit and leaf."""
    leaves, units = sheet_leaves(period, kind), sheet_units(period, kind, user)
    titles = _leaf_titles(period)
    fields = [kind.field] + (["explanation"] if kind.role == entry_fields.UNIT else [])
    current = {
        (row[0], row[1]): row[2:]
        for row in Score.objects.filter(period=period, unit__in=units)
        .order_by()
        .values_list("unit_id", "criterion_id", *fields)
    }
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_LAYOUT.scores_sheet
    note = (
        "Nhập điểm vào các ô trắng (dấu phẩy hoặc dấu chấm thập phân); ô trống giữ nguyên điểm đã có. "
        "Không sửa các dòng tiêu đề."
    )
    if len(fields) > 1:
        note += f" Giải trình từng tiêu chí ở trang tính “{SHEET_LAYOUT.explanations_sheet}”."
    # Title and note over the unit columns only: those are printed on every page.
    put(ws, 1, 1, f"Bảng nhập {kind.label} — {period.block.name} năm {period.year}", bold=True, size=12, wrap=True)
    put(ws, 2, 1, note, size=9, wrap=True, border=False)
    ws.merge_cells("A1:B1")
    ws.merge_cells("A2:B2")
    ws.row_dimensions[1].height, ws.row_dimensions[2].height = 34, 58
    area_start, area = None, None
    for column, leaf in enumerate(leaves, start=3):
        top, title = titles[leaf.pk]
        if top != area:
            _merge_area(ws, area_start, column - 1)
            put(ws, AREA_ROW, column, top, size=9, bold=True, wrap=True, background=HEADER_FILL)
            area_start, area = column, top
        else:
            put(ws, AREA_ROW, column, None, background=HEADER_FILL)
        put(ws, TITLE_ROW, column, title, size=9, wrap=True, align="center", background=HEADER_FILL)
        put(ws, CODE_ROW, column, leaf.code, bold=True, align="center", background=HEADER_FILL, number_format="@")
        put(ws, MAX_ROW, column, leaf.max_points, align="center", background=HEADER_FILL, number_format="0.00")
        _validation(ws, column, leaf, len(units))
        ws.column_dimensions[get_column_letter(column)].width = 12
    _merge_area(ws, area_start, len(leaves) + 2)
    for column, text in ((1, SHEET_LAYOUT.unit_code), (2, SHEET_LAYOUT.unit_name)):
        put(ws, CODE_ROW, column, text, bold=True, background=HEADER_FILL)
        for row in (AREA_ROW, TITLE_ROW):
            put(ws, row, column, None, background=HEADER_FILL)
    put(ws, MAX_ROW, 1, SHEET_LAYOUT.max_row, bold=True, background=HEADER_FILL)
    put(ws, MAX_ROW, 2, None, background=HEADER_FILL)
    ws.row_dimensions[AREA_ROW].height = 42
    ws.row_dimensions[TITLE_ROW].height = 96
    for row, unit in enumerate(units, start=FIRST_ROW):
        put(ws, row, 1, unit.code, number_format="@")
        put(ws, row, 2, unit.name)
        for column, leaf in enumerate(leaves, start=3):
            value = current.get((unit.pk, leaf.pk), (None,))[0]
            cell = put(ws, row, column, value, number_format=number_format(3), align="right")
            cell.protection = Protection(locked=False)
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = 16, 30
    ws.freeze_panes = f"C{FIRST_ROW}"
    _protect(ws)
    print_setup(ws, landscape=True, title_rows=f"{AREA_ROW}:{MAX_ROW}", title_cols="A:B", fit_width=False, scale=75)
    if len(fields) > 1:
        _explanations_sheet(wb.create_sheet(SHEET_LAYOUT.explanations_sheet), period, leaves, units, titles, current)
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _merge_area(ws, first: int | None, last: int) -> None:
    if first is not None and last > first:
        ws.merge_cells(start_row=AREA_ROW, start_column=first, end_row=AREA_ROW, end_column=last)


def _protect(ws) -> None:
    ws.protection.sheet = True  # only the cells to fill are editable
    ws.protection.formatColumns = ws.protection.formatRows = False


EXPLANATION_HEADERS = (
    SHEET_LAYOUT.unit_code,
    SHEET_LAYOUT.unit_name,
    SHEET_LAYOUT.criterion_code,
    "Nội dung tiêu chí",
    SHEET_LAYOUT.max_row,
    SHEET_LAYOUT.explanation,
)
EXPLANATION_WIDTHS = (16, 30, 10, 50, 9, 60)


def _explanations_sheet(ws, period: Period, leaves, units, titles, current) -> None:
    """One row per unit and self-assessed leaf: the explanation (giải trình) to fill, the rest locked."""
    put(ws, 1, 1, f"Giải trình điểm tự đánh giá — {period.block.name} năm {period.year}", bold=True, size=13)
    put(
        ws,
        2,
        1,
        "Ghi giải trình ở cột F (bắt buộc khi tiêu chí có điểm mà chưa có minh chứng); ô trống giữ nguyên "
        "giải trình đã có. Minh chứng tải lên ở trang chấm điểm của cổng.",
        size=10,
        border=False,
    )
    ws.merge_cells("A1:F1")
    ws.merge_cells("A2:F2")
    header = 3
    for column, text in enumerate(EXPLANATION_HEADERS, start=1):
        put(ws, header, column, text, bold=True, wrap=True, background=HEADER_FILL)
        ws.column_dimensions[get_column_letter(column)].width = EXPLANATION_WIDTHS[column - 1]
    row = header
    for unit in units:
        for leaf in leaves:
            row += 1
            put(ws, row, 1, unit.code, number_format="@")
            put(ws, row, 2, unit.name, wrap=True)
            put(ws, row, 3, leaf.code, number_format="@")
            put(ws, row, 4, titles[leaf.pk][1], wrap=True)
            put(ws, row, 5, leaf.max_points, number_format="0.00", align="right")
            values = current.get((unit.pk, leaf.pk), (None, ""))
            cell = put(ws, row, 6, values[1] or None, wrap=True, number_format="@")
            cell.protection = Protection(locked=False)
    ws.freeze_panes = f"A{header + 1}"
    _protect(ws)
    print_setup(ws, landscape=True, title_rows=f"{header}:{header}")


def _leaf_titles(period: Period) -> dict[int, tuple[str, str]]:
    """Each criterion's area ("1. Công tác chỉ đạo…") and its title below the area ("Kế hoạch CCHC năm:
    Ban hành đầy đủ, kịp thời"), so a column says what it scores, not only its code."""
    tree = Criterion.objects.tree_of(period.criteria_set_id)
    titles = {}
    for node in tree:
        area, path = tree.area_of(node), tree.path(node)
        below = ": ".join(n.title for n in path[1:]) or node.title
        titles[node.pk] = (f"{area.code}. {area.title}", below)
    return titles


def _validation(ws, column: int, leaf: Criterion, rows: int) -> None:
    rule = DataValidation(
        type="decimal",
        operator="between",
        formula1="0",
        formula2=str(leaf.max_points),
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Điểm không hợp lệ",
        error=f"Tiêu chí {leaf.code}: điểm phải từ 0 đến {show(leaf.max_points)}.",
    )
    letter = get_column_letter(column)
    rule.add(f"{letter}{FIRST_ROW}:{letter}{max(rows, 1) + FIRST_ROW - 1}")
    ws.add_data_validation(rule)


# --- Reading a filled sheet -----------------------------------------------------------------------


class _Reading:
    """One check of one workbook: what the database says once, and the problems found so far."""

    def __init__(self, period: Period, kind: SheetKind, user, sheet: str | None):
        self.period, self.kind, self.sheet = period, kind, sheet
        self.check = SheetCheck(kind=kind)
        self.units = {u.code: u for u in Unit.objects.filter(block_id=period.block_id).active_in(period.year)}
        self.allowed = _allowed_units(period, kind, user)
        if kind.role == entry_fields.CORRECTION:  # what the correction being prepared counts now
            self.current = {
                (unit, leaf): p.appraised
                for unit, leaves in points_of(period, draft=True).items()
                for leaf, p in leaves.items()
            }
        else:
            self.current = {
                (u, c): v
                for u, c, v in Score.objects.filter(period=period)
                .order_by()
                .values_list("unit_id", "criterion_id", kind.field)
            }
        self.explanations = {}
        if kind.role == entry_fields.UNIT:
            self.explanations = {
                (u, c): text
                for u, c, text in Score.objects.filter(period=period)
                .exclude(explanation="")
                .order_by()
                .values_list("unit_id", "criterion_id", "explanation")
            }
        self.seen: dict[str, int] = {}
        self.columns: dict[int, Criterion] = {}
        self.plans: dict[int, UnitChanges] = {}

    def problem(self, row, column, value, message) -> None:
        self.check.errors.append(Problem(message, sheet=self.sheet, row=row, column=column, value=value))

    def plan_for(self, unit: Unit, row: int) -> "UnitChanges":
        """The unit's plan: one per unit, whether its points, its explanations or both are in the file."""
        if unit.pk not in self.plans:
            self.plans[unit.pk] = UnitChanges(unit=unit, row=row)
            self.check.units.append(self.plans[unit.pk])
        return self.plans[unit.pk]


def check_sheet(file, name: str, period: Period, kind: SheetKind, user) -> Iterator[tuple[int, int]]:
    """Check a workbook. Yields (rows done, rows expected) as it goes; returns a SheetCheck.

    Each sheet is read once: its rows are kept as they are checked, and a file with errors gets its marked
    copy from them, never from a second reading of the upload."""
    try:
        table = open_table(
            file,
            name,
            limits=upload_limits(),
            accept=(XLSX_KIND,),
            prefer=(SHEET_LAYOUT.scores_sheet, SHEET_LAYOUT.report_sheet),
        )
        read = [_Kept(table)]
        rows = read[0].rows
        reading = _Reading(period, kind, user, table.sheet)
        header, cells = _find_header(rows)
        if header is None:
            reading.problem(1, 1, None, E_NO_HEADER.format(rows=SHEET_LAYOUT.header_scan_rows))
            reading.check.error_workbook = _marked(read, reading.check.errors)
            return reading.check
        reading.columns = _score_columns(cells, header, reading)
        expected = max((table.declared_rows or 0) - header, 0)
        done = 0
        for done, (_number, cells) in enumerate(rows, start=1):
            _check_row(cells, reading)
            if done % PROGRESS_EVERY == 0:
                yield done, max(expected, done)
        yield done, done
        _merged_data(table, header, reading)
        if kind.role == entry_fields.UNIT and _has_sheet(table, SHEET_LAYOUT.explanations_sheet):
            file.seek(0)
            explanations = open_table(
                file, name, limits=upload_limits(), accept=(XLSX_KIND,), sheet=SHEET_LAYOUT.explanations_sheet
            )
            read.append(_Kept(explanations))
            _check_explanations(read[-1], reading)
        check = reading.check
        if not reading.columns and not any(e.row == header and e.sheet == table.sheet for e in check.errors):
            reading.problem(header, None, None, E_NO_SCORE_COLUMNS.format(kind=kind.label))
        if check.errors:
            check.units = []
            check.error_workbook = _marked(read, check.errors)
    except Refused as refused:
        return SheetCheck(kind=kind, errors=refused.problems)
    return check


class _Kept:
    """A sheet's rows as they are read, the cells that hold something kept for the marked copy."""

    def __init__(self, table):
        self.table, self.kept = table, []
        self.rows = self._rows(table.rows())

    def _rows(self, source) -> Iterator[tuple[int, list[Cell]]]:
        for number, cells in source:
            self.kept.append((number, [c for c in cells if c.kind != "empty"]))
            yield number, cells

    def read(self) -> list[tuple[int, list[Cell]]]:
        """Every row: those already read, then the rest (when checking stopped early, as without a header)."""
        for _ in self.rows:
            pass
        return self.kept


def _find_header(rows) -> tuple[int | None, list[Cell]]:
    """The header row: the one whose column A says "Mã đơn vị", within the first rows."""
    for number, cells in rows:
        if _text(cells[0].value).casefold() == SHEET_LAYOUT.unit_code.casefold():
            return number, cells
        if number >= SHEET_LAYOUT.header_scan_rows:
            break
    return None, []


def _merged_data(table, header: int, reading: "_Reading") -> None:
    for merge in table.merges:
        if merge.max_row > header:
            reading.problem(merge.min_row, merge.min_col, None, E_MERGED.format(range=merge.ref))


def _has_sheet(table, title: str) -> bool:
    return any(" ".join(t.split()).casefold() == title.casefold() for t in table.sheets)


def _check_explanations(kept: "_Kept", reading: "_Reading") -> None:
    """The self-assessment's explanation sheet: a row per unit and criterion code, its "Giải trình" read as
    text by the portal's text rule; a blank cell keeps what is stored."""
    table = kept.table
    main_sheet, reading.sheet = reading.sheet, table.sheet
    try:
        rows = kept.rows
        header, cells = _find_header(rows)
        if header is None:
            reading.problem(1, 1, None, E_NO_HEADER.format(rows=SHEET_LAYOUT.header_scan_rows))
            return
        names = {_text(c.value).casefold(): c.column for c in cells}
        wanted = (SHEET_LAYOUT.criterion_code, SHEET_LAYOUT.explanation)
        missing = [title for title in wanted if title.casefold() not in names]
        if missing:
            reading.problem(header, None, None, E_NO_COLUMN.format(columns=", ".join(f"“{m}”" for m in missing)))
            return
        code_column, text_column = (names[title.casefold()] for title in wanted)
        leaves = {leaf.code: leaf for leaf in sheet_leaves(reading.period, reading.kind)}
        seen: dict[tuple[str, str], int] = {}
        for _number, cells in rows:
            _check_explanation(cells, code_column, text_column, leaves, seen, reading)
        _merged_data(table, header, reading)
    finally:
        reading.sheet = main_sheet


def _check_explanation(cells, code_column, text_column, leaves, seen, reading: "_Reading") -> None:
    if all(c.is_blank for c in cells):
        return
    by_column = {c.column: c for c in cells}
    first = cells[0]
    text_cell = by_column.get(text_column)
    if text_cell is None or text_cell.is_blank:
        return  # nothing to change: the unit and code are not even looked at
    unit = _explained_unit(first, reading)
    if unit is None:
        return
    code_cell = by_column.get(code_column)
    code = _text(code_cell.value) if code_cell else ""
    leaf = leaves.get(code)
    if leaf is None:
        column = code_cell.column if code_cell else code_column
        reading.problem(first.row, column, code or None, E_UNKNOWN_LEAF.format(value=code, year=reading.period.year))
        return
    if (unit.code, code) in seen:
        message = E_DUPLICATE_EXPLANATION.format(unit=unit.code, code=code, first=seen[(unit.code, code)])
        reading.problem(first.row, code_column, code, message)
        return
    seen[(unit.code, code)] = first.row
    if text_cell.kind == "formula":
        reading.problem(text_cell.row, text_cell.column, text_cell.value, E_FORMULA.format(value=text_cell.value))
        return
    try:
        text = clean_text(
            shown_input(text_cell.value), multiline=True, max_length=LONG_TEXT_LIMIT, label=SHEET_LAYOUT.explanation
        )
    except TextProblem as problem:
        reading.problem(text_cell.row, text_cell.column, text_cell.value, problem.message)
        return
    plan = reading.plan_for(unit, first.row)
    old = reading.explanations.get((unit.pk, leaf.pk)) or ""
    if text == old:
        plan.unchanged += 1
        return
    plan.changes.append(Change("explanation", leaf.pk, text))
    plan.explained.append((leaf.code, text))


def _explained_unit(first: Cell, reading: "_Reading") -> Unit | None:
    code = _text(first.value)
    unit = reading.units.get(code)
    if unit is None:
        template = E_UNIT_AS_NUMBER if first.kind == "number" else E_UNKNOWN_UNIT
        block, year = reading.period.block.name, reading.period.year
        reading.problem(first.row, 1, first.value, template.format(value=code, block=block, year=year))
        return None
    if unit.pk not in reading.allowed:
        reading.problem(first.row, 1, first.value, E_NOT_ALLOWED.format(kind=reading.kind.label, unit=unit.name))
        return None
    return unit


def _text(value) -> str:
    return normalize_name(shown_input(value))


def _allowed_units(period: Period, kind: SheetKind, user) -> set[int]:
    """The units this user may import this kind of points for (the entry fields' rule of the sheet's role),
    decided with one query for the statuses."""
    units = sheet_units(period, kind, user)
    statuses = dict(Submission.objects.filter(period=period).values_list("unit_id", "status"))
    rule = entry_fields.role_rule(kind.field, kind.role)
    return {
        u.pk for u in units if rule(Viewer(user, period, u, statuses.get(u.pk, Submission.Status.NOT_STARTED)))
    }


def _score_columns(cells: list[Cell], header: int, reading: _Reading) -> dict[int, Criterion]:
    period, kind = reading.period, reading.kind
    nodes = set(Criterion.objects.filter(criteria_set_id=period.criteria_set_id).values_list("code", flat=True))
    leaves = {leaf.code: leaf for leaf in sheet_leaves(period, kind)}
    columns, first = {}, {}
    for cell in cells[2:]:
        text = _text(cell.value)
        if not text or text.casefold().startswith(SHEET_LAYOUT.ignored_prefixes):
            continue
        if cell.kind == "number" and isinstance(cell.value, float):
            reading.problem(header, cell.column, cell.value, E_CODE_AS_NUMBER.format(value=text))
        elif text in leaves:
            if text in first:
                message = E_DUPLICATE_CODE.format(value=text, first=get_column_letter(first[text]))
                reading.problem(header, cell.column, cell.value, message)
            first.setdefault(text, cell.column)
            columns[cell.column] = leaves[text]
        elif text not in nodes:  # a code of another kind of points, or an area, is simply not read
            reading.problem(header, cell.column, cell.value, E_UNKNOWN_CODE.format(value=text, year=period.year))
    return columns


def _check_row(cells: list[Cell], reading: _Reading) -> None:
    if all(c.is_blank for c in cells):
        return  # empty rows, at the end or anywhere, are not data
    first, period = cells[0], reading.period
    code = _text(first.value)
    if code.casefold() == SHEET_LAYOUT.max_row.casefold():
        return
    unit = reading.units.get(code)
    if unit is None:
        template = E_UNIT_AS_NUMBER if first.kind == "number" else E_UNKNOWN_UNIT
        reading.problem(
            first.row, 1, first.value, template.format(value=code, block=period.block.name, year=period.year)
        )
        return
    if code in reading.seen:
        reading.problem(first.row, 1, first.value, E_DUPLICATE_UNIT.format(value=code, first=reading.seen[code]))
        return
    reading.seen[code] = first.row
    if unit.pk not in reading.allowed:
        reading.problem(first.row, 1, first.value, E_NOT_ALLOWED.format(kind=reading.kind.label, unit=unit.name))
        return
    plan = reading.plan_for(unit, first.row)
    for cell in cells:
        leaf = reading.columns.get(cell.column)
        if leaf is not None:
            _check_cell(cell, leaf, unit, plan, reading)


def _check_cell(cell: Cell, leaf: Criterion, unit: Unit, plan: UnitChanges, reading: _Reading) -> None:
    value = _points(cell, leaf, reading)
    if value is None:
        return
    old = reading.current.get((unit.pk, leaf.pk))
    if old is not None and old == value:
        plan.unchanged += 1
        return
    plan.changes.append(Change(reading.kind.field, leaf.pk, value, read_against=leaf.max_points))
    (plan.new.append((leaf.code, value)) if old is None else plan.changed.append((leaf.code, old, value)))


def _points(cell: Cell, leaf: Criterion, reading: _Reading) -> Decimal | None:
    """The cell's points, or None when blank (kept as is) or bad (an error is recorded)."""
    if cell.is_blank or (cell.kind == "text" and cell.value.strip() == SHEET_LAYOUT.not_applicable):
        return None
    if cell.kind == "formula" or (cell.kind == "text" and cell.value.lstrip().startswith("=")):
        reading.problem(cell.row, cell.column, cell.value, E_FORMULA.format(value=cell.value))
        return None
    try:
        number = parse_number(cell.value, maximum=leaf.max_points)
    except NumberProblem as problem:
        reading.problem(cell.row, cell.column, cell.value, problem.sentence)
        return None
    if cell.kind == "text":
        note = W_TEXT_NUMBER.format(cell=cell.coordinate, value=cell.value.strip(), number=show(number) or "0")
        reading.check.notes.append(note)
    return number


def _marked(read: list[_Kept], errors: list[Problem]) -> bytes | None:
    """The uploaded sheets again (the score sheet, and the explanation sheet when it has errors), each bad cell
    filled red and commented with what is wrong.

    Built from the rows kept as the sheets were checked (the upload is not read again) and written in
    write-only mode. Values are kept (formulas as their text); the original's styles are not."""
    messages: dict[tuple[str | None, int], dict[int, list[str]]] = {}
    for e in errors:
        if e.row:
            messages.setdefault((e.sheet, e.row), {}).setdefault(e.column or 1, []).append(e.message)
    workbook = Workbook(write_only=True)
    try:
        for index, kept in enumerate(read):
            sheet = kept.table.sheet
            if index == 0 or any(e.sheet == sheet for e in errors):
                _marked_sheet(workbook.create_sheet(sheet or SHEET_LAYOUT.scores_sheet), kept, messages)
    except Refused:
        return None
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _marked_sheet(ws, kept: _Kept, messages) -> None:
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = 16, 30
    for column in range(3, 60):
        ws.column_dimensions[get_column_letter(column)].width = 11
    print_setup(ws, landscape=True, title_cols="A:B", fit_width=False, scale=80)
    sheet, written = kept.table.sheet, 0
    for number, cells in kept.read():
        for _ in range(written + 1, number):
            ws.append([])
        by_column = {cell.column: cell for cell in cells}
        marked = messages.get((sheet, number), {})
        last = max([*by_column, *marked, 0])
        ws.append(
            [
                _marked_cell(ws, by_column.get(column) or Cell(number, column), marked.get(column))
                for column in range(1, last + 1)
            ]
        )
        written = number
    for merge in kept.table.merges:
        ws.merged_cells.add(merge.ref)


def _marked_cell(ws, cell: Cell, messages: list[str] | None) -> WriteOnlyCell:
    result = plain_cell(ws, cell.value)  # a formula comes back as its text, with its error beside it
    if cell.kind in ("number", "date"):
        result.number_format = cell.number_format
    if messages:
        result.fill = fill(ERROR_FILL)
        result.comment = Comment(safe_text("\n".join(messages)), "Cổng CCHC", width=320, height=120)
    return result


def run_check(file, name, period, kind, user) -> SheetCheck:
    """check_sheet without progress: drain the steps and return the outcome."""
    steps = check_sheet(file, name, period, kind, user)
    while True:
        try:
            next(steps)
        except StopIteration as finished:
            return finished.value


def scores_import(*, check: SheetCheck, period: Period, file_name: str, by) -> int:
    """Write a checked sheet: every changed value, through the same path as the entry page."""
    changes = {plan.unit: plan.changes for plan in check.units if plan.changes}
    if not changes:
        return 0
    reason = f"nhập từ Excel: {without_controls(file_name)}"
    return scores_save_many(period=period, changes=changes, by=by, reason=reason).changed
