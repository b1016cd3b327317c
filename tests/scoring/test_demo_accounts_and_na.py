"""The demonstration accounts of `make run`, and marking a criterion not applicable for one unit."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client

from scoring.models import AuditEntry, Period, Score
from scoring.permissions import can_view_dashboard, is_administrator, is_member
from tests.browser import submit_page
from tests.conftest import make_units


def test_demo_accounts_exist_only_with_debug_on(settings, so):
    make_units(so, ["Sở Nội vụ", "Sở Y tế"])
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("create_demo_accounts")
    assert not get_user_model().objects.exists()


def test_demo_data_is_never_made_on_a_database_named_by_database_url_without_demo(settings, so, monkeypatch):
    settings.DEBUG = True
    monkeypatch.setenv("DATABASE_URL", "postgres://cchc@csdl-that.example.gov.vn/cchc")
    monkeypatch.delenv("DEMO", raising=False)
    for command in ("create_demo_accounts", "seed_demo"):
        with pytest.raises(CommandError, match="DEMO=1"):
            call_command(command)
    assert not get_user_model().objects.exists() and not Period.objects.exists()


def test_demo_accounts_cover_each_role_on_the_demo_period(settings, so, capsys, monkeypatch):
    make_units(so, ["Sở Nội vụ", "Sở Y tế"])
    settings.DEBUG = True
    monkeypatch.setenv("DEMO", "1")
    call_command("create_demo_accounts")
    call_command("create_demo_accounts")  # running make run twice is harmless
    out = capsys.readouterr().out
    assert "quantri / " in out and "thamdinh / " in out and "canbo.noivu / " in out
    users = {u.username: u for u in get_user_model().objects.all()}
    period = Period.objects.get(is_demo=True)
    assert is_administrator(users["quantri"])
    assert can_view_dashboard(users["thamdinh"], period) and not is_administrator(users["thamdinh"])
    assert is_member(users["canbo.noivu"], so.units.get(name="Sở Nội vụ"))
    assert len(users) == 3


def test_the_administrator_marks_a_criterion_not_applicable_for_one_unit(cast):
    client = Client()
    client.force_login(cast.admin)
    leaf = cast.leaf["1.2"]
    url = f"/cham-diem/ky/{cast.period.pk}/don-vi/{cast.unit_a.code}/"
    changes = {f"{leaf.pk}-not_applicable": True, "reason": "Đơn vị không có nhiệm vụ này"}
    response = submit_page(client, url, changes, button="save")
    assert response.status_code == 302
    score = Score.objects.get(unit=cast.unit_a, criterion=leaf)
    assert score.not_applicable and score.self_points is None
    entry = AuditEntry.objects.get(action=AuditEntry.Action.NOT_APPLICABLE)
    assert (entry.old, entry.new, entry.reason) == ("không", "có", "Đơn vị không có nhiệm vụ này")
    assert not Score.objects.filter(unit=cast.unit_b, not_applicable=True).exists()
    staff = Client()
    staff.force_login(cast.staff_a)
    assert f"{leaf.pk}-not_applicable" not in staff.get(url).content.decode()
    staff.post(url, {f"{leaf.pk}-not_applicable": "", f"initial-{leaf.pk}-not_applicable": "True", "action": "save"})
    assert Score.objects.get(unit=cast.unit_a, criterion=leaf).not_applicable  # only the administrator decides
    assert Decimal(leaf.max_points) == Decimal("7.5")
