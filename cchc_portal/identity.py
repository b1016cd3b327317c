"""Whose portal this is: the province (or city), the body that publishes the results, an optional emblem.

Configured once in settings (PORTAL_PLACE, PORTAL_ISSUER, PORTAL_DEPARTMENT, PORTAL_EMBLEM) and shown the same
way in the page header and footer, every Excel file and every JSON answer.
"""

from dataclasses import asdict, dataclass

from django.conf import settings


@dataclass(frozen=True)
class Identity:
    place: str  # "thành phố Huế"
    issuer: str  # "Ủy ban nhân dân thành phố Huế": who decides and publishes the results
    department: str  # "Sở Nội vụ thành phố Huế": who runs the evaluation
    emblem: str  # a static path ("img/quoc-huy.svg") or ""
    former_note: str = ""  # "trước ngày 1/1/2025 là tỉnh Thừa Thiên Huế": older tables name the place so

    @property
    def place_title(self) -> str:
        return self.place[:1].upper() + self.place[1:]

    @property
    def line(self) -> str:
        """One line for a file's title block or footer."""
        return f"{self.issuer} — {self.department}"

    def as_json(self) -> dict:
        return {key: value for key, value in asdict(self).items() if key not in ("emblem", "former_note")}


def identity() -> Identity:
    return Identity(
        place=settings.PORTAL_PLACE,
        issuer=settings.PORTAL_ISSUER,
        department=settings.PORTAL_DEPARTMENT,
        emblem=settings.PORTAL_EMBLEM,
        former_note=settings.PORTAL_FORMER_NOTE,
    )


def context(request) -> dict:
    """The template context processor: {{ identity.place_title }} on every page."""
    return {"identity": identity()}
