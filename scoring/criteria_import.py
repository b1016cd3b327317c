"""Importing a criteria set (bộ tiêu chí) from a workbook: check everything, preview, then write all or nothing.

Phase one, `read_criteria_rows`, reads a .xlsx (first sheet) or a UTF-8 .csv whose first non-empty row
is the header `code, title, max_points, method` (or mã, nội dung / tên tiêu chí, điểm tối đa, cách chấm;
other columns are ignored), checks every cell and then the tree as a whole, and raises
`CriteriaImportFailed` with every problem found, each naming the sheet, row, column and value, in
Vietnamese. Phase two, `criteria_import`, writes the set, its tree and a draft period in one transaction.

The tree's rules:
- A code is text: `3`, `3.2`, `3.2.1`. An Excel number cell is refused (3.10 typed into it becomes 3.1,
  which is another criterion) unless it holds a whole number.
- The file lists the tree in order: every node comes inside its parent's group (parent first, then its
  children and their descendants), so the file's order is the order the portal shows.
- A parent's maximum equals the sum of its children's maxima, counting only the children scored the
  same way: self-assessed and survey children add up to a self-assessed or survey parent; bonus children
  to a bonus parent; deduction children to a deduction parent.
- The top-level self-assessed and survey nodes add up to the set's declared total (100 by default);
  bonus and deduction nodes are outside the total.
- A sum is not checked when one of its terms is already in error (its own message says why), so one
  mistake gives one message. A row whose code cannot be read at all may still throw a sum off.
"""

import csv
import io
import re
import zipfile
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from uuid import uuid4

from django.core.exceptions import ValidationError
from django.db import transaction

from cchc_portal.lib.numbers import vn_number
from scoring import permissions
from scoring.evidence_files import XLSX, sniff
from scoring.models import CriteriaSet, Criterion, GradeScheme, Method, Period
from scoring.uploads import imports_dir
from units.models import Block, Unit, name_key, normalize_name

DEFAULT_TOTAL = Decimal(100)
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
UPLOAD_EXTENSIONS = (".xlsx", ".csv")
# A criteria set is a few hundred cells; a workbook that unpacks to more than this is not one.
MAX_XLSX_UNPACKED_BYTES = 20 * 1024 * 1024
MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_CODE_LENGTH = Criterion._meta.get_field("code").max_length
MAX_TITLE_LENGTH = Criterion._meta.get_field("title").max_length
MAX_NAME_LENGTH = CriteriaSet._meta.get_field("name").max_length
# Criterion.max_points holds 7 digits, 3 of them decimals.
MAX_POINTS_LIMIT = Decimal(10000)

# Header names accepted for each field: the English ones of the documented format and the Vietnamese
# ones used in the province's own tables. Compared after NFC normalisation and case folding.
COLUMNS = {
    "code": ("code", "mã", "mã tiêu chí"),
    "title": ("title", "nội dung", "tên tiêu chí", "tiêu chí"),
    "max_points": ("max_points", "điểm tối đa"),
    "method": ("method", "cách chấm"),
}
METHODS = {
    "self": Method.SELF,
    "tự đánh giá": Method.SELF,
    "tự đánh giá, thẩm định": Method.SELF,
    "survey": Method.SURVEY,
    "điều tra": Method.SURVEY,
    "điều tra xã hội học": Method.SURVEY,
    "bonus": Method.BONUS,
    "điểm thưởng": Method.BONUS,
    "deduction": Method.DEDUCTION,
    "điểm trừ": Method.DEDUCTION,
}
# How a missing column is named to the user.
COLUMN_LABELS = {"code": "mã", "title": "nội dung", "max_points": "điểm tối đa", "method": "cách chấm"}
SCORED = (Method.SELF, Method.SURVEY)

E_FILE_TYPE = 'Tệp "{file}" không phải tệp .xlsx hoặc .csv.'
E_FILE_UNREADABLE = 'Không đọc được tệp "{file}": {reason}'
R_CSV_ENCODING = "tệp CSV phải được lưu với mã UTF-8."
R_NOT_XLSX = "nội dung không phải bảng tính Excel .xlsx hợp lệ (tệp hỏng, có macro hoặc chỉ đổi đuôi tệp)."
R_TOO_LARGE = "bảng tính quá lớn đối với một bộ tiêu chí."
R_BROKEN = "tệp hỏng hoặc sai định dạng."
R_MISSING = "không tìm thấy tệp."
E_NO_HEADER = "{where}: tệp không có dòng tiêu đề (mọi dòng đều trống)."
E_MISSING_COLUMN = (
    '{where}, dòng {row}: thiếu cột "{label}" ({column}). Dòng tiêu đề là dòng không trống đầu tiên và cần các cột '
    "mã, nội dung, điểm tối đa, cách chấm (hoặc code, title, max_points, method)."
)
E_NO_ROWS = "{where}: tệp không có tiêu chí nào dưới dòng tiêu đề."
E_NO_CRITERIA = "Không có tiêu chí nào để nhập."
E_CODE_EMPTY = "{at}: mã để trống."
E_CODE_BAD = (
    '{at}: mã "{value}" không hợp lệ (mã gồm chữ cái không dấu hoặc chữ số, các cấp cách nhau bằng dấu chấm, '
    "ví dụ 3, 3.2, 3.2.1; dài tối đa 32 ký tự)."
)
E_CODE_NUMBER = (
    '{at}: mã "{value}" nằm trong ô kiểu số hoặc ngày tháng. Excel có thể đã đổi 3.10 thành 3.1, mà 3.1 và 3.10 '
    'là hai tiêu chí khác nhau: hãy định dạng cột mã là "Văn bản" (Text) rồi gõ lại mã.'
)
E_CODE_DUPLICATE = '{at}: mã "{value}" trùng với mã ở dòng {first}.'
E_PARENT_MISSING = '{at}: mã "{value}" cần tiêu chí cha "{parent}", nhưng tệp không có mã "{parent}".'
E_PARENT_ORDER = (
    '{at}: mã "{value}" không nằm trong nhóm của tiêu chí cha "{parent}" (dòng {parent_row}); '
    "hãy đặt mỗi tiêu chí con ngay dưới tiêu chí cha của nó."
)
E_TITLE_EMPTY = "{at}: nội dung tiêu chí để trống."
E_TITLE_LONG = "{at}: nội dung tiêu chí dài {length} ký tự, vượt quá {limit} ký tự."
E_MAX_EMPTY = "{at}: điểm tối đa để trống."
E_MAX_NOT_NUMBER = '{at}: điểm tối đa "{value}" không phải là số (viết như 2,5 hoặc 2.5).'
E_MAX_NEGATIVE = '{at}: điểm tối đa "{value}" là số âm; điểm trừ cũng ghi số dương và chọn cách chấm "điểm trừ".'
E_MAX_DECIMALS = '{at}: điểm tối đa "{value}" có quá 3 chữ số thập phân.'
E_MAX_TOO_LARGE = '{at}: điểm tối đa "{value}" quá lớn (tối đa 9.999,999).'
E_METHOD = (
    '{at}: cách chấm "{value}" không hợp lệ (dùng self, survey, bonus, deduction hoặc tự đánh giá, điều tra, '
    "điểm thưởng, điểm trừ; để trống là tự đánh giá)."
)
E_FORMULA = '{at}: ô chứa công thức "{value}"; hãy chép và dán giá trị (Paste Values) thay cho công thức.'
E_MERGED = "{at}: ô gộp {cells} nằm trong vùng dữ liệu; hãy bỏ gộp ô (mỗi tiêu chí một dòng, mỗi giá trị một ô)."
E_SUM = (
    '{at}: tiêu chí "{code}" có điểm tối đa {maximum}, nhưng điểm tối đa của các tiêu chí con cộng lại là {children}.'
)
E_TOTAL = (
    '{where}, cột "{column}": tổng điểm tối đa của các lĩnh vực là {found}, khác tổng điểm khai báo {total} '
    "(không tính điểm thưởng, điểm trừ)."
)
E_YEAR = 'Năm "{year}" không hợp lệ (cần từ {low} đến {high}).'
E_DECLARED_TOTAL = 'Tổng điểm khai báo "{total}" không hợp lệ (cần số dương, tối đa 3 chữ số thập phân).'
E_NAME_LONG = "Tên bộ tiêu chí dài quá {limit} ký tự."
E_SET_EXISTS = 'Năm {year}, khối {block}: đã có bộ tiêu chí "{name}", không ghi đè.'
E_PERIOD_STARTED = (
    'Năm {year}, khối {block}: kỳ đánh giá đang ở trạng thái "{status}"; chỉ nhập bộ tiêu chí khi kỳ còn là dự thảo.'
)
E_PERIOD_HAS_SET = 'Năm {year}, khối {block}: kỳ đánh giá dự thảo đã gắn bộ tiêu chí "{name}".'
E_NO_DEFAULT_SCHEME = "Chưa có thang xếp loại mặc định; hãy tạo trong trang quản trị trước khi nhập bộ tiêu chí."
E_EXPIRED = "Phiên nhập đã hết hạn hoặc tệp không còn; hãy tải tệp lên lại."

_CODE = re.compile(r"^[0-9A-Za-z]+(\.[0-9A-Za-z]+)*$")
_NUMBER = re.compile(r"^-?\d+(?:[.,]\d+)?$")
_TOKEN = re.compile(r"^[0-9a-f]{32}$")
# Error messages are listed by row; the set's total, which belongs to no row, comes last.
_LAST = 10**9


class CriteriaImportFailed(Exception):
    """The file cannot be imported; `errors` lists every problem found, in Vietnamese."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class CriterionRow:
    """One checked row of a criteria file, in file order."""

    row: int
    code: str
    title: str
    max_points: Decimal
    method: str

    @property
    def parent_code(self) -> str | None:
        return _parent(self.code)

    @property
    def depth(self) -> int:
        return self.code.count(".") + 1


@dataclass(frozen=True)
class CriteriaImportSummary:
    """What an import wrote, or would write on a dry run."""

    year: int
    block: Block
    nodes: int
    areas: int
    criteria: int
    leaves: int
    units: int
    period_created: bool
    dry_run: bool
    criteria_set: CriteriaSet | None = None
    period: Period | None = None


@dataclass(frozen=True)
class PreviewRow:
    """One node as the preview page shows it."""

    code: str
    title: str
    max_points: str
    method: str
    depth: int
    indent: int
    is_leaf: bool


@dataclass(frozen=True)
class Preview:
    """The checked tree and what importing it would do, or every reason it cannot be imported."""

    rows: list[PreviewRow]
    summary: CriteriaImportSummary | None
    errors: list[str]


# --- Phase one: reading and checking ----------------------------------------------------------------


@dataclass(frozen=True)
class _Cell:
    """A cell as read: its value and what kind of cell held it."""

    value: object = None
    kind: str = "text"  # text, number, date, bool, formula, merged (covered by another cell of a merge)


_EMPTY = _Cell()


@dataclass
class _Table:
    sheet: str | None
    rows: list[tuple[int, list[_Cell]]]
    merges: list[tuple[int, int, int, int, str]]  # min_row, min_col, max_row, max_col (1-based), "B5:B6"


@dataclass(frozen=True)
class _Place:
    """Where a message points: the sheet (workbooks only) and each field's column header as written."""

    sheet: str | None
    labels: dict[str, str]

    def where(self) -> str:
        return f'Trang tính "{self.sheet}"' if self.sheet else "Tệp"

    def at(self, row: int, field: str) -> str:
        line = f'Trang tính "{self.sheet}", dòng {row}' if self.sheet else f"Dòng {row}"
        return f'{line}, cột "{self.labels.get(field, field)}"'


_PLAIN = _Place(None, {field: field for field in COLUMNS})


@dataclass
class _Draft:
    """A row being checked: the fields that could be read (None where they could not), in file order."""

    row: int
    code: str | None = None
    title: str = ""
    max_points: Decimal | None = None
    method: str | None = None


def read_criteria_rows(path_or_file, name: str, *, total: Decimal = DEFAULT_TOTAL) -> list[CriterionRow]:
    """Read and check the whole file; raise CriteriaImportFailed with every problem, or return the rows."""
    name = name or Path(str(getattr(path_or_file, "name", path_or_file))).name
    table = _read_table(path_or_file, name)
    header_row, cells = next(((n, c) for n, c in table.rows if not all(_blank(x) for x in c)), (None, None))
    place = _Place(table.sheet, {})
    if header_row is None:
        raise CriteriaImportFailed([E_NO_HEADER.format(where=place.where())])
    columns, errors = _find_columns(cells, header_row, place)
    if errors:
        raise CriteriaImportFailed(errors)
    place = _Place(table.sheet, {field: title for field, (_, title) in columns.items()})
    problems: list[tuple[int, str]] = []
    drafts = [
        _read_record(number, record, columns, place, problems)
        for number, record in table.rows
        if number > header_row and not all(_blank(_pick(record, index)) for index, _ in columns.values())
    ]
    if not drafts:
        raise CriteriaImportFailed([E_NO_ROWS.format(where=place.where())])
    problems += _merge_problems(table.merges, header_row, columns, place)
    problems += _tree_problems(drafts, total, place)
    if problems:
        raise CriteriaImportFailed([text for _, text in sorted(problems, key=lambda p: p[0])])
    return [CriterionRow(d.row, d.code, d.title, d.max_points, d.method) for d in drafts]


def _read_table(path_or_file, name: str) -> _Table:
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_EXTENSIONS:
        raise CriteriaImportFailed([E_FILE_TYPE.format(file=name)])
    try:
        if isinstance(path_or_file, str | Path):
            with Path(path_or_file).open("rb") as handle:
                return _read_csv(handle) if suffix == ".csv" else _read_xlsx(handle, name)
        return _read_csv(path_or_file) if suffix == ".csv" else _read_xlsx(path_or_file, name)
    except CriteriaImportFailed:
        raise
    except FileNotFoundError as exc:
        raise CriteriaImportFailed([E_FILE_UNREADABLE.format(file=name, reason=R_MISSING)]) from exc
    except UnicodeDecodeError as exc:
        raise CriteriaImportFailed([E_FILE_UNREADABLE.format(file=name, reason=R_CSV_ENCODING)]) from exc
    except Exception as exc:  # any unreadable file: not a zip, a broken workbook, a broken CSV
        raise CriteriaImportFailed([E_FILE_UNREADABLE.format(file=name, reason=R_BROKEN)]) from exc


def _read_csv(handle) -> _Table:
    text = handle.read()
    text = text.decode("utf-8-sig") if isinstance(text, bytes) else text.removeprefix("\ufeff")
    first = next((line for line in text.splitlines() if line.strip()), "")
    # Excel saves "CSV" with semicolons where the decimal separator is a comma, as in Vietnam.
    delimiter = max(",;\t", key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = [(number, [_Cell(value) for value in record]) for number, record in enumerate(reader, start=1)]
    return _Table(sheet=None, rows=rows, merges=[])


def _read_xlsx(handle, name: str) -> _Table:
    from openpyxl import load_workbook
    from openpyxl.cell.cell import MergedCell

    if sniff(handle) is not XLSX:
        raise CriteriaImportFailed([E_FILE_UNREADABLE.format(file=name, reason=R_NOT_XLSX)])
    with zipfile.ZipFile(handle) as archive:
        if sum(info.file_size for info in archive.infolist()) > MAX_XLSX_UNPACKED_BYTES:
            raise CriteriaImportFailed([E_FILE_UNREADABLE.format(file=name, reason=R_TOO_LARGE)])
    handle.seek(0)
    # Not read-only: merged ranges are only known to a fully loaded sheet. Not data_only: formulas show.
    workbook = load_workbook(handle, data_only=False)
    try:
        sheet = workbook.worksheets[0]
        rows = [
            (number, [_Cell(None, "merged") if isinstance(c, MergedCell) else _xlsx_cell(c) for c in row])
            for number, row in enumerate(sheet.iter_rows(), start=1)
        ]
        merges = [(r.min_row, r.min_col, r.max_row, r.max_col, r.coord) for r in sheet.merged_cells.ranges]
        return _Table(sheet=sheet.title, rows=rows, merges=merges)
    finally:
        workbook.close()


def _xlsx_cell(cell) -> _Cell:
    value = cell.value
    if cell.data_type == "f":
        return _Cell(getattr(value, "text", value), "formula")
    if isinstance(value, bool):
        return _Cell(value, "bool")
    if isinstance(value, int | float):
        return _Cell(value, "number")
    if isinstance(value, datetime | date | time | timedelta):
        return _Cell(value, "date")
    return _Cell(value)


def _find_columns(cells: list[_Cell], row: int, place: _Place) -> tuple[dict[str, tuple[int, str]], list[str]]:
    wanted = {name_key(alias): field for field, aliases in COLUMNS.items() for alias in aliases}
    columns: dict[str, tuple[int, str]] = {}
    for index, cell in enumerate(cells):
        title = normalize_name(_shown(cell.value))
        field = wanted.get(name_key(title))
        if field and field not in columns:
            columns[field] = (index, title)
    errors = [
        E_MISSING_COLUMN.format(where=place.where(), row=row, label=COLUMN_LABELS[field], column=field)
        for field in COLUMNS
        if field not in columns
    ]
    return columns, errors


def _read_record(number: int, record: list[_Cell], columns, place: _Place, problems: list) -> _Draft:
    draft = _Draft(row=number)

    def cell(field: str) -> _Cell | None:
        """The field's cell, or None (after reporting it) when it is a formula or covered by a merge."""
        found = _pick(record, columns[field][0])
        if found.kind == "formula":
            problems.append((number, E_FORMULA.format(at=place.at(number, field), value=_shown(found.value))))
        return None if found.kind in ("formula", "merged") else found

    def report(template: str, field: str, found: _Cell, **extra) -> None:
        problems.append((number, template.format(at=place.at(number, field), value=_shown(found.value), **extra)))

    if (found := cell("code")) is not None:
        draft.code = _read_code(found, lambda template: report(template, "code", found))
    if (found := cell("title")) is not None:
        draft.title = normalize_name(_shown(found.value))
        if not draft.title:
            report(E_TITLE_EMPTY, "title", found)
        elif len(draft.title) > MAX_TITLE_LENGTH:
            report(E_TITLE_LONG, "title", found, length=len(draft.title), limit=MAX_TITLE_LENGTH)
    if (found := cell("max_points")) is not None:
        draft.max_points = _read_max(found, lambda template: report(template, "max_points", found))
    if (found := cell("method")) is not None:
        draft.method = METHODS.get(name_key(_shown(found.value)) or "self")
        if draft.method is None:
            report(E_METHOD, "method", found)
    return draft


def _read_code(cell: _Cell, report) -> str | None:
    """The code as written; a number cell is refused, but its digits still place the row in the tree."""
    value = cell.value
    if _blank(cell):
        report(E_CODE_EMPTY)
        return None
    if cell.kind == "number" and float(value).is_integer():
        text = str(int(value))
    elif cell.kind in ("number", "date"):
        report(E_CODE_NUMBER)
        text = _shown(value)
        return text if _CODE.match(text) and len(text) <= MAX_CODE_LENGTH else None
    else:
        text = normalize_name(_shown(value)) if cell.kind == "text" else ""
    if not _CODE.match(text) or len(text) > MAX_CODE_LENGTH:
        report(E_CODE_BAD)
        return None
    return text


def _read_max(cell: _Cell, report) -> Decimal | None:
    if _blank(cell):
        report(E_MAX_EMPTY)
        return None
    number = _number(cell)
    if number is None:
        report(E_MAX_NOT_NUMBER)
    elif number < 0:
        report(E_MAX_NEGATIVE)
    elif number.normalize().as_tuple().exponent < -3:
        report(E_MAX_DECIMALS)
    elif number >= MAX_POINTS_LIMIT:
        report(E_MAX_TOO_LARGE)
    else:
        return number
    return None


def _number(cell: _Cell) -> Decimal | None:
    """A cell's exact decimal value; a float is read through its shortest repr (14.5, not 14.4999…)."""
    value = cell.value
    if cell.kind == "number":
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        return number if number.is_finite() else None
    text = _shown(value)
    if cell.kind == "text" and _NUMBER.match(text):
        return Decimal(text.replace(",", "."))
    return None


def _merge_problems(merges, header_row: int, columns, place: _Place) -> list[tuple[int, str]]:
    problems = []
    by_position = sorted((index + 1, field) for field, (index, _) in columns.items())
    for min_row, min_col, max_row, max_col, cells in merges:
        fields = [field for position, field in by_position if min_col <= position <= max_col]
        if max_row > header_row and fields:
            row = max(min_row, header_row + 1)
            problems.append((row, E_MERGED.format(at=place.at(row, fields[0]), cells=cells)))
    return problems


def _tree_problems(nodes, total: Decimal, place: _Place) -> list[tuple[int, str]]:
    """Duplicate codes, missing or misplaced parents, sums of children, the set's total."""
    problems: list[tuple[int, str]] = []
    first: dict[str, object] = {}
    unsure: set[str | None] = set()  # parents (None: the set itself) whose sum has a term in error
    for node in nodes:
        if node.code is None:
            continue
        if node.code in first:
            text = E_CODE_DUPLICATE.format(at=place.at(node.row, "code"), value=node.code, first=first[node.code].row)
            problems.append((node.row, text))
            unsure.add(_parent(node.code))
        else:
            first[node.code] = node
    placed, stack, broken = [], [], set()
    for node in first.values():
        parent = _parent(node.code)
        if parent is not None and parent not in stack:
            if parent not in broken:
                template = E_PARENT_ORDER if parent in first else E_PARENT_MISSING
                parent_row = first[parent].row if parent in first else None
                at = place.at(node.row, "code")
                problems.append(
                    (node.row, template.format(at=at, value=node.code, parent=parent, parent_row=parent_row))
                )
                unsure.add(parent)
            broken.add(node.code)
            continue
        del stack[stack.index(parent) + 1 if parent is not None else 0 :]
        stack.append(node.code)
        placed.append(node)
    children = defaultdict(list)
    for node in placed:
        children[_parent(node.code)].append(node)
    for node in placed:
        kids = children.get(node.code)
        if not kids or node.code in unsure or not all(_known(n) for n in (node, *kids)):
            continue
        found = sum((k.max_points for k in kids if _group(k.method) == _group(node.method)), Decimal(0))
        if found != node.max_points:
            at = place.at(node.row, "max_points")
            text = E_SUM.format(at=at, code=node.code, maximum=_vn(node.max_points), children=_vn(found))
            problems.append((node.row, text))
    top = children.get(None, [])
    if top and None not in unsure and all(_known(n) for n in top):
        found = sum((n.max_points for n in top if n.method in SCORED), Decimal(0))
        if found != total:
            column = place.labels.get("max_points", "max_points")
            text = E_TOTAL.format(where=place.where(), column=column, found=_vn(found), total=_vn(total))
            problems.append((_LAST, text))
    return problems


def _parent(code: str) -> str | None:
    return code.rpartition(".")[0] or None


def _group(method: str) -> str:
    return "scored" if method in SCORED else method


def _known(node) -> bool:
    return node.max_points is not None and node.method is not None


def _pick(record: list[_Cell], index: int) -> _Cell:
    return record[index] if index < len(record) else _EMPTY


def _blank(cell: _Cell) -> bool:
    value = cell.value
    return cell.kind != "formula" and (value is None or (isinstance(value, str) and not value.strip()))


def _shown(value) -> str:
    """A cell's value as the user typed it, for messages."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value).removesuffix(".0")
    if isinstance(value, datetime | date):
        return value.strftime("%d/%m/%Y")
    return str(value).strip()


def _vn(number: Decimal) -> str:
    exponent = number.normalize().as_tuple().exponent
    return vn_number(number, max(0, -exponent) if isinstance(exponent, int) else 0)


# --- Phase two: writing -------------------------------------------------------------------------------


@transaction.atomic
def criteria_import(
    *,
    rows: list[CriterionRow],
    year: int,
    block: Block,
    total: Decimal = DEFAULT_TOTAL,
    name: str = "",
    by=None,
    dry_run: bool = False,
) -> CriteriaImportSummary:
    """Create the criteria set, its tree and the year's draft period, or nothing; `by=None` is a shell user."""
    if by is not None:
        permissions.require(permissions.can_manage_period(by))
    _check_arguments(year, total, name)
    problems = _tree_problems(rows, total, _PLAIN) if rows else [(0, E_NO_CRITERIA)]
    if problems:
        raise CriteriaImportFailed([text for _, text in sorted(problems, key=lambda p: p[0])])
    # One import per block at a time: the second waits here, then finds the first one's set.
    block = Block.objects.select_for_update().get(pk=block.pk)
    period = _draft_period(year, block)
    scheme = GradeScheme.objects.filter(is_default=True).first()
    if scheme is None:
        raise ValidationError(E_NO_DEFAULT_SCHEME)
    parents = {row.parent_code for row in rows}
    summary = CriteriaImportSummary(
        year=year,
        block=block,
        nodes=len(rows),
        areas=sum(1 for row in rows if row.depth == 1 and row.method in SCORED),
        criteria=sum(1 for row in rows if row.depth == 2),
        leaves=sum(1 for row in rows if row.code not in parents),
        units=Unit.objects.filter(block=block).active_in(year).count(),
        period_created=period is None,
        dry_run=dry_run,
    )
    if dry_run:
        return summary
    criteria_set = CriteriaSet.objects.create(
        year=year, block=block, name=name.strip() or f"Bộ tiêu chí {block.name} năm {year}", total_points=total
    )
    _create_tree(criteria_set, rows)
    if period is None:
        period = Period.objects.create(year=year, block=block, criteria_set=criteria_set, grade_scheme=scheme)
    else:
        period.criteria_set = criteria_set
        period.save(update_fields=["criteria_set"])
    return replace(summary, criteria_set=criteria_set, period=period)


def _check_arguments(year: int, total: Decimal, name: str) -> None:
    errors = []
    if not isinstance(year, int) or not MIN_YEAR <= year <= MAX_YEAR:
        errors.append(E_YEAR.format(year=year, low=MIN_YEAR, high=MAX_YEAR))
    if (
        not isinstance(total, Decimal)
        or not total.is_finite()
        or not 0 < total < MAX_POINTS_LIMIT
        or total.normalize().as_tuple().exponent < -3
    ):
        errors.append(E_DECLARED_TOTAL.format(total=total))
    if len(name.strip()) > MAX_NAME_LENGTH:
        errors.append(E_NAME_LONG.format(limit=MAX_NAME_LENGTH))
    if errors:
        raise ValidationError(errors)


def _draft_period(year: int, block: Block) -> Period | None:
    """The year's draft period to attach the set to (None: one will be created); refuse anything else."""
    existing = CriteriaSet.objects.filter(year=year, block=block).first()
    if existing is not None:
        raise ValidationError(E_SET_EXISTS.format(year=year, block=block.code, name=existing.name))
    # Lock the period row only: its block is joined in by the manager, and is locked already.
    period = Period.objects.select_for_update(of=("self",)).filter(year=year, block=block).first()
    if period is None:
        return None
    if period.status != Period.Status.DRAFT:
        status = Period.Status(period.status).label
        raise ValidationError(E_PERIOD_STARTED.format(year=year, block=block.code, status=status))
    if period.criteria_set is not None:
        raise ValidationError(E_PERIOD_HAS_SET.format(year=year, block=block.code, name=period.criteria_set.name))
    return period


def _create_tree(criteria_set: CriteriaSet, rows: list[CriterionRow]) -> None:
    # One INSERT per level: a level's parents have their keys before their children are written.
    levels: dict[int, list[tuple[int, CriterionRow]]] = defaultdict(list)
    for position, row in enumerate(rows, start=1):
        levels[row.depth].append((position, row))
    saved: dict[str, Criterion] = {}
    for depth in sorted(levels):
        nodes = [
            Criterion(
                criteria_set=criteria_set,
                parent=saved.get(row.parent_code) if row.parent_code else None,
                code=row.code,
                title=row.title,
                max_points=row.max_points,
                method=row.method,
                position=position,
            )
            for position, row in levels[depth]
        ]
        saved.update((node.code, node) for node in Criterion.objects.bulk_create(nodes))


def summary_text(summary: CriteriaImportSummary) -> str:
    """The one line the command prints and the page shows after an import."""
    tree = f"{summary.areas} lĩnh vực, {summary.criteria} tiêu chí, {summary.leaves} tiêu chí chấm điểm"
    where = f"năm {summary.year}, khối {summary.block.code}"
    if summary.dry_run:
        period = "sẽ tạo kỳ đánh giá dự thảo" if summary.period_created else "sẽ gắn vào kỳ đánh giá dự thảo đã có"
        return f"Kiểm tra xong, chưa ghi gì: bộ tiêu chí {where} có {tree}; {period} cho {summary.units} đơn vị."
    period = "tạo kỳ đánh giá dự thảo" if summary.period_created else "gắn vào kỳ đánh giá dự thảo đã có"
    return f"Đã nhập bộ tiêu chí {where}: {tree}; {period} cho {summary.units} đơn vị."


# --- The web page's two steps: the upload kept on the server between preview and confirmation -----------


def upload_store(upload, *, year: int, block: Block, total: Decimal, name: str) -> dict:
    """Save an upload under a random name; return what the session keeps (a token, never a path)."""
    extension = Path(upload.name).suffix.lower()
    token = uuid4().hex
    path = _upload_dir() / f"{token}{extension}"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("xb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    return {
        "token": token,
        "extension": extension,
        "name": Path(upload.name).name,
        "year": year,
        "block": block.pk,
        "total": str(total),
        "set_name": name,
    }


def upload_path(pending) -> Path | None:
    """The stored file a pending import names, if its token is well formed and the file is still there."""
    if not isinstance(pending, dict):
        return None
    token, extension = pending.get("token"), pending.get("extension")
    if not isinstance(token, str) or not _TOKEN.match(token) or extension not in UPLOAD_EXTENSIONS:
        return None
    path = _upload_dir() / f"{token}{extension}"
    return path if path.is_file() else None


def upload_discard(pending) -> None:
    path = upload_path(pending)
    if path is not None:
        path.unlink(missing_ok=True)


def _upload_dir() -> Path:
    return imports_dir()


def criteria_preview(pending: dict, *, by) -> Preview:
    """Check a stored upload and compute what importing it would do; nothing is written."""
    try:
        rows, arguments = _pending_rows(pending)
    except CriteriaImportFailed as exc:
        return Preview(rows=[], summary=None, errors=exc.errors)
    try:
        summary = criteria_import(rows=rows, by=by, dry_run=True, **arguments)
    except CriteriaImportFailed as exc:
        return Preview(rows=_preview_rows(rows), summary=None, errors=exc.errors)
    except ValidationError as exc:
        return Preview(rows=_preview_rows(rows), summary=None, errors=exc.messages)
    return Preview(rows=_preview_rows(rows), summary=summary, errors=[])


def criteria_import_pending(pending, *, by) -> CriteriaImportSummary:
    """Re-read and re-check the stored upload, then import it; the stored file is removed either way."""
    try:
        rows, arguments = _pending_rows(pending)
        return criteria_import(rows=rows, by=by, **arguments)
    finally:
        upload_discard(pending)


def _pending_rows(pending) -> tuple[list[CriterionRow], dict]:
    path = upload_path(pending)
    if path is None:
        raise CriteriaImportFailed([E_EXPIRED])
    year, block = pending.get("year"), pending.get("block")
    block = Block.objects.filter(pk=block).first() if isinstance(block, int) else None
    try:
        total = Decimal(str(pending.get("total")))
    except InvalidOperation:
        total = None
    if block is None or total is None or not isinstance(year, int):
        raise CriteriaImportFailed([E_EXPIRED])
    rows = read_criteria_rows(path, str(pending.get("name") or path.name), total=total)
    return rows, {"year": year, "block": block, "total": total, "name": str(pending.get("set_name") or "")}


def _preview_rows(rows: list[CriterionRow]) -> list[PreviewRow]:
    parents = {row.parent_code for row in rows}
    return [
        PreviewRow(
            code=row.code,
            title=row.title,
            max_points=_vn(row.max_points),
            method=Method(row.method).label,
            depth=row.depth,
            indent=(row.depth - 1) * 3,
            is_leaf=row.code not in parents,
        )
        for row in rows
    ]
