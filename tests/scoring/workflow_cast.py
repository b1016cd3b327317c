"""The workflow cast: a small criteria set with a leaf of every kind, three units, one account per role.

The set has the shapes of real provincial sets: a ragged area (1, with two sub-criteria), an area scored directly
(2), a survey area (3), a bonus group (6, two leaves; its own row is marked self-assessed, as a workbook leaves
it) and a single-leaf deduction area (7). Unit C does not have criterion 1.2 (không áp dụng)."""

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from scoring.models import AppraiserAssignment, CriteriaSet, Criterion, Method, Period, Score
from scoring.permissions import ADMINISTRATOR, APPRAISER, UNIT_STAFF
from scoring.results import unit_sums_refresh
from tests.conftest import PASSWORD, make_units
from units.models import UnitMembership

# code, parent, max, method
TREE = [
    ("1", None, "10", Method.SELF),
    ("1.1", "1", "2.5", Method.SELF),
    ("1.2", "1", "7.5", Method.SELF),
    ("2", None, "60", Method.SELF),
    ("3", None, "30", Method.SURVEY),
    ("6", None, "2", Method.SELF),
    ("6.1", "6", "1.5", Method.BONUS),
    ("6.2", "6", "0.5", Method.BONUS),
    ("7", None, "1", Method.DEDUCTION),
]
LEAVES = ("1.1", "1.2", "2", "3", "6.1", "6.2", "7")
NOT_APPLICABLE = ("unit_c", "1.2")


def user(username, group=None, unit=None):
    account = get_user_model().objects.create_user(username, password=PASSWORD)
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
        self.leaf = {code: nodes[code] for code in LEAVES}
        self.unit_a, self.unit_b, self.unit_c = make_units(so, ["Sở Tư pháp", "Sở Y tế", "Sở Xây dựng"])
        self.period = Period.objects.create(
            year=2025,
            block=so,
            criteria_set=self.criteria,
            grade_scheme=scheme,
            status=status,
            deadline=timezone.now() + timedelta(days=9, hours=12),  # "còn 9 ngày" however long the test takes
        )
        unit, code = NOT_APPLICABLE
        Score.objects.create(period=self.period, unit=getattr(self, unit), criterion=nodes[code], not_applicable=True)
        unit_sums_refresh(self.period)
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

    def score(self, unit, code, **values):
        """Store a unit's values on a leaf (the leaf that does not apply to unit C stays marked so)."""
        score, _ = Score.objects.update_or_create(
            period=self.period, unit=unit, criterion=self.leaf[code], defaults=values
        )
        unit_sums_refresh(self.period, [unit.pk])  # written here past the portal's save paths
        return score

    def score_everything(self, own=lambda leaf: leaf.max_points, appraised=lambda leaf: leaf.max_points / 2):
        """Every unit's every leaf scored (own and appraised points from the leaf), as a finished appraisal."""
        for unit in (self.unit_a, self.unit_b, self.unit_c):
            for code, leaf in self.leaf.items():
                self.score(unit, code, self_points=own(leaf), appraised_points=appraised(leaf))
