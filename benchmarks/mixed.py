"""Readers beside writers: cached public pages while unit staff save their entry sheets, on the deployed stack.

The stack is docs/deploy.md's: nginx with the documented configuration (public pages from nginx's own cache,
revalidated in the background; signed-in requests always passed through) in front of gunicorn with the
repository's gunicorn.conf.py, production settings. Staff: `staff` accounts (20 at national size), each of its
own unit in an open huyện period of 120 criteria (105 self-assessed), signed in through the login form; each one
in a loop GETs its sheet, takes `think` seconds to change the values, POSTs all 105 changed, and starts again.
Readers: an open loop of READERS_RATE requests a second on each of the 21-row and the national ranking page,
warmed first, latency counted from when each request was due.

Phases of `seconds` each, in one run: readers alone (their baseline), staff alone (the saves' baseline), both
through nginx (the goals: readers' p99 ≤ 100 ms, saves' p50 ≤ 300 ms), and both with the readers sent straight to
gunicorn (the sync workers without nginx's cache: what the readers waited for before).
"""

import html
import http.client
import re
import statistics
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from benchmarks import data, load
from benchmarks.load import free_port, gunicorn, percentiles
from benchmarks.measure import Measurement
from benchmarks.nginx import nginx

MIXED_YEAR = 2027  # the staff's period (huyện block, its units of that year only)
PASSWORD = "bench-mat-khau-2027"
READERS_P99_MS = 100
SAVES_P50_MS = 300


@dataclass(frozen=True)
class Staff:
    username: str
    url: str
    fields: list[str]  # the names of the self-assessed inputs


def build_staff(count: int) -> list[Staff]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db.models import F
    from django.utils import timezone

    from benchmarks.suite import ENTRY_LEAVES, analyze
    from scoring.models import Criterion, Method, Period, Score
    from units.models import UNIT_STAFF, Unit, UnitMembership

    names = [f"UBND huyện Đọc Ghi {i + 1}" for i in range(count)]
    scores = data.make_scores(names, "mixed", ENTRY_LEAVES)
    period = data.build_scored_period("huyen", scores, MIXED_YEAR, tag="mixed", only_year=True)
    Period.objects.filter(pk=period.pk).update(status=Period.Status.OPEN, deadline=timezone.now() + timedelta(days=30))
    own = Score.objects.filter(period=period, criterion__method=Method.SELF)
    own.update(self_points=F("appraised_points"), appraised_points=None)
    leaves = Criterion.objects.leaves_of(period.criteria_set_id).filter(method=Method.SELF).order_by("position")
    fields = [f"{pk}-self_points" for pk in leaves.values_list("pk", flat=True)]
    group = Group.objects.get(name=UNIT_STAFF)
    staff = []
    for number, unit in enumerate(Unit.objects.filter(code__startswith="huyen-mixed-").order_by("code"), start=1):
        user = get_user_model().objects.create_user(f"bench-mixed-{number}", password=PASSWORD)
        user.groups.add(group)
        UnitMembership.objects.create(user=user, unit=unit)
        staff.append(Staff(user.username, f"/cham-diem/ky/{period.pk}/don-vi/{unit.code}/", fields))
    analyze()
    return staff


INPUT = re.compile(r'<input[^>]*?name="([^"]+)"[^>]*?value="([^"]*)"')


def _form(page: str) -> dict[str, str]:
    return {html.unescape(name): html.unescape(value) for name, value in INPUT.findall(page)}


@dataclass
class Saves:
    posts: list[float] = field(default_factory=list)  # seconds
    gets: list[float] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def staff_loop(port: int, staff: list[Staff], seconds: float, think: float, started=None) -> Saves:
    """Every staff member signs in, then GETs, thinks, POSTs its sheet for `seconds` (`started` is set then)."""
    import requests

    saves, lock = Saves(), threading.Lock()
    base = f"http://127.0.0.1:{port}"
    sessions = []
    for person in staff:
        session = requests.Session()
        page = session.get(f"{base}/dang-nhap/", timeout=60)
        token = _form(page.text)["csrfmiddlewaretoken"]
        answer = session.post(
            f"{base}/dang-nhap/",
            data={"username": person.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            allow_redirects=False,
            timeout=60,
        )
        if answer.status_code != 302:
            raise RuntimeError(f"{person.username} could not sign in: HTTP {answer.status_code}")
        sessions.append(session)
    deadline = time.perf_counter() + seconds
    if started is not None:
        started.set()

    def work(person: Staff, session):
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            page = session.get(base + person.url, timeout=120)
            got = time.perf_counter() - start
            if page.status_code != 200:
                with lock:
                    saves.failed.append(f"GET {page.status_code}")
                return
            posted = _form(page.text) | {"action": "save"}
            for name in person.fields:
                posted[name] = "0,25" if posted.get(name) == "0,5" else "0,5"
            time.sleep(think)
            start = time.perf_counter()
            answer = session.post(base + person.url, data=posted, allow_redirects=False, timeout=120)
            took = time.perf_counter() - start
            with lock:
                saves.gets.append(got)
                if answer.status_code == 302:
                    saves.posts.append(took)
                else:
                    saves.failed.append(f"POST {answer.status_code}")

    threads = [threading.Thread(target=work, args=pair) for pair in zip(staff, sessions, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return saves


@dataclass
class Readers:
    rate: float
    p50_ms: float
    p99_ms: float
    failed: int


READERS_RATE = 100  # requests a second on each page: together about what 2 sync workers served the review's readers
READER_THREADS = 8  # per page, each with its own keep-alive connection


def readers(port: int, paths: list[str], seconds: float, rate: float = READERS_RATE) -> dict[str, Readers]:
    """An open loop: each page asked `rate` times a second on a fixed schedule (READER_THREADS threads taking turns),
    whatever the answers' speed; a request's latency counts from when it was due, so a reader held up delays the
    ones due behind it too. (A closed loop such as wrk asks as fast as it is answered: against nginx's cache that is
    twenty thousand requests a second, whose own CPU would be the load measured.)"""
    found, lock = {}, threading.Lock()
    start = time.perf_counter() + 0.2
    end = start + seconds

    def reader(path: str, number: int, latencies: list[float], failures: list[int]):
        due, mine, failed, connection = start + number / rate, [], 0, None
        while due < end:
            now = time.perf_counter()
            if due > now:
                time.sleep(due - now)
            try:
                if connection is None:
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                connection.request("GET", path, headers={"Accept-Encoding": "gzip", "Host": "127.0.0.1"})
                response = connection.getresponse()
                response.read()
                failed += response.status != 200
                if response.will_close:
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException):
                failed, connection = failed + 1, None
            mine.append(time.perf_counter() - due)
            due += READER_THREADS / rate
        with lock:
            latencies.extend(mine)
            failures.append(failed)

    threads, results = [], {path: ([], []) for path in paths}
    for path in paths:
        for number in range(READER_THREADS):
            threads.append(threading.Thread(target=reader, args=(path, number, *results[path])))
            threads[-1].start()
    for thread in threads:
        thread.join()
    for path, (latencies, failures) in results.items():
        p50, p99 = percentiles(latencies)
        found[path] = Readers(len(latencies) / seconds, p50, p99, sum(failures))
    return found


def bench_readers_beside_writers(staff: list[Staff], paths: list[str], seconds: float, think: float, work: Path,
                                 progress) -> list[Measurement]:  # fmt: skip
    load.collect_static()
    upstream, front = free_port(), free_port()
    with gunicorn(upstream, work) as server, nginx(work / "nginx", front, f"127.0.0.1:{upstream}"):
        for path in paths:  # warm both caches: gunicorn's workers and nginx's
            for port in (upstream, front):
                for _ in range(3):
                    status, _ = load.get(port, path)
                    if status != 200:
                        logs = server.log.read_text(errors="replace")[-3000:]
                        raise RuntimeError(f"GET {path} on {port}: HTTP {status}\n{logs}")
        progress(f"readers beside writers: readers alone, {seconds:g} s")
        alone = readers(front, paths, seconds)
        progress(f"readers beside writers: {len(staff)} staff alone (think {think:g} s), {seconds:g} s")
        staff_alone = staff_loop(front, staff, seconds, think)
        progress("readers beside writers: both, readers through nginx")
        both, staff_both = _together(front, front, staff, paths, seconds, think)
        progress("readers beside writers: both, readers straight to gunicorn")
        direct, staff_direct = _together(front, server.port, staff, paths, seconds, think)
    for label, seen in (("alone", alone), ("both", both), ("direct", direct)):
        if any(r.failed for r in seen.values()):
            raise RuntimeError(f"readers {label}: failed requests {[r.failed for r in seen.values()]}")
    for label, saves in (("alone", staff_alone), ("both", staff_both), ("direct", staff_direct)):
        if saves.failed or not saves.posts:
            raise RuntimeError(f"staff {label}: {len(saves.posts)} saves, failures {saves.failed[:5]}")
    n = len(staff)
    measurements = []
    for path in paths:
        measurements += [
            Measurement(
                f"readers beside writers: {path} p99 through nginx, {n} staff saving (baseline readers alone)",
                both[path].p99_ms, "ms", alone[path].p99_ms, goal_value_max=READERS_P99_MS,
            ),
            Measurement(
                f"readers beside writers: {path} req/s through nginx, {n} staff saving (baseline readers alone; "
                f"p50 {both[path].p50_ms:.1f} / {alone[path].p50_ms:.1f} ms)",
                both[path].rate, "req/s", alone[path].rate,
            ),
            Measurement(
                f"readers beside writers: {path} p99 straight to gunicorn, {n} staff saving (baseline through "
                f"nginx; p50 {direct[path].p50_ms:.1f} ms, {direct[path].rate:,.0f} req/s)",
                direct[path].p99_ms, "ms", both[path].p99_ms,
            ),
        ]  # fmt: skip
    post = lambda s: statistics.median(s.posts) * 1e3  # noqa: E731
    p99 = lambda s: percentiles(s.posts)[1]  # noqa: E731
    measurements += [
        Measurement(
            f"readers beside writers: save p50, {n} staff, readers through nginx (baseline staff alone)",
            post(staff_both), "ms", post(staff_alone), goal_value_max=SAVES_P50_MS,
        ),
        Measurement(
            f"readers beside writers: save p99, {n} staff, readers through nginx (baseline staff alone)",
            p99(staff_both), "ms", p99(staff_alone),
        ),
        Measurement(
            f"readers beside writers: saves per second, {n} staff, readers through nginx (baseline staff alone)",
            len(staff_both.posts) / seconds, "saves/s", len(staff_alone.posts) / seconds,
        ),
        Measurement(
            f"readers beside writers: sheet GET p50, {n} staff, readers through nginx (baseline staff alone)",
            statistics.median(staff_both.gets) * 1e3, "ms", statistics.median(staff_alone.gets) * 1e3,
        ),
        Measurement(
            f"readers beside writers: save p50, {n} staff, readers straight to gunicorn (baseline through nginx)",
            post(staff_direct), "ms", post(staff_both),
        ),
    ]  # fmt: skip
    return measurements


def _together(staff_port, readers_port, staff, paths, seconds, think):
    found, started = {}, threading.Event()
    loop = lambda: found.update(saves=staff_loop(staff_port, staff, seconds + 1, think, started))  # noqa: E731
    thread = threading.Thread(target=loop)
    thread.start()
    if not started.wait(300):
        raise RuntimeError("the staff could not sign in")
    time.sleep(0.5)  # every one of them at work
    seen = readers(readers_port, paths, seconds)
    thread.join()
    return seen, found["saves"]
