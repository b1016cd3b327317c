"""`manage.py run_jobs`: the worker of the database queue — the background jobs of a portal without Redis.

It takes the oldest queued job (the claim in scoring.ops.jobs.run is one UPDATE, so two workers never do the same job),
does it under the same memory and time caps as the Redis worker, and looks again; with nothing queued it waits a
second. `make run` starts it beside the development server; on a server without Redis it is a systemd service
(docs/deploy.md). With REDIS_URL set the jobs are in Redis, for `manage.py rqworker cchc`, and this refuses to start.
"""

import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from scoring.ops import jobs


class Command(BaseCommand):
    help = "Làm các việc chạy nền đang chờ trong CSDL (khi không có Redis)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="làm hết các việc đang chờ rồi thôi")
        parser.add_argument("--sleep", type=float, default=1.0, help="số giây chờ khi không có việc (mặc định 1)")

    def handle(self, *args, once=False, sleep=1.0, **options):
        if settings.JOBS_QUEUE != "database":
            raise CommandError(
                "Đã đặt REDIS_URL: việc chạy nền nằm trong Redis, hãy chạy `manage.py rqworker cchc` thay cho lệnh này."
            )
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        done = 0
        if options["verbosity"] > 0 and not once:
            self.stdout.write("Đang chờ việc chạy nền (Ctrl+C để dừng)…")
        while not stopping:
            if not once:  # a long-lived worker: a connection the server dropped while it waited is renewed
                close_old_connections()
            job_id = jobs.next_queued()
            if job_id is None:
                if once:
                    break
                time.sleep(sleep)
                continue
            jobs.run(job_id)
            done += 1
        if options["verbosity"] > 0:
            self.stdout.write(f"Đã làm {done} việc.")
