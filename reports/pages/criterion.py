"""A criterion's public page: how the units of a published, portal-scored year scored on it."""

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from reports.pages import NotPublished
from scoring.models import Criterion, Period, Result
from scoring.results import points_of

ZERO = Decimal(0)


@dataclass
class CriterionPage:
    period: Period
    criterion: Criterion
    children: list[Criterion]
    count: int
    average: Decimal | None
    full_marks: int
    distribution: list[tuple[Decimal, int]]  # points → units, highest first
    top: list[tuple[str, str, Decimal]]  # (unit name as published, unit code, points)
    bottom: list[tuple[str, str, Decimal]]


def criterion_page(year: int, block: str, code: str) -> CriterionPage:
    """How the units of a published, portal-scored year scored on one criterion (a leaf, or an area or group as
    the sum of its leaves), from the points that count (corrections included)."""
    period = Period.objects.published().filter(year=year, block__code=block, criteria_set__isnull=False).first()
    if period is None:
        raise NotPublished("Không có bộ tiêu chí của năm và khối này trên cổng.")
    tree = Criterion.objects.tree_of(period.criteria_set_id)
    criterion = tree.find(code)
    if criterion is None:
        raise NotPublished("Không có tiêu chí này.")
    lines = _unit_points(period, [leaf.pk for leaf in tree.leaves_under(criterion)])
    values = [points for _, _, points in lines]
    counts = Counter(values)
    return CriterionPage(
        period=period,
        criterion=criterion,
        children=tree.children(criterion),
        count=len(values),
        average=sum(values, ZERO) / len(values) if values else None,
        full_marks=sum(1 for v in values if v >= criterion.max_points),
        distribution=sorted(counts.items(), key=lambda item: -item[0]),
        top=lines[:5],
        bottom=list(reversed(lines[-5:])) if len(lines) > 5 else [],
    )


def _unit_points(period: Period, leaves: list[int]) -> list[tuple[str, str, Decimal]]:
    """(unit name as published, unit code, points on the leaves) of each unit of the published table that was
    given points there, highest first."""
    published = {
        unit_id: (name, unit_code)
        for unit_id, name, unit_code in Result.objects.published()
        .filter(period=period)
        .values_list("unit_id", "unit_name", "unit__code")
    }  # only units of the published table
    lines = []
    for unit_id, found in points_of(period, list(published), criteria=leaves).items():
        given = [p.appraised for p in found.values() if not p.not_applicable and p.appraised is not None]
        if given and unit_id in published:
            lines.append((*published[unit_id], sum(given, ZERO)))
    lines.sort(key=lambda x: (-x[2], x[0]))
    return lines
