"""What the public pages beyond the ranking table read: a unit's history, a criterion, two years compared, the
overview, the methodology, the national indices, the search. Each is one function returning everything its
page prints, in a fixed number of queries whatever the number of units or years, from published data only
(`Result.objects.published()`, `Period.objects.published()`): nothing unpublished or demonstrative is read.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Max, Min, Sum
from django.http import Http404

from cchc_portal.lib.numbers import round_score, vn_number
from reports import search as index
from reports import succession
from reports.comparison import comparison
from scoring.figures import NO_POINTS, unit_figures
from scoring.models import Criterion, GradeBand, NationalIndex, Period, Result
from scoring.results import leaf_averages, points_of, unit_points
from scoring.tree import DEDUCTION, SCORED, CriteriaTree
from units.models import Block, Unit

ZERO = Decimal(0)


def _ratio(points: Decimal | None, maximum: Decimal) -> Decimal | None:
    return None if points is None or not maximum else points / maximum


# --- A unit ---------------------------------------------------------------------------------------------


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
        raise Http404("Không có đơn vị này.")
    links = succession.predecessors_of([unit.block_id])
    ancestry = {unit.pk}
    frontier = [unit.pk]
    for _ in range(succession.MAX_GENERATIONS):
        frontier = [p for u in frontier for p in links.get(u, []) if p not in ancestry]
        if not frontier:
            break
        ancestry.update(frontier)
    results = list(
        Result.objects.published()
        .filter(unit_id__in=ancestry)
        .select_related("period", "period__block")
        .annotate(table_size=Count("version__results"))
        .order_by("-period__year")
    )
    years = _published_years_by_block({r.period.block_id for r in results})
    own = [r for r in results if r.unit_id == unit.pk]
    if not own:  # a unit only in tables not yet published is not public yet
        raise Http404("Đơn vị chưa có kết quả được công bố.")
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
    names = sorted({r.unit_name for r in own} - {unit.name})
    return UnitPage(unit, history, names, _scored_years(unit, [h.result.period for h in history]))


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
    trees = _trees({p.criteria_set_id for p in scored})
    mine = unit_points(unit.pk, scored)
    averages = leaf_averages(scored)
    out, previous_by_code = [], {}
    for period in sorted(scored, key=lambda p: p.year):
        tree, points = trees[period.criteria_set_id], mine[period.pk]
        figures = unit_figures(tree, points)
        areas = [_area_line(tree, a, averages, period) for a in figures.areas]
        weakest = _weakest(tree, points, averages, period, previous_by_code)
        previous_by_code = {leaf.code: points.get(leaf.pk, NO_POINTS).appraised for leaf in tree.leaves}
        total = figures.total.total if figures.total else None
        partly = any(a.applicable_max != a.max_points for a in figures.areas if a.kind == SCORED)
        out.append(ScoredYear(period, areas, weakest, total, partly))
    return list(reversed(out))


def _trees(sets) -> dict[int, CriteriaTree]:
    nodes = defaultdict(list)
    for node in Criterion.objects.filter(criteria_set_id__in=sets):
        nodes[node.criteria_set_id].append(node)
    return {key: CriteriaTree(found) for key, found in nodes.items()}


def _area_line(tree: CriteriaTree, area, averages, period) -> AreaLine:
    sign = -1 if area.kind == DEDUCTION else 1
    given = [averages.get((period.pk, leaf.pk)) for leaf in tree.leaves_under(area.node)]
    given = [a for a in given if a is not None]
    return AreaLine(
        area.node.code,
        area.node.title,
        area.max_points,
        area.signed,
        sign * sum(given, ZERO) if given else None,
        area.kind,
    )


def _weakest(tree: CriteriaTree, points, averages, period, previous_by_code) -> list[WeakCriterion]:
    """The five scored leaves where the unit stands furthest below the block's average (bonus and deduction leaves
    read the other way, and are not criteria a unit falls short on)."""
    gaps = []
    for leaf in tree.leaves:
        mine, average = points.get(leaf.pk, NO_POINTS), averages.get((period.pk, leaf.pk))
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


# --- A criterion ----------------------------------------------------------------------------------------


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
        raise Http404("Không có bộ tiêu chí của năm và khối này trên cổng.")
    tree = Criterion.objects.tree_of(period.criteria_set_id)
    criterion = tree.find(code)
    if criterion is None:
        raise Http404("Không có tiêu chí này.")
    leaves = [leaf.pk for leaf in tree.leaves_under(criterion)]
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


# --- Two years compared ---------------------------------------------------------------------------------


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
        raise Http404("Không có khối này.")
    years = sorted(set(Period.objects.published().filter(block=block).values_list("year", flat=True)))
    if not years:
        raise Http404("Khối này chưa có năm nào được công bố.")
    asked = (first, last)
    last = last if last in years else years[-1]
    earlier = [y for y in years if y < last]
    first = first if first in earlier else (earlier[-1] if earlier else None)
    replaced = ""
    if any(year is not None for year in asked) and asked != (first, last):
        missing = [str(y) for y in asked if y is not None and y not in years]
        reason = f"Năm {', '.join(missing)} chưa có bảng công bố của khối này" if missing else "Cần hai năm khác nhau"
        shown = f"năm {last} so với năm {first}" if first else f"năm {last}"
        replaced = f"{reason}; đang hiện {shown}. Các năm đã công bố: {', '.join(map(str, years))}."
    chosen = [y for y in (first, last) if y is not None]
    report = comparison(block, chosen)
    codes = dict(Unit.objects.filter(block=block).values_list("name", "code"))
    rows = []
    for row in report.rows:
        cells = [row.cells.get(year) for year in (first, last)]
        shown = [
            (vn_number(c.total, report.decimals[y]), c.grade, c.rank) if c else None
            for c, y in zip(cells, (first, last), strict=True)
        ]
        change = row.change(first, last) if first is not None else None
        rows.append(ComparedRow(row.unit_name, codes.get(row.unit_name, ""), shown[0], shown[1], change, row.notes))
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


# --- Overview, methodology, indices ---------------------------------------------------------------------


@dataclass
class BlockYear:
    year: int
    count: int
    average: Decimal
    grades: dict[str, int]


@dataclass
class BlockOverview:
    block: Block
    years: list[BlockYear]
    partial: set[int] = field(default_factory=set)


def overview_page() -> tuple[list[BlockOverview], list[tuple[str, str]]]:
    """Per block and year: how many units, the average score, how many of each grade (two queries)."""
    rows = (
        Result.objects.published()
        .values("period__block_id", "period__year", "period__is_partial", "grade_code", "grade")
        .annotate(n=Count("pk"), total=Sum("total"))
        .order_by("period__year")
    )
    blocks = {b.pk: b for b in Block.objects.all()}
    found: dict[int, dict[int, BlockYear]] = defaultdict(dict)
    partial: dict[int, set[int]] = defaultdict(set)
    totals: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    grades: dict[str, str] = {}
    for row in rows:
        block_id, year = row["period__block_id"], row["period__year"]
        line = found[block_id].setdefault(year, BlockYear(year, 0, ZERO, {}))
        line.count += row["n"]
        line.grades[row["grade_code"]] = row["n"]
        totals[(block_id, year)] += row["total"]
        grades[row["grade_code"]] = row["grade"]
        if row["period__is_partial"]:
            partial[block_id].add(year)
    for (block_id, year), total in totals.items():
        line = found[block_id][year]
        line.average = round_score(total / line.count, 3)
    order = list(
        GradeBand.objects.filter(code__in=list(grades)).order_by("-lower_bound").values_list("code", flat=True)
    )
    labels = [(code, grades[code]) for code in dict.fromkeys(order) if code in grades]
    labels += [(code, label) for code, label in grades.items() if code not in dict(labels)]
    overview = [
        BlockOverview(blocks[block_id], [years[y] for y in sorted(years)], partial[block_id])
        for block_id, years in sorted(found.items(), key=lambda item: blocks[item[0]].sort_order)
    ]
    return overview, labels


@dataclass
class MethodYear:
    period: Period
    bands: list[GradeBand]
    tree: CriteriaTree | None = None

    @property
    def areas(self) -> list[tuple[object, str]]:
        """(top-level node, what it counts for) in the order of the set: areas, then the bonus and deduction groups."""
        return [(node, self.tree.kind(node)) for node in self.tree.areas] if self.tree else []

    @property
    def counts(self) -> str:
        """How the set is made, as the criteria import says it."""
        return self.tree.counts().sentence() if self.tree else ""

    @property
    def ranges(self) -> list[tuple[str, Decimal | None, Decimal | None]]:
        """(grade, from, below) for each band, best first: "Tốt: từ 80 đến dưới 90"."""
        ordered = sorted(self.bands, key=lambda b: (b.lower_bound is None, -(b.lower_bound or 0)))
        return [
            (band.label, band.lower_bound, ordered[i - 1].lower_bound if i else None)
            for i, band in enumerate(ordered)
        ]


def methodology_page() -> list[MethodYear]:
    """Each published period: its grade bands and, when scored in the portal, its criteria set (three queries)."""
    periods = list(Period.objects.published().select_related("grade_scheme").order_by("-year", "block__sort_order"))
    bands = defaultdict(list)
    for band in GradeBand.objects.filter(scheme__in={p.grade_scheme_id for p in periods}):
        bands[band.scheme_id].append(band)
    trees = _trees({p.criteria_set_id for p in periods if p.criteria_set_id})
    return [MethodYear(p, bands[p.grade_scheme_id], trees.get(p.criteria_set_id)) for p in periods]


@dataclass
class IndexSeries:
    kind: str
    label: str
    lines: list[NationalIndex]


def indices_page() -> list[IndexSeries]:
    found = defaultdict(list)
    for line in NationalIndex.objects.order_by("year"):
        found[line.kind].append(line)
    return [IndexSeries(kind, label, found.get(kind, [])) for kind, label in NationalIndex.Kind.choices]


# --- Search ---------------------------------------------------------------------------------------------


@dataclass
class Found:
    unit: Unit
    matched: str  # the name that matched: today's, or one it was published under
    last: Result | None


def search(text: str, limit: int = 50) -> list[Found]:
    """Units with published results whose name, or a name they were published under, holds the words typed —
    each at the beginning of a word, without regard to diacritics or case ("thua thien", "QUANG DIEN") — best
    matches first (reports/search.py). Three queries, the first on an index."""
    found = index.find(text, limit)
    units = Unit.objects.select_related("block").in_bulk([unit for unit, _ in found])
    hits = [Found(units[unit], name, None) for unit, name in found]
    latest = {}
    for result in (
        Result.objects.published()
        .filter(unit__in=[h.unit for h in hits])
        .select_related("period")
        .only("unit_id", "total", "rank", "period__year", "period__published_decimals")
        .order_by("unit_id", "-period__year")
    ):
        latest.setdefault(result.unit_id, result)
    for hit in hits:
        hit.last = latest.get(hit.unit.pk)
    return hits


def published_blocks() -> list[tuple[Block, int, int]]:
    """Blocks with published tables, with their first and last published years (for navigation)."""
    spans = Period.objects.published().values("block_id").annotate(first=Min("year"), last=Max("year")).order_by()
    blocks = {b.pk: b for b in Block.objects.all()}
    return sorted(((blocks[s["block_id"]], s["first"], s["last"]) for s in spans), key=lambda item: item[0].sort_order)
