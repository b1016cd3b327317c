"""Two published years of a block side by side, following successions (the comparison page)."""

from dataclasses import dataclass

from cchc_portal.lib.numbers import vn_number
from reports.comparison import comparison
from reports.pages import NotPublished
from scoring.models import Period
from units.models import Block, Unit


@dataclass
class ComparedRow:
    unit_name: str
    unit_code: str
    first: tuple | None  # (score text, grade, rank)
    last: tuple | None
    rank_change: int | None
    notes: list[str]


@dataclass
class ComparisonPage:
    block: Block
    years: list[int]  # every published year of the block, for the choice
    first: int | None
    last: int | None
    rows: list[ComparedRow]
    improved: list[ComparedRow]
    fell: list[ComparedRow]
    partial: list[int]
    replaced: str = ""  # why the years shown are not the years asked for


def comparison_page(block_code: str, first: int | None, last: int | None) -> ComparisonPage:
    """Two published years of a block side by side (default: the latest two), following successions."""
    block = Block.objects.filter(code=block_code).first()
    if block is None:
        raise NotPublished("Không có khối này.")
    years = sorted(set(Period.objects.published().filter(block=block).values_list("year", flat=True)))
    if not years:
        raise NotPublished("Khối này chưa có năm nào được công bố.")
    first, last, replaced = chosen_years(years, first, last)
    report = comparison(block, [y for y in (first, last) if y is not None])
    codes = dict(Unit.objects.filter(block=block).values_list("name", "code"))
    rows = [_compared(row, report, first, last, codes) for row in report.rows]
    moved = [r for r in rows if r.rank_change]
    return ComparisonPage(
        block,
        years,
        first,
        last,
        rows,
        improved=sorted((r for r in moved if r.rank_change > 0), key=lambda r: -r.rank_change)[:5],
        fell=sorted((r for r in moved if r.rank_change < 0), key=lambda r: r.rank_change)[:5],
        partial=report.partial_years,
        replaced=replaced,
    )


def chosen_years(years: list[int], first: int | None, last: int | None) -> tuple[int | None, int, str]:
    """The two years shown for the years asked (the latest two by default) among the published `years`, and why
    they differ from the years asked, if they do."""
    asked = (first, last)
    last = last if last in years else years[-1]
    earlier = [y for y in years if y < last]
    first = first if first in earlier else (earlier[-1] if earlier else None)
    if all(year is None for year in asked) or asked == (first, last):
        return first, last, ""
    missing = [str(y) for y in asked if y is not None and y not in years]
    reason = f"Năm {', '.join(missing)} chưa có bảng công bố của khối này" if missing else "Cần hai năm khác nhau"
    shown = f"năm {last} so với năm {first}" if first else f"năm {last}"
    return first, last, f"{reason}; đang hiện {shown}. Các năm đã công bố: {', '.join(map(str, years))}."


def _compared(row, report, first: int | None, last: int, codes: dict[str, str]) -> ComparedRow:
    shown = []
    for year in (first, last):
        found = row.cells.get(year)
        shown.append((vn_number(found.total, report.decimals[year]), found.grade, found.rank) if found else None)
    change = row.change(first, last) if first is not None else None
    return ComparedRow(row.unit_name, codes.get(row.unit_name, ""), shown[0], shown[1], change, row.notes)
