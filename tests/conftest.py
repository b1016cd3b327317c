"""The small named cast the tests build on: blocks come from the migrations, the rest is made here."""

import os
import shutil
from decimal import Decimal
from importlib import import_module
from pathlib import Path

import pytest
from django.apps import apps

from cchc_portal.public_cache import public_changed
from scoring.models import CriteriaSet, Criterion, GradeScheme, Method, Period, Result, ResultVersion
from units.models import Block, Unit

PASSWORD = "mat-khau-dai-123"  # every account a test makes signs in with it
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"  # screenshots and PDFs for a person to look at
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
    "--disable-background-networking",
    "--disable-component-update",
]


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Accounts are made in many tests; the production hasher is slow on purpose.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def empty_cache():
    # The page cache outlives a test's rolled-back data: each test starts with none of another's pages.
    from django.core.cache import caches

    for alias in ("default", "shared", "prerendered"):
        caches[alias].clear()
    yield
    for alias in ("default", "shared", "prerendered"):
        caches[alias].clear()


@pytest.fixture
def so(db) -> Block:
    return Block.objects.get(code="so")


@pytest.fixture
def huyen(db) -> Block:
    return Block.objects.get(code="huyen")


@pytest.fixture
def scheme(db) -> GradeScheme:
    return GradeScheme.objects.get(is_default=True)


def make_units(block: Block, names: list[str]) -> list[Unit]:
    start = Unit.objects.count() + 1
    return [
        Unit.objects.create(code=f"{block.code}-{i}", name=name, block=block) for i, name in enumerate(names, start)
    ]


def publish_table(
    block: Block,
    year: int,
    rows: list[tuple[str, str]],
    *,
    decimals: int = 3,
    partial=False,
    status=Period.Status.PUBLISHED,
    scheme=None,
) -> Period:
    """A period with Results as an import would leave them: rows are (unit name, total) in rank order."""
    period = Period.objects.create(
        year=year,
        block=block,
        status=status,
        published_decimals=decimals,
        is_partial=partial,
        grade_scheme=scheme or GradeScheme.objects.get(is_default=True),
    )
    version = ResultVersion.objects.create(
        period=period, number=1, block_name=block.name, block_phrase=block.title_phrase
    )
    units = {u.name: u for u in Unit.objects.filter(block=block)}
    for position, (name, total) in enumerate(rows, start=1):
        unit = units.get(name) or Unit.objects.create(code=f"{block.code}-{year}-{position}", name=name, block=block)
        Result.objects.create(
            period=period,
            version=version,
            unit=unit,
            unit_name=unit.name,
            total=Decimal(total),
            grade="Tốt",
            grade_code="tot",
            rank=position,
            position=position,
        )
    ResultVersion.objects.filter(pk=version.pk).update(is_current=True, sealed=True)
    public_changed(names_of=Unit.objects.filter(results__period=period))  # what a publication does
    return period


@pytest.fixture
def criteria_tree(so) -> CriteriaSet:
    """A ragged tree summing to 100: area 1 split in two leaves, area 2 scored directly, a survey, bonus, deduction."""
    criteria_set = CriteriaSet.objects.create(year=2024, block=so, name="Bộ tiêu chí thử")
    rows = [
        ("1", None, "40", Method.SELF),
        ("1.1", "1", "25.5", Method.SELF),
        ("1.2", "1", "14.5", Method.SELF),
        ("2", None, "35", Method.SELF),
        ("3", None, "25", Method.SURVEY),
        ("T", None, "2", Method.BONUS),
        ("D", None, "3", Method.DEDUCTION),
    ]
    nodes = {}
    for position, (code, parent, max_points, method) in enumerate(rows, start=1):
        nodes[code] = Criterion.objects.create(
            criteria_set=criteria_set,
            parent=nodes.get(parent),
            code=code,
            title=f"Tiêu chí {code}",
            max_points=Decimal(max_points),
            method=method,
            position=position,
        )
    return criteria_set


@pytest.fixture
def approved_period(criteria_tree, so, scheme) -> Period:
    """A 2024 period of the Departments on conftest's criteria tree, appraised and approved: ready to publish."""
    return Period.objects.create(
        year=2024, block=so, criteria_set=criteria_tree, grade_scheme=scheme, status=Period.Status.APPROVED
    )


def restore_reference_data() -> None:
    """Re-run the data migrations (blocks, default grade scheme) after a transactional test's flush."""
    import_module("units.migrations.0002_the_three_blocks").create_blocks(apps, None)
    import_module("scoring.migrations.0002_default_grade_scheme").create_scheme(apps, None)
    from django.contrib.auth.models import Group, Permission

    import_module("units.migrations.0004_roles").assign_roles(Group, Permission)


def clear_locked_data() -> None:
    """After a test in a real transaction: lift the locks, empty the locked tables, restore the locks.

    On SQLite Django's flush deletes row by row and the triggers of the lock migration refuse to
    delete anything published; PostgreSQL's TRUNCATE is not refused, so this only matters there.
    """
    from django.db import connection

    from scoring import locks
    from scoring.models import AuditEntry, CriteriaSet, Evidence, Period, Result, ResultVersion, Score, ScoreCorrection

    with locks.suspended(connection):
        for model in (Evidence, ScoreCorrection, Result, ResultVersion, Score, AuditEntry, Period, CriteriaSet):
            model.objects.all().delete()


@pytest.fixture
def lineage(so):
    """The public pages' cast (tests/reports/lineage_cast.py): a block across the 2025 reorganisation, published."""
    from tests.reports.lineage_cast import Lineage

    return Lineage(so)


@pytest.fixture
def committed_lineage():
    """The lineage cast in a database that really commits, for a live server; emptied after the test."""
    restore_reference_data()
    from tests.reports.lineage_cast import Lineage

    yield Lineage(Block.objects.get(code="so"))
    clear_locked_data()


@pytest.fixture
def cast(so, scheme):
    """The workflow cast (tests/scoring/workflow_cast.py): a small criteria set, three units, one account per role."""
    from tests.scoring.workflow_cast import Cast

    return Cast(so, scheme)


@pytest.fixture
def committed_cast():
    """The workflow cast in a database that really commits (a live server, mail sent on commit); emptied after."""
    restore_reference_data()
    from tests.scoring.workflow_cast import Cast

    yield Cast(Block.objects.get(code="so"), GradeScheme.objects.get(is_default=True))
    clear_locked_data()


@pytest.fixture
def administrator(db):
    """The Department's administrator: the role's account (quantri), not a Django superuser."""
    from scoring.permissions import ADMINISTRATOR
    from tests.scoring.workflow_cast import user

    return user("quantri", ADMINISTRATOR)


@pytest.fixture
def administrator_client(administrator):
    from django.test import Client

    client = Client()
    client.force_login(administrator)
    return client


@pytest.fixture
def superuser(db):
    """A Django superuser (quantri), for the admin site."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser("quantri", "quantri@example.gov.vn", "mat-khau-dai-123")


@pytest.fixture
def superuser_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def media_root(settings, tmp_path):
    """Uploaded and generated files go to the test's own folder."""
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def queue(settings, monkeypatch):
    """A real RQ queue on the test machine's Redis (its own name, emptied after), instead of running at once."""
    from uuid import uuid4

    import django_rq
    from redis import Redis
    from rq import Queue

    settings.JOBS_EAGER, settings.JOBS_QUEUE = False, "redis"
    connection = Redis.from_url("redis://127.0.0.1:6379/15")
    try:
        connection.ping()
    except Exception as exc:  # pragma: no cover - CI always has Redis
        pytest.skip(f"Redis is not running on 127.0.0.1:6379: {exc}")
    test_queue = Queue(f"cchc-test-{uuid4().hex}", connection=connection)

    def get_queue(name, **kwargs):
        assert name == "cchc"
        return test_queue

    monkeypatch.setattr(django_rq, "get_queue", get_queue)
    yield test_queue
    test_queue.empty()
    test_queue.delete(delete_jobs=True)


def work(queue) -> None:
    from rq import SimpleWorker

    SimpleWorker([queue], connection=queue.connection).work(burst=True)


@pytest.fixture
def empty_database_url(tmp_path):
    """An empty database of the same kind as the test's, and its DATABASE_URL; dropped afterwards."""
    from uuid import uuid4

    from django.db import connection

    if connection.vendor == "postgresql":
        name = f"cchc_restore_{uuid4().hex[:8]}"
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {name}")
        settings = connection.settings_dict
        yield f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{name}"
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    else:
        yield f"sqlite:///{tmp_path / 'khoi-phuc.sqlite3'}"


CORRECTION_DECISION = ("--decision-number", "99/QĐ-UBND", "--decision-date", "20/02/2025", "--signer", "Chủ tịch")


def correction_options() -> list[str]:
    """What `import_results --correction` needs besides the reason: the administrator and the decision."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from scoring.permissions import ADMINISTRATOR

    user, created = get_user_model().objects.get_or_create(username="quantri.dinhchinh")
    if created:
        user.groups.add(Group.objects.get(name=ADMINISTRATOR))
    return ["--user", user.username, *CORRECTION_DECISION]


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM:
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed; .ci/run installs Debian's chromium package.")
        pytest.skip("Chromium is not installed (apt-get install chromium).")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop on this thread; the test's own database work is
    # still synchronous, which Django only allows with this switch (as Playwright's docs advise).
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


def sign_in_on_page(page, server: str, username: str, *, going_to: str | None = None) -> None:
    """Sign in through the portal's own form in Chromium, as a person does, and wait for the page it leads to
    (`going_to`, else wherever the portal sends this person)."""
    page.goto(f"{server}/dang-nhap/" + (f"?next={going_to}" if going_to else ""))
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    if going_to:
        page.wait_for_url(f"**{going_to}")
