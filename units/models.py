"""Blocks (khối) and the units that are ranked within them."""

__all__ = ["UNIT_STAFF", "Block", "Unit", "UnitMembership", "name_key", "normalize_name"]

from django.conf import settings
from django.core.validators import validate_slug
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cchc_portal.lib.collation import vietnamese_sort_key
from cchc_portal.lib.text import name_key, normalize_name, search_key
from cchc_portal.validators import one_line

# The group (role) of a unit's staff account. A membership alone opens nothing: scoring/permissions.py asks for
# the group and the membership both, so the admin refuses a membership whose account is not in the group.
UNIT_STAFF = "Cán bộ đơn vị"


class BlockQuerySet(models.QuerySet):
    def named(self, value: str) -> "Block | None":
        """The block a person or a file names, by its code ("huyen") or its name ("UBND cấp huyện"), however cased
        or spaced; None when none is."""
        key = name_key(str(value or ""))
        return next((b for b in self if key in (b.code.casefold(), name_key(b.name))), None)

    def codes(self) -> str:
        """ "so, huyen, xa": the codes there are, for a message."""
        return ", ".join(self.values_list("code", flat=True))


class Block(models.Model):
    """A block (khối) of units ranked against each other: data, not code — sở, huyện, xã; UBND phường and UBND xã,
    đặc khu after 2025; cơ quan ngành dọc; provinces or ministries at national level."""

    code = models.CharField(
        _("mã khối"),
        max_length=16,
        unique=True,
        validators=[validate_slug],
        help_text=_("Chữ thường không dấu, số, gạch nối (ví dụ so, huyen, phuong); là một phần địa chỉ công khai."),
    )
    name = models.CharField(_("tên khối"), max_length=200, unique=True, validators=[one_line])
    # How the announcement's title names the block: "của các sở, ban, ngành cấp tỉnh".
    title_phrase = models.CharField(_("cụm từ trong tiêu đề"), max_length=200, validators=[one_line])
    sort_order = models.PositiveSmallIntegerField(_("thứ tự"), default=0)

    objects = BlockQuerySet.as_manager()

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("khối")
        verbose_name_plural = _("khối")

    def __str__(self):
        return self.name


class UnitQuerySet(models.QuerySet):
    def active_in(self, year: int):
        """Units that existed in `year` (unknown first or last year counts as open-ended)."""
        return self.filter(
            Q(first_year__isnull=True) | Q(first_year__lte=year),
            Q(last_year__isnull=True) | Q(last_year__gte=year),
        )

    def with_lineage(self):
        """Units with their block, successors and predecessors loaded, for pages that show merges."""
        return self.select_related("block").prefetch_related("successors", "predecessors")


class Unit(models.Model):
    """A unit evaluated every year: a department, a district or a commune People's Committee."""

    code = models.SlugField(_("mã đơn vị"), max_length=64, unique=True)
    name = models.CharField(_("tên đơn vị"), max_length=255, validators=[one_line])
    short_name = models.CharField(_("tên viết tắt"), max_length=100, blank=True, validators=[one_line])
    block = models.ForeignKey(Block, on_delete=models.PROTECT, related_name="units", verbose_name=_("khối"))
    first_year = models.PositiveSmallIntegerField(_("năm bắt đầu"), null=True, blank=True)
    last_year = models.PositiveSmallIntegerField(_("năm kết thúc"), null=True, blank=True)
    successors = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="predecessors",
        verbose_name=_("đơn vị kế thừa"),
        help_text=_("Đơn vị tiếp nhận khi đơn vị này sáp nhập, hợp nhất hoặc đổi tên."),
    )
    # The name's Vietnamese sort key, kept with the name so that a table of 33,000 units is put in order without
    # keying every name on every request. A row written past save() (a bulk insert, a fixture) may have none:
    # `name_order` then keys the name itself.
    sort_key = models.TextField(_("khóa sắp xếp tên"), editable=False, default="")
    # The name as a search compares it (cchc_portal.lib.text.search_key: no case, no marks), kept with the name so
    # that the period page finds "xa so 24" among 33,000 units in the database.
    search_name = models.TextField(_("tên để tìm kiếm"), editable=False, default="")

    objects = UnitQuerySet.as_manager()

    class Meta:
        ordering = ["block__sort_order", "name"]
        verbose_name = _("đơn vị")
        verbose_name_plural = _("đơn vị")
        constraints = [
            models.UniqueConstraint(fields=["block", "name"], name="unit_name_unique_in_block"),
            models.CheckConstraint(
                condition=Q(first_year__isnull=True) | Q(last_year__isnull=True) | Q(first_year__lte=F("last_year")),
                name="unit_years_in_order",
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.sort_key = vietnamese_sort_key(self.name)
        self.search_name = search_key(self.name)
        fields = kwargs.get("update_fields")
        if fields is not None and "name" in fields:
            kwargs["update_fields"] = {*fields, "sort_key", "search_name"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("reports:unit_history", args=[self.code])

    @property
    def name_order(self) -> str:
        """The key that puts units in Vietnamese alphabetical order by name."""
        return self.sort_key or vietnamese_sort_key(self.name)


class UnitMembership(models.Model):
    """A staff account of a unit (cán bộ đơn vị): it sees and edits only this unit's self-assessment."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="unit_memberships",
        verbose_name=_("tài khoản"),
    )
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("đơn vị"))

    class Meta:
        verbose_name = _("cán bộ đơn vị")
        verbose_name_plural = _("cán bộ đơn vị")
        constraints = [models.UniqueConstraint(fields=["user", "unit"], name="membership_unique")]

    def __str__(self):
        return f"{self.user} — {self.unit}"
