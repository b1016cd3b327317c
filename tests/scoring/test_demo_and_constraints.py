"""The demonstration data's shape, and the invariants the database itself enforces."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from scoring.models import Criterion, Method, Period, Result, ResultVersion, Score
from scoring.ops.demo import demo_seed
from tests.conftest import make_units
from units.models import Unit


@pytest.fixture
def demo(so):
    make_units(so, ["Sở A", "Sở B", "Sở C"])
    return demo_seed()


def test_the_demo_criteria_set_has_a_realistic_shape(demo):
    nodes = list(Criterion.objects.filter(criteria_set=demo.criteria_set).prefetch_related("children"))
    areas = [n for n in nodes if n.parent_id is None]
    leaves = [n for n in nodes if not n.children.all()]
    assert len(areas) == 8
    assert 28 <= sum(1 for n in nodes if n.parent_id in {a.pk for a in areas}) <= 40
    assert 60 <= len(leaves) <= 100
    assert sum(a.max_points for a in areas) == Decimal("100")
    assert all(n.max_points % Decimal("0.25") == 0 for n in nodes)
    for node in nodes:
        if node.children.all():
            assert sum(c.max_points for c in node.children.all()) == node.max_points, node.code
    assert any(n.method == Method.SURVEY for n in leaves)


def test_the_demo_period_is_marked_unpublished_and_seeding_twice_creates_nothing_more(demo, client):
    assert demo.is_demo and not demo.is_public and demo.status == Period.Status.OPEN
    scores = Score.objects.count()
    assert scores > 0
    assert demo_seed() == demo and Score.objects.count() == scores
    assert client.get("/xep-hang/2023/so/").status_code == 404
    assert "2023" not in client.get("/").content.decode()


def test_points_are_never_negative_and_one_score_per_unit_and_criterion(demo):
    score = Score.objects.select_related("criterion", "unit").first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Score.objects.filter(pk=score.pk).update(appraised_points=Decimal("-0.25"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Score.objects.create(period=score.period, unit=score.unit, criterion=score.criterion)


def test_a_unit_name_is_unique_within_its_block_and_its_years_are_in_order(so, huyen):
    Unit.objects.create(code="a", name="UBND huyện A Lưới", block=huyen)
    Unit.objects.create(code="b", name="UBND huyện A Lưới", block=so)  # another block is another unit
    with pytest.raises(IntegrityError), transaction.atomic():
        Unit.objects.create(code="c", name="UBND huyện A Lưới", block=huyen)
    with pytest.raises(IntegrityError), transaction.atomic():
        Unit.objects.create(code="d", name="Sở mới", block=so, first_year=2025, last_year=2024)


def test_one_result_per_unit_in_each_version_and_one_current_version(so, scheme):
    (unit,) = make_units(so, ["Sở A"])
    period = Period.objects.create(year=2022, block=so, grade_scheme=scheme)
    version = ResultVersion.objects.create(period=period, number=1, is_current=True)
    fields = {"period": period, "version": version, "unit": unit, "grade": "Tốt", "grade_code": "tot", "rank": 1}
    Result.objects.create(total=80, position=1, **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Result.objects.create(total=81, position=2, **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        ResultVersion.objects.create(period=period, number=2, is_current=True, reason="Sai sót")
    with pytest.raises(IntegrityError), transaction.atomic():
        ResultVersion.objects.create(period=period, number=2)  # a correction without a reason
