"""The benchmarks still run and report every goal: `make bench-smoke` (BENCH_SIZE=tiny) in a subprocess, on the
database server of this test run (SQLite, or PostgreSQL when DATABASE_URL points there: the run creates and drops
a database of its own), with its results written to a temporary file rather than benchmarks/results/."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.nginx import NGINX

ROOT = Path(__file__).resolve().parents[1]
# A minute and more of work: CI runs it every time (CI=true); on a developer's machine only with SLOW=1.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (os.environ.get("CI") or os.environ.get("SLOW")), reason="the benchmark smoke run: CI, or SLOW=1"
    ),
]
# One of each part of the goals, as the table names them (readers beside writers where nginx is installed,
# as in CI).
EXPECTED = (
    "engine: rank_entries",
    "publish: period_publish",
    "cold html: /xep-hang/",
    "cold xlsx: /xep-hang/",
    "http: trivial view",
    "http: ranking page, 21 rows",
    "http: API, 21 rows",
    "import: read_result_rows",
    "score sheet: check + write",
    "score sheet: check + write, into an empty period",
    "save: scores_save",
    "entry sheet: 1 unit",
    "period page: ",
    "detailed report: ",
    "search 'huong thuy', ",
    "http: ranking page, 21 rows /xep-hang/2024/so/, miss, worker CPU per request",
    "http: trivial view, spread of CPU per request",
    "growth: publication, 10x",
    "growth: cold ranking page, 10x",
) + (("readers beside writers: ",) if NGINX else ())


def test_the_benchmarks_run_at_tiny_size_and_print_every_measurement_with_its_goal(tmp_path):
    results = tmp_path / "smoke.json"
    env = {**os.environ, "BENCH_SIZE": "tiny", "BENCH_RESULTS": str(results)}
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]

    lines = done.stdout.splitlines()
    header = next(line for line in lines if line.startswith("measurement "))
    assert header.split() == ["measurement", "value", "unit", "baseline", "ratio", "goal", "met"]
    measurements = json.loads(results.read_text(encoding="utf-8"))["measurements"]
    for expected in EXPECTED:
        assert any(m["name"].startswith(expected) for m in measurements), expected
    for measurement in measurements:
        assert {"goal", "met"} <= measurement.keys()
        assert (measurement["goal"] is None) == (measurement["met"] is None), measurement
        printed = next(line for line in lines if line.startswith(measurement["name"] + " "))
        met = {None: "-", True: "yes", False: "MISSED"}[measurement["met"]]
        assert printed.endswith(met) and (measurement["goal"] or "-") in printed, printed
    assert any(m["goal"] for m in measurements)
