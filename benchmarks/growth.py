"""Growth: the same work at 1x, 3x and 10x the national number of units, each unit costing the same or the
cost is not linear.

Three periods of the huyện block (whose units all belong to one year), in years of their own, each after a published
table of the year before for the same units (as every real table but the first has: the publication and the ranking
page compare with it), with `leaves` criteria each (the per-unit cost is what is compared, and 10x the national
units at 100 criteria would be 3.3 million scores to build), each published (median of `runs` publications, the
table unpublished again between them) and its ranking page requested with the page cache empty. The goal: at 3x and
10x, the cost per unit at most GROWTH_SLACK times the cost per unit at 1x. Before publication, the administrator's
period page of each (a page of 100 units, counts, the table to publish): at most PERIOD_PAGE_MS at every size, its
peak memory at most GROWTH_SLACK times the 1x page's (a page of 100 units costs the same whatever the units behind
it). Run last: the growth tables would otherwise add their names to the search's.
"""

import gc
import statistics
import time

from django.test import Client

from benchmarks import data
from benchmarks.measure import Measurement, peak_memory

FACTORS = (1, 3, 10)
# Two years apart: each period's year before holds its own previous table. In consecutive years the 3x table compared
# with the 1x one and the 1x table with none, so the sizes did not do the same work per unit.
GROWTH_YEARS = {1: 2031, 3: 2033, 10: 2035}
GROWTH_SLACK = 1.25


def bench_growth(units: int, leaves: int, runs: int, progress) -> list[Measurement]:
    from benchmarks import suite

    publish, page, sizes, staff_page, staff_memory = {}, {}, {}, {}, {}
    for factor in FACTORS:
        n = units * factor
        progress(f"growth: building {n:,} units x {leaves} criteria")
        names = [f"{name} (G{factor})" for name in data.commune_names(n, salt=f"growth{factor}")]  # unique per block
        scores = data.make_scores(names, f"growth{factor}", leaves)
        period = data.build_scored_period("huyen", scores, GROWTH_YEARS[factor], tag=f"g{factor}", only_year=True)
        data.publish_previous_year(period)
        suite.analyze()
        staff_page[factor], staff_memory[factor] = _period_page(period, runs)
        times = []
        for turn in range(runs):
            gc.collect()
            start = time.perf_counter()
            suite._publish(period)
            times.append(time.perf_counter() - start)
            if turn < runs - 1:
                data.unpublish(period)
        publish[factor] = statistics.median(times)
        cold = suite._cold(Client(), f"/xep-hang/{GROWTH_YEARS[factor]}/huyen/", runs)
        suite.check(cold.size > n * 100, f"the growth page of {n:,} units is too small to hold its rows")
        page[factor], sizes[factor] = cold.seconds, n
        progress(f"growth: {n:,} units: publication {publish[factor]:.2f} s, cold page {page[factor]:.3f} s")
    measurements = []
    for factor in FACTORS:
        label = f"growth: period page before publication, {factor}x = {sizes[factor]:,} units"
        measurements += [
            Measurement(f"{label} (baseline 1x)", staff_page[factor] * 1e3, "ms", staff_page[1] * 1e3,
                        goal_value_max=suite.PERIOD_PAGE_MS),
            Measurement(f"{label}, peak memory (baseline 1x)", staff_memory[factor], "MiB", staff_memory[1],
                        goal_ratio_max=GROWTH_SLACK if factor > 1 else None),
        ]  # fmt: skip
    for label, found in (("publication", publish), ("cold ranking page", page)):
        base = found[1] / sizes[1] * 1e3  # ms per unit at 1x
        for factor in FACTORS:
            per_unit = found[factor] / sizes[factor] * 1e3
            measurements.append(
                Measurement(
                    f"growth: {label}, {factor}x = {sizes[factor]:,} units x {leaves} criteria, {found[factor]:.3f} s; "
                    "per unit (baseline per unit at 1x)",
                    per_unit,
                    "ms/unit",
                    base,
                    goal_ratio_max=GROWTH_SLACK if factor > 1 else None,
                )
            )
    return measurements


def _period_page(period, runs: int) -> tuple[float, float]:
    """The administrator's page of the period: median seconds of `runs` requests, and the peak memory of one."""
    from django.test.utils import override_settings

    from benchmarks import suite

    client = Client()
    url = f"/cham-diem/ky/{period.pk}/"

    def page():
        response = client.get(url)
        suite.check(response.status_code == 200, f"GET {url}: HTTP {response.status_code}")
        return response

    with override_settings(ADMIN_SECOND_FACTOR=False):
        client.force_login(data.bench_admin())
        page()  # the session and the tree read once, as for any later visit
        times = []
        for _ in range(runs):
            gc.collect()
            start = time.perf_counter()
            page()
            times.append(time.perf_counter() - start)
        peak, _ = peak_memory(page)
    return statistics.median(times), peak
