"""Score sheets in Excel: the template Sở Nội vụ hands out, and reading a filled one back.

Reading is phase one of an import: every cell is checked, every problem is reported at once with its
sheet, row, column and value, and a copy of the workbook is produced with each bad cell highlighted
and commented. Nothing here writes to the database; `scores_import` does that, all or nothing.
"""

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from io import BytesIO

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from cchc_portal.lib.numbers import show
from cchc_portal.lib.xlsx_write import HEADER_FILL, number_format, print_setup, put
from scoring import permissions
from scoring.models import Criterion, Method, Period, Score, Submission
from scoring.scores import Change, scores_save_many
from units.models import Unit

UNIT_CODE = "Mã đơn vị"
UNIT_NAME = "Tên đơn vị"
MAX_ROW = "Điểm tối đa"
NOT_APPLICABLE = "KAD"  # "không áp dụng", as the detailed report writes it
# Columns of the detailed report that an import reads past: subtotals, totals, grade, rank, notes.
IGNORED_PREFIXES = ("cộng", "tổng", "xếp loại", "vị thứ", "ghi chú", "chỉ số")
HEADER_SCAN_ROWS = 15
PROGRESS_EVERY = 20
ERROR_FILL = PatternFill("solid", fgColor="FFC7CE")

E_NO_HEADER = "Không tìm thấy dòng tiêu đề: cột A phải có ô “Mã đơn vị” trong {rows} dòng đầu."
E_UNREADABLE = "Không đọc được tệp “{name}”: cần tệp Excel .xlsx."
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
E_NOT_A_NUMBER = "“{value}” không phải là số."
E_NEGATIVE = "Điểm {value} âm; điểm phải từ 0 đến {max}."
E_ABOVE_MAX = "Điểm {value} vượt điểm tối đa {max} của tiêu chí {code}."
E_TOO_PRECISE = "Điểm {value} có quá 3 chữ số thập phân."
W_TEXT_NUMBER = "Ô {cell} lưu dạng văn bản “{value}”, đã đọc là {number}."

_NUMBER = re.compile(r"^-?\d+(?:[.,]\d+)?$")
_CODE = re.compile(r"^[0-9A-Za-z]+(?:\.[0-9A-Za-z]+)*$")


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


@dataclass(frozen=True)
class CellError:
    sheet: str
    row: int | None
    column: int | None
    value: object
    message: str

    def __str__(self) -> str:
        where = f"Trang “{self.sheet}”"
        if self.row:
            where += f", dòng {self.row}"
        if self.column:
            where += f", cột {get_column_letter(self.column)}"
        return f"{where}: {self.message}"


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
    errors: list[CellError] = field(default_factory=list)
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
    return list(
        Criterion.objects.filter(
            criteria_set_id=period.criteria_set_id, children__isnull=True, method__in=kind.methods
        ).order_by("position")
    )


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
    for column, text in ((1, UNIT_CODE), (2, UNIT_NAME)):
        put(ws, 4, column, text, bold=True, background=HEADER_FILL)
    put(ws, 5, 1, MAX_ROW, bold=True, background=HEADER_FILL)
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


def check_sheet(file, name: str, period: Period, kind: SheetKind, user) -> Iterator[tuple[int, int]]:
    """Check a workbook. Yields (rows done, rows in all) as it goes; returns a SheetCheck."""
    check = SheetCheck(kind=kind)
    try:
        wb = load_workbook(file, data_only=False)
    except Exception:  # any unreadable upload: not a zip, not a workbook, a broken file
        check.errors.append(CellError("", None, None, name, E_UNREADABLE.format(name=name)))
        return check
    ws = wb.worksheets[0]
    header = _header_row(ws)
    if header is None:
        check.errors.append(CellError(ws.title, 1, 1, None, E_NO_HEADER.format(rows=HEADER_SCAN_ROWS)))
        check.error_workbook = _marked(wb, check.errors)
        return check
    columns = _score_columns(ws, header, period, kind, check)
    _merged_in_data(ws, header, check)
    units = {u.code: u for u in Unit.objects.filter(block_id=period.block_id).active_in(period.year)}
    allowed = {u.pk for u in sheet_units(period, kind, user) if _may_import(user, period, kind, u)}
    current = _current(period, kind)
    rows = list(ws.iter_rows(min_row=header + 1))
    seen: dict[str, int] = {}
    for done, cells in enumerate(rows, start=1):
        _check_row(ws, cells, columns, units, allowed, current, seen, period, kind, check)
        if done % PROGRESS_EVERY == 0:
            yield done, len(rows)
    yield len(rows), len(rows)
    if not columns and not any(e.row == header for e in check.errors):
        check.errors.append(CellError(ws.title, header, None, None, E_NO_SCORE_COLUMNS.format(kind=kind.label)))
    if check.errors:
        check.units = []
        check.error_workbook = _marked(wb, check.errors)
    return check


def _text(value) -> str:
    return unicodedata.normalize("NFC", str(value)).strip() if value is not None else ""


def _header_row(ws) -> int | None:
    for row in range(1, HEADER_SCAN_ROWS + 1):
        if _text(ws.cell(row=row, column=1).value).casefold() == UNIT_CODE.casefold():
            return row
    return None


def _score_columns(ws, header, period, kind, check) -> dict[int, Criterion]:
    nodes = {c.code: c for c in Criterion.objects.filter(criteria_set_id=period.criteria_set_id)}
    leaves = {leaf.code: leaf for leaf in sheet_leaves(period, kind)}
    columns, first = {}, {}
    for column in range(3, ws.max_column + 1):
        value = ws.cell(row=header, column=column).value
        text = _text(value)
        if not text or text.casefold().startswith(IGNORED_PREFIXES):
            continue
        if isinstance(value, float):
            check.errors.append(CellError(ws.title, header, column, value, E_CODE_AS_NUMBER.format(value=value)))
        elif text in leaves:
            if text in first:
                message = E_DUPLICATE_CODE.format(value=text, first=get_column_letter(first[text]))
                check.errors.append(CellError(ws.title, header, column, value, message))
            first.setdefault(text, column)
            columns[column] = leaves[text]
        elif text not in nodes:  # a code of another kind of points, or an area, is simply not read
            message = E_UNKNOWN_CODE.format(value=text, year=period.year)
            check.errors.append(CellError(ws.title, header, column, value, message))
    return columns


def _merged_in_data(ws, header, check) -> None:
    for merged in ws.merged_cells.ranges:
        if merged.max_row > header:
            check.errors.append(
                CellError(ws.title, merged.min_row, merged.min_col, None, E_MERGED.format(range=merged.coord))
            )


def _may_import(user, period, kind, unit) -> bool:
    if kind.code == "dieu-tra":
        return permissions.can_enter_survey(user, period)
    if kind.code == "tham-dinh":
        return permissions.can_appraise(user, period, unit)
    status = Submission.objects.filter(period=period, unit=unit).values_list("status", flat=True).first()
    return permissions.can_edit_self(user, period, unit, status or Submission.Status.NOT_STARTED)


def _current(period, kind) -> dict[tuple[int, int], Decimal | None]:
    return {
        (u, c): v
        for u, c, v in Score.objects.filter(period=period).order_by().values_list("unit_id", "criterion_id", kind.field)
    }


def _check_row(ws, cells, columns, units, allowed, current, seen, period, kind, check) -> None:
    if not cells or all(c.value is None or _text(c.value) == "" for c in cells):
        return  # empty rows, at the end or anywhere, are not data
    first = cells[0]
    code = _text(first.value)
    if code.casefold() == MAX_ROW.casefold():
        return
    unit = units.get(code)
    if unit is None:
        template = E_UNIT_AS_NUMBER if isinstance(first.value, (int, float)) else E_UNKNOWN_UNIT
        message = template.format(value=code, block=period.block.code, year=period.year)
        check.errors.append(CellError(ws.title, first.row, 1, first.value, message))
        return
    if code in seen:
        message = E_DUPLICATE_UNIT.format(value=code, first=seen[code])
        check.errors.append(CellError(ws.title, first.row, 1, first.value, message))
        return
    seen[code] = first.row
    if unit.pk not in allowed:
        message = E_NOT_ALLOWED.format(kind=kind.label, unit=unit.name)
        check.errors.append(CellError(ws.title, first.row, 1, first.value, message))
        return
    plan = UnitChanges(unit=unit, row=first.row)
    for cell in cells:
        leaf = columns.get(cell.column)
        if leaf is not None:
            _check_cell(ws, cell, leaf, unit, plan, current, kind, check)
    check.units.append(plan)


def _check_cell(ws, cell, leaf, unit, plan, current, kind, check) -> None:
    value = _points(ws, cell, leaf, check)
    if value is None:
        return
    old = current.get((unit.pk, leaf.pk))
    if old is not None and old == value:
        plan.unchanged += 1
        return
    plan.changes.append(Change(kind.field, leaf.pk, value))
    (plan.new.append((leaf.code, value)) if old is None else plan.changed.append((leaf.code, old, value)))


def _points(ws, cell, leaf, check) -> Decimal | None:
    """The cell's points, or None when blank (kept as is) or bad (an error is recorded)."""
    value = cell.value

    def error(message):
        check.errors.append(CellError(ws.title, cell.row, cell.column, value, message))

    if value is None or (isinstance(value, str) and value.strip() in ("", NOT_APPLICABLE)):
        return None
    if cell.data_type == "f" or (isinstance(value, str) and value.startswith("=")):
        return error(E_FORMULA.format(value=value))
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, str)):
        return error(E_NOT_A_NUMBER.format(value=value))
    if isinstance(value, str):
        text = value.strip()
        if not _NUMBER.match(text):
            return error(E_NOT_A_NUMBER.format(value=text))
        number = Decimal(text.replace(",", "."))
        check.notes.append(W_TEXT_NUMBER.format(cell=cell.coordinate, value=text, number=show(number) or "0"))
    else:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    shown = show(number) or "0"
    if number < 0:
        return error(E_NEGATIVE.format(value=shown, max=show(leaf.max_points)))
    if number > leaf.max_points:
        return error(E_ABOVE_MAX.format(value=shown, max=show(leaf.max_points), code=leaf.code))
    if number.as_tuple().exponent < -3:
        return error(E_TOO_PRECISE.format(value=shown))
    return number


def _marked(wb, errors: list[CellError]) -> bytes:
    """The uploaded workbook with every bad cell filled red and commented with what is wrong."""
    messages: dict[tuple[str, int, int], list[str]] = {}
    for e in errors:
        if e.sheet and e.row:
            messages.setdefault((e.sheet, e.row, e.column or 1), []).append(e.message)
    for (sheet, row, column), texts in messages.items():
        ws = wb[sheet]
        target = ws.cell(row=row, column=column)
        if type(target).__name__ == "MergedCell":
            continue
        target.fill = ERROR_FILL
        target.comment = Comment("\n".join(texts), "Cổng CCHC", width=320, height=120)
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


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
    return scores_save_many(period=period, changes=changes, by=by, reason=f"nhập từ Excel: {file_name}")
