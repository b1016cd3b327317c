"""The progress table of a period's units on Sở Nội vụ's dashboard (sortable by any column)."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html

from cchc_portal.lib.numbers import vn_number
from scoring.models import Submission


class ProgressTable(tables.Table):
    """One row per unit: workflow status, last change, points self-assessed against appraised."""

    name = tables.Column(verbose_name="Đơn vị")
    status = tables.Column(verbose_name="Tình trạng")
    filled = tables.Column(verbose_name="Tiêu chí đã nhập", attrs={"td": {"class": "num"}})
    self_total = tables.Column(verbose_name="Tự đánh giá", attrs={"td": {"class": "num"}})
    appraised_total = tables.Column(verbose_name="Thẩm định", attrs={"td": {"class": "num"}})
    last_change = tables.DateTimeColumn(verbose_name="Thay đổi gần nhất", format="d/m/Y H:i")
    submitted_at = tables.DateTimeColumn(verbose_name="Nộp lúc", format="d/m/Y H:i")

    class Meta:
        attrs = {"class": "ranking progress"}
        template_name = "django_tables2/table.html"
        empty_text = "Khối này chưa có đơn vị nào."

    def __init__(self, *args, period, leaf_count: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.period = period
        self.leaf_count = leaf_count
        self.entry_prefix = reverse("scoring:entry", args=[period.pk, "-"])[:-2]

    def render_name(self, record):
        return format_html('<a href="{}{}/">{}</a>', self.entry_prefix, record.code, record.name)

    def render_status(self, value):
        return format_html('<span class="state state--{}">{}</span>', value, Submission.Status(value).label)

    def render_filled(self, value):
        return f"{value or 0}/{self.leaf_count}"

    def render_self_total(self, value):
        return vn_number(value, 3)

    def render_appraised_total(self, value):
        return vn_number(value, 3)
