"""`entry_fields.allowed`, the service's one check, as a viewer asks it for many leaves: an answer remembered per
field and method must still be the answer of the table, and a field shown only on some rows is decided row by row."""

from decimal import Decimal
from types import SimpleNamespace

from scoring import entry_fields
from scoring.entry_fields import Viewer
from scoring.models import Method


def viewer(**answers) -> Viewer:
    """A viewer whose permissions are already answered (no user, period or database needed)."""
    seen = Viewer(user=None, period=None, unit=None, status="draft")
    rules = {
        "edits_self": entry_fields._edits_self,
        "explains": entry_fields._explains,
        "appraises": entry_fields._appraises,
        "department": entry_fields._department,
        "marks_not_applicable": entry_fields._marks_not_applicable,
        "corrects": entry_fields._corrects,
    }
    for name, rule in rules.items():
        seen._answers[rule] = answers.get(name, False)
    return seen


def leaf(method):
    return SimpleNamespace(method=method)


def score(*, self_points=None, round1_points=None, round1_comment="", response=""):
    return SimpleNamespace(
        self_points=self_points, round1_points=round1_points, round1_comment=round1_comment, response=response
    )


def test_the_answer_for_a_field_depends_on_the_leafs_method_even_once_remembered():
    appraiser = viewer(appraises=True)
    assert entry_fields.allowed(appraiser, "appraised_points", leaf(Method.SELF)).label == "Điểm thẩm định"
    assert entry_fields.allowed(appraiser, "appraised_points", leaf(Method.BONUS)).label == "Điểm thưởng được công nhận"
    assert entry_fields.allowed(appraiser, "appraised_points", leaf(Method.SURVEY)) is None  # Sở Nội vụ's
    assert entry_fields.allowed(appraiser, "appraised_points", leaf(Method.SELF)).label == "Điểm thẩm định"
    assert entry_fields.allowed(appraiser, "self_points", leaf(Method.SELF)) is None


def test_the_answer_to_round_one_is_decided_on_each_rows_score_by_the_same_viewer():
    unit = viewer(explains=True)
    cut = score(self_points=Decimal(10), round1_points=Decimal(8))
    kept = score(self_points=Decimal(10), round1_points=Decimal(10))
    assert entry_fields.allowed(unit, "response", leaf(Method.SELF), kept) is None
    assert entry_fields.allowed(unit, "response", leaf(Method.SELF), cut).label == "Giải trình sau vòng 1"
    assert entry_fields.allowed(unit, "response", leaf(Method.SELF), kept) is None
    assert entry_fields.allowed(unit, "response", leaf(Method.SELF), score(round1_comment="Thiếu minh chứng"))
    assert entry_fields.allowed(unit, "response", leaf(Method.SELF), None) is None
