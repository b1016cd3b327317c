"""The period page of a large block: the units a page at a time, filtered by name, state and appraiser, sorted by
any column, in a number of queries that does not grow with the units; appraisers assigned by unit codes where a
list of thousands would be of no use."""

import re
from decimal import Decimal

import pytest
from django.test import Client

from scoring import progress, workflow
from scoring.models import AppraiserAssignment, Period, Score, Submission
from scoring.permissions import APPRAISER
from scoring.results import unit_sums_refresh
from scoring.staff import forms as scoring_forms
from tests.browser import form_data, load_form, submit_page, table_with
from tests.conftest import make_units
from tests.queries import assert_constant, count_cold
from tests.scoring.workflow_cast import Cast, user

S = Period.Status


@pytest.fixture
def big(so, scheme, monkeypatch):
    """The workflow cast with 250 more units; lists of more than 40 units go by code."""
    monkeypatch.setattr(scoring_forms, "UNITS_IN_A_LIST", 40)
    cast = Cast(so, scheme)
    cast.set_status(S.APPRAISAL)
    cast.more = make_units(so, [f"UBND xã Số {i:03d}" for i in range(250)])
    for unit in cast.more[:5]:
        Submission.objects.create(period=cast.period, unit=unit, status=Submission.Status.SUBMITTED)
    return cast


def page(client, cast, query=""):
    return client.get(f"/cham-diem/ky/{cast.period.pk}/{query}").content.decode()


def progress_rows(html) -> list[list[str]]:
    return table_with(html, "progress").body()


def test_a_page_of_a_hundred_units_then_the_next(big):
    admin = Client()
    admin.force_login(big.admin)
    first = page(admin, big)
    assert len(progress_rows(first)) == 100
    assert "Đơn vị 1–100 trong 253 · trang 1/3" in first and "Trang sau ›" in first
    third = page(admin, big, "?trang=3")
    assert len(progress_rows(third)) == 53 and "‹ Trang trước" in third
    assert len(progress_rows(page(admin, big, "?trang=abc"))) == 100  # a page that is not a number: the first
    assert len(progress_rows(page(admin, big, "?trang=99"))) == 53  # past the end: the last
    for before_the_first in ("?trang=0", "?trang=-1"):  # before the start: the first, not the last
        assert "Đơn vị 1–100 trong 253 · trang 1/3" in page(admin, big, before_the_first)


def test_filtered_by_name_without_marks_and_by_state(big):
    admin = Client()
    admin.force_login(big.admin)
    found = progress_rows(page(admin, big, "?q=xa+so+24"))
    assert [r[0] for r in found] == [f"UBND xã Số {i:03d}" for i in range(250) if "24" in f"{i:03d}"]
    submitted = progress_rows(page(admin, big, f"?tinh_trang={Submission.Status.SUBMITTED}"))
    assert [r[0] for r in submitted] == [f"UBND xã Số {i:03d}" for i in range(5)]
    # A state or appraiser the page does not offer (an old bookmark, a typed address) is left out, not the name too.
    names = [f"UBND xã Số {i:03d}" for i in range(250) if "24" in f"{i:03d}"]
    for odd in ("&tinh_trang=xyz", "&tham_dinh=abc", f"&tham_dinh={big.admin.pk}"):
        assert [r[0] for r in progress_rows(page(admin, big, "?q=xa+so+24" + odd))] == names, odd
    nothing = page(admin, big, "?q=không+có+đơn+vị+này")
    assert "Không có đơn vị nào như vậy." in nothing


def test_filtered_by_appraiser_and_sorted_by_projected_total(big):
    admin = Client()
    admin.force_login(big.admin)
    other = user("thamdinh.2", APPRAISER)
    for unit in big.more[10:13]:
        AppraiserAssignment.objects.create(period=big.period, appraiser=other, unit=unit)
    mine = progress_rows(page(admin, big, f"?tham_dinh={other.pk}"))
    assert [r[0] for r in mine] == [u.name for u in big.more[10:13]]
    for unit, points in ((big.unit_a, "1"), (big.unit_b, "2")):
        for leaf in big.leaf.values():
            Score.objects.update_or_create(
                period=big.period, unit=unit, criterion=leaf,
                defaults={"appraised_points": min(leaf.max_points, Decimal(points)), "not_applicable": False},
            )  # fmt: skip
    unit_sums_refresh(big.period)
    ranked = progress_rows(page(admin, big, "?sort=-projected"))
    assert [r[0] for r in ranked[:2]] == ["Sở Y tế", "Sở Tư pháp"], ranked[:2]


def test_the_queries_do_not_grow_with_the_units(big, so):
    admin = Client()
    admin.force_login(big.admin)
    page(admin, big)  # the session and the tree read once, as for any later visit
    url = f"/cham-diem/ky/{big.period.pk}/"
    wards = [f"UBND phường {i:03d}" for i in range(200)]
    assert_constant(lambda: count_cold(admin, url), lambda: make_units(so, wards))


def test_appraisers_are_assigned_by_unit_codes_in_a_large_block(big):
    admin = Client()
    admin.force_login(big.admin)
    other = user("thamdinh.3", APPRAISER)
    url = f"/cham-diem/ky/{big.period.pk}/"
    codes = f"{big.more[0].code}, {big.more[1].code}\n{big.more[2].code}"
    form = {"appraiser": str(other.pk), "units": codes}
    answer = submit_page(admin, url, form, form="phan-cong-form", follow=True)
    assert "Đã thêm 3 phân công thẩm định." in answer.content.decode()
    refused = submit_page(admin, url, {**form, "units": "khong-co-ma-nay"}, form="phan-cong-form", follow=True)
    assert "Không có đơn vị nào của kỳ có mã: khong-co-ma-nay" in refused.content.decode()
    assert AppraiserAssignment.objects.filter(appraiser=other).count() == 3


def test_the_table_escapes_names_and_shows_the_last_change_in_ha_noi_time(big, so):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    (odd,) = make_units(so, ['Sở "Thử" <b>đậm</b> & Co'])
    Score.objects.create(period=big.period, unit=odd, criterion=big.leaf["2"], self_points=Decimal(5))
    at = datetime(2026, 3, 1, 17, 30, tzinfo=ZoneInfo("UTC"))  # 00:30 the next day in Hà Nội
    Score.objects.filter(unit=odd).update(updated_at=at)
    unit_sums_refresh(big.period, [odd.pk])
    admin = Client()
    admin.force_login(big.admin)
    html = page(admin, big, "?q=dam")
    assert "&lt;b&gt;đậm&lt;/b&gt; &amp; Co" in html and "<b>đậm</b>" not in html
    (row,) = progress_rows(html)
    assert row[0] == 'Sở "Thử" <b>đậm</b> & Co' and row[-1] == "02/03/2026 00:30"
    assert row[2] == "1/3"  # its own points on one of the three self-assessed leaves


def test_sorted_by_state_in_the_order_of_the_workflow_not_of_the_states_codes(big):
    """The states' codes sort appraised_1 < appraised_2 < draft < explained < not_started: "Tình trạng" sorted by
    them jumbles the steps. It goes from "Chưa bắt đầu" to "Đã thẩm định vòng 2", and back."""
    U = Submission.Status
    admin = Client()
    admin.force_login(big.admin)
    Submission.objects.filter(period=big.period).delete()
    for unit, state in zip(big.more, [U.APPRAISED_2, U.DRAFT, U.EXPLAINED, U.APPRAISED_1, U.SUBMITTED], strict=False):
        Submission.objects.create(period=big.period, unit=unit, status=state)
    steps = [U.DRAFT.label, U.SUBMITTED.label, U.APPRAISED_1.label, U.EXPLAINED.label, U.APPRAISED_2.label]
    last = [r[1] for r in progress_rows(page(admin, big, "?sort=status&trang=3"))]
    assert last[-6:] == [U.NOT_STARTED.label, *steps]
    first = [r[1] for r in progress_rows(page(admin, big, "?sort=-status"))]
    assert first[:6] == [*reversed(steps), U.NOT_STARTED.label]


def test_the_sorted_column_says_so_and_a_new_sort_starts_at_the_first_page(big):
    """The header marks the column the units are sorted by and which way (aria-sort, drawn as an arrow); a click on
    another column from page 3 shows the first units of the new order, not the third hundred, and keeps the filter."""
    admin = Client()
    admin.force_login(big.admin)
    html = page(admin, big, "?q=xa+so&sort=-projected&trang=3")
    heads = re.findall(r"<th\b[^>]*>\s*<a[^>]*>[^<]*</a>", html)
    sorted_heads = [h for h in heads if "aria-sort" in h]
    assert len(sorted_heads) == 1 and 'aria-sort="descending"' in sorted_heads[0], heads
    assert "Tổng tạm tính" in sorted_heads[0]
    links = [re.search(r'href="([^"]*)"', h).group(1) for h in heads]
    assert all("trang=" not in link and "q=xa+so" in link for link in links), links
    rising = page(admin, big, "?sort=name")
    assert re.search(r'<th\b[^>]*aria-sort="ascending"[^>]*>\s*<a[^>]*>Đơn vị</a>', rising)


class _Counted:
    """A period's progress as the moves' checklists read it, at a province's scale: 12,345 of 20,000 units short."""

    units_count, leaves, deadline_passed, days_left = 20000, 80, True, None
    period = Period(is_demo=False)

    def count(self, *statuses, complete=None):
        return 12345

    def sample(self, *statuses, complete=None):
        return []


@pytest.mark.parametrize("move", [m for m in workflow.MOVES if m.ready is not None], ids=lambda m: m.name)
def test_the_moves_checklists_write_their_counts_the_vietnamese_way(move):
    texts = " ".join(check.text for check in workflow.readiness(_Counted(), move).checks)
    assert not re.search(r"\d{4}", texts), texts  # 12.345, 20.000: never 12345


def test_the_names_of_a_checklist_count_the_rest_the_vietnamese_way():
    assert progress.names([], 12345).endswith("và 12.345 đơn vị nữa")


def test_an_appraiser_finds_links_only_to_the_units_he_may_open(big):
    """An appraiser of some units sees every unit's row, but a link only where the sheet opens for him: the
    others answered "Không có quyền truy cập" (a dead end). The administrator and an appraiser of every unit have
    every link."""
    entry = f"/cham-diem/ky/{big.period.pk}/don-vi/"
    appraiser = Client()
    appraiser.force_login(big.appraiser)
    html = page(appraiser, big, "?q=so")
    assert f'href="{entry}{big.unit_a.code}/"' in html
    assert f'href="{entry}{big.unit_b.code}/"' not in html and big.unit_b.name in html
    assert appraiser.get(f"{entry}{big.unit_b.code}/").status_code == 403  # the link would lead there
    everyone = user("thamdinh.moi", APPRAISER)
    AppraiserAssignment.objects.create(period=big.period, appraiser=everyone, unit=None)
    for account in (big.admin, everyone):
        client = Client()
        client.force_login(account)
        assert f'href="{entry}{big.unit_b.code}/"' in page(client, big, "?q=so")


def test_filtering_keeps_the_order_the_units_were_sorted_in(big):
    """Sorted by name from Z to A, then filtered by name: still from Z to A (the filter form sent no sort, and the
    list went back to A to Z)."""
    admin = Client()
    admin.force_login(big.admin)
    url = f"/cham-diem/ky/{big.period.pk}/?sort=-name&trang=2"
    data, _action = form_data(load_form(admin, url, form="loc-don-vi"), {"q": "xa so 2"})
    rows = progress_rows(admin.get(f"/cham-diem/ky/{big.period.pk}/", dict(data)).content.decode())
    names = [r[0] for r in rows]
    wanted = sorted((f"UBND xã Số {i:03d}" for i in range(250) if "2" in f"{i:03d}"), reverse=True)
    assert names == wanted[:100]  # from the first page of the new list, not the second
