"""Two staff members of one unit on the same entry sheet: nothing one saves is silently reverted by the
other's older form, a real clash is refused for that field only and says who changed it, the audit log
records only what people did — and two saves at the same moment, from two threads on two connections, both
succeed or meet that message, never a server error, on SQLite and PostgreSQL."""

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client

from scoring.models import AuditEntry, Score
from scoring.permissions import UNIT_STAFF
from tests.browser import load_form, post_form
from tests.conftest import clear_locked_data, restore_reference_data
from tests.scoring.workflow_cast import user


def self_points(cast, code: str) -> str:
    return f"{cast.leaf[code].pk}-self_points"


def points(cast, code: str):
    score = Score.objects.filter(period=cast.period, unit=cast.unit_a, criterion=cast.leaf[code]).first()
    return score.self_points if score else None


class clash_page:
    """A response shown again (status 400 or 409) read as the page the person now has in front of them."""

    def __init__(self, response):
        self.status_code, self.content = 200, response.content


def trail(cast) -> list[tuple[str, str, str]]:
    entries = AuditEntry.objects.filter(period=cast.period, action="self_points").order_by("at", "pk")
    return [(e.criterion.code, e.new, e.by.username) for e in entries.select_related("criterion", "by")]


@pytest.fixture
def two(cast):
    second = user("canbo.a2", UNIT_STAFF, cast.unit_a)
    clients = []
    for account in (cast.staff_a, second):
        client = Client()
        client.force_login(account)
        clients.append(client)
    url = f"/cham-diem/ky/{cast.period.pk}/don-vi/{cast.unit_a.code}/"
    return clients, url


def test_an_older_form_saves_its_own_change_and_reverts_nothing(cast, two):
    (a, b), url = two
    form_a, form_b = load_form(a, url), load_form(b, url)  # both open the sheet
    assert post_form(a, form_a, {self_points(cast, "1.1"): "2"}, button="save").status_code == 302
    assert post_form(b, form_b, {self_points(cast, "1.2"): "5"}, button="save").status_code == 302  # the older form
    assert (points(cast, "1.1"), points(cast, "1.2")) == (Decimal("2"), Decimal("5"))
    assert trail(cast) == [("1.1", "2", "canbo.a"), ("1.2", "5", "canbo.a2")]  # no revert recorded


def test_a_real_clash_keeps_the_first_value_and_tells_the_second_who_changed_it(cast, two):
    (a, b), url = two
    form_a, form_b = load_form(a, url), load_form(b, url)
    assert post_form(a, form_a, {self_points(cast, "1.1"): "2"}, button="save").status_code == 302
    clash = post_form(b, form_b, {self_points(cast, "1.1"): "1", self_points(cast, "1.2"): "5"}, button="save")
    assert clash.status_code == 409
    page = clash.content.decode()
    assert "1 giá trị chưa được lưu" in page
    assert "Tiêu chí 1.1: điểm tự đánh giá đã được canbo.a sửa thành “2”" in page and "(“1”) chưa được lưu" in page
    typed = load_form(b, url, page=clash_page(clash))
    assert {c.name: c.value for c in typed.controls}[self_points(cast, "1.1")] == "1"  # still in the field
    assert (points(cast, "1.1"), points(cast, "1.2")) == (Decimal("2"), Decimal("5"))  # the other value is saved
    assert trail(cast) == [("1.1", "2", "canbo.a"), ("1.2", "5", "canbo.a2")]
    # Having seen the clash, saving again means it: the page now carries the current value as "seen".
    assert post_form(b, typed, button="save").status_code == 302
    assert points(cast, "1.1") == Decimal("1")


def test_a_refused_save_keeps_what_the_user_first_saw(cast, two):
    """A save refused for a bad value must not let the corrected resubmit overwrite a colleague's change."""
    (a, b), url = two
    form_b = load_form(b, url)
    refused = post_form(b, form_b, {self_points(cast, "1.2"): "mười"}, button="save")
    assert refused.status_code == 400
    assert post_form(a, load_form(a, url), {self_points(cast, "1.1"): "2"}, button="save").status_code == 302
    # b corrects the page drawn after its refused save: what it "saw" of 1.1 is still the empty value of its first load
    again = load_form(b, url, page=clash_page(refused))
    seen = {c.name: c.value for c in again.controls}[f"initial-{self_points(cast, '1.1')}"]
    assert seen == ""
    assert post_form(b, again, {self_points(cast, "1.2"): "5"}, button="save").status_code == 302
    assert points(cast, "1.1") == Decimal("2")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("same_field", [False, True], ids=["two-fields", "one-field"])
def test_two_saves_at_the_same_moment_never_fail(same_field):
    restore_reference_data()
    from scoring.models import GradeScheme
    from tests.scoring.workflow_cast import Cast
    from units.models import Block

    cast = Cast(Block.objects.get(code="so"), GradeScheme.objects.get(is_default=True))
    second = user("canbo.a2", UNIT_STAFF, cast.unit_a)
    url = f"/cham-diem/ky/{cast.period.pk}/don-vi/{cast.unit_a.code}/"
    try:
        for round_ in range(10):
            clients = []
            for account in (cast.staff_a, second):
                client = Client()
                client.force_login(account)
                clients.append(client)
            forms = [load_form(c, url) for c in clients]
            fields = ["1.1", "1.1"] if same_field else ["1.1", "1.2"]
            # Values never met before, within the leaves' maxima (2,5 and 7,5).
            values = [f"{Decimal('0.1') * (round_ + 1)}", f"{Decimal('1.5') + Decimal('0.1') * round_}"]
            statuses, barrier = [None, None], threading.Barrier(2)
            posts = [(forms[i], {self_points(cast, fields[i]): values[i]}) for i in (0, 1)]

            def save(i, client, post, statuses=statuses, barrier=barrier):
                barrier.wait()
                statuses[i] = post_form(client, post[0], post[1], button="save").status_code
                connection.close()  # each thread's own connection

            threads = [threading.Thread(target=save, args=(i, clients[i], posts[i])) for i in (0, 1)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            if same_field:
                assert sorted(statuses) == [302, 409], statuses  # one saves, the other is told
            else:
                assert statuses == [302, 302], statuses
                assert points(cast, "1.1") == Decimal(values[0]) and points(cast, "1.2") == Decimal(values[1])
    finally:
        clear_locked_data()


def test_a_clash_with_the_same_persons_other_tab_says_so(cast):
    url = f"/cham-diem/ky/{cast.period.pk}/don-vi/{cast.unit_a.code}/"
    tabs = []
    for _ in range(2):  # one account, two tabs (two sessions say the same)
        client = Client()
        client.force_login(cast.staff_a)
        tabs.append(client)
    first, second = load_form(tabs[0], url), load_form(tabs[1], url)
    assert post_form(tabs[0], first, {self_points(cast, "1.1"): "2"}, button="save").status_code == 302
    clash = post_form(tabs[1], second, {self_points(cast, "1.1"): "1"}, button="save")
    page = clash.content.decode()
    assert "đã được chính bạn (ở một thẻ hoặc cửa sổ khác) sửa thành “2”" in page
    assert "người khác" not in page and "canbo.a sửa" not in page
