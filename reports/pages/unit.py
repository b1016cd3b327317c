"""A unit's public page (and its API answer): its lineage, every published year with the change from the year
before (following its predecessors), and for the years scored in the portal its areas against the block's average
and its weakest criteria."""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count

from cchc_portal.lib.numbers import vn_number
from reports import succession
from reports.pages import NotPublished, trees_of
from scoring.figures import NO_POINTS, unit_figures
from scoring.models import Period, Result
from scoring.results import leaf_averages, unit_points
from scoring.tree import DEDUCTION, SCORED, CriteriaTree
from units.models import Unit

ZERO = Decimal(0)


@dataclass
class HistoryLine:
    """One published year of a unit: its line, the size of the table and the change from the year before."""

    result: Result
    table_size: int
    change: succession.Change | None = None

    @property
    def score(self) -> str:
        return vn_number(self.result.total, self.result.period.published_decimals)


@dataclass
class AreaLine:
    """An area (or the bonus or deduction group) of a scored year: the unit's points against the block's average,
    signed as they count (a deduction subtracts), so "Chênh lệch" reads the same way on every line."""

    code: str
    title: str
    maximum: Decimal
    points: Decimal | None
    block_average: Decimal | None
    kind: str = SCORED

    @property
    def difference(self) -> Decimal | None:
        if self.points is None or self.block_average is None:
            return None
        return self.points - self.block_average


@dataclass
class WeakCriterion:
    code: str
    title: str
    maximum: Decimal
    points: Decimal
    block_average: Decimal
    previous: Decimal | None  # the unit's own points on the same code the year before, when scored here


@dataclass
class ScoredYear:
    """A year the portal scored: the unit's points by area against the block's average, its weakest leaves, and its
    total from the same figures (the published total, corrections included)."""

    period: Period
    areas: list[AreaLine]
    weakest: list[WeakCriterion]
    total: Decimal | None = None
    index_note: bool = False  # some criterion does not apply: the total is the areas' points over 100


@dataclass
class UnitPage:
    unit: Unit
    history: list[HistoryLine]
    published_names: list[str]
    scored: list[ScoredYear]

    @property
    def has_partial(self) -> bool:
        return any(h.result.period.is_partial for h in self.history)

    @property
    def chart_lines(self) -> list[HistoryLine]:
        """Oldest first, one block (the unit's current one) so score and rank compare."""
        return [h for h in reversed(self.history) if h.result.period.block_id == self.unit.block_id]


def unit_page(code: str) -> UnitPage:
    """A unit, its lineage, every published year with the change from the year before (following its
    predecessors), and for years scored in the portal its areas and weakest criteria."""
    unit = Unit.objects.with_lineage().filter(code=code).first()
    if unit is None:
        raise NotPublished("Không có đơn vị này.")
    links = succession.predecessors_of([unit.block_id])
    results = list(
        Result.objects.published()
        .filter(unit_id__in=_ancestry(unit.pk, links))
        .select_related("period", "period__block")
        .annotate(table_size=Count("version__results"))
        .order_by("-period__year")
    )
    own = [r for r in results if r.unit_id == unit.pk]
    if not own:  # a unit only in tables not yet published is not public yet
        raise NotPublished("Đơn vị chưa có kết quả được công bố.")
    history = _history(own, results, links)
    names = sorted({r.unit_name for r in own} - {unit.name})
    return UnitPage(unit, history, names, _scored_years(unit, [h.result.period for h in history]))


def _ancestry(unit_id: int, links: dict[int, list[int]]) -> set[int]:
    """The unit and its predecessors, generation by generation (at most succession.MAX_GENERATIONS back)."""
    ancestry = {unit_id}
    frontier = [unit_id]
    for _ in range(succession.MAX_GENERATIONS):
        frontier = [p for u in frontier for p in links.get(u, []) if p not in ancestry]
        if not frontier:
            break
        ancestry.update(frontier)
    return ancestry


def _history(own: list[Result], results: list[Result], links) -> list[HistoryLine]:
    """Each published line of the unit, with the change from the block's previous published year."""
    years = _published_years_by_block({r.period.block_id for r in results})
    lines: dict[int, dict[int, Result]] = defaultdict(dict)
    for r in results:
        lines[r.period.year][r.unit_id] = r
    history = []
    for result in own:
        earlier = [y for y in years.get(result.period.block_id, []) if y[0] < result.period.year]
        change = None
        if earlier:
            year, decimals, partial = earlier[-1]
            change = succession.compare(
                result,
                lines.get(year, {}),
                links,
                year=year,
                decimals=(result.period.published_decimals, decimals),
                partial=partial,
            )
        history.append(HistoryLine(result, result.table_size, change))
    return history


def _published_years_by_block(block_ids) -> dict[int, list[tuple[int, int, bool]]]:
    """(year, published decimals, partial) of each published year of the blocks, oldest first."""
    found = defaultdict(list)
    for block_id, year, decimals, partial in (
        Period.objects.published()
        .filter(block_id__in=block_ids)
        .order_by("year")
        .values_list("block_id", "year", "published_decimals", "is_partial")
    ):
        found[block_id].append((year, decimals, partial))
    return found


def _scored_years(unit: Unit, periods: list[Period]) -> list[ScoredYear]:
    """Four queries for every scored year together: the criteria, the unit's points, the block's averages (and the
    corrections they carry)."""
    scored = [p for p in periods if p.criteria_set_id]
    if not scored:
        return []
    trees = trees_of({p.criteria_set_id for p in scored})
    mine = unit_points(unit.pk, scored)
    averages: dict[int, dict[int, Decimal]] = defaultdict(dict)  # period → leaf → the block's average
    for (period_id, leaf_id), average in leaf_averages(scored).items():
        averages[period_id][leaf_id] = average
    out, previous_by_code = [], {}
    for period in sorted(scored, key=lambda p: p.year):
        tree, points = trees[period.criteria_set_id], mine[period.pk]
        figures = unit_figures(tree, points)
        areas = [area_line(tree, a, averages[period.pk]) for a in figures.areas]
        weakest = weakest_leaves(tree, points, averages[period.pk], previous_by_code)
        previous_by_code = {leaf.code: points.get(leaf.pk, NO_POINTS).appraised for leaf in tree.leaves}
        total = figures.total.total if figures.total else None
        partly = any(a.applicable_max != a.max_points for a in figures.areas if a.kind == SCORED)
        out.append(ScoredYear(period, areas, weakest, total, partly))
    return list(reversed(out))


def area_line(tree: CriteriaTree, area, averages: dict[int, Decimal]) -> AreaLine:
    """An area's line (`scoring.figures.AreaFigures`) beside the block's average over the same leaves (`averages`:
    leaf id → average), both signed as they count."""
    sign = -1 if area.kind == DEDUCTION else 1
    given = [averages.get(leaf.pk) for leaf in tree.leaves_under(area.node)]
    given = [a for a in given if a is not None]
    return AreaLine(
        area.node.code,
        area.node.title,
        area.max_points,
        area.signed,
        sign * sum(given, ZERO) if given else None,
        area.kind,
    )


def weakest_leaves(tree: CriteriaTree, points, averages: dict[int, Decimal], previous_by_code) -> list[WeakCriterion]:
    """The five scored leaves where the unit stands furthest below the block's average (`averages`: leaf id →
    average), as a share of the leaf's maximum, ties in the set's order. Bonus and deduction leaves read the other
    way and are not criteria a unit falls short on; a leaf not applicable or without points is not compared."""
    gaps = []
    for leaf in tree.leaves:
        mine, average = points.get(leaf.pk, NO_POINTS), averages.get(leaf.pk)
        if mine.appraised is None or mine.not_applicable or average is None or not leaf.max_points:
            continue
        if tree.kind(leaf) != SCORED:
            continue
        gap = (mine.appraised - average) / leaf.max_points
        if gap < 0:
            gaps.append((gap, leaf.position, leaf, mine.appraised, average))
    gaps.sort(key=lambda g: (g[0], g[1]))
    return [
        WeakCriterion(leaf.code, leaf.title, leaf.max_points, points_, average, previous_by_code.get(leaf.code))
        for _, _, leaf, points_, average in gaps[:5]
    ]
