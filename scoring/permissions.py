"""Who may do what: every role check of the portal, in one place.

Roles are Django groups; a unit staff account is tied to its unit by UnitMembership, an appraiser to
a period (and optionally one unit) by AppraiserAssignment. Views call these to decide what to show;
services call them again before writing, so a forged request is refused the same way.
"""

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils import timezone

from cchc_portal.prepared import Prepared
from units.models import UNIT_STAFF, UnitMembership

APPRAISER = "Thẩm định viên"
ADMINISTRATOR = "Quản trị Sở Nội vụ"

E_NOT_ALLOWED = "Bạn không có quyền thực hiện thao tác này."


# The role and the units of the person signed in: read on every staff page (`cchc_portal.prepared`).
_GROUPS = Prepared(lambda user: Group.objects.filter(user__id=user).values_list("name").order_by(), (int,))
_UNITS = Prepared(lambda user: UnitMembership.objects.filter(user_id=user).values_list("unit_id").order_by(), (int,))


def _groups(user) -> frozenset[str]:
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_cchc_groups", None)
    if cached is None:
        cached = frozenset(name for (name,) in _GROUPS.rows(user.pk))
        user._cchc_groups = cached
    return cached


def is_administrator(user) -> bool:
    return user.is_authenticated and user.is_active and (user.is_superuser or ADMINISTRATOR in _groups(user))


def is_appraiser(user) -> bool:
    return user.is_authenticated and user.is_active and APPRAISER in _groups(user)


def in_unit_staff_group(user) -> bool:
    """The unit staff role alone: without a membership it opens no sheet (member_unit_ids is then empty)."""
    return user.is_authenticated and user.is_active and UNIT_STAFF in _groups(user)


def member_unit_ids(user) -> frozenset[int]:
    if not user.is_authenticated or not user.is_active or UNIT_STAFF not in _groups(user):
        return frozenset()
    cached = getattr(user, "_cchc_units", None)
    if cached is None:
        cached = frozenset(unit for (unit,) in _UNITS.rows(user.pk))
        user._cchc_units = cached
    return cached


def is_member(user, unit) -> bool:
    return unit.pk in member_unit_ids(user)


def is_assigned_appraiser(user, period, unit=None) -> bool:
    if not is_appraiser(user):
        return False
    assignments = period.assignments.filter(appraiser=user)
    if unit is not None:
        assignments = assignments.filter(Q(unit__isnull=True) | Q(unit=unit))
    return assignments.exists()


def periods_visible_to(user, periods):
    """Narrow a Period queryset to what the user works on (administrators see every period)."""
    if is_administrator(user):
        return periods
    units = member_unit_ids(user)
    filters = Q(pk__in=[])
    if units:
        filters |= Q(block__units__in=units, status__in=("open", "appraisal", "explanation", "appraisal_2"))
    if is_appraiser(user):
        filters |= Q(assignments__appraiser=user)
    return periods.filter(filters).distinct()


def can_view_entry(user, period, unit) -> bool:
    return is_administrator(user) or is_member(user, unit) or is_assigned_appraiser(user, period, unit)


def can_view_dashboard(user, period) -> bool:
    return is_administrator(user) or is_assigned_appraiser(user, period)


def deadline_passed(period) -> bool:
    return period.deadline is not None and timezone.now() > period.deadline


def can_edit_self(user, period, unit, submission_status: str) -> bool:
    """Unit staff fill in their own unit's self-assessment while it is open, not yet submitted."""
    return (
        is_member(user, unit)
        and period.status == "open"
        and not deadline_passed(period)
        and submission_status in ("not_started", "draft")
    )


def can_withdraw(user, period, unit, submission_status: str) -> bool:
    return (
        is_member(user, unit)
        and period.status == "open"
        and not deadline_passed(period)
        and (submission_status == "submitted")
    )


def can_explain(user, period, unit, submission_status: str) -> bool:
    """Between the appraisal rounds the unit may explain (giải trình) and add evidence."""
    return is_member(user, unit) and period.status == "explanation" and submission_status != "explained"


def can_appraise(user, period, unit) -> bool:
    return period.status in ("appraisal", "appraisal_2") and (
        is_administrator(user) or is_assigned_appraiser(user, period, unit)
    )


def can_enter_department_points(user, period) -> bool:
    """Survey points (điều tra xã hội học) and deductions (điểm trừ) are Sở Nội vụ's alone, never self-assessed,
    entered from the opening of self-assessment to the end of appraisal."""
    return is_administrator(user) and period.status in ("open", "appraisal", "explanation", "appraisal_2")


def can_mark_not_applicable(user, period) -> bool:
    return is_administrator(user) and period.status in ("draft", "open", "appraisal", "explanation", "appraisal_2")


def can_correct(user, period) -> bool:
    """Sở Nội vụ changes the points of a published period only inside a correction (đính chính) it has opened."""
    if not is_administrator(user) or not period.is_public:
        return False
    cached = getattr(period, "_cchc_draft", None)
    if cached is None:
        cached = period._cchc_draft = period.versions.filter(sealed=False).exists()
    return cached


def can_manage_period(user) -> bool:
    return is_administrator(user)


def can_manage_unit_accounts(user) -> bool:
    """Sở Nội vụ creates, deactivates and re-invites unit staff accounts from the portal."""
    return is_administrator(user)


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(E_NOT_ALLOWED)
