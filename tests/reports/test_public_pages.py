"""The public pages: the 2022 tables exactly as announced, 404s for anything unpublished, fixed query counts."""

import csv
import re
from html import unescape
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from scoring.models import Period
from tests.conftest import publish_table
from tests.queries import assert_constant, count_cold

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
BLOCK_CODES = {"Sở, ban, ngành cấp tỉnh": "so", "UBND cấp huyện": "huyen"}


def table_rows(html: str) -> list[list[str]]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)
    return [
        [unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in rows
    ]


@pytest.fixture
def published_2022(db):
    call_command("import_results", str(FIXTURES / "ket-qua-cong-bo-2022.csv"))
    call_command("import_results", str(FIXTURES / "ket-qua-cong-bo-2020-mot-phan.csv"), "--partial")
    with (FIXTURES / "ket-qua-cong-bo-2022.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("block", ["so", "huyen"])
def test_the_2022_table_shows_the_announced_units_order_scores_grades_and_ranks(client, published_2022, block):
    response = client.get(f"/xep-hang/2022/{block}/")
    assert response.status_code == 200
    expected = [
        [str(position), row["unit"], row["score"].replace(".", ","), row["grade"], row["rank"]]
        for position, row in enumerate((r for r in published_2022 if BLOCK_CODES[r["block"]] == block), start=1)
    ]
    assert [row[:5] for row in table_rows(response.content.decode())] == expected
    assert len(expected) == {"so": 21, "huyen": 9}[block]


def test_the_page_carries_the_announcement_title_and_column_headers(client, published_2022):
    html = client.get("/xep-hang/2022/so/").content.decode()
    title = "Kết quả đánh giá, xếp loại công tác cải cách hành chính của các sở, ban, ngành cấp tỉnh năm 2022"
    assert f"<h1>{title}</h1>" in html
    headers = re.findall(r"<th[^>]*>(.*?)</th>", html.split("<thead>", 1)[1].split("</thead>", 1)[0])
    assert headers == ["TT", "Tên đơn vị", "Điểm đánh giá", "Xếp loại", "Vị thứ", "So với 2020", "Điểm tăng/giảm"]
    assert 'class="grade grade--xuat-sac">Xuất sắc<' in html


def test_a_partial_year_says_only_part_of_the_table_was_published(client, published_2022):
    html = client.get("/xep-hang/2020/huyen/").content.decode()
    assert "Bảng chưa đầy đủ" in html
    assert table_rows(html)[0][:5] == ["1", "UBND huyện Quảng Điền", "85,90", "Tốt", "1"]
    assert "Bảng chưa đầy đủ" not in client.get("/xep-hang/2022/huyen/").content.decode()


def test_the_home_page_lists_published_years_newest_first(client, published_2022):
    html = client.get("/").content.decode()
    years = re.findall(r"<h2>Năm (\d{4})</h2>", html)
    assert years == ["2022", "2020"]
    assert html.index('href="/xep-hang/2022/so/"') < html.index('href="/xep-hang/2022/huyen/"')


def test_a_unit_page_shows_its_published_history(client, published_2022):
    html = client.get("/don-vi/so-noi-vu/").content.decode()
    assert "<h1>Sở Nội vụ</h1>" in html
    rows = table_rows(html.split("Kết quả đã công bố của Sở Nội vụ", 1)[1])  # the history (the chart's table is first)
    assert [r[:5] for r in rows] == [
        ["2022", "87,405", "Tốt", "10/21", "▼ 9giảm 9 bậcso với 2020: 1 → 10"],
        ["2020", "87,87", "Tốt", "1/5*", "—"],
    ]


UNPUBLISHED_URLS = [
    "/xep-hang/2019/so/",
    "/xep-hang/2019/so.xlsx",
    "/api/v1/results/2019/so/",  # no such year
    "/xep-hang/2022/xa/",
    "/xep-hang/2022/xa.xlsx",
    "/api/v1/results/2022/xa/",  # no table for the block
    "/xep-hang/2022/tinh/",
    "/xep-hang/2022/tinh.xlsx",
    "/api/v1/results/2022/tinh/",  # no such block
    "/xep-hang/2024/so/",
    "/xep-hang/2024/so.xlsx",
    "/api/v1/results/2024/so/",  # results not yet published
    "/don-vi/khong-co/",
]


@pytest.mark.parametrize("url", UNPUBLISHED_URLS)
def test_an_unknown_or_unpublished_table_answers_404(client, published_2022, so, url):
    # 2024 has results written but its period is still in appraisal: nothing of it may leak.
    publish_table(so, 2024, [("Sở Nội vụ", "95.5")], status=Period.Status.APPRAISAL)
    response = client.get(url)
    assert response.status_code == 404
    assert "Không tìm thấy" in response.content.decode()
    assert "95,5" not in response.content.decode() and "95.5" not in response.content.decode()


def test_the_api_answers_an_unpublished_table_with_a_json_message(client, db):
    response = client.get("/api/v1/results/2019/so/")
    assert response.status_code == 404
    assert response.json() == {"error": "Không tìm thấy kết quả đã công bố của năm 2019, khối so."}


def test_unpublished_results_appear_on_no_public_page(client, published_2022, so):
    publish_table(so, 2024, [("Sở Nội vụ", "95.5")], status=Period.Status.APPRAISAL)
    for url in ("/", "/don-vi/so-noi-vu/"):
        html = client.get(url).content.decode()
        assert "2024" not in html and "95,5" not in html


def test_unit_names_are_escaped(client, so):
    publish_table(so, 2023, [('<script>alert("x")</script>', "80")])
    html = client.get("/xep-hang/2023/so/").content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_public_pages_refuse_writes(client, published_2022):
    assert client.post("/xep-hang/2022/so/").status_code == 405
    assert Client(enforce_csrf_checks=True).post("/api/v1/results/2022/so/").status_code == 405  # read-only API


def _rows(n, prefix="Sở thử"):
    return [(f"{prefix} {i}", str(90 - i)) for i in range(n)]


# Each page reads a fixed number of queries: the freshness stamp (ETag), the table, the previous year and its
# table, the succession links (and the table page its list of publications); never one per unit or year.
QUERIES = {"/xep-hang/{year}/so/": 7, "/xep-hang/{year}/so.xlsx": 6, "/api/v1/results/{year}/so/": 6}


@pytest.mark.parametrize("url, expected", QUERIES.items())
def test_a_table_page_runs_the_same_queries_for_3_or_12_units(client, so, url, expected):
    publish_table(so, 2022, _rows(3))
    publish_table(so, 2023, _rows(3))
    publish_table(so, 2024, _rows(12, "Sở khác"))
    assert count_cold(client, url.format(year=2023)) == count_cold(client, url.format(year=2024)) == expected


def test_the_home_page_runs_the_same_queries_however_many_tables(client, so, huyen):
    publish_table(so, 2023, _rows(3))

    def more_tables():
        for year in (2019, 2020, 2021, 2022):
            publish_table(so, year, _rows(12))
            publish_table(huyen, year, _rows(12, "UBND thử"))

    assert assert_constant(lambda: count_cold(client, "/"), more_tables) == 5


def test_a_unit_page_runs_the_same_queries_for_1_or_4_years(client, so):
    publish_table(so, 2019, _rows(3))
    few = count_cold(client, "/don-vi/so-2019-1/")
    for year in (2020, 2021, 2022):
        publish_table(so, year, _rows(3))
    from django.core.cache import cache

    cache.clear()  # tables made by hand, not published through the portal: nothing renewed the cache
    html = client.get("/don-vi/so-2019-1/").content.decode()
    assert html.split("Kết quả đã công bố của", 1)[1].split("</table>", 1)[0].count("<tr>") == 1 + 4
    assert count_cold(client, "/don-vi/so-2019-1/") == few == 8
