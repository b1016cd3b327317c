"""The open-data API can be read from another site's page (CORS), and nothing else of the portal can.

Every answer under /api/ to GET, HEAD or OPTIONS carries `Access-Control-Allow-Origin: *`, never with
credentials; a browser's preflight (OPTIONS before a request with If-None-Match) is answered 204; the public
HTML pages, the downloads page, the staff pages and the admin carry no CORS header at all. The last test asks a
real Chromium to fetch the API and a page from another origin.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client

from tests.conftest import clear_locked_data, publish_table, restore_reference_data

ORIGIN = "https://bao.example.vn"
API = [
    "/api/v1/", "/api/v1/periods/", "/api/v1/results/2022/so/", "/api/v1/schema/", "/api/v1/khong-co/",
    # The public downloads are open data too.
    "/xep-hang/2022/so.csv", "/xep-hang/2022/so.xlsx", "/xep-hang/so-sanh/so.xlsx",
]  # fmt: skip
NOT_API = [
    "/", "/xep-hang/2022/so/", "/du-lieu-mo/", "/cham-diem/", "/quan-tri/login/",
    "/cham-diem/ky/1/bao-cao-chi-tiet.xlsx",  # a staff report, though it ends in .xlsx
]  # fmt: skip


@pytest.fixture
def two_unit_table_2022(so):
    return publish_table(so, 2022, [("Sở A", "90"), ("Sở B", "85")])


@pytest.mark.parametrize("url", API)
def test_every_api_answer_may_be_read_by_any_site_without_credentials(two_unit_table_2022, url):
    client = Client(HTTP_ORIGIN=ORIGIN)
    for answer in (client.get(url), client.head(url)):
        assert answer["Access-Control-Allow-Origin"] == "*", (url, answer.status_code)
        assert "ETag" in answer["Access-Control-Expose-Headers"]
        assert not answer.has_header("Access-Control-Allow-Credentials")


def test_a_browsers_preflight_before_a_conditional_request_is_answered(two_unit_table_2022):
    answer = Client(HTTP_ORIGIN=ORIGIN).options(
        "/api/v1/results/2022/so/",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="if-none-match",
    )
    assert answer.status_code == 204
    assert answer["Access-Control-Allow-Origin"] == "*"
    assert answer["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"
    assert "If-None-Match" in answer["Access-Control-Allow-Headers"]
    assert not answer.has_header("Access-Control-Allow-Credentials")


def test_the_open_data_page_says_so_with_examples_for_a_web_page_and_for_python(two_unit_table_2022):
    page = Client().get("/du-lieu-mo/").content.decode()
    assert "<code>Access-Control-Allow-Origin: *</code>" in page
    assert 'await fetch("http://testserver/api/v1/results/2022/so/")' in page
    assert 'urlopen("http://testserver/api/v1/results/2022/so/")' in page


def test_a_write_to_the_api_is_refused_without_a_cors_header(two_unit_table_2022):
    answer = Client(HTTP_ORIGIN=ORIGIN).post("/api/v1/periods/")
    assert answer.status_code == 405 and not answer.has_header("Access-Control-Allow-Origin")


@pytest.mark.parametrize("url", NOT_API)
def test_no_page_outside_the_api_says_another_site_may_read_it(two_unit_table_2022, url):
    client = Client(HTTP_ORIGIN=ORIGIN)
    for answer in (client.get(url), client.options(url, HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET")):
        assert not any(name.lower().startswith("access-control-") for name in answer.headers), (url, answer.headers)


def test_a_signed_in_staff_page_has_no_cors_header(two_unit_table_2022, django_user_model):
    client = Client(HTTP_ORIGIN=ORIGIN)
    client.force_login(django_user_model.objects.create_user("canbo", password="mat-khau-dai-123"))
    answer = client.get("/cham-diem/")
    assert answer.status_code == 200 and not answer.has_header("Access-Control-Allow-Origin")


class _Page(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the name http.server calls
        body = "<!doctype html><title>Báo</title><p>Trang của một tờ báo".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def other_site():
    """A newspaper's page: another origin (127.0.0.1 on its own port), served by a server of its own."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture
def published_in_transaction():
    restore_reference_data()
    from units.models import Block

    publish_table(Block.objects.get(code="so"), 2022, [("Sở A", "90"), ("Sở B", "85")])
    yield
    clear_locked_data()


READ = """async url => {
  try {
    const answer = await fetch(url, {headers: {'If-None-Match': '"x"'}});
    const body = await answer.text();
    return {status: answer.status, etag: answer.headers.get('ETag'), body: body};
  } catch (error) { return {error: String(error)}; }
}"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_page_on_another_origin_reads_the_api_but_not_the_html(
    browser,
    live_server,
    other_site,
    published_in_transaction,
):
    page = browser.new_page()
    page.goto(other_site)
    api = page.evaluate(READ, live_server.url + "/api/v1/results/2022/so/")
    assert api.get("status") == 200 and api["etag"], api
    assert [row["unit"] for row in json.loads(api["body"])["results"]] == ["Sở A", "Sở B"]
    html = page.evaluate(READ, live_server.url + "/xep-hang/2022/so/")
    assert html == {"error": "TypeError: Failed to fetch"}, html
    page.close()
