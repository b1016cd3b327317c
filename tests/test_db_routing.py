"""Where queries go without a replica, and what a public request holds steady (tests/test_replica.py has the rest,
against a real replica)."""

from django.db import DEFAULT_DB_ALIAS

from cchc_portal import db_router, public_cache
from cchc_portal.db_router import REPLICA, ReplicaRouter
from cchc_portal.replica_middleware import PUBLIC_VIEWS
from scoring.models import Result


def test_every_public_address_may_read_the_replica_and_no_staff_address_does():
    # The public app holds the public site only: a new address there must be listed (it may read the replica);
    # staff addresses (scoring.staff.urls) stay on the primary.
    from reports.urls import app_name, urlpatterns
    from scoring.staff import urls as staff_urls

    assert {f"{app_name}:{pattern.name}" for pattern in urlpatterns} == PUBLIC_VIEWS
    assert not {f"{staff_urls.app_name}:{pattern.name}" for pattern in staff_urls.urlpatterns} & PUBLIC_VIEWS


def test_writes_and_migrations_stay_on_the_primary_and_objects_of_both_relate():
    router = ReplicaRouter()
    assert router.db_for_write(Result) == DEFAULT_DB_ALIAS
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "scoring") is True
    assert router.allow_migrate(REPLICA, "scoring") is False
    one, other = Result(), Result()
    one._state.db, other._state.db = DEFAULT_DB_ALIAS, REPLICA
    assert router.allow_relation(one, other) is True


def test_without_a_replica_a_public_request_reads_the_primary():
    router = ReplicaRouter()
    assert router.db_for_read(Result) is None
    with db_router.request_reads():
        db_router.allow_replica()
        assert router.db_for_read(Result) is None


def test_a_request_keeps_the_generation_it_first_saw():
    with public_cache.request_generation():
        seen = public_cache.generation()
        public_cache._renew()  # a publication commits while the page is being rendered
        assert public_cache.generation() == seen  # so the page is stored under the generation it was looked up in
    assert public_cache.generation() != seen
