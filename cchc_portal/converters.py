"""URL converters with bounds: a number too large for the database is simply a page that does not exist.

Django's `int` converter accepts any length of digits; SQLite then raises OverflowError and PostgreSQL an
"out of range" error — a 500 for a URL anyone can type. `id` accepts up to nine digits (every row id and
version number the portal will ever have), `year` four.
"""

from django.urls import register_converter


class RowId:
    regex = "[0-9]{1,9}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(value)


class Year(RowId):
    regex = "[0-9]{4}"


class CriterionCode(RowId):
    regex = "[0-9A-Za-z][0-9A-Za-z.-]{0,19}"  # 1, 3.10, 2.1.a

    def to_python(self, value: str) -> str:
        return value


register_converter(RowId, "id")
register_converter(CriterionCode, "criterion")
register_converter(Year, "year")
