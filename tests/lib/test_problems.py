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
