"""The public ranking table, rendered with django-tables2 in the announcement's column order."""

import django_tables2 as tables
from django.utils.html import format_html

from reports.formatting import vn_number


class RankingTable(tables.Table):
    """TT | Tên đơn vị | Điểm đánh giá | Xếp loại | Vị thứ — in the printed order, never re-sorted."""

    position = tables.Column(verbose_name="TT", attrs={"td": {"class": "num"}, "th": {"class": "num", "scope": "col"}})
    unit = tables.Column(verbose_name="Tên đơn vị", attrs={"th": {"scope": "col"}})
    total = tables.Column(
        verbose_name="Điểm đánh giá", attrs={"td": {"class": "num"}, "th": {"class": "num", "scope": "col"}}
    )
    grade = tables.Column(verbose_name="Xếp loại", attrs={"th": {"scope": "col"}})
    rank = tables.Column(verbose_name="Vị thứ", attrs={"td": {"class": "num"}, "th": {"class": "num", "scope": "col"}})

    class Meta:
        orderable = False
        attrs = {"class": "ranking"}
        template_name = "reports/_table.html"

    def render_unit(self, record):
        return format_html('<a href="{}">{}</a>', record.unit.get_absolute_url(), record.unit.name)

    def render_total(self, record):
        return vn_number(record.total, record.period.published_decimals)

    def render_grade(self, record):
        return format_html('<span class="grade grade--{}">{}</span>', record.grade_code, record.grade)
