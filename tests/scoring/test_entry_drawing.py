"""The entry sheet's inputs are drawn in Python, not by a template per input: the page must come out exactly as
Django's own widget templates draw it, for every kind of field and every value a field can hold."""

import re
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from django import forms as django_forms
from django.template import Context, Template
from django.test import Client

from scoring.models import AuditEntry, Criterion, Evidence, Period
from scoring.queries import entry_sheet
from scoring.scores import Change, scores_save
from scoring.staff import forms
from scoring.staff.entry_rows import history_rows, leaf_row, sheet_rows
from scoring.staff.forms import leaf_forms, shown_leaves
from tests.scoring.workflow_cast import LEAVES

ATTRS = {"class": "points", "data-max": "2.5", "aria-label": "Điểm \"tự\" <đánh> giá & 1.1", "required": True,
         "disabled": False}  # fmt: skip
VALUES = [None, "", "2,5", 'a "quoted" <b>&amp;</b>', "dòng 1\ndòng 2", 0, True, False, "on"]


@pytest.mark.parametrize(
    ("drawn", "stock"),
    [
        (forms.DrawnTextInput, django_forms.TextInput),
        (forms.DrawnTextarea, django_forms.Textarea),
        (forms.DrawnCheckbox, django_forms.CheckboxInput),
        (forms.DrawnHidden, django_forms.HiddenInput),
    ],
)
def test_a_drawn_widget_is_the_html_of_djangos_template(drawn, stock):
    for value in VALUES:
        extra = {"id": "id_12-self_points", "aria-invalid": "true"}
        assert drawn(ATTRS).render("12-self_points", value, extra) == stock(ATTRS).render(
            "12-self_points", value, extra
        ), value


def test_the_entry_page_is_the_same_as_drawn_by_djangos_templates(cast, monkeypatch):
    cast.score(cast.unit_a, "1.1", self_points="2", explanation='Văn bản "số 1" <gửi> & nhận')
    cast.set_status(Period.Status.OPEN)
    url = f"/cham-diem/ky/{cast.period.pk}/don-vi/{cast.unit_a.code}/"

    def pages() -> list[str]:
        drawn = []
        for account in (cast.staff_a, cast.admin):  # text and points inputs; checkboxes and points
            client = Client()
            client.force_login(account)
            html = client.get(url).content.decode()
            html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
            drawn.append(re.sub(r'data-session-seconds="\d+"', "", html))  # counted from each login's second
        return drawn

    drawn = pages()
    monkeypatch.setattr(forms._Drawn, "render", lambda self, *args, **kwargs: super(forms._Drawn, self).render(
        *args, **kwargs
    ))  # fmt: skip
    stock = pages()
    assert drawn[0].count("<textarea") >= 3 and 'type="checkbox"' in drawn[1]
    assert drawn == stock


def test_a_sheet_only_shown_draws_its_inputs_as_its_forms_do(cast):
    """The GET draws the inputs without making the forms (`shown_leaves`): the same HTML as `leaf_forms`, for
    every kind of field, every viewer, stored values of every kind, and fields marked by the service."""
    cast.score(cast.unit_a, "1.1", self_points="2", explanation='Văn bản "số 1" <gửi> & nhận', round1_points="1",
               response="Đã <bổ sung>")  # fmt: skip
    cast.score(cast.unit_a, "2", self_points="50.25", appraiser_comment="Đạt & đủ\ndòng 2")
    cast.score(cast.unit_a, "7", not_applicable=True)
    seen, kinds, checked = 0, set(), 0
    for status, accounts in (
        (Period.Status.OPEN, (cast.staff_a, cast.admin, cast.other_appraiser)),
        (Period.Status.APPRAISAL, (cast.appraiser, cast.staff_a, cast.admin)),
        (Period.Status.EXPLANATION, (cast.staff_a,)),
    ):
        cast.set_status(status)
        for account in accounts:
            sheet = entry_sheet(Period.objects.get(pk=cast.period.pk), cast.unit_a, account)
            for marked in (False, True):
                made, shown = leaf_forms(sheet), shown_leaves(sheet)
                assert made.keys() == shown.keys()
                for pk, form in made.items():
                    assert list(shown[pk].fields) == list(form.fields) and not shown[pk].is_bound
                    for name in form.fields:
                        if marked:
                            form.mark(name, "Sai <giá trị>")
                            shown[pk].mark(name, "Sai <giá trị>")
                        assert str(shown[pk][name]) == str(form[name])
                        assert shown[pk][name].id_for_label == form[name].id_for_label
                        kinds.add(type(form.fields[name].widget).__name__)
                        checked += " checked>" in str(form[name])
                        seen += 1
                    assert shown[pk].problems == form.problems
    assert kinds == {"DrawnTextInput", "DrawnTextarea", "DrawnCheckbox"} and seen > 50 and checked


REFERENCE = Path(__file__).parent / "templates" / "leaf_row.html"  # the template block the rows were drawn by
HISTORY = Path(__file__).parent / "templates" / "history_rows.html"


def rows_both_ways(cast, account, decorate=lambda sheet: None):
    """Each leaf row of unit A's sheet as `account` sees it, drawn by `leaf_row` and by the template block."""
    period = Period.objects.get(pk=cast.period.pk)
    sheet = entry_sheet(period, cast.unit_a, account)
    forms_by_leaf = leaf_forms(sheet)
    for row in sheet.rows:
        row.form = forms_by_leaf.get(row.node.pk)
    decorate(sheet)
    attention = {row.node.pk for row in sheet.rows if row.is_leaf}
    reference = Template(REFERENCE.read_text(encoding="utf-8"))
    for row in sheet.rows:
        if row.is_leaf:
            yield leaf_row(row, sheet, attention), reference.render(Context({"row": row, "sheet": sheet,
                                                                               "attention": attention}))  # fmt: skip


def test_each_leaf_row_is_the_template_block_it_replaced(cast):
    score = cast.score(cast.unit_a, "1.1", self_points="2", explanation='Có "văn bản" <số 1> & phụ lục',
                       round1_points="1", round1_comment="Thiếu <minh chứng>", response="Đã bổ sung")  # fmt: skip
    cast.score(cast.unit_a, "2", self_points="50", appraiser_comment="Đạt & đủ")
    Evidence.objects.create(score=score, link="https://example.vn/?a=1&b=2", title="Quyết định <1>",
                            uploaded_by=cast.staff_a)  # fmt: skip

    def marked(sheet):
        for row in sheet.rows:
            if row.form is not None:
                for name in row.form.fields:
                    row.form.mark(name, "Giá trị <sai> & cần sửa")
            if row.node.code == "3":
                row.correction = SimpleNamespace(
                    version=SimpleNamespace(correction_number=2, sealed=False), old_points=None,
                    appraised_points=Decimal("12.5"), not_applicable=True,
                )  # fmt: skip
            if row.node.code == "2":
                row.attention = "chưa có <điểm>"

    seen = 0
    for status, accounts in (
        (Period.Status.OPEN, (cast.staff_a, cast.admin, cast.other_appraiser)),
        (Period.Status.APPRAISAL, (cast.appraiser, cast.staff_a)),
        (Period.Status.EXPLANATION, (cast.staff_a,)),
    ):
        cast.set_status(status)
        for account in accounts:
            for decorate in (lambda sheet: None, marked):
                for drawn, template in rows_both_ways(cast, account, decorate):
                    assert drawn == template
                    seen += 1
    assert seen == 2 * 6 * len(LEAVES)


ROWS = Path(__file__).parent / "templates" / "sheet_rows.html"  # the page's loop over the rows, as it was


def test_the_sheet_rows_are_the_template_loop_they_replaced(cast):
    """Areas with and without self-assessed points, groups, leaves; rows to attend to and their groups."""
    cast.score(cast.unit_a, "1.1", self_points="2", appraised_points="1.5")
    cast.score(cast.unit_a, "7", not_applicable=True)
    area = Criterion.objects.get(criteria_set=cast.criteria, code="1")
    group = Criterion.objects.create(criteria_set=cast.criteria, parent=area, code="1.3", title='Nhóm "ba" <&>',
                                     max_points=Decimal("2.5"), position=100)  # fmt: skip
    Criterion.objects.create(criteria_set=cast.criteria, parent=group, code="1.3.1", title="Lá", max_points=2,
                             position=101)  # fmt: skip
    reference, kinds = Template(ROWS.read_text(encoding="utf-8")), set()
    for status, accounts in (
        (Period.Status.OPEN, (cast.staff_a, cast.admin)),
        (Period.Status.APPRAISAL, (cast.appraiser, cast.staff_a)),
    ):
        cast.set_status(status)
        for account in accounts:
            sheet = entry_sheet(Period.objects.get(pk=cast.period.pk), cast.unit_a, account)
            shown = shown_leaves(sheet)
            for row in sheet.rows:
                row.form = shown.get(row.node.pk)
                kinds.add("leaf" if row.is_leaf else "area" if row.is_area else "group")
            for attention in (set(), {row.node.pk for row in sheet.rows if row.is_leaf}):
                groups = {
                    a.pk for leaf in attention if (node := sheet.tree.get(leaf)) for a in sheet.tree.ancestors(node)
                }
                context = {"sheet": sheet, "attention": attention, "attention_groups": groups}
                drawn = sheet_rows(sheet, attention, groups)
                assert drawn == reference.render(Context(context))
                assert ("has-attention" in drawn) == bool(groups)
    assert kinds == {"leaf", "area", "group"}


def test_the_history_rows_are_the_template_loop_they_replaced(cast):
    cast.set_status(Period.Status.OPEN)
    for code, value in (("1.1", "2"), ("1.2", "7,25"), ("2", "1")):
        leaf = cast.leaf[code].pk
        changes = [Change("self_points", leaf, value), Change("explanation", leaf, "<b>&</b>")]
        scores_save(period=cast.period, unit=cast.unit_a, by=cast.staff_a, changes=changes)
    AuditEntry.objects.create(period=cast.period, unit=cast.unit_a, action="submission", old="", new="Đã nộp",
                              reason='Lý do "đặc biệt" <1>')  # fmt: skip
    history = list(AuditEntry.objects.filter(period=cast.period, unit=cast.unit_a).select_related("by", "criterion"))
    assert len(history) == 7
    reference = Template(HISTORY.read_text(encoding="utf-8")).render(Context({"history": history}))
    assert history_rows(history) == reference
    assert "hệ thống" in reference and "&lt;b&gt;&amp;&lt;/b&gt;" in reference
