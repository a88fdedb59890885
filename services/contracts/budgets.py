"""The CI gate's shapes (issue 13): budgets as a budgets.yaml or a request body gives them,
and the verdict POST …/releases/{release}/check answers and `vitals check` prints. The
judging itself is the query service's (services/query/budgets.py)."""

from __future__ import annotations

from typing import Literal

import msgspec

from services.contracts.metrics import DEVICE_NAMES, Metric

Status = Literal["passed", "failed", "insufficient_data"]
METRIC_NAMES = tuple(m.name for m in Metric)
MAX_BUDGETS = 200


class Budget(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    metric: str  # LCP, INP, CLS, FCP or TTFB
    p75: float  # the ceiling, in the metric's unit (ms; CLS unitless)
    route: str | None = None  # as the dashboard shows routes
    device: str | None = None  # mobile, desktop, tablet…


class Budgets(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    budgets: list[Budget] = msgspec.field(default_factory=list)
    # A release the comparison judged `regressed` anywhere fails, budgets met or not.
    fail_on_regression: bool = True


class BudgetResult(msgspec.Struct, frozen=True):
    budget: Budget
    status: Status
    p75: float | None
    samples: int


class Regression(msgspec.Struct, frozen=True):
    metric: str
    route: str | None
    device: str | None
    p75_relative: float | None
    p75_ci95: tuple[float, float] | None


class CheckResult(msgspec.Struct, frozen=True):
    status: Status
    release: str
    baseline: str | None  # the release compared with; None: a time window, or none before
    budgets: list[BudgetResult]
    regressions: list[Regression]


def check_budgets(budgets: Budgets) -> None:
    """Refuses budgets that could never be judged; the message names the first bad one."""
    if len(budgets.budgets) > MAX_BUDGETS:
        raise ValueError(f"at most {MAX_BUDGETS} budgets")
    devices = set(DEVICE_NAMES.values())
    for index, budget in enumerate(budgets.budgets):
        where = f"budgets[{index}]"
        if budget.metric not in METRIC_NAMES:
            raise ValueError(f"{where}.metric: one of {', '.join(METRIC_NAMES)}")
        if not budget.p75 >= 0:  # NaN too
            raise ValueError(f"{where}.p75: a ceiling of 0 or more")
        if budget.device is not None and budget.device not in devices:
            raise ValueError(f"{where}.device: one of {', '.join(sorted(devices))}")
        if budget.route is not None and (not budget.route or "\x00" in budget.route):
            raise ValueError(f"{where}.route: a route as the dashboard shows it")
