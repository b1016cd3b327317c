"""Rebuild the public search's index from the published names (after a restore from an older copy, or to check it)."""

from django.core.management.base import BaseCommand
from django.db import transaction

from reports import search
from reports.models import SearchName, SearchWord


class Command(BaseCommand):
    help = "Dựng lại chỉ mục tìm kiếm đơn vị của trang công khai từ các tên đã công bố."

    def handle(self, *args, **options):
        with transaction.atomic():
            before = SearchName.objects.count()
            search.refresh()
        names, words = SearchName.objects.count(), SearchWord.objects.count()
        self.stdout.write(f"Chỉ mục tìm kiếm: {names} tên ({words} từ); trước đó {before} tên.")
