"""The criteria workbook template (tệp mẫu bộ tiêu chí): what the importer reads, written out as an example.

One workbook, built here and nowhere else: the import page offers it for download, and
`manage.py criteria_template -o fixtures/bo-tieu-chi-mau.xlsx` writes the copy kept in the repository. Its first
sheet is a small but real-shaped set (ragged depth, an area scored directly, a survey area, a bonus group, a
deduction leaf, maxima in 0.25 and 0.5 steps adding up to 100) that imports without a problem; its second sheet,
"Hướng dẫn", says how to write one. The method words come from the importer's own list (`METHODS`).
"""

from decimal import Decimal
from io import BytesIO

from openpyxl import Workbook

from cchc_portal.lib.xlsx_write import HEADER_FILL, print_setup, put
from scoring.imports.criteria import method_of, method_words
from scoring.models import Method
from scoring.tree import CriteriaTree, CriterionRow, TreeCounts

SHEET = "Bộ tiêu chí"
GUIDE_SHEET = "Hướng dẫn"
HEADER = ("Mã", "Nội dung", "Điểm tối đa", "Cách chấm")
FILE_NAME = "bo-tieu-chi-mau.xlsx"
TEXT_ROWS = 300  # rows whose code cell is formatted as text before anyone types into it

# code, title, maximum, method word: a provincial department's set, made small.
EXAMPLE = [
    ("1", "Công tác chỉ đạo, điều hành cải cách hành chính", "10", "tự đánh giá"),
    ("1.1", "Kế hoạch cải cách hành chính năm", "3.5", "tự đánh giá"),
    ("1.1.1", "Ban hành kế hoạch đúng thời hạn", "1", "tự đánh giá"),
    ("1.1.2", "Mức độ hoàn thành kế hoạch", "2.5", "tự đánh giá"),
    ("1.2", "Báo cáo cải cách hành chính định kỳ", "1.5", "tự đánh giá"),
    ("1.3", "Kiểm tra công tác cải cách hành chính", "2.75", "tự đánh giá"),
    ("1.3.1", "Tỷ lệ đơn vị trực thuộc được kiểm tra", "1.25", "tự đánh giá"),
    ("1.3.2", "Xử lý vấn đề phát hiện qua kiểm tra", "1.5", "tự đánh giá"),
    ("1.4", "Tuyên truyền cải cách hành chính", "2.25", "tự đánh giá"),
    ("2", "Cải cách thủ tục hành chính", "15.5", "tự đánh giá"),
    ("2.1", "Công bố, công khai thủ tục hành chính", "4.5", "tự đánh giá"),
    ("2.2", "Tỷ lệ hồ sơ giải quyết đúng hạn", "6", "tự đánh giá"),
    ("2.3", "Tiếp nhận, xử lý phản ánh, kiến nghị", "5", "tự đánh giá"),
    ("3", "Cải cách tài chính công", "8.5", "tự đánh giá"),
    ("4", "Cải cách chế độ công vụ", "14", "tự đánh giá"),
    ("4.1", "Vị trí việc làm, cơ cấu ngạch công chức", "7.5", "tự đánh giá"),
    ("4.2", "Kỷ luật, kỷ cương hành chính", "6.5", "tự đánh giá"),
    ("5", "Xây dựng chính quyền điện tử, chính quyền số", "22", "tự đánh giá"),
    ("5.1", "Hệ thống quản lý văn bản và điều hành", "10.75", "tự đánh giá"),
    ("5.2", "Dịch vụ công trực tuyến toàn trình", "11.25", "tự đánh giá"),
    ("6", "Chỉ số hài lòng của người dân, tổ chức", "30", "điều tra xã hội học"),
    ("6.1", "Hài lòng về tiếp cận dịch vụ", "15", "điều tra xã hội học"),
    ("6.2", "Hài lòng về kết quả giải quyết công việc", "15", "điều tra xã hội học"),
    ("7", "Điểm thưởng", "2", "điểm thưởng"),
    ("7.1", "Sáng kiến cải cách hành chính được công nhận", "1.5", "điểm thưởng"),
    ("7.2", "Được khen thưởng về cải cách hành chính", "0.5", "điểm thưởng"),
    ("8", "Điểm trừ: chậm nộp báo cáo cải cách hành chính", "1", "điểm trừ"),
]

# What each method means for the people who score it (the guide's words; the accepted words come from METHODS).
METHOD_MEANING = {
    Method.SELF: "đơn vị tự chấm kèm tài liệu kiểm chứng, Sở Nội vụ thẩm định; điểm thẩm định được tính.",
    Method.SURVEY: "Sở Nội vụ nhập kết quả điều tra xã hội học; đơn vị không tự chấm.",
    Method.BONUS: "đơn vị đề nghị kèm minh chứng, Sở Nội vụ công nhận; cộng vào tổng điểm, nằm ngoài 100 điểm.",
    Method.DEDUCTION: "Sở Nội vụ chấm, có lý do; trừ khỏi tổng điểm, nằm ngoài 100 điểm.",
}


def example_rows() -> list[CriterionRow]:
    """The example set as the importer reads it (rows numbered as in the workbook: the header is row 1)."""
    return [
        CriterionRow(number, code, title, Decimal(maximum), method_of(word))
        for number, (code, title, maximum, word) in enumerate(EXAMPLE, start=2)
    ]


def example_counts() -> TreeCounts:
    return CriteriaTree.from_rows(example_rows()).counts()


def guide_lines() -> list[tuple[str, str]]:
    """The guide, as (kind, text) lines: "title", "heading" or "text"."""
    words = {label: ", ".join(f"“{w}”" for w in found) for label, found in method_words()}
    methods = [
        ("text", f"{Method(method).label}: {meaning} Từ được nhận: {words[Method(method).label]}.")
        for method, meaning in METHOD_MEANING.items()
    ]
    return [
        ("title", "Cách viết tệp bộ tiêu chí để nhập vào cổng"),
        ("heading", "Các cột"),
        (
            "text",
            "Trang tính đầu tiên là bộ tiêu chí. Dòng không trống đầu tiên là dòng tiêu đề, có bốn cột: Mã, Nội dung, "
            "Điểm tối đa, Cách chấm (hoặc code, title, max_points, method); các cột khác được bỏ qua. Mỗi tiêu chí "
            "một dòng; không gộp ô, không dùng công thức.",
        ),
        ("heading", "Mã và cây tiêu chí"),
        (
            "text",
            "Mã là văn bản: cột Mã của tệp này đã định dạng Văn bản (Text). Gõ 3.10 vào ô kiểu số thì Excel đổi "
            "thành 3.1, một tiêu chí khác.",
        ),
        (
            "text",
            "Cây được đọc từ mã, các cấp cách nhau bằng dấu chấm: 1 là lĩnh vực, 1.1 là tiêu chí của lĩnh vực 1, "
            "1.1.2 là tiêu chí thành phần của tiêu chí 1.1. Tiêu chí cha là phần mã trước dấu chấm cuối cùng.",
        ),
        (
            "text",
            "Tiêu chí con đặt ngay dưới tiêu chí cha của nó; thứ tự dòng là thứ tự cổng hiển thị. Tiêu chí hay lĩnh "
            "vực không có tiêu chí con thì được chấm thẳng (như lĩnh vực 3 của ví dụ).",
        ),
        ("heading", "Điểm tối đa"),
        (
            "text",
            "Số không âm, tối đa 3 chữ số thập phân, thường theo bước 0,25 hoặc 0,5; dấu phẩy hay dấu chấm thập "
            "phân đều được.",
        ),
        (
            "text",
            "Điểm tối đa của tiêu chí cha bằng tổng điểm tối đa của các tiêu chí con cùng loại: tiêu chí chấm điểm "
            "cộng vào lĩnh vực, điểm thưởng cộng vào nhóm điểm thưởng, điểm trừ cộng vào nhóm điểm trừ.",
        ),
        (
            "text",
            "Các lĩnh vực chấm điểm (cấp trên cùng) cộng lại bằng tổng điểm khai báo khi nhập (mặc định 100). "
            "Điểm thưởng và điểm trừ nằm ngoài tổng này.",
        ),
        ("heading", "Cách chấm"),
        *methods,
        (
            "text",
            "Để trống là tự đánh giá. Không phân biệt chữ hoa, chữ thường. Cụm từ gõ không dấu (“diem thuong”, "
            "“dieu tra”) cũng được nhận; từ đơn phải có dấu (“thưởng”, “trừ”), vì “thuong” có thể là chữ khác.",
        ),
        (
            "text",
            "Dòng nhóm (dòng có tiêu chí con) được ghi theo các tiêu chí con của nó: nhóm mà mọi tiêu chí con là "
            "điểm thưởng là nhóm điểm thưởng, dù ô Cách chấm của dòng nhóm ghi gì.",
        ),
        ("heading", "Điểm thưởng"),
        (
            "text",
            "Viết một dòng nhóm “Điểm thưởng” ở cấp trên cùng (ví dụ mã 7), rồi ngay dưới là các tiêu chí điểm "
            "thưởng (7.1, 7.2) với cách chấm “điểm thưởng”. Điểm tối đa của nhóm bằng tổng điểm tối đa của các "
            "tiêu chí trong nhóm; nhóm không tính vào 100 điểm.",
        ),
        ("heading", "Điểm trừ"),
        (
            "text",
            "Mỗi khoản trừ một dòng với cách chấm “điểm trừ”; điểm tối đa ghi số dương (mức trừ nhiều nhất), "
            "điểm chấm được trừ khỏi tổng. Có thể đứng riêng ở cấp trên cùng (như mã 8 của ví dụ) hoặc gom vào một "
            "nhóm “Điểm trừ” viết như nhóm điểm thưởng.",
        ),
        ("heading", "Tiêu chí không áp dụng"),
        (
            "text",
            "Không ghi trong tệp: bộ tiêu chí dùng chung cho cả khối. Khi một tiêu chí không áp dụng với một đơn "
            "vị, Sở Nội vụ đánh dấu “Không áp dụng” cho đơn vị đó trên trang chấm điểm của đơn vị. Chỉ số của đơn "
            "vị khi đó = điểm đạt ÷ điểm tối đa của các tiêu chí áp dụng × 100 (ví dụ 68,32 điểm trên 84 điểm áp "
            "dụng: 81,33).",
        ),
        ("heading", "Ví dụ trong tệp này"),
        (
            "text",
            f"Trang tính “{SHEET}” là một bộ nhỏ làm ví dụ: {example_counts().sentence()}. Xóa các dòng ví dụ, giữ "
            "dòng tiêu đề, rồi ghi bộ tiêu chí của năm.",
        ),
    ]


def criteria_template() -> bytes:
    """The template workbook: the example set on the first sheet, the guide on the second."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    for column, title in enumerate(HEADER, start=1):
        put(ws, 1, column, title, bold=True, background=HEADER_FILL)
    for number, (code, title, maximum, word) in enumerate(EXAMPLE, start=2):
        put(ws, number, 1, code, number_format="@", bold="." not in code)
        put(ws, number, 2, title, wrap=True, bold="." not in code)
        put(ws, number, 3, Decimal(maximum), align="right")
        put(ws, number, 4, word)
    for number in range(len(EXAMPLE) + 2, TEXT_ROWS + 1):
        ws.cell(row=number, column=1).number_format = "@"  # a code typed later stays text
    for letter, width in (("A", 10), ("B", 60), ("C", 13), ("D", 22)):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    print_setup(ws, title_rows="1:1")

    guide = wb.create_sheet(GUIDE_SHEET)
    guide.column_dimensions["A"].width = 110
    for number, (kind, text) in enumerate(guide_lines(), start=1):
        put(guide, number, 1, text, bold=kind != "text", size=14 if kind == "title" else 12, wrap=True, border=False)
    print_setup(guide)

    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
