"""The ranking page, and the published tables as the pages, the Excel file, the CSV and the API all read them.

A table's rows are plain tuples of the printed columns (`Line`), read with one `values_list` query: a national
commune table has 3,321 rows, and building model instances for them cost more than the query itself.
"""

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import NamedTuple

from django.urls import reverse

from cchc_portal.lib.numbers import show, vn_number
from reports import succession
from reports.pages import NotPublished
from scoring.models import PUBLIC_STATUSES, Period, ResultVersion
from units.models import Block

TITLE = "Kết quả đánh giá, xếp loại công tác cải cách hành chính của {phrase} năm {year}"


class Line(NamedTuple):
    """A unit's published line, as printed."""

    unit_id: int
    code: str
    unit_name: str
    total: Decimal
    grade: str
    grade_code: str
    rank: int
    position: int
    max_points: Decimal | None = None
    points: Decimal | None = None
    appraised_points: Decimal | None = None
    survey_points: Decimal | None = None


LINE_FIELDS = (
    "unit_id", "unit__code", "unit_name", "total", "grade", "grade_code", "rank", "position", "max_points", "points",
    "appraised_points", "survey_points",
)  # fmt: skip


class MeasureColumn(NamedTuple):
    """A column an announcement printed beside the score: its header, the `Line` field it shows, and whether it is
    printed at the table's decimals (the parts of a score, "28,10") or as written (a maximum of "71,5")."""

    label: str
    field: str
    at_table_decimals: bool = False


MAXIMUM_AND_POINTS = (MeasureColumn("Điểm tối đa", "max_points"), MeasureColumn("Điểm đạt", "points"))
COMPONENTS = (
    MeasureColumn("Điểm thẩm định", "appraised_points", True),
    MeasureColumn("Điểm điều tra XHH", "survey_points", True),
)


def lines_of(version: ResultVersion) -> list[Line]:
    return [Line(*values) for values in version.results.order_by("position").values_list(*LINE_FIELDS)]


class PastLine(NamedTuple):
    """A unit's line in the table a year is compared with: what the comparison reads of it (reports/succession.py),
    and no more: half the columns of a `Line`, and half the time to read a national table's."""

    unit_id: int
    unit_name: str
    total: Decimal
    rank: int
    position: int


def past_lines_of(version: ResultVersion) -> list[PastLine]:
    return [PastLine(*values) for values in version.results.order_by("position").values_list(*PastLine._fields)]


@dataclass(frozen=True)
class PublishedTable:
    """One published ranking table: its period, the version shown and its rows in printed order."""

    period: Period
    version: ResultVersion
    rows: list[Line]

    @property
    def block(self) -> Block:
        return self.period.block

    @property
    def block_name(self) -> str:
        """The block as the table was published (a later rename changes no table)."""
        return self.version.block_name

    @property
    def title(self) -> str:
        return TITLE.format(phrase=self.version.block_phrase, year=self.period.year)

    @property
    def decimals(self) -> int:
        return self.period.published_decimals

    @cached_property
    def measure_columns(self) -> tuple[MeasureColumn, ...]:
        """The columns the announcement printed before the score, in its order: the maximum that applies and the
        points achieved (a period whose basis is the percentage, with the figures there), then the appraised and
        the survey parts of the score (an index that publishes them, as the national PAR INDEX does)."""
        columns = ()
        if self.period.basis == Period.Basis.PERCENT and any(r.max_points is not None for r in self.rows):
            columns += MAXIMUM_AND_POINTS
        columns += tuple(c for c in COMPONENTS if any(getattr(r, c.field) is not None for r in self.rows))
        return columns

    @property
    def shows_grades(self) -> bool:
        """False for a table transcribed from an announcement that printed no grades: shown as it was printed."""
        return any(r.grade for r in self.rows)

    @property
    def score_label(self) -> str:
        return "Tỷ lệ đạt (%)" if self.period.basis == Period.Basis.PERCENT else "Điểm đánh giá"

    @property
    def source_line(self) -> str:
        """Where the table comes from, as every format prints it: the period's decision or announcement, and for a
        correction the decision that corrected it ("…; đính chính theo Quyết định số 99/QĐ-UBND ngày …")."""
        return source_line(self.period, self.version)


def source_line(period: Period, version: ResultVersion) -> str:
    line = period.source_line
    if version.is_correction and version.decision_line:
        decision = version.decision_line
        corrected = f"Đính chính lần {version.number - 1} theo {decision[0].lower()}{decision[1:]}."
        line = f"{line} {corrected}".strip()
    return line


class DisplayRow(NamedTuple):
    """One row of a table, formatted once: what the downloads, the API and a version's page print, nothing to
    compute. A tuple rather than a frozen dataclass: a national table makes 3,321 of them, and a frozen dataclass
    sets each field the slow way."""

    position: int
    unit_name: str
    unit_url: str
    score: str
    grade: str
    grade_code: str
    rank: int
    unit_code: str = ""
    change: succession.Change | None = None
    score_change: str = ""
    measures: tuple[str, ...] = ()  # the table's measure columns, formatted (PublishedTable.measure_columns)


def unit_url_prefix() -> str:
    """The address of a unit's page without its code: one reverse() for a whole table (3,321 rows)."""
    return reverse("reports:unit_history", args=["-"])[:-2]


def measure_text(value, column: MeasureColumn, decimals: int) -> str:
    """A measure column's cell: at the table's decimals or as written, nothing for nothing."""
    if value is None:
        return ""
    return vn_number(value, decimals) if column.at_table_decimals else show(value)


def display_rows(table: PublishedTable, changes: dict | None = None) -> list[DisplayRow]:
    prefix = unit_url_prefix()
    changes = changes or {}
    decimals = table.decimals
    columns = table.measure_columns
    rows = []
    for r in table.rows:
        change = changes.get(r.unit_id)
        rows.append(
            DisplayRow(
                r.position,
                r.unit_name,
                f"{prefix}{r.code}/",
                vn_number(r.total, decimals),
                r.grade,
                r.grade_code,
                r.rank,
                r.code,
                change,
                change.score_text(decimals) if change else "",
                tuple(measure_text(getattr(r, column.field), column, decimals) for column in columns),
            )
        )
    return rows


@dataclass(frozen=True)
class PreviousTable:
    """The table of the latest published year before a page's: the units compared with, in printed order."""

    period: Period
    version: ResultVersion
    rows: list[PastLine]

    @property
    def decimals(self) -> int:
        return self.period.published_decimals


@dataclass(frozen=True)
class RankingPage:
    """A published table with what the ranking page adds: each unit against the previous published year of
    the block (following mergers and renames), and how many units got each grade."""

    table: PublishedTable
    previous: PreviousTable | None
    changes: dict[int, succession.Change] = field(default_factory=dict)  # by unit id, when there is a previous year
    grade_counts: list[tuple[str, str, int]] = field(default_factory=list)  # (code, label, count)

    @cached_property
    def rows(self) -> list[DisplayRow]:
        """The table's rows formatted, for the downloads and the API (the HTML page prints its body from the table
        and the changes: reports/html.py)."""
        return display_rows(self.table, self.changes)


def ranking_page(year: int, block: str) -> RankingPage:
    """The ranking page in five queries whatever the number of units: the table, the previous year, its
    table, and the succession links."""
    table = current_table(year, block)
    previous = previous_table(table)
    changes = {}
    if previous is not None:
        links = succession.predecessors_of([table.block.pk])
        lines = {r.unit_id: r for r in previous.rows}
        then, decimals, partial = previous.period.year, (table.decimals, previous.decimals), previous.period.is_partial
        compare = succession.compare
        for r in table.rows:
            changes[r.unit_id] = compare(r, lines, links, year=then, decimals=decimals, partial=partial)
    return RankingPage(table, previous, changes, grade_counts(table.rows))


def grade_counts(rows) -> list[tuple[str, str, int]]:
    """(code, label, count) of each grade in the table, best grade first (the order ranks meet them)."""
    rows = [r for r in rows if r.grade]  # a table printed without grades has no counts to give
    counts = Counter((r.grade_code, r.grade) for r in rows)
    order = list(dict.fromkeys((r.grade_code, r.grade) for r in sorted(rows, key=lambda r: r.rank)))
    return [(code, label, counts[(code, label)]) for code, label in order]


def _current_versions():
    return ResultVersion.objects.filter(
        is_current=True, period__status__in=PUBLIC_STATUSES, period__is_demo=False
    ).select_related("period__block")


def previous_table(table: PublishedTable) -> PreviousTable | None:
    """The block's table of the latest published year before this one (two queries), or None."""
    version = (
        _current_versions()
        .filter(period__block_id=table.period.block_id, period__year__lt=table.period.year)
        .order_by("-period__year")
        .first()
    )
    return PreviousTable(version.period, version, past_lines_of(version)) if version else None


def current_table(year: int, block: str) -> PublishedTable:
    """The current table for a published year and block in two queries; `NotPublished` for anything else."""
    version = _current_versions().filter(period__year=year, period__block__code=block).first()
    rows = lines_of(version) if version else []
    if not rows:
        raise NotPublished("Chưa có kết quả được công bố cho năm và khối này.")
    return PublishedTable(version.period, version, rows)


def versions_of(period: Period) -> list[ResultVersion]:
    """Every sealed publication of the period, first to latest (corrections after the original)."""
    return list(period.versions.filter(sealed=True).order_by("number"))  # each knows its period: no query per line


@dataclass(frozen=True)
class ChangedRow:
    """A unit whose published line differs between two versions."""

    unit_name: str
    old: DisplayRow | None
    new: DisplayRow | None


def version_tables(year: int, block: str, number: int) -> tuple[PublishedTable, PublishedTable | None]:
    """A past or current version, and the one before it; `NotPublished` when there is no such version."""
    versions = {
        v.number: v
        for v in ResultVersion.objects.filter(
            sealed=True,
            period__status__in=PUBLIC_STATUSES,
            period__is_demo=False,
            period__year=year,
            period__block__code=block,
            number__in=[number, number - 1],
        ).select_related("period__block")
    }
    if number not in versions:
        raise NotPublished("Không có lần công bố này.")
    shown, before = versions[number], versions.get(number - 1)
    return (
        PublishedTable(shown.period, shown, lines_of(shown)),
        PublishedTable(before.period, before, lines_of(before)) if before else None,
    )


def changes_between(old: PublishedTable, new: PublishedTable) -> list[ChangedRow]:
    """What a correction changed: units added, removed, or with another score, grade or rank."""
    before = {row.unit_url: row for row in display_rows(old)}
    after = {row.unit_url: row for row in display_rows(new)}
    changed = []
    for url in [*after, *(u for u in before if u not in after)]:
        a, b = before.get(url), after.get(url)
        if a is None or b is None or (a.score, a.grade, a.rank) != (b.score, b.grade, b.rank):
            changed.append(ChangedRow((b or a).unit_name, a, b))
    return changed
