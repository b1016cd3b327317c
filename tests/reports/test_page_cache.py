"""The page cache cannot be flooded: a page is kept under its host, its path and the query parameters it reads,
so junk query strings share one entry and one render; the host it was asked for is part of the key."""

import pytest
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db


def page_keys() -> list[str]:
    store = caches["default"]
    assert isinstance(store, LocMemCache)  # the tests' cache: its keys can be listed
    return [key for key in store._cache if key.split(":", 2)[2].startswith("page:")]


def test_a_hundred_junk_query_strings_make_one_entry_and_one_render(client, lineage):
    assert client.get("/xep-hang/2025/so/").status_code == 200
    assert len(page_keys()) == 1
    with CaptureQueriesContext(connection) as captured:
        for n in range(100):
            response = client.get(f"/xep-hang/2025/so/?utm_source=x{n}&n={n}&q={n}")
            assert response.status_code == 200
    assert len(captured) == 0  # each one served from the entry the plain address made
    assert len(page_keys()) == 1
    assert "?utm_source=x99" not in response.content.decode()


def test_the_printed_address_carries_no_query_string(client, lineage):
    html = client.get("/xep-hang/2025/so/?utm_source=bao-chi").content.decode()
    assert "In từ http://testserver/xep-hang/2025/so/</p>" in html
    assert "bao-chi" not in client.get("/xep-hang/2025/so/").content.decode()


def test_the_parameters_a_page_reads_make_entries_the_others_do_not(client, lineage):
    for n in range(20):
        assert client.get("/tim-kiem/", {"q": "y te", "trang": n, "utm": n}).status_code == 200
    assert len(page_keys()) == 1
    tai_chinh = client.get("/tim-kiem/", {"q": "tai chinh", "utm": "a"}).content.decode()
    assert "Sở Tài chính" in tai_chinh and "Sở Y tế" not in tai_chinh
    assert len(page_keys()) == 2
    # The comparison page reads ?tu= and ?den=: a different range is a different page.
    whole = client.get("/xep-hang/so-sanh/so/?x=1").content.decode()
    narrow = client.get("/xep-hang/so-sanh/so/?tu=2023&den=2024&x=2").content.decode()
    assert whole != narrow and len(page_keys()) == 4
    assert client.get("/xep-hang/so-sanh/so/?den=2024&tu=2023&x=3").content.decode() == narrow
    assert len(page_keys()) == 4


def test_the_host_is_part_of_the_key(client, lineage):
    local = client.get("/api/v1/periods/", HTTP_HOST="localhost").json()
    numeric = client.get("/api/v1/periods/", HTTP_HOST="127.0.0.1").json()
    assert local["periods"][0]["page"].startswith("http://localhost/")
    assert numeric["periods"][0]["page"].startswith("http://127.0.0.1/")
    assert len(page_keys()) == 2


def test_the_first_answer_after_a_miss_is_compressed_like_the_hits(client, lineage):
    import gzip

    first = client.get("/xep-hang/2025/so/", HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert first["Content-Encoding"] == "gzip" and "Accept-Encoding" in first["Vary"]
    plain = client.get("/xep-hang/2025/so/")  # a client that takes no gzip gets the same page, plain
    assert not plain.has_header("Content-Encoding")
    assert gzip.decompress(first.content) == plain.content
    again = client.get("/xep-hang/2025/so/", HTTP_ACCEPT_ENCODING="gzip")
    assert again.content == first.content and again["ETag"] == first["ETag"]


def test_a_hit_reads_only_the_body_it_sends(client, lineage, monkeypatch):
    from reports import freshness

    client.get("/xep-hang/2025/so/", HTTP_ACCEPT_ENCODING="gzip")
    read = []
    original = freshness.cache.get
    monkeypatch.setattr(freshness.cache, "get", lambda key, *a, **k: read.append(key) or original(key, *a, **k))
    assert client.get("/xep-hang/2025/so/", HTTP_ACCEPT_ENCODING="gzip")["Content-Encoding"] == "gzip"
    assert any(key.endswith(":gz") for key in read) and not any(key.endswith(":raw") for key in read), read
    read.clear()
    assert not client.get("/xep-hang/2025/so/").has_header("Content-Encoding")
    assert any(key.endswith(":raw") for key in read) and not any(key.endswith(":gz") for key in read), read


def test_a_page_whose_body_was_evicted_is_rendered_again(client, lineage):
    client.get("/xep-hang/2025/so/", HTTP_ACCEPT_ENCODING="gzip")
    store = caches["default"]
    for key in [k for k in store._cache if k.endswith(":gz")]:
        store.delete(key.split(":", 2)[2])  # the key as the cache names it, without prefix and version
    with CaptureQueriesContext(connection) as captured:
        answer = client.get("/xep-hang/2025/so/", HTTP_ACCEPT_ENCODING="gzip")
    assert answer.status_code == 200 and answer["Content-Encoding"] == "gzip" and len(captured) > 0


def test_a_workers_front_serves_a_hot_page_and_never_one_older_than_the_data(
    client, lineage, settings, django_capture_on_commit_callbacks
):
    """With Redis, each worker keeps the pages it served a few seconds ("front"): a hit then reads neither the page
    cache nor the database; a publication (a new generation) is seen at once."""
    settings.CACHES = {
        **settings.CACHES,
        "front": {
            "BACKEND": "cchc_portal.bounded_cache.BoundedLocMemCache",
            "LOCATION": "test-front",
            "TIMEOUT": 10,
            "OPTIONS": {"MAX_BYTES": 4 * 1024 * 1024},
        },
    }
    from cchc_portal.public_cache import public_changed

    caches["front"].clear()
    first = client.get("/xep-hang/2025/so/", HTTP_ACCEPT_ENCODING="gzip")  # a render, kept in the page cache
    client.get("/xep-hang/2025/so/", HTTP_ACCEPT_ENCODING="gzip")  # a hit, copied to the front
    caches["default"].clear()  # the page cache (Redis) has lost the page: the front still has it
    with CaptureQueriesContext(connection) as captured:
        again = client.get("/xep-hang/2025/so/", HTTP_ACCEPT_ENCODING="gzip")
    assert len(captured) == 0 and again.content == first.content and again["ETag"] == first["ETag"]
    assert page_keys() == []  # served without touching the page cache
    with django_capture_on_commit_callbacks(execute=True):
        public_changed()  # as a publication does once it has committed
    with CaptureQueriesContext(connection) as captured:
        fresh = client.get("/xep-hang/2025/so/", HTTP_ACCEPT_ENCODING="gzip")
    assert fresh.status_code == 200 and len(captured) > 0  # the new generation's page is rendered, not the front's
    assert fresh["ETag"] != first["ETag"]
    caches["front"].clear()
