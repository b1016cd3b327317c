"""The workflow cast: a small criteria set, three units, one account per role."""

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from scoring.models import AppraiserAssignment, CriteriaSet, Criterion, Method, Period
from scoring.permissions import ADMINISTRATOR, APPRAISER, UNIT_STAFF
from tests.conftest import make_units
from units.models import UnitMembership

# code, parent, max, method
TREE = [
    ("1", None, "10", Method.SELF),
    ("1.1", "1", "2.5", Method.SELF),
    ("1.2", "1", "7.5", Method.SELF),
    ("2", None, "60", Method.SELF),
    ("3", None, "30", Method.SURVEY),
]


def user(username, group=None, unit=None):
    account = get_user_model().objects.create_user(username, password="mat-khau-dai-123")
    if group:
        account.groups.add(Group.objects.get(name=group))
    if unit:
        UnitMembership.objects.create(user=account, unit=unit)
    return account


class Cast:
    """Everything a workflow test needs, built fresh for each test."""

    def __init__(self, so, scheme, status=Period.Status.OPEN):
        self.criteria = CriteriaSet.objects.create(year=2025, block=so, name="Bộ tiêu chí thử nghiệm")
        nodes = {}
        for position, (code, parent, maximum, method) in enumerate(TREE, start=1):
            nodes[code] = Criterion.objects.create(
                criteria_set=self.criteria,
                parent=nodes.get(parent),
                code=code,
                title=f"Tiêu chí {code}",
                max_points=Decimal(maximum),
                method=method,
                position=position,
            )
        self.leaf = {code: nodes[code] for code in ("1.1", "1.2", "2", "3")}
        self.unit_a, self.unit_b, self.unit_c = make_units(so, ["Sở Tư pháp", "Sở Y tế", "Sở Xây dựng"])
        self.period = Period.objects.create(
            year=2025,
            block=so,
            criteria_set=self.criteria,
            grade_scheme=scheme,
            status=status,
            deadline=timezone.now() + timedelta(days=10),
        )
        self.staff_a = user("canbo.a", UNIT_STAFF, self.unit_a)
        self.staff_b = user("canbo.b", UNIT_STAFF, self.unit_b)
        self.appraiser = user("thamdinh", APPRAISER)
        AppraiserAssignment.objects.create(period=self.period, appraiser=self.appraiser, unit=self.unit_a)
        self.other_appraiser = user("thamdinh.khac", APPRAISER)
        self.admin = user("quantri", ADMINISTRATOR)
        self.public = None

    def set_status(self, status):
        Period.objects.filter(pk=self.period.pk).update(status=status)
        self.period.refresh_from_db()
