"""The progress table of a period's units on Sở Nội vụ's dashboard (sortable by any column): sorted and paged by
the database, only the page's rows turned into figures."""

import django_tables2 as tables
from django.db.models import Case, F, IntegerField, Value, When
from django.db.models.functions import Coalesce, Round
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django_tables2.data import TableQuerysetData

from cchc_portal.lib.numbers import vn_number
from scoring import ranking
from scoring.models import Submission


class ProgressData(TableQuerysetData):
    """The units of a period (scoring.progress.PeriodUnits.where), sorted and sliced by the database; a slice is
    read into rows with their figures, grade and rank (`read`) — 100 rows, not 33,000."""

    def __init__(self, queryset, read):
        super().__init__(queryset)
        self.read = read

    def __getitem__(self, key):
        if isinstance(key, slice):
            return self.read(self.data[key])
        return self.read([self.data[key]])[0]


def _sorted_by(*keys, highest_first: bool = False):
    """A column's ordering in the database: by `keys`, blanks last either way, then by name; `highest_first` for
    grade and rank, which go up as the total goes down."""

    def order(self, queryset, is_descending):
        descending = is_descending != highest_first
        by = [k.desc(nulls_last=True) if descending else k.asc(nulls_last=True) for k in keys]
        return queryset.order_by(*by, "sort_key", "pk"), True

    return order


def _zero(name):
    return Coalesce(F(name), 0)


# The states in the workflow's order (not their codes': appraised_1 < draft < not_started would jumble the steps).
STEP = Case(
    *(When(state=state, then=Value(step)) for step, state in enumerate(Submission.Status.values)),
    output_field=IntegerField(),
)


class ProgressTable(tables.Table):
    """One row per unit (scoring.progress.UnitProgress): state, what it filled, totals that compare over the
    same leaves, survey points apart, and the projected total, grade and rank."""

    name = tables.Column(verbose_name="Đơn vị", accessor="unit__name", order_by=("unit__name_order",))
    status = tables.Column(verbose_name="Tình trạng")
    filled = tables.Column(verbose_name="Đã tự chấm", attrs={"td": {"class": "num"}}, order_by=("filled",))
    appraised = tables.Column(verbose_name="Đã thẩm định", attrs={"td": {"class": "num"}})
    self_total = tables.Column(verbose_name="Tự đánh giá", attrs={"td": {"class": "num"}})
    appraised_total = tables.Column(verbose_name="Thẩm định (cùng tiêu chí)", attrs={"td": {"class": "num"}})
    survey_total = tables.Column(verbose_name="Điều tra XHH", attrs={"td": {"class": "num"}})
    projected = tables.Column(verbose_name="Tổng tạm tính", attrs={"td": {"class": "num"}})
    grade = tables.Column(verbose_name="Xếp loại tạm tính")
    rank = tables.Column(verbose_name="Vị thứ tạm tính", attrs={"td": {"class": "num"}})
    last_change = tables.Column(verbose_name="Thay đổi gần nhất")

    class Meta:
        attrs = {"class": "ranking progress"}
        template_name = "scoring/_progress_table.html"
        empty_text = "Không có đơn vị nào như vậy."

    # A published or locked period is finished: its totals, grades and ranks are the results, not projections,
    # and where each unit's file stood in the workflow no longer matters.
    FINAL_NAMES = {"projected": "Tổng điểm", "grade": "Xếp loại", "rank": "Vị thứ"}

    def __init__(self, *args, period, may_open=None, **kwargs):
        self.period = period  # before the table sorts its data (its sorting reads the period's rules)
        self.may_open = may_open  # the units whose sheet the reader may open (None: every unit); the others unlinked
        if period.is_public:
            kwargs["exclude"] = ("status",)
        super().__init__(*args, page_field="trang", **kwargs)
        if period.is_public:
            for name, label in self.FINAL_NAMES.items():
                self.columns[name].column.verbose_name = label
        self.entry_prefix = reverse("scoring:entry", args=[period.pk, "-"])[:-2]

    order_name = _sorted_by(F("sort_key"), F("pk"))
    order_status = _sorted_by(STEP)
    order_filled = _sorted_by(_zero("kept_filled"))
    order_appraised = _sorted_by(_zero("kept_scored_given") + _zero("kept_bonus_given"))
    order_self_total = _sorted_by(_zero("kept_self_total"))
    order_appraised_total = _sorted_by(_zero("kept_appraised_total"))
    order_survey_total = _sorted_by(_zero("kept_survey_total"))
    order_projected = _sorted_by(F("projected"))

    def order_rank(self, queryset, is_descending):
        """As the table to publish lists them: by the total as printed (or unrounded, under that tie rule), units of
        equal rank by name. The ranks themselves are the engine's (scoring.ranking.RankScale)."""
        period = self.period
        shown = Round(F("projected"), period.published_decimals) if period.tie_rule == ranking.TIE_SHOWN else None
        return _sorted_by(shown or F("projected"), highest_first=True)(self, queryset, is_descending)

    order_grade = order_rank
    order_last_change = _sorted_by(F("kept_last_change"))

    def body_html(self) -> str:
        """The page's rows, drawn here rather than through django-tables2's cell by cell machinery (which inspects
        each render method's signature for every cell: 70 % of a 100-row page). Same cells: the render methods below,
        "—" for a blank, the columns' own td attributes."""
        columns = [(c.name, c.attrs["td"].as_html(), getattr(self, f"render_{c.name}", None)) for c in self.columns]
        rows = []
        for row in self.page.object_list if self.page else []:
            record, cells = row.record, []
            for name, attrs, draw in columns:
                value = record.unit.name if name == "name" else getattr(record, name)
                if value is None or value == "":
                    shown = self.default
                elif draw is None:
                    shown = conditional_escape(value)
                elif name in ("name", "filled", "appraised"):
                    shown = conditional_escape(draw(record=record))
                else:
                    shown = conditional_escape(draw(value=value))
                cells.append(f"<td {attrs}>{shown}</td>")
            rows.append(f"<tr>{''.join(cells)}</tr>")
        return mark_safe("\n".join(rows))  # noqa: S308 - every cell escaped above

    def render_last_change(self, value):
        return date_format(timezone.localtime(value), "d/m/Y H:i")

    def render_name(self, record):
        if self.may_open is not None and record.unit.pk not in self.may_open:
            return record.unit.name  # a link would answer "Không có quyền truy cập"
        return format_html('<a href="{}{}/">{}</a>', self.entry_prefix, record.unit.code, record.unit.name)

    def render_status(self, value):
        return format_html('<span class="state state--{}">{}</span>', value, Submission.Status(value).label)

    def render_filled(self, record):
        return f"{record.filled}/{record.must_fill}"

    def render_appraised(self, record):
        return f"{record.appraised}/{record.to_appraise}"

    def render_self_total(self, value):
        return vn_number(value, 3)

    def render_appraised_total(self, value):
        return vn_number(value, 3)

    def render_survey_total(self, value):
        return vn_number(value, 3)

    def render_projected(self, value):
        return vn_number(value, self.period.published_decimals)  # as the table to publish prints it
