"""Criteria sets, grade schemes, evaluation periods, scores and the published results."""

from decimal import Decimal

from django.db import models
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from scoring import ranking
from units.models import Block, Unit

POINTS = {"max_digits": 7, "decimal_places": 3}
# Totals are stored unrounded; an index that does not terminate is kept to 6 decimals.
TOTAL = {"max_digits": 12, "decimal_places": 6}


class Method(models.TextChoices):
    SELF = ranking.METHOD_SELF, _("Tự đánh giá, thẩm định")
    SURVEY = ranking.METHOD_SURVEY, _("Điều tra xã hội học")
    BONUS = ranking.METHOD_BONUS, _("Điểm thưởng")
    DEDUCTION = ranking.METHOD_DEDUCTION, _("Điểm trừ")


class CriteriaSet(models.Model):
    """The tree of criteria (bộ tiêu chí) used for one block in one year."""

    year = models.PositiveSmallIntegerField(_("năm"))
    block = models.ForeignKey(Block, on_delete=models.PROTECT, related_name="criteria_sets", verbose_name=_("khối"))
    name = models.CharField(_("tên bộ tiêu chí"), max_length=255)
    total_points = models.DecimalField(_("tổng điểm"), default=Decimal("100"), **POINTS)

    class Meta:
        ordering = ["-year", "block__sort_order"]
        verbose_name = _("bộ tiêu chí")
        verbose_name_plural = _("bộ tiêu chí")
        constraints = [
            models.UniqueConstraint(fields=["year", "block"], name="criteria_set_unique_per_year_block"),
            models.CheckConstraint(condition=Q(total_points__gt=0), name="criteria_set_total_positive"),
        ]

    def __str__(self):
        return f"{self.name} ({self.year})"


class Criterion(models.Model):
    """One node of a criteria tree: an area (lĩnh vực), a criterion or a sub-criterion."""

    criteria_set = models.ForeignKey(
        CriteriaSet, on_delete=models.CASCADE, related_name="criteria", verbose_name=_("bộ tiêu chí")
    )
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children", verbose_name=_("thuộc")
    )
    code = models.CharField(_("mã"), max_length=32)
    title = models.CharField(_("nội dung"), max_length=500)
    max_points = models.DecimalField(_("điểm tối đa"), **POINTS)
    method = models.CharField(_("cách chấm"), max_length=16, choices=Method.choices, default=Method.SELF)
    position = models.PositiveIntegerField(_("thứ tự"), default=0)

    class Meta:
        ordering = ["criteria_set", "position"]
        verbose_name = _("tiêu chí")
        verbose_name_plural = _("tiêu chí")
        constraints = [
            models.UniqueConstraint(fields=["criteria_set", "code"], name="criterion_code_unique_in_set"),
            models.CheckConstraint(condition=Q(max_points__gte=0), name="criterion_max_points_not_negative"),
        ]

    def __str__(self):
        return f"{self.code}. {self.title}"


class GradeScheme(models.Model):
    """A set of grade bands (xếp loại); each period names the scheme it is graded with."""

    name = models.CharField(_("tên"), max_length=200, unique=True)
    is_default = models.BooleanField(_("mặc định"), default=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("thang xếp loại")
        verbose_name_plural = _("thang xếp loại")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_grade_scheme"
            ),
        ]

    def __str__(self):
        return self.name


class GradeBand(models.Model):
    """One grade of a scheme; the lower bound is inclusive, an empty bound catches everything below."""

    scheme = models.ForeignKey(GradeScheme, on_delete=models.CASCADE, related_name="bands", verbose_name=_("thang"))
    code = models.SlugField(_("mã"), max_length=32)
    label = models.CharField(_("xếp loại"), max_length=100)
    lower_bound = models.DecimalField(_("từ điểm (bao gồm)"), null=True, blank=True, **POINTS)

    class Meta:
        ordering = ["scheme", F("lower_bound").desc(nulls_last=True)]
        verbose_name = _("mức xếp loại")
        verbose_name_plural = _("mức xếp loại")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "code"], name="grade_band_code_unique"),
            models.UniqueConstraint(fields=["scheme", "lower_bound"], name="grade_band_bound_unique"),
            models.CheckConstraint(
                condition=Q(lower_bound__isnull=True) | Q(lower_bound__gte=0), name="grade_band_bound_not_negative"
            ),
        ]

    def __str__(self):
        return self.label


class PeriodQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Period.Status.PUBLISHED, is_demo=False)

    def for_home(self):
        """Published periods, newest first, with their block and how many units they rank."""
        return (
            self.published()
            .select_related("block")
            .annotate(unit_count=Count("results"))
            .order_by("-year", "block__sort_order")
        )


class Period(models.Model):
    """One evaluation year of one block (kỳ đánh giá), from draft to publication."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Dự thảo")
        OPEN = "open", _("Đang tự đánh giá")
        APPRAISAL = "appraisal", _("Đang thẩm định")
        PUBLISHED = "published", _("Đã công bố")

    year = models.PositiveSmallIntegerField(_("năm"))
    block = models.ForeignKey(Block, on_delete=models.PROTECT, related_name="periods", verbose_name=_("khối"))
    criteria_set = models.ForeignKey(
        CriteriaSet,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="periods",
        verbose_name=_("bộ tiêu chí"),
    )
    grade_scheme = models.ForeignKey(
        GradeScheme, on_delete=models.PROTECT, related_name="periods", verbose_name=_("thang xếp loại")
    )
    status = models.CharField(_("trạng thái"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    decision_number = models.CharField(_("số quyết định công bố"), max_length=100, blank=True)
    decision_date = models.DateField(_("ngày quyết định"), null=True, blank=True)
    published_decimals = models.PositiveSmallIntegerField(
        _("số chữ số thập phân công bố"),
        default=3,
        help_text=_("Thừa Thiên Huế công bố 3 chữ số thập phân từ năm 2021, 2 chữ số năm 2020."),
    )
    is_partial = models.BooleanField(
        _("chỉ công bố một phần"),
        default=False,
        help_text=_("Nguồn công bố chỉ nêu một phần bảng kết quả."),
    )
    is_demo = models.BooleanField(_("dữ liệu minh họa"), default=False)
    source = models.CharField(_("nguồn"), max_length=500, blank=True)

    objects = PeriodQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "block__sort_order"]
        verbose_name = _("kỳ đánh giá")
        verbose_name_plural = _("kỳ đánh giá")
        constraints = [
            models.UniqueConstraint(fields=["year", "block"], name="period_unique_per_year_block"),
            models.CheckConstraint(condition=Q(published_decimals__lte=6), name="period_decimals_at_most_6"),
            models.CheckConstraint(condition=~Q(status="published", is_demo=True), name="demo_period_never_published"),
        ]

    def __str__(self):
        demo = " (dữ liệu minh họa)" if self.is_demo else ""
        return f"{self.block.name} — {self.year}{demo}"

    def get_absolute_url(self):
        return reverse("reports:ranking", args=[self.year, self.block.code])


class Score(models.Model):
    """A unit's points on one leaf criterion in one period: self-assessed and appraised."""

    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="scores", verbose_name=_("kỳ đánh giá"))
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="scores", verbose_name=_("đơn vị"))
    criterion = models.ForeignKey(
        Criterion, on_delete=models.PROTECT, related_name="scores", verbose_name=_("tiêu chí")
    )
    self_points = models.DecimalField(_("điểm tự đánh giá"), null=True, blank=True, **POINTS)
    appraised_points = models.DecimalField(_("điểm thẩm định"), null=True, blank=True, **POINTS)
    not_applicable = models.BooleanField(_("không áp dụng"), default=False)
    note = models.TextField(_("ghi chú"), blank=True)

    class Meta:
        ordering = ["period", "unit", "criterion__position"]
        verbose_name = _("điểm")
        verbose_name_plural = _("điểm")
        constraints = [
            models.UniqueConstraint(
                fields=["period", "unit", "criterion"], name="score_unique_per_period_unit_criterion"
            ),
            models.CheckConstraint(
                condition=Q(self_points__isnull=True) | Q(self_points__gte=0), name="score_self_points_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(appraised_points__isnull=True) | Q(appraised_points__gte=0),
                name="score_appraised_points_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.unit} — {self.criterion.code}"


class ResultQuerySet(models.QuerySet):
    def published(self):
        """Only results of published, non-demonstration periods: all the public may ever see."""
        return self.filter(period__status=Period.Status.PUBLISHED, period__is_demo=False)

    def for_block(self, year: int, block_code: str):
        """One published table, in its printed order, with everything the page needs in one query."""
        return (
            self.filter(period__year=year, period__block__code=block_code)
            .select_related("unit", "period", "period__block")
            .order_by("position")
        )

    def for_unit(self, unit: Unit):
        """A unit's results across the years, newest first, with the size of each table."""
        return (
            self.filter(unit=unit)
            .select_related("period", "period__block")
            .annotate(table_size=Count("period__results"))
            .order_by("-period__year")
        )


class Result(models.Model):
    """A unit's published total, grade and rank in one period: the snapshot the public reads."""

    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="results", verbose_name=_("kỳ đánh giá"))
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="results", verbose_name=_("đơn vị"))
    total = models.DecimalField(_("điểm đánh giá"), **TOTAL)
    grade_code = models.SlugField(_("mã xếp loại"), max_length=32)
    grade = models.CharField(_("xếp loại"), max_length=100)
    rank = models.PositiveIntegerField(_("vị thứ"))
    position = models.PositiveIntegerField(_("TT"))

    objects = ResultQuerySet.as_manager()

    class Meta:
        ordering = ["period", "position"]
        verbose_name = _("kết quả")
        verbose_name_plural = _("kết quả")
        constraints = [
            models.UniqueConstraint(fields=["period", "unit"], name="result_unique_per_period_unit"),
            models.UniqueConstraint(fields=["period", "position"], name="result_position_unique_in_period"),
            models.CheckConstraint(condition=Q(total__gte=0), name="result_total_not_negative"),
            models.CheckConstraint(condition=Q(rank__gte=1) & Q(position__gte=1), name="result_rank_positive"),
        ]

    def __str__(self):
        return f"{self.unit} — {self.period.year}: {self.rank}"
