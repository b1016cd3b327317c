"""Create the demonstration criteria set and unpublished period (once)."""

from django.core.management.base import BaseCommand

from scoring.demo import demo_seed


class Command(BaseCommand):
    help = "Tạo bộ tiêu chí và kỳ đánh giá minh họa (chưa công bố, chỉ cán bộ xem được). Chạy lại không tạo trùng."

    def handle(self, *args, **options):
        period = demo_seed()
        self.stdout.write(
            f"Dữ liệu minh họa: {period} — {period.criteria_set.criteria.count()} tiêu chí, "
            f"{period.scores.count()} điểm (chưa công bố)."
        )
