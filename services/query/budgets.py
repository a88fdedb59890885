"""Did a release pass? Its p75s against the budgets' ceilings, and the release comparison's
verdicts (no `regressed` anywhere), judged from one ReleaseComparison. Used by `vitals
check` and by POST …/releases/{release}/check, so a CI job gets the same answer either way.

- passed: every budget met with enough samples, and nothing regressed;
- failed: a budget exceeded with enough samples, or a regression (when it fails releases);
- insufficient_data: nothing failed, but a budget's scope has fewer than MIN_SAMPLES page
  views in the release (wait for more traffic and ask again).
"""

from __future__ import annotations

from services.contracts.budgets import (
    Budget,
    BudgetResult,
    Budgets,
    CheckResult,
    Regression,
    Status,
)
from services.contracts.metrics import DEVICE_NAMES, Metric
from services.contracts.release_comparison import Groups, MetricComparison
from services.contracts.significance import MIN_SAMPLES, Comparison, SideSummary, summarize
from services.query.releases import ReleaseComparison

DEVICE_IDS = {name: int(device) for device, name in DEVICE_NAMES.items()}


def judge(comparison: ReleaseComparison, own: Groups, budgets: Budgets) -> CheckResult:
    """`own`: the release's samples per group. Budgets are judged on them alone, so a first
    release, or a route new in it, is judged too; regressions need the comparison."""
    results = [_judge_budget(own, budget) for budget in budgets.budgets]
    regressions = _regressions(comparison.metrics) if budgets.fail_on_regression else []
    statuses = {r.status for r in results}
    status: Status
    if "failed" in statuses or regressions:
        status = "failed"
    elif "insufficient_data" in statuses:
        status = "insufficient_data"
    else:
        status = "passed"
    baseline = comparison.baseline.release if comparison.baseline else None
    return CheckResult(status, comparison.release, baseline, results, regressions)


def _judge_budget(groups: Groups, budget: Budget) -> BudgetResult:
    metric = Metric[budget.metric]
    device = None if budget.device is None else DEVICE_IDS[budget.device]
    if budget.route is None:
        key: tuple[object, ...] = (metric,) if device is None else (metric, device)
    else:
        key = (metric, budget.route, -1 if device is None else device)
    side = summarize(metric, groups[key]) if key in groups else SideSummary(0, None, None)
    if side.p75 is None or side.count < MIN_SAMPLES:
        return BudgetResult(budget, "insufficient_data", side.p75, side.count)
    status: Status = "passed" if side.p75 <= budget.p75 else "failed"
    return BudgetResult(budget, status, side.p75, side.count)


def _regressions(metrics: dict[str, MetricComparison]) -> list[Regression]:
    found = []
    for name, metric in metrics.items():
        scopes: list[tuple[str | None, str | None, Comparison]] = [(None, None, metric.overall)]
        scopes += [(None, device, c) for device, c in metric.devices.items()]
        scopes += [(r.route, r.device, r.comparison) for r in metric.routes]
        for route, device, c in scopes:
            if c.verdict == "regressed":
                found.append(
                    Regression(name, route, device, c.change.p75_relative, c.change.p75_ci95)
                )
    return found
