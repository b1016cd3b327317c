"""The public pages across the 2025 reorganisation (tests/reports/lineage_cast.py): change against last year
through a merger, a rename, a new unit and a partial year; the unit, criterion, comparison, overview,
methodology, indices and search pages; fixed query counts; conditional requests; and nothing unpublished."""

import csv
import io
import re
from html import unescape

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from scoring.permissions import ADMINISTRATOR
from tests.browser import submit_page
from tests.queries import count_cold
from tests.reports.lineage_cast import SECRET_NAMES, SECRET_NUMBERS
from tests.scoring.workflow_cast import user

pytestmark = pytest.mark.django_db


def text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def rows_of(html: str, after: str = "") -> list[list[str]]:
    """The body rows of the first table after `after` (a caption, an attribute), as cell texts."""
    body = (html.split(after, 1)[1] if after else html).split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        [text(cell) for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


# --- The ranking table -------------------------------------------------------------------------------------


def test_the_2025_table_compares_each_unit_with_2024_through_mergers_and_renames(client, lineage):
    html = client.get("/xep-hang/2025/so/").content.decode()
    names = re.findall(r'<td data-value="([^"]+)"><a href="/don-vi/', html)
    rows = dict(zip(names, rows_of(html), strict=True))
    yte, nnmt, vp, tc, bql = (
        rows["Sở Y tế"],
        rows["Sở Nông nghiệp và Môi trường"],
        rows["Văn phòng UBND thành phố"],
        rows["Sở Tài chính"],
        rows["Ban Quản lý dự án đầu tư xây dựng"],
    )
    assert yte[5:] == ["▲ 5 tăng 5 bậc 6 → 1", "+7,000"]
    assert nnmt[5:] == ["▼ 1 giảm 1 bậc 1 → 2", "−0,600"]
    assert "so với Sở Tài nguyên và Môi trường năm 2024 (đơn vị tiền thân; tiếp nhận cả Sở Nông nghiệp và " in nnmt[1]
    assert vp[5:] == ["= giữ nguyên vị thứ 3 → 3", "+0,250"] and "so với Văn phòng UBND tỉnh năm 2024 (tên cũ)" in vp[1]
    assert tc[5:] == ["▼ 2 giảm 2 bậc 2 → 4", "−2,000"]  # itself, not Kế hoạch và Đầu tư it took over
    assert "đã tiếp nhận cả Sở Kế hoạch và Đầu tư (năm 2024 xếp riêng)" in tc[1]
    assert bql[5:] == ["mới đơn vị mới", "—"] and "không có đơn vị tiền thân trong bảng năm 2024" in bql[1]
    assert "Xếp loại: Tốt 5." in text(html)
    assert "Nguồn: Quyết định số 25/QĐ-UBND ngày 15/01/2026, người ký: Nguyễn Văn A." in text(html)


def test_after_a_partial_year_the_units_it_did_not_publish_are_not_compared(client, lineage):
    html = client.get("/xep-hang/2024/so/").content.decode()
    rows = {row[1]: row for row in rows_of(html)}
    assert rows["Sở Tài chính"][5] == "▼ 1 giảm 1 bậc 1 → 2" and rows["Sở Y tế"][5] == "▼ 4 giảm 4 bậc 2 → 6"
    assert rows["Sở Tài nguyên và Môi trường"][5:] == ["— không so sánh được", "—"]
    assert "Năm 2023 chỉ công bố 2 đơn vị" in text(html)


def test_the_csv_and_the_json_carry_the_same_lines_and_the_source(client, lineage):
    response = client.get("/xep-hang/2025/so.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    lines = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(r["tt"], r["ma_don_vi"], r["diem"], r["vi_thu"], r["vi_thu_nam_truoc"]) for r in lines] == [
        ("1", "so-y-te", "91.000", "1", "6"),
        ("2", "so-nn-mt", "89.500", "2", "1"),
        ("3", "van-phong-ubnd", "88.250", "3", "3"),
        ("4", "so-tai-chinh", "87.000", "4", "2"),
        ("5", "ban-qlda", "80.000", "5", ""),
    ]
    assert lines[1]["so_sanh_voi"] == "Sở Tài nguyên và Môi trường"
    assert lines[0]["nguon"].startswith("Quyết định số 25/QĐ-UBND")
    data = client.get("/api/v1/results/2025/so/").json()
    assert data["source"]["decision_number"] == "25/QĐ-UBND" and data["previous_year"] == 2024
    assert data["publisher"]["issuer"] == "Ủy ban nhân dân thành phố Huế"
    assert [(r["unit_code"], r["score"], r["change"]["kind"]) for r in data["results"]] == [
        ("so-y-te", "91.000", "same"),
        ("so-nn-mt", "89.500", "successor"),
        ("van-phong-ubnd", "88.250", "renamed"),
        ("so-tai-chinh", "87.000", "same"),
        ("ban-qlda", "80.000", "new"),
    ]


# --- A unit --------------------------------------------------------------------------------------------------


def test_a_unit_page_shows_its_lineage_names_history_and_scored_areas(client, lineage):
    html = client.get("/don-vi/so-tai-chinh/").content.decode()
    assert "Tiếp nhận từ" in html and 'href="/don-vi/so-kh-dt/">Sở Kế hoạch và Đầu tư</a>' in html
    history = rows_of(html, "Kết quả đã công bố của Sở Tài chính")
    assert [r[:4] for r in history] == [
        ["2025", "87,000", "Tốt", "4/5"],
        ["2024", "89,000", "Tốt", "2/6"],
        ["2023", "88,500", "Tốt", "1/2*"],
    ]
    assert history[0][4].startswith("▼ 2 giảm 2 bậc so với 2024: 2 → 4 đã tiếp nhận cả Sở Kế hoạch và Đầu tư")
    assert history[1][4] == "▼ 1 giảm 1 bậc so với 2023: 1 → 2" and history[2][4] == "—"
    chart = rows_of(html, 'data-chart="line"')
    assert chart == [["2023", "88,500", "1/2"], ["2024", "89,000", "2/6"], ["2025", "87,000", "4/5"]]
    areas = rows_of(html, "theo lĩnh vực, so với trung bình của khối năm 2025")
    assert areas == [
        ["1. Chỉ đạo, điều hành", "40", "32,000", "31,150", "+0,850"],
        ["2. Thủ tục hành chính", "60", "55,000", "56,000", "−1,000"],
    ]
    weakest = rows_of(html, "kém trung bình khối nhiều nhất")
    assert [r[0] for r in weakest] == ["1.1. Kế hoạch", "2. Thủ tục hành chính"]


def test_a_merged_unit_compares_its_first_year_with_its_predecessors_and_a_renamed_one_keeps_its_names(client, lineage):
    html = client.get("/don-vi/so-nn-mt/").content.decode()
    assert [r[:5] for r in rows_of(html, "Kết quả đã công bố của")][0][4].startswith("▼ 1 giảm 1 bậc")
    assert "Tiếp nhận từ" in html and "Sở Nông nghiệp và Phát triển nông thôn" in html
    renamed = client.get("/don-vi/van-phong-ubnd/").content.decode()
    assert "Tên trong các bảng đã công bố: Văn phòng UBND tỉnh." in text(renamed)
    old = client.get("/don-vi/so-kh-dt/").content.decode()
    assert "Chuyển thành / sáp nhập vào" in old and 'href="/don-vi/so-tai-chinh/"' in old


def test_the_unit_api_gives_lineage_and_history(client, lineage):
    data = client.get("/api/v1/units/so-nn-mt/").json()
    assert {p["code"] for p in data["predecessors"]} == {"so-nn-ptnt", "so-tn-mt"}
    assert data["history"] == [
        {
            "year": 2025,
            "block": "so",
            "name": "Sở Nông nghiệp và Môi trường",
            "score": "89.500",
            "grade": "Tốt",
            "rank": 2,
            "out_of": 5,
            "partial": False,
            "change": {
                "kind": "successor",
                "previous_year": 2024,
                "previous_rank": 1,
                "rank_change": -1,
                "compared_with": "Sở Tài nguyên và Môi trường",
            },
        }
    ]
    assert client.get("/api/v1/units/khong-co/").status_code == 404


# --- A criterion, two years, the overview, the methodology, the indices, the search --------------------------


def test_a_criterion_page_shows_how_the_units_scored(client, lineage):
    html = client.get("/tieu-chi/2025/so/1.2/").content.decode()
    page = text(html)
    assert "5 đơn vị có điểm" in page and "Trung bình: 18,200" in page and "Đạt tối đa: 0 đơn vị" in page
    assert rows_of(html, 'data-chart="bar"') == [["20", "3"], ["16", "1"], ["15", "1"]]
    assert "Sở Nông nghiệp và Môi trường : 20" in page
    area = text(client.get("/tieu-chi/2025/so/1/").content.decode())
    assert "Trung bình: 31,150" in area and "1.1. Kế hoạch" in area
    assert client.get("/tieu-chi/2024/so/1/").status_code == 404  # 2024 was not scored in the portal
    scores = client.get("/api/v1/criteria/2025/so/").json()
    assert len(scores["criteria"]) == 4 and len(scores["scores"]) == 15
    assert {"unit_code": "so-y-te", "criterion": "2", "points": "60.000", "not_applicable": False} in scores["scores"]


def test_the_comparison_page_follows_successions_and_names_who_moved(client, lineage):
    html = client.get("/xep-hang/so-sanh/so/?tu=2024&den=2025").content.decode()
    page = text(html)
    improved = page.split("Tiến bộ nhiều nhất", 1)[1].split("Giảm hạng nhiều nhất", 1)[0]
    assert "Sở Y tế : tăng 5 bậc (6 → 1)" in improved
    fell = page.split("Giảm hạng nhiều nhất", 1)[1]
    assert "Sở Tài chính : giảm 2 bậc (2 → 4)" in fell
    assert 'href="/xep-hang/so-sanh/so.xlsx?tu=2024&amp;den=2025"' in html
    assert "Không tìm thấy" not in text(client.get("/xep-hang/so-sanh/so/").content.decode())
    assert client.get("/xep-hang/so-sanh/so/?tu=20x4").status_code == 400


def test_the_overview_methodology_and_indices_pages(client, lineage):
    from scoring.models import NationalIndex

    NationalIndex.objects.create(kind="par-index", year=2024, rank=4, out_of=63, source_publisher="Bộ Nội vụ")
    NationalIndex.objects.create(kind="par-index", year=2025, rank=2, out_of=63, source_publisher="Bộ Nội vụ")
    overview = client.get("/tong-quan/").content.decode()
    assert rows_of(overview, 'data-chart="bar-stacked"')[-1][-2:] == ["5", "87,150"]  # 2025: 5 units, average
    methodology = text(client.get("/phuong-phap/").content.decode())
    assert "Bằng điểm" in methodology and "1. Chỉ đạo, điều hành — tối đa 40" in methodology
    indices = client.get("/chi-so-quoc-gia/").content.decode()
    assert rows_of(indices, 'data-chart="line"')[:2] == [
        ["2024", "4/63", "—", "Bộ Nội vụ"],
        ["2025", "2/63", "—", "Bộ Nội vụ"],
    ]


@pytest.mark.parametrize(
    "typed, found",
    [
        ("tai chinh", ["Sở Tài chính"]),
        ("SO Y TE", ["Sở Y tế"]),
        ("nông nghiệp", ["Sở Nông nghiệp và Phát triển nông thôn", "Sở Nông nghiệp và Môi trường"]),
        ("uBnD TiNh", ["Văn phòng UBND thành phố"]),  # found by the name it was published under
        ("chua cong bo", []),  # a unit only in an unpublished period is still a unit, but shows no result
    ],
)
def test_search_ignores_diacritics_and_case_and_finds_published_names(client, lineage, typed, found):
    html = client.get("/tim-kiem/", {"q": typed}).content.decode()
    names = re.findall(r'<li><a href="/don-vi/[^"]+/">([^<]+)</a>', html)
    if typed == "chua cong bo":
        assert "66,661" not in html and "66.661" not in html
        return
    assert sorted(names) == sorted(found)


# --- Fixed costs, conditional requests -----------------------------------------------------------------------


def test_the_public_pages_read_a_fixed_number_of_queries_whatever_the_units(client, lineage, so):
    urls = [
        "/xep-hang/2025/so/",
        "/don-vi/so-tai-chinh/",
        "/tieu-chi/2025/so/1/",
        "/xep-hang/so-sanh/so/",
        "/tong-quan/",
    ]
    before = {url: count_cold(client, url) for url in urls}
    from units.models import Unit

    extra = [Unit.objects.create(code=f"them-{n}", name=f"Đơn vị thêm {n}", block=so) for n in range(8)]
    from scoring.models import Result, ResultVersion

    version = ResultVersion.objects.get(period=lineage.y2025, is_current=True)
    from scoring import locks

    with locks.suspended(connection):
        Result.objects.bulk_create(
            Result(
                period=lineage.y2025,
                version=version,
                unit=u,
                unit_name=u.name,
                total=70,
                grade="Khá",
                grade_code="kha",
                rank=6 + n,
                position=6 + n,
            )
            for n, u in enumerate(extra)
        )
    assert {url: count_cold(client, url) for url in urls} == before


def test_a_published_page_answers_304_to_a_matching_etag_and_changes_with_a_correction(
    client, lineage, tmp_path, django_capture_on_commit_callbacks
):
    first = client.get("/xep-hang/2025/so/")
    assert first["ETag"] and first["Last-Modified"] and "public" in first["Cache-Control"]
    again = client.get("/xep-hang/2025/so/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""
    for url in ("/xep-hang/2025/so.xlsx", "/xep-hang/2025/so.csv", "/api/v1/results/2025/so/", "/", "/don-vi/so-y-te/"):
        tag = client.get(url)["ETag"]
        assert client.get(url, HTTP_IF_NONE_MATCH=tag).status_code == 304, url
    # Sở Nội vụ corrects criterion 1.1 of Sở Tài chính in the portal: 12 → 12,5, so 87 → 87,5.
    admin = Client()
    admin.force_login(user("quantri.dc", ADMINISTRATOR))
    page = f"/cham-diem/ky/{lineage.y2025.pk}/dinh-chinh/"
    opened = {"reason": "Sửa điểm Sở Tài chính", "decision_number": "99/QĐ-UBND", "decision_date": "2026-02-20"}
    assert submit_page(admin, page, opened, button="open").status_code == 302
    sheet = f"/cham-diem/ky/{lineage.y2025.pk}/don-vi/{lineage.tc.code}/"
    field = f"{lineage.leaves[0].pk}-appraised_points"
    assert submit_page(admin, sheet, {field: "12,5"}, button="save").status_code == 302
    assert "87,500" in admin.get(page).content.decode()  # the preview
    assert client.get("/xep-hang/2025/so/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304  # not yet public
    with django_capture_on_commit_callbacks(execute=True):  # as when the publication's transaction commits
        published = submit_page(admin, page, {"confirm": "99/QĐ-UBND"}, button="publish")
    assert published.status_code == 302
    fresh = client.get("/xep-hang/2025/so/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert fresh.status_code == 200 and fresh["ETag"] != first["ETag"]  # the next request shows the correction
    assert "87,500" in fresh.content.decode() and "Đã đính chính" in fresh.content.decode()


def test_a_second_request_of_a_published_page_makes_no_query_and_is_compressed(client, lineage):
    urls = ["/xep-hang/2025/so/", "/xep-hang/2025/so.csv", "/api/v1/results/2025/so/", "/", "/don-vi/so-y-te/"]
    first = {url: client.get(url) for url in urls}
    for url in urls:
        with CaptureQueriesContext(connection) as captured:
            again = client.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate")
        assert len(captured) == 0, (url, [q["sql"] for q in captured])
        assert again.status_code == 200 and again["ETag"] == first[url]["ETag"]
        assert again["Content-Encoding"] == "gzip" and "Accept-Encoding" in again["Vary"]
        import gzip

        assert gzip.decompress(again.content) == first[url].content
    with CaptureQueriesContext(connection) as captured:
        assert client.get(urls[0], HTTP_IF_NONE_MATCH=first[urls[0]]["ETag"]).status_code == 304
    assert len(captured) == 0


def test_an_edit_in_the_admin_renews_the_cached_pages(client, lineage, django_capture_on_commit_callbacks):
    assert "Sở Y tế" in client.get("/don-vi/so-y-te/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        lineage.yt.name = "Sở Y tế thành phố"
        lineage.yt.save()
    assert "<h1>Sở Y tế thành phố</h1>" in client.get("/don-vi/so-y-te/").content.decode()


def test_a_signed_in_person_gets_private_pages(lineage):
    client = Client()
    from tests.scoring.workflow_cast import user

    client.force_login(user("nguoi.doc"))
    response = client.get("/xep-hang/2025/so/")
    assert "private" in response["Cache-Control"] and "public" not in response["Cache-Control"]


# --- Nothing unpublished, anywhere ---------------------------------------------------------------------------


def public_urls(client) -> list[str]:
    urls = [
        "/",
        "/tong-quan/",
        "/phuong-phap/",
        "/chi-so-quoc-gia/",
        "/du-lieu-mo/",
        "/tim-kiem/?q=so",
        "/tim-kiem/?q=chua+cong+bo",
        "/tim-kiem/?q=minh+hoa",
        "/api/v1/",
        "/api/v1/periods/",
        "/api/v1/schema/",
        "/xep-hang/so-sanh/so/",
        "/xep-hang/so-sanh/so.xlsx",
    ]
    for year in (2023, 2024, 2025, 2026, 2027):
        urls += [
            f"/xep-hang/{year}/so/",
            f"/xep-hang/{year}/so.xlsx",
            f"/xep-hang/{year}/so.csv",
            f"/xep-hang/{year}/so/lan-1/",
            f"/api/v1/results/{year}/so/",
            f"/api/v1/criteria/{year}/so/",
            f"/tieu-chi/{year}/so/1/",
            f"/tieu-chi/{year}/so/2/",
            f"/xep-hang/so-sanh/so/?tu=2024&den={year}",
        ]
    from units.models import Unit

    for code in Unit.objects.values_list("code", flat=True):
        urls += [f"/don-vi/{code}/", f"/api/v1/units/{code}/"]
    return urls


def body_of(response) -> str:
    if response["Content-Type"].startswith("application/vnd.openxmlformats"):
        from openpyxl import load_workbook

        workbook = load_workbook(
            io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content)
        )
        return " ".join(str(c.value) for ws in workbook for row in ws.iter_rows() for c in row if c.value is not None)
    return (b"".join(response.streaming_content) if response.streaming else response.content).decode("utf-8")


def test_no_public_page_file_or_answer_shows_an_unpublished_or_demonstration_number(client, lineage):
    checked = 0
    for url in public_urls(client):
        response = client.get(url)
        assert response.status_code in (200, 400, 404), (url, response.status_code)
        body = body_of(response)
        for secret in (*SECRET_NUMBERS, *SECRET_NAMES):
            assert secret not in body, (url, secret)
        checked += 1
    assert checked > 60
    assert client.get("/xep-hang/2026/so/").status_code == 404 and client.get("/tieu-chi/2027/so/1/").status_code == 404
