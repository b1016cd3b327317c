"""Requests per second of published pages under gunicorn, against a trivial view served by the same gunicorn.

gunicorn runs as deployed (gunicorn.conf.py, DEBUG off) with 2 workers on 127.0.0.1, on the benchmark's
database; benchmarks/settings.py only adds the trivial view (`/bench-trivial/`: a short HttpResponse through
the same middleware). One setting differs: workers are not recycled (`--max-requests 0`). A new worker spends
about a second starting Django with an empty local cache, and at these rates gunicorn.conf.py's max_requests
would recycle each worker every few seconds: the rounds would measure start-ups, not pages.

The load comes from wrk (`-t2 -c8`) when it is on PATH, otherwise from a bounded Python generator (threads,
http.client). Each page is warmed first (every worker has it in its cache), then measured in rounds
interleaved with the trivial view, so both see the same machine; the figure is the median round. Requests
say `Accept-Encoding: gzip`, like a browser.
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
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchmarks.measure import Measurement

ROOT = Path(__file__).resolve().parents[1]
TRIVIAL = "/bench-trivial/"
HEADERS = {"Accept-Encoding": "gzip", "Host": "127.0.0.1"}
THREADS, CONNECTIONS = 2, 8
ROUNDS = 3


@dataclass(frozen=True)
class Page:
    """A measured address and the share of the trivial view's requests per second it must reach, if any."""

    label: str
    path: str
    goal_ratio_min: float | None = None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_env(port: int) -> dict[str, str]:
    """The environment of the benchmark's gunicorn: production settings but plain HTTP on 127.0.0.1."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
        "GUNICORN_LOGLEVEL": "warning",
        "GUNICORN_ACCESSLOG": "",
        "LOG_LEVEL": "ERROR",
    }
    return env


@contextmanager
def gunicorn(port: int):
    """gunicorn serving the portal on 127.0.0.1:`port` until the block ends."""
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--max-requests", "0", "cchc_portal.wsgi"],
        cwd=ROOT,
        env=server_env(port),
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while get(port, TRIVIAL)[0] != 200:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.2)
        yield server
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def get(port: int, path: str) -> tuple[int, bytes]:
    """One GET; status 0 when nothing answers."""
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("GET", path, headers=HEADERS)
        response = connection.getresponse()
        body = response.read()
        connection.close()
        return response.status, body
    except OSError:
        return 0, b""


# --- Load tools: each returns (requests per second, requests that were not 2xx/3xx) ----------------------


def wrk(port: int, path: str, seconds: float) -> tuple[float, int]:
    command = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{max(seconds, 1):g}s"]
    for name, value in HEADERS.items():
        if name != "Host":
            command += ["-H", f"{name}: {value}"]
    done = subprocess.run([*command, f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True)
    rate = re.search(r"Requests/sec:\s*([\d.]+)", done.stdout)
    if rate is None:
        raise RuntimeError(f"wrk printed no rate:\n{done.stdout}{done.stderr}")
    bad = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", done.stdout)
    errors = re.search(r"Socket errors:.*?read (\d+), write (\d+), timeout (\d+)", done.stdout)
    failed = int(bad.group(1)) if bad else 0
    if errors:
        failed += int(errors.group(2)) + int(errors.group(3))  # a read error is gunicorn closing a connection
    return float(rate.group(1)), failed


def python_load(port: int, path: str, seconds: float) -> tuple[float, int]:
    """CONNECTIONS threads, each sending requests back to back over http.client until the time is up."""
    counts, failures, lock = [0], [0], threading.Lock()
    deadline = time.perf_counter() + seconds

    def visitor():
        connection, done, failed = None, 0, 0
        while time.perf_counter() < deadline:
            try:
                if connection is None:
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                connection.request("GET", path, headers=HEADERS)
                response = connection.getresponse()
                response.read()
                if response.status >= 400:
                    failed += 1
                done += 1
                if response.will_close:
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException):
                failed += 1
                connection = None
        with lock:
            counts[0] += done
            failures[0] += failed

    start = time.perf_counter()
    threads = [threading.Thread(target=visitor) for _ in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return counts[0] / (time.perf_counter() - start), failures[0]


def load_tool():
    """wrk when it is installed, the Python generator otherwise; and its name for the report."""
    if shutil.which("wrk"):
        return wrk, f"wrk -t{THREADS} -c{CONNECTIONS}"
    return python_load, f"Python threads + http.client, {CONNECTIONS} connections"


def bench_http(pages: list[Page], seconds: float, progress) -> tuple[list[Measurement], str]:
    """Median requests per second of each page and of the trivial view, rounds interleaved."""
    tool, tool_name = load_tool()
    progress(f"http: load from {tool_name}, {ROUNDS} rounds of {seconds:g} s per address")
    port = free_port()
    paths = [TRIVIAL, *(page.path for page in pages)]
    with gunicorn(port):
        for path in paths:
            status, _ = get(port, path)
            if status != 200:
                raise RuntimeError(f"GET {path}: HTTP {status}")
            tool(port, path, min(seconds, 1.0))  # warm: both workers render and cache the page
        rates: dict[str, list[float]] = {path: [] for path in paths}
        for number in range(1, ROUNDS + 1):
            for path in paths:
                rate, failed = tool(port, path, seconds)
                if failed:
                    raise RuntimeError(f"{path}: {failed} failed requests under load")
                rates[path].append(rate)
            shown = ", ".join(f"{path} {rates[path][-1]:,.0f}" for path in paths)
            progress(f"http: round {number} of {ROUNDS}, req/s: {shown}")
    trivial = statistics.median(rates[TRIVIAL])
    measurements = [Measurement(f"http: trivial view {TRIVIAL}, same gunicorn", trivial, "req/s")]
    for page in pages:
        measurements.append(
            Measurement(
                f"http: {page.label} {page.path} (baseline trivial view)",
                statistics.median(rates[page.path]),
                "req/s",
                trivial,
                goal_ratio_min=page.goal_ratio_min,
            )
        )
    return measurements, tool_name
