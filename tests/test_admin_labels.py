"""Every input of the admin pages Sở Nội vụ uses has a name a screen reader can say (cchc_portal/admin_labels.py).

Read from the HTML the server sends: an input is named by a <label for> pointing at it, a <label> around it, or
an aria-label. What the admin's scripts draw later is checked in the browser (tests/test_accessibility.py).
"""

from html.parser import HTMLParser

from scoring.models import AppraiserAssignment, GradeScheme, Period
from scoring.ops.demo import demo_seed
from tests.conftest import make_units

SKIPPED_TYPES = {"hidden", "submit", "button", "reset", "image"}


class _Inputs(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.inputs: list[dict] = []
        self.label_for: set[str] = set()
        self.in_label = 0

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "label":
            self.in_label += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        elif tag in ("input", "select", "textarea") and a.get("type", "").lower() not in SKIPPED_TYPES:
            self.inputs.append({**a, "_wrapped": self.in_label > 0, "_tag": tag})

    def handle_endtag(self, tag):
        if tag == "label" and self.in_label:
            self.in_label -= 1


def unnamed(html: str) -> list[str]:
    parser = _Inputs()
    parser.feed(html)
    return [
        f"{i['_tag']} {i.get('name')!r}"
        for i in parser.inputs
        if not i["_wrapped"] and not i.get("aria-label") and i.get("id") not in parser.label_for
    ]


def test_every_input_of_the_admin_pages_staff_use_has_a_name(superuser_client, superuser, so):
    client, user = superuser_client, superuser
    demo_seed()
    period = Period.objects.get(is_demo=True)
    (unit,) = make_units(so, ["Sở Tư pháp"])
    AppraiserAssignment.objects.create(period=period, appraiser=user, unit=unit)
    pages = [
        f"/quan-tri/auth/user/{user.pk}/change/",
        "/quan-tri/auth/user/add/",
        f"/quan-tri/scoring/period/{period.pk}/change/",
        "/quan-tri/scoring/period/add/",
        f"/quan-tri/scoring/criteriaset/{period.criteria_set_id}/change/",
        f"/quan-tri/scoring/gradescheme/{GradeScheme.objects.get(is_default=True).pk}/change/",
        "/quan-tri/units/block/",
        "/quan-tri/units/unitmembership/add/",
    ]
    problems = {}
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        problems[page] = unnamed(response.content.decode())
    assert not any(problems.values()), problems


def test_a_date_time_field_names_its_date_and_its_time_box(superuser_client, superuser):
    client, user = superuser_client, superuser
    parser = _Inputs()
    parser.feed(client.get(f"/quan-tri/auth/user/{user.pk}/change/").content.decode())
    labels = {i["id"]: i.get("aria-label") for i in parser.inputs if i.get("id")}
    assert labels["id_last_login_0"] == "Lần cuối đăng nhập: ngày"
    assert labels["id_last_login_1"] == "Lần cuối đăng nhập: giờ"
    assert labels["id_date_joined_0"] == "Ngày tham gia: ngày"


def test_an_editable_list_names_each_cell_by_its_column_and_its_row(superuser_client, so):
    client = superuser_client
    parser = _Inputs()
    parser.feed(client.get("/quan-tri/units/block/").content.decode())
    labels = [i.get("aria-label") for i in parser.inputs if i.get("name", "").endswith("-sort_order")]
    assert len(labels) == 3 and f"Thứ tự — {so}" in labels
