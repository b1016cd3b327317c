"""Anonymous GET and HEAD requests of the public pages read from the read replica (cchc_portal/db_router.py).

Staff pages, the admin, logins, anything a signed-in person asks and every other method stay on the primary.
The public pages are named here one by one: a page added later reads the primary until it is listed.
"""

from cchc_portal import db_router, public_cache

PUBLIC_VIEWS = frozenset(
    f"reports:{name}"
    for name in (
        "home",
        "overview",
        "methodology",
        "indices",
        "search",
        "open_data",
        "ranking",
        "ranking_version",
        "ranking_xlsx",
        "ranking_csv",
        "comparison",
        "comparison_xlsx",
        "criterion",
        "unit_history",
        "api_index",
        "api_schema",
        "api_periods",
        "results_api",
        "api_unit",
        "api_criteria",
        "api_missing",
    )
)


class PublicReadsFromReplica:
    """Put after AuthenticationMiddleware: the session and the user are read from the primary before this decides.
    Also holds the public-data generation steady for the request (cchc_portal/public_cache.py)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with public_cache.request_generation(), db_router.request_reads() as reads:
            response = self.get_response(request)
        if db_router.failed_midway(reads, response.status_code):
            # An anonymous GET of a public page reads and writes nothing of its own: answered again, from the primary.
            with public_cache.request_generation(), db_router.request_reads():
                response = self.get_response(request)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if (
            request.method in ("GET", "HEAD")
            and request.resolver_match.view_name in PUBLIC_VIEWS
            and not request.user.is_authenticated
        ):
            db_router.allow_replica()
        return None
