"""The period page ranks units among the whole period while it reads only a page of them: the preview of the
table to publish and the sorted unit table give each unit the rank and grade publication gives it
(results.period_standings, the engine over every unit's leaves) — units tied at the printed precision across the
preview's last row, both tie rules, blanks last whichever way a column is sorted."""

from decimal import Decimal

import pytest
from django.test import Client

from scoring import ranking
from scoring.models import Period, Score
from scoring.results import period_standings, unit_sums_refresh
from scoring.staff import views
from tests.browser import table_with
from tests.conftest import make_units
from tests.scoring.workflow_cast import Cast

pytestmark = pytest.mark.django_db

S = Period.Status
# Appraised points on leaf 2 (of 60) for each extra unit; every other scored leaf full. Printed at one place,
# 80.04 and 79.96 both show 80.0; 75.05 shows 75.1, 75.04 shows 75.0.
POINTS = ["50.040", "49.960", "50.040", "45.050", "45.040", "49.960", "40.000", "55.500", "49.960", "30.000"]


@pytest.fixture
def ranked(so, scheme):
    cast = Cast(so, scheme)
    Period.objects.filter(pk=cast.period.pk).update(published_decimals=1)
    cast.set_status(S.APPROVED)
    units = make_units(so, [f"UBND phường {chr(ord('A') + i)}" for i in range(len(POINTS))])
    rows = []
    for unit, points in zip(units, POINTS, strict=True):
        for code, leaf in cast.leaf.items():
            value = Decimal(points) if code == "2" else leaf.max_points if leaf.method in ("self", "survey") else None
            rows.append(Score(period=cast.period, unit=unit, criterion=leaf, appraised_points=value))
    Score.objects.bulk_create(rows)
    unit_sums_refresh(cast.period)
    cast.units = units
    return cast


def published_table(cast):
    """unit name -> (rank, grade) as publication computes them, from every leaf of every unit."""
    units = [(u.pk, u.name) for u in [cast.unit_a, cast.unit_b, cast.unit_c, *cast.units]]
    found = period_standings(cast.period, units)
    names = dict(units)
    return {names[pk]: (s.ranked.rank, s.ranked.band.label) for pk, s in found.items() if s.ranked}


def admin_page(cast, query=""):
    client = Client()
    client.force_login(cast.admin)
    return client.get(f"/cham-diem/ky/{cast.period.pk}/{query}").content.decode()


@pytest.mark.parametrize("tie", ranking.TIE_RULES)
def test_the_preview_cut_inside_a_tie_shows_the_published_order_and_ranks(ranked, monkeypatch, tie):
    Period.objects.filter(pk=ranked.period.pk).update(tie_rule=tie)
    ranked.period.refresh_from_db()
    monkeypatch.setattr(views, "PREVIEW_ROWS", 3)
    in_order = sorted(published_table(ranked).items(), key=lambda i: (i[1][0], ranking.vietnamese_sort_key(i[0])))
    preview = table_with(admin_page(ranked), "Bảng xếp hạng tính từ điểm thẩm định").body()
    assert [(r[1], int(r[4]), r[3]) for r in preview] == [(n, rank, grade) for n, (rank, grade) in in_order[:3]]
    if tie == ranking.TIE_SHOWN:  # 80.04, 80.04, 79.96 ×3 all print 80.0: five share rank 2, after 85.5
        assert [int(r[4]) for r in preview] == [1, 2, 2]


@pytest.mark.parametrize("sort", ["rank", "-rank", "projected", "-projected", "grade"])
def test_every_unit_shows_its_published_rank_and_grade_whichever_way_the_table_is_sorted(ranked, sort):
    expected = published_table(ranked)
    rows = table_with(admin_page(ranked, f"?sort={sort}"), "progress").body()
    shown = {r[0]: (r[-2], r[-3]) for r in rows}
    assert {name: (str(rank), grade) for name, (rank, grade) in expected.items()} == {
        name: value for name, value in shown.items() if value[0] not in ("", "—")
    }
    blanks = [i for i, r in enumerate(rows) if r[-2] in ("", "—")]
    assert blanks == list(range(len(rows) - len(blanks), len(rows)))  # the three units without a total: last
    ranks = [int(r[-2]) for r in rows if r[-2] not in ("", "—")]
    assert ranks == sorted(ranks, reverse=sort in ("-rank", "projected"))
    if sort == "rank":  # units of equal rank in the order the table to publish lists them: by name
        in_order = sorted(expected.items(), key=lambda i: (i[1][0], ranking.vietnamese_sort_key(i[0])))
        assert [r[0] for r in rows if r[-2] not in ("", "—")] == [name for name, _ in in_order]


def test_the_projected_total_is_shown_at_the_printed_precision(ranked):
    rows = table_with(admin_page(ranked, "?sort=rank"), "progress").body()
    assert rows[0][-4] == "95,5" and rows[1][-4] == "90,0"  # 95.500 and 90.040 printed at one place
