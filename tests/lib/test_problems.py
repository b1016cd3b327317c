"""Every importer names the place of a problem the same way."""

from cchc_portal.lib.problems import Problem, Refused


def test_a_problem_names_its_sheet_row_column_and_header():
    assert str(Problem("điểm để trống.", sheet="Bảng điểm", row=7, column=4, label="3.1")) == (
        "Trang tính “Bảng điểm”, dòng 7, cột D (“3.1”): điểm để trống."
    )
    assert str(Problem("tên đơn vị để trống.", row=2, column=3, label="unit")) == (
        "Dòng 2, cột C (“unit”): tên đơn vị để trống."
    )
    assert str(Problem("tổng sai.", sheet="Bộ tiêu chí", label="Điểm tối đa")) == (
        "Trang tính “Bộ tiêu chí”, cột “Điểm tối đa”: tổng sai."
    )
    assert str(Problem("Tệp rỗng.")) == "Tệp rỗng."


def test_refused_keeps_every_problem_and_their_lines():
    refused = Refused([Problem("a.", row=2), "Tệp rỗng."])
    assert refused.errors == ["Dòng 2: a.", "Tệp rỗng."]
    assert str(refused) == "Dòng 2: a.\nTệp rỗng."


def test_the_same_mistake_on_several_rows_is_one_line_naming_every_row():
    def code_cell(row):
        return Problem("mã nằm trong ô kiểu số.", sheet="Bộ tiêu chí", row=row, column=1, label="Mã", value=row / 10)

    problems = [code_cell(row) for row in (3, 4, 7)]
    problems.insert(2, Problem("điểm để trống.", sheet="Bộ tiêu chí", row=5, column=3, label="Điểm tối đa"))
    problems += [code_cell(row) for row in range(9, 22)] + [Problem("Tổng sai.")]

    refused = Refused(problems)

    assert len(refused.problems) == 18  # one per cell: a marked copy still comments each one
    assert refused.errors == [
        "Trang tính “Bộ tiêu chí”, các dòng 3, 4, 7 và 9–21, cột A (“Mã”): mã nằm trong ô kiểu số.",
        "Trang tính “Bộ tiêu chí”, dòng 5, cột C (“Điểm tối đa”): điểm để trống.",
        "Tổng sai.",
    ]


def test_the_same_message_in_another_column_or_sheet_is_another_line():
    problems = [
        Problem("ô trống.", sheet="A", row=2, column=1),
        Problem("ô trống.", sheet="A", row=3, column=2),
        Problem("ô trống.", sheet="B", row=2, column=1),
        Problem("ô trống.", sheet="A", row=4, column=1),
    ]
    assert Refused(problems).errors == [
        "Trang tính “A”, các dòng 2 và 4, cột A: ô trống.",
        "Trang tính “A”, dòng 3, cột B: ô trống.",
        "Trang tính “B”, dòng 2, cột A: ô trống.",
    ]
