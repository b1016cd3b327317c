"""Importing a criteria set (bộ tiêu chí) from a workbook: check everything, preview, then write all or nothing.

Phase one, `read_criteria_rows`, reads a .xlsx (first sheet) or a UTF-8 .csv through the bounded reader.
Its first non-empty row is the header `code, title, max_points, method` (or mã, nội dung / tên tiêu chí,
điểm tối đa, cách chấm; other columns are ignored). Every cell is checked, then the tree as a whole
(`tree_problems`), and `Refused` lists every problem, each naming the sheet, row, column and value, in
Vietnamese (one line for a mistake repeated on several rows). Phase two, `criteria_import`, writes the set,
its tree and a draft period in one transaction.

A code is text: an Excel number cell is refused (3.10 typed into it becomes 3.1, another criterion) unless
it holds a whole number.
"""

from collections import defaultdict
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction

from cchc_portal.lib.numbers import NEGATIVE, POINT_LIMIT, NumberProblem, parse_number, shown_input
from cchc_portal.lib.problems import Problem, Refused
from cchc_portal.lib.reading import Cell, Merge, open_table
from cchc_portal.lib.text import TextProblem, clean_text, name_key, normalize_name, search_key
from scoring import permissions
from scoring.imports import pending_uploads, upload_limits
from scoring.models import CriteriaSet, Criterion, GradeScheme, Method, Period
from scoring.services import assignments_copy
from scoring.tree import CriteriaTree, CriterionRow, TreeCounts, in_order, shown, tree_problems
from units.models import Block, Unit

DEFAULT_TOTAL = Decimal(100)
MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_CODE_LENGTH = Criterion._meta.get_field("code").max_length
MAX_TITLE_LENGTH = Criterion._meta.get_field("title").max_length
MAX_NAME_LENGTH = CriteriaSet._meta.get_field("name").max_length

# Header names accepted for each field: the English ones of the documented format and the Vietnamese
# ones used in the province's own tables. Compared after NFC normalisation and case folding.
COLUMNS = {
    "code": ("code", "mã", "mã tiêu chí"),
    "title": ("title", "nội dung", "tên tiêu chí", "tiêu chí"),
    "max_points": ("max_points", "điểm tối đa"),
    "method": ("method", "cách chấm"),
}
# The words accepted in the "cách chấm" column: the one list the importer reads by, and the page, the template's
# guide and the error message show. Keys are compared after NFC and case folding; a phrase typed without any
# diacritics ("diem thuong") is also recognised, see `method_of`. A blank cell is self-assessed.
METHODS = {
    "tự đánh giá": Method.SELF,
    "tự chấm": Method.SELF,
    "tự chấm điểm": Method.SELF,
    "tự đánh giá, thẩm định": Method.SELF,
    "self": Method.SELF,
    "điều tra xã hội học": Method.SURVEY,
    "điều tra": Method.SURVEY,
    "điều tra xhh": Method.SURVEY,
    "survey": Method.SURVEY,
    "điểm thưởng": Method.BONUS,
    "thưởng": Method.BONUS,
    "bonus": Method.BONUS,
    "điểm trừ": Method.DEDUCTION,
    "trừ": Method.DEDUCTION,
    "deduction": Method.DEDUCTION,
}
# The same phrases without diacritics. Only phrases of two words or more: a lone syllable typed without its marks
# is another word as often as not ("thuong" is thưởng, thường or thương; "tru" is trừ, trú or trụ).
_PLAIN_METHODS = {search_key(word): method for word, method in METHODS.items() if " " in word}
# How a missing column is named to the user.
COLUMN_LABELS = {"code": "mã", "title": "nội dung", "max_points": "điểm tối đa", "method": "cách chấm"}

E_NO_HEADER = "tệp không có dòng tiêu đề (mọi dòng đều trống)."
E_MISSING_COLUMN = (
    'thiếu cột "{label}" ({column}). Dòng tiêu đề là dòng không trống đầu tiên và cần các cột '
    "mã, nội dung, điểm tối đa, cách chấm (hoặc code, title, max_points, method)."
)
E_NO_ROWS = "tệp không có tiêu chí nào dưới dòng tiêu đề."
E_NO_CRITERIA = "Không có tiêu chí nào để nhập."
E_CODE_EMPTY = "mã để trống."
E_CODE_BAD = (
    'mã "{value}" không hợp lệ (mã gồm chữ cái không dấu hoặc chữ số, các cấp cách nhau bằng dấu chấm, '
    "ví dụ 3, 3.2, 3.2.1; dài tối đa 32 ký tự)."
)
# Without the value: a column of codes typed as numbers is one message naming its rows.
E_CODE_NUMBER = (
    "mã nằm trong ô kiểu số hoặc ngày tháng. Excel có thể đã đổi 3.10 thành 3.1, mà 3.1 và 3.10 "
    'là hai tiêu chí khác nhau: hãy định dạng cột mã là "Văn bản" (Text) rồi gõ lại mã.'
)
E_TITLE_EMPTY = "nội dung tiêu chí để trống."
E_MAX_EMPTY = "điểm tối đa để trống."
H_NEGATIVE = ' Điểm trừ cũng ghi số dương và chọn cách chấm "điểm trừ".'
E_METHOD = (
    'cách chấm "{value}" không hợp lệ. Các từ được nhận (không phân biệt chữ hoa, chữ thường) — {words}. '
    "Để trống là tự đánh giá."
)
E_FORMULA = 'ô chứa công thức "{value}"; hãy chép và dán giá trị (Paste Values) thay cho công thức.'
E_MERGED = "ô gộp {cells} nằm trong vùng dữ liệu; hãy bỏ gộp ô (mỗi tiêu chí một dòng, mỗi giá trị một ô)."
E_YEAR = 'Năm "{year}" không hợp lệ (cần từ {low} đến {high}).'
E_DECLARED_TOTAL = 'Tổng điểm khai báo "{total}" không hợp lệ (cần số dương, tối đa 3 chữ số thập phân).'
E_SET_EXISTS = 'Năm {year}, khối {block}: đã có bộ tiêu chí "{name}", không ghi đè.'
E_PERIOD_STARTED = (
    'Năm {year}, khối {block}: kỳ đánh giá đang ở trạng thái "{status}"; chỉ nhập bộ tiêu chí khi kỳ còn là dự thảo.'
)
E_PERIOD_HAS_SET = 'Năm {year}, khối {block}: kỳ đánh giá dự thảo đã gắn bộ tiêu chí "{name}".'
E_NO_DEFAULT_SCHEME = "Chưa có thang xếp loại mặc định; hãy tạo trong trang quản trị trước khi nhập bộ tiêu chí."
E_EXPIRED = "Phiên nhập đã hết hạn hoặc tệp không còn; hãy tải tệp lên lại."

_CODE_CHARS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


@dataclass(frozen=True)
class CriteriaImportSummary:
    """What an import wrote, or would write on a dry run."""

    year: int
    block: Block
    nodes: int
    counts: TreeCounts  # how the set is made, said as every page says it
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
    is_leaf: bool


@dataclass(frozen=True)
class Preview:
    """The checked tree and what importing it would do, or every reason it cannot be imported."""

    rows: list[PreviewRow]
    summary: CriteriaImportSummary | None
    errors: list[str]  # the lines to read: a mistake repeated on several rows is one line
    error_count: int = 0  # the cells to mend


# --- Phase one: reading and checking ----------------------------------------------------------------


@dataclass
class _Draft:
    """A row being checked: the fields that could be read (None where they could not), in file order."""

    row: int
    code: str | None = None
    title: str = ""
    max_points: Decimal | None = None
    method: str | None = None


class _Sheet:
    """The file's table, and where a message points: the sheet, the row, each field's column and header."""

    def __init__(self, source, name: str):
        table = open_table(source, name, limits=upload_limits())
        self.rows = list(table.rows())
        self.sheet, self.merges, self.columns = table.sheet, table.merges, {}

    def locate(self, row: int, field: str) -> dict:
        index, label = self.columns.get(field, (None, field))
        return {"sheet": self.sheet, "row": row or None, "column": None if index is None else index + 1, "label": label}

    def covered(self, cell: Cell) -> Merge | None:
        """The merge that hides this cell behind another (the top-left cell of a merge is not hidden)."""
        for m in self.merges:
            if m.min_row <= cell.row <= m.max_row and m.min_col <= cell.column <= m.max_col:
                return None if (cell.row, cell.column) == (m.min_row, m.min_col) else m
        return None


def read_criteria_rows(source, name: str, *, total: Decimal = DEFAULT_TOTAL) -> list[CriterionRow]:
    """Read and check the whole file (a path or a binary file); raise Refused with every problem, or return
    the rows."""
    sheet = _Sheet(source, name or str(getattr(source, "name", source)).rsplit("/", 1)[-1])
    header_row, cells = next(((n, c) for n, c in sheet.rows if not all(x.is_blank for x in c)), (None, None))
    if header_row is None:
        raise Refused([Problem(E_NO_HEADER, sheet=sheet.sheet)])
    sheet.columns = _find_columns(cells, header_row, sheet.sheet)
    problems: list[Problem] = []
    drafts = [
        _read_record(number, record, sheet, problems)
        for number, record in sheet.rows
        if number > header_row and not all(_pick(record, i, number).is_blank for i, _ in sheet.columns.values())
    ]
    if not drafts:
        raise Refused([Problem(E_NO_ROWS, sheet=sheet.sheet)])
    problems += _merge_problems(sheet, header_row)
    problems += tree_problems(drafts, total, sheet.locate)
    if problems:
        raise Refused(in_order(problems))
    return [CriterionRow(d.row, d.code, d.title, d.max_points, d.method) for d in drafts]


def _find_columns(cells: list[Cell], row: int, sheet: str | None) -> dict[str, tuple[int, str]]:
    wanted = {name_key(alias): field for field, aliases in COLUMNS.items() for alias in aliases}
    columns: dict[str, tuple[int, str]] = {}
    for index, cell in enumerate(cells):
        title = normalize_name(shown_input(cell.value))
        field = wanted.get(name_key(title))
        if field and field not in columns:
            columns[field] = (index, title)
    missing = [
        Problem(E_MISSING_COLUMN.format(label=COLUMN_LABELS[field], column=field), sheet=sheet, row=row)
        for field in COLUMNS
        if field not in columns
    ]
    if missing:
        raise Refused(missing)
    return columns


def _pick(record: list[Cell], index: int, row: int) -> Cell:
    return record[index] if index < len(record) else Cell(row, index + 1)


def _read_record(number: int, record: list[Cell], sheet: _Sheet, problems: list) -> _Draft:
    draft = _Draft(row=number)

    def report(field: str, message: str, value=None) -> None:
        problems.append(Problem(message, value=value, **sheet.locate(number, field)))

    def cell(field: str) -> Cell | None:
        """The field's cell, or None (after reporting it) when it is a formula or hidden by a merge."""
        found = _pick(record, sheet.columns[field][0], number)
        if found.kind == "formula":
            report(field, E_FORMULA.format(value=shown_input(found.value)), found.value)
        return None if found.kind == "formula" or sheet.covered(found) else found

    if (found := cell("code")) is not None:
        draft.code = _read_code(found, lambda message: report("code", message, found.value))
    if (found := cell("title")) is not None:
        try:
            draft.title = clean_text(found.value, max_length=MAX_TITLE_LENGTH, label="Nội dung tiêu chí")
        except TextProblem as problem:
            report("title", str(problem), found.value)
        else:
            if not draft.title:
                report("title", E_TITLE_EMPTY)
    if (found := cell("max_points")) is not None:
        draft.max_points = _read_max(found, lambda message: report("max_points", message, found.value))
    if (found := cell("method")) is not None:
        draft.method = method_of(shown_input(found.value))
        if draft.method is None:
            report("method", E_METHOD.format(value=shown_input(found.value), words=method_words_text()), found.value)
    return draft


def method_of(text: str) -> str | None:
    """The method a "cách chấm" cell names (blank: self-assessed), or None for a word not accepted."""
    key = name_key(text)
    if not key:
        return Method.SELF
    if key in METHODS:
        return METHODS[key]
    # Typed with no diacritics at all: compare without them. A word with some marks must have them right.
    return _PLAIN_METHODS.get(key) if search_key(key) == key else None


def method_words() -> list[tuple[str, list[str]]]:
    """Each method's label and the words that name it, in the order of METHODS (for the page and the guide)."""
    words: dict[str, list[str]] = {}
    for word, method in METHODS.items():
        words.setdefault(method, []).append(word)
    return [(Method(method).label, found) for method, found in words.items()]


def method_words_text() -> str:
    """ "Tự đánh giá, thẩm định: “tự đánh giá”, “tự chấm”…; Điều tra xã hội học: “điều tra xã hội học”…; …" """
    return "; ".join(f"{label}: " + ", ".join(f"“{word}”" for word in words) for label, words in method_words())


def _read_code(cell: Cell, report) -> str | None:
    """The code as written; a number cell is refused, but its digits still place the row in the tree."""
    value, text = cell.value, shown_input(cell.value)
    if cell.is_blank:
        report(E_CODE_EMPTY)
        return None
    if cell.kind == "number" and float(value).is_integer():
        text = str(int(value))
    elif cell.kind in ("number", "date"):
        report(E_CODE_NUMBER)
        return text if _is_code(text) else None
    elif cell.kind != "text":
        text = ""
    else:
        text = normalize_name(text)
    if not _is_code(text):
        report(E_CODE_BAD.format(value=shown_input(value)))
        return None
    return text


def _is_code(text: str) -> bool:
    parts = text.split(".")
    return len(text) <= MAX_CODE_LENGTH and all(part and set(part) <= _CODE_CHARS for part in parts)


def _read_max(cell: Cell, report) -> Decimal | None:
    if cell.is_blank:
        report(E_MAX_EMPTY)
        return None
    try:
        return parse_number(cell.value, label="điểm tối đa")
    except NumberProblem as problem:
        report(problem.message + (H_NEGATIVE if problem.code == NEGATIVE else ""))
        return None


def _merge_problems(sheet: _Sheet, header_row: int) -> list[Problem]:
    problems = []
    by_position = sorted((index + 1, field) for field, (index, _) in sheet.columns.items())
    for merge in sheet.merges:
        fields = [field for position, field in by_position if merge.min_col <= position <= merge.max_col]
        if merge.max_row > header_row and fields:
            row = max(merge.min_row, header_row + 1)
            problems.append(Problem(E_MERGED.format(cells=merge.ref), **sheet.locate(row, fields[0])))
    return problems


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
    problems = tree_problems(rows, total) if rows else [Problem(E_NO_CRITERIA)]
    if problems:
        raise Refused(in_order(problems))
    rows = with_group_methods(rows)
    # One import per block at a time: the second waits here, then finds the first one's set.
    block = Block.objects.select_for_update().get(pk=block.pk)
    period = _draft_period(year, block)
    scheme = GradeScheme.objects.filter(is_default=True).first()
    if scheme is None:
        raise ValidationError(E_NO_DEFAULT_SCHEME)
    summary = CriteriaImportSummary(
        year=year,
        block=block,
        nodes=len(rows),
        counts=CriteriaTree.from_rows(rows).counts(),
        units=Unit.objects.filter(block=block).active_in(year).count(),
        period_created=period is None,
        dry_run=dry_run,
    )
    if dry_run:
        return summary
    criteria_set = CriteriaSet.objects.create(
        year=year,
        block=block,
        name=normalize_name(name) or f"Bộ tiêu chí {block.name} năm {year}",
        total_points=total,
    )
    _create_tree(criteria_set, rows)
    if period is None:
        period = Period.objects.create(year=year, block=block, criteria_set=criteria_set, grade_scheme=scheme)
        previous = Period.objects.filter(block=block, year__lt=year, is_demo=False).order_by("-year").first()
        assignments_copy(source=previous, target=period)
    else:
        period.criteria_set = criteria_set
        period.save(update_fields=["criteria_set"])
    return replace(summary, criteria_set=criteria_set, period=period)


def with_group_methods(rows: list[CriterionRow]) -> list[CriterionRow]:
    """The rows as they are stored: a group row gets the method its leaves give it (a bonus group: bonus),
    whatever its own "cách chấm" cell says, so the database says what each group is."""
    tree = CriteriaTree.from_rows(rows)
    return [replace(row, method=tree.method(tree.get(row.code))) for row in rows]


def _check_arguments(year: int, total: Decimal, name: str) -> None:
    errors = []
    if not isinstance(year, int) or not MIN_YEAR <= year <= MAX_YEAR:
        errors.append(E_YEAR.format(year=year, low=MIN_YEAR, high=MAX_YEAR))
    if (
        not isinstance(total, Decimal)
        or not total.is_finite()
        or not 0 < total < POINT_LIMIT
        or total.normalize().as_tuple().exponent < -3
    ):
        errors.append(E_DECLARED_TOTAL.format(total=total))
    try:
        clean_text(name, max_length=MAX_NAME_LENGTH, label="Tên bộ tiêu chí")
    except TextProblem as problem:
        errors.append(str(problem))
    if errors:
        raise ValidationError(errors)


def _draft_period(year: int, block: Block) -> Period | None:
    """The year's draft period to attach the set to (None: one will be created); refuse anything else."""
    existing = CriteriaSet.objects.filter(year=year, block=block).first()
    if existing is not None:
        raise ValidationError(E_SET_EXISTS.format(year=year, block=block.name, name=existing.name))
    # Lock the period row only: its block is joined in by the manager, and is locked already.
    period = Period.objects.select_for_update(of=("self",)).filter(year=year, block=block).first()
    if period is None:
        return None
    if period.status != Period.Status.DRAFT:
        status = Period.Status(period.status).label
        raise ValidationError(E_PERIOD_STARTED.format(year=year, block=block.name, status=status))
    if period.criteria_set is not None:
        raise ValidationError(E_PERIOD_HAS_SET.format(year=year, block=block.name, name=period.criteria_set.name))
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
    tree = summary.counts.sentence()
    where = f"năm {summary.year}, khối {summary.block.name}"
    if summary.dry_run:
        period = "tạo kỳ đánh giá dự thảo" if summary.period_created else "gắn vào kỳ đánh giá dự thảo đã có"
        then = f"Khi nhập sẽ {period} cho {summary.units} đơn vị."
        return f"Kiểm tra xong, chưa ghi gì: bộ tiêu chí {where} có {tree}. {then}"
    period = "Đã tạo kỳ đánh giá dự thảo" if summary.period_created else "Đã gắn vào kỳ đánh giá dự thảo đã có"
    return f"Đã nhập bộ tiêu chí {where}: {tree}. {period} cho {summary.units} đơn vị."


# --- The web page's two steps: the upload kept on the server between preview and confirmation -----------


def upload_store(upload, *, year: int, block: Block, total: Decimal, name: str) -> dict:
    """Keep an upload under a random token; return what the session keeps (the token, never a path)."""
    token = pending_uploads().store(upload)
    return {
        "token": token,
        "name": str(upload.name).replace("\\", "/").rsplit("/", 1)[-1],
        "year": year,
        "block": block.pk,
        "total": str(total),
        "set_name": name,
    }


def upload_discard(pending) -> None:
    if isinstance(pending, dict):
        pending_uploads().discard(pending.get("token"))


def criteria_preview(pending: dict, *, by) -> Preview:
    """Check a stored upload and compute what importing it would do; nothing is written."""
    try:
        rows, arguments = _pending_rows(pending)
    except Refused as exc:
        return Preview(rows=[], summary=None, errors=exc.errors, error_count=len(exc.problems))
    try:
        summary = criteria_import(rows=rows, by=by, dry_run=True, **arguments)
    except Refused as exc:
        return Preview(rows=_preview_rows(rows), summary=None, errors=exc.errors, error_count=len(exc.problems))
    except ValidationError as exc:
        return Preview(rows=_preview_rows(rows), summary=None, errors=exc.messages, error_count=len(exc.messages))
    return Preview(rows=_preview_rows(rows), summary=summary, errors=[])


def criteria_import_pending(pending, *, by) -> CriteriaImportSummary:
    """Re-read and re-check the stored upload, then import it; the stored file is removed either way."""
    try:
        rows, arguments = _pending_rows(pending)
        return criteria_import(rows=rows, by=by, **arguments)
    finally:
        upload_discard(pending)


def _pending_rows(pending) -> tuple[list[CriterionRow], dict]:
    stored = pending_uploads().open(pending.get("token")) if isinstance(pending, dict) else None
    if stored is None:
        raise Refused([E_EXPIRED])
    with stored:
        year, block = pending.get("year"), pending.get("block")
        block = Block.objects.filter(pk=block).first() if isinstance(block, int) else None
        try:
            total = Decimal(str(pending.get("total")))
        except InvalidOperation:
            total = None
        if block is None or total is None or not isinstance(year, int):
            raise Refused([E_EXPIRED])
        rows = read_criteria_rows(stored, str(pending.get("name") or "bo-tieu-chi"), total=total)
    return rows, {"year": year, "block": block, "total": total, "name": str(pending.get("set_name") or "")}


def _preview_rows(rows: list[CriterionRow]) -> list[PreviewRow]:
    rows = with_group_methods(rows)
    parents = {row.parent_code for row in rows}
    return [
        PreviewRow(
            code=row.code,
            title=row.title,
            max_points=shown(row.max_points),
            method=Method(row.method).label,
            depth=row.depth,
            is_leaf=row.code not in parents,
        )
        for row in rows
    ]
