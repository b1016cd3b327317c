"""The published tables as the pages, the Excel file and the API all read them."""

from dataclasses import dataclass

from django.http import Http404
from django.urls import reverse

from reports.formatting import vn_number
from scoring.models import Period, Result
from units.models import Block

TITLE = "Kết quả đánh giá, xếp loại công tác cải cách hành chính của {phrase} năm {year}"


@dataclass(frozen=True)
class PublishedTable:
    """One published ranking table: its period and its rows in printed order."""

    period: Period
    rows: list[Result]

    @property
    def block(self) -> Block:
        return self.period.block

    @property
    def title(self) -> str:
        return TITLE.format(phrase=self.block.title_phrase, year=self.period.year)

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
            r.unit.name,
            f"{prefix}{r.unit.code}/",
            vn_number(r.total, table.decimals),
            r.grade,
            r.grade_code,
            r.rank,
        )
        for r in table.rows
    ]


def published_table_or_404(year: int, block: str) -> PublishedTable:
    """The table for a published year and block in one query; 404 for anything else."""
    rows = list(Result.objects.published().for_block(year, block))
    if not rows:
        raise Http404("Chưa có kết quả được công bố cho năm và khối này.")
    return PublishedTable(period=rows[0].period, rows=rows)
