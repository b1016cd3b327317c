"""The hostile test files are what they claim: small on disk, huge (or lying) inside, and accepted by zipfile/openpyxl.

No database. The 1 GiB bombs are built once per module and only their first MiB is ever inflated here.
"""

from __future__ import annotations

import re
import time
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from xml.parsers import expat

import openpyxl
import pytest

from tests import hostile_files as hf

BOMB_PARTS = {
    "[Content_Types].xml",
    "_rels/.rels",
    "xl/workbook.xml",
    "xl/_rels/workbook.xml.rels",
    "xl/styles.xml",
    hf.SHEET,
}
SHEET_TAIL = b"</sheetData></worksheet>"


@pytest.fixture(scope="module")
def bombs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, int, float]]:
    """Each 1 GiB bomb with the peak traced memory (bytes) and seconds it took to build."""
    folder = tmp_path_factory.mktemp("bombs")
    built = {}
    for build in (hf.whitespace_bomb, hf.cell_bomb, hf.shared_strings_bomb):
        tracemalloc.start()
        started = time.perf_counter()
        path = build(folder / f"{build.__name__}.xlsx")
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        built[build.__name__] = (path, peak, seconds)
    return built


def read_prefix(path: Path, name: str, size: int = hf.MIB) -> bytes:
    """The first `size` bytes of a member, inflated as a stream (never the whole member)."""
    with zipfile.ZipFile(path) as archive, archive.open(name) as member:
        return member.read(size)


def info(path: Path, name: str) -> zipfile.ZipInfo:
    with zipfile.ZipFile(path) as archive:
        return archive.getinfo(name)


def names(path: Path) -> set[str]:
    with zipfile.ZipFile(path) as archive:
        return set(archive.namelist())


def test_bombs_are_built_in_little_memory(bombs):
    for path, peak, _seconds in bombs.values():
        assert peak < 50 * hf.MIB, path.name


# Real cells and strings repeat every 15 and 17 bytes, which deflate cannot squeeze as hard as whitespace.
@pytest.mark.parametrize(
    "name, member, max_size",
    [
        ("whitespace_bomb", hf.SHEET, 1.5e6),
        ("cell_bomb", hf.SHEET, 2.5e6),
        ("shared_strings_bomb", hf.SHARED_STRINGS, 3e6),
    ],
)
def test_bomb_is_small_on_disk_and_declares_a_gibibyte(bombs, name, member, max_size):
    path = bombs[name][0]
    assert 0.5e6 < path.stat().st_size < max_size
    entry = info(path, member)
    assert entry.file_size >= hf.GIB
    assert entry.compress_type == zipfile.ZIP_DEFLATED
    assert entry.compress_size < max_size
    with zipfile.ZipFile(path) as archive:
        # Everything except the big member is small and intact.
        for other in archive.infolist():
            if other.filename != member:
                assert other.file_size < 10 * hf.KIB
                archive.read(other)


def test_whitespace_bomb_is_header_rows_then_spaces(bombs):
    path = bombs["whitespace_bomb"][0]
    assert names(path) == BOMB_PARTS
    head = read_prefix(path, hf.SHEET)
    assert len(head) == hf.MIB
    assert head.startswith(b"<?xml")
    assert b'<dimension ref="A1:B2"/>' in head[:1000]
    assert f"<t>{hf.HEADER}</t>".encode() in head[:1000]
    rows_end = head.index(b"</row>", head.index(b"DV01")) + len(b"</row>")
    assert head[rows_end:] == b" " * (hf.MIB - rows_end)


def test_cell_bomb_is_header_rows_then_full_width_rows_of_ones(bombs):
    path = bombs["cell_bomb"][0]
    assert names(path) == BOMB_PARTS
    head = read_prefix(path, hf.SHEET)
    row = b"<row>" + hf.CELL * 16384 + b"</row>"
    rows_start = head.index(b"<row>")
    body = head[rows_start:]
    whole, partial = divmod(len(body), len(row))
    assert body == row * whole + row[:partial]
    # The declared dimension is the truth: two header rows plus every repeated row, up to XFD.
    rows = -(-(info(path, hf.SHEET).file_size - rows_start - len(SHEET_TAIL)) // len(row))
    dimension = re.search(rb'<dimension ref="([^"]+)"/>', head[:rows_start]).group(1).decode()
    assert dimension == f"A1:XFD{2 + rows}"
    assert rows > 4000


def test_shared_strings_bomb_is_wired_in(bombs):
    path = bombs["shared_strings_bomb"][0]
    assert names(path) == BOMB_PARTS | {hf.SHARED_STRINGS}
    with zipfile.ZipFile(path) as archive:
        assert b"/xl/sharedStrings.xml" in archive.read("[Content_Types].xml")
        assert b'Target="sharedStrings.xml"' in archive.read("xl/_rels/workbook.xml.rels")
        assert b'<c r="A1" t="s"><v>0</v></c>' in archive.read(hf.SHEET)
    head = read_prefix(path, hf.SHARED_STRINGS)
    first = f"<si><t>{hf.HEADER}</t></si>".encode()
    count = int(re.search(rb'count="(\d+)"', head).group(1))
    assert count > 60_000_000
    body = head[head.index(first) + len(first) :]
    assert body == hf.SHARED_STRING * (len(body) // 17) + hf.SHARED_STRING[: len(body) % 17]


def test_openpyxl_reads_the_head_of_the_sheet_bombs_lazily(bombs):
    # Read-only mode parses on demand, so asking for the first rows stays cheap even for a GiB.
    workbook = openpyxl.load_workbook(bombs["whitespace_bomb"][0], read_only=True)
    try:
        sheet = workbook.active
        assert (sheet.max_row, sheet.max_column) == (2, 2)
        assert next(sheet.iter_rows(max_row=1, values_only=True)) == (hf.HEADER, "Điểm")
    finally:
        workbook.close()

    workbook = openpyxl.load_workbook(bombs["cell_bomb"][0], read_only=True)
    try:
        sheet = workbook.active
        assert sheet.max_column == 16384
        first, _second, third = sheet.iter_rows(max_row=3, values_only=True)
        assert first[:2] == (hf.HEADER, "Điểm")
        assert third == (1,) * 16384
    finally:
        workbook.close()


def unit_of(build: Callable[..., Path]) -> bytes:
    return {
        hf.whitespace_bomb: b" ",
        hf.cell_bomb: b"<row>" + hf.CELL * 16384 + b"</row>",
        hf.shared_strings_bomb: hf.SHARED_STRING,
    }[build]


@pytest.mark.parametrize(
    "build, size",
    [(hf.whitespace_bomb, 8 * hf.MIB), (hf.cell_bomb, 3 * hf.MIB), (hf.shared_strings_bomb, 3 * hf.MIB)],
)
def test_small_bomb_streams_whole_with_a_good_crc(tmp_path, build, size):
    # zipfile checks the CRC and the size when a member has been read to its end. Several MiB means the repeated
    # block is written several times, then a remainder.
    path = build(tmp_path / "bomb.xlsx", unpacked=size)
    member = hf.SHARED_STRINGS if build is hf.shared_strings_bomb else hf.SHEET
    entry = info(path, member)
    assert size <= entry.file_size < size + hf.MIB
    chunks = []
    with zipfile.ZipFile(path) as archive, archive.open(member) as stream:
        while chunk := stream.read(hf.MIB):
            chunks.append(chunk)
    content = b"".join(chunks)
    assert len(content) == entry.file_size
    assert zlib.crc32(content) == entry.CRC
    unit = unit_of(build)
    assert content.count(unit) >= (size - 1000) // len(unit)
    expat.ParserCreate().Parse(content, True)  # well-formed XML


def test_small_cell_bomb_is_read_whole_by_openpyxl(tmp_path):
    path = hf.cell_bomb(tmp_path / "cells.xlsx", unpacked=256 * hf.KIB, cells_per_row=10)
    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        sheet = workbook.active
        rows = list(sheet.iter_rows(values_only=True))
    finally:
        workbook.close()
    assert (sheet.max_row, sheet.max_column) == (len(rows), 10)
    assert rows[0][:2] == (hf.HEADER, "Điểm")
    assert rows[2:] == [(1,) * 10] * (len(rows) - 2)
    assert len(rows) - 2 >= 256 * hf.KIB // 161 - 10


def test_small_shared_strings_bomb_is_loaded_by_openpyxl(tmp_path):
    path = hf.shared_strings_bomb(tmp_path / "strings.xlsx", unpacked=64 * hf.KIB)
    with zipfile.ZipFile(path) as archive:
        table = archive.read(hf.SHARED_STRINGS)
    count = table.count(b"<si>")
    assert count > (64 * hf.KIB - 300) // len(hf.SHARED_STRING)
    assert f'count="{count}" uniqueCount="{count}"'.encode() in table
    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        assert workbook.active["A1"].value == hf.HEADER
    finally:
        workbook.close()


def test_sparse_workbook_declares_the_whole_sheet(tmp_path):
    path = hf.sparse_workbook(tmp_path / "sparse.xlsx")
    assert path.stat().st_size < 10 * hf.KIB
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        xml = archive.read(hf.SHEET)
    assert {hf.SHEET, "[Content_Types].xml", "xl/workbook.xml"} <= names(path)
    assert b'<dimension ref="A1:XFD1048576" />' in xml
    assert re.findall(rb"<c\b[^>]*>", xml) == [b'<c r="XFD1048576" t="n">']

    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        sheet = workbook.active
        assert (sheet.min_row, sheet.min_column) == (1, 1)
        assert (sheet.max_row, sheet.max_column) == (1048576, 16384)
        assert sheet["XFD1048576"].value == 1
    finally:
        workbook.close()


def test_far_column_workbook_hides_xfd_from_the_declared_dimension(tmp_path):
    path = hf.far_column_workbook(tmp_path / "far.xlsx")
    assert path.stat().st_size < 10 * hf.KIB
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        xml = archive.read(hf.SHEET)
    assert b'<dimension ref="A1:A1" />' in xml
    assert b'r="XFD2"' in xml

    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        sheet = workbook.active
        assert (sheet.max_row, sheet.max_column) == (1, 1)
        # Trusting the dimension, read-only openpyxl silently drops row 2 and column XFD ...
        assert list(sheet.iter_rows(values_only=True)) == [(hf.HEADER,)]
        # ... which are there once the dimension is ignored.
        sheet.reset_dimensions()
        found = {(c.coordinate, c.value) for row in sheet.iter_rows() for c in row if c.value is not None}
        assert found == {("A1", hf.HEADER), ("XFD2", "XFD2")}
    finally:
        workbook.close()


def test_far_column_workbook_can_drop_the_dimension(tmp_path):
    path = hf.far_column_workbook(tmp_path / "far.xlsx", dimension=None)
    with zipfile.ZipFile(path) as archive:
        assert b"<dimension" not in archive.read(hf.SHEET)
    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        sheet = workbook.active
        assert sheet.max_column is None
        assert sheet["A1"].value == hf.HEADER
        assert sheet["XFD2"].value == "XFD2"
    finally:
        workbook.close()


def test_lying_size_workbook_is_caught_by_zipfile(tmp_path):
    path = hf.lying_size_workbook(tmp_path / "lying.xlsx")
    assert path.stat().st_size < 200 * hf.KIB
    entry = info(path, hf.SHEET)
    assert entry.file_size == 10 * hf.KIB

    # Beware: read() with no size inflates everything it is fed (~200 MB peak here) before the CRC check fails, so a
    # reader must read in bounded chunks and count; zipfile only guarantees it never returns the extra bytes.
    with zipfile.ZipFile(path) as archive, pytest.raises(zipfile.BadZipFile):
        archive.open(hf.SHEET).read()

    returned = 0
    with zipfile.ZipFile(path) as archive, archive.open(hf.SHEET) as stream, pytest.raises(zipfile.BadZipFile):
        while chunk := stream.read(1024):
            returned += len(chunk)
    assert returned <= entry.file_size

    # The raw deflate stream really holds ~100 MiB: inflate it in bounded steps.
    with path.open("rb") as raw:
        raw.seek(entry.header_offset + 26)
        name_length, extra_length = int.from_bytes(raw.read(2), "little"), int.from_bytes(raw.read(2), "little")
        raw.seek(name_length + extra_length, 1)
        data = raw.read(entry.compress_size)
    inflater = zlib.decompressobj(-15)
    inflated = 0
    while data and not inflater.eof:
        inflated += len(inflater.decompress(data, 4 * hf.MIB))
        data = inflater.unconsumed_tail
    assert inflater.eof
    assert inflated >= 100 * hf.MIB


def test_macro_workbook_is_a_renamed_xlsm(tmp_path):
    path = hf.macro_workbook(tmp_path / "macro.xlsx")
    assert path.stat().st_size < 10 * hf.KIB
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        assert archive.read(hf.VBA_PROJECT).startswith(bytes.fromhex("d0cf11e0a1b11ae1"))
        assert b"macroEnabled.main+xml" in archive.read("[Content_Types].xml")
        assert b'Target="vbaProject.bin"' in archive.read("xl/_rels/workbook.xml.rels")
    assert names(path) == BOMB_PARTS | {hf.VBA_PROJECT}
    # openpyxl opens it like any workbook: "it loads" is no proof it holds no macros.
    workbook = openpyxl.load_workbook(path)
    assert workbook.active["A1"].value == hf.HEADER


@pytest.mark.parametrize("count", [0, 1, 2, 5, 64, 1000])
def test_repeated_crc_matches_hashing_every_copy(count):
    # The 1 GiB members are never hashed whole here, so their CRC shortcut is checked against the plain way.
    data = bytes(range(256)) * 3 + b"tail"
    expected = 0x1234ABCD
    for _ in range(count):
        expected = zlib.crc32(data, expected)
    assert hf._crc32_repeat(data, count, 0x1234ABCD) == expected
