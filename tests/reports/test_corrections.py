"""A correction (đính chính) on the public pages: the current table, links to earlier versions, what changed."""

import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import correction_options

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
REASON = "Cộng sót điểm tiêu chí 7.2 của Sở Y tế"


@pytest.fixture
def corrected(db, tmp_path):
    source = FIXTURES / "ket-qua-cong-bo-2022.csv"
    call_command("import_results", str(source))
    path = tmp_path / "dinh-chinh.csv"
    path.write_text(source.read_text(encoding="utf-8").replace("Sở Y tế,88.351", "Sở Y tế,90.351"), encoding="utf-8")
    call_command("import_results", str(path), "--correction", REASON, *correction_options())


def test_the_table_shows_the_corrected_version_and_says_so(client, corrected):
    html = client.get("/xep-hang/2022/so/").content.decode()
    assert "Đã đính chính" in html and REASON in html
    assert re.search(r"<td[^>]*><a [^>]+>Sở Y tế</a></td>\s*<td class=\"num\"[^>]*>90,351</td>", html)
    assert 'href="/xep-hang/2022/so/lan-1/"' in html and 'href="/xep-hang/2022/so/lan-2/"' in html


def test_the_earlier_version_stays_readable_and_is_marked_replaced(client, corrected):
    html = client.get("/xep-hang/2022/so/lan-1/").content.decode()
    assert "Bản này đã được thay thế" in html
    assert re.search(r">Sở Y tế</a></td>\s*<td class=\"num\"[^>]*>88,351</td>", html)


def test_the_correction_page_lists_exactly_what_changed(client, corrected):
    html = client.get("/xep-hang/2022/so/lan-2/").content.decode()
    changes = html.split("Thay đổi so với lần công bố trước", 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr><td>([^<]+)</td><td class=\"num\">([^<]+)</td><td class=\"num\">([^<]+)</td>", changes)
    # Sở Y tế rises from 5th to 2nd; the three it passes each drop one rank with unchanged scores.
    assert rows == [
        ("Sở Y tế", "88,351", "90,351"),
        ("Sở Tài nguyên và Môi trường", "90,156", "90,156"),
        ("Văn phòng UBND tỉnh", "90,083", "90,083"),
        ("Sở Lao động, Thương binh và Xã hội", "88,920", "88,920"),
    ]
    assert "5 → 2" in changes and "2 → 3" in changes


def test_a_version_that_does_not_exist_answers_404(client, corrected):
    assert client.get("/xep-hang/2022/so/lan-3/").status_code == 404
    assert client.get("/xep-hang/2022/xa/lan-1/").status_code == 404


def test_the_version_page_runs_a_fixed_number_of_queries(client, corrected):
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/xep-hang/2022/so/lan-2/").status_code == 200
    assert len(queries) == 4  # the two versions, the lines of each, the list of publications
