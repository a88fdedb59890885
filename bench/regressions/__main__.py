"""`make bench-regressions`: how often the release comparison is wrong, as shipped.

Simulates releases from the lognormal shapes `bench-query` generates (bench/query/
dataset.py: medians near the HTTP Archive's, CLS with its share of zeros), bins their
samples exactly as the workers do, and runs services/query/significance.compare on them:

- false positives: two samples of the same distribution (an A/A comparison) called
  `regressed` or `improved`;
- power: a release whose every value is 10 % slower (so its p75 is 10 % higher) called
  `regressed`, with 1,000 page views a side.

It prints both per metric and, last, one JSON line. The comparison's latency over the
30-day data set is not measured yet (bench-query's data set has no releases): its field
is null until it is.
"""

from __future__ import annotations

import argparse
import collections
import json

import numpy as np

from bench.query.dataset import CLS_ZERO_SHARE, SHAPES
from services.contracts.metrics import Metric, Rating, bin_of, rating
from services.query.significance import Side, compare

PAGE_VIEWS = 1_000  # a side
REGRESSION = 1.10


def sample(rng: np.random.Generator, metric: Metric, n: int, factor: float) -> Side:
    median, sigma = SHAPES[metric]
    values = median * factor * np.exp(rng.normal(0, sigma, n))
    if metric is Metric.CLS:
        values = np.where(rng.random(n) < CLS_ZERO_SHARE, 0.0, values)
    counts = collections.Counter(bin_of(metric, float(v)) for v in values)
    good = sum(1 for v in values if rating(metric, float(v)) is Rating.GOOD)
    return Side(tuple(sorted(counts.items())), good)


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.regressions", description=__doc__)
    parser.add_argument("--trials", type=int, default=1_000, help="comparisons per metric")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    false_positives: dict[str, float] = {}
    power: dict[str, float] = {}
    for metric in Metric:
        wrong = found = 0
        for _ in range(args.trials):
            baseline = sample(rng, metric, PAGE_VIEWS, 1.0)
            same = compare(metric, sample(rng, metric, PAGE_VIEWS, 1.0), baseline)
            wrong += same.verdict in ("regressed", "improved")
            slower = compare(metric, sample(rng, metric, PAGE_VIEWS, REGRESSION), baseline)
            found += slower.verdict == "regressed"
        false_positives[metric.name] = wrong / args.trials
        power[metric.name] = found / args.trials
        print(
            f"{metric.name:5} A/A called changed {false_positives[metric.name]:6.1%}   "
            f"10 % p75 regression called regressed {power[metric.name]:6.1%}   "
            f"({args.trials:,} trials, {PAGE_VIEWS:,} page views a side)",
            flush=True,
        )
    print(json.dumps({
        "false_positive_rate": max(false_positives.values()),
        "power_10pct_1000": min(power.values()),
        "power_10pct_1000_lcp": power["LCP"],
        "false_positive_rate_by_metric": false_positives,
        "power_10pct_1000_by_metric": power,
        "comparison_cold_p95_ms": None,
        "trials": args.trials,
    }))  # fmt: skip


if __name__ == "__main__":
    main()
