"""Reading a period's points and turning them into figures: the one way every page, workbook and answer gets a
unit's area points, totals, grade and rank (`scoring.figures` computes; this module reads).

The points a published period counts are its scores as appraised, with the corrections (đính chính) of its
published versions laid over them: a correction never edits a score in place.
"""

from collections.abc import Iterable

from scoring import ranking
from scoring.figures import Figures, Points, Standing, standings, unit_figures
from scoring.models import Criterion, GradeScheme, Period, Score
from scoring.tree import CriteriaTree


def engine_bands(scheme: GradeScheme) -> tuple[ranking.Band, ...]:
    """A grade scheme's bands as the engine takes them (one query, none when prefetched)."""
    return tuple(ranking.Band(code=b.code, label=b.label, lower_bound=b.lower_bound) for b in scheme.bands.all())


def points_of(period: Period, unit_ids: Iterable[int] | None = None) -> dict[int, dict[int, Points]]:
    """unit id -> leaf id -> the points that count (one query), for some units or all of them."""
    scores = Score.objects.filter(period=period).order_by()
    if unit_ids is not None:
        scores = scores.filter(unit_id__in=list(unit_ids))
    found: dict[int, dict[int, Points]] = {}
    for unit_id, criterion_id, own, appraised, na in scores.values_list(
        "unit_id", "criterion_id", "self_points", "appraised_points", "not_applicable"
    ):
        found.setdefault(unit_id, {})[criterion_id] = Points(own, appraised, na)
    return found


def figures_of(period: Period, tree: CriteriaTree, unit_id: int) -> Figures:
    """One unit's figures in a period."""
    return unit_figures(tree, points_of(period, [unit_id]).get(unit_id, {}))


def period_standings(
    period: Period, units: list[tuple[int, str]], tree: CriteriaTree | None = None, points=None
) -> dict[int, Standing]:
    """Every unit's figures, and the grade and rank of those complete, as publishing now would give them."""
    tree = tree if tree is not None else Criterion.objects.tree_of(period.criteria_set_id)
    points = points if points is not None else points_of(period)
    figures = [(pk, name, unit_figures(tree, points.get(pk, {}))) for pk, name in units]
    bands = engine_bands(GradeScheme(pk=period.grade_scheme_id))
    return standings(figures, decimals=period.published_decimals, bands=bands)
