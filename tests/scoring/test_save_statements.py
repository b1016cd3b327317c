"""A save costs what it writes: the values of a save are one `INSERT … ON CONFLICT DO UPDATE`, the audit rows
one insert, and a save of 105 values runs the same queries as a save of 3 — through the service and through
the entry page, on SQLite and PostgreSQL — while every value, its Decimal, its audit entry and the columns the
save does not own come out as before, and the lock triggers still refuse the statement."""

from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from scoring import scores
from scoring.models import AuditEntry, CriteriaSet, Criterion, Method, Period, Score
from scoring.permissions import UNIT_STAFF
from scoring.results import unit_sums_refresh
from scoring.scores import Change, scores_save
from tests.browser import submit_page
from tests.conftest import make_units
from tests.scoring.workflow_cast import user

LEAVES = 120


@pytest.fixture
def sheet_of_120_leaves(so, scheme):
    """One unit, an open period, a criteria set of 120 self-assessed leaves in 4 areas."""
    criteria = CriteriaSet.objects.create(year=2025, block=so, name="Bộ tiêu chí 120 tiêu chí")
    areas = [
        Criterion.objects.create(
            criteria_set=criteria, code=str(a), title=f"Lĩnh vực {a}", max_points=Decimal(75), method=Method.SELF,
            position=a * 100,
        )
        for a in range(1, 5)
    ]  # fmt: skip
    Criterion.objects.bulk_create(
        Criterion(
            criteria_set=criteria, parent=areas[i % 4], code=f"{i % 4 + 1}.{i // 4 + 1}", title=f"Tiêu chí {i}",
            max_points=Decimal("2.5"), method=Method.SELF, position=(i % 4 + 1) * 100 + i // 4 + 1,
        )
        for i in range(LEAVES)
    )  # fmt: skip
    (unit,) = make_units(so, ["Sở Tư pháp"])
    period = Period.objects.create(
        year=2025, block=so, criteria_set=criteria, grade_scheme=scheme, status=Period.Status.OPEN
    )
    leaves = list(Criterion.objects.filter(criteria_set=criteria, parent__isnull=False).order_by("position"))
    return period, unit, leaves, user("canbo.a", UNIT_STAFF, unit)


def statements(captured, verb: str, table: str) -> int:
    """The statements `verb` of `table` itself ("INSERT INTO t", "UPDATE t"), not those that only read it."""
    into = {"INSERT": f'INSERT INTO "{table}"', "UPDATE": f'UPDATE "{table}"'}[verb]
    return sum(1 for q in captured.captured_queries if q["sql"].startswith(into))


def save(period, unit, by, changes):
    with CaptureQueriesContext(connection) as captured:
        saved = scores_save(period=period, unit=unit, changes=changes, by=by)
    return saved, captured


def test_a_save_of_105_values_runs_the_queries_of_a_save_of_3(sheet_of_120_leaves):
    period, unit, leaves, staff = sheet_of_120_leaves
    # Half the leaves already have a score, so the large save both inserts and updates.
    Score.objects.bulk_create(Score(period=period, unit=unit, criterion=leaf, self_points=1) for leaf in leaves[::2])
    unit_sums_refresh(period)
    save(period, unit, staff, [Change("self_points", leaves[-1].pk, "0")])  # the first save starts the file
    few, small = save(period, unit, staff, [Change("self_points", leaf.pk, "2") for leaf in leaves[:3]])
    many = [Change("self_points", leaf.pk, "2,25") for leaf in leaves[3:73]]
    many += [Change("explanation", leaf.pk, f"Căn cứ {leaf.code}") for leaf in leaves[3:38]]
    assert len(many) == 105
    saved, large = save(period, unit, staff, many)
    assert (few.changed, saved.changed) == (3, 105)
    assert len(large) == len(small)
    for captured in (small, large):
        assert statements(captured, "INSERT", "scoring_score") == 1
        assert statements(captured, "UPDATE", "scoring_score") == 0
        assert statements(captured, "INSERT", "scoring_auditentry") == 1
        assert statements(captured, "INSERT", "scoring_unitsums") == 1
    stored = dict(Score.objects.filter(period=period, unit=unit).values_list("criterion_id", "self_points"))
    assert {stored[leaf.pk] for leaf in leaves[3:73]} == {Decimal("2.25")}
    assert all(isinstance(stored[leaf.pk], Decimal) for leaf in leaves[3:73])
    assert stored[leaves[0].pk] == Decimal(2) and stored[leaves[100].pk] == Decimal(1)  # untouched: as it was
    assert Score.objects.filter(period=period, unit=unit).count() == 3 + 70 + len(leaves[74::2]) + 1


def test_the_page_posts_105_values_with_the_queries_of_3(sheet_of_120_leaves):
    period, unit, leaves, staff = sheet_of_120_leaves
    client = Client()
    client.force_login(staff)
    url = f"/cham-diem/ky/{period.pk}/don-vi/{unit.code}/"

    def post(changes):
        page = client.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert submit_page(client, url, changes, button="save", page=page).status_code == 302
        return len(captured)

    post({f"{leaves[-1].pk}-self_points": "0"})  # the first save starts the file
    small = post({f"{leaf.pk}-self_points": "1" for leaf in leaves[:3]})
    large = {f"{leaf.pk}-self_points": "1,5" for leaf in leaves[3:73]}
    large |= {f"{leaf.pk}-explanation": "Có văn bản" for leaf in leaves[3:38]}
    assert post(large) == small
    assert AuditEntry.objects.filter(period=period, unit=unit).count() == 109


def test_a_save_keeps_the_audit_trail_and_the_columns_it_does_not_own(sheet_of_120_leaves):
    period, unit, leaves, staff = sheet_of_120_leaves
    first, second = leaves[:2]
    Score.objects.create(
        period=period, unit=unit, criterion=first, self_points=Decimal("1.5"), round1_points=Decimal(1),
        round1_comment="Thiếu văn bản", note="ghi chú",
    )  # fmt: skip
    before = Score.objects.get(criterion=first).updated_at
    scores_save(
        period=period,
        unit=unit,
        by=staff,
        reason="bổ sung",
        changes=[Change("self_points", first.pk, "2,5"), Change("self_points", second.pk, "0,75")],
    )
    kept = Score.objects.get(criterion=first)
    assert (kept.self_points, kept.round1_points, kept.round1_comment, kept.note) == (
        Decimal("2.5"), Decimal(1), "Thiếu văn bản", "ghi chú",
    )  # fmt: skip
    assert kept.updated_at > before
    assert Score.objects.get(criterion=second).self_points == Decimal("0.75")
    trail = AuditEntry.objects.filter(period=period).order_by("pk")
    assert [(e.criterion_id, e.action, e.old, e.new, e.reason, e.by_id) for e in trail] == [
        (first.pk, "self_points", "1,5", "2,5", "bổ sung", staff.pk),
        (second.pk, "self_points", "", "0,75", "bổ sung", staff.pk),
    ]


def test_the_lock_triggers_refuse_the_save_statement_of_a_published_period(sheet_of_120_leaves):
    period, unit, leaves, _ = sheet_of_120_leaves
    Score.objects.create(period=period, unit=unit, criterion=leaves[0], self_points=1)
    Period.objects.filter(pk=period.pk).update(status=Period.Status.PUBLISHED)
    for criterion in (leaves[0], leaves[1]):  # an update and an insert
        values = scores._stored_values(None) | {"self_points": Decimal(2)}
        with pytest.raises(DatabaseError, match="cchc_locked"), transaction.atomic():
            scores._upsert(period, {(unit.pk, criterion.pk): values}, timezone.now())
    assert list(Score.objects.filter(period=period).values_list("self_points", flat=True)) == [Decimal(1)]


def test_every_value_of_a_save_comes_back_as_written(sheet_of_120_leaves):
    """The rows reach the database as one text (JSON on PostgreSQL), the values every row shares as parameters of
    their own: quotes, backslashes, line breaks, braces and Vietnamese come back exactly, blanks stay blank, and a
    column that differs from row to row keeps each row's value."""
    period, unit, leaves, staff = sheet_of_120_leaves
    texts = [
        'Văn bản số 12/QĐ-UBND "về việc" ban hành',
        "đường dẫn C:\\hồ sơ\\năm 2025 và 100% {đạt} [x], %s; ' --",
        "dòng một\ndòng hai",
        "Có văn bản",
        "Có văn bản",
    ]
    points = ["2,5", "0", "1,125", "2,5", ""]
    changes = [Change("explanation", leaf.pk, text) for leaf, text in zip(leaves[:5], texts, strict=True)]
    changes += [Change("self_points", leaf.pk, value) for leaf, value in zip(leaves[:5], points, strict=True)]
    saved = scores_save(period=period, unit=unit, changes=changes, by=staff, reason='lý do "chung"')
    assert saved.changed == 9  # the blank points of a new score are no change
    stored = {
        s.criterion_id: (s.explanation, s.self_points)
        for s in Score.objects.filter(period=period, unit=unit).order_by("criterion__position")
    }
    assert [stored[leaf.pk] for leaf in leaves[:5]] == [
        (texts[0], Decimal("2.5")), (texts[1], Decimal(0)), (texts[2], Decimal("1.125")), (texts[3], Decimal("2.5")),
        (texts[4], None),
    ]  # fmt: skip
    trail = AuditEntry.objects.filter(period=period, action="explanation").order_by("criterion__position")
    assert [(e.old, e.new, e.reason, e.by_id) for e in trail] == [("", t, 'lý do "chung"', staff.pk) for t in texts]
    # Every row the same: each column is one parameter, and the values still land on every row.
    same = [Change("explanation", leaf.pk, "Đã bổ sung") for leaf in leaves[5:9]]
    assert scores_save(period=period, unit=unit, changes=same, by=staff).changed == 4
    assert set(Score.objects.filter(criterion__in=leaves[5:9]).values_list("explanation", flat=True)) == {"Đã bổ sung"}
