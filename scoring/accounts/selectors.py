"""What the accounts page reads (the current units by block, each with its staff accounts, in two queries), the
units of a period that no account works for, and why a signed-in person whose account is incomplete sees
nothing on their work list."""

from dataclasses import dataclass, field

from django.contrib.auth.models import Group
from django.db.models import Exists, OuterRef, Q

from scoring import permissions
from scoring.ranking import vietnamese_sort_key
from units.models import UNIT_STAFF, Block, Unit, UnitMembership

E_NO_ROLE = (
    "Tài khoản của bạn chưa được giao vai trò nào trên cổng (cán bộ đơn vị, thẩm định viên hay quản trị), nên chưa "
    "có việc gì để hiện ở đây. Xin liên hệ quản trị Sở Nội vụ để được giao vai trò."
)
E_NO_UNIT = (
    "Tài khoản của bạn có vai trò Cán bộ đơn vị nhưng chưa gắn với đơn vị nào, nên chưa có hồ sơ nào để hiện ở đây. "
    "Xin liên hệ quản trị Sở Nội vụ để gắn tài khoản với đơn vị của bạn."
)
E_NO_GROUP = (
    "Tài khoản của bạn đã gắn với {units} nhưng chưa được giao vai trò Cán bộ đơn vị, nên chưa mở được hồ sơ của "
    "đơn vị. Xin liên hệ quản trị Sở Nội vụ để được thêm vào nhóm Cán bộ đơn vị."
)


def units_without_account(period, units):
    """Those of the period's `units` (a query) that no active account in the unit staff group works for: nobody
    there can fill in the self-assessment, and no reminder reaches them; in Vietnamese alphabetical order."""
    covered = UnitMembership.objects.filter(
        unit__block_id=period.block_id, user__is_active=True, user__groups__name=UNIT_STAFF
    ).values("unit_id")
    return units.exclude(pk__in=covered).order_by("sort_key", "pk")


def role_problem(user) -> str:
    """Why this signed-in person's account shows them nothing, and whom to ask; "" when its roles are whole."""
    if permissions.is_administrator(user):
        return ""
    if permissions.in_unit_staff_group(user):
        return "" if permissions.member_unit_ids(user) else E_NO_UNIT
    units = [m.unit.name for m in user.unit_memberships.select_related("unit")]
    if units:
        return E_NO_GROUP.format(units=", ".join(sorted(units, key=vietnamese_sort_key)))
    return "" if permissions.is_appraiser(user) else E_NO_ROLE


@dataclass(frozen=True)
class AccountRow:
    """One staff account of a unit, and whether it is in the unit staff group (without it, it opens nothing)."""

    user: object
    in_group: bool

    @property
    def works(self) -> bool:
        """It can sign in and open the unit's sheet, and it is the one reminders go to."""
        return self.user.is_active and self.in_group

    @property
    def password_set(self) -> bool:
        return self.user.has_usable_password()


@dataclass
class UnitRow:
    unit: Unit
    accounts: list[AccountRow] = field(default_factory=list)
    current: bool = True

    @property
    def has_account(self) -> bool:
        return any(account.works for account in self.accounts)


@dataclass
class BlockRows:
    block: Block
    units: list[UnitRow] = field(default_factory=list)

    @property
    def without_account(self) -> list[UnitRow]:
        return [row for row in self.units if not row.has_account]


@dataclass
class AccountsListing:
    """The page's data: every block with its units and their accounts, and the units an account can be made for."""

    blocks: list[BlockRows]
    current_units: list[Unit]

    def unit_by_code(self, code: str) -> Unit | None:
        return next((unit for unit in self.current_units if unit.code == code), None)


def unit_accounts(*, year: int) -> AccountsListing:
    """Units still evaluated in `year` (one that ended last year is still evaluated for it), and any other unit
    that still has an account, with their accounts; two queries whatever the number of units or accounts."""
    current = Q(last_year__isnull=True) | Q(last_year__gte=year - 1)
    units = sorted(
        Unit.objects.filter(current | Q(pk__in=UnitMembership.objects.values("unit_id"))).select_related("block"),
        key=lambda unit: (unit.block.sort_order, unit.block.code, unit.name_order),
    )
    in_group = Exists(Group.objects.filter(name=UNIT_STAFF, user=OuterRef("user_id")))
    # Every membership: each one's unit is in the list above.
    memberships = UnitMembership.objects.select_related("user").annotate(in_group=in_group).order_by("user__username")
    accounts: dict[int, list[AccountRow]] = {}
    for membership in memberships:
        accounts.setdefault(membership.unit_id, []).append(AccountRow(membership.user, membership.in_group))
    blocks: dict[int, BlockRows] = {}
    for unit in units:
        is_current = unit.last_year is None or unit.last_year >= year - 1
        row = UnitRow(unit, accounts.get(unit.pk, []), is_current)
        blocks.setdefault(unit.block_id, BlockRows(unit.block)).units.append(row)
    return AccountsListing(
        blocks=list(blocks.values()),
        current_units=[row.unit for block in blocks.values() for row in block.units if row.current],
    )
