"""The published tables as the pages, the Excel file and the API all read them."""

from dataclasses import dataclass

from django.http import Http404

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


def published_table_or_404(year: int, block: str) -> PublishedTable:
    """The table for a published year and block in one query; 404 for anything else."""
    rows = list(Result.objects.published().for_block(year, block))
    if not rows:
        raise Http404("Chưa có kết quả được công bố cho năm và khối này.")
    return PublishedTable(period=rows[0].period, rows=rows)
