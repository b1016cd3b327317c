"""A block across the 2025 reorganisation, for the public pages' tests.

2023 (published in part): Sở Tài chính 1, Sở Y tế 2.
2024: Sở Tài nguyên và Môi trường 1, Sở Tài chính 2, Văn phòng UBND tỉnh 3, Sở Kế hoạch và Đầu tư 4,
      Sở Nông nghiệp và Phát triển nông thôn 5, Sở Y tế 6.
2025 (scored in the portal): Sở Y tế 1, Sở Nông nghiệp và Môi trường 2 (Nông nghiệp và PTNT + Tài nguyên và Môi
      trường), Văn phòng UBND thành phố 3 (the same unit, renamed), Sở Tài chính 4 (which also took over Kế hoạch
      và Đầu tư), Ban Quản lý dự án đầu tư xây dựng 5 (new).

Beside them, a period not yet published and a demonstration period, each with numbers and a unit name of its
own that no public answer may ever show.
"""

from decimal import Decimal

from django.db import connection
from django.utils import timezone

from scoring import locks
from scoring.models import CriteriaSet, Criterion, GradeScheme, Period, Result, ResultVersion, Score
from tests.conftest import publish_table
from units.models import Unit

SECRET_NUMBERS = ("66.661", "66,661", "55.551", "55,551", "44.441", "44,441", "14.441", "14,441")
SECRET_NAMES = ("Sở Chưa Công Bố", "Sở Minh Họa Bí Mật")

# 2025 appraised points: 1.1 (max 15), 1.2 (max 25), 2 (max 60) — each unit's sum is its published total.
POINTS_2025 = {
    "Sở Y tế": ("15", "16", "60"),
    "Sở Nông nghiệp và Môi trường": ("14.5", "20", "55"),
    "Văn phòng UBND thành phố": ("13.25", "20", "55"),
    "Sở Tài chính": ("12", "20", "55"),
    "Ban Quản lý dự án đầu tư xây dựng": ("10", "15", "55"),
}


def unit(block, code, name, first=None, last=None):
    return Unit.objects.create(code=code, name=name, block=block, first_year=first, last_year=last)


class Lineage:
    def __init__(self, block):
        self.block = block
        self.nn = unit(block, "so-nn-ptnt", "Sở Nông nghiệp và Phát triển nông thôn", last=2024)
        self.tnmt = unit(block, "so-tn-mt", "Sở Tài nguyên và Môi trường", last=2024)
        self.nnmt = unit(block, "so-nn-mt", "Sở Nông nghiệp và Môi trường", first=2025)
        self.nnmt.predecessors.set([self.nn, self.tnmt])
        self.khdt = unit(block, "so-kh-dt", "Sở Kế hoạch và Đầu tư", last=2024)
        self.tc = unit(block, "so-tai-chinh", "Sở Tài chính")
        self.tc.predecessors.set([self.khdt])
        self.vp = unit(block, "van-phong-ubnd", "Văn phòng UBND tỉnh")
        self.yt = unit(block, "so-y-te", "Sở Y tế")
        self.bql = unit(block, "ban-qlda", "Ban Quản lý dự án đầu tư xây dựng", first=2025)
        self.y2023 = publish_table(block, 2023, [("Sở Tài chính", "88.5"), ("Sở Y tế", "87.25")], partial=True)
        self.y2024 = publish_table(
            block,
            2024,
            [
                ("Sở Tài nguyên và Môi trường", "90.1"),
                ("Sở Tài chính", "89"),
                ("Văn phòng UBND tỉnh", "88"),
                ("Sở Kế hoạch và Đầu tư", "86"),
                ("Sở Nông nghiệp và Phát triển nông thôn", "85"),
                ("Sở Y tế", "84"),
            ],
        )
        Unit.objects.filter(pk=self.vp.pk).update(name="Văn phòng UBND thành phố")  # renamed in 2025
        self.y2025 = publish_table(
            block,
            2025,
            [
                ("Sở Y tế", "91"),
                ("Sở Nông nghiệp và Môi trường", "89.5"),
                ("Văn phòng UBND thành phố", "88.25"),
                ("Sở Tài chính", "87"),
                ("Ban Quản lý dự án đầu tư xây dựng", "80"),
            ],
        )
        self._score_2025()
        with locks.suspended(connection):  # as a publication leaves them: sealed with its time
            ResultVersion.objects.filter(period__in=[self.y2023, self.y2024, self.y2025]).update(
                published_at=timezone.now()
            )
        self._secrets()

    def _criteria(self, year):
        criteria = CriteriaSet.objects.create(year=year, block=self.block, name=f"Bộ tiêu chí {year}")
        area = Criterion.objects.create(
            criteria_set=criteria, code="1", title="Chỉ đạo, điều hành", max_points=40, position=1
        )
        leaves = [
            Criterion.objects.create(
                criteria_set=criteria, parent=area, code="1.1", title="Kế hoạch", max_points=15, position=2
            ),
            Criterion.objects.create(
                criteria_set=criteria, parent=area, code="1.2", title="Báo cáo", max_points=25, position=3
            ),
            Criterion.objects.create(
                criteria_set=criteria, code="2", title="Thủ tục hành chính", max_points=60, position=4
            ),
        ]
        return criteria, leaves

    def _score_2025(self):
        criteria, self.leaves = self._criteria(2025)
        names = {u.name: u for u in Unit.objects.filter(block=self.block)}
        with locks.suspended(connection):  # the period is already published: these scores came first
            Period.objects.filter(pk=self.y2025.pk).update(
                criteria_set=criteria, decision_number="25/QĐ-UBND", decision_date="2026-01-15", signer="Nguyễn Văn A"
            )
            Score.objects.bulk_create(
                Score(
                    period_id=self.y2025.pk,
                    unit=names[name],
                    criterion=leaf,
                    self_points=Decimal(points),
                    appraised_points=Decimal(points),
                )
                for name, values in POINTS_2025.items()
                for leaf, points in zip(self.leaves, values, strict=True)
            )
        self.y2025.refresh_from_db()

    def _secrets(self):
        """An approved period with a sealed table (not published) and a demonstration period with scores."""
        hidden = unit(self.block, "so-chua-cong-bo", SECRET_NAMES[0])
        approved = Period.objects.create(
            year=2026,
            block=self.block,
            status=Period.Status.APPROVED,
            grade_scheme=GradeScheme.objects.get(is_default=True),
        )
        version = ResultVersion.objects.create(period=approved, number=1, block_name="x", block_phrase="x")
        Result.objects.create(
            period=approved,
            version=version,
            unit=hidden,
            unit_name=hidden.name,
            total=Decimal("66.661"),
            grade="Khá",
            grade_code="kha",
            rank=1,
            position=1,
        )
        ResultVersion.objects.filter(pk=version.pk).update(is_current=True, sealed=True)
        criteria, leaves = self._criteria(2027)
        demo = Period.objects.create(
            year=2027,
            block=self.block,
            criteria_set=criteria,
            status=Period.Status.OPEN,
            is_demo=True,
            grade_scheme=GradeScheme.objects.get(is_default=True),
        )
        secret = unit(self.block, "so-minh-hoa", SECRET_NAMES[1])
        Score.objects.create(
            period=demo,
            unit=secret,
            criterion=leaves[2],
            self_points=Decimal("55.551"),
            appraised_points=Decimal("44.441"),
        )
        Score.objects.create(period=demo, unit=self.yt, criterion=leaves[0], appraised_points=Decimal("14.441"))
