"""scoring/locks.py: once a period is published the database itself refuses to change it in place.

Every refused write is wrapped in its own savepoint (`transaction.atomic()`), must raise a DatabaseError
whose message starts with "cchc_locked:" and must leave the rows exactly as they were. The allowed
writes (scores before publication, published -> locked, superseding a sealed version, a correction's new
version, the audit log's inserts) are checked too. Runs on SQLite and PostgreSQL.
"""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from scoring import locks
from scoring.models import (
    AuditEntry,
    CriteriaSet,
    Criterion,
    Evidence,
    GradeScheme,
    Method,
    Period,
    Result,
    ResultVersion,
    Score,
)
from tests.conftest import make_units, publish_table
from units.models import Block, Unit

LOCKED = ("published", "locked")
LINK = "https://sonoivu.thuathienhue.gov.vn/qd-123.pdf"


class Rollback(Exception):
    """Raised to roll back a write that is expected to succeed."""


@dataclass
class Cast:
    period: Period
    version: ResultVersion | None
    score: Score  # has evidence
    bare_score: Score  # has none, so the ORM will try to delete it
    evidence: Evidence
    result: Result | None
    audit: AuditEntry
    units: list[Unit]
    free_leaf: Criterion  # a leaf no score uses
    user: object


def row(obj) -> dict:
    """The row as the database holds it now."""
    return type(obj)._base_manager.filter(pk=obj.pk).values().get()


def assert_refused(write, *rows, counts=(), message="") -> str:
    """`write` raises a cchc_locked DatabaseError; `rows` and the `counts` (models) are unchanged."""
    before = [row(r) for r in rows]
    before_counts = [model._base_manager.count() for model in counts]
    with pytest.raises(DatabaseError) as caught, transaction.atomic():
        write()
    text = str(caught.value)
    assert text.startswith("cchc_locked:"), text
    assert message in text
    assert [row(r) for r in rows] == before
    assert [model._base_manager.count() for model in counts] == before_counts
    return text


def assert_allowed(write) -> None:
    """`write` succeeds; it is then rolled back."""
    with pytest.raises(Rollback), transaction.atomic():
        write()
        raise Rollback


@pytest.fixture
def user(db):
    return get_user_model().objects.create_user("canbo", password="mat-khau-dai-123")


@pytest.fixture
def units(so):
    return make_units(so, ["Sở Nội vụ", "Sở Tư pháp", "Sở Y tế"])


def leaves(criteria_set: CriteriaSet) -> dict[str, Criterion]:
    return {c.code: c for c in criteria_set.criteria.all()}


def new_result(period, version, unit, total: str, rank: int) -> Result:
    return Result.objects.create(
        period=period,
        version=version,
        unit=unit,
        total=Decimal(total),
        grade_code="tot",
        grade="Tốt",
        rank=rank,
        position=rank,
    )


def build(*, block, scheme, criteria_set, units, user, year=2024, status="draft", publish=False) -> Cast:
    """A period with scores, evidence and an audit entry; with `publish`, a sealed version and results too.

    Published the way the brief describes: results inserted into an unsealed version, the version sealed
    and made current, then the period's status moved to `status` (published, or published then locked).
    """
    period = Period.objects.create(
        year=year,
        block=block,
        criteria_set=criteria_set,
        grade_scheme=scheme,
        status="approved" if publish else status,
        signer="Nguyễn Văn A",
        source="Quyết định công bố",
    )
    nodes = leaves(criteria_set)
    score = Score.objects.create(
        period=period, unit=units[0], criterion=nodes["1.1"], self_points=Decimal("25"), appraised_points=Decimal("24")
    )
    bare_score = Score.objects.create(
        period=period, unit=units[0], criterion=nodes["2"], appraised_points=Decimal("30")
    )
    evidence = Evidence.objects.create(score=score, link=LINK, title="Quyết định 123", uploaded_by=user)
    audit = AuditEntry.objects.create(
        period=period, by=user, unit=units[0], action=AuditEntry.Action.APPRAISED_POINTS, old="25", new="24"
    )
    version = result = None
    if publish:
        version = ResultVersion.objects.create(
            period=period, number=1, decision_number="123/QĐ-UBND", decision_date=date(2025, 3, 1)
        )
        result = new_result(period, version, units[0], "90.375", 1)
        new_result(period, version, units[1], "85.75", 2)
        ResultVersion.objects.filter(pk=version.pk).update(sealed=True, is_current=True, published_at=timezone.now())
        Period.objects.filter(pk=period.pk).update(
            status="published", decision_number="123/QĐ-UBND", decision_date=date(2025, 3, 1)
        )
        if status == "locked":
            Period.objects.filter(pk=period.pk).update(status="locked")
        version.refresh_from_db()
        result.refresh_from_db()
    period.refresh_from_db()
    assert period.status == status
    return Cast(
        period=period,
        version=version,
        score=score,
        bare_score=bare_score,
        evidence=evidence,
        result=result,
        audit=audit,
        units=units,
        free_leaf=nodes["T"],
        user=user,
    )


@pytest.fixture(params=LOCKED)
def frozen(request, so, scheme, criteria_tree, units, user) -> Cast:
    """A published (then, for the second run, locked) period of 2024 with everything attached."""
    return build(
        block=so, scheme=scheme, criteria_set=criteria_tree, units=units, user=user, status=request.param, publish=True
    )


@pytest.fixture
def open_cast(so, scheme, criteria_tree, units, user) -> Cast:
    """A period of 2023, still open for self-assessment, on the same criteria set."""
    return build(block=so, scheme=scheme, criteria_set=criteria_tree, units=units, user=user, year=2023, status="open")


def raw(sql: str, params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


# --------------------------------------------------------------------------------------------- install


@pytest.mark.django_db
def test_migration_installs_every_trigger():
    expected = locks.trigger_names(connection.vendor)
    if connection.vendor == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s"
    elif connection.vendor == "postgresql":
        sql = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE %s"
    else:
        pytest.skip("the locks exist on SQLite and PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute(sql, ["cchc_lock%"])
        installed = sorted(name for (name,) in cursor.fetchall())
    assert installed == sorted(expected)
    assert len(expected) == (28 if connection.vendor == "sqlite" else 9 + len(locks.PG_TRUNCATE_TABLES))


@pytest.mark.django_db
def test_uninstall_then_install_round_trip(frozen):
    def edit_score():
        Score.objects.filter(pk=frozen.score.pk).update(appraised_points=Decimal("1"))

    assert_refused(edit_score, frozen.score)
    locks.uninstall(connection)
    try:
        locks.uninstall(connection)  # idempotent
        assert_allowed(edit_score)
    finally:
        locks.install(connection)
    locks.install(connection)  # idempotent: drops and re-creates
    assert_refused(edit_score, frozen.score)
    assert row(frozen.score)["appraised_points"] == Decimal("24")


def installed_frozen_columns(table: str) -> set[str]:
    """The columns the installed UPDATE lock of `table` compares, read back from the database."""
    if connection.vendor == "sqlite":
        name = {"scoring_period": "cchc_lock_period_update", "scoring_resultversion": "cchc_lock_resultversion_update"}
        sql, params = "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = %s", [name[table]]
    else:
        function = {"scoring_period": "cchc_lock_period", "scoring_resultversion": "cchc_lock_resultversion"}
        sql, params = "SELECT pg_get_functiondef(%s::regproc)", [function[table]]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        (definition,) = cursor.fetchone()
    return set(re.findall(r"NEW\.(\w+)", definition)) - set(locks.MOVABLE[table])


@pytest.mark.django_db
@pytest.mark.parametrize(("model", "movable"), [(Period, {"status"}), (ResultVersion, {"is_current"})])
def test_every_column_but_the_movable_ones_is_frozen(model, movable):
    """A column added to the model later is frozen without anyone listing it."""
    if connection.vendor not in ("sqlite", "postgresql"):
        pytest.skip("the locks exist on SQLite and PostgreSQL only")
    columns = {field.column for field in model._meta.concrete_fields}
    assert set(locks.MOVABLE[model._meta.db_table]) == movable
    assert installed_frozen_columns(model._meta.db_table) == columns - movable


@pytest.mark.django_db
def test_a_column_added_to_a_locked_table_is_frozen_when_the_locks_are_installed_again(frozen):
    if connection.vendor not in ("sqlite", "postgresql"):
        pytest.skip("the locks exist on SQLite and PostgreSQL only")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending foreign-key checks before an ALTER
        cursor.execute("ALTER TABLE scoring_period ADD COLUMN remark varchar(20) NULL")
    locks.install(connection)  # what post_migrate does after every migrate
    assert "remark" in installed_frozen_columns("scoring_period")
    with pytest.raises(DatabaseError, match="cchc_locked"), transaction.atomic():
        raw("UPDATE scoring_period SET remark = %s WHERE id = %s", ["sửa", frozen.period.pk])


# ---------------------------------------------------------------------------------------- 1. scores


@pytest.mark.django_db
def test_score_insert_refused(frozen):
    assert_refused(
        lambda: Score.objects.create(
            period=frozen.period, unit=frozen.units[2], criterion=frozen.free_leaf, appraised_points=Decimal("1")
        ),
        counts=[Score],
        message="không được sửa điểm",
    )
    assert_refused(
        lambda: Score.objects.bulk_create(
            [Score(period=frozen.period, unit=u, criterion=frozen.free_leaf) for u in frozen.units]
        ),
        counts=[Score],
    )


@pytest.mark.django_db
def test_score_update_refused(frozen):
    def save():
        score = Score.objects.get(pk=frozen.score.pk)
        score.appraised_points = Decimal("25")
        score.save()

    assert_refused(save, frozen.score)
    assert_refused(lambda: Score.objects.filter(period=frozen.period).update(note="sửa sau công bố"), frozen.score)
    assert_refused(
        lambda: raw("UPDATE scoring_score SET appraised_points = %s WHERE id = %s", ["1", frozen.score.pk]),
        frozen.score,
        frozen.bare_score,
    )


@pytest.mark.django_db
def test_score_cannot_move_into_or_out_of_a_frozen_period(frozen, open_cast):
    # Into the published period (NEW.period_id) ...
    assert_refused(
        lambda: Score.objects.filter(pk=open_cast.bare_score.pk).update(period=frozen.period), open_cast.bare_score
    )
    # ... or out of it (OLD.period_id).
    assert_refused(
        lambda: Score.objects.filter(pk=frozen.bare_score.pk).update(period=open_cast.period), frozen.bare_score
    )


@pytest.mark.django_db
def test_score_delete_refused(frozen):
    assert_refused(lambda: Score.objects.get(pk=frozen.bare_score.pk).delete(), frozen.bare_score, counts=[Score])
    assert_refused(lambda: raw("DELETE FROM scoring_score WHERE id = %s", [frozen.bare_score.pk]), frozen.bare_score)


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["draft", "open", "appraisal"])
def test_scores_of_a_period_in_progress_can_be_written(status, so, scheme, criteria_tree, units, user):
    cast = build(block=so, scheme=scheme, criteria_set=criteria_tree, units=units, user=user, status=status)
    score = Score.objects.create(period=cast.period, unit=units[1], criterion=cast.free_leaf, self_points=Decimal("1"))
    score.appraised_points = Decimal("1.5")
    score.save()
    Score.objects.filter(period=cast.period).update(note="đã xem")
    assert row(score)["appraised_points"] == Decimal("1.5")
    score.delete()
    cast.bare_score.delete()
    assert list(Score.objects.filter(period=cast.period).values_list("pk", flat=True)) == [cast.score.pk]
    assert row(cast.score)["note"] == "đã xem"


# -------------------------------------------------------------------------------------- 2. evidence


@pytest.mark.django_db
def test_evidence_insert_refused(frozen):
    assert_refused(
        lambda: Evidence.objects.create(score=frozen.bare_score, link=LINK, uploaded_by=frozen.user),
        counts=[Evidence],
        message="tài liệu kiểm chứng",
    )


@pytest.mark.django_db
def test_evidence_update_refused(frozen):
    assert_refused(lambda: Evidence.objects.filter(pk=frozen.evidence.pk).update(removed=True), frozen.evidence)
    assert_refused(
        lambda: Evidence.objects.filter(pk=frozen.evidence.pk).update(score=frozen.bare_score), frozen.evidence
    )


@pytest.mark.django_db
def test_evidence_cannot_move_onto_a_frozen_score(frozen, open_cast):
    assert_refused(
        lambda: Evidence.objects.filter(pk=open_cast.evidence.pk).update(score=frozen.bare_score), open_cast.evidence
    )


@pytest.mark.django_db
def test_evidence_delete_refused(frozen):
    assert_refused(lambda: Evidence.objects.get(pk=frozen.evidence.pk).delete(), frozen.evidence, counts=[Evidence])


@pytest.mark.django_db
def test_evidence_of_a_period_in_progress_can_be_written(open_cast):
    item = Evidence.objects.create(score=open_cast.bare_score, link=LINK, uploaded_by=open_cast.user)
    Evidence.objects.filter(pk=item.pk).update(removed=True, title="Bản cũ")
    assert row(item)["removed"] is True
    item.delete()
    open_cast.evidence.delete()
    assert not Evidence.objects.filter(score__period=open_cast.period).exists()


# --------------------------------------------------------------------------------------- 3. results


@pytest.mark.django_db
def test_result_update_refused(frozen):
    def save():
        result = Result.objects.get(pk=frozen.result.pk)
        result.total = Decimal("99")
        result.save()

    assert_refused(save, frozen.result, message="kết quả đã công bố, không được sửa")
    assert_refused(lambda: Result.objects.filter(period=frozen.period).update(rank=1), frozen.result)
    assert_refused(
        lambda: raw("UPDATE scoring_result SET grade = %s WHERE id = %s", ["Xuất sắc", frozen.result.pk]),
        frozen.result,
    )


@pytest.mark.django_db
def test_result_delete_refused(frozen):
    assert_refused(lambda: Result.objects.get(pk=frozen.result.pk).delete(), frozen.result, counts=[Result])
    assert_refused(lambda: Result.objects.filter(period=frozen.period).delete(), frozen.result, counts=[Result])


@pytest.mark.django_db
def test_result_insert_into_a_sealed_version_refused(frozen):
    assert_refused(
        lambda: new_result(frozen.period, frozen.version, frozen.units[2], "70", 3),
        counts=[Result],
        message="niêm phong",
    )


@pytest.mark.django_db
def test_sealed_version_refuses_results_even_before_the_period_is_published(so, scheme, units):
    period = Period.objects.create(year=2022, block=so, grade_scheme=scheme, status="approved")
    version = ResultVersion.objects.create(period=period, number=1, sealed=True, is_current=True)
    assert_refused(
        lambda: new_result(period, version, units[0], "70", 1),
        counts=[Result],
    )


@pytest.mark.django_db
def test_a_correction_writes_a_new_version_and_supersedes_the_old_one(frozen):
    v1 = frozen.version
    before = row(v1)
    v2 = ResultVersion.objects.create(period=frozen.period, number=2, reason="Cộng sai điểm tiêu chí 2")
    new_result(frozen.period, v2, frozen.units[1], "91", 1)
    new_result(frozen.period, v2, frozen.units[0], "90.375", 2)
    # The old version gives way only to a sealed one: sealed first, then the swap.
    assert_refused(lambda: ResultVersion.objects.filter(pk=v1.pk).update(is_current=False), v1)
    ResultVersion.objects.filter(pk=v2.pk).update(sealed=True, published_at=timezone.now())
    ResultVersion.objects.filter(pk=v1.pk).update(is_current=False)
    ResultVersion.objects.filter(pk=v2.pk).update(is_current=True)
    assert row(v1) == {**before, "is_current": False}
    assert_refused(lambda: ResultVersion.objects.filter(pk=v1.pk).update(is_current=True), v1)  # never back
    assert list(ResultVersion.objects.filter(period=frozen.period, is_current=True)) == [v2]
    assert Result.objects.filter(version=v2).count() == 2
    # Sealed now: the correction itself is as final as the original.
    assert_refused(
        lambda: new_result(frozen.period, v2, frozen.units[2], "70", 3),
        counts=[Result],
    )


@pytest.mark.django_db
def test_publish_table_helper_still_works_and_its_results_are_frozen(so):
    period = publish_table(so, 2021, [("Sở Nội vụ", "90.5"), ("Sở Tư pháp", "88")])
    assert period.results.count() == 2
    first = period.results.get(position=1)
    assert_refused(lambda: Result.objects.filter(pk=first.pk).update(total=Decimal("1")), first)


# ------------------------------------------------------------------------------- 4. result versions


@pytest.mark.django_db
def test_sealed_version_delete_refused(frozen, so, scheme):
    assert_refused(
        lambda: raw("DELETE FROM scoring_resultversion WHERE id = %s", [frozen.version.pk]),
        frozen.version,
        counts=[ResultVersion],
        message="không được xóa",
    )
    # A sealed version without results: the ORM gets as far as the DELETE.
    period = Period.objects.create(year=2020, block=so, grade_scheme=scheme, status="approved")
    empty = ResultVersion.objects.create(period=period, number=1, sealed=True)
    assert_refused(lambda: ResultVersion.objects.get(pk=empty.pk).delete(), empty, counts=[ResultVersion])


FROZEN_VERSION_CHANGES = {
    "period": lambda cast: Period.objects.create(
        year=2019, block=cast.period.block, grade_scheme=cast.period.grade_scheme
    ),
    "number": lambda cast: 7,
    "sealed": lambda cast: False,
    "reason": lambda cast: "Sửa lặng lẽ",
    "decision_number": lambda cast: "999/QĐ-UBND",
    "decision_date": lambda cast: date(2025, 4, 1),
    "published_at": lambda cast: None,
    "published_by": lambda cast: cast.user,
}


@pytest.mark.django_db
@pytest.mark.parametrize("field", list(FROZEN_VERSION_CHANGES))
def test_sealed_version_columns_cannot_change(frozen, field):
    value = FROZEN_VERSION_CHANGES[field](frozen)
    assert_refused(
        lambda: ResultVersion.objects.filter(pk=frozen.version.pk).update(**{field: value}),
        frozen.version,
        message="chỉ được đổi trạng thái hiệu lực",
    )
    # Together with is_current, the change is refused just the same.
    assert_refused(
        lambda: ResultVersion.objects.filter(pk=frozen.version.pk).update(is_current=False, **{field: value}),
        frozen.version,
    )


@pytest.mark.django_db
def test_the_current_version_cannot_be_unset_by_itself_so_no_table_vanishes(frozen):
    before = row(frozen.version)
    text = assert_refused(
        lambda: ResultVersion.objects.filter(pk=frozen.version.pk).update(is_current=False), frozen.version
    )
    assert "mới hơn, đã niêm phong" in text
    empty = ResultVersion.objects.create(period=frozen.period, number=2, reason="Bản trống")
    assert_refused(lambda: ResultVersion.objects.filter(pk=empty.pk).update(sealed=True), empty)  # nothing in it
    # Saving the loaded version unchanged rewrites every column with its own value: allowed.
    ResultVersion.objects.get(pk=frozen.version.pk).save()
    assert row(frozen.version) == before


@pytest.mark.django_db
def test_an_unsealed_version_can_be_edited_and_deleted(frozen):
    draft = ResultVersion.objects.create(period=frozen.period, number=2, reason="Đính chính")
    ResultVersion.objects.filter(pk=draft.pk).update(reason="Đính chính số liệu", decision_number="130/QĐ-UBND")
    assert row(draft)["decision_number"] == "130/QĐ-UBND"
    draft.delete()
    assert not ResultVersion.objects.filter(pk=draft.pk).exists()


# ---------------------------------------------------------------------------------------- 5. periods


@pytest.mark.django_db
def test_frozen_period_delete_refused(frozen, so, scheme):
    assert_refused(
        lambda: raw("DELETE FROM scoring_period WHERE id = %s", [frozen.period.pk]),
        frozen.period,
        counts=[Period, Score, Result],
        message="không được xóa",
    )
    # A published period with nothing attached: the ORM gets as far as the DELETE.
    bare = Period.objects.create(year=2018, block=so, grade_scheme=scheme, status=frozen.period.status)
    assert_refused(lambda: Period.objects.get(pk=bare.pk).delete(), bare, counts=[Period])


FROZEN_PERIOD_CHANGES = {
    "year": lambda cast: 2030,
    "block": lambda cast: Block.objects.get(code="huyen"),
    "criteria_set": lambda cast: None,
    "grade_scheme": lambda cast: GradeScheme.objects.create(name="Thang xếp loại khác"),
    "decision_number": lambda cast: "999/QĐ-UBND",
    "decision_date": lambda cast: None,
    "signer": lambda cast: "Người khác",
    "deadline": lambda cast: timezone.now(),
    "published_decimals": lambda cast: 2,
    "is_partial": lambda cast: True,
    "is_demo": lambda cast: True,
    "source": lambda cast: "",
}


@pytest.mark.django_db
@pytest.mark.parametrize("field", list(FROZEN_PERIOD_CHANGES))
def test_frozen_period_fields_cannot_change(frozen, field):
    value = FROZEN_PERIOD_CHANGES[field](frozen)
    # The demonstration flag is refused for every period, published or not, with its own message.
    message = "cờ dữ liệu minh họa" if field == "is_demo" else "chỉ được chuyển từ đã công bố sang đã khóa"
    assert_refused(
        lambda: Period.objects.filter(pk=frozen.period.pk).update(**{field: value}),
        frozen.period,
        message=message,
    )

    def save():
        period = Period.objects.get(pk=frozen.period.pk)
        setattr(period, field, value)
        period.save()

    assert_refused(save, frozen.period)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "to"),
    [
        ("published", "draft"),
        ("published", "approved"),
        ("published", "appraisal_2"),
        ("locked", "published"),
        ("locked", "approved"),
        ("locked", "draft"),
    ],
)
def test_frozen_period_status_cannot_go_back(start, to, so, scheme, criteria_tree, units, user):
    cast = build(
        block=so, scheme=scheme, criteria_set=criteria_tree, units=units, user=user, status=start, publish=True
    )
    assert_refused(lambda: Period.objects.filter(pk=cast.period.pk).update(status=to), cast.period)


@pytest.mark.django_db
def test_published_period_can_be_locked_but_not_edited_on_the_way(so, scheme, criteria_tree, units, user):
    cast = build(
        block=so, scheme=scheme, criteria_set=criteria_tree, units=units, user=user, status="published", publish=True
    )
    assert_refused(
        lambda: Period.objects.filter(pk=cast.period.pk).update(status="locked", signer="Người khác"), cast.period
    )
    before = row(cast.period)
    Period.objects.filter(pk=cast.period.pk).update(status="locked")
    assert row(cast.period) == {**before, "status": "locked"}


@pytest.mark.django_db
def test_frozen_period_can_be_saved_unchanged(frozen):
    before = row(frozen.period)
    Period.objects.get(pk=frozen.period.pk).save()
    Period.objects.filter(pk=frozen.period.pk).update(status=frozen.period.status)
    assert row(frozen.period) == before


@pytest.mark.django_db
def test_period_before_publication_can_be_edited_and_deleted(so, scheme):
    period = Period.objects.create(year=2017, block=so, grade_scheme=scheme, status="approved")
    Period.objects.filter(pk=period.pk).update(signer="Nguyễn Văn B", status="appraisal_2", published_decimals=2)
    assert row(period)["status"] == "appraisal_2"
    period.delete()
    assert not Period.objects.filter(pk=period.pk).exists()


# --------------------------------------------------------------------------------------- 6. criteria


@pytest.mark.django_db
def test_criterion_insert_refused(frozen, criteria_tree):
    assert_refused(
        lambda: Criterion.objects.create(
            criteria_set=criteria_tree, code="4", title="Tiêu chí thêm sau", max_points=Decimal("1")
        ),
        counts=[Criterion],
        message="bộ tiêu chí",
    )


@pytest.mark.django_db
def test_criterion_update_refused(frozen, criteria_tree):
    def save():
        node = Criterion.objects.get(pk=frozen.free_leaf.pk)
        node.max_points = Decimal("5")
        node.save()

    assert_refused(save, frozen.free_leaf)
    assert_refused(
        lambda: Criterion.objects.filter(criteria_set=criteria_tree).update(title="Đổi tên"), frozen.free_leaf
    )


@pytest.mark.django_db
def test_criterion_delete_refused(frozen):
    assert_refused(lambda: Criterion.objects.get(pk=frozen.free_leaf.pk).delete(), frozen.free_leaf, counts=[Criterion])


@pytest.mark.django_db
def test_criterion_cannot_move_into_or_out_of_a_frozen_set(frozen, criteria_tree, huyen):
    other = CriteriaSet.objects.create(year=2024, block=huyen, name="Bộ tiêu chí cấp huyện")
    loose = Criterion.objects.create(criteria_set=other, code="X", title="Tiêu chí rời", max_points=Decimal("1"))
    assert_refused(lambda: Criterion.objects.filter(pk=loose.pk).update(criteria_set=criteria_tree), loose)
    assert_refused(
        lambda: Criterion.objects.filter(pk=frozen.free_leaf.pk).update(criteria_set=other), frozen.free_leaf
    )


@pytest.mark.django_db
def test_criteria_of_a_set_used_only_before_publication_can_be_edited(open_cast, criteria_tree):
    node = Criterion.objects.create(
        criteria_set=criteria_tree, code="4", title="Tiêu chí mới", max_points=Decimal("1"), method=Method.BONUS
    )
    Criterion.objects.filter(pk=node.pk).update(title="Tiêu chí mới (sửa)")
    assert row(node)["title"] == "Tiêu chí mới (sửa)"
    node.delete()
    open_cast.free_leaf.delete()
    assert not Criterion.objects.filter(pk__in=[node.pk, open_cast.free_leaf.pk]).exists()


# ------------------------------------------------------------------------------------- 7. audit log


@pytest.mark.django_db
def test_audit_entries_are_append_only(open_cast):
    message = "cchc_locked: nhật ký thay đổi không được sửa hoặc xóa."
    entry = AuditEntry.objects.create(
        period=open_cast.period, by=open_cast.user, action=AuditEntry.Action.COMMENT, old="", new="Cần bổ sung"
    )
    assert AuditEntry.objects.filter(period=open_cast.period).count() == 2
    assert_refused(lambda: AuditEntry.objects.filter(pk=entry.pk).update(new="Đã sửa"), entry, message=message)

    def save():
        item = AuditEntry.objects.get(pk=entry.pk)
        item.reason = "thêm lý do"
        item.save()

    assert_refused(save, entry, message=message)
    assert_refused(lambda: AuditEntry.objects.get(pk=entry.pk).delete(), entry, counts=[AuditEntry], message=message)
    assert_refused(lambda: AuditEntry.objects.all().delete(), entry, open_cast.audit, counts=[AuditEntry])


@pytest.mark.django_db
def test_audit_entries_of_a_frozen_period_can_still_be_added_but_not_changed(frozen):
    AuditEntry.objects.create(period=frozen.period, action=AuditEntry.Action.PERIOD_STATUS, old="", new="Đã khóa")
    assert AuditEntry.objects.filter(period=frozen.period).count() == 2
    assert_refused(lambda: AuditEntry.objects.filter(pk=frozen.audit.pk).delete(), frozen.audit, counts=[AuditEntry])


@pytest.mark.django_db
def test_refusal_messages_are_vietnamese_and_prefixed():
    messages = [value for name, value in vars(locks).items() if name.startswith("MSG_")]
    assert len(messages) == 16
    for message in messages:
        assert message.startswith("cchc_locked: ")
        assert "'" not in message and "%" not in message  # safe inside SQL literals and RAISE formats
