"""Create the demonstration criteria set and unpublished period (once); never on a real database."""

from django.core.management.base import BaseCommand, CommandError

from scoring.ops.demo import demo_allowed, demo_seed


class Command(BaseCommand):
    help = (
        "Tạo bộ tiêu chí và kỳ đánh giá minh họa (chưa công bố, chỉ cán bộ xem được). Chạy lại không tạo trùng. "
        "Chỉ chạy trên CSDL SQLite mặc định hoặc khi đặt DEMO=1."
    )

    def handle(self, *args, **options):
        refusal = demo_allowed(need_debug=False)
        if refusal:
            raise CommandError(refusal)
        period = demo_seed()
        self.stdout.write(
            f"Dữ liệu minh họa: {period} — {period.criteria_set.criteria.count()} tiêu chí, "
            f"{period.scores.count()} điểm (chưa công bố)."
        )
