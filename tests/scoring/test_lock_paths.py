"""After publication nothing changes in place, whichever way a write comes: the entry form, the admin,
a service call or an import. (The database triggers themselves are tested in test_locks.py.)"""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client

from scoring import workflow
from scoring.models import Period, Result, Score
from scoring.scores import Change, scores_save
from scoring.services import period_publish

S = Period.Status


@pytest.fixture
def published_cast(cast):
    cast.score_everything()
    cast.set_status(S.APPROVED)
    period_publish(period=cast.period, decision_number="7/QĐ-UBND", decision_date=None, by=cast.admin)
    cast.period.refresh_from_db()
    return cast


def frozen(cast):
    return (
        list(Score.objects.order_by("pk").values_list("self_points", "appraised_points", "not_applicable")),
        list(Result.objects.order_by("pk").values_list("total", "rank")),
        Period.objects.filter(pk=cast.period.pk).values_list("status", "decision_number").get(),
    )


def test_the_entry_form_changes_nothing_after_publication(published_cast):
    cast, before = published_cast, frozen(published_cast)
    client = Client()
    client.force_login(cast.admin)
    leaf = cast.leaf["2"]
    response = client.post(
        f"/cham-diem/ky/{cast.period.pk}/don-vi/{cast.unit_a.code}/",
        {f"{leaf.pk}-appraised_points": "1", f"{leaf.pk}-not_applicable": "on", "action": "save"},
    )
    assert response.status_code == 400
    assert "kỳ đánh giá đã chuyển sang “Đã công bố”" in response.content.decode()
    assert frozen(cast) == before


def test_the_admin_offers_no_change_or_delete_on_a_published_period(published_cast):
    cast, before = published_cast, frozen(published_cast)
    client = Client()
    cast.admin.is_staff = True
    cast.admin.save()
    client.force_login(cast.admin)
    score = Score.objects.first()
    result = Result.objects.first()
    assert client.post(f"/quan-tri/scoring/period/{cast.period.pk}/delete/", {"post": "yes"}).status_code == 403
    client.post(f"/quan-tri/scoring/period/{cast.period.pk}/change/", {"year": 2030, "published_decimals": 1})
    assert client.post(f"/quan-tri/scoring/score/{score.pk}/delete/", {"post": "yes"}).status_code == 403
    client.post(f"/quan-tri/scoring/score/{score.pk}/change/", {"appraised_points": "0"})
    assert client.post(f"/quan-tri/scoring/result/{result.pk}/delete/", {"post": "yes"}).status_code == 403
    client.post(f"/quan-tri/scoring/criteriaset/{cast.criteria.pk}/change/", {"name": "Đổi tên"})
    assert frozen(cast) == before
    assert cast.criteria.criteria.filter(code="2").get().max_points == Decimal("60")


def test_services_refuse_with_a_vietnamese_message(published_cast):
    cast, before = published_cast, frozen(published_cast)
    with pytest.raises(ValidationError, match="đã công bố hoặc đã khóa"):
        scores_save(
            period=cast.period,
            unit=cast.unit_a,
            by=cast.admin,
            changes=[Change("appraised_points", cast.leaf["2"].pk, "1")],
        )
    with pytest.raises(ValidationError, match="đã được công bố"):
        period_publish(period=cast.period, decision_number="8", decision_date=None, by=cast.admin)
    with pytest.raises(ValidationError, match="Không thể chuyển"):
        workflow.period_start_appraisal(period=cast.period, by=cast.admin)
    workflow.period_lock(period=cast.period, by=cast.admin)
    with pytest.raises(ValidationError, match="Không thể chuyển"):
        workflow.period_reopen_self_assessment(period=cast.period, by=cast.admin, reason="Sửa")
    assert frozen(cast)[:2] == before[:2]


def test_an_import_refuses_a_published_year_without_a_correction(published_cast, tmp_path):
    cast, before = published_cast, frozen(published_cast)
    path = tmp_path / "ket-qua.csv"
    path.write_text("year,block,unit,score\n2025,so,Sở Tư pháp,99\n", encoding="utf-8")
    with pytest.raises(CommandError, match="kết quả đã công bố, không ghi đè"):
        call_command("import_results", str(path))
    assert frozen(cast) == before


def test_every_staff_page_of_a_published_period_is_read_only_with_one_message(published_cast, tmp_path):
    """The period page, the entry sheet, the evidence page and the score import: no upload or edit control,
    a link to the public table, and a write attempt answered by one message, not one per row."""
    cast, before = published_cast, frozen(published_cast)
    client = Client()
    client.force_login(cast.admin)
    pk, code, leaf = cast.period.pk, cast.unit_a.code, cast.leaf["2"]
    dashboard = client.get(f"/cham-diem/ky/{pk}/").content.decode()
    assert cast.period.get_absolute_url() in dashboard and "bao-cao-chi-tiet.xlsx" in dashboard
    assert "nhap-diem" not in dashboard and "còn " not in dashboard
    entry = client.get(f"/cham-diem/ky/{pk}/don-vi/{code}/").content.decode()
    assert "hồ sơ chỉ để xem" in entry and 'name="action"' not in entry
    for url in (f"/cham-diem/ky/{pk}/nhap-diem/tham-dinh/", f"/cham-diem/ky/{pk}/nhap-diem/tu-danh-gia/"):
        page = client.get(url).content.decode()
        assert "không nhập điểm được nữa" in page and 'type="file"' not in page
        path = tmp_path / "diem.xlsx"
        path.write_bytes(b"PK\x03\x04 not really a workbook")
        with path.open("rb") as upload:
            answer = client.post(url, {"file": upload}, follow=True)
        text = answer.content.decode()
        assert text.count("Kỳ đánh giá đã công bố hoặc đã khóa") == 1, url
        assert "Dòng" not in text
    answer = client.post(f"/cham-diem/ky/{pk}/don-vi/{code}/", {f"{leaf.pk}-appraised_points": "1", "action": "save"})
    assert answer.content.decode().count("kỳ đánh giá đã chuyển sang") == 1
    client.force_login(cast.staff_a)  # evidence is the unit's to add
    evidence = f"/cham-diem/ky/{pk}/don-vi/{code}/minh-chung/{cast.leaf['1.1'].pk}/"
    answer = client.post(evidence, {"link": "https://example.gov.vn/a"}, follow=True)
    assert answer.content.decode().count("Kỳ đánh giá đã công bố hoặc đã khóa") == 1
    assert 'type="file"' not in answer.content.decode() and "minh chứng chỉ để xem" in answer.content.decode()
    answer = client.post(f"/cham-diem/ky/{pk}/don-vi/{code}/", {f"{leaf.pk}-self_points": "1", "action": "save"})
    assert answer.content.decode().count("kỳ đánh giá đã chuyển sang") == 1
    assert frozen(cast) == before
