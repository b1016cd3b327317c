"""The number rule of docs/scoring.md ("Reading numbers"), run against every entry point that reads one.

The table is read from the documentation, so the rule and its examples cannot drift apart: the parser
itself, the entry form's service, a score sheet (text cells and Excel number cells), a criteria
workbook, a published-results file (CSV text and Excel number cells), and the entry page's script in a
real browser.
"""

import re
import zipfile
from datetime import timedelta
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from openpyxl import Workbook

from cchc_portal.lib.numbers import NumberProblem, parse_number
from cchc_portal.lib.problems import Refused
from scoring.imports.criteria import read_criteria_rows
from scoring.imports.results import read_result_rows
from scoring.imports.score_sheets import KINDS, run_check
from scoring.models import CriteriaSet, Criterion, GradeScheme, Method, Period, Score
from scoring.permissions import ADMINISTRATOR, UNIT_STAFF
from scoring.scores import Change, scores_save
from tests.scoring.workflow_cast import user
from units.models import Block, Unit

DOC = Path(__file__).resolve().parents[1] / "docs" / "scoring.md"
REFUSALS = {
    "not-a-number": "không phải là số",
    "negative": "là số âm",
    "too-precise": "chữ số thập phân",
    "above-max": "vượt quá",
}


def _cases() -> list[dict]:
    text = DOC.read_text(encoding="utf-8")
    table = text[text.index("| input | kind | maximum | outcome | published score |") :]
    cases = []
    for line in table.splitlines()[2:]:
        if not line.startswith("|"):
            break
        raw, kind, maximum, outcome, published = (c.strip() for c in line.strip("|").split("|"))
        raw = raw.replace("␠", " ")
        value = raw if kind == "text" else (int(raw) if re.fullmatch(r"-?\d+", raw) else float(raw))
        cases.append(
            {
                "id": f"{kind}:{raw!r}",
                "raw": raw,
                "value": value,
                "kind": kind,
                "maximum": Decimal(maximum),
                "outcome": outcome,
                "published": published,
            }
        )
    return cases


CASES = _cases()
TEXT_CASES = [c for c in CASES if c["kind"] == "text"]


def saved(wb: Workbook, cases: list[dict]) -> BytesIO:
    """The workbook as Excel would save it: openpyxl writes floats to 16 digits (0.30000000000000004 as 0.3),
    Excel to 17, so the sheet is patched to hold each float of `cases` exactly as Excel writes it."""
    buffer = BytesIO()
    wb.save(buffer)
    floats = [c["value"] for c in cases if isinstance(c["value"], float)]
    if not floats:
        buffer.seek(0)
        return buffer
    patched = BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(patched, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                for value in floats:
                    data = data.replace(f"<v>{value:.16g}</v>".encode(), f"<v>{value!r}</v>".encode())
            target.writestr(item, data)
    patched.seek(0)
    return patched


def ids(cases):
    return [c["id"] for c in cases]


def assert_outcome(expected: str, value=None, message: str | None = None) -> None:
    """`value` was read, or `message` was the refusal; either must match the table's outcome."""
    if expected in REFUSALS:
        assert message is not None and REFUSALS[expected] in message, (expected, value, message)
    elif expected == "blank":
        assert message is None and value is None, (value, message)
    else:
        assert message is None, message
        assert value == Decimal(expected) and value.normalize() == Decimal(expected).normalize(), value


def test_the_table_has_every_outcome_and_both_kinds():
    assert len(CASES) >= 30
    assert {c["outcome"] for c in CASES} >= {*REFUSALS, "blank"}
    assert {c["kind"] for c in CASES} == {"text", "excel"}


# --- The parser --------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_the_parser_reads_points_by_the_table(case):
    try:
        assert_outcome(case["outcome"], value=parse_number(case["value"], maximum=case["maximum"]))
    except NumberProblem as problem:
        assert_outcome(case["outcome"], message=problem.message)


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_the_parser_reads_published_scores_by_the_table(case):
    try:
        value = parse_number(case["value"], maximum=Decimal(100), places=6, limit=None)
        assert_outcome(case["published"], value=value)
    except NumberProblem as problem:
        assert_outcome(case["published"], message=problem.message)


# --- A period whose leaves have the table's maxima ---------------------------------------------------


class Leaves:
    """An open period with one leaf per maximum of the table, a unit, its staff member and an administrator."""

    def __init__(self, status=Period.Status.OPEN):
        block = Block.objects.get(code="so")
        criteria = CriteriaSet.objects.create(year=2026, block=block, name="Bộ tiêu chí thử số")
        maxima = sorted({c["maximum"] for c in CASES})
        self.leaf = {
            maximum: Criterion.objects.create(
                criteria_set=criteria,
                code=f"{n}",
                title=f"Tiêu chí tối đa {maximum}",
                max_points=maximum,
                method=Method.SELF,
                position=n,
            )
            for n, maximum in enumerate(maxima, start=1)
        }
        self.unit = Unit.objects.create(code="so-thu", name="Sở Thử", block=block)
        self.period = Period.objects.create(
            year=2026,
            block=block,
            criteria_set=criteria,
            status=status,
            grade_scheme=GradeScheme.objects.get(is_default=True),
            deadline=timezone.now() + timedelta(days=5),
        )
        self.staff = user("canbo.so", UNIT_STAFF, self.unit)
        self.admin = user("quantri.so", ADMINISTRATOR)


@pytest.mark.django_db
@pytest.mark.parametrize("case", TEXT_CASES, ids=ids(TEXT_CASES))
def test_the_entry_form_reads_points_by_the_table(case):
    period = Leaves()
    leaf = period.leaf[case["maximum"]]
    change = Change("self_points", leaf.pk, case["value"])
    try:
        scores_save(period=period.period, unit=period.unit, changes=[change], by=period.staff)
    except ValidationError as error:
        assert_outcome(case["outcome"], message=" ".join(error.messages))
        assert not Score.objects.filter(self_points__isnull=False).exists()
    else:
        assert_outcome(
            case["outcome"], value=Score.objects.filter(criterion=leaf).values_list("self_points", flat=True).first()
        )


def sheet_file(period: Leaves, case: dict) -> BytesIO:
    wb = Workbook()
    ws = wb.active
    ws.append(["Mã đơn vị", "Tên đơn vị", period.leaf[case["maximum"]].code])
    ws.append([period.unit.code, period.unit.name, case["value"]])
    ws["C1"].number_format = ws["A2"].number_format = "@"
    if case["kind"] == "text":
        ws["C2"].number_format = "@"
    return saved(wb, [case])


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_a_score_sheet_reads_points_by_the_table(case):
    period = Leaves(status=Period.Status.APPRAISAL)
    check = run_check(sheet_file(period, case), "diem.xlsx", period.period, KINDS["tham-dinh"], period.admin)
    if check.errors:
        assert_outcome(case["outcome"], message=" ".join(e.message for e in check.errors))
    else:
        changes = [change.value for plan in check.units for change in plan.changes]
        assert_outcome(case["outcome"], value=changes[0] if changes else None)


def criteria_file(case: dict) -> BytesIO:
    wb = Workbook()
    ws = wb.active
    ws.append(["mã", "nội dung", "điểm tối đa", "cách chấm"])
    ws.append(["1", "Lĩnh vực chấm trực tiếp", case["value"], "self"])
    ws["A2"].number_format = "@"
    return saved(wb, [case])


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_a_criteria_workbook_reads_maxima_by_the_table(case):
    # A maximum has no maximum of its own: an "above-max" row is simply its number.
    expected = case["published"] if case["outcome"] == "above-max" else case["outcome"]
    total = Decimal(expected) if expected not in (*REFUSALS, "blank") else Decimal(1)
    try:
        rows = read_criteria_rows(criteria_file(case), "bo-tieu-chi.xlsx", total=total)
    except Refused as refused:
        if expected == "blank":
            assert any("điểm tối đa để trống" in e for e in refused.errors), refused.errors
        else:
            assert_outcome(expected, message=" ".join(refused.errors))
    else:
        assert_outcome(expected, value=rows[0].max_points)


def results_file(case: dict) -> tuple[BytesIO, str]:
    if case["kind"] == "text":
        text = f"year;block;unit;score\n2023;so;Sở Thử;{case['value']}\n"
        return BytesIO(text.encode("utf-8")), "ket-qua.csv"
    wb = Workbook()
    wb.active.append(["year", "block", "unit", "score"])
    wb.active.append([2023, "so", "Sở Thử", case["value"]])
    return saved(wb, [case]), "ket-qua.xlsx"


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_a_published_results_file_reads_scores_by_the_table(case):
    source, name = results_file(case)
    try:
        rows = read_result_rows(source, list(Block.objects.all()), name)
    except Refused as refused:
        if case["published"] == "blank":
            assert any("điểm để trống" in e for e in refused.errors), refused.errors
        else:
            assert_outcome(case["published"], message=" ".join(refused.errors))
    else:
        assert_outcome(case["published"], value=rows[0].score)


# --- The entry page's script, in a browser -------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_entry_page_checks_points_by_the_table_as_they_are_typed(browser, live_server):
    from tests.conftest import clear_locked_data, restore_reference_data, sign_in_on_page

    restore_reference_data()
    try:
        period = Leaves()
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="vi-VN")
        entry = f"/cham-diem/ky/{period.period.pk}/don-vi/{period.unit.code}/"
        sign_in_on_page(page, live_server.url, "canbo.so", going_to=entry)
        for case in TEXT_CASES:
            leaf = period.leaf[case["maximum"]]
            page.fill(f"#id_{leaf.pk}-self_points", case["raw"])
            message = page.locator(f"#err-{leaf.pk}-self_points").inner_text() or None
            if case["outcome"] in REFUSALS:
                assert_outcome(case["outcome"], message=message)
            else:
                assert message is None, (case["id"], message)
                total = Decimal(page.locator("#total-self").inner_text().replace(".", "").replace(",", "."))
                assert total == Decimal(0 if case["outcome"] == "blank" else case["outcome"]), case["id"]
            page.fill(f"#id_{leaf.pk}-self_points", "")
        page.close()
    finally:
        clear_locked_data()
