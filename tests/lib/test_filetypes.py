"""Tests for cchc_portal.lib.filetypes: real files built here, judged by content, with exact Vietnamese messages.

No database is used.
"""

import io
import struct
import zipfile
import zlib

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cchc_portal.lib import filetypes as evidence_files
from cchc_portal.lib.filetypes import (
    ALLOWED_EXTENSIONS,
    E_EMPTY,
    E_NAME_MISMATCH,
    E_TOO_LARGE,
    E_UNKNOWN_TYPE,
    KINDS,
    MAX_EVIDENCE_BYTES,
    EvidenceFileError,
    FileKind,
    check_evidence_file,
    safe_storage_name,
    sniff,
)

# --- Real files -------------------------------------------------------------------------------------------------


def pdf_bytes() -> bytes:
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bytes() -> bytes:
    """A 1×1 red RGB PNG with proper IHDR, IDAT and IEND chunks and CRCs."""
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # width, height, bit depth, RGB, deflate, filter, no interlace
    idat = zlib.compress(b"\x00\xff\x00\x00")  # filter byte 0, then one red pixel
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")


def jpeg_bytes() -> bytes:
    """SOI, an APP0 JFIF 1.01 segment (no thumbnail), EOI."""
    app0 = b"JFIF\x00" + bytes([1, 1, 0]) + struct.pack(">HH", 1, 1) + bytes([0, 0])
    return b"\xff\xd8" + b"\xff\xe0" + struct.pack(">H", len(app0) + 2) + app0 + b"\xff\xd9"


def gif_bytes() -> bytes:
    """A 1×1 GIF89a: screen descriptor, 2-colour table, image descriptor, LZW data, trailer."""
    return (
        b"GIF89a"
        + struct.pack("<HHBBB", 1, 1, 0x80, 0, 0)
        + b"\xff\xff\xff\x00\x00\x00"
        + b","
        + struct.pack("<HHHHB", 0, 0, 1, 1, 0)
        + b"\x02\x02\x44\x01\x00"
        + b";"
    )


def webp_bytes() -> bytes:
    """A RIFF/WEBP container holding a lossless (VP8L) chunk for a 1×1 image."""
    vp8l = b"\x2f" + b"\x00\x00\x00\x00" + b"\x00\x00\x00"  # signature, 14+14 bits size-1, alpha, version; data
    chunk = b"VP8L" + struct.pack("<I", len(vp8l)) + vp8l + (b"\x00" if len(vp8l) % 2 else b"")
    body = b"WEBP" + chunk
    return b"RIFF" + struct.pack("<I", len(body)) + body


def xlsx_bytes() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "Tài liệu kiểm chứng"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


DOCX_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    "</Types>"
)
DOCX_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="word/document.xml"/>'
    "</Relationships>"
)
DOCX_DOCUMENT = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    "<w:body><w:p><w:r><w:t>Báo cáo cải cách hành chính</w:t></w:r></w:p></w:body>"
    "</w:document>"
)


def zip_bytes(members: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def docx_bytes(extra: dict[str, str | bytes] | None = None) -> bytes:
    members = {"[Content_Types].xml": DOCX_CONTENT_TYPES, "_rels/.rels": DOCX_RELS, "word/document.xml": DOCX_DOCUMENT}
    return zip_bytes(members | (extra or {}))


def ole2_bytes() -> bytes:
    """An OLE2 compound file header sector (512 bytes): signature, version 3, little-endian byte order."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16) + struct.pack("<HHHH", 0x3E, 3, 0xFFFE, 9)
    return header + bytes(512 - len(header))


def odt_bytes() -> bytes:
    return zip_bytes(
        {
            "mimetype": "application/vnd.oasis.opendocument.text",
            "META-INF/manifest.xml": "<manifest/>",
            "content.xml": "<office:document-content/>",
        }
    )


def check(data: bytes, name: str) -> FileKind:
    return check_evidence_file(io.BytesIO(data), name, len(data))


def refusal(data: bytes, name: str, size: int | None = None) -> str:
    with pytest.raises(EvidenceFileError) as caught:
        check_evidence_file(io.BytesIO(data), name, len(data) if size is None else size)
    return str(caught.value)


# --- Accepted files ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "name", "code"),
    [
        (pdf_bytes, "bao-cao.pdf", "pdf"),
        (png_bytes, "anh-chup.png", "png"),
        (jpeg_bytes, "anh-chup.jpg", "jpeg"),
        (jpeg_bytes, "anh-chup.jpeg", "jpeg"),
        (gif_bytes, "bieu-do.gif", "gif"),
        (webp_bytes, "anh.webp", "webp"),
        (docx_bytes, "bao-cao.docx", "docx"),
        (xlsx_bytes, "so-lieu.xlsx", "xlsx"),
        (ole2_bytes, "bao-cao-cu.doc", "doc_xls"),
        (ole2_bytes, "so-lieu-cu.xls", "doc_xls"),
    ],
)
def test_each_accepted_kind_is_recognised_by_its_content_and_matching_name(make, name, code):
    assert check(make(), name) is KINDS[code]


def test_the_extension_check_ignores_case_and_folders_in_the_name():
    assert check(pdf_bytes(), "BAO-CAO.PDF") is KINDS["pdf"]
    assert check(xlsx_bytes(), r"C:\Tài liệu\v1.2\So Lieu.XLSX") is KINDS["xlsx"]


def test_a_vietnamese_file_name_is_accepted_as_is():
    assert check(pdf_bytes(), "Báo cáo tự đánh giá CCHC năm 2024.pdf") is KINDS["pdf"]


def test_each_kind_has_its_vietnamese_label_extensions_and_content_type():
    assert {code: (k.label, k.extensions, k.content_type) for code, k in KINDS.items()} == {
        "pdf": ("PDF", (".pdf",), "application/pdf"),
        "png": ("Ảnh PNG", (".png",), "image/png"),
        "jpeg": ("Ảnh JPEG", (".jpg", ".jpeg"), "image/jpeg"),
        "gif": ("Ảnh GIF", (".gif",), "image/gif"),
        "webp": ("Ảnh WebP", (".webp",), "image/webp"),
        "docx": (
            "Tài liệu Word (.docx)",
            (".docx",),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        "xlsx": (
            "Bảng tính Excel (.xlsx)",
            (".xlsx",),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        "doc_xls": ("Tài liệu Word/Excel cũ (.doc/.xls)", (".doc", ".xls"), "application/octet-stream"),
    }
    assert ALLOWED_EXTENSIONS == (".pdf", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".docx", ".xlsx", ".doc", ".xls")


def test_a_file_kind_cannot_be_changed():
    with pytest.raises(AttributeError):
        KINDS["pdf"].extensions = (".exe",)


# --- Refused files ----------------------------------------------------------------------------------------------


def test_an_empty_file_is_refused_as_empty():
    assert refusal(b"", "trong.pdf") == 'Tệp "trong.pdf" rỗng.'


def test_an_empty_check_comes_before_any_look_at_the_content():
    assert refusal(pdf_bytes(), "bao-cao.pdf", size=0) == E_EMPTY.format(name="bao-cao.pdf")


def test_a_file_one_byte_over_ten_mebibytes_is_refused_as_too_large():
    data = bytes(MAX_EVIDENCE_BYTES + 1)
    assert refusal(data, "quet.pdf") == 'Tệp "quet.pdf" có dung lượng 10,1 MB, vượt quá giới hạn 10 MB.'


def test_a_too_large_file_is_refused_even_when_it_is_a_real_pdf():
    data = pdf_bytes() + bytes(MAX_EVIDENCE_BYTES)
    assert refusal(data, "quet.pdf").startswith('Tệp "quet.pdf" có dung lượng 10,1 MB')


def test_the_size_in_a_too_large_message_has_one_decimal_and_a_decimal_comma():
    size = int(12.3 * 1024 * 1024)
    assert refusal(pdf_bytes(), "lon.pdf", size=size) == E_TOO_LARGE.format(name="lon.pdf", size="12,3", limit="10")


def test_a_file_of_exactly_ten_mebibytes_is_not_too_large():
    data = pdf_bytes() + bytes(MAX_EVIDENCE_BYTES - len(pdf_bytes()))
    assert len(data) == MAX_EVIDENCE_BYTES
    assert check(data, "vua-du.pdf") is KINDS["pdf"]


def test_a_text_file_renamed_to_pdf_is_refused_as_an_unknown_type():
    data = "Báo cáo tự đánh giá\n".encode()
    assert refusal(data, "bao-cao.pdf") == (
        'Tệp "bao-cao.pdf" không phải PDF, ảnh (PNG, JPEG, GIF, WebP), Word hoặc Excel (kiểm tra theo nội dung tệp).'
    )


def test_an_html_page_named_png_is_refused_as_an_unknown_type():
    data = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
    assert refusal(data, "anh.png") == E_UNKNOWN_TYPE.format(name="anh.png")


def test_a_plain_zip_archive_is_refused_even_when_named_docx():
    data = zip_bytes({"ghi-chu.txt": "Tài liệu kiểm chứng"})
    assert refusal(data, "ho-so.zip") == E_UNKNOWN_TYPE.format(name="ho-so.zip")
    assert refusal(data, "ho-so.docx") == E_UNKNOWN_TYPE.format(name="ho-so.docx")


def test_an_opendocument_text_is_refused_as_an_unknown_type():
    assert refusal(odt_bytes(), "bao-cao.odt") == E_UNKNOWN_TYPE.format(name="bao-cao.odt")


def test_a_macro_enabled_word_document_renamed_to_docx_is_refused():
    data = docx_bytes({"word/vbaProject.bin": b"\x00" * 64})
    assert refusal(data, "bao-cao.docx") == E_UNKNOWN_TYPE.format(name="bao-cao.docx")


def test_a_truncated_zip_that_only_has_the_zip_signature_is_refused():
    assert refusal(docx_bytes()[:200], "bao-cao.docx") == E_UNKNOWN_TYPE.format(name="bao-cao.docx")
    assert refusal(b"PK\x03\x04" + b"\x00" * 100, "bao-cao.docx") == E_UNKNOWN_TYPE.format(name="bao-cao.docx")


def test_a_pdf_renamed_to_docx_is_refused_naming_both():
    assert refusal(pdf_bytes(), "bao-cao.docx") == (
        'Tệp "bao-cao.docx" có phần mở rộng ".docx" nhưng nội dung là PDF; hãy đổi tên tệp cho đúng loại.'
    )


def test_an_xlsx_renamed_to_pdf_is_refused_naming_the_spreadsheet_label():
    assert refusal(xlsx_bytes(), "So-Lieu.PDF") == E_NAME_MISMATCH.format(
        name="So-Lieu.PDF", ext=".pdf", label="Bảng tính Excel (.xlsx)"
    )


def test_a_jpeg_named_png_is_refused_as_a_mismatch():
    assert refusal(jpeg_bytes(), "anh.png") == E_NAME_MISMATCH.format(name="anh.png", ext=".png", label="Ảnh JPEG")


def test_an_old_office_file_named_docx_is_refused_as_a_mismatch():
    assert refusal(ole2_bytes(), "cu.docx") == E_NAME_MISMATCH.format(
        name="cu.docx", ext=".docx", label="Tài liệu Word/Excel cũ (.doc/.xls)"
    )


def test_a_file_with_no_extension_is_refused_as_a_mismatch():
    assert refusal(pdf_bytes(), "bao-cao") == (
        'Tệp "bao-cao" có phần mở rộng "(không có)" nhưng nội dung là PDF; hãy đổi tên tệp cho đúng loại.'
    )


def test_a_dot_file_name_counts_as_having_no_extension():
    assert refusal(pdf_bytes(), ".pdf") == E_NAME_MISMATCH.format(name=".pdf", ext="(không có)", label="PDF")


def test_an_extension_on_a_folder_does_not_count_for_the_file():
    assert refusal(pdf_bytes(), "ho-so.pdf/bao-cao") == E_NAME_MISMATCH.format(
        name="ho-so.pdf/bao-cao", ext="(không có)", label="PDF"
    )


# --- Zip bombs --------------------------------------------------------------------------------------------------


def test_a_docx_shaped_zip_bomb_is_refused_without_being_extracted():
    """A 64 MiB run of zeros deflates to about 64 KB: far past the ratio any real document reaches."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", DOCX_CONTENT_TYPES)
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            chunk = bytes(1024 * 1024)
            for _ in range(64):
                member.write(chunk)
    data = buffer.getvalue()
    assert len(data) < MAX_EVIDENCE_BYTES // 10
    assert sniff(io.BytesIO(data)) is None
    assert refusal(data, "bao-cao.docx") == E_UNKNOWN_TYPE.format(name="bao-cao.docx")


def test_a_zip_declaring_too_much_uncompressed_content_is_refused(monkeypatch):
    data = docx_bytes({"word/media/anh.bin": bytes(range(256)) * 64})
    assert sniff(io.BytesIO(data)) is KINDS["docx"]
    monkeypatch.setattr(evidence_files, "MAX_ZIP_UNCOMPRESSED_BYTES", 8 * 1024)
    assert sniff(io.BytesIO(data)) is None


def test_a_zip_with_too_many_entries_is_refused(monkeypatch):
    data = docx_bytes({f"word/media/{i}.txt": "x" for i in range(20)})
    assert sniff(io.BytesIO(data)) is KINDS["docx"]
    monkeypatch.setattr(evidence_files, "MAX_ZIP_ENTRIES", 10)
    assert sniff(io.BytesIO(data)) is None


def test_a_zip_whose_directory_is_too_large_is_refused_before_zipfile_lists_it(tmp_path, monkeypatch):
    """200,000 empty entries in 17 MB, the end record counting six: zipfile would list them all (seconds, 200 MB)."""
    import time

    from tests import hostile_files

    data = hostile_files.many_parts(tmp_path / "nhieu-phan.xlsx").read_bytes()
    listed = []
    monkeypatch.setattr(evidence_files.zipfile, "ZipFile", lambda *a, **k: listed.append(1) / 0)
    started = time.perf_counter()
    assert sniff(io.BytesIO(data)) is None and listed == []
    assert time.perf_counter() - started < 0.5


def test_a_zip64_end_record_is_read_as_zipfile_reads_it():
    data = docx_bytes()
    assert evidence_files.zip_directory_fits(io.BytesIO(data))
    at = data.rindex(b"PK\x05\x06")
    end64 = struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, 9, 9, 50 * 1024 * 1024, 0)
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, at, 1)
    lying = data[:at] + end64 + locator + data[at:]
    assert not evidence_files.zip_directory_fits(io.BytesIO(lying))
    assert not evidence_files.zip_directory_fits(io.BytesIO(data[:at] + locator + data[at:]))  # no record


def test_a_zip_whose_entries_overlap_is_refused():
    """Two central-directory records pointing at the same local header: the overlapping-files zip bomb."""
    data = docx_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
        cd_offset = archive.start_dir
    central = data[cd_offset:]
    eocd_at = central.rindex(b"PK\x05\x06")
    records, eocd = central[:eocd_at], central[eocd_at:]
    first_len = 46 + len(infos[0].filename.encode()) + len(infos[0].extra) + len(infos[0].comment)
    name = infos[0].filename.encode()
    duplicate = records[:first_len].replace(name, b"z" * len(name))  # same local header, another name
    records += duplicate
    count = len(infos) + 1
    eocd = eocd[:8] + struct.pack("<HHI", count, count, len(records)) + eocd[16:]
    forged = data[:cd_offset] + records + eocd
    with zipfile.ZipFile(io.BytesIO(forged)) as archive:
        assert len(archive.infolist()) == count
    assert sniff(io.BytesIO(forged)) is None


# --- sniff --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [pdf_bytes, png_bytes, jpeg_bytes, webp_bytes, docx_bytes, xlsx_bytes, odt_bytes])
def test_sniff_leaves_the_stream_at_the_start_even_when_handed_it_midway(make):
    stream = io.BytesIO(make())
    stream.seek(7)
    sniff(stream)
    assert stream.tell() == 0


def test_sniff_leaves_the_stream_at_the_start_for_an_unknown_or_broken_file():
    for data in (b"hello", b"", b"PK\x03\x04garbage"):
        stream = io.BytesIO(data)
        stream.read()
        assert sniff(stream) is None
        assert stream.tell() == 0


def test_a_checked_file_can_be_read_again_from_the_start():
    data = xlsx_bytes()
    stream = io.BytesIO(data)
    check_evidence_file(stream, "so-lieu.xlsx", len(data))
    assert stream.read() == data


def test_sniff_reads_a_real_file_on_disk(tmp_path):
    path = tmp_path / "so-lieu.xlsx"
    path.write_bytes(xlsx_bytes())
    with path.open("rb") as handle:
        assert sniff(handle) is KINDS["xlsx"]
        assert handle.tell() == 0


def test_files_shorter_than_a_signature_are_not_recognised():
    for data in (b"%PDF", b"\x89PNG", b"\xff\xd8", b"GIF89", b"RIFF\x00\x00\x00\x00WEB", b"\xd0\xcf\x11\xe0"):
        assert sniff(io.BytesIO(data)) is None


def test_a_riff_file_that_is_not_webp_is_not_recognised():
    wav = b"RIFF" + struct.pack("<I", 36) + b"WAVEfmt " + bytes(24)
    assert sniff(io.BytesIO(wav)) is None


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=512))
def test_sniff_never_raises_and_always_rewinds_on_arbitrary_bytes(data):
    stream = io.BytesIO(data)
    kind = sniff(stream)
    assert kind is None or kind in KINDS.values()
    assert stream.tell() == 0


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=512))
def test_sniff_never_raises_on_garbage_behind_a_zip_signature(data):
    assert sniff(io.BytesIO(b"PK\x03\x04" + data)) is None


# --- safe_storage_name ------------------------------------------------------------------------------------------


def test_the_storage_name_is_the_token_and_the_kinds_first_extension():
    token = "0f3c9a7e5b2d4c1a8e6f9b0d2c4a6e8f"
    assert safe_storage_name(KINDS["pdf"], token) == f"{token}.pdf"
    assert safe_storage_name(KINDS["jpeg"], token) == f"{token}.jpg"
    assert safe_storage_name(KINDS["doc_xls"], token) == f"{token}.doc"


def test_the_storage_name_never_carries_the_users_file_name():
    kind = check(pdf_bytes(), "../../Báo cáo.pdf")
    assert safe_storage_name(kind, "abc123") == "abc123.pdf"


@pytest.mark.parametrize("token", ["", "../etc/passwd", "a/b", "a b", "tệp", "a.b"])
def test_a_token_that_could_escape_or_disguise_the_storage_name_is_rejected(token):
    with pytest.raises(ValueError, match="unsafe storage token"):
        safe_storage_name(KINDS["pdf"], token)
