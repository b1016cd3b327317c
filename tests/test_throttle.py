"""Per-address limits on public pages rendered for want of a cached copy, and on searches: 429 with a Vietnamese
page and Retry-After; a cached page is never counted; the address is nginx's, not what the client claims."""

import pytest
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from cchc_portal import throttle

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fixed_minute(monkeypatch):
    # 20 s into a minute: no test sees its counters start again half-way.
    monkeypatch.setattr(throttle.time, "time", lambda: 1_800_000_020.0)


def test_the_address_is_remote_addr_or_behind_the_proxy_the_last_forwarded_entry(settings):
    """The limits count the same address as the login lockouts (cchc_portal.addresses): behind the trusted proxy,
    the entry it appended; else REMOTE_ADDR."""
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
    settings.TRUSTED_PROXIES = []
    assert throttle.client_address(request) == "127.0.0.1"
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    assert throttle.client_address(request) == "203.0.113.7"  # the first entry is the client's own claim
    assert throttle.client_address(RequestFactory().get("/", REMOTE_ADDR="10.0.0.1")) == "10.0.0.1"


def test_an_ipv6_network_counts_as_one_holder():
    assert throttle._holder("2001:db8:1:2:aaaa::1") == throttle._holder("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    assert throttle._holder("2001:db8:1:3::1") != throttle._holder("2001:db8:1:2::1")
    assert throttle._holder("::ffff:203.0.113.7") == "203.0.113.7"


def test_pages_rendered_for_one_address_are_limited_and_cached_pages_are_not(settings, lineage):
    settings.PUBLIC_MISSES_PER_MINUTE = 3
    client = Client(REMOTE_ADDR="198.51.100.1")
    for url in ("/xep-hang/2025/so/", "/don-vi/so-y-te/", "/don-vi/so-tai-chinh/"):
        assert client.get(url).status_code == 200
    refused = client.get("/don-vi/ban-qlda/")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60 and refused["Retry-After"] == "40"
    assert "Quá nhiều yêu cầu" in refused.content.decode() and "Xin đợi 40 giây" in refused.content.decode()
    assert "no-store" in refused["Cache-Control"]
    for _ in range(10):  # the pages it already has are served from the cache, whatever the count
        assert client.get("/xep-hang/2025/so/?utm=x").status_code == 200
    assert Client(REMOTE_ADDR="198.51.100.2").get("/don-vi/ban-qlda/").status_code == 200  # another address
    assert client.get("/don-vi/ban-qlda/").status_code == 200  # now cached: nothing to render


def test_searches_have_their_own_smaller_limit(settings, lineage):
    settings.SEARCHES_PER_MINUTE = 2
    client = Client(REMOTE_ADDR="198.51.100.1")
    assert client.get("/tim-kiem/", {"q": "y te"}).status_code == 200
    assert client.get("/tim-kiem/", {"q": "tai chinh"}).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        refused = client.get("/tim-kiem/", {"q": "nong nghiep"})
    assert refused.status_code == 429 and "tìm kiếm quá nhiều lần" in refused.content.decode()
    assert len(captured) == 0  # refused before anything is read
    assert client.get("/tim-kiem/", {"q": "y te"}).status_code == 200  # cached
    assert client.get("/don-vi/so-y-te/").status_code == 200  # other pages keep their own limit


def test_behind_the_proxy_each_client_has_its_own_count_whatever_it_forwards(settings, lineage):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]  # behind the documented nginx
    settings.PUBLIC_MISSES_PER_MINUTE = 2
    settings.SEARCHES_PER_MINUTE = 0  # off: only the page limit here
    nginx = {"REMOTE_ADDR": "127.0.0.1"}
    for n in range(2):
        forged = f"10.9.9.{n}, 203.0.113.7"  # the client's own X-Forwarded-For, then what nginx appended
        assert Client(**nginx).get("/tim-kiem/", {"q": f"a{n}"}, HTTP_X_FORWARDED_FOR=forged).status_code == 200
    forged = "10.9.9.9, 203.0.113.7"
    assert Client(**nginx).get("/tim-kiem/", {"q": "a9"}, HTTP_X_FORWARDED_FOR=forged).status_code == 429
    other = Client(**nginx).get("/tim-kiem/", {"q": "a9"}, HTTP_X_FORWARDED_FOR="203.0.113.8")
    assert other.status_code == 200


def test_public_pages_the_cache_does_not_keep_count_every_request(settings, lineage):
    settings.PUBLIC_MISSES_PER_MINUTE = 2
    client = Client(REMOTE_ADDR="198.51.100.1")
    assert client.get("/xep-hang/2025/so/lan-1/").status_code == 200
    assert client.get("/xep-hang/so-sanh/so.xlsx").status_code == 200
    assert client.get("/xep-hang/2025/so/lan-1/").status_code == 429
    assert client.get("/xep-hang/so-sanh/so.xlsx").status_code == 429


def test_the_api_is_refused_in_json(settings, lineage):
    settings.PUBLIC_MISSES_PER_MINUTE = 1
    client = Client(REMOTE_ADDR="198.51.100.1")
    assert client.get("/api/v1/results/2025/so/").status_code == 200
    refused = client.get("/api/v1/units/so-y-te/")
    assert refused.status_code == 429 and refused["Retry-After"] == "40"
    message = "Địa chỉ mạng của bạn đã gửi quá nhiều yêu cầu trong một phút; xin đợi 40 giây rồi thử lại."
    assert refused.json() == {"error": message}
