"""Score sheets in Excel: the template Sở Nội vụ hands out, and reading a filled one back.

Reading is phase one of an import: the workbook is streamed through the bounded reader, every cell is
checked, every problem is reported at once with its sheet, row, column and value, and a copy of the
workbook is produced with each bad cell highlighted and commented. Nothing here writes to the database;
`scores_import` does that, all or nothing, through the same service as the entry page.

The layout (`SHEET_LAYOUT`) is shared with the detailed report (`reports.detailed`), whose first sheet
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
from cchc_portal.lib.problems import Problem, Refused
from cchc_portal.lib.reading import XLSX_KIND, Cell, open_table
from cchc_portal.lib.text import normalize_name, without_controls
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
from scoring import permissions
from scoring.imports import upload_limits
from scoring.models import Criterion, Method, Period, Score, Submission
from scoring.scores import Change, scores_save_many
from units.models import Unit


@dataclass(frozen=True)
class SheetLayout:
    """The words and places a score sheet and the detailed report agree on."""

    unit_code: str = "Mã đơn vị"
    unit_name: str = "Tên đơn vị"
    max_row: str = "Điểm tối đa"
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
W_TEXT_NUMBER = "Ô {cell} lưu dạng văn bản “{value}”, đã đọc là {number}."


@dataclass(frozen=True)
class SheetKind:
    """Which points a sheet carries: self-assessed, appraised or survey."""

    code: str
    label: str
    field: str
    methods: tuple[str, ...]


KINDS = {
    "tu-danh-gia": SheetKind("tu-danh-gia", "điểm tự đánh giá", "self_points", (Method.SELF,)),
    "tham-dinh": SheetKind(
        "tham-dinh", "điểm thẩm định", "appraised_points", (Method.SELF, Method.BONUS, Method.DEDUCTION)
    ),
    "dieu-tra": SheetKind("dieu-tra", "điểm điều tra xã hội học", "appraised_points", (Method.SURVEY,)),
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
    unchanged: int = 0


@dataclass
class SheetCheck:
    """The outcome of reading a sheet: either errors (and a marked-up copy) or a plan to write."""

    kind: SheetKind
    units: list[UnitChanges] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error_workbook: bytes | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def counts(self) -> dict[str, int]:
        return {
            "units": len(self.units),
            "new": sum(len(u.new) for u in self.units),
            "changed": sum(len(u.changed) for u in self.units),
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


def score_template(period: Period, kind: SheetKind, user) -> bytes:
    """A row per unit, a column per leaf (code and maximum in the header), current values filled in,
    a 0..maximum rule on every cell, and the header locked against editing."""
    leaves, units = sheet_leaves(period, kind), sheet_units(period, kind, user)
    areas = _area_titles(period)
    current = {
        (u, c): v
        for u, c, v in Score.objects.filter(period=period, unit__in=units)
        .order_by()
        .values_list("unit_id", "criterion_id", kind.field)
    }
    wb = Workbook()
    ws = wb.active
    ws.title = "Bảng điểm"
    last = get_column_letter(len(leaves) + 2)
    put(ws, 1, 1, f"Bảng nhập {kind.label} — {period.block.name} năm {period.year}", bold=True, size=13, border=False)
    ws.merge_cells(f"A1:{last}1")
    put(
        ws,
        2,
        1,
        "Nhập điểm vào các ô trắng (dấu phẩy hoặc dấu chấm thập phân); ô trống giữ nguyên điểm đã có. "
        "Không sửa các dòng tiêu đề.",
        size=10,
        border=False,
    )
    ws.merge_cells(f"A2:{last}2")
    for column, leaf in enumerate(leaves, start=3):
        put(ws, 3, column, areas.get(leaf.pk, ""), size=9, wrap=True, background=HEADER_FILL)
        put(ws, 4, column, leaf.code, bold=True, align="center", background=HEADER_FILL, number_format="@")
        put(ws, 5, column, leaf.max_points, align="center", background=HEADER_FILL, number_format="0.00")
        _validation(ws, column, leaf, len(units))
        ws.column_dimensions[get_column_letter(column)].width = 9
    for column, text in ((1, SHEET_LAYOUT.unit_code), (2, SHEET_LAYOUT.unit_name)):
        put(ws, 4, column, text, bold=True, background=HEADER_FILL)
    put(ws, 5, 1, SHEET_LAYOUT.max_row, bold=True, background=HEADER_FILL)
    for row, unit in enumerate(units, start=6):
        put(ws, row, 1, unit.code, number_format="@")
        put(ws, row, 2, unit.name)
        for column, leaf in enumerate(leaves, start=3):
            cell = put(ws, row, column, current.get((unit.pk, leaf.pk)), number_format=number_format(3), align="right")
            cell.protection = Protection(locked=False)
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = 18, 42
    ws.freeze_panes = "C6"
    ws.protection.sheet = True  # only the score cells are editable
    ws.protection.formatColumns = ws.protection.formatRows = False
    print_setup(ws, landscape=True, title_rows="4:5")
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _area_titles(period: Period) -> dict[int, str]:
    nodes = {c.pk: c for c in Criterion.objects.filter(criteria_set_id=period.criteria_set_id)}
    titles = {}
    for pk, node in nodes.items():
        top = node
        while top.parent_id:
            top = nodes[top.parent_id]
        titles[pk] = f"{top.code}. {top.title}"
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
    rule.add(f"{letter}6:{letter}{max(rows, 1) + 5}")
    ws.add_data_validation(rule)


# --- Reading a filled sheet -----------------------------------------------------------------------


class _Reading:
    """One check of one workbook: what the database says once, and the problems found so far."""

    def __init__(self, period: Period, kind: SheetKind, user, sheet: str | None):
        self.period, self.kind, self.sheet = period, kind, sheet
        self.check = SheetCheck(kind=kind)
        self.units = {u.code: u for u in Unit.objects.filter(block_id=period.block_id).active_in(period.year)}
        self.allowed = _allowed_units(period, kind, user)
        self.current = {
            (u, c): v
            for u, c, v in Score.objects.filter(period=period)
            .order_by()
            .values_list("unit_id", "criterion_id", kind.field)
        }
        self.seen: dict[str, int] = {}
        self.columns: dict[int, Criterion] = {}

    def problem(self, row, column, value, message) -> None:
        self.check.errors.append(Problem(message, sheet=self.sheet, row=row, column=column, value=value))


def check_sheet(file, name: str, period: Period, kind: SheetKind, user) -> Iterator[tuple[int, int]]:
    """Check a workbook. Yields (rows done, rows expected) as it goes; returns a SheetCheck."""
    try:
        table = open_table(file, name, limits=upload_limits(), accept=(XLSX_KIND,))
        rows = table.rows()
        reading = _Reading(period, kind, user, table.sheet)
        header = None
        for number, cells in rows:
            if _text(cells[0].value).casefold() == SHEET_LAYOUT.unit_code.casefold():
                header = number
                break
            if number >= SHEET_LAYOUT.header_scan_rows:
                break
        if header is None:
            reading.problem(1, 1, None, E_NO_HEADER.format(rows=SHEET_LAYOUT.header_scan_rows))
            reading.check.error_workbook = _marked(file, name, reading.check.errors)
            return reading.check
        reading.columns = _score_columns(cells, header, reading)
        expected = max((table.declared_rows or 0) - header, 0)
        done = 0
        for done, (_number, cells) in enumerate(rows, start=1):
            _check_row(cells, reading)
            if done % PROGRESS_EVERY == 0:
                yield done, max(expected, done)
        yield done, done
    except Refused as refused:
        return SheetCheck(kind=kind, errors=refused.problems)
    for merge in table.merges:
        if merge.max_row > header:
            reading.problem(merge.min_row, merge.min_col, None, E_MERGED.format(range=merge.ref))
    check = reading.check
    if not reading.columns and not any(e.row == header for e in check.errors):
        reading.problem(header, None, None, E_NO_SCORE_COLUMNS.format(kind=kind.label))
    if check.errors:
        check.units = []
        check.error_workbook = _marked(file, name, check.errors)
    return check


def _text(value) -> str:
    return normalize_name(shown_input(value))


def _allowed_units(period: Period, kind: SheetKind, user) -> set[int]:
    """The units this user may import this kind of points for, decided with one query for the statuses."""
    units = sheet_units(period, kind, user)
    if kind.code == "dieu-tra":
        return {u.pk for u in units} if permissions.can_enter_survey(user, period) else set()
    if kind.code == "tham-dinh":
        return {u.pk for u in units if permissions.can_appraise(user, period, u)}
    statuses = dict(Submission.objects.filter(period=period).values_list("unit_id", "status"))
    return {
        u.pk
        for u in units
        if permissions.can_edit_self(user, period, u, statuses.get(u.pk, Submission.Status.NOT_STARTED))
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
            first.row, 1, first.value, template.format(value=code, block=period.block.code, year=period.year)
        )
        return
    if code in reading.seen:
        reading.problem(first.row, 1, first.value, E_DUPLICATE_UNIT.format(value=code, first=reading.seen[code]))
        return
    reading.seen[code] = first.row
    if unit.pk not in reading.allowed:
        reading.problem(first.row, 1, first.value, E_NOT_ALLOWED.format(kind=reading.kind.label, unit=unit.name))
        return
    plan = UnitChanges(unit=unit, row=first.row)
    for cell in cells:
        leaf = reading.columns.get(cell.column)
        if leaf is not None:
            _check_cell(cell, leaf, unit, plan, reading)
    reading.check.units.append(plan)


def _check_cell(cell: Cell, leaf: Criterion, unit: Unit, plan: UnitChanges, reading: _Reading) -> None:
    value = _points(cell, leaf, reading)
    if value is None:
        return
    old = reading.current.get((unit.pk, leaf.pk))
    if old is not None and old == value:
        plan.unchanged += 1
        return
    plan.changes.append(Change(reading.kind.field, leaf.pk, value))
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


def _marked(file, name: str, errors: list[Problem]) -> bytes | None:
    """The uploaded sheet again, each bad cell filled red and commented with what is wrong.

    Streamed: the upload is read once more through the bounded reader and written in write-only mode, so a
    large sheet costs no more memory than a small one. Values are kept (formulas as their text); the
    original's styles are not."""
    messages: dict[tuple[int, int], list[str]] = {}
    for e in errors:
        if e.row:
            messages.setdefault((e.row, e.column or 1), []).append(e.message)
    try:
        file.seek(0)
        table = open_table(file, name, limits=upload_limits(), accept=(XLSX_KIND,))
        workbook = Workbook(write_only=True)
        ws = workbook.create_sheet(table.sheet or "Bảng điểm")
        written = 0
        for number, cells in table.rows():
            for _ in range(written + 1, number):
                ws.append([])
            ws.append([_marked_cell(ws, cell, messages.get((cell.row, cell.column))) for cell in cells])
            written = number
        for merge in table.merges:
            ws.merged_cells.add(merge.ref)
    except Refused:
        return None
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


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
