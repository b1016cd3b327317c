"""Counting a page's queries, one way for every test that holds a page to a fixed number of them.

`count_cold(client, url)`: the queries of one render with nothing in the page cache (a cached public page
costs none, which would prove nothing). `assert_constant(count, grow)`: the count before and after `grow()`
adds data the page shows — more units, years, tables — is the same; returns it, for a test that also pins it.
"""

from collections.abc import Callable

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext


def count_cold(client, url: str, status: int = 200) -> int:
    """The queries of a render of `url` with nothing in the page cache; the answer must have `status`."""
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return len(captured)


def assert_constant(count: Callable[[], int], grow: Callable[[], object]) -> int:
    """`count()` before and after `grow()` is the same number (the page does not query per row); returns it."""
    before = count()
    grow()
    after = count()
    assert after == before, f"{before} queries, then {after} after more data: a query per row somewhere"
    return after
