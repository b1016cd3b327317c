"""The period page's figures come from sums the database adds up per unit (results.unit_sums): on random criteria
sets with every kind of leaf, blank and missing rows, proposals, corrections and a point above its maximum, the sums
say exactly what the figures of each unit's leaves say (figures.sums_of, from unit_figures) — counts, totals,
the engine's total, grade and rank."""

import random
from decimal import Decimal

import pytest

from scoring import corrections
from scoring.figures import sums_of
from scoring.models import Criterion, Method, Period, Score, ScoreCorrection
from scoring.permissions import ADMINISTRATOR
from scoring.results import blank_sums, points_of, unit_sums, unit_sums_refresh
from scoring.services import period_publish
from tests.conftest import make_units
from tests.scoring.workflow_cast import user
from tests.test_one_set_of_figures import QUARTER, YEAR, random_tree, save_tree


def maybe(rng, leaf) -> Decimal | None:
    """A value in quarter points within the leaf's maximum, or blank one time in five."""
    return Decimal(rng.randint(0, int(leaf.max_points / QUARTER))) * QUARTER if rng.random() < 0.8 else None


def fill(rng, period, units, leaves):
    """Random points of every shape: a row left out, blank values, not applicable, a bonus proposed and not
    confirmed, a self-assessment without appraisal."""
    rows = []
    for unit in units:
        for leaf in leaves:
            if rng.random() < 0.1:
                continue  # nothing stored for this leaf
            na = leaf.method in (Method.SELF, Method.SURVEY) and rng.random() < 0.1
            own = maybe(rng, leaf) if leaf.method in (Method.SELF, Method.BONUS) else None
            rows.append(
                Score(
                    period=period, unit=unit, criterion=leaf, self_points=None if na else own,
                    appraised_points=None if na else maybe(rng, leaf), not_applicable=na,
                )
            )  # fmt: skip
    Score.objects.bulk_create(rows)


@pytest.mark.parametrize("seed", [1, 7, 42, 2026])
def test_the_sums_of_every_unit_are_its_leaves_figures(so, scheme, seed):
    rng = random.Random(seed)
    criteria, _ = save_tree(so, random_tree(rng))
    tree = Criterion.objects.tree_of(criteria.pk)
    units = make_units(so, [f"Đơn vị {i}" for i in range(12)])
    period = Period.objects.create(year=YEAR, block=so, criteria_set=criteria, grade_scheme=scheme)
    fill(rng, period, units[:-1], tree.leaves)  # the last unit has nothing stored at all
    # Complete a few units, so that some have totals, grades and ranks.
    for unit in units[:4]:
        for leaf in tree.leaves:
            Score.objects.update_or_create(
                period=period, unit=unit, criterion=leaf,
                defaults={"appraised_points": leaf.max_points / 2, "not_applicable": False},
            )  # fmt: skip
    above = Score.objects.filter(unit=units[4], criterion__method=Method.SELF).first()
    Score.objects.filter(pk=above.pk).update(appraised_points=above.criterion.max_points + 1, not_applicable=False)
    unit_sums_refresh(period)  # the rows above were written past the portal's save paths
    sums, _ = unit_sums(period, tree)
    points = points_of(period)
    for unit in units:
        assert sums.get(unit.pk, blank_sums(tree)) == sums_of(tree, points.get(unit.pk, {})), unit.name
    assert sum(1 for s in sums.values() if s.total is not None) >= 4
    assert sums[units[4].pk].out_of_range and sums[units[4].pk].total is None


def test_a_published_correction_is_laid_over_the_sums(so, scheme):
    rng = random.Random(5)
    criteria, _ = save_tree(so, random_tree(rng))
    tree = Criterion.objects.tree_of(criteria.pk)
    units = make_units(so, ["Sở A", "Sở B"])
    period = Period.objects.create(year=YEAR, block=so, criteria_set=criteria, grade_scheme=scheme)
    for unit in units:
        for leaf in tree.leaves:
            Score.objects.create(period=period, unit=unit, criterion=leaf, appraised_points=leaf.max_points / 4)
    unit_sums_refresh(period)
    admin = user("quantri", ADMINISTRATOR)
    Period.objects.filter(pk=period.pk).update(status=Period.Status.APPROVED)
    period_publish(period=period, decision_number="1/QĐ", decision_date=None, by=admin)
    period.refresh_from_db()
    leaf = next(leaf for leaf in tree.leaves if leaf.method == Method.SELF)
    draft = corrections.correction_open(
        period=period, reason="Sửa", decision_number="2/QĐ", decision_date="2026-02-01", by=admin
    )
    ScoreCorrection.objects.create(
        version=draft, unit=units[0], criterion=leaf, appraised_points=leaf.max_points, old_points=0
    )
    assert unit_sums(period, tree)[0][units[0].pk] == unit_sums(period, tree)[0][units[1].pk]  # not yet published
    corrections.correction_publish(period=period, confirm="2/QĐ", by=admin)
    sums, _ = unit_sums(period, tree)
    points = points_of(period)
    assert sums[units[0].pk] == sums_of(tree, points[units[0].pk])
    assert sums[units[0].pk].scored - sums[units[1].pk].scored == leaf.max_points * 3 / 4
