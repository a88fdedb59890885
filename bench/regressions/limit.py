"""What any test of a sample p75 could achieve on the simulated distributions: the limit
the measured power is printed against.

The p75 of n samples is asymptotically normal around the true one, with standard
deviation √(q(1-q)/n) / g on the log scale, g the density of log values at the true p75.
Two independent sides of n differ by a normal of standard deviation √2 times that, so a
test at level α that knew it exactly would call a true change δ of log p75 a regression
with probability Φ(δ/sd - z(1-α/2)): no estimate of sd, binning or interpolation can do
better at that n (up to finite-sample terms; a simulation of raw, unbinned samples with
the exact sd agrees within its noise).
"""

from __future__ import annotations

import math
from statistics import NormalDist

import msgspec

from bench.query.dataset import CLS_ZERO_SHARE, SHAPES
from services.contracts.metrics import SPECS, Metric
from services.contracts.significance import Q, Z

NORMAL = NormalDist()


class Population(msgspec.Struct, frozen=True):
    """A metric's simulated distribution: a lognormal, with CLS's share of zeros."""

    p75: float
    good_share: float
    log_density: float  # g, the density of log values at the p75

    def power(self, page_views: int, factor: float) -> float:
        sd = math.sqrt(2 * Q * (1 - Q) / page_views) / self.log_density
        return NORMAL.cdf(math.log(factor) / sd - Z)

    def page_views_for(self, power: float, factor: float) -> int:
        """Page views a side for the limit to reach `power`."""
        reach = (Z + NORMAL.inv_cdf(power)) / (math.log(factor) * self.log_density)
        return math.ceil(2 * Q * (1 - Q) * reach**2)


def population(metric: Metric) -> Population:
    median, sigma = SHAPES[metric]
    zeros = CLS_ZERO_SHARE if metric is Metric.CLS else 0.0
    at = NORMAL.inv_cdf((Q - zeros) / (1 - zeros))
    good = NORMAL.cdf(math.log(SPECS[metric].good_max / median) / sigma)
    return Population(
        p75=median * math.exp(sigma * at),
        good_share=zeros + (1 - zeros) * good,
        log_density=(1 - zeros) * NORMAL.pdf(at) / sigma,
    )
