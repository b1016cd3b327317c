"""The published tables as the pages, the Excel file and the API all read them."""

from dataclasses import dataclass

from django.http import Http404
from django.urls import reverse

from cchc_portal.lib.numbers import vn_number
from scoring.models import Period, Result, ResultVersion
from units.models import Block

TITLE = "Kết quả đánh giá, xếp loại công tác cải cách hành chính của {phrase} năm {year}"


@dataclass(frozen=True)
class PublishedTable:
    """One published ranking table: its period, the version shown and its rows in printed order."""

    period: Period
    rows: list[Result]

    @property
    def version(self) -> ResultVersion:
        return self.rows[0].version

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


@dataclass(frozen=True)
class DisplayRow:
    """One row of the HTML table, formatted once: what the template prints, nothing to compute."""

    position: int
    unit_name: str
    unit_url: str
    score: str
    grade: str
    grade_code: str
    rank: int


def display_rows(table: PublishedTable) -> list[DisplayRow]:
    # One reverse() for the whole table: a national commune table has 3,321 rows.
    prefix = reverse("reports:unit_history", args=["-"])[:-2]
    return [
        DisplayRow(
            r.position,
            r.unit_name,
            f"{prefix}{r.unit.code}/",
            vn_number(r.total, table.decimals),
            r.grade,
            r.grade_code,
            r.rank,
        )
        for r in table.rows
    ]


def published_table_or_404(year: int, block: str) -> PublishedTable:
    """The current table for a published year and block in one query; 404 for anything else."""
    rows = list(Result.objects.published().for_block(year, block))
    if not rows:
        raise Http404("Chưa có kết quả được công bố cho năm và khối này.")
    return PublishedTable(period=rows[0].period, rows=rows)


def versions_of(period: Period) -> list[ResultVersion]:
    """Every sealed publication of the period, first to latest (corrections after the original)."""
    return list(ResultVersion.objects.filter(period=period, sealed=True).order_by("number"))


@dataclass(frozen=True)
class ChangedRow:
    """A unit whose published line differs between two versions."""

    unit_name: str
    old: DisplayRow | None
    new: DisplayRow | None


def version_or_404(year: int, block: str, number: int) -> tuple[PublishedTable, PublishedTable | None]:
    """A past or current version, and the one before it, in one query; 404 when there is no such version."""
    rows = list(
        Result.objects.published_versions().for_block(year, block).filter(version__number__in=[number, number - 1])
    )
    shown = [r for r in rows if r.version.number == number]
    if not shown:
        raise Http404("Không có lần công bố này.")
    before = [r for r in rows if r.version.number == number - 1]
    return (
        PublishedTable(period=shown[0].period, rows=shown),
        PublishedTable(period=before[0].period, rows=before) if before else None,
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
