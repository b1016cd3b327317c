"""Published pages under gunicorn, measured by the worker CPU each request costs, against a trivial view served by
the same gunicorn.

gunicorn runs as deployed: the repository's gunicorn.conf.py unchanged (its worker count, its worker recycling
after max_requests ± jitter, its access log to stdout, here a file as journald would be), the production settings
(DEBUG off, manifest static files after `collectstatic`, log level WARNING, background jobs not run in the
request), on plain HTTP on 127.0.0.1 and the benchmark's database. benchmarks/settings.py only adds the trivial
view (`/bench-trivial/`: a short HttpResponse through the same middleware). Two settings are widened so that the
measurement can be made at all, neither of which changes the code a request runs: every `*.bench.test` host is
allowed (a miss is forced by a host of its own: the page cache is keyed by host and path, not by junk query
strings), and the per-address limit on renders is raised (every request comes from 127.0.0.1, where a real site
has thousands of addresses; the counter is still incremented).

The figure of each address is the CPU time of gunicorn's workers (utime + stime from /proc, the master's reaped
children included, so a worker recycled during a round still counts) divided by the requests of the round: it
does not depend on how much CPU the machine's other work left to the server, which requests per second do (they
are printed beside it, with p50 and p99). Each address is measured in rounds interleaved with the trivial view,
the order rotated every round; the figure is the median round. Rounds are added until the trivial view's spread
(the interquartile range of its per-round CPU per request over their median) is under 10 %, or a limit of rounds
is reached; the spread is printed with its goal, the full range ((max - min) / median) beside it. Why not the
range alone: on a virtual machine a whole round now and then runs 30 % slower for every address alike (the host's
other tenants); the range is decided by that one round and only grows as rounds are added, so no number of rounds
could meet a goal on it, while the middle half of the rounds says how far the median round can be trusted. The
ratio of each page to the trivial view is also given per round (the page's round against the trivial view's
round, whose slowdowns they share), its median beside the ratio of the medians.

Hits: each page is warmed first (every worker has it in its cache). Misses: every request names a host no
request named before, so each one renders and stores the page. Requests say `Accept-Encoding: gzip`, like a
browser. The load comes from wrk (`-t2 -c8`) when it is on PATH, otherwise from a Python generator.
"""

import http.client
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path

from benchmarks.measure import Measurement

ROOT = Path(__file__).resolve().parents[1]
TRIVIAL = "/bench-trivial/"
HEADERS = {"Accept-Encoding": "gzip"}
MISS_DOMAIN = "bench.test"
THREADS, CONNECTIONS = 2, 8
SPREAD_MAX = 0.10  # the trivial view's per-round spread of CPU per request must be under this
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Page:
    """A measured address; `miss` forces every request to render; `goal_cpu_ratio_max` bounds its worker CPU per
    request against the trivial view's."""

    label: str
    path: str
    miss: bool = False
    goal_cpu_ratio_max: float | None = None


@dataclass
class Round:
    """One round of load on one address: requests served, their rate, latency and the workers' CPU."""

    requests: int
    seconds: float
    cpu_seconds: float
    p50_ms: float | None
    p99_ms: float | None
    failed: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_ms(self) -> float:
        return self.cpu_seconds * 1e3 / max(self.requests, 1)


@dataclass
class Series:
    rounds: list[Round] = field(default_factory=list)

    def median(self, attribute: str) -> float | None:
        values = [getattr(r, attribute) for r in self.rounds if getattr(r, attribute) is not None]
        return statistics.median(values) if values else None

    def spread(self, attribute: str = "cpu_ms") -> float:
        """The interquartile range of the rounds over their median: how wide the middle half of the rounds is."""
        values = [getattr(r, attribute) for r in self.rounds]
        if len(values) < 4:
            return self.full_range(attribute)
        q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
        return (q3 - q1) / statistics.median(values)

    def full_range(self, attribute: str = "cpu_ms") -> float:
        """(max - min) / median of the rounds: one round the host slowed down decides it, and it only grows as
        rounds are added."""
        values = [getattr(r, attribute) for r in self.rounds]
        return (max(values) - min(values)) / statistics.median(values)

    def paired_ratio(self, base: "Series", attribute: str = "cpu_ms") -> float:
        """The median over rounds of this address's figure divided by the base's figure of the same round."""
        return statistics.median(
            getattr(mine, attribute) / getattr(theirs, attribute)
            for mine, theirs in zip(self.rounds, base.rounds, strict=True)
        )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def collect_static() -> None:
    """The manifest static files production serves (`manage.py collectstatic`, into STATIC_ROOT)."""
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env={**os.environ, "STATIC_MANIFEST": "1"},
        check=True,
    )


def server_env(port: int, **extra: str) -> dict[str, str]:
    """The environment of the benchmark's gunicorn: production settings on plain HTTP on 127.0.0.1."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GUNICORN_")}
    for name in ("LOG_LEVEL", "JOBS_EAGER"):  # the bench process's own quiet and eager settings
        env.pop(name, None)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
            "DEBUG": "0",
            "STATIC_MANIFEST": "1",
            "ALLOWED_HOSTS": f"127.0.0.1,localhost,.{MISS_DOMAIN}",
            "PUBLIC_MISSES_PER_MINUTE": "1000000000",
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            **extra,
        }
    )
    return env


@dataclass
class Server:
    port: int
    process: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid


@contextmanager
def gunicorn(port: int, log_dir: Path | None = None, **extra: str):
    """gunicorn with the repository's gunicorn.conf.py serving the portal on 127.0.0.1:`port` until the block
    ends; its stdout and stderr (access and error log) go to a file."""
    log_dir = Path(log_dir or tempfile.mkdtemp(prefix="cchc-bench-gunicorn-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"gunicorn-{port}.log"
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "cchc_portal.wsgi"],
            cwd=ROOT,
            env=server_env(port, **extra),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 90
        while get(port, TRIVIAL)[0] != 200:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.2)
        yield Server(port, process, log)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def get(port: int, path: str, host: str = "127.0.0.1") -> tuple[int, bytes]:
    """One GET; status 0 when nothing answers."""
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("GET", path, headers={**HEADERS, "Host": host})
        response = connection.getresponse()
        body = response.read()
        connection.close()
        return response.status, body
    except OSError:
        return 0, b""


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()  # fields from the state on: the command name may hold spaces


def server_cpu(master: int) -> float:
    """CPU seconds of gunicorn's workers so far: the live ones, and those the master has reaped (recycled)."""
    fields = _stat(master)
    if fields is None:
        raise RuntimeError("gunicorn's master is gone")
    total = int(fields[13]) + int(fields[14])  # cutime + cstime: reaped workers
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            child = _stat(int(entry.name))
            if child is not None and child[1] == str(master):
                total += int(child[11]) + int(child[12])  # utime + stime
    return total / TICKS


# --- Load tools: each returns (requests, seconds, p50 ms, p99 ms, failed requests) ------------------------

MISS_SCRIPT = """
local threads = 0
function setup(thread) threads = threads + 1; thread:set("tid", threads) end
local n, prefix = 0, "x"
function init(args) prefix = args[1] .. "t" .. tostring(tid) end
function request()
  n = n + 1
  return wrk.format("GET", nil, {["Host"] = "m" .. n .. prefix .. ".MISS_DOMAIN", ["Accept-Encoding"] = "gzip"})
end
""".replace("MISS_DOMAIN", MISS_DOMAIN)

_miss_tokens = count(1)


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}[unit]


def wrk(port: int, path: str, seconds: float, miss: bool, script_dir: Path) -> tuple:
    # wrk's own timeout is 2 s: a national page rendered afresh on a busy machine takes longer, and is a slow
    # answer to measure, not a failure.
    command = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{max(seconds, 1):g}s", "--latency", "--timeout", "30s"]
    for name, value in HEADERS.items():
        command += ["-H", f"{name}: {value}"]
    url = f"http://127.0.0.1:{port}{path}"
    if miss:
        script = script_dir / "miss.lua"
        script.write_text(MISS_SCRIPT)
        command += ["-s", str(script), url, "--", f"r{os.getpid()}x{next(_miss_tokens)}"]
    else:
        command.append(url)
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    out = done.stdout
    served = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", out)
    if served is None:
        raise RuntimeError(f"wrk printed no count:\n{out}{done.stderr}")
    requests, elapsed = int(served.group(1)), _ms(served.group(2) + served.group(3)) / 1e3
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    bad = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", out)
    errors = re.search(r"Socket errors:.*?read (\d+), write (\d+), timeout (\d+)", out)
    failed = int(bad.group(1)) if bad else 0
    if errors:
        failed += int(errors.group(2)) + int(errors.group(3))  # a read error is gunicorn closing a connection
    return requests, elapsed, p50 and _ms(p50.group(1)), p99 and _ms(p99.group(1)), failed


def python_load(port: int, path: str, seconds: float, miss: bool, script_dir: Path, connections: int = CONNECTIONS):
    """`connections` threads, each sending requests back to back over http.client until the time is up."""
    latencies, failures, lock = [], [0], threading.Lock()
    deadline = time.perf_counter() + seconds
    token = f"r{os.getpid()}x{next(_miss_tokens)}"

    def visitor(number):
        connection, mine, failed = None, [], 0
        for n in count():
            if time.perf_counter() >= deadline:
                break
            host = f"m{n}{token}t{number}.{MISS_DOMAIN}" if miss else "127.0.0.1"
            try:
                if connection is None:
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                start = time.perf_counter()
                connection.request("GET", path, headers={**HEADERS, "Host": host})
                response = connection.getresponse()
                response.read()
                mine.append(time.perf_counter() - start)
                if response.status >= 400:
                    failed += 1
                if response.will_close:
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException):
                failed += 1
                connection = None
        with lock:
            latencies.extend(mine)
            failures[0] += failed

    start = time.perf_counter()
    threads = [threading.Thread(target=visitor, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    p50, p99 = percentiles(latencies)
    return len(latencies), elapsed, p50, p99, failures[0]


def percentiles(seconds: list[float]) -> tuple[float | None, float | None]:
    """p50 and p99 in ms of a list of latencies in seconds."""
    if not seconds:
        return None, None
    ordered = sorted(seconds)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1e3  # noqa: E731
    return pick(0.50), pick(0.99)


def load_tool():
    """wrk when it is installed, the Python generator otherwise; and its name for the report."""
    if shutil.which("wrk"):
        return wrk, f"wrk -t{THREADS} -c{CONNECTIONS}"
    return python_load, f"Python threads + http.client, {CONNECTIONS} connections"


def measure_round(tool, server: Server, page: Page, seconds: float, work: Path) -> Round:
    before = server_cpu(server.pid)
    requests, elapsed, p50, p99, failed = tool(server.port, page.path, seconds, page.miss, work)
    cpu = server_cpu(server.pid) - before
    return Round(requests, elapsed, cpu, p50, p99, failed)


def bench_http(pages: list[Page], seconds: float, rounds: int, max_rounds: int, progress, work: Path):
    """Worker CPU per request (and req/s, p50, p99) of each page and of the trivial view, rounds interleaved."""
    tool, tool_name = load_tool()
    trivial = Page("trivial view", TRIVIAL)
    addresses = [trivial, *pages]
    progress(f"http: collectstatic; load from {tool_name}, rounds of {seconds:g} s per address")
    collect_static()
    port = free_port()
    series = {page: Series() for page in addresses}
    with gunicorn(port, work) as server:
        workers = _workers(server.pid)
        for page in addresses:
            status, _ = get(server.port, page.path)
            if status != 200:
                raise RuntimeError(f"GET {page.path}: HTTP {status}")
            if not page.miss:
                tool(server.port, page.path, min(seconds, 1.0), False, work)  # warm: every worker caches it
        number = 0
        while number < rounds or (series[trivial].spread() >= SPREAD_MAX and number < max_rounds):
            number += 1
            order = addresses[number % len(addresses) :] + addresses[: number % len(addresses)]
            for page in order:
                measured = measure_round(tool, server, page, seconds, work)
                if measured.failed:
                    raise RuntimeError(f"{page.path}: {measured.failed} failed requests under load")
                series[page].rounds.append(measured)
            shown = ", ".join(f"{p.path}{'(miss)' * p.miss} {series[p].rounds[-1].cpu_ms:.2f}" for p in addresses)
            progress(f"http: round {number}, worker CPU ms/request: {shown}")
            progress(f"http: trivial view's spread so far {series[trivial].spread():.1%}")
        recycled = len(_workers(server.pid) - workers)
    base = series[trivial]
    base_cpu, base_rate = base.median("cpu_ms"), base.median("rate")
    measurements = [
        Measurement(
            f"http: trivial view {TRIVIAL}, worker CPU per request, median of {len(base.rounds)} rounds",
            base_cpu, "ms",
        ),
        Measurement(f"http: trivial view {TRIVIAL}, req/s", base_rate, "req/s"),
        Measurement(
            "http: trivial view, spread of CPU per request across rounds (interquartile range / median)",
            base.spread() * 100, "%", goal_value_max=SPREAD_MAX * 100,
        ),
        Measurement(
            "http: trivial view, full range of CPU per request across rounds ((max - min) / median)",
            base.full_range() * 100, "%",
        ),
        Measurement("http: trivial view, spread of req/s across rounds", base.spread("rate") * 100, "%"),
    ]  # fmt: skip
    for page in pages:
        s, kind = series[page], "miss" if page.miss else "hit"
        name = f"http: {page.label} {page.path}, {kind}"
        measurements += [
            Measurement(
                f"{name}, worker CPU per request (baseline trivial view)",
                s.median("cpu_ms"), "ms", base_cpu, goal_ratio_max=page.goal_cpu_ratio_max,
            ),
            Measurement(
                f"{name}, worker CPU per request, median of the per-round ratios to the trivial view",
                s.paired_ratio(base), "×",
            ),
            Measurement(f"{name}, req/s (baseline trivial view)", s.median("rate"), "req/s", base_rate),
            Measurement(f"{name}, p99 under -c{CONNECTIONS} (p50 {s.median('p50_ms'):.1f} ms)", s.median("p99_ms"),
                        "ms"),
        ]  # fmt: skip
        if page.miss:
            hit = next((p for p in pages if p.path == page.path and not p.miss), None)
            if hit is not None and s.median("cpu_ms") <= series[hit].median("cpu_ms"):
                raise RuntimeError(f"{page.path}: the misses cost no more than the hits; they were not misses")
    meta = {
        "load_tool": tool_name,
        "http_rounds": len(base.rounds),
        "http_round_seconds": seconds,
        "gunicorn_workers": len(workers),
        "gunicorn_workers_recycled": recycled,
    }
    return measurements, meta


def _workers(master: int) -> set[int]:
    found = set()
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields is not None and fields[1] == str(master):
                found.add(int(entry.name))
    return found
