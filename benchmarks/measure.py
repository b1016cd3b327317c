"""Timing, peak memory and the results table: plain Python, no Django."""

import gc
import json
import math
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
MIB = 1024 * 1024


@dataclass(frozen=True)
class Measurement:
    """One printed line: a measured value and, when there is one, the baseline it is compared with."""

    name: str
    value: float
    unit: str
    baseline: float | None = None

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline == 0:
            return None
        return self.value / self.baseline

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "value": self.value,
            "unit": self.unit,
            "baseline": self.baseline,
            "ratio": self.ratio,
        }


def best_of(func: Callable[[], T], runs: int) -> tuple[float, T]:
    """The fastest of `runs` calls in seconds, and the last call's result."""
    best, result = math.inf, None
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


def peak_memory(func: Callable[[], T]) -> tuple[float, T]:
    """Peak Python memory (MiB, tracemalloc) during one call, and its result. Slows the call down."""
    gc.collect()
    tracemalloc.start()
    try:
        result = func()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / MIB, result


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    if value != 0 and (abs(value) >= 1e6 or abs(value) < 1e-3):
        return f"{value:.3e}"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:,.2f}x"


def format_table(measurements: list[Measurement]) -> str:
    """A plain-text table: name, value, unit, baseline, ratio."""
    header = ("measurement", "value", "unit", "baseline", "ratio")
    rows = [(m.name, _number(m.value), m.unit, _number(m.baseline), _ratio(m.ratio)) for m in measurements]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    align = ("<", ">", "<", ">", ">")

    def line(row):
        return "  ".join(f"{cell:{a}{w}}" for cell, a, w in zip(row, align, widths, strict=True)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


def write_json(path: Path, measurements: list[Measurement], meta: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"meta": meta, "measurements": [m.as_dict() for m in measurements]}
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


class Progress:
    """Progress lines on stdout, stamped with the seconds since the run started."""

    def __init__(self):
        self.started = time.perf_counter()

    def __call__(self, message: str) -> None:
        print(f"[{time.perf_counter() - self.started:6.1f}s] {message}", flush=True)
