"""Hostile spreadsheet uploads for tests: sparse sheets, lying dimensions, zip bombs, lying sizes, macros.

Django-free on purpose, so the import and upload checks can be tested against real files of any size. The bombs are
written straight to disk from a few pre-compressed blocks, and their CRCs come from the block's CRC without hashing
every copy: building one holds a few MB at most, whatever it declares, and takes a few tens of milliseconds.

Deflate gives ~1030:1 only for runs with a period of at most 4 bytes (whitespace). Repeated XML items need a match
distance equal to their length, and deflate spends raw extra bits on that distance (2 bits for 13-16 bytes, 3 for
17-24, 6 for 129-256), so real repeated cells or strings compress ~400-500:1 at best. Hence the compact defaults below.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter

KIB = 1 << 10
MIB = 1 << 20
GIB = 1 << 30

SHEET = "xl/worksheets/sheet1.xml"
SHARED_STRINGS = "xl/sharedStrings.xml"
VBA_PROJECT = "xl/vbaProject.bin"

HEADER = "Mã đơn vị"

# One chunk of a member's content, written `count` times in a row.
Piece = tuple[bytes, int]

_BLOCK = MIB  # target size of the repeated uncompressed block: small enough to keep memory flat
_FINAL_EMPTY_BLOCK = b"\x03\x00"  # a fixed-Huffman deflate block with BFINAL set and nothing in it
_DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01, so the files are byte-for-byte reproducible

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_DECL = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

_CT_WORKBOOK = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
_CT_MACRO_WORKBOOK = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
_CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
_CT_SHARED_STRINGS = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_CT_VBA = "application/vnd.ms-office.vbaProject"

# Minimal but complete, so openpyxl does not warn about a workbook without a default style.
_STYLES = f"""<styleSheet xmlns="{_MAIN_NS}">
<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>
<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""

_WORKBOOK_HEAD = (
    f'<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets>'
).encode()
_WORKBOOK_TAIL = b"</workbook>"
# The smallest element there is, repeated every 4 bytes: what deflate packs hardest (about 1,000 to 1).
JUNK = b"<x/>"

# Two rows of real cells ahead of each bomb's payload, so it looks like an ordinary import file.
_HEADER_ROWS = (
    f'<row r="1"><c r="A1" t="inlineStr"><is><t>{HEADER}</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>Điểm</t></is></c></row>'
    '<row r="2"><c r="A2" t="inlineStr"><is><t>DV01</t></is></c><c r="B2"><v>1</v></c></row>'
).encode()
_SHEET_TAIL = b"</sheetData></worksheet>"

# `t="n"` is the default cell type; leaving it out makes the period 15 bytes, which deflate codes more cheaply.
CELL = b"<c><v>1</v></c>"
SHARED_STRING = b"<si><t>x</t></si>"
# An OLE compound-file signature, which is what a real vbaProject.bin starts with.
_VBA_BYTES = bytes.fromhex("d0cf11e0a1b11ae1") + bytes(504)


@dataclass(frozen=True)
class _Member:
    """One zip entry, described as pieces so a huge entry never exists in memory."""

    name: str
    pieces: Sequence[Piece]
    declared_size: int | None = None  # set to lie about the uncompressed size


def _deflate(data: bytes) -> bytes:
    """Raw deflate from a fresh state, ending on a byte boundary so copies can be concatenated.

    A fresh compressor never refers back past its own input, and a full flush ends on a non-final block, so the same
    output can be written any number of times in a row and still form one valid deflate stream.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15, 9)
    return compressor.compress(data) + compressor.flush(zlib.Z_FULL_FLUSH)


def _repeat(unit: bytes, total: int) -> list[Piece]:
    """At least `total` bytes of `unit` copies, as one ~1 MiB block repeated plus a remainder."""
    units = max(1, -(-total // len(unit)))
    per_block = max(1, min(units, _BLOCK // len(unit)))
    full, rest = divmod(units, per_block)
    pieces: list[Piece] = [(unit * per_block, full)]
    if rest:
        pieces.append((unit * rest, 1))
    return pieces


def _crc32_repeat(data: bytes, count: int, crc: int = 0) -> int:
    """zlib.crc32 of `data` written `count` times, in O(log count) steps instead of hashing every copy.

    A CRC update over fixed data is affine in the running value (c -> A.c ^ b over GF(2)), so the map for `data` is
    read off with 33 CRCs of it and then raised to the `count`-th power by squaring.
    """
    base = zlib.crc32(data)
    columns = [zlib.crc32(data, 1 << bit) ^ base for bit in range(32)]  # A's image of each bit

    def linear(value: int) -> int:
        out = 0
        for bit in range(32):
            if value >> bit & 1:
                out ^= columns[bit]
        return out

    while count:
        if count & 1:
            crc = linear(crc) ^ base
        columns, base = [linear(column) for column in columns], linear(base) ^ base  # the map for `data` twice
        count >>= 1
    return crc


def _write_zip(path: Path, members: Sequence[_Member]) -> Path:
    """Write a plain (non-ZIP64) deflate zip, streaming each member's pre-compressed pieces."""
    central = bytearray()
    with path.open("wb") as out:
        for member in members:
            compressed = [(_deflate(data), count) for data, count in member.pieces]
            crc, size = 0, 0
            for data, count in member.pieces:
                size += len(data) * count
                crc = _crc32_repeat(data, count, crc)
            compressed_size = sum(len(data) * count for data, count in compressed) + len(_FINAL_EMPTY_BLOCK)
            declared = size if member.declared_size is None else member.declared_size
            if max(compressed_size, declared) >= 0xFFFFFFFF:
                raise ValueError(f"{member.name} needs ZIP64, which this writer does not do")
            name = member.name.encode()
            # version needed, flags, method, time, date, crc, sizes, name length, extra length
            fields = struct.pack("<HHHHHIIIHH", 20, 0, 8, 0, _DOS_DATE, crc, compressed_size, declared, len(name), 0)
            offset = out.tell()
            out.write(b"PK\x03\x04" + fields + name)
            for data, count in compressed:
                for _ in range(count):
                    out.write(data)
            out.write(_FINAL_EMPTY_BLOCK)
            # version made by, then the same fields, then comment length, disk, attributes, local header offset
            central += b"PK\x01\x02" + struct.pack("<H", 20) + fields + struct.pack("<HHHII", 0, 0, 0, 0, offset)
            central += name
        start = out.tell()
        out.write(central)
        out.write(b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, len(members), len(members), len(central), start, 0))
    return path


def _small(name: str, text: str | bytes) -> _Member:
    data = text.encode() if isinstance(text, str) else text
    return _Member(name, [(data, 1)])


def _workbook_members(
    sheet: Sequence[Piece],
    *,
    shared_strings: Sequence[Piece] | None = None,
    macro: bool = False,
    sheet_declared_size: int | None = None,
    workbook: Sequence[Piece] | None = None,
    styles: Sequence[Piece] | None = None,
) -> list[_Member]:
    """The usual xlsx parts around the given sheet (and optional shared strings or VBA project)."""
    overrides = [
        ("/xl/workbook.xml", _CT_MACRO_WORKBOOK if macro else _CT_WORKBOOK),
        (f"/{SHEET}", _CT_WORKSHEET),
        ("/xl/styles.xml", _CT_STYLES),
    ]
    rels = [
        ("rId1", f"{_REL_NS}/worksheet", "worksheets/sheet1.xml"),
        ("rId2", f"{_REL_NS}/styles", "styles.xml"),
    ]
    if shared_strings is not None:
        overrides.append((f"/{SHARED_STRINGS}", _CT_SHARED_STRINGS))
        rels.append(("rId3", f"{_REL_NS}/sharedStrings", "sharedStrings.xml"))
    if macro:
        rels.append(("rId4", "http://schemas.microsoft.com/office/2006/relationships/vbaProject", "vbaProject.bin"))

    content_types = (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        + (f'<Default Extension="bin" ContentType="{_CT_VBA}"/>' if macro else "")
        + "".join(f'<Override PartName="{part}" ContentType="{ct}"/>' for part, ct in overrides)
        + "</Types>"
    )
    package_rels = (
        f'<Relationships xmlns="{_PKG_REL_NS}">'
        f'<Relationship Id="rId1" Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    if workbook is None:
        workbook = [(_WORKBOOK_HEAD + _WORKBOOK_TAIL, 1)]
    workbook_rels = (
        f'<Relationships xmlns="{_PKG_REL_NS}">'
        + "".join(f'<Relationship Id="{rid}" Type="{kind}" Target="{target}"/>' for rid, kind, target in rels)
        + "</Relationships>"
    )
    members = [
        _small("[Content_Types].xml", content_types),
        _small("_rels/.rels", package_rels),
        _Member("xl/workbook.xml", workbook),
        _small("xl/_rels/workbook.xml.rels", workbook_rels),
        _Member("xl/styles.xml", styles) if styles is not None else _small("xl/styles.xml", _STYLES),
        _Member(SHEET, sheet, sheet_declared_size),
    ]
    if shared_strings is not None:
        members.append(_Member(SHARED_STRINGS, shared_strings))
    if macro:
        members.append(_small(VBA_PROJECT, _VBA_BYTES))
    return members


def _sheet_head(ref: str) -> bytes:
    return _XML_DECL + f'<worksheet xmlns="{_MAIN_NS}"><dimension ref="{ref}"/><sheetData>'.encode()


def _padded_sheet(unit: bytes, unpacked: int, row_width: int | None = None) -> list[Piece]:
    """A sheet of at least `unpacked` bytes: the header rows, then `unit` repeated inside <sheetData>.

    The declared dimension is the true one: the header rows alone, or with `row_width` (`unit` is then one row of
    that many cells) the repeated rows too. openpyxl's read-only mode stops at the declared last row, so a smaller,
    lying dimension would hide the repeated rows from it rather than make them hurt.
    """
    # No real head is shorter than this one, so the sheet is never short of `unpacked`.
    body = _repeat(unit, unpacked - len(_sheet_head("A1:B2")) - len(_HEADER_ROWS) - len(_SHEET_TAIL))
    ref = "A1:B2"
    if row_width is not None:
        rows = sum(len(data) // len(unit) * count for data, count in body)
        ref = f"A1:{get_column_letter(max(2, row_width))}{2 + rows}"
    return [(_sheet_head(ref) + _HEADER_ROWS, 1), *body, (_SHEET_TAIL, 1)]


def _rewrite_member(path: Path, name: str, rewrite: Callable[[bytes], bytes]) -> Path:
    """Replace one member of a small zip in place, keeping every other entry as it was."""
    with zipfile.ZipFile(path) as source:
        entries = [(info, source.read(info)) for info in source.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for info, data in entries:
            target.writestr(info, rewrite(data) if info.filename == name else data)
    path.write_bytes(buffer.getvalue())
    return path


def _set_dimension(xml: bytes, ref: str | None) -> bytes:
    """Set the sheet's declared <dimension ref>, or drop the element when `ref` is None."""
    replacement = b"" if ref is None else f'<dimension ref="{ref}" />'.encode()
    new, count = re.subn(rb"<dimension\b[^>]*/>", replacement, xml)
    if count != 1:
        raise ValueError("expected exactly one <dimension> element in the sheet")
    return new


def sparse_workbook(path: Path) -> Path:
    """~5 KB whose only cell is XFD1048576 (value 1), declaring A1:XFD1048576: a reader that allocates the declared
    grid (or iterates it) wants ~17 billion cells."""
    workbook = openpyxl.Workbook()
    workbook.active["XFD1048576"] = 1
    workbook.save(path)
    # openpyxl would declare XFD1048576:XFD1048576; the whole sheet is the harsher claim.
    return _rewrite_member(path, SHEET, lambda xml: _set_dimension(xml, "A1:XFD1048576"))


def far_column_workbook(path: Path, dimension: str | None = "A1:A1") -> Path:
    """A1 holds the header, XFD2 holds a value, and the declared dimension hides XFD (`None` drops it): a reader
    that trusts <dimension> under-counts the columns."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["A1"] = HEADER
    sheet["XFD2"] = "XFD2"
    workbook.save(path)
    return _rewrite_member(path, SHEET, lambda xml: _set_dimension(xml, dimension))


def whitespace_bomb(path: Path, unpacked: int = GIB) -> Path:
    """A valid xlsx whose sheet XML is ~`unpacked` bytes, nearly all spaces inside <sheetData>: ~1 MB per GiB."""
    return _write_zip(path, _workbook_members(_padded_sheet(b" ", unpacked)))


def cell_bomb(path: Path, unpacked: int = GIB, cells_per_row: int = 16384) -> Path:
    """A valid xlsx whose sheet XML is ~`unpacked` bytes of rows of `<c><v>1</v></c>` cells (no `r` attributes).

    Full-width rows (16384 cells, up to XFD) keep deflate matching at the cell's 15-byte period: ~2.1 MB per GiB and
    ~72 million cells. Ten cells per row would repeat every 161 bytes instead and make the file ~4.2 MB per GiB.
    """
    if not 1 <= cells_per_row <= 16384:
        raise ValueError("a row holds 1 to 16384 cells")
    row = b"<row>" + CELL * cells_per_row + b"</row>"
    return _write_zip(path, _workbook_members(_padded_sheet(row, unpacked, row_width=cells_per_row)))


def shared_strings_bomb(path: Path, unpacked: int = GIB, item: bytes = SHARED_STRING) -> Path:
    """A tiny sheet, but a wired-in sharedStrings.xml of ~`unpacked` bytes of `item` (~2.6 MB per GiB by default).

    openpyxl reads the whole shared-string table when the workbook is opened, even in read-only mode.
    `item=b"<si/>"` (valid, empty) repeats every 5 bytes and gives ~1.6 MB per GiB instead.
    """
    first = f"<si><t>{HEADER}</t></si>".encode()
    tail = b"</sst>"

    def start(count: int) -> bytes:
        return _XML_DECL + f'<sst xmlns="{_MAIN_NS}" count="{count}" uniqueCount="{count}">'.encode()

    # No real start tag is shorter than this one, so the table is never short of `unpacked`.
    body = _repeat(item, unpacked - len(start(0)) - len(first) - len(tail))
    head = start(1 + sum(len(data) // len(item) * times for data, times in body))
    sheet = _sheet_head("A1") + b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>' + _SHEET_TAIL
    members = _workbook_members([(sheet, 1)], shared_strings=[(head + first, 1), *body, (tail, 1)])
    return _write_zip(path, members)


def lying_size_workbook(path: Path, declared: int = 10 * KIB, actual: int = 100 * MIB) -> Path:
    """An xlsx whose sheet entry declares `declared` uncompressed bytes (local and central headers alike) while its
    deflate stream inflates to ~`actual` bytes; the CRC is that of the real content, so zipfile raises BadZipFile."""
    return _write_zip(path, _workbook_members(_padded_sheet(b" ", actual), sheet_declared_size=declared))


def macro_workbook(path: Path) -> Path:
    """A macro-enabled workbook (with xl/vbaProject.bin) renamed to .xlsx; openpyxl opens it without complaint."""
    sheet = _sheet_head("A1:B2") + _HEADER_ROWS + _SHEET_TAIL
    return _write_zip(path, _workbook_members([(sheet, 1)], macro=True))


# --- Parts the row and cell limits do not count: each within every limit on rows, columns, cells and unpacked bytes,
# and each once cost a worker tens of seconds and gigabytes.


def styles_bomb(path: Path, styles: int = 12_000_000) -> Path:
    """~60 MB of styles.xml: `styles` cell formats (`<xf/>`), where Excel allows 64,000; ~95 KB on disk."""
    head = _STYLES.split("<cellXfs")[0].encode() + f'<cellXfs count="{styles}">'.encode()
    tail = b"</cellXfs></styleSheet>"
    sheet = _sheet_head("A1:B2") + _HEADER_ROWS + _SHEET_TAIL
    pieces = [(head, 1), *_repeat(b"<xf/>", styles * 5), (tail, 1)]
    return _write_zip(path, _workbook_members([(sheet, 1)], styles=pieces))


def junk_in_sheet_data(path: Path, unpacked: int = 60 * MIB) -> Path:
    """~`unpacked` bytes of empty elements that are neither rows nor cells under <sheetData>: ~62 KB on disk."""
    return _write_zip(path, _workbook_members(_padded_sheet(JUNK, unpacked)))


def junk_in_row(path: Path, unpacked: int = 60 * MIB) -> Path:
    """The same junk inside one <row> after the header rows."""
    open_row, close_row = b'<row r="3"><c r="A3" t="inlineStr"><is><t>DV02</t></is></c>', b"</row>"
    head = _sheet_head("A1:B3") + _HEADER_ROWS + open_row
    sheet = [(head, 1), *_repeat(JUNK, unpacked - len(head)), (close_row + _SHEET_TAIL, 1)]
    return _write_zip(path, _workbook_members(sheet))


def workbook_bomb(path: Path, unpacked: int = 60 * MIB) -> Path:
    """~`unpacked` bytes of empty elements in xl/workbook.xml, after its list of sheets."""
    pieces = [(_WORKBOOK_HEAD, 1), *_repeat(JUNK, unpacked), (_WORKBOOK_TAIL, 1)]
    sheet = _sheet_head("A1:B2") + _HEADER_ROWS + _SHEET_TAIL
    return _write_zip(path, _workbook_members([(sheet, 1)], workbook=pieces))


def padded_rows(path: Path, rows: int = 40_000, column: str = "KN", dimension: bool = True) -> Path:
    """`rows` rows of one cell each, in `column` (KN: the 300th, the column limit): a reader that gives every row
    from column A to its last cell makes rows × 300 cells (12 M) out of 40,000. `dimension=False` leaves out the
    declared range, so only the rows themselves can tell. ~200 KB on disk."""
    ref = f'<dimension ref="A1:{column}{rows}"/>' if dimension else ""
    head = _XML_DECL + f'<worksheet xmlns="{_MAIN_NS}">{ref}<sheetData>'.encode()
    body = b"".join(f'<row r="{n}"><c r="{column}{n}"><v>{n}</v></c></row>'.encode() for n in range(1, rows + 1))
    return _write_zip(path, _workbook_members([(head + body + _SHEET_TAIL, 1)]))


def many_strings(path: Path, count: int = 999_999) -> Path:
    """A shared-string table of `count` strings (under the 1,000,000-cell limit) behind a one-cell sheet: ~45 KB."""
    return shared_strings_bomb(path, unpacked=count * len(SHARED_STRING))


def many_parts(path: Path, parts: int = 200_000) -> Path:
    """A small valid workbook followed by `parts` empty stored members (~17 MB, under the 20 MB upload limit), its
    end record counting only the workbook's own: zipfile reads the whole central directory, one object per entry,
    before anything can be checked."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as source:
        for member in _workbook_members([(_sheet_head("A1:B2") + _HEADER_ROWS + _SHEET_TAIL, 1)]):
            source.writestr(member.name, b"".join(data * count for data, count in member.pieces))
    with zipfile.ZipFile(buffer) as source:
        entries = [(info, source.read(info)) for info in source.infolist()]
    body, central = bytearray(), bytearray()
    for info, data in entries:
        offset, name = len(body), info.filename.encode()
        crc, size = zlib.crc32(data), len(data)
        fields = struct.pack("<HHHHHIIIHH", 20, 0, 0, 0, _DOS_DATE, crc, size, size, len(name), 0)
        body += b"PK\x03\x04" + fields + name + data
        central += b"PK\x01\x02" + struct.pack("<H", 20) + fields + struct.pack("<HHHII", 0, 0, 0, 0, offset) + name
    empty_crc = zlib.crc32(b"")
    for number in range(parts):
        offset, name = len(body), f"x/{number:x}".encode()
        fields = struct.pack("<HHHHHIIIHH", 20, 0, 0, 0, _DOS_DATE, empty_crc, 0, 0, len(name), 0)
        body += b"PK\x03\x04" + fields + name
        central += b"PK\x01\x02" + struct.pack("<H", 20) + fields + struct.pack("<HHHII", 0, 0, 0, 0, offset) + name
    count = len(entries)  # a lie zipfile does not mind: it reads as many entries as the directory's size holds
    end = b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, count, count, len(central), len(body), 0)
    path.write_bytes(bytes(body + central + end))
    return path


def attributes_bomb(path: Path, attributes: int = 1_000_000, part: str = "workbook") -> Path:
    """One element with `attributes` distinct attributes (`a0=""`, `a1=""`…), in xl/workbook.xml (`part="workbook"`)
    or on a row of the sheet (`part="sheet"`): the parser builds them all at once. 1,000,000 are ~10 MB inflated and
    ~2 MB on disk."""
    crowd = b" ".join(b'a%x=""' % number for number in range(attributes))
    sheet = _sheet_head("A1:B2") + _HEADER_ROWS + _SHEET_TAIL
    if part == "sheet":
        sheet = sheet.replace(b'<row r="2">', b'<row r="2" ' + crowd + b">")
        return _write_zip(path, _workbook_members([(sheet, 1)]))
    workbook = [(_WORKBOOK_HEAD + b"<x " + crowd + b"/>" + _WORKBOOK_TAIL, 1)]
    return _write_zip(path, _workbook_members([(sheet, 1)], workbook=workbook))
