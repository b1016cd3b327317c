"""What kind of file an evidence upload (tài liệu kiểm chứng) really is, judged by its content.

The uploaded file's name and the browser's content type are never trusted: `sniff` looks at the bytes,
`check_evidence_file` turns that into a yes/no with a Vietnamese message naming the file, and
`safe_storage_name` gives the name to store it under (the user's name is kept only for display).

Standard library only, no Django: the caller passes any seekable binary file object (a Django
``UploadedFile`` works, as does ``io.BytesIO`` or an open file).

Office Open XML files (.docx, .xlsx) are zips. They are recognised from the zip's name list alone —
nothing is ever extracted — and zips that look like zip bombs are refused (see `_zip_kind`).
"""

from __future__ import annotations

import math
import os
import re
import struct
import zipfile
from dataclasses import dataclass

MAX_EVIDENCE_BYTES = 10 * 1024 * 1024  # 10 MiB

_MIB = 1024 * 1024

# Zip-bomb guards, applied to the sizes the zip's central directory declares (nothing is decompressed).
MAX_ZIP_ENTRIES = 5_000
MAX_ZIP_UNCOMPRESSED_BYTES = 300 * _MIB
# The central directory, which zipfile reads whole into one object per entry before anything can be checked:
# 5,000 entries with names of a usual length take well under this.
MAX_ZIP_DIRECTORY_BYTES = 1 * _MIB
# Deflate cannot do better than about 1032:1; ordinary Office XML stays far below this ratio.
MAX_ZIP_ENTRY_RATIO = 500
# Small entries may compress absurdly well (a few KB of blanks) without being a threat.
_RATIO_CHECK_MIN_BYTES = 1 * _MIB

_HEAD_BYTES = 16


@dataclass(frozen=True)
class FileKind:
    code: str
    label: str  # Vietnamese, shown to users
    extensions: tuple[str, ...]  # lowercase, with the dot; the first is used for storage
    content_type: str  # the content type to serve the file with


PDF = FileKind("pdf", "PDF", (".pdf",), "application/pdf")
PNG = FileKind("png", "Ảnh PNG", (".png",), "image/png")
JPEG = FileKind("jpeg", "Ảnh JPEG", (".jpg", ".jpeg"), "image/jpeg")
GIF = FileKind("gif", "Ảnh GIF", (".gif",), "image/gif")
WEBP = FileKind("webp", "Ảnh WebP", (".webp",), "image/webp")
DOCX = FileKind(
    "docx",
    "Tài liệu Word (.docx)",
    (".docx",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
)
XLSX = FileKind(
    "xlsx",
    "Bảng tính Excel (.xlsx)",
    (".xlsx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)
# An OLE2 compound file may be a .doc or an .xls (or another OLE2 format); which one is not decided here,
# so it is served as an opaque download.
DOC_XLS = FileKind("doc_xls", "Tài liệu Word/Excel cũ (.doc/.xls)", (".doc", ".xls"), "application/octet-stream")

KINDS: dict[str, FileKind] = {kind.code: kind for kind in (PDF, PNG, JPEG, GIF, WEBP, DOCX, XLSX, DOC_XLS)}
# Every extension some kind accepts, e.g. for an <input accept="..."> hint (the check itself is by content).
ALLOWED_EXTENSIONS: tuple[str, ...] = tuple(ext for kind in KINDS.values() for ext in kind.extensions)


class EvidenceFileError(ValueError):
    """Raised with a Vietnamese message naming the file."""


E_TOO_LARGE = 'Tệp "{name}" có dung lượng {size} MB, vượt quá giới hạn {limit} MB.'
E_EMPTY = 'Tệp "{name}" rỗng.'
E_UNKNOWN_TYPE = (
    'Tệp "{name}" không phải PDF, ảnh (PNG, JPEG, GIF, WebP), Word hoặc Excel (kiểm tra theo nội dung tệp).'
)
E_NAME_MISMATCH = 'Tệp "{name}" có phần mở rộng "{ext}" nhưng nội dung là {label}; hãy đổi tên tệp cho đúng loại.'

NO_EXTENSION = "(không có)"

_PDF_MAGIC = b"%PDF-"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"
_GIF_MAGICS = (b"GIF87a", b"GIF89a")
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"

_CONTENT_TYPES = "[Content_Types].xml"
_DOCX_MAIN = "word/document.xml"
_XLSX_MAIN = "xl/workbook.xml"
# Present in macro-enabled documents (.docm, .xlsm) — refused even when renamed to .docx/.xlsx.
_VBA_PROJECTS = ("word/vbaProject.bin", "xl/vbaProject.bin")

_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]+")


def sniff(fileobj) -> FileKind | None:
    """The kind of file `fileobj` holds, judged by its bytes, or None if it is not an accepted kind.

    `fileobj` must be a seekable binary file object. It is read from the start, and left positioned at 0.
    """
    fileobj.seek(0)
    try:
        head = fileobj.read(_HEAD_BYTES)
        if not isinstance(head, bytes | bytearray):
            return None
        head = bytes(head)
        if head.startswith(_PDF_MAGIC):
            return PDF
        if head.startswith(_PNG_MAGIC):
            return PNG
        if head.startswith(_JPEG_MAGIC):
            return JPEG
        if head.startswith(_GIF_MAGICS):
            return GIF
        if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
            return WEBP
        if head.startswith(_OLE2_MAGIC):
            return DOC_XLS
        if head.startswith(_ZIP_MAGIC):
            fileobj.seek(0)
            return _zip_kind(fileobj)
        return None
    finally:
        fileobj.seek(0)


_END = struct.Struct("<4s4H2LH")  # end of central directory record
_END64_LOCATOR = struct.Struct("<4sLQL")
_END64 = struct.Struct("<4sQ2H2L4Q")  # ZIP64 end of central directory record


def zip_directory_fits(fileobj) -> bool:
    """Whether a zip's central directory is small enough to be listed: at most MAX_ZIP_ENTRIES entries in at
    most MAX_ZIP_DIRECTORY_BYTES, as its end records declare (the ZIP64 one when present, as zipfile reads
    it). zipfile itself lists every entry before anything can be checked: 200,000 empty entries fit in a
    17 MB file and cost seconds and 200 MB. A file without an end record is left to zipfile to refuse."""
    fileobj.seek(0, os.SEEK_END)
    size = fileobj.tell()
    start = max(0, size - _END.size - 0xFFFF)  # the record, and a comment of at most 64 KiB after it
    fileobj.seek(start)
    tail = fileobj.read(size - start)
    fileobj.seek(0)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < _END.size:
        return True
    entries, directory = _END.unpack_from(tail, at)[4:6]
    locator = at - _END64_LOCATOR.size
    if locator >= 0 and tail[locator : locator + 4] == b"PK\x06\x07":
        record = locator - _END64.size
        if record < 0 or tail[record : record + 4] != b"PK\x06\x06":
            return False
        entries, directory = _END64.unpack_from(tail, record)[7:9]
    return entries <= MAX_ZIP_ENTRIES and directory <= MAX_ZIP_DIRECTORY_BYTES


def _zip_kind(fileobj) -> FileKind | None:
    """DOCX or XLSX if the zip's name list says so; None for any other zip, a broken one, or a likely zip bomb.

    Only the central directory is read. The size guards use the sizes it declares; a zip that lies about them
    is not caught here, but nothing is decompressed here either.
    """
    if not zip_directory_fits(fileobj):
        return None
    try:
        with zipfile.ZipFile(fileobj) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError):
        return None
    if not infos or len(infos) > MAX_ZIP_ENTRIES:
        return None
    # Entries sharing their local header are the "overlapping files" kind of zip bomb.
    if len({info.header_offset for info in infos}) != len(infos):
        return None
    if sum(info.file_size for info in infos) > MAX_ZIP_UNCOMPRESSED_BYTES:
        return None
    for info in infos:
        if info.file_size >= _RATIO_CHECK_MIN_BYTES and info.file_size > MAX_ZIP_ENTRY_RATIO * max(
            info.compress_size, 1
        ):
            return None

    return office_kind({info.filename for info in infos})


def office_kind(names: set[str]) -> FileKind | None:
    """DOCX or XLSX from a zip's name list; None for anything else, macro-enabled documents included."""
    if _CONTENT_TYPES not in names or has_macros(names):
        return None
    is_docx = _DOCX_MAIN in names
    is_xlsx = _XLSX_MAIN in names
    if is_docx and not is_xlsx:
        return DOCX
    if is_xlsx and not is_docx:
        return XLSX
    return None


def has_macros(names: set[str]) -> bool:
    return bool(names.intersection(_VBA_PROJECTS))


def _extension(name: str) -> str:
    """The lowercased extension of the file name's last path component ("" if none)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return os.path.splitext(base)[1].lower()


def megabytes(size: int) -> str:
    """A size in MB the Vietnamese way, one decimal at most, rounded up (so an oversized file never shows as
    the limit): 10 MiB is "10", 10 MiB + 1 byte is "10,1"."""
    tenths = math.ceil(size * 10 / _MIB)
    return str(tenths // 10) if tenths % 10 == 0 else f"{tenths // 10},{tenths % 10}"


def check_evidence_file(fileobj, name: str, size: int) -> FileKind:
    """The kind of an uploaded evidence file, or EvidenceFileError with a Vietnamese message naming it.

    Checked in order: empty, too large, not an accepted kind (by content), extension not matching the content.
    `size` is the upload's size in bytes (as the server received it); `name` is the user's file name, used only
    for messages and the extension check.
    """
    if size <= 0:
        raise EvidenceFileError(E_EMPTY.format(name=name))
    if size > MAX_EVIDENCE_BYTES:
        raise EvidenceFileError(
            E_TOO_LARGE.format(name=name, size=megabytes(size), limit=megabytes(MAX_EVIDENCE_BYTES))
        )
    kind = sniff(fileobj)
    if kind is None:
        raise EvidenceFileError(E_UNKNOWN_TYPE.format(name=name))
    ext = _extension(name)
    if ext not in kind.extensions:
        raise EvidenceFileError(E_NAME_MISMATCH.format(name=name, ext=ext or NO_EXTENSION, label=kind.label))
    return kind


def safe_storage_name(kind: FileKind, token: str) -> str:
    """The name to store the file under: the caller's random token plus the kind's canonical extension.

    The user's file name never reaches storage. `token` (e.g. ``uuid4().hex``) must be letters, digits, "_" or "-".
    """
    if not _TOKEN_RE.fullmatch(token):
        raise ValueError(f"unsafe storage token: {token!r}")
    return f"{token}{kind.extensions[0]}"
