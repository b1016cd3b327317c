"""Timing, peak memory, goals and the results table: plain Python, no Django."""

import gc
import json
import math
import statistics
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
    """One printed line: a measured value, the baseline it is compared with when there is one, and its goal.

    A goal is any of: the ratio to the baseline at most (`goal_ratio_max`) or at least (`goal_ratio_min`) a bound,
    the value at most a bound (`goal_value_max`, in the measurement's unit), or the value equal to the baseline
    (`goal_same`). `met` is computed from them: None when there is no goal, True only when every part holds.
    """

    name: str
    value: float
    unit: str
    baseline: float | None = None
    goal_ratio_max: float | None = None
    goal_ratio_min: float | None = None
    goal_value_max: float | None = None
    goal_same: bool = False

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline == 0:
            return None
        return self.value / self.baseline

    @property
    def goal(self) -> str | None:
        parts = []
        if self.goal_ratio_max is not None:
            parts.append(f"ratio ≤ {self.goal_ratio_max:g}")
        if self.goal_ratio_min is not None:
            parts.append(f"ratio ≥ {self.goal_ratio_min:g}")
        if self.goal_value_max is not None:
            parts.append(f"≤ {self.goal_value_max:g} {self.unit}")
        if self.goal_same:
            parts.append("= baseline")
        return ", ".join(parts) or None

    @property
    def met(self) -> bool | None:
        if self.goal is None:
            return None
        ratio = self.ratio
        checks = []
        if self.goal_ratio_max is not None:
            checks.append(ratio is not None and ratio <= self.goal_ratio_max)
        if self.goal_ratio_min is not None:
            checks.append(ratio is not None and ratio >= self.goal_ratio_min)
        if self.goal_value_max is not None:
            checks.append(self.value <= self.goal_value_max)
        if self.goal_same:
            checks.append(self.baseline is not None and self.value == self.baseline)
        return all(checks)

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "value": self.value,
            "unit": self.unit,
            "baseline": self.baseline,
            "ratio": self.ratio,
            "goal": self.goal,
            "met": self.met,
        }


def best_of(func: Callable[[], T], runs: int) -> tuple[float, T]:
    """The fastest of `runs` calls in seconds, and the last call's result."""
    best, result = math.inf, None
    for _ in range(max(runs, 1)):
        gc.collect()
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


def best_in_turns(funcs: list[Callable[[], object]], runs: int) -> list[float]:
    """The fastest of `runs` calls of each function in seconds, the functions called in turns (a b, b a, a b…):
    on a machine others share, a burst of their load then slows both sides of a ratio instead of one."""
    best = [math.inf] * len(funcs)
    for turn in range(max(runs, 1)):
        for i in range(len(funcs)) if turn % 2 == 0 else reversed(range(len(funcs))):
            gc.collect()
            start = time.perf_counter()
            funcs[i]()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def median(values: list[float]) -> float:
    return statistics.median(values)


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
    # Three significant digits: a ratio of 0.796 against a goal of 0.8 must not print as 0.80.
    if value is None:
        return "-"
    return f"{value:.3g}x" if value < 1000 else f"{value:,.0f}x"


def _met(value: bool | None) -> str:
    return "-" if value is None else "yes" if value else "MISSED"


HEADER = ("measurement", "value", "unit", "baseline", "ratio", "goal", "met")


def table_rows(measurements: list[Measurement]) -> list[tuple[str, ...]]:
    return [
        (m.name, _number(m.value), m.unit, _number(m.baseline), _ratio(m.ratio), m.goal or "-", _met(m.met))
        for m in measurements
    ]


def format_table(measurements: list[Measurement]) -> str:
    """A plain-text table: name, value, unit, baseline, ratio, goal, met."""
    rows = table_rows(measurements)
    widths = [max(len(row[i]) for row in [HEADER, *rows]) for i in range(len(HEADER))]
    align = ("<", ">", "<", ">", ">", "<", "<")

    def line(row):
        return "  ".join(f"{cell:{a}{w}}" for cell, a, w in zip(row, align, widths, strict=True)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(HEADER), rule, *(line(row) for row in rows)])


def goals_summary(measurements: list[Measurement]) -> str:
    with_goal = [m for m in measurements if m.met is not None]
    missed = [m.name for m in with_goal if not m.met]
    text = f"goals: {len(with_goal) - len(missed)} of {len(with_goal)} met"
    return text + "".join(f"\n  missed: {name}" for name in missed)


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
