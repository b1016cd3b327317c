"""The staff admin: every list opens, results stay read-only, and query counts do not grow with the rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scoring.models import Period, Result
from scoring.ops.demo import demo_seed
from tests.browser import submit_page
from tests.conftest import make_units, publish_table

LISTS = [
    "/quan-tri/units/unit/",
    "/quan-tri/units/block/",
    "/quan-tri/scoring/period/",
    "/quan-tri/scoring/score/",
    "/quan-tri/scoring/result/",
    "/quan-tri/scoring/criteriaset/",
    "/quan-tri/scoring/gradescheme/",
]


def build(so, n):
    """Add n more units, a published table of them and (once) the demonstration period."""
    names = [f"Sở thử {n}-{i}" for i in range(n)]
    make_units(so, names)
    publish_table(so, 2010 + n, [(name, str(90 - i)) for i, name in enumerate(names)])
    demo_seed()


@pytest.mark.parametrize("url", LISTS)
def test_each_admin_list_opens_with_a_fixed_number_of_queries(superuser_client, so, url):
    counts = []
    for n in (3, 7):
        build(so, n)
        with CaptureQueriesContext(connection) as queries:
            response = superuser_client.get(url)
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    assert counts[0] < 25, counts  # a list paginated at 100 rows would hide a query per row otherwise


def _criteria_page(superuser_client, so):
    demo_seed()
    period = Period.objects.get(is_demo=True)
    url = f"/quan-tri/scoring/criteriaset/{period.criteria_set_id}/change/"
    page = superuser_client.get(url)
    names = {c.code: i for i, c in enumerate(period.criteria_set.criteria.order_by("position"))}
    return period.criteria_set, url, page, names


def test_the_criteria_tree_is_editable_in_one_page(superuser_client, so):
    criteria_set, url, page, index = _criteria_page(superuser_client, so)
    assert page.status_code == 200
    leaf = criteria_set.criteria.filter(parent__isnull=False, children__isnull=True).order_by("position").first()
    assert f'value="{leaf.code}"' in page.content.decode()
    changes = {f"criteria-{index[leaf.code]}-title": "Nội dung mới"}
    response = submit_page(superuser_client, url, changes, page=page, button="_save")
    assert response.status_code == 302
    parent = leaf.parent
    leaf.refresh_from_db()
    assert leaf.title == "Nội dung mới" and leaf.parent == parent


def test_the_admin_refuses_the_trees_the_importer_refuses(superuser_client, so):
    criteria_set, url, page, index = _criteria_page(superuser_client, so)
    leaf = criteria_set.criteria.filter(parent__isnull=False, children__isnull=True).order_by("position").first()
    changes = {f"criteria-{index[leaf.code]}-max_points": str(leaf.max_points + 1)}
    response = submit_page(superuser_client, url, changes, page=page, button="_save")
    assert response.status_code == 200
    text = response.content.decode()
    assert f"tiêu chí &quot;{leaf.parent.code}&quot; có điểm tối đa" in text
    assert criteria_set.criteria.get(pk=leaf.pk).max_points == leaf.max_points


def test_published_results_cannot_be_edited_or_deleted_in_the_admin(superuser_client, so):
    build(so, 3)
    result = Result.objects.first()
    assert superuser_client.post(f"/quan-tri/scoring/result/{result.pk}/delete/", {"post": "yes"}).status_code == 403
    superuser_client.post(f"/quan-tri/scoring/result/{result.pk}/change/", {"total": "1", "rank": "9"})
    result.refresh_from_db()
    assert result.rank == 1
    assert superuser_client.get("/quan-tri/scoring/result/add/").status_code == 403


def test_the_admin_needs_a_staff_login(client, db):
    response = client.get("/quan-tri/scoring/score/")
    assert response.status_code == 302 and "/quan-tri/login/" in response["Location"]
