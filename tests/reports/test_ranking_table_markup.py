"""The ranking table's body, byte for byte, on a table that has everything a year-on-year comparison meets: ties,
a unit renamed, two merged, one that took another over, a predecessor two mergers back, a new unit, a score equal to
last year's, a change of published decimals, names that need escaping, the announced components with one missing;
and after a year published in part, units that cannot be compared and a table printed without grades.

The page is rendered from published data in a fixed number of queries, and made fast by hand: these literal rows
pin what it prints, so that no speed-up changes a byte of it."""

from decimal import Decimal

import pytest

from cchc_portal.public_cache import public_changed
from scoring.models import GradeScheme, Period, Result, ResultVersion
from units.models import Unit

pytestmark = pytest.mark.django_db


def publish(block, year, rows, *, decimals=3, partial=False):
    """A published period: rows are (unit, total, grade, grade code, rank, appraised, survey) in printed order."""
    period = Period.objects.create(
        year=year,
        block=block,
        status=Period.Status.PUBLISHED,
        published_decimals=decimals,
        is_partial=partial,
        grade_scheme=GradeScheme.objects.get(is_default=True),
    )
    version = ResultVersion.objects.create(period=period, number=1, block_name=block.name, block_phrase="khối thử")
    for position, (unit, total, grade, code, rank, *parts) in enumerate(rows, start=1):
        appraised, survey = (parts + [None, None])[:2]
        Result.objects.create(
            period=period,
            version=version,
            unit=unit,
            unit_name=unit.name,
            total=Decimal(total),
            grade=grade,
            grade_code=code,
            rank=rank,
            position=position,
            appraised_points=None if appraised is None else Decimal(appraised),
            survey_points=None if survey is None else Decimal(survey),
        )
    ResultVersion.objects.filter(pk=version.pk).update(is_current=True, sealed=True)
    public_changed()
    return period


def unit(block, code, name, *predecessors):
    made = Unit.objects.create(code=code, name=name, block=block)
    made.predecessors.set(predecessors)
    return made


def body(client, address: str) -> list[str]:
    html = client.get(address).content.decode()
    return html.split("<tbody>\n", 1)[1].split("\n  </tbody>", 1)[0].split("\n")


@pytest.fixture
def reorganised(so):
    tc = unit(so, "tai-chinh", "Sở Tài chính")
    khdt = unit(so, "ke-hoach", "Sở Kế hoạch và Đầu tư")
    xd = unit(so, "xay-dung", "Sở Xây dựng")
    nn = unit(so, "nong-nghiep", "Sở Nông nghiệp")
    tn = unit(so, "tai-nguyen", "Sở Tài nguyên")
    vp = unit(so, "van-phong", "Văn phòng UBND tỉnh")
    yt = unit(so, "y-te", "Sở Y tế")
    old = unit(so, "so-cu", "Sở Cũ")
    publish(
        so,
        2024,
        [
            (tc, "90.125", "Tốt", "tot", 1),
            (khdt, "88.5", "Tốt", "tot", 2),
            (xd, "88.5", "Tốt", "tot", 2),
            (nn, "80.004", "Khá", "kha", 4),
            (tn, "79.995", "Khá", "kha", 5),
            (vp, "75", "Khá", "kha", 6),
            (yt, "70.5", "Khá", "kha", 7),
            (old, "60", "Trung bình", "trung-binh", 8),
        ],
    )
    tc.predecessors.set([khdt])  # took Kế hoạch và Đầu tư over, and kept its own line
    nnmt = unit(so, "nn-mt", "Sở Nông nghiệp & Môi trường", nn, tn)
    Unit.objects.filter(pk=vp.pk).update(name='Văn phòng UBND <thành phố> "mới"')
    vp.refresh_from_db()
    between = unit(so, "trung-gian", "Sở Trung gian", old)  # never published
    heir = unit(so, "so-chau", "Sở Cháu", between)
    new = unit(so, "ban-moi", "Ban Mới")
    return publish(
        so,
        2025,
        [
            (xd, "91", "Xuất sắc", "xuat-sac", 1, "80.5", "10.5"),
            (tc, "88.5", "Tốt", "tot", 2, "78", "10.5"),
            (vp, "88.5", "Tốt", "tot", 2, "79.25", "9.25"),
            (nnmt, "80.006", "Khá", "kha", 4, "71.004", "9.002"),
            (yt, "70.5", "Khá", "kha", 5, "61", "9.5"),
            (heir, "65", "Trung bình", "trung-binh", 6, None, "9"),
            (new, "60", "Trung bình", "trung-binh", 7, "52", "8"),
        ],
        decimals=2,
    )


EXPECTED_2025 = [  # printed by the code before the national table was made faster, checked by eye
    '<tr><td class="num" data-value="1">1</td><td data-value="Sở Xây dựng"><a href="/don-vi/xay-dung/">Sở Xây dựng</a></td><td class="num" data-value="80,50">80,50</td><td class="num" data-value="10,50">10,50</td><td class="num" data-value="91,00">91,00</td><td data-value="1"><span class="grade grade--xuat-sac">Xuất sắc</span></td><td class="num" data-value="1">1</td><td class="num change change--up" data-value="1"><span aria-hidden="true">▲ 1</span><span class="sr-only">tăng 1 bậc</span><br><span class="small muted">2 → 1</span></td><td class="num" data-value="+2,50">+2,50</td></tr>',  # noqa: E501
    '<tr><td class="num" data-value="2">2</td><td data-value="Sở Tài chính"><a href="/don-vi/tai-chinh/">Sở Tài chính</a><br><span class="small muted">đã tiếp nhận cả Sở Kế hoạch và Đầu tư (năm 2024 xếp riêng)</span></td><td class="num" data-value="78,00">78,00</td><td class="num" data-value="10,50">10,50</td><td class="num" data-value="88,50">88,50</td><td data-value="2"><span class="grade grade--tot">Tốt</span></td><td class="num" data-value="2">2</td><td class="num change change--down" data-value="-1"><span aria-hidden="true">▼ 1</span><span class="sr-only">giảm 1 bậc</span><br><span class="small muted">1 → 2</span></td><td class="num" data-value="−1,63">−1,63</td></tr>',  # noqa: E501
    '<tr><td class="num" data-value="3">3</td><td data-value="Văn phòng UBND &lt;thành phố&gt; &quot;mới&quot;"><a href="/don-vi/van-phong/">Văn phòng UBND &lt;thành phố&gt; &quot;mới&quot;</a><br><span class="small muted">so với Văn phòng UBND tỉnh năm 2024 (tên cũ)</span></td><td class="num" data-value="79,25">79,25</td><td class="num" data-value="9,25">9,25</td><td class="num" data-value="88,50">88,50</td><td data-value="2"><span class="grade grade--tot">Tốt</span></td><td class="num" data-value="2">2</td><td class="num change change--up" data-value="4"><span aria-hidden="true">▲ 4</span><span class="sr-only">tăng 4 bậc</span><br><span class="small muted">6 → 2</span></td><td class="num" data-value="+13,50">+13,50</td></tr>',  # noqa: E501
    '<tr><td class="num" data-value="4">4</td><td data-value="Sở Nông nghiệp &amp; Môi trường"><a href="/don-vi/nn-mt/">Sở Nông nghiệp &amp; Môi trường</a><br><span class="small muted">so với Sở Nông nghiệp năm 2024 (đơn vị tiền thân; tiếp nhận cả Sở Tài nguyên)</span></td><td class="num" data-value="71,00">71,00</td><td class="num" data-value="9,00">9,00</td><td class="num" data-value="80,01">80,01</td><td data-value="4"><span class="grade grade--kha">Khá</span></td><td class="num" data-value="4">4</td><td class="num change change--same" data-value="0"><span aria-hidden="true">=</span><span class="sr-only">giữ nguyên vị thứ</span><br><span class="small muted">4 → 4</span></td><td class="num" data-value="+0,01">+0,01</td></tr>',  # noqa: E501
    '<tr><td class="num" data-value="5">5</td><td data-value="Sở Y tế"><a href="/don-vi/y-te/">Sở Y tế</a></td><td class="num" data-value="61,00">61,00</td><td class="num" data-value="9,50">9,50</td><td class="num" data-value="70,50">70,50</td><td data-value="5"><span class="grade grade--kha">Khá</span></td><td class="num" data-value="5">5</td><td class="num change change--up" data-value="2"><span aria-hidden="true">▲ 2</span><span class="sr-only">tăng 2 bậc</span><br><span class="small muted">7 → 5</span></td><td class="num" data-value="±0,00">±0,00</td></tr>',  # noqa: E501
    '<tr><td class="num" data-value="6">6</td><td data-value="Sở Cháu"><a href="/don-vi/so-chau/">Sở Cháu</a><br><span class="small muted">so với Sở Cũ năm 2024 (đơn vị tiền thân)</span></td><td class="num" data-value=""></td><td class="num" data-value="9,00">9,00</td><td class="num" data-value="65,00">65,00</td><td data-value="6"><span class="grade grade--trung-binh">Trung bình</span></td><td class="num" data-value="6">6</td><td class="num change change--up" data-value="2"><span aria-hidden="true">▲ 2</span><span class="sr-only">tăng 2 bậc</span><br><span class="small muted">8 → 6</span></td><td class="num" data-value="+5,00">+5,00</td></tr>',  # noqa: E501
    '<tr><td class="num" data-value="7">7</td><td data-value="Ban Mới"><a href="/don-vi/ban-moi/">Ban Mới</a><br><span class="small muted">không có đơn vị tiền thân trong bảng năm 2024</span></td><td class="num" data-value="52,00">52,00</td><td class="num" data-value="8,00">8,00</td><td class="num" data-value="60,00">60,00</td><td data-value="7"><span class="grade grade--trung-binh">Trung bình</span></td><td class="num" data-value="7">7</td><td class="num change change--none" data-value=""><span aria-hidden="true">mới</span><span class="sr-only">đơn vị mới</span></td><td class="num" data-value="">—</td></tr>',  # noqa: E501
]


def test_the_body_of_a_table_across_mergers_renames_and_ties_is_printed_as_pinned(client, reorganised):
    assert body(client, "/xep-hang/2025/so/") == EXPECTED_2025
