"""The public search's index: derived from published data (reports/search.py keeps it), never edited by hand."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from units.models import Unit


class SearchName(models.Model):
    """A name the public search finds a unit by: its current name, once it has a published result, or a name it was
    published under in a current table."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+", verbose_name=_("đơn vị"))
    name = models.CharField(_("tên"), max_length=255)

    class Meta:
        verbose_name = _("tên để tìm kiếm")
        verbose_name_plural = _("tên để tìm kiếm")
        constraints = [models.UniqueConstraint(fields=["unit", "name"], name="search_name_unique_per_unit")]

    def __str__(self):
        return self.name


class SearchWord(models.Model):
    """One word of a name as a search compares it — no case, no diacritics ("Hương" → "huong") — or, with
    `initials`, a run of its initials to the end ("sldtbxh", "ldtbxh", …: a prefix of one is any run of them).
    Searched by prefix, on an index."""

    name = models.ForeignKey(SearchName, on_delete=models.CASCADE, related_name="words", verbose_name=_("tên"))
    word = models.CharField(_("từ"), max_length=64, db_index=True)
    initials = models.BooleanField(_("chữ cái đầu"), default=False)

    class Meta:
        verbose_name = _("từ để tìm kiếm")
        verbose_name_plural = _("từ để tìm kiếm")
        constraints = [
            models.UniqueConstraint(fields=["name", "word", "initials"], name="search_word_unique_per_name"),
        ]

    def __str__(self):
        return self.word
