"""A prepared query (`cchc_portal.prepared`) answers as its QuerySet would: the same instances with the same
values, related objects attached, for any arguments — on SQLite and on PostgreSQL (the suite runs on both)."""

from datetime import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cchc_portal.prepared import NotPreparable, Prepared
from scoring import audit
from scoring.models import AuditEntry, Evidence, Score
from units.models import Unit

FIELDS = {
    Score: [f.attname for f in Score._meta.concrete_fields],
    Evidence: [f.attname for f in Evidence._meta.concrete_fields],
    AuditEntry: [f.attname for f in AuditEntry._meta.concrete_fields],
}


def values(obj) -> dict:
    return {name: getattr(obj, name) for name in FIELDS[type(obj)]}


@pytest.fixture
def with_history(cast):
    """Unit A and unit B with scores of every kind of value, evidence, and audit rows by two people."""
    first = cast.score(cast.unit_a, "1.1", self_points="2.25", explanation='Có "văn bản" <1> & phụ lục')
    cast.score(cast.unit_a, "2", self_points="50", appraiser_comment="Đạt")
    cast.score(cast.unit_b, "1.1", self_points="1", not_applicable=True)
    Evidence.objects.create(score=first, link="https://example.vn/a", title="Quyết định 1", uploaded_by=cast.staff_a)
    Evidence.objects.create(score=first, link="https://example.vn/b", title="Quyết định 2", uploaded_by=cast.staff_a)
    for by, new in ((cast.staff_a, "2,25"), (None, "3")):
        audit.entry(period=cast.period, by=by, action=AuditEntry.Action.SELF_POINTS, old="", new=new,
                    unit=cast.unit_a, criterion=first.criterion).save()  # fmt: skip
    return cast


SCORES = Prepared(lambda period, unit: Score.objects.filter(period_id=period, unit_id=unit), (int, int))
EVIDENCE = Prepared(
    lambda period, unit: Evidence.objects.filter(score__period_id=period, score__unit_id=unit).select_related("score"),
    (int, int),
)
HISTORY = Prepared(
    lambda period, unit: AuditEntry.objects.filter(period_id=period, unit_id=unit).select_related("by", "criterion")[
        :1
    ],
    (int, int),
)


def test_instances_are_the_querysets_for_each_unit(with_history):
    for unit in (with_history.unit_a, with_history.unit_b, with_history.unit_c):
        expected = list(Score.objects.filter(period=with_history.period, unit=unit))
        found = SCORES.objects(with_history.period.pk, unit.pk)
        assert [values(s) for s in found] == [values(s) for s in expected]
        assert all(type(s) is Score and not s._state.adding and s._state.db == "default" for s in found)
    points = {s.criterion_id: s.self_points for s in SCORES.objects(with_history.period.pk, with_history.unit_a.pk)}
    assert Decimal("2.25") in points.values() and all(isinstance(p, Decimal) for p in points.values() if p)


def test_related_objects_come_attached_in_the_querysets_order(with_history):
    expected = list(Evidence.objects.filter(score__period=with_history.period, score__unit=with_history.unit_a))
    with CaptureQueriesContext(connection) as queries:
        found = EVIDENCE.objects(with_history.period.pk, with_history.unit_a.pk)
        scores = [item.score for item in found]  # attached: no query of their own
    assert len(queries) == 1 and len(found) == 2
    assert [values(e) for e in found] == [values(e) for e in expected]
    assert [values(s) for s in scores] == [values(e.score) for e in expected]

    history = HISTORY.objects(with_history.period.pk, with_history.unit_a.pk)
    cast = with_history
    latest = AuditEntry.objects.filter(period=cast.period, unit=cast.unit_a).select_related("by", "criterion")[0]
    assert [values(h) for h in history] == [values(latest)]  # the slice and the model's ordering (newest first)
    assert history[0].by is None and history[0].criterion.code == "1.1" and isinstance(history[0].at, datetime)
    assert history[0].at.tzinfo is not None


def test_arguments_bind_by_position_even_when_equal(with_history):
    same = Prepared(lambda a, b: Unit.objects.filter(pk=a, block_id=b).order_by(), (int, int))
    unit = with_history.unit_a
    assert [u.pk for u in same.objects(unit.pk, unit.block_id)] == [unit.pk]
    assert same.objects(unit.block_id, unit.pk) == list(Unit.objects.filter(pk=unit.block_id, block_id=unit.pk))
    by_code = Prepared(lambda code, block: Unit.objects.filter(code=code, block_id=block).order_by(), (str, int))
    assert by_code.objects(unit.code, unit.block_id) == [unit]
    assert by_code.objects("' OR 1=1 --", unit.block_id) == []  # a parameter, never SQL


def test_rows_of_values_list(with_history):
    groups = Prepared(lambda user: Group.objects.filter(user__id=user).values_list("name").order_by("name"), (int,))
    for user in (with_history.staff_a, with_history.appraiser, with_history.admin):
        assert groups.rows(user.pk) == list(user.groups.order_by("name").values_list("name"))
    with pytest.raises(TypeError):
        SCORES.rows(with_history.period.pk, with_history.unit_a.pk)
    with pytest.raises(TypeError):
        groups.objects(with_history.staff_a.pk)


def test_an_argument_the_compiler_transforms_is_refused(db):
    wrapped = Prepared(lambda text: Unit.objects.filter(name__icontains=text), (str,))
    with pytest.raises(NotPreparable):
        wrapped.objects("huế")
    with pytest.raises(TypeError):
        SCORES.objects(1)


def test_records_carry_the_instances_fields_and_pk(with_history):
    cast = with_history
    objects = SCORES.objects(cast.period.pk, cast.unit_a.pk)
    records = SCORES.records(cast.period.pk, cast.unit_a.pk)
    assert len(records) == len(objects) == 2
    for record, obj in zip(records, objects, strict=True):
        assert {name: getattr(record, name) for name in FIELDS[Score]} == values(obj) and record.pk == obj.pk
    assert any(isinstance(r.self_points, Decimal) for r in records) and isinstance(records[0].updated_at, datetime)
    with pytest.raises(AttributeError):
        records[0].self_points = Decimal(1)  # read-only: a page that reads records cannot save them by mistake
