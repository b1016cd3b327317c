"""What is wrong with an input file, said the same way by every importer: the sheet, the row, the column
(letter and header), the value, and what is wrong, in Vietnamese.

`Problem` is one finding; `Refused` carries every finding of a file that cannot be imported. Importers
collect all problems first and refuse once, so the user fixes the whole file in one go.

A problem stays one per cell (a marked copy of the workbook comments each cell), but what a person reads says
a mistake once: the same message in the same column of several rows is one line naming every row
(`grouped`): "Trang tính “Bộ tiêu chí”, các dòng 3–15 và 18, cột A (“Mã”): …".
"""

from collections.abc import Iterable
from dataclasses import dataclass

from openpyxl.utils import get_column_letter


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, and where it is (every place field is optional)."""

    message: str
    sheet: str | None = None
    row: int | None = None
    column: int | None = None  # 1-based
    label: str | None = None  # the column's header as written in the file
    value: object = None

    @property
    def letter(self) -> str:
        return get_column_letter(self.column) if self.column else ""

    def where(self, rows: list[int] | None = None) -> str:
        """Where, in words: Trang tính “Bảng điểm”, dòng 7, cột D (“3.1”); Dòng 2, cột “score”; nothing.
        `rows`: the rows of the same problem said once (the problem's own row when not given)."""
        rows = ([self.row] if self.row else []) if rows is None else rows
        parts = []
        if self.sheet:
            parts.append(f"trang tính “{self.sheet}”")
        if rows:
            parts.append(rows_text(rows))
        if self.column and self.label:
            parts.append(f"cột {self.letter} (“{self.label}”)")
        elif self.column:
            parts.append(f"cột {self.letter}")
        elif self.label:
            parts.append(f"cột “{self.label}”")
        text = ", ".join(parts)
        return text[:1].upper() + text[1:]

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.message}" if where else self.message

    @property
    def order(self) -> tuple:
        """Problems read top to bottom, left to right; those of the file as a whole come first."""
        return (self.sheet or "", self.row or 0, self.column or 0)


class Refused(Exception):
    """The input cannot be used; `problems` lists every reason, one per cell; `errors` the lines to read, a
    mistake repeated on several rows said once."""

    def __init__(self, problems: Iterable[Problem | str]):
        self.problems = [p if isinstance(p, Problem) else Problem(p) for p in problems]
        super().__init__("\n".join(self.errors))

    @property
    def errors(self) -> list[str]:
        return grouped(self.problems)


def grouped(problems: Iterable[Problem]) -> list[str]:
    """The problems as lines, in order: those with the same message in the same sheet and column are one line
    naming all their rows, at the place of the first."""
    rows: dict[tuple, list[int]] = {}
    first: dict[tuple, Problem] = {}
    for problem in problems:
        key = (problem.sheet, problem.column, problem.label, problem.message)
        first.setdefault(key, problem)
        found = rows.setdefault(key, [])
        if problem.row and problem.row not in found:
            found.append(problem.row)
    lines = []
    for key, problem in first.items():
        where = problem.where(rows[key])
        lines.append(f"{where}: {problem.message}" if where else problem.message)
    return lines


def rows_text(rows: list[int]) -> str:
    """ "dòng 7"; "các dòng 3, 4 và 7"; "các dòng 3–15 và 18" (a run of three rows or more as a range)."""
    if len(rows) == 1:
        return f"dòng {rows[0]}"
    runs: list[list[int]] = []
    for row in sorted(rows):
        if runs and row == runs[-1][-1] + 1:
            runs[-1].append(row)
        else:
            runs.append([row])
    parts: list[str] = []
    for run in runs:
        parts.extend([f"{run[0]}–{run[-1]}"] if len(run) >= 3 else [str(row) for row in run])
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " và " + parts[-1]
    return f"các dòng {listed}"
