"""Reading an uploaded table — an .xlsx workbook or a UTF-8 CSV — with every cost bounded before it is paid.

Every importer (published results, criteria sets, score sheets, units in the admin; from a page or a
command) reads through `open_table`, so one set of rules holds everywhere:

1. The type is judged by the file's content, never its name: a zip holding `xl/workbook.xml` and no macros
   is a workbook (its list of parts is bounded from its end record before zipfile reads it); text that
   decodes as UTF-8 is CSV (where CSV is accepted); anything else is refused.
2. The file's size is bounded (`Limits.file_bytes`).
3. A workbook is never unpacked as a whole. Only the parts the reader needs are inflated — the workbook
   part and its relations, the styles, the shared strings, the first worksheet — and together they may
   not exceed `Limits.unpacked_bytes`: checked first against the sizes the zip declares, then again
   while inflating (Python's zipfile never returns more than the declared size).
4. Every part is counted before it is parsed: a pass at the speed of a byte search counts its XML
   elements (and, in a worksheet, its rows and cells; in the shared strings, its strings) and refuses a
   document type declaration, so a part of a few kilobytes on disk that holds millions of elements is
   refused before one is built. The parse that follows streams, keeps nothing of an element once it is
   done with, and refuses nesting deeper than `Limits.depth`. No part is ever parsed as a whole tree.
5. The first worksheet's declared dimension, every row number and every column number are checked
   against `Limits.rows` and `Limits.columns` as they are met, and the number of cells against
   `Limits.cells`, before anything is kept. Rows are streamed: only cells that exist in the file are
   read, so a sheet with one cell at XFD1048576 costs one cell, then is refused. A row is given from
   column A to its last cell that holds something (empty cells after it are dropped; a row of empty cells
   comes as one empty cell), and those cells, the padding included, count against `Limits.cells` too,
   summed from the cells' references in the byte pass: 40,000 rows of one value in the 300th column are
   refused before a row is parsed, not spread into 12 million cells.

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

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils import column_index_from_string as column_index
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import range_boundaries
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900
from openpyxl.utils.escape import unescape
from openpyxl.worksheet._reader import WorkSheetParser
from openpyxl.xml.constants import SHEET_MAIN_NS

from cchc_portal.lib.filetypes import (
    DOC_XLS,
    MAX_ZIP_ENTRIES,
    XLSX,
    has_macros,
    megabytes,
    office_kind,
    sniff,
    zip_directory_fits,
)
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
E_PARTS = (
    "Tệp “{name}” gồm hơn {limit} phần nén (hoặc danh mục các phần quá lớn), vượt giới hạn của một bảng tính "
    "nhập vào cổng; hãy mở tệp bằng Excel rồi lưu lại."
)
E_DIMENSION = (
    "{where} khai báo vùng dữ liệu {ref}, vượt giới hạn {rows} dòng × {columns} cột; "
    "hãy xóa các dòng, cột thừa (kể cả ô trống đã định dạng) rồi lưu lại."
)
E_ROWS = "{where} có dữ liệu ở dòng {row}, vượt giới hạn {limit} dòng; hãy xóa các dòng thừa."
E_COLUMNS = "{where} có dữ liệu ở cột {column}, vượt giới hạn {limit} cột; hãy xóa các cột thừa."
E_ROW_COUNT = "{where} có hơn {rows} dòng, vượt giới hạn; hãy xóa các dòng thừa."
E_CELLS = "Tệp “{name}” có hơn {limit} ô dữ liệu, vượt giới hạn của một bảng tính nhập vào cổng."
E_SPREAD = (
    "{where} có dữ liệu trải trên hơn {limit} ô (tính từ cột A đến ô cuối cùng có dữ liệu của mỗi dòng), "
    "vượt giới hạn của một bảng tính nhập vào cổng; hãy xóa các cột, dòng thừa rồi lưu lại."
)
E_PART_ELEMENTS = (
    "Tệp “{name}”: phần {part} có hơn {limit} phần tử XML, vượt giới hạn của một bảng tính nhập vào cổng; "
    "hãy mở tệp bằng Excel, xóa định dạng, tên và dữ liệu thừa rồi lưu lại."
)
E_PART_DEPTH = (
    "Tệp “{name}”: phần {part} lồng nhau sâu hơn {limit} cấp, vượt giới hạn của một bảng tính nhập vào cổng; "
    "hãy mở tệp bằng Excel rồi lưu lại."
)
E_ATTRIBUTES = (
    "Tệp “{name}”: phần {part} có phần tử XML mang hơn {limit} thuộc tính, vượt giới hạn của một bảng tính "
    "nhập vào cổng; hãy mở tệp bằng Excel rồi lưu lại."
)
E_CELL_ELEMENTS = (
    "{where}: ô {cell} gồm hơn {limit} phần tử XML, vượt giới hạn của một ô; "
    "hãy gõ lại nội dung ô đó thành chữ thường rồi lưu lại."
)
E_STRINGS = (
    "Tệp “{name}” có hơn {limit} đoạn chữ khác nhau (phần {part}), vượt giới hạn của một bảng tính nhập vào "
    "cổng; hãy xóa các trang tính, dữ liệu thừa rồi lưu lại."
)
E_NO_SHEET = "Tệp “{name}” không có trang tính nào."
E_NO_NAMED_SHEET = "Tệp “{name}” không có trang tính “{sheet}”."

_NS = f"{{{SHEET_MAIN_NS}}}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_ROW, _CELL, _DIMENSION, _MERGE = f"{_NS}row", f"{_NS}c", f"{_NS}dimension", f"{_NS}mergeCell"
_SHEET_DATA, _STRING_ITEM = f"{_NS}sheetData", f"{_NS}si"
# The sheet's namespace prefix ("x:" in some files), for the byte search of `_SheetReader.count`.
_SHEET_DATA_TAG = re.compile(rb"<(\w+:)?sheetData[\s/>]")
_STRINGS_TAG = re.compile(rb"<(\w+:)?sst[\s/>]")
_DIMENSION_REF = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"([A-Z0-9:$]{1,32})\"")
_DOCTYPE = (b"<!DOCTYPE", b"<!ENTITY")
_PHONETIC, _TEXT = f"{_NS}rPh", f"{_NS}t"
# Attributes of one element: the parser reads them all at once, before anything can be counted (a million
# of them, 10 MB inflated and 2 MB on disk, cost 5 s and 300 MB). Real elements have a handful.
ATTRIBUTES = 10_000
# The start of an element (or of the text searched) followed by more than ATTRIBUTES quoted values before the
# next "<" (attribute values may hold ">", never "<"). Possessive, so it is linear in the text it reads; it
# only runs on a stretch with many more quotes than elements.
_CROWDED = re.compile(rb"(?:^|<)[^<\"']*+(?:(?:\"[^\"<]*+\"|'[^'<]*+')[^<\"']*+){%d}" % ATTRIBUTES)
# What an element in a cell may hold: a value, a formula, an inline text of a few runs of formatting.
CELL_ELEMENTS = 1_000
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
    # Elements of the parts that do not grow with the data (the workbook's sheets and names, the relations,
    # the styles): Excel allows 64,000 cell formats, written with up to four elements each.
    part_elements: int = 300_000
    depth: int = 24  # how deeply a part's elements may nest (Excel's own parts: about ten)

    @property
    def strings(self) -> int:
        """Distinct texts in the shared-string table: five a row at the row limit, never more than the cells."""
        return min(self.cells, 5 * self.rows)

    @property
    def sheet_elements(self) -> int:
        """Elements of a worksheet: one per row, a cell with its value, formula or inline text (four), and the
        sheet's settings."""
        return self.rows + 4 * self.cells + self.part_elements

    @property
    def strings_elements(self) -> int:
        return 3 * self.strings + self.part_elements


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
        if not zip_directory_fits(handle):
            raise _refuse(E_PARTS, name=name, limit=_n(MAX_ZIP_ENTRIES))
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
        sheets, strings_part, styles_part, epoch = _workbook(budget, names, limits)
        if not sheets:
            raise _refuse(E_NO_SHEET, name=name)
        sheet, sheet_part = _choose(sheets, name, wanted, prefer)
        budget.declared(
            [p for p in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels", sheet_part, strings_part, styles_part) if p]
        )
        formats, date_styles, timedelta_styles = _styles(budget, styles_part, limits)
        strings = _shared_strings(budget, strings_part, limits) if strings_part else []
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


def _label(part: str, sheet: str | None = None) -> str:
    """A part as a message names it: what it holds for the person reading, and its path for whoever repairs it."""
    if sheet is not None:
        return f"trang tính “{sheet}” ({part})"
    if part.endswith(".rels"):
        return f"liên kết giữa các phần ({part})"
    if part.endswith("workbook.xml"):
        return f"danh sách trang tính ({part})"
    if "styles" in part.rsplit("/", 1)[-1].lower():
        return f"định dạng ô ({part})"
    if "sharedstrings" in part.rsplit("/", 1)[-1].lower():
        return f"bảng chữ dùng chung ({part})"
    return part


class _Census:
    """One pass over a part at the speed of a byte search, before it is parsed: its elements (and any tags
    asked for) counted, refused as soon as there are more than `limit`, and refused if it declares a document
    type (an Office part never does; entities are what would make the C parser below expand text)."""

    def __init__(self, archive: zipfile.ZipFile, part: str, name: str, label: str, limit: int):
        self.archive, self.part, self.name, self.label, self.limit = archive, part, name, label, limit
        self.elements = 0

    def chunks(self) -> Iterator[tuple[bytes, bytes]]:
        """(text, tail): each chunk with the end of the one before, so a tag cut in two is still seen once: a
        count over `text` less the same count over `tail`. Inflated through zipfile, which stops at the declared
        size, itself bounded by the budget's declared-size check."""
        tail = b""
        with self.archive.open(self.part) as stream:
            while chunk := stream.read(1 << 18):
                text = tail + chunk
                if any(mark in text for mark in _DOCTYPE):
                    raise _refuse(E_BROKEN, name=self.name)
                starts = _elements(text) - _elements(tail)
                self.elements += starts
                if self.elements > self.limit:
                    raise self.refuse_elements()
                quotes = text.count(b'"') + text.count(b"'") - tail.count(b'"') - tail.count(b"'")
                if quotes > 8 * starts + 2 * ATTRIBUTES and _CROWDED.search(text):
                    raise _refuse(E_ATTRIBUTES, name=self.name, part=self.label, limit=_n(ATTRIBUTES))
                yield text, tail
                tail = text[-32:]

    def refuse_elements(self) -> Refused:
        return _refuse(E_PART_ELEMENTS, name=self.name, part=self.label, limit=_n(self.limit))

    def run(self) -> None:
        for _ in self.chunks():
            pass


def _elements(text: bytes) -> int:
    """How many elements start in `text`: every "<" that does not open an end tag, a declaration or a comment
    (a "<" in a comment or CDATA counts too, which only errs on the safe side)."""
    return text.count(b"<") - text.count(b"</") - text.count(b"<?") - text.count(b"<!")


def _walk(budget: _Budget, part: str, name: str, label: str, limits: Limits):
    """Every element of a counted part once it is complete, with the elements open around it (`stack`, the
    root first). An element is dropped from its parent as soon as it has been seen, so only one path from the
    root is ever held: a part's cost is its element count, which its census has bounded."""
    stack = []
    with budget.open(part) as stream:
        # The C parser: the census has refused any document type declaration, so there is no entity to expand.
        for event, element in fast_iterparse(io.BufferedReader(stream), events=("start", "end")):  # noqa: S314
            if event == "start":
                stack.append(element)
                if len(stack) > limits.depth:
                    raise _refuse(E_PART_DEPTH, name=name, part=label, limit=_n(limits.depth))
                continue
            stack.pop()
            yield element, stack
            if stack:
                stack[-1].remove(element)


def _small_part(budget: _Budget, part: str, limits: Limits):
    """The elements of a part that does not grow with the data, counted then streamed."""
    label = _label(part)
    _Census(budget.archive, part, budget.name, label, limits.part_elements).run()
    return _walk(budget, part, budget.name, label, limits)


def _workbook(budget: _Budget, names: set[str], limits: Limits):
    """Every sheet's title and part (in order), the shared strings and styles parts, and the date epoch."""
    targets, by_type = {}, {}
    if "xl/_rels/workbook.xml.rels" in names:
        for rel, _stack in _small_part(budget, "xl/_rels/workbook.xml.rels", limits):
            if rel.tag == f"{_PKG_REL_NS}Relationship":
                targets[rel.get("Id")] = _part(rel.get("Target", ""))
                by_type[rel.get("Type", "").rsplit("/", 1)[-1]] = _part(rel.get("Target", ""))
    epoch, sheets = CALENDAR_WINDOWS_1900, []
    for element, _stack in _small_part(budget, "xl/workbook.xml", limits):
        if element.tag == f"{_NS}workbookPr" and element.get("date1904") in ("1", "true"):
            epoch = CALENDAR_MAC_1904
        elif element.tag == f"{_NS}sheet":
            candidate = targets.get(element.get(f"{_REL_NS}id"))
            if candidate in names:
                sheets.append((element.get("name") or "", candidate))
    strings = by_type.get("sharedStrings") if by_type.get("sharedStrings") in names else None
    styles = by_type.get("styles") if by_type.get("styles") in names else None
    return sheets, strings, styles, epoch


def _styles(budget: _Budget, part: str | None, limits: Limits) -> tuple[list[str], set[int], set[int]]:
    """The number format of each cell style, and which styles show dates or durations: the cell formats
    (`cellXfs`) and the custom number formats, read as they stream (openpyxl's Stylesheet would build every
    font, fill and border first)."""
    if part is None:
        return [], set(), set()
    custom: dict[int, str] = {}
    styles: list[int] = []
    for element, stack in _small_part(budget, part, limits):
        parent = stack[-1].tag if stack else None
        if element.tag == f"{_NS}numFmt" and parent == f"{_NS}numFmts":
            custom[int(element.get("numFmtId"))] = element.get("formatCode") or "General"
        elif element.tag == f"{_NS}xf" and parent == f"{_NS}cellXfs":
            styles.append(int(element.get("numFmtId") or 0))
    formats, date_styles, timedelta_styles = [], set(), set()
    for index, number in enumerate(styles):
        code = custom[number] if number in custom else BUILTIN_FORMATS.get(number)
        formats.append(code or "General")
        if is_date_format(code):
            date_styles.add(index)
        if is_timedelta_format(code):
            timedelta_styles.add(index)
    return formats, date_styles, timedelta_styles


def _shared_strings(budget: _Budget, part: str, limits: Limits) -> list[str]:
    """The shared-string table, each string's text (its runs joined, phonetic guides left out). Its strings
    are counted with its elements before any is read."""
    label = _label(part)
    census = _Census(budget.archive, part, budget.name, label, limits.strings_elements)
    tag, items = None, 0
    for text, tail in census.chunks():
        if tag is None:
            root = _STRINGS_TAG.search(text)
            tag = b"<" + ((root.group(1) if root else None) or b"") + b"si"
        items += _count(text, tag) - _count(tail, tag)
        if items > limits.strings:
            raise _refuse(E_STRINGS, name=budget.name, part=label, limit=_n(limits.strings))
    strings, pieces = [], []
    for element, stack in _walk(budget, part, budget.name, label, limits):
        tag = element.tag
        if tag == _TEXT and stack and stack[-1].tag != _PHONETIC:
            pieces.append(element.text or "")
        elif tag == _STRING_ITEM:
            strings.append("".join(pieces).replace("x005F_", ""))
            pieces = []
    return strings


# The reference of a cell that holds something (not self-closing): its column letters. Starting with a literal,
# it is found at the speed of a string search, which millions of other elements do not slow down.
_CELL_REF = re.compile(rb'r="([A-Z]{1,3})[0-9]*"[^>/]*>')


class _Spread:
    """The cells a sheet's rows will be given as (each from column A to its last cell that holds something),
    summed from the cells' references at the speed of a string search: rows padded out to a far column are
    refused before one is parsed. Self-closing cells (which hold nothing) and cells without a reference are
    not counted; the reading counts again, exactly, from the values."""

    def __init__(self, limit: int, row_tag: bytes):
        self.limit, self.row_tag, self.total, self.last, self.carry, self.columns = limit, row_tag, 0, 0, b"", {}

    def add(self, chunk: bytes) -> bool:
        """Count what `chunk` (the next bytes of the part) completes; True once over the limit. A tag cut
        by the chunk's end is carried to the next one."""
        text = self.carry + chunk
        cut = text.rfind(b"<")
        if cut < 0:
            self.carry = b""
            return False
        self.carry = text[cut:]
        columns = self.columns
        for index, row in enumerate(text[:cut].split(self.row_tag)):  # the first goes on with the last row
            if index:
                self.total += self.last
                self.last = 0
            for letters in _CELL_REF.findall(row):
                column = columns.get(letters) or columns.setdefault(letters, column_index(letters.decode()))
                if column > self.last:
                    self.last = column
        return self.total + self.last > self.limit


class _SheetReader:
    """Streams the rows of one worksheet, refusing it as soon as it crosses a limit."""

    def __init__(self, table, budget, part, limits, strings, formats, date_styles, timedelta_styles, epoch):
        self.table, self.budget, self.part, self.limits, self.formats = table, budget, part, limits, formats
        self.label = _label(part, table.sheet)
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
        """Count the sheet's rows, cells and elements at the speed of a byte search, before any is parsed, so a
        sheet of too many is refused in a fraction of a second (the parse below checks every row and cell
        again). Elements that are neither rows nor cells may be a few per cell (values, formulas, inline
        text) and a fixed number more (the sheet's settings), never millions around a handful of cells."""
        limits = self.limits
        census = _Census(self.budget.archive, self.part, self.table.name, self.label, limits.sheet_elements)
        rows = cells = 0
        prefix = spread = None
        for text, tail in census.chunks():
            if prefix is None:
                found = _SHEET_DATA_TAG.search(text)
                prefix = (found.group(1) if found else None) or b""
                spread = _Spread(limits.cells, b"<" + prefix + b"row")
                declared = _DIMENSION_REF.search(text)
                self.dimension(declared.group(1).decode("ascii", "replace") if declared else None)
            rows += _count(text, b"<" + prefix + b"row") - _count(tail, b"<" + prefix + b"row")
            cells += _count(text, b"<" + prefix + b"c") - _count(tail, b"<" + prefix + b"c")
            if rows > limits.rows:
                raise self.refuse(E_ROW_COUNT, rows=_n(limits.rows))
            if cells > limits.cells:
                raise _refuse(E_CELLS, name=self.table.name, limit=_n(limits.cells))
            # A cell's parts follow its start, so this holds at every point of a real sheet, not only its end:
            # millions of other elements around a handful of cells are refused after the first megabyte.
            if census.elements > rows + 4 * cells + limits.part_elements:
                census.limit = rows + 4 * cells + limits.part_elements
                raise census.refuse_elements()
            if spread.add(text[len(tail) :]):
                raise self.refuse(E_SPREAD, limit=_n(limits.cells))

    def _rows(self) -> Iterator[tuple[int, list[Cell]]]:
        self.count()
        limits, parser = self.limits, self.parser
        stack, cells, count, spread, row = [], [], 0, 0, 0
        cell_depth = inside = 0  # the open cell's depth (0: none), and how many elements were opened in it
        with self.budget.open(self.part) as stream:
            # The C parser (defusedxml's is pure Python, several times slower on a large sheet): `count` has
            # refused any document type declaration, so there is no entity to expand or fetch.
            for event, element in fast_iterparse(io.BufferedReader(stream), events=("start", "end")):  # noqa: S314
                tag = element.tag
                if event == "start":
                    stack.append(element)
                    if len(stack) > limits.depth:
                        raise _refuse(E_PART_DEPTH, name=self.table.name, part=self.label, limit=_n(limits.depth))
                    if cell_depth:
                        inside += 1
                        if inside > CELL_ELEMENTS:
                            cell = stack[cell_depth - 1].get("r") or f"ở dòng {_n(row)}"
                            raise self.refuse(E_CELL_ELEMENTS, cell=cell, limit=_n(CELL_ELEMENTS))
                    elif tag == _CELL:
                        cell_depth, inside = len(stack), 0
                    elif tag == _ROW:
                        row = _row_number(element.get("r"), row)
                        if row > limits.rows:
                            raise self.refuse(E_ROWS, row=_n(row), limit=_n(limits.rows))
                        parser.row_counter, parser.col_counter, cells = row, 0, []
                    continue
                stack.pop()
                if cell_depth:
                    if len(stack) >= cell_depth:
                        continue  # inside a cell: kept until the cell is read
                    cell_depth = 0
                    cells.append(self.cell(parser.parse_cell(element)))
                    count += 1
                    if count > limits.cells:
                        raise _refuse(E_CELLS, name=self.table.name, limit=_n(limits.cells))
                    if len(cells) > limits.columns:  # the same cell written again and again
                        raise self.refuse(E_COLUMNS, column=_n(len(cells)), limit=_n(limits.columns))
                elif tag == _ROW:
                    if cells:  # to its last cell that holds something; a row of empty cells as one empty cell
                        last = max((c.column for c in cells if c.kind != "empty"), default=1)
                        spread += last
                        if spread > limits.cells:
                            raise self.refuse(E_SPREAD, limit=_n(limits.cells))
                        yield row, _dense(row, cells, last)
                elif tag == _DIMENSION:
                    self.dimension(element.get("ref"))
                elif tag == _MERGE and element.get("ref"):
                    min_col, min_row, max_col, max_row = range_boundaries(element.get("ref"))
                    self.table.merges.append(Merge(min_row, min_col, max_row, max_col, element.get("ref")))
                if stack:
                    stack[-1].remove(element)  # done with: keep nothing of it

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


def _dense(row: int, cells: list[Cell], last: int) -> list[Cell]:
    """The row's cells from column A to `last`, with an empty cell wherever the file has none."""
    by_column = {c.column: c for c in cells if c.column <= last}
    return [by_column.get(column) or Cell(row, column) for column in range(1, last + 1)]


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
