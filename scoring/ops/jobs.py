"""Background jobs: work longer than a request may take, out of the request.

A job is a row (scoring.models.Job) and a registered function. `start()` creates the row and hands its id to the
queue — RQ on Redis, served by `manage.py rqworker cchc`; without Redis the database itself, served by `manage.py
run_jobs` — or, with JOBS_EAGER (the tests), runs it at once. The function reports progress through `Progress`,
which the job's page polls, and returns an `Outcome`: a file kept in the default storage (local folder or object
storage) and/or a page to go on to. Every read and write of the job row goes to the primary database: a replica may
not have it yet.
"""

import logging
import os
import resource
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import storages
from django.db import transaction
from django.utils import timezone

from scoring.models import Job

log = logging.getLogger(__name__)

PRIMARY = "default"
FILES = "viec"  # folder of finished files in the default storage
E_FAILED = (
    "Không thực hiện được việc này do lỗi của hệ thống; lỗi đã được ghi lại để Sở Nội vụ xử lý. "
    "Xin thử lại sau ít phút."
)
E_STORAGE = (
    "Việc đã làm xong nhưng máy chủ không lưu được tệp kết quả (nơi lưu tệp đầy hoặc không trả lời); lỗi đã được "
    "ghi lại để Sở Nội vụ xử lý. Xin thử lại sau."
)
E_TIMED_OUT = "Việc này đã chạy quá {minutes} phút mà chưa xong nên đã dừng. Xin thử lại, hoặc báo Sở Nội vụ."
E_MEMORY = (
    "Việc này cần hơn {megabytes} MB bộ nhớ, giới hạn của một việc chạy nền, nên đã dừng và không ghi gì. "
    "Xin thử lại với tệp nhỏ hơn, hoặc báo Sở Nội vụ."
)
MIB = 1024 * 1024


class JobRefused(Exception):
    """The work cannot be done as asked (the file changed, the period closed…): the message says why."""


@dataclass(frozen=True)
class Outcome:
    message: str
    content: bytes | None = None
    file: object | None = None  # or a file open for reading, rewound, saved from in chunks and closed after
    download_name: str = ""
    next_url: str = ""


Work = Callable[[dict, "Progress"], Outcome]
KINDS: dict[str, Work] = {}


def kind(name: str) -> Callable[[Work], Work]:
    """Register a job function under `name` (modules that define jobs are imported when their app is ready)."""

    def register(work: Work) -> Work:
        KINDS[name] = work
        return work

    return register


class Progress:
    """How far a job has come: written to its row at most twice a second (and at the end).

    It is also the job's clock: a job still reporting progress a minute before the queue's timeout stops
    itself (JobRefused), so its page says why instead of showing it running until the worker is killed."""

    INTERVAL = 0.5

    def __init__(self, job: Job):
        self.job = job
        self._written = 0.0
        self.started = time.monotonic()
        self.seconds = max(timeout().total_seconds() - 60, 1)

    def __call__(self, done: int, total: int, message: str = "") -> None:
        done, total = max(0, min(done, total)), max(0, total)
        now = time.monotonic()
        if now - self.started > self.seconds:
            raise JobRefused(E_TIMED_OUT.format(minutes=int(timeout().total_seconds() // 60)))
        if done < total and now - self._written < self.INTERVAL and not message:
            return
        self._written = now
        fields = {"done": done, "total": total}
        if message:
            fields["message"] = message[:1000]
        Job.objects.using(PRIMARY).filter(pk=self.job.pk).update(**fields)


def timeout() -> timedelta:
    return timedelta(seconds=settings.RQ_QUEUES["cchc"]["DEFAULT_TIMEOUT"])


def current(key: str, *, reuse_done: bool) -> Job | None:
    """The job already doing (or, with `reuse_done`, having done) the work of `key`, if any."""
    statuses = [Job.Status.QUEUED, Job.Status.RUNNING] + ([Job.Status.DONE] if reuse_done else [])
    since = timezone.now() - timeout()
    for job in Job.objects.using(PRIMARY).filter(key=key, status__in=statuses).order_by("-created_at")[:3]:
        if job.status == Job.Status.DONE and job.file and not storages["default"].exists(job.file):
            continue
        if job.status != Job.Status.DONE and job.created_at < since:
            continue  # a job its worker lost: not waited for
        return job
    return None


def start(name: str, *, title: str, params: dict, owner=None, key: str = "", reuse_done: bool = False) -> Job:
    """The job doing `name` with `params`: one already under way for `key`, or a new one, queued or run now."""
    if name not in KINDS:
        raise KeyError(name)
    if key and (job := current(key, reuse_done=reuse_done)) is not None:
        return job
    job = Job.objects.using(PRIMARY).create(kind=name, title=title[:300], params=params, owner=owner, key=key)
    if settings.JOBS_EAGER:
        run(str(job.pk))
        job.refresh_from_db(using=PRIMARY)
    else:
        transaction.on_commit(lambda: enqueue(job), using=PRIMARY)
    return job


def enqueue(job: Job) -> None:
    """Hand the job to the queue: Redis for `rqworker`, or nothing to do for the database queue, where the row,
    queued, is what `manage.py run_jobs` looks for."""
    if settings.JOBS_QUEUE == "database":
        return
    redis_queue().enqueue(run, str(job.pk), job_id=f"cchc-{job.pk}", result_ttl=3600, failure_ttl=7 * 86400)


def redis_queue():
    """The Redis queue as a web process reaches it: through a connection that gives up after REDIS_TIMEOUT_SECONDS,
    so a frozen Redis is the 503 page, not a request that never ends."""
    import django_rq

    return django_rq.get_queue("cchc", connection=_bounded_connection())


@lru_cache(maxsize=1)
def _bounded_connection():
    from redis import Redis

    seconds = settings.REDIS_TIMEOUT_SECONDS
    url = settings.RQ_QUEUES["cchc"]["URL"]
    return Redis.from_url(url, socket_connect_timeout=seconds, socket_timeout=seconds)


def run(job_id: str) -> None:
    """Do one job (in a worker, or at once with JOBS_EAGER). Never raises: a failure is written on the job."""
    claimed = (
        Job.objects.using(PRIMARY)
        .filter(pk=job_id, status=Job.Status.QUEUED)
        .update(status=Job.Status.RUNNING, started_at=timezone.now())
    )
    if not claimed:  # done already, or taken by another worker
        return
    job = Job.objects.using(PRIMARY).get(pk=job_id)
    megabytes = 0 if settings.JOBS_EAGER else settings.JOB_MAX_MEMORY_MB
    try:
        with memory_cap(megabytes):
            outcome = KINDS[job.kind](job.params, Progress(job))
    except JobRefused as refused:
        _finish(job, Job.Status.FAILED, message=str(refused))
        return
    except MemoryError:
        log.warning("job %s (%s) stopped at its memory cap of %s MB", job.pk, job.kind, megabytes)
        _finish(job, Job.Status.FAILED, message=E_MEMORY.format(megabytes=megabytes))
        return
    except Exception:
        log.exception("job %s (%s) failed", job.pk, job.kind)
        _finish(job, Job.Status.FAILED, message=E_FAILED)
        return
    name = ""
    if outcome.content is not None or outcome.file is not None:
        kept = ContentFile(outcome.content) if outcome.file is None else File(outcome.file)
        try:
            name = storages["default"].save(f"{FILES}/{job.pk}.xlsx", kept)
        except Exception:  # a full disk, an object store that refuses: the job ends now, not at its timeout
            log.exception("job %s (%s): its file could not be stored", job.pk, job.kind)
            _finish(job, Job.Status.FAILED, message=E_STORAGE)
            return
        finally:
            if outcome.file is not None:
                outcome.file.close()
    _finish(
        job,
        Job.Status.DONE,
        message=outcome.message,
        file=name,
        download_name=outcome.download_name,
        next_url=outcome.next_url,
    )


@contextmanager
def memory_cap(megabytes: int):
    """At most `megabytes` more address space for what runs inside (a job in a worker): past it an allocation
    fails with MemoryError, which fails the job, rather than the machine swapping or the kernel killing a
    neighbour. The limit is lowered for the job and put back after it (an RQ SimpleWorker runs jobs in its own
    process). 0, or a system without /proc, leaves the limit alone."""
    used = _address_space()
    if not megabytes or not used:
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = used + megabytes * MIB
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    if soft != resource.RLIM_INFINITY:
        cap = min(cap, soft)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _address_space() -> int:
    """This process's address space in bytes (0 when it cannot be read)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def next_queued() -> str | None:
    """The oldest job waiting in the database queue (for `manage.py run_jobs`), or None."""
    since = timezone.now() - timeout()  # older ones were given up: their page says so (`state`)
    found = (
        Job.objects.using(PRIMARY)
        .filter(status=Job.Status.QUEUED, created_at__gte=since)
        .order_by("created_at")
        .values_list("pk", flat=True)[:1]
    )
    return str(found[0]) if found else None


def _finish(job: Job, status: str, **fields) -> None:
    job.refresh_from_db(using=PRIMARY)
    Job.objects.using(PRIMARY).filter(pk=job.pk).update(
        status=status, finished_at=timezone.now(), done=job.total if status == Job.Status.DONE else job.done, **fields
    )


def state(job: Job) -> Job:
    """The job as its page shows it: one whose worker was lost (past the queue's timeout) is shown as failed."""
    if not job.finished and job.created_at < timezone.now() - timeout():
        minutes = int(timeout().total_seconds() // 60)
        Job.objects.using(PRIMARY).filter(pk=job.pk, status=job.status).update(
            status=Job.Status.FAILED, finished_at=timezone.now(), message=E_TIMED_OUT.format(minutes=minutes)
        )
        job.refresh_from_db(using=PRIMARY)
    return job


def clear_finished(days: int) -> int:
    """Remove jobs finished more than `days` ago, with their files; the number removed."""
    old = Job.objects.using(PRIMARY).filter(finished_at__lt=timezone.now() - timedelta(days=days))
    storage = storages["default"]
    count = 0
    for job in old.iterator():
        if job.file:
            storage.delete(job.file)
        job.delete(using=PRIMARY)
        count += 1
    return count
