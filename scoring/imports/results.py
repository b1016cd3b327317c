"""Published results from a CSV or xlsx file: read and check every row, then publish them all or nothing.

`read_result_rows` (phase one) writes nothing: it reads the file through the bounded reader, checks every
row and raises `Refused` with every problem, each naming the row, the column and the value, in Vietnamese.
`results_import` (phase two) publishes every year and block of the rows in one transaction.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Count
from django.utils.text import slugify

from cchc_portal.lib.numbers import (
    POINT_LIMIT,
    NumberProblem,
    parse_number,
    round_score,
    shown_input,
    written_decimals,
)
from cchc_portal.lib.problems import Problem, Refused
from cchc_portal.lib.reading import Cell, open_table
from cchc_portal.lib.text import TextProblem, clean_text, name_key, normalize_name, search_key, unit_key
from scoring import ranking
from scoring.imports import upload_limits
from scoring.models import GradeScheme, Period, Result
from scoring.ranking import INDEX_PLACES, vietnamese_sort_key
from scoring.results import engine_bands
from scoring.services import Measures, result_version_seal
from units.models import Block, Unit

# Header names accepted for each field: the English ones of the documented format, and the
# Vietnamese ones of the published tables.
# The portal's own downloads (the CSV's "nam, khoi, ten_don_vi, diem…", the Excel table's "Tên đơn vị, Điểm đánh
# giá…") read back as they are.
COLUMNS = {
    "year": ("year", "năm", "nam"),
    "block": ("block", "khối", "khoi"),
    "unit_code": ("unit_code", "mã đơn vị", "ma_don_vi"),
    "unit": (
        "unit",
        "tên đơn vị",
        "đơn vị",
        "ten_don_vi",
        "cơ quan, đơn vị",
        "bộ, cơ quan ngang bộ",
        "tỉnh, thành phố",
        "địa phương",
    ),
    "score": (
        "score",
        "điểm",
        "điểm đánh giá",
        "diem",
        "tỷ lệ đạt",
        "tỷ lệ đạt (%)",
        "tỷ lệ (%)",
        "tỷ lệ",
        "chỉ số",
        "chỉ số (%)",
        "ty_le_dat",
        "chỉ số cchc",
        "chỉ số cchc (%)",
        "chỉ số cải cách hành chính",
        "chỉ số tổng hợp",
    ),
    "max_points": ("max_points", "điểm tối đa", "tổng điểm tối đa", "điểm tối đa áp dụng", "diem_toi_da"),
    "points": ("points", "điểm đạt", "điểm đạt được", "tổng điểm đạt", "tổng điểm đạt được", "diem_dat"),
    # The components of a national PAR INDEX table, printed beside its total.
    "appraised": ("appraised_points", "điểm thẩm định", "diem_tham_dinh"),
    "survey": (
        "survey_points",
        "điểm điều tra xã hội học",
        "điều tra xã hội học",
        "điểm điều tra xhh",
        "điểm đánh giá tác động",
        "diem_dieu_tra_xhh",
    ),
    "grade": ("grade", "xếp loại", "xep_loai"),
    "rank": ("rank", "vị thứ", "vi_thu", "xếp hạng", "thứ hạng"),
    "source": ("source", "nguồn", "nguon"),
    "source_title": ("source_title", "tiêu đề nguồn"),
    "source_publisher": ("source_publisher", "nơi đăng"),
    "source_date": ("source_date", "ngày đăng"),
    "source_url": ("source_url", "đường dẫn nguồn"),
    "issuer": ("issuer", "cơ quan công bố"),
    "decision_number": ("decision_number", "số quyết định"),
    "decision_date": ("decision_date", "ngày quyết định"),
    "signer": ("signer", "người ký"),
}
REQUIRED = ("year", "block", "unit")
HEADER_SCAN_ROWS = 15  # the Excel download has a title block above its header row
MAX_SCORE = Decimal(100)
SCORE_PLACES = Result._meta.get_field("total").decimal_places
UNIT_NAME_LENGTH = Unit._meta.get_field("name").max_length
GRADE_LENGTH = 100
SOURCE_LENGTH = Period._meta.get_field("source").max_length
SOURCE_TITLE_LENGTH = Period._meta.get_field("source_title").max_length
SOURCE_PUBLISHER_LENGTH = Period._meta.get_field("source_publisher").max_length
SOURCE_URL_LENGTH = Period._meta.get_field("source_url").max_length
ISSUER_LENGTH = Period._meta.get_field("issuer").max_length
CITED = (
    ("source_title", ""),
    ("source_publisher", ""),
    ("source_date", None),
    ("source_url", ""),
    ("issuer", ""),
    ("decision_number", ""),
    ("decision_date", None),
    ("signer", ""),
)
E_SOURCE_DATE = "Ngày đăng “{value}” không phải một ngày (viết ngày/tháng/năm, ví dụ 14/02/2023)."
E_SOURCE_URL = "Đường dẫn nguồn “{value}” không hợp lệ (cần bắt đầu bằng http:// hoặc https://)."

E_NO_HEADER = "Tệp không có dòng tiêu đề (dòng 1 trống)."
E_MISSING_COLUMN = (
    'thiếu cột "{column}" (dòng tiêu đề cần các cột năm, khối, tên đơn vị, điểm — hoặc year, block, unit, score; '
    "tệp CSV và Excel tải từ cổng cũng đọc được)."
)
E_NO_ROWS = "Tệp không có dòng dữ liệu nào."
E_YEAR = 'năm "{value}" không hợp lệ (cần số nguyên từ 2000 đến 2100).'
E_BLOCK = 'không có khối "{value}" (dùng mã khối — {codes} — hoặc tên khối).'
E_UNIT_EMPTY = "tên đơn vị để trống."
E_SCORE_EMPTY = "điểm để trống."
E_RANK = 'vị thứ "{value}" không phải số nguyên dương.'
E_DUPLICATE_UNIT = 'đơn vị "{value}" đã có ở dòng {first} (năm {year}, khối {block}).'
W_GRADE = 'Dòng {row}: xếp loại in trong bảng là "{given}", tính theo thang xếp loại là "{computed}"; giữ như bảng in.'
W_RANK = "Dòng {row}: vị thứ in trong bảng là {given}, tính được là {computed}; giữ như bảng in."
W_MATCHED = 'Dòng {row}: "{given}" khớp với đơn vị "{unit}" (mã {code}).'
E_SCORE_OR_POINTS = "cần cột điểm (hoặc tỷ lệ đạt), hoặc hai cột điểm tối đa và điểm đạt."
E_PERCENT = "tỷ lệ {given} khác điểm đạt ÷ điểm tối đa × 100 = {computed} (làm tròn {places} chữ số)."
E_POINTS_ABOVE = "điểm đạt {points} lớn hơn điểm tối đa {maximum}."
E_COMPONENTS = (
    "điểm thẩm định {appraised} cộng điểm điều tra xã hội học {survey} là {sum}, khác {what} {total} "
    "(bảng in làm tròn nên chỉ được lệch tới {step})."
)
E_NO_UNIT_CODE = 'không có đơn vị mã "{value}" trong khối {block}.'

E_NO_DEFAULT_SCHEME = "Chưa có thang xếp loại mặc định."
E_ALREADY_PUBLISHED_IMPORT = (
    "Năm {year}, khối {block}: kết quả đã công bố, không ghi đè. "
    'Muốn đính chính, hãy chạy lại với --correction "<lý do>".'
)
E_CORRECTION_DECISION = (
    "Năm {year}, khối {block}: bản đính chính cần số quyết định đính chính (--decision-number), ngày và người ký."
)
E_UNKNOWN_UNIT = 'không có đơn vị "{value}" trong bảng đã công bố năm {year} của khối {block}.'
E_OTHER_TABLE = (
    "dòng này thuộc năm {year}, khối {block}; tệp đính chính chỉ được có bảng năm {want_year}, khối {want_block}."
)
E_CORRECTION_OF_NOTHING = "Năm {year}, khối {block}: chưa công bố nên không có gì để đính chính."
E_CORRECTION_DECIMALS = (
    "Năm {year}, khối {block}: bản đính chính phải giữ {decimals} chữ số thập phân như bản đã công bố."
)
E_PERIOD_IN_PROGRESS = (
    "Năm {year}, khối {block}: kỳ đánh giá đang được chấm điểm trên cổng; không ghi đè bằng kết quả nhập từ tệp."
)
# Shown when the file gives no decimals at all (whole-number scores): the current published precision.
DEFAULT_DECIMALS = 3
_MIN_YEAR, _MAX_YEAR = 2000, 2100
_NUMBER_FORMAT_DECIMALS = ("0.", "#,##0.", "#.##0.")


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
    cited: dict = field(default_factory=dict)  # source_title, source_publisher, source_date, source_url
    unit_code: str = ""  # the unit's code in the portal, when the file gives it (the portal's own CSV does)
    max_points: Decimal | None = None  # as printed, when the table prints the maximum that applies
    points: Decimal | None = None  # and the points achieved
    appraised: Decimal | None = None  # the components a national table prints: appraised points
    survey: Decimal | None = None  # and the points of the sociological survey


# --- Phase one: reading ------------------------------------------------------------------------------


def place_names() -> tuple[str, ...]:
    """The province's names, which a unit's name may end with in one announcement and not in another."""
    return tuple(settings.PORTAL_PLACE_NAMES)


def shown(value: Decimal) -> str:
    return shown_input(format(value.normalize(), "f")).replace(".", ",")


def read_result_rows(source, blocks: list[Block], name: str | None = None, *, year=None, block=None) -> list[ResultRow]:
    """Read and check the whole file (a path or a binary file); raise Refused with every problem, or return
    the rows. `year` and `block` stand for the columns a file of one table may leave out (the Excel download)."""
    name = name or Path(str(source)).name
    rows = list(open_table(source, name, limits=upload_limits()).rows())
    if not rows or all(all(c.is_blank for c in cells) for _, cells in rows):
        raise Refused([E_NO_HEADER])
    given = {"year": year, "block": block.code if block is not None else None}
    number, columns = _header(rows, {field for field, value in given.items() if value is not None})
    # A row with neither a unit nor a score is not a result line: a footer, a note, a blank line.
    records = [
        (n, cells)
        for n, cells in rows
        if n > number and not all(_cell(cells, columns, field).is_blank for field in ("unit", "score"))
    ]
    checked, problems = _check_records(records, columns, blocks, given)
    if not checked and not problems:
        problems = [Problem(E_NO_ROWS)]
    if problems:
        raise Refused(problems)
    return checked


def _header(rows, given: set[str]) -> tuple[int, dict[str, tuple[int, str]]]:
    """The header row: the first of the top rows that names a unit and a score column, else the first non-blank."""
    first = None
    for number, cells in rows[:HEADER_SCAN_ROWS]:
        if all(c.is_blank for c in cells):
            continue
        first = first or (number, cells)
        header = [normalize_name(shown_input(c.value)) for c in cells]
        columns = _found_columns(header)
        if {"unit", "score"} <= set(columns):
            return number, _require(columns, given, number)
    number, cells = first
    return number, _require(_found_columns([normalize_name(shown_input(c.value)) for c in cells]), given, number)


def _cell(cells, columns, field) -> Cell:
    index = columns[field][0] if field in columns else None
    return cells[index] if index is not None and index < len(cells) else Cell(0, 0)


def _found_columns(header: list[str]) -> dict[str, tuple[int, str]]:
    wanted = {alias: field for field, aliases in COLUMNS.items() for alias in aliases}
    columns: dict[str, tuple[int, str]] = {}
    for index, title in enumerate(header):
        field = wanted.get(title.casefold())
        if field and field not in columns:
            columns[field] = (index, title)
    return columns


def _require(columns, given: set[str], row: int) -> dict[str, tuple[int, str]]:
    absent = [f for f in REQUIRED if f not in columns and f not in given]
    missing = [Problem(E_MISSING_COLUMN.format(column=f), row=row) for f in absent]
    if "score" not in columns and not {"max_points", "points"} <= set(columns):
        missing.append(Problem(E_SCORE_OR_POINTS, row=row))
    if missing:
        raise Refused(missing)
    return columns


class _Row:
    """One record being checked: its cells by field, and the problems found so far."""

    def __init__(self, number: int, cells: list[Cell], columns):
        self.number, self.columns, self.problems = number, columns, []
        self.cells = {f: cells[i] if i < len(cells) else Cell(number, i + 1) for f, (i, _) in columns.items()}

    def problem(self, field: str, message: str) -> None:
        if field not in self.columns:  # a value given for the whole file (its year, its block), not read from a cell
            self.problems.append(Problem(message, row=self.number))
            return
        index, label = self.columns[field]
        value = self.cells[field].value
        self.problems.append(Problem(message, row=self.number, column=index + 1, label=label, value=value))

    def text(self, field: str, *, label: str, max_length: int) -> str:
        if field not in self.cells:
            return ""
        try:
            return clean_text(shown_input(self.cells[field].value), max_length=max_length, label=label)
        except TextProblem as problem:
            self.problem(field, str(problem))
            return ""


def _check_records(records, columns, blocks, given=None) -> tuple[list[ResultRow], list[Problem]]:
    given = given or {}
    by_name = {}
    for block in blocks:
        by_name[block.code.casefold()] = block
        by_name[name_key(block.name)] = block
    rows, problems, seen = [], [], {}
    for number, cells in records:
        row = _Row(number, cells, columns)
        year = _parse_year(row) if "year" in columns else given["year"]
        block_text = shown_input(row.cells["block"].value) if "block" in columns else given["block"]
        block = by_name.get(name_key(block_text))
        if block is None:
            row.problem("block", E_BLOCK.format(value=block_text, codes=", ".join(b.code for b in blocks)))
        unit_name = row.text("unit", label="Tên đơn vị", max_length=UNIT_NAME_LENGTH)
        if row.cells["unit"].is_blank:
            row.problem("unit", E_UNIT_EMPTY)
        score, decimals, max_points, points = _parse_measures(row)
        appraised, survey = _parse_components(row, score, points)
        rank = _parse_rank(row) if "rank" in columns else None
        grade = row.text("grade", label="Xếp loại", max_length=GRADE_LENGTH)
        source = row.text("source", label="Nguồn", max_length=SOURCE_LENGTH)
        cited = _citation(row)
        if not row.problems:
            key = (year, block.code, unit_key(unit_name, place_names()))
            if key in seen:
                message = E_DUPLICATE_UNIT.format(value=unit_name, first=seen[key], year=year, block=block.name)
                row.problem("unit", message)
            seen.setdefault(key, number)
        problems.extend(row.problems)
        if not row.problems:
            code = row.text("unit_code", label="Mã đơn vị", max_length=64)
            rows.append(
                ResultRow(
                    number, year, block, unit_name, score, decimals, grade, rank, source, cited, code,
                    max_points, points, appraised, survey,
                )
            )  # fmt: skip
    return rows, problems


def _citation(row: _Row) -> dict:
    """Where the table was transcribed from, as the public pages cite it: title, publisher, date, link."""
    cited = {
        "source_title": row.text("source_title", label="Tiêu đề nguồn", max_length=SOURCE_TITLE_LENGTH),
        "source_publisher": row.text("source_publisher", label="Nơi đăng", max_length=SOURCE_PUBLISHER_LENGTH),
        "source_url": row.text("source_url", label="Đường dẫn nguồn", max_length=SOURCE_URL_LENGTH),
        "issuer": row.text("issuer", label="Cơ quan công bố", max_length=ISSUER_LENGTH),
        "decision_number": row.text("decision_number", label="Số quyết định", max_length=100),
        "signer": row.text("signer", label="Người ký", max_length=200),
        "decision_date": _date_cell(row, "decision_date"),
        "source_date": _date_cell(row, "source_date"),
    }
    if cited["source_url"]:
        try:
            URLValidator(schemes=["http", "https"])(cited["source_url"])
        except ValidationError:
            row.problem("source_url", E_SOURCE_URL.format(value=cited["source_url"]))
    return cited


def _date_cell(row: _Row, field: str) -> date | None:
    if field not in row.cells or row.cells[field].is_blank:
        return None
    value = row.cells[field].value
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = shown_input(value)
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    row.problem(field, E_SOURCE_DATE.format(value=text))
    return None


def _parse_year(row: _Row) -> int | None:
    value = row.cells["year"].value
    number = _whole_number(value)
    if number is None or not _MIN_YEAR <= number <= _MAX_YEAR:
        row.problem("year", E_YEAR.format(value=shown_input(value)))
        return None
    return number


PERCENT_PLACES = 2  # what a table of percentages prints when it prints none itself


def _parse_measures(row: _Row) -> tuple[Decimal | None, int, Decimal | None, Decimal | None]:
    """(score, its decimals, maximum, points): the score as printed; with a maximum and points, the percentage
    they make — checked against the printed one at its precision, or computed when none is printed."""
    maximum = _parse_decimal(row, "max_points", POINT_LIMIT) if "max_points" in row.cells else None
    points = _parse_decimal(row, "points", POINT_LIMIT) if "points" in row.cells else None
    score, decimals = _parse_score(row) if "score" in row.cells and not row.cells["score"].is_blank else (None, 0)
    if maximum is None or points is None:
        if score is None and "score" in row.columns and row.cells["score"].is_blank:
            row.problem("score", E_SCORE_EMPTY)
        elif score is None and "score" not in row.columns and not row.problems:
            row.problem("points" if "points" in row.columns else "max_points", E_SCORE_EMPTY)
        return score, decimals, maximum, points
    if points > maximum:
        row.problem("points", E_POINTS_ABOVE.format(points=shown(points), maximum=shown(maximum)))
        return None, 0, None, None
    computed = points * 100 / maximum if maximum else Decimal(0)
    if score is None:
        return round_score(computed, INDEX_PLACES), PERCENT_PLACES, maximum, points
    if round_score(computed, decimals) != score:
        text = E_PERCENT.format(given=shown(score), computed=shown(round_score(computed, decimals)), places=decimals)
        row.problem("score", text)
    return score, decimals, maximum, points


def _parse_components(row: _Row, score: Decimal | None, points: Decimal | None):
    """(appraised, survey) as printed; when both are, they must add up to the points achieved (or to the score of a
    table on the 100-point scale) within the rounding of the printed figures: one unit of their last decimal."""
    appraised = _parse_decimal(row, "appraised", POINT_LIMIT) if "appraised" in row.cells else None
    survey = _parse_decimal(row, "survey", POINT_LIMIT) if "survey" in row.cells else None
    total, what = (points, "điểm đạt") if points is not None else (score, "tổng điểm")
    if appraised is None or survey is None or total is None:
        return appraised, survey
    places = max(written_decimals(appraised), written_decimals(survey), written_decimals(total))
    step = Decimal(1).scaleb(-places)
    if abs(appraised + survey - total) > step:
        row.problem(
            "survey",
            E_COMPONENTS.format(
                appraised=shown(appraised), survey=shown(survey), sum=shown(appraised + survey), what=what,
                total=shown(total), step=shown(step),
            ),
        )  # fmt: skip
    return appraised, survey


def _parse_decimal(row: _Row, field: str, limit) -> Decimal | None:
    cell = row.cells[field]
    if cell.is_blank:
        return None
    try:
        return parse_number(cell.value, maximum=limit, places=SCORE_PLACES, limit=None)
    except NumberProblem as problem:
        row.problem(field, problem.message)
        return None


def _without_percent(value):
    """ "85,02%" and "85,02 %" as an announcement prints a percentage: the number."""
    return value.strip().removesuffix("%").rstrip() if isinstance(value, str) else value


def _parse_score(row: _Row) -> tuple[Decimal | None, int]:
    cell = row.cells["score"]
    if cell.is_blank:
        row.problem("score", E_SCORE_EMPTY)
        return None, 0
    try:
        score = parse_number(_without_percent(cell.value), maximum=MAX_SCORE, places=SCORE_PLACES, limit=None)
    except NumberProblem as problem:
        row.problem("score", problem.message)
        return None, 0
    return score, max(written_decimals(score), _format_decimals(cell.number_format))


def _format_decimals(number_format: str) -> int:
    """The decimals an Excel number format shows ("0.000" → 3), or 0."""
    for start in _NUMBER_FORMAT_DECIMALS:
        if number_format.startswith(start) and set(number_format[len(start) :]) == {"0"}:
            return len(number_format) - len(start)
    return 0


def _parse_rank(row: _Row) -> int | None:
    value = row.cells["rank"].value
    if row.cells["rank"].is_blank:
        return None
    if isinstance(value, str):  # a list printed "(13) Sở Y tế đạt 85,02%"
        value = value.strip().removeprefix("(").removesuffix(")")
    number = _whole_number(value)
    if number is None or number < 1:
        row.problem("rank", E_RANK.format(value=shown_input(value)))
        return None
    return number


def _whole_number(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = shown_input(value)
    return int(text) if text.isascii() and text.isdigit() else None


# --- Phase two: publishing ------------------------------------------------------------------------------


@dataclass
class ImportSummary:
    """What an import of published results did (or would do, on a dry run)."""

    results: int = 0
    tables: list[tuple[int, str]] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)
    units_created: int = 0
    warnings: list[str] = field(default_factory=list)
    matched: list[str] = field(default_factory=list)  # rows whose name matched a unit spelt another way


class _Matcher:
    """The units of one block as a file may name them: by code, by the name they bear, by every name they were
    published under — each compared as `unit_key` compares spellings (case, punctuation, spacing, the province
    named at the end)."""

    def __init__(self, block: Block):
        self.block, self.places = block, place_names()
        units = list(Unit.objects.filter(block=block))
        self.by_code = {u.code: u for u in units}
        self.by_key: dict[str, Unit] = {}
        published = Result.objects.filter(unit__block=block).values_list("unit_id", "unit_name").distinct()
        by_pk = {u.pk: u for u in units}
        for unit_id, name in published:
            self.by_key.setdefault(unit_key(name, self.places), by_pk[unit_id])
        for unit in units:  # today's name wins over an old one
            self.by_key[unit_key(unit.name, self.places)] = unit
        self.new: dict[str, str] = {}  # key -> the name a unit to create will bear

    def find(self, row: ResultRow) -> Unit | None:
        if row.unit_code:
            return self.by_code.get(row.unit_code)
        return self.by_key.get(unit_key(row.unit_name, self.places))

    def key(self, row: ResultRow) -> str:
        unit = self.find(row)
        return unit.code if unit else "+" + unit_key(row.unit_name, self.places)


@transaction.atomic
def results_import(
    *,
    rows: list[ResultRow],
    partial: bool = False,
    decimals: int | None = None,
    correction: str = "",
    skip_published: bool = False,
    dry_run: bool = False,
    by=None,
    decision_number: str = "",
    decision_date=None,
    signer: str = "",
    tie_rule: str = ranking.TIE_SHOWN,
    basis: str | None = None,
    scheme: GradeScheme | None = None,
) -> ImportSummary:
    """Publish the results of every year and block in `rows`, all or nothing, as the announcement printed them:
    its grades and ranks are the record (the engine's are a check, reported as warnings), its maximum and points
    where it printed them. A new table takes `tie_rule`, `basis` (by default: percent when the file gives maxima)
    and `scheme` (by default the default grade scale).

    A table already published is never overwritten: it is refused, skipped (`skip_published`), or
    published again as a correction — a new version with its reason — when `correction` is given.
    """
    scheme = scheme or GradeScheme.objects.prefetch_related("bands").filter(is_default=True).first()
    if scheme is None:
        raise ValidationError(E_NO_DEFAULT_SCHEME)
    groups: dict[tuple[int, Block], list[ResultRow]] = defaultdict(list)
    for row in rows:
        groups[(row.year, row.block)].append(row)
    periods = _existing_periods(groups)
    summary, plans, errors = ImportSummary(), [], []
    matchers = {block.pk: _Matcher(block) for _, block in groups}
    for (year, block), group in sorted(groups.items(), key=lambda item: (item[0][0], item[0][1].sort_order)):
        period = periods.get((year, block.pk))
        published = period is not None and period.is_public
        if published and skip_published and not correction:
            summary.skipped.append((year, block.name))
            continue
        matcher = matchers[block.pk]
        problem = (
            _import_problem(period, published, correction, decimals, year, block)
            or (_correction_problem(period, decision_number, year, block) if published and correction.strip() else "")
            or _unknown_codes(group, matcher)
        )
        if problem:
            errors.append(problem)
            continue
        places = (
            period.published_decimals
            if published
            else (decimals if decimals is not None else (max(r.decimals for r in group) or DEFAULT_DECIMALS))
        )
        rules = (
            {"decimals": places, "bands": engine_bands(period.grade_scheme), "tie": period.tie_rule}
            if published
            else {"decimals": places, "bands": engine_bands(scheme), "tie": tie_rule}
        )
        keys = {r.row: matcher.key(r) for r in group}  # the unit's code, or "+" and its key for a unit to create
        table = ranking.rank_entries(
            [ranking.Entry(key=keys[r.row], name=r.unit_name, total=r.score) for r in group], **rules
        )
        summary.warnings.extend(_disagreements(group, table, keys))
        summary.matched.extend(_matches(group, matcher))
        summary.tables.append((year, block.name))
        summary.results += len(group)
        summary.units_created += sum(1 for r in group if matcher.find(r) is None)
        plans.append((year, block, group, places, table, period, keys))
    if errors:
        raise ValidationError(errors)
    if not dry_run:
        for year, block, group, places, table, period, keys in plans:
            matcher = matchers[block.pk]
            units = _units_for(block, group, keys, matcher)
            if period is None or not period.is_public:
                kind = basis or (Period.Basis.PERCENT if any(r.max_points is not None for r in group) else None)
                period = _publish_period(year, block, group, places, scheme, partial, tie_rule, kind)
            keyed = {keys[r.row]: r for r in group}
            result_version_seal(
                period=period,
                rows=[(units[row.key].pk, row) for row in table],
                by=by,
                reason=correction.strip(),
                decision_number=decision_number.strip() if correction.strip() else "",
                decision_date=decision_date if correction.strip() else None,
                signer=signer.strip() if correction.strip() else "",
                measures={units[k].pk: _measures(r) for k, r in keyed.items()},
                # A table transcribed as printed keeps its printed grades and ranks; a correction's table is the
                # portal's, computed from the corrected scores (the file's other columns are the old table's).
                printed={}
                if correction.strip()
                else _printed(keyed, units),
            )
    return summary


def _measures(row: ResultRow) -> Measures:
    """What the table printed beside the total; points are kept only beside a maximum (a table of percentages)."""
    with_maximum = row.max_points is not None
    return Measures(row.max_points, row.points if with_maximum else None, row.appraised, row.survey)


def _printed(keyed: dict, units: dict) -> dict:
    """Unit id -> (grade, rank) as the table printed them: a grade of "" where the table printed no grades at all (it
    is shown without them), None where one row left it blank (the engine's stands in); a rank, or None."""
    graded = any(r.grade for r in keyed.values())
    return {units[k].pk: ((r.grade or None) if graded else "", r.rank) for k, r in keyed.items()}


def _unknown_codes(group, matcher: _Matcher) -> str:
    unknown = [r for r in group if r.unit_code and r.unit_code not in matcher.by_code]
    return "; ".join(
        f"Dòng {r.row}: " + E_NO_UNIT_CODE.format(value=r.unit_code, block=matcher.block.name) for r in unknown
    )


def _matches(group, matcher: _Matcher) -> list[str]:
    """The rows whose name is another spelling of a unit the portal has (said in the preview, "khớp với …")."""
    found = []
    for r in group:
        unit = matcher.find(r)
        if unit is not None and name_key(unit.name) != name_key(r.unit_name):
            found.append(W_MATCHED.format(row=r.row, given=r.unit_name, unit=unit.name, code=unit.code))
    return found


def _existing_periods(groups) -> dict[tuple[int, int], Period]:
    years = {year for year, _ in groups}
    periods = (
        Period.objects.filter(year__in=years)
        .select_related("grade_scheme")
        .prefetch_related("grade_scheme__bands")
        .annotate(score_count=Count("scores"))
    )
    return {(p.year, p.block_id): p for p in periods}


def _import_problem(period, published, correction, decimals, year, block) -> str:
    if published and not correction.strip():
        return E_ALREADY_PUBLISHED_IMPORT.format(year=year, block=block.name)
    if correction.strip() and not published:
        return E_CORRECTION_OF_NOTHING.format(year=year, block=block.name)
    if published and decimals is not None and decimals != period.published_decimals:
        return E_CORRECTION_DECIMALS.format(year=year, block=block.name, decimals=period.published_decimals)
    if period is not None and not published and period.score_count:
        return E_PERIOD_IN_PROGRESS.format(year=year, block=block.name)
    return ""


def _correction_problem(period, decision_number: str, year, block) -> str:
    """A correction from a file is for a table transcribed from an announcement, with its own decision; a table the
    portal computed is corrected point by point (scoring/corrections.py), one correction at a time."""
    from scoring.corrections import E_DRAFT_OPEN, E_SCORED_PERIOD, draft_of, is_scored

    if is_scored(period):
        return E_SCORED_PERIOD.format(year=year, block=block.name)
    if (draft := draft_of(period)) is not None:
        return E_DRAFT_OPEN.format(number=draft.correction_number, at=draft.published_at.strftime("%H:%M %d/%m/%Y"))
    if not decision_number.strip():
        return E_CORRECTION_DECISION.format(year=year, block=block.name)
    return ""


def match_units(period: Period, rows: list[ResultRow]) -> dict[int, Unit]:
    """Row number -> the unit of the period's published table each row of a correction names: by its code when the
    file gives one (the portal's CSV does), else by the name it was published under or its name today. Refused,
    naming every row, when a row is of another table or names no unit of the table."""
    current = Result.objects.filter(period=period, version__is_current=True).select_related("unit")
    by_code, by_name = {}, {}
    for result in current:
        by_code[result.unit.code] = result.unit
        by_name[name_key(result.unit_name)] = by_name[name_key(result.unit.name)] = result.unit
    found, problems = {}, []
    for row in rows:
        if (row.year, row.block.pk) != (period.year, period.block_id):
            problems.append(
                Problem(
                    E_OTHER_TABLE.format(
                        year=row.year,
                        block=row.block.name,
                        want_year=period.year,
                        want_block=period.block.name,
                    ),
                    row=row.row,
                )
            )
            continue
        unit = by_code.get(row.unit_code) if row.unit_code else by_name.get(name_key(row.unit_name))
        if unit is None:
            value = row.unit_code or row.unit_name
            text = E_UNKNOWN_UNIT.format(value=value, year=period.year, block=period.block.name)
            problems.append(Problem(text, row=row.row, label="unit", value=value))
            continue
        found[row.row] = unit
    if problems:
        raise Refused(problems)
    return found


def _disagreements(group: list[ResultRow], table: list[ranking.Ranked], keys: dict) -> list[str]:
    """Where the printed grade or rank differs from the engine's: kept as printed, said as a warning."""
    computed = {row.key: row for row in table}
    warnings = []
    for r in group:
        row = computed[keys[r.row]]
        if r.grade and name_key(r.grade) != name_key(row.band.label):
            warnings.append(W_GRADE.format(row=r.row, given=r.grade, computed=row.band.label))
        if r.rank is not None and r.rank != row.rank:
            warnings.append(W_RANK.format(row=r.row, given=r.rank, computed=row.rank))
    return warnings


def _units_for(block, group, keys: dict, matcher: _Matcher) -> dict[str, Unit]:
    """Key -> unit of every row, creating (in one query) the units the portal does not have yet."""
    units, new = {}, {}
    for r in group:
        unit = matcher.find(r)
        if unit is not None:
            units[keys[r.row]] = unit
        else:
            new.setdefault(keys[r.row], r.unit_name)
    if new:
        codes = set(Unit.objects.values_list("code", flat=True))
        created = []
        for key, name in new.items():
            code = _new_unit_code(block, name, codes)
            codes.add(code)
            keys = {"sort_key": vietnamese_sort_key(name), "search_name": search_key(name)}
            created.append((key, Unit(code=code, name=name, block=block, **keys)))
        Unit.objects.bulk_create([unit for _, unit in created])
        for key, unit in created:
            units[key] = unit
            matcher.by_code[unit.code] = unit
            matcher.by_key[key.removeprefix("+")] = unit
    return units


def _publish_period(year, block, group, places, scheme, partial, tie_rule, basis) -> Period:
    period, _ = Period.objects.update_or_create(
        year=year,
        block=block,
        defaults={
            "status": Period.Status.PUBLISHED,
            "grade_scheme": scheme,
            "tie_rule": tie_rule,
            "basis": basis or Period.Basis.POINTS,
            "published_decimals": places,
            "is_partial": partial,
            "is_demo": False,
            "source": next((r.source for r in group if r.source), ""),
            **{key: next((r.cited[key] for r in group if r.cited.get(key)), default) for key, default in CITED},
        },
    )
    return period


def _new_unit_code(block: Block, name: str, taken: set[str]) -> str:
    base = slugify(name.replace("đ", "d").replace("Đ", "D"))[:56] or block.code
    code, n = base, 1
    while code in taken:
        n += 1
        code = f"{base}-{n}"
    return code
