"""A demonstration criteria set and an unpublished period with scores, for trying the portal out.

Its shape is realistic (8 areas, about 30 criteria, about 80 leaves, maxima in 0.25 steps that add
up to 100) but its numbers are invented: the period is marked as demonstration data and can never
be published or shown to the public.
"""

import random
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from cchc_portal.passwords import DEMO_PASSWORD
from scoring.models import CriteriaSet, Criterion, GradeScheme, Method, Period, Score, Submission
from scoring.results import unit_sums_refresh
from units.models import Block, Unit

DEMO_YEAR = 2023
DEMO_BLOCK = "so"
DEMO_NAME = "Bộ tiêu chí minh họa (dữ liệu minh họa, không phải số liệu thật)"
QUARTER = Decimal("0.25")
DEMO_DAYS_OPEN = 30

AREAS = [
    (
        "Công tác chỉ đạo, điều hành cải cách hành chính",
        "10",
        Method.SELF,
        [
            "Kế hoạch cải cách hành chính năm",
            "Báo cáo cải cách hành chính",
            "Kiểm tra công tác cải cách hành chính",
            "Công tác tuyên truyền cải cách hành chính",
            "Sáng kiến, giải pháp mới trong cải cách hành chính",
        ],
    ),
    (
        "Xây dựng và tổ chức thực hiện văn bản quy phạm pháp luật",
        "10",
        Method.SELF,
        [
            "Tham mưu ban hành văn bản quy phạm pháp luật",
            "Rà soát, hệ thống hóa văn bản",
            "Theo dõi thi hành pháp luật",
        ],
    ),
    (
        "Cải cách thủ tục hành chính",
        "14.5",
        Method.SELF,
        [
            "Rà soát, đánh giá thủ tục hành chính",
            "Công khai thủ tục hành chính",
            "Thực hiện cơ chế một cửa, một cửa liên thông",
            "Kết quả giải quyết hồ sơ thủ tục hành chính",
            "Tiếp nhận, xử lý phản ánh, kiến nghị",
        ],
    ),
    (
        "Cải cách tổ chức bộ máy hành chính nhà nước",
        "11",
        Method.SELF,
        ["Sắp xếp tổ chức bộ máy", "Quản lý biên chế", "Thực hiện phân cấp, ủy quyền", "Đơn vị sự nghiệp công lập"],
    ),
    (
        "Cải cách chế độ công vụ",
        "16",
        Method.SELF,
        [
            "Vị trí việc làm và cơ cấu ngạch công chức",
            "Tuyển dụng, sử dụng công chức, viên chức",
            "Đào tạo, bồi dưỡng",
            "Kỷ luật, kỷ cương hành chính",
        ],
    ),
    (
        "Cải cách tài chính công",
        "7",
        Method.SELF,
        ["Thực hiện dự toán ngân sách", "Cơ chế tự chủ tài chính", "Quản lý, sử dụng tài sản công"],
    ),
    (
        "Xây dựng và phát triển Chính quyền điện tử, Chính quyền số",
        "16",
        Method.SELF,
        [
            "Hạ tầng và nền tảng số",
            "Dịch vụ công trực tuyến",
            "Hệ thống quản lý văn bản và điều hành",
            "Số hóa hồ sơ, kết quả giải quyết thủ tục hành chính",
            "An toàn thông tin",
        ],
    ),
    (
        "Tác động của cải cách hành chính đến người dân, tổ chức (điều tra xã hội học)",
        "15.5",
        Method.SURVEY,
        [
            "Mức độ hài lòng về tiếp cận dịch vụ",
            "Mức độ hài lòng về thủ tục hành chính",
            "Mức độ hài lòng về công chức giải quyết công việc",
        ],
    ),
]
SUB_TITLES = [
    "Ban hành đầy đủ, kịp thời",
    "Tổ chức thực hiện đúng tiến độ",
    "Chất lượng, hiệu quả thực hiện",
    "Báo cáo đúng thời hạn, đủ nội dung",
]


def _split(total: Decimal, parts: int, rng: random.Random) -> list[Decimal]:
    """Split `total` into `parts` positive multiples of 0.25 that add up exactly to it."""
    units = int(total / QUARTER)
    cuts = sorted(rng.sample(range(1, units), parts - 1))
    bounds = [0, *cuts, units]
    return [QUARTER * (b - a) for a, b in zip(bounds, bounds[1:], strict=False)]


@transaction.atomic
def demo_seed(*, seed: int = DEMO_YEAR) -> Period:
    """Create (once) the demonstration criteria set, period and scores; return the period."""
    existing = Period.objects.filter(year=DEMO_YEAR, block__code=DEMO_BLOCK, is_demo=True).first()
    if existing:
        return existing
    rng = random.Random(seed)
    block = Block.objects.get(code=DEMO_BLOCK)
    criteria_set = CriteriaSet.objects.create(year=DEMO_YEAR, block=block, name=DEMO_NAME)
    leaves = _build_tree(criteria_set, rng)
    period = Period.objects.create(
        year=DEMO_YEAR,
        block=block,
        criteria_set=criteria_set,
        grade_scheme=GradeScheme.objects.get(is_default=True),
        status=Period.Status.OPEN,
        deadline=timezone.now() + timedelta(days=DEMO_DAYS_OPEN),
        is_demo=True,
        source="Dữ liệu minh họa",
    )
    units = sorted(Unit.objects.filter(block=block).active_in(DEMO_YEAR), key=lambda u: u.name)
    # A realistic mix on the dashboard: some units have submitted, some are typing, the rest not started.
    submitted, drafting = units[:8], units[8:13]
    scores = [_score(period, unit, leaf, rng, complete=True) for unit in submitted for leaf in leaves]
    scores += [_score(period, unit, leaf, rng, complete=rng.random() < 0.6) for unit in drafting for leaf in leaves]
    scores += [
        _survey(period, unit, leaf, rng) for unit in units[13:] for leaf in leaves if leaf.method == Method.SURVEY
    ]
    Score.objects.bulk_create(scores)
    unit_sums_refresh(period)
    Submission.objects.bulk_create(
        [
            Submission(period=period, unit=u, status=Submission.Status.SUBMITTED, submitted_at=timezone.now())
            for u in submitted
        ]
        + [Submission(period=period, unit=u, status=Submission.Status.DRAFT) for u in drafting]
    )
    return period


def _build_tree(criteria_set: CriteriaSet, rng: random.Random) -> list[Criterion]:
    leaves, position = [], 0

    def add(parent, code, title, max_points, method):
        nonlocal position
        position += 1
        return Criterion.objects.create(
            criteria_set=criteria_set,
            parent=parent,
            code=code,
            title=title,
            max_points=max_points,
            method=method,
            position=position,
        )

    for a, (title, area_max, method, criteria_titles) in enumerate(AREAS, start=1):
        area = add(None, str(a), title, Decimal(area_max), method)
        for c, (c_title, c_max) in enumerate(
            zip(criteria_titles, _split(area.max_points, len(criteria_titles), rng), strict=True), start=1
        ):
            criterion = add(area, f"{a}.{c}", c_title, c_max, method)
            parts = min(int(c_max / QUARTER), rng.choice([1, 2, 3, 3, 4]))
            if parts == 1:
                leaves.append(criterion)
                continue
            for s, s_max in enumerate(_split(c_max, parts, rng), start=1):
                leaves.append(add(criterion, f"{a}.{c}.{s}", SUB_TITLES[(s - 1) % len(SUB_TITLES)], s_max, method))
    return leaves


def _points(leaf, rng) -> Decimal:
    steps = int(leaf.max_points / QUARTER)
    return QUARTER * rng.randint(int(steps * 0.6), steps)


def _survey(period, unit, leaf, rng) -> Score:
    return Score(period=period, unit=unit, criterion=leaf, appraised_points=_points(leaf, rng))


def _score(period, unit, leaf, rng, *, complete: bool) -> Score:
    """Survey points come from Sở Nội vụ; self-assessed points, with a note standing in for evidence."""
    if leaf.method == Method.SURVEY:
        return _survey(period, unit, leaf, rng)
    claimed = _points(leaf, rng) if complete else None
    note = "Báo cáo số 12/BC-ĐV (minh họa)" if claimed else ""
    return Score(period=period, unit=unit, criterion=leaf, self_points=claimed, explanation=note)


E_DEMO_DEBUG = "Chỉ tạo tài khoản dùng thử khi DEBUG bật."
E_DEMO_DATABASE = (
    "Dữ liệu và tài khoản dùng thử chỉ được tạo trên CSDL SQLite mặc định của máy phát triển; với CSDL khác "
    "(DATABASE_URL), chỉ khi đặt rõ DEMO=1."
)


def demo_allowed(*, need_debug: bool = True) -> str:
    """Why the demonstration data may not be made here ("" when it may): development only, and on the
    embedded SQLite database unless DEMO=1 says otherwise — never by pointing a command at a real database."""
    import os

    from django.conf import settings

    if need_debug and not settings.DEBUG:
        return E_DEMO_DEBUG
    if os.environ.get("DEMO") == "1":
        return ""
    if os.environ.get("DATABASE_URL"):
        return E_DEMO_DATABASE
    return ""


def demo_accounts() -> list[tuple[str, str, str]]:
    """One account per role on the demonstration period: (role, username, password)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from scoring.models import AppraiserAssignment
    from scoring.permissions import ADMINISTRATOR, APPRAISER, UNIT_STAFF
    from units.models import UnitMembership

    period = demo_seed()
    users = get_user_model().objects
    admin, _ = users.get_or_create(
        username="quantri", defaults={"first_name": "Quản trị Sở Nội vụ", "email": "quantri@localhost"}
    )
    admin.is_staff = admin.is_superuser = True
    appraiser, _ = users.get_or_create(
        username="thamdinh", defaults={"first_name": "Thẩm định viên", "email": "thamdinh@localhost"}
    )
    staff, _ = users.get_or_create(
        username="canbo.noivu", defaults={"first_name": "Cán bộ Sở Nội vụ", "email": "canbo.noivu@localhost"}
    )
    for user, group in ((admin, ADMINISTRATOR), (appraiser, APPRAISER), (staff, UNIT_STAFF)):
        user.set_password(DEMO_PASSWORD)
        user.save()
        user.groups.add(Group.objects.get(name=group))
    AppraiserAssignment.objects.get_or_create(period=period, appraiser=appraiser, unit=None)
    unit = (
        Unit.objects.filter(block=period.block, name="Sở Nội vụ").first()
        or Unit.objects.filter(block=period.block).first()
    )
    UnitMembership.objects.get_or_create(user=staff, unit=unit)
    return [
        ("Quản trị Sở Nội vụ", admin.username, DEMO_PASSWORD),
        ("Thẩm định viên (mọi đơn vị)", appraiser.username, DEMO_PASSWORD),
        (f"Cán bộ đơn vị ({unit.name})", staff.username, DEMO_PASSWORD),
    ]
