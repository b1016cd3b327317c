"""No visitor pays for a publication: the publication queues a job (never run inside the publishing request) that
renders the new table's public pages, and the first visitor afterwards is served from the cache with no query."""

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports.jobs import NOT_CURRENT, prerender_published
from scoring import ranking
from scoring.models import Job, Period, ResultVersion
from scoring.results import rules_of
from scoring.services import _entries_from_scores, period_publish, result_version_seal
from tests.conftest import make_units
from tests.scoring.test_publish import full, score

pytestmark = pytest.mark.django_db

TABLE = ["/xep-hang/2024/so/", "/api/v1/results/2024/so/", "/xep-hang/2024/so.xlsx", "/xep-hang/2024/so.csv"]
SITE = ["/", "/tong-quan/"]


@pytest.fixture(autouse=True)
def at_the_test_address(settings):
    settings.PORTAL_URL = "http://testserver"  # where the test client's visitors come from
    settings.PRERENDER_ADDRESSES = []


@pytest.fixture
def queued(settings):
    settings.JOBS_EAGER, settings.JOBS_QUEUE = False, "database"  # no Redis: `manage.py run_jobs` does the jobs


@pytest.fixture
def scored(approved_period, so):
    for unit, points in zip(make_units(so, ["Sở Y tế", "Sở Tư pháp"]), [full(), full(**{"1_1": "20"})], strict=True):
        score(approved_period, unit, points)
    return approved_period


def publish(approved, by, django_capture_on_commit_callbacks) -> ResultVersion:
    with django_capture_on_commit_callbacks(execute=True):
        return period_publish(period=approved, decision_number="12/QĐ-UBND", decision_date=None, by=by)


def first_visit(client, path: str, *, local=True) -> tuple[int, int, str]:
    """A visitor's request served by a worker that has rendered nothing (with a `local` cache: its own memory
    empty): status, queries, encoding."""
    if local:
        caches["default"].clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, HTTP_ACCEPT_ENCODING="gzip")
    return response.status_code, len(captured), response.get("Content-Encoding", "")


def test_the_first_visitor_after_a_publication_is_served_what_the_job_rendered(
    client, scored, administrator, queued, django_capture_on_commit_callbacks
):
    version = publish(scored, administrator, django_capture_on_commit_callbacks)
    job = Job.objects.get(kind="public_prerender")
    assert job.status == Job.Status.QUEUED  # queued by the publication, not done inside it
    assert job.params == {"version": version.pk}
    call_command("run_jobs", "--once", verbosity=0)
    job.refresh_from_db()
    assert job.status == Job.Status.DONE, job.message
    assert job.message == "Đã dựng sẵn 6 trang công khai của bảng Sở, ban, ngành cấp tỉnh năm 2024."
    for path in TABLE + SITE:
        status, queries, encoding = first_visit(client, path)
        assert (status, queries) == (200, 0), path  # no query: not rendered by this request
        if path in (TABLE[0], TABLE[1], *SITE):  # the CSV of two rows is too small to compress
            assert encoding == "gzip", path
    html = client.get(TABLE[0]).content.decode()
    assert "Sở Y tế" in html and "Sở Tư pháp" in html


@pytest.fixture
def in_redis(settings):
    """The page cache, the generation and the prerendered pages in one Redis (db 7 of the local server), as in a
    deployment with REDIS_URL."""
    import redis

    url = "redis://127.0.0.1:6379/7"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    shared = {"BACKEND": "cchc_portal.redis_cache.RedisCache", "LOCATION": url, "KEY_PREFIX": "cchc-test"}
    settings.CACHES = {"default": shared, "shared": shared, "prerendered": shared}
    caches["default"].clear()
    yield
    caches["default"].clear()


def test_with_redis_the_job_fills_the_shared_page_cache(
    client, scored, administrator, queued, in_redis, django_capture_on_commit_callbacks
):
    publish(scored, administrator, django_capture_on_commit_callbacks)
    caches["default"].clear()  # nothing kept before the job runs
    call_command("run_jobs", "--once", verbosity=0)
    assert caches["prerendered"].get_many([]) == {} and type(caches["prerendered"]).__name__ == "RedisCache"
    assert caches["default"]._cache.get_client().dbsize() > 0  # what the job kept, in Redis
    for path in TABLE + SITE:
        status, queries, _ = first_visit(client, path, local=False)
        assert (status, queries) == (200, 0), path


def test_without_the_job_the_first_visitor_pays_the_render(
    client, scored, administrator, queued, settings, django_capture_on_commit_callbacks
):
    settings.PRERENDER_ON_PUBLISH = False
    publish(scored, administrator, django_capture_on_commit_callbacks)
    assert not Job.objects.filter(kind="public_prerender").exists()
    status, queries, _ = first_visit(client, TABLE[0])
    assert status == 200 and queries > 0


def test_a_correction_is_prerendered_like_a_publication(
    client, scored, administrator, queued, django_capture_on_commit_callbacks
):
    first = publish(scored, administrator, django_capture_on_commit_callbacks)
    call_command("run_jobs", "--once", verbosity=0)
    # A correction seals a new version through the same service as a publication (scoring.corrections).
    entries, measures = _entries_from_scores(scored)
    table = ranking.rank_entries(entries, **rules_of(scored))
    with django_capture_on_commit_callbacks(execute=True):
        second = result_version_seal(
            period=scored,
            rows=[(row.key, row) for row in table],
            by=administrator,
            reason="Đính chính",
            measures=measures,
        )
    jobs = Job.objects.filter(kind="public_prerender").order_by("created_at")
    assert [j.params["version"] for j in jobs] == [first.pk, second.pk]
    call_command("run_jobs", "--once", verbosity=0)
    assert jobs.last().status == Job.Status.DONE
    assert first_visit(client, TABLE[1])[:2] == (200, 0)


def test_unpublished_results_are_never_prerendered(scored, so):
    # A table of a period still being appraised (as an import could leave one), and a job asked to render it.
    scored.status = Period.Status.APPRAISAL
    scored.save()
    version = ResultVersion.objects.create(period=scored, number=1, block_name=so.name, sealed=True)
    ResultVersion.objects.filter(pk=version.pk).update(is_current=True)
    caches["prerendered"].clear()
    outcome = prerender_published({"version": version.pk}, lambda *a, **k: None)
    assert outcome.message == NOT_CURRENT
    assert not stored_pages()
    # And the renderer itself only keeps what the public views serve: their 404 is not kept.
    from reports.freshness import prerender

    assert prerender(TABLE) == 0
    assert not stored_pages()


def stored_pages() -> list:
    store = caches["prerendered"]
    return list(store._list_cache_files())  # the tests' folder of prerendered pages (no Redis)
