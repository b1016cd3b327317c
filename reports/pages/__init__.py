"""The public site's read layer, one module per page: each selector returns a plain dataclass with everything its
page prints, in a fixed number of queries whatever the number of units or years, from published data only
(`Result.objects.published()`, `Period.objects.published()`, current sealed versions): nothing unpublished or
demonstrative is read. A selector that finds nothing public raises `NotPublished`; `reports.http.published_or_404`
answers it with a 404 page, or a JSON 404 for the API.
"""

from collections import defaultdict

from scoring.models import Criterion
from scoring.tree import CriteriaTree


class NotPublished(Exception):
    """Nothing published answers this address (the message says what, in Vietnamese, for the 404 page)."""


def trees_of(sets) -> dict[int, CriteriaTree]:
    """The criteria trees of several sets in one query, by set id."""
    nodes = defaultdict(list)
    for node in Criterion.objects.filter(criteria_set_id__in=sets):
        nodes[node.criteria_set_id].append(node)
    return {key: CriteriaTree(found) for key, found in nodes.items()}
