"""One set of figures per unit and period, computed once, from plain values: no database, no Django.

Every page, workbook and API answer that shows a unit's points — the entry sheet, the period page, the detailed
report, the public unit and criterion pages — takes them from `unit_figures`, so they cannot disagree:

- per area (lĩnh vực, and the bonus and deduction groups): its maximum, the maximum of its applicable leaves,
  the self-assessed points and the appraised points;
- the self-assessment and the appraisal over the same leaves (the self-assessed ones), survey points apart;
- the bonus the unit proposed, the bonus and the deduction given;
- the engine's index and total (scoring/ranking.py) once every leaf that needs points has them, and which leaves
  still need them.

Which leaves need points before a total exists (docs/scoring.md): every applicable self-assessed and survey leaf;
a bonus leaf the unit proposed points on (the appraiser confirms or corrects the proposal); never a deduction
leaf, nor a bonus leaf nobody proposed — left blank, those count 0.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from scoring import ranking
from scoring.tree import DEDUCTION, SCORED, CriteriaTree

ZERO = Decimal(0)


@dataclass(frozen=True)
class Points:
    """What is stored of one leaf for one unit."""

    self_points: Decimal | None = None
    appraised: Decimal | None = None
    not_applicable: bool = False


NO_POINTS = Points()


@dataclass(frozen=True)
class AreaFigures:
    """One top-level node of the set: an area, a bonus group or a deduction group."""

    node: object
    kind: str  # tree.SCORED, tree.BONUS or tree.DEDUCTION
    max_points: Decimal
    applicable_max: Decimal  # the maximum of its applicable leaves
    self_points: Decimal | None  # the unit's own points on its self-assessed leaves (a bonus group: the proposal)
    appraised: Decimal | None  # appraised (or survey) points of its applicable leaves; None when none is given
    applicable: bool  # some leaf of it applies to the unit

    @property
    def self_assessed(self) -> bool:
        return self.self_points is not None

    @property
    def signed(self) -> Decimal | None:
        """Its points as they count in the total: a deduction subtracts."""
        if self.appraised is None:
            return None
        return -self.appraised if self.kind == DEDUCTION else self.appraised


@dataclass(frozen=True)
class Figures:
    """A unit's figures in one period."""

    areas: tuple[AreaFigures, ...]
    self_total: Decimal  # own points on the applicable self-assessed leaves
    appraised_total: Decimal  # appraised points on the same leaves
    survey_total: Decimal
    bonus_proposed: Decimal
    bonus: Decimal
    deduction: Decimal
    missing: tuple  # the leaves that still need their appraised (or survey, or confirmed bonus) points
    total: ranking.Total | None  # the engine's, once nothing is missing and every point is within its maximum
    problem: str = ""  # why there is no total although nothing is missing (a point above its maximum)

    @property
    def complete(self) -> bool:
        return self.total is not None

    def area(self, code: str) -> AreaFigures | None:
        return next((a for a in self.areas if a.node.code == code), None)


def needs_points(leaf, points: Points) -> bool:
    """Whether the total waits for this leaf's appraised points."""
    if points.not_applicable or points.appraised is not None:
        return False
    if leaf.method in ranking.SCORED_METHODS:
        return True
    return leaf.method == ranking.METHOD_BONUS and bool(points.self_points)


def unit_figures(tree: CriteriaTree, points: Mapping[object, Points]) -> Figures:
    """The figures of one unit, from its points on each leaf (by the leaf's pk; absent: nothing stored)."""
    sums = {"self": ZERO, "appraised": ZERO, "survey": ZERO, "proposed": ZERO, "bonus": ZERO, "deduction": ZERO}
    missing, engine_leaves = [], []
    for leaf in tree.leaves:
        p = points.get(leaf.pk, NO_POINTS)
        if needs_points(leaf, p):
            missing.append(leaf)
        engine_leaves.append(
            ranking.Leaf(leaf.code, leaf.max_points, p.appraised, method=leaf.method, applicable=not p.not_applicable)
        )
        if p.not_applicable:
            continue
        if leaf.method == ranking.METHOD_SELF:
            sums["self"] += p.self_points or ZERO
            sums["appraised"] += p.appraised or ZERO
        elif leaf.method == ranking.METHOD_SURVEY:
            sums["survey"] += p.appraised or ZERO
        elif leaf.method == ranking.METHOD_BONUS:
            sums["proposed"] += p.self_points or ZERO
            sums["bonus"] += p.appraised or ZERO
        else:
            sums["deduction"] += p.appraised or ZERO
    total, problem = None, ""
    if not missing and engine_leaves:
        try:
            total = ranking.compute_total(engine_leaves)
        except ValueError as error:
            problem = str(error)
    return Figures(
        areas=tuple(_area(tree, area, points) for area in tree.areas),
        self_total=sums["self"],
        appraised_total=sums["appraised"],
        survey_total=sums["survey"],
        bonus_proposed=sums["proposed"],
        bonus=sums["bonus"],
        deduction=sums["deduction"],
        missing=tuple(missing),
        total=total,
        problem=problem,
    )


def _area(tree: CriteriaTree, area, points: Mapping[object, Points]) -> AreaFigures:
    leaves = tree.leaves_under(area)
    applicable = [(leaf, points.get(leaf.pk, NO_POINTS)) for leaf in leaves]
    applicable = [(leaf, p) for leaf, p in applicable if not p.not_applicable]
    own = [p.self_points for leaf, p in applicable if leaf.method in (ranking.METHOD_SELF, ranking.METHOD_BONUS)]
    given = [p.appraised for _, p in applicable if p.appraised is not None]
    kind = tree.kind(area)
    if kind != SCORED and applicable and not given:
        given = [ZERO]  # a bonus or a deduction left blank is none: 0
    return AreaFigures(
        node=area,
        kind=kind,
        max_points=area.max_points,
        applicable_max=sum((leaf.max_points for leaf, _ in applicable), ZERO),
        self_points=sum((v for v in own if v is not None), ZERO) if own else None,
        appraised=sum(given, ZERO) if given else None,
        applicable=bool(applicable),
    )


@dataclass(frozen=True)
class LeafSums:
    """One unit's points added up per kind of leaf — what the database sums per unit, so that a page listing
    33,000 units never reads their 3 million leaves. The counts follow `needs_points` and `unit_figures`: a leaf
    with nothing stored is applicable and waits for its points like one with a blank value."""

    must_fill: int = 0  # applicable self-assessed leaves
    filled: int = 0  # of those, with the unit's own points
    to_appraise: int = 0  # applicable leaves the total waits for, and proposed or confirmed bonus leaves
    appraised: int = 0  # of those, with appraised (or survey, or confirmed bonus) points
    missing: int = 0  # leaves that still need points before a total exists
    out_of_range: int = 0  # appraised points below 0 or above the leaf's maximum
    self_total: Decimal = ZERO
    appraised_total: Decimal = ZERO  # over the self-assessed leaves, to compare with self_total
    survey_total: Decimal = ZERO
    bonus_proposed: Decimal = ZERO
    bonus: Decimal = ZERO
    deduction: Decimal = ZERO
    scored_max: Decimal = ZERO  # the maximum of the applicable self-assessed and survey leaves
    scored: Decimal = ZERO  # their appraised points

    @cached_property
    def total(self) -> ranking.Total | None:
        """The engine's total from the sums: one leaf per kind adds up to the same index and total as the leaves
        themselves (docs/scoring.md), once nothing is missing and every point is within its maximum."""
        if self.missing or self.out_of_range:
            return None
        try:
            return ranking.compute_total(
                [
                    ranking.Leaf("scored", self.scored_max, self.scored),
                    ranking.Leaf("bonus", self.bonus, self.bonus, ranking.METHOD_BONUS),
                    ranking.Leaf("deduction", self.deduction, self.deduction, ranking.METHOD_DEDUCTION),
                ]
            )
        except ValueError:  # nothing applicable to score: no total, as unit_figures gives none
            return None


def sums_of(tree: CriteriaTree, points: Mapping[object, Points]) -> LeafSums:
    """The same sums from one unit's leaves (a unit whose points the database cannot simply add, e.g. with a
    correction laid over them): `unit_figures` computes, this only re-states its figures as sums."""
    figures = unit_figures(tree, points)
    counts = {"must_fill": 0, "filled": 0, "to_appraise": 0, "appraised": 0, "out_of_range": 0}
    scored_max = scored = ZERO
    for leaf in tree.leaves:
        p = points.get(leaf.pk, NO_POINTS)
        if p.not_applicable:
            continue
        counts["out_of_range"] += p.appraised is not None and not ZERO <= p.appraised <= leaf.max_points
        if leaf.method in ranking.SCORED_METHODS:
            scored_max += leaf.max_points
            scored += p.appraised or ZERO
        if leaf.method == ranking.METHOD_SELF:
            counts["must_fill"] += 1
            counts["filled"] += p.self_points is not None
        # What the total waits for: scored leaves, and a bonus the unit proposed (a deduction left blank is none).
        if needs_points(leaf, p) or (p.appraised is not None and leaf.method != ranking.METHOD_DEDUCTION):
            counts["to_appraise"] += 1
            counts["appraised"] += p.appraised is not None
    return LeafSums(
        **counts,
        missing=len(figures.missing),
        self_total=figures.self_total,
        appraised_total=figures.appraised_total,
        survey_total=figures.survey_total,
        bonus_proposed=figures.bonus_proposed,
        bonus=figures.bonus,
        deduction=figures.deduction,
        scored_max=scored_max,
        scored=scored,
    )


@dataclass(frozen=True)
class Standing:
    """A unit's figures and, once complete, its grade and rank among the complete units of the period."""

    figures: Figures
    ranked: ranking.Ranked | None


def standings(
    units: Sequence[tuple[object, str, Figures | LeafSums]],
    *,
    decimals: int,
    bands: Sequence[ranking.Band],
    tie: str = ranking.TIE_SHOWN,
    sort_keys: Mapping[object, str] | None = None,
) -> dict[object, Standing]:
    """Rank the complete units (key, name, figures or sums) as publication would; the others stand unranked.
    `sort_keys`: key -> the name's Vietnamese sort key where the caller keeps it (units.Unit.sort_key)."""
    totals = [(key, name, f, f.total) for key, name, f in units]
    keyed = sort_keys or {}
    entries = [
        ranking.Entry(key, name, total.total, keyed.get(key, ""))
        for key, name, _f, total in totals
        if total is not None
    ]
    table = {row.key: row for row in ranking.rank_entries(entries, decimals=decimals, bands=bands, tie=tie)}
    return {key: Standing(f, table.get(key)) for key, _name, f, _total in totals}
