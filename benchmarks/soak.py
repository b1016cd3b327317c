"""`make soak`: one minute of mixed load and one database restart against gunicorn on PostgreSQL, on 127.0.0.1.

- readers: anonymous visitors of the ranking pages, the API, unit pages and the home page;
- savers: unit staff saving points on their entry sheets, each on its own unit, recording every value the
  portal acknowledged (a redirect after the save);
- a login flood: wrong passwords for the administrator, as fast as two threads can send them;
- halfway, PostgreSQL is restarted.

It prints requests, errors and latency (p50, p99) per kind, the readers' latency before and during the
flood, and then checks in the database that every acknowledged save is there. It exits non-zero if one
is missing. Runs on a PostgreSQL cluster it makes, restarts and removes itself (benchmarks/cluster.py), on a free
port of 127.0.0.1: no other cluster of the machine is touched.
"""

import http.client
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

from benchmarks.cluster import PrivateCluster

ROOT = Path(__file__).resolve().parents[1]
PORT = int(os.environ.get("SOAK_PORT", "8765"))
SECONDS = float(os.environ.get("SOAK_SECONDS", "60"))
BASELINE = SECONDS / 6  # readers alone first, for a latency to compare the flood with
RESTART_AT = SECONDS / 2
PASSWORD = "Soak-mat-khau-2026!"
UNITS = 4
LEAVES = 10
ENV = {
    **os.environ,
    "DEBUG": "0",
    "SECRET_KEY": "soak-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "0",
    "SESSION_COOKIE_SECURE": "0",
    "CSRF_COOKIE_SECURE": "0",
    "STATIC_MANIFEST": "0",
    "LOG_LEVEL": "ERROR",
    "GUNICORN_BIND": f"127.0.0.1:{PORT}",
    "GUNICORN_WORKERS": "2",
    "GUNICORN_LOGLEVEL": "warning",
    "GUNICORN_ACCESSLOG": "",
    "DJANGO_SETTINGS_MODULE": "cchc_portal.settings",
}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def manage(*args: str) -> str:
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=ENV, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return done.stdout


SETUP = f"""
import django
django.setup()
from datetime import timedelta
from decimal import Decimal
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone
from scoring.models import CriteriaSet, Criterion, GradeScheme, Method, Period
from scoring.permissions import UNIT_STAFF
from units.models import Block, Unit, UnitMembership

block = Block.objects.get(code="huyen")
criteria = CriteriaSet.objects.create(year=2030, block=block, name="Bộ tiêu chí tải thử")
for n in range(1, {LEAVES} + 1):
    Criterion.objects.create(criteria_set=criteria, code=str(n), title=f"Tiêu chí {{n}}", max_points=Decimal(10),
                             method=Method.SELF, position=n)
period = Period.objects.create(year=2030, block=block, criteria_set=criteria, status="open",
                               grade_scheme=GradeScheme.objects.get(is_default=True),
                               deadline=timezone.now() + timedelta(days=10))
users = get_user_model().objects
users.create_superuser("quantri", "quantri@localhost", "{PASSWORD}")
group = Group.objects.get(name=UNIT_STAFF)
for n in range(1, {UNITS} + 1):
    unit = Unit.objects.create(code=f"huyen-tai-{{n}}", name=f"UBND huyện Tải thử {{n}}", block=block)
    account = users.create_user(f"canbo.{{n}}", password="{PASSWORD}")
    account.groups.add(group)
    UnitMembership.objects.create(user=account, unit=unit)
print(period.pk, ",".join(str(c.pk) for c in criteria.criteria.order_by("position")))
"""

CHECK = """
import django, json, sys
django.setup()
from scoring.models import Score
ledger = json.loads(sys.stdin.read())
missing = []
for key, (acked, unsure) in ledger.items():
    if acked is None:
        continue
    unit, leaf = key.split("/")
    stored = Score.objects.filter(unit__code=unit, criterion_id=int(leaf)).values_list("self_points", flat=True).first()
    shown = None if stored is None else str(stored.normalize())
    if shown not in (acked, *unsure):
        missing.append((key, acked, shown))
print(json.dumps({"checked": sum(1 for acked, _ in ledger.values() if acked is not None), "missing": missing}))
"""


def prepare(cluster: PrivateCluster) -> tuple[int, list[int]]:
    """A fresh database on the soak's own cluster with the published results, an open period, unit staff and an
    administrator."""
    subprocess.run(
        ["psql", f"{cluster.url}/postgres", "-qc", "CREATE DATABASE cchc_soak"], check=True, capture_output=True
    )
    ENV["DATABASE_URL"] = f"{cluster.url}/cchc_soak"
    manage("migrate", "--noinput")
    manage("import_results", "fixtures/ket-qua-cong-bo-2022.csv")
    out = subprocess.run([sys.executable, "-c", SETUP], cwd=ROOT, env=ENV, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(out.stderr[-2000:])
    period, leaves = out.stdout.split()
    return int(period), [int(pk) for pk in leaves.split(",")]


class Browser:
    """One visitor: a keep-alive connection and its cookies."""

    def __init__(self):
        self.cookies: dict[str, str] = {}
        self.connection = None

    def request(self, method: str, path: str, body: dict | None = None, headers: dict | None = None):
        data = urlencode(body).encode() if body is not None else None
        sent = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), **(headers or {})}
        if data is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
            sent["Referer"] = f"http://127.0.0.1:{PORT}{path}"
        for attempt in (1, 2):
            try:
                if self.connection is None:
                    self.connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
                self.connection.request(method, path, body=data, headers=sent)
                response = self.connection.getresponse()
                text = response.read().decode("utf-8", "replace")
                break
            except (ConnectionError, http.client.HTTPException, OSError):
                self.connection = None
                if attempt == 2:
                    return 599, ""
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, text


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.samples: dict[str, list[tuple[float, float, int]]] = defaultdict(list)  # kind -> (at, ms, status)

    def add(self, kind: str, at: float, ms: float, status: int) -> None:
        with self.lock:
            self.samples[kind].append((at, ms, status))


def timed(stats: Stats, kind: str, started: float, call):
    begin = time.perf_counter()
    status, text = call()
    stats.add(kind, begin - started, (time.perf_counter() - begin) * 1000, status)
    return status, text


def reader(stats, started, stop, units):
    browser, rng = Browser(), random.Random()
    paths = ["/xep-hang/2022/so/", "/xep-hang/2022/huyen/", "/api/v1/results/2022/so/", "/"]
    while not stop.is_set():
        path = rng.choice(paths + [f"/don-vi/{rng.choice(units)}/"])
        timed(stats, "đọc (công khai)", started, lambda path=path: browser.request("GET", path))


def login(browser: Browser, username: str) -> bool:
    status, page = browser.request("GET", "/dang-nhap/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if not token:
        return False
    form = {"csrfmiddlewaretoken": token.group(1), "username": username, "password": PASSWORD, "next": "/cham-diem/"}
    status, _ = browser.request("POST", "/dang-nhap/", form)
    return status == 302


def saver(n, period, leaves, stats, started, stop, ledger, ledger_lock):
    browser, rng = Browser(), random.Random(n)
    if not login(browser, f"canbo.{n}"):
        raise SystemExit(f"canbo.{n} could not log in")
    unit = f"huyen-tai-{n}"
    url = f"/cham-diem/ky/{period}/don-vi/{unit}/"
    while not stop.is_set():
        status, page = timed(stats, "mở trang chấm điểm", started, lambda: browser.request("GET", url))
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or not token:
            time.sleep(0.2)
            continue
        form = {"csrfmiddlewaretoken": token.group(1), "action": "save"}
        # What the page showed (each field's hidden initial value), sent back as a browser would, with one change.
        seen = dict(re.findall(r'<input type="hidden" name="(initial-[^"]+)"(?: value="([^"]*)")?', page))
        form.update(seen)
        form.update({name.removeprefix("initial-"): value for name, value in seen.items()})
        leaf = rng.choice(leaves)
        value = f"{rng.randrange(0, 41) / 4:g}"
        form[f"{leaf}-self_points"] = value.replace(".", ",")
        status, _ = timed(stats, "lưu điểm", started, lambda form=form: browser.request("POST", url, form))
        key, exact = f"{unit}/{leaf}", str(Decimal(value).normalize())
        with ledger_lock:
            acked, unsure = ledger.get(key, (None, []))
            # Acknowledged: this value must be there. Not acknowledged (the database was down): it may or may
            # not have been written, so it is one of the values the cell may hold.
            ledger[key] = (exact, []) if status == 302 else (acked, [*unsure, exact])


def flooder(stats, started, stop):
    browser = Browser()
    while not stop.is_set():
        if time.perf_counter() - started < BASELINE:
            time.sleep(0.05)
            continue
        status, page = browser.request("GET", "/dang-nhap/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        form = {
            "csrfmiddlewaretoken": token.group(1) if token else "",
            "username": "quantri",
            "password": "sai-mat-khau",
        }
        timed(
            stats, "đăng nhập sai (tấn công)", started, lambda form=form: browser.request("POST", "/dang-nhap/", form)
        )


def restart_postgresql(cluster: PrivateCluster) -> float:
    begin = time.perf_counter()
    cluster.restart()
    return time.perf_counter() - begin


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(stats: Stats, restart_seconds: float) -> None:
    print()
    print(f"{'loại yêu cầu':28s} {'số yêu cầu':>10s} {'lỗi 5xx':>8s} {'khác':>6s} {'p50 ms':>8s} {'p99 ms':>8s}")
    for kind, samples in stats.samples.items():
        errors = sum(1 for _, _, s in samples if s >= 500)
        other = sum(1 for _, _, s in samples if 400 <= s < 500)
        ms = [m for _, m, _ in samples]
        p50, p99 = percentile(ms, 0.5), percentile(ms, 0.99)
        print(f"{kind:28s} {len(samples):10d} {errors:8d} {other:6d} {p50:8.1f} {p99:8.1f}")
    readers = stats.samples.get("đọc (công khai)", [])
    alone = [m for at, m, _ in readers if at < BASELINE]
    loaded = [m for at, m, _ in readers if at >= BASELINE]
    print()
    print(
        f"đọc công khai, p50: {percentile(alone, 0.5):.1f} ms khi chỉ có người đọc; "
        f"{percentile(loaded, 0.5):.1f} ms khi có người lưu điểm và tấn công đăng nhập"
    )
    print(f"PostgreSQL khởi động lại lúc {RESTART_AT:.0f} s, mất {restart_seconds:.1f} s")
    outage = [(at, s) for kind in stats.samples for at, _, s in stats.samples[kind] if s >= 500]
    if outage:
        print(f"lỗi 5xx từ {min(a for a, _ in outage):.1f} s đến {max(a for a, _ in outage):.1f} s")


def main() -> int:
    with PrivateCluster() as cluster:
        log(f"PostgreSQL of the soak's own on 127.0.0.1:{cluster.port} ({cluster.folder})")
        return soak(cluster)


def soak(cluster: PrivateCluster) -> int:
    period, leaves = prepare(cluster)
    units = ["ubnd-huyen-a-luoi", "so-noi-vu", "so-tu-phap", "huyen-tai-1"]
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "cchc_portal.wsgi"],
        cwd=ROOT,
        env=ENV,
        start_new_session=True,
    )
    try:
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", PORT, timeout=1).request("GET", "/")
                break
            except OSError:
                time.sleep(0.2)
        log(f"gunicorn up on 127.0.0.1:{PORT}; {SECONDS:.0f} s of load")
        stats, stop, ledger, ledger_lock = Stats(), threading.Event(), {}, threading.Lock()
        started = time.perf_counter()
        threads = [threading.Thread(target=reader, args=(stats, started, stop, units)) for _ in range(6)]
        threads += [
            threading.Thread(target=saver, args=(n, period, leaves, stats, started, stop, ledger, ledger_lock))
            for n in range(1, 3)
        ]
        threads += [threading.Thread(target=flooder, args=(stats, started, stop)) for _ in range(2)]
        for thread in threads:
            thread.start()
        time.sleep(RESTART_AT)
        log("restarting PostgreSQL")
        restart_seconds = restart_postgresql(cluster)
        log(f"PostgreSQL back after {restart_seconds:.1f} s")
        time.sleep(max(0.0, SECONDS - (time.perf_counter() - started)))
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    report(stats, restart_seconds)
    check = subprocess.run(
        [sys.executable, "-c", CHECK], cwd=ROOT, env=ENV, input=json.dumps(ledger), capture_output=True, text=True
    )
    result = json.loads(check.stdout.strip().splitlines()[-1])
    print(f"điểm đã xác nhận lưu: {result['checked']} ô kiểm tra lại trong CSDL, thiếu {len(result['missing'])}")
    for item in result["missing"]:
        print("  thiếu:", item)
    return 1 if result["missing"] else 0


if __name__ == "__main__":
    sys.exit(main())
