"""The sums the period page reads (UnitSums, one row per unit) are kept by every write of scores, in its transaction:
after a save on the entry page, a score-sheet import, an evidence upload that starts a score row and the
demonstration data, each unit's stored sums are exactly what its leaves say (figures.sums_of over points_of), its
last change is its scores' latest, and its kept total is the engine's total of its leaves. A new way of writing
scores that forgets to add them up fails here: either in the paths below, or in the source scan at the end."""

import re
from decimal import Decimal
from io import BytesIO
from pathlib import Path

from django.db import connection
from django.db.models import Max
from openpyxl import load_workbook

from scoring.figures import sums_of, unit_figures
from scoring.imports.score_sheets import CODE_ROW, FIRST_ROW, KINDS, run_check, score_template, scores_import
from scoring.models import Criterion, Method, Period, Score, UnitSums
from scoring.results import blank_sums, points_of, unit_sums
from scoring.scores import Change, evidence_add, scores_save
from tests.conftest import make_units

SCORING = Path(__file__).resolve().parents[2] / "scoring"


def assert_kept(period: Period) -> None:
    """The stored sums of every unit of the period's block agree with its leaves, and nothing else is stored."""
    tree = Criterion.objects.tree_of(period.criteria_set_id)
    sums, changed = unit_sums(period, tree)
    points = points_of(period)
    stored = set(UnitSums.objects.filter(period=period).values_list("unit_id", flat=True))
    scored = set(Score.objects.filter(period=period).values_list("unit_id", flat=True))
    assert stored == scored
    totals = dict(UnitSums.objects.filter(period=period).values_list("unit_id", "total"))
    for unit_id in scored | set(points):
        assert sums.get(unit_id, blank_sums(tree)) == sums_of(tree, points.get(unit_id, {})), unit_id
        # The kept total is the engine's, from the leaves themselves (unit_figures), to the last place.
        figures = unit_figures(tree, points.get(unit_id, {}))
        assert totals.get(unit_id) == (figures.total.total if figures.total else None), unit_id
        latest = Score.objects.filter(period=period, unit_id=unit_id).aggregate(at=Max("updated_at"))["at"]
        assert changed.get(unit_id) == latest, unit_id


def test_a_save_on_the_entry_page_keeps_the_sums(cast, client):
    assert_kept(cast.period)
    client.force_login(cast.staff_a)
    url = f"/cham-diem/ky/{cast.period.pk}/don-vi/{cast.unit_a.code}/"
    leaf = cast.leaf["2"]
    assert client.post(url, {f"{leaf.pk}-self_points": "45,5", "action": "save"}).status_code == 302
    assert Score.objects.get(unit=cast.unit_a, criterion=leaf).self_points == Decimal("45.5")
    assert UnitSums.objects.get(period=cast.period, unit=cast.unit_a).self_total == Decimal("45.5")
    assert_kept(cast.period)
    # A second save changes the sums again (the row is replaced, not added to).
    scores_save(
        period=cast.period,
        unit=cast.unit_a,
        changes=[Change("self_points", leaf.pk, "30"), Change("self_points", cast.leaf["1.1"].pk, "2")],
        by=cast.staff_a,
    )
    assert UnitSums.objects.get(period=cast.period, unit=cast.unit_a).self_total == Decimal("32")
    assert_kept(cast.period)


def test_saves_of_the_same_shape_reuse_one_statement_and_keep_each_units_sums(cast):
    """The grouped query of a refresh is compiled once per shape (how many leaves and units): a save of another unit
    runs that statement with its own unit, and each unit's row says what its own leaves say."""
    from scoring import results

    results._SUMS_STATEMENTS.clear()
    for unit, staff, points in ((cast.unit_a, cast.staff_a, "12"), (cast.unit_b, cast.staff_b, "7,5")):
        scores_save(period=cast.period, unit=unit, changes=[Change("self_points", cast.leaf["2"].pk, points)], by=staff)
    assert len(results._SUMS_STATEMENTS) == 1
    totals = dict(UnitSums.objects.filter(period=cast.period).values_list("unit_id", "self_total"))
    assert (totals[cast.unit_a.pk], totals[cast.unit_b.pk]) == (Decimal(12), Decimal("7.5"))
    assert_kept(cast.period)


def test_a_score_sheet_import_keeps_the_sums(cast):
    kind = KINDS["tham-dinh"]
    cast.set_status(Period.Status.APPRAISAL)
    wb = load_workbook(BytesIO(score_template(cast.period, kind, cast.admin)))
    ws = wb.active
    codes = [cell.value for cell in ws[CODE_ROW]]
    for row in ws.iter_rows(min_row=FIRST_ROW):
        for i, code in enumerate(codes[2:], start=2):
            leaf = cast.leaf[code]
            row[i].value = float(leaf.max_points / 4) if leaf.method == Method.SELF else None
    buffer = BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    checked = run_check(buffer, "bang-diem.xlsx", cast.period, kind, cast.admin)
    assert checked.ok, checked
    written = scores_import(check=checked, period=cast.period, file_name="bang-diem.xlsx", by=cast.admin)
    assert written > 3
    assert UnitSums.objects.get(period=cast.period, unit=cast.unit_b).appraised_total > 0
    assert_kept(cast.period)


def test_an_evidence_upload_that_starts_a_score_keeps_the_sums(cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    leaf = cast.leaf["1.1"]
    evidence_add(
        period=cast.period, unit=cast.unit_b, criterion=leaf, by=cast.staff_b, link="https://example.gov.vn/qd-12"
    )
    assert Score.objects.filter(period=cast.period, unit=cast.unit_b, criterion=leaf).exists()
    assert_kept(cast.period)


def test_the_demonstration_data_keeps_the_sums(so):
    from scoring.ops.demo import demo_seed

    make_units(so, [f"Sở minh họa {n:02}" for n in range(1, 17)])
    period = demo_seed()
    assert UnitSums.objects.filter(period=period).exists()
    assert_kept(period)


WRITES = re.compile(
    r"Score\.objects\.(bulk_create|create|get_or_create|update_or_create)\b|insert_rows\(\s*Score\b|"
    r"Score\.objects\.filter\([^)]*\)\.(update|delete)\((?!round1|appraiser_comment)"
)


def test_every_module_that_writes_scores_adds_them_up():
    """A module of the portal that inserts or changes scores calls unit_sums_refresh (its own tests above show it
    does so rightly). Workflow moves only copy round 1 and comments, which no sum reads."""
    writers = {
        path.relative_to(SCORING).as_posix(): path.read_text()
        for path in SCORING.rglob("*.py")
        if "migrations" not in path.parts and WRITES.search(path.read_text())
    }
    assert {"scores.py", "ops/demo.py"} <= set(writers)
    assert [name for name, text in writers.items() if "unit_sums_refresh" not in text] == []


def test_a_change_of_the_criteria_while_the_period_is_open_adds_the_sums_up_again(
    cast, django_capture_on_commit_callbacks
):
    """A leaf's maximum and method count in the sums (out of range, survey apart from self-assessed): changed in the
    admin while scores exist, the period's sums follow — once for the whole change, however many nodes it saved."""
    two, one = cast.leaf["2"], cast.leaf["1.1"]
    scores_save(
        period=cast.period,
        unit=cast.unit_a,
        changes=[Change("self_points", two.pk, "45"), Change("self_points", one.pk, "2")],
        by=cast.staff_a,
    )
    before = UnitSums.objects.get(period=cast.period, unit=cast.unit_a)
    # Building the cast queued a refresh for its own criteria, which a test's transaction never commits: dropped, so
    # that what the change below queues is seen (and run) alone.
    connection.run_on_commit.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        Criterion.objects.filter(pk=two.pk).update(max_points=Decimal("40"))  # past save(): no signal, as a raw write
        two.refresh_from_db()
        two.save()  # the admin's save: 45 is now above the maximum
        one.method = Method.SURVEY
        one.save()  # self-assessed points on a survey leaf no longer count as self-assessment
    assert len(callbacks) == 1
    after = UnitSums.objects.get(period=cast.period, unit=cast.unit_a)
    assert (after.out_of_range, after.self_total) != (before.out_of_range, before.self_total)
    assert_kept(cast.period)
