"""The entry sheet's inputs are drawn in Python, not by a template per input: the page must come out exactly as
Django's own widget templates draw it, for every kind of field and every value a field can hold."""

import re

import pytest
from django import forms as django_forms
from django.test import Client

from scoring import forms
from scoring.models import Period

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
            drawn.append(re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html))
        return drawn

    drawn = pages()
    monkeypatch.setattr(forms._Drawn, "render", lambda self, *args, **kwargs: super(forms._Drawn, self).render(
        *args, **kwargs
    ))  # fmt: skip
    stock = pages()
    assert drawn[0].count("<textarea") >= 3 and 'type="checkbox"' in drawn[1]
    assert drawn == stock
