"""Two staff members of one unit on the same entry sheet: nothing one saves is silently reverted by the
other's older form, a real clash is refused for that field only and says who changed it, the audit log
records only what people did — and two saves at the same moment, from two threads on two connections, both
succeed or meet that message, never a server error, on SQLite and PostgreSQL."""

import re
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client

from scoring.models import AuditEntry, Score
from scoring.permissions import UNIT_STAFF
from tests.conftest import clear_locked_data, restore_reference_data
from tests.scoring.workflow_cast import user


def form_of(client: Client, url: str) -> dict:
    """Every input of the entry form as the page drew it (what the user saw), ready to post back."""
    page = client.get(url).content.decode()
    fields = dict(re.findall(r'<input type="hidden" name="(seen-[a-z]+-\d+)" value="([^"]*)"', page))
    data = {name.removeprefix("seen-"): value for name, value in fields.items()}
    data.update(fields)
    data["csrfmiddlewaretoken"] = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data["action"] = "save"
    return data


def points(cast, code: str):
    score = Score.objects.filter(period=cast.period, unit=cast.unit_a, criterion=cast.leaf[code]).first()
    return score.self_points if score else None


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
    form_a, form_b = form_of(a, url), form_of(b, url)  # both open the sheet
    leaf = cast.leaf
    assert a.post(url, {**form_a, f"self-{leaf['1.1'].pk}": "2"}).status_code == 302
    assert b.post(url, {**form_b, f"self-{leaf['1.2'].pk}": "5"}).status_code == 302  # from the older form
    assert (points(cast, "1.1"), points(cast, "1.2")) == (Decimal("2"), Decimal("5"))
    assert trail(cast) == [("1.1", "2", "canbo.a"), ("1.2", "5", "canbo.a2")]  # no revert recorded


def test_a_real_clash_keeps_the_first_value_and_tells_the_second_who_changed_it(cast, two):
    (a, b), url = two
    form_a, form_b = form_of(a, url), form_of(b, url)
    leaf = cast.leaf
    assert a.post(url, {**form_a, f"self-{leaf['1.1'].pk}": "2"}).status_code == 302
    clash = b.post(url, {**form_b, f"self-{leaf['1.1'].pk}": "1", f"self-{leaf['1.2'].pk}": "5"})
    assert clash.status_code == 409
    page = clash.content.decode()
    assert "1 giá trị chưa được lưu" in page
    assert "Tiêu chí 1.1: điểm tự đánh giá đã được canbo.a sửa thành “2”" in page and "(“1”) chưa được lưu" in page
    assert 'value="1" inputmode' in page  # what the second typed is still in the field
    assert (points(cast, "1.1"), points(cast, "1.2")) == (Decimal("2"), Decimal("5"))  # the other value is saved
    assert trail(cast) == [("1.1", "2", "canbo.a"), ("1.2", "5", "canbo.a2")]
    # Having seen the clash, saving again means it: the page now carries the current value as "seen".
    again = form_of(b, url)
    assert b.post(url, {**again, f"self-{leaf['1.1'].pk}": "1"}).status_code == 302
    assert points(cast, "1.1") == Decimal("1")


def test_a_refused_save_keeps_what_the_user_first_saw(cast, two):
    """A save refused for a bad value must not let the corrected resubmit overwrite a colleague's change."""
    (a, b), url = two
    form_b = form_of(b, url)
    leaf = cast.leaf
    assert b.post(url, {**form_b, f"self-{leaf['1.2'].pk}": "mười"}).status_code == 400
    form_a = form_of(a, url)
    assert a.post(url, {**form_a, f"self-{leaf['1.1'].pk}": "2"}).status_code == 302
    # b corrects the page drawn after its refused save: its "seen" is still the empty 1.1 of its first load
    resent = b.post(url, {**form_b, f"self-{leaf['1.2'].pk}": "mười"}).content.decode()
    seen = re.search(rf'name="seen-self-{leaf["1.1"].pk}" value="([^"]*)"', resent).group(1)
    assert seen == ""
    assert b.post(url, {**form_b, f"self-{leaf['1.2'].pk}": "5"}).status_code == 302
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
            forms = [form_of(c, url) for c in clients]
            fields = ["1.1", "1.1"] if same_field else ["1.1", "1.2"]
            # Values never met before, within the leaves' maxima (2,5 and 7,5).
            values = [f"{Decimal('0.1') * (round_ + 1)}", f"{Decimal('1.5') + Decimal('0.1') * round_}"]
            statuses, barrier = [None, None], threading.Barrier(2)
            posts = [{**forms[i], f"self-{cast.leaf[fields[i]].pk}": values[i]} for i in (0, 1)]

            def save(i, client, data, statuses=statuses, barrier=barrier):
                barrier.wait()
                statuses[i] = client.post(url, data).status_code
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
