"""Reading a period's points and turning them into figures: the one way every page, workbook and answer gets a
unit's area points, totals, grade and rank (`scoring.figures` computes; this module reads).

The points a published period counts are its scores as appraised, with the corrections (đính chính) of its
published versions laid over them: a correction never edits a score in place.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, F, Max, Q, Sum

from scoring import ranking
from scoring.figures import NO_POINTS, Figures, LeafSums, Points, Standing, standings, sums_of, unit_figures
from scoring.models import Criterion, GradeScheme, Period, Score, ScoreCorrection, UnitSums
from scoring.tree import CriteriaTree


def rules_of(period: Period) -> dict:
    """How a period ranks and grades (its published precision, grade scale and tie rule), as rank_entries takes it."""
    return {
        "decimals": period.published_decimals,
        "bands": engine_bands(GradeScheme(pk=period.grade_scheme_id)),
        "tie": period.tie_rule,
    }


def engine_bands(scheme: GradeScheme) -> tuple[ranking.Band, ...]:
    """A grade scheme's bands as the engine takes them (one query, none when prefetched)."""
    return tuple(ranking.Band(code=b.code, label=b.label, lower_bound=b.lower_bound) for b in scheme.bands.all())


def corrections_of(
    period: Period, unit_ids: Iterable[int] | None = None, *, upto: int | None = None, draft: bool = False
) -> dict[tuple[int, int], ScoreCorrection]:
    """(unit id, leaf id) -> the correction that counts (one query): the latest of the sealed versions (up to version
    number `upto`), or of the correction being prepared too (`draft`, what confirming it would publish)."""
    if not period.is_public:
        return {}
    found = ScoreCorrection.objects.filter(version__period=period).select_related("version").order_by("version__number")
    found = found if draft else found.filter(version__sealed=True)
    if upto is not None:
        found = found.filter(version__number__lte=upto)
    if unit_ids is not None:
        found = found.filter(unit_id__in=list(unit_ids))
    return {(c.unit_id, c.criterion_id): c for c in found}


def points_of(
    period: Period,
    unit_ids: Iterable[int] | None = None,
    *,
    criteria: Iterable[int] | None = None,
    upto: int | None = None,
    draft: bool = False,
) -> dict[int, dict[int, Points]]:
    """unit id -> leaf id -> the points that count (two queries), for some units (or leaves) or all of them: the
    scores, with the corrections of the published versions laid over them (see `corrections_of`)."""
    scores = Score.objects.filter(period=period).order_by()
    if unit_ids is not None:
        unit_ids = list(unit_ids)
        scores = scores.filter(unit_id__in=unit_ids)
    if criteria is not None:
        criteria = list(criteria)
        scores = scores.filter(criterion_id__in=criteria)
    found: dict[int, dict[int, Points]] = {}
    for unit_id, criterion_id, own, appraised, na in scores.values_list(
        "unit_id", "criterion_id", "self_points", "appraised_points", "not_applicable"
    ):
        found.setdefault(unit_id, {})[criterion_id] = Points(own, appraised, na)
    for (unit_id, criterion_id), c in corrections_of(period, unit_ids, upto=upto, draft=draft).items():
        if criteria is not None and criterion_id not in criteria:
            continue
        own = found.get(unit_id, {}).get(criterion_id, NO_POINTS).self_points
        found.setdefault(unit_id, {})[criterion_id] = Points(own, c.appraised_points, c.not_applicable)
    return found


ZERO = Decimal(0)
_SELF, _SURVEY = ranking.METHOD_SELF, ranking.METHOD_SURVEY
_BONUS, _DEDUCTION = ranking.METHOD_BONUS, ranking.METHOD_DEDUCTION


def _sums(score_model, leaf_ids: list[int]):
    """What UnitSums keeps of each unit, as one grouped query over the scores (`score_model` with its historical
    fields in a migration): counts and sums per kind of leaf, with the leaves' methods and maxima joined."""
    na, on = Q(not_applicable=True), Q(not_applicable=False)
    method = {m: Q(criterion__method=m) for m in ranking.METHODS}
    scored = Q(criterion__method__in=sorted(ranking.SCORED_METHODS))
    proposed = Q(self_points__gt=0)
    return (
        score_model.objects.filter(criterion__in=leaf_ids)
        .order_by()
        .values("unit_id")
        .annotate(
            na_self=Count("pk", filter=method[_SELF] & na),
            filled=Count("pk", filter=method[_SELF] & on & Q(self_points__isnull=False)),
            na_scored=Count("pk", filter=scored & na),
            na_scored_max=Sum("criterion__max_points", filter=scored & na),
            scored_given=Count("pk", filter=scored & on & Q(appraised_points__isnull=False)),
            bonus_counted=Count(
                "pk", filter=method[_BONUS] & on & (Q(appraised_points__isnull=False) | proposed)
            ),
            bonus_given=Count("pk", filter=method[_BONUS] & on & Q(appraised_points__isnull=False)),
            unconfirmed=Count("pk", filter=method[_BONUS] & on & Q(appraised_points__isnull=True) & proposed),
            out_of_range=Count(
                "pk", filter=on & (Q(appraised_points__gt=F("criterion__max_points")) | Q(appraised_points__lt=0))
            ),
            self_total=Sum("self_points", filter=method[_SELF] & on),
            appraised_total=Sum("appraised_points", filter=method[_SELF] & on),
            survey_total=Sum("appraised_points", filter=method[_SURVEY] & on),
            proposed_total=Sum("self_points", filter=method[_BONUS] & on),
            bonus=Sum("appraised_points", filter=method[_BONUS] & on),
            deduction=Sum("appraised_points", filter=method[_DEDUCTION] & on),
            last_change=Max("updated_at"),
        )
    )


SUMS_COLUMNS = (
    "na_self", "filled", "na_scored", "na_scored_max", "scored_given", "bonus_counted", "bonus_given", "unconfirmed",
    "out_of_range", "self_total", "appraised_total", "survey_total", "proposed_total", "bonus", "deduction",
    "last_change",
)  # fmt: skip


def unit_sums_refresh(period: Period, unit_ids: Iterable[int] | None = None, *, leaves=None) -> None:
    """Add up again the scores of some units of a period (None: every unit) into their UnitSums rows: every write of
    scores calls it in its transaction (scoring.scores, the demonstration data), so the rows never lag behind.
    Two statements: the units' rows are deleted, then the grouped query over their scores is inserted (and one to
    read the period's leaves, unless the caller has them: `leaves`, its criteria), then their totals are read
    back through the engine and written in one more (scoring.figures.LeafSums.total)."""
    known = None if leaves is None else [(c.pk, c.method, c.max_points) for c in leaves]
    refresh_sums(Score, UnitSums, Criterion, period.pk, period.criteria_set_id, unit_ids, known)


def criteria_changed(sender, instance, **kwargs) -> None:
    """A criterion saved or deleted (the admin's tree page, an import): a leaf's maximum, method or very presence
    counts in the kept sums, so every period scored on its set adds them up again when the change commits — once
    per set and transaction, however many nodes the change touched (connected in scoring.apps)."""
    set_id = instance.criteria_set_id
    queued = [f for *_, f, _ in connection.run_on_commit if getattr(f, "criteria_set_id", None) == set_id]
    if set_id is None or queued:
        return

    def refresh() -> None:
        with transaction.atomic():
            for period in Period.objects.filter(criteria_set_id=set_id).order_by("pk"):
                unit_sums_refresh(period)

    refresh.criteria_set_id = set_id
    transaction.on_commit(refresh)


def refresh_sums(score_model, sums_model, criterion_model, period_id, criteria_set_id, unit_ids=None, leaves=None):
    """`unit_sums_refresh` on the given models (a migration passes its historical ones); `leaves`: the set's leaves
    as (pk, method, maximum) when the caller has them."""
    kept = sums_model.objects.filter(period_id=period_id)
    if unit_ids is not None:
        unit_ids = list(dict.fromkeys(unit_ids))
        if not unit_ids:
            return
        kept = kept.filter(unit_id__in=unit_ids)
    kept.delete()  # nothing refers to these rows: one DELETE
    if criteria_set_id is None:
        return
    leaves = list(
        dict.fromkeys(
            criterion_model.objects.filter(criteria_set_id=criteria_set_id, children__isnull=True).values_list(
                "pk", "method", "max_points"
            )
            if leaves is None
            else leaves
        )
    )
    sql, params = _sums_sql(score_model, sums_model, [pk for pk, *_ in leaves], period_id, unit_ids)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    _store_totals(sums_model, period_id, leaves, unit_ids)


# The INSERT of `_sums_sql` for one shape of refresh (the models, how many leaves, how many units or all): the grouped
# query is built once, not at every save (building it costs more than running it for one unit).
_SUMS_STATEMENTS: dict[tuple, tuple[str, list]] = {}


def _sums_sql(score_model, sums_model, leaves: list[int], period_id, unit_ids: list[int] | None) -> tuple[str, list]:
    """The INSERT of the grouped query over the units' scores into the sums table, and its parameters. The compiled
    statement of a shape is kept when its parameters are the query's constants followed by exactly the leaves, the
    period and the units (checked on the statement built from these very values), so that the next refresh of that
    shape only puts in its own values."""
    key = (connection.vendor, score_model, sums_model, len(leaves), None if unit_ids is None else len(unit_ids))
    own = [*leaves, period_id, *(unit_ids or ())]
    kept = _SUMS_STATEMENTS.get(key)
    if kept is not None:
        sql, constants = kept
        return sql, [period_id, *constants, *own]
    query = _sums(score_model, leaves).filter(period_id=period_id)
    if unit_ids is not None:
        query = query.filter(unit_id__in=unit_ids)
    select, params = query.query.sql_with_params()
    quote = connection.ops.quote_name
    columns = ", ".join(quote(c) for c in SUMS_COLUMNS)
    sql = (
        f"INSERT INTO {quote(sums_model._meta.db_table)} (period_id, unit_id, {columns}) "  # noqa: S608 - names from the model
        f"SELECT %s, s.unit_id, {', '.join(f's.{quote(c)}' for c in SUMS_COLUMNS)} FROM ({select}) s"
    )
    params = list(params)
    constants = params[: len(params) - len(own)]
    if score_model is Score and params[len(constants) :] == own:  # a migration's historical models are not kept
        _SUMS_STATEMENTS[key] = (sql, constants)
    return sql, [period_id, *params]


@dataclass(frozen=True)
class LeafCounts:
    """What the kept sums are read against: the criteria set's self-assessed and survey leaves, and their maximum."""

    n_self: int
    n_survey: int
    scored_full_max: Decimal

    @classmethod
    def of(cls, leaves: Iterable[tuple[str, Decimal]]) -> "LeafCounts":
        """From the leaves' (method, maximum)."""
        leaves = list(leaves)
        return cls(
            n_self=sum(1 for method, _ in leaves if method == _SELF),
            n_survey=sum(1 for method, _ in leaves if method == _SURVEY),
            scored_full_max=sum((m for method, m in leaves if method in ranking.SCORED_METHODS), Decimal(0)),
        )


def sums_from_row(counts: LeafCounts, row) -> LeafSums:
    """A UnitSums row's SUMS_COLUMNS (in that order, the last — when it changed — left out) as the engine's sums:
    the one place that reads what the columns count. The columns hold sums of points at the points' places (SQLite's
    are rounded back to them as they are read): exact already, so only a sum of nothing (NULL) needs a value."""
    na_self, filled, na_scored, na_scored_max, scored_given, bonus_counted, bonus_given = row[:7]
    unconfirmed, out_of_range, self_total, appraised_total, survey_total, proposed_total, bonus, deduction = row[7:15]
    scored_leaves = counts.n_self + counts.n_survey - na_scored
    appraised_total = ZERO if appraised_total is None else appraised_total
    survey_total = ZERO if survey_total is None else survey_total
    full_max = counts.scored_full_max
    return LeafSums(
        must_fill=counts.n_self - na_self,
        filled=filled,
        to_appraise=scored_leaves + bonus_counted,
        appraised=scored_given + bonus_given,
        missing=scored_leaves - scored_given + unconfirmed,
        out_of_range=out_of_range,
        self_total=ZERO if self_total is None else self_total,
        appraised_total=appraised_total,
        survey_total=survey_total,
        bonus_proposed=ZERO if proposed_total is None else proposed_total,
        bonus=ZERO if bonus is None else bonus,
        deduction=ZERO if deduction is None else deduction,
        scored_max=full_max if na_scored_max is None else full_max - na_scored_max,
        scored=appraised_total + survey_total,
    )


def leaf_counts(tree: CriteriaTree) -> LeafCounts:
    return LeafCounts.of((leaf.method, leaf.max_points) for leaf in tree.leaves)


def unit_sums(
    period: Period, tree: CriteriaTree, unit_ids: Iterable[int] | None = None
) -> tuple[dict[int, LeafSums], dict[int, object]]:
    """unit id -> its points added up per kind of leaf (scoring.figures.LeafSums), and unit id -> when its points
    last changed, for some units or all: one query over the period's UnitSums rows (one per unit, kept by every write
    of scores), plus one for the units a published correction touches (those are summed leaf by leaf, the correction
    laid over the score).

    A unit without a score row still gets its sums (every leaf waiting); a leaf without a row counts as blank."""
    counts = leaf_counts(tree)
    sums, changed = {}, {}
    rows = UnitSums.objects.filter(period=period)
    if unit_ids is not None:
        unit_ids = list(unit_ids)
        rows = rows.filter(unit_id__in=unit_ids)
    for unit_id, *columns, last_change in rows.values_list("unit_id", *SUMS_COLUMNS).iterator(chunk_size=5000):
        sums[unit_id] = sums_from_row(counts, columns)
        changed[unit_id] = last_change
    sums.update(corrected_sums(period, tree, unit_ids))
    return sums, changed


def corrected_sums(period: Period, tree: CriteriaTree, unit_ids: Iterable[int] | None = None) -> dict[int, LeafSums]:
    """unit id -> the sums of a unit a published correction touches, summed leaf by leaf with the correction laid
    over the scores (the kept sums and total are its scores'): two queries, one when the period is not public."""
    corrected = corrections_of(period, unit_ids)
    if not corrected:
        return {}
    points = points_of(period, {unit_id for unit_id, _ in corrected})
    return {unit_id: sums_of(tree, unit_points) for unit_id, unit_points in points.items()}


def total_of(sums: LeafSums) -> Decimal | None:
    """The engine's total of a unit's sums, unrounded; None while it waits for points."""
    total = sums.total
    return None if total is None else total.total


def _store_totals(sums_model, period_id: int, leaves: list[tuple[int, str, Decimal]], unit_ids=None) -> None:
    """Each refreshed row's total, from its sums through the engine: one query to read the rows, one to write."""
    counts = LeafCounts.of((method, max_points) for _pk, method, max_points in leaves)
    rows = sums_model.objects.filter(period_id=period_id)
    if unit_ids is not None:
        rows = rows.filter(unit_id__in=unit_ids)
    found = [
        sums_model(pk=pk, total=total_of(sums_from_row(counts, columns)))
        for pk, *columns in rows.values_list("pk", *SUMS_COLUMNS[:-1])
    ]
    if len(found) == 1:
        sums_model.objects.filter(pk=found[0].pk).update(total=found[0].total)
    elif found:
        sums_model.objects.bulk_update(found, ["total"], batch_size=2000)


def blank_sums(tree: CriteriaTree) -> LeafSums:
    """The sums of a unit with nothing stored."""
    return sums_of(tree, {})


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
    return standings(figures, **rules_of(period))


def _overlay_of(periods, unit_id: int | None = None) -> dict[tuple[int, int, int], ScoreCorrection]:
    """(period id, unit id, leaf id) -> the published correction that counts, for published periods (one query)."""
    public = [p.pk for p in periods if p.is_public]
    if not public:
        return {}
    found = ScoreCorrection.objects.filter(version__period_id__in=public, version__sealed=True)
    if unit_id is not None:
        found = found.filter(unit_id=unit_id)
    found = found.select_related("version").order_by("version__number")
    return {(c.version.period_id, c.unit_id, c.criterion_id): c for c in found}


def unit_points(unit_id: int, periods) -> dict[int, dict[int, Points]]:
    """period id -> leaf id -> what counts for one unit, in several periods at once (two queries)."""
    found: dict[int, dict[int, Points]] = {p.pk: {} for p in periods}
    for period_id, leaf, own, appraised, na in (
        Score.objects.filter(unit_id=unit_id, period__in=list(found))
        .order_by()
        .values_list("period_id", "criterion_id", "self_points", "appraised_points", "not_applicable")
    ):
        found[period_id][leaf] = Points(own, appraised, na)
    for (period_id, _unit, leaf), c in _overlay_of(periods, unit_id).items():
        own = found[period_id].get(leaf, NO_POINTS).self_points
        found[period_id][leaf] = Points(own, c.appraised_points, c.not_applicable)
    return found


_STEP = Decimal(1).scaleb(-Score._meta.get_field("appraised_points").decimal_places)


def leaf_averages(periods) -> dict[tuple[int, int], Decimal]:
    """(period id, leaf id) -> the average of the points that count over the units the leaf applies to and that have
    points on it: the database adds up the scores (one query for every period), the corrections are then applied to
    those sums (two small queries), so a national period is never read row by row."""
    sums: dict[tuple[int, int], list] = {}
    for row in (
        Score.objects.filter(period__in=[p.pk for p in periods], not_applicable=False, appraised_points__isnull=False)
        .values("period_id", "criterion_id")
        .annotate(total=Sum("appraised_points"), n=Count("pk"))
        .order_by()
    ):
        # SQLite adds the stored binary floats: back to the exact sum of points with 3 decimals.
        sums[(row["period_id"], row["criterion_id"])] = [Decimal(row["total"]).quantize(_STEP), row["n"]]
    overlay = _overlay_of(periods)
    if overlay:
        originals = {
            (s.period_id, s.unit_id, s.criterion_id): s
            for s in Score.objects.filter(
                period_id__in={k[0] for k in overlay}, unit_id__in={k[1] for k in overlay}
            ).only("period_id", "unit_id", "criterion_id", "appraised_points", "not_applicable")
        }
        for (period_id, unit_id, leaf), c in overlay.items():
            entry = sums.setdefault((period_id, leaf), [Decimal(0), 0])
            before = originals.get((period_id, unit_id, leaf))
            if before is not None and not before.not_applicable and before.appraised_points is not None:
                entry[0] -= before.appraised_points
                entry[1] -= 1
            if not c.not_applicable and c.appraised_points is not None:
                entry[0] += c.appraised_points
                entry[1] += 1
    return {key: total / n for key, (total, n) in sums.items() if n}
