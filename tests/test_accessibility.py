"""Every page a year uses, checked by axe-core in headless Chromium at 1,366 and 375 px.

The public pages (a citizen), the staff pages of a year (Sở Nội vụ, a unit, an appraiser, with a flash message
on the page), and the Django admin pages Sở Nội vụ works in. axe-core runs its default rules (WCAG 2.0 and 2.1
A and AA, and its best practices); no page may have a critical or a serious violation. A moderate or minor one is
allowed only when it is listed in ACCEPTED below with the reason it is kept. Screenshots go to
test-artifacts/tiep-can/ to be looked at.

axe-core is vendored in tests/vendor/axe-core (see tests/vendor/README.md) and evaluated in each page through
the browser's developer protocol: the site's Content-Security-Policy stays as it is.
"""

import hashlib
import re
from pathlib import Path

import pytest
from django.utils import timezone

from scoring.models import GradeScheme, Period, Submission
from tests.conftest import ARTIFACTS, clear_locked_data, restore_reference_data, sign_in_on_page
from tests.scoring.test_period_page import appraise
from units.models import Block

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VENDOR = Path(__file__).resolve().parent / "vendor"
AXE = VENDOR / "axe-core" / "axe.min.js"
SHOTS = ARTIFACTS / "tiep-can"
WIDTHS = (1366, 375)

# (rule id, page name or "*") → why the finding is kept. Only moderate and minor rules may be listed here.
ACCEPTED: dict[tuple[str, str], str] = {
    ("empty-table-header", "qt-ky"): (
        "minor: Django's tabular inline (admin/edit_inline/tabular.html) draws an empty header over the column "
        "that holds each row's own name; every input column has its header, and every input its own name "
        "(cchc_portal/admin_labels.py)"
    ),
}

RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' — ' + n.failureSummary.replace(/\\s+/g, ' ')),
  }));
}"""


def test_the_vendored_axe_core_is_the_release_its_readme_names():
    readme = (VENDOR / "README.md").read_text()
    source = AXE.read_bytes()
    version = re.search(r"\| version \| ([0-9.]+) \|", readme).group(1)
    assert source.startswith(f"/*! axe v{version}".encode())
    assert hashlib.sha256(source).hexdigest() in readme
    assert (VENDOR / "axe-core" / "LICENSE").read_text().startswith("Mozilla Public License, version 2.0")


@pytest.fixture
def year():
    """The public side of a block across years (tests/reports/lineage_cast.py) and, in another block, a year being
    scored with an account for each role (tests/scoring/workflow_cast.py); Sở Nội vụ also works in the admin."""
    restore_reference_data()
    from tests.reports.lineage_cast import Lineage
    from tests.scoring.workflow_cast import Cast

    public = Lineage(Block.objects.get(code="so"))
    cast = Cast(Block.objects.get(code="huyen"), GradeScheme.objects.get(is_default=True))
    type(cast.admin).objects.filter(pk=cast.admin.pk).update(is_staff=True, is_superuser=True)
    yield public, cast
    clear_locked_data()


class Visitor:
    """One browser context at one width; `check` runs axe on the page and keeps a screenshot."""

    def __init__(self, browser, server: str, width: int, username: str | None = None):
        self.context = browser.new_context(viewport={"width": width, "height": 900}, locale="vi-VN")
        self.page = self.context.new_page()
        self.page.on("dialog", lambda dialog: dialog.accept())
        self.server, self.width = server, width
        self.found: dict[str, list[dict]] = {}
        if username:
            sign_in_on_page(self.page, server, username)

    def check(self, name: str, path: str | None = None) -> None:
        if path is not None:
            self.page.goto(self.server + path)
        self.page.wait_for_load_state("load")
        self.page.evaluate(AXE.read_text())
        violations = self.page.evaluate(RUN_AXE)
        self.found[name] = [v for v in violations if not accepted(v, name)]
        self.page.screenshot(path=str(SHOTS / f"{name}-{self.width}.png"), full_page=True)

    def close(self) -> None:
        self.context.close()


def accepted(violation: dict, page: str) -> bool:
    """A listed moderate or minor finding; a critical or serious one is never accepted, listed or not."""
    listed = (violation["id"], page) in ACCEPTED or (violation["id"], "*") in ACCEPTED
    return listed and violation["impact"] not in ("critical", "serious")


def report(found: dict[str, list[dict]]) -> str:
    lines = []
    for name, violations in found.items():
        for v in violations:
            lines.append(f"{name}: {v['id']} ({v['impact']}) {v['help']}")
            lines.extend(f"    {node}" for node in v["nodes"])
    return "\n".join(lines)


def public_pages(lineage) -> dict[str, str]:
    return {
        "trang-chu": "/",
        "xep-hang": "/xep-hang/2025/so/",
        "ban-cong-bo-truoc": "/xep-hang/2025/so/lan-1/",
        "don-vi": "/don-vi/so-tai-chinh/",
        "tieu-chi": "/tieu-chi/2025/so/1.2/",
        "so-sanh": "/xep-hang/so-sanh/so/?tu=2024&den=2025",
        "tong-quan": "/tong-quan/",
        "phuong-phap": "/phuong-phap/",
        "du-lieu-mo": "/du-lieu-mo/",
        "tim-kiem": "/tim-kiem/?q=y+t%E1%BA%BF",
        "tim-kiem-khong-thay": "/tim-kiem/?q=khong-co-don-vi-nao",
        "chi-so-quoc-gia": "/chi-so-quoc-gia/",
        "khong-tim-thay": "/khong-co-trang-nay/",
        "dang-nhap": "/dang-nhap/",
        "quen-mat-khau": "/quen-mat-khau/",
    }


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_of_a_year_has_no_critical_or_serious_accessibility_problem(
    browser,
    live_server,
    year,
    width,
):
    public, cast = year
    SHOTS.mkdir(parents=True, exist_ok=True)
    period = cast.period
    entry = f"/cham-diem/ky/{period.pk}/don-vi/{cast.unit_a.code}/"
    found: dict[str, list[dict]] = {}

    citizen = Visitor(browser, live_server.url, width)
    for name, path in public_pages(public).items():
        citizen.check(name, path)

    # Sở Nội vụ: the work list, the period page, the imports, the accounts, the correction of a published year.
    admin = Visitor(browser, live_server.url, width, "quantri")
    admin.check("sni-viec-can-lam", "/cham-diem/")
    admin.check("sni-ky-dang-tu-danh-gia", f"/cham-diem/ky/{period.pk}/")
    admin.check("sni-ho-so-don-vi", entry)
    admin.check("sni-nhap-bo-tieu-chi", "/cham-diem/bo-tieu-chi/nhap/")
    admin.check("sni-nhap-diem-dieu-tra", f"/cham-diem/ky/{period.pk}/nhap-diem/dieu-tra/")
    admin.check("sni-tai-khoan-don-vi", "/cham-diem/tai-khoan/")
    admin.check("sni-ky-da-cong-bo", f"/cham-diem/ky/{public.y2025.pk}/")
    admin.check("sni-dinh-chinh", f"/cham-diem/ky/{public.y2025.pk}/dinh-chinh/")
    admin.check("sni-doi-mat-khau", "/doi-mat-khau/")
    # The admin pages Sở Nội vụ uses.
    admin.check("qt-trang-chu", "/quan-tri/")
    admin.check("qt-nguoi-dung", f"/quan-tri/auth/user/{cast.staff_a.pk}/change/")
    admin.check("qt-them-nguoi-dung", "/quan-tri/auth/user/add/")
    admin.check("qt-ky", f"/quan-tri/scoring/period/{period.pk}/change/")
    admin.check("qt-khoi", "/quan-tri/units/block/")
    admin.check("qt-don-vi", "/quan-tri/units/unit/")
    admin.check("qt-them-can-bo-don-vi", "/quan-tri/units/unitmembership/add/")
    admin.check("qt-nhap-khoi-tu-excel", "/quan-tri/units/block/import/")
    admin.check("qt-lan-thu-dang-nhap", "/quan-tri/axes/accessattempt/")

    # A unit enters points and saves: the page comes back with its flash message.
    staff = Visitor(browser, live_server.url, width, "canbo.a")
    staff.check("dv-viec-can-lam", "/cham-diem/")
    staff.check("dv-ho-so", entry)
    staff.page.fill(f"#id_{cast.leaf['1.1'].pk}-self_points", "2")
    with staff.page.expect_navigation():
        staff.page.click("button[value=save]")
    assert staff.page.locator(".messages").count() == 1
    staff.check("dv-ho-so-da-luu")
    staff.check("dv-minh-chung", f"{entry}minh-chung/{cast.leaf['1.1'].pk}/")

    # The appraiser in round 1.
    cast.set_status(Period.Status.APPRAISAL)
    Submission.objects.update_or_create(
        period=period,
        unit=cast.unit_a,
        defaults={"status": Submission.Status.SUBMITTED, "submitted_at": timezone.now()},
    )
    appraiser = Visitor(browser, live_server.url, width, "thamdinh")
    appraiser.check("td-viec-can-lam", "/cham-diem/")
    appraiser.check("td-tham-dinh", entry)
    admin.check("sni-ky-tham-dinh", f"/cham-diem/ky/{period.pk}/")

    # A move the period is not ready for, refused with an error message on the period page.
    token = next(c["value"] for c in admin.context.cookies() if c["name"] == "csrftoken")
    admin.page.request.post(
        f"{live_server.url}/cham-diem/ky/{period.pk}/chuyen-trang-thai/",
        form={"move": "approve", "from": period.status, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{live_server.url}/cham-diem/ky/{period.pk}/"},
        max_redirects=0,
    )
    admin.page.goto(f"{live_server.url}/cham-diem/ky/{period.pk}/")
    assert admin.page.locator(".msg--error").count() == 1
    admin.check("sni-ky-buoc-bi-tu-choi")

    # Explanation: the unit answers round 1; then the approved period, its table previewed before publication.
    cast.set_status(Period.Status.EXPLANATION)
    Submission.objects.filter(period=period, unit=cast.unit_a).update(status=Submission.Status.APPRAISED_1)
    staff.check("dv-giai-trinh", entry)
    appraise(cast)
    cast.set_status(Period.Status.APPROVED)
    admin.check("sni-ky-da-phe-duyet", f"/cham-diem/ky/{period.pk}/")

    for person in (citizen, admin, staff, appraiser):
        found.update(person.found)
        person.close()

    assert len(found) == len(public_pages(public)) + 28, sorted(found)  # every page above was checked
    serious = {name: [v for v in found[name] if v["impact"] in ("critical", "serious")] for name in found}
    assert not any(serious.values()), "\n" + report(serious)
    others = {name: [v for v in found[name] if v["impact"] not in ("critical", "serious")] for name in found}
    assert not any(others.values()), "moderate or minor, not listed in ACCEPTED:\n" + report(others)
