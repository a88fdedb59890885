"""`make bench-regressions`: how often the release comparison is wrong, as shipped, and
how far its power is from what any test of a sample p75 could reach.

Simulates releases from the lognormal shapes `bench-query` generates (bench/query/
dataset.py: medians near the HTTP Archive's, CLS with its share of zeros; the p75s it
prints sit either side of web-vitals' good thresholds), bins their samples with the
workers' bins (contracts.metrics, ~2 % wide) and runs services/query/significance.compare
on them:

- false positives: two samples of the same distribution (an A/A comparison) called
  `regressed` or `improved`, with the 95 % Wilson interval of that rate over the trials
  (the JSON's `false_positive_rate`, the largest of five noisy rates, is biased up: the
  pooled rate is the one to hold against 5 %);
- power: a release whose every value is 10 % slower (so its true p75 is 10 % higher)
  called `regressed`, with 1,000 page views a side, next to the asymptotic limit of a
  sample-p75 comparison at that size (bench/regressions/limit.py) and the page views a
  side that limit needs for 80 %.

It prints per metric, then times the newest release's comparison and budget check over
bench-query's 30-day data set (latency.py: as bench-query does; null when that data set is
not loaded), and, last, one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math

import numpy as np

from bench.query.dataset import CLS_ZERO_SHARE, SHAPES, bins_of, ratings_of
from bench.regressions.latency import comparison_latency
from bench.regressions.limit import population
from services.contracts.metrics import RATING_NAMES, Metric, Rating, rating
from services.contracts.significance import Side, Z, compare

PAGE_VIEWS = 1_000  # a side
REGRESSION = 1.10
POWER_TARGET = 0.80


def sample(rng: np.random.Generator, metric: Metric, n: int, factor: float) -> Side:
    median, sigma = SHAPES[metric]
    values = median * factor * np.exp(rng.normal(0, sigma, n))
    if metric is Metric.CLS:
        values = np.where(rng.random(n) < CLS_ZERO_SHARE, 0.0, values)
    bins, counts = np.unique(bins_of(metric, values), return_counts=True)
    good = int(np.count_nonzero(ratings_of(metric, values) == Rating.GOOD))
    return Side(tuple(bins.tolist()), tuple(counts.tolist()), good)


def wilson(hits: int, trials: int) -> tuple[float, float]:
    """The 95 % Wilson score interval of a binomial rate."""
    rate, spread = hits / trials, Z * Z / trials
    centre = (rate + spread / 2) / (1 + spread)
    half = Z * math.sqrt(rate * (1 - rate) / trials + spread / (4 * trials)) / (1 + spread)
    return centre - half, centre + half


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.regressions", description=__doc__)
    parser.add_argument("--trials", type=int, default=1_000, help="comparisons per metric")
    parser.add_argument(
        "--calls", type=int, default=25, help="timed comparisons over the 30-day data set"
    )
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    wrong: dict[str, int] = {}
    power: dict[str, float] = {}
    limit: dict[str, float] = {}
    needed: dict[str, int] = {}
    for metric in Metric:
        truth = population(metric)
        wrong[metric.name] = found = 0
        for _ in range(args.trials):
            baseline = sample(rng, metric, PAGE_VIEWS, 1.0)
            same = compare(metric, sample(rng, metric, PAGE_VIEWS, 1.0), baseline)
            wrong[metric.name] += same.verdict in ("regressed", "improved")
            slower = compare(metric, sample(rng, metric, PAGE_VIEWS, REGRESSION), baseline)
            found += slower.verdict == "regressed"
        power[metric.name] = found / args.trials
        limit[metric.name] = truth.power(PAGE_VIEWS, REGRESSION)
        needed[metric.name] = truth.page_views_for(POWER_TARGET, REGRESSION)
        low, high = wilson(wrong[metric.name], args.trials)
        rated = RATING_NAMES[rating(metric, truth.p75)]
        print(
            f"{metric.name:5} true p75 {truth.p75:7.4g} ({rated}, "
            f"{truth.good_share:.0%} good)   A/A called changed "
            f"{wrong[metric.name] / args.trials:6.2%} [{low:.2%}, {high:.2%}]   "
            f"10 % p75 regression called regressed {power[metric.name]:6.1%} "
            f"(limit {limit[metric.name]:.1%}; {POWER_TARGET:.0%} needs "
            f"{needed[metric.name]:,} page views a side)",
            flush=True,
        )
    pooled_trials = args.trials * len(wrong)
    pooled = sum(wrong.values())
    pooled_ci95 = wilson(pooled, pooled_trials)
    print(
        f"all   A/A called changed {pooled / pooled_trials:6.2%} "
        f"[{pooled_ci95[0]:.2%}, {pooled_ci95[1]:.2%}] over {pooled_trials:,} comparisons   "
        f"({args.trials:,} trials a metric, {PAGE_VIEWS:,} page views a side)"
    )
    false_positives = {name: hits / args.trials for name, hits in wrong.items()}
    latency, edition = asyncio.run(comparison_latency(args.calls))
    if latency is None:
        print(
            "the comparison's latency: bench-query's 30-day data set is not loaded on this"
            " edition's cluster (`make bench-query` loads it); comparison_cold_p95_ms is null"
        )
    print(json.dumps({
        "false_positive_rate": max(false_positives.values()),
        "power_10pct_1000": min(power.values()),
        "power_10pct_1000_lcp": power["LCP"],
        "false_positive_rate_by_metric": false_positives,
        "power_10pct_1000_by_metric": power,
        "comparison_cold_p95_ms": latency and round(latency["comparison"]["cold_p95_ms"], 2),
        "check_cold_p95_ms": latency and round(latency["check"]["cold_p95_ms"], 2),
        "edition": edition,
        "trials": args.trials,
        "false_positive_rate_pooled": pooled / pooled_trials,
        "false_positive_rate_pooled_ci95": pooled_ci95,
        "false_positive_rate_ci95_by_metric": {
            name: wilson(hits, args.trials) for name, hits in wrong.items()
        },
        "power_10pct_1000_limit_by_metric": limit,
        "page_views_for_80pct_power_by_metric": needed,
    }))  # fmt: skip


if __name__ == "__main__":
    main()
