"""Reading published results from a CSV or xlsx file into checked rows (phase one of an import).

Nothing here writes to the database: it reads the file, checks every row and returns the rows and
every problem found, each message naming the row, the column and the value, in Vietnamese.
"""

import csv
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from units.models import Block, name_key, normalize_name

# Header names accepted for each field: the English ones of the documented format, and the
# Vietnamese ones of the published tables.
COLUMNS = {
    "year": ("year", "năm"),
    "block": ("block", "khối"),
    "unit": ("unit", "tên đơn vị", "đơn vị"),
    "score": ("score", "điểm", "điểm đánh giá"),
    "grade": ("grade", "xếp loại"),
    "rank": ("rank", "vị thứ"),
    "source": ("source", "nguồn"),
}
REQUIRED = ("year", "block", "unit", "score")

E_FILE_TYPE = 'Tệp "{file}" không phải tệp .csv hoặc .xlsx.'
E_FILE_UNREADABLE = 'Không đọc được tệp "{file}": {reason}'
E_NO_HEADER = "Tệp không có dòng tiêu đề (dòng 1 trống)."
E_MISSING_COLUMN = 'Dòng 1: thiếu cột "{column}" (dòng tiêu đề cần các cột year, block, unit, score).'
E_NO_ROWS = "Tệp không có dòng dữ liệu nào."
E_YEAR = 'Dòng {row}, cột "{column}": năm "{value}" không hợp lệ (cần số nguyên từ 2000 đến 2100).'
E_BLOCK = 'Dòng {row}, cột "{column}": không có khối "{value}" (dùng mã so, huyen, xa hoặc tên khối).'
E_UNIT_EMPTY = 'Dòng {row}, cột "{column}": tên đơn vị để trống.'
E_SCORE_EMPTY = 'Dòng {row}, cột "{column}": điểm để trống.'
E_SCORE_NOT_NUMBER = 'Dòng {row}, cột "{column}": "{value}" không phải là số (viết như 90,450 hoặc 90.450).'
E_SCORE_RANGE = 'Dòng {row}, cột "{column}": điểm "{value}" nằm ngoài khoảng 0–100.'
E_RANK = 'Dòng {row}, cột "{column}": vị thứ "{value}" không phải số nguyên dương.'
E_DUPLICATE_UNIT = 'Dòng {row}, cột "{column}": đơn vị "{value}" đã có ở dòng {first} (năm {year}, khối {block}).'

_NUMBER = re.compile(r"^-?\d{1,3}(?:[.,]\d+)?$")
_MIN_YEAR, _MAX_YEAR = 2000, 2100


class ImportFailed(Exception):
    """The file cannot be imported; `errors` lists every problem found, in Vietnamese."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class Cell:
    """A cell's value as read, and the number of decimals its Excel format shows (if any)."""

    value: object
    format_decimals: int | None = None


@dataclass(frozen=True)
class ResultRow:
    """One checked row of a published-results file."""

    row: int
    year: int
    block: Block
    unit_name: str
    score: Decimal
    decimals: int
    grade: str
    rank: int | None
    source: str


def read_result_rows(path: str | Path, blocks: list[Block]) -> list[ResultRow]:
    """Read and check the whole file; raise ImportFailed with every problem, or return the rows."""
    header, records = _read_table(Path(path))
    columns, errors = _find_columns(header)
    if errors:
        raise ImportFailed(errors)
    rows, errors = _check_records(records, columns, blocks)
    if not rows and not errors:
        errors = [E_NO_ROWS]
    if errors:
        raise ImportFailed(errors)
    return rows


def _read_table(path: Path) -> tuple[list[str], list[tuple[int, list[Cell]]]]:
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ImportFailed([E_FILE_TYPE.format(file=path.name)])
    try:
        rows = _read_csv(path) if suffix == ".csv" else _read_xlsx(path)
    except ImportFailed:
        raise
    except Exception as exc:  # any unreadable file: bad encoding, not a zip, a broken workbook
        reason = (
            "tệp CSV phải được lưu với mã UTF-8."
            if isinstance(exc, UnicodeDecodeError)
            else "tệp hỏng hoặc sai định dạng."
        )
        raise ImportFailed([E_FILE_UNREADABLE.format(file=path.name, reason=reason)]) from exc
    if not rows or all(_blank(c.value) for c in rows[0]):
        raise ImportFailed([E_NO_HEADER])
    header = [normalize_name(str(c.value or "")) for c in rows[0]]
    records = [
        (number, cells) for number, cells in enumerate(rows[1:], start=2) if not all(_blank(c.value) for c in cells)
    ]
    return header, records


def _read_csv(path: Path) -> list[list[Cell]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [[Cell(value) for value in record] for record in csv.reader(handle)]


def _read_xlsx(path: Path) -> list[list[Cell]]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        return [[Cell(cell.value, _format_decimals(cell)) for cell in row] for row in sheet.iter_rows()]
    finally:
        workbook.close()


def _format_decimals(cell) -> int | None:
    fmt = getattr(cell, "number_format", None) or ""
    match = re.match(r"^[#0,]*0\.(0+)$", fmt)
    return len(match.group(1)) if match else None


def _find_columns(header: list[str]) -> tuple[dict[str, tuple[int, str]], list[str]]:
    wanted = {alias: field for field, aliases in COLUMNS.items() for alias in aliases}
    columns: dict[str, tuple[int, str]] = {}
    for index, title in enumerate(header):
        field = wanted.get(title.casefold())
        if field and field not in columns:
            columns[field] = (index, title)
    errors = [E_MISSING_COLUMN.format(column=field) for field in REQUIRED if field not in columns]
    return columns, errors


def _check_records(records, columns, blocks) -> tuple[list[ResultRow], list[str]]:
    by_name = {}
    for block in blocks:
        by_name[block.code.casefold()] = block
        by_name[name_key(block.name)] = block
    rows, errors, seen = [], [], {}
    for number, cells in records:
        values = {field: cells[index] if index < len(cells) else Cell(None) for field, (index, _) in columns.items()}
        label = {field: title for field, (_, title) in columns.items()}
        row_errors: list[str] = []
        year = _parse_year(values["year"].value, number, label["year"], row_errors)
        block = _parse_block(values["block"].value, number, label["block"], by_name, row_errors)
        unit_name = normalize_name(_text(values["unit"].value))
        if not unit_name:
            row_errors.append(E_UNIT_EMPTY.format(row=number, column=label["unit"]))
        score, decimals = _parse_score(values["score"], number, label["score"], row_errors)
        rank = _parse_rank(values["rank"].value, number, label["rank"], row_errors) if "rank" in values else None
        if not row_errors:
            key = (year, block.code, name_key(unit_name))
            if key in seen:
                row_errors.append(
                    E_DUPLICATE_UNIT.format(
                        row=number, column=label["unit"], value=unit_name, first=seen[key], year=year, block=block.code
                    )
                )
            seen.setdefault(key, number)
        errors.extend(row_errors)
        if not row_errors:
            rows.append(
                ResultRow(
                    row=number,
                    year=year,
                    block=block,
                    unit_name=unit_name,
                    score=score,
                    decimals=decimals,
                    grade=normalize_name(_text(values["grade"].value)) if "grade" in values else "",
                    rank=rank,
                    source=normalize_name(_text(values["source"].value)) if "source" in values else "",
                )
            )
    return rows, errors


def _parse_year(value, row, column, errors) -> int | None:
    number = _whole_number(value)
    if number is None or not _MIN_YEAR <= number <= _MAX_YEAR:
        errors.append(E_YEAR.format(row=row, column=column, value=_text(value)))
        return None
    return number


def _parse_block(value, row, column, by_name, errors) -> Block | None:
    block = by_name.get(name_key(_text(value)))
    if block is None:
        errors.append(E_BLOCK.format(row=row, column=column, value=_text(value)))
    return block


def _parse_score(cell: Cell, row, column, errors) -> tuple[Decimal | None, int]:
    value = cell.value
    if _blank(value):
        errors.append(E_SCORE_EMPTY.format(row=row, column=column))
        return None, 0
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, str)):
        errors.append(E_SCORE_NOT_NUMBER.format(row=row, column=column, value=_text(value)))
        return None, 0
    # A float from a workbook is read through its shortest repr: a cell of 88.92 is 88.92, not 88.9199….
    text = str(value).strip() if not isinstance(value, float) else repr(value)
    if isinstance(value, float) and text.endswith(".0"):
        text = text[:-2]
    if not _NUMBER.match(text):
        errors.append(E_SCORE_NOT_NUMBER.format(row=row, column=column, value=_text(value)))
        return None, 0
    score = Decimal(text.replace(",", "."))
    if not Decimal(0) <= score <= Decimal(100):
        errors.append(E_SCORE_RANGE.format(row=row, column=column, value=_text(value)))
        return None, 0
    written = -score.as_tuple().exponent if score.as_tuple().exponent < 0 else 0
    return score, max(written, cell.format_decimals or 0)


def _parse_rank(value, row, column, errors) -> int | None:
    if _blank(value):
        return None
    number = _whole_number(value)
    if number is None or number < 1:
        errors.append(E_RANK.format(row=row, column=column, value=_text(value)))
        return None
    return number


def _whole_number(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = _text(value)
    return int(text) if text.isdigit() else None


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
