"""Hostile workbooks sent to every door a file comes in by: each is refused with a Vietnamese message, in
under a second and under 100 MB of memory (measured with tracemalloc around the request or the command),
and nothing is written.

The files: the turn-2 bombs (sparse sheets, zip bombs, lying sizes, macros) and the parts the row and cell
limits do not count (styles, workbook, junk under <sheetData> or in a row, padded rows, a million shared strings,
one element of 100,000 attributes, 200,000 empty parts in the zip).
The doors: the score-sheet import page (unit staff and Sở Nội vụ), the criteria-set import page, the correction
of a published table, the admin's unit and block imports, and the import_scores, import_criteria and
import_results commands.
"""

import time
import tracemalloc
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client

from scoring.models import CriteriaSet, Criterion, Period, Result, Score
from tests import hostile_files
from units.models import Block, Unit

SECOND = 1.0
MEMORY = 100 * 1024 * 1024
# What each file is refused for; every door says it in the same words (the bounded reader's).
FILES = {
    "sparse": (hostile_files.sparse_workbook, "khai báo vùng dữ liệu A1:XFD1048576, vượt giới hạn"),
    "far-column": (hostile_files.far_column_workbook, "có dữ liệu ở cột XFD, vượt giới hạn 300 cột"),
    "whitespace": (hostile_files.whitespace_bomb, "khi giải nén lớn hơn 64 MB"),
    "cells": (hostile_files.cell_bomb, "khi giải nén lớn hơn 64 MB"),
    "shared-strings": (hostile_files.shared_strings_bomb, "khi giải nén lớn hơn 64 MB"),
    "lying-sizes": (hostile_files.lying_size_workbook, "tệp hỏng hoặc sai định dạng"),
    "macros": (hostile_files.macro_workbook, "là bảng tính có macro"),
    # Parts the row and cell limits do not count, each at the size that once cost a worker 1-3.5 GB.
    "styles": (hostile_files.styles_bomb, "phần định dạng ô (xl/styles.xml) có hơn 300.000 phần tử XML"),
    "junk-sheet-data": (hostile_files.junk_in_sheet_data, "(xl/worksheets/sheet1.xml) có hơn"),
    "junk-row": (hostile_files.junk_in_row, "(xl/worksheets/sheet1.xml) có hơn"),
    "workbook": (hostile_files.workbook_bomb, "phần danh sách trang tính (xl/workbook.xml) có hơn 300.000"),
    "padded-rows": (hostile_files.padded_rows, "có dữ liệu trải trên hơn 1.000.000 ô"),
    "strings": (hostile_files.many_strings, "có hơn 200.000 đoạn chữ khác nhau"),
    # 100,000 parts (~9 MB): the admin alone takes over a second to receive 18 MB, whatever the file holds.
    "attributes": (
        lambda path: hostile_files.attributes_bomb(path, attributes=100_000, part="sheet"),
        "có phần tử XML mang hơn 10.000 thuộc tính",
    ),
    "parts": (lambda path: hostile_files.many_parts(path, parts=100_000), "gồm hơn 5.000 phần nén"),
}


@pytest.fixture(scope="session")
def hostile(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("hostile")
    return {name: build(folder / f"{name}.xlsx") for name, (build, _) in FILES.items()}


def snapshot():
    return [model.objects.count() for model in (Score, Criterion, CriteriaSet, Period, Unit, Block, Result)]


def measured(action):
    """Run `action`; return what it returned, after checking it took under a second of this process's time and
    100 MB. Processor time, not the clock: on a machine busy with other work the clock measures the others."""
    tracemalloc.start()
    started = time.process_time()
    try:
        result = action()
        elapsed = time.process_time() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < SECOND, f"{elapsed:.2f} s"
    assert peak < MEMORY, f"{peak / 1024 / 1024:.0f} MiB"
    return result


def page_text(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def upload(path: Path) -> SimpleUploadedFile:
    return SimpleUploadedFile(path.name, path.read_bytes())


@pytest.fixture
def stored(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return lambda: sorted(p.name for p in (tmp_path / "imports").glob("*")) if (tmp_path / "imports").exists() else []


PARAMS = pytest.mark.parametrize("name", list(FILES))


@PARAMS
@pytest.mark.parametrize("who, kind", [("staff_a", "tu-danh-gia"), ("admin", "tham-dinh")])
def test_the_score_sheet_page_refuses_it(cast, hostile, stored, name, who, kind):
    client = Client()
    client.force_login(getattr(cast, who))
    before = snapshot()
    url = f"/cham-diem/ky/{cast.period.pk}/nhap-diem/{kind}/"
    assert client.get(url).status_code == 200  # templates compiled before anything is measured
    page = measured(lambda: page_text(client.post(url, {"file": upload(hostile[name])})))
    assert FILES[name][1] in page and "chưa ghi gì" in page
    assert snapshot() == before and stored() == []


@PARAMS
def test_the_criteria_page_refuses_it(cast, hostile, stored, name):
    client = Client()
    client.force_login(cast.admin)
    before = snapshot()
    data = {"year": 2027, "block": cast.period.block_id, "total": "100", "name": "", "file": upload(hostile[name])}
    assert client.get("/cham-diem/bo-tieu-chi/nhap/").status_code == 200
    response = measured(lambda: client.post("/cham-diem/bo-tieu-chi/nhap/", data))
    assert response.status_code == 400 and FILES[name][1] in page_text(response)
    assert snapshot() == before and stored() == [] and "criteria_import" not in client.session


@PARAMS
@pytest.mark.parametrize("model", ["unit", "block"])
def test_the_admin_import_refuses_it(db, hostile, name, model):
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("quantri", "q@example.gov.vn", "mat-khau-dai-123"))
    before = snapshot()
    url = f"/quan-tri/units/{model}/import/"
    assert client.get(url).status_code == 200
    response = measured(lambda: client.post(url, {"format": "0", "import_file": upload(hostile[name])}))
    assert response.status_code == 200 and "confirm_form" not in response.context
    assert FILES[name][1] in page_text(response)
    assert snapshot() == before


def command_error(*args) -> str:
    try:
        call_command(*args)
    except CommandError as error:
        return str(error)
    raise AssertionError("the command accepted a hostile file")


@PARAMS
def test_the_commands_refuse_it(cast, hostile, name):
    path = str(hostile[name])
    before = snapshot()
    period = ["--year", str(cast.period.year), "--block", "so"]
    for args in (
        ("import_scores", path, *period, "--kind", "appraised", "--user", cast.admin.username),
        ("import_criteria", path, "--year", "2027", "--block", "so"),
        ("import_results", path),
    ):
        message = measured(lambda args=args: command_error(*args))
        assert FILES[name][1] in message and "không ghi gì" in message, (args[0], message)
    assert snapshot() == before


@PARAMS
def test_the_correction_page_refuses_it(so, cast, hostile, name):
    """The published table's correction, from a file of results (the portal's own download edited)."""
    from tests.browser import submit_page
    from tests.conftest import publish_table

    period = publish_table(so, 2022, [("Sở Tư pháp", "88.5"), ("Sở Y tế", "87.25")])
    client = Client()
    client.force_login(cast.admin)
    url = f"/cham-diem/ky/{period.pk}/dinh-chinh/"
    decision = {"reason": "Cộng sót điểm", "decision_number": "99/QĐ-UBND", "decision_date": "2026-02-20"}
    submit_page(client, url, decision, button="open")
    before = snapshot()
    response = measured(lambda: client.post(url, {"action": "file", "file": upload(hostile[name])}))
    assert response.status_code == 302
    assert FILES[name][1] in page_text(client.get(url))
    assert snapshot() == before
