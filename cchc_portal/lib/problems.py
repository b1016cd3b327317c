"""What is wrong with an input file, said the same way by every importer: the sheet, the row, the column
(letter and header), the value, and what is wrong, in Vietnamese.

`Problem` is one finding; `Refused` carries every finding of a file that cannot be imported. Importers
collect all problems first and refuse once, so the user fixes the whole file in one go.
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

    def where(self) -> str:
        """Where, in words: Trang tính “Bảng điểm”, dòng 7, cột D (“3.1”); Dòng 2, cột “score”; nothing."""
        parts = []
        if self.sheet:
            parts.append(f"trang tính “{self.sheet}”")
        if self.row:
            parts.append(f"dòng {self.row}")
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
    """The input cannot be used; `problems` lists every reason, `errors` the same as text lines."""

    def __init__(self, problems: Iterable[Problem | str]):
        self.problems = [p if isinstance(p, Problem) else Problem(p) for p in problems]
        super().__init__("\n".join(self.errors))

    @property
    def errors(self) -> list[str]:
        return [str(problem) for problem in self.problems]
