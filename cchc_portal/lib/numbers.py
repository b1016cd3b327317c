"""One rule for reading and writing the portal's numbers: points, maxima and published scores.

Reading (`parse_number`) accepts exactly one form, whatever the entry point (the entry form, a score
sheet, a criteria workbook, a published-results file; the entry page's script follows the same rule):

- an exact number (`Decimal`, `int`) as it is;
- an Excel number cell (a binary float) through its shortest form: 14.5, never 14.4999…;
- text, after surrounding white space: an optional minus sign, digits, and at most one decimal mark,
  a comma or a dot ("12,5" and "12.5" are both twelve and a half). Points never reach a thousand, so a
  mark is never a thousands separator: "1.234" is one point and 234 thousandths, and "1.234,5" (two
  marks), "1 234", "1e3", "+2" and ",5" are not numbers.

The value keeps the decimals as written ("90,450" → 90.450); how many decimals count is decided after
trailing zeros are dropped ("2,5000" is 2,5), except where the written decimals are the point (a
published score's precision). A minus sign is read, so that "-1" is refused as negative, not as "not a
number". Blank input is `None`. Every refusal is a `NumberProblem` with a code and a Vietnamese message.

Writing: `vn_number` (90,450; 1.072), `plain_number` for JSON and CSV (90.450), `show` for the audit log
and form fields (the fewest decimals that keep the value: 2,5; 7).
"""

import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Context, Decimal
from functools import lru_cache

# Points and maxima: 7 digits in the database, 3 of them decimals.
POINT_PLACES = 3
POINT_LIMIT = Decimal(10000)

NOT_A_NUMBER = "not-a-number"
NEGATIVE = "negative"
TOO_PRECISE = "too-precise"
TOO_LARGE = "too-large"
ABOVE_MAX = "above-max"

MESSAGES = {
    NOT_A_NUMBER: "“{value}” không phải là số (viết như 12,5 hoặc 12.5, không dùng dấu phân cách hàng nghìn).",
    NEGATIVE: "{label} {value} là số âm; {range}.",
    TOO_PRECISE: "{label} {value} có quá {places} chữ số thập phân.",
    TOO_LARGE: "{label} {value} quá lớn (tối đa {limit}).",
    ABOVE_MAX: "{label} {value} vượt quá {label} tối đa {maximum}.",
}
RANGE = "{label} phải từ 0 đến {maximum}"
RANGE_OPEN = "{label} không được âm"

_TEXT = re.compile(r"^-?[0-9]+(?:[.,][0-9]+)?$")  # ASCII digits only, as the entry page reads them
_PRECISION = 50


@dataclass(frozen=True)
class NumberProblem(ValueError):
    """Why a value is not an acceptable number: a code (see MESSAGES) and the value as the user wrote it."""

    code: str
    value: str
    label: str = "điểm"
    maximum: Decimal | None = None
    places: int = POINT_PLACES
    limit: Decimal | None = None

    @property
    def message(self) -> str:
        """The reason, to follow a place ("Tiêu chí 1.1: điểm 16 vượt quá điểm tối đa 15.")."""
        limit = vn_number(self.limit - Decimal(1).scaleb(-self.places), self.places) if self.limit else ""
        maximum = show(self.maximum) if self.maximum is not None else None
        return number_message(
            self.code, value=self.value, label=self.label, maximum=maximum, places=self.places, limit=limit
        )

    @property
    def sentence(self) -> str:
        """The reason on its own, capitalised (beside an input)."""
        return self.message[:1].upper() + self.message[1:]

    def __str__(self) -> str:
        return self.message


def number_message(
    code: str, *, value: str, label: str = "điểm", maximum: str | None = None, places: int = 3, limit: str = ""
) -> str:
    """The message of a refusal, from its parts as text (the entry page's script fills the same templates)."""
    bounded = (RANGE if maximum is not None else RANGE_OPEN).format(label=label, maximum=maximum)
    return MESSAGES[code].format(value=value, label=label, places=places, maximum=maximum, limit=limit, range=bounded)


def shown_input(value) -> str:
    """A value as the user typed it, for messages: Excel's 12.0 is the 12 they wrote, a date as 01/12/2026."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value).removesuffix(".0")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value).strip()


def read_number(value) -> Decimal | None:
    """The exact number a value holds (None when blank); NumberProblem(NOT_A_NUMBER) when it holds none."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise NumberProblem(NOT_A_NUMBER, shown_input(value))
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))  # the shortest text that reads back as the same float
    elif isinstance(value, str):
        text = value.strip()
        if not _TEXT.match(text):
            raise NumberProblem(NOT_A_NUMBER, text)
        number = Decimal(text.replace(",", "."))
    else:
        raise NumberProblem(NOT_A_NUMBER, shown_input(value))
    if not number.is_finite():
        raise NumberProblem(NOT_A_NUMBER, shown_input(value))
    return number


def decimals_of(number: Decimal) -> int:
    """How many decimals a number needs once trailing zeros are dropped (2.5000 → 1, 7 → 0)."""
    exponent = number.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def written_decimals(number: Decimal) -> int:
    """How many decimals a number was written with, trailing zeros included (90.450 → 3)."""
    exponent = number.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def parse_number(
    value,
    *,
    maximum: Decimal | None = None,
    places: int = POINT_PLACES,
    limit: Decimal | None = POINT_LIMIT,
    label: str = "điểm",
) -> Decimal | None:
    """Read a point value by the one rule: None when blank, else a Decimal from 0 to `maximum` (or below
    `limit`) with at most `places` decimals; NumberProblem otherwise."""
    number = read_number(value)
    if number is None:
        return None
    details = {"label": label, "maximum": maximum, "places": places, "limit": limit}
    if number < 0:
        raise NumberProblem(NEGATIVE, show(number), **details)
    if decimals_of(number) > places:
        raise NumberProblem(TOO_PRECISE, shown_input(value), **details)
    if limit is not None and number >= limit:
        raise NumberProblem(TOO_LARGE, show(number), **details)
    if maximum is not None and number > maximum:
        raise NumberProblem(ABOVE_MAX, show(number), **details)
    return number


_ROUNDING = Context(prec=_PRECISION)


@lru_cache(maxsize=32)
def _step(decimals: int) -> Decimal:
    return Decimal(1).scaleb(-decimals)


def round_score(value: Decimal, decimals: int) -> Decimal:
    """Round a score for display, half up, to a fixed number of decimals."""
    if decimals < 0:
        raise ValueError(f"decimals must be >= 0, got {decimals}")
    if not value.is_finite():
        raise ValueError(f"cannot round a non-finite score: {value}")
    # One shared context and exponent per number of places: a national table rounds some 13,000 numbers.
    return value.quantize(_step(decimals), rounding=ROUND_HALF_UP, context=_ROUNDING)


def vn_number(value: Decimal | int, decimals: int = 0) -> str:
    """A number the Vietnamese way, rounded half up to `decimals` places: 90,450; 1.072; -1,5."""
    rounded = round_score(value if isinstance(value, Decimal) else Decimal(value), decimals)
    if not rounded:
        rounded = abs(rounded)  # no "-0,000"
    # Python groups with "," and marks decimals with ".": swapped, that is the Vietnamese way.
    return f"{rounded:,.{decimals}f}".translate(_VIETNAMESE_MARKS)


_VIETNAMESE_MARKS = str.maketrans({",": ".", ".": ","})


def plain_number(value: Decimal, decimals: int) -> str:
    """The machine-readable form used in JSON and CSV: a dot, no grouping ("90.450")."""
    return f"{round_score(Decimal(value), decimals):.{decimals}f}"


def show(value) -> str:
    """A value as the audit log and the entry fields write it: the fewest decimals that keep it (2,5; 7),
    "có"/"không" for yes/no, nothing for nothing."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "có" if value else "không"
    if isinstance(value, Decimal):
        text = format(value, "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text.replace(".", ",")
    return str(value)
