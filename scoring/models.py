"""Criteria sets, grade schemes, evaluation periods, scores and the published results."""

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cchc_portal.prepared import Prepared
from cchc_portal.validators import multi_line, one_line
from scoring import ranking
from scoring.tree import CriteriaTree
from units.models import Block, Unit

POINTS = {"max_digits": 7, "decimal_places": 3}
SUMS = {"max_digits": 12, "decimal_places": 3}  # points added up over a criteria set
# Explanations, comments and reasons: a few paragraphs at most (checked in code; the column stays text).
LONG_TEXT_LIMIT = 2000
LONG_TEXT = MaxLengthValidator(LONG_TEXT_LIMIT)
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
    name = models.CharField(_("tên bộ tiêu chí"), max_length=255, validators=[one_line])
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

    def tree(self) -> CriteriaTree:
        """The set's criteria as a tree (one query)."""
        return CriteriaTree(self.criteria.all())


class CriterionQuerySet(models.QuerySet):
    def leaves_of(self, criteria_set_id: int | None):
        """The scored nodes (leaves) of a criteria set, in the order the set shows them."""
        return self.filter(criteria_set_id=criteria_set_id, children__isnull=True).order_by("position")

    def tree_of(self, criteria_set_id: int | None) -> CriteriaTree:
        """A criteria set's nodes as a tree, in one query (an empty tree for no set)."""
        if not criteria_set_id:
            return CriteriaTree([])
        if self.query.has_filters():  # a narrowed queryset: its own filters apply
            return CriteriaTree(self.filter(criteria_set_id=criteria_set_id))
        return CriteriaTree(_SET_CRITERIA.objects(criteria_set_id))


class Criterion(models.Model):
    """One node of a criteria tree: an area (lĩnh vực), a criterion or a sub-criterion."""

    criteria_set = models.ForeignKey(
        CriteriaSet, on_delete=models.CASCADE, related_name="criteria", verbose_name=_("bộ tiêu chí")
    )
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children", verbose_name=_("thuộc")
    )
    code = models.CharField(_("mã"), max_length=32, validators=[one_line])
    title = models.CharField(_("nội dung"), max_length=500, validators=[one_line])
    max_points = models.DecimalField(_("điểm tối đa"), **POINTS)
    method = models.CharField(_("cách chấm"), max_length=16, choices=Method.choices, default=Method.SELF)
    position = models.PositiveIntegerField(_("thứ tự"), default=0)

    objects = CriterionQuerySet.as_manager()

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


# Every node of a set: what every page that draws or sums a set reads first (`cchc_portal.prepared`).
_SET_CRITERIA = Prepared(
    lambda criteria_set: Criterion.objects.filter(criteria_set_id=criteria_set).order_by(), (int,)
)  # the tree orders the nodes itself


class GradeScheme(models.Model):
    """A set of grade bands (xếp loại); each period names the scheme it is graded with."""

    name = models.CharField(_("tên"), max_length=200, unique=True, validators=[one_line])
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
    label = models.CharField(_("xếp loại"), max_length=100, validators=[one_line])
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


# A period the public may read, and whose results and scores can no longer change in place.
PUBLIC_STATUSES = ("published", "locked")


class PeriodQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status__in=PUBLIC_STATUSES, is_demo=False)

    def for_home(self):
        """Published periods, newest first, with their block and how many units their current table ranks."""
        return (
            self.published()
            .select_related("block")
            .annotate(unit_count=Count("results", filter=Q(results__version__is_current=True)))
            .order_by("-year", "block__sort_order")
        )

    def for_staff(self, user):
        """The periods a staff member works on, with what the work list shows, newest first."""
        from scoring.permissions import periods_visible_to

        return periods_visible_to(user, self.select_related("block", "criteria_set")).order_by(
            "-year", "block__sort_order"
        )


class PeriodManager(models.Manager.from_queryset(PeriodQuerySet)):
    def get_queryset(self):
        # A period is always named by its block ("UBND cấp huyện — 2022"): load it with the row.
        return super().get_queryset().select_related("block")


class Period(models.Model):
    """One evaluation year of one block (kỳ đánh giá), from draft to publication."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Dự thảo")
        OPEN = "open", _("Đang tự đánh giá")
        APPRAISAL = "appraisal", _("Thẩm định vòng 1")
        EXPLANATION = "explanation", _("Đơn vị giải trình")
        APPRAISAL_2 = "appraisal_2", _("Thẩm định vòng 2")
        APPROVED = "approved", _("Đã phê duyệt")
        PUBLISHED = "published", _("Đã công bố")
        LOCKED = "locked", _("Đã khóa")

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

    class TieRule(models.TextChoices):
        SHOWN = ranking.TIE_SHOWN, _("Bằng điểm công bố thì cùng vị thứ (1, 2, 2, 4)")
        EXACT = ranking.TIE_EXACT, _("Xếp theo điểm chưa làm tròn (chỉ bằng nhau hoàn toàn mới cùng vị thứ)")

    class Basis(models.TextChoices):
        POINTS = "points", _("Điểm đánh giá (thang 100)")
        PERCENT = "percent", _("Tỷ lệ đạt (%) trên tổng điểm tối đa áp dụng, kèm điểm tối đa và điểm đạt")

    status = models.CharField(_("trạng thái"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    tie_rule = models.CharField(
        _("xếp hạng khi bằng điểm"), max_length=8, choices=TieRule.choices, default=TieRule.SHOWN
    )
    basis = models.CharField(_("bảng công bố ghi"), max_length=8, choices=Basis.choices, default=Basis.POINTS)
    decision_number = models.CharField(_("số quyết định công bố"), max_length=100, blank=True, validators=[one_line])
    decision_date = models.DateField(_("ngày quyết định"), null=True, blank=True)
    signer = models.CharField(_("người ký"), max_length=200, blank=True, validators=[one_line])
    deadline = models.DateTimeField(_("hạn tự đánh giá"), null=True, blank=True)
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
    source = models.CharField(_("nguồn"), max_length=500, blank=True, validators=[one_line])
    # Where a table with no decision in the portal was transcribed from: the announcement, as a reader would
    # cite it (the public pages, the Excel file and the JSON all print the same line, see `source_line`).
    source_title = models.CharField(_("tiêu đề nguồn"), max_length=300, blank=True, validators=[one_line])
    source_publisher = models.CharField(_("nơi đăng"), max_length=200, blank=True, validators=[one_line])
    source_date = models.DateField(_("ngày đăng"), null=True, blank=True)
    source_url = models.URLField(_("đường dẫn nguồn"), max_length=500, blank=True)
    # Who issued the table, when not the portal's issuer today (tables of tỉnh Thừa Thiên Huế before 2025).
    issuer = models.CharField(_("cơ quan công bố"), max_length=200, blank=True, validators=[one_line])

    objects = PeriodManager()

    class Meta:
        ordering = ["-year", "block__sort_order"]
        verbose_name = _("kỳ đánh giá")
        verbose_name_plural = _("kỳ đánh giá")
        constraints = [
            models.UniqueConstraint(fields=["year", "block"], name="period_unique_per_year_block"),
            models.CheckConstraint(condition=Q(published_decimals__lte=6), name="period_decimals_at_most_6"),
            models.CheckConstraint(
                condition=~Q(status__in=PUBLIC_STATUSES, is_demo=True), name="demo_period_never_published"
            ),
        ]

    def __str__(self):
        demo = " (dữ liệu minh họa)" if self.is_demo else ""
        return f"{self.block.name} — {self.year}{demo}"

    def get_absolute_url(self):
        return reverse("reports:ranking", args=[self.year, self.block.code])

    @property
    def is_public(self) -> bool:
        return self.status in PUBLIC_STATUSES and not self.is_demo

    @property
    def issued_by(self) -> str:
        from cchc_portal.identity import identity

        return self.issuer or identity().issuer

    @property
    def source_line(self) -> str:
        """The table's source in one sentence: its decision where there is one, else the announcement."""
        if self.decision_number:
            when = f" ngày {self.decision_date:%d/%m/%Y}" if self.decision_date else ""
            signer = f", người ký: {self.signer}" if self.signer else ""
            return f"Quyết định số {self.decision_number}{when}{signer}."
        if self.source_title or self.source_publisher:
            title = f"“{self.source_title}”" if self.source_title else "Bản tin"
            where = f", {self.source_publisher}" if self.source_publisher else ""
            when = f", ngày {self.source_date:%d/%m/%Y}" if self.source_date else ""
            return f"Theo {title}{where}{when}."
        return ""


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
    explanation = models.TextField(_("giải trình của đơn vị"), blank=True, validators=[multi_line, LONG_TEXT])
    appraiser_comment = models.TextField(_("ý kiến thẩm định"), blank=True, validators=[multi_line, LONG_TEXT])
    # The rounds, kept side by side: round 1 as it stood when the unit was asked to explain, and the unit's
    # answer in that step (its self-assessment explanation above stays as it was submitted).
    round1_points = models.DecimalField(_("điểm thẩm định vòng 1"), null=True, blank=True, **POINTS)
    round1_comment = models.TextField(_("ý kiến thẩm định vòng 1"), blank=True, validators=[multi_line, LONG_TEXT])
    response = models.TextField(_("giải trình sau vòng 1"), blank=True, validators=[multi_line, LONG_TEXT])
    note = models.TextField(_("ghi chú"), blank=True, validators=[multi_line, LONG_TEXT])
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

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
            models.CheckConstraint(
                condition=Q(round1_points__isnull=True) | Q(round1_points__gte=0),
                name="score_round1_points_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.unit} — {self.criterion.code}"


class UnitSums(models.Model):
    """One unit's scores in one period added up per kind of leaf, kept by every write of scores in its transaction
    (`scoring.results.unit_sums_refresh`), so that a page listing 33,000 units reads 33,000 rows, not 3 million."""

    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="+", verbose_name=_("kỳ đánh giá"))
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="sums", verbose_name=_("đơn vị"))
    # What scoring.results.SUMS counts and adds up, column by column.
    na_self = models.PositiveIntegerField(default=0)
    filled = models.PositiveIntegerField(default=0)
    na_scored = models.PositiveIntegerField(default=0)
    na_scored_max = models.DecimalField(null=True, **SUMS)
    scored_given = models.PositiveIntegerField(default=0)
    bonus_counted = models.PositiveIntegerField(default=0)
    bonus_given = models.PositiveIntegerField(default=0)
    unconfirmed = models.PositiveIntegerField(default=0)
    out_of_range = models.PositiveIntegerField(default=0)
    self_total = models.DecimalField(null=True, **SUMS)
    appraised_total = models.DecimalField(null=True, **SUMS)
    survey_total = models.DecimalField(null=True, **SUMS)
    proposed_total = models.DecimalField(null=True, **SUMS)
    bonus = models.DecimalField(null=True, **SUMS)
    deduction = models.DecimalField(null=True, **SUMS)
    last_change = models.DateTimeField(null=True)
    # The engine's total from the sums above (scoring.figures.LeafSums.total), unrounded; empty while the unit still
    # waits for points. Kept with the sums so that a page of 33,000 units sorts and ranks by it without computing
    # 33,000 totals. Twenty places hold any total the engine gives (its index is exact or rounded to 6 places).
    total = models.DecimalField(null=True, max_digits=40, decimal_places=20)

    class Meta:
        verbose_name = _("tổng điểm theo đơn vị")
        verbose_name_plural = _("tổng điểm theo đơn vị")
        constraints = [models.UniqueConstraint(fields=["period", "unit"], name="unitsums_unique_per_period_unit")]
        indexes = [models.Index(fields=["period", "total"], name="unitsums_period_total")]

    def __str__(self):
        return f"{self.unit_id} — {self.period_id}"


class ResultVersion(models.Model):
    """One publication of a period's table: the first, or a correction (đính chính) with its reason."""

    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="versions", verbose_name=_("kỳ đánh giá"))
    number = models.PositiveIntegerField(_("lần công bố"))
    is_current = models.BooleanField(_("đang có hiệu lực"), default=False)
    sealed = models.BooleanField(_("đã niêm phong"), default=False)
    reason = models.TextField(_("lý do đính chính"), blank=True, validators=[multi_line, LONG_TEXT])
    decision_number = models.CharField(_("số quyết định"), max_length=100, blank=True, validators=[one_line])
    decision_date = models.DateField(_("ngày quyết định"), null=True, blank=True)
    signer = models.CharField(_("người ký"), max_length=200, blank=True, default="", validators=[one_line])
    published_at = models.DateTimeField(_("công bố lúc"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("người công bố"),
    )
    # The block as the table names it, kept as published: renaming the block later changes no table.
    block_name = models.CharField(_("tên khối khi công bố"), max_length=200, default="")
    block_phrase = models.CharField(_("cụm từ tiêu đề khi công bố"), max_length=200, default="")

    class Meta:
        ordering = ["period", "number"]
        verbose_name = _("lần công bố kết quả")
        verbose_name_plural = _("lần công bố kết quả")
        constraints = [
            models.UniqueConstraint(fields=["period", "number"], name="result_version_number_unique"),
            models.UniqueConstraint(fields=["period"], condition=Q(is_current=True), name="one_current_result_version"),
            models.CheckConstraint(condition=Q(number__gte=1), name="result_version_number_positive"),
            models.CheckConstraint(condition=Q(number=1) | ~Q(reason=""), name="correction_needs_a_reason"),
            # A correction being prepared is a version not yet sealed: one at a time.
            models.UniqueConstraint(fields=["period"], condition=Q(sealed=False), name="one_draft_version"),
        ]

    def __str__(self):
        return f"{self.period} — lần {self.number}"

    def get_absolute_url(self):
        return reverse("reports:ranking_version", args=[self.period.year, self.period.block.code, self.number])

    @property
    def is_correction(self) -> bool:
        return self.number > 1

    @property
    def correction_number(self) -> int:
        """Which correction this is, as the public pages call it ("Đính chính lần 1" is the second version)."""
        return self.number - 1

    @property
    def label(self) -> str:
        return f"Đính chính lần {self.correction_number}" if self.is_correction else "Bản công bố ban đầu"

    @property
    def cited_as(self) -> str:
        """The version as the list of publications names it, dated by what it stands on: "Đính chính lần 1:
        Quyết định số 12/QĐ-UBND ngày 03/03/2025"; a first version by the period's decision, or by the announcement
        it was transcribed from. The day it was put on the portal dates it only when nothing else does, and is said
        as such: it is not the day of the decision."""
        if self.decision_number:
            when = f" ngày {self.decision_date:%d/%m/%Y}" if self.decision_date else ""
            return f"{self.label}: Quyết định số {self.decision_number}{when}"
        basis = "" if self.is_correction else self.period.source_line.rstrip(".")
        if basis:
            return f"{self.label}: {basis.replace('Theo ', 'theo ', 1)}"
        if self.published_at:
            return f"{self.label} (đưa lên cổng ngày {timezone.localtime(self.published_at):%d/%m/%Y})"
        return self.label

    @property
    def decision_line(self) -> str:
        """This version's decision in a sentence: "Quyết định số 25/QĐ-UBND ngày 14/02/2025, người ký: …"."""
        if not self.decision_number:
            return ""
        when = f" ngày {self.decision_date:%d/%m/%Y}" if self.decision_date else ""
        signer = f", người ký: {self.signer}" if self.signer else ""
        return f"Quyết định số {self.decision_number}{when}{signer}"


class ResultQuerySet(models.QuerySet):
    def published(self):
        """Current results of published, non-demonstration periods: all the public may ever see."""
        return self.filter(period__status__in=PUBLIC_STATUSES, period__is_demo=False, version__is_current=True)

    def published_versions(self):
        """Every sealed version of published periods, current or superseded (for the correction history)."""
        return self.filter(period__status__in=PUBLIC_STATUSES, period__is_demo=False, version__sealed=True)

    def for_block(self, year: int, block_code: str):
        """One published table, in its printed order, with everything the page needs in one query."""
        return (
            self.filter(period__year=year, period__block__code=block_code)
            .select_related("unit", "period", "period__block", "version")
            .order_by("position")
        )

    def for_unit(self, unit: Unit):
        """A unit's results across the years, newest first, with the size of each table."""
        return (
            self.filter(unit=unit)
            .select_related("period", "period__block")
            .annotate(table_size=Count("version__results"))
            .order_by("-period__year")
        )


class Result(models.Model):
    """A unit's published total, grade and rank in one period: the snapshot the public reads."""

    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="results", verbose_name=_("kỳ đánh giá"))
    version = models.ForeignKey(
        ResultVersion, on_delete=models.PROTECT, related_name="results", verbose_name=_("lần công bố")
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="results", verbose_name=_("đơn vị"))
    # The unit's name as published: renaming or merging the unit later changes no published table.
    unit_name = models.CharField(_("tên đơn vị khi công bố"), max_length=255, default="")
    total = models.DecimalField(_("điểm đánh giá"), **TOTAL)
    # A table that prints, per unit, the maximum that applies and the points achieved beside the percentage (the
    # total): as printed for a table imported from an announcement, from the engine for one scored in the portal.
    max_points = models.DecimalField(_("điểm tối đa áp dụng"), null=True, blank=True, **TOTAL)
    points = models.DecimalField(_("điểm đạt"), null=True, blank=True, **TOTAL)
    # The two components a national PAR INDEX table prints beside the total: the appraised points and the points of
    # the sociological survey (điều tra xã hội học) — as printed, for a table imported from an announcement.
    appraised_points = models.DecimalField(_("điểm thẩm định"), null=True, blank=True, **TOTAL)
    survey_points = models.DecimalField(_("điểm điều tra xã hội học"), null=True, blank=True, **TOTAL)
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
            models.UniqueConstraint(fields=["version", "unit"], name="result_unique_per_version_unit"),
            models.UniqueConstraint(fields=["version", "position"], name="result_position_unique_in_version"),
            models.CheckConstraint(condition=Q(total__gte=0), name="result_total_not_negative"),
            models.CheckConstraint(condition=Q(rank__gte=1) & Q(position__gte=1), name="result_rank_positive"),
        ]

    def __str__(self):
        return f"{self.unit} — {self.period.year}: {self.rank}"


class ScoreCorrection(models.Model):
    """A correction (đính chính) of one unit's points on one leaf, made by a version of the period's table. The score
    itself never changes after publication: what counts is the score with the corrections of the sealed versions
    laid over it, the latest last (scoring/results.py)."""

    version = models.ForeignKey(
        ResultVersion, on_delete=models.PROTECT, related_name="corrections", verbose_name=_("lần công bố")
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("đơn vị"))
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+", verbose_name=_("tiêu chí"))
    appraised_points = models.DecimalField(_("điểm sau đính chính"), null=True, blank=True, **POINTS)
    not_applicable = models.BooleanField(_("không áp dụng"), default=False)
    # What counted before this correction, kept beside it so every change reads "cũ → mới".
    old_points = models.DecimalField(_("điểm trước đính chính"), null=True, blank=True, **POINTS)
    old_not_applicable = models.BooleanField(_("không áp dụng trước đính chính"), default=False)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("người sửa"),
    )
    changed_at = models.DateTimeField(_("sửa lúc"), auto_now=True)

    class Meta:
        ordering = ["version", "unit", "criterion__position"]
        verbose_name = _("điểm đính chính")
        verbose_name_plural = _("điểm đính chính")
        constraints = [
            models.UniqueConstraint(fields=["version", "unit", "criterion"], name="correction_unique_per_leaf"),
            models.CheckConstraint(
                condition=Q(appraised_points__isnull=True) | Q(appraised_points__gte=0),
                name="correction_points_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.unit} — {self.criterion.code}: {self.old_points} → {self.appraised_points}"


class Submission(models.Model):
    """Where one unit stands in one period's workflow: draft, submitted, appraised, explained."""

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", _("Chưa bắt đầu")
        DRAFT = "draft", _("Đang nhập (nháp)")
        SUBMITTED = "submitted", _("Đã nộp")
        APPRAISED_1 = "appraised_1", _("Đã thẩm định vòng 1")
        EXPLAINED = "explained", _("Đã giải trình")
        APPRAISED_2 = "appraised_2", _("Đã thẩm định vòng 2")

    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="submissions", verbose_name=_("kỳ"))
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="submissions", verbose_name=_("đơn vị"))
    status = models.CharField(_("tình trạng"), max_length=16, choices=Status.choices, default=Status.NOT_STARTED)
    submitted_at = models.DateTimeField(_("nộp lúc"), null=True, blank=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    class Meta:
        ordering = ["period", "unit__name"]
        verbose_name = _("hồ sơ tự đánh giá")
        verbose_name_plural = _("hồ sơ tự đánh giá")
        constraints = [models.UniqueConstraint(fields=["period", "unit"], name="submission_unique_per_period_unit")]

    def __str__(self):
        return f"{self.unit} — {self.period.year}: {self.get_status_display()}"


def evidence_path(instance, filename):
    # The stored name is chosen by the service (a random token and the sniffed extension), never the user's.
    return f"minh-chung/{instance.score.period_id}/{instance.score.unit_id}/{filename}"


class Evidence(models.Model):
    """A document or a link that backs a unit's self-assessed points on one criterion (minh chứng)."""

    score = models.ForeignKey(Score, on_delete=models.PROTECT, related_name="evidence", verbose_name=_("điểm"))
    file = models.FileField(_("tệp"), upload_to=evidence_path, blank=True)
    original_name = models.CharField(_("tên tệp gốc"), max_length=255, blank=True)
    kind = models.CharField(_("loại tệp"), max_length=16, blank=True)
    size = models.PositiveIntegerField(_("dung lượng (byte)"), default=0)
    link = models.URLField(_("đường dẫn"), max_length=500, blank=True)
    title = models.CharField(_("mô tả"), max_length=255, blank=True, validators=[one_line])
    uploaded_at = models.DateTimeField(_("tải lên lúc"), auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("người tải lên")
    )
    removed = models.BooleanField(_("đã gỡ"), default=False)

    class Meta:
        ordering = ["score", "uploaded_at"]
        verbose_name = _("minh chứng")
        verbose_name_plural = _("minh chứng")
        constraints = [
            models.CheckConstraint(
                condition=(~Q(file="") & Q(link="")) | (Q(file="") & ~Q(link="")), name="evidence_is_a_file_or_a_link"
            ),
        ]

    def __str__(self):
        return self.title or self.original_name or self.link


class AppraiserAssignment(models.Model):
    """An appraiser's share of a period: one unit, or every unit when no unit is named."""

    period = models.ForeignKey(
        Period, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("kỳ đánh giá")
    )
    appraiser = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="appraisals", verbose_name=_("thẩm định viên")
    )
    unit = models.ForeignKey(
        Unit,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("đơn vị"),
        help_text=_("Để trống: thẩm định mọi đơn vị của kỳ."),
    )

    class Meta:
        verbose_name = _("phân công thẩm định")
        verbose_name_plural = _("phân công thẩm định")
        constraints = [
            models.UniqueConstraint(fields=["period", "appraiser", "unit"], name="assignment_unique"),
            models.UniqueConstraint(
                fields=["period", "appraiser"], condition=Q(unit__isnull=True), name="assignment_all_units_unique"
            ),
        ]

    def __str__(self):
        return f"{self.appraiser} — {self.unit or 'mọi đơn vị'}"


class AuditEntry(models.Model):
    """One recorded change: who, when, what, old → new, why. Never edited or deleted."""

    class Action(models.TextChoices):
        SELF_POINTS = "self_points", _("Điểm tự đánh giá")
        APPRAISED_POINTS = "appraised_points", _("Điểm thẩm định")
        SURVEY_POINTS = "survey_points", _("Điểm điều tra xã hội học")
        DEDUCTION_POINTS = "deduction_points", _("Điểm trừ")
        CORRECTION = "correction", _("Đính chính điểm")
        NOT_APPLICABLE = "not_applicable", _("Không áp dụng")
        EXPLANATION = "explanation", _("Giải trình")
        COMMENT = "appraiser_comment", _("Ý kiến thẩm định")
        EVIDENCE_ADDED = "evidence_added", _("Thêm minh chứng")
        EVIDENCE_REMOVED = "evidence_removed", _("Gỡ minh chứng")
        SUBMISSION = "submission", _("Tình trạng hồ sơ")
        PERIOD_STATUS = "period_status", _("Trạng thái kỳ đánh giá")
        RESULTS = "results", _("Công bố kết quả")
        RESPONSE = "response", _("Giải trình sau vòng 1")
        ASSIGNMENT = "assignment", _("Phân công thẩm định")

    at = models.DateTimeField(_("thời điểm"), auto_now_add=True, db_index=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("người thực hiện"),
    )
    # No index of its own: audit_period_unit_at starts with the period and serves every lookup by period (one index
    # less to maintain for each of the thousands of entries a score sheet writes).
    period = models.ForeignKey(
        Period, on_delete=models.PROTECT, related_name="audit", db_index=False, verbose_name=_("kỳ")
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("đơn vị")
    )
    criterion = models.ForeignKey(
        Criterion, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("tiêu chí")
    )
    action = models.CharField(_("nội dung"), max_length=32, choices=Action.choices)
    old = models.TextField(_("giá trị cũ"), blank=True)
    new = models.TextField(_("giá trị mới"), blank=True)
    reason = models.TextField(_("lý do"), blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("nhật ký thay đổi")
        verbose_name_plural = _("nhật ký thay đổi")
        indexes = [models.Index(fields=["period", "unit", "-at"], name="audit_period_unit_at")]

    def __str__(self):
        return f"{self.at:%d/%m/%Y %H:%M} {self.get_action_display()}: {self.old} → {self.new}"


class Notice(models.Model):
    """A reminder or notice sent to one person once (by e-mail), and listed on their work list until done."""

    class Kind(models.TextChoices):
        DEADLINE = "deadline", _("Sắp đến hạn tự đánh giá")
        EXPLAIN = "explain", _("Hồ sơ trả về để giải trình")
        ROUND_OPEN = "round_open", _("Vòng thẩm định đã mở")
        ALL_SUBMITTED = "all_submitted", _("Mọi đơn vị đã nộp")
        ALL_APPRAISED = "all_appraised", _("Mọi đơn vị đã được thẩm định")
        PROGRESS = "progress", _("Tiến độ")

    key = models.CharField(_("khóa"), max_length=200, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices", verbose_name=_("người nhận")
    )
    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="notices", verbose_name=_("kỳ"))
    kind = models.CharField(_("loại"), max_length=16, choices=Kind.choices)
    text = models.CharField(_("nội dung"), max_length=500)
    link = models.CharField(_("đường dẫn"), max_length=300)
    sent_at = models.DateTimeField(_("gửi lúc"), auto_now_add=True)

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = _("thông báo")
        verbose_name_plural = _("thông báo")

    def __str__(self):
        return self.text


class NationalIndex(models.Model):
    """The province's standing in a national index (PAR INDEX, SIPAS, PAPI, PCI…) in one year, as announced."""

    class Kind(models.TextChoices):
        PAR_INDEX = "par-index", _("Chỉ số cải cách hành chính (PAR INDEX)")
        SIPAS = "sipas", _("Chỉ số hài lòng của người dân, tổ chức (SIPAS)")
        PAPI = "papi", _("Chỉ số hiệu quả quản trị và hành chính công cấp tỉnh (PAPI)")
        PCI = "pci", _("Chỉ số năng lực cạnh tranh cấp tỉnh (PCI)")
        DTI = "dti", _("Chỉ số chuyển đổi số (DTI)")
        ICT = "ict", _("Chỉ số sẵn sàng ứng dụng CNTT (ICT Index)")

    kind = models.CharField(_("chỉ số"), max_length=16, choices=Kind.choices)
    year = models.PositiveSmallIntegerField(_("năm của chỉ số"))
    rank = models.PositiveSmallIntegerField(_("xếp hạng toàn quốc"), null=True, blank=True)
    out_of = models.PositiveSmallIntegerField(_("trên tổng số"), null=True, blank=True, help_text=_("Ví dụ 63 tỉnh."))
    score = models.DecimalField(_("điểm"), null=True, blank=True, max_digits=8, decimal_places=3)
    source_title = models.CharField(_("tiêu đề nguồn"), max_length=300, blank=True, validators=[one_line])
    source_publisher = models.CharField(_("nơi đăng"), max_length=200, blank=True, validators=[one_line])
    source_date = models.DateField(_("ngày đăng"), null=True, blank=True)
    source_url = models.URLField(_("đường dẫn nguồn"), max_length=500, blank=True)
    note = models.CharField(_("ghi chú"), max_length=300, blank=True, validators=[one_line])
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    class Meta:
        ordering = ["kind", "-year"]
        verbose_name = _("chỉ số quốc gia")
        verbose_name_plural = _("chỉ số quốc gia")
        constraints = [
            models.UniqueConstraint(fields=["kind", "year"], name="national_index_unique_per_year"),
            models.CheckConstraint(condition=Q(rank__isnull=False) | Q(score__isnull=False), name="index_has_a_figure"),
            models.CheckConstraint(
                condition=Q(rank__isnull=True) | Q(out_of__isnull=True) | Q(rank__lte=F("out_of")),
                name="index_rank_within_total",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.year}"


class Job(models.Model):
    """Work longer than a request may take (a large report, comparison or import), done by a worker.

    Its page shows progress and, when done, offers the file or leads on. See scoring/ops/jobs.py.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Đang chờ đến lượt")
        RUNNING = "running", _("Đang thực hiện")
        DONE = "done", _("Đã xong")
        FAILED = "failed", _("Không thực hiện được")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("loại việc"), max_length=40)
    title = models.CharField(_("tên việc"), max_length=300, validators=[one_line])
    params = models.JSONField(_("tham số"), default=dict)
    # The same work asked for again while it runs (or, for published data, after it is done) is not done twice.
    key = models.CharField(_("khóa"), max_length=200, blank=True, db_index=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("người yêu cầu"),
        help_text=_("Để trống: việc trên dữ liệu đã công bố, ai cũng xem được."),
    )
    status = models.CharField(_("tình trạng"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    done = models.PositiveIntegerField(_("đã xử lý"), default=0)
    total = models.PositiveIntegerField(_("tổng số"), default=0)
    message = models.CharField(_("thông báo"), max_length=1000, blank=True)
    file = models.CharField(_("tệp kết quả"), max_length=255, blank=True)
    download_name = models.CharField(_("tên tệp tải về"), max_length=255, blank=True)
    next_url = models.CharField(_("trang tiếp theo"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(_("bắt đầu lúc"), null=True, blank=True)
    finished_at = models.DateTimeField(_("xong lúc"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("việc chạy nền")
        verbose_name_plural = _("việc chạy nền")
        constraints = [
            models.CheckConstraint(condition=Q(done__lte=F("total")), name="job_done_within_total"),
            models.CheckConstraint(
                condition=~Q(status="done") | Q(finished_at__isnull=False), name="job_done_has_finish_time"
            ),
        ]

    def __str__(self):
        return f"{self.title} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return self.done * 100 // self.total if self.total else 0

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def next_label(self) -> str:
        """What the link to the page after the job says."""
        return {"comparison": "Xem trang so sánh"}.get(self.kind, "Về trang kỳ đánh giá")
