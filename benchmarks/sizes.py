"""How much data and time each benchmark gets: the national size, or a tiny one (BENCH_SIZE=tiny) for the smoke
run, which only shows that every benchmark still runs and reports."""

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Size:
    """How much data and time each benchmark gets."""

    name: str
    communes: int  # the large table: communes, wards and townships (xã block)
    leaves: int  # criteria of the large period and of the score sheet
    sheet_units: int  # units of the score-sheet import (huyện block)
    detailed_units: int  # units x criteria of the detailed report
    detailed_leaves: int
    http_seconds: float  # one round of HTTP load on one address
    http_rounds: int  # rounds of every address, interleaved; more (up to http_max_rounds) while the trivial view's
    http_max_rounds: int  # spread is 10 % or more
    staff: int  # unit staff saving their sheets beside the readers
    mixed_seconds: float  # one phase of readers beside writers
    growth_leaves: int  # criteria of the growth series (1x, 3x, 10x communes)
    runs: int  # calls of an in-process timing; the fastest counts


SIZES = {
    # 3,321 communes nationally; a province's districts; a criteria set larger than any in use for the report.
    "full": Size("full", communes=3321, leaves=100, sheet_units=200, detailed_units=300, detailed_leaves=150,
                 http_seconds=4.0, http_rounds=5, http_max_rounds=9, staff=20, mixed_seconds=20.0,
                 growth_leaves=20, runs=3),
    "tiny": Size("tiny", communes=40, leaves=10, sheet_units=20, detailed_units=30, detailed_leaves=15,
                 http_seconds=1.0, http_rounds=2, http_max_rounds=2, staff=3, mixed_seconds=2.0,
                 growth_leaves=5, runs=1),
}  # fmt: skip


def size_from_env() -> Size:
    name = os.environ.get("BENCH_SIZE", "full")
    if name not in SIZES:
        raise SystemExit(f"BENCH_SIZE must be one of {', '.join(SIZES)}; got {name!r}")
    return SIZES[name]
