"""Publication reads each unit's points as the database keeps them added up (one row per unit for a national
period); the totals must be exactly those of the engine adding the same leaves one by one, whatever the mix of
methods and not-applicable leaves, on both databases."""

import dataclasses
import random
from decimal import Decimal

import pytest

from scoring import services
from scoring.models import CriteriaSet, Criterion, Method, Period, Score
from scoring.results import unit_sums_refresh
from units.models import Unit

METHODS = [Method.SELF, Method.SELF, Method.SURVEY, Method.BONUS, Method.DEDUCTION]


def build(so, scheme, seed: int):
    rng = random.Random(seed)
    criteria = CriteriaSet.objects.create(year=2026, block=so, name=f"Bộ {seed}")
    area = Criterion.objects.create(
        criteria_set=criteria, code="1", title="Lĩnh vực", max_points=Decimal(100), position=1
    )
    leaves = []
    for i in range(rng.randint(3, 12)):
        method = rng.choice(METHODS) if i else Method.SELF  # at least one scored leaf
        maximum = Decimal(rng.randint(1, 4000)).scaleb(-2)
        leaves.append(
            Criterion.objects.create(
                criteria_set=criteria,
                parent=area,
                code=f"1.{i + 1}",
                title=f"Tiêu chí {i + 1}",
                max_points=maximum,
                position=i + 2,
                method=method,
            )
        )
    period = Period.objects.create(year=2026, block=so, criteria_set=criteria, grade_scheme=scheme)
    units = [Unit.objects.create(code=f"u{seed}-{n}", name=f"Sở số {n}", block=so) for n in range(rng.randint(2, 8))]
    for unit in units:
        for leaf in leaves:
            not_applicable = leaf.method == Method.SELF and leaf.code != "1.1" and rng.random() < 0.2
            points = (
                None
                if not_applicable
                else (leaf.max_points * Decimal(rng.randint(0, 1000)) / 1000).quantize(Decimal("0.001"))
            )
            Score.objects.create(
                period=period, unit=unit, criterion=leaf, appraised_points=points, not_applicable=not_applicable
            )
    unit_sums_refresh(period)  # written here past the portal's save paths
    return period


@pytest.mark.parametrize("seed", range(12))
def test_the_database_sums_give_the_engine_totals_leaf_by_leaf(so, scheme, seed):
    period = build(so, scheme, seed)
    units = list(Unit.objects.filter(block=so).values_list("pk", "name", "sort_key"))
    tree = Criterion.objects.tree_of(period.criteria_set_id)
    from_sums = services._entries_from_sums(period, units, tree)
    assert from_sums is not None
    entries, measures = services._entries_from_each_score(period, units, tree)
    assert from_sums == ([dataclasses.replace(e, sort_key=u[2]) for e, u in zip(entries, units, strict=True)], measures)


def test_a_unit_missing_a_point_takes_the_path_that_names_it(so, scheme):
    period = build(so, scheme, 99)
    score = Score.objects.filter(period=period, not_applicable=False).first()
    Score.objects.filter(pk=score.pk).update(appraised_points=None)
    unit_sums_refresh(period)
    units = list(Unit.objects.filter(block=so).values_list("pk", "name", "sort_key"))
    tree = Criterion.objects.tree_of(period.criteria_set_id)
    assert services._entries_from_sums(period, units, tree) is None
    with pytest.raises(Exception, match=score.unit.name):
        services._entries_from_each_score(period, units, tree)
