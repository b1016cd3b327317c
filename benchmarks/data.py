"""The national-scale data the benchmarks run on, built deterministically from a fixed seed.

A criteria set of 100 leaves in 8 areas (maxima in 0.25 steps, summing to 100), the appraised
points of every unit on every leaf, the previous year's published table of the same units, and a
published-results CSV to import. How many units and criteria: benchmarks/sizes.py.
"""

import csv
import random
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.test.utils import override_settings

from cchc_portal.lib.text import search_key
from scoring import locks, ranking
from scoring.models import AuditEntry, CriteriaSet, Criterion, GradeScheme, Method, Period, Result, ResultVersion, Score
from scoring.results import unit_sums_refresh
from scoring.services import result_version_seal
from units.models import Block, Unit

SEED = 20250601
SMALL_UNITS = 21  # a province's departments (the sở block): the baseline table
AREAS = 8
QUARTERS_TOTAL = 400  # 100 points in steps of 0.25
YEAR = 2024  # the scored periods; the xã table of YEAR - 1 is the one the ranking page compares with
IMPORT_YEAR = 2022
DETAILED_YEAR = 2025  # the detailed report's period (huyện block, units of that year only)
ENTRY_YEAR = 2026  # the entry sheet and its save (huyện block, one unit of that year only)
SCORE_BATCH = 5000

_QUARTER = [Decimal(q) / 4 for q in range(QUARTERS_TOTAL + 1)]
_KINDS = ("xã", "phường", "thị trấn")
_SYLLABLES = (
    "An", "Ân", "Bình", "Cẩm", "Châu", "Đông", "Đức", "Giang", "Hà", "Hải", "Hòa", "Hồng", "Hưng",
    "Hương", "Khánh", "Lạc", "Lâm", "Lộc", "Long", "Minh", "Mỹ", "Nam", "Ngọc", "Phú", "Phước",
    "Quảng", "Sơn", "Tân", "Thạnh", "Thủy", "Tiến", "Trung", "Ưng", "Vĩnh", "Xuân", "Yên",
)  # fmt: skip
_DEPARTMENTS = (
    "Sở Nội vụ", "Sở Tư pháp", "Sở Tài chính", "Sở Kế hoạch và Đầu tư", "Sở Công Thương", "Sở Xây dựng",
    "Sở Giao thông vận tải", "Sở Y tế", "Sở Giáo dục và Đào tạo", "Sở Lao động - Thương binh và Xã hội",
    "Sở Văn hóa và Thể thao", "Sở Du lịch", "Sở Tài nguyên và Môi trường",
    "Sở Nông nghiệp và Phát triển nông thôn", "Sở Khoa học và Công nghệ", "Sở Thông tin và Truyền thông",
    "Sở Ngoại vụ", "Thanh tra tỉnh", "Văn phòng UBND tỉnh", "Ban Dân tộc", "Ban Quản lý các khu công nghiệp",
)  # fmt: skip


@dataclass(frozen=True)
class Scores:
    """Every unit's appraised points on every leaf, in leaf order; the database gets the same values."""

    names: list[str]
    maxima: list[Decimal]
    methods: list[str]
    points: list[list[Decimal]]

    def leaves(self, unit_index: int) -> list[ranking.Leaf]:
        """One unit's leaves as the engine takes them."""
        return [
            ranking.Leaf(code=f"L{i}", max_points=maximum, points=points, method=method)
            for i, (maximum, method, points) in enumerate(
                zip(self.maxima, self.methods, self.points[unit_index], strict=True), start=1
            )
        ]


def make_rng(salt: str) -> random.Random:
    return random.Random(f"{SEED}-{salt}")  # noqa: S311 - reproducible test data, not security


def make_scores(names: list[str], salt: str, leaves: int) -> Scores:
    rng = make_rng(salt)
    quarters = _leaf_quarters(rng, leaves)
    sizes = area_sizes(leaves)
    methods = [_area_method(area, len(sizes)) for area, size in enumerate(sizes, start=1) for _ in range(size)]
    points = [_unit_points(rng, quarters) for _ in names]
    return Scores(names=names, maxima=[_QUARTER[q] for q in quarters], methods=methods, points=points)


def area_sizes(leaves: int) -> list[int]:
    """The leaves split over (at most) 8 areas, the first ones one larger: 100 is 13, 13, 13, 13, 12, 12, 12, 12."""
    areas = min(AREAS, leaves)
    return [leaves // areas + (1 if i < leaves % areas else 0) for i in range(areas)]


def _leaf_quarters(rng: random.Random, leaves: int) -> list[int]:
    """Leaf maxima in quarter points: at least 0.5 each, 100 points in all (at most 200 leaves)."""
    quarters = [2] * leaves
    for _ in range(QUARTERS_TOTAL - sum(quarters)):
        quarters[rng.randrange(leaves)] += 1
    return quarters


def _area_method(area: int, areas: int) -> str:
    # The last area is the satisfaction survey, as in the real indices.
    return Method.SURVEY if area == areas else Method.SELF


def _unit_points(rng: random.Random, quarters: list[int]) -> list[Decimal]:
    quality = rng.uniform(0.3, 0.95)
    return [_QUARTER[rng.randint(int(q * quality), q)] for q in quarters]


def commune_names(count: int, salt: str = "names") -> list[str]:
    """Distinct Vietnamese commune names ("UBND phường Hương Thủy 2"), in creation order."""
    rng = make_rng(salt)
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < count:
        base = f"UBND {rng.choice(_KINDS)} {rng.choice(_SYLLABLES)} {rng.choice(_SYLLABLES)}"
        name, n = base, 1
        while name in seen:
            n += 1
            name = f"{base} {n}"
        seen.add(name)
        names.append(name)
    return names


def department_names() -> list[str]:
    return list(_DEPARTMENTS[:SMALL_UNITS])


# --- Database ---------------------------------------------------------------------------------


def build_scored_period(
    block_code: str, scores: Scores, year: int, *, tag: str = "bench", only_year: bool = False
) -> Period:
    """Criteria set, units, an approved period and every Score row, in one transaction.

    Units get codes `<block>-<tag>-00001`…; with `only_year` they exist in that year only, so another period of
    the block does not count them. Built with DEBUG off so the 332,100-row insert is not slowed by Django's
    query log.
    """
    with override_settings(DEBUG=False), transaction.atomic():
        block = Block.objects.get(code=block_code)
        leaves = _criteria(block, year, scores)
        units = _units(block, scores.names, tag, year if only_year else None)
        period = Period.objects.create(
            year=year,
            block=block,
            criteria_set=leaves[0].criteria_set,
            status=Period.Status.APPROVED,
            grade_scheme=GradeScheme.objects.get(is_default=True),
        )
        _insert_scores(period, units, leaves, scores.points)
        unit_sums_refresh(period)
    return period


def _criteria(block: Block, year: int, scores: Scores) -> list[Criterion]:
    criteria_set = CriteriaSet.objects.create(year=year, block=block, name=f"Bộ tiêu chí {block.code} {year}")
    position, leaves, start = 0, [], 0
    for area_number, size in enumerate(area_sizes(len(scores.maxima)), start=1):
        maxima = scores.maxima[start : start + size]
        position += 1
        area = Criterion.objects.create(
            criteria_set=criteria_set, code=str(area_number), title=f"Lĩnh vực {area_number}",
            max_points=sum(maxima, Decimal(0)), method=scores.methods[start], position=position,
        )  # fmt: skip
        for leaf_number, maximum in enumerate(maxima, start=1):
            position += 1
            code = f"{area_number}.{leaf_number}"
            leaves.append(
                Criterion(
                    criteria_set=criteria_set,
                    parent=area,
                    code=code,
                    title=f"Tiêu chí {code}",
                    max_points=maximum,
                    method=scores.methods[start],
                    position=position,
                )
            )
        start += size
    Criterion.objects.bulk_create(leaves)
    return list(Criterion.objects.filter(criteria_set=criteria_set, parent__isnull=False).order_by("position"))


def _units(block: Block, names: list[str], tag: str, year: int | None) -> list[Unit]:
    prefix = f"{block.code}-{tag}-"
    Unit.objects.bulk_create(
        Unit(code=f"{prefix}{i:05d}", name=name, block=block, first_year=year, last_year=year,
             sort_key=ranking.vietnamese_sort_key(name), search_name=search_key(name))
        for i, name in enumerate(names, start=1)
    )
    return list(Unit.objects.filter(code__startswith=prefix).order_by("code"))


def _insert_scores(period: Period, units: list[Unit], leaves: list[Criterion], points: list[list[Decimal]]) -> None:
    batch: list[Score] = []
    for unit, unit_points in zip(units, points, strict=True):
        batch.extend(
            Score(period_id=period.pk, unit_id=unit.pk, criterion_id=leaf.pk, appraised_points=value)
            for leaf, value in zip(leaves, unit_points, strict=True)
        )
        if len(batch) >= SCORE_BATCH:
            Score.objects.bulk_create(batch)
            batch = []
    if batch:
        Score.objects.bulk_create(batch)


def publish_previous_year(period: Period) -> Period:
    """The published table of the year before `period`, for the same units, as the ranking page compares with.

    Written the way an import publishes (a sealed version through `result_version_seal`), with totals drawn
    at random: the page only needs a table to compare with, not one computed from scores.
    """
    rng = make_rng(f"previous-{period.block.code}")
    units = list(Unit.objects.filter(block=period.block).active_in(period.year).values_list("pk", "name"))
    previous = Period.objects.create(
        year=period.year - 1,
        block=period.block,
        status=Period.Status.PUBLISHED,
        grade_scheme=period.grade_scheme,
        decision_number="99/QĐ-BENCH",
        decision_date=date(period.year, 2, 1),
    )
    entries = [
        ranking.Entry(key=pk, name=name, total=Decimal(rng.randint(40_000, 99_999)) / 1000) for pk, name in units
    ]
    table = ranking.rank_entries(entries, decimals=previous.published_decimals)
    with override_settings(DEBUG=False), transaction.atomic():
        result_version_seal(period=previous, rows=[(row.key, row) for row in table], by=bench_admin(),
                            decision_number=previous.decision_number, decision_date=previous.decision_date)  # fmt: skip
    return previous


def unpublish(period: Period) -> None:
    """Put a published period back to approved so it can be published again.

    The portal's database refuses this on purpose; the benchmark lifts the locks for this one reset of
    its own temporary database and puts them back at once.
    """
    from django.db import connection

    with locks.suspended(connection):
        Result.objects.filter(period=period).delete()
        ResultVersion.objects.filter(period=period).delete()
        AuditEntry.objects.filter(period=period).delete()
        Period.objects.filter(pk=period.pk).update(
            status=Period.Status.APPROVED, decision_number="", decision_date=None
        )


def bench_admin():
    """The administrator account that publishes in the benchmarks."""
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(username="bench-admin", defaults={"is_superuser": True})
    return user


def write_results_csv(path: Path, count: int, year: int) -> None:
    """A published-results file: year, block, unit, score (3 decimals), one row per commune."""
    rng = make_rng("import")
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["year", "block", "unit", "score"])
        for n in range(1, count + 1):
            thousandths = rng.randint(40_000, 99_999)
            writer.writerow([year, "xa", f"UBND xã Thử nghiệm {n}", f"{thousandths // 1000}.{thousandths % 1000:03d}"])
