"""Reading an uploaded table — an .xlsx workbook or a UTF-8 CSV — with every cost bounded before it is paid.

Every importer (published results, criteria sets, score sheets, units in the admin; from a page or a
command) reads through `open_table`, so one set of rules holds everywhere:

1. The type is judged by the file's content, never its name: a zip holding `xl/workbook.xml` and no macros
   is a workbook; text that decodes as UTF-8 is CSV (where CSV is accepted); anything else is refused.
2. The file's size is bounded (`Limits.file_bytes`).
3. A workbook is never unpacked as a whole. Only the parts the reader needs are inflated — the workbook
   part and its relations, the styles, the shared strings, the first worksheet — and together they may
   not exceed `Limits.unpacked_bytes`: checked first against the sizes the zip declares, then again
   while inflating (Python's zipfile never returns more than the declared size).
4. The first worksheet's declared dimension, every row number and every column number are checked
   against `Limits.rows` and `Limits.columns` as they are met, and the number of cells and shared
   strings against `Limits.cells`, before anything is kept. Rows are streamed: only cells that exist in
   the file are read, so a sheet with one cell at XFD1048576 costs one cell, then is refused.

A file over a limit is refused with one Vietnamese message naming the limit (`Refused`), whatever it
claims to contain. Numbers are left as the file holds them (int, or float from Excel, or text from CSV);
`cchc_portal.lib.numbers` reads them.
"""

import csv
import io
import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.etree.ElementTree import ParseError
from xml.etree.ElementTree import iterparse as fast_iterparse

from defusedxml.ElementTree import fromstring, iterparse
from openpyxl.cell.text import Text
from openpyxl.styles.numbers import BUILTIN_FORMATS, BUILTIN_FORMATS_MAX_SIZE
from openpyxl.styles.stylesheet import Stylesheet
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import range_boundaries
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900
from openpyxl.utils.escape import unescape
from openpyxl.worksheet._reader import WorkSheetParser
from openpyxl.xml.constants import SHEET_MAIN_NS

from cchc_portal.lib.filetypes import DOC_XLS, XLSX, has_macros, megabytes, office_kind, sniff
from cchc_portal.lib.numbers import vn_number
from cchc_portal.lib.problems import Problem, Refused

MIB = 1024 * 1024

XLSX_KIND, CSV_KIND = "xlsx", "csv"
KIND_NAMES = {XLSX_KIND: "bảng tính Excel .xlsx", CSV_KIND: "tệp CSV (UTF-8)"}

E_MISSING = "Không tìm thấy tệp “{name}”."
E_TYPE = "Tệp “{name}” không phải {kinds} (loại tệp được nhận biết theo nội dung, không theo tên tệp)."
E_OLD_EXCEL = "Tệp “{name}” là bảng tính Excel 97–2003 (.xls); hãy mở bằng Excel và lưu lại dưới dạng .xlsx."
E_MACRO = "Tệp “{name}” là bảng tính có macro hoặc không đúng cấu trúc .xlsx; hãy lưu lại dưới dạng .xlsx thường."
E_BROKEN = "Không đọc được tệp “{name}”: tệp hỏng hoặc sai định dạng."
E_ENCODING = "Không đọc được tệp “{name}”: tệp CSV phải được lưu với mã UTF-8."
E_FILE_SIZE = "Tệp “{name}” có dung lượng {size} MB, vượt giới hạn {limit} MB."
E_UNPACKED = (
    "Tệp “{name}” khi giải nén lớn hơn {limit} MB, giới hạn của một bảng tính nhập vào cổng; "
    "hãy xóa các trang tính, định dạng hoặc dữ liệu thừa rồi lưu lại."
)
E_DIMENSION = (
    "{where} khai báo vùng dữ liệu {ref}, vượt giới hạn {rows} dòng × {columns} cột; "
    "hãy xóa các dòng, cột thừa (kể cả ô trống đã định dạng) rồi lưu lại."
)
E_ROWS = "{where} có dữ liệu ở dòng {row}, vượt giới hạn {limit} dòng; hãy xóa các dòng thừa."
E_COLUMNS = "{where} có dữ liệu ở cột {column}, vượt giới hạn {limit} cột; hãy xóa các cột thừa."
E_ROW_COUNT = "{where} có hơn {rows} dòng, vượt giới hạn; hãy xóa các dòng thừa."
E_CELLS = "Tệp “{name}” có hơn {limit} ô dữ liệu, vượt giới hạn của một bảng tính nhập vào cổng."
E_NO_SHEET = "Tệp “{name}” không có trang tính nào."
E_NO_NAMED_SHEET = "Tệp “{name}” không có trang tính “{sheet}”."

_NS = f"{{{SHEET_MAIN_NS}}}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_ROW, _CELL, _DIMENSION, _MERGE = f"{_NS}row", f"{_NS}c", f"{_NS}dimension", f"{_NS}mergeCell"
_SHEET_DATA, _STRING_ITEM = f"{_NS}sheetData", f"{_NS}si"
# The sheet's namespace prefix ("x:" in some files), for the byte search of `_SheetReader.count`.
_SHEET_DATA_TAG = re.compile(rb"<(\w+:)?sheetData[\s/>]")
_DIMENSION_REF = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"([A-Z0-9:$]{1,32})\"")
_KINDS = {"n": "number", "s": "text", "str": "text", "inlineStr": "text", "b": "bool", "d": "date", "f": "formula"}


@dataclass(frozen=True)
class Limits:
    """How large an input may be. The defaults fit the largest real case, a national commune block:
    3,321 units × 200 criteria, with room for headers, subtotals and a few years of results."""

    file_bytes: int = 20 * MIB
    unpacked_bytes: int = 64 * MIB
    rows: int = 40_000
    columns: int = 300
    cells: int = 1_000_000


@dataclass(frozen=True, slots=True)
class Cell:
    """One cell as the file holds it. `kind`: text, number, bool, date, formula, error or empty."""

    row: int
    column: int
    value: object = None
    kind: str = "empty"
    number_format: str = "General"

    @property
    def coordinate(self) -> str:
        return f"{get_column_letter(self.column)}{self.row}"

    @property
    def is_blank(self) -> bool:
        value = self.value
        return self.kind != "formula" and (value is None or (isinstance(value, str) and not value.strip()))


@dataclass(frozen=True)
class Merge:
    """A merged range of the sheet: its bounds (1-based, inclusive) and its reference ("B5:B6")."""

    min_row: int
    min_col: int
    max_row: int
    max_col: int
    ref: str


@dataclass
class Table:
    """One sheet of a workbook (the first, unless asked for another), or a CSV file: rows to stream, and what
    is known about them."""

    name: str
    kind: str
    sheet: str | None
    sheets: list[str] = field(default_factory=list)  # every sheet of the workbook, in order
    declared_rows: int | None = None  # from the sheet's dimension, when it declares one: for progress bars
    merges: list[Merge] = field(default_factory=list)  # complete once rows() has been read to the end
    _rows: Iterator | None = None

    def rows(self) -> Iterator[tuple[int, list[Cell]]]:
        """(row number, cells from column A to the row's last cell) for every row that has a cell."""
        return self._rows


def open_table(
    source,
    name: str,
    *,
    limits: Limits,
    accept: tuple[str, ...] = (XLSX_KIND, CSV_KIND),
    sheet: str | None = None,
    prefer: tuple[str, ...] = (),
) -> Table:
    """Check a file (a path or a binary file object) and open its table; Refused with one message otherwise.

    A workbook's table is the sheet named `sheet` (refused when it has none by that name), else the first sheet
    whose name is in `prefer`, else its first sheet."""
    if isinstance(source, str) or hasattr(source, "__fspath__"):
        try:
            with open(source, "rb") as file:
                _check_size(file, name, limits)
                handle = io.BytesIO(file.read())
        except OSError:
            raise Refused([Problem(E_MISSING.format(name=name))]) from None
    else:
        handle = source
        _check_size(handle, name, limits)
    kind = _kind(handle, name, accept)
    if kind == XLSX_KIND:
        return _open_xlsx(handle, name, limits, sheet, prefer)
    return _open_csv(handle, name, limits)


def _refuse(template: str, **values) -> Refused:
    return Refused([Problem(template.format(**values))])


def _check_size(handle, name: str, limits: Limits) -> None:
    handle.seek(0, io.SEEK_END)
    size = handle.tell()
    handle.seek(0)
    if size > limits.file_bytes:
        raise _refuse(E_FILE_SIZE, name=name, size=megabytes(size), limit=megabytes(limits.file_bytes))


def _kind(handle, name: str, accept) -> str:
    """xlsx or csv, by content; a name ending in .xlsx or .csv must agree with it. A zip is judged by its name
    list alone: its sizes are the budget's affair."""
    kind = _content_kind(handle, name, accept)
    suffix = posixpath.splitext(name.lower())[1].lstrip(".")
    if suffix in KIND_NAMES and suffix != kind:
        raise _refuse(E_BROKEN, name=name)
    return kind


def _content_kind(handle, name: str, accept) -> str:
    head = handle.read(4096)
    handle.seek(0)
    if head.startswith(b"PK\x03\x04") and XLSX_KIND in accept:
        try:
            with zipfile.ZipFile(handle) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            raise _refuse(E_BROKEN, name=name) from exc
        finally:
            handle.seek(0)
        if office_kind(names) is XLSX:
            return XLSX_KIND
        if has_macros(names):
            raise _refuse(E_MACRO, name=name)
    elif sniff(handle) is DOC_XLS:
        raise _refuse(E_OLD_EXCEL, name=name)
    elif CSV_KIND in accept and sniff(handle) is None and not head.startswith(b"PK") and b"\x00" not in head:
        return CSV_KIND
    raise _refuse(E_TYPE, name=name, kinds=" hoặc ".join(KIND_NAMES[k] for k in accept))


# --- Workbooks ----------------------------------------------------------------------------------------


class _Budget:
    """The bytes the reader may still inflate; every part it reads is charged here."""

    def __init__(self, archive: zipfile.ZipFile, name: str, limit: int):
        self.archive, self.name, self.limit, self.left = archive, name, limit, limit

    def declared(self, parts: list[str]) -> None:
        sizes = {info.filename: info.file_size for info in self.archive.infolist()}
        if sum(sizes.get(part, 0) for part in set(parts)) > self.limit:
            raise _refuse(E_UNPACKED, name=self.name, limit=megabytes(self.limit))

    def open(self, part: str):
        return _Counted(self.archive.open(part), self)

    def read(self, part: str) -> bytes:
        with self.open(part) as stream:
            return stream.read()

    def charge(self, size: int) -> None:
        self.left -= size
        if self.left < 0:
            raise _refuse(E_UNPACKED, name=self.name, limit=megabytes(self.limit))


class _Counted(io.RawIOBase):
    """A zip member that charges what it inflates to the budget, chunk by chunk."""

    def __init__(self, stream, budget: _Budget):
        self.stream, self.budget = stream, budget

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.stream.read(min(len(buffer), 1 << 16))
        self.budget.charge(len(data))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self.stream.close()
        super().close()


def _open_xlsx(handle, name: str, limits: Limits, wanted: str | None, prefer: tuple[str, ...]) -> Table:
    try:
        archive = zipfile.ZipFile(handle)
        budget = _Budget(archive, name, limits.unpacked_bytes)
        names = set(archive.namelist())
        budget.declared(["xl/workbook.xml", "xl/_rels/workbook.xml.rels"])
        sheets, strings_part, styles_part, epoch = _workbook(budget, names)
        if not sheets:
            raise _refuse(E_NO_SHEET, name=name)
        sheet, sheet_part = _choose(sheets, name, wanted, prefer)
        budget.declared(
            [p for p in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels", sheet_part, strings_part, styles_part) if p]
        )
        formats, date_styles, timedelta_styles = _styles(budget, styles_part)
        strings = _shared_strings(budget, strings_part, name, limits) if strings_part else []
    except Refused:
        raise
    except (zipfile.BadZipFile, KeyError, ParseError, ValueError, TypeError, EOFError, OSError) as exc:
        raise _refuse(E_BROKEN, name=name) from exc
    table = Table(name=name, kind=XLSX_KIND, sheet=sheet, sheets=[title for title, _ in sheets])
    reader = _SheetReader(table, budget, sheet_part, limits, strings, formats, date_styles, timedelta_styles, epoch)
    table._rows = reader.rows()
    return table


def _part(target: str) -> str:
    """A relationship target as a path inside the zip ("worksheets/sheet1.xml" → "xl/worksheets/sheet1.xml")."""
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join("xl", target))


def _choose(sheets: list[tuple[str, str]], name: str, wanted: str | None, prefer: tuple[str, ...]) -> tuple[str, str]:
    def key(title: str) -> str:
        return " ".join(title.split()).casefold()

    by_title = {key(title): (title, part) for title, part in reversed(sheets)}
    if wanted is not None:
        if key(wanted) not in by_title:
            raise _refuse(E_NO_NAMED_SHEET, name=name, sheet=wanted)
        return by_title[key(wanted)]
    return next((by_title[key(p)] for p in prefer if key(p) in by_title), sheets[0])


def _workbook(budget: _Budget, names: set[str]):
    """Every sheet's title and part (in order), the shared strings and styles parts, and the date epoch."""
    workbook = fromstring(budget.read("xl/workbook.xml"))
    rels = fromstring(budget.read("xl/_rels/workbook.xml.rels")) if "xl/_rels/workbook.xml.rels" in names else None
    targets, by_type = {}, {}
    for rel in rels if rels is not None else ():
        if rel.tag == f"{_PKG_REL_NS}Relationship":
            targets[rel.get("Id")] = _part(rel.get("Target", ""))
            by_type[rel.get("Type", "").rsplit("/", 1)[-1]] = _part(rel.get("Target", ""))
    properties = workbook.find(f"{_NS}workbookPr")
    epoch = (
        CALENDAR_MAC_1904
        if properties is not None and properties.get("date1904") in ("1", "true")
        else (CALENDAR_WINDOWS_1900)
    )
    sheets = []
    for element in workbook.iter(f"{_NS}sheet"):
        candidate = targets.get(element.get(f"{_REL_NS}id"))
        if candidate in names:
            sheets.append((element.get("name") or "", candidate))
    strings = by_type.get("sharedStrings") if by_type.get("sharedStrings") in names else None
    styles = by_type.get("styles") if by_type.get("styles") in names else None
    return sheets, strings, styles, epoch


def _styles(budget: _Budget, part: str | None) -> tuple[list[str], set[int], set[int]]:
    """The number format of each cell style, and which styles show dates or durations."""
    if part is None:
        return [], set(), set()
    stylesheet = Stylesheet.from_tree(fromstring(budget.read(part)))
    custom = list(stylesheet.number_formats)
    formats = []
    for style in stylesheet.cell_styles:
        number = style.numFmtId
        if number < BUILTIN_FORMATS_MAX_SIZE:
            formats.append(BUILTIN_FORMATS.get(number, "General"))
        else:
            formats.append(custom[number - BUILTIN_FORMATS_MAX_SIZE])
    return formats, set(stylesheet.date_formats), set(stylesheet.timedelta_formats)


def _shared_strings(budget: _Budget, part: str, name: str, limits: Limits) -> list[str]:
    strings = []
    with budget.open(part) as stream:
        for _, element in iterparse(io.BufferedReader(stream)):
            if element.tag == _STRING_ITEM:
                strings.append(Text.from_tree(element).content.replace("x005F_", ""))
                element.clear()
                if len(strings) > limits.cells:
                    raise _refuse(E_CELLS, name=name, limit=_n(limits.cells))
    return strings


class _SheetReader:
    """Streams the rows of one worksheet, refusing it as soon as it crosses a limit."""

    def __init__(self, table, budget, part, limits, strings, formats, date_styles, timedelta_styles, epoch):
        self.table, self.budget, self.part, self.limits, self.formats = table, budget, part, limits, formats
        # openpyxl's own cell parser: shared strings, shared formulas, dates, rich and inline text.
        self.parser = WorkSheetParser(
            None, strings, data_only=False, epoch=epoch, date_formats=date_styles, timedelta_formats=timedelta_styles
        )

    def refuse(self, template: str, **values) -> Refused:
        return _refuse(template, where=_where(self.table), **values)

    def rows(self) -> Iterator[tuple[int, list[Cell]]]:
        try:
            yield from self._rows()
        except Refused:
            raise
        except (ParseError, ValueError, TypeError, KeyError, IndexError, zipfile.BadZipFile, EOFError) as exc:
            raise _refuse(E_BROKEN, name=self.table.name) from exc

    def count(self) -> None:
        """Count the sheet's rows and cells at the speed of a byte search, before any is parsed, so a sheet of
        too many is refused in a fraction of a second (the parse below checks every row and cell again)."""
        rows = cells = 0
        tail, prefix = b"", None
        with self.budget.archive.open(self.part) as stream:  # its size is bounded by the declared-size check
            while chunk := stream.read(1 << 20):
                text = tail + chunk
                if prefix is None:
                    found = _SHEET_DATA_TAG.search(text)
                    prefix = (found.group(1) if found else None) or b""
                    declared = _DIMENSION_REF.search(text)
                    self.dimension(declared.group(1).decode("ascii", "replace") if declared else None)
                if b"<!DOCTYPE" in text or b"<!ENTITY" in text:
                    raise _refuse(E_BROKEN, name=self.table.name)  # a worksheet never declares a document type
                rows += _count(text, b"<" + prefix + b"row") - _count(tail, b"<" + prefix + b"row")
                cells += _count(text, b"<" + prefix + b"c") - _count(tail, b"<" + prefix + b"c")
                tail = text[-32:]
                if rows > self.limits.rows:
                    raise self.refuse(E_ROW_COUNT, rows=_n(self.limits.rows))
                if cells > self.limits.cells:
                    raise _refuse(E_CELLS, name=self.table.name, limit=_n(self.limits.cells))

    def _rows(self) -> Iterator[tuple[int, list[Cell]]]:
        self.count()
        limits, parser = self.limits, self.parser
        depth, cells, count, data, row = 0, [], 0, None, 0
        with self.budget.open(self.part) as stream:
            # The C parser (defusedxml's is pure Python, several times slower on a large sheet): `count` has
            # refused any document type declaration, so there is no entity to expand or fetch.
            for event, element in fast_iterparse(io.BufferedReader(stream), events=("start", "end")):  # noqa: S314
                tag = element.tag
                if event == "start":
                    depth += 1
                    if tag == _ROW:
                        row = _row_number(element.get("r"), row)
                        if row > limits.rows:
                            raise self.refuse(E_ROWS, row=_n(row), limit=_n(limits.rows))
                        parser.row_counter, parser.col_counter, cells = row, 0, []
                    elif tag == _SHEET_DATA:
                        data = element
                    continue
                depth -= 1
                if tag == _CELL:
                    cells.append(self.cell(parser.parse_cell(element)))
                    count += 1
                    if count > limits.cells:
                        raise _refuse(E_CELLS, name=self.table.name, limit=_n(limits.cells))
                    if len(cells) > limits.columns:  # the same cell written again and again
                        raise self.refuse(E_COLUMNS, column=_n(len(cells)), limit=_n(limits.columns))
                    element.clear()
                elif tag == _ROW:
                    if cells:
                        yield row, _dense(row, cells)
                    element.clear()
                    if data is not None:
                        data.remove(element)
                elif tag == _DIMENSION:
                    self.dimension(element.get("ref"))
                elif tag == _MERGE and element.get("ref"):
                    min_col, min_row, max_col, max_row = range_boundaries(element.get("ref"))
                    self.table.merges.append(Merge(min_row, min_col, max_row, max_col, element.get("ref")))
                if depth == 1:
                    element.clear()  # a part of the sheet that is done with: keep nothing of it

    def dimension(self, ref: str | None) -> None:
        if not ref:
            return
        _min_col, _min_row, max_col, max_row = range_boundaries(ref)
        if (max_row or 0) > self.limits.rows or (max_col or 0) > self.limits.columns:
            raise self.refuse(E_DIMENSION, ref=ref, rows=_n(self.limits.rows), columns=_n(self.limits.columns))
        self.table.declared_rows = max_row

    def cell(self, parsed: dict) -> Cell:
        column, value, data_type = parsed["column"], parsed["value"], parsed["data_type"]
        if column > self.limits.columns:
            raise self.refuse(E_COLUMNS, column=get_column_letter(column), limit=_n(self.limits.columns))
        style = parsed["style_id"] or 0
        number_format = self.formats[style] if style < len(self.formats) else "General"
        if data_type == "f":
            value = getattr(value, "text", value)
        kind = "empty" if value is None else _KINDS.get(data_type, "error")
        if kind == "text" and "_x" in value:
            value = unescape(value)  # Excel writes a control character typed into a cell as _x001B_
        return Cell(parsed["row"], column, value, kind, number_format)


def _count(text: bytes, tag: bytes) -> int:
    """How many elements named `tag` ("<row", "<c") start in `text` (a "<c" must not begin "<cols")."""
    return sum(text.count(tag + end) for end in (b" ", b">", b"/", b"\n", b"\t", b"\r"))


def _where(table: Table) -> str:
    sheet = f", trang tính “{table.sheet}”" if table.sheet else ""
    return f"Tệp “{table.name}”{sheet}"


def _row_number(text: str | None, previous: int) -> int:
    if text is None:
        return previous + 1
    number = float(text)
    if not number.is_integer() or number < 1:
        raise ValueError(f"{text} is not a row number")
    return int(number)


def _dense(row: int, cells: list[Cell]) -> list[Cell]:
    """The row's cells from column A to its last one, with an empty cell wherever the file has none."""
    by_column = {c.column: c for c in cells}
    return [by_column.get(column) or Cell(row, column) for column in range(1, max(by_column) + 1)]


def _n(number: int) -> str:
    return vn_number(number)


# --- CSV ----------------------------------------------------------------------------------------------


def _open_csv(handle, name: str, limits: Limits) -> Table:
    raw = handle.read()
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw.removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise _refuse(E_ENCODING, name=name) from exc
    # The first line that is data: a transcription may open with notes ("# Nguồn: …"), which say nothing of the
    # delimiter.
    first = next((line for line in text.splitlines() if line.strip() and not line.startswith("#")), "")
    # Excel saves "CSV" with semicolons where the decimal mark is a comma, as in Vietnam.
    delimiter = max(",;\t", key=first.count)
    table = Table(name=name, kind=CSV_KIND, sheet=None)
    table._rows = _csv_rows(table, csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), limits)
    return table


def _csv_rows(table: Table, reader, limits: Limits) -> Iterator[tuple[int, list[Cell]]]:
    try:
        for row, record in enumerate(reader, start=1):
            if row > limits.rows:
                raise _refuse(E_ROWS, where=_where(table), row=_n(row), limit=_n(limits.rows))
            if len(record) > limits.columns:
                column = get_column_letter(min(len(record), 16384))
                raise _refuse(E_COLUMNS, where=_where(table), column=column, limit=_n(limits.columns))
            if record:
                yield row, [Cell(row, c, v, "text" if v.strip() else "empty") for c, v in enumerate(record, 1)]
    except csv.Error as exc:
        raise _refuse(E_BROKEN, name=table.name) from exc
