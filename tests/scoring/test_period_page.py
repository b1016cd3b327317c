"""The period page as the Department uses it: what each move needs before it is made, one short summary
when it is refused, typed confirmation for what cannot be undone, appraisers assigned in the portal, the
demonstration period without publish controls, and a page whose query count does not grow with the units."""

from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from scoring.models import AppraiserAssignment, AuditEntry, Period, Score, Submission
from scoring.results import unit_sums_refresh
from tests.browser import load_form, post_form, submit_page
from tests.conftest import make_units

pytestmark = pytest.mark.django_db

S = Period.Status
U = Submission.Status


def page_of(cast) -> str:
    return f"/cham-diem/ky/{cast.period.pk}/"


def client_for(account) -> Client:
    client = Client()
    client.force_login(account)
    return client


def move(client, cast, name, **data):
    """POST a move from the period page; the page it lands on, and the period afterwards."""
    answer = client.post(f"{page_of(cast)}chuyen-trang-thai/", {"move": name, **data}, follow=True)
    cast.period.refresh_from_db()
    return answer.content.decode()


def errors_of(page: str) -> list[str]:
    import re

    return re.findall(r'<li class="msg msg--error">(.*?)</li>', page, flags=re.S)


def appraise(cast, units=None, leaves=None):
    for unit in units or (cast.unit_a, cast.unit_b, cast.unit_c):
        for code, leaf in cast.leaf.items():
            if leaves is None or code in leaves:
                Score.objects.update_or_create(
                    period=cast.period,
                    unit=unit,
                    criterion=leaf,
                    defaults={"self_points": leaf.max_points / 2, "appraised_points": leaf.max_points / 2},
                )
    unit_sums_refresh(cast.period)  # written here past the portal's save paths


def submit(cast, unit, status=U.SUBMITTED):
    Submission.objects.update_or_create(period=cast.period, unit=unit, defaults={"status": status})


def test_starting_appraisal_before_the_deadline_shows_who_has_not_submitted_and_needs_a_reason(cast):
    submit(cast, cast.unit_a)
    submit(cast, cast.unit_b, U.DRAFT)
    admin = client_for(cast.admin)
    page = admin.get(page_of(cast)).content.decode()
    assert "1/3 đơn vị đã nộp; chưa nộp: Sở Xây dựng; Sở Y tế" in page
    assert "Chuyển sớm hơn quy trình" in page
    refused = move(admin, cast, "start_appraisal")
    assert cast.period.status == S.OPEN
    (error,) = errors_of(refused)
    assert error.startswith(
        "“Bắt đầu thẩm định vòng 1” sớm hơn quy trình: cần nêu lý do (được ghi vào nhật ký). "
        "Chưa hết hạn tự đánh giá (còn 9 ngày). 1/3 đơn vị đã nộp; chưa nộp: Sở Xây dựng; Sở Y tế — hồ sơ"
    )
    move(admin, cast, "start_appraisal", reason="UBND tỉnh yêu cầu thẩm định sớm")
    assert cast.period.status == S.APPRAISAL
    entry = AuditEntry.objects.get(period=cast.period, action=AuditEntry.Action.PERIOD_STATUS)
    assert entry.reason == "UBND tỉnh yêu cầu thẩm định sớm"


def test_approval_needs_every_applicable_leaf_of_every_unit_appraised(cast):
    cast.set_status(S.APPRAISAL_2)
    appraise(cast, units=[cast.unit_a])
    appraise(cast, units=[cast.unit_b], leaves={"1.1", "2"})
    admin = client_for(cast.admin)
    page = admin.get(page_of(cast)).content.decode()
    assert "2 đơn vị chưa được thẩm định đủ: Sở Xây dựng (thiếu 3 tiêu chí); Sở Y tế (thiếu 2 tiêu chí)." in page
    refused = move(admin, cast, "approve")
    assert cast.period.status == S.APPRAISAL_2
    assert errors_of(refused) == [
        "Chưa thể “Phê duyệt kết quả”: 2 đơn vị chưa được thẩm định đủ: Sở Xây dựng (thiếu 3 tiêu chí); "
        "Sở Y tế (thiếu 2 tiêu chí)."
    ]
    appraise(cast)
    move(admin, cast, "approve")
    assert cast.period.status == S.APPROVED


def test_publication_previews_the_table_and_asks_for_the_year_or_decision_number(cast):
    appraise(cast)
    Score.objects.filter(unit=cast.unit_b, criterion=cast.leaf["2"]).update(appraised_points=Decimal("55"))
    unit_sums_refresh(cast.period)
    cast.set_status(S.APPROVED)
    admin = client_for(cast.admin)
    page = admin.get(page_of(cast)).content.decode()
    assert "Bảng sẽ được công bố" in page and "3 đơn vị" in page
    preview = page[page.index("Bảng sẽ được công bố") :]
    assert preview.index("Sở Y tế") < preview.index("Sở Tư pháp")  # 80 points before 50: ranked as published
    decision = {"decision_number": "15/QĐ-UBND", "decision_date": "2026-01-20"}
    for typed in ("", "2024", "15/QĐ"):
        refused = move(admin, cast, "publish", confirm=typed, **decision)
        assert cast.period.status == S.APPROVED
        assert errors_of(refused) == [
            "Để “Công bố”, hãy gõ đúng năm đánh giá (2025) hoặc số quyết định vào ô xác nhận."
        ]
    move(admin, cast, "publish", confirm="15/QĐ-UBND", **decision)
    assert (cast.period.status, cast.period.decision_number) == (S.PUBLISHED, "15/QĐ-UBND")
    refused = move(admin, cast, "lock")
    assert cast.period.status == S.PUBLISHED and "hãy gõ đúng năm đánh giá (2025)" in errors_of(refused)[0]
    move(admin, cast, "lock", confirm="2025")
    assert cast.period.status == S.LOCKED


def test_publishing_before_every_unit_is_appraised_is_refused_with_one_summary(cast, so):
    appraise(cast, units=[cast.unit_a])
    for unit in make_units(so, [f"Phòng thử nghiệm {n:02}" for n in range(1, 16)]):
        Score.objects.create(period=cast.period, unit=unit, criterion=cast.leaf["1.1"], appraised_points=1)
    unit_sums_refresh(cast.period)
    cast.set_status(S.APPROVED)
    admin = client_for(cast.admin)
    page = admin.get(page_of(cast)).content.decode()
    assert "17 đơn vị chưa có tổng điểm." in page and 'value="publish"' in page
    assert "Chưa thể thực hiện bước này" in page  # the publish form itself is not offered
    refused = move(
        admin, cast, "publish", confirm="2025", decision_number="1/QĐ", decision_date="2026-01-20", signer=""
    )
    assert cast.period.status == S.APPROVED and not cast.period.results.exists()
    (error,) = errors_of(refused)  # one message, not one per unit or criterion
    first = "17 đơn vị chưa đủ điểm để công bố: Phòng thử nghiệm 01 (chưa có điểm thẩm định: 1.2, 2, 3);"
    assert error.startswith(first)
    assert error.endswith("; và 7 đơn vị nữa.") and error.count("(chưa có điểm thẩm định") == 10


@pytest.mark.parametrize("role", ["appraiser", "staff_a", "other_appraiser"])
def test_nobody_but_the_administrator_moves_a_period(cast, role):
    submit(cast, cast.unit_a)
    answer = client_for(getattr(cast, role)).post(
        f"{page_of(cast)}chuyen-trang-thai/", {"move": "start_appraisal", "reason": "Thử"}
    )
    assert answer.status_code == 403
    cast.period.refresh_from_db()
    assert cast.period.status == S.OPEN and not AuditEntry.objects.exists()


def test_forward_moves_are_primary_and_backward_moves_secondary_with_a_reason(cast):
    appraise(cast)
    for unit in (cast.unit_a, cast.unit_b, cast.unit_c):
        submit(cast, unit, U.APPRAISED_1)
    cast.set_status(S.APPRAISAL)
    page = client_for(cast.admin).get(page_of(cast)).content.decode()
    back = page[page.index('value="reopen"') :]
    assert 'class="secondary">Trả về tự đánh giá</button>' in back[: back.index("</form>") + 7]
    assert "Trả về bước trước cần nêu lý do" in back
    forward = page[page.index('value="request_explanation"') :]
    assert 'class="primary">Chuyển sang giải trình</button>' in forward[: forward.index("</form>")]
    assert "action-form action-form--back" in page


def test_the_administrator_assigns_appraisers_in_the_portal(cast):
    newcomer = cast.other_appraiser
    assert client_for(newcomer).get(page_of(cast)).status_code == 403
    admin = client_for(cast.admin)
    page = admin.post(f"{page_of(cast)}phan-cong/", {"appraiser": newcomer.pk}, follow=True).content.decode()
    assert "Đã thêm 1 phân công thẩm định." in page
    assignment = AppraiserAssignment.objects.get(appraiser=newcomer)
    assert assignment.unit is None  # no unit chosen: every unit of the period
    appraiser = client_for(newcomer)
    assert appraiser.get(page_of(cast)).status_code == 200
    assert page_of(cast) in appraiser.get("/cham-diem/").content.decode()
    assert AuditEntry.objects.filter(action=AuditEntry.Action.ASSIGNMENT).count() == 1
    admin.post(f"{page_of(cast)}phan-cong/{assignment.pk}/bo/")
    assert client_for(newcomer).get(page_of(cast)).status_code == 403
    page = admin.post(
        f"{page_of(cast)}phan-cong/", {"appraiser": newcomer.pk, "units": [cast.unit_b.pk, cast.unit_c.pk]}, follow=True
    ).content.decode()
    assert "Đã thêm 2 phân công thẩm định." in page
    assert set(AppraiserAssignment.objects.filter(appraiser=newcomer).values_list("unit__name", flat=True)) == {
        "Sở Y tế",
        "Sở Xây dựng",
    }


def test_only_the_administrator_assigns_and_only_appraisers_are_assigned(cast):
    answer = client_for(cast.appraiser).post(f"{page_of(cast)}phan-cong/", {"appraiser": cast.appraiser.pk})
    assert answer.status_code == 403
    page = (
        client_for(cast.admin)
        .post(f"{page_of(cast)}phan-cong/", {"appraiser": cast.staff_a.pk}, follow=True)
        .content.decode()
    )
    assert len(errors_of(page)) == 1 and "Thẩm định viên" in errors_of(page)[0]
    assert not AppraiserAssignment.objects.filter(appraiser=cast.staff_a).exists()


def test_a_demonstration_period_offers_no_publication_and_keeps_its_flag(cast):
    demo = Period.objects.create(
        year=2024,
        block=cast.period.block,
        criteria_set=cast.criteria,
        grade_scheme=cast.period.grade_scheme,
        status=S.APPROVED,
        is_demo=True,
    )
    page = client_for(cast.admin).get(f"/cham-diem/ky/{demo.pk}/").content.decode()
    assert "Dữ liệu minh họa" in page
    assert 'value="publish"' not in page and "Số quyết định công bố" not in page
    assert 'value="back_to_second_round"' in page  # the other moves stay
    with pytest.raises(DatabaseError, match="cờ dữ liệu minh họa"), transaction.atomic():
        Period.objects.filter(pk=demo.pk).update(is_demo=False)
    with pytest.raises(DatabaseError, match="cờ dữ liệu minh họa"), transaction.atomic():
        Period.objects.filter(pk=cast.period.pk).update(is_demo=True)
    cast.admin.is_staff = True
    cast.admin.save()
    form = client_for(cast.admin).get(f"/quan-tri/scoring/period/{demo.pk}/change/").content.decode()
    assert 'name="is_demo"' not in form  # shown, read-only


def test_the_period_page_reads_the_same_number_of_queries_for_3_units_or_30(cast, so):
    def count() -> int:
        client = client_for(cast.admin)
        client.get(page_of(cast))  # sessions, permissions: warm
        with CaptureQueriesContext(connection) as queries:
            assert client.get(page_of(cast)).status_code == 200
        return len(queries)

    appraise(cast)
    few = count()
    more = make_units(so, [f"Phòng thử nghiệm {n:02}" for n in range(1, 28)])
    for unit in more:
        submit(cast, unit)
        AppraiserAssignment.objects.create(period=cast.period, appraiser=cast.other_appraiser, unit=unit)
    appraise(cast, units=more)
    assert count() == few


def test_round_history_is_shown_side_by_side_and_cut_criteria_come_first(cast):
    cast.set_status(S.EXPLANATION)
    submit(cast, cast.unit_a, U.APPRAISED_1)
    leaf = cast.leaf["2"]
    Score.objects.create(
        period=cast.period,
        unit=cast.unit_a,
        criterion=leaf,
        self_points=Decimal("60"),
        appraised_points=Decimal("30"),
        round1_points=Decimal("30"),
        round1_comment="Thiếu quyết định ban hành",
    )
    unit_sums_refresh(cast.period)
    entry = f"{page_of(cast)}don-vi/{cast.unit_a.code}/"
    page = client_for(cast.staff_a).get(entry).content.decode()
    top = page[: page.index('id="bang-cham-diem"')]
    assert "1 tiêu chí bị trừ điểm ở vòng 1" in top and "tự đánh giá 60, vòng 1 còn 30" in top
    assert f'class="leaf area attention cut" id="tc-{leaf.pk}"' in page  # area 2 is scored directly: one row
    assert "bị trừ điểm ở vòng 1, chưa giải trình" in page
    answer = {f"{leaf.pk}-response": "Bổ sung Quyết định 12/QĐ-STP"}
    assert submit_page(client_for(cast.staff_a), entry, answer, button="explain").status_code == 302
    assert Score.objects.get(criterion=leaf).response == "Bổ sung Quyết định 12/QĐ-STP"
    assert Submission.objects.get(unit=cast.unit_a).status == U.EXPLAINED
    cast.set_status(S.APPRAISAL_2)
    Score.objects.filter(pk=Score.objects.get(criterion=leaf).pk).update(
        appraised_points=Decimal("50"), appraiser_comment="Đã đủ căn cứ"
    )
    unit_sums_refresh(cast.period)
    page = client_for(cast.appraiser).get(entry).content.decode()
    rounds = page[page.index(f'id="tc-{leaf.pk}"') :]
    rounds = rounds[: rounds.index("</tr>")]
    history = rounds.index("Vòng 1"), rounds.index("Giải trình"), rounds.index('value="50"')
    assert history == tuple(sorted(history))  # round 1 → explanation → round 2, in that order
    assert "Thiếu quyết định ban hành" in rounds and "Bổ sung Quyết định 12/QĐ-STP" in rounds
    assert "Đã đủ căn cứ" in rounds


def press(client, cast, name, **typed):
    """Fill in and send a move's form as the period page draws it (every field, as a browser sends them)."""
    answer = submit_page(client, page_of(cast), typed, form=f"buoc-{name}", follow=True)
    cast.period.refresh_from_db()
    return answer


def test_a_refused_confirmation_keeps_the_decision_typed(cast):
    appraise(cast)
    cast.set_status(S.APPROVED)
    admin = client_for(cast.admin)
    decision = {"decision_number": "15/QĐ-UBND", "decision_date": "2026-01-20", "signer": "Chủ tịch UBND tỉnh"}
    landed = press(admin, cast, "publish", confirm="2024", **decision)  # the period page, after the refusal
    assert cast.period.status == S.APPROVED
    assert "hãy gõ đúng năm đánh giá (2025) hoặc số quyết định" in errors_of(landed.content.decode())[0]
    form = {c.name: c.value for c in load_form(admin, page_of(cast), form="buoc-publish", page=landed).controls}
    assert (form["decision_number"], form["decision_date"], form["signer"]) == tuple(decision.values())
    assert form["confirm"] == ""  # the confirmation itself is typed again, on purpose
    press(admin, cast, "publish", confirm="15/QĐ-UBND", **decision)
    assert cast.period.status == S.PUBLISHED and cast.period.signer == "Chủ tịch UBND tỉnh"


def test_a_page_drawn_before_the_period_moved_says_who_moved_it_and_when(cast):
    appraise(cast)
    cast.set_status(S.APPROVED)
    admin, other = client_for(cast.admin), client_for(cast.admin)
    stale = load_form(other, page_of(cast), form="buoc-back_to_second_round")  # a second tab, still open
    press(admin, cast, "publish", confirm="2025", decision_number="15/QĐ-UBND", decision_date="2026-01-20")
    assert cast.period.status == S.PUBLISHED
    answer = post_form(other, stale, {"reason": "Sửa điểm"}, follow=True).content.decode()
    (error,) = errors_of(answer)
    assert "kỳ đánh giá đã chuyển sang “Đã công bố” lúc" in error and "do quantri thực hiện" in error
    assert "Bước “Trả về thẩm định vòng 2” không thực hiện." in error
    cast.period.refresh_from_db()
    assert cast.period.status == S.PUBLISHED


@pytest.mark.parametrize("status", [S.PUBLISHED, S.LOCKED])
def test_a_published_or_locked_period_reads_as_finished(cast, status):
    appraise(cast)
    Score.objects.filter(unit=cast.unit_b, criterion=cast.leaf["2"]).update(appraised_points=Decimal("55"))
    unit_sums_refresh(cast.period)
    Period.objects.filter(pk=cast.period.pk).update(status=status, decision_number="15/QĐ-UBND")
    AppraiserAssignment.objects.filter(period=cast.period).delete()  # the Department appraised on its own
    page = client_for(cast.admin).get(page_of(cast)).content.decode()
    assert "tạm tính" not in page
    assert "Hạn tự đánh giá" not in page and "còn 9 ngày" not in page  # the deadline is history
    assert "Chưa bắt đầu" not in page  # no unit submitted its file: the Department entered the points
    assert "Chưa có thẩm định viên nào được phân công" not in page  # no call to assign in a finished period
    assert "Kết quả chấm điểm: Sở, ban, ngành cấp tỉnh năm 2025" in page
    for column in ("Tổng điểm", "Xếp loại", "Vị thứ"):
        assert f">{column}<" in page
    tong_quan = page[page.index('id="tong-quan"') : page.index("</section>", page.index('id="tong-quan"'))]
    assert "Khá: <strong>1</strong></li><li>Trung bình: <strong>2</strong>" in tong_quan  # the results, best first


def test_an_open_period_still_shows_its_deadline_and_projections(cast):
    page = client_for(cast.admin).get(page_of(cast)).content.decode()
    assert "Hạn tự đánh giá" in page and "Tổng tạm tính" in page and "Chưa bắt đầu" in page


def test_the_period_page_lists_units_in_vietnamese_alphabetical_order_before_any_sort_is_chosen(cast, so):
    # Byte order puts "Kh" before "Kế" and "Nông" before "Nội"; the Vietnamese alphabet does the reverse.
    make_units(so, ["Sở Khoa học và Công nghệ", "Sở Kế hoạch và Đầu tư", "Sở Nông nghiệp", "Sở Nội vụ"])
    page = client_for(cast.admin).get(page_of(cast)).content.decode()
    names = ["Sở Kế hoạch và Đầu tư", "Sở Khoa học và Công nghệ", "Sở Nội vụ", "Sở Nông nghiệp"]
    table = page[page.index('class="ranking progress"') :]
    places = [table.index(f">{name}<") for name in names]
    assert places == sorted(places), names


@pytest.mark.parametrize(
    "address, data",
    [
        ("chuyen-trang-thai/", {"move": "khong-co", "reason": "Thử"}),
        ("chuyen-trang-thai/", {"move": "start_appraisal", "from": "draft"}),
        ("phan-cong/", {"appraiser": "999999", "units": "khong-co-don-vi-nay"}),
        ("phan-cong/999999/bo/", {}),
    ],
)
def test_someone_else_is_refused_before_the_period_forms_read_what_they_sent(cast, address, data):
    # Refused first: otherwise the answers ("not an appraiser", "no such unit in this period") say what exists.
    client = client_for(cast.staff_a)
    answer = client.post(f"{page_of(cast)}{address}", data)
    assert answer.status_code == 403
    assert "Không có quyền" in answer.content.decode()
    assert not errors_of(client.get("/cham-diem/").content.decode())


@pytest.mark.parametrize("asked", ["1", "100000"])
def test_the_address_cannot_change_how_many_units_a_page_of_the_period_draws(cast, asked, monkeypatch):
    # A page holds UNITS_PER_PAGE units whatever ?per_page= says: a national period has 33,000 of them.
    monkeypatch.setattr("scoring.staff.views.UNITS_PER_PAGE", 2)
    page = client_for(cast.admin).get(f"{page_of(cast)}?per_page={asked}").content.decode()
    table = page[page.index('class="ranking progress"') :]
    shown = [u.name for u in (cast.unit_a, cast.unit_b, cast.unit_c) if f">{u.name}<" in table]
    assert len(shown) == 2, shown
