"""One set of figures per unit and period: on criteria sets of random shape — ragged areas, a survey area, a bonus
group, a deduction leaf, leaves that do not apply to some units, bonus and deduction left blank — every page, file
and answer that shows a unit's figures says the same: the entry sheet, the period page, the detailed report, the
public ranking (HTML, Excel, CSV, JSON), the unit's page and the criterion pages. Then a correction changes a
point and what applies to a unit, in the portal; everything agrees again, with the new figures.

The expected figures are computed here, from the random points, by the rules of docs/scoring.md — not read from
the code under test."""

import csv
import io
import json
import random
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, Inexact, localcontext

import pytest
from django.test import Client
from openpyxl import load_workbook

from scoring.models import CriteriaSet, Criterion, Method, Period, Score
from scoring.permissions import ADMINISTRATOR
from scoring.results import unit_sums_refresh
from scoring.services import period_publish
from tests.browser import submit_page, table_with
from tests.conftest import make_units
from tests.scoring.workflow_cast import user

QUARTER = Decimal("0.25")
YEAR = 2026
BANDS = ((Decimal(90), "Xuất sắc"), (Decimal(80), "Tốt"), (Decimal(70), "Khá"), (Decimal(50), "Trung bình"))


@dataclass
class Node:
    code: str
    max_points: Decimal
    method: str
    children: list["Node"] = field(default_factory=list)

    def leaves(self):
        return [self] if not self.children else [leaf for kid in self.children for leaf in kid.leaves()]


def quarters(rng, total: Decimal, parts: int) -> list[Decimal]:
    """`parts` maxima in quarter points, each at least 0,5, adding up to `total`."""
    units = int(total / QUARTER)
    cuts = sorted(rng.sample(range(2, units - 1), parts - 1)) if parts > 1 else []
    sizes, last = [], 0
    for cut in [*cuts, units]:
        sizes.append(cut - last)
        last = cut
    while min(sizes) < 2:  # keep every maximum at 0,5 or more
        small, large = sizes.index(min(sizes)), sizes.index(max(sizes))
        sizes[small] += 1
        sizes[large] -= 1
    return [Decimal(s) * QUARTER for s in sizes]


def random_tree(rng) -> list[Node]:
    """3-5 scored areas (one scored directly, some to depth 3), one of them a survey area, summing to 100; a bonus
    group of two leaves whose own row says nothing of bonus; a deduction leaf."""
    count = rng.randint(3, 5)
    areas = []
    for index, maximum in enumerate(quarters(rng, Decimal(100), count), start=1):
        method = Method.SURVEY if index == count else Method.SELF
        area = Node(str(index), maximum, method)
        shape = "direct" if index == 1 else rng.choice(["two", "deep", "three"])
        if shape != "direct" and maximum >= 2:
            kids = quarters(rng, maximum, 3 if shape == "three" else 2)
            area.children = [Node(f"{index}.{k}", m, method) for k, m in enumerate(kids, start=1)]
            if shape == "deep" and area.children[0].max_points >= 1:
                first = area.children[0]
                first.children = [
                    Node(f"{first.code}.{k}", m, method) for k, m in enumerate(quarters(rng, first.max_points, 2), 1)
                ]
        areas.append(area)
    bonus = Node(str(count + 1), Decimal("2"), Method.SELF)
    bonus.children = [
        Node(f"{count + 1}.1", Decimal("1.5"), Method.BONUS),
        Node(f"{count + 1}.2", QUARTER * 2, Method.BONUS),
    ]
    deduction = Node(str(count + 2), Decimal("1"), Method.DEDUCTION)
    return [*areas, bonus, deduction]


def save_tree(so, nodes: list[Node]) -> tuple[CriteriaSet, dict[str, Criterion]]:
    criteria = CriteriaSet.objects.create(year=YEAR, block=so, name="Bộ tiêu chí ngẫu nhiên")
    saved, position = {}, 0

    def put(node: Node, parent):
        nonlocal position
        position += 1
        saved[node.code] = Criterion.objects.create(
            criteria_set=criteria,
            parent=parent,
            code=node.code,
            title=f"Tiêu chí {node.code}",
            max_points=node.max_points,
            method=node.method,
            position=position,
        )
        for kid in node.children:
            put(kid, saved[node.code])

    for node in nodes:
        put(node, None)
    return criteria, saved


def random_points(rng, nodes: list[Node], units) -> dict[tuple[int, str], tuple[Decimal | None, bool]]:
    """(unit id, leaf code) -> (appraised points or None, not applicable)."""
    points = {}
    for unit in units:
        for area in nodes:
            for leaf in area.leaves():
                steps = int(leaf.max_points / QUARTER)
                value = Decimal(rng.randint(0, steps)) * QUARTER
                if leaf.method in (Method.BONUS, Method.DEDUCTION):
                    points[(unit.pk, leaf.code)] = (value if rng.random() < 0.5 else None, False)
                else:
                    # Leaves of the first area (scored directly) always apply: something applies to every unit.
                    na = area.code != "1" and rng.random() < 0.15
                    points[(unit.pk, leaf.code)] = (None if na else value, na)
    return points


# --- The expected figures, from the rules of docs/scoring.md ---------------------------------------------


def expected(nodes: list[Node], points, unit) -> dict:
    achieved = applicable = bonus = deduction = Decimal(0)
    areas = {}
    for area in nodes:
        total, any_applies = Decimal(0), False
        for leaf in area.leaves():
            value, na = points[(unit.pk, leaf.code)]
            if na:
                continue
            any_applies = True
            value = value or Decimal(0)
            total += value
            if leaf.method in (Method.SELF, Method.SURVEY):
                achieved += value
                applicable += leaf.max_points
            elif leaf.method == Method.BONUS:
                bonus += value
            else:
                deduction += value
        areas[area.code] = (
            (total if area.children or area.method != Method.DEDUCTION else total) if any_applies else None
        )
    with localcontext() as ctx:
        ctx.prec = 50
        ctx.clear_flags()
        index = achieved * 100 / applicable
        if ctx.flags[Inexact]:
            index = index.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
    total = max(Decimal(0), index + bonus - deduction)
    shown = total.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
    grade = next((label for low, label in BANDS if shown >= low), "Yếu")
    return {"areas": areas, "total": total, "shown": shown, "grade": grade}


def ranks(figures: dict) -> dict:
    shown = {key: f["shown"] for key, f in figures.items()}
    return {key: 1 + sum(1 for other in shown.values() if other > value) for key, value in shown.items()}


def vn(value: Decimal, places: int = 3) -> str:
    text = f"{value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):,.{places}f}"
    return text.replace(",", "X").replace(".", ",").replace("X", ".")


def pts(value: Decimal) -> str:
    text = format(value.normalize(), "f") if value else "0"
    return text.replace(".", ",")


# --- What each page says ---------------------------------------------------------------------------------


def number(text: str) -> Decimal:
    return Decimal(text.replace(".", "").replace(",", ".").replace("−", "-"))


def check_everything(client, admin, period, nodes, units, figures, by_rank) -> None:
    """Every door agrees with the expected figures."""
    block, codes = period.block.code, {u.pk: u.code for u in units}
    # The public ranking: HTML, CSV, JSON, Excel.
    page = client.get(f"/xep-hang/{YEAR}/{block}/").content.decode()
    rows = table_with(page, "Kết quả đánh giá").body()
    html = {r[1]: (r[2], r[3], int(r[4])) for r in rows}
    reader = csv.DictReader(io.StringIO(client.get(f"/xep-hang/{YEAR}/{block}.csv").content.decode("utf-8-sig")))
    in_csv = {r["ma_don_vi"]: (Decimal(r["diem"]), r["xep_loai"], int(r["vi_thu"])) for r in reader}
    answer = json.loads(client.get(f"/api/v1/results/{YEAR}/{block}/").content)
    in_json = {r["unit_code"]: (Decimal(r["score"]), r["grade"], r["rank"]) for r in answer["results"]}
    sheet = load_workbook(io.BytesIO(client.get(f"/xep-hang/{YEAR}/{block}.xlsx").content)).active
    in_xlsx = {
        row[1]: (Decimal(str(row[2])).quantize(Decimal("0.001")), row[3], row[4])
        for row in sheet.iter_rows(min_row=6, max_row=5 + len(units), values_only=True)
    }
    progress = table_with(admin.get(f"/cham-diem/ky/{period.pk}/").content.decode(), "progress")
    total_col = next(i for i, h in enumerate(progress.rows[0]) if h.startswith("Tổng"))
    on_dashboard = {r[0]: (r[total_col], r[total_col + 1], r[total_col + 2]) for r in progress.body()}
    report = load_workbook(io.BytesIO(admin.get(f"/cham-diem/ky/{period.pk}/bao-cao-chi-tiet.xlsx").content))
    summary = report["Tóm tắt"]
    in_report = {row[1]: row for row in summary.iter_rows(min_row=5, max_row=4 + len(units), values_only=True)}
    for unit in units:
        f, rank = figures[unit.pk], by_rank[unit.pk]
        want = (vn(f["shown"]), f["grade"], rank)
        assert html[unit.name] == want, unit.name
        assert in_csv[unit.code] == (f["shown"], f["grade"], rank), unit.name
        assert in_json[unit.code] == (f["shown"], f["grade"], rank), unit.name
        assert in_xlsx[unit.name] == (f["shown"], f["grade"], rank), unit.name
        assert on_dashboard[unit.name] == (vn(f["total"]), f["grade"], str(rank)), unit.name
        line = in_report[unit.name]
        assert (Decimal(str(line[-3])).quantize(Decimal("0.001")), line[-2], line[-1]) == (f["shown"], f["grade"], rank)
        for index, area in enumerate(nodes):
            value = f["areas"][area.code]
            assert line[2 + index] == ("KAD" if value is None else pytest.approx(float(value))), (unit.name, area.code)
        check_unit_page(client, unit, nodes, f)
        check_entry_sheet(admin, period, unit, f)
    for area in nodes:
        page = client.get(f"/tieu-chi/{YEAR}/{block}/{area.code}/").content.decode()
        listed = dict(re.findall(r'<a href="/don-vi/([^/]+)/">[^<]+</a>: ([0-9.,]+)</li>', page))
        for unit in units:
            value = figures[unit.pk]["areas"][area.code]
            if value is not None and codes[unit.pk] in listed:
                assert number(listed[codes[unit.pk]]) == value, (unit.name, area.code)


def check_unit_page(client, unit, nodes, f) -> None:
    page = client.get(f"/don-vi/{unit.code}/").content.decode()
    table = table_with(page, "theo lĩnh vực")
    lines = {row[0].split(".")[0]: row for row in table.body() if row[0] != "Tổng điểm"}
    for area in nodes:
        value = f["areas"][area.code]
        shown = lines[area.code][2]
        if value is None:
            assert shown == "—"
        else:
            assert number(shown) == (-value if area.method == Method.DEDUCTION else value), (unit.name, area.code)
    total = next(row for row in table.rows if row[0] == "Tổng điểm")
    assert total[2] == vn(f["shown"]), unit.name


def check_entry_sheet(admin, period, unit, f) -> None:
    page = admin.get(f"/cham-diem/ky/{period.pk}/don-vi/{unit.code}/").content.decode()
    assert f"{vn(f['total'])} — {f['grade']}" in page, unit.name


# --- The test --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [3, 14, 2026])
def test_every_page_file_and_answer_shows_the_same_figures_before_and_after_a_correction(
    so, scheme, seed, django_capture_on_commit_callbacks
):
    rng = random.Random(seed)
    nodes = random_tree(rng)
    criteria, saved = save_tree(so, nodes)
    units = make_units(so, [f"Sở thử nghiệm {name}" for name in ("An", "Bình", "Cường", "Dung", "Giang")])
    period = Period.objects.create(
        year=YEAR, block=so, criteria_set=criteria, grade_scheme=scheme, status=Period.Status.APPROVED
    )
    points = random_points(rng, nodes, units)
    Score.objects.bulk_create(
        Score(period=period, unit_id=unit_id, criterion=saved[code], appraised_points=value, not_applicable=na)
        for (unit_id, code), (value, na) in points.items()
    )
    unit_sums_refresh(period)  # as an import of the appraisal would keep them
    admin_user = user("quantri", ADMINISTRATOR)
    period_publish(period=period, decision_number="5/QĐ-UBND", decision_date=None, by=admin_user)
    client, admin = Client(), Client()
    admin.force_login(admin_user)
    figures = {u.pk: expected(nodes, points, u) for u in units}
    check_everything(client, admin, period, nodes, units, figures, ranks(figures))

    # A correction in the portal: a scored leaf of one unit gets another value, a leaf of another unit no longer
    # applies (not one of the first area, which always applies).
    first, second = units[1], units[3]
    leaf = next(leaf for area in nodes[1:-2] for leaf in area.leaves() if not points[(first.pk, leaf.code)][1])
    old = points[(first.pk, leaf.code)][0]
    new = leaf.max_points if old != leaf.max_points else Decimal(0)
    other = next(leaf for area in nodes[1:-2] for leaf in area.leaves() if not points[(second.pk, leaf.code)][1])
    page = f"/cham-diem/ky/{period.pk}/dinh-chinh/"
    opened = {"reason": "Cộng sót điểm", "decision_number": "9/QĐ-UBND", "decision_date": "2027-02-01"}
    assert submit_page(admin, page, opened, button="open").status_code == 302
    sheet = f"/cham-diem/ky/{period.pk}/don-vi/{first.code}/"
    assert (
        submit_page(admin, sheet, {f"{saved[leaf.code].pk}-appraised_points": pts(new)}, button="save").status_code
        == 302
    )
    sheet = f"/cham-diem/ky/{period.pk}/don-vi/{second.code}/"
    assert submit_page(admin, sheet, {f"{saved[other.code].pk}-not_applicable": True}, button="save").status_code == 302
    with django_capture_on_commit_callbacks(execute=True):  # as when the publication's transaction commits
        published = submit_page(admin, page, {"confirm": "9/QĐ-UBND"}, button="publish", follow=True)
    published = published.content.decode()
    assert "Đã công bố bản đính chính lần 1" in published, re.findall(r'<li class="msg[^"]*">(.*?)</li>', published)
    points[(first.pk, leaf.code)] = (new, False)
    points[(second.pk, other.code)] = (None, True)
    figures = {u.pk: expected(nodes, points, u) for u in units}
    check_everything(client, admin, period, nodes, units, figures, ranks(figures))
    assert Score.objects.get(period=period, unit=first, criterion=saved[leaf.code]).appraised_points == old
