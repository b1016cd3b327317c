"""The pages about the whole province: the home page's blocks, the overview, the methodology, the national
indices."""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Max, Min, Sum

from cchc_portal.lib.numbers import round_score
from reports.pages import trees_of
from scoring.models import GradeBand, NationalIndex, Period, Result
from scoring.tree import CriteriaTree
from units.models import Block

ZERO = Decimal(0)


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
            (band.label, band.lower_bound, ordered[i - 1].lower_bound if i else None) for i, band in enumerate(ordered)
        ]


def methodology_page() -> list[MethodYear]:
    """Each published period: its grade bands and, when scored in the portal, its criteria set (three queries)."""
    periods = list(Period.objects.published().select_related("grade_scheme").order_by("-year", "block__sort_order"))
    bands = defaultdict(list)
    for band in GradeBand.objects.filter(scheme__in={p.grade_scheme_id for p in periods}):
        bands[band.scheme_id].append(band)
    trees = trees_of({p.criteria_set_id for p in periods if p.criteria_set_id})
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


def published_blocks() -> list[tuple[Block, int, int]]:
    """Blocks with published tables, with their first and last published years (for navigation)."""
    spans = Period.objects.published().values("block_id").annotate(first=Min("year"), last=Max("year")).order_by()
    blocks = {b.pk: b for b in Block.objects.all()}
    return sorted(((blocks[s["block_id"]], s["first"], s["last"]) for s in spans), key=lambda item: item[0].sort_order)
