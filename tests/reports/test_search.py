"""The public search answers from its index of published names: a typed word matches the beginning of a word
(never its middle), whole words rank before beginnings and beginnings before initials, today's name before a
former one, then by block; the index follows publication and renames; a fixed number of queries on an index,
whatever the number of units."""

import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection

from reports import search
from reports.models import SearchName, SearchWord
from reports.pages import search as public
from scoring import ranking
from scoring.models import GradeScheme, Period, Result, ResultVersion
from tests.conftest import publish_table
from units.models import Block, Unit

pytestmark = pytest.mark.django_db


def found(client, typed: str) -> list[str]:
    html = client.get("/tim-kiem/", {"q": typed}).content.decode()
    return re.findall(r'<li><a href="/don-vi/[^"]+/">([^<]+)</a>', html)


@pytest.fixture
def province(so, huyen):
    publish_table(
        so,
        2024,
        [
            ("Sở Công Thương", "90"),
            ("Sở Lao động, Thương binh và Xã hội", "89"),
            ("Sở Nông nghiệp và Phát triển nông thôn", "88"),
            ("Sở Giáo dục và Đào tạo", "87"),
            ("Sở Y tế", "86"),
            ("Ban Quản lý Khu kinh tế Hải An", "85"),
        ],
    )
    publish_table(
        huyen,
        2024,
        [
            ("UBND thị xã Hương Thủy", "80"),
            ("UBND thị xã Hương Trà", "79"),
            ("UBND huyện Phú Vang", "78"),
            ("UBND huyện Hà Lộc", "77"),
        ],
    )


def test_huong_finds_huong_thuy_and_huong_tra_not_the_words_that_hold_it(client, province):
    # Issue 17: "huong" used to list Sở Công Thương and Sở Lao động, Thương binh… first.
    assert found(client, "huong") == ["UBND thị xã Hương Thủy", "UBND thị xã Hương Trà"]
    assert found(client, "Hương") == ["UBND thị xã Hương Thủy", "UBND thị xã Hương Trà"]
    assert found(client, "thuong") == ["Sở Công Thương", "Sở Lao động, Thương binh và Xã hội"]
    assert found(client, "ubnd huong thuy") == ["UBND thị xã Hương Thủy"]
    assert found(client, "PHU VANG") == found(client, "phú vang") == ["UBND huyện Phú Vang"]


def test_a_whole_word_ranks_before_the_beginning_of_one_whatever_the_block(client, province):
    # "ha": the whole word Hà (huyện block) before the beginning of Hải (sở block, which comes first by block).
    assert found(client, "ha") == ["UBND huyện Hà Lộc", "Ban Quản lý Khu kinh tế Hải An"]
    assert found(client, "hai")[0] == "Ban Quản lý Khu kinh tế Hải An"
    assert found(client, "huo") == ["UBND thị xã Hương Thủy", "UBND thị xã Hương Trà"]  # beginnings, by name


def test_initials_find_a_department_after_the_words_that_match(client, province):
    assert found(client, "LĐTBXH") == ["Sở Lao động, Thương binh và Xã hội"]
    assert found(client, "so ldtbxh") == ["Sở Lao động, Thương binh và Xã hội"]
    assert found(client, "NN&PTNT") == ["Sở Nông nghiệp và Phát triển nông thôn"]
    assert found(client, "GD&ĐT") == ["Sở Giáo dục và Đào tạo"]
    # "sct" is Sở Công Thương's initials; "so y" matches Sở Y tế by its words first.
    assert found(client, "sct") == ["Sở Công Thương"]
    assert found(client, "so y")[0] == "Sở Y tế"


def test_text_that_holds_no_word_finds_nothing_and_is_not_an_error(client, province):
    for typed in ("%", "_", "\\", "';--", "\u202e", "%%%%", "a" * 100):
        response = client.get("/tim-kiem/", {"q": typed})
        assert response.status_code == 200 and found(client, typed) == []


def test_the_index_follows_a_rename_and_keeps_the_name_published(client, province, django_capture_on_commit_callbacks):
    unit = Unit.objects.get(name="UBND huyện Phú Vang")
    with django_capture_on_commit_callbacks(execute=True):
        unit.name = "UBND thị xã Phú Vang"
        unit.save()
    assert found(client, "thi xa phu vang") == found(client, "phu vang") == ["UBND thị xã Phú Vang"]
    html = client.get("/tim-kiem/", {"q": "huyen phu vang"}).content.decode()
    assert found(client, "huyen phu vang") == ["UBND thị xã Phú Vang"]
    assert "từng công bố với tên “UBND huyện Phú Vang”" in html  # found by the name of its 2024 table
    assert set(SearchName.objects.filter(unit=unit).values_list("name", flat=True)) == {
        "UBND thị xã Phú Vang",
        "UBND huyện Phú Vang",
    }


def test_today_s_name_ranks_before_a_former_one(client, so):
    publish_table(so, 2023, [("Sở Tư pháp", "90"), ("Thanh tra tỉnh", "80")])
    inspectorate = Unit.objects.get(name="Thanh tra tỉnh")
    inspectorate.name = "Thanh tra thành phố"
    inspectorate.save()
    other = Unit.objects.create(code="tinh-uy", name="Văn phòng Tỉnh ủy", block=so)
    publish_table(so, 2024, [("Văn phòng Tỉnh ủy", "85"), ("Thanh tra thành phố", "70")])
    del other
    # "tinh": Văn phòng Tỉnh ủy by today's name, Thanh tra by the name of its 2023 table.
    assert found(client, "tinh") == ["Văn phòng Tỉnh ủy", "Thanh tra thành phố"]


def test_nothing_unpublished_is_in_the_index(client, so):
    publish_table(so, 2024, [("Sở Ngoại vụ", "80")])
    publish_table(so, 2025, [("Sở Mật", "90")], status=Period.Status.APPROVED)
    assert found(client, "mat") == [] and found(client, "ngoai vu") == ["Sở Ngoại vụ"]
    assert not SearchName.objects.filter(name="Sở Mật").exists()


def test_the_command_and_the_migration_rebuild_the_index_from_the_published_names(so):
    from importlib import import_module

    from django.apps import apps

    publish_table(so, 2024, [("Sở Du lịch", "80"), ("Sở Ngoại vụ", "70")])
    words = set(SearchWord.objects.values_list("name__name", "word", "initials"))
    SearchName.objects.all().delete()
    call_command("search_index")
    assert set(SearchWord.objects.values_list("name__name", "word", "initials")) == words
    assert ("Sở Du lịch", "lich", False) in words and ("Sở Du lịch", "sdl", True) in words
    SearchName.objects.all().delete()
    import_module("reports.migrations.0001_search_index").build_index(apps, None)
    assert set(SearchWord.objects.values_list("name__name", "word", "initials")) == words


def test_the_prefix_lookup_is_answered_from_an_index():
    query = SearchWord.objects.filter(search._starting("huong")).values("name_id")
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")  # an empty table: ask whether an index can answer
            cursor.execute("EXPLAIN " + sql, params)
            plan = " ".join(row[0] for row in cursor.fetchall())
            assert "reports_searchword_word" in plan and "Index" in plan, plan
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
            assert "USING INDEX reports_searchword_word" in plan or "COVERING INDEX reports_searchword_word" in plan
            assert "word>? AND word<?" in plan, plan


def test_a_national_table_is_searched_in_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    xa = Block.objects.get(code="xa")
    kinds, places = ("xã", "phường", "thị trấn"), ("Hương", "Phú", "Thủy", "Vinh", "An", "Hòa", "Lộc", "Điền")
    names = [f"UBND {kinds[n % 3]} {places[n % 8]} {places[n // 8 % 8]} {n}" for n in range(3321)]
    Unit.objects.bulk_create(Unit(code=f"xa-{n}", name=name, block=xa) for n, name in enumerate(names))
    period = Period.objects.create(
        year=2025, block=xa, status=Period.Status.PUBLISHED, grade_scheme=GradeScheme.objects.get(is_default=True)
    )
    version = ResultVersion.objects.create(period=period, number=1, block_name=xa.name, block_phrase=xa.title_phrase)
    units = Unit.objects.filter(block=xa).order_by("code")
    Result.objects.bulk_create(
        Result(period=period, version=version, unit=u, unit_name=u.name, total=Decimal(50), grade="Đạt",
               grade_code="dat", rank=n, position=n)
        for n, u in enumerate(units, start=1)
    )  # fmt: skip
    ResultVersion.objects.filter(pk=version.pk).update(is_current=True, sealed=True)
    search.refresh()
    assert SearchName.objects.count() == 3321
    with django_assert_max_num_queries(3):
        hits = [hit.unit.name for hit in public.search("huong thuy")]
    assert len(hits) == 50 and all("Hương Thủy" in hit for hit in hits[:5])
    assert all("Hương" in hit and "Thủy" in hit for hit in hits)
    with django_assert_max_num_queries(3):
        assert len(public.search("x")) == 50  # every xã: the first 50, from a bounded query
    # The page: the site's stamp (2 queries) and the search.
    cache.clear()
    with django_assert_max_num_queries(5):
        html = client.get("/tim-kiem/", {"q": "ubnd"}).content.decode()
    assert "hiện 50 đơn vị đầu" in html


def test_the_portal_s_publication_adds_its_names_to_the_index_and_a_correction_keeps_them(client, cast):
    """A first table only adds names (the index is not read back to find what else is public); its units' own names
    are indexed beside the names printed."""
    from scoring.services import period_publish, result_version_seal

    assert found(client, "tu phap") == []
    cast.score_everything()
    cast.set_status(Period.Status.APPROVED)
    period_publish(period=cast.period, decision_number="7/QĐ-UBND", decision_date=None, by=cast.admin)
    cache.clear()  # the new generation starts when the test's transaction would have committed
    assert found(client, "tu phap") == ["Sở Tư pháp"] and found(client, "xay dung") == ["Sở Xây dựng"]
    indexed = sorted(SearchName.objects.values_list("name", flat=True))
    assert indexed == ["Sở Tư pháp", "Sở Xây dựng", "Sở Y tế"]
    # A correction reads the published names again: still exactly one entry per name.
    rows = [
        (r.unit_id, ranking.Ranked(r.unit_id, r.unit_name, r.total, r.total, r.rank, r.position,
                                   ranking.Band(r.grade_code, r.grade, None)))
        for r in Result.objects.filter(period=cast.period)
    ]  # fmt: skip
    result_version_seal(period=cast.period, rows=rows, by=cast.admin, reason="Đính chính thử")
    assert sorted(SearchName.objects.values_list("name", flat=True)) == indexed
